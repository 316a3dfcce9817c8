// Walk-forward sweeps through the backtest service on the simulated market: every combination run
// in sample, the in-sample best judged out of sample and equal to a direct backtest of those
// parameters over the same candles, buy-and-hold beside it, bad grids refused before any candle is
// read, and nothing stored by the service; the sweep-strategy tool stores the last fold's pick run
// over its out-of-sample candles as an ordinary backtest with exactly the sweep's figures.
import { and, count, eq } from 'drizzle-orm';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/client.js';
import { backtestFills, strategies } from '../../../src/db/schema/index.js';
import { runBacktest } from '../../../src/domain/backtest/index.js';
import { D } from '../../../src/domain/money.js';
import { TIMEFRAME_MS } from '../../../src/domain/ports.js';
import { parseStrategyParams, smaCrossStrategy } from '../../../src/domain/strategy/index.js';
import type { Actor } from '../../../src/services/actor.js';
import { BacktestService, DEFAULT_FEE_BPS, DEFAULT_INITIAL_CASH, DEFAULT_SLIPPAGE_BPS, sweepInputShape } from '../../../src/services/backtest/backtest-service.js';
import { StrategyLeaderboard } from '../../../src/services/bots/leaderboard.js';
import type { ToolContext } from '../../../src/mcp/tool.js';
import type { MarketService } from '../../../src/services/market-data/market-service.js';
import { stopIdleSweepWorkers } from '../../../src/services/backtest/sweep-runner.js';
import { sweepStrategy, sweepText } from '../../../src/tools/strategy/sweep-strategy.js';
import { T0, manualClock, rejection } from '../market/support.js';
import { backtestHarness, type BacktestHarness } from './support.js';

let database: Database;
const clock = manualClock(T0);
let market: MarketService;
let service: BacktestService;
let alice: Actor;

let harness: BacktestHarness | undefined;

beforeAll(async () => {
  harness = await backtestHarness(7, clock);
  ({ database, market, service, alice } = harness);
});
afterAll(async () => {
  await stopIdleSweepWorkers();
  await harness?.close();
});

const request = { strategy: 'sma_cross', symbol: 'BTC/USDT', timeframe: '1h', days: 60, grid: { fast: [5, 10], slow: [30, 60] }, folds: 2 } as const;

