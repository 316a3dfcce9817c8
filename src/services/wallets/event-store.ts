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
// - Batched: a step's events cost ONE statement whatever their number (up to INSERT_CHUNK) — the
//   watch starts, the events, their analyses and the wallets' last activity (insertBatch), the batch
//   sent as one jsonb parameter. Row by row this was the largest cost of ingestion on PGlite
//   (bench/wallets.bench.ts). The EVM ingestion's cursor rides in the same statement (CursorWrite):
//   a step is then one statement and one round trip, with no transaction around it.
import { randomUUID } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { eventAnalyses, ingestionCursors, onchainEvents, walletWatches, wallets } from '../../db/schema/index.js';
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
  /**
   * With a `CursorWrite`: whether the cursor was where the caller expected and now holds the new
   * position. False: nothing of the statement's was written (the caller stops). True without one.
   */
  claimed: boolean;
}

/**
 * An ingestion cursor moved by the same statement as the events (a compare-and-set): the row of
 * `source` is set to `position` only if its last processed header (`recent[-1]`, `number:hash`
 * with the hash in lower case; 'none' when it has none or there is no row) is `expected`, and the
 * events are written only if it was. One statement is one transaction: the events, their analyses
 * and the cursor are stored together or not at all, and two runners never both advance the cursor
 * (the row is locked by the update and its WHERE reads the newest committed version).
 */
export interface CursorWrite {
  source: string;
  position: unknown;
  expected: string;
  at: Date;
}

const MONEY_LIMIT = new D('1e20');
const RATE_LIMIT = new D('1e10');
/** Events per statement (the batch travels as one jsonb parameter). */
export const INSERT_CHUNK = 1000;

/** A decimal as `money` text, or null when it does not fit numeric(38, 18). */
export function moneyText(d: Dec | null): string | null {
  if (d === null || !d.isFinite() || d.abs().gte(MONEY_LIMIT)) return null;
  // Most amounts already have at most 18 places (token decimals ≤ 18): no rounding to do.
  return d.decimalPlaces() <= 18 ? d.toFixed() : d.toDecimalPlaces(18, D.ROUND_DOWN).toFixed();
}

/** A plain decimal numeral with at most 10 places (what `rateText` would give back unchanged). */
const PLAIN_RATE = /^-?\d{1,10}(\.\d{1,10})?$/;

/** A ratio as `rate` text (numeric(20, 10)), or null. */
export function rateText(x: number | null): string | null {
  if (x === null || !Number.isFinite(x)) return null;
  // The number's shortest spelling is what Decimal reads it as: when it is already plain with at
  // most 10 places (0.3, -0.12, 0.75) it is the answer, without building a Decimal.
  const s = String(x);
  if (PLAIN_RATE.test(s) && !Object.is(x, -0)) return s;
  const d = new D(x);
  if (d.abs().gte(RATE_LIMIT)) return null;
  return d.toDecimalPlaces(10).toFixed();
}

/**
 * Stores `events` (in order) with their analyses. One statement per INSERT_CHUNK events (insertBatch),
 * however many wallets they touch. Without `cursor`, call inside the transaction that moves the
 * cursor. With it, the last statement also moves the cursor (CursorWrite): when the events fit one
 * statement (at most INSERT_CHUNK) it may run on the database itself, with no transaction around it;
 * more than that needs the caller's transaction, rolled back when `claimed` comes back false.
 */
