// Snapshots of the streaming indicators: a stream restored from a snapshot taken at any point gives
// bit for bit the values the original gives for the same later inputs, the snapshot is plain data
// that survives JSON, and a broken snapshot is refused with a message naming the field.
import { describe, expect, it } from 'vitest';
import {
  AdxStream, AtrStream, BollingerStream, EmaStream, isSnapshotStream, MacdStream, ObvStream, RsiStream, SmaStream, StochasticStream, VwapStream,
  WmaStream, type Bar, type SnapshotStream,
} from '../../../src/domain/indicators/index.js';
import { FeatureStream } from '../../../src/domain/predict/feature-stream.js';

/** A wandering series with repeats, jumps and a flat stretch (where sums cancel and bands collapse). */
function bar(i: number): Bar & { volume: number; time: number } {
  const time = Date.UTC(2025, 0, 1) + i * 3_600_000;
  const close = i >= 40 && i < 48 ? 250 : 200 + 30 * Math.sin(i / 7) + 5 * Math.sin(i * 1.7) + (i % 13 === 0 ? 12 : 0);
  return { high: close + 1 + Math.abs(Math.cos(i)), low: close - 1 - Math.abs(Math.sin(i * 0.3)), close, volume: 50 + (i % 9) * 10, time };
}

interface Case {
  name: string;
  tag: string;
  make: () => SnapshotStream;
  restore: (s: unknown) => SnapshotStream;
  feed: (stream: SnapshotStream, i: number) => unknown;
  /** Values read without feeding (getters), compared too. */
  read: (stream: SnapshotStream) => unknown;
}

const closeFeed = <T extends { update(x: number): unknown; value: unknown }>() => ({
  feed: (s: SnapshotStream, i: number): unknown => (s as unknown as T).update(bar(i).close),
  read: (s: SnapshotStream): unknown => (s as unknown as T).value,
});

const CASES: Case[] = [
  { name: 'SmaStream', tag: 'sma', make: () => new SmaStream(5), restore: (s) => SmaStream.restore(s), ...closeFeed<SmaStream>() },
  { name: 'EmaStream', tag: 'ema', make: () => new EmaStream(6), restore: (s) => EmaStream.restore(s), ...closeFeed<EmaStream>() },
  { name: 'WmaStream', tag: 'wma', make: () => new WmaStream(4), restore: (s) => WmaStream.restore(s), ...closeFeed<WmaStream>() },
  { name: 'RsiStream', tag: 'rsi', make: () => new RsiStream(7), restore: (s) => RsiStream.restore(s), ...closeFeed<RsiStream>() },
  {
    name: 'BollingerStream', tag: 'bollinger', make: () => new BollingerStream({ period: 6, stdDev: 1.5 }), restore: (s) => BollingerStream.restore(s),
    ...closeFeed<BollingerStream>(),
  },
  {
    name: 'MacdStream', tag: 'macd', make: () => new MacdStream({ fast: 3, slow: 8, signal: 4 }), restore: (s) => MacdStream.restore(s),
    feed: (s, i) => (s as MacdStream).update(bar(i).close),
    read: (s) => [(s as MacdStream).value, (s as MacdStream).macdLine],
  },
  {
    name: 'AtrStream', tag: 'atr', make: () => new AtrStream(5), restore: (s) => AtrStream.restore(s),
    feed: (s, i) => (s as AtrStream).update(bar(i)),
    read: (s) => (s as AtrStream).value,
  },
  {
    name: 'AdxStream', tag: 'adx', make: () => new AdxStream(5), restore: (s) => AdxStream.restore(s),
    feed: (s, i) => (s as AdxStream).update(bar(i)),
    read: (s) => [(s as AdxStream).value, (s as AdxStream).plusDi, (s as AdxStream).minusDi],
  },
  {
    name: 'StochasticStream', tag: 'stochastic', make: () => new StochasticStream({ kPeriod: 5, kSmoothing: 3, dPeriod: 3 }), restore: (s) => StochasticStream.restore(s),
    feed: (s, i) => (s as StochasticStream).update(bar(i)),
    read: (s) => [(s as StochasticStream).value, (s as StochasticStream).k],
  },
  {
    name: 'ObvStream', tag: 'obv', make: () => new ObvStream(), restore: (s) => ObvStream.restore(s),
    feed: (s, i) => (s as ObvStream).update(bar(i)),
    read: (s) => (s as ObvStream).value,
  },
  {
    // Sessions of 10 hours, so the sums restart several times within the series.
    name: 'VwapStream', tag: 'vwap', make: () => new VwapStream({ sessionMs: 36_000_000, sessionOffsetMs: 3_600_000 }), restore: (s) => VwapStream.restore(s),
    feed: (s, i) => (s as VwapStream).update(bar(i)),
    read: (s) => (s as VwapStream).value,
  },
  {
    name: 'FeatureStream', tag: 'features', make: () => new FeatureStream(), restore: (s) => FeatureStream.restore(s),
    feed: (s, i) => (s as FeatureStream).update(bar(i).close, bar(i).volume),
    read: (s) => (s as FeatureStream).bars,
  },
];

