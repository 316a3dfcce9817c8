// Simple, exponential and weighted moving averages.
//
// Rolling sums drift when values are added and removed for a long time; every `period` values the
// window sum is recomputed from scratch (oldest first), which keeps the work O(1) per value and the
// error bounded by one window's worth of rounding. Batch and streaming forms do this at the same
// counts, so they stay bit-identical.
import { z } from 'zod';
import { assertWindow, parseSnapshot, snapshotCount, snapshotNumber, type SnapshotStream } from './snapshot.js';
import { assertPeriod, warmupArray } from './types.js';

const smaSnapshot = z.object({ period: z.number(), window: z.array(snapshotNumber), count: snapshotCount, sum: snapshotNumber }).strict();
/** An SmaStream's running values; the ring's head is `count % period`. */
export type SmaSnapshot = z.infer<typeof smaSnapshot>;

const emaSnapshot = z.object({ period: z.number(), count: snapshotCount, sum: snapshotNumber, ema: snapshotNumber }).strict();
/** An EmaStream's running values; it is seeded (defined) once `count` reaches `period`. */
export type EmaSnapshot = z.infer<typeof emaSnapshot>;

const wmaSnapshot = z
  .object({ period: z.number(), window: z.array(snapshotNumber), count: snapshotCount, sum: snapshotNumber, weighted: snapshotNumber })
  .strict();
/** A WmaStream's running values; the ring's head is `count % period`. */
export type WmaSnapshot = z.infer<typeof wmaSnapshot>;

/** Simple moving average of the last `period` values; defined from index `period - 1`. */
export function sma(values: ArrayLike<number>, period: number): Float64Array {
  assertPeriod(period, 'period');
  const n = values.length;
  const out = warmupArray(n, period - 1);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const x = values[i]!;
    const count = i + 1;
    if (count <= period) {
      sum += x;
      if (count === period) out[i] = sum / period;
      continue;
    }
    if (count % period === 0) {
      sum = 0;
      for (let j = i - period + 1; j <= i; j++) sum += values[j]!;
    } else {
      sum += x - values[i - period]!;
    }
    out[i] = sum / period;
  }
  return out;
}

/** Streaming simple moving average; `update` returns the average once `period` values are in. */
export class SmaStream implements SnapshotStream<SmaSnapshot> {
  readonly period: number;
  #window: Float64Array;
  #head = 0;
  #count = 0;
  #sum = 0;

  constructor(period: number) {
    assertPeriod(period, 'period');
    this.period = period;
    this.#window = new Float64Array(period);
  }

  get value(): number | undefined {
    return this.#count >= this.period ? this.#sum / this.period : undefined;
  }

