// The technical summary on shaped markets (trend up, trend down, range), its levels, expiry, error
// results and invariants over random walks.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  MIN_CANDLES_FOR_SUMMARY, SIGNAL_VALIDITY_CANDLES, describeSignal, formatNumber, summarizeTechnicals, supportResistance,
} from '../../src/domain/analysis.js';
import type { TechnicalSummary } from '../../src/domain/analysis.js';
import type { OhlcvSeries } from '../../src/domain/indicators/index.js';
import { dec } from '../../src/domain/money.js';
import type { Candle } from '../../src/domain/ports.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2025, 0, 1);

function mulberry32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Hourly bars following `path(i)` with small noise; volume larger on up bars when `accumulate`. */
function bars(n: number, path: (i: number) => number, seed = 1, options: { accumulate?: boolean; noise?: number } = {}): OhlcvSeries {
  const r = mulberry32(seed);
  const noise = options.noise ?? 0.002;
  const s = { open: [] as number[], high: [] as number[], low: [] as number[], close: [] as number[], volume: [] as number[], time: [] as number[] };
  let previous = path(0);
  for (let i = 0; i < n; i++) {
    const close = path(i) * (1 + (r() - 0.5) * noise);
    const open = previous;
    s.open.push(open);
    s.close.push(close);
    s.high.push(Math.max(open, close) * (1 + r() * noise));
    s.low.push(Math.min(open, close) * (1 - r() * noise));
    const up = close >= open;
    s.volume.push(100 * (0.8 + 0.4 * r()) * (options.accumulate === undefined ? 1 : up === options.accumulate ? 1.6 : 0.6));
    s.time.push(T0 + i * HOUR);
    previous = close;
  }
  return s;
}

function summarize(series: OhlcvSeries, nowOffsetBars = 0): TechnicalSummary {
  const n = series.close.length;
  const result = summarizeTechnicals({ symbol: 'BTC/USDT', timeframe: '1h', candles: series, now: new Date(T0 + (n + nowOffsetBars) * HOUR) });
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

function expectNoNaN(value: unknown, path = 'summary'): void {
  if (typeof value === 'number') expect(Number.isFinite(value), `${path} is ${value}`).toBe(true);
  else if (value instanceof Date) expect(Number.isNaN(value.getTime()), `${path} is an invalid date`).toBe(false);
  else if (Array.isArray(value)) value.forEach((v, i) => expectNoNaN(v, `${path}[${i}]`));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) expectNoNaN(v, `${path}.${k}`);
}

