// Backtests asked for in chat (issue 11): the offline handler (offline understanding → in-process MCP
// client → backtest-strategy → services.backtest on the simulated market, fixed clock) answers
// "backtest a BTC grid from 60k to 80k over the last 90 days" with the figures services.backtest gives
// for the same input and a chart image, as every surface gets it (ChatReply.images, which the
// Telegram, Discord and terminal adapters send as they send get-chart's). No order, no trade card.
import { and, eq } from 'drizzle-orm';
import { SERIES_POINTS } from '../../src/services/backtest/backtest-service.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatHandler, type BrainChatHandler } from '../../src/bot/agent/index.js';
import type { ChatContext, ChatReply } from '../../src/bot/chat-types.js';
import { replyForPeople } from '../../src/bot/person-text.js';
import { bots, orders, strategies } from '../../src/db/schema/index.js';
import { actorFor, type Actor } from '../../src/services/actor.js';
import { createUser, type User } from '../../src/services/users.js';
import { backtestText } from '../../src/tools/strategy/backtest-strategy.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { manualClock, T0 } from '../services/market/support.js';

let app: TestApp;
let handler: BrainChatHandler;
const clock = manualClock(T0);

beforeAll(async () => {
  app = await createTestApp({}, { clock });
  handler = createChatHandler(app.config, app.services, { mode: 'offline' });
}, 60_000);

afterAll(async () => {
  await handler?.close();
  await app?.close();
});

async function trader(name: string): Promise<{ user: User; actor: Actor; ctx: ChatContext }> {
  const user = await createUser(app.database.db, { username: name });
  await app.services.portfolio.ensureDefaultPortfolio(user.id);
  return { user, actor: actorFor(user.id, 'terminal'), ctx: { platform: 'terminal', user, chatId: `chat-${name}`, isGroup: false } };
}

async function ordersOf(user: User): Promise<number> {
  return (await app.database.db.select({ id: orders.id }).from(orders).where(eq(orders.userId, user.id))).length;
}

async function backtestsOf(user: User): Promise<Array<{ id: string; config: unknown }>> {
  return app.database.db.select({ id: strategies.id, config: strategies.config }).from(strategies).where(and(eq(strategies.userId, user.id), eq(strategies.isBacktest, true)));
}

/** A reply's text with the stored backtest's short id blanked (two runs store two rows). */
const withoutId = (text: string): string => text.replace(/Stored as backtest [0-9a-f]{8}\./, 'Stored as backtest <id>.');

const PNG = '89504e470d0a1a0a';

