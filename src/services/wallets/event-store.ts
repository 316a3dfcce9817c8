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
// - Batched: a step's events cost two statements whatever their number — the watch starts, then the
//   events, their analyses and the wallets' last activity in one (insertBatch), the batch sent as one
//   jsonb parameter. Row by row this was the largest cost of ingestion on PGlite (bench/wallets.bench.ts).
import { inArray, sql } from 'drizzle-orm';
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
/** Events per statement (the batch travels as one jsonb parameter). */
const INSERT_CHUNK = 1000;

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

/**
 * Stores `events` (in order) with their analyses. Call inside the transaction that moves the cursor.
 * Two statements whatever the batch size: the wallets' watch starts, then the batch (insertBatch).
 */
export async function storeEvents(tx: Tx, events: readonly EventToStore[]): Promise<StoreResult> {
  const out: StoreResult = { inserted: 0, revived: 0, ids: [] };
  if (events.length === 0) return out;
  const walletIds = [...new Set(events.map((e) => e.walletId))];
  // Per wallet in one query: when its watch began (to the millisecond, as compared below) and
  // whether it already has a counted event since then. The start is computed before the lookup so
  // the lookup is a range scan of idx_onchain_events_wallet (wallet, time), not a scan of the table.
  const starts = await tx.execute(sql`
    select s.wallet_id as "walletId", s.since as "since",
      exists (select 1 from ${onchainEvents} where ${onchainEvents.walletId} = s.wallet_id and ${onchainEvents.occurredAt} >= date_trunc('milliseconds', s.since)
        and ${onchainEvents.retractedAt} is null and not ${isBackfilled}) as "has"
    from (select ${walletWatches.walletId} as wallet_id, min(${walletWatches.createdAt}) as since from ${walletWatches}
          where ${inArray(walletWatches.walletId, walletIds)} group by ${walletWatches.walletId}) as s`);
  const startRows = (starts as { rows: Array<{ walletId: string; since: string | Date; has: boolean }> }).rows;
  const since = new Map(startRows.map((s) => [s.walletId, new Date(s.since)]));
  /** Wallets that already have a counted event since their watch began. */
  const hasEvent = new Set(startRows.filter((s) => s.has).map((s) => s.walletId));
  // One row per key: a statement may not touch the same row twice (the first occurrence wins).
  const seen = new Set<string>();
  const batch: BatchRow[] = [];
  for (const e of events) {
    const txHash = e.txHash.toLowerCase();
    const key = `${e.chain}|${txHash}|${String(e.logIndex)}|${String(e.occurredAt.getTime())}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const start = since.get(e.walletId);
    const first = e.backfill !== true && start !== undefined && e.occurredAt >= start && !hasEvent.has(e.walletId);
    if (first) hasEvent.add(e.walletId);
    const a = e.analysis;
    batch.push({
      at: e.occurredAt.toISOString(),
      wallet: e.walletId,
      tx: txHash,
      li: e.logIndex,
      chain: e.chain,
      bn: e.blockNumber,
      bh: e.blockHash?.toLowerCase() ?? null,
      type: e.eventType,
      asset: e.asset,
      amount: moneyText(e.amount),
      usd: moneyText(e.notionalUsd),
      share: rateText(e.sizeFraction),
      venue: e.venue,
      gas: moneyText(e.gasPrice),
      first,
      raw: e.backfill === true ? { ...e.rawData, backfill: true } : e.rawData,
      cls: a.classification,
      conf: rateText(a.confidence),
      story: a.narrative,
      pattern: a.patternMatched,
      impact: rateText(a.biasImpact),
      action: { ...a.proposedAction, author: e.analysisAuthor ?? a.author, bias: a.bias },
    });
  }
  for (let i = 0; i < batch.length; i += INSERT_CHUNK) {
    // Rows refused as replays are not returned: they were stored and counted already.
    for (const row of await insertBatch(tx, batch.slice(i, i + INSERT_CHUNK))) {
      if (row.revived) out.revived++;
      else out.inserted++;
      out.ids.push(row.id);
    }
  }
  return out;
}

/** One event and its analysis as the batch statement reads them (jsonb_to_recordset, keys = columns). */
interface BatchRow {
  at: string;
  wallet: string;
  tx: string;
  li: number;
  chain: string;
  bn: number | null;
  bh: string | null;
  type: string;
  asset: string | null;
  amount: string | null;
  usd: string | null;
  share: string | null;
  venue: string | null;
  gas: string | null;
  first: boolean;
  raw: Record<string, unknown>;
  cls: string;
  conf: string | null;
  story: string;
  pattern: string | null;
  impact: string | null;
  action: Record<string, unknown>;
}

/**
 * Events, their analyses and the wallets' last activity in ONE statement (one round trip, one plan):
 * the batch is one jsonb parameter read by `jsonb_to_recordset`; amounts travel as decimal text.
 * - events: `ON CONFLICT (chain, tx_hash, log_index, occurred_at)` refuses a replay (not returned)
 *   and revives only a retracted row; `xmax <> 0` tells a revived row from a new one.
 * - analyses: one per returned (new or revived) event, joined back on the unique key; an existing
 *   analysis is kept (`ON CONFLICT DO NOTHING`).
 * - wallets: `last_activity_at` moved to the newest returned event, never backwards.
 */
async function insertBatch(tx: Tx, batch: readonly BatchRow[]): Promise<Array<{ id: string; revived: boolean }>> {
  const result = await tx.execute(sql`
    with input as (
      select * from jsonb_to_recordset(${JSON.stringify(batch)}::jsonb) as t(
        at timestamptz, wallet uuid, tx text, li integer, chain text, bn integer, bh text, type text, asset text,
        amount numeric, usd numeric, share numeric, venue text, gas numeric, first boolean, raw jsonb,
        cls text, conf numeric, story text, pattern text, impact numeric, action jsonb)
    ),
    written as (
      insert into ${onchainEvents} (occurred_at, wallet_id, tx_hash, log_index, chain, block_number, block_hash, event_type,
        asset, amount, notional_usd, size_fraction, venue, gas_price, is_first_since_watch, raw_data)
      select at, wallet, tx, li, chain, bn, bh, type, asset, amount, usd, share, venue, gas, first, raw from input
      on conflict (chain, tx_hash, log_index, occurred_at) do update
        set retracted_at = null, block_number = excluded.block_number, block_hash = excluded.block_hash,
            wallet_id = excluded.wallet_id, is_first_since_watch = excluded.is_first_since_watch
        where ${onchainEvents.retractedAt} is not null
      returning id, chain, tx_hash, log_index, occurred_at, wallet_id, (xmax <> 0) as revived
    ),
    analysed as (
      insert into ${eventAnalyses} (event_id, llm_classification, llm_confidence, llm_narrative, pattern_matched, bias_impact, proposed_action)
      select w.id, i.cls, i.conf, i.story, i.pattern, i.impact, i.action
      from written w join input i on i.chain = w.chain and i.tx = w.tx_hash and i.li = w.log_index and i.at = w.occurred_at
      on conflict do nothing
    ),
    touched as (
      update ${wallets} set last_activity_at = greatest(coalesce(${wallets.lastActivityAt}, v.at), v.at)
      from (select wallet_id, max(occurred_at) as at from written where wallet_id is not null group by wallet_id) as v
      where ${wallets.id} = v.wallet_id
    )
    select id, revived from written`);
  return (result as { rows: Array<{ id: string; revived: boolean }> }).rows;
}
