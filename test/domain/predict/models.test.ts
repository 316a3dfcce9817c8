import { describe, expect, it } from 'vitest';
import {
  ModelKind, featureImportance, trainGradientBoostedTrees, treeValue, parseModel, predict, predictedPrice, serialiseModel, trainLogisticRegression,
  trainMajorityClass, trainPersistence, trainRidgeRegression, type ModelVersion, type Sample,
} from '../../../src/domain/predict/index.js';
import { gaussian, mulberry32, sample } from './fixtures.js';

const NAMES = ['signal_a', 'signal_b', 'noise'];

/**
 * y = 0.004·a - 0.006·b + 0·c + 0.002·e (a, b, c uniform on [-1, 1], e standard normal). The direction
 * is up when y > 0; features are on different scales (b is 50x a) to exercise standardisation.
 */
function synthetic(n: number, seed: number): Sample[] {
  const rand = mulberry32(seed);
  const noise = gaussian(mulberry32(seed + 1));
  return Array.from({ length: n }, (_, i) => {
    const a = rand() * 2 - 1;
    const b = (rand() * 2 - 1) * 50;
    const c = rand() * 2 - 1;
    const y = 0.004 * a - (0.006 * b) / 50 + 0.002 * noise();
    return sample(i, [a, b, c], y);
  });
}

function accuracy(model: ModelVersion, samples: readonly Sample[]): number {
  let hits = 0;
  for (const s of samples) if ((predict(model, s.x).direction === 'up') === s.up) hits++;
  return hits / samples.length;
}

const train = synthetic(2000, 11);
const holdout = synthetic(1000, 99);

describe('logistic regression', () => {
  const model = trainLogisticRegression(train, NAMES, 1);

  it('recovers the signs of a known linear relationship and converges', () => {
    expect(model.converged, `Newton should converge, took ${model.iterations}`).toBe(true);
    expect(model.weights[0], 'signal_a pushes up').toBeGreaterThan(1);
    expect(model.weights[1], 'signal_b pushes down').toBeLessThan(-1);
    expect(Math.abs(model.weights[2]!), 'noise carries little weight').toBeLessThan(0.25);
    expect(Math.abs(model.weights[1]!), 'b has the stronger standardised effect (0.006 vs 0.004)').toBeGreaterThan(Math.abs(model.weights[0]!));
  });

  it('predicts held-out directions well above chance', () => {
    const acc = accuracy(model, holdout);
    expect(acc, `held-out accuracy ${acc}`).toBeGreaterThan(0.85);
  });

  it('stays finite on perfectly separable data thanks to L2', () => {
    const separable = Array.from({ length: 40 }, (_, i) => sample(i, [i < 20 ? -1 - i / 40 : 1 + i / 40], i < 20 ? -0.01 : 0.01));
    const m = trainLogisticRegression(separable, ['x'], 1, { l2: 0.1 });
    expect(Number.isFinite(m.weights[0]!)).toBe(true);
    expect(accuracy(m, separable)).toBe(1);
  });

  it('has feature importances that sum to 1 and rank the signals above noise', () => {
    const imp = featureImportance(model);
    expect(imp.reduce((s, x) => s + x.importance, 0)).toBeCloseTo(1, 12);
    expect(imp[2]!.importance).toBeLessThan(imp[0]!.importance);
    expect(imp[1]!.feature).toBe('signal_b');
  });
});

