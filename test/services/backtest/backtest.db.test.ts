// Backtests through the service on the simulated market with a fixed clock: candles loaded into the
// store through the market service, figures equal to the domain backtester's over the same candles
// read back from the store, the result stored as the user's backtest strategy, bad input refused
// with nothing stored, and one user's backtests invisible to another.
import { and, count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimMarket } from '../../../src/adapters/sim-market/index.js';
import type { Database } from '../../../src/db/client.js';
import { auditLogs, strategies } from '../../../src/db/schema/index.js';
import { runBacktest, type BacktestResult } from '../../../src/domain/backtest/index.js';
import { D, type Dec } from '../../../src/domain/money.js';
import { TIMEFRAME_MS } from '../../../src/domain/ports.js';
import { parseStrategyParams, STRATEGIES, type Strategy, type StrategyKind } from '../../../src/domain/strategy/index.js';
import type { Actor } from '../../../src/services/actor.js';
import { BacktestService, SERIES_POINTS, type BacktestView } from '../../../src/services/backtest/backtest-service.js';
import type { MarketService } from '../../../src/services/market-data/market-service.js';
import { simSources } from '../../../src/services/market-data/sources.js';
import { createTestDatabase } from '../../support/db.js';
import { FlakySource, T0, idleTimers, manualClock, newActor, rejection, simMarketService } from '../market/support.js';

let database: Database;
const clock = manualClock(T0);
let market: MarketService;
let source: FlakySource;
let service: BacktestService;
let alice: Actor;
let bob: Actor;

beforeAll(async () => {
  database = await createTestDatabase();
  const sim = new SimMarket({ seed: 7, clock, timers: idleTimers });
  source = new FlakySource(sim);
  ({ market } = await simMarketService(database, clock, { sources: { ...simSources({ seed: 7, clock, sim }), data: source } }));
  service = new BacktestService({ db: database.db, market, clock });
  alice = await newActor(database, 'alice');
  bob = await newActor(database, 'bob');
});
afterAll(async () => {
  await market?.close();
  await database?.close();
});

const HOUR = 3_600_000;
const plain = (d: Dec): string => d.toFixed();

/** The domain backtest over the candles the store holds for the window the service reported. */
async function domainRun(view: BacktestView, kind: StrategyKind, rawParams: Record<string, unknown>, opts: { cash: string; feeBps: string; slippageBps: string }): Promise<{ result: BacktestResult; candles: number }> {
  const tf = view.timeframe;
  const tfMs = TIMEFRAME_MS[tf];
  const stored = await market.store.range({ symbol: view.symbol, exchange: view.exchange, timeframe: tf }, new Date(view.from), new Date(Date.parse(view.to) - tfMs), 100_000);
  const strategy = STRATEGIES[kind] as Strategy<unknown, unknown>;
  const params = parseStrategyParams(strategy, rawParams);
  if (!params.ok) throw new Error(params.error.message);
  const r = runBacktest({ strategy, params: params.value, candles: stored, market: market.resolveSymbol(view.symbol), initialCash: new D(opts.cash), feeBps: new D(opts.feeBps), slippageBps: new D(opts.slippageBps), intervalMs: tfMs });
  if (!r.ok) throw new Error(r.error.message);
  return { result: r.value, candles: stored.length };
}

function expectSameFigures(view: BacktestView, r: BacktestResult, candles: number): void {
  const m = r.metrics;
  expect(view.candles, 'the service ran over the candles the store holds for the window').toBe(candles);
  expect(view.totalPnl, 'total P&L').toBe(plain(m.totalPnl));
  expect(view.returnPct, 'return').toBe(plain(m.returnPct));
  expect(view.finalEquity, 'final equity').toBe(plain(m.finalEquity));
  expect(view.fees, 'fees').toBe(plain(m.fees));
  expect(view.trades, 'fills').toBe(m.trades);
  expect(view.roundTrips, 'round trips').toBe(m.roundTrips);
  expect(view.winRate, 'win rate').toBe(m.winRate);
  expect(view.sharpe, 'Sharpe').toBe(m.sharpe);
  expect(view.maxDrawdown, 'max drawdown').toBe(plain(m.maxDrawdown));
  expect(view.buyAndHold.pnl, 'buy-and-hold P&L').toBe(plain(r.buyAndHold.pnl));
  expect(view.buyAndHold.returnPct, 'buy-and-hold return').toBe(plain(r.buyAndHold.returnPct));
  const first = r.fills[0]!;
  const last = r.fills[r.fills.length - 1]!;
  expect(view.firstFill, 'first fill').toEqual({ at: first.at.toISOString(), side: first.side, type: first.type, price: plain(first.price), quantity: plain(first.quantity), fee: plain(first.fee), tag: first.tag ?? null });
  expect(view.lastFill, 'last fill').toEqual({ at: last.at.toISOString(), side: last.side, type: last.type, price: plain(last.price), quantity: plain(last.quantity), fee: plain(last.fee), tag: last.tag ?? null });
}

