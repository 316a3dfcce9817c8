import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HyperliquidInfoClient } from '../../../src/adapters/hyperliquid/index.js';
import type { Database } from '../../../src/db/client.js';
import { eventAnalyses, ingestionCursors, onchainEvents, walletScores } from '../../../src/db/schema/index.js';
import { D, type Dec } from '../../../src/domain/money.js';
import type { Actor } from '../../../src/services/actor.js';
import { HyperliquidIngestion, fillEventType, hyperliquidCursorSource } from '../../../src/services/wallets/hyperliquid-ingestion.js';
import type { UsdPriceAt } from '../../../src/services/wallets/usd-prices.js';
import { WalletService } from '../../../src/services/wallets/wallet-service.js';
import { createTestDatabase } from '../../support/db.js';
import { HOUR, manualClock, newActor, type ManualClock } from '../market/support.js';
import { startFakeInfoServer, type FakeInfoServer } from '../../adapters/hyperliquid/fake-info-server.js';

const TRADER = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
const KEY = TRADER.toLowerCase();
const HASH_A = `0x${'a1'.repeat(32)}`;
const HASH_B = `0x${'b2'.repeat(32)}`;
const HASH_C = `0x${'c3'.repeat(32)}`;

let database: Database;
let info: FakeInfoServer;
let clock: ManualClock;
let actor: Actor;
let walletId: string;
let t0: number;
const waits: number[] = [];

/** ETH rises 20 over every hour after the first fill: longs are right, shorts wrong. */
const prices: UsdPriceAt = {
  usdPrice: (asset: string, at: Date): Promise<Dec | null> =>
    Promise.resolve(asset === 'ETH' ? new D(3000).add(new D(20).mul(Math.floor((at.getTime() - t0) / HOUR))) : null),
};

const fill = (time: number, tid: number, hash: string, over: Record<string, unknown> = {}): Record<string, unknown> => ({
  coin: 'ETH',
  px: '3000',
  sz: '10',
  side: 'B',
  time,
  startPosition: '0',
  dir: 'Open Long',
  closedPnl: '0.0',
  hash,
  oid: 1000 + tid,
  crossed: true,
  fee: '1.5',
  tid,
  feeToken: 'USDC',
  ...over,
});

function ingestion(extra: { beforeCursorWrite?: (a: string) => void; requestBudget?: number } = {}): HyperliquidIngestion {
  return new HyperliquidIngestion({
    db: database.db,
    client: new HyperliquidInfoClient({ baseUrl: info.url, timeoutMs: 5_000 }),
    prices,
    clock,
    backoff: { baseMs: 250, maxMs: 4_000, maxRetries: 3 },
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
    ...extra,
  });
}

/** TRADER's stored fills (or another wallet's). */
async function stored(wallet?: string): Promise<Array<typeof onchainEvents.$inferSelect>> {
  return database.db.select().from(onchainEvents).where(eq(onchainEvents.walletId, wallet ?? walletId)).orderBy(asc(onchainEvents.occurredAt), asc(onchainEvents.logIndex));
}

beforeAll(async () => {
  database = await createTestDatabase();
  info = await startFakeInfoServer();
  actor = await newActor(database, 'perpwatcher');
  const w = await new WalletService({ db: database.db }).watch(actor, { address: TRADER, chain: 'hyperliquid', label: 'degen' });
  walletId = w.walletId;
  t0 = w.watchedSince.getTime() + 60_000;
  clock = manualClock(t0 + 5 * HOUR);
  info.states.set(KEY, {
    marginSummary: { accountValue: '300000', totalNtlPos: '60000', totalRawUsd: '0', totalMarginUsed: '3000' },
    withdrawable: '250000',
    assetPositions: [],
    time: t0,
  });
});

afterAll(async () => {
  await info.close();
  await database.close();
});