export async function storeEvents(tx: Tx | Db, events: readonly EventToStore[], cursor?: CursorWrite): Promise<StoreResult> {
  const out: StoreResult = { inserted: 0, revived: 0, ids: [], claimed: cursor === undefined };
  if (events.length === 0) {
    if (cursor) out.claimed = await moveCursor(tx, cursor);
    return out;
  }
  // One row per key: a statement may not touch the same row twice (the first occurrence wins).
  const seen = new Set<string>();
  const batch: BatchRow[] = [];
  for (const e of events) {
    const txHash = e.txHash.toLowerCase();
    const key = `${e.chain}|${txHash}|${String(e.logIndex)}|${String(e.occurredAt.getTime())}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const a = e.analysis;
    batch.push({
      id: randomUUID(),
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
      bf: e.backfill === true,
      raw: e.backfill === true ? { ...e.rawData, backfill: true } : e.rawData,
      cls: a.classification,
      conf: rateText(a.confidence),
      story: a.narrative,
      pattern: a.patternMatched,
      impact: rateText(a.biasImpact),
      action: { action: a.proposedAction.action, asset: a.proposedAction.asset, reason: a.proposedAction.reason, author: e.analysisAuthor ?? a.author, bias: a.bias },
      ord: batch.length,
    });
  }
  for (let i = 0; i < batch.length; i += INSERT_CHUNK) {
    const last = i + INSERT_CHUNK >= batch.length;
    // Rows refused as replays are not returned: they were stored and counted already. With a
    // cursor, a row without an id says the cursor was moved.
    for (const row of await insertBatch(tx, batch.slice(i, i + INSERT_CHUNK), last ? cursor : undefined)) {
      if (row.id === null) {
        out.claimed = true;
        continue;
      }
      if (row.revived) out.revived++;
      else out.inserted++;
      out.ids.push(row.id);
    }
  }
  return out;
}

/** CursorWrite's compare-and-set as a CTE body (an upsert returning the source when it moved). */
function cursorUpsert(c: CursorWrite): SQL {
  const last = sql`"ingestion_cursors"."position" -> 'recent' -> -1`;
  return sql`insert into ${ingestionCursors} (source, position, updated_at)
      select ${c.source}, ${JSON.stringify(c.position)}::jsonb, ${c.at.toISOString()}::timestamptz
      where ${c.expected} = 'none' or exists (select 1 from ${ingestionCursors} where ${ingestionCursors.source} = ${c.source})
      on conflict (source) do update set position = excluded.position, updated_at = excluded.updated_at
        where coalesce((${last} ->> 'number') || ':' || lower(${last} ->> 'hash'), 'none') = ${c.expected}
      returning source`;
}

/** The cursor alone (a step with no event to store, a reorg's rewind): true when it moved. */
export async function moveCursor(ex: Tx | Db, c: CursorWrite): Promise<boolean> {
  const result = await ex.execute(cursorUpsert(c));
  return (result as { rows: unknown[] }).rows.length > 0;
}

/** One event and its analysis as the batch statement reads them (see BATCH_COLUMNS). */
interface BatchRow {
  /** The id a new row gets (made here: Postgres's gen_random_uuid was a sixth of PGlite's time per row). */
  id: string;
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
  /** Backfilled history (never the first since a watch). */
  bf: boolean;
  raw: Record<string, unknown>;
  cls: string;
  conf: string | null;
  story: string;
  pattern: string | null;
  impact: string | null;
  action: Record<string, unknown>;
  /** Position in the batch: the first event since a watch is the earliest in this order. */
  ord: number;
}

/**
 * The batch's columns in the order each row travels: a row is sent as a JSON array of its values
 * (not an object, whose keys would be a sixth of the parameter, repeated on every row) and read back
 * by position with these SQL types (`jsonb` ones as they are, the rest from their text).
 */
const BATCH_COLUMNS: ReadonlyArray<readonly [keyof BatchRow, string]> = [
  ['id', 'uuid'],
  ['at', 'timestamptz'],
  ['wallet', 'uuid'],
  ['tx', 'text'],
  ['li', 'integer'],
  ['chain', 'text'],
  ['bn', 'integer'],
  ['bh', 'text'],
  ['type', 'text'],
  ['asset', 'text'],
  ['amount', 'numeric'],
  ['usd', 'numeric'],
  ['share', 'numeric'],
  ['venue', 'text'],
  ['gas', 'numeric'],
  ['bf', 'boolean'],
  ['raw', 'jsonb'],
  ['cls', 'text'],
  ['conf', 'numeric'],
  ['story', 'text'],
  ['pattern', 'text'],
  ['impact', 'numeric'],
  ['action', 'jsonb'],
  ['ord', 'integer'],
];
/** `select` list reading a row array `r` back into named, typed columns. */
const BATCH_SELECT = sql.raw(
  BATCH_COLUMNS.map(([name, type], i) => (type === 'jsonb' ? `r -> ${String(i)} as ${name}` : `(r ->> ${String(i)})::${type} as ${name}`)).join(', '),
);

/**
 * Watch starts, events, their analyses and the wallets' last activity in ONE statement (one round
 * trip, one plan): the batch is one jsonb parameter, an array of row arrays (BATCH_COLUMNS); amounts
 * travel as decimal text. Every part reads the table as it was before the statement (one snapshot).
 * - starts: per wallet of the batch, when its watch began (the earliest watch, to the millisecond)
 *   and whether it already has a counted (not retracted, not backfilled) event since then; the start
 *   is computed before the lookup so the lookup is a range scan of idx_onchain_events_wallet.
 * - first: per wallet without such an event, the earliest batch row (in the caller's order) at or
 *   after the start that is not backfilled is `is_first_since_watch`.
 * - events: `ON CONFLICT (chain, tx_hash, log_index, occurred_at)` refuses a replay (not returned)
 *   and revives only a retracted row; `xmax <> 0` tells a revived row from a new one.
 * - analyses: one per returned event. A new row has the id its batch row brought (made for this
 *   statement), so it is joined back on that id and its analysis cannot exist: inserted without a
 *   conflict check. A revived row keeps its old id, so it is joined back on the unique key, and keeps
 *   the analysis it has (`ON CONFLICT DO NOTHING` for those only).
 * - wallets: `last_activity_at` moved to the newest returned event, never backwards.
 */
async function insertBatch(tx: Tx | Db, batch: readonly BatchRow[], cursor?: CursorWrite): Promise<Array<{ id: string | null; revived: boolean | null }>> {
  // With a cursor: it is moved first (cursor_write), the events only if it was, and one row with a
  // null id says it was.
  const moved = cursor ? sql`cursor_write as (${cursorUpsert(cursor)}),` : sql``;
  const onlyIfMoved = cursor ? sql`where exists (select 1 from cursor_write)` : sql``;
  const movedRow = cursor ? sql`union all select null::uuid, null::boolean from cursor_write` : sql``;
  const result = await tx.execute(sql`
    with ${moved} input as (
      select ${BATCH_SELECT} from jsonb_array_elements(${JSON.stringify(batch.map((row) => BATCH_COLUMNS.map(([name]) => row[name])))}::jsonb) as r
    ),
    starts as (
      select s.wallet_id, s.since,
        exists (select 1 from ${onchainEvents} where ${onchainEvents.walletId} = s.wallet_id and ${onchainEvents.occurredAt} >= s.since
          and ${onchainEvents.retractedAt} is null and not ${isBackfilled}) as has
      from (select ${walletWatches.walletId} as wallet_id, date_trunc('milliseconds', min(${walletWatches.createdAt})) as since from ${walletWatches}
            where ${walletWatches.walletId} in (select distinct wallet from input) group by ${walletWatches.walletId}) as s
    ),
    firsts as (
      select distinct on (i.wallet) i.ord from input i join starts s on s.wallet_id = i.wallet
      where not s.has and not i.bf and i.at >= s.since
      order by i.wallet, i.ord
    ),
    written as (
      insert into ${onchainEvents} (id, occurred_at, wallet_id, tx_hash, log_index, chain, block_number, block_hash, event_type,
        asset, amount, notional_usd, size_fraction, venue, gas_price, is_first_since_watch, raw_data)
      select id, at, wallet, tx, li, chain, bn, bh, type, asset, amount, usd, share, venue, gas, ord in (select ord from firsts), raw from input ${onlyIfMoved}
      on conflict (chain, tx_hash, log_index, occurred_at) do update
        set retracted_at = null, block_number = excluded.block_number, block_hash = excluded.block_hash,
            wallet_id = excluded.wallet_id, is_first_since_watch = excluded.is_first_since_watch
        where ${onchainEvents.retractedAt} is not null
      returning id, chain, tx_hash, log_index, occurred_at, wallet_id, (xmax <> 0) as revived
    ),
    analysed as (
      insert into ${eventAnalyses} (event_id, llm_classification, llm_confidence, llm_narrative, pattern_matched, bias_impact, proposed_action)
      select w.id, i.cls, i.conf, i.story, i.pattern, i.impact, i.action
      from written w join input i on i.id = w.id
      where not w.revived
    ),
    reanalysed as (
      insert into ${eventAnalyses} (event_id, llm_classification, llm_confidence, llm_narrative, pattern_matched, bias_impact, proposed_action)
      select w.id, i.cls, i.conf, i.story, i.pattern, i.impact, i.action
      from written w join input i on i.chain = w.chain and i.tx = w.tx_hash and i.li = w.log_index and i.at = w.occurred_at
      where w.revived
      on conflict do nothing
    ),
    touched as (
      update ${wallets} set last_activity_at = greatest(coalesce(${wallets.lastActivityAt}, v.at), v.at)
      from (select wallet_id, max(occurred_at) as at from written where wallet_id is not null group by wallet_id) as v
      where ${wallets.id} = v.wallet_id
    )
    select id, revived from written ${movedRow}`);
  return (result as { rows: Array<{ id: string | null; revived: boolean | null }> }).rows;
}
