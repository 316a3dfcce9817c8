// Recent on-chain moves as the alert engine's whale conditions read them: counted events (not
// retracted, not backfilled history: backfill.ts) of the given assets with a directional analysis (bias impact above zero is a buy,
// below a sell; neutral ones are left out) and a known USD notional, each with its wallet's
// credibility per window as last scored at or before the move — the record the wallet had when it
// moved, never a score that already counts the move itself.
import { and, desc, eq, gt, isNotNull, isNull, lte, ne, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { Executor } from '../../db/client.js';
import { eventAnalyses, onchainEvents, walletScores, wallets } from '../../db/schema/index.js';
import { whaleAssetOf, type WhaleMove } from '../../domain/alert-conditions.js';
import { tickersOf } from '../../domain/wallets/assets.js';
import { shortAddress } from '../../domain/wallets/address.js';
import { isBackfilled } from './event-store.js';

/** The most moves one read returns (newest first). */
export const MAX_WHALE_MOVES = 2_000;

/** Moves of `assets` (as `whaleAssetOf` names them) in (since, until], newest first. */
export async function loadWhaleMoves(ex: Executor, assets: readonly string[], since: Date, until: Date): Promise<WhaleMove[]> {
  const wanted = new Set(assets.map(whaleAssetOf));
  if (wanted.size === 0) return [];
  const symbols = [...new Set([...wanted].flatMap(tickersOf))];
  const credibility = (column: AnyPgColumn) =>
    sql<string | null>`(select ${column} from ${walletScores} where ${walletScores.walletId} = ${onchainEvents.walletId} and ${walletScores.scoredAt} <= ${onchainEvents.occurredAt} order by ${walletScores.scoredAt} desc limit 1)`;
  const rows = await ex
    .select({
      id: onchainEvents.id,
      address: wallets.address,
      asset: onchainEvents.asset,
      notionalUsd: onchainEvents.notionalUsd,
      occurredAt: onchainEvents.occurredAt,
      bias: eventAnalyses.biasImpact,
      c1h: credibility(walletScores.credibility1h),
      c4h: credibility(walletScores.credibility4h),
      c24h: credibility(walletScores.credibility24h),
    })
    .from(onchainEvents)
    .innerJoin(wallets, eq(wallets.id, onchainEvents.walletId))
    .innerJoin(eventAnalyses, eq(eventAnalyses.eventId, onchainEvents.id))
    .where(
      and(
        isNull(onchainEvents.retractedAt),
        sql`not ${isBackfilled}`,
        gt(onchainEvents.occurredAt, since),
        lte(onchainEvents.occurredAt, until),
        isNotNull(onchainEvents.notionalUsd),
        ne(eventAnalyses.biasImpact, '0'),
        sql`upper(${onchainEvents.asset}) in (${sql.join(symbols.map((s) => sql`${s}`), sql`, `)})`,
      ),
    )
    .orderBy(desc(onchainEvents.occurredAt), desc(onchainEvents.id))
    .limit(MAX_WHALE_MOVES);
  const num = (v: string | null): number | null => (v === null ? null : Number(v));
  return rows
    .filter((r) => r.bias !== null && r.asset !== null && r.notionalUsd !== null)
    .map((r) => ({
      eventId: r.id,
      wallet: shortAddress(r.address),
      asset: whaleAssetOf(r.asset!),
      side: Number(r.bias) > 0 ? 'buy' : 'sell',
      notionalUsd: r.notionalUsd!,
      occurredAt: r.occurredAt,
      credibility: { '1h': num(r.c1h), '4h': num(r.c4h), '24h': num(r.c24h) },
    }));
}
