// Bots on the whole app (simulated market, manual clock): created stopped with a card, approved and
// started, real paper orders placed per closed candle, no doubled orders when a candle is decided
// again after a crash, state that survives a new runner, the approved limits, the kill switch,
// pause and stop, other users kept out, bad input refused with nothing changed, and parity with a
// backtest over the same candles.
import { and, count, eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLogs, botPerformance, bots, orders } from '../../../src/db/schema/index.js';
import { runBacktest } from '../../../src/domain/backtest/index.js';
import { D } from '../../../src/domain/money.js';
import { parseStrategyParams, STRATEGIES, type Strategy } from '../../../src/domain/strategy/index.js';
import { actorFor, type Actor } from '../../../src/services/actor.js';
import { BotRunner } from '../../../src/services/bots/bot-runner.js';
import { BotService } from '../../../src/services/bots/bot-service.js';
import { readBotConfig } from '../../../src/services/bots/bot-config.js';
import { decodeState } from '../../../src/services/bots/state-codec.js';
import { createUser } from '../../../src/services/users.js';
import { createTestApp, type TestApp } from '../../support/app.js';
import { manualClock, rejection, type ManualClock } from '../market/support.js';

const HOUR = 3_600_000;
/** Half a minute past the hour: the hour's candle is forming. */
const START = Date.UTC(2025, 2, 3, 12, 0, 30);

let app: TestApp;
let clock: ManualClock;
let service: BotService;
let runner: BotRunner;
let alice: Actor;
let bob: Actor;

function newRunner(): BotRunner {
  const s = app.services;
  return new BotRunner({ db: s.db, clock: s.clock, logger: s.logger, market: s.market, portfolios: s.portfolio, trading: s.trading });
}

beforeAll(async () => {
  clock = manualClock(START);
  app = await createTestApp({ MIKEY_MARKET: 'sim' }, { clock });
  const s = app.services;
  service = new BotService({ db: s.db, clock: s.clock, logger: s.logger, market: s.market, portfolios: s.portfolio, trading: s.trading });
  runner = newRunner();
  alice = actorFor((await createUser(s.db, { username: 'botalice' })).id, 'terminal');
  bob = actorFor((await createUser(s.db, { username: 'botbob' })).id, 'terminal');
}, 60_000);
afterAll(async () => app?.close());

async function botOrders(botId: string): Promise<Array<typeof orders.$inferSelect>> {
  return app.services.db.select().from(orders).where(like(orders.clientOrderId, `bot:${botId.slice(0, 8)}:%`)).orderBy(orders.clientOrderId);
}

async function botRow(botId: string): Promise<typeof bots.$inferSelect> {
  const [row] = await app.services.db.select().from(bots).where(eq(bots.id, botId));
  return row!;
}

async function tableCounts(): Promise<[number, number]> {
  const [b] = await app.services.db.select({ n: count() }).from(bots);
  const [a] = await app.services.db.select({ n: count() }).from(auditLogs).where(like(auditLogs.action, 'bot.%'));
  return [b!.n, a!.n];
}

const dcaInput = (name: string, limits: { maxOrderNotional: string; maxDailyNotional: string }, params: Record<string, unknown> = { quoteAmount: '100', every: 1 }): Record<string, unknown> => ({
  name, strategy: 'dca', params, symbol: 'btc/usdt', timeframe: '1h', limits,
});

