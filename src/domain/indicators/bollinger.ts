// Bollinger Bands: the simple average of the last `period` closes ± `stdDev` population standard
// deviations. Also the band width ((upper - lower) / middle) and %B ((close - lower) / (upper - lower)).
//
// The window's sums are kept relative to a reference value K (sum of x - K and of (x - K)^2), so the
// variance does not cancel catastrophically at price levels like 100,000 with a spread of 10. K and
// both sums are reset from the window every `period` values (O(1) amortised), which also bounds drift.
import { z } from 'zod';
import { assertWindow, parseSnapshot, snapshotCount, snapshotNumber, type SnapshotStream } from './snapshot.js';
import { assertPeriod, warmupArray } from './types.js';

export interface BollingerOptions {
  period?: number;
  stdDev?: number;
}

export interface BollingerSeries {
  middle: Float64Array;
  upper: Float64Array;
  lower: Float64Array;
  /** (upper - lower) / middle: the bandwidth, a fraction. */
  width: Float64Array;
  /** Where the close sits in the band: 0 at the lower band, 1 at the upper; 0.5 when the band is flat. */
  percentB: Float64Array;
}

export interface BollingerValue {
  middle: number;
  upper: number;
  lower: number;
  width: number;
  percentB: number;
}

function resolve(options: BollingerOptions): { period: number; stdDev: number } {
  const period = options.period ?? 20;
  const stdDev = options.stdDev ?? 2;
  assertPeriod(period, 'period');
  if (!Number.isFinite(stdDev) || stdDev <= 0) throw new RangeError(`stdDev must be a positive number, got ${String(stdDev)}`);
  return { period, stdDev };
}

/** Bollinger Bands over closes (default 20, 2); defined from index `period - 1`. */
export function bollingerBands(closes: ArrayLike<number>, options: BollingerOptions = {}): BollingerSeries {
  const { period, stdDev } = resolve(options);
  const n = closes.length;
  const middle = warmupArray(n, period - 1);
  const upper = warmupArray(n, period - 1);
  const lower = warmupArray(n, period - 1);
  const width = warmupArray(n, period - 1);
  const percentB = warmupArray(n, period - 1);
  let ref = 0;
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const x = closes[i]!;
    const count = i + 1;
    if (count <= period) {
      if (count === 1) ref = x;
      const d = x - ref;
      s1 += d;
      s2 += d * d;
      if (count < period) continue;
    } else if (count % period === 0) {
      ref = x;
      s1 = 0;
      s2 = 0;
      for (let j = i - period + 1; j <= i; j++) {
        const d = closes[j]! - ref;
        s1 += d;
        s2 += d * d;
      }
    } else {
      const dNew = x - ref;
      const dOld = closes[i - period]! - ref;
      s1 += dNew - dOld;
      s2 += dNew * dNew - dOld * dOld;
    }
    const m = s1 / period;
    const variance = s2 / period - m * m;
    const sd = variance > 0 ? Math.sqrt(variance) : 0;
    const mid = ref + m;
    const up = mid + stdDev * sd;
    const lo = mid - stdDev * sd;
    middle[i] = mid;
    upper[i] = up;
    lower[i] = lo;
    width[i] = (up - lo) / mid;
    percentB[i] = up > lo ? (x - lo) / (up - lo) : 0.5;
  }
  return { middle, upper, lower, width, percentB };
}

const bollingerSnapshot = z
  .object({
    period: z.number(),
    stdDev: z.number(),
    window: z.array(snapshotNumber),
    count: snapshotCount,
    ref: snapshotNumber,
    s1: snapshotNumber,
    s2: snapshotNumber,
    value: z.object({ middle: snapshotNumber, upper: snapshotNumber, lower: snapshotNumber, width: snapshotNumber, percentB: snapshotNumber }).strict().nullable(),
  })
  .strict();
/** A BollingerStream's running values; the ring's head is `count % period`, `value` the last bands (null before). */
export type BollingerSnapshot = z.infer<typeof bollingerSnapshot>;

/** Streaming Bollinger Bands, same arithmetic as `bollingerBands`. */
export class BollingerStream implements SnapshotStream<BollingerSnapshot> {
  readonly period: number;
  readonly stdDev: number;
  #window: Float64Array;
  #head = 0;
  #count = 0;
  #ref = 0;
  #s1 = 0;
  #s2 = 0;
  #value: BollingerValue | undefined;

  constructor(options: BollingerOptions = {}) {
    const { period, stdDev } = resolve(options);
    this.period = period;
    this.stdDev = stdDev;
    this.#window = new Float64Array(period);
  }

  get value(): BollingerValue | undefined {
    return this.#value;
  }

  update(x: number): BollingerValue | undefined {
    const period = this.period;
    const window = this.#window;
    const count = ++this.#count;
    const old = window[this.#head]!;
    window[this.#head] = x;
    this.#head = this.#head + 1 === period ? 0 : this.#head + 1;
    if (count <= period) {
      if (count === 1) this.#ref = x;
      const d = x - this.#ref;
      this.#s1 += d;
      this.#s2 += d * d;
      if (count < period) return undefined;
    } else if (count % period === 0) {
      const ref = x;
      let s1 = 0;
      let s2 = 0;
      for (let j = 0, k = this.#head; j < period; j++, k = k + 1 === period ? 0 : k + 1) {
        const d = window[k]! - ref;
        s1 += d;
        s2 += d * d;
      }
      this.#ref = ref;
      this.#s1 = s1;
      this.#s2 = s2;
    } else {
      const dNew = x - this.#ref;
      const dOld = old - this.#ref;
      this.#s1 += dNew - dOld;
      this.#s2 += dNew * dNew - dOld * dOld;
    }
    const m = this.#s1 / period;
    const variance = this.#s2 / period - m * m;
    const sd = variance > 0 ? Math.sqrt(variance) : 0;
    const mid = this.#ref + m;
    const up = mid + this.stdDev * sd;
    const lo = mid - this.stdDev * sd;
    return (this.#value = {
      middle: mid,
      upper: up,
      lower: lo,
      width: (up - lo) / mid,
      percentB: up > lo ? (x - lo) / (up - lo) : 0.5,
    });
  }

  get streamTag(): 'bollinger' {
    return 'bollinger';
  }

  snapshot(): BollingerSnapshot {
    return {
      period: this.period,
      stdDev: this.stdDev,
      window: Array.from(this.#window),
      count: this.#count,
      ref: this.#ref,
      s1: this.#s1,
      s2: this.#s2,
      value: this.#value === undefined ? null : { ...this.#value },
    };
  }

  /** A stream that continues exactly as the one `snapshot` was taken from; throws RangeError if it is not valid. */
  static restore(snapshot: unknown): BollingerStream {
    const s = parseSnapshot('bollinger', bollingerSnapshot, snapshot);
    const stream = new BollingerStream({ period: s.period, stdDev: s.stdDev });
    assertWindow('bollinger', s.window, s.period);
    stream.#window = Float64Array.from(s.window);
    stream.#head = s.count % s.period;
    stream.#count = s.count;
    stream.#ref = s.ref;
    stream.#s1 = s.s1;
    stream.#s2 = s.s2;
    stream.#value = s.value === null ? undefined : { ...s.value };
    return stream;
  }
}
