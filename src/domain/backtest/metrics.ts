// Statistics of a backtest's equity curve. Money stays decimal; returns and ratios are plain numbers.
//
// - Per-candle return r_i = equity_i / equity_(i-1) - 1, starting from the initial cash.
// - Sharpe = mean(r) / sample standard deviation(r) × √(candles per year), with a zero risk-free rate
//   and 365-day years (crypto trades every day); null with fewer than two returns or no variation.
// - Max drawdown: the deepest fall from a running peak of the equity curve (risk.ts's `maxDrawdown`).
import { ZERO, type Dec } from '../money.js';

export const MS_PER_YEAR = 365 * 86_400_000;

/** Candles in a year for a candle interval in ms (1h candles: 8760). */
export function periodsPerYear(intervalMs: number): number {
  if (!Number.isFinite(intervalMs) || intervalMs <= 0) throw new RangeError(`intervalMs must be a positive number of milliseconds, got ${String(intervalMs)}`);
  return MS_PER_YEAR / intervalMs;
}

/**
 * Simple returns between consecutive equity values; a step from a value at or below zero is skipped.
 * A return is a statistic, not money: each value is converted to a number once and divided as one
 * (a decimal division per candle was most of a long backtest's time).
 */
export function equityReturns(equity: readonly Dec[]): number[] {
  const out: number[] = [];
  if (equity.length === 0) return out;
  let before = equity[0]!;
  let previous = before.toNumber();
  for (let i = 1; i < equity.length; i++) {
    const now = equity[i]!;
    // The same value object (a flat backtest marks its cash) converts once.
    const value = now === before ? previous : now.toNumber();
    if (previous > 0) out.push(value / previous - 1);
    before = now;
    previous = value;
  }
  return out;
}

/** Annualised Sharpe ratio of per-period returns (see header). */
export function annualisedSharpe(returns: ArrayLike<number>, periods: number): number | null {
  const n = returns.length;
  if (n < 2) return null;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += returns[i]!;
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (returns[i]! - mean) ** 2;
  const sd = Math.sqrt(squares / (n - 1));
  if (!(sd > 1e-15)) return null;
  return (mean / sd) * Math.sqrt(periods);
}

/**
 * Per-candle returns gathered as the run goes, in one growing Float64Array (8 bytes a candle while
 * the run lasts, nothing kept after): the same returns, in the same order, as `equityReturns` over
 * the same values, so `sharpe` is `annualisedSharpe` of them to the last bit.
 */
export class ReturnSeries {
  #returns: Float64Array;
  #count = 0;
  #previous: number;

  constructor(initial: number, capacity = 1024) {
    this.#previous = initial;
    this.#returns = new Float64Array(Math.max(16, capacity));
  }

