import { describe, expect, it } from 'vitest';
import { runBacktest, type BacktestResult } from '../../../src/domain/backtest/backtest.js';
import { dec, ZERO } from '../../../src/domain/money.js';
import type { Candle } from '../../../src/domain/ports.js';
import { FeatureStream } from '../../../src/domain/predict/feature-stream.js';
import {
  buildDataset, computeFeatures, FEATURE_NAMES, FEATURE_WARMUP, trainLogisticRegression, type LogisticModel,
} from '../../../src/domain/predict/index.js';
import { CandleWindow, knownParams, parseStrategyParams, type PortfolioView } from '../../../src/domain/strategy/kernel.js';
import {
  predictionFollowingStrategy, type PredictionFollowingParams, type PredictionFollowingState,
} from '../../../src/domain/strategy/prediction-following.js';
import { ar1Closes, candlesFromCloses } from '../predict/fixtures.js';
import { TST_USDT } from './fixtures.js';
import { unwrap } from '../trading-fixtures.js';

const MARKET = { ...TST_USDT, symbol: 'BTC/USDT', base: 'BTC', stepSize: dec('0.000001'), minQty: dec('0.000001') };

function params(raw: Record<string, unknown> = {}): PredictionFollowingParams {
  return unwrap(parseStrategyParams(predictionFollowingStrategy, raw));
}

function backtest(candles: Candle[], p: PredictionFollowingParams, feeBps = 10): BacktestResult {
  return unwrap(runBacktest({ market: MARKET, initialCash: dec(10_000), feeBps, slippageBps: 2, strategy: predictionFollowingStrategy, params: p, candles }));
}

const FLAT: PortfolioView = { cash: dec(10_000), position: ZERO, averageCost: null, openOrders: [], newFills: [] };

/** Drives the strategy candle by candle on a flat portfolio, calling `inspect` after each candle. */
function drive(candles: Candle[], p: PredictionFollowingParams, inspect: (t: number, state: PredictionFollowingState) => void): PredictionFollowingState {
  const state = predictionFollowingStrategy.init(p);
  for (let t = 0; t < candles.length; t++) {
    predictionFollowingStrategy.onCandle({ params: p, state, candles: new CandleWindow(candles, t), portfolio: FLAT });
    inspect(t, state);
  }
  return state;
}

describe('prediction-following parameters', () => {
  it('fills in defaults and names them', () => {
    const p = params();
    expect({ ...p, stopLoss: p.stopLoss.toFixed(), allocation: p.allocation.toFixed() }).toEqual({
      model: 'logistic_regression', horizon: 1, trainWindow: 1000, minSamples: 300, retrainEvery: 100,
      entryProbability: 0.55, exitProbability: 0.5, stopLoss: '0.05', allocation: '1',
    });
    expect(knownParams(predictionFollowingStrategy)).toEqual([
      'model', 'horizon', 'trainWindow', 'minSamples', 'retrainEvery', 'entryProbability', 'exitProbability', 'stopLoss', 'allocation',
    ]);
  });

  it('refuses unknown parameters, values out of bounds and contradictory thresholds, saying what is wrong', () => {
    const bad = (raw: Record<string, unknown>): string => {
      const r = parseStrategyParams(predictionFollowingStrategy, raw);
      if (r.ok) throw new Error(`accepted ${JSON.stringify(raw)}`);
      return r.error.message;
    };
    expect(bad({ lookahead: 3 })).toMatch(/unknown parameter "lookahead".*prediction_following takes model, horizon/);
    expect(bad({ model: 'neural_net' })).toMatch(/model must be logistic_regression or gradient_boosted_trees/);
    expect(bad({ entryProbability: 0.5 })).toMatch(/entryProbability must be greater than 0.5/);
    expect(bad({ horizon: 0 })).toMatch(/horizon must be at least 1/);
    expect(bad({ trainWindow: 100, minSamples: 200 })).toMatch(/minSamples must be at most trainWindow/);
    expect(bad({ entryProbability: 0.6, exitProbability: 0.6 })).toMatch(/exitProbability must be below entryProbability/);
    expect(bad({ stopLoss: '0.9' })).toMatch(/stopLoss must be at most 0.5/);
    expect(bad({ retrainEvery: 2.5 })).toMatch(/retrainEvery must be a whole number/);
  });
});

describe('streamed features', () => {
  it('are exactly the rows computeFeatures gives over the same candles', () => {
    const candles = candlesFromCloses(ar1Closes(400, 3, 0.2), Array.from({ length: 400 }, (_, i) => 50 + ((i * 37) % 101)));
    const batch = computeFeatures(candles).rows;
    const stream = new FeatureStream();
    const streamed = candles.map((c) => stream.update(c.close.toNumber(), c.volume.toNumber()));
    expect(streamed.findIndex((r) => r !== undefined), 'the first row is at the warm-up').toBe(FEATURE_WARMUP);
    expect(streamed, 'bit for bit, warm-up included').toEqual(batch);
  });
});

