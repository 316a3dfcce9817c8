// A backtest's equity curve without a decimal per candle. Between two fills a spot run's cash and
// position do not change, so equity at candle t is `cash` (flat) or `cash + position × close_t`: the
// curve is kept as the (cash, position) segments — one per candle where a fill changed them — plus a
// reference to the candle array, and each value is computed when read, the same decimal the run
// marked. Kept memory grows with the fills, not the candles (the candle array is the caller's).
//
// It reads as a `readonly Dec[]` (index, length, iteration, map/reduce, JSON) through a Proxy, so
// callers that read `result.equity[i]` are unchanged; reading every value of a long run is
// sequential (a cursor), O(1) a read.
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

function indexOf(key: string | symbol, length: number): number {
  if (typeof key !== 'string') return -1;
  const i = Number(key);
  return Number.isInteger(i) && i >= 0 && i < length && String(i) === key ? i : -1;
}

/** A read-only array of `length` values, value i being `at(i)`, computed when read. */
export function lazyArray<T>(length: number, at: (i: number) => T): readonly T[] {
  const target: T[] = [];
  return new Proxy(target, {
    get(t, key, receiver) {
      if (key === 'length') return length;
      const i = indexOf(key, length);
      if (i >= 0) return at(i);
      return Reflect.get(t, key, receiver) as unknown;
    },
    has(t, key) {
      return indexOf(key, length) >= 0 || Reflect.has(t, key);
    },
    ownKeys() {
      const keys: string[] = [];
      for (let i = 0; i < length; i++) keys.push(String(i));
      keys.push('length');
      return keys;
    },
    getOwnPropertyDescriptor(_t, key) {
      if (key === 'length') return { value: length, writable: true, enumerable: false, configurable: false };
      const i = indexOf(key, length);
      return i >= 0 ? { value: at(i), writable: false, enumerable: true, configurable: true } : undefined;
    },
    set() {
      return false;
    },
    defineProperty() {
      return false;
    },
    deleteProperty() {
      return false;
    },
  });
}
