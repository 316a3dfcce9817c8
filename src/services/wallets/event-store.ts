// Writing wallet events: one `onchain_events` row per event key (chain + tx hash + log index + time)
// and its `event_analyses` row (rules', or the model's: model-analysis.ts), inside the caller's transaction (the one that also
// advances the ingestion cursor), so events, analyses and cursor are stored together or not at all.
//
// - A replay inserts nothing: the unique key refuses the row and its analysis already exists.
// - A retracted row (its block was orphaned) whose very event comes back on the new branch with the
//   same key is revived (retracted_at cleared, block number and hash updated) instead of being
//   refused, so a transaction re-mined at the same height and timestamp is not lost.
// - `is_first_since_watch`: the wallet's first counted (not retracted, not backfilled) event at or
//   after the earliest start of its current watches.
// - A backfilled event (`backfill: true`, backfill.ts) is history: stored with `raw_data.backfill`,
//   never the first since a watch.
// - Amounts that do not fit `money` (numeric(38, 18): 20 integer digits) are stored as null; the raw
//   integer is always in raw_data.
import { inArray, isNotNull, sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import { eventAnalyses, onchainEvents, walletWatches, wallets } from '../../db/schema/index.js';
import { D, type Dec } from '../../domain/money.js';
import type { EventAnalysis } from '../../domain/wallets/classify.js';

export interface EventToStore {
  walletId: string;
  chain: string;
  txHash: string;
  logIndex: number;
  occurredAt: Date;
  blockNumber: number | null;
  blockHash: string | null;
  eventType: string;
  asset: string | null;
  amount: Dec | null;
  notionalUsd: Dec | null;
  sizeFraction: number | null;
  venue: string | null;
  gasPrice: Dec | null;
  rawData: Record<string, unknown>;
  analysis: EventAnalysis;
  /** Who wrote `analysis` as stored: default `analysis.author` ('rules'); the model's is 'model:<model name>'. */
  analysisAuthor?: string;
  /** Fetched by a backfill (history before the watch): marked in raw_data, never first since watch. */
  backfill?: boolean;
}

/** SQL test of a stored event being backfilled history (see backfill.ts). */
export const isBackfilled = sql`coalesce(${onchainEvents.rawData} ->> 'backfill', '') = 'true'`;

export interface StoreResult {
  inserted: number;
  revived: number;
  /** Ids of the rows inserted or revived. */
  ids: string[];
}

const MONEY_LIMIT = new D('1e20');
const RATE_LIMIT = new D('1e10');
/** Rows per INSERT (16 columns each: far below the 65 535-parameter limit). */
const INSERT_CHUNK = 500;

/** A decimal as `money` text, or null when it does not fit numeric(38, 18). */
export function moneyText(d: Dec | null): string | null {
  if (d === null || !d.isFinite() || d.abs().gte(MONEY_LIMIT)) return null;
  return d.toDecimalPlaces(18, D.ROUND_DOWN).toFixed();
}

/** A ratio as `rate` text (numeric(20, 10)), or null. */
export function rateText(x: number | null): string | null {
  if (x === null || !Number.isFinite(x)) return null;
  const d = new D(x);
  if (d.abs().gte(RATE_LIMIT)) return null;
  return d.toDecimalPlaces(10).toFixed();
}

/** Stores `events` (in order) with their analyses. Call inside the transaction that moves the cursor. */
export async function storeEvents(tx: Tx, events: readonly EventToStore[]): Promise<StoreResult> {
  const out: StoreResult = { inserted: 0, revived: 0, ids: [] };
  if (events.length === 0) return out;
  const walletIds = [...new Set(events.map((e) => e.walletId))];
  // Per wallet in one query: when its watch began (to the millisecond, as compared below) and
  // whether it already has a counted event since then.
  const sinceMs = sql`date_trunc('milliseconds', min(${walletWatches.createdAt}))`;
  const starts = await tx
    .select({
      walletId: walletWatches.walletId,
      since: sql<string>`min(${walletWatches.createdAt})`,
      has: sql<boolean>`exists (select 1 from ${onchainEvents} where ${onchainEvents.walletId} = ${walletWatches.walletId} and ${onchainEvents.retractedAt} is null and not ${isBackfilled} and ${onchainEvents.occurredAt} >= ${sinceMs})`,
    })
    .from(walletWatches)
    .where(inArray(walletWatches.walletId, walletIds))
    .groupBy(walletWatches.walletId);
  const since = new Map(starts.map((s) => [s.walletId, new Date(s.since)]));
  /** Wallets that already have a counted event since their watch began. */
  const hasEvent = new Set(starts.filter((s) => s.has).map((s) => s.walletId));
  const lastActivity = new Map<string, Date>();
  const rows = events.map((e) => {
    const start = since.get(e.walletId);
    const first = e.backfill !== true && start !== undefined && e.occurredAt >= start && !hasEvent.has(e.walletId);
    if (first) hasEvent.add(e.walletId);
    return {
      occurredAt: e.occurredAt,
      walletId: e.walletId,
      txHash: e.txHash.toLowerCase(),
      logIndex: e.logIndex,
      chain: e.chain,
      blockNumber: e.blockNumber,
      blockHash: e.blockHash?.toLowerCase() ?? null,
      eventType: e.eventType,
      asset: e.asset,
      amount: moneyText(e.amount),
      notionalUsd: moneyText(e.notionalUsd),
      sizeFraction: rateText(e.sizeFraction),
      venue: e.venue,
      gasPrice: moneyText(e.gasPrice),
      isFirstSinceWatch: first,
      rawData: e.backfill === true ? { ...e.rawData, backfill: true } : e.rawData,
    };
  });
  const keyOf = (r: { chain: string; txHash: string; logIndex: number; occurredAt: Date }): string =>
    `${r.chain}|${r.txHash}|${String(r.logIndex)}|${String(r.occurredAt.getTime())}`;
  const analysisOf = new Map<string, EventAnalysis & { storedAuthor: string }>();
  // One row per key: a statement may not touch the same row twice (the first occurrence wins).
  const unique = rows.filter((r, i) => {
    const k = keyOf(r);
    if (analysisOf.has(k)) return false;
    analysisOf.set(k, { ...events[i]!.analysis, storedAuthor: events[i]!.analysisAuthor ?? events[i]!.analysis.author });
    return true;
  });
  for (let i = 0; i < unique.length; i += INSERT_CHUNK) {
    const chunk = unique.slice(i, i + INSERT_CHUNK);
    const written = await tx
      .insert(onchainEvents)
      .values(chunk)
      .onConflictDoUpdate({
        target: [onchainEvents.chain, onchainEvents.txHash, onchainEvents.logIndex, onchainEvents.occurredAt],
        set: {
          retractedAt: null,
          blockNumber: sql`excluded.block_number`,
          blockHash: sql`excluded.block_hash`,
          walletId: sql`excluded.wallet_id`,
          isFirstSinceWatch: sql`excluded.is_first_since_watch`,
        },
        setWhere: isNotNull(onchainEvents.retractedAt),
      })
      .returning({
        id: onchainEvents.id,
        chain: onchainEvents.chain,
        txHash: onchainEvents.txHash,
        logIndex: onchainEvents.logIndex,
        occurredAt: onchainEvents.occurredAt,
        walletId: onchainEvents.walletId,
        revived: sql<boolean>`(xmax <> 0)`,
      });
    // Rows refused as replays are not returned: they were stored and counted already.
    const analyses = [];
    for (const row of written) {
      if (row.revived) out.revived++;
      else out.inserted++;
      out.ids.push(row.id);
      const a = analysisOf.get(keyOf(row));
      if (a) {
        analyses.push({
          eventId: row.id,
          llmClassification: a.classification,
          llmConfidence: rateText(a.confidence),
          llmNarrative: a.narrative,
          patternMatched: a.patternMatched,
          biasImpact: rateText(a.biasImpact),
          proposedAction: { ...a.proposedAction, author: a.storedAuthor, bias: a.bias },
        });
      }
      if (row.walletId) {
        const prev = lastActivity.get(row.walletId);
        if (!prev || row.occurredAt > prev) lastActivity.set(row.walletId, row.occurredAt);
      }
    }
    if (analyses.length > 0) await tx.insert(eventAnalyses).values(analyses).onConflictDoNothing();
  }
  if (lastActivity.size > 0) {
    // One statement for every wallet touched: its newest event time, never moved backwards.
    const rows = sql.join([...lastActivity].map(([walletId, at]) => sql`(${walletId}::uuid, ${at.toISOString()}::timestamptz)`), sql`, `);
    await tx.execute(
      sql`update ${wallets} set last_activity_at = greatest(coalesce(${wallets.lastActivityAt}, v.at), v.at) from (values ${rows}) as v(id, at) where ${wallets.id} = v.id`,
    );
  }
  return out;
}