describe('bad input changes nothing', () => {
  it('refuses a viewer', async () => {
    const viewer = actorFor((await createUser(app.services.db, { username: 'botviewer', role: 'viewer' })).id, 'terminal');
    const before = await tableCounts();
    const err = await rejection(service.create(viewer, dcaInput('x', { maxOrderNotional: '100', maxDailyNotional: '500' })));
    expect(err.code).toBe('forbidden');
    expect(await tableCounts()).toEqual(before);
  });

  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['an unknown strategy', { ...dcaInput('x', { maxOrderNotional: '100', maxDailyNotional: '500' }), strategy: 'martingale' }, /strategy must be one of grid, dca/],
    ['an unknown parameter', dcaInput('x', { maxOrderNotional: '100', maxDailyNotional: '500' }, { quoteAmount: '100', leverage: 5 }), /unknown parameter "leverage"/],
    ['a daily limit below the per-order one', dcaInput('x', { maxOrderNotional: '500', maxDailyNotional: '100' }), /maxDailyNotional \(100\) is below limits.maxOrderNotional \(500\)/],
    ['a negative limit', dcaInput('x', { maxOrderNotional: '-5', maxDailyNotional: '100' }), /limits.maxOrderNotional/],
    ['missing limits', { name: 'x', strategy: 'dca', params: { quoteAmount: '100' }, symbol: 'BTC/USDT' }, /limits is required/],
    ['a perpetual', { ...dcaInput('x', { maxOrderNotional: '100', maxDailyNotional: '500' }), symbol: 'BTC-PERP' }, /perpetual; bots trade spot markets/],
    ['statistical arbitrage against its own asset (two legs on one market)', { name: 'x', strategy: 'statistical_arbitrage', params: { pair: 'BTC' }, symbol: 'BTC/USDT', limits: { maxOrderNotional: '100', maxDailyNotional: '500' } }, /^statistical arbitrage needs two different assets; both legs resolve to BTC-PERP$/],
  ];
  for (const [what, input, message] of cases) {
    it(`refuses ${what}`, async () => {
      const before = await tableCounts();
      const err = await rejection(service.create(alice, input));
      expect(err.code, err.message).toBe('invalid_input');
      expect(err.message).toMatch(message);
      expect(await tableCounts(), 'no bot and no audit row').toEqual(before);
    });
  }

  it('refuses yield optimisation on a spot account (it shorts the perpetual)', async () => {
    const spot = await app.services.portfolio.createPortfolio(alice, { name: 'Spot only', startingCash: '1000', accountType: 'spot' });
    const before = await tableCounts();
    const err = await rejection(service.create(alice, { name: 'x', strategy: 'yield_optimisation', params: {}, symbol: 'BTC/USDT', portfolioId: spot.id, limits: { maxOrderNotional: '100', maxDailyNotional: '500' } }));
    expect(err.code, err.message).toBe('invalid_input');
    expect(err.message).toBe('yield optimisation trades perpetuals (BTC-PERP), and "Spot only" is a spot account');
    expect(err.hint).toMatch(/margin portfolio/);
    expect(await tableCounts(), 'no bot and no audit row').toEqual(before);
  });

  it('accepts every registered kind whose state holds indicator streams (they save and restore exactly)', async () => {
    const r = await service.create(alice, { name: 'cross', strategy: 'sma_cross', params: {}, symbol: 'BTC/USDT', limits: { maxOrderNotional: '100', maxDailyNotional: '500' } });
    expect(r.bot.status).toBe('stopped');
    await service.stop(alice, { botId: r.bot.id.slice(0, 8) });
  });
});

