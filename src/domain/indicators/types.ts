// Shared shapes for indicators. Indicators compute on `number` (statistics, not money): prices are
// converted from decimals at the edge (`seriesFromCandles`). Batch forms take arrays and return
// typed arrays of the same length with `NaN` during warm-up; streaming forms return `undefined`
// during warm-up. Both forms perform the same floating-point operations in the same order, so they
// agree bit for bit.

/** High/low/close columns of equal length, oldest first. */
export interface HlcSeries {
  high: ArrayLike<number>;
  low: ArrayLike<number>;
  close: ArrayLike<number>;
}

/** OHLCV columns of equal length, oldest first; `time` is the bar's open time in epoch ms. */
export interface OhlcvSeries extends HlcSeries {
  open: ArrayLike<number>;
  volume: ArrayLike<number>;
  time: ArrayLike<number>;
}

/** One bar for the streaming forms. */
export interface Bar {
  high: number;
  low: number;
  close: number;
}

/** One bar with volume (OBV, VWAP); `time` (epoch ms) lets VWAP start a new session. */
export interface VolumeBar extends Bar {
  volume: number;
  time?: number;
}

/** Throws unless `period` is a whole number ≥ `min`. */
export function assertPeriod(period: number, name: string, min = 1): void {
  if (!Number.isInteger(period) || period < min || period > 100_000) {
    throw new RangeError(`${name} must be a whole number from ${min} to 100000, got ${String(period)}`);
  }
}

/** Throws unless every named column has the same length; returns that length. */
export function sameLength(columns: ReadonlyArray<readonly [name: string, values: ArrayLike<number>]>): number {
  const first = columns[0];
  if (first === undefined) return 0;
  const n = first[1].length;
  for (const [name, values] of columns) {
    if (values.length !== n) throw new RangeError(`series.${name} has ${values.length} values, expected ${n} like series.${first[0]}`);
  }
  return n;
}

/** A Float64Array of `n` NaNs: the "not yet defined" value of every batch output. */
export function nanArray(n: number): Float64Array {
  return new Float64Array(n).fill(Number.NaN);
}

/**
 * An output array whose first `definedFrom` entries are NaN (warm-up); the caller writes every entry
 * from `definedFrom` on. Saves a pass over the array compared with `nanArray`.
 */
export function warmupArray(n: number, definedFrom: number): Float64Array {
  return new Float64Array(n).fill(Number.NaN, 0, Math.min(n, Math.max(0, definedFrom)));
}
