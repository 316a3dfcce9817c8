/**
 * Prediction following: trades on its own scored model of the next move. Inside its state it keeps
 * the feature row of every closed candle (src/domain/predict's features, streamed: each row is the
 * one `computeFeatures` gives for that bar over the candles seen so far, so it cannot read a later
 * candle) and trains a model walk-forward on them — logistic regression for P(up) by default, or
 * gradient-boosted trees (P(up) from the predicted return and the training residual spread). A sample
 * at bar i is labelled by the close `horizon` bars later, so it enters training only once
 * i + horizon ≤ the last closed bar (purged: no label the strategy could not have known). It trains
 * once `minSamples` labelled samples exist, then retrains every `retrainEvery` candles on the most
 * recent `trainWindow` samples. Nothing is traded before the first training (the warm-up).
 * Flat and P(up) ≥ entryProbability: buys at market with `allocation` of the cash (fee included).
 * Holding: rests a stop sell at stopLoss below the average cost once the buy has filled, and when
 * P(up) ≤ exitProbability cancels the stop and sells everything at market.
 *
 * Parameters: model (logistic_regression | gradient_boosted_trees, default logistic_regression),
 * horizon (1–48 candles, default 1), trainWindow (50–5000 samples, default 1000), minSamples (30–5000,
 * default 300, at most trainWindow), retrainEvery (1–1000 candles, default 100), entryProbability
 * (0.5–1, default 0.55), exitProbability (0–1, default 0.5, below entryProbability), stopLoss (0–0.5,
 * default 0.05 = 5% below the average cost), allocation (0–1, default 1).
 *
 * When it loses: whenever the model does not beat the majority-class baseline out of sample — which
 * on a random walk, and on most liquid markets at short horizons, is most of the time — it trades on
 * noise and pays fees and slippage on every round trip; when the market's behaviour changes faster
 * than the training window forgets (a pattern learnt in one regime is traded into the next); and on
 * gaps through the stop. Check the model's walk-forward record against the baseline before using it.
 */
import { z } from 'zod';
import { D, type Dec } from '../money.js';
import { FeatureStream } from '../predict/feature-stream.js';
import { FEATURE_NAMES } from '../predict/features.js';
import type { Sample } from '../predict/dataset.js';
import { trainGradientBoostedTrees } from '../predict/models/gradient-boosting.js';
import { trainLogisticRegression } from '../predict/models/logistic-regression.js';
import { ModelKind, predict, type ModelVersion } from '../predict/models/model.js';
import type { CandleWindow, OrderIntent, Strategy } from './kernel.js';
import { countParam, decimalParam, ratioParam } from './params.js';

export const PredictionModel = { logisticRegression: ModelKind.logisticRegression, gradientBoostedTrees: ModelKind.gradientBoostedTrees } as const;
export type PredictionModel = (typeof PredictionModel)[keyof typeof PredictionModel];

export const predictionFollowingParams = z
  .object({
    model: z
      .enum([PredictionModel.logisticRegression, PredictionModel.gradientBoostedTrees], {
        errorMap: () => ({ message: 'model must be logistic_regression or gradient_boosted_trees' }),
      })
      .default(PredictionModel.logisticRegression)
      .describe('The learner: logistic regression for P(up), or gradient-boosted trees on the return'),
    horizon: countParam('horizon', 1, 48, 'Candles ahead the model predicts (the label horizon)').default(1),
    trainWindow: countParam('trainWindow', 50, 5000, 'Most recent labelled samples each training uses').default(1000),
    minSamples: countParam('minSamples', 30, 5000, 'Labelled samples needed before the first training (the warm-up)').default(300),
    retrainEvery: countParam('retrainEvery', 1, 1000, 'Candles between trainings').default(100),
    entryProbability: ratioParam('entryProbability', 0.5, 1, 'Buy when P(up) is at least this').default(0.55),
    exitProbability: z
      .number({ invalid_type_error: 'exitProbability must be a number' })
      .min(0, 'exitProbability must be at least 0')
      .max(1, 'exitProbability must be at most 1')
      .default(0.5)
      .describe('Sell when P(up) is at most this'),
    stopLoss: decimalParam('stopLoss', { max: '0.5', describe: 'Stop distance below the average cost, as a fraction (0.05 = 5%)' }).default('0.05'),
    allocation: decimalParam('allocation', { max: '1', describe: 'Share of the cash an entry spends, fee included (1 = all)' }).default('1'),
  })
  .strict()
  .refine((p) => p.minSamples <= p.trainWindow, { message: 'minSamples must be at most trainWindow', path: ['minSamples'] })
  .refine((p) => p.exitProbability < p.entryProbability, {
    message: 'exitProbability must be below entryProbability, or it would sell at the entry',
    path: ['exitProbability'],
  });
export type PredictionFollowingParams = z.infer<typeof predictionFollowingParams>;

/** The model in use and the candles it was trained on. */
export interface PredictionTraining {
  model: ModelVersion;
  /** Index of the last closed candle when it was trained; every label it saw is known by then. */
  trainedAt: number;
}

export interface PredictionFollowingState {
  features: FeatureStream;
  /** Candle index of the first entry of `closes`, `times` and `rows` (older ones are dropped). */
  firstIndex: number;
  closes: number[];
  times: number[];
  /** Feature row of each kept candle; undefined during warm-up. */
  rows: Array<readonly number[] | undefined>;
  training: PredictionTraining | null;
  trainings: number;
  /** P(up) at the last closed candle; null before the first training. */
  probabilityUp: number | null;
  /** Trigger of the working stop; null without one. */
  stop: Dec | null;
}

