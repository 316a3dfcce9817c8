// Statistics of a backtest's equity curve. Money stays decimal; returns and ratios are plain numbers.
//
// - Per-candle return r_i = equity_i / equity_(i-1) - 1, starting from the initial cash.
// - Sharpe = mean(r) / sample standard deviation(r) × √(candles per year), with a zero risk-free rate
//   and 365-day years (crypto trades every day); null with fewer than two returns or no variation.
// - Max drawdown: the deepest fall from a running peak of the equity curve (risk.ts's `maxDrawdown`).
import type { Dec } from '../money.js';

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
export function annualisedSharpe(returns: readonly number[], periods: number): number | null {
  const n = returns.length;
  if (n < 2) return null;
  let sum = 0;
  for (const r of returns) sum += r;
  const mean = sum / n;
  let squares = 0;
  for (const r of returns) squares += (r - mean) ** 2;
  const sd = Math.sqrt(squares / (n - 1));
  if (!(sd > 1e-15)) return null;
  return (mean / sd) * Math.sqrt(periods);
}
