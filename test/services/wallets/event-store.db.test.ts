import { asc, eq, inArray } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/client.js';
import { eventAnalyses, onchainEvents, wallets } from '../../../src/db/schema/index.js';
import { withTransaction } from '../../../src/db/tx.js';
import { D } from '../../../src/domain/money.js';
import { classifyEvent } from '../../../src/domain/wallets/classify.js';
import { moneyText, rateText, storeEvents, type EventToStore } from '../../../src/services/wallets/event-store.js';
import { WalletService } from '../../../src/services/wallets/wallet-service.js';
import { createTestDatabase } from '../../support/db.js';
import { newActor } from '../market/support.js';

const A = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
const B = '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359';
const C = '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB';

const open: Database[] = [];
afterEach(async () => {
  for (const d of open.splice(0)) await d.close();
});

/** A, B watched (B twice, the earlier watch counts); C is a wallet row nobody watches. */
async function setup(): Promise<{ database: Database; ids: Record<'A' | 'B' | 'C', string>; since: Record<'A' | 'B', Date> }> {
  const database = await createTestDatabase();
  open.push(database);
  const service = new WalletService({ db: database.db });
  const first = await newActor(database, 'early');
  const a = await service.watch(first, { address: A.toLowerCase(), chain: 'ethereum' });
  const b = await service.watch(first, { address: B.toLowerCase(), chain: 'ethereum' });
  await service.watch(await newActor(database, 'late'), { address: B.toLowerCase(), chain: 'ethereum' });
  const [c] = await database.db.insert(wallets).values({ address: C, chain: 'ethereum' }).returning({ id: wallets.id });
  return { database, ids: { A: a.walletId, B: b.walletId, C: c!.id }, since: { A: a.watchedSince, B: b.watchedSince } };
}

let seq = 0;
function event(walletId: string, occurredAt: Date, over: Partial<EventToStore> = {}): EventToStore {
  seq++;
  const amount = new D(seq);
  return {
    walletId,
    chain: 'ethereum',
    txHash: `0x${seq.toString(16).padStart(64, '0')}`,
    logIndex: 0,
    occurredAt,
    blockNumber: seq,
    blockHash: `0x${'ab'.repeat(32)}`,
    eventType: 'transfer',
    asset: 'USDC',
    amount,
    notionalUsd: amount,
    sizeFraction: null,
    venue: null,
    gasPrice: null,
    rawData: { kind: 'transfer', n: seq },
    analysis: classifyEvent({ kind: 'transfer', wallet: A, asset: 'USDC', amount, notionalUsd: amount, direction: 'in', exchange: null, counterpartyWatched: false }),
    ...over,
  };
}

