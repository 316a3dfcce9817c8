// Indicators against two reference libraries on the same generated data (relative error ≤ 1e-9 after
// warm-up), batch vs streaming bit for bit, warm-up lengths, numerical stability and input checks.
//
// Conventions checked here: EMA/MACD seed with the simple average (technicalindicators; trading-signals
// seeds EMA with the first value, shown converging below); RSI is Wilder's and is compared with
// trading-signals (technicalindicators rounds RSI to 2 decimals); ATR/ADX start true ranges at the
// second bar (technicalindicators / TA-Lib); Stochastic (14, 1, 3) is compared with technicalindicators
// and (14, 3, 3) with trading-signals.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as ti from 'technicalindicators';
import * as ts from 'trading-signals';
import {
  AdxStream, AtrStream, BollingerStream, EmaStream, MacdStream, ObvStream, RsiStream, SmaStream, StochasticStream,
  VwapStream, WmaStream, adx, atr, bollingerBands, ema, macd, obv, rsi, seriesFromCandles, sma, stochastic, valueAt,
  vwap, wma,
} from '../../src/domain/indicators/index.js';
import { dec } from '../../src/domain/money.js';
import type { Candle } from '../../src/domain/ports.js';

function mulberry32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Data { open: number[]; high: number[]; low: number[]; close: number[]; volume: number[]; time: number[] }

/** A random walk with volatility bursts, bars with wicks, and the occasional unchanged close. */
function generate(n: number, seed: number, start = 60_000, vol = 0.01): Data {
  const r = mulberry32(seed);
  const d: Data = { open: [], high: [], low: [], close: [], volume: [], time: [] };
  let p = start;
  let sigma = vol;
  for (let i = 0; i < n; i++) {
    sigma = Math.min(vol * 4, Math.max(vol / 4, sigma * (0.9 + r() * 0.2)));
    const open = p;
    if (r() > 0.05) p *= Math.exp((r() - 0.5) * 2 * sigma);
    const high = Math.max(open, p) * (1 + r() * sigma);
    const low = Math.min(open, p) * (1 - r() * sigma);
    d.open.push(open);
    d.high.push(high);
    d.low.push(low);
    d.close.push(p);
    d.volume.push(r() < 0.02 ? 0 : 1 + r() * 100);
    d.time.push(1_700_000_000_000 + i * 3_600_000);
  }
  return d;
}

const data = generate(5_000, 42);
const cheap = generate(3_000, 7, 0.35, 0.03);

/** Compares our batch output with a reference that omits the warm-up (aligned at the end). */
function expectClose(name: string, ours: ArrayLike<number>, reference: ArrayLike<number>, tolerance = 1e-9, floor = 1e-12): void {
  expect(reference.length, `${name}: reference produced no values`).toBeGreaterThan(100);
  const offset = ours.length - reference.length;
  let worst = 0;
  let worstAt = -1;
  for (let j = 0; j < reference.length; j++) {
    const a = ours[offset + j]!;
    const b = reference[j]!;
    const err = Math.abs(a - b) / Math.max(Math.abs(b), floor);
    if (!(err <= worst)) {
      worst = err;
      worstAt = offset + j;
    }
  }
  expect(worst, `${name}: worst relative error ${worst} at index ${worstAt}`).toBeLessThanOrEqual(tolerance);
  expect(Number.isNaN(ours[offset - 1] ?? Number.NaN), `${name}: defined one bar earlier than the reference`).toBe(true);
}

function collect<T>(values: Array<T | null | undefined>): T[] {
  return values.filter((v): v is T => v !== null && v !== undefined);
}

