// The agent decider offline: the technical summary of crafted candles, checked against a stored
// prediction model of the market and timeframe — agreeing, the decision stands with the model's call
// in its reasons; disagreeing, it is a hold — and a model whose training labels reach past the candle
// decided on is not used (no look-ahead).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/client.js';
import { mlModels } from '../../../src/db/schema/index.js';
import { FEATURE_NAMES } from '../../../src/domain/predict/features.js';
import { rulesDecision } from '../../../src/domain/strategy/index.js';
import { AgentDecider } from '../../../src/services/bots/agent-decider.js';
import { closesToCandles, HOUR, START } from '../../domain/strategy/fixtures.js';
import { createTestDatabase } from '../../support/db.js';

let database: Database;
const rising = closesToCandles(Array.from({ length: 60 }, (_, i) => 100 + i));
const T = START + 59 * HOUR;

/** A logistic model that calls one direction whatever the features (its intercept only). */
function constantModel(intercept: number): string {
  const n = FEATURE_NAMES.length;
  return JSON.stringify({
    formatVersion: 1, kind: 'logistic_regression', featureNames: [...FEATURE_NAMES],
    trainingWindow: { fromIndex: 0, toIndex: 10, fromTime: START - 100 * HOUR, toTime: START, samples: 11, horizon: 4 },
    parameters: { l2: 1, maxIterations: 10, tolerance: 1e-6 }, standardiser: { mean: Array(n).fill(0), scale: Array(n).fill(1) },
    intercept, weights: Array(n).fill(0), iterations: 1, converged: true,
  });
}

async function storeModel(intercept: number, trainedTo: number, version = 1): Promise<void> {
  await database.db.delete(mlModels);
  await database.db.insert(mlModels).values({
    name: 'logistic_regression', version, symbol: 'TST/USDT', exchange: 'sim', timeframe: '1h', horizonBars: 4, horizonMinutes: 240,
    definition: constantModel(intercept), featureNames: [...FEATURE_NAMES], trainedFrom: new Date(START - 100 * HOUR), trainedTo: new Date(trainedTo),
    samples: 11, evaluation: {}, simulated: true,
  });
}

beforeAll(async () => {
  database = await createTestDatabase();
}, 60_000);
afterAll(async () => database?.close());

describe('offline decisions with a prediction model', () => {
  const input = { symbol: 'TST/USDT', base: 'TST', timeframe: '1h' as const, candles: rising, source: 'rules' as const };

  it('without a model: the technical summary alone (a steady rise: buy, confidence 0.77)', async () => {
    const v = await new AgentDecider({ db: database.db }).decide(input);
    expect(v).toMatchObject({ direction: 'buy', confidence: 0.77, source: 'rules', author: 'rules', prediction: null, rejected: null });
    expect(v.reasoning).toBe(rulesDecision(rising).reasoning);
  });

  it('a model predicting down turns the buy into a hold, saying why', async () => {
    await storeModel(-10, T - 4 * HOUR);
    const v = await new AgentDecider({ db: database.db }).decide(input);
    expect(v).toMatchObject({ direction: 'hold', author: 'rules+logistic_regression v1', prediction: { model: 'logistic_regression', direction: 'down' } });
    expect(v.reasoning).toBe('Holding: the technical summary says buy, but the logistic regression model predicts down (P(up) 0.00).');
  });

  it('a model predicting up keeps the buy, its call first in the reasons', async () => {
    await storeModel(10, T - 4 * HOUR, 2);
    const v = await new AgentDecider({ db: database.db }).decide(input);
    expect(v).toMatchObject({ direction: 'buy', confidence: 0.77, author: 'rules+logistic_regression v2' });
    expect(v.reasoning).toMatch(/^The logistic regression model predicts up \(P\(up\) 1\.00\)\. Technical summary strong buy: /);
    expect(v.reasoning.length).toBeLessThanOrEqual(300);
  });

  it('a model whose last training label lies after the candle is not used (its labels were not known at t)', async () => {
    await storeModel(-10, T - 3 * HOUR);
    const v = await new AgentDecider({ db: database.db }).decide(input);
    expect(v).toMatchObject({ direction: 'buy', author: 'rules', prediction: null });
  });
});