  /** The next equity value (a number); a step from a value at or below zero is skipped. */
  push(value: number): void {
    const previous = this.#previous;
    this.#previous = value;
    if (!(previous > 0)) return;
    if (this.#count === this.#returns.length) {
      const grown = new Float64Array(this.#returns.length * 2);
      grown.set(this.#returns);
      this.#returns = grown;
    }
    this.#returns[this.#count++] = value / previous - 1;
  }

  get length(): number {
    return this.#count;
  }

  sharpe(periods: number): number | null {
    return annualisedSharpe(this.#returns.subarray(0, this.#count), periods);
  }
}

/** A marked equity value kept as its parts, `cash + position × close`, summed once when first read. */
class Mark {
  #value: Dec | null = null;

  constructor(
    readonly cash: Dec,
    readonly position: Dec,
    readonly close: Dec,
  ) {}

  static of(value: Dec): Mark {
    const mark = new Mark(value, ZERO, ZERO);
    mark.#value = value;
    return mark;
  }

  get value(): Dec {
    return (this.#value ??= this.position.isZero() ? this.cash : this.cash.add(this.position.mul(this.close)));
  }
}

/**
 * risk.ts's `maxDrawdown` over a curve that starts at `initial`, fed one value at a time, keeping only
 * the peak and the deepest fall (exact decimals: the same amount and fraction as the batch function).
 *
 * A caller that knows each value as a number close to the exact one (within a relative 1e-12) can
 * spare the decimals: `needsExact(approx)` answers false for a value that can be neither a new peak
 * nor a new deepest fall (it answers true for every value within a relative 1e-9 of either), and
 * `addMarked` takes the value as its parts and makes its decimal only when the numbers cannot decide.
 */
export class StreamingDrawdown {
  #peak: Mark;
  #peakNumber: number;
  /** The deepest fall: the peak it fell from and the value it fell to; its amount as a number. */
  #from: Mark;
  #trough: Mark;
  #amount: Dec | null = ZERO;
  #amountNumber = 0;
  /** The parts of the last value `addMarked` was given (the same parts are the same value again). */
  #lastCash: Dec | null = null;
  #lastPosition: Dec = ZERO;
  #lastClose: Dec = ZERO;

  constructor(initial: Dec) {
    this.#peak = Mark.of(initial);
    this.#peakNumber = initial.toNumber();
    this.#from = this.#peak;
    this.#trough = this.#peak;
  }

  needsExact(approx: number): boolean {
    const peak = this.#peakNumber;
    const tolerance = 1e-9 * (Math.abs(approx) + Math.abs(peak)) + 1e-12;
    return !(approx < peak - tolerance && peak - approx < this.#amountNumber - tolerance);
  }

  /**
   * The next equity value as a run marks it, `cash + position × close`, with `approx` its number
   * (within a relative 1e-12, as for `needsExact`). A value clearly above the peak becomes the peak,
   * and a fall clearly deeper than the deepest becomes the deepest, without a decimal being made:
   * the parts are kept and summed only when read. A value that can be neither is skipped; only one
   * the numbers cannot place (within a relative 1e-9 of the peak or of the deepest fall) is added
   * exactly. The result is `add`'s for every value.
   */
  addMarked(approx: number, cash: Dec, position: Dec, close: Dec): void {
    // The same parts as the value before (flat, or holding through an unchanged close): the same
    // value, which can be neither a new peak nor a deeper fall than itself.
    const same = cash === this.#lastCash && position === this.#lastPosition && (position.isZero() || close === this.#lastClose);
    this.#lastCash = cash;
    this.#lastPosition = position;
    this.#lastClose = close;
    if (same) return;
    const peak = this.#peakNumber;
    const tolerance = 1e-9 * (Math.abs(approx) + Math.abs(peak)) + 1e-12;
    if (approx > peak + tolerance) {
      this.#peak = new Mark(cash, position, close);
      this.#peakNumber = approx;
      return;
    }
    if (approx >= peak - tolerance) {
      this.add(new Mark(cash, position, close).value, approx);
      return;
    }
    const fall = peak - approx;
    if (fall > this.#amountNumber + tolerance) {
      this.#from = this.#peak;
      this.#trough = new Mark(cash, position, close);
      this.#amount = null;
      this.#amountNumber = fall;
      return;
    }
    if (fall >= this.#amountNumber - tolerance) this.add(new Mark(cash, position, close).value, approx);
  }

  /**
   * The next equity value. `approx`, when given, is the value as the run marked it in numbers; it
   * stands in for the exact value's number in `needsExact`'s screening (whose tolerance is far wider
   * than the number's rounding) instead of converting decimals to numbers on every new peak or fall.
   */
  add(value: Dec, approx?: number): void {
    const peak = this.#peak.value;
    if (value.gt(peak)) {
      this.#peak = Mark.of(value);
      this.#peakNumber = approx ?? value.toNumber();
      return;
    }
    if (value === peak) return;
    const fall = peak.sub(value);
    if (fall.gt(this.amount)) {
      this.#from = this.#peak;
      this.#trough = Mark.of(value);
      this.#amount = fall;
      this.#amountNumber = approx !== undefined ? this.#peakNumber - approx : fall.toNumber();
    }
  }

  get amount(): Dec {
    return (this.#amount ??= this.#from.value.sub(this.#trough.value));
  }

  /** The amount as a fraction of the peak it fell from. */
  get fraction(): number {
    const amount = this.amount;
    const from = this.#from.value;
    return amount.isZero() || !from.gt(0) ? 0 : amount.div(from).toNumber();
  }
}