describe('indicators against reference libraries', () => {
  for (const [label, d] of [['BTC-like', data], ['small-cap', cheap]] as const) {
    describe(label, () => {
      const { high, low, close, volume } = d;
      const hlc = { high, low, close };

      it('SMA matches technicalindicators and trading-signals', () => {
        for (const period of [1, 5, 20, 50]) {
          expectClose(`sma(${period}) vs ti`, sma(close, period), ti.SMA.calculate({ period, values: close }));
          const s = new ts.SMA(period);
          expectClose(`sma(${period}) vs ts`, sma(close, period), collect(close.map((c) => s.add(c))));
        }
      });

      it('EMA matches technicalindicators (seeded with the simple average)', () => {
        for (const period of [2, 12, 20, 200]) {
          expectClose(`ema(${period})`, ema(close, period), ti.EMA.calculate({ period, values: close }));
        }
      });

      it('EMA converges to trading-signals (first-value seed) once the seed has decayed', () => {
        const period = 20;
        const s = new ts.EMA(period);
        const reference = close.map((c) => s.add(c) ?? Number.NaN);
        const ours = ema(close, period);
        expect(Math.abs(ours[period - 1]! - reference[period - 1]!), 'the two seeds differ at first').toBeGreaterThan(0);
        const late = 40 * period;
        expectClose('ema vs ts after decay', ours.subarray(late), reference.slice(late));
      });

      it('WMA matches technicalindicators and trading-signals', () => {
        for (const period of [1, 9, 20]) {
          expectClose(`wma(${period}) vs ti`, wma(close, period), ti.WMA.calculate({ period, values: close }));
          const s = new ts.WMA(period);
          expectClose(`wma(${period}) vs ts`, wma(close, period), collect(close.map((c) => s.add(c))));
        }
      });

      it("RSI (Wilder) matches trading-signals, and technicalindicators' 2-decimal rounding", () => {
        for (const period of [2, 14, 30]) {
          const s = new ts.RSI(period);
          expectClose(`rsi(${period}) vs ts`, rsi(close, period), collect(close.map((c) => s.add(c))));
          const rounded = ti.RSI.calculate({ period, values: close });
          const ours = rsi(close, period);
          const offset = ours.length - rounded.length;
          rounded.forEach((v, j) => expect(Math.abs(ours[offset + j]! - v), `rsi(${period}) at ${offset + j}`).toBeLessThanOrEqual(0.005 + 1e-9));
        }
      });

      it('MACD 12/26/9 matches technicalindicators with EMA oscillator and signal', () => {
        const reference = ti.MACD.calculate({ values: close, fastPeriod: 12, slowPeriod: 26, signalPeriod: 9, SimpleMAOscillator: false, SimpleMASignal: false });
        const ours = macd(close);
        // MACD, signal and histogram cross zero; there the error is measured against a millionth of
        // the price (the scale their rounding comes from) rather than against a value near zero.
        const scale = close[0]! * 1e-6;
        expectClose('macd line', ours.macd, reference.map((x) => x.MACD!), 1e-9, scale);
        const full = reference.filter((x) => x.signal !== undefined);
        expectClose('macd signal', ours.signal, full.map((x) => x.signal!), 1e-9, scale);
        expectClose('macd histogram', ours.histogram, full.map((x) => x.histogram!), 1e-9, scale);
        const other = macd(close, { fast: 5, slow: 35, signal: 5 });
        const ref2 = ti.MACD.calculate({ values: close, fastPeriod: 5, slowPeriod: 35, signalPeriod: 5, SimpleMAOscillator: false, SimpleMASignal: false });
        expectClose('macd 5/35/5 signal', other.signal, ref2.filter((x) => x.signal !== undefined).map((x) => x.signal!), 1e-9, scale);
      });

      it('Bollinger Bands match technicalindicators and trading-signals', () => {
        for (const [period, stdDev] of [[20, 2], [10, 1.5], [50, 2.5]] as const) {
          const ours = bollingerBands(close, { period, stdDev });
          const reference = ti.BollingerBands.calculate({ period, stdDev, values: close });
          expectClose('bb middle', ours.middle, reference.map((x) => x.middle));
          expectClose('bb upper', ours.upper, reference.map((x) => x.upper));
          expectClose('bb lower', ours.lower, reference.map((x) => x.lower));
          expectClose('bb %B', ours.percentB, reference.map((x) => x.pb), 1e-9, 1e-3);
          const s = new ts.BollingerBands(period, stdDev);
          const tsRef = collect(close.map((c) => s.add(c)));
          expectClose('bb upper vs ts', ours.upper, tsRef.map((x) => x.upper));
          expectClose('bb lower vs ts', ours.lower, tsRef.map((x) => x.lower));
        }
      });

      it('ATR (Wilder) matches technicalindicators', () => {
        for (const period of [1, 14, 21]) {
          expectClose(`atr(${period})`, atr(hlc, period), ti.ATR.calculate({ ...hlc, period }));
        }
      });

      it('ADX, +DI and -DI match technicalindicators', () => {
        for (const period of [7, 14]) {
          const reference = ti.ADX.calculate({ ...hlc, period });
          const ours = adx(hlc, period);
          expectClose('adx', ours.adx, reference.map((x) => x.adx));
          const offset = ours.adx.length - reference.length;
          expectClose('+di', ours.plusDi.subarray(offset), reference.map((x) => x.pdi));
          expectClose('-di', ours.minusDi.subarray(offset), reference.map((x) => x.mdi));
          expect(valueAt(ours.plusDi, period - 1), '+DI is undefined before bar `period`').toBeUndefined();
          expect(valueAt(ours.plusDi, period), '+DI is defined from bar `period`').toBeDefined();
        }
      });

      it('Stochastic matches technicalindicators (fast, 14/1/3) and trading-signals (slow, 14/3/3)', () => {
        const fast = stochastic(hlc);
        const reference = ti.Stochastic.calculate({ ...hlc, period: 14, signalPeriod: 3 });
        expectClose('%K', fast.k, reference.map((x) => x.k));
        expectClose('%D', fast.d, collect(reference.map((x) => x.d)));
        const slow = stochastic(hlc, { kPeriod: 14, kSmoothing: 3, dPeriod: 3 });
        const s = new ts.StochasticOscillator({ kPeriod: 14, kSlowingPeriod: 3, dPeriod: 3 });
        const tsRef = collect(close.map((c, i) => s.add({ high: high[i]!, low: low[i]!, close: c })));
        expectClose('slow %D vs ts', slow.d, tsRef.map((x) => x.stochD));
        const kOffset = slow.d.length - tsRef.length;
        expectClose('slow %K vs ts', slow.k.subarray(kOffset), tsRef.map((x) => x.stochK));
      });

      it('OBV matches technicalindicators (which omits the first bar)', () => {
        const reference = ti.OBV.calculate({ close, volume });
        expectClose('obv', obv({ close, volume }).subarray(1), reference, 1e-9, 1);
      });

      it('VWAP matches technicalindicators and trading-signals without sessions', () => {
        const positive = volume.map((v) => v + 1);
        expectClose('vwap', vwap({ high, low, close, volume: positive }), ti.VWAP.calculate({ high, low, close, volume: positive }));
        const s = new ts.VWAP();
        expectClose('vwap vs ts', vwap({ high, low, close, volume: positive }), collect(close.map((c, i) => s.add({ high: high[i]!, low: low[i]!, close: c, volume: positive[i]! }))));
      });
    });
  }
});

