// The report's prediction scorecard: "no scored predictions yet" before any, then each model's live
// record per market and horizon beside the majority-class baseline on the same bars, from scored
// rows in ml_predictions, placed next to the analyses' scorecard — and which (few) beat the baseline.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlPredictions } from '../../../src/db/schema/index.js';
import { actorFor } from '../../../src/services/actor.js';
import { createUser, type User } from '../../../src/services/users.js';
import { createTestApp, type TestApp } from '../../support/app.js';

let app: TestApp;
let alice: User;

beforeAll(async () => {
  app = await createTestApp({ MIKEY_MARKET: 'sim' });
  alice = await createUser(app.database.db, { username: 'alice' });
});
afterAll(async () => {
  await app?.close();
});

const BAR = 15 * 60_000;

/** `n` scored 1h predictions of one model on BTC/USDT, the first `right` of them right. */
async function scored(model: string, n: number, right: number, opts: { direction?: boolean } = {}): Promise<void> {
  const now = app.services.clock.now().getTime();
  const start = Math.floor(now / BAR) * BAR - (n + 10) * BAR;
  await app.database.db.insert(mlPredictions).values(
    Array.from({ length: n }, (_, i) => ({
      modelName: model,
      modelVersion: '1',
      symbol: 'BTC/USDT',
      timeframe: '15m',
      barTime: new Date(start + i * BAR),
      referencePrice: '100000',
      predictedPrice: opts.direction === false ? '100000' : null,
      predictedDirection: opts.direction === false ? null : ('up' as const),
      confidence: opts.direction === false ? null : '0.65',
      predictedAt: new Date(start + (i + 1) * BAR),
      predictionHorizonMinutes: 60,
      dueAt: new Date(start + (i + 5) * BAR),
      simulated: true,
      actualPrice: i < right ? '100100' : '99900',
      predictionError: opts.direction === false ? '100' : null,
      wasCorrect: opts.direction === false ? null : i < right,
      scoredAt: new Date(now - 60_000),
    })),
  );
}

describe('the prediction scorecard in the report', () => {
  it('says there are no scored predictions yet, right after the analyses\' scorecard', async () => {
    const r = await app.services.reports.getReport(actorFor(alice.id, 'terminal'), { period: 'day' });
    expect(r.facts.predictions).toEqual({ days: 30, pending: 0, entries: [] });
    expect(r.markdown).toContain('## Prediction scorecard\nNo scored predictions yet (last 30 days).');
    expect(r.markdown.indexOf('## Prediction scorecard'), 'next to MIKEY\'s scorecard').toBeGreaterThan(r.markdown.indexOf("## MIKEY's scorecard"));
  });

  it('shows each model with its samples, hit rate, baseline and margin, and which beats the baseline', async () => {
    await scored('gradient_boosted_trees', 40, 30);
    await scored('logistic_regression', 40, 21);
    await scored('majority_class', 40, 20);
    await scored('persistence', 40, 0, { direction: false });
    // One still waiting for its horizon.
    const now = app.services.clock.now().getTime();
    await app.database.db.insert(mlPredictions).values({
      modelName: 'gradient_boosted_trees', symbol: 'BTC/USDT', timeframe: '15m', barTime: new Date(Math.floor(now / BAR) * BAR - BAR), referencePrice: '100000',
      predictedDirection: 'down', confidence: '0.55', predictionHorizonMinutes: 60, dueAt: new Date(now + 3_600_000), simulated: true,
    });
    const r = await app.services.reports.getReport(actorFor(alice.id, 'terminal'), { period: 'day' });
    const p = r.facts.predictions;
    expect(p.pending).toBe(1);
    expect(p.entries.map((e) => [e.model, e.scored, e.calls])).toEqual([
      ['gradient_boosted_trees', 40, 40], ['logistic_regression', 40, 40], ['majority_class', 40, 40], ['persistence', 40, 0],
    ]);
    const gbt = p.entries[0]!;
    expect(gbt.hitRate).toBe(0.75);
    expect(gbt.baselineHitRate, 'the majority class on the same bars').toBe(0.5);
    expect(gbt.margin).toBeCloseTo(0.25, 10);
    expect(gbt.beatsBaseline, '30 of 40: the 95% interval (60–86%) lies above 50%').toBe(true);
    expect(p.entries[1]!.beatsBaseline, '21 of 40 does not').toBe(false);
    const md = r.markdown;
    expect(md).toContain('| model | market | horizon | scored | hit rate [95%] | baseline | margin |');
    expect(md).toContain('| gradient-boosted trees | BTC/USDT | 1h | 40 | 75.0% of 40 [60%–86%] | 50.0% | +25.0 pts |');
    expect(md).toContain('| logistic regression | BTC/USDT | 1h | 40 | 52.5% of 40 [');
    expect(md).toContain('| majority-class baseline | BTC/USDT | 1h | 40 | 50.0% of 40 [');
    expect(md).toContain('| persistence baseline | BTC/USDT | 1h | 40 | — | — | — |');
    expect(md).toContain('Beat the baseline (95% interval above its rate): gradient-boosted trees on BTC/USDT 1h; the other 1 learner record does not. 1 prediction is waiting for its horizon.');
    expect(md).toMatch(/SIMULATED prices/);
  });
});
