// Backtests of strategies with legs (statistical_arbitrage, yield_optimisation) through the service on
// the simulated market: every market's candles loaded through the market service, the figures equal to
// the domain backtester's over the same candles read back from the store with the stated constant
// funding, the legs' fills stored naming their market, and the refusals that keep them honest.
import { and, count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/client.js';
import { auditLogs, backtestFills, strategies } from '../../../src/db/schema/index.js';
import { runBacktest, type BacktestResult } from '../../../src/domain/backtest/index.js';
import { D, type Dec } from '../../../src/domain/money.js';
import { TIMEFRAME_MS, type Candle } from '../../../src/domain/ports.js';
import { parseStrategyParams, STRATEGIES, type Strategy, type StrategyKind } from '../../../src/domain/strategy/index.js';
import type { Actor } from '../../../src/services/actor.js';
import { BacktestService, type BacktestView } from '../../../src/services/backtest/backtest-service.js';
import type { MarketService } from '../../../src/services/market-data/market-service.js';
import { T0, manualClock, rejection } from '../market/support.js';
import { backtestHarness, type BacktestHarness } from './support.js';

let database: Database;
const clock = manualClock(T0);
let market: MarketService;
let service: BacktestService;
let alice: Actor;

let harness: BacktestHarness | undefined;

beforeAll(async () => {
  harness = await backtestHarness(11, clock);
  ({ database, market, service, alice } = harness);
});
afterAll(async () => {
  await harness?.close();
});

async function stored(symbol: string, view: BacktestView): Promise<Candle[]> {
  const tfMs = TIMEFRAME_MS[view.timeframe];
  return market.store.range({ symbol, exchange: view.exchange, timeframe: view.timeframe }, new Date(view.from), new Date(Date.parse(view.to) - tfMs), 100_000);
}

/**
 * The domain backtest over the stored candles of every market, at the times all of them have, funding
 * constant at `funding` bp per 8 hours, or given per leg symbol as the rate paid at each time.
 */
async function domainRun(view: BacktestView, kind: StrategyKind, raw: Record<string, unknown>, funding: number | ((symbol: string, atMs: number) => Dec)): Promise<BacktestResult> {
  const strategy = STRATEGIES[kind] as Strategy<unknown, unknown>;
  const params = parseStrategyParams(strategy, raw);
  if (!params.ok) throw new Error(params.error.message);
  const primary = await stored(view.symbol, view);
  const legCandles = await Promise.all(view.legs!.map((l) => stored(l.symbol, view)));
  const times = legCandles.reduce((set, list) => new Set(list.map((c) => c.openTime.getTime()).filter((t) => set.has(t))), new Set(primary.map((c) => c.openTime.getTime())));
  const constant = typeof funding === 'number' ? new D(funding).div(10_000) : undefined;
  const r = runBacktest({
    strategy, params: params.value, market: market.resolveSymbol(view.symbol), initialCash: new D(view.initialCash), feeBps: new D(view.feeBps), slippageBps: new D(view.slippageBps),
    intervalMs: TIMEFRAME_MS[view.timeframe], candles: primary.filter((c) => times.has(c.openTime.getTime())),
    legs: view.legs!.map((l, k) => ({ id: l.id, market: market.resolveSymbol(l.symbol), candles: legCandles[k]!.filter((c) => times.has(c.openTime.getTime())), fundingRate: (at: number) => constant ?? (funding as (symbol: string, atMs: number) => Dec)(l.symbol, at) })),
  });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

function expectSame(view: BacktestView, r: BacktestResult): void {
  expect(view.finalEquity, 'final equity').toBe(r.metrics.finalEquity.toFixed());
  expect(view.fees, 'fees').toBe(r.metrics.fees.toFixed());
  expect(view.trades, 'fills').toBe(r.metrics.trades);
  expect(view.legs!.map((l) => [l.id, l.position, l.margin, l.fundingPaid, l.liquidations])).toEqual(r.legs!.map((l) => [l.id, l.position.toFixed(), l.margin.toFixed(), l.fundingPaid.toFixed(), l.liquidations]));
  expect(view.buyAndHold.returnPct, 'buy-and-hold of the primary market').toBe(r.buyAndHold.returnPct.toFixed());
}

async function counts(): Promise<number[]> {
  const [s] = await database.db.select({ n: count() }).from(strategies);
  const [a] = await database.db.select({ n: count() }).from(auditLogs).where(eq(auditLogs.action, 'backtest.created'));
  return [s!.n, a!.n];
}

describe('yield optimisation over the simulated market', () => {
  it('carries spot BTC against BTC-PERP, collects the stated funding, and equals the domain run', async () => {
    const view = await service.runBacktest(alice, { strategy: 'yield_optimisation', symbol: 'BTC/USDT', timeframe: '1h', days: 10, initialCash: '10000', fundingBps: 1 });
    expect(view.legs!.map((l) => [l.id, l.symbol, l.kind])).toEqual([['perp', 'BTC-PERP', 'perp']]);
    expect(view.fundingBps, 'constant 1 bp per 8 hours: 10.95% a year, above the default entry of 10%').toBe(1);
    expect(view.funding).toEqual({ source: 'constant', bps: 1, why: 'asked' });
    expect(view.trades, 'both sides opened').toBeGreaterThanOrEqual(2);
    expect(Number(view.legs![0]!.position), 'still short at the end').toBeLessThan(0);
    expect(Number(view.legs![0]!.fundingPaid), 'the short received funding').toBeLessThan(0);
    expectSame(view, await domainRun(view, 'yield_optimisation', {}, 1));
    const fills = await database.db.select().from(backtestFills).where(eq(backtestFills.strategyId, view.id));
    expect(fills.map((f) => f.tag).sort()).toEqual(['BTC-PERP carry-perp', 'carry-spot']);
    const [row] = await database.db.select().from(strategies).where(and(eq(strategies.id, view.id), eq(strategies.userId, alice.userId)));
    expect(row).toMatchObject({ strategyType: 'yield_optimization', isBacktest: true });
    expect(row!.config).toMatchObject({ legs: [{ id: 'perp', symbol: 'BTC-PERP', kind: 'perp' }], fundingBps: 1 });
  });

  it('without fundingBps, pays the simulated market\'s funding history at each funding time, as the domain run with those rates', async () => {
    const view = await service.runBacktest(alice, { strategy: 'yield_optimisation', symbol: 'BTC/USDT', timeframe: '1h', days: 10, initialCash: '10000', params: { entryApr: 0, exitApr: -100 } });
    const from = Date.parse(view.from);
    const to = Date.parse(view.to);
    const history = (await market.fundingHistory('BTC-PERP', new Date(from), new Date(to)))!;
    expect(view.funding).toEqual({ source: 'history', exchange: history.exchange, simulated: true, payments: history.points.length });
    expect(history.points.length, 'every 8 hours over 10 days').toBe(30);
    expect(view.fundingBps, 'no constant was charged').toBeUndefined();
    expect(new Set(history.points.map((p) => p.rate.toFixed())).size, 'the rate moves').toBeGreaterThan(5);
    const rateAt = new Map(history.points.map((p) => [p.at.getTime(), p.rate]));
    const r = await domainRun(view, 'yield_optimisation', { entryApr: 0, exitApr: -100 }, (_symbol, at) => rateAt.get(at)!);
    expectSame(view, r);
    // Not the constant: the same run at 1 bp differs in the funding it collected.
    const flat = await domainRun(view, 'yield_optimisation', { entryApr: 0, exitApr: -100 }, 1);
    expect(r.legs![0]!.fundingPaid.eq(flat.legs![0]!.fundingPaid), 'history ≠ constant').toBe(false);
  });

  it('never enters when the stated funding is below its threshold', async () => {
    const view = await service.runBacktest(alice, { strategy: 'yield_optimisation', symbol: 'BTC/USDT', timeframe: '1h', days: 5, fundingBps: 0.5 });
    expect(view.trades, '0.005% per 8 hours is 5.48% a year, below 10%').toBe(0);
  });
});

describe('statistical arbitrage over the simulated market', () => {
  it('trades BTC-PERP against ETH-PERP and equals the domain run', async () => {
    const params = { pair: 'ETH', lookback: 24, entryZ: 1.5, exitZ: 0.3, stopZ: 3.5 };
    const view = await service.runBacktest(alice, { strategy: 'statistical_arbitrage', symbol: 'BTC/USDT', timeframe: '1h', days: 20, params, fundingBps: 1 });
    expect(view.legs!.map((l) => [l.id, l.symbol])).toEqual([['a', 'BTC-PERP'], ['b', 'ETH-PERP']]);
    expect(view.trades, 'it traded both legs').toBeGreaterThanOrEqual(4);
    expectSame(view, await domainRun(view, 'statistical_arbitrage', params, 1));
  });
});

describe('refusals', () => {
  it.each([
    ['an unknown parameter', { strategy: 'statistical_arbitrage', symbol: 'BTC/USDT', params: { pair: 'ETH', hedge: 2 } }, /unknown parameter "hedge".*statistical_arbitrage takes pair, lookback/],
    ['a pair of the same asset', { strategy: 'statistical_arbitrage', symbol: 'BTC/USDT', params: { pair: 'BTC' } }, /two different assets; both legs resolve to BTC-PERP/],
    ['a pair without a perpetual', { strategy: 'statistical_arbitrage', symbol: 'BTC/USDT', params: { pair: 'ADA' } }, /ADA-PERP \(its b leg\), which is not listed/],
    ['an asset without a perpetual', { strategy: 'yield_optimisation', symbol: 'ADA/USDT' }, /ADA-PERP \(its perp leg\), which is not listed/],
    ['funding for a strategy without perpetuals', { strategy: 'grid', symbol: 'BTC/USDT', params: { lower: 1, upper: 2, quotePerLevel: 10 }, fundingBps: 1 }, /fundingBps applies to perpetual legs/],
    ['funding out of bounds', { strategy: 'yield_optimisation', symbol: 'BTC/USDT', fundingBps: 100 }, /fundingBps must be at most 75/],
  ] as const)('refuses %s and stores nothing', async (_what, input, message) => {
    const before = await counts();
    const err = await rejection(service.runBacktest(alice, input));
    expect(err.code, err.message).toBe('invalid_input');
    expect(err.message).toMatch(message);
    expect(await counts()).toEqual(before);
  });

  it('refuses a sweep of a strategy with legs', async () => {
    const err = await rejection(service.sweep(alice, { strategy: 'yield_optimisation', symbol: 'BTC/USDT', grid: { entryApr: [5, 10] } }));
    expect(err.message).toMatch(/trades more than one market; sweeps run single-market strategies for now/);
  });
});