describe('VWAP sessions', () => {
  it('restarts at each UTC day, equal to the VWAP of that day alone', () => {
    const d = generate(24 * 5, 3);
    const day = 86_400_000;
    const ours = vwap(d, { sessionMs: day });
    const firstOfDay3 = d.time.findIndex((t) => Math.floor(t / day) === Math.floor(d.time[0]! / day) + 3);
    const slice = (xs: number[]): number[] => xs.slice(firstOfDay3, firstOfDay3 + 24);
    const alone = vwap({ high: slice(d.high), low: slice(d.low), close: slice(d.close), volume: slice(d.volume) });
    for (let j = 0; j < 24; j++) {
      const a = ours[firstOfDay3 + j]!;
      const b = alone[j]!;
      expect(Object.is(a, b) || Math.abs(a - b) <= 1e-12 * Math.abs(b), `bar ${j} of day 3: ${a} vs ${b}`).toBe(true);
    }
    expect(() => vwap({ high: d.high, low: d.low, close: d.close, volume: d.volume }, { sessionMs: day }), 'sessions need times').toThrow(/time is required/);
  });

  it('is undefined while the session has traded no volume', () => {
    const s = new VwapStream({ sessionMs: 60_000 });
    expect(s.update({ high: 2, low: 1, close: 1.5, volume: 0, time: 0 })).toBeUndefined();
    expect(s.update({ high: 3, low: 3, close: 3, volume: 2, time: 1 })).toBe(3);
    expect(s.update({ high: 9, low: 9, close: 9, volume: 0, time: 60_000 }), 'a new session forgets the last one').toBeUndefined();
  });
});

/** Feeds every bar to a stream and returns, per index, the stream's number (or NaN). */
function streamed<T>(n: number, update: (i: number) => T | undefined, pick: (v: T) => number): Float64Array {
  const out = new Float64Array(n).fill(Number.NaN);
  for (let i = 0; i < n; i++) {
    const v = update(i);
    if (v !== undefined) out[i] = pick(v);
  }
  return out;
}

function expectIdentical(name: string, batch: Float64Array, stream: Float64Array): void {
  for (let i = 0; i < batch.length; i++) {
    if (!Object.is(batch[i], stream[i])) {
      expect.fail(`${name}: batch ${batch[i]} and stream ${stream[i]} differ at index ${i}`);
    }
  }
}

