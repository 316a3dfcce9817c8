// Average Directional Index with +DI and -DI (Wilder). From the second bar on:
//   up = high - previous high, down = previous low - low,
//   +DM = up if up > down and up > 0 else 0, -DM = down if down > up and down > 0 else 0,
// TR, +DM and -DM are Wilder-smoothed (first value the simple average of `period` values, at index
// `period`), +DI = 100 * +DM / TR, -DI = 100 * -DM / TR, DX = 100 * |+DI - -DI| / (+DI + -DI) (0 when
// both are 0), and ADX is the Wilder smoothing of DX, first defined at index 2 * period - 1. Same as
// TA-Lib and technicalindicators (which smooth sums rather than averages: the ratios are equal).
import { z } from 'zod';
import { trueRange } from './atr.js';
import { parseSnapshot, snapshotCount, snapshotNumber, type SnapshotStream } from './snapshot.js';
import type { Bar, HlcSeries } from './types.js';
import { assertPeriod, sameLength, warmupArray } from './types.js';

export interface AdxSeries {
  /** Defined from index 2 * period - 1. */
  adx: Float64Array;
  /** Defined from index `period`; so is `minusDi`. */
  plusDi: Float64Array;
  minusDi: Float64Array;
}

export interface AdxValue {
  adx: number;
  plusDi: number;
  minusDi: number;
}

function directionalIndex(averageDm: number, averageTr: number): number {
  return averageTr === 0 ? 0 : (100 * averageDm) / averageTr;
}

function directionalMovementIndex(plusDi: number, minusDi: number): number {
  const sum = plusDi + minusDi;
  return sum === 0 ? 0 : (100 * Math.abs(plusDi - minusDi)) / sum;
}

/** ADX, +DI and -DI over bars (default period 14). */
export function adx(series: HlcSeries, period = 14): AdxSeries {
  assertPeriod(period, 'period');
  const { high, low, close } = series;
  const n = sameLength([['high', high], ['low', low], ['close', close]]);
  const adxOut = warmupArray(n, 2 * period - 1);
  const plusOut = warmupArray(n, period);
  const minusOut = warmupArray(n, period);
  const inv = 1 / period;
  const decay = (period - 1) / period;
  let tr = 0;
  let plus = 0;
  let minus = 0;
  let average = 0;
  for (let i = 1; i < n; i++) {
    const h = high[i]!;
    const l = low[i]!;
    const up = h - high[i - 1]!;
    const down = low[i - 1]! - l;
    const plusDm = up > down && up > 0 ? up : 0;
    const minusDm = down > up && down > 0 ? down : 0;
    const range = trueRange(h, l, close[i - 1]!);
    if (i < period) {
      tr += range;
      plus += plusDm;
      minus += minusDm;
      continue;
    }
    if (i === period) {
      tr = (tr + range) / period;
      plus = (plus + plusDm) / period;
      minus = (minus + minusDm) / period;
    } else {
      tr = tr * decay + range * inv;
      plus = plus * decay + plusDm * inv;
      minus = minus * decay + minusDm * inv;
    }
    const plusDi = directionalIndex(plus, tr);
    const minusDi = directionalIndex(minus, tr);
    const dx = directionalMovementIndex(plusDi, minusDi);
    plusOut[i] = plusDi;
    minusOut[i] = minusDi;
    const j = i - period;
    if (j < period - 1) {
      average += dx;
    } else if (j === period - 1) {
      average = (average + dx) / period;
      adxOut[i] = average;
    } else {
      average = average * decay + dx * inv;
      adxOut[i] = average;
    }
  }
  return { adx: adxOut, plusDi: plusOut, minusDi: minusOut };
}

const adxSnapshot = z
  .object({
    period: z.number(),
    count: snapshotCount,
    previousHigh: snapshotNumber,
    previousLow: snapshotNumber,
    previousClose: snapshotNumber,
    tr: snapshotNumber,
    plus: snapshotNumber,
    minus: snapshotNumber,
    average: snapshotNumber,
    plusDi: snapshotNumber.nullable(),
    minusDi: snapshotNumber.nullable(),
    value: z.object({ adx: snapshotNumber, plusDi: snapshotNumber, minusDi: snapshotNumber }).strict().nullable(),
  })
  .strict();
