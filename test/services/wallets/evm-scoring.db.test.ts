// Credibility of EVM wallets from their stored events and the candle store: hand-worked scores,
// stablecoin, retracted and unmatured events not counted, the archetype, one row per (wallet,
// scored_at), Hyperliquid traders left to their own ingestion, and the scheduler's pass that scores
// and then stores the market bias after the sources ran (even when one failed).
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/client.js';
import { marketBias, walletScores } from '../../../src/db/schema/index.js';
import { wilsonInterval } from '../../../src/domain/predict/scoring.js';
import { createLogger } from '../../../src/log.js';
import type { Actor } from '../../../src/services/actor.js';
import { CandleStore } from '../../../src/services/market-data/candle-store.js';
import { BiasService } from '../../../src/services/wallets/bias-service.js';
import { WalletScoring, impliedMove } from '../../../src/services/wallets/evm-scoring.js';
import { WalletIngestionScheduler } from '../../../src/services/wallets/ingestion-scheduler.js';
import { CandleUsdPrices } from '../../../src/services/wallets/usd-prices.js';
import { WalletService } from '../../../src/services/wallets/wallet-service.js';
import { createTestDatabase } from '../../support/db.js';
import { manualClock, newActor, type ManualClock } from '../market/support.js';
import { HOUR_MS, retract, storeHourlyCandles, storeWhaleEvent } from './whale-fixtures.js';

const W = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
const X = '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359';
const HL = '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB';
const NOW = Date.UTC(2026, 0, 10, 12, 0, 0);
const START = NOW - 48 * HOUR_MS;
const ago = (ms: number): Date => new Date(NOW - ms);

let database: Database;
let actor: Actor;
let clock: ManualClock;
let walletW: string;
let walletX: string;
let walletHL: string;

function scoring(): WalletScoring {
  return new WalletScoring({ db: database.db, prices: new CandleUsdPrices(new CandleStore(database), 'testex'), clock, exchanges: new Set([X.toLowerCase()]) });
}

const scoresOf = (walletId: string): Promise<Array<typeof walletScores.$inferSelect>> =>
  database.db.select().from(walletScores).where(eq(walletScores.walletId, walletId)).orderBy(walletScores.scoredAt);

beforeAll(async () => {
  database = await createTestDatabase();
  clock = manualClock(NOW);
  actor = await newActor(database, 'scorer');
  const wallets = new WalletService({ db: database.db });
  walletW = (await wallets.watch(actor, { address: W.toLowerCase(), label: 'steady buyer' })).walletId;
  walletX = (await wallets.watch(actor, { address: X.toLowerCase() })).walletId;
  walletHL = (await wallets.watch(actor, { address: HL.toLowerCase(), chain: 'hyperliquid' })).walletId;
  // ETH rises 10 USDT every hour: buys are right, sales wrong. Bar i opens at START + i h and closes at 3000 + 10 i.
  await storeHourlyCandles(database, 'ETH/USDT', 'testex', new Date(START), 49, (i) => String(3000 + 10 * i));
  const db = database.db;
  await storeWhaleEvent(db, { walletId: walletW, address: W, at: ago(30 * HOUR_MS), kind: 'buy', asset: 'ETH', amount: '10', notionalUsd: '31800' });
  await storeWhaleEvent(db, { walletId: walletW, address: W, at: ago(20 * HOUR_MS), kind: 'withdraw', asset: 'WETH', amount: '10', notionalUsd: '32800' });
  await storeWhaleEvent(db, { walletId: walletW, address: W, at: ago(10 * HOUR_MS), kind: 'sell', asset: 'ETH', amount: '10', notionalUsd: '33800' });
  // No window has passed: not a sample yet.
  await storeWhaleEvent(db, { walletId: walletW, address: W, at: ago(30 * 60_000), kind: 'buy', asset: 'ETH', amount: '1', notionalUsd: '3480' });
  // Bullish by rule, but a dollar does not move: not a sample (still a directional event for the archetype).
  await storeWhaleEvent(db, { walletId: walletW, address: W, at: ago(15 * HOUR_MS), kind: 'deposit', asset: 'USDC', amount: '50000', notionalUsd: '50000' });
  // A sale 5 h ago would be a miss; its block was orphaned.
  const orphan = await storeWhaleEvent(db, { walletId: walletW, address: W, at: ago(5 * HOUR_MS), kind: 'sell', asset: 'ETH', amount: '10', notionalUsd: '34300' });
  await retract(db, orphan, ago(4 * HOUR_MS));
  await storeWhaleEvent(db, { walletId: walletX, address: X, at: ago(3 * HOUR_MS), kind: 'buy', asset: 'ETH', amount: '1', notionalUsd: '3450' });
  await storeWhaleEvent(db, { walletId: walletHL, address: HL, at: ago(3 * HOUR_MS), kind: 'buy', asset: 'ETH', amount: '1', notionalUsd: '3450', chain: 'hyperliquid' });
});

