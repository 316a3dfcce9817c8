// A model version: everything needed to predict again without retraining — its kind, parameters,
// feature names, training window and learnt coefficients — as plain JSON. Predictions from a
// reloaded version are identical to the original's (JSON keeps every double exactly).
import { z } from 'zod';
import { DomainErrorCode, fail, ok, type Result } from '../../result.js';
import { normalCdf, sigmoid, standardise, type Standardiser } from './linear-algebra.js';
import { treeValue } from './tree.js';

export const ModelKind = {
  logisticRegression: 'logistic_regression',
  ridgeRegression: 'ridge_regression',
  persistence: 'persistence',
  majorityClass: 'majority_class',
  gradientBoostedTrees: 'gradient_boosted_trees',
} as const;
export type ModelKind = (typeof ModelKind)[keyof typeof ModelKind];

export const MODEL_FORMAT_VERSION = 1;

/** The bars a model was trained on (sample bar indices and open times, inclusive) and the label horizon in bars. */
export interface TrainingWindow {
  fromIndex: number;
  toIndex: number;
  fromTime: number;
  toTime: number;
  samples: number;
  horizon: number;
}

interface ModelBase {
  formatVersion: typeof MODEL_FORMAT_VERSION;
  featureNames: string[];
  trainingWindow: TrainingWindow;
}

/** Logistic regression for P(up): L2 on the weights (not the intercept), fitted by Newton's method (IRLS). */
export interface LogisticModel extends ModelBase {
  kind: typeof ModelKind.logisticRegression;
  parameters: { l2: number; maxIterations: number; tolerance: number };
  standardiser: Standardiser;
  intercept: number;
  weights: number[];
  iterations: number;
  converged: boolean;
}

/** Ridge regression for the horizon return; P(up) assumes normal residuals with the training residual spread. */
export interface RidgeModel extends ModelBase {
  kind: typeof ModelKind.ridgeRegression;
  parameters: { l2: number };
  standardiser: Standardiser;
  intercept: number;
  weights: number[];
  residualStd: number;
}

/** Price baseline: the price h bars on is the last close (expected return 0). Makes no direction call. */
export interface PersistenceModel extends ModelBase {
  kind: typeof ModelKind.persistence;
  parameters: Record<string, never>;
}

/** Direction baseline: always the direction that was more frequent in training (ties: down). */
export interface MajorityClassModel extends ModelBase {
  kind: typeof ModelKind.majorityClass;
  parameters: Record<string, never>;
  upRate: number;
}

/** A regression tree: internal nodes send x[feature] ≤ threshold left; leaves carry a value. */
export type TreeNode = { value: number } | { feature: number; threshold: number; left: TreeNode; right: TreeNode };

/** Gradient-boosted regression trees for the horizon return; P(up) as for ridge, from the training residual spread. */
export interface BoostedTreesModel extends ModelBase {
  kind: typeof ModelKind.gradientBoostedTrees;
  parameters: { trees: number; maxDepth: number; learningRate: number; minLeaf: number; bins: number };
  /** Mean training return: the ensemble's starting point. */
  base: number;
  trees: TreeNode[];
  residualStd: number;
  /** Each feature's share of the total squared-error reduction of all splits (the feature importance). */
  splitGainShare: number[];
}

export type ModelVersion = LogisticModel | RidgeModel | PersistenceModel | MajorityClassModel | BoostedTreesModel;

export const Direction = { up: 'up', down: 'down' } as const;
export type Direction = (typeof Direction)[keyof typeof Direction];

/** What a model says about one row. Fields a model has no opinion on are absent. */
export interface Prediction {
  /** Expected simple return over the horizon (return models and persistence). */
  expectedReturn?: number;
  /** Probability the close h bars on is above the current close (direction models). */
  probabilityUp?: number;
  direction?: Direction;
  /** Probability of the called direction: max(pUp, 1 - pUp), from 0.5 to 1. */
  confidence?: number;
}

function directionFrom(probabilityUp: number): Pick<Prediction, 'probabilityUp' | 'direction' | 'confidence'> {
  const up = probabilityUp > 0.5;
  return { probabilityUp, direction: up ? Direction.up : Direction.down, confidence: up ? probabilityUp : 1 - probabilityUp };
}

function linear(intercept: number, weights: readonly number[], zRow: readonly number[]): number {
  let s = intercept;
  for (let j = 0; j < weights.length; j++) s += weights[j]! * zRow[j]!;
  return s;
}

function returnPrediction(expectedReturn: number, residualStd: number): Prediction {
  const pUp = residualStd > 0 ? normalCdf(expectedReturn / residualStd) : expectedReturn > 0 ? 1 : 0;
  return { expectedReturn, ...directionFrom(pUp) };
}

/** Predicts for one feature row (columns in `model.featureNames` order). */
export function predict(model: ModelVersion, x: readonly number[]): Prediction {
  switch (model.kind) {
    case ModelKind.logisticRegression:
      return directionFrom(sigmoid(linear(model.intercept, model.weights, standardise(model.standardiser, x))));
    case ModelKind.ridgeRegression:
      return returnPrediction(linear(model.intercept, model.weights, standardise(model.standardiser, x)), model.residualStd);
    case ModelKind.gradientBoostedTrees: {
      let r = model.base;
      for (const tree of model.trees) r += model.parameters.learningRate * treeValue(tree, x);
      return returnPrediction(r, model.residualStd);
    }
    case ModelKind.persistence:
      return { expectedReturn: 0 };
    case ModelKind.majorityClass:
      return directionFrom(model.upRate);
  }
}