describe('a dca bot on the paper portfolio', () => {
  let botId: string;

  it('is created stopped, with a card of its limits', async () => {
    const r = await service.create(alice, dcaInput('BTC dca', { maxOrderNotional: '150', maxDailyNotional: '1000' }));
    botId = r.bot.id;
    expect(r.bot).toMatchObject({ status: 'stopped', strategy: 'dca', symbol: 'BTC/USDT', timeframe: '1h', approvedAt: null, limits: { maxOrderNotional: '150', maxDailyNotional: '1000' } });
    expect(r.card).toMatchObject({ portfolioName: 'Paper', tradingMode: 'paper', quote: 'USDT', maxOrderNotional: '150', maxDailyNotional: '1000', params: { quoteAmount: '100', every: '1' } });
    expect(r.card.lines.join('\n')).toMatch(/Most per order: 150 USDT; most per UTC day: 1000 USDT/);
    expect(r.card.lines.join('\n'), 'no JSON in the card').not.toMatch(/[{}]/);
    const [audit] = await app.services.db.select().from(auditLogs).where(and(eq(auditLogs.entityId, botId), eq(auditLogs.action, 'bot.create')));
    expect(audit?.actorUserId, 'the creation is audited').toBe(alice.userId);
  });

  it('does nothing before its card is approved, and needs approve: true', async () => {
    clock.set(START + HOUR);
    expect((await runner.runOnce()).find((s) => s.botId === botId), 'a stopped bot is not run').toBeUndefined();
    const err = await rejection(service.approveAndStart(alice, { botId, approve: false }));
    expect(err.message).toMatch(/approve must be true/);
    expect((await botRow(botId)).status).toBe('stopped');
    expect(await botOrders(botId)).toHaveLength(0);
  });

  it('is invisible to another user, who cannot start, pause or stop it', async () => {
    for (const call of [
      () => service.get(bob, { botId }),
      () => service.approveAndStart(bob, { botId, approve: true }),
      () => service.pause(bob, { botId }),
      () => service.stop(bob, { botId }),
      () => service.get(bob, { botId: botId.slice(0, 8) }),
    ]) {
      const err = await rejection(call());
      expect(err.code, err.message).toBe('not_found');
      expect(err.message).toBe('bot not found');
    }
    expect((await service.list(bob)).bots).toEqual([]);
    expect((await botRow(botId)).status).toBe('stopped');
  });

  it('starts on approval, deciding from the candle forming now', async () => {
    clock.set(START);
    const r = await service.approveAndStart(alice, { botId: botId.slice(0, 8), approve: true });
    expect(r.bot.status).toBe('running');
    expect(r.bot.approvedAt).toBe(new Date(START).toISOString());
    const config = readBotConfig((await botRow(botId)).config);
    expect(config.origin, 'the 12:00 candle is the first it decides on').toBe(Date.UTC(2025, 2, 3, 12));
    expect(config.approval?.limits).toEqual({ maxOrderNotional: '150', maxDailyNotional: '1000' });
    expect(await runner.runBot(botId), 'nothing has closed since the approval').toMatchObject({ candles: 0, placed: 0 });
  });

  it('places a real paper order when the candle closes, and records its performance', async () => {
    clock.set(START + HOUR);
    const r = await runner.runBot(botId);
    expect(r).toMatchObject({ candles: 1, placed: 1, replayed: 0, skipped: [] });
    const placed = await botOrders(botId);
    expect(placed.map((o) => [o.clientOrderId, o.side, o.orderType, o.status, o.quoteQuantity]), 'one market buy of 100 USDT, filled').toEqual([
      [`bot:${botId.slice(0, 8)}:${Date.UTC(2025, 2, 3, 12)}:0:dca`, 'buy', 'market', 'filled', '100.000000000000000000'],
    ]);
    const [perf] = await app.services.db.select().from(botPerformance).where(eq(botPerformance.botId, botId));
    expect(perf?.tradeCount, 'one fill').toBe(1);
    expect(new D(perf!.feesPaid).gt(0), 'its fee').toBe(true);
    const detail = await service.get(alice, { botId });
    expect(detail.progress).toMatchObject({ candlesDecided: 1, lastCandleAt: '2025-03-03T12:00:00.000Z' });
    expect(detail.performance?.tradeCount).toBe(1);
  });

  it('deciding a candle again after a crash (state not saved) places no second order', async () => {
    clock.set(START + 2 * HOUR);
    const before = (await botRow(botId)).config;
    const first = await runner.runBot(botId, { maxCandles: 1 });
    expect(first).toMatchObject({ candles: 1, placed: 1 });
    expect(await botOrders(botId)).toHaveLength(2);
    // The crash: the orders went out, the state and the candle were never saved.
    await app.services.db.update(bots).set({ config: before }).where(eq(bots.id, botId));
    const again = await runner.runBot(botId, { maxCandles: 1 });
    expect(again, 'the same candle decided again finds its order').toMatchObject({ candles: 1, placed: 0, replayed: 1 });
    const all = await botOrders(botId);
    expect(all, 'still two orders, one per candle').toHaveLength(2);
    expect(new Set(all.map((o) => o.clientOrderId)).size).toBe(2);
    expect(readBotConfig((await botRow(botId)).config)).toMatchObject({ processed: 2, lastCandle: Date.UTC(2025, 2, 3, 13) });
  });

  it('resumes from its saved state in a new runner (a restart), seeing its earlier fills', async () => {
    clock.set(START + 3 * HOUR);
    const restarted = newRunner();
    expect(await restarted.runBot(botId)).toMatchObject({ candles: 1, placed: 1 });
    const all = await botOrders(botId);
    expect(all).toHaveLength(3);
    const config = readBotConfig((await botRow(botId)).config);
    const state = decodeState(config.state) as { lastBuyPrice: InstanceType<typeof D> | null };
    // The 14:00 decision saw the 13:00 order's fill (dca remembers the last buy price).
    expect(state.lastBuyPrice?.toFixed(), 'the state holds the fill of the previous candle').toBe(new D(all[1]!.averageFillPrice!).toFixed());
    expect(config.processed).toBe(3);
  });

  it('a kill switch stops it trading: no order, the bot paused with the reason', async () => {
    await app.services.risk.haltTrading(alice, { reason: 'bot test halt' });
    clock.set(START + 4 * HOUR);
    const r = await runner.runBot(botId);
    expect(r.placed).toBe(0);
    expect(r.paused).toMatch(/trading is halted/);
    const row = await botRow(botId);
    expect(row.status).toBe('paused');
    expect(row.lastError).toMatch(/paused: trading is halted/);
    expect(await botOrders(botId)).toHaveLength(3);
    clock.set(START + 5 * HOUR);
    expect(await runner.runBot(botId), 'a paused bot decides nothing').toMatchObject({ candles: 0, placed: 0 });
    await app.services.risk.resumeTrading(alice, {});
  });

  it('resumes under its approval, skipping the candles it missed while paused', async () => {
    const r = await service.resume(alice, { botId });
    expect(r.bot.status).toBe('running');
    expect(r.bot.lastError).toBeNull();
    expect(readBotConfig((await botRow(botId)).config)).toMatchObject({ lastCandle: Date.UTC(2025, 2, 3, 16), processed: 5 });
    clock.set(START + 6 * HOUR);
    expect(await runner.runBot(botId)).toMatchObject({ candles: 1, placed: 1 });
    expect(await botOrders(botId)).toHaveLength(4);
  });

  it('pause keeps it from trading; stop ends it and a new start needs a new approval', async () => {
    await service.pause(alice, { botId });
    clock.set(START + 7 * HOUR);
    expect(await runner.runBot(botId)).toMatchObject({ candles: 0, placed: 0 });
    const stopped = await service.stop(alice, { botId });
    expect(stopped.bot.status).toBe('stopped');
    expect(stopped.bot.approvedAt, 'the approval ends with the stop').toBeNull();
    expect(await botOrders(botId)).toHaveLength(4);
    const err = await rejection(service.resume(alice, { botId }));
    expect(err.code).toBe('conflict');
  });
});