afterAll(async () => {
  await database.close();
});

describe('EVM wallet credibility', () => {
  it('reads the implied move from the analysis\' bias impact sign', () => {
    expect(['0.6000000000', '-0.2', '0', null, 'x'].map(impliedMove)).toEqual(['up', 'down', 'neutral', 'neutral', 'neutral']);
  });

  it('scores each wallet with events from the prices after its past moves, once per scored time', async () => {
    const report = await scoring().runOnce();
    expect(report.scored.map((s) => s.walletId).sort(), 'the Hyperliquid trader is scored by its own ingestion').toEqual([walletW, walletX].sort());
    const w = report.scored.find((s) => s.walletId === walletW)!;
    // 1 h and 4 h: the buy (30 h ago) and the withdrawal (20 h ago) were right, the sale (10 h ago) wrong: 2 of 3.
    // 24 h: only the buy's day has passed: 1 of 1.
    const low = (hits: number, n: number): number => Math.round(wilsonInterval(hits, n).low * 1000) / 100;
    expect(w.credibility).toEqual({
      '1h': { samples: 3, hits: 2, credibility: low(2, 3) },
      '4h': { samples: 3, hits: 2, credibility: low(2, 3) },
      '24h': { samples: 1, hits: 1, credibility: low(1, 1) },
    });
    expect([low(2, 3), low(1, 1)], 'Wilson lower bounds 0.2077 and 0.2065').toEqual([2.08, 2.07]);
    expect([w.archetype, w.archetypeReason], '4 of its 5 directional events point up').toEqual(['accumulator', '80 % of its directional events were buys or inflows']);
    const [row] = await scoresOf(walletW);
    expect(row).toMatchObject({ scoredAt: new Date(NOW), credibility1h: '2.0800000000', credibility4h: '2.0800000000', credibility24h: '2.0700000000', equityUsd: null, winRate: null, archetype: 'accumulator' });
    const [x] = await scoresOf(walletX);
    expect([x!.credibility1h, x!.credibility24h, x!.archetype], 'its buy of 3 h ago: one 1 h hit; no 24 h sample is unknown, not 0; a known exchange address').toEqual(['2.0700000000', null, 'exchange_hot_wallet']);
    expect(await scoresOf(walletHL)).toEqual([]);
    await scoring().runOnce();
    expect((await scoresOf(walletW)).length, 'the same scored time is one row').toBe(1);
  });

  it('rescores a wallet when it has a new event or its score is old, not otherwise', async () => {
    clock.set(NOW + 60_000);
    const quiet = await scoring().runOnce();
    expect([quiet.scored.length, quiet.skipped]).toEqual([0, 2]);
    await storeWhaleEvent(database.db, { walletId: walletX, address: X, at: new Date(NOW + 30_000), kind: 'sell', asset: 'ETH', amount: '1', notionalUsd: '3480' });
    const moved = await scoring().runOnce();
    expect(moved.scored.map((s) => s.walletId), 'only the wallet that moved').toEqual([walletX]);
    clock.set(NOW + 16 * 60_000);
    const aged = await scoring().runOnce();
    expect(aged.scored.length, 'scores older than 15 min are refreshed').toBe(2);
    expect((await scoresOf(walletW)).map((r) => r.scoredAt.getTime())).toEqual([NOW, NOW + 16 * 60_000]);
  });

  it('runs scoring, then the market bias, after the sources — even when a source failed', async () => {
    clock.set(NOW + 40 * 60_000);
    const logLines: string[] = [];
    const scheduler = new WalletIngestionScheduler({
      evm: { runOnce: () => Promise.reject(new Error('node down')) },
      scoring: scoring(),
      bias: new BiasService({ db: database.db, clock }),
      gate: { holds: () => true },
      logger: createLogger('error', (l) => logLines.push(l)),
    });
    await scheduler.runOnce();
    await scheduler.stop();
    expect(logLines.join('\n')).toContain('wallet ingestion failed');
    expect((await scoresOf(walletW)).at(-1)!.scoredAt.getTime(), 'scored in this pass').toBe(NOW + 40 * 60_000);
    const rows = await database.db.select().from(marketBias).where(and(eq(marketBias.asset, 'ETH'), eq(marketBias.observedAt, new Date(NOW + 40 * 60_000))));
    expect(rows.map((r) => r.timeframe).sort()).toEqual(['1h', '24h', '4h']);
    const h4 = rows.find((r) => r.timeframe === '4h')!;
    expect((h4.components as { samples: { events: number } }).samples.events, 'X\'s buy, X\'s sale, W\'s buy (and the HL trader\'s buy) in the last 4 h').toBe(4);
  });
});