async function storedRow(id: string): Promise<typeof strategies.$inferSelect> {
  const [row] = await database.db.select().from(strategies).where(eq(strategies.id, id));
  return row!;
}

async function counts(): Promise<number[]> {
  const [s] = await database.db.select({ n: count() }).from(strategies);
  const [a] = await database.db.select({ n: count() }).from(auditLogs).where(eq(auditLogs.action, 'backtest.created'));
  return [s!.n, a!.n];
}

describe('a grid backtest over a fixed window', () => {
  const window = { from: '2025-01-01', to: '2025-03-01' };
  let view: BacktestView;
  let params: Record<string, unknown>;

  it('loads the window into the store through the market service (two pages of 1h candles)', async () => {
    // The grid spans the month's daily range, so it trades.
    const daily = await market.loadCandles('BTC/USDT', '1d', { since: window.from, limit: 59 });
    const low = daily.candles.reduce((x, c) => (c.low.lt(x) ? c.low : x), daily.candles[0]!.low);
    const high = daily.candles.reduce((x, c) => (c.high.gt(x) ? c.high : x), daily.candles[0]!.high);
    params = { lower: low.toDecimalPlaces(0).toFixed(), upper: high.toDecimalPlaces(0).toFixed(), levels: 8, quotePerLevel: '1000' };
    view = await service.runBacktest(alice, { strategy: 'grid', params, symbol: 'btc/usdt', timeframe: '1h', ...window });
    expect(view, 'the window: 59 days of closed hourly candles').toMatchObject({
      strategy: 'grid', symbol: 'BTC/USDT', timeframe: '1h', simulated: true, from: '2025-01-01T00:00:00.000Z', to: '2025-03-01T00:00:00.000Z', candles: 59 * 24,
      initialCash: '10000', feeBps: '10', slippageBps: '5', quote: 'USDT',
    });
    expect(await market.store.count({ symbol: 'BTC/USDT', exchange: view.exchange, timeframe: '1h' }, new Date(view.from), new Date(Date.parse(view.to) - HOUR)), 'every candle of the window is in the store').toBe(59 * 24);
    expect(view.trades, 'the grid traded in its range').toBeGreaterThan(2);
  });

  it('equals the domain backtester over the same candles read back from the store', async () => {
    const { result, candles } = await domainRun(view, 'grid', params, { cash: '10000', feeBps: '10', slippageBps: '5' });
    expectSameFigures(view, result, candles);
  });

  it('a run longer than the chart keeps at most SERIES_POINTS of its curve, with its first, last, lowest and highest', async () => {
    const carol = await newActor(database, 'carol'); // a user of her own: alice's list of backtests is counted below
    const long = await service.runBacktest(carol, { strategy: 'grid', params, symbol: 'btc/usdt', timeframe: '15m', from: '2025-01-01', to: '2025-02-01' });
    expect(long.candles, '31 days of 15-minute candles').toBe(31 * 96);
    const { result } = await domainRun(long, 'grid', params, { cash: '10000', feeBps: '10', slippageBps: '5' });
    const all = result.equity.toArray();
    expect(long.series.length).toBeLessThanOrEqual(SERIES_POINTS);
    expect(long.series.length, 'each stretch gives its low and high').toBeGreaterThan(SERIES_POINTS / 2);
    expect(long.series[0]!.equity).toBe(plain(all[0]!));
    expect(long.series.at(-1)!.equity).toBe(long.finalEquity);
    const values = long.series.map((p) => new D(p.equity));
    const lowest = all.reduce((a, v) => (v.lt(a) ? v : a));
    const highest = all.reduce((a, v) => (v.gt(a) ? v : a));
    expect(values.some((v) => v.eq(lowest)), 'the lowest equity is drawn').toBe(true);
    expect(values.some((v) => v.eq(highest)), 'the highest equity is drawn').toBe(true);
    const times = long.series.map((p) => Date.parse(p.at));
    expect(times, 'in time order').toEqual([...times].sort((a, b) => a - b));
  });

  it('returns the equity curves per candle close beside buy-and-hold\'s, for the chart (not stored)', async () => {
    const { result, candles } = await domainRun(view, 'grid', params, { cash: '10000', feeBps: '10', slippageBps: '5' });
    expect(view.series, 'one point per candle').toHaveLength(candles);
    expect(view.series.map((p) => p.equity), 'the domain backtester\'s marked equity').toEqual(result.equity.toArray().map(plain));
    expect(view.series[0]!.at, 'the first close').toBe(new Date(Date.parse(view.from) + HOUR).toISOString());
    expect(view.series.at(-1)!.at, 'the last close is the window\'s end').toBe(view.to);
    expect(view.series.at(-1)!.equity).toBe(view.finalEquity);
    expect(view.series.at(-1)!.buyAndHold, 'buy-and-hold ends at its final equity').toBe(view.buyAndHold.finalEquity);
    // Buy-and-hold at a close: the cash left after the entry plus the quantity at that close.
    const bh = result.buyAndHold;
    const cashLeft = new D('10000').sub(bh.entryPrice.mul(bh.quantity)).sub(bh.fee);
    const stored = await market.store.range({ symbol: view.symbol, exchange: view.exchange, timeframe: '1h' }, new Date(view.from), new Date(Date.parse(view.to) - HOUR), 100_000);
    expect(view.series[100]!.buyAndHold, 'buy-and-hold at the 101st close, by hand').toBe(plain(cashLeft.add(bh.quantity.mul(stored[100]!.close))));
    const row = await storedRow(view.id);
    expect(JSON.stringify(row.performanceMetrics), 'the curves are not stored').not.toContain('series');
  });

  it('is stored as the user\'s backtest with those figures', async () => {
    const row = await storedRow(view.id);
    expect(row, 'owned by alice, a backtest of the grid_trading type, not active').toMatchObject({ userId: alice.userId, isBacktest: true, isActive: false, strategyType: 'grid_trading', name: view.name, tradeCount: view.trades });
    expect(new D(row.totalPnl).eq(new D(view.totalPnl).toDecimalPlaces(18)), `stored P&L ${row.totalPnl} = ${view.totalPnl}`).toBe(true);
    expect(view.winRate === null ? row.winRate : new D(row.winRate!).eq(new D(view.winRate).toDecimalPlaces(10)), `stored win rate ${row.winRate}`).toBe(view.winRate === null ? null : true);
    expect(view.sharpe === null ? row.sharpeRatio : new D(row.sharpeRatio!).eq(new D(view.sharpe).toDecimalPlaces(10)), `stored Sharpe ${row.sharpeRatio}`).toBe(view.sharpe === null ? null : true);
    expect(row.config, 'config: params after defaults, market, window, costs').toMatchObject({
      params: { lower: params.lower, upper: params.upper, levels: 8, quotePerLevel: '1000' },
      symbol: 'BTC/USDT', timeframe: '1h', from: view.from, to: view.to, feeBps: '10', slippageBps: '5', initialCash: '10000',
    });
    expect(row.performanceMetrics, 'metrics: return, drawdown, buy-and-hold, round trips, candles, fees').toMatchObject({
      returnPct: view.returnPct, maxDrawdown: view.maxDrawdown, roundTrips: view.roundTrips, candles: view.candles, fees: view.fees,
      buyAndHold: { pnl: view.buyAndHold.pnl, returnPct: view.buyAndHold.returnPct },
    });
    const [audit] = await database.db.select().from(auditLogs).where(and(eq(auditLogs.entityId, view.id), eq(auditLogs.action, 'backtest.created')));
    expect(audit?.actorUserId, 'the audit row names alice').toBe(alice.userId);
  });

  it('a second run of the same window reads the store and asks the source for nothing', async () => {
    const before = source.calls;
    const again = await service.runBacktest(alice, { strategy: 'grid', params, symbol: 'BTC/USDT', timeframe: '1h', ...window });
    expect(source.calls, 'no candle fetched from the source').toBe(before);
    expect(again.totalPnl, 'the same figures from the same candles').toBe(view.totalPnl);
    expect(again.id, 'stored as a second backtest').not.toBe(view.id);
  });
});

