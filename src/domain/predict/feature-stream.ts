// Feature rows one bar at a time, for code that sees candles as they close (a strategy, a live
// predictor) and must not pay for the whole history on every bar. Each `update` returns exactly the
// row `computeFeatures` gives for that bar over the same series — the same indicators in their
// streaming forms, which perform the same floating-point operations in the same order — so a model
// trained on batch features predicts the same on streamed ones. O(1) work and memory per bar.
//
// A snapshot (`snapshot` / `FeatureStream.restore`) holds the recent closes and the inner streams'
// snapshots, so a bot that stores its strategy state between candles resumes with the same rows.
import { z } from 'zod';
import {
  BollingerStream, EmaStream, parseSnapshot, RsiStream, SmaStream, snapshotCount, snapshotNumber,
  type BollingerSnapshot, type EmaSnapshot, type RsiSnapshot, type SmaSnapshot, type SnapshotStream,
} from '../indicators/index.js';
import {
  BOLLINGER_PERIOD, EMA_PERIOD, FEATURE_WARMUP, RETURN_WINDOWS, RSI_PERIOD, VOLATILITY_WINDOW, VOLUME_WINDOW,
} from './features.js';

/** Closes kept: enough for the longest return window and the volatility window's first log return. */
const HISTORY = Math.max(...RETURN_WINDOWS, VOLATILITY_WINDOW) + 1;

const featureSnapshot = z
  .object({ closes: z.array(snapshotNumber), count: snapshotCount, rsi: z.unknown(), ema: z.unknown(), bands: z.unknown(), volume: z.unknown() })
  .strict();
/** A FeatureStream's running values: the ring of recent closes (head `count % closes.length`) and its indicators'. */
export interface FeatureSnapshot {
  closes: number[];
  count: number;
  rsi: RsiSnapshot;
  ema: EmaSnapshot;
  bands: BollingerSnapshot;
  volume: SmaSnapshot;
}

export class FeatureStream implements SnapshotStream<FeatureSnapshot> {
  // Not readonly only so that `restore` can set them; nothing else replaces them.
  #closes = new Float64Array(HISTORY);
  #count = 0;
  #rsi = new RsiStream(RSI_PERIOD);
  #ema = new EmaStream(EMA_PERIOD);
  #bands = new BollingerStream({ period: BOLLINGER_PERIOD });
  #volume = new SmaStream(VOLUME_WINDOW);

  /** Bars seen so far. */
  get bars(): number {
    return this.#count;
  }

  /** The close `n` bars before the latest one (0 = latest); needs n < bars and n < HISTORY. */
  #close(n: number): number {
    return this.#closes[(this.#count - 1 - n) % HISTORY]!;
  }

  /**
   * Takes the next bar's close and volume; returns its feature row (columns in `FEATURE_NAMES` order),
   * or undefined during warm-up or where a value is not finite, as `computeFeatures` does.
   */
  update(close: number, volume: number): readonly number[] | undefined {
    this.#closes[this.#count % HISTORY] = close;
    const t = this.#count++;
    const rsi = this.#rsi.update(close);
    const ema = this.#ema.update(close);
    const band = this.#bands.update(close);
    const averageVolume = this.#volume.update(volume);
    if (t < FEATURE_WARMUP || rsi === undefined || ema === undefined || band === undefined || averageVolume === undefined) return undefined;
    const row: number[] = [];
    for (const w of RETURN_WINDOWS) row.push(close / this.#close(w) - 1);
    // Same order of operations as the batch realised volatility: oldest log return first.
    let sum = 0;
    let sumSq = 0;
    for (let k = VOLATILITY_WINDOW - 1; k >= 0; k--) {
      const r = Math.log(this.#close(k) / this.#close(k + 1));
      sum += r;
      sumSq += r * r;
    }
    const mean = sum / VOLATILITY_WINDOW;
    const variance = sumSq / VOLATILITY_WINDOW - mean * mean;
    row.push(variance > 0 ? Math.sqrt(variance) : 0);
    row.push(rsi);
    row.push(close / ema - 1);
    row.push(band.percentB);
    row.push(volume / averageVolume);
    return row.every(Number.isFinite) ? row : undefined;
  }

  get streamTag(): 'features' {
    return 'features';
  }

  snapshot(): FeatureSnapshot {
    return {
      closes: Array.from(this.#closes),
      count: this.#count,
      rsi: this.#rsi.snapshot(),
      ema: this.#ema.snapshot(),
      bands: this.#bands.snapshot(),
      volume: this.#volume.snapshot(),
    };
  }

  /** A stream that continues exactly as the one `snapshot` was taken from; throws RangeError if it is not valid. */
  static restore(snapshot: unknown): FeatureStream {
    const s = parseSnapshot('features', featureSnapshot, snapshot);
    if (s.closes.length !== HISTORY) throw new RangeError(`a features stream snapshot is not valid (closes): it holds ${s.closes.length} closes, expected ${HISTORY}`);
    const rsi = RsiStream.restore(s.rsi);
    const ema = EmaStream.restore(s.ema);
    const bands = BollingerStream.restore(s.bands);
    const volume = SmaStream.restore(s.volume);
    // The rows are only the batch features' rows with these exact settings.
    const settings: Array<[string, number, number]> = [
      ['rsi period', rsi.period, RSI_PERIOD],
      ['ema period', ema.period, EMA_PERIOD],
      ['bollinger period', bands.period, BOLLINGER_PERIOD],
      ['bollinger stdDev', bands.stdDev, new BollingerStream({ period: BOLLINGER_PERIOD }).stdDev],
      ['volume window', volume.period, VOLUME_WINDOW],
    ];
    for (const [name, got, want] of settings) {
      if (got !== want) throw new RangeError(`a features stream snapshot is not valid (${name}): ${got}, expected ${want}`);
    }
    const stream = new FeatureStream();
    stream.#closes = Float64Array.from(s.closes);
    stream.#count = s.count;
    stream.#rsi = rsi;
    stream.#ema = ema;
    stream.#bands = bands;
    stream.#volume = volume;
    return stream;
  }
}