describe('walk-forward sweeps', () => {
  it('judges each fold\'s in-sample best out of sample, exactly as a direct backtest of it would', async () => {
    const before = (await database.db.select({ n: count() }).from(strategies))[0]!.n;
    const view = await service.sweep(alice, request, { workers: 1 });
    expect(view.combinations).toBe(4);
    expect(view.folds).toHaveLength(2);
    expect(view.candles).toBe(60 * 24 - 1);
    // The out-of-sample figure of fold k is the direct backtest of its picked parameters over its candles.
    const tfMs = TIMEFRAME_MS['1h'];
    const stored = await market.store.range({ symbol: 'BTC/USDT', exchange: 'sim', timeframe: '1h' }, new Date(view.from), new Date(Date.parse(view.to) - tfMs), 100_000);
    expect(stored).toHaveLength(view.candles);
    let compounded = new D(1);
    for (const f of view.folds) {
      const start = stored.findIndex((c) => c.openTime.toISOString() === f.outOfSampleFrom);
      const end = stored.findIndex((c) => new Date(c.openTime.getTime() + tfMs).toISOString() === f.outOfSampleTo) + 1;
      expect(start).toBeGreaterThan(0);
      const params = parseStrategyParams(smaCrossStrategy, f.bestParams);
      if (!params.ok) throw new Error(params.error.message);
      const direct = runBacktest({
        strategy: smaCrossStrategy,
        params: params.value,
        candles: stored.slice(start, end),
        market: market.resolveSymbol('BTC/USDT'),
        initialCash: new D(DEFAULT_INITIAL_CASH),
        feeBps: new D(DEFAULT_FEE_BPS),
        slippageBps: new D(DEFAULT_SLIPPAGE_BPS),
        intervalMs: tfMs,
      });
      if (!direct.ok) throw new Error(direct.error.message);
      expect(f.outOfSampleReturnPct).toBe(direct.value.metrics.returnPct.toFixed());
      expect(f.buyAndHoldReturnPct).toBe(direct.value.buyAndHold.returnPct.toFixed());
      compounded = compounded.mul(direct.value.metrics.returnPct.div(100).add(1));
      expect([5, 10]).toContain(f.bestParams.fast);
      expect([30, 60]).toContain(f.bestParams.slow);
    }
    expect(new D(view.outOfSampleReturnPct).sub(compounded.sub(1).mul(100)).abs().lt('1e-9')).toBe(true);
    expect((await database.db.select({ n: count() }).from(strategies))[0]!.n, 'a sweep stores nothing').toBe(before);
    const text = sweepText(view);
    expect(text).toMatch(/Out of sample, the in-sample picks made [+-]?\d/);
    expect(text).toMatch(/buy-and-hold at/);
    expect(text).not.toMatch(/[{}]|undefined|NaN/);
  });

  it('two workers give the same report as one', async () => {
    const one = await service.sweep(alice, request, { workers: 1 });
    const two = await service.sweep(alice, request, { workers: 2 });
    expect(two).toEqual(one);
    // Parameter names as a person types them ("FAST", "Slow") are the strategy's own.
    expect(await service.sweep(alice, { ...request, grid: { FAST: [5, 10], Slow: [30, 60] } }, { workers: 1 })).toEqual(one);
  });

  it('refuses bad grids before reading a candle', async () => {
    const tooBig = await rejection(service.sweep(alice, { ...request, grid: { fast: Array.from({ length: 20 }, (_, i) => i + 2), slow: Array.from({ length: 20 }, (_, i) => i + 30) } }));
    expect(tooBig.message).toMatch(/400 combinations × 2 folds = 800 backtests; a sweep runs at most 600/);
    const empty = await rejection(service.sweep(alice, { ...request, grid: {} }));
    expect(empty.message).toMatch(/give 1 to 4 parameters to vary/);
    const unknown = await rejection(service.sweep(alice, { ...request, grid: { fastest: [1, 2] } }));
    expect(unknown.message).toMatch(/fastest/);
    const folds = await rejection(service.sweep(alice, { ...request, folds: 11 }));
    expect(folds.message).toMatch(/folds.*at most 10/);
  });

  it('stores the last fold\'s pick over its out-of-sample candles as a backtest with the sweep\'s figures', async () => {
    const args = z.object(sweepInputShape).parse({ ...request, slippageBps: '7' });
    const view = await service.sweep(alice, args, { workers: 2 });
    const last = view.folds[1]!;
    const before = (await database.db.select({ n: count() }).from(strategies))[0]!.n;
    const stored = await service.storeSweepPick(alice, args, view);
    if (!stored.stored) expect.fail(stored.reason);
    expect(stored.fold).toBe(2);
    expect(stored.matchesSweep, 'the stored run is the sweep\'s out-of-sample run').toBe(true);
    expect((await database.db.select({ n: count() }).from(strategies))[0]!.n, 'one row stored').toBe(before + 1);
    const [row] = await database.db.select().from(strategies).where(eq(strategies.id, stored.backtestId));
    expect(row!.userId).toBe(alice.userId);
    expect(row!.isBacktest).toBe(true);
    const config = row!.config;
    expect([config.kind, config.symbol, config.timeframe, config.from, config.to, config.slippageBps]).toEqual(['sma_cross', 'BTC/USDT', '1h', last.outOfSampleFrom, last.outOfSampleTo, '7']);
    expect(config.params, 'the picked parameters').toMatchObject(last.bestParams);
    const metrics = row!.performanceMetrics as { returnPct: string; buyAndHold: { returnPct: string } };
    expect(metrics.returnPct, 'the out-of-sample return').toBe(last.outOfSampleReturnPct);
    expect(metrics.buyAndHold.returnPct, 'buy-and-hold over the same candles').toBe(last.buyAndHoldReturnPct);
    expect(row!.tradeCount).toBe(last.outOfSampleTrades);
    expect(last.outOfSampleTrades, 'the pick traded out of sample').toBeGreaterThan(0);
    const sharpe = last.outOfSampleSharpe === null ? null : new D(last.outOfSampleSharpe).toDecimalPlaces(10, D.ROUND_HALF_UP).toFixed();
    expect(row!.sharpeRatio === null ? null : new D(row!.sharpeRatio).toFixed(), 'the out-of-sample Sharpe').toBe(sharpe);
    const [{ fills }] = (await database.db.select({ fills: count() }).from(backtestFills).where(eq(backtestFills.strategyId, stored.backtestId))) as [{ fills: number }];
    expect(Number(fills), 'every out-of-sample fill stored').toBe(last.outOfSampleTrades);
    expect(row!.name).toMatch(/^sma_cross BTC\/USDT 1h sweep pick fast \d+, slow \d+ \(out of sample; in sample [+-]\d+\.\d{2}%\)$/);
    // Listed and ranked like any backtest: the leaderboard's Sharpe for it is the out-of-sample one.
    expect((await service.listBacktests(alice)).map((b) => b.id)).toContain(stored.backtestId);
    const board = await new StrategyLeaderboard(database.db).view(alice, undefined, { kind: 'backtests' });
    const ranked = board.rows.find((r) => r.id === stored.backtestId);
    expect(ranked?.sharpe ?? null).toBe(last.outOfSampleSharpe === null ? null : last.outOfSampleSharpe.toFixed(2));
    expect(ranked?.returnPercent).toBe(new D(last.outOfSampleReturnPct).toDecimalPlaces(2).toFixed(2));
    const text = sweepText(view, stored);
    expect(text).toContain(`Stored fold 2's pick over its out-of-sample candles as backtest ${stored.backtestId.slice(0, 8)}`);
    expect(text).not.toMatch(/Nothing was stored|[{}]|undefined|NaN/);
  });

  it('through the tool: a sweep answers and stores its pick; a bad sweep stores nothing', async () => {
    const ctx = { services: { backtest: service }, actor: alice, permissions: 'all' } as unknown as ToolContext;
    const mine = async (): Promise<number> => (await database.db.select({ n: count() }).from(strategies).where(and(eq(strategies.userId, alice.userId), eq(strategies.isBacktest, true))))[0]!.n;
    const before = await mine();
    const result = await sweepStrategy.run(ctx, z.object(sweepInputShape).parse(request));
    expect(result.text).toMatch(/Stored fold 2's pick over its out-of-sample candles as backtest [0-9a-f]{8} \([+-]\d+\.\d{2}%, \d+ fills\)/);
    expect(await mine(), 'one backtest stored').toBe(before + 1);
    for (const bad of [{ ...request, grid: { fast: [5, 10], slow: [1, 2] } }, { ...request, grid: { fastest: [1, 2] } }, { ...request, days: 1, folds: 10 }]) {
      const err = await rejection(Promise.resolve().then(() => sweepStrategy.run(ctx, z.object(sweepInputShape).parse(bad))));
      expect(err.message).toMatch(/valid|fastest|folds need at least/);
    }
    expect(await mine(), 'bad sweeps store nothing').toBe(before + 1);
  });
});