describe('batch and streaming agree bit for bit', () => {
  const dataArb = fc.record({
    n: fc.integer({ min: 0, max: 400 }),
    seed: fc.integer(),
    start: fc.constantFrom(0.00002, 1, 150, 65_000),
    vol: fc.constantFrom(0, 0.001, 0.02, 0.2),
    period: fc.integer({ min: 1, max: 40 }),
    small: fc.integer({ min: 1, max: 6 }),
  });

  it('for every indicator, on random data and periods', () => {
    fc.assert(
      fc.property(dataArb, ({ n, seed, start, vol, period, small }) => {
        const d = generate(n, seed, start, vol);
        const { close } = d;
        const bar = (i: number): { high: number; low: number; close: number; volume: number; time: number } =>
          ({ high: d.high[i]!, low: d.low[i]!, close: d.close[i]!, volume: d.volume[i]!, time: d.time[i]! });
        const id = (x: number): number => x;

        const smaS = new SmaStream(period);
        expectIdentical('sma', sma(close, period), streamed(n, (i) => smaS.update(close[i]!), id));
        const emaS = new EmaStream(period);
        expectIdentical('ema', ema(close, period), streamed(n, (i) => emaS.update(close[i]!), id));
        const wmaS = new WmaStream(period);
        expectIdentical('wma', wma(close, period), streamed(n, (i) => wmaS.update(close[i]!), id));
        const rsiS = new RsiStream(period);
        expectIdentical('rsi', rsi(close, period), streamed(n, (i) => rsiS.update(close[i]!), id));

        const opts = { fast: small + 1, slow: period + small + 1, signal: small };
        const m = macd(close, opts);
        const macdS = new MacdStream(opts);
        const macdValues = Array.from({ length: n }, (_, i) => macdS.update(close[i]!));
        expectIdentical('macd signal', m.signal, streamed(n, (i) => macdValues[i], (v) => v.signal));
        expectIdentical('macd line', m.signal.map((s, i) => (Number.isNaN(s) ? s : m.macd[i]!)), streamed(n, (i) => macdValues[i], (v) => v.macd));
        expectIdentical('macd histogram', m.histogram, streamed(n, (i) => macdValues[i], (v) => v.histogram));

        const bb = bollingerBands(close, { period, stdDev: 2 });
        const bbS = new BollingerStream({ period, stdDev: 2 });
        const bbValues = Array.from({ length: n }, (_, i) => bbS.update(close[i]!));
        for (const key of ['middle', 'upper', 'lower', 'width', 'percentB'] as const) {
          expectIdentical(`bollinger ${key}`, bb[key], streamed(n, (i) => bbValues[i], (v) => v[key]));
        }

        const atrS = new AtrStream(period);
        expectIdentical('atr', atr(d, period), streamed(n, (i) => atrS.update(bar(i)), id));

        const a = adx(d, period);
        const adxS = new AdxStream(period);
        const plusDi = new Float64Array(n).fill(Number.NaN);
        const adxValues = Array.from({ length: n }, (_, i) => {
          const v = adxS.update(bar(i));
          plusDi[i] = adxS.plusDi ?? Number.NaN;
          return v;
        });
        expectIdentical('adx', a.adx, streamed(n, (i) => adxValues[i], (v) => v.adx));
        expectIdentical('adx -di', a.adx.map((x, i) => (Number.isNaN(x) ? x : a.minusDi[i]!)), streamed(n, (i) => adxValues[i], (v) => v.minusDi));
        expectIdentical('+di', a.plusDi, plusDi);

        const stOpts = { kPeriod: period, kSmoothing: small, dPeriod: small };
        const st = stochastic(d, stOpts);
        const stS = new StochasticStream(stOpts);
        const stValues = Array.from({ length: n }, (_, i) => stS.update(bar(i)));
        expectIdentical('stochastic %D', st.d, streamed(n, (i) => stValues[i], (v) => v.d));
        expectIdentical('stochastic %K', st.d.map((x, i) => (Number.isNaN(x) ? x : st.k[i]!)), streamed(n, (i) => stValues[i], (v) => v.k));

        const obvS = new ObvStream();
        expectIdentical('obv', obv(d), streamed(n, (i) => obvS.update(bar(i)), id));
        const vwapS = new VwapStream({ sessionMs: 86_400_000 });
        expectIdentical('vwap', vwap(d, { sessionMs: 86_400_000 }), streamed(n, (i) => vwapS.update(bar(i)), id));
      }),
      { numRuns: 200 },
    );
  });
});