/** Values compared bit for bit: Object.is on every number, in order. */
function numbers(v: unknown, out: number[] = []): number[] {
  if (typeof v === 'number') out.push(v);
  else if (v === undefined) out.push(Number.NEGATIVE_INFINITY, 0.5); // a marker no indicator here returns
  else if (Array.isArray(v)) for (const x of v) numbers(x, out);
  else if (typeof v === 'object' && v !== null) for (const k of Object.keys(v).sort()) numbers((v as Record<string, unknown>)[k], out);
  return out;
}

function sameBits(a: unknown, b: unknown): boolean {
  const x = numbers(a);
  const y = numbers(b);
  return x.length === y.length && x.every((n, i) => Object.is(n, y[i]));
}

const TOTAL = 90;
// Before anything, mid warm-up, at and after the warm-up, on the flat stretch and late.
const SNAPSHOT_AT = [0, 3, 5, 6, 8, 25, 44, 61];

describe('stream snapshots', () => {
  for (const c of CASES) {
    it(`${c.name}: a restored stream continues bit for bit from any point`, () => {
      for (const at of SNAPSHOT_AT) {
        const original = c.make();
        for (let i = 0; i < at; i++) c.feed(original, i);
        const snapshot = original.snapshot();
        const stored = JSON.parse(JSON.stringify(snapshot)) as unknown;
        expect(stored, `${c.name} at ${at}: the snapshot is plain data that survives JSON`).toEqual(snapshot);
        const restored = c.restore(stored);
        expect(restored.streamTag).toBe(c.tag);
        expect(isSnapshotStream(restored)).toBe(true);
        expect(restored.snapshot(), `${c.name} at ${at}: restoring and snapshotting again gives the same snapshot`).toEqual(snapshot);
        expect(sameBits(c.read(restored), c.read(original)), `${c.name} at ${at}: the current value`).toBe(true);
        let defined = 0;
        for (let i = at; i < TOTAL; i++) {
          const want = c.feed(original, i);
          const got = c.feed(restored, i);
          if (!sameBits(got, want)) expect(got, `${c.name} stored at ${at}: the value at bar ${i}`).toEqual(want);
          if (want !== undefined) defined++;
          expect(sameBits(c.read(restored), c.read(original)), `${c.name} stored at ${at}: the value read after bar ${i}`).toBe(true);
        }
        expect(defined, `${c.name}: the comparison must cover defined values`).toBeGreaterThan(10);
      }
    });
  }

  it('a snapshot does not share storage with its stream', () => {
    const sma = new SmaStream(3);
    sma.update(1);
    const snapshot = sma.snapshot();
    sma.update(2);
    expect(snapshot.window, 'the snapshot keeps the values of when it was taken').toEqual([1, 0, 0]);
    const restored = SmaStream.restore(snapshot);
    snapshot.window[1] = 99;
    restored.update(2);
    expect(restored.update(3), 'the restored stream owns its window').toBe(2);
  });

  it('keeps NaN, infinities and -0 in the running values (the stored form must too)', () => {
    const ema = new EmaStream(2);
    ema.update(-0);
    ema.update(Number.NaN);
    const snapshot = ema.snapshot();
    expect(Number.isNaN(snapshot.ema)).toBe(true);
    expect(Number.isNaN(EmaStream.restore(snapshot).value ?? 0)).toBe(true);
    const atr = new AtrStream(2);
    atr.update({ high: Infinity, low: 0, close: 1 });
    expect(AtrStream.restore(atr.snapshot()).snapshot()).toEqual(atr.snapshot());
  });

  it('refuses a broken snapshot, naming the field', () => {
    expect(() => SmaStream.restore({ period: 3, window: [1, 2], count: 2, sum: 3 })).toThrow(/sma stream snapshot is not valid \(window\)/);
    expect(() => SmaStream.restore({ period: 0, window: [], count: 0, sum: 0 })).toThrow(/period must be a whole number/);
    expect(() => SmaStream.restore({ period: 3, window: [1, 2, 3], count: -1, sum: 3 })).toThrow(/sma stream snapshot is not valid \(count\)/);
    expect(() => SmaStream.restore({ period: 3, window: [1, 2, 3], count: 3, sum: '6' })).toThrow(/\(sum\)/);
    expect(() => SmaStream.restore({ period: 3, window: [1, 2, 3], count: 3, sum: 6, extra: 1 })).toThrow(/sma stream snapshot is not valid/);
    expect(() => EmaStream.restore({ period: 3, count: 4, sum: 0, ema: 0 })).toThrow(/ema stream snapshot is not valid \(count\)/);
    expect(() => BollingerStream.restore({ ...new BollingerStream({ period: 4 }).snapshot(), stdDev: -1 })).toThrow(/stdDev must be a positive number/);
    expect(() => MacdStream.restore({ ...new MacdStream().snapshot(), fastEma: null })).toThrow(/ema stream snapshot is not valid/);
    expect(() => RsiStream.restore(null)).toThrow(RangeError);
    const features = new FeatureStream().snapshot();
    expect(() => FeatureStream.restore({ ...features, ema: new EmaStream(3).snapshot() })).toThrow(/features stream snapshot is not valid \(ema period\)/);
    expect(() => FeatureStream.restore({ ...features, closes: [1] })).toThrow(/features stream snapshot is not valid \(closes\)/);
  });
});
