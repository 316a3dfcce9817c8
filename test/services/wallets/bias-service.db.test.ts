// The market bias service on stored wallets, events, analyses and scores: hand-worked values per
// timeframe, scores taken after an event never used, retracted events never counted, wrapped tickers
// counted as their asset, and idempotent storage per (asset, timeframe, observed_at).
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, type Database } from '../../../src/db/client.js';
import { marketBias } from '../../../src/db/schema/index.js';
import type { Actor } from '../../../src/services/actor.js';
import { BiasService, canonicalAsset, latestStoredBias, storedBiasAt, tickersOf, whaleBiasLine } from '../../../src/services/wallets/bias-service.js';
import { WalletService } from '../../../src/services/wallets/wallet-service.js';
import { createTestDatabase } from '../../support/db.js';
import { manualClock, newActor } from '../market/support.js';
import { HOUR_MS, retract, storeScore, storeWhaleEvent } from './whale-fixtures.js';

const A = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
const B = '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359';
const NOW = Date.UTC(2026, 0, 10, 12, 0, 0);
const MIN = 60_000;
const ago = (ms: number): Date => new Date(NOW - ms);

let database: Database;
let actor: Actor;
let walletA: string;
let walletB: string;
let service: BiasService;

beforeAll(async () => {
  database = await createTestDatabase();
  actor = await newActor(database, 'biaswatcher');
  const wallets = new WalletService({ db: database.db });
  walletA = (await wallets.watch(actor, { address: A.toLowerCase(), label: 'smart whale' })).walletId;
  walletB = (await wallets.watch(actor, { address: B.toLowerCase() })).walletId;
  service = new BiasService({ db: database.db, clock: manualClock(NOW) });
  const db = database.db;
  // A's record: 4 h credibility 4 (5 h ago), 8 (3 h ago), and 1 (10 min ago, after its latest event: never used for it).
  await storeScore(db, walletA, ago(5 * HOUR_MS), { h1: null, h4: 4, h24: 5 });
  await storeScore(db, walletA, ago(3 * HOUR_MS), { h1: null, h4: 8, h24: 6 });
  await storeScore(db, walletA, ago(10 * MIN), { h1: 9, h4: 1, h24: 1 });
  // B: scored on 24 h only.
  await storeScore(db, walletB, ago(12 * HOUR_MS), { h1: null, h4: null, h24: 5 });
  // A buys $1M of ETH 50 min ago: impact +0.6, confidence 0.75.
  await storeWhaleEvent(db, { walletId: walletA, address: A, at: ago(50 * MIN), kind: 'buy', asset: 'ETH', amount: '400', notionalUsd: '1000000' });
  // B sends $100k of WETH to an exchange 2 h ago: impact −0.35, confidence 0.65 (WETH counts as ETH).
  await storeWhaleEvent(db, { walletId: walletB, address: B, at: ago(2 * HOUR_MS), kind: 'deposit', asset: 'WETH', amount: '40', notionalUsd: '100000' });
  // A sells $10k of ETH into USDC 3.5 h ago: stored with asset USDC, analysed as about ETH: impact −0.24, confidence 0.75.
  await storeWhaleEvent(db, { walletId: walletA, address: A, at: ago(3.5 * HOUR_MS), kind: 'sell', asset: 'ETH', amount: '4', notionalUsd: '10000' });
  // B takes $1M of ETH off an exchange 10 h ago: impact +0.45, confidence 0.6.
  await storeWhaleEvent(db, { walletId: walletB, address: B, at: ago(10 * HOUR_MS), kind: 'withdraw', asset: 'ETH', amount: '400', notionalUsd: '1000000' });
  // Neutral: B moves ETH to a watched wallet 20 min ago.
  await storeWhaleEvent(db, { walletId: walletB, address: B, at: ago(20 * MIN), kind: 'internal', asset: 'ETH', amount: '1' });
  // Retracted: a $50M buy 30 min ago whose block was orphaned — it would swamp everything.
  const orphan = await storeWhaleEvent(db, { walletId: walletB, address: B, at: ago(30 * MIN), kind: 'buy', asset: 'ETH', amount: '20000', notionalUsd: '50000000' });
  await retract(db, orphan, ago(5 * MIN));
  // Outside every window, and another asset.
  await storeWhaleEvent(db, { walletId: walletA, address: A, at: ago(30 * HOUR_MS), kind: 'sell', asset: 'ETH', amount: '400', notionalUsd: '1000000' });
  await storeWhaleEvent(db, { walletId: walletA, address: A, at: ago(HOUR_MS / 2), kind: 'buy', asset: 'WBTC', amount: '1', notionalUsd: '100000' });
  // In the future of the bias time.
  await storeWhaleEvent(db, { walletId: walletA, address: A, at: new Date(NOW + MIN), kind: 'sell', asset: 'ETH', amount: '400', notionalUsd: '1000000' });
});

