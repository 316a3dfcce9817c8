// Average True Range with Wilder's smoothing. The true range needs the previous close, so it starts
// at the second bar; the first ATR is the simple average of the first `period` true ranges (index
// `period`), then atr = atr * (period - 1) / period + tr / period. This is the TA-Lib / technicalindicators
// convention; trading-signals instead counts the first bar's high - low as a true range.
import type { Bar, HlcSeries } from './types.js';
import { z } from 'zod';
import { parseSnapshot, snapshotCount, snapshotNumber, type SnapshotStream } from './snapshot.js';
import { assertPeriod, sameLength, warmupArray } from './types.js';

/** max(high - low, |high - previous close|, |low - previous close|). */
export function trueRange(high: number, low: number, previousClose: number): number {
  const a = high - low;
  const b = Math.abs(high - previousClose);
  const c = Math.abs(low - previousClose);
  return a >= b ? (a >= c ? a : c) : b >= c ? b : c;
}

/** ATR over bars; defined from index `period` (needs `period + 1` bars). */
export function atr(series: HlcSeries, period = 14): Float64Array {
  assertPeriod(period, 'period');
  const { high, low, close } = series;
  const n = sameLength([['high', high], ['low', low], ['close', close]]);
  const out = warmupArray(n, period);
  const inv = 1 / period;
  const decay = (period - 1) / period;
  let average = 0;
  for (let i = 1; i < n; i++) {
    const tr = trueRange(high[i]!, low[i]!, close[i - 1]!);
    if (i < period) {
      average += tr;
    } else if (i === period) {
      average = (average + tr) / period;
      out[i] = average;
    } else {
      average = average * decay + tr * inv;
      out[i] = average;
    }
  }
  return out;
}

const atrSnapshot = z.object({ period: z.number(), count: snapshotCount, previousClose: snapshotNumber, average: snapshotNumber }).strict();
/** An AtrStream's running values. */
export type AtrSnapshot = z.infer<typeof atrSnapshot>;

/** Streaming ATR, same arithmetic as `atr`. */
export class AtrStream implements SnapshotStream<AtrSnapshot> {
  readonly period: number;
  #count = 0;
  #previousClose = 0;
  #average = 0;
  readonly #inv: number;
  readonly #decay: number;

  constructor(period = 14) {
    assertPeriod(period, 'period');
    this.period = period;
    this.#inv = 1 / period;
    this.#decay = (period - 1) / period;
  }

  get value(): number | undefined {
    return this.#count > this.period ? this.#average : undefined;
  }

  update(bar: Bar): number | undefined {
    const i = this.#count++;
    const previousClose = this.#previousClose;
    this.#previousClose = bar.close;
    if (i === 0) return undefined;
    const tr = trueRange(bar.high, bar.low, previousClose);
    const period = this.period;
    const inv = this.#inv;
    const decay = this.#decay;
    if (i < period) {
      this.#average += tr;
      return undefined;
    }
    if (i === period) this.#average = (this.#average + tr) / period;
    else this.#average = this.#average * decay + tr * inv;
    return this.#average;
  }

  get streamTag(): 'atr' {
    return 'atr';
  }

  snapshot(): AtrSnapshot {
    return { period: this.period, count: this.#count, previousClose: this.#previousClose, average: this.#average };
  }

  /** A stream that continues exactly as the one `snapshot` was taken from; throws RangeError if it is not valid. */
  static restore(snapshot: unknown): AtrStream {
    const s = parseSnapshot('atr', atrSnapshot, snapshot);
    const stream = new AtrStream(s.period);
    stream.#count = s.count;
    stream.#previousClose = s.previousClose;
    stream.#average = s.average;
    return stream;
  }
}
