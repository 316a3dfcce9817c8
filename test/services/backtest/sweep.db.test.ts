// Walk-forward sweeps through the backtest service on the simulated market: every combination run
// in sample, the in-sample best judged out of sample and equal to a direct backtest of those
// parameters over the same candles, buy-and-hold beside it, bad grids refused before any candle is
// read, and nothing stored.
import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimMarket } from '../../../src/adapters/sim-market/index.js';
import type { Database } from '../../../src/db/client.js';
import { strategies } from '../../../src/db/schema/index.js';
import { runBacktest } from '../../../src/domain/backtest/index.js';
import { D } from '../../../src/domain/money.js';
import { TIMEFRAME_MS } from '../../../src/domain/ports.js';
import { parseStrategyParams, smaCrossStrategy } from '../../../src/domain/strategy/index.js';
import type { Actor } from '../../../src/services/actor.js';
import { BacktestService, DEFAULT_FEE_BPS, DEFAULT_INITIAL_CASH, DEFAULT_SLIPPAGE_BPS } from '../../../src/services/backtest/backtest-service.js';
import type { MarketService } from '../../../src/services/market-data/market-service.js';
import { simSources } from '../../../src/services/market-data/sources.js';
import { sweepText } from '../../../src/tools/strategy/sweep-strategy.js';
import { createTestDatabase } from '../../support/db.js';
import { T0, idleTimers, manualClock, newActor, rejection, simMarketService } from '../market/support.js';

let database: Database;
const clock = manualClock(T0);
let market: MarketService;
let service: BacktestService;
let alice: Actor;

beforeAll(async () => {
  database = await createTestDatabase();
  const sim = new SimMarket({ seed: 7, clock, timers: idleTimers });
  ({ market } = await simMarketService(database, clock, { sources: simSources({ seed: 7, clock, sim }) }));
  service = new BacktestService({ db: database.db, market, clock });
  alice = await newActor(database, 'alice');
});
afterAll(async () => {
  await market?.close();
  await database?.close();
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
});
