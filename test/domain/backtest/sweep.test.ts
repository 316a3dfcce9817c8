import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runBacktest } from '../../../src/domain/backtest/backtest.js';
import { describeSweep, expandGrid, pickBest, runSweep, type RunFigures } from '../../../src/domain/backtest/sweep.js';
import { dec } from '../../../src/domain/money.js';
import { parseStrategyParams, type Strategy } from '../../../src/domain/strategy/kernel.js';
import { smaCrossStrategy } from '../../../src/domain/strategy/sma-cross.js';
import { momentumStrategy } from '../../../src/domain/strategy/momentum.js';
import { closesToCandles, plain, TST_USDT } from '../strategy/fixtures.js';
import { errorOf, expectDec, unwrap } from '../trading-fixtures.js';

/** Buys `allocation` of the cash at market on the close of candle `delay` of its window, then holds. */
const holdParams = z
  .object({ allocation: z.number().gt(0).max(1), delay: z.number().int().min(0).max(10) })
  .strict()
  .refine((p) => p.delay < 3, { message: 'delay must be below 3', path: ['delay'] });
type HoldParams = z.infer<typeof holdParams>;
const holdStrategy: Strategy<HoldParams, null> = {
  kind: 'hold',
  summary: 'buys once and holds',
  params: holdParams,
  init: () => null,
  onCandle: ({ params, candles, portfolio }) =>
    candles.length === params.delay + 1 ? { orders: [{ side: 'buy', type: 'market', quoteAmount: portfolio.cash.mul(params.allocation) }] } : {},
};

const NO_COSTS = { market: TST_USDT, initialCash: dec(1000), feeBps: 0, slippageBps: 0 };

describe('expandGrid', () => {
  it('expands in key order, last key fastest, and skips (and counts) what the schema refuses', () => {
    const grid = unwrap(expandGrid(holdStrategy, { allocation: [0.5, 1], delay: [0, 4, 2] }));
    expect(grid.combinations.map((c) => [c.index, c.raw]), 'valid combinations in grid order').toEqual([
      [0, { allocation: 0.5, delay: 0 }],
      [1, { allocation: 0.5, delay: 2 }],
      [2, { allocation: 1, delay: 0 }],
      [3, { allocation: 1, delay: 2 }],
    ]);
    expect(grid.skipped.map((s) => [s.raw, s.reason]), 'delay 4 is refused twice').toEqual([
      [{ allocation: 0.5, delay: 4 }, 'invalid hold parameters: delay: delay must be below 3; hold takes allocation, delay'],
      [{ allocation: 1, delay: 4 }, 'invalid hold parameters: delay: delay must be below 3; hold takes allocation, delay'],
    ]);
  });

  it('merges the grid over base parameters and validates through the strategy (fast ≥ slow skipped)', () => {
    const grid = unwrap(expandGrid(smaCrossStrategy, { fast: [5, 10, 20], slow: [10, 50] }, { baseParams: { allocation: '0.5' } }));
    expect(grid.combinations.map((c) => [c.params.fast, c.params.slow, plain(c.params.allocation)])).toEqual([
      [5, 10, '0.5'],
      [5, 50, '0.5'],
      [10, 50, '0.5'],
      [20, 50, '0.5'],
    ]);
    expect(grid.skipped.map((s) => s.raw), 'fast 10 slow 10 and fast 20 slow 10 are refused').toEqual([
      { allocation: '0.5', fast: 10, slow: 10 },
      { allocation: '0.5', fast: 20, slow: 10 },
    ]);
    expect(grid.skipped[0]!.reason).toMatch(/slow must be longer than fast/);
  });

  it('refuses grids that are too large, empty, name unknown parameters or hold nothing valid', () => {
    const many = Array.from({ length: 40 }, (_, i) => i + 1);
    expect(errorOf(expandGrid(smaCrossStrategy, { fast: many, slow: many.slice(0, 30) })).message).toBe(
      'the grid has 1200 combinations (40 fast × 30 slow); at most 1000 are run in one sweep: try fewer values or wider steps',
    );
    expect(errorOf(expandGrid(smaCrossStrategy, { fast: [1, 2, 3] }, { maxCombinations: 2 })).message).toMatch(/^the grid has 3 combinations \(3 fast\); at most 2/);
    expect(errorOf(expandGrid(smaCrossStrategy, {})).message).toMatch(/grid is empty/);
    expect(errorOf(expandGrid(smaCrossStrategy, { fast: [] })).message).toMatch(/fast needs a non-empty list/);
    expect(errorOf(expandGrid(smaCrossStrategy, { fats: [5] })).message).toBe('unknown parameter "fats" in the grid; sma_cross takes fast, slow, allocation');
    expect(errorOf(expandGrid(smaCrossStrategy, { fast: [50], slow: [10] })).message).toMatch(/^none of the 1 combinations is valid; the first was refused with: invalid sma_cross parameters: slow: slow must be longer than fast/);
  });
});

