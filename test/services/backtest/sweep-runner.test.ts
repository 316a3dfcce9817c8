import { afterAll, describe, expect, it } from 'vitest';
import { runSweep } from '../../../src/domain/backtest/sweep.js';
import { dec } from '../../../src/domain/money.js';
import { smaCrossStrategy } from '../../../src/domain/strategy/sma-cross.js';
import { AppError } from '../../../src/services/errors.js';
import { candlesFromWire, candlesToWire, configFromWire, configToWire, idleSweepWorkers, runSweepOnWorkers, stopIdleSweepWorkers, type SweepStats } from '../../../src/services/backtest/sweep-runner.js';
import { closesToCandles, TST_USDT } from '../../domain/strategy/fixtures.js';

const wave = Array.from({ length: 500 }, (_, i) => Math.round((100 + 12 * Math.sin(i / 11) + 3 * Math.sin(i / 3) + i * 0.03) * 100) / 100);
const candles = closesToCandles(wave, 0.5);
const config = { market: TST_USDT, initialCash: dec(1000), feeBps: 10, slippageBps: 5 };
const grid = { fast: [2, 3, 5, 8], slow: [5, 13, 21, 34] };
const walkForward = { folds: 3, inSampleFraction: 0.7, mode: 'rolling' as const };

afterAll(async () => {
  await stopIdleSweepWorkers();
});

describe('runSweepOnWorkers', () => {
  it('gives the same report on 1 and 2 worker threads as in this thread', async () => {
    const one = await runSweepOnWorkers({ strategy: 'sma_cross', grid, walkForward, candles, config, workers: 1 });
    const two = await runSweepOnWorkers({ strategy: 'sma_cross', grid, walkForward, candles, config, workers: 2 });
    const here = runSweep({ ...config, strategy: smaCrossStrategy, grid, walkForward, candles });
    if (!here.ok) expect.fail(here.error.message);
    expect(one.combinations.length, '16 minus fast 5 slow 5, fast 8 slow 5').toBe(14);
    expect(one.skipped.length).toBe(2);
    expect(one.folds.length).toBe(3);
    expect(one.folds.every((f) => f.inSample.length === 14), 'every combination run in every fold').toBe(true);
    expect(JSON.stringify(two), '2 workers = 1 worker').toBe(JSON.stringify(one));
    expect(JSON.stringify(one), 'workers = this thread').toBe(JSON.stringify(here.value));
  });

  it('keeps started workers for the next sweep, which gives the same report and accounts for every window', async () => {
    await stopIdleSweepWorkers();
    const stats: SweepStats[] = [];
    const first = await runSweepOnWorkers({ strategy: 'sma_cross', grid, walkForward, candles, config, workers: 2, onStats: (s) => stats.push(s) });
    expect(idleSweepWorkers(), 'both workers wait in the pool').toBe(2);
    // A different window of candles: the pooled workers must take the new candles, not keep the old.
    const shorter = candles.slice(0, 400);
    const second = await runSweepOnWorkers({ strategy: 'sma_cross', grid, walkForward, candles: shorter, config, workers: 2, onStats: (s) => stats.push(s) });
    const here = runSweep({ ...config, strategy: smaCrossStrategy, grid, walkForward, candles: shorter });
    if (!here.ok) expect.fail(here.error.message);
    expect(JSON.stringify(second), 'pooled workers ran the new candles').toBe(JSON.stringify(here.value));
    expect(JSON.stringify(second), 'a different window gives a different report').not.toBe(JSON.stringify(first));
    expect(stats.map((s) => s.startedWorkers), 'two started for the first sweep, none for the second').toEqual([2, 0]);
    // 14 combinations × 3 folds in sample + 3 out of sample = 45 windows, shared by the two workers.
    expect(stats.map((s) => s.perWorker.reduce((n, w) => n + w.jobs, 0))).toEqual([45, 45]);
    expect(stats.every((s) => s.perWorker.every((w) => w.jobs > 0 && w.busyMs > 0)), 'both workers ran windows').toBe(true);
    await stopIdleSweepWorkers();
    expect(idleSweepWorkers()).toBe(0);
  });

  it('refuses more combinations than allowed, an unknown strategy and a bad worker count, starting no worker', async () => {
    const many = Array.from({ length: 40 }, (_, i) => i + 1);
    await expect(runSweepOnWorkers({ strategy: 'sma_cross', grid: { fast: many, slow: many.slice(0, 30) }, candles, config })).rejects.toThrow(
      'the grid has 1200 combinations (40 fast × 30 slow); at most 1000 are run in one sweep: try fewer values or wider steps',
    );
    const err = await runSweepOnWorkers({ strategy: 'sma_cross', grid: { fast: [2, 3, 4] }, maxCombinations: 2, candles, config }).catch((e: unknown) => e);
    expect(err instanceof AppError && err.code, 'an expected failure').toBe('invalid_input');
    await expect(runSweepOnWorkers({ strategy: 'martingale', grid, candles, config })).rejects.toThrow(/unknown strategy "martingale"/);
    await expect(runSweepOnWorkers({ strategy: 'sma_cross', grid, candles, config, workers: 0 })).rejects.toThrow(/workers must be a whole number from 1 to 16, got 0/);
  });

  it('passes candles and settings to workers as plain values and back unchanged', () => {
    const wire = candlesToWire(candles.slice(0, 3));
    expect(wire.close, 'closes as one string').toBe(wave.slice(0, 3).join(','));
    const back = candlesFromWire(wire);
    expect(back.map((c) => [c.openTime.toISOString(), c.open.toFixed(), c.high.toFixed(), c.low.toFixed(), c.close.toFixed(), c.volume.toFixed()])).toEqual(
      candles.slice(0, 3).map((c) => [c.openTime.toISOString(), c.open.toFixed(), c.high.toFixed(), c.low.toFixed(), c.close.toFixed(), c.volume.toFixed()]),
    );
    const cfg = configFromWire(configToWire({ ...config, makerFeeBps: dec('2.5') }));
    expect([cfg.market.tickSize.toFixed(), cfg.market.minNotional.toFixed(), cfg.initialCash.toFixed(), String(cfg.feeBps), String(cfg.makerFeeBps), 'maxQty' in cfg.market]).toEqual(['0.01', '1', '1000', '10', '2.5', false]);
  });
});
