// Backfill: a newly watched wallet's recent history, fetched once. Ingestion itself starts at the
// head (EVM) or at the watch's start (Hyperliquid); with `backfillBlocks` / `backfillDays` on
// watch-wallet, the history before the wallet was first watched is ingested as well, at most
// MAX_BACKFILL_BLOCKS Ethereum blocks or MAX_BACKFILL_DAYS days of Hyperliquid fills.
//
// A request is an `ingestion_cursors` row `backfill:<chain>:<wallet id>`, written in the watch's
// transaction, so it is durable from the moment the watch is. The ingestion runs work it off in
// bounded steps, each storing a range's events and moving the row's `next` in ONE transaction, the
// row locked and compared with the step's start (as the main cursors are): a crash repeats a step
// (its events are replays, refused by their unique key), two runners never both move it. A wallet
// is backfilled once: a later request for the same wallet finds the row and adds nothing.
//
// Backfilled events are history, not news: they carry `raw_data.backfill = true`, are never the
// wallet's first event since a watch, are never pushed (whale-pushes.ts) and never fire a whale
// condition (whale-moves.ts). They do count for the card, scores and bias like any stored event.
//
// The range stops where the main ingestion took over: EVM at the chain cursor's last processed block
// when the request is first seen by a run (blocks before it were scanned without this wallet, or
// with it, in which case its events there are replays); Hyperliquid at the wallet's earliest watch
// start (the main poll starts there). EVM backfill reads ERC-20 Transfer logs to and from the wallet
// and the receipts of their transactions (swaps); plain ETH transfers are not indexed by JSON-RPC
// and would need every block in full, so they are not backfilled.
import { eq, like } from 'drizzle-orm';
import { z } from 'zod';
import type { Executor, Tx } from '../../db/client.js';
import { ingestionCursors } from '../../db/schema/index.js';

export const MAX_BACKFILL_BLOCKS = 50_000;
export const MAX_BACKFILL_DAYS = 30;
const DAY_MS = 86_400_000;

export function backfillSource(chain: string, walletId: string): string {
  return `backfill:${chain}:${walletId}`;
}

/** EVM: `blocks` asked for; the range is fixed (`fromBlock`, `toBlock`) by the first run that sees it. */
export const EvmBackfillSchema = z.object({
  kind: z.literal('evm'),
  walletId: z.string(),
  blocks: z.number().int().positive().max(MAX_BACKFILL_BLOCKS),
  fromBlock: z.number().int().nonnegative().nullable(),
  toBlock: z.number().int().nullable(),
  /** Next block to read; past `toBlock` when done. */
  next: z.number().int().nonnegative().nullable(),
  done: z.boolean(),
});
export type EvmBackfill = z.infer<typeof EvmBackfillSchema>;

/** Hyperliquid: fills in [fromTime, untilTime), read from `next` on. */
export const HyperliquidBackfillSchema = z.object({
  kind: z.literal('hyperliquid'),
  walletId: z.string(),
  fromTime: z.number().int().nonnegative(),
  untilTime: z.number().int().nonnegative(),
  next: z.number().int().nonnegative(),
  done: z.boolean(),
});
export type HyperliquidBackfill = z.infer<typeof HyperliquidBackfillSchema>;

export interface BackfillRequest {
  chain: string;
  walletId: string;
  /** EVM only. */
  blocks?: number;
  /** Hyperliquid only. */
  days?: number;
  /** Hyperliquid: the wallet's earliest watch start (where the main poll begins). */
  watchStart: Date;
  now: Date;
}

/** Records a backfill request in the caller's transaction. False when the wallet has one already. */
export async function requestBackfill(tx: Tx, r: BackfillRequest): Promise<boolean> {
  let position: EvmBackfill | HyperliquidBackfill;
  if (r.chain === 'hyperliquid') {
    const until = r.watchStart.getTime();
    const from = Math.max(0, Math.min(until, r.now.getTime() - Math.min(r.days ?? MAX_BACKFILL_DAYS, MAX_BACKFILL_DAYS) * DAY_MS));
    position = { kind: 'hyperliquid', walletId: r.walletId, fromTime: from, untilTime: until, next: from, done: from >= until };
  } else {
    position = { kind: 'evm', walletId: r.walletId, blocks: Math.min(r.blocks ?? MAX_BACKFILL_BLOCKS, MAX_BACKFILL_BLOCKS), fromBlock: null, toBlock: null, next: null, done: false };
  }
  const rows = await tx
    .insert(ingestionCursors)
    .values({ source: backfillSource(r.chain, r.walletId), position, updatedAt: r.now })
    .onConflictDoNothing()
    .returning({ source: ingestionCursors.source });
  return rows.length > 0;
}

/** The stored backfill state of a wallet, or null. */
export async function loadBackfill(ex: Executor, chain: string, walletId: string, lock = false): Promise<{ raw: unknown; evm: EvmBackfill | null; hyperliquid: HyperliquidBackfill | null } | null> {
  const q = ex.select().from(ingestionCursors).where(eq(ingestionCursors.source, backfillSource(chain, walletId)));
  const [row] = lock ? await q.for('update') : await q;
  if (!row) return null;
  const evm = EvmBackfillSchema.safeParse(row.position);
  const hl = HyperliquidBackfillSchema.safeParse(row.position);
  return { raw: row.position, evm: evm.success ? evm.data : null, hyperliquid: hl.success ? hl.data : null };
}

/** Pending backfills of `chain` (a bounded list, the least recently advanced first). */
export async function pendingBackfills(ex: Executor, chain: string, limit = 20): Promise<Array<EvmBackfill | HyperliquidBackfill>> {
  const rows = await ex
    .select()
    .from(ingestionCursors)
    .where(like(ingestionCursors.source, `backfill:${chain}:%`))
    .orderBy(ingestionCursors.updatedAt)
    .limit(200);
  const out: Array<EvmBackfill | HyperliquidBackfill> = [];
  for (const row of rows) {
    const p = chain === 'hyperliquid' ? HyperliquidBackfillSchema.safeParse(row.position) : EvmBackfillSchema.safeParse(row.position);
    if (p.success && !p.data.done) out.push(p.data);
    if (out.length >= limit) break;
  }
  return out;
}

/** Writes a backfill's new state (inside the step's transaction, after `loadBackfill(tx, …, true)`). */
export async function saveBackfill(tx: Tx, chain: string, state: EvmBackfill | HyperliquidBackfill, now: Date): Promise<void> {
  await tx.update(ingestionCursors).set({ position: state, updatedAt: now }).where(eq(ingestionCursors.source, backfillSource(chain, state.walletId)));
}