describe('storeEvents', () => {
  it('marks, per wallet, the first counted event at or after its earliest watch in the order given, in one batch and across chunks', async () => {
    const { database, ids, since } = await setup();
    const after = (w: Date, s: number): Date => new Date(w.getTime() + s * 1000);
    const batch = [
      event(ids.A, after(since.A, -60)), // before A's watch: history, not first
      event(ids.B, after(since.B, 30), { backfill: true }), // backfilled: never first
      event(ids.A, after(since.A, 20)), // A's first
      event(ids.C, after(since.A, 10)), // C is not watched: never first
      event(ids.B, after(since.B, 10)), // B's first (earlier in the batch than the later-timed one below)
      event(ids.A, after(since.A, 5)), // earlier time but later in the batch: not first
      event(ids.B, after(since.B, 40)),
    ];
    const r = await withTransaction(database.db, (tx) => storeEvents(tx, batch));
    expect([r.inserted, r.revived]).toEqual([7, 0]);
    const rows = await database.db.select().from(onchainEvents).where(inArray(onchainEvents.id, r.ids));
    const firstOf = new Map(rows.map((x) => [x.txHash, x.isFirstSinceWatch]));
    expect(batch.map((e) => firstOf.get(e.txHash)), 'A: the third row, B: the fifth').toEqual([false, false, true, false, true, false, false]);
    expect(rows.find((x) => x.txHash === batch[1]!.txHash)!.rawData, 'a backfilled row says so').toEqual({ kind: 'transfer', n: (batch[1]!.rawData as { n: number }).n, backfill: true });

    // A later batch: A and B already have their first; nothing else is first.
    const later = await withTransaction(database.db, (tx) => storeEvents(tx, [event(ids.A, after(since.A, 100)), event(ids.B, after(since.B, 100))]));
    const again = await database.db.select().from(onchainEvents).where(inArray(onchainEvents.id, later.ids));
    expect(again.map((x) => x.isFirstSinceWatch)).toEqual([false, false]);

    // Retracting every counted event of A makes its next event the first again.
    await database.db.update(onchainEvents).set({ retractedAt: new Date() }).where(eq(onchainEvents.walletId, ids.A));
    const big = Array.from({ length: 1_005 }, (_, i) => event(ids.A, after(since.A, 200 + (i >= 1_002 ? -1 : i))));
    // 1,005 events: two statements (1,000 + 5). The first is the batch's first in order (i = 0);
    // the last three are earlier in time but in the second chunk, which sees the first one stored.
    const bigR = await withTransaction(database.db, (tx) => storeEvents(tx, big));
    expect(bigR.inserted).toBe(1_005);
    const firsts = await database.db.select({ tx: onchainEvents.txHash }).from(onchainEvents).where(eq(onchainEvents.isFirstSinceWatch, true)).orderBy(asc(onchainEvents.txHash));
    expect(firsts.map((x) => x.tx).sort(), 'B\'s first, the retracted A first, and the big batch\'s first').toEqual([batch[2]!.txHash, batch[4]!.txHash, big[0]!.txHash].sort());
  });

  it('keeps a revived row\'s analysis and gives every new row its own', async () => {
    const { database, ids, since } = await setup();
    const at = new Date(since.A.getTime() + 60_000);
    const stored = event(ids.A, at);
    const [first] = (await withTransaction(database.db, (tx) => storeEvents(tx, [stored]))).ids;
    await database.db.update(onchainEvents).set({ retractedAt: new Date() }).where(eq(onchainEvents.id, first!));
    const replacement = { ...stored, blockHash: `0x${'cd'.repeat(32)}`, analysis: { ...stored.analysis, narrative: 'a different story' } };
    const fresh = event(ids.A, at);
    const r = await withTransaction(database.db, (tx) => storeEvents(tx, [replacement, fresh]));
    expect([r.inserted, r.revived]).toEqual([1, 1]);
    expect(r.ids).toContain(first);
    const analyses = await database.db.select().from(eventAnalyses).orderBy(asc(eventAnalyses.eventId));
    expect(analyses).toHaveLength(2);
    expect(analyses.find((a) => a.eventId === first)!.llmNarrative, 'the revived row keeps the analysis it had').toBe(stored.analysis.narrative);
    expect(analyses.find((a) => a.eventId !== first)!.llmNarrative).toBe(fresh.analysis.narrative);
    const [revived] = await database.db.select().from(onchainEvents).where(eq(onchainEvents.id, first!));
    expect([revived!.retractedAt, revived!.blockHash]).toEqual([null, `0x${'cd'.repeat(32)}`]);
  });
});

describe('moneyText and rateText', () => {
  it('give what rounding through Decimal gives', () => {
    const viaDecimal = (x: number): string | null => (Math.abs(x) >= 1e10 ? null : new D(x).toDecimalPlaces(10).toFixed());
    const samples = [0, -0, 0.3, -0.12, 0.75, 1, -1, 0.1 + 0.2, 1 / 3, 2 / 3, 1e-7, -1e-11, 123.4567890123, 9_999_999_999.5, 1e10, -1e10, 5e-324, 0.000_000_000_05, 12_345.6];
    for (let i = 0; i < 200; i++) samples.push(Math.round((Math.sin(i) * 10 ** (i % 12)) * 1e6) / 10 ** (i % 9));
    for (const x of samples) expect(rateText(x), String(x)).toBe(viaDecimal(x));
    expect([rateText(null), rateText(Number.NaN), rateText(Infinity)]).toEqual([null, null, null]);
    expect(moneyText(new D('1.123456789012345678999')), 'cut to 18 places, down').toBe('1.123456789012345678');
    expect(moneyText(new D('-2.5')), 'already plain').toBe('-2.5');
    expect(moneyText(new D('1e20')), 'too large for money').toBeNull();
    expect(moneyText(new D('99999999999999999999.9999999999999999999')), 'cut, still fits').toBe('99999999999999999999.999999999999999999');
  });
});
