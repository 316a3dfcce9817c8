// The report of a person who watches wallets has a Whales section: their wallets' notable moves of
// the period (largest USD notional first, at most five, with classification and credibility; retracted
// moves and other people's wallets left out), the stored bias of those moves' assets at the start and
// end of the period, and their best- and worst-scored wallets. No section for a person watching none.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { marketBias } from '../../../src/db/schema/index.js';
import { actorFor, type Actor } from '../../../src/services/actor.js';
import { createUser } from '../../../src/services/users.js';
import { createTestApp, type TestApp } from '../../support/app.js';
import { HOUR_MS, retract, storeScore, storeWhaleEvent } from '../wallets/whale-fixtures.js';

const W1 = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
const W2 = '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359';
const W3 = '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB';
const W4 = '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb';
const MIN = 60_000;

let app: TestApp;
let alice: Actor;
let bob: Actor;
let carol: Actor;
let now: number;

beforeAll(async () => {
  app = await createTestApp({ MIKEY_MARKET: 'sim' });
  alice = actorFor((await createUser(app.database.db, { username: 'alice' })).id, 'terminal');
  bob = actorFor((await createUser(app.database.db, { username: 'bob' })).id, 'terminal');
  carol = actorFor((await createUser(app.database.db, { username: 'carol' })).id, 'terminal');
  const w = app.services.wallets;
  const w1 = (await w.watch(alice, { address: W1.toLowerCase(), label: 'smart whale' })).walletId;
  const w2 = (await w.watch(alice, { address: W2.toLowerCase() })).walletId;
  const w3 = (await w.watch(alice, { address: W3.toLowerCase(), label: 'quiet' })).walletId;
  const w4 = (await w.watch(bob, { address: W4.toLowerCase(), label: 'bobs whale' })).walletId;
  now = app.services.clock.now().getTime();
  const at = (ms: number): Date => new Date(now - ms);
  const db = app.database.db;
  await storeWhaleEvent(db, { walletId: w1, address: W1, at: at(HOUR_MS), kind: 'buy', asset: 'ETH', amount: '1500', notionalUsd: '5000000' });
  await storeWhaleEvent(db, { walletId: w2, address: W2, at: at(2 * HOUR_MS), kind: 'deposit', asset: 'ETH', amount: '600', notionalUsd: '2000000' });
  await storeWhaleEvent(db, { walletId: w1, address: W1, at: at(30 * MIN), kind: 'buy', asset: 'WBTC', amount: '10', notionalUsd: '1000000' });
  await storeWhaleEvent(db, { walletId: w2, address: W2, at: at(3 * HOUR_MS), kind: 'sell', asset: 'ETH', amount: '150', notionalUsd: '500000' });
  await storeWhaleEvent(db, { walletId: w1, address: W1, at: at(3.5 * HOUR_MS), kind: 'withdraw', asset: 'ETH', amount: '30', notionalUsd: '100000' });
  await storeWhaleEvent(db, { walletId: w2, address: W2, at: at(10 * MIN), kind: 'internal', asset: 'ETH', amount: '1' });
  const orphan = await storeWhaleEvent(db, { walletId: w1, address: W1, at: at(20 * MIN), kind: 'buy', asset: 'ETH', amount: '15000', notionalUsd: '50000000' });
  await retract(db, orphan, at(5 * MIN));
  await storeWhaleEvent(db, { walletId: w1, address: W1, at: at(5 * HOUR_MS), kind: 'sell', asset: 'ETH', amount: '3000', notionalUsd: '10000000' });
  await storeWhaleEvent(db, { walletId: w4, address: W4, at: at(HOUR_MS), kind: 'buy', asset: 'ETH', amount: '6000', notionalUsd: '20000000' });
  await storeScore(db, w1, at(HOUR_MS), { h4: 7.5, h24: 6, archetype: 'accumulator' });
  await storeScore(db, w2, at(2 * HOUR_MS), { h4: 1.2, h24: 8, archetype: 'distributor' });
  await storeScore(db, w3, at(2 * HOUR_MS), { h4: null, h24: null });
  await storeScore(db, w4, at(HOUR_MS), { h4: 9.9, h24: 9.9 });
  const bias = (asset: string, timeframe: string, ms: number, value: string, events: number): typeof marketBias.$inferInsert => ({
    asset, timeframe, observedAt: at(ms), value, confidence: '0.3', components: { samples: { events, neutralEvents: 0, wallets: 1, unscoredEvents: 0 } },
  });
  await db.insert(marketBias).values([
    bias('ETH', '4h', 4 * HOUR_MS + MIN, '-0.3', 2),
    bias('ETH', '4h', MIN, '0.42', 5),
    bias('ETH', '24h', MIN, '0.1', 6),
    bias('BTC', '4h', MIN, '0.4', 1),
    bias('SOL', '4h', MIN, '0.9', 1),
  ]);
});

