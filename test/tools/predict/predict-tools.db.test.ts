// The prediction tools through the real in-process MCP client on the simulated market with a manual
// clock: a prediction is made (every model trained on the candle store), listed as waiting, scored
// once its horizon has passed, and then shows up in the scorecard and beside the next prediction as
// a live record; retraining is refused to a trader and bumps every version for an admin; bad input
// is refused with a message saying what to send, and changes nothing.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../../src/db/client.js';
import type { InProcessClient } from '../../../src/mcp/in-process.js';
import { MODEL_NAMES, PREDICTION_HORIZONS, type PredictionRowView, type PredictionView, type ScorecardView } from '../../../src/services/predict/prediction-service.js';
import { createUser, type User } from '../../../src/services/users.js';
import { createTestApp, type TestApp } from '../../support/app.js';
import { HOUR, manualClock, T0 } from '../../services/market/support.js';
import { call, connect, expectClean, expectRefused, text } from '../harness.js';

let app: TestApp;
let alice: User;
let root: User;
let a: InProcessClient;
let r: InProcessClient;
const clock = manualClock(T0);

beforeAll(async () => {
  app = await createTestApp({ MIKEY_MARKET: 'sim' }, { clock });
  alice = await createUser(app.database.db, { username: 'alice' });
  root = await createUser(app.database.db, { username: 'root', role: 'admin' });
  a = await connect(app, alice);
  r = await connect(app, root);
}, 60_000);
afterAll(async () => {
  await a?.close();
  await r?.close();
  await app?.close();
});

/** What the prediction tables hold: counts, versions, and scored rows. */
async function mlState(): Promise<Record<string, unknown>> {
  const [row] = await queryRows<Record<string, unknown>>(
    app.database.db,
    sql`SELECT (SELECT count(*) FROM ml_predictions)::int p, (SELECT count(*) FROM ml_predictions WHERE scored_at IS NOT NULL)::int s,
               (SELECT count(*) FROM ml_models)::int m, (SELECT coalesce(string_agg(name || ' v' || version, ',' ORDER BY name), '') FROM ml_models WHERE is_active) v`,
  );
  return row!;
}

