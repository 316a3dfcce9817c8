// Ridge regression for the horizon return: r = b + w·z on standardised features, minimising mean
// squared error + l2·|w|² in closed form ((Z'Z/n + l2·I) w = Z'(y - ȳ)/n, b = ȳ since Z is centred).
import type { Sample } from '../dataset.js';
import { fitStandardiser, solveLinearSystem, standardise } from './linear-algebra.js';
import { MODEL_FORMAT_VERSION, ModelKind, type RidgeModel } from './model.js';
import { trainingWindowOf } from './training.js';

export interface RidgeOptions {
  /** L2 strength on the standardised weights (default 0.01). */
  l2?: number;
}

export function trainRidgeRegression(
  samples: readonly Sample[],
  featureNames: readonly string[],
  horizon: number,
  options: RidgeOptions = {},
): RidgeModel {
  const l2 = options.l2 ?? 0.01;
  if (!(l2 >= 0) || !Number.isFinite(l2)) throw new RangeError(`l2 must be a finite number ≥ 0, got ${String(l2)}`);
  const p = featureNames.length;
  const trainingWindow = trainingWindowOf(samples, p, horizon);
  const standardiser = fitStandardiser(samples.map((s) => s.x), p);
  const zs = samples.map((s) => standardise(standardiser, s.x));
  const n = samples.length;
  const meanY = samples.reduce((s, x) => s + x.futureReturn, 0) / n;
  const a = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  const b = new Array<number>(p).fill(0);
  for (let i = 0; i < n; i++) {
    const z = zs[i]!;
    const y = samples[i]!.futureReturn - meanY;
    for (let j = 0; j < p; j++) {
      b[j]! += (z[j]! * y) / n;
      const row = a[j]!;
      for (let k = j; k < p; k++) row[k]! += (z[j]! * z[k]!) / n;
    }
  }
  for (let j = 0; j < p; j++) {
    for (let k = 0; k < j; k++) a[j]![k] = a[k]![j]!;
    // A tiny floor keeps the system solvable with l2 = 0 and a constant (all-zero) feature column.
    a[j]![j]! += Math.max(l2, 1e-12);
  }
  const weights = p === 0 ? [] : solveLinearSystem(a, b);
  let ss = 0;
  for (let i = 0; i < n; i++) {
    let fit = meanY;
    for (let j = 0; j < p; j++) fit += weights[j]! * zs[i]![j]!;
    const e = samples[i]!.futureReturn - fit;
    ss += e * e;
  }
  return {
    formatVersion: MODEL_FORMAT_VERSION,
    kind: ModelKind.ridgeRegression,
    parameters: { l2 },
    featureNames: [...featureNames],
    trainingWindow,
    standardiser,
    intercept: meanY,
    weights,
    residualStd: Math.sqrt(ss / n),
  };
}