afterAll(async () => {
  await app?.close();
});

describe('the Whales section of a report', () => {
  it('lists the notable moves, the bias changes and the best- and worst-scored wallets', async () => {
    const r = await app.services.reports.getReport(alice, { period: '4h' });
    const w = r.facts.whales!;
    expect([w.watched, w.timeframe, w.eventCount]).toEqual([3, '4h', 6]);
    expect(w.events.map((e) => [e.wallet, e.classification, e.asset, e.notionalUsd === null ? null : Number(e.notionalUsd), e.credibility])).toEqual([
      ['smart whale (0x5aAe…eAed)', 'accumulation', 'ETH', 5_000_000, 7.5],
      ['0xfB69…d359', 'exchange_deposit', 'ETH', 2_000_000, 1.2],
      ['smart whale (0x5aAe…eAed)', 'accumulation', 'WBTC', 1_000_000, 7.5],
      ['0xfB69…d359', 'distribution', 'ETH', 500_000, 1.2],
      ['smart whale (0x5aAe…eAed)', 'exchange_withdrawal', 'ETH', 100_000, 7.5],
    ]);
    expect(w.biasChanges, 'ETH and BTC (from WBTC) moved this period; SOL is not an asset of these moves').toEqual([
      { asset: 'BTC', from: null, to: 0.4, toEvents: 1 },
      { asset: 'ETH', from: -0.3, to: 0.42, toEvents: 5 },
    ]);
    expect(w.best).toEqual({ wallet: 'smart whale (0x5aAe…eAed)', credibility: 7.5, archetype: 'accumulator' });
    expect(w.worst, 'the unscored wallet is not ranked').toEqual({ wallet: '0xfB69…d359', credibility: 1.2, archetype: 'distributor' });
    const section = r.markdown.slice(r.markdown.indexOf('## Whales'));
    expect(section).toMatch(/^## Whales\n_3 watched wallets · credibility and bias over 4h · a statistic, not advice_\n/);
    expect(section).toMatch(/\n- \d\d:\d\d smart whale \(0x5aAe…eAed\): accumulation of ETH, \$5M \(credibility 7\.5\/10\)\n- \d\d:\d\d 0xfB69…d359: exchange deposit of ETH, \$2M \(credibility 1\.2\/10\)\n/);
    expect(section).toContain('- … and 1 smaller move\n');
    expect(section).toContain('Bias (4h) over the period:\n- BTC: none stored → bullish +0.40\n- ETH: bearish -0.30 → bullish +0.42\n');
    expect(section).toContain('Best scored: smart whale (0x5aAe…eAed) 7.5/10, accumulator; worst: 0xfB69…d359 1.2/10, distributor');
    expect(section, 'retracted moves and other people\'s wallets never show').not.toMatch(/\$50M|\$20M|\$10M|bobs whale/);
    expect(section).not.toMatch(/\{"|undefined|NaN/);
  });

  it('ranks by the daily credibility in the daily report', async () => {
    const w = (await app.services.reports.getReport(alice, { period: 'day' })).facts.whales!;
    expect([w.timeframe, w.eventCount, w.best?.credibility, w.worst?.credibility]).toEqual(['24h', 7, 8, 6]);
    expect(w.events[0]!.notionalUsd === null ? null : Number(w.events[0]!.notionalUsd), 'the sale of 5 h ago is in the day').toBe(10_000_000);
  });

  it('has no Whales section for a person who watches nothing', async () => {
    const r = await app.services.reports.getReport(carol, { period: '4h' });
    expect(r.facts.whales).toBeNull();
    expect(r.markdown).not.toContain('## Whales');
    const b = await app.services.reports.getReport(bob, { period: '4h' });
    expect(b.facts.whales!.events.map((e) => e.wallet)).toEqual(['bobs whale (0xD122…9aDb)']);
  });
});
