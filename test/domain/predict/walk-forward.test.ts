import { describe, expect, it } from 'vitest';
import {
  Z_95, buildDataset, trainGradientBoostedTrees, computeFeatures, score, trainLogisticRegression, trainMajorityClass, trainPersistence,
  trainRidgeRegression, walkForward, walkForwardFolds, wilsonInterval, type Dataset,
} from '../../../src/domain/predict/index.js';
import { ar1Closes, candlesFromCloses, sample } from './fixtures.js';

// Ten samples at bars 0..9, horizon 2. Ups: T T T F T F F F T F.
const RETURNS = [0.01, 0.02, 0.01, -0.01, 0.03, -0.02, -0.01, -0.04, 0.02, -0.03];
const small: Dataset = { featureNames: ['x'], horizon: 2, samples: RETURNS.map((r, i) => sample(i, [i], r)) };

describe('walk-forward folds', () => {
  it('train on labels known before each block, predict the block, roll forward (hand-checked)', () => {
    const folds = walkForwardFolds(small, { trainSize: 3, testSize: 2 });
    const shape = folds.map((f) => ({ train: f.train.map((s) => s.index), test: f.test.map((s) => s.index) }));
    expect(shape, 'a label at bar i is known at i + 2, so a block from bar t trains on bars ≤ t - 2').toEqual([
      { train: [0, 1, 2], test: [4, 5] },
      { train: [2, 3, 4], test: [6, 7] },
      { train: [4, 5, 6], test: [8, 9] },
    ]);
    const last = walkForwardFolds(small, { trainSize: 3, testSize: 4 });
    expect(last.map((f) => f.test.map((s) => s.index)), 'the last block may be short').toEqual([[4, 5, 6, 7], [8, 9]]);
    expect(last[1]!.train.map((s) => s.index)).toEqual([4, 5, 6]);
    expect(walkForwardFolds(small, { trainSize: 9, testSize: 2 }), 'not enough known labels for any fold').toEqual([]);
    expect(() => walkForwardFolds(small, { trainSize: 0, testSize: 2 })).toThrow(/trainSize/);
  });

  it('scores a hand-checked run: majority class as the model gives hits 2 of 6 and a zero margin', () => {
    const report = walkForward(small, (train, _names, h) => trainMajorityClass(train, h), { trainSize: 3, testSize: 2 });
    // Fold 1 trains on T T T → up (conf 1) on bars 4 (T), 5 (F): 1 hit. Fold 2 trains on T F T → up
    // (conf 2/3) on 6 (F), 7 (F): 0 hits. Fold 3 trains on T F F → down (conf 2/3) on 8 (T), 9 (F): 1 hit.
    expect(report.folds).toEqual([
      { trainFromIndex: 0, trainToIndex: 2, trainSamples: 3, testFromIndex: 4, testToIndex: 5, testSamples: 2 },
      { trainFromIndex: 2, trainToIndex: 4, trainSamples: 3, testFromIndex: 6, testToIndex: 7, testSamples: 2 },
      { trainFromIndex: 4, trainToIndex: 6, trainSamples: 3, testFromIndex: 8, testToIndex: 9, testSamples: 2 },
    ]);
    expect(report.model.direction.samples).toBe(6);
    expect(report.model.direction.hits).toBe(2);
    expect(report.model.direction.hitRate).toBe(2 / 6);
    expect(report.model.direction.wilson95).toEqual(wilsonInterval(2, 6));
    expect(report.margin.hitRate, 'the model is the baseline here').toBe(0);
    expect(report.margin.meanAbsoluteReturnError, 'a direction-only model has no error margin').toBeUndefined();
    const buckets = report.model.calibration.filter((b) => b.samples > 0);
    expect(buckets.map((b) => [b.from, b.samples, b.hitRate])).toEqual([[0.6, 4, 0.25], [0.9, 2, 0.5]]);
    expect(buckets[0]!.meanConfidence).toBeCloseTo(2 / 3, 12);
    // Persistence predicts a zero return: its MAE is the mean |return| over bars 4..9.
    const mae = (0.03 + 0.02 + 0.01 + 0.04 + 0.02 + 0.03) / 6;
    expect(report.baseline.persistence.error.samples).toBe(6);
    expect(report.baseline.persistence.error.meanAbsoluteReturnError).toBeCloseTo(mae, 15);
    expect(report.baseline.persistence.error.meanAbsolutePriceError, 'closes are 100').toBeCloseTo(100 * mae, 12);
  });

  it('persistence as the model has a zero error margin and no direction calls', () => {
    const report = walkForward(small, (train, _n, h) => trainPersistence(train, h), { trainSize: 3, testSize: 2 });
    expect(report.margin.meanAbsoluteReturnError).toBe(0);
    expect(report.model.direction.samples).toBe(0);
    expect(report.model.direction.hitRate).toBeUndefined();
    expect(report.margin.hitRate).toBeUndefined();
  });
});

