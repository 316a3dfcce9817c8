// The edge between decimal candles (money) and indicator columns (statistics on `number`).
import type { Candle } from '../ports.js';
import type { OhlcvSeries } from './types.js';

/** Numeric OHLCV columns backed by typed arrays. */
export interface CandleColumns extends OhlcvSeries {
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
  time: Float64Array;
}

/** Converts candles (oldest first) to numeric columns; `time` is each candle's open time in epoch ms. */
export function seriesFromCandles(candles: readonly Candle[]): CandleColumns {
  const n = candles.length;
  const columns: CandleColumns = {
    open: new Float64Array(n),
    high: new Float64Array(n),
    low: new Float64Array(n),
    close: new Float64Array(n),
    volume: new Float64Array(n),
    time: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const c = candles[i]!;
    columns.open[i] = c.open.toNumber();
    columns.high[i] = c.high.toNumber();
    columns.low[i] = c.low.toNumber();
    columns.close[i] = c.close.toNumber();
    columns.volume[i] = c.volume.toNumber();
    columns.time[i] = c.openTime.getTime();
  }
  return columns;
}

/** The value at index `i`, or undefined where the series is not yet defined (NaN) or `i` is out of range. */
export function valueAt(series: ArrayLike<number>, i: number): number | undefined {
  const v = series[i < 0 ? series.length + i : i];
  return v === undefined || Number.isNaN(v) ? undefined : v;
}