describe('placeForBot', () => {
  it('takes only bot order ids and no confirmation token', async () => {
    const order = { symbol: 'BTC/USDT', side: 'buy', type: 'market', quoteQuantity: '10' };
    const bot = { botId: '00000000-0000-0000-0000-000000000000', botName: 't' };
    const a = await rejection(app.services.trading.placeForBot(alice, { ...order, clientOrderId: 'mine-1' }, bot));
    expect(a.message).toMatch(/clientOrderId starting with "bot:"/);
    const b = await rejection(app.services.trading.placeForBot(alice, { ...order, clientOrderId: 'bot:x:1:0', confirmationToken: 'abc' }, bot));
    expect(b.message).toMatch(/standing approval, not by a token/);
    const [n] = await app.services.db.select({ n: count() }).from(orders).where(eq(orders.clientOrderId, 'bot:x:1:0'));
    expect(n!.n).toBe(0);
  });
});

describe('the approved limits', () => {
  it('skip an order above the per-order limit and say why, placing nothing', async () => {
    clock.set(START + 10 * HOUR);
    const { bot } = await service.create(alice, dcaInput('small', { maxOrderNotional: '50', maxDailyNotional: '500' }));
    await service.approveAndStart(alice, { botId: bot.id, approve: true });
    clock.advance(HOUR);
    const r = await runner.runBot(bot.id);
    expect(r).toMatchObject({ candles: 1, placed: 0 });
    expect(r.skipped[0]).toMatch(/dca skipped: worth about 100 USDT, above the approved 50 per order/);
    const row = await botRow(bot.id);
    expect(row.lastError).toMatch(/above the approved 50 per order/);
    expect(row.status, 'the bot goes on').toBe('running');
    expect(await botOrders(bot.id)).toHaveLength(0);
    await service.stop(alice, { botId: bot.id });
  });

  it('skip an order that would take the day above the daily limit', async () => {
    clock.set(START + 12 * HOUR);
    const { bot } = await service.create(alice, dcaInput('daily', { maxOrderNotional: '100', maxDailyNotional: '150' }));
    await service.approveAndStart(alice, { botId: bot.id, approve: true });
    clock.advance(2 * HOUR);
    const r = await runner.runBot(bot.id);
    expect(r).toMatchObject({ candles: 2, placed: 1 });
    expect(r.skipped[0]).toMatch(/would be worth about 200 USDT, above the approved 150 a day/);
    expect(await botOrders(bot.id)).toHaveLength(1);
    await service.stop(alice, { botId: bot.id });
  });
});