describe('Hyperliquid ingestion', () => {
  it('names fill event types from Hyperliquid direction words', () => {
    expect(fillEventType('Open Long')).toBe('perp_open_long');
    expect(fillEventType('Long > Short')).toBe('perp_long_to_short');
    expect(fillEventType('<script>')).toBe('perp_script');
  });

  it('stores each fill once across runs, keyed by hash and tid order, with analyses, score and cursor', async () => {
    // Newest first, as the fake keeps them. Two fills share HASH_A: ordered by tid they get 0 and 1.
    info.fills.set(KEY, [fill(t0 + 1000, 12, HASH_B, { px: '3001', sz: '5' }), fill(t0, 11, HASH_A, { sz: '2' }), fill(t0, 10, HASH_A)]);
    const first = await ingestion().runOnce();
    expect(first.traders.map((t) => [t.status, t.fillsFetched, t.eventsInserted])).toEqual([['ok', 3, 3]]);
    let rows = await stored();
    expect(rows.map((r) => [r.txHash, r.logIndex, r.amount, (r.rawData as { tid: number }).tid])).toEqual([
      [HASH_A, 0, '10.000000000000000000', 10],
      [HASH_A, 1, '2.000000000000000000', 11],
      [HASH_B, 0, '5.000000000000000000', 12],
    ]);
    expect(rows.map((r) => r.eventType)).toEqual(['perp_open_long', 'perp_open_long', 'perp_open_long']);
    expect(rows[0]!.notionalUsd, '10 × 3000').toBe('30000.000000000000000000');
    expect(rows[0]!.sizeFraction, '30 000 of a 300 000 account').toBe('0.1000000000');
    expect(rows.map((r) => r.isFirstSinceWatch)).toEqual([true, false, false]);
    const [cursor] = await database.db.select().from(ingestionCursors).where(eq(ingestionCursors.source, hyperliquidCursorSource(TRADER)));
    expect(cursor!.position).toEqual({ lastTime: t0 + 1000 });
    const analyses = await database.db.select().from(eventAnalyses);
    expect(analyses.find((a) => a.eventId === rows[0]!.id)?.llmClassification).toBe('position_open');
    const [score] = await database.db.select().from(walletScores).where(eq(walletScores.walletId, walletId));
    expect(score!.equityUsd).toBe('300000.000000000000000000');
    expect(score!.tradingVolume24h, '30000 + 6000 + 15005').toBe('51005.000000000000000000');
    expect(score!.winRate, 'no closing fill yet').toBeNull();
    expect(Number(score!.credibility1h), 'three longs, each followed by a rise: a positive score').toBeGreaterThan(0);

    // Second run: the fake answers from the cursor's time (inclusive) — the HASH_B fill again and one new one.
    clock.advance(60_000);
    info.fills.set(KEY, [fill(t0 + 2000, 13, HASH_C, { side: 'A', dir: 'Close Long', startPosition: '17', sz: '17', closedPnl: '250.5', px: '3020' }), ...info.fills.get(KEY)!]);
    const second = await ingestion().runOnce();
    expect(second.traders[0]!.fillsFetched, 'the fill at the cursor time comes again').toBe(2);
    expect(second.traders[0]!.eventsInserted, 'only the new fill is stored').toBe(1);
    rows = await stored();
    expect(rows).toHaveLength(4);
    expect(rows[3]!.eventType).toBe('perp_close_long');
    const scores = await database.db.select().from(walletScores).where(eq(walletScores.walletId, walletId)).orderBy(asc(walletScores.scoredAt));
    expect(scores).toHaveLength(2);
    expect(scores[1]!.winRate, 'one closing fill, a win').toBe('1.0000000000');

    // Third run, nothing new.
    clock.advance(60_000);
    const third = await ingestion().runOnce();
    expect(third.traders[0]!.eventsInserted).toBe(0);
    expect(await stored()).toHaveLength(4);
  });

  it('keeps fills, score and cursor together when the poll fails before the cursor', async () => {
    clock.advance(60_000);
    info.fills.set(KEY, [fill(t0 + 3000, 14, `0x${'d4'.repeat(32)}`), ...info.fills.get(KEY)!]);
    const scoresBefore = (await database.db.select().from(walletScores)).length;
    await expect(ingestion({ beforeCursorWrite: () => { throw new Error('crash before cursor'); } }).runOnce()).rejects.toThrow('crash before cursor');
    expect(await stored()).toHaveLength(4);
    expect(await database.db.select().from(walletScores)).toHaveLength(scoresBefore);
    const again = await ingestion().runOnce();
    expect(again.traders[0]!.eventsInserted).toBe(1);
    expect(await stored()).toHaveLength(5);
  });

  it('leaves the fills at a full page\'s last time for the next poll, so a hash is never split', async () => {
    const OTHER_TRADER = '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359';
    const key = OTHER_TRADER.toLowerCase();
    const other = await new WalletService({ db: database.db }).watch(actor, { address: OTHER_TRADER, chain: 'hyperliquid' });
    const base = t0 + 10_000;
    const SPLIT = `0x${'f6'.repeat(32)}`;
    // 1999 fills at distinct times, then two fills of one transaction at the same later time.
    const many = Array.from({ length: 1999 }, (_, i) => fill(base + i, 100_000 + i, `0x${(i + 1).toString(16).padStart(64, '0')}`, { sz: '0.01' }));
    const tail = [fill(base + 5000, 200_001, SPLIT, { sz: '0.02' }), fill(base + 5000, 200_000, SPLIT, { sz: '0.03' })];
    info.fills.set(key, [...many, ...tail].reverse());
    const first = await ingestion().runOnce();
    const mine = first.traders.find((t) => t.address === OTHER_TRADER)!;
    expect([mine.fillsFetched, mine.eventsInserted], 'a full page; the last time held back').toEqual([2000, 1999]);
    const second = await ingestion().runOnce();
    expect(second.traders.find((t) => t.address === OTHER_TRADER)!.eventsInserted).toBe(2);
    expect(await stored(other.walletId)).toHaveLength(2001);
    const split = (await stored(other.walletId)).filter((e) => e.txHash === SPLIT).map((e) => [e.logIndex, e.amount]);
    expect(split, 'both fills of the transaction, ordered by tid').toEqual([
      [0, '0.030000000000000000'],
      [1, '0.020000000000000000'],
    ]);
    await new WalletService({ db: database.db }).unwatch(actor, { wallet: OTHER_TRADER });
  });

  it('backs off on 429 and stops at its budget without writing', async () => {
    clock.advance(60_000);
    waits.length = 0;
    info.queue.push({ status: 429, body: 'rate limited' });
    const r = await ingestion().runOnce();
    expect(r.traders[0]!.status).toBe('ok');
    expect(waits).toEqual([250]);

    clock.advance(60_000);
    info.fills.set(KEY, [fill(t0 + 4000, 15, `0x${'e5'.repeat(32)}`), ...info.fills.get(KEY)!]);
    for (let i = 0; i < 10; i++) info.queue.push({ status: 429, body: 'rate limited' });
    const before = info.requests.length;
    const limited = await ingestion({ requestBudget: 3 }).runOnce();
    expect(limited.traders[0]!.status).toBe('budget_exhausted');
    expect(limited.requests).toBe(3);
    expect(info.requests.length - before).toBe(3);
    expect(await stored(), 'nothing written on a failed poll').toHaveLength(5);
    info.queue.length = 0;
  });
});