  update(x: number): number | undefined {
    const period = this.period;
    const window = this.#window;
    const count = ++this.#count;
    const old = window[this.#head]!;
    window[this.#head] = x;
    this.#head = this.#head + 1 === period ? 0 : this.#head + 1;
    if (count <= period) {
      this.#sum += x;
      return count === period ? this.#sum / period : undefined;
    }
    if (count % period === 0) {
      let sum = 0;
      for (let j = 0, k = this.#head; j < period; j++, k = k + 1 === period ? 0 : k + 1) sum += window[k]!;
      this.#sum = sum;
    } else {
      this.#sum += x - old;
    }
    return this.#sum / period;
  }

  get streamTag(): 'sma' {
    return 'sma';
  }

  snapshot(): SmaSnapshot {
    return { period: this.period, window: Array.from(this.#window), count: this.#count, sum: this.#sum };
  }

  /** A stream that continues exactly as the one `snapshot` was taken from; throws RangeError if it is not valid. */
  static restore(snapshot: unknown): SmaStream {
    const s = parseSnapshot('sma', smaSnapshot, snapshot);
    const stream = new SmaStream(s.period);
    assertWindow('sma', s.window, s.period);
    stream.#window = Float64Array.from(s.window);
    stream.#head = s.count % s.period;
    stream.#count = s.count;
    stream.#sum = s.sum;
    return stream;
  }
}

/**
 * Exponential moving average with smoothing k = 2 / (period + 1), seeded with the simple average of
 * the first `period` values (the TA-Lib / technicalindicators convention; trading-signals seeds with
 * the first value instead). Defined from index `period - 1`. Computed as x * k + ema * (1 - k): one
 * multiply-add on the dependency chain instead of a subtract, multiply and add.
 */
export function ema(values: ArrayLike<number>, period: number): Float64Array {
  assertPeriod(period, 'period');
  const n = values.length;
  const out = warmupArray(n, period - 1);
  const k = 2 / (period + 1);
  const keep = 1 - k;
  let sum = 0;
  const seedAt = Math.min(period - 1, n);
  for (let i = 0; i < seedAt; i++) sum += values[i]!;
  if (n < period) return out;
  sum += values[period - 1]!;
  let e = sum / period;
  out[period - 1] = e;
  for (let i = period; i < n; i++) {
    e = values[i]! * k + e * keep;
    out[i] = e;
  }
  return out;
}

/** Streaming EMA, same seeding and arithmetic as `ema`. */
export class EmaStream implements SnapshotStream<EmaSnapshot> {
  readonly period: number;
  readonly #k: number;
  #ready = false;
  #count = 0;
  #sum = 0;
  // Always a number (never undefined) so the field keeps one representation; `#ready` says if it is set.
  #ema = 0;

  constructor(period: number) {
    assertPeriod(period, 'period');
    this.period = period;
    this.#k = 2 / (period + 1);
  }

  get value(): number | undefined {
    return this.#ready ? this.#ema : undefined;
  }

  update(x: number): number | undefined {
    if (this.#ready) return (this.#ema = x * this.#k + this.#ema * (1 - this.#k));
    this.#sum += x;
    if (++this.#count < this.period) return undefined;
    this.#ready = true;
    return (this.#ema = this.#sum / this.period);
  }

  get streamTag(): 'ema' {
    return 'ema';
  }

  snapshot(): EmaSnapshot {
    return { period: this.period, count: this.#count, sum: this.#sum, ema: this.#ema };
  }

  /** A stream that continues exactly as the one `snapshot` was taken from; throws RangeError if it is not valid. */
  static restore(snapshot: unknown): EmaStream {
    const s = parseSnapshot('ema', emaSnapshot, snapshot);
    const stream = new EmaStream(s.period);
    // The count stops at `period`, when the average is seeded.
    if (s.count > s.period) throw new RangeError(`an ema stream snapshot is not valid (count): ${s.count} is more than the period ${s.period}`);
    stream.#count = s.count;
    stream.#ready = s.count === s.period;
    stream.#sum = s.sum;
    stream.#ema = s.ema;
    return stream;
  }
}

/** Linearly weighted moving average (weights 1..period, newest heaviest); defined from `period - 1`. */
export function wma(values: ArrayLike<number>, period: number): Float64Array {
  assertPeriod(period, 'period');
  const n = values.length;
  const out = warmupArray(n, period - 1);
  const denominator = (period * (period + 1)) / 2;
  let sum = 0;
  let weighted = 0;
  for (let i = 0; i < n; i++) {
    const x = values[i]!;
    const count = i + 1;
    if (count <= period) {
      sum += x;
      weighted += count * x;
      if (count === period) out[i] = weighted / denominator;
      continue;
    }
    if (count % period === 0) {
      sum = 0;
      weighted = 0;
      for (let j = 0; j < period; j++) {
        const v = values[i - period + 1 + j]!;
        sum += v;
        weighted += (j + 1) * v;
      }
    } else {
      weighted += period * x - sum;
      sum += x - values[i - period]!;
    }
    out[i] = weighted / denominator;
  }
  return out;
}

/** Streaming WMA, same arithmetic as `wma`. */
export class WmaStream implements SnapshotStream<WmaSnapshot> {
  readonly period: number;
  readonly #denominator: number;
  #window: Float64Array;
  #head = 0;
  #count = 0;
  #sum = 0;
  #weighted = 0;

  constructor(period: number) {
    assertPeriod(period, 'period');
    this.period = period;
    this.#denominator = (period * (period + 1)) / 2;
    this.#window = new Float64Array(period);
  }

  get value(): number | undefined {
    return this.#count >= this.period ? this.#weighted / this.#denominator : undefined;
  }

  update(x: number): number | undefined {
    const period = this.period;
    const window = this.#window;
    const count = ++this.#count;
    const old = window[this.#head]!;
    window[this.#head] = x;
    this.#head = this.#head + 1 === period ? 0 : this.#head + 1;
    if (count <= period) {
      this.#sum += x;
      this.#weighted += count * x;
      return count === period ? this.#weighted / this.#denominator : undefined;
    }
    if (count % period === 0) {
      let sum = 0;
      let weighted = 0;
      for (let j = 0, k = this.#head; j < period; j++, k = k + 1 === period ? 0 : k + 1) {
        const v = window[k]!;
        sum += v;
        weighted += (j + 1) * v;
      }
      this.#sum = sum;
      this.#weighted = weighted;
    } else {
      this.#weighted += period * x - this.#sum;
      this.#sum += x - old;
    }
    return this.#weighted / this.#denominator;
  }

  get streamTag(): 'wma' {
    return 'wma';
  }

  snapshot(): WmaSnapshot {
    return { period: this.period, window: Array.from(this.#window), count: this.#count, sum: this.#sum, weighted: this.#weighted };
  }

  /** A stream that continues exactly as the one `snapshot` was taken from; throws RangeError if it is not valid. */
  static restore(snapshot: unknown): WmaStream {
    const s = parseSnapshot('wma', wmaSnapshot, snapshot);
    const stream = new WmaStream(s.period);
    assertWindow('wma', s.window, s.period);
    stream.#window = Float64Array.from(s.window);
    stream.#head = s.count % s.period;
    stream.#count = s.count;
    stream.#sum = s.sum;
    stream.#weighted = s.weighted;
    return stream;
  }
}
