import { describe, expect, it } from 'vitest';
import { bollingerBands, ema, rsi, seriesFromCandles } from '../../../src/domain/indicators/index.js';
import {
  FEATURE_NAMES, FEATURE_WARMUP, buildDataset, computeFeatures, featuresAt, labelsFor,
} from '../../../src/domain/predict/index.js';
import { D } from '../../../src/domain/money.js';
import type { Candle } from '../../../src/domain/ports.js';
import { ar1Closes, candlesFromCloses } from './fixtures.js';

const closes = ar1Closes(120, 7, 0.3);
const candles = candlesFromCloses(closes);

/** The same candles with every bar after `t` replaced by wild values (a 10x spike and huge volume). */
function withFutureChanged(source: readonly Candle[], t: number): Candle[] {
  return source.map((c, i) =>
    i <= t ? c : { ...c, open: c.open.mul(10), high: c.high.mul(12), low: c.low.mul(9), close: c.close.mul(11), volume: new D(1e9) },
  );
}

describe('features', () => {
  it('has named columns and a warm-up of exactly FEATURE_WARMUP bars', () => {
    const f = computeFeatures(candles);
    expect(f.names).toEqual([
      'return_1', 'return_4', 'return_12', 'return_24', 'volatility_24', 'rsi_14', 'ema_distance_20',
      'bollinger_percent_b_20', 'volume_ratio_20',
    ]);
    expect(FEATURE_WARMUP, 'the 24-bar return and volatility need 24 earlier bars').toBe(24);
    expect(f.rows[FEATURE_WARMUP - 1], 'last warm-up bar has no row').toBeUndefined();
    expect(f.rows[FEATURE_WARMUP]?.length).toBe(FEATURE_NAMES.length);
    expect(f.rows.filter((r) => r !== undefined).length).toBe(120 - FEATURE_WARMUP);
  });

  it('computes each value from the bars up to t, reusing the domain indicators', () => {
    const f = computeFeatures(candles);
    const cols = seriesFromCandles(candles);
    const c = cols.close;
    const t = 50;
    const row = f.rows[t]!;
    expect(row[0]).toBeCloseTo(c[t]! / c[t - 1]! - 1, 15);
    expect(row[1]).toBeCloseTo(c[t]! / c[t - 4]! - 1, 15);
    expect(row[2]).toBeCloseTo(c[t]! / c[t - 12]! - 1, 15);
    expect(row[3]).toBeCloseTo(c[t]! / c[t - 24]! - 1, 15);
    const logReturns = Array.from({ length: 24 }, (_, k) => Math.log(c[t - k]! / c[t - k - 1]!));
    const mean = logReturns.reduce((s, x) => s + x, 0) / 24;
    const sd = Math.sqrt(logReturns.reduce((s, x) => s + (x - mean) ** 2, 0) / 24);
    expect(row[4]).toBeCloseTo(sd, 12);
    expect(row[5], 'RSI is the indicator module\'s').toBe(rsi(c, 14)[t]);
    expect(row[6]).toBe(c[t]! / ema(c, 20)[t]! - 1);
    expect(row[7]).toBe(bollingerBands(c, { period: 20 }).percentB[t]);
    const v = cols.volume;
    const avg = Array.from({ length: 20 }, (_, k) => v[t - k]!).reduce((s, x) => s + x, 0) / 20;
    expect(row[8]).toBeCloseTo(v[t]! / avg, 12);
  });

  it('volume ratio is hand-checkable: one bar of 300 after nineteen of 100', () => {
    const flat = Array.from({ length: 30 }, (_, i) => 100 + i);
    const volumes = Array.from({ length: 30 }, (_, i) => (i === 29 ? 300 : 100));
    const row = computeFeatures(candlesFromCloses(flat, volumes)).rows[29]!;
    expect(row[8], '300 / ((19·100 + 300) / 20) = 300 / 110').toBeCloseTo(300 / 110, 12);
    expect(row[0]).toBeCloseTo(129 / 128 - 1, 12);
  });

  it('does not look ahead: changing every bar after t leaves rows 0..t unchanged', () => {
    const base = computeFeatures(candles);
    for (const t of [FEATURE_WARMUP, 40, 77, 118]) {
      const leaked = computeFeatures(withFutureChanged(candles, t));
      for (let i = 0; i <= t; i++) expect(leaked.rows[i], `row ${i} changed when bars after ${t} changed`).toEqual(base.rows[i]);
      expect(leaked.rows[t + 1], `row ${t + 1} must see its own (changed) bar`).not.toEqual(base.rows[t + 1]);
    }
  });

  it('featuresAt sees only the window up to t, and the batch rows agree with it', () => {
    const base = computeFeatures(candles);
    for (const t of [FEATURE_WARMUP - 1, FEATURE_WARMUP, 33, 60, 119]) {
      const windowed = featuresAt(candles, t);
      expect(windowed, `featuresAt(${t}) must equal the batch row`).toEqual(base.rows[t]);
      expect(featuresAt(withFutureChanged(candles, t), t)).toEqual(windowed);
      expect(featuresAt(candles.slice(0, t + 1), t)).toEqual(windowed);
    }
    expect(() => featuresAt(candles, 120)).toThrow(/bar index/);
  });
});

describe('labels', () => {
  it('are the return and direction h bars on, undefined where the future is unknown', () => {
    const labels = labelsFor([100, 110, 99, 99], 1);
    expect(labels[0]).toEqual({ futureReturn: 110 / 100 - 1, futureClose: 110, up: true });
    expect(labels[1]).toEqual({ futureReturn: 99 / 110 - 1, futureClose: 99, up: false });
    expect(labels[2], 'an unchanged close is not up').toEqual({ futureReturn: 0, futureClose: 99, up: false });
    expect(labels[3]).toBeUndefined();
    const two = labelsFor([100, 110, 99, 99], 2);
    expect(two.map((l) => l?.up)).toEqual([false, false, undefined, undefined]);
    expect(() => labelsFor([1, 2], 0)).toThrow(/horizon/);
  });

  it('the data set joins rows and labels; changing the future moves labels, never features', () => {
    const h = 4;
    const ds = buildDataset(computeFeatures(candles), h);
    expect(ds.samples[0]!.index).toBe(FEATURE_WARMUP);
    expect(ds.samples[ds.samples.length - 1]!.index, 'the last h bars have no label yet').toBe(119 - h);
    expect(ds.samples.length).toBe(120 - FEATURE_WARMUP - h);
    const t = 60;
    const changed = buildDataset(computeFeatures(withFutureChanged(candles, t)), h);
    const before = ds.samples.find((s) => s.index === t)!;
    const after = changed.samples.find((s) => s.index === t)!;
    expect(after.x).toEqual(before.x);
    expect(after.futureReturn, 'the label at t reads bar t + h, which changed').not.toBe(before.futureReturn);
  });
});
