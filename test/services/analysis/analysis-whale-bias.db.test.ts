// The analysis beside the whales: analyze-market's summary carries a "Whale bias" line when a fresh
// stored bias of the market's base asset has events, and nothing otherwise.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/client.js';
import type { Actor } from '../../../src/services/actor.js';
import { AnalysisService } from '../../../src/services/analysis/analysis-service.js';
import type { MarketService } from '../../../src/services/market-data/market-service.js';
import { BiasService } from '../../../src/services/wallets/bias-service.js';
import { WalletService } from '../../../src/services/wallets/wallet-service.js';
import { createTestDatabase } from '../../support/db.js';
import { HOUR, MINUTE, T0, manualClock, newActor, simMarketService } from '../market/support.js';
import { storeScore, storeWhaleEvent } from '../wallets/whale-fixtures.js';

const WHALE = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
let database: Database;
const clock = manualClock(T0);
let market: MarketService;
let analysis: AnalysisService;
let alice: Actor;

beforeAll(async () => {
  database = await createTestDatabase();
  ({ market } = await simMarketService(database, clock));
  analysis = new AnalysisService({ db: database.db, market, clock });
  alice = await newActor(database, 'alice');
  const walletId = (await new WalletService({ db: database.db }).watch(alice, { address: WHALE.toLowerCase() })).walletId;
  await storeScore(database.db, walletId, new Date(T0 - 3 * HOUR), { h1: 5, h4: 5, h24: 5 });
  await storeWhaleEvent(database.db, { walletId, address: WHALE, at: new Date(T0 - 40 * MINUTE), kind: 'buy', asset: 'WETH', amount: '300', notionalUsd: '1000000' });
  // Stored by the scheduler's pass 5 min ago (a bias of BTC was never stored).
  await new BiasService({ db: database.db, clock }).runOnce(new Date(T0 - 5 * MINUTE));
});
afterAll(async () => {
  await market?.close();
  await database?.close();
});

describe('whale bias in analyses', () => {
  it('adds the stored bias of the base asset to the summary', async () => {
    const a = await analysis.analyzeMarket(alice, 'ETH/USDT', '1h');
    // 0.5 × 0.75 × 0.75 weight; one buy of impact +0.6: value 0.6, confidence 0.28125 / 1.28125.
    expect(a.whaleBias.map((b) => [b.timeframe, b.value, b.events])).toEqual([['1h', 0.6, 1], ['4h', 0.6, 1], ['24h', 0.6, 1]]);
    expect(a.whaleBiasLine).toBe(
      'Whale bias: 1h bullish +0.60 (confidence 0.22, 1 event, 1 wallet); 4h bullish +0.60 (confidence 0.22, 1 event, 1 wallet); 24h bullish +0.60 (confidence 0.22, 1 event, 1 wallet). A statistic of watched wallets\' moves, not advice.',
    );
  });

  it('adds nothing when no bias of the asset is stored, or the stored one is stale', async () => {
    const btc = await analysis.analyzeMarket(alice, 'BTC/USDT', '1h');
    expect([btc.whaleBias, btc.whaleBiasLine]).toEqual([[], null]);
    clock.set(T0 + 2 * HOUR);
    const later = await analysis.analyzeMarket(alice, 'ETH/USDT', '1h');
    expect(later.whaleBiasLine, 'a bias stored over an hour ago is not shown').toBeNull();
    clock.set(T0);
  });
});