describe('Wilson interval', () => {
  it('matches hand-computed values', () => {
    // p = 0.6, n = 100: centre (0.6 + 1.920729/100) / 1.0384146 = 0.596302, half-width 0.094298.
    const w = wilsonInterval(60, 100);
    expect(w.low).toBeCloseTo(0.50200, 4);
    expect(w.high).toBeCloseTo(0.69060, 4);
    // 0 of 10: low 0, high z²/n / (1 + z²/n) = 0.384146 / 1.384146 = 0.277530.
    const zero = wilsonInterval(0, 10);
    expect(zero.low).toBe(0);
    expect(zero.high).toBeCloseTo(0.27753, 5);
    expect(wilsonInterval(10, 10).low).toBeCloseTo(1 - 0.27753, 5);
    expect(wilsonInterval(0, 0)).toEqual({ low: 0, high: 1 });
    expect(Z_95).toBeCloseTo(1.96, 2);
    expect(() => wilsonInterval(3, 2)).toThrow(/hits/);
  });

  it('scores an empty set of predictions without dividing by zero', () => {
    const s = score([]);
    expect(s.direction).toEqual({ samples: 0, hits: 0, hitRate: undefined, wilson95: { low: 0, high: 1 } });
    expect(s.error.meanAbsoluteReturnError).toBeUndefined();
    expect(s.calibration.map((b) => b.samples)).toEqual([0, 0, 0, 0, 0]);
  });
});

describe('walk-forward on a market with a planted signal', () => {
  // Log returns follow AR(1) with phi = 0.5: the last bar's return predicts the next bar's direction
  // about 2/3 of the time, which a learner using return_1 should find and the majority class cannot.
  const closes = ar1Closes(1500, 2024, 0.5);
  const dataset = buildDataset(computeFeatures(candlesFromCloses(closes)), 1);
  const options = { trainSize: 400, testSize: 100 };

  it('logistic regression beats the majority class out of sample, with a Wilson interval above 50 %', () => {
    const report = walkForward(dataset, (t, n, h) => trainLogisticRegression(t, n, h), options);
    const d = report.model.direction;
    expect(d.samples, 'with h = 1 every sample after the first 400 is predicted once').toBe(dataset.samples.length - 400);
    expect(report.folds.every((f) => f.trainToIndex + 1 <= f.testFromIndex), 'train ends h bars before the test block').toBe(true);
    expect(d.hitRate!, `hit rate ${d.hitRate}`).toBeGreaterThan(0.6);
    expect(d.wilson95.low).toBeGreaterThan(0.55);
    expect(report.margin.hitRate!, `margin ${report.margin.hitRate}`).toBeGreaterThan(0.05);
    const calibrated = report.model.calibration.reduce((s, b) => s + b.samples, 0);
    expect(calibrated).toBe(d.samples);
  });

  it('ridge regression beats persistence on error and the majority class on direction', () => {
    const report = walkForward(dataset, (t, n, h) => trainRidgeRegression(t, n, h), options);
    expect(report.margin.hitRate!).toBeGreaterThan(0.05);
    expect(report.margin.meanAbsoluteReturnError!, 'the model\'s MAE is below persistence\'s').toBeGreaterThan(0);
  });

  it('gradient-boosted trees beat both baselines out of sample', () => {
    const report = walkForward(dataset, (t, n, h) => trainGradientBoostedTrees(t, n, h, { trees: 40, maxDepth: 2 }), options);
    expect(report.margin.hitRate!, `margin ${report.margin.hitRate}`).toBeGreaterThan(0.05);
    expect(report.margin.meanAbsoluteReturnError!).toBeGreaterThan(0);
  });

  it('is deterministic', () => {
    const run = (): string => JSON.stringify(walkForward(dataset, (t, n, h) => trainLogisticRegression(t, n, h), options));
    expect(run()).toBe(run());
  });

  it('on a pure random walk the learner does not reliably beat the baseline', () => {
    const noise = buildDataset(computeFeatures(candlesFromCloses(ar1Closes(1500, 77, 0))), 1);
    const report = walkForward(noise, (t, n, h) => trainLogisticRegression(t, n, h), options);
    const d = report.model.direction;
    expect(d.wilson95.low, 'no signal: the interval must include 50 %').toBeLessThan(0.5);
  });
});
