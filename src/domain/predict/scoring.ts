// Scoring predictions against what happened: hit rate with a Wilson interval, mean absolute error,
// and calibration (do 70 %-confidence calls come true about 70 % of the time).
import type { Sample } from './dataset.js';
import { Direction, predictedPrice, type Prediction } from './models/model.js';

/** Two-sided 95 % standard normal quantile. */
export const Z_95 = 1.959963984540054;

export interface Interval {
  low: number;
  high: number;
}

/**
 * Wilson score interval for a proportion of `hits` in `n` trials: well behaved near 0 and 1 and for
 * small n, unlike the normal approximation. With n = 0 the interval is the whole [0, 1].
 */
export function wilsonInterval(hits: number, n: number, z = Z_95): Interval {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(hits) || hits < 0 || hits > n) {
    throw new RangeError(`need whole numbers 0 ≤ hits ≤ n, got hits ${String(hits)} of ${String(n)}`);
  }
  if (n === 0) return { low: 0, high: 1 };
  const p = hits / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator;
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

export interface DirectionScore {
  samples: number;
  hits: number;
  /** Undefined when there are no samples. */
  hitRate: number | undefined;
  wilson95: Interval;
}

export interface ErrorScore {
  samples: number;
  /** Mean |predicted return - realised return| (a fraction). */
  meanAbsoluteReturnError: number | undefined;
  /** Mean |predicted price - realised price| in quote units (a statistic, not an amount of money). */
  meanAbsolutePriceError: number | undefined;
}

export interface CalibrationBucket {
  /** Confidence range [from, to); the last bucket includes 1. */
  from: number;
  to: number;
  samples: number;
  meanConfidence: number | undefined;
  hitRate: number | undefined;
}

export interface Score {
  direction: DirectionScore;
  error: ErrorScore;
  calibration: CalibrationBucket[];
}

/** A prediction made at a sample's bar, beside the sample (which carries what happened). */
export interface PredictionRecord {
  sample: Sample;
  prediction: Prediction;
}

/** Confidence bucket edges: 0.5–0.6, 0.6–0.7, 0.7–0.8, 0.8–0.9, 0.9–1. */
export const CALIBRATION_EDGES = [0.5, 0.6, 0.7, 0.8, 0.9, 1] as const;

/** Whether a direction call came true: up means the close rose strictly; anything else is down. */
export function isHit(prediction: Prediction, sample: Sample): boolean | undefined {
  if (prediction.direction === undefined) return undefined;
  return (prediction.direction === Direction.up) === sample.up;
}

/** Scores records; direction over those with a direction call, error over those with an expected return. */
export function score(records: readonly PredictionRecord[]): Score {
  let directionSamples = 0;
  let hits = 0;
  let errorSamples = 0;
  let returnError = 0;
  let priceError = 0;
  const edges = CALIBRATION_EDGES;
  const buckets = edges.slice(0, -1).map((from, i) => ({ from, to: edges[i + 1]!, samples: 0, confidence: 0, hits: 0 }));
  for (const { sample, prediction } of records) {
    const hit = isHit(prediction, sample);
    if (hit !== undefined) {
      directionSamples++;
      if (hit) hits++;
      const c = prediction.confidence;
      if (c !== undefined) {
        let b = buckets.findIndex((x) => c >= x.from && c < x.to);
        if (b < 0) b = c >= 1 ? buckets.length - 1 : 0;
        const bucket = buckets[b]!;
        bucket.samples++;
        bucket.confidence += c;
        if (hit) bucket.hits++;
      }
    }
    const price = predictedPrice(prediction, sample.close);
    if (prediction.expectedReturn !== undefined && price !== undefined) {
      errorSamples++;
      returnError += Math.abs(prediction.expectedReturn - sample.futureReturn);
      priceError += Math.abs(price - sample.futureClose);
    }
  }
  return {
    direction: {
      samples: directionSamples,
      hits,
      hitRate: directionSamples > 0 ? hits / directionSamples : undefined,
      wilson95: wilsonInterval(hits, directionSamples),
    },
    error: {
      samples: errorSamples,
      meanAbsoluteReturnError: errorSamples > 0 ? returnError / errorSamples : undefined,
      meanAbsolutePriceError: errorSamples > 0 ? priceError / errorSamples : undefined,
    },
    calibration: buckets.map((b) => ({
      from: b.from,
      to: b.to,
      samples: b.samples,
      meanConfidence: b.samples > 0 ? b.confidence / b.samples : undefined,
      hitRate: b.samples > 0 ? b.hits / b.samples : undefined,
    })),
  };
}
