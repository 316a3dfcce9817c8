// Feature rows one bar at a time, for code that sees candles as they close (a strategy, a live
// predictor) and must not pay for the whole history on every bar. Each `update` returns exactly the
// row `computeFeatures` gives for that bar over the same series — the same indicators in their
// streaming forms, which perform the same floating-point operations in the same order — so a model
// trained on batch features predicts the same on streamed ones. O(1) work and memory per bar.
import { BollingerStream, EmaStream, RsiStream, SmaStream } from '../indicators/index.js';
import {
  BOLLINGER_PERIOD, EMA_PERIOD, FEATURE_WARMUP, RETURN_WINDOWS, RSI_PERIOD, VOLATILITY_WINDOW, VOLUME_WINDOW,
} from './features.js';

/** Closes kept: enough for the longest return window and the volatility window's first log return. */
const HISTORY = Math.max(...RETURN_WINDOWS, VOLATILITY_WINDOW) + 1;

export class FeatureStream {
  readonly #closes = new Float64Array(HISTORY);
  #count = 0;
  readonly #rsi = new RsiStream(RSI_PERIOD);
  readonly #ema = new EmaStream(EMA_PERIOD);
  readonly #bands = new BollingerStream({ period: BOLLINGER_PERIOD });
  readonly #volume = new SmaStream(VOLUME_WINDOW);

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
}
