// Features for scored predictions, computed without look-ahead: the row at bar t is a function of
// bars 0..t only. Every indicator reused here is causal (its value at t reads no later bar); the
// no-leak tests hold this to account by changing bars after t and by computing on a truncated series.
// Features are statistics on `number` (not money); prices enter through `seriesFromCandles`.
import { bollingerBands, ema, rsi, seriesFromCandles, sma } from '../indicators/index.js';
import type { CandleColumns } from '../indicators/index.js';
import type { Candle } from '../ports.js';

/** Bars over which simple returns are taken. */
export const RETURN_WINDOWS = [1, 4, 12, 24] as const;
/** Bars of 1-bar log returns behind the realised volatility. */
export const VOLATILITY_WINDOW = 24;
export const RSI_PERIOD = 14;
export const EMA_PERIOD = 20;
export const BOLLINGER_PERIOD = 20;
/** Bars behind the average volume that the current bar's volume is compared with. */
export const VOLUME_WINDOW = 20;

/** The feature names, in the column order of every feature row. */
export const FEATURE_NAMES: readonly string[] = [
  ...RETURN_WINDOWS.map((w) => `return_${w}`),
  `volatility_${VOLATILITY_WINDOW}`,
  `rsi_${RSI_PERIOD}`,
  `ema_distance_${EMA_PERIOD}`,
  `bollinger_percent_b_${BOLLINGER_PERIOD}`,
  `volume_ratio_${VOLUME_WINDOW}`,
];

/** The first bar index at which every feature can be defined (earlier rows are warm-up). */
export const FEATURE_WARMUP = Math.max(
  ...RETURN_WINDOWS,
  VOLATILITY_WINDOW,
  RSI_PERIOD,
  EMA_PERIOD - 1,
  BOLLINGER_PERIOD - 1,
  VOLUME_WINDOW - 1,
);

/** Feature rows aligned with the input bars: `rows[t]` is undefined during warm-up or where a value is not finite. */
export interface FeatureMatrix {
  names: readonly string[];
  rows: ReadonlyArray<readonly number[] | undefined>;
  /** Each bar's open time (epoch ms), aligned with `rows`. */
  times: readonly number[];
  /** Each bar's close as a number, aligned with `rows`: the reference price of a prediction made at t. */
  closes: readonly number[];
}

function toColumns(input: readonly Candle[] | CandleColumns): CandleColumns {
  return Array.isArray(input) ? seriesFromCandles(input as readonly Candle[]) : (input as CandleColumns);
}

/** Population standard deviation of the 1-bar log returns ending at `t` (`window` of them). */
function realisedVolatility(close: ArrayLike<number>, t: number, window: number): number {
  let sum = 0;
  let sumSq = 0;
  for (let i = t - window + 1; i <= t; i++) {
    const r = Math.log(close[i]! / close[i - 1]!);
    sum += r;
    sumSq += r * r;
  }
  const mean = sum / window;
  const variance = sumSq / window - mean * mean;
  return variance > 0 ? Math.sqrt(variance) : 0;
}

/**
 * Feature rows for every bar of a series (candles oldest first, or numeric columns). The row at t
 * reads bars 0..t only.
 */
export function computeFeatures(input: readonly Candle[] | CandleColumns): FeatureMatrix {
  const cols = toColumns(input);
  const { close, volume } = cols;
  const n = close.length;
  const rsiSeries = rsi(close, RSI_PERIOD);
  const emaSeries = ema(close, EMA_PERIOD);
  const percentB = bollingerBands(close, { period: BOLLINGER_PERIOD }).percentB;
  const volumeAverage = sma(volume, VOLUME_WINDOW);
  const rows: Array<readonly number[] | undefined> = new Array<readonly number[] | undefined>(n).fill(undefined);
  for (let t = FEATURE_WARMUP; t < n; t++) {
    const c = close[t]!;
    const row: number[] = [];
    for (const w of RETURN_WINDOWS) row.push(c / close[t - w]! - 1);
    row.push(realisedVolatility(close, t, VOLATILITY_WINDOW));
    row.push(rsiSeries[t]!);
    row.push(c / emaSeries[t]! - 1);
    row.push(percentB[t]!);
    row.push(volume[t]! / volumeAverage[t]!);
    rows[t] = row.every(Number.isFinite) ? row : undefined;
  }
  return { names: FEATURE_NAMES, rows, times: Array.from(cols.time), closes: Array.from(close) };
}

/**
 * The feature row at bar `t`, computed from a copy of bars 0..t alone: by construction it cannot see
 * past `t`. Slower than `computeFeatures` (it recomputes the window); use it for a single live row
 * and as the reference the no-leak tests hold `computeFeatures` to.
 */
export function featuresAt(input: readonly Candle[] | CandleColumns, t: number): readonly number[] | undefined {
  const cols = toColumns(input);
  if (!Number.isInteger(t) || t < 0 || t >= cols.close.length) {
    throw new RangeError(`bar index must be a whole number from 0 to ${cols.close.length - 1}, got ${String(t)}`);
  }
  const end = t + 1;
  const window: CandleColumns = {
    open: cols.open.slice(0, end),
    high: cols.high.slice(0, end),
    low: cols.low.slice(0, end),
    close: cols.close.slice(0, end),
    volume: cols.volume.slice(0, end),
    time: cols.time.slice(0, end),
  };
  return computeFeatures(window).rows[t];
}
