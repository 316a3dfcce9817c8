import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { runSweep } from '../../../src/domain/backtest/sweep.js';
import { D, dec } from '../../../src/domain/money.js';
import { smaCrossStrategy } from '../../../src/domain/strategy/sma-cross.js';
import { closedCandle } from '../../../src/domain/strategy/kernel.js';
import { AppError } from '../../../src/services/errors.js';
import { candlesFromWire, candlesToWire, closeNumbersFromWire, configFromWire, configToWire, idleSweepWorkers, runSweepOnWorkers, stopIdleSweepWorkers, type SweepStats } from '../../../src/services/backtest/sweep-runner.js';
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

  it('runs all folds as one queue (anchored folds, out-of-sample runs between in-sample ones) with the same report as this thread', async () => {
    const anchored = { folds: 4, inSampleFraction: 0.6, mode: 'anchored' as const };
    const progress: Array<[number, number]> = [];
    const two = await runSweepOnWorkers({ strategy: 'sma_cross', grid, walkForward: anchored, objective: 'returnPct', candles, config, workers: 2, onProgress: (d, t) => progress.push([d, t]) });
    const here = runSweep({ ...config, strategy: smaCrossStrategy, grid, walkForward: anchored, objective: 'returnPct', candles });
    if (!here.ok) expect.fail(here.error.message);
    expect(two.folds.map((f) => f.fold.inSample.start), 'anchored: every fold from candle 0').toEqual([0, 0, 0, 0]);
    expect(JSON.stringify(two), '2 workers = this thread').toBe(JSON.stringify(here.value));
    // 14 combinations × 4 folds + 4 out-of-sample runs, counted once each, in order.
    expect(progress.map(([d]) => d)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(progress.every(([, t]) => t === 60)).toBe(true);
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

  it('carries any decimal through the wire exactly: the same value, and the same number as toNumber()', () => {
    const decimalText = fc.tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 40n }), fc.integer({ min: 0, max: 45 })).map(([neg, digits, scale]) => {
      const text = digits.toString().padStart(scale + 1, '0');
      return `${neg ? '-' : ''}${text.slice(0, text.length - scale)}${scale > 0 ? `.${text.slice(-scale)}` : ''}`;
    });
    const base = candles[0]!;
    fc.assert(
      fc.property(fc.array(fc.tuple(decimalText, decimalText), { minLength: 1, maxLength: 4 }), (pairs) => {
        const input = pairs.map(([a, b], i) => ({ ...base, openTime: new Date(base.openTime.getTime() + i * 60_000), open: dec(a), high: dec(b), low: dec(a), close: dec(b), volume: dec(a) }));
        const wire = candlesToWire(input);
        const back = candlesFromWire(wire);
        const numbers = closeNumbersFromWire(wire);
        input.forEach((c, i) => {
          for (const f of ['open', 'high', 'low', 'close', 'volume'] as const) {
            expect(back[i]![f].eq(c[f]) && back[i]![f].isNeg() === c[f].isNeg(), `${f} of ${c[f].toFixed()}`).toBe(true);
            expect(back[i]![f].toFixed()).toBe(c[f].toFixed());
          }
          expect(Object.is(numbers[i], c.close.toNumber()), `close ${c.close.toFixed()} as a number`).toBe(true);
        });
      }),
      { numRuns: 300 },
    );
    const odd = ['NaN', 'Infinity', '-Infinity', '-0', '1e-30', '123456789012345678901234567890.5'].map((x) => new D(x));
    const back = candlesFromWire(candlesToWire(odd.map((x) => ({ ...base, open: x, high: x, low: x, close: x, volume: x }))));
    expect(back.map((c) => c.close.toString())).toEqual(['NaN', 'Infinity', '-Infinity', '0', '0.000000000000000000000000000001', '123456789012345678901234567890.5']);
    expect(back[3]!.close.isNeg(), 'minus zero keeps its sign').toBe(true);
  });

  it('passes candles and settings to workers as plain values and back unchanged', () => {
    const wire = candlesToWire(candles.slice(0, 3));
    expect([wire.openTimes.length, wire.starts.length], 'three candles').toEqual([3, 3]);
    const back = candlesFromWire(wire);
    expect(back.map((c) => [c.openTime.toISOString(), c.open.toFixed(), c.high.toFixed(), c.low.toFixed(), c.close.toFixed(), c.volume.toFixed()])).toEqual(
      candles.slice(0, 3).map((c) => [c.openTime.toISOString(), c.open.toFixed(), c.high.toFixed(), c.low.toFixed(), c.close.toFixed(), c.volume.toFixed()]),
    );
    // The decimals are parsed when read: a copy (as a strategy's closed candle is made) carries them.
    const copy = closedCandle(back[1]!);
    expect([copy.open.toFixed(), copy.close.toFixed(), copy.volume.toFixed(), { ...back[2]! }.high.toFixed()]).toEqual([candles[1]!.open.toFixed(), wave[1]!.toString(), candles[1]!.volume.toFixed(), candles[2]!.high.toFixed()]);
    expect(back[1]!.close, 'parsed once, then the same value object').toBe(back[1]!.close);
    expect(Array.from(closeNumbersFromWire(candlesToWire(candles))), 'the closes as numbers straight from the wire').toEqual(candles.map((c) => c.close.toNumber()));
    const cfg = configFromWire(configToWire({ ...config, makerFeeBps: dec('2.5') }));
    expect([cfg.market.tickSize.toFixed(), cfg.market.minNotional.toFixed(), cfg.initialCash.toFixed(), String(cfg.feeBps), String(cfg.makerFeeBps), 'maxQty' in cfg.market]).toEqual(['0.01', '1', '1000', '10', '2.5', false]);
  });
});