describe('warm-up', () => {
  it('each indicator becomes defined exactly where documented', () => {
    const d = generate(200, 5);
    const first = (xs: ArrayLike<number>): number => Array.from(xs).findIndex((x) => !Number.isNaN(x));
    expect(first(sma(d.close, 20))).toBe(19);
    expect(first(ema(d.close, 20))).toBe(19);
    expect(first(wma(d.close, 20))).toBe(19);
    expect(first(rsi(d.close, 14))).toBe(14);
    const m = macd(d.close);
    expect([first(m.macd), first(m.signal), first(m.histogram)]).toEqual([25, 33, 33]);
    expect(first(bollingerBands(d.close).upper)).toBe(19);
    expect(first(atr(d, 14))).toBe(14);
    const a = adx(d, 14);
    expect([first(a.plusDi), first(a.adx)]).toEqual([14, 27]);
    const s = stochastic(d, { kPeriod: 14, kSmoothing: 3, dPeriod: 3 });
    expect([first(s.k), first(s.d)]).toEqual([15, 17]);
    expect(first(obv(d))).toBe(0);
  });

  it('short inputs give all-NaN outputs, not errors', () => {
    const few = generate(5, 1);
    for (const out of [sma(few.close, 20), ema(few.close, 20), wma(few.close, 20), rsi(few.close), macd(few.close).macd, bollingerBands(few.close).middle, atr(few), adx(few).adx, stochastic(few).k]) {
      expect(out.length).toBe(5);
      expect(Array.from(out).every(Number.isNaN), 'nothing is defined before warm-up').toBe(true);
    }
    expect(ema([], 3).length).toBe(0);
  });
});

describe('numerical stability', () => {
  it('Bollinger Bands stay exact at a high price with a tiny spread', () => {
    const n = 20_000;
    const close = Array.from({ length: n }, (_, i) => 100_000 + Math.sin(i / 7) * 0.01 + (i % 3) * 0.001);
    const ours = bollingerBands(close, { period: 20 });
    for (const i of [19, 1_000, 10_001, n - 1]) {
      const window = close.slice(i - 19, i + 1);
      const mean = window.reduce((a, b) => a + b, 0) / 20;
      const sd = Math.sqrt(window.reduce((a, b) => a + (b - mean) ** 2, 0) / 20);
      const up = mean + 2 * sd;
      expect(Math.abs(ours.upper[i]! - up - 0) / up, `upper at ${i}`).toBeLessThan(1e-12);
      expect(Math.abs((ours.upper[i]! - ours.middle[i]!) / 2 - sd) / sd, `sd at ${i}`).toBeLessThan(1e-6);
    }
  });

  it('SMA does not drift over a million values that fall from 1e6 to 1', () => {
    const n = 1_000_000;
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) values[i] = 1e6 * Math.exp((-Math.log(1e6) * i) / (n - 1)) * (1 + 0.01 * Math.sin(i));
    const out = sma(values, 50);
    let exact = 0;
    for (let i = n - 50; i < n; i++) exact += values[i]!;
    exact /= 50;
    expect(Math.abs(out[n - 1]! - exact) / exact).toBeLessThan(1e-13);
  });
});

describe('inputs', () => {
  it('refuses bad periods and ragged series', () => {
    expect(() => sma([1, 2, 3], 0)).toThrow(RangeError);
    expect(() => ema([1, 2, 3], 2.5)).toThrow(/whole number/);
    expect(() => new RsiStream(-1)).toThrow(RangeError);
    expect(() => bollingerBands([1], { stdDev: 0 })).toThrow(/stdDev/);
    expect(() => atr({ high: [1, 2], low: [1], close: [1, 2] })).toThrow(/series.low has 1 values, expected 2/);
  });

  it('flat markets give neutral readings rather than NaN', () => {
    const flat = Array.from({ length: 60 }, () => 100);
    const bars = { high: flat, low: flat, close: flat, volume: flat };
    expect(valueAt(rsi(flat), -1), 'RSI of a flat market').toBe(50);
    expect(valueAt(stochastic(bars).k, -1), 'stochastic of a flat market').toBe(50);
    expect(valueAt(bollingerBands(flat).percentB, -1), '%B of a flat band').toBe(0.5);
    expect(valueAt(adx(bars).adx, -1), 'ADX of a flat market').toBe(0);
  });

  it('converts decimal candles to numeric columns at the edge', () => {
    const candle = (t: number, c: string): Candle => ({
      symbol: 'BTC/USDT', exchange: 'sim', timeframe: '1h', openTime: new Date(t),
      open: dec(c), high: dec(c), low: dec(c), close: dec(c), volume: dec('1.5'),
    });
    const s = seriesFromCandles([candle(0, '65000.1'), candle(3_600_000, '65010.25')]);
    expect(Array.from(s.close)).toEqual([65000.1, 65010.25]);
    expect(Array.from(s.time)).toEqual([0, 3_600_000]);
    expect(Array.from(s.volume)).toEqual([1.5, 1.5]);
  });
});