describe('ridge regression', () => {
  const model = trainRidgeRegression(train, NAMES, 1, { l2: 1e-6 });

  it('recovers the coefficients on the raw scale', () => {
    const raw = model.weights.map((w, j) => w / model.standardiser.scale[j]!);
    expect(raw[0], 'slope on a ≈ 0.004').toBeCloseTo(0.004, 3);
    expect(Math.abs(raw[0]! - 0.004) / 0.004).toBeLessThan(0.05);
    expect(Math.abs(raw[1]! - -0.006 / 50) / (0.006 / 50)).toBeLessThan(0.05);
    expect(Math.abs(raw[2]!)).toBeLessThan(0.0003);
    expect(model.residualStd, 'the residual spread is the noise, 0.002').toBeGreaterThan(0.0018);
    expect(model.residualStd).toBeLessThan(0.0022);
  });

  it('predicts held-out returns and directions', () => {
    expect(accuracy(model, holdout)).toBeGreaterThan(0.85);
    const p = predict(model, [1, -50, 0]);
    expect(p.expectedReturn).toBeCloseTo(0.01, 3);
    expect(p.direction).toBe('up');
    expect(p.confidence, 'a 5-sigma expected move is a near-certain call').toBeGreaterThan(0.99);
    expect(predictedPrice(p, 200)).toBeCloseTo(200 * (1 + p.expectedReturn!), 12);
  });

  it('solves an exact line exactly with no regularisation', () => {
    const line = [1, 2, 3, 4, 5].map((x, i) => sample(i, [x], 0.01 * x + 0.002));
    const m = trainRidgeRegression(line, ['x'], 1, { l2: 0 });
    expect(predict(m, [10]).expectedReturn).toBeCloseTo(0.102, 9);
    expect(m.residualStd).toBeCloseTo(0, 9);
  });
});

describe('gradient-boosted trees', () => {
  it('fit a hand-checkable step exactly with one stump at full learning rate', () => {
    const step = [1, 2, 3, 4].map((x, i) => sample(i, [x], x <= 2 ? -0.01 : 0.03));
    const m = trainGradientBoostedTrees(step, ['x'], 1, { trees: 1, maxDepth: 1, learningRate: 1, minLeaf: 1 });
    expect(m.base, 'mean return (−0.01 −0.01 +0.03 +0.03) / 4').toBeCloseTo(0.01, 15);
    expect(m.trees[0]).toMatchObject({ feature: 0, threshold: 2 });
    expect(predict(m, [1.5]).expectedReturn).toBeCloseTo(-0.01, 15);
    expect(predict(m, [10]).expectedReturn).toBeCloseTo(0.03, 15);
    expect(m.residualStd).toBeCloseTo(0, 15);
    expect(treeValue({ feature: 0, threshold: 0, left: { value: -1 }, right: { value: 1 } }, [0]), 'x ≤ threshold goes left').toBe(-1);
  });

  it('learn a non-linear relationship that ridge cannot, on held-out data', () => {
    // Up when |a| > 0.5 (a symmetric, non-monotone effect), independent of b and c.
    const make = (n: number, seed: number): Sample[] => {
      const rand = mulberry32(seed);
      const noise = gaussian(mulberry32(seed + 1));
      return Array.from({ length: n }, (_, i) => {
        const a = rand() * 2 - 1;
        const x = [a, rand() * 2 - 1, rand() * 2 - 1];
        return sample(i, x, (Math.abs(a) > 0.5 ? 0.01 : -0.01) + 0.003 * noise());
      });
    };
    const fit = make(1500, 5);
    const test = make(1000, 6);
    const trees = trainGradientBoostedTrees(fit, NAMES, 1, { trees: 60, maxDepth: 2 });
    const ridge = trainRidgeRegression(fit, NAMES, 1);
    const treeAcc = accuracy(trees, test);
    const ridgeAcc = accuracy(ridge, test);
    expect(treeAcc, `trees ${treeAcc}`).toBeGreaterThan(0.9);
    expect(ridgeAcc, `ridge ${ridgeAcc} cannot express |a|`).toBeLessThan(0.7);
    const imp = featureImportance(trees);
    expect(imp[0]!.importance, 'almost all split gain is on a').toBeGreaterThan(0.9);
    expect(imp.reduce((s, x) => s + x.importance, 0)).toBeCloseTo(1, 12);
  });

  it('recover the direction of the linear synthetic set too', () => {
    const m = trainGradientBoostedTrees(train, NAMES, 1);
    expect(accuracy(m, holdout)).toBeGreaterThan(0.8);
  });

  it('refuse bad parameters', () => {
    expect(() => trainGradientBoostedTrees(train, NAMES, 1, { maxDepth: 0 })).toThrow(/maxDepth/);
    expect(() => trainGradientBoostedTrees(train, NAMES, 1, { learningRate: 0 })).toThrow(/learningRate/);
  });
});