afterAll(async () => {
  await database.close();
});

describe('market bias service', () => {
  it('names assets as the bias counts them', () => {
    expect([canonicalAsset('weth'), canonicalAsset('WBTC'), canonicalAsset('stETH'), canonicalAsset('xbt'), canonicalAsset('pepe')]).toEqual(['ETH', 'BTC', 'ETH', 'BTC', 'PEPE']);
    expect(tickersOf('ETH')).toEqual(['ETH', 'STETH', 'WETH', 'WSTETH']);
    expect(service.parseAsset('ETH/USDT'), 'a market by its base').toBe('ETH');
    expect(service.parseAsset('weth')).toBe('ETH');
    expect(() => service.parseAsset('USDC')).toThrow(/stablecoin/);
    expect(() => service.parseAsset('ETH; DROP')).toThrow(/not an asset or market/);
  });

  it('computes hand-worked biases per timeframe from the stored events, reading only', async () => {
    const [h1, h4, h24] = await service.compute('ETH');
    // 4 h: A +0.6 w 0.8×0.75×0.75 = 0.45 (score of 3 h ago, not of 10 min ago); B −0.35 w 0.2×0.65×0.5 = 0.065 (no 4 h score);
    // A −0.24 w 0.4×0.75×0.25 = 0.075 (score of 5 h ago). Σw 0.59, Σw·impact 0.22925, Σw·|impact| 0.31075.
    expect(h4, 'the 4 h bias').toMatchObject({ asset: 'ETH', value: 0.3886, agreement: 0.7377, confidence: 0.2737, totalWeight: 0.59, direction: 'bullish' });
    expect(h4!.samples, 'the retracted, future, 30 h-old and BTC events are not counted; the internal move is neutral').toEqual({ events: 3, neutralEvents: 1, wallets: 2, unscoredEvents: 1 });
    expect(h4!.contributors.map((c) => [c.shortAddress, c.events, c.contribution, c.unscored])).toEqual([
      ['0x5aAe…eAed', 2, 0.4271, false],
      ['0xfB69…d359', 1, -0.0386, true],
    ]);
    // 1 h: only A's buy, A has no 1 h score before it (the 10-min-ago 9 is later) → 2: w 0.1125.
    expect([h1!.value, h1!.confidence, h1!.samples.events, h1!.samples.neutralEvents]).toEqual([0.6, 0.1011, 1, 1]);
    // 24 h: A 0.6×0.75×0.75 and 0.5×0.75×0.25; B 0.5×0.65×0.5 and 0.5×0.6×0.75 (its 24 h score of 12 h ago).
    expect(h24, 'the 24 h bias').toMatchObject({ value: 0.274, agreement: 0.5856, confidence: 0.2636, totalWeight: 0.8188 });
    expect(h24!.contributors.map((c) => c.contribution)).toEqual([0.2198, 0.0542]);
    const [{ n }] = await queryRows<{ n: number }>(database.db, sql`select count(*)::int n from market_bias`) as [{ n: number }];
    expect(n, 'compute writes nothing').toBe(0);
    const btc = await service.compute('BTC', ['1h']);
    expect([btc[0]!.value, btc[0]!.samples.events], 'WBTC counts as BTC').toEqual([0.4, 1]);
  });

  it('names contributors a person watches by their own label', async () => {
    const [, h4] = await service.forUser(actor, 'eth/usdt', ['1h', '4h']);
    expect(h4!.contributors.map((c) => c.label)).toEqual(['smart whale', null]);
    const stranger = await newActor(database, 'stranger');
    const [theirs] = await service.forUser(stranger, 'ETH', ['4h']);
    expect(theirs!.contributors.map((c) => c.label), 'another person sees no one else\'s labels').toEqual([null, null]);
    expect(theirs!.value).toBe(0.3886);
  });

  it('stores every asset with recent events per timeframe, once per observed time', async () => {
    const first = await service.runOnce();
    expect(first.assets, 'USDC (the stored asset of the sale) has no bias; the sale counts for ETH').toEqual(['BTC', 'ETH']);
    expect(first.rows).toBe(6);
    await service.runOnce();
    const rows = await database.db.select().from(marketBias).where(eq(marketBias.asset, 'ETH'));
    expect(rows.length, 'the same pass time writes the same three rows').toBe(3);
    const h4 = rows.find((r) => r.timeframe === '4h')!;
    expect([h4.value, h4.confidence, h4.observedAt.getTime()]).toEqual(['0.3886000000', '0.2737000000', NOW]);
    expect(h4.components).toMatchObject({ direction: 'bullish', samples: { events: 3, neutralEvents: 1, wallets: 2 }, contributors: [{ address: A, events: 2, contribution: 0.4271 }, { address: B }] });
    expect(JSON.stringify(h4.components), 'labels are private: never stored with the bias').not.toContain('smart whale');
    const quiet = await service.runOnce(new Date(NOW + 20_000));
    expect([quiet.assets, quiet.rows], 'an unchanged bias within 15 min of its row is not stored again').toEqual([['BTC', 'ETH'], 0]);
    const due = await new BiasService({ db: database.db, storeEveryMs: 10_000 }).runOnce(new Date(NOW + 30_000));
    expect(due.rows, 'once its row is old enough it is').toBe(6);
    const later = await database.db.select().from(marketBias).where(and(eq(marketBias.asset, 'ETH'), eq(marketBias.timeframe, '4h')));
    expect(later.length, 'a later pass adds a row').toBe(2);
    await storeWhaleEvent(database.db, { walletId: walletB, address: B, at: new Date(NOW + 35_000), kind: 'sell', asset: 'WBTC', amount: '1', notionalUsd: '100000' });
    const changed = await service.runOnce(new Date(NOW + 40_000));
    expect(changed.rows, 'a changed bias is stored at once: BTC\'s three timeframes, not the unchanged ETH').toBe(3);
  });

  it('gives the latest stored bias for analyses and reports', async () => {
    const stored = await latestStoredBias(database.db, 'weth', new Date(NOW + 2 * MIN));
    expect(stored.map((s) => [s.timeframe, s.observedAt.getTime(), s.events])).toEqual([
      ['1h', NOW + 30_000, 1],
      ['4h', NOW + 30_000, 3],
      ['24h', NOW + 30_000, 4],
    ]);
    expect(whaleBiasLine(stored)).toMatch(/^Whale bias: 1h bullish \+0\.60 \(confidence 0\.10, 1 event, 1 wallet\); 4h bullish \+0\.39 \(confidence 0\.27, 3 events, 2 wallets\); 24h bullish \+0\.27 /);
    expect(await latestStoredBias(database.db, 'ETH', new Date(NOW + 2 * HOUR_MS)), 'an hour-old bias is not shown').toEqual([]);
    expect(await latestStoredBias(database.db, 'ETH', new Date(NOW - MIN)), 'nothing stored yet then').toEqual([]);
    expect((await storedBiasAt(database.db, 'ETH', '4h', new Date(NOW + 30 * MIN)))?.observedAt.getTime()).toBe(NOW + 30_000);
    expect((await storedBiasAt(database.db, 'ETH', '4h', new Date(NOW + 10_000)))?.observedAt.getTime(), 'at or before: the first pass').toBe(NOW);
    expect(whaleBiasLine([])).toBeNull();
  });
});