/** The predicted price h bars on from the current close, when the model predicts a return. */
export function predictedPrice(prediction: Prediction, close: number): number | undefined {
  return prediction.expectedReturn === undefined ? undefined : close * (1 + prediction.expectedReturn);
}

/**
 * Each feature's share of the model's absolute standardised weights (linear models) or of its
 * split gains (trees); sums to 1, or all 0 when nothing was learnt. Baselines return an empty list.
 */
export function featureImportance(model: ModelVersion): Array<{ feature: string; importance: number }> {
  if (model.kind === ModelKind.gradientBoostedTrees) {
    return model.featureNames.map((feature, j) => ({ feature, importance: model.splitGainShare[j] ?? 0 }));
  }
  if (model.kind !== ModelKind.logisticRegression && model.kind !== ModelKind.ridgeRegression) return [];
  const total = model.weights.reduce((s, w) => s + Math.abs(w), 0);
  return model.featureNames.map((feature, j) => ({ feature, importance: total > 0 ? Math.abs(model.weights[j]!) / total : 0 }));
}

const finite = z.number().finite();
const windowSchema = z.object({
  fromIndex: z.number().int().nonnegative(),
  toIndex: z.number().int().nonnegative(),
  fromTime: finite,
  toTime: finite,
  samples: z.number().int().positive(),
  horizon: z.number().int().positive(),
});
const base = {
  formatVersion: z.literal(MODEL_FORMAT_VERSION),
  featureNames: z.array(z.string().min(1)),
  trainingWindow: windowSchema,
};
const standardiserSchema = z.object({ mean: z.array(finite), scale: z.array(finite.positive()) });
const treeSchema: z.ZodType<TreeNode> = z.lazy(() =>
  z.union([
    z.object({ value: finite }).strict(),
    z.object({ feature: z.number().int().nonnegative(), threshold: finite, left: treeSchema, right: treeSchema }).strict(),
  ]),
);
const modelSchema = z.discriminatedUnion('kind', [
  z.object({
    ...base,
    kind: z.literal(ModelKind.gradientBoostedTrees),
    parameters: z.object({
      trees: z.number().int().positive(),
      maxDepth: z.number().int().positive().max(8),
      learningRate: finite.positive().max(1),
      minLeaf: z.number().int().positive(),
      bins: z.number().int().min(2),
    }),
    base: finite,
    trees: z.array(treeSchema),
    residualStd: finite.nonnegative(),
    splitGainShare: z.array(finite.min(0).max(1)),
  }),
  z.object({
    ...base,
    kind: z.literal(ModelKind.logisticRegression),
    parameters: z.object({ l2: finite.nonnegative(), maxIterations: z.number().int().positive(), tolerance: finite.positive() }),
    standardiser: standardiserSchema,
    intercept: finite,
    weights: z.array(finite),
    iterations: z.number().int().nonnegative(),
    converged: z.boolean(),
  }),
  z.object({
    ...base,
    kind: z.literal(ModelKind.ridgeRegression),
    parameters: z.object({ l2: finite.nonnegative() }),
    standardiser: standardiserSchema,
    intercept: finite,
    weights: z.array(finite),
    residualStd: finite.nonnegative(),
  }),
  z.object({ ...base, kind: z.literal(ModelKind.persistence), parameters: z.object({}).strict() }),
  z.object({ ...base, kind: z.literal(ModelKind.majorityClass), parameters: z.object({}).strict(), upRate: finite.min(0).max(1) }),
]);

/** The model version as JSON text. */
export function serialiseModel(model: ModelVersion): string {
  return JSON.stringify(model);
}

/** Reads a model version back from JSON, checking its shape; the result predicts exactly as the original did. */
export function parseModel(json: string): Result<ModelVersion> {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return fail(DomainErrorCode.invalidInput, 'the stored model is not valid JSON; retrain the model to replace it');
  }
  const parsed = modelSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? `${issue.path.join('.') || 'model'}: ${issue.message}` : 'unknown shape';
    return fail(DomainErrorCode.invalidInput, `the stored model has the wrong shape (${where}); retrain the model to replace it`);
  }
  const model: ModelVersion = parsed.data;
  if (model.kind === ModelKind.logisticRegression || model.kind === ModelKind.ridgeRegression) {
    const width = model.featureNames.length;
    if (model.weights.length !== width || model.standardiser.mean.length !== width || model.standardiser.scale.length !== width) {
      return fail(
        DomainErrorCode.invalidInput,
        `the stored model names ${width} features but carries ${model.weights.length} weights; retrain the model to replace it`,
      );
    }
  }
  if (model.kind === ModelKind.gradientBoostedTrees) {
    const width = model.featureNames.length;
    const maxFeature = Math.max(-1, ...model.trees.map(maxFeatureIndex));
    if (model.splitGainShare.length !== width || maxFeature >= width) {
      return fail(DomainErrorCode.invalidInput, `the stored model's trees do not match its ${width} features; retrain the model to replace it`);
    }
  }
  return ok(model);
}

function maxFeatureIndex(node: TreeNode): number {
  return 'value' in node ? -1 : Math.max(node.feature, maxFeatureIndex(node.left), maxFeatureIndex(node.right));
}
