// Walk-forward evaluation: train on a window, predict the next block, roll forward by one block.
// A label at bar i is known only at bar i + horizon, so the training window of a block starting at
// bar t holds only samples with i + horizon ≤ t (a purge of `horizon` bars): nothing the model learns
// from was unknown when its first prediction is made. Every block is scored beside the baselines
// (majority class for direction, persistence for price) trained on the same window.
import type { Dataset, Sample } from './dataset.js';
import { predict, type ModelVersion } from './models/model.js';
import { trainMajorityClass, trainPersistence } from './models/baselines.js';
import { score, type PredictionRecord, type Score } from './scoring.js';

/** Trains a model version on a window of samples. */
export type Trainer = (train: readonly Sample[], featureNames: readonly string[], horizon: number) => ModelVersion;

export interface WalkForwardOptions {
  /** Samples in each training window (the most recent ones whose labels are known). */
  trainSize: number;
  /** Samples predicted by each trained model before it is retrained; the last block may be shorter. */
  testSize: number;
}

/** One fold: the bar indices (inclusive) it trained on and predicted. */
export interface Fold {
  trainFromIndex: number;
  trainToIndex: number;
  trainSamples: number;
  testFromIndex: number;
  testToIndex: number;
  testSamples: number;
}

export interface WalkForwardReport {
  horizon: number;
  folds: Fold[];
  model: Score;
  baseline: { majorityClass: Score; persistence: Score };
  /**
   * The model's margin over the baselines: hit rate minus the majority class's (positive is better),
   * and persistence's mean absolute return error minus the model's (positive is better). Undefined
   * where the model makes no such call.
   */
  margin: { hitRate: number | undefined; meanAbsoluteReturnError: number | undefined };
  /** Every out-of-sample prediction of the model, in bar order. */
  predictions: PredictionRecord[];
}

function assertSize(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 1 || value > 10_000_000) {
    throw new RangeError(`${name} must be a whole number of samples from 1 to 10000000, got ${String(value)}`);
  }
}

/** The folds over a data set, as positions into `dataset.samples`. */
export function walkForwardFolds(
  dataset: Dataset,
  options: WalkForwardOptions,
): Array<{ train: readonly Sample[]; test: readonly Sample[] }> {
  assertSize(options.trainSize, 'trainSize');
  assertSize(options.testSize, 'testSize');
  const samples = dataset.samples;
  const folds: Array<{ train: readonly Sample[]; test: readonly Sample[] }> = [];
  // `known` = how many samples have labels known at the current test start (samples are in bar order).
  let known = 0;
  for (let start = 0; start < samples.length; ) {
    const t = samples[start]!.index;
    while (known < samples.length && samples[known]!.index + dataset.horizon <= t) known++;
    if (known < options.trainSize) {
      start++;
      continue;
    }
    folds.push({ train: samples.slice(known - options.trainSize, known), test: samples.slice(start, start + options.testSize) });
    start += options.testSize;
  }
  return folds;
}

/** Runs the walk-forward evaluation of one trainer and scores it beside the baselines. */
export function walkForward(dataset: Dataset, trainer: Trainer, options: WalkForwardOptions): WalkForwardReport {
  const folds: Fold[] = [];
  const predictions: PredictionRecord[] = [];
  const majority: PredictionRecord[] = [];
  const persistence: PredictionRecord[] = [];
  for (const { train, test } of walkForwardFolds(dataset, options)) {
    const model = trainer(train, dataset.featureNames, dataset.horizon);
    const majorityModel = trainMajorityClass(train, dataset.horizon);
    const persistenceModel = trainPersistence(train, dataset.horizon);
    for (const sample of test) {
      predictions.push({ sample, prediction: predict(model, sample.x) });
      majority.push({ sample, prediction: predict(majorityModel, sample.x) });
      persistence.push({ sample, prediction: predict(persistenceModel, sample.x) });
    }
    folds.push({
      trainFromIndex: train[0]!.index,
      trainToIndex: train[train.length - 1]!.index,
      trainSamples: train.length,
      testFromIndex: test[0]!.index,
      testToIndex: test[test.length - 1]!.index,
      testSamples: test.length,
    });
  }
  const modelScore = score(predictions);
  const majorityScore = score(majority);
  const persistenceScore = score(persistence);
  const modelHit = modelScore.direction.hitRate;
  const baseHit = majorityScore.direction.hitRate;
  const modelMae = modelScore.error.meanAbsoluteReturnError;
  const baseMae = persistenceScore.error.meanAbsoluteReturnError;
  return {
    horizon: dataset.horizon,
    folds,
    model: modelScore,
    baseline: { majorityClass: majorityScore, persistence: persistenceScore },
    margin: {
      hitRate: modelHit !== undefined && baseHit !== undefined ? modelHit - baseHit : undefined,
      meanAbsoluteReturnError: modelMae !== undefined && baseMae !== undefined ? baseMae - modelMae : undefined,
    },
    predictions,
  };
}
