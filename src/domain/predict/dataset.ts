// A supervised data set: feature rows joined with their labels, only where both are defined.
import type { FeatureMatrix } from './features.js';
import { labelsFor } from './labels.js';

/** One training or scoring example: the features known at bar `index` and what happened `horizon` bars later. */
export interface Sample {
  /** Bar index in the source series. */
  index: number;
  /** Open time of that bar (epoch ms). */
  time: number;
  /** Close at that bar: the reference price of a prediction made there. */
  close: number;
  x: readonly number[];
  futureReturn: number;
  futureClose: number;
  up: boolean;
}

export interface Dataset {
  featureNames: readonly string[];
  horizon: number;
  /** Ordered by bar index. */
  samples: readonly Sample[];
}

/** Joins feature rows with labels at `horizon` bars. */
export function buildDataset(features: FeatureMatrix, horizon: number): Dataset {
  const labels = labelsFor(features.closes, horizon);
  const samples: Sample[] = [];
  for (let t = 0; t < features.rows.length; t++) {
    const x = features.rows[t];
    const label = labels[t];
    if (x === undefined || label === undefined) continue;
    samples.push({ index: t, time: features.times[t]!, close: features.closes[t]!, x, ...label });
  }
  return { featureNames: features.names, horizon, samples };
}
