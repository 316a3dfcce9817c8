// Gradient-boosted regression trees for the horizon return (squared loss): start from the mean
// return, then each shallow tree fits the current residuals and is added with shrinkage. Splits are
// chosen greedily among up to `bins` quantile thresholds per feature; ties go to the lower feature
// index and threshold, so training is deterministic. Implemented here (not a library) because no
// maintained pure-JS GBDT package fits "Node ≥ 20, no install scripts, no downloads" with
// JSON-serialisable trees; this is ~150 lines and fully tested.
import type { Sample } from '../dataset.js';
import { MODEL_FORMAT_VERSION, ModelKind, type BoostedTreesModel, type TreeNode } from './model.js';
import { trainingWindowOf } from './training.js';
import { treeValue } from './tree.js';

export interface BoostingOptions {
  /** Trees in the ensemble (default 100). */
  trees?: number;
  /** Depth of each tree (default 3). */
  maxDepth?: number;
  /** Shrinkage applied to each tree's output (default 0.1). */
  learningRate?: number;
  /** Fewest training samples in a leaf (default 20). */
  minLeaf?: number;
  /** Candidate thresholds per feature at most (default 32). */
  bins?: number;
}

function thresholdsFor(values: readonly number[], bins: number): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  const out: number[] = [];
  for (let k = 1; k < bins; k++) {
    const i = Math.floor((k * sorted.length) / bins);
    const v = sorted[Math.min(i, sorted.length - 1)]!;
    if (out.length === 0 || v > out[out.length - 1]!) out.push(v);
  }
  return out;
}

/** The number of thresholds strictly below `x`: x ≤ thresholds[k] exactly when binOf(x) ≤ k. */
function binOf(x: number, thresholds: readonly number[]): number {
  let lo = 0;
  let hi = thresholds.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (thresholds[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Grows one tree on the residuals of `rows`. Split search is histogram based: per feature, residual
 * sums and counts per bin, then a cumulative scan over the candidate thresholds (O(n·p + p·bins) a node).
 */
function buildTree(
  bins: ReadonlyArray<readonly number[]>,
  residuals: readonly number[],
  rows: readonly number[],
  thresholds: ReadonlyArray<readonly number[]>,
  depth: number,
  minLeaf: number,
  gains: number[],
): TreeNode {
  let sum = 0;
  for (const i of rows) sum += residuals[i]!;
  const n = rows.length;
  const leaf: TreeNode = { value: n > 0 ? sum / n : 0 };
  if (depth === 0 || n < 2 * minLeaf) return leaf;
  const parentScore = (sum * sum) / n;
  let best: { feature: number; split: number; gain: number } | undefined;
  for (let f = 0; f < thresholds.length; f++) {
    const t = thresholds[f]!.length;
    if (t === 0) continue;
    const binSum = new Float64Array(t + 1);
    const binCount = new Int32Array(t + 1);
    for (const i of rows) {
      const b = bins[i]![f]!;
      binSum[b]! += residuals[i]!;
      binCount[b]!++;
    }
    let leftSum = 0;
    let leftN = 0;
    for (let k = 0; k < t; k++) {
      leftSum += binSum[k]!;
      leftN += binCount[k]!;
      const rightN = n - leftN;
      if (leftN < minLeaf) continue;
      if (rightN < minLeaf) break;
      const rightSum = sum - leftSum;
      // Reduction in squared error from splitting: S_L²/n_L + S_R²/n_R - S²/n.
      const gain = (leftSum * leftSum) / leftN + (rightSum * rightSum) / rightN - parentScore;
      if (gain > 1e-18 && (best === undefined || gain > best.gain)) best = { feature: f, split: k, gain };
    }
  }
  if (best === undefined) return leaf;
  gains[best.feature]! += best.gain;
  const left: number[] = [];
  const right: number[] = [];
  for (const i of rows) (bins[i]![best.feature]! <= best.split ? left : right).push(i);
  return {
    feature: best.feature,
    threshold: thresholds[best.feature]![best.split]!,
    left: buildTree(bins, residuals, left, thresholds, depth - 1, minLeaf, gains),
    right: buildTree(bins, residuals, right, thresholds, depth - 1, minLeaf, gains),
  };
}

export function trainGradientBoostedTrees(
  samples: readonly Sample[],
  featureNames: readonly string[],
  horizon: number,
  options: BoostingOptions = {},
): BoostedTreesModel {
  const trees = options.trees ?? 100;
  const maxDepth = options.maxDepth ?? 3;
  const learningRate = options.learningRate ?? 0.1;
  const minLeaf = options.minLeaf ?? 20;
  const bins = options.bins ?? 32;
  for (const [name, v, lo, hi] of [['trees', trees, 1, 5000], ['maxDepth', maxDepth, 1, 8], ['minLeaf', minLeaf, 1, 1e7], ['bins', bins, 2, 1024]] as const) {
    if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`${name} must be a whole number from ${lo} to ${hi}, got ${String(v)}`);
  }
  if (!(learningRate > 0 && learningRate <= 1)) throw new RangeError(`learningRate must be in (0, 1], got ${String(learningRate)}`);
  const p = featureNames.length;
  const trainingWindow = trainingWindowOf(samples, p, horizon);
  const xs = samples.map((s) => s.x);
  const ys = samples.map((s) => s.futureReturn);
  const n = samples.length;
  const base = ys.reduce((s, y) => s + y, 0) / n;
  const fitted = new Array<number>(n).fill(base);
  const thresholds = Array.from({ length: p }, (_, f) => thresholdsFor(xs.map((x) => x[f]!), bins));
  const binned = xs.map((x) => thresholds.map((thr, f) => binOf(x[f]!, thr)));
  const all = Array.from({ length: n }, (_, i) => i);
  const gains = new Array<number>(p).fill(0);
  const ensemble: TreeNode[] = [];
  for (let k = 0; k < trees; k++) {
    const residuals = ys.map((y, i) => y - fitted[i]!);
    const tree = buildTree(binned, residuals, all, thresholds, maxDepth, minLeaf, gains);
    ensemble.push(tree);
    for (let i = 0; i < n; i++) fitted[i]! += learningRate * treeValue(tree, xs[i]!);
  }
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (ys[i]! - fitted[i]!) ** 2;
  const totalGain = gains.reduce((s, g) => s + g, 0);
  return {
    formatVersion: MODEL_FORMAT_VERSION,
    kind: ModelKind.gradientBoostedTrees,
    parameters: { trees, maxDepth, learningRate, minLeaf, bins },
    featureNames: [...featureNames],
    trainingWindow,
    base,
    trees: ensemble,
    residualStd: Math.sqrt(ss / n),
    splitGainShare: gains.map((g) => (totalGain > 0 ? g / totalGain : 0)),
  };
}
