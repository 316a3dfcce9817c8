// Scored predictions through the service on the simulated market with a manual clock: models
// trained once and reloaded, one prediction per model and bar (also under concurrency), scoring when
// the horizon passes against the stored candle, the scorecard beside the baseline on the same bars,
// admin-only retraining, staleness, bad input refused with nothing written, and the scheduler.
import { and, count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/client.js';
import { auditLogs, mlModels, mlPredictions } from '../../../src/db/schema/index.js';
import { D } from '../../../src/domain/money.js';
import { TIMEFRAME_MS } from '../../../src/domain/ports.js';
import { computeFeatures, parseModel, predict } from '../../../src/domain/predict/index.js';
import type { Actor } from '../../../src/services/actor.js';
import { actorFor } from '../../../src/services/actor.js';
import { createLogger } from '../../../src/log.js';
import type { MarketService } from '../../../src/services/market-data/market-service.js';
import { PredictionScheduler } from '../../../src/services/predict/prediction-scheduler.js';
import { MODEL_NAMES, PredictionService, PREDICT_BARS, PREDICTION_HORIZONS, RETRAIN_AFTER_MS } from '../../../src/services/predict/prediction-service.js';
import { createUser } from '../../../src/services/users.js';
import { createTestDatabase } from '../../support/db.js';
import { DAY, T0, manualClock, newActor, rejection, simMarketService } from '../market/support.js';

let database: Database;
const clock = manualClock(T0);
let market: MarketService;
let service: PredictionService;
let trader: Actor;
let admin: Actor;

const TRAIN_BARS = 700;
const SPEC = PREDICTION_HORIZONS['1h'];
const TF_MS = TIMEFRAME_MS[SPEC.timeframe];

beforeAll(async () => {
  database = await createTestDatabase();
  ({ market } = await simMarketService(database, clock));
  service = new PredictionService({ db: database.db, market, clock, trainBars: TRAIN_BARS });
  trader = await newActor(database, 'trader');
  const root = await createUser(database.db, { username: `root${Math.floor(Math.random() * 1e6)}`, role: 'admin' });
  admin = actorFor(root.id, 'cli');
});
afterAll(async () => {
  await market?.close();
  await database?.close();
});

async function rowsFor(symbol: string): Promise<Array<typeof mlPredictions.$inferSelect>> {
  return database.db.select().from(mlPredictions).where(eq(mlPredictions.symbol, symbol));
}
async function activeModels(symbol: string): Promise<Array<typeof mlModels.$inferSelect>> {
  return database.db.select().from(mlModels).where(and(eq(mlModels.symbol, symbol), eq(mlModels.isActive, true)));
}

describe('predictions', () => {
  it('trains every model once, stores one prediction per model on the last closed bar, and features a learner with its record', async () => {
    const view = await service.predict(trader, { symbol: 'btc', horizon: '1h' });
    expect(view.symbol).toBe('BTC/USDT');
    expect(view.timeframe).toBe('15m');
    expect(view.trained.sort()).toEqual([...MODEL_NAMES].sort());
    expect(view.predictions.map((p) => p.model)).toEqual([...MODEL_NAMES]);
    // The last closed 15m bar: it closes at the current bar's open.
    const currentOpen = Math.floor(T0 / TF_MS) * TF_MS;
    expect(view.madeAt).toBe(new Date(currentOpen).toISOString());
    expect(view.dueAt).toBe(new Date(currentOpen + SPEC.bars * TF_MS).toISOString());
    const stored = await rowsFor('BTC/USDT');
    expect(stored).toHaveLength(MODEL_NAMES.length);
    expect(new Set(stored.map((r) => r.barTime!.getTime()))).toEqual(new Set([currentOpen - TF_MS]));
    // The reference price is the close of that bar in the candle store.
    const [bar] = (await market.loadCandles('BTC/USDT', '15m', { since: new Date(currentOpen - TF_MS), limit: 1 })).candles;
    expect(view.referencePrice).toBe(bar!.close.toFixed());
    for (const r of stored) expect(new D(r.referencePrice!).eq(bar!.close)).toBe(true);
    // Learners call a direction with confidence 0.5–1; persistence predicts the price only.
    const gbt = view.predictions.find((p) => p.model === 'gradient_boosted_trees')!;
    expect(gbt.direction === 'up' || gbt.direction === 'down').toBe(true);
    expect(gbt.confidence).toBeGreaterThanOrEqual(0.5);
    expect(gbt.topFeatures.length).toBeGreaterThan(0);
    const persistence = view.predictions.find((p) => p.model === 'persistence')!;
    expect(persistence.direction).toBeNull();
    expect(persistence.predictedPrice).toBe(view.referencePrice);
    expect(['gradient_boosted_trees', 'logistic_regression', 'ridge_regression']).toContain(view.featured.model);
    // No live record yet: the walk-forward record from training, with its samples, stands in.
    expect(view.record.scored).toBe(0);
    expect(view.record.walkForward?.direction.samples).toBeGreaterThan(0);
    expect(view.record.walkForward?.baseline.samples).toBe(view.record.walkForward?.direction.samples);
  });

  it('the stored version predicts exactly as the trained one: a new service reloads it without retraining', async () => {
    const fresh = new PredictionService({ db: database.db, market, clock, trainBars: TRAIN_BARS });
    const again = await fresh.predict(trader, { symbol: 'BTC/USDT', horizon: '1h' });
    expect(again.trained).toEqual([]);
    // Same bar: nothing new stored, the same rows answered.
    expect(await rowsFor('BTC/USDT')).toHaveLength(MODEL_NAMES.length);
    const [logistic] = (await activeModels('BTC/USDT')).filter((m) => m.name === 'logistic_regression');
    const parsed = parseModel(logistic!.definition);
    if (!parsed.ok) throw new Error(parsed.error.message);
    const candles = (await market.loadCandles('BTC/USDT', '15m', { limit: PREDICT_BARS, closedOnly: true })).candles;
    const row = computeFeatures(candles).rows[candles.length - 1]!;
    const expected = predict(parsed.value, row);
    const got = again.predictions.find((p) => p.model === 'logistic_regression')!;
    expect(got.probabilityUp).toBeCloseTo(expected.probabilityUp!, 9);
    expect(got.direction).toBe(expected.direction);
  });

  it('concurrent questions on a new bar store each model once', async () => {
    clock.advance(TF_MS);
    const views = await Promise.all([1, 2, 3].map(() => service.predict(trader, { symbol: 'BTC/USDT', horizon: '1h' })));
    expect(new Set(views.map((v) => v.madeAt)).size).toBe(1);
    expect(await rowsFor('BTC/USDT')).toHaveLength(2 * MODEL_NAMES.length);
    expect(new Set(views.flatMap((v) => v.predictions.map((p) => p.id))).size).toBe(MODEL_NAMES.length);
  });

  it('scores nothing before the horizon passes, then each prediction once against the close it named', async () => {
    expect(await service.scoreDue()).toEqual({ scored: 0, waiting: 0 });
    // Past the first bar's due time (1h after it was made), not yet the second's.
    clock.advance(3 * TF_MS);
    const first = await service.scoreDue();
    expect(first.scored).toBe(MODEL_NAMES.length);
    expect((await service.scoreDue()).scored, 'a second run scores nothing twice').toBe(0);
    const scored = (await rowsFor('BTC/USDT')).filter((r) => r.scoredAt !== null);
    expect(scored).toHaveLength(MODEL_NAMES.length);
    const barTime = scored[0]!.barTime!.getTime();
    const [outcome] = (await market.loadCandles('BTC/USDT', '15m', { since: new Date(barTime + SPEC.bars * TF_MS), limit: 1 })).candles;
    for (const r of scored) {
      expect(new D(r.actualPrice!).eq(outcome!.close)).toBe(true);
      const up = outcome!.close.gt(new D(r.referencePrice!));
      if (r.predictedDirection === null) expect(r.wasCorrect).toBeNull();
      else expect(r.wasCorrect).toBe((r.predictedDirection === 'up') === up);
      if (r.predictedPrice === null) expect(r.predictionError).toBeNull();
      else expect(new D(r.predictionError!).eq(new D(r.predictedPrice).sub(outcome!.close).abs())).toBe(true);
    }
    const persistence = scored.find((r) => r.modelName === 'persistence')!;
    expect(new D(persistence.predictionError!).eq(new D(persistence.referencePrice!).sub(outcome!.close).abs())).toBe(true);
  });

  it('the scorecard puts each learner beside the majority class on the same bars', async () => {
    clock.advance(TF_MS);
    await service.scoreDue();
    const card = await service.scorecard({ symbol: 'BTC/USDT', horizon: '1h' });
    expect(card.entries.map((e) => e.model)).toEqual([...MODEL_NAMES]);
    const rows = (await rowsFor('BTC/USDT')).filter((r) => r.scoredAt !== null);
    const bars = new Set(rows.map((r) => r.barTime!.getTime()));
    expect(bars.size).toBe(2);
    for (const e of card.entries) {
      const mine = rows.filter((r) => r.modelName === e.model);
      expect(e.scored).toBe(mine.length);
      const calls = mine.filter((r) => r.wasCorrect !== null);
      expect(e.direction.samples).toBe(calls.length);
      expect(e.direction.hits).toBe(calls.filter((r) => r.wasCorrect).length);
    }
    const majority = rows.filter((r) => r.modelName === 'majority_class');
    const gbt = card.entries.find((e) => e.model === 'gradient_boosted_trees')!;
    expect(gbt.baseline?.samples).toBe(2);
    expect(gbt.baseline?.hits).toBe(majority.filter((r) => r.wasCorrect).length);
    expect(gbt.margin).toBeCloseTo(gbt.direction.hitRate! - gbt.baseline!.hitRate!, 12);
    // Two samples cannot show a model beats anything: the interval is far too wide.
    expect(gbt.beatsBaseline).toBe(false);
    expect(gbt.direction.low).toBeLessThan(0.5);
    expect(gbt.persistenceError).not.toBeNull();
    expect(card.pending).toBe(0);
    const list = await service.listPredictions({ symbol: 'BTC/USDT', scored: true, limit: 100 });
    expect(list).toHaveLength(2 * MODEL_NAMES.length);
    expect(list.every((p) => p.actualPrice !== null && p.horizon === '1h')).toBe(true);
  });

  it('refuses bad input with a clear message and writes nothing', async () => {
    const before = (await database.db.select({ n: count() }).from(mlPredictions))[0]!.n;
    const e1 = await rejection(service.predict(trader, { symbol: 'BTC/USDT', horizon: '2h' }));
    expect(e1.code).toBe('invalid_input');
    expect(e1.message).toMatch(/horizon.*must be one of 15m, 1h, 4h, 1d/);
    const e2 = await rejection(service.predict(trader, { symbol: 'NOPE/XYZ', horizon: '1h' }));
    expect(e2.message).toMatch(/NOPE/);
    const e3 = await rejection(service.scorecard({ model: 'oracle' }));
    expect(e3.message).toMatch(/model.*must be one of/);
    const e4 = await rejection(service.predict(trader, { symbol: 'BTC/USDT', horizon: '1h', extra: 1 }));
    expect(e4.code).toBe('invalid_input');
    expect((await database.db.select({ n: count() }).from(mlPredictions))[0]!.n).toBe(before);
  });

  it('retraining is for admins: a trader is refused, an admin gets new versions and an audit row', async () => {
    const e = await rejection(service.retrain(trader, { symbol: 'BTC/USDT', horizon: '1h', model: 'logistic_regression' }));
    expect(e.message).toMatch(/admin/);
    expect((await activeModels('BTC/USDT')).every((m) => m.version === 1)).toBe(true);
    const versions = await service.retrain(admin, { symbol: 'BTC/USDT', horizon: '1h', model: 'logistic_regression' });
    expect(versions.map((v) => [v.name, v.version])).toEqual([['logistic_regression', 2]]);
    expect(versions[0]!.walkForward.direction.samples).toBeGreaterThan(0);
    const all = await database.db.select().from(mlModels).where(and(eq(mlModels.symbol, 'BTC/USDT'), eq(mlModels.name, 'logistic_regression')));
    expect(all.map((m) => [m.version, m.isActive]).sort()).toEqual([[1, false], [2, true]]);
    const audits = await database.db.select().from(auditLogs).where(and(eq(auditLogs.action, 'model.retrained'), eq(auditLogs.actorUserId, admin.userId)));
    expect(audits).toHaveLength(1);
  });

  it('a version older than a week is retrained before it predicts', async () => {
    clock.advance(RETRAIN_AFTER_MS + DAY);
    const view = await service.predict(trader, { symbol: 'BTC/USDT', horizon: '1h' });
    expect(view.trained.sort()).toEqual([...MODEL_NAMES].sort());
    const active = await activeModels('BTC/USDT');
    expect(active).toHaveLength(MODEL_NAMES.length);
    expect(active.find((m) => m.name === 'logistic_regression')!.version).toBe(3);
    expect(active.find((m) => m.name === 'persistence')!.version).toBe(2);
  });
});

describe('two instances', () => {
  it('training the same market at once leaves one active version per model and one prediction per model', async () => {
    const a = new PredictionService({ db: database.db, market, clock, trainBars: TRAIN_BARS });
    const b = new PredictionService({ db: database.db, market, clock, trainBars: TRAIN_BARS });
    const [va, vb] = await Promise.all([a.predict(trader, { symbol: 'SOL/USDT', horizon: '4h' }), b.predict(trader, { symbol: 'SOL/USDT', horizon: '4h' })]);
    expect(va.predictions.map((p) => p.id).sort()).toEqual(vb.predictions.map((p) => p.id).sort());
    expect(await activeModels('SOL/USDT')).toHaveLength(MODEL_NAMES.length);
    expect(await rowsFor('SOL/USDT')).toHaveLength(MODEL_NAMES.length);
  });

  it('a stored version that no longer reads is retrained, not trusted', async () => {
    await database.db.update(mlModels).set({ definition: '{"kind":"ridge_regression"' }).where(and(eq(mlModels.symbol, 'SOL/USDT'), eq(mlModels.name, 'ridge_regression'), eq(mlModels.isActive, true)));
    clock.advance(PREDICTION_HORIZONS['4h'].bars * TIMEFRAME_MS['1h']);
    const view = await service.predict(trader, { symbol: 'SOL/USDT', horizon: '4h' });
    expect(view.trained).toEqual(['ridge_regression']);
    const ridge = (await activeModels('SOL/USDT')).find((m) => m.name === 'ridge_regression')!;
    expect(parseModel(ridge.definition).ok).toBe(true);
  });
});

describe('the prediction scheduler', () => {
  it('predicts each configured market once per new bar, reports a market it cannot predict, and scores what is due', async () => {
    const logger = createLogger('silent');
    const scheduler = new PredictionScheduler({
      predictions: service,
      markets: [
        { symbol: 'ETH/USDT', horizon: '1h' },
        { symbol: 'NOPE/XYZ', horizon: '1h' },
      ],
      gate: { holds: () => true },
      clock,
      logger,
    });
    const first = await scheduler.runOnce();
    expect(first.predicted).toBe(1);
    expect(first.failed.map((f) => f.symbol)).toEqual(['NOPE/XYZ']);
    expect(await rowsFor('ETH/USDT')).toHaveLength(MODEL_NAMES.length);
    const same = await scheduler.runOnce();
    expect(same.predicted, 'no new bar, no new prediction').toBe(0);
    expect(await rowsFor('ETH/USDT')).toHaveLength(MODEL_NAMES.length);
    clock.advance(TF_MS);
    expect((await scheduler.runOnce()).predicted).toBe(1);
    clock.advance(SPEC.bars * TF_MS);
    const later = await scheduler.runOnce();
    expect(later.scored).toBeGreaterThanOrEqual(MODEL_NAMES.length);
    const eth = await rowsFor('ETH/USDT');
    expect(eth.filter((r) => r.scoredAt !== null).length).toBeGreaterThanOrEqual(MODEL_NAMES.length);
    await scheduler.stop();
  });
});