describe('a momentum backtest over the last 90 days', () => {
  const params = { fast: 5, slow: 20, atrPeriod: 14, atrMultiplier: 2 };

  it('equals the domain backtester and is stored with its figures', async () => {
    const view = await service.runBacktest(alice, { strategy: 'momentum', params, symbol: 'ETH/USDT', timeframe: '4h', days: 90, initialCash: '5000', feeBps: '7.5', slippageBps: 0 });
    // Clock 2025-03-03 12:34:56: the first 4h candle opening at or after 2024-12-03 12:34:56 opens at 16:00; the last closed one closes at 12:00.
    expect(view, 'the window of the last 90 days').toMatchObject({ from: '2024-12-03T16:00:00.000Z', to: '2025-03-03T12:00:00.000Z', candles: 539, initialCash: '5000', feeBps: '7.5', slippageBps: '0' });
    expect(view.trades, 'momentum traded').toBeGreaterThan(1);
    const { result, candles } = await domainRun(view, 'momentum', params, { cash: '5000', feeBps: '7.5', slippageBps: '0' });
    expectSameFigures(view, result, candles);
    const row = await storedRow(view.id);
    expect(row, 'stored as alice\'s momentum backtest').toMatchObject({ userId: alice.userId, isBacktest: true, strategyType: 'momentum', tradeCount: result.metrics.trades });
    expect(row.config, 'defaults filled in').toMatchObject({ params: { fast: 5, slow: 20, atrPeriod: 14, atrMultiplier: 2, allocation: '1' }, initialCash: '5000' });
  });
});