const STOP = 'prediction-stop';

function newState(): PredictionFollowingState {
  return { features: new FeatureStream(), firstIndex: 0, closes: [], times: [], rows: [], training: null, trainings: 0, probabilityUp: null, stop: null };
}

/** Resets the stream-derived part of the state (the model and the stop are kept). */
function resetSeries(state: PredictionFollowingState): void {
  const fresh = newState();
  state.features = fresh.features;
  state.firstIndex = 0;
  state.closes = [];
  state.times = [];
  state.rows = [];
}

/** Feeds every closed candle the state has not seen yet (normally just the last one). */
function catchUp(state: PredictionFollowingState, candles: CandleWindow, keep: number): void {
  if (state.firstIndex + state.closes.length > candles.length) resetSeries(state);
  for (let i = state.firstIndex + state.closes.length; i < candles.length; i++) {
    const candle = candles.at(i);
    const close = candle.close.toNumber();
    state.closes.push(close);
    state.times.push(candle.openTime.getTime());
    state.rows.push(state.features.update(close, candle.volume.toNumber()));
  }
  // Drop what no future training can use, in chunks so the cost per candle stays constant.
  const excess = state.closes.length - keep;
  if (excess > keep) {
    state.closes.splice(0, excess);
    state.times.splice(0, excess);
    state.rows.splice(0, excess);
    state.firstIndex += excess;
  }
}

/**
 * The most recent `limit` labelled samples whose label is known at candle `last`: bar i qualifies
 * when i + horizon ≤ last, labelled by the close at i + horizon (as `labelsFor` does), oldest first.
 */
export function purgedSamples(state: PredictionFollowingState, last: number, horizon: number, limit: number): Sample[] {
  const out: Sample[] = [];
  for (let i = last - horizon; i >= state.firstIndex && out.length < limit; i--) {
    const k = i - state.firstIndex;
    const x = state.rows[k];
    const close = state.closes[k]!;
    const futureClose = state.closes[k + horizon]!;
    const futureReturn = futureClose / close - 1;
    if (x === undefined || !Number.isFinite(futureReturn)) continue;
    out.push({ index: i, time: state.times[k]!, close, x, futureReturn, futureClose, up: futureClose > close });
  }
  return out.reverse();
}

function train(params: PredictionFollowingParams, samples: readonly Sample[]): ModelVersion {
  return params.model === PredictionModel.gradientBoostedTrees
    ? trainGradientBoostedTrees(samples, FEATURE_NAMES, params.horizon)
    : trainLogisticRegression(samples, FEATURE_NAMES, params.horizon);
}

const percent = (p: number): string => `${(p * 100).toFixed(1)}%`;

export const predictionFollowingStrategy: Strategy<PredictionFollowingParams, PredictionFollowingState> = {
  kind: 'prediction_following',
  summary: 'trains a model walk-forward on the candles it has seen and holds while it predicts a rise',
  params: predictionFollowingParams,
  init() {
    return newState();
  },
  onCandle({ params, state, candles, portfolio }) {
    const last = candles.length - 1;
    catchUp(state, candles, params.trainWindow + params.horizon + 1);
    if (portfolio.newFills.some((f) => f.side === 'sell')) state.stop = null;
    const notes: string[] = [];

    const due = state.training === null || last - state.training.trainedAt >= params.retrainEvery;
    if (due) {
      const samples = purgedSamples(state, last, params.horizon, params.trainWindow);
      if (samples.length >= params.minSamples) {
        state.training = { model: train(params, samples), trainedAt: last };
        state.trainings++;
        if (state.trainings === 1) notes.push(`first training: ${params.model} on ${samples.length} samples (candles ${samples[0]!.index}–${samples[samples.length - 1]!.index})`);
      }
    }
    const row = state.rows[last - state.firstIndex];
    if (state.training === null || row === undefined) {
      state.probabilityUp = null;
      return notes.length > 0 ? { notes } : {};
    }
    const pUp = predict(state.training.model, row).probabilityUp ?? 0.5;
    state.probabilityUp = pUp;
    const working = (side: 'buy' | 'sell', type?: string): boolean => portfolio.openOrders.some((o) => o.side === side && (type === undefined || o.type === type));
    const orders: OrderIntent[] = [];

    if (portfolio.position.isZero()) {
      if (pUp >= params.entryProbability && !working('buy')) {
        notes.push(`P(up) ${percent(pUp)} at or above ${percent(params.entryProbability)}: buying`);
        orders.push({ side: 'buy', type: 'market', quoteAmount: portfolio.cash.mul(params.allocation), tag: 'prediction-entry' });
      }
      return orders.length > 0 || notes.length > 0 ? { orders, notes } : {};
    }
    if (pUp <= params.exitProbability && !working('sell', 'market')) {
      notes.push(`P(up) ${percent(pUp)} at or below ${percent(params.exitProbability)}: selling`);
      state.stop = null;
      return { cancelTags: [STOP], orders: [{ side: 'sell', type: 'market', quantity: portfolio.position, tag: 'prediction-exit' }], notes };
    }
    if (state.stop === null && portfolio.averageCost !== null) {
      const trigger = portfolio.averageCost.mul(new D(1).sub(params.stopLoss)).toDecimalPlaces(8);
      state.stop = trigger;
      notes.push(`stop set to ${trigger.toFixed()}`);
      orders.push({ side: 'sell', type: 'stop', triggerPrice: trigger, quantity: portfolio.position, tag: STOP });
    }
    return orders.length > 0 || notes.length > 0 ? { orders, notes } : {};
  },
};
