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

/**
 * risk.ts's `maxDrawdown` over a curve that starts at `initial`, fed one value at a time, keeping only
 * the peak and the deepest fall (exact decimals: the same amount and fraction as the batch function).
 * `needsExact(approx)` lets a caller that knows a value as a number close to the exact one (within a
 * relative 1e-12) skip building the decimal for values that can be neither a new peak nor a new
 * deepest fall: it answers true for every value within a relative 1e-9 of either.
 */
export class StreamingDrawdown {
  #peak: Dec;
  #peakNumber: number;
  #amount: Dec = ZERO;
  #amountNumber = 0;
  /** The peak the deepest fall fell from (the fraction is divided out when read). */
  #amountPeak: Dec = ZERO;

  constructor(initial: Dec) {
    this.#peak = initial;
    this.#peakNumber = initial.toNumber();
  }

  needsExact(approx: number): boolean {
    const peak = this.#peakNumber;
    const tolerance = 1e-9 * (Math.abs(approx) + Math.abs(peak)) + 1e-12;
    return !(approx < peak - tolerance && peak - approx < this.#amountNumber - tolerance);
  }

  /**
   * The next equity value. `approx`, when given, is the value as the run marked it in numbers; it
   * stands in for the exact value's number in `needsExact`'s screening (whose tolerance is far wider
   * than the number's rounding) instead of converting decimals to numbers on every new peak or fall.
   */
  add(value: Dec, approx?: number): void {
    const peak = this.#peak;
    if (value.gt(peak)) {
      this.#peak = value;
      this.#peakNumber = approx ?? value.toNumber();
      return;
    }
    if (value === peak) return;
    const fall = peak.sub(value);
    if (fall.gt(this.#amount)) {
      this.#amount = fall;
      this.#amountNumber = approx !== undefined ? this.#peakNumber - approx : fall.toNumber();
      this.#amountPeak = peak;
    }
  }

  get amount(): Dec {
    return this.#amount;
  }

  /** The amount as a fraction of the peak it fell from. */
  get fraction(): number {
    return this.#amount.isZero() || !this.#amountPeak.gt(0) ? 0 : this.#amount.div(this.#amountPeak).toNumber();
  }
}
