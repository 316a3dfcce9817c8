import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aiAnalyses, reports } from '../../../src/db/schema/index.js';
import type { Notification } from '../../../src/domain/ports.js';
import { actorFor } from '../../../src/services/actor.js';
import { periodEndFor, ReportService } from '../../../src/services/reports/report-service.js';
import { createUser, type User } from '../../../src/services/users.js';
import { errorReply, startMessagesApiServer, textReply, type MessagesApiServer } from '../../fakes/messages-api-server.js';
import { createTestApp, type TestApp } from '../../support/app.js';

let app: TestApp;
let alice: User;
let model: MessagesApiServer;
const pushed: Notification[] = [];

beforeAll(async () => {
  app = await createTestApp({ MIKEY_MARKET: 'sim' });
  alice = await createUser(app.database.db, { username: 'alice' });
  app.services.alerts.notifier.register({ notify: async (n) => void pushed.push(n) });
  model = await startMessagesApiServer([]);
  // One filled order so the report has activity.
  const actor = actorFor(alice.id, 'terminal');
  const p = await app.services.trading.previewOrder(actor, { symbol: 'ETH/USDT', side: 'buy', quantity: '0.1' });
  await app.services.trading.placeOrder(actor, { symbol: 'ETH/USDT', side: 'buy', quantity: '0.1', confirmationToken: p.confirmationToken! });
});
afterAll(async () => {
  await model?.close();
  await app?.close();
});

describe('reports', () => {
  it('writes a template report with portfolio, positions, activity and the scorecard', async () => {
    const r = await app.services.reports.getReport(actorFor(alice.id, 'terminal'), { period: 'day' });
    expect(r.writtenBy).toBe('template');
    expect(r.markdown).toMatch(/# MIKEY daily report/);
    expect(r.markdown).toMatch(/PAPER portfolio "Paper"/);
    expect(r.markdown).toMatch(/ETH\/USDT/);
    expect(r.markdown).toMatch(/1 fill/);
    expect(r.facts.periodPnl.fills).toBe(1);
    expect(r.facts.shadows, 'a paper-only person has no live portfolio to compare (test/services/reports/report-shadow.db.test.ts)').toEqual([]);
    expect(r.markdown).not.toMatch(/Live vs paper shadow/);
  });

  it("scores MIKEY's matured calls against the price since", async () => {
    const now = app.services.clock.now();
    const price = (await app.services.market.getPrices(['BTC/USDT']))[0]!.price!;
    const lower = (Number(price) * 0.9).toFixed(2);
    const higher = (Number(price) * 1.1).toFixed(2);
    const base = { userId: alice.id, analysisType: 'market_analysis' as const, symbol: 'BTC/USDT', timeframe: '4h', reasoning: 'test', confidenceScore: '0.6', createdAt: new Date(now.getTime() - 86_400_000), expiresAt: new Date(now.getTime() - 3_600_000) };
    await app.database.db.insert(aiAnalyses).values([
      { ...base, recommendation: 'buy', priceAtAnalysis: lower },
      { ...base, recommendation: 'sell', priceAtAnalysis: lower },
      { ...base, recommendation: 'sell', priceAtAnalysis: higher },
    ]);
    const card = await app.services.reports.scorecard(alice.id, now);
    expect(card.judged).toBe(3);
    expect(card.right, 'buy below and sell above the current price were right; sell below was wrong').toBe(2);
    expect(card.hitRate).toBeCloseTo(2 / 3);
  });

  it('uses the model when a key is set, from the facts only', async () => {
    model.setScript([textReply('# Your day\nEquity up. (model-written)')]);
    const svc = new ReportService({
      db: app.database.db, clock: app.services.clock, logger: app.logger, config: app.config, portfolio: app.services.portfolio,
      trading: app.services.trading, market: app.services.market, notifier: app.services.alerts.notifier, anthropic: { apiKey: 'test-key', baseURL: model.url },
    });
    const r = await svc.getReport(actorFor(alice.id, 'terminal'), { period: '4h' });
    expect(r.writtenBy).toBe('model');
    expect(r.markdown).toContain('model-written');
    const body = JSON.stringify(model.requests.at(-1)!.body);
    expect(body).toContain('<facts>');
    expect(body).toContain('ETH/USDT');
  });

  it('falls back to the template when the model fails', async () => {
    model.setScript(() => errorReply(400, 'invalid_request_error', 'bad request'));
    const svc = new ReportService({
      db: app.database.db, clock: app.services.clock, logger: app.logger, config: app.config, portfolio: app.services.portfolio,
      trading: app.services.trading, market: app.services.market, notifier: app.services.alerts.notifier, anthropic: { apiKey: 'test-key', baseURL: model.url },
    });
    const r = await svc.getReport(actorFor(alice.id, 'terminal'), { period: 'day' });
    expect(r.writtenBy).toBe('template');
  });

  it('scheduled: one report per user and period even when run twice, pushed once', async () => {
    await app.services.reports.setSchedule(actorFor(alice.id, 'terminal'), 'both');
    const now = app.services.clock.now();
    const a = await app.services.reports.runDue(now);
    const b = await app.services.reports.runDue(now);
    expect(a.written, 'the 4h and the daily report').toBeGreaterThanOrEqual(2);
    expect(b.written, 'a second run writes nothing').toBe(0);
    const rows = await app.database.db.select().from(reports).where(eq(reports.userId, alice.id));
    expect(rows.filter((r) => r.periodEnd.getTime() === periodEndFor('4h', now).getTime() && r.reportType === '4h')).toHaveLength(1);
    expect(rows.every((r) => r.pushSent)).toBe(true);
    expect(pushed.filter((n) => n.kind === 'report' && n.userId === alice.id).length).toBe(rows.length);
    await app.database.db.execute(sql`SELECT 1`);
  });

  it('refuses a bad period with the fix', async () => {
    await expect(app.services.reports.getReport(actorFor(alice.id, 'terminal'), { period: 'week' })).rejects.toThrow(/4h|day/);
  });
});