describe('baselines', () => {
  const five = [0.01, -0.02, 0.03, 0.0, 0.05].map((r, i) => sample(i, [i], r, 200));

  it('persistence predicts the last close exactly and makes no direction call', () => {
    const m = trainPersistence(five, 4);
    const p = predict(m, [123]);
    expect(p).toEqual({ expectedReturn: 0 });
    expect(predictedPrice(p, 64_123.5)).toBe(64_123.5);
    expect(m.trainingWindow).toEqual({ fromIndex: 0, toIndex: 4, fromTime: 0, toTime: 4 * 3_600_000, samples: 5, horizon: 4 });
  });

  it('majority class calls the more frequent training direction with its frequency as confidence', () => {
    const m = trainMajorityClass(five, 4);
    expect(m.upRate, '3 of 5 rose (0 is not up)').toBe(0.6);
    expect(predict(m, [0])).toEqual({ probabilityUp: 0.6, direction: 'up', confidence: 0.6 });
    const mostlyDown = trainMajorityClass(five.slice(1, 4), 4);
    expect(predict(mostlyDown, [0])).toEqual({ probabilityUp: 1 / 3, direction: 'down', confidence: 1 - 1 / 3 });
    const tie = trainMajorityClass(five.slice(0, 2), 4);
    expect(predict(tie, [0]), 'a tie calls down').toEqual({ probabilityUp: 0.5, direction: 'down', confidence: 0.5 });
  });

  it('refuses to train on nothing', () => {
    expect(() => trainMajorityClass([], 1)).toThrow(/empty window/);
    expect(() => trainLogisticRegression([], NAMES, 1)).toThrow(/empty window/);
  });
});

describe('model versions', () => {
  const models: ModelVersion[] = [
    trainLogisticRegression(train, NAMES, 1),
    trainRidgeRegression(train, NAMES, 1),
    trainPersistence(train, 1),
    trainMajorityClass(train, 1),
    trainGradientBoostedTrees(train, NAMES, 1, { trees: 30 }),
  ];

  it('round-trip through JSON and predict identically without retraining', () => {
    for (const m of models) {
      const parsed = parseModel(serialiseModel(m));
      if (!parsed.ok) throw new Error(`${m.kind}: ${parsed.error.message}`);
      expect(parsed.value).toEqual(m);
      for (const s of holdout.slice(0, 200)) expect(predict(parsed.value, s.x), m.kind).toEqual(predict(m, s.x));
    }
  });

  it('carry kind, parameters, feature names and training window', () => {
    const json = JSON.parse(serialiseModel(models[0]!));
    expect(json.kind).toBe(ModelKind.logisticRegression);
    expect(json.parameters).toEqual({ l2: 0.01, maxIterations: 50, tolerance: 1e-8 });
    expect(json.featureNames).toEqual(NAMES);
    expect(json.trainingWindow).toEqual({ fromIndex: 0, toIndex: 1999, fromTime: 0, toTime: 1999 * 3_600_000, samples: 2000, horizon: 1 });
  });

  it('refuses malformed stored models with a message that says how to recover', () => {
    const bad = parseModel('{not json');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.message).toMatch(/not valid JSON; retrain/);
    const short = { ...models[0]!, weights: [1, 2] };
    const mismatch = parseModel(JSON.stringify(short));
    expect(mismatch.ok).toBe(false);
    if (!mismatch.ok) expect(mismatch.error.message).toMatch(/3 features but carries 2 weights/);
    const unknown = parseModel(JSON.stringify({ ...models[3]!, kind: 'neural_net' }));
    expect(unknown.ok).toBe(false);
    const badTree = parseModel(JSON.stringify({ ...models[4]!, trees: [{ feature: 7, threshold: 0, left: { value: 0 }, right: { value: 1 } }] }));
    expect(badTree.ok).toBe(false);
    if (!badTree.ok) expect(badTree.error.message).toMatch(/do not match its 3 features/);
  });

  it('training is deterministic', () => {
    expect(serialiseModel(trainLogisticRegression(train, NAMES, 1))).toBe(serialiseModel(models[0]!));
    expect(serialiseModel(trainRidgeRegression(train, NAMES, 1))).toBe(serialiseModel(models[1]!));
    expect(serialiseModel(trainGradientBoostedTrees(train, NAMES, 1, { trees: 30 }))).toBe(serialiseModel(models[4]!));
  });
});
