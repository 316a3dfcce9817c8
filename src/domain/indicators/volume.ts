// Volume indicators: On-Balance Volume and the volume-weighted average price.
import { z } from 'zod';
import { parseSnapshot, snapshotCount, snapshotNumber, type SnapshotStream } from './snapshot.js';
import type { VolumeBar } from './types.js';
import { nanArray, sameLength } from './types.js';

/**
 * On-Balance Volume: 0 at the first bar, then plus the bar's volume when the close rose, minus it
 * when the close fell. technicalindicators omits the first bar's 0; otherwise the same.
 */
export function obv(series: { close: ArrayLike<number>; volume: ArrayLike<number> }): Float64Array {
  const { close, volume } = series;
  const n = sameLength([['close', close], ['volume', volume]]);
  const out = new Float64Array(n);
  let total = 0;
  for (let i = 1; i < n; i++) {
    const c = close[i]!;
    const previous = close[i - 1]!;
    if (c > previous) total += volume[i]!;
    else if (c < previous) total -= volume[i]!;
    out[i] = total;
  }
  return out;
}

const obvSnapshot = z.object({ count: snapshotCount, previousClose: snapshotNumber, total: snapshotNumber }).strict();
/** An ObvStream's running values. */
export type ObvSnapshot = z.infer<typeof obvSnapshot>;

/** Streaming OBV, same arithmetic as `obv`. */
export class ObvStream implements SnapshotStream<ObvSnapshot> {
  #count = 0;
  #previousClose = 0;
  #total = 0;

  get value(): number | undefined {
    return this.#count === 0 ? undefined : this.#total;
  }

  update(bar: { close: number; volume: number }): number {
    if (this.#count++ > 0) {
      if (bar.close > this.#previousClose) this.#total += bar.volume;
      else if (bar.close < this.#previousClose) this.#total -= bar.volume;
    }
    this.#previousClose = bar.close;
    return this.#total;
  }

  get streamTag(): 'obv' {
    return 'obv';
  }

  snapshot(): ObvSnapshot {
    return { count: this.#count, previousClose: this.#previousClose, total: this.#total };
  }

  /** A stream that continues exactly as the one `snapshot` was taken from; throws RangeError if it is not valid. */
  static restore(snapshot: unknown): ObvStream {
    const s = parseSnapshot('obv', obvSnapshot, snapshot);
    const stream = new ObvStream();
    stream.#count = s.count;
    stream.#previousClose = s.previousClose;
    stream.#total = s.total;
    return stream;
  }
}

export interface VwapOptions {
  /**
   * Session length in ms: the cumulative sums restart whenever floor((time - sessionOffsetMs) /
   * sessionMs) changes (86_400_000 = a UTC day). Without it, VWAP accumulates over the whole series.
   */
  sessionMs?: number;
  sessionOffsetMs?: number;
}

function sessionOf(time: number, options: VwapOptions): number {
  return Math.floor((time - (options.sessionOffsetMs ?? 0)) / options.sessionMs!);
}

function checkSession(options: VwapOptions): void {
  const { sessionMs } = options;
  if (sessionMs !== undefined && (!Number.isFinite(sessionMs) || sessionMs <= 0)) {
    throw new RangeError(`sessionMs must be a positive number of milliseconds, got ${String(sessionMs)}`);
  }
}

/**
 * VWAP: cumulative (typical price × volume) / cumulative volume, typical price = (high + low + close) / 3.
 * NaN while the session has had no volume. With `sessionMs`, `series.time` (epoch ms) is required.
 */
export function vwap(
  series: { high: ArrayLike<number>; low: ArrayLike<number>; close: ArrayLike<number>; volume: ArrayLike<number>; time?: ArrayLike<number> },
  options: VwapOptions = {},
): Float64Array {
  checkSession(options);
  const { high, low, close, volume, time } = series;
  const columns: Array<readonly [string, ArrayLike<number>]> = [['high', high], ['low', low], ['close', close], ['volume', volume]];
  const sessions = options.sessionMs !== undefined;
  if (sessions) {
    if (time === undefined) throw new RangeError('series.time is required when sessionMs is set');
    columns.push(['time', time]);
  }
  const n = sameLength(columns);
  const out = nanArray(n);
  let priceVolume = 0;
  let totalVolume = 0;
  let session = Number.NaN;
  for (let i = 0; i < n; i++) {
    if (sessions) {
      const s = sessionOf(time![i]!, options);
      if (s !== session) {
        session = s;
        priceVolume = 0;
        totalVolume = 0;
      }
    }
    const v = volume[i]!;
    priceVolume += ((high[i]! + low[i]! + close[i]!) / 3) * v;
    totalVolume += v;
    if (totalVolume > 0) out[i] = priceVolume / totalVolume;
  }
  return out;
}

const vwapSnapshot = z
  .object({
    sessionMs: z.number().nullable(),
    sessionOffsetMs: z.number().nullable(),
    priceVolume: snapshotNumber,
    totalVolume: snapshotNumber,
    session: snapshotNumber.nullable(),
  })
  .strict();
/** A VwapStream's options (null where not set) and running sums; `session` is null before the first bar. */
export type VwapSnapshot = z.infer<typeof vwapSnapshot>;

/** Streaming VWAP, same arithmetic as `vwap`; with `sessionMs`, bars must carry `time`. */
export class VwapStream implements SnapshotStream<VwapSnapshot> {
  readonly #options: VwapOptions;
  #priceVolume = 0;
  #totalVolume = 0;
  #session = Number.NaN;

  constructor(options: VwapOptions = {}) {
    checkSession(options);
    this.#options = { ...options };
  }

  get value(): number | undefined {
    return this.#totalVolume > 0 ? this.#priceVolume / this.#totalVolume : undefined;
  }

  update(bar: VolumeBar): number | undefined {
    if (this.#options.sessionMs !== undefined) {
      if (bar.time === undefined) throw new RangeError('bar.time is required when sessionMs is set');
      const s = sessionOf(bar.time, this.#options);
      if (s !== this.#session) {
        this.#session = s;
        this.#priceVolume = 0;
        this.#totalVolume = 0;
      }
    }
    this.#priceVolume += ((bar.high + bar.low + bar.close) / 3) * bar.volume;
    this.#totalVolume += bar.volume;
    return this.#totalVolume > 0 ? this.#priceVolume / this.#totalVolume : undefined;
  }

  get streamTag(): 'vwap' {
    return 'vwap';
  }

  snapshot(): VwapSnapshot {
    return {
      sessionMs: this.#options.sessionMs ?? null,
      sessionOffsetMs: this.#options.sessionOffsetMs ?? null,
      priceVolume: this.#priceVolume,
      totalVolume: this.#totalVolume,
      session: Number.isNaN(this.#session) ? null : this.#session,
    };
  }

  /** A stream that continues exactly as the one `snapshot` was taken from; throws RangeError if it is not valid. */
  static restore(snapshot: unknown): VwapStream {
    const s = parseSnapshot('vwap', vwapSnapshot, snapshot);
    const options: VwapOptions = {};
    if (s.sessionMs !== null) options.sessionMs = s.sessionMs;
    if (s.sessionOffsetMs !== null) options.sessionOffsetMs = s.sessionOffsetMs;
    const stream = new VwapStream(options);
    stream.#priceVolume = s.priceVolume;
    stream.#totalVolume = s.totalVolume;
    stream.#session = s.session ?? Number.NaN;
    return stream;
  }
}
