// A backtest's equity curve without a decimal per candle. Between two fills a spot run's cash and
// position do not change, so equity at candle t is `cash` (flat) or `cash + position × close_t`: the
// curve is kept as the (cash, position) segments — one per candle where a fill changed them — plus a
// reference to the candle array, and each value is computed when read, the same decimal the run
// marked. Kept memory grows with the fills, not the candles (the candle array is the caller's).
//
// Read through `EquityCurve`: `at(i)` (sequential reads are O(1): a cursor), `last()`, `toArray()`
// for the whole curve, and `downsample(n)` for a chart of a long run.
import type { Dec } from '../money.js';
import type { Candle } from '../ports.js';

export class EquitySegments {
  readonly #starts: number[] = [];
  readonly #cash: Dec[] = [];
  readonly #position: Dec[] = [];
  #cursor = 0;

  /** From candle `start` on (until the next segment), equity is cash + position × close. */
  add(start: number, cash: Dec, position: Dec): void {
    const k = this.#starts.length - 1;
    if (k >= 0 && this.#starts[k] === start) {
      this.#cash[k] = cash;
      this.#position[k] = position;
      return;
    }
    this.#starts.push(start);
    this.#cash.push(cash);
    this.#position.push(position);
  }

  get segments(): number {
    return this.#starts.length;
  }

  /** Equity at candle `t` (the segment covering it must exist). */
  at(t: number, candles: readonly Candle[]): Dec {
    const starts = this.#starts;
    let k = this.#cursor;
    if (!(k < starts.length && starts[k]! <= t && (k + 1 === starts.length || starts[k + 1]! > t))) {
      if (k + 1 < starts.length && starts[k + 1]! <= t && (k + 2 === starts.length || starts[k + 2]! > t)) {
        k += 1;
      } else {
        let lo = 0;
        let hi = starts.length - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (starts[mid]! <= t) lo = mid;
          else hi = mid - 1;
        }
        k = lo;
      }
      this.#cursor = k;
    }
    const position = this.#position[k]!;
    return position.isZero() ? this.#cash[k]! : this.#cash[k]!.add(position.mul(candles[t]!.close));
  }
}

/** Equity at each candle's close, read when asked. */
export interface EquityCurve {
  /** Candles marked (one value each). */
  readonly length: number;
  /** Equity at candle `i`'s close (0 ≤ i < length). */
  at(i: number): Dec;
  /** The last value; undefined for an empty curve. */
  last(): Dec | undefined;
  /** Every value, oldest first (one decimal per candle: for short runs and tests). */
  toArray(): Dec[];
  /**
   * At most `max` (≥ 4) points for a chart: the first and the last, and in each bucket between them
   * its lowest and its highest value in time order, so peaks and troughs (drawdowns) survive. Every
   * point when the curve has no more than `max`.
   */
  downsample(max: number): Array<{ index: number; equity: Dec }>;
}

/** A curve of `length` values, value i being `at(i)`. */
export function equityCurve(length: number, at: (i: number) => Dec): EquityCurve {
  const curve: EquityCurve = {
    length,
    at(i) {
      if (!Number.isInteger(i) || i < 0 || i >= length) throw new RangeError(`equity index ${i} is outside 0..${length - 1}`);
      return at(i);
    },
    last: () => (length === 0 ? undefined : at(length - 1)),
    toArray: () => Array.from({ length }, (_, i) => at(i)),
    downsample(max) {
      if (!Number.isInteger(max) || max < 4) throw new RangeError('downsample needs at least 4 points');
      if (length <= max) return Array.from({ length }, (_, i) => ({ index: i, equity: at(i) }));
      const out: Array<{ index: number; equity: Dec }> = [{ index: 0, equity: at(0) }];
      const inner = length - 2;
      const buckets = Math.floor((max - 2) / 2);
      for (let b = 0; b < buckets; b++) {
        const from = 1 + Math.floor((b * inner) / buckets);
        const to = 1 + Math.floor(((b + 1) * inner) / buckets);
        let lo = from;
        let hi = from;
        let loValue = at(from);
        let hiValue = loValue;
        for (let i = from + 1; i < to; i++) {
          const v = at(i);
          if (v.lt(loValue)) [lo, loValue] = [i, v];
          if (v.gt(hiValue)) [hi, hiValue] = [i, v];
        }
        if (lo === hi) out.push({ index: lo, equity: loValue });
        else if (lo < hi) out.push({ index: lo, equity: loValue }, { index: hi, equity: hiValue });
        else out.push({ index: hi, equity: hiValue }, { index: lo, equity: loValue });
      }
      out.push({ index: length - 1, equity: at(length - 1) });
      return out;
    },
  };
  return Object.freeze(curve);
}
