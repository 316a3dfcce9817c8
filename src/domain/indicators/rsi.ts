// Relative Strength Index with Wilder's smoothing: the first average gain/loss is the simple average
// of the first `period` changes, then avg = avg + (change - avg) / period. RSI = 100 - 100 / (1 + RS).
// (Computed as avg * (period - 1) / period + change / period: a multiply-add chain, no division.)
// When there were no losses RSI is 100; when the price did not move at all it is 50 (neutral).
import { z } from 'zod';
import { parseSnapshot, snapshotCount, snapshotNumber, type SnapshotStream } from './snapshot.js';
import { assertPeriod, warmupArray } from './types.js';

function rsiFrom(avgGain: number, avgLoss: number): number {
  if (avgLoss === 0) return avgGain === 0 ? 50 : 100;
  return 100 - 100 / (1 + avgGain / avgLoss);
}

/** RSI over closes; defined from index `period` (needs `period + 1` closes). */
export function rsi(closes: ArrayLike<number>, period = 14): Float64Array {
  assertPeriod(period, 'period');
  const n = closes.length;
  const out = warmupArray(n, period);
  if (n === 0) return out;
  const inv = 1 / period;
  const decay = (period - 1) / period;
  let previous = closes[0]!;
  let avgGain = 0;
  let avgLoss = 0;
  for (let i = 1; i < n; i++) {
    const x = closes[i]!;
    const change = x - previous;
    previous = x;
    const gain = change > 0 ? change : 0;
    const loss = change < 0 ? -change : 0;
    if (i < period) {
      avgGain += gain;
      avgLoss += loss;
    } else if (i === period) {
      avgGain = (avgGain + gain) / period;
      avgLoss = (avgLoss + loss) / period;
      out[i] = rsiFrom(avgGain, avgLoss);
    } else {
      avgGain = avgGain * decay + gain * inv;
      avgLoss = avgLoss * decay + loss * inv;
      out[i] = rsiFrom(avgGain, avgLoss);
    }
  }
  return out;
}

const rsiSnapshot = z
  .object({ period: z.number(), count: snapshotCount, previous: snapshotNumber, avgGain: snapshotNumber, avgLoss: snapshotNumber, rsi: snapshotNumber })
  .strict();
/** An RsiStream's running values. */
export type RsiSnapshot = z.infer<typeof rsiSnapshot>;

/** Streaming RSI, same arithmetic as `rsi`. */
export class RsiStream implements SnapshotStream<RsiSnapshot> {
  readonly period: number;
  #count = 0;
  #previous = 0;
  #avgGain = 0;
  #avgLoss = 0;
  #rsi = 0;
  readonly #inv: number;
  readonly #decay: number;

  constructor(period = 14) {
    assertPeriod(period, 'period');
    this.period = period;
    this.#inv = 1 / period;
    this.#decay = (period - 1) / period;
  }

  get value(): number | undefined {
    return this.#count > this.period ? this.#rsi : undefined;
  }

  update(x: number): number | undefined {
    const i = this.#count++;
    if (i === 0) {
      this.#previous = x;
      return undefined;
    }
    const change = x - this.#previous;
    this.#previous = x;
    const gain = change > 0 ? change : 0;
    const loss = change < 0 ? -change : 0;
    const period = this.period;
    const inv = this.#inv;
    const decay = this.#decay;
    if (i < period) {
      this.#avgGain += gain;
      this.#avgLoss += loss;
      return undefined;
    }
    if (i === period) {
      this.#avgGain = (this.#avgGain + gain) / period;
      this.#avgLoss = (this.#avgLoss + loss) / period;
    } else {
      this.#avgGain = this.#avgGain * decay + gain * inv;
      this.#avgLoss = this.#avgLoss * decay + loss * inv;
    }
    return (this.#rsi = rsiFrom(this.#avgGain, this.#avgLoss));
  }

  get streamTag(): 'rsi' {
    return 'rsi';
  }

  snapshot(): RsiSnapshot {
    return { period: this.period, count: this.#count, previous: this.#previous, avgGain: this.#avgGain, avgLoss: this.#avgLoss, rsi: this.#rsi };
  }

  /** A stream that continues exactly as the one `snapshot` was taken from; throws RangeError if it is not valid. */
  static restore(snapshot: unknown): RsiStream {
    const s = parseSnapshot('rsi', rsiSnapshot, snapshot);
    const stream = new RsiStream(s.period);
    stream.#count = s.count;
    stream.#previous = s.previous;
    stream.#avgGain = s.avgGain;
    stream.#avgLoss = s.avgLoss;
    stream.#rsi = s.rsi;
    return stream;
  }
}