describe('a grid bot', () => {
  it('rests real limit orders and stop cancels them', async () => {
    clock.set(START + 20 * HOUR);
    const price = (await app.services.portfolio.quotes(['BTC/USDT'])).get('BTC/USDT')!.price;
    const params = { lower: price.mul('0.9').toDecimalPlaces(0).toFixed(), upper: price.mul('1.1').toDecimalPlaces(0).toFixed(), levels: 5, quotePerLevel: '100' };
    const { bot } = await service.create(alice, { name: 'grid', strategy: 'grid', params, symbol: 'BTC/USDT', limits: { maxOrderNotional: '100', maxDailyNotional: '1000' } });
    await service.approveAndStart(alice, { botId: bot.id, approve: true });
    clock.advance(HOUR);
    const before = (await botRow(bot.id)).config;
    const r = (await runner.runOnce()).find((x) => x.botId === bot.id)!;
    expect(r.placed, `grid placed its buys (${r.skipped.join('; ')})`).toBeGreaterThan(1);
    const placedIds = (await botOrders(bot.id)).map((o) => o.clientOrderId);
    expect(placedIds, 'one order per intent').toHaveLength(r.placed);
    // A crash after the orders went out: the candle is decided again from the state before it; its
    // own working orders are left out of the view, so the grid asks for the same buys and finds them.
    await app.services.db.update(bots).set({ config: before }).where(eq(bots.id, bot.id));
    const again = await runner.runBot(bot.id);
    expect(again).toMatchObject({ candles: 1, placed: 0, replayed: r.placed });
    expect((await botOrders(bot.id)).map((o) => o.clientOrderId), 'no order doubled').toEqual(placedIds);
    const detail = await service.get(alice, { botId: bot.id });
    const open = detail.openOrders;
    expect(open.length, 'limit buys rest below the price').toBeGreaterThan(0);
    expect(open.every((o) => o.type === 'limit' && o.side === 'buy' && /^grid-buy-\d$/.test(o.tag ?? '')), 'tagged limit buys').toBe(true);
    const stopped = await service.stop(alice, { botId: bot.id });
    expect(stopped.cancelledOrders).toBe(open.length);
    const after = await botOrders(bot.id);
    expect(after.filter((o) => ['open', 'pending', 'partially_filled'].includes(o.status)), 'nothing left working').toHaveLength(0);
  });
});

describe('parity with a backtest over the same candles', () => {
  it('a dca bot decides the same orders as the backtester (sides, quote amounts, candles)', async () => {
    clock.set(START + 30 * HOUR);
    const params = { quoteAmount: '100', every: 2 };
    const { bot } = await service.create(alice, dcaInput('parity', { maxOrderNotional: '100', maxDailyNotional: '10000' }, params));
    await service.approveAndStart(alice, { botId: bot.id, approve: true });
    const origin = readBotConfig((await botRow(bot.id)).config).origin!;
    clock.advance(6 * HOUR);
    expect(await runner.runBot(bot.id)).toMatchObject({ candles: 6, placed: 3 });
    const series = await app.services.market.loadCandles('BTC/USDT', '1h', { since: new Date(origin), limit: 6, closedOnly: true });
    const strategy = STRATEGIES.dca as Strategy<unknown, unknown>;
    const parsed = parseStrategyParams(strategy, params);
    if (!parsed.ok) throw new Error(parsed.error.message);
    const run = runBacktest({ strategy, params: parsed.value, candles: series.candles, market: app.services.market.resolveSymbol('BTC/USDT'), initialCash: new D(10000), feeBps: 10, slippageBps: 0 });
    if (!run.ok) throw new Error(run.error.message);
    // The backtester fills a decision at the next candle's open, so the decision's candle is one
    // before its fill; the last decision's order is still open at the end of the window.
    const backtested = [
      ...run.value.fills.map((f) => ({ candle: f.index - 1, side: f.side, tag: f.tag })),
      ...run.value.openOrders.map((o) => ({ candle: series.candles.length - 1, side: o.side, tag: o.tag })),
    ];
    const placed = (await botOrders(bot.id)).map((o) => {
      const [, , ms, , tag] = o.clientOrderId.split(':');
      return { candle: (Number(ms) - origin) / HOUR, side: o.side, tag };
    });
    expect(placed, 'same decisions on the same candles').toEqual(backtested);
    expect(placed.map((p) => p.candle)).toEqual([0, 2, 4]);
    // Quantities differ only by price: the paper order fills at the live simulated price when the
    // candle closes, the backtester at the next candle's open; both spend the same quote amount.
    for (const o of await botOrders(bot.id)) expect(new D(o.quoteQuantity!).toFixed()).toBe('100');
    await service.stop(alice, { botId: bot.id });
  });
});
