// The report of a person with a live portfolio carries a "Live vs paper shadow" section: the figures
// get-shadow gives (slippage, fees, missed or partial fills over the latest orders) and the equity of
// the live portfolio beside its shadow's. A paper-only person's report has no such section. The live
// side trades on the fake Binance through real ccxt (test/services/trading/live-support.ts).
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orders, reports } from '../../../src/db/schema/index.js';
import { dec } from '../../../src/domain/money.js';
import { actorFor } from '../../../src/services/actor.js';
import { ReportService } from '../../../src/services/reports/report-service.js';
import { shadowClientOrderId } from '../../../src/services/trading/shadow.js';
import { createUser } from '../../../src/services/users.js';
import { startFakeExchange, type FakeExchange } from '../../fakes/exchange-server.js';
import { startMessagesApiServer, textReply, type MessagesApiServer } from '../../fakes/messages-api-server.js';
import { ManualClock } from '../trading/harness.js';
import { placeConfirmed, settle, setUpLive, type LiveSetup } from '../trading/live-support.js';

const KEY = 'reportShadowKey0123456789abcdef';
const SECRET = 'reportShadowSecret0123456789abcd';
/** Stopped, so the simulated prices (and so both equities) stay put while the test reads them. */
const clock = new ManualClock(Date.now());
let fake: FakeExchange;
let s: LiveSetup;
let model: MessagesApiServer;
/** The market buy's slippage from the two orders' own fill prices (bps, positive: live paid more). */
let marketSlippage: string;

beforeAll(async () => {
  fake = await startFakeExchange({ accounts: [{ apiKey: KEY, secret: SECRET, spot: { USDT: '1000' } }] });
  s = await setUpLive({ url: fake.url, apiKey: KEY, secret: SECRET, username: 'reportlive', clock });
  model = await startMessagesApiServer([]);
  // The venue quotes SOL 0.3 % above the simulated market the paper shadow fills against.
  const sim = dec((await s.app.services.market.venueFeed.getQuote('SOL/USDT')).price);
  fake.setPrice('SOLUSDT', sim.mul('1.003').toDecimalPlaces(2).toFixed(2));
  const market = await placeConfirmed(s.app, s.actor, { portfolioId: s.liveId, symbol: 'SOL/USDT', side: 'buy', type: 'market', quantity: '0.3' });
  expect(market.order.status).toBe('filled');
  // A limit between the two prices: the shadow fills it, the venue leaves it resting (a missed fill).
  await placeConfirmed(s.app, s.actor, { portfolioId: s.liveId, symbol: 'SOL/USDT', side: 'buy', type: 'limit', quantity: '0.2', price: sim.mul('1.0022').toDecimalPlaces(2).toFixed(2) });
  await settle(s.app);
  const db = s.app.database.db;
  const [live] = await db.select().from(orders).where(eq(orders.id, market.order.id));
  const [twin] = await db.select().from(orders).where(and(eq(orders.portfolioId, s.shadowId), eq(orders.clientOrderId, shadowClientOrderId(market.order.id))));
  const l = dec(live!.averageFillPrice!);
  const p = dec(twin!.averageFillPrice!);
  marketSlippage = l.sub(p).div(p).mul(10_000).toDecimalPlaces(2).toFixed(2);
}, 60_000);

afterAll(async () => {
  await model?.close();
  await s?.app.close();
  await fake?.close();
});

const escape = (x: string): string => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('the report of a person with a live portfolio', () => {
  it('has a "Live vs paper shadow" section with get-shadow\'s figures and the equity difference', async () => {
    const r = await s.app.services.reports.getReport(s.actor, { period: 'day' });
    const shadow = await s.app.services.trading.getShadow(s.actor, {});
    const [live, paper] = await Promise.all([
      s.app.services.portfolio.getPortfolio(s.actor, { portfolioId: s.liveId }),
      s.app.services.portfolio.getPortfolio(s.actor, { portfolioId: s.shadowId }),
    ]);
    expect(r.writtenBy).toBe('template');
    expect(r.facts.shadows).toEqual([
      { portfolio: 'Live', livePortfolioId: s.liveId, shadowPortfolioId: s.shadowId, totals: shadow.totals, equity: { live: live.value, shadow: paper.value, currency: 'USDT' } },
    ]);
    expect(shadow.totals).toMatchObject({ orders: 2, missedOrPartial: 1, averageSlippageBps: marketSlippage });
    expect(dec(marketSlippage).gt(0), 'the venue was dearer than the simulation').toBe(true);
    const section = r.markdown.slice(r.markdown.indexOf('## Live vs paper shadow'));
    expect(r.markdown).toContain('## Live vs paper shadow');
    expect(section).toContain('**🔴 LIVE "Live"** against its 📝 paper shadow, last 2 orders:');
    expect(section).toContain(`- Average slippage ${marketSlippage} bps (positive: live paid more)`);
    expect(section).toContain(`- Fees ${shadow.totals.liveFees} live vs ${shadow.totals.shadowFees} paper`);
    expect(section).toContain('- 1 missed or partial fill');
    const diff = dec(live.value).toDecimalPlaces(2).sub(dec(paper.value).toDecimalPlaces(2));
    expect(section).toMatch(new RegExp(`- Equity ${escape(dec(live.value).toFixed(2))} live vs ${escape(dec(paper.value).toFixed(2))} paper: ${escape(dec(live.value).sub(dec(paper.value)).toFixed(2))} USDT`));
    expect(diff.abs().lt(5), 'the two portfolios hold nearly the same: the difference is small').toBe(true);
    expect(section).not.toMatch(/\{"|untrusted-data/);
  });

  it('scheduled: the stored and pushed report carries the section too', async () => {
    const now = s.app.services.clock.now();
    await s.app.services.reports.runDue(now);
    const rows = await s.app.database.db.select().from(reports).where(and(eq(reports.userId, s.actor.userId), eq(reports.reportType, 'daily')));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.summaryMarkdown).toContain('## Live vs paper shadow');
    expect(rows[0]!.summaryMarkdown).toContain(`- Average slippage ${marketSlippage} bps`);
  });

  it('gives the model the shadow figures among the facts', async () => {
    model.setScript([textReply('# Your day (model-written)')]);
    const app = s.app;
    const svc = new ReportService({
      db: app.database.db, clock: app.services.clock, logger: app.logger, config: app.config, portfolio: app.services.portfolio,
      trading: app.services.trading, market: app.services.market, notifier: app.services.alerts.notifier, anthropic: { apiKey: 'test-key', baseURL: model.url },
    });
    const r = await svc.getReport(s.actor, { period: '4h' });
    expect(r.writtenBy).toBe('model');
    const body = JSON.stringify(model.requests.at(-1)!.body);
    expect(body).toContain('Live vs paper shadow');
    expect(body).toContain(`\\"averageSlippageBps\\":\\"${marketSlippage}\\"`);
  });

  it('a paper-only person\'s report has no shadow section', async () => {
    const bob = await createUser(s.app.database.db, { username: 'paperbob' });
    const r = await s.app.services.reports.getReport(actorFor(bob.id, 'terminal'), { period: 'day' });
    expect(r.facts.shadows).toEqual([]);
    expect(r.markdown).not.toMatch(/shadow/i);
    expect(r.markdown).toMatch(/PAPER portfolio "Paper"/);
  });
});
