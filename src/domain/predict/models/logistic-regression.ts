// Logistic regression for the direction: P(up | x) = sigmoid(b + w·z), z the standardised features.
// Minimises mean log-loss + (l2 / 2)·|w|² (the intercept is not penalised) by Newton's method, which
// is iteratively reweighted least squares; the L2 term keeps the fit finite on separable data.
import type { Sample } from '../dataset.js';
import { fitStandardiser, sigmoid, solveLinearSystem, standardise } from './linear-algebra.js';
import { MODEL_FORMAT_VERSION, ModelKind, type LogisticModel } from './model.js';
import { trainingWindowOf } from './training.js';

export interface LogisticOptions {
  /** L2 strength on the standardised weights (default 0.01). */
  l2?: number;
  /** Newton steps at most (default 50). */
  maxIterations?: number;
  /** Stop when no coefficient moves by more than this (default 1e-8). */
  tolerance?: number;
}

export function trainLogisticRegression(
  samples: readonly Sample[],
  featureNames: readonly string[],
  horizon: number,
  options: LogisticOptions = {},
): LogisticModel {
  const l2 = options.l2 ?? 0.01;
  const maxIterations = options.maxIterations ?? 50;
  const tolerance = options.tolerance ?? 1e-8;
  if (!(l2 >= 0) || !Number.isFinite(l2)) throw new RangeError(`l2 must be a finite number ≥ 0, got ${String(l2)}`);
  if (!Number.isInteger(maxIterations) || maxIterations < 1) throw new RangeError(`maxIterations must be a whole number ≥ 1, got ${String(maxIterations)}`);
  const p = featureNames.length;
  const trainingWindow = trainingWindowOf(samples, p, horizon);
  const standardiser = fitStandardiser(samples.map((s) => s.x), p);
  const zs = samples.map((s) => [1, ...standardise(standardiser, s.x)]);
  const ys = samples.map((s) => (s.up ? 1 : 0));
  const n = samples.length;
  const d = p + 1;
  let beta = new Array<number>(d).fill(0);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations && !converged) {
    iterations++;
    const grad = new Array<number>(d).fill(0);
    const hess = Array.from({ length: d }, () => new Array<number>(d).fill(0));
    for (let i = 0; i < n; i++) {
      const z = zs[i]!;
      let eta = 0;
      for (let j = 0; j < d; j++) eta += beta[j]! * z[j]!;
      const mu = sigmoid(eta);
      const r = mu - ys[i]!;
      const w = mu * (1 - mu);
      for (let j = 0; j < d; j++) {
        grad[j]! += (r * z[j]!) / n;
        const wz = (w * z[j]!) / n;
        const row = hess[j]!;
        for (let k = j; k < d; k++) row[k]! += wz * z[k]!;
      }
    }
    for (let j = 0; j < d; j++) {
      for (let k = 0; k < j; k++) hess[j]![k] = hess[k]![j]!;
      // A tiny ridge on the intercept keeps the system solvable when every label is the same.
      hess[j]![j]! += j === 0 ? 1e-10 : l2;
      if (j > 0) grad[j]! += l2 * beta[j]!;
    }
    const step = solveLinearSystem(hess, grad);
    beta = beta.map((b, j) => b - step[j]!);
    converged = step.every((s) => Math.abs(s) <= tolerance);
  }
  return {
    formatVersion: MODEL_FORMAT_VERSION,
    kind: ModelKind.logisticRegression,
    parameters: { l2, maxIterations, tolerance },
    featureNames: [...featureNames],
    trainingWindow,
    standardiser,
    intercept: beta[0]!,
    weights: beta.slice(1),
    iterations,
    converged,
  };
}