/** An AdxStream's running values; null where nothing is defined yet. */
export type AdxSnapshot = z.infer<typeof adxSnapshot>;

/** Streaming ADX; `update` returns a value once ADX is defined (`plusDi`/`minusDi` earlier). */
export class AdxStream implements SnapshotStream<AdxSnapshot> {
  readonly period: number;
  #count = 0;
  #previousHigh = 0;
  #previousLow = 0;
  #previousClose = 0;
  #tr = 0;
  #plus = 0;
  #minus = 0;
  #average = 0;
  readonly #inv: number;
  readonly #decay: number;
  #plusDi: number | undefined;
  #minusDi: number | undefined;
  #value: AdxValue | undefined;

  constructor(period = 14) {
    assertPeriod(period, 'period');
    this.period = period;
    this.#inv = 1 / period;
    this.#decay = (period - 1) / period;
  }

  get value(): AdxValue | undefined {
    return this.#value;
  }

  get plusDi(): number | undefined {
    return this.#plusDi;
  }

  get minusDi(): number | undefined {
    return this.#minusDi;
  }

  update(bar: Bar): AdxValue | undefined {
    const i = this.#count++;
    const previousHigh = this.#previousHigh;
    const previousLow = this.#previousLow;
    const previousClose = this.#previousClose;
    this.#previousHigh = bar.high;
    this.#previousLow = bar.low;
    this.#previousClose = bar.close;
    if (i === 0) return undefined;
    const period = this.period;
    const inv = this.#inv;
    const decay = this.#decay;
    const up = bar.high - previousHigh;
    const down = previousLow - bar.low;
    const plusDm = up > down && up > 0 ? up : 0;
    const minusDm = down > up && down > 0 ? down : 0;
    const range = trueRange(bar.high, bar.low, previousClose);
    if (i < period) {
      this.#tr += range;
      this.#plus += plusDm;
      this.#minus += minusDm;
      return undefined;
    }
    if (i === period) {
      this.#tr = (this.#tr + range) / period;
      this.#plus = (this.#plus + plusDm) / period;
      this.#minus = (this.#minus + minusDm) / period;
    } else {
      this.#tr = this.#tr * decay + range * inv;
      this.#plus = this.#plus * decay + plusDm * inv;
      this.#minus = this.#minus * decay + minusDm * inv;
    }
    const plusDi = directionalIndex(this.#plus, this.#tr);
    const minusDi = directionalIndex(this.#minus, this.#tr);
    const dx = directionalMovementIndex(plusDi, minusDi);
    this.#plusDi = plusDi;
    this.#minusDi = minusDi;
    const j = i - period;
    if (j < period - 1) {
      this.#average += dx;
      return undefined;
    }
    if (j === period - 1) this.#average = (this.#average + dx) / period;
    else this.#average = this.#average * decay + dx * inv;
    return (this.#value = { adx: this.#average, plusDi, minusDi });
  }

  get streamTag(): 'adx' {
    return 'adx';
  }

  snapshot(): AdxSnapshot {
    return {
      period: this.period,
      count: this.#count,
      previousHigh: this.#previousHigh,
      previousLow: this.#previousLow,
      previousClose: this.#previousClose,
      tr: this.#tr,
      plus: this.#plus,
      minus: this.#minus,
      average: this.#average,
      plusDi: this.#plusDi ?? null,
      minusDi: this.#minusDi ?? null,
      value: this.#value === undefined ? null : { ...this.#value },
    };
  }

  /** A stream that continues exactly as the one `snapshot` was taken from; throws RangeError if it is not valid. */
  static restore(snapshot: unknown): AdxStream {
    const s = parseSnapshot('adx', adxSnapshot, snapshot);
    const stream = new AdxStream(s.period);
    stream.#count = s.count;
    stream.#previousHigh = s.previousHigh;
    stream.#previousLow = s.previousLow;
    stream.#previousClose = s.previousClose;
    stream.#tr = s.tr;
    stream.#plus = s.plus;
    stream.#minus = s.minus;
    stream.#average = s.average;
    stream.#plusDi = s.plusDi ?? undefined;
    stream.#minusDi = s.minusDi ?? undefined;
    stream.#value = s.value === null ? undefined : { ...s.value };
    return stream;
  }
}