describe('pickBest', () => {
  const fig = (sharpe: number | null, returnPct: string): RunFigures => ({
    returnPct: dec(returnPct), totalPnl: dec(0), finalEquity: dec(0), sharpe, maxDrawdown: dec(0), maxDrawdownFraction: 0,
    trades: 0, roundTrips: 0, winRate: null, fees: dec(0), buyAndHold: { returnPct: dec(0), pnl: dec(0) },
  });
  it('ranks by Sharpe (none ranks last) or return, ties to the first in grid order', () => {
    expect(pickBest([fig(null, '9'), fig(1.5, '1'), fig(2, '2'), fig(2, '3')], 'sharpe'), 'the first of the two 2.0s').toBe(2);
    expect(pickBest([fig(null, '9'), fig(null, '1')], 'sharpe'), 'no Sharpe anywhere: the first').toBe(0);
    expect(pickBest([fig(-1, '9'), fig(null, '10')], 'sharpe'), 'a negative Sharpe beats none').toBe(0);
    expect(pickBest([fig(3, '1'), fig(1, '4'), fig(2, '4')], 'returnPct'), 'the first of the two 4%').toBe(1);
  });
});

describe('runSweep', () => {
  // 15 in-sample candles rising 100 → 114, then 5 out-of-sample candles falling to 100; no fees or
  // slippage. One fold at 75% in-sample: O = floor(20 × 0.25 / 1) = 5, I = 15.
  const closes = [100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 113, 110, 108, 105, 100];
  const series = closesToCandles(closes);
  const report = unwrap(
    runSweep({ ...NO_COSTS, strategy: holdStrategy, candles: series, grid: { allocation: [0.5, 1], delay: [0, 4, 2] }, objective: 'returnPct', walkForward: { folds: 1, inSampleFraction: 0.75 } }),
  );
  const fold = report.folds[0]!;

  it('runs every combination in-sample and picks the known best', () => {
    expect(fold.fold, 'one fold').toEqual({ index: 0, inSample: { start: 0, end: 15 }, outOfSample: { start: 15, end: 20 } });
    // (0.5, 0): 5 at 100, 500 + 5 × 114 = 1070 → 7%. (0.5, 2): 4.901 at 102 → 500.098 + 558.714 = 1058.812.
    // (1, 0): 10 at 100 → 1140 → 14%. (1, 2): 9.803 at 102 → 0.094 + 1117.542 = 1117.636.
    expect(fold.inSample.map((f) => plain(f.returnPct)), 'in-sample returns in grid order').toEqual(['7', '5.8812', '14', '11.7636']);
    expect(fold.best, 'all in at the first close wins on a steady rise').toBe(2);
    expect(fold.bestParams).toEqual({ allocation: 1, delay: 0 });
    expect(report.skipped.length, 'the two delay-4 combinations').toBe(2);
  });

  it('reports the pick over the out-of-sample candles, equal to a direct backtest there, beside buy-and-hold', () => {
    // Decides on candle 15's close, buys at candle 16's open 113: 8.849 for 999.937; at 100: 884.963 → −11.5037%.
    expectDec(fold.outOfSample.returnPct, '-11.5037', 'out-of-sample return of the in-sample best');
    // Buy-and-hold from candle 15's open 114: 8.771 for 999.894; at 100: 877.206 → −12.2794%.
    expectDec(fold.outOfSample.buyAndHold.returnPct, '-12.2794', 'buy-and-hold over the same candles');
    const direct = unwrap(runBacktest({ ...NO_COSTS, strategy: holdStrategy, params: unwrap(parseStrategyParams(holdStrategy, { allocation: 1, delay: 0 })), candles: series.slice(15, 20) }));
    expectDec(fold.outOfSample.returnPct, direct.metrics.returnPct, 'same as a direct run on the out-of-sample window');
    expectDec(fold.outOfSample.finalEquity, direct.metrics.finalEquity, 'same final equity');
    expect(fold.outOfSample.sharpe).toBe(direct.metrics.sharpe);
    expectDec(report.outOfSampleReturnPct, '-11.5037', 'one fold: compounded = its own');
    expectDec(report.buyAndHoldReturnPct, '-12.2794', 'one fold: compounded = its own');
    expect(describeSweep(report)).toEqual([
      'fold 1: best in-sample allocation 1, delay 0 (14.00%), out-of-sample -11.50% vs buy-and-hold -12.28%',
      'out-of-sample overall -11.50% vs buy-and-hold -12.28%; 4 combinations run, 2 skipped',
    ]);
  });

  it('by Sharpe over several folds: each pick is the best direct in-sample Sharpe, and its out-of-sample run is a direct run', () => {
    const wave = Array.from({ length: 400 }, (_, i) => Math.round((100 + 10 * Math.sin(i / 9) + i * 0.05) * 100) / 100);
    const candles = closesToCandles(wave, 0.5);
    const config = { market: TST_USDT, initialCash: dec(1000), feeBps: 10, slippageBps: 5 };
    const grid = { fast: [2, 4, 8], slow: [6, 16, 30] };
    const r = unwrap(runSweep({ ...config, strategy: smaCrossStrategy, candles, grid, walkForward: { folds: 2, inSampleFraction: 0.6, mode: 'anchored' } }));
    expect(r.combinations.length, '9 minus fast 8 slow 6').toBe(8);
    expect(r.objective).toBe('sharpe');
    let compounded = dec(1);
    let hold = dec(1);
    for (const f of r.folds) {
      const sharpes = r.combinations.map((c) => {
        const params = unwrap(parseStrategyParams(smaCrossStrategy, c.params));
        return unwrap(runBacktest({ ...config, strategy: smaCrossStrategy, params, candles: candles.slice(f.fold.inSample.start, f.fold.inSample.end) })).metrics.sharpe ?? -Infinity;
      });
      expect(f.inSample.map((x) => x.sharpe ?? -Infinity), `fold ${f.fold.index} in-sample Sharpes`).toEqual(sharpes);
      expect(f.best, `fold ${f.fold.index}: the first highest Sharpe`).toBe(sharpes.indexOf(Math.max(...sharpes)));
      const params = unwrap(parseStrategyParams(smaCrossStrategy, f.bestParams));
      const oos = unwrap(runBacktest({ ...config, strategy: smaCrossStrategy, params, candles: candles.slice(f.fold.outOfSample.start, f.fold.outOfSample.end) }));
      expectDec(f.outOfSample.returnPct, oos.metrics.returnPct, `fold ${f.fold.index} out-of-sample return`);
      expectDec(f.outOfSample.buyAndHold.returnPct, oos.buyAndHold.returnPct, `fold ${f.fold.index} buy-and-hold`);
      compounded = compounded.mul(oos.metrics.returnPct.div(100).add(1));
      hold = hold.mul(oos.buyAndHold.returnPct.div(100).add(1));
    }
    expectDec(r.outOfSampleReturnPct, compounded.sub(1).mul(100), 'folds compounded');
    expectDec(r.buyAndHoldReturnPct, hold.sub(1).mul(100), 'buy-and-hold compounded');
    const again = unwrap(runSweep({ ...config, strategy: smaCrossStrategy, candles, grid, walkForward: { folds: 2, inSampleFraction: 0.6, mode: 'anchored' } }));
    expect(JSON.stringify(again), 'deterministic').toBe(JSON.stringify(r));
  });

  it('refuses a window too short for the folds and passes on the backtester\'s refusals', () => {
    expect(errorOf(runSweep({ ...NO_COSTS, strategy: holdStrategy, candles: series.slice(0, 4), grid: { delay: [0] }, baseParams: { allocation: 1 } })).message).toMatch(/4 candles are too few for 3 folds/);
    expect(errorOf(runSweep({ ...NO_COSTS, initialCash: dec(0), strategy: momentumStrategy, candles: series, grid: { fast: [2] }, walkForward: { folds: 1 } })).message).toMatch(/initial cash must be greater than zero/);
  });
});