describe('a backtest asked for in the offline chat', () => {
  it('“backtest a BTC grid from 60k to 80k over the last 90 days” answers with services.backtest\'s figures and a chart; no order, no card', async () => {
    const { user, actor, ctx } = await trader('chatbacktest');
    const r: ChatReply = await handler.handleText(ctx, 'backtest a BTC grid from 60k to 80k over the last 90 days');
    expect(r.confirmation, 'a backtest is never a trade card').toBeUndefined();
    expect(await ordersOf(user), 'a backtest places no order').toBe(0);

    // The same input straight through the service, at the same (stopped) clock: the same window and figures.
    const view = await app.services.backtest.runBacktest(actor, { strategy: 'grid', symbol: 'BTC/USDT', days: 90, params: { lower: '60000', upper: '80000', quotePerLevel: '1000' } });
    // From T0 − 90 days (12:34:56) the first whole hour opens at 13:00; the last closed candle opened at 11:00 on T0's day.
    expect(view.candles, '90 days of closed 1h candles, the unfinished first and last hours left out').toBe(90 * 24 - 1);
    const { series, ...rest } = view;
    expect(series.length, 'the chart\'s series: at most SERIES_POINTS of the 2,159 closes').toBeLessThanOrEqual(SERIES_POINTS);
    expect(series.at(-1)!.at, 'it ends at the last close').toBe(view.to);
    const expected = withoutId(backtestText(rest));
    expect(withoutId(r.text), 'the reply carries the service\'s figures, line for line').toContain(expected);
    expect(r.text).toMatch(/^Backtest of grid on BTC\/USDT 1h, 2024-12-03 to 2025-03-03 \(2,159 candles, 10,000 USDT\): [+-]\d/m);

    // The chart: one PNG, named after the tool, with a caption a person can read.
    expect(r.images, 'one chart image').toHaveLength(1);
    const img = r.images![0]!;
    expect(Buffer.from(img.png.subarray(0, 8)).toString('hex'), 'a PNG').toBe(PNG);
    expect(Buffer.from(img.png).readUInt32BE(16), 'IHDR width').toBe(1200);
    expect(Buffer.from(img.png).readUInt32BE(20), 'IHDR height').toBe(800);
    expect(img.filename).toBe('backtest-strategy-1.png');
    expect(img.caption).toMatch(/^Backtest of grid on BTC\/USDT 1h/);
    // What the surfaces send: every adapter renders `replyForPeople(reply).images`, as for get-chart.
    expect(replyForPeople(r).images?.[0]?.png, 'the image survives the people filter the adapters apply').toBe(img.png);

    const stored = await backtestsOf(user);
    expect(stored, 'the chat run and the direct run are stored, nothing else').toHaveLength(2);
    expect(stored.map((s) => (s.config as { params: Record<string, unknown> }).params)).toEqual([
      { lower: '60000', upper: '80000', levels: 10, quotePerLevel: '1000' },
      { lower: '60000', upper: '80000', levels: 10, quotePerLevel: '1000' },
    ]);
    expect(await ordersOf(user), 'still no order').toBe(0);
  });

  it('/backtest momentum with a window and timeframe runs that backtest', async () => {
    const { user, ctx } = await trader('chatbacktest2');
    const r = await handler.handleText(ctx, '/backtest ema 12/26 sol 4h 60d');
    expect(r.text).toMatch(/^Backtest of momentum on SOL\/USDT 4h, 2025-01-02 to 2025-03-03 \(359 candles, 10,000 USDT\)/m);
    expect(r.images).toHaveLength(1);
    const [row] = await backtestsOf(user);
    expect((row!.config as { params: Record<string, unknown> }).params).toMatchObject({ fast: 12, slow: 26 });
    expect(await ordersOf(user)).toBe(0);
  });

  it('“show backtest <id>” reads a stored run back by the short id its reply gave, in clean text', async () => {
    const { user, actor, ctx } = await trader('chatbacktest4');
    const ran = await app.services.backtest.runBacktest(actor, { strategy: 'momentum', symbol: 'SOL/USDT', timeframe: '4h', days: 60, params: { fast: 12, slow: 26 } });
    const short = ran.id.slice(0, 8);
    const r = await handler.handleText(ctx, `show backtest ${short}`);
    const text = replyForPeople(r).text;
    expect(text).toMatch(new RegExp(`^momentum SOL/USDT 4h 2025-01-02 to 2025-03-03 \\(${short}\\): [+-][\\d.]+% .* against buy-and-hold [+-][\\d.]+%, \\d+ fills\\.`));
    expect(text, 'its fills, as a table').toMatch(/\btime\b.*\bside\b.*\bprice\b/);
    expect(text, 'no JSON, no marks for the model').not.toMatch(/[{}]|untrusted/);
    expect(r.confirmation).toBeUndefined();
    expect(await ordersOf(user), 'reading a backtest places nothing').toBe(0);
    const unknown = await handler.handleText(ctx, 'show backtest 0000ffff');
    expect(unknown.text).toMatch(/not found/i);

    // A second run a minute later: "my backtests" lists both by short id, newest first; "my last
    // backtest" opens the newest.
    clock.advance(60_000);
    const second = await app.services.backtest.runBacktest(actor, { strategy: 'momentum', symbol: 'ETH/USDT', timeframe: '4h', days: 30, params: { fast: 5, slow: 20 } }).finally(() => clock.set(T0));
    const listed = replyForPeople(await handler.handleText(ctx, 'my backtests')).text;
    const at = (id: string): number => listed.indexOf(id.slice(0, 8));
    expect([at(second.id) >= 0, at(ran.id) > at(second.id)], listed).toEqual([true, true]);
    expect(listed).not.toMatch(/[{}]|untrusted/);
    // Of one market or strategy: only the runs that match.
    const eth = replyForPeople(await handler.handleText(ctx, 'my backtests for eth')).text;
    expect([eth.split('\n')[0], eth.includes(second.id.slice(0, 8)), eth.includes(ran.id.slice(0, 8))], eth).toEqual(['Your last 1 backtest on ETH, newest first:', true, false]);
    const sol = replyForPeople(await handler.handleText(ctx, 'my momentum backtests on sol')).text;
    expect([sol.split('\n')[0], sol.includes(ran.id.slice(0, 8)), sol.includes(second.id.slice(0, 8))], sol).toEqual(['Your last 1 backtest of momentum on SOL, newest first:', true, false]);
    expect(replyForPeople(await handler.handleText(ctx, 'list my momentum backtests')).text).toMatch(/^Your last 2 backtests of momentum, newest first:/);
    expect(replyForPeople(await handler.handleText(ctx, 'my grid backtests on sol')).text).toBe('No backtests of grid on SOL yet.');
    expect(replyForPeople(await handler.handleText(ctx, 'my backtests for eth/usdt')).text, 'a pair written out: that market').toMatch(/^Your last 1 backtest on ETH\/USDT/);
    expect(replyForPeople(await handler.handleText(ctx, 'my backtests for eth-perp')).text).toBe('No backtests on ETH-PERP yet.');
    // The service takes the caller's text literally: "S_L" or "%" is no pattern for SOL.
    expect((await app.services.backtest.listBacktests(actor, { symbol: 'SOL' })).map((b) => b.id)).toEqual([ran.id]);
    expect(await app.services.backtest.listBacktests(actor, { symbol: 'S_L' })).toEqual([]);
    expect(await app.services.backtest.listBacktests(actor, { symbol: '%' })).toEqual([]);
    const last = replyForPeople(await handler.handleText(ctx, 'show my last backtest')).text;
    expect(last).toMatch(new RegExp(`^momentum ETH/USDT 4h .*\\(${second.id.slice(0, 8)}\\): `));
  });

  it('“my last backtest” before any backtest says there is none yet', async () => {
    const { ctx } = await trader('chatbacktest5');
    const r = replyForPeople(await handler.handleText(ctx, 'show my last backtest')).text;
    expect(r).toMatch(/you have no backtests yet/);
  });

  it('“sweep sol sma cross fast 5 to 20 slow 30 to 60 over 60 days” runs the walk-forward sweep: per fold the pick and its out-of-sample result; no order', async () => {
    const { user, ctx } = await trader('chatsweep');
    const r = await handler.handleText(ctx, 'sweep sol sma cross fast 5 to 20 slow 30 to 60 over 60 days with 2 folds');
    const text = replyForPeople(r).text;
    expect(r.confirmation, 'a sweep is never a trade card').toBeUndefined();
    expect(text, text).toMatch(/^Sweep of sma cross on SOL\/USDT 1h, 2025-01-02 to 2025-03-03 \(1,439 candles, 25 combinations, 2 rolling folds, best by Sharpe\):\nOut of sample, the in-sample picks made [+-][\d.]+%; they (?:trailed|beat) buy-and-hold at [+-][\d.]+%/);
    expect(text, 'a row per fold with its pick and what it made out of sample').toMatch(/\n {3}1 .* fast \d+, slow \d+ .*\n {3}2 .* fast \d+, slow \d+ /);
    expect(text).toMatch(/as backtest [0-9a-f]{8} .*No order was placed\./);
    expect(text, 'no JSON, no marks for the model').not.toMatch(/[{}]|untrusted/);
    expect(await ordersOf(user), 'a sweep places no order').toBe(0);
    const stored = await backtestsOf(user);
    expect(stored, 'the last fold\'s pick is stored as a backtest').toHaveLength(1);
    const params = (stored[0]!.config as { params: Record<string, number> }).params;
    expect([[5, 9, 13, 16, 20].includes(params.fast!), [30, 38, 45, 53, 60].includes(params.slow!)], JSON.stringify(params)).toEqual([true, true]);
  }, 120_000);

  it('“start a grid bot on BTC from 60k to 80k with max 100 per order and 1000 per day” creates that bot stopped and offers its card for approval; nothing trades', async () => {
    const { user, ctx } = await trader('chatbot1');
    const r = await handler.handleText(ctx, 'start a grid bot on BTC from 60k to 80k with max 100 per order and 1000 per day');
    expect(replyForPeople(r).text).toMatch(/^Here is the bot card: approve and start bot “grid BTC\/USDT” \([0-9a-f]{8}\)\.$/);
    const text = r.confirmation?.cardText ?? '';
    expect(text).toMatch(/^Bot "grid BTC\/USDT" \([0-9a-f]{8}\) is created and stopped\. Approve its card to start it\./);
    expect(text, 'a grid level spends what one order may').toContain('• Parameters: lower 60000, upper 80000, levels 10, quotePerLevel 100');
    expect(text).toContain('• Most per order: 100 USDT; most per UTC day: 1000 USDT');
    const rows = await app.database.db.select().from(bots).where(eq(bots.userId, user.id));
    expect(rows.map((b) => [b.name, b.status])).toEqual([['grid BTC/USDT', 'stopped']]);
    expect(await ordersOf(user), 'a bot that is not approved places nothing').toBe(0);
  });

  it('a trade-like message that mentions a grid is a question back: no backtest, no order', async () => {
    const { user, ctx } = await trader('chatbacktest3');
    const r = await handler.handleText(ctx, 'buy btc with a grid from 60k to 80k');
    expect(r.confirmation).toBeUndefined();
    expect(r.images ?? []).toHaveLength(0);
    expect(r.text).not.toMatch(/Backtest of/);
    expect(await backtestsOf(user)).toHaveLength(0);
    expect(await ordersOf(user)).toBe(0);
  });
});
