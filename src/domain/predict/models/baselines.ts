// The naive baselines every learner is measured against: persistence for the price (nothing
// changes) and the majority class for the direction (the more frequent training outcome).
import type { Sample } from '../dataset.js';
import { MODEL_FORMAT_VERSION, ModelKind, type MajorityClassModel, type PersistenceModel } from './model.js';
import { trainingWindowOf } from './training.js';

export function trainPersistence(samples: readonly Sample[], horizon: number): PersistenceModel {
  const width = samples[0]?.x.length ?? 0;
  return {
    formatVersion: MODEL_FORMAT_VERSION,
    kind: ModelKind.persistence,
    parameters: {},
    featureNames: [],
    trainingWindow: trainingWindowOf(samples, width, horizon),
  };
}

export function trainMajorityClass(samples: readonly Sample[], horizon: number): MajorityClassModel {
  const width = samples[0]?.x.length ?? 0;
  const trainingWindow = trainingWindowOf(samples, width, horizon);
  const ups = samples.reduce((s, x) => s + (x.up ? 1 : 0), 0);
  return {
    formatVersion: MODEL_FORMAT_VERSION,
    kind: ModelKind.majorityClass,
    parameters: {},
    featureNames: [],
    trainingWindow,
    upRate: ups / samples.length,
  };
}