describe('a prediction, scored, on the record', () => {
  let first: PredictionView;

  it('get-prediction answers with the featured call, its walk-forward record and every model\'s call', async () => {
    const res = await call(a.client, 'get-prediction', { symbol: 'btc', horizon: '1h' });
    const t = expectClean('get-prediction', res);
    first = res.structuredContent as unknown as PredictionView;
    expect(first.symbol).toBe('BTC/USDT');
    expect(first.predictions.map((p) => p.model), 'every model predicts, learners first').toEqual([...MODEL_NAMES]);
    const f = first.featured;
    expect(t, 'the first line names the market, horizon, featured model and its call').toContain(`BTC/USDT, 1h ahead: ${f.label} calls ${f.direction!.toUpperCase()} (`);
    expect(t, 'the due time is said').toContain(`due ${first.dueAt.slice(0, 16).replace('T', ' ')} UTC`);
    expect(t, 'no live record yet: said so, with the walk-forward record and its samples').toMatch(/no scored record yet; walk-forward out of sample: \d+\.\d% of [\d,]+ \[95% \d+%–\d+%\] right over \d+ folds vs the majority-class baseline \d+\.\d% \(margin [+-]?\d+\.\d pts\) — (does not beat|beats) the baseline/);
    for (const label of ['GBT', 'logistic', 'ridge', 'majority (baseline)', 'persistence (baseline)']) expect(t, `the table has a ${label} row`).toContain(`\n${label} `);
    expect(t, 'the featured model\'s top features').toMatch(new RegExp(`Top features of ${f.label}: \\w+ \\d+%`));
    expect(t).toMatch(/not financial advice/);
    expect(t).toMatch(/SIMULATED/);
    expect(await mlState(), 'five models trained and five predictions stored').toMatchObject({ p: 5, s: 0, m: 5 });
  });

  it('list-predictions shows them waiting, and the scorecard has nothing scored yet', async () => {
    const listed = expectClean('list-predictions', await call(a.client, 'list-predictions', {}));
    expect(listed.match(/waiting \(due/g)?.length, 'all five wait for their horizon').toBe(5);
    const card = expectClean('get-model-scorecard', await call(a.client, 'get-model-scorecard', {}));
    expect(card).toMatch(/^No scored predictions yet in the last 90 days\. 5 predictions are still waiting for their horizon\./);
  });

  it('once the horizon has passed and scoreDue ran, each is right or wrong against the actual close', async () => {
    clock.advance(2 * HOUR);
    expect(await app.services.predictions.scoreDue()).toEqual({ scored: 5, waiting: 0 });
    const res = await call(a.client, 'list-predictions', { symbol: 'BTC/USDT', horizon: '1h' });
    const t = expectClean('list-predictions', res);
    const rows = (res.structuredContent as { predictions: PredictionRowView[] }).predictions;
    expect(rows).toHaveLength(5);
    const actual = rows[0]!.actualPrice!;
    const up = Number(actual) > Number(first.referencePrice);
    for (const p of rows.filter((x) => x.direction !== null)) {
      expect(p.wasCorrect, `${p.model} called ${p.direction}; the price went ${up ? 'up' : 'down'}`).toBe((p.direction === 'up') === up);
    }
    const rights = rows.filter((x) => x.wasCorrect === true).length;
    const wrongs = rows.filter((x) => x.wasCorrect === false).length;
    expect(t.match(/ right\n| right$/gm)?.length ?? 0, 'each right call reads "right"').toBe(rights);
    expect(t.match(/ wrong$/gm)?.length ?? 0, 'each wrong call reads "wrong"').toBe(wrongs);
    expect(t, 'persistence has no direction: its error instead').toMatch(/persistence \(baseline\).* off by [\d,.]+$/m);
    expect(t).toContain(`4 direction calls scored, ${rights} right`);
  });

  it('get-model-scorecard shows the five models with their samples beside the baseline', async () => {
    const res = await call(a.client, 'get-model-scorecard', { symbol: 'BTC/USDT', horizon: '1h' });
    const t = expectClean('get-model-scorecard', res);
    const card = res.structuredContent as unknown as ScorecardView;
    expect(card.entries.map((e) => [e.model, e.scored])).toEqual(MODEL_NAMES.map((m) => [m, 1]));
    expect(card.entries.some((e) => e.beatsBaseline), 'one call beats nothing').toBe(false);
    const gbt = card.entries.find((e) => e.model === 'gradient_boosted_trees')!;
    expect(t, 'a GBT row: one scored call, its rate and interval, the baseline').toMatch(new RegExp(`\\nGBT +BTC/USDT +1h +1 +(100\\.0|0\\.0)% of 1 \\[95% \\d+%–\\d+%\\] +(100\\.0|0\\.0)% +[+-]?\\d+\\.\\d pts`));
    expect(gbt.direction.samples).toBe(1);
    expect(t).toMatch(/None of the 3 learner records beats the majority-class baseline/);
    expect(t, 'a calibration line for a learner').toMatch(/GBT BTC\/USDT 1h calibration: \d+–\d+% calls: (100|0)% right of 1/);
    expect(t).toMatch(/SIMULATED/);
  });

  it('the next prediction carries the live record: hit rate, samples, baseline and that it does not beat it', async () => {
    const res = await call(a.client, 'get-prediction', { symbol: 'BTC/USDT', horizon: '1h' });
    const t = expectClean('get-prediction', res);
    const v = res.structuredContent as unknown as PredictionView;
    expect(v.trained, 'the stored versions are reloaded, not retrained').toEqual([]);
    expect(v.record.direction.samples).toBe(1);
    expect(t).toMatch(/\(live, scored\): (100\.0|0\.0)% of 1 \[95% \d+%–\d+%\] right; the majority-class baseline (100\.0|0\.0)% on the same 1 bars, margin [+-]?\d+\.\d pts — it does not beat the baseline\./);
    expect(t, 'one scored call is too few: the walk-forward record goes beside it').toMatch(/\nToo few scored calls to judge yet \(under 30\); at training, walk-forward out of sample: \d+\.\d% of [\d,]+/);
  });
});

describe('retraining is an admin\'s', () => {
  it('is refused to a trader and changes nothing', async () => {
    const before = await mlState();
    expectRefused('retrain-model', await call(a.client, 'retrain-model', { symbol: 'BTC/USDT', horizon: '1h' }), /needs the admin role; your role is trader/);
    expect(await mlState()).toEqual(before);
  });

  it('bumps every version for an admin and shows the walk-forward record', async () => {
    const res = await call(r.client, 'retrain-model', { symbol: 'BTC/USDT', horizon: '1h' });
    const t = expectClean('retrain-model', res);
    const versions = (res.structuredContent as { versions: Array<{ name: string; version: number; horizon: string }> }).versions;
    expect(versions.map((v) => [v.name, v.version, v.horizon])).toEqual(MODEL_NAMES.map((m) => [m, 2, '1h']));
    expect(t).toMatch(/^Retrained 5 models of BTC\/USDT 1h on [\d,]+ 15m samples from/);
    expect(t).toMatch(/\nGBT +v2 +\d+\.\d% of [\d,]+ \[95% \d+%–\d+%\]/);
    expect(t).toMatch(/Out of sample, (none of the 3 direction models beats|.* beat) the majority-class baseline/);
    expect((await mlState()).v).toBe(MODEL_NAMES.map((m) => `${m} v2`).sort().join(','));
  });

  it('one model only, when named', async () => {
    const res = await call(r.client, 'retrain-model', { symbol: 'BTC/USDT', horizon: '1h', model: 'logistic_regression' });
    expectClean('retrain-model', res);
    expect((res.structuredContent as { versions: Array<{ name: string; version: number }> }).versions.map((v) => `${v.name} v${v.version}`)).toEqual(['logistic_regression v3']);
  });
});

describe('bad input', () => {
  it.each([
    ['get-prediction', { symbol: 'BTC/USDT', horizon: '2h' }, /must be one of 15m, 1h, 4h, 1d at horizon/],
    ['get-prediction', { symbol: 'NOPE/USDT', horizon: '1h' }, /NOPE/],
    ['list-predictions', { model: 'lstm' }, /must be one of gradient_boosted_trees, logistic_regression, ridge_regression, majority_class, persistence at model/],
    ['list-predictions', { limit: 1000 }, /at most 100/],
    ['get-model-scorecard', { horizon: '2h' }, /must be one of 15m, 1h, 4h, 1d/],
    ['get-model-scorecard', { days: 0 }, /at least 1/],
    ['retrain-model', { symbol: 'BTC/USDT', horizon: '1h', model: 'lstm' }, /must be one of gradient_boosted_trees/],
    ['retrain-model', { symbol: 'BTC/USDT', horizon: '2h' }, /must be one of 15m, 1h, 4h, 1d/],
  ] as const)('%s %j is refused and changes nothing', async (tool, args, message) => {
    const before = await mlState();
    const res = await call(r.client, tool, args);
    const t = expectRefused(tool, res, message);
    expect(t, 'the refusal is words, not a stack').not.toMatch(/\n\s+at /);
    expect(await mlState(), `${tool} with bad input changes nothing`).toEqual(before);
  });

  it('every horizon the service knows is one the tools accept', () => {
    expect(Object.keys(PREDICTION_HORIZONS)).toEqual(['15m', '1h', '4h', '1d']);
  });
});

it('reads cleanly for a key with read:market only, and refuses retraining to it', async () => {
  const ro = await connect(app, alice, new Set(['read:market']));
  try {
    expectClean('get-model-scorecard', await call(ro.client, 'get-model-scorecard', {}));
    const refused = await call(ro.client, 'retrain-model', { symbol: 'BTC/USDT', horizon: '1h' });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toContain('lacks "admin"');
  } finally {
    await ro.close();
  }
});