describe('prediction-following strategy', () => {
  it('learns strongly autocorrelated returns, enters and makes money after costs', () => {
    // AR(1) returns with phi = 0.6: the last move says a lot about the next one.
    const candles = candlesFromCloses(ar1Closes(2_000, 11, 0.6, 0.01, 20_000));
    const r = backtest(candles, params({ trainWindow: 500, minSamples: 300, retrainEvery: 50 }));
    const entries = r.fills.filter((f) => f.tag === 'prediction-entry');
    expect(entries.length, 'it trades the pattern').toBeGreaterThan(20);
    const final = r.equity.last()!;
    expect(final.gt(dec(13_000)), `final equity ${final.toFixed(2)} should be well above the 10,000 start`).toBe(true);
    const first = r.notes.find((n) => n.text.startsWith('first training'))!;
    expect(r.fills[0]!.index, 'no fill before the first training').toBeGreaterThan(first.index);
    // A held entry is protected: on the candle its buy fills, the stop rests 5% below the average cost
    // (unless P(up) has already fallen to the exit, when it sells instead).
    const stops = r.notes.filter((n) => n.text.startsWith('stop set to'));
    expect(stops.length).toBeGreaterThan(10);
    for (const note of stops) {
      const entry = entries.find((f) => f.index === note.index);
      expect(entry, `a stop at candle ${note.index} follows an entry filled there`).toBeDefined();
      const cost = entry!.price.mul(entry!.quantity).add(entry!.fee).div(entry!.quantity);
      expect(note.text).toBe(`stop set to ${cost.mul(dec('0.95')).toDecimalPlaces(8).toFixed()}`);
    }
  });

  it('also learns the pattern with gradient-boosted trees', () => {
    const candles = candlesFromCloses(ar1Closes(1_500, 12, 0.6, 0.01, 20_000));
    const r = backtest(candles, params({ model: 'gradient_boosted_trees', trainWindow: 500, minSamples: 300, retrainEvery: 100 }));
    const final = r.equity.last()!;
    expect(r.fills.length).toBeGreaterThan(10);
    expect(final.gt(dec(10_500)), `final equity ${final.toFixed(2)} should be above the 10,000 start`).toBe(true);
  });

  it('on a random walk: no trade until it has trained, and the warm-up is exactly features + minSamples + horizon', () => {
    const candles = candlesFromCloses(ar1Closes(900, 5, 0, 0.01, 20_000));
    const p = params({ horizon: 3, minSamples: 200, trainWindow: 300, retrainEvery: 40, entryProbability: 0.51 });
    const r = backtest(candles, p);
    const first = r.notes.find((n) => n.text.startsWith('first training'));
    // Rows start at FEATURE_WARMUP; the 200th labelled sample is bar FEATURE_WARMUP + 199, known at + 3.
    expect(first?.index).toBe(FEATURE_WARMUP + 199 + 3);
    expect(first?.text).toBe(`first training: logistic_regression on 200 samples (candles ${FEATURE_WARMUP}–${FEATURE_WARMUP + 199})`);
    expect(r.notes.filter((n) => n.index < first!.index), 'nothing but silence before training').toEqual([]);
    expect(r.fills.length, 'with a 51% entry it does trade the noise once trained').toBeGreaterThan(0);
    expect(r.fills.every((f) => f.index > first!.index), 'every fill comes after the first training').toBe(true);
  });

  it('trains only on labels known at the time: each model equals one trained on the truncated series', () => {
    const candles = candlesFromCloses(ar1Closes(700, 8, 0.1, 0.01, 20_000));
    const horizon = 4;
    const p = params({ horizon, minSamples: 150, trainWindow: 250, retrainEvery: 60 });
    const checked: number[] = [];
    let previous = 0;
    drive(candles, p, (t, state) => {
      if (state.trainings === previous) return;
      previous = state.trainings;
      const model = state.training!.model as LogisticModel;
      expect(state.training!.trainedAt).toBe(t);
      expect(model.trainingWindow.toIndex, 'purged: the last sample is exactly horizon bars back').toBe(t - horizon);
      // The reference sees only candles 0..t, so nothing it learns can come from the future.
      const known = buildDataset(computeFeatures(candles.slice(0, t + 1)), horizon).samples.slice(-250);
      const reference = trainLogisticRegression(known, FEATURE_NAMES, horizon);
      expect(model, `model trained at candle ${t}`).toEqual(reference);
      checked.push(t);
    });
    expect(checked, 'first at warm-up + 149 + 4, then every 60 candles').toEqual([177, 237, 297, 357, 417, 477, 537, 597, 657]);
  });

  it('decides the same on candles 0..k whether or not later candles exist', () => {
    const candles = candlesFromCloses(ar1Closes(900, 21, 0.5, 0.01, 20_000));
    const p = params({ minSamples: 200, trainWindow: 400, retrainEvery: 50 });
    const full = backtest(candles, p);
    const cut = backtest(candles.slice(0, 600), p);
    const upTo = (r: BacktestResult): unknown => ({
      notes: r.notes.filter((n) => n.index < 599).map((n) => [n.index, n.text]),
      fills: r.fills.filter((f) => f.index < 599).map((f) => [f.index, f.side, f.price.toFixed(), f.quantity.toFixed()]),
    });
    expect(full.fills.some((f) => f.index < 599), 'it trades inside the shared part').toBe(true);
    expect(upTo(full)).toEqual(upTo(cut));
  });

  it('keeps its memory bounded on a long run without changing its decisions', () => {
    const candles = candlesFromCloses(ar1Closes(1_200, 4, 0.5, 0.01, 20_000));
    const p = params({ minSamples: 60, trainWindow: 80, retrainEvery: 25 });
    const state = drive(candles, p, () => undefined);
    expect(state.closes.length, 'at most twice the training span is kept').toBeLessThanOrEqual(2 * (80 + 1 + 1));
    expect(state.firstIndex + state.closes.length).toBe(1_200);
    const { trainedAt, model } = state.training!;
    expect(model.trainingWindow).toMatchObject({ toIndex: trainedAt - 1, samples: 80 });
    const known = buildDataset(computeFeatures(candles.slice(0, trainedAt + 1)), 1).samples.slice(-80);
    expect(model, 'dropping old candles changes nothing the model sees').toEqual(trainLogisticRegression(known, FEATURE_NAMES, 1));
  });
});
