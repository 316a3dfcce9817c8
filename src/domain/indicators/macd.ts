// MACD: the fast EMA minus the slow EMA (both seeded with their simple average), a signal line that
// is the EMA of the MACD line (seeded with the simple average of its first `signal` values), and the
// histogram MACD - signal. This is the technicalindicators convention with
// SimpleMAOscillator/SimpleMASignal off, and TA-Lib's up to the seeding of the fast EMA.
import { z } from 'zod';
import { EmaStream } from './moving-averages.js';
import { parseSnapshot, snapshotNumber, type SnapshotStream } from './snapshot.js';
import { assertPeriod, warmupArray } from './types.js';

export interface MacdOptions {
  fast?: number;
  slow?: number;
  signal?: number;
}

export interface MacdSeries {
  /** Defined from index max(fast, slow) - 1. */
  macd: Float64Array;
  /** Defined from index max(fast, slow) + signal - 2; so is `histogram`. */
  signal: Float64Array;
  histogram: Float64Array;
}

export interface MacdValue {
  macd: number;
  signal: number;
  histogram: number;
}

function resolve(options: MacdOptions): { fast: number; slow: number; signal: number } {
  const fast = options.fast ?? 12;
  const slow = options.slow ?? 26;
  const signal = options.signal ?? 9;
  assertPeriod(fast, 'fast');
  assertPeriod(slow, 'slow');
  assertPeriod(signal, 'signal');
  return { fast, slow, signal };
}

/** MACD over closes (default 12/26/9). */
export function macd(closes: ArrayLike<number>, options: MacdOptions = {}): MacdSeries {
  const { fast, slow, signal } = resolve(options);
  const n = closes.length;
  const start = Math.max(fast, slow) - 1;
  const macdLine = warmupArray(n, start);
  const signalLine = warmupArray(n, start + signal - 1);
  const histogram = warmupArray(n, start + signal - 1);
  const kFast = 2 / (fast + 1);
  const kSlow = 2 / (slow + 1);
  const kSignal = 2 / (signal + 1);
  const keepFast = 1 - kFast;
  const keepSlow = 1 - kSlow;
  const keepSignal = 1 - kSignal;
  let fastSum = 0;
  let slowSum = 0;
  let fastEma = 0;
  let slowEma = 0;
  let signalSum = 0;
  let signalEma = 0;
  for (let i = 0; i < n; i++) {
    const x = closes[i]!;
    if (i < fast) {
      fastSum += x;
      if (i === fast - 1) fastEma = fastSum / fast;
    } else {
      fastEma = x * kFast + fastEma * keepFast;
    }
    if (i < slow) {
      slowSum += x;
      if (i === slow - 1) slowEma = slowSum / slow;
    } else {
      slowEma = x * kSlow + slowEma * keepSlow;
    }
    if (i < start) continue;
    const m = fastEma - slowEma;
    macdLine[i] = m;
    const j = i - start;
    if (j < signal) {
      signalSum += m;
      if (j !== signal - 1) continue;
      signalEma = signalSum / signal;
    } else {
      signalEma = m * kSignal + signalEma * keepSignal;
    }
    signalLine[i] = signalEma;
    histogram[i] = m - signalEma;
  }
  return { macd: macdLine, signal: signalLine, histogram };
}

const macdSnapshot = z
  .object({
    fastEma: z.unknown(),
    slowEma: z.unknown(),
    signalEma: z.unknown(),
    macdLine: snapshotNumber.nullable(),
    value: z.object({ macd: snapshotNumber, signal: snapshotNumber, histogram: snapshotNumber }).strict().nullable(),
  })
  .strict();
/** A MacdStream's running values: its three EMAs' snapshots, the last MACD line and value (null before there is one). */
export type MacdSnapshot = z.infer<typeof macdSnapshot>;

/** Streaming MACD; `update` returns a value once the signal line is defined. */
export class MacdStream implements SnapshotStream<MacdSnapshot> {
  readonly fast: number;
  readonly slow: number;
  readonly signal: number;
  #fast: EmaStream;
  #slow: EmaStream;
  #signal: EmaStream;
  #macdLine = Number.NaN;
  #value: MacdValue | undefined;

  constructor(options: MacdOptions = {}) {
    const { fast, slow, signal } = resolve(options);
    this.fast = fast;
    this.slow = slow;
    this.signal = signal;
    this.#fast = new EmaStream(fast);
    this.#slow = new EmaStream(slow);
    this.#signal = new EmaStream(signal);
  }

  get value(): MacdValue | undefined {
    return this.#value;
  }

  /** The MACD line alone, defined before the signal line is. */
  get macdLine(): number | undefined {
    return Number.isNaN(this.#macdLine) ? undefined : this.#macdLine;
  }

  update(x: number): MacdValue | undefined {
    const f = this.#fast.update(x);
    const s = this.#slow.update(x);
    if (f === undefined || s === undefined) return undefined;
    const m = f - s;
    this.#macdLine = m;
    const signal = this.#signal.update(m);
    if (signal === undefined) return undefined;
    return (this.#value = { macd: m, signal, histogram: m - signal });
  }

  get streamTag(): 'macd' {
    return 'macd';
  }

  snapshot(): MacdSnapshot {
    return {
      fastEma: this.#fast.snapshot(),
      slowEma: this.#slow.snapshot(),
      signalEma: this.#signal.snapshot(),
      macdLine: Number.isNaN(this.#macdLine) ? null : this.#macdLine,
      value: this.#value === undefined ? null : { ...this.#value },
    };
  }

  /** A stream that continues exactly as the one `snapshot` was taken from; throws RangeError if it is not valid. */
  static restore(snapshot: unknown): MacdStream {
    const s = parseSnapshot('macd', macdSnapshot, snapshot);
    const fast = EmaStream.restore(s.fastEma);
    const slow = EmaStream.restore(s.slowEma);
    const signal = EmaStream.restore(s.signalEma);
    // The constructor checks the periods (fast below slow); the EMAs then take the stored values.
    const stream = new MacdStream({ fast: fast.period, slow: slow.period, signal: signal.period });
    stream.#fast = fast;
    stream.#slow = slow;
    stream.#signal = signal;
    stream.#macdLine = s.macdLine ?? Number.NaN;
    stream.#value = s.value === null ? undefined : { ...s.value };
    return stream;
  }
}