describe('bad input', () => {
  it.each([
    ['an unknown strategy', { strategy: 'martingale', symbol: 'BTC/USDT', params: {} }, /strategy must be one of grid, dca, momentum, mean_reversion/],
    ['an unknown parameter', { strategy: 'momentum', symbol: 'BTC/USDT', params: { fast: 5, turbo: true } }, /unknown parameter "turbo".*momentum takes fast, slow/],
    ['a parameter out of bounds', { strategy: 'grid', symbol: 'BTC/USDT', params: { lower: '60000', upper: '80000', levels: 500, quotePerLevel: '100' } }, /levels must be at most 200/],
    ['a grid upside down', { strategy: 'grid', symbol: 'BTC/USDT', params: { lower: '80000', upper: '60000', quotePerLevel: '100' } }, /upper must be above lower/],
    ['a missing parameter', { strategy: 'dca', symbol: 'BTC/USDT', params: {} }, /quoteAmount/],
    ['an unknown timeframe', { strategy: 'momentum', symbol: 'BTC/USDT', timeframe: '2h' }, /timeframe must be one of 1m, 5m/],
    ['zero days', { strategy: 'momentum', symbol: 'BTC/USDT', days: 0 }, /days must be at least 1/],
    ['too many days', { strategy: 'momentum', symbol: 'BTC/USDT', days: 5000 }, /days must be at most 3650/],
    ['days and from together', { strategy: 'momentum', symbol: 'BTC/USDT', days: 5, from: '2025-01-01' }, /either days or from\/to/],
    ['a window ending before it starts', { strategy: 'momentum', symbol: 'BTC/USDT', from: '2025-02-01', to: '2025-01-01' }, /must be after from/],
    ['a start in the future', { strategy: 'momentum', symbol: 'BTC/USDT', from: '2030-01-01' }, /not in the past/],
    ['an unreadable date', { strategy: 'momentum', symbol: 'BTC/USDT', from: 'last tuesday' }, /ISO date/],
    // From 12:35 a year before the clock's 12:34:56 to the last closed minute, 12:33: 525,600 − 1.
    ['too many candles', { strategy: 'momentum', symbol: 'BTC/USDT', timeframe: '1m', days: 365 }, /525,599 1m candles; a backtest reads at most 20,000/],
    ['a perpetual', { strategy: 'momentum', symbol: 'BTC-PERP' }, /perpetual; backtests run on spot markets/],
    ['an unknown symbol', { strategy: 'momentum', symbol: 'NOPE/USDT' }, /unknown symbol/i],
    ['negative cash', { strategy: 'momentum', symbol: 'BTC/USDT', initialCash: '-5' }, /initialCash must not be negative/],
    ['a fee of 1e400', { strategy: 'momentum', symbol: 'BTC/USDT', feeBps: '1e400' }, /feeBps/],
    ['an unknown argument', { strategy: 'momentum', symbol: 'BTC/USDT', leverage: 5 }, /unknown argument leverage/],
  ] as const)('refuses %s with a clear message and stores nothing', async (_what, input, message) => {
    const before = await counts();
    const err = await rejection(service.runBacktest(alice, input));
    expect(err.code, err.message).toMatch(/invalid_input|not_found/);
    expect(err.message).toMatch(message);
    expect(await counts(), 'nothing stored, nothing audited').toEqual(before);
  });
});

describe('ownership', () => {
  it('lists a user\'s own backtests only', async () => {
    const mine = await service.listBacktests(alice);
    expect(mine.length, 'alice ran three backtests').toBe(3);
    expect(mine.map((b) => b.strategyType).sort()).toEqual(['grid_trading', 'grid_trading', 'momentum']);
    expect(await service.listBacktests(bob), 'bob sees none of them').toEqual([]);
  });
});