describe('technical summary', () => {
  it('reads a steady uptrend with rising volume as a buy', () => {
    const s = summarize(bars(300, (i) => 50_000 * Math.exp(0.002 * i + 0.01 * Math.sin(i / 5)), 2, { accumulate: true }));
    expect(['buy', 'strong_buy'], `signal ${s.signal}, score ${s.score}`).toContain(s.signal);
    expect(s.action).toBe('buy');
    expect(s.trend.alignment).toBe('bullish');
    expect(s.trend.direction).toBe('up');
    expect(s.trend.ema200, 'EMA 200 is defined with 300 candles').not.toBeNull();
    expect(s.volume.obvTrend).toBe('rising');
    expect(s.reasons.join(' | ')).toMatch(/above EMA 20, EMA 50 and EMA 200/);
    expect(s.confidence, 'components agree and the trend is clear').toBeGreaterThan(0.6);
  });

  it('reads a steady downtrend as a sell', () => {
    const s = summarize(bars(300, (i) => 3_000 * Math.exp(-0.002 * i + 0.01 * Math.sin(i / 5)), 3, { accumulate: false }));
    expect(['sell', 'strong_sell'], `signal ${s.signal}, score ${s.score}`).toContain(s.signal);
    expect(s.action).toBe('sell');
    expect(s.trend.alignment).toBe('bearish');
    expect(s.trend.direction).toBe('down');
    expect(s.score).toBeLessThan(-0.2);
  });

  it('reads a choppy range as trendless, with support and resistance at its edges', () => {
    const series = bars(300, (i) => 150 + 4 * Math.sin((2 * Math.PI * i) / 10), 4, { noise: 0.01 });
    const s = summarize(series);
    expect(s.trend.strength, `ADX ${s.trend.adx}`).toBe('none');
    expect(s.trend.direction).toBe('sideways');
    expect(Math.abs(s.score), 'no strong call in a range').toBeLessThan(0.4);
    expect(s.levels.support.length, 'a support level below').toBeGreaterThan(0);
    expect(s.levels.resistance.length, 'a resistance level above').toBeGreaterThan(0);
    const lowest = Math.min(...s.levels.support.map((l) => l.price));
    const highest = Math.max(...s.levels.resistance.map((l) => l.price));
    expect(lowest, 'support near the bottom of the range (146 less the wicks)').toBeGreaterThan(143);
    expect(lowest).toBeLessThan(147);
    expect(highest, 'resistance near the top of the range (154 plus the wicks)').toBeGreaterThan(153);
    expect(highest).toBeLessThan(157);
    expect(s.levels.support.find((l) => l.price === lowest)!.touches, 'the range bottom was touched many times').toBeGreaterThan(5);
  });

  it('signals neutral on a flat, quiet market with high confidence in neutrality', () => {
    const s = summarize(bars(250, () => 100, 5, { noise: 0.0005 }));
    expect(s.signal).toBe('neutral');
    expect(s.action).toBe('hold');
    expect(s.strength).toBeLessThan(0.2);
  });

  it('expires a fixed number of candles after `now`', () => {
    const series = bars(100, (i) => 100 + i, 6);
    const now = new Date(T0 + 100 * HOUR + 1234);
    const result = summarizeTechnicals({ symbol: 'SOL/USDT', timeframe: '4h', candles: series, now, simulated: true });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.expiresAt.getTime() - now.getTime()).toBe(SIGNAL_VALIDITY_CANDLES * 4 * HOUR);
    expect(result.value.generatedAt.getTime()).toBe(now.getTime());
    expect(result.value.asOf.getTime()).toBe(T0 + 99 * HOUR);
    expect(result.value.simulated).toBe(true);
    expect(describeSignal(result.value)).toMatch(/^SOL\/USDT 4h: (STRONG )?(BUY|SELL|NEUTRAL) \(strength \d\.\d\d, confidence \d\.\d\d\) \[SIMULATED\]$/);
  });

  it('uses only complete candles for volume', () => {
    const series = bars(100, (i) => 100 + Math.sin(i), 7);
    (series.volume as number[])[99] = 1; // the forming candle has barely traded yet
    const forming = summarize(series, -0.5);
    expect(forming.volume.last, 'the forming candle is skipped').toBe(series.volume[98]);
    const complete = summarize(series, 0);
    expect(complete.volume.last, 'once closed it counts').toBe(1);
  });

  it('keeps the exact last close from decimal candles', () => {
    const s = bars(60, (i) => 65_000 + i * 10, 8);
    const candles: Candle[] = Array.from({ length: 60 }, (_, i) => ({
      symbol: 'BTC/USDT', exchange: 'sim', timeframe: '1h', openTime: new Date(s.time[i]!),
      open: dec(s.open[i]!.toFixed(1)), high: dec(s.high[i]!.toFixed(1)), low: dec(s.low[i]!.toFixed(1)),
      close: dec(i === 59 ? '65590.123456789012345' : s.close[i]!.toFixed(1)), volume: dec(s.volume[i]!.toFixed(3)),
    }));
    const result = summarizeTechnicals({ symbol: 'BTC/USDT', timeframe: '1h', candles, now: new Date(T0 + 60 * HOUR) });
    expect(result.ok && result.value.price).toBe('65590.123456789012345');
    expect(result.ok && result.value.trend.ema50, 'EMA 50 defined from 50 candles').not.toBeNull();
    expect(result.ok && result.value.trend.ema200, 'EMA 200 needs 200 candles').toBeNull();
  });

  it('returns errors rather than throwing on too few or disordered candles', () => {
    const few = summarizeTechnicals({ symbol: 'ETH/USDT', timeframe: '1d', candles: bars(10, () => 3000), now: new Date(T0) });
    expect(few).toEqual({
      ok: false,
      code: 'insufficient_data',
      error: `need at least ${MIN_CANDLES_FOR_SUMMARY} candles for ETH/USDT 1d, got 10; backfill more history or choose a shorter timeframe`,
    });
    const series = bars(50, () => 3000);
    (series.time as number[]).reverse();
    const disordered = summarizeTechnicals({ symbol: 'ETH/USDT', timeframe: '1h', candles: series, now: new Date(T0) });
    expect(disordered.ok === false && disordered.code).toBe('invalid_candles');
  });

  it('is deterministic, JSON-safe and bounded on random walks', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: MIN_CANDLES_FOR_SUMMARY, max: 400 }), fc.constantFrom(0.0001, 1, 60_000), (seed, n, level) => {
        const r = mulberry32(seed);
        let p = level;
        const series = bars(n, () => (p *= Math.exp((r() - 0.5) * 0.03)), seed);
        const a = summarize(series);
        const b = summarize(series);
        expect(a).toEqual(b);
        expectNoNaN(a);
        expect(a.strength).toBeGreaterThanOrEqual(0);
        expect(a.strength).toBeLessThanOrEqual(1);
        expect(a.confidence).toBeGreaterThanOrEqual(0);
        expect(a.confidence).toBeLessThanOrEqual(1);
        expect(a.reasons.length).toBeGreaterThanOrEqual(4);
        for (const l of a.levels.support) expect(l.price).toBeLessThan(series.close[n - 1]!);
        for (const l of a.levels.resistance) expect(l.price).toBeGreaterThan(series.close[n - 1]!);
        const roundTrip = JSON.parse(JSON.stringify(a)) as Record<string, unknown>;
        expect(roundTrip.signal).toBe(a.signal);
      }),
      { numRuns: 60 },
    );
  });
});

describe('support and resistance', () => {
  it('clusters swings within the tolerance and counts touches', () => {
    const high = [10, 12, 10, 9, 10, 12.1, 10, 9, 10, 11.9, 10, 9, 10];
    const low = high.map((h) => h - 3);
    const close = high.map((h) => h - 1);
    close[close.length - 1] = 9.5;
    const levels = supportResistance({ high, low, close }, { tolerance: 0.3, wing: 1 });
    expect(levels.resistance[0]?.touches, 'three tops near 12').toBe(3);
    expect(levels.resistance[0]?.price).toBeCloseTo(12, 5);
    expect(levels.support[0]?.price, 'lows near 6').toBeCloseTo(6, 5);
  });
});

describe('formatNumber', () => {
  it('formats prices for sentences', () => {
    expect(formatNumber(64_250.4)).toBe('64,250');
    expect(formatNumber(151.372)).toBe('151.37');
    expect(formatNumber(0.53214)).toBe('0.5321');
    expect(formatNumber(0.0000123456)).toBe('0.00001235');
    expect(formatNumber(0)).toBe('0');
  });
});
