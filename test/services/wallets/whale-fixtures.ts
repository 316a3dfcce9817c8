// Stored whale state for tests: events written through the real event store with their rule
// analyses (as EVM ingestion writes them), scores, and hourly candles for the USD prices.
import { sql } from 'drizzle-orm';
import type { Db, Database } from '../../../src/db/client.js';
import { walletScores } from '../../../src/db/schema/index.js';
import { withTransaction } from '../../../src/db/tx.js';
import { D } from '../../../src/domain/money.js';
import { classifyEvent, type ClassifyInput } from '../../../src/domain/wallets/classify.js';
import type { Candle } from '../../../src/domain/ports.js';
import { CandleStore } from '../../../src/services/market-data/candle-store.js';
import { storeEvents } from '../../../src/services/wallets/event-store.js';

export const HOUR_MS = 3_600_000;
let counter = 0;

export interface WhaleEventSpec {
  walletId: string;
  address: string;
  at: Date;
  /** buy / sell: swaps against USDC; deposit / withdraw: transfers to / from Binance; internal: to a watched wallet. */
  kind: 'buy' | 'sell' | 'deposit' | 'withdraw' | 'internal';
  asset: string;
  amount: string;
  notionalUsd?: string | null;
  chain?: string;
}

/** Stores one event and its rule analysis; returns its id. */
export async function storeWhaleEvent(db: Db, s: WhaleEventSpec): Promise<string> {
  counter++;
  const txHash = `0x${counter.toString(16).padStart(8, '0')}${'ab'.repeat(28)}`;
  const amount = new D(s.amount);
  const notionalUsd = s.notionalUsd ? new D(s.notionalUsd) : null;
  const swap = s.kind === 'buy' || s.kind === 'sell';
  const input: ClassifyInput = swap
    ? { kind: 'swap', wallet: s.address, sold: s.kind === 'buy' ? 'USDC' : s.asset, bought: s.kind === 'buy' ? s.asset : 'USDC', amount, notionalUsd }
    : {
        kind: 'transfer',
        wallet: s.address,
        asset: s.asset,
        amount,
        notionalUsd,
        direction: s.kind === 'withdraw' ? 'in' : 'out',
        exchange: s.kind === 'internal' ? null : 'Binance',
        counterpartyWatched: s.kind === 'internal',
      };
  const r = await withTransaction(db, (tx) =>
    storeEvents(tx, [
      {
        walletId: s.walletId,
        chain: s.chain ?? 'ethereum',
        txHash,
        logIndex: 0,
        occurredAt: s.at,
        blockNumber: 1000 + counter,
        blockHash: `0x${'cd'.repeat(32)}`,
        eventType: swap ? 'swap' : s.kind === 'deposit' ? 'deposit_exchange' : s.kind === 'withdraw' ? 'withdraw_exchange' : 'transfer',
        // As EVM ingestion stores a swap: the bought asset.
        asset: swap ? (s.kind === 'buy' ? s.asset : 'USDC') : s.asset,
        amount,
        notionalUsd,
        sizeFraction: null,
        venue: swap ? 'uniswap_v2' : s.kind === 'internal' ? null : 'Binance',
        gasPrice: null,
        rawData: { kind: swap ? 'swap' : 'transfer', counterparty: `0x${counter.toString(16).padStart(40, '0')}` },
        analysis: classifyEvent(input),
      },
    ]),
  );
  return r.ids[0]!;
}

/** A wallet score row (credibility 0–10 per window, null for none). */
export async function storeScore(db: Db, walletId: string, scoredAt: Date, c: { h1?: number | null; h4?: number | null; h24?: number | null; archetype?: string }): Promise<void> {
  const t = (x: number | null | undefined): string | null => (x === null || x === undefined ? null : String(x));
  await db.insert(walletScores).values({ walletId, scoredAt, credibility1h: t(c.h1), credibility4h: t(c.h4), credibility24h: t(c.h24), archetype: c.archetype ?? null });
}

/** Hourly bars of `symbol` on `exchange` from `from` (inclusive) for `hours`, closing at `close(i)`. */
export async function storeHourlyCandles(database: Database, symbol: string, exchange: string, from: Date, hours: number, close: (i: number) => string): Promise<void> {
  const bars: Candle[] = Array.from({ length: hours }, (_, i) => {
    const c = new D(close(i));
    return { symbol, exchange, timeframe: '1h', openTime: new Date(from.getTime() + i * HOUR_MS), open: c, high: c, low: c, close: c, volume: new D(1) };
  });
  await new CandleStore(database).ingest(bars, { now: new Date(from.getTime() + (hours + 1) * HOUR_MS) });
}

/** Marks an event retracted (its block orphaned). */
export async function retract(db: Db, eventId: string, at: Date): Promise<void> {
  await db.execute(sql`update onchain_events set retracted_at = ${at.toISOString()}::timestamptz where id = ${eventId}`);
}
