// The whale-signal side stream (kernel.ts `WhaleSignal`) read from the wallet-intelligence tables, for
// the strategies that ask for it (whale following). The backtest service and the bot runner both load
// signals here and bucket them per candle with the kernel's `signalsByCandle`, so a backtest and a bot
// over the same stored events hand the strategy the same signals on the same candle (parity).
//
// A signal is one stored on-chain event that is:
// - not retracted (an orphaned block's event never counts), by a known wallet, in the market's base
//   asset (or a wrapped form of it: WETH and stETH for ETH, WBTC for BTC — src/domain/wallets/assets.ts),
//   with a USD notional, inside [from, to);
// - analysed with a non-zero bias impact: its sign is the direction (positive = buy, negative = sell).
// Its credibility is the wallet's latest score at or before the event's time, never a later one (a
// score computed after the event already knows how the price moved); none when no such score exists.
//
// Backfilled events (raw_data.backfill, src/services/wallets/backfill.ts) are history fetched when a
// wallet was first watched: nobody could have acted on them when they happened. By default they are
// NOT signals — a bot (bot-runner.ts loads with the defaults) deciding a candle that a backfill later
// filled in must not trade on a move MIKEY only learned of afterwards, as if it were fresh. A backtest
// may study that history: `{ includeBackfilled: true }`. (Pushes and whale alert conditions leave them
// out too: whale-pushes.ts, whale-moves.ts.)
import { and, asc, eq, gte, inArray, isNotNull, isNull, lt, lte, ne, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { eventAnalyses, onchainEvents, walletScores } from '../../db/schema/index.js';
import { dec } from '../../domain/money.js';
import type { WhaleSignal } from '../../domain/strategy/index.js';
import { AppError, ErrorCode } from '../errors.js';
import { isBackfilled } from '../wallets/event-store.js';
import { tickersOf } from '../../domain/wallets/assets.js';

/** Most signals one load returns: a window with more is refused rather than cut short. */
export const MAX_WHALE_SIGNALS = 100_000;
/** Wallets whose scores are read per query. */
const WALLET_CHUNK = 200;

/** Every ticker whose moves count as `base` (WETH and stETH for ETH, WBTC for BTC …). */
export const assetAliases = tickersOf;

const num = (v: string | null): number | null => {
  if (v === null) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
};

export interface WhaleSignalLoadOptions {
  /** Also backfilled history (for a backtest that studies it). Default false: what a live or paper bot may act on. */
  includeBackfilled?: boolean;
}

/** Reads whale signals from the database. */
export class StoredWhaleSignals {
  constructor(private readonly db: Db) {}

  /** Signals in `base` (a market's base asset) that happened in [fromMs, toMs), oldest first; backfilled history only when asked. */
  async load(base: string, fromMs: number, toMs: number, opts: WhaleSignalLoadOptions = {}): Promise<WhaleSignal[]> {
    if (!(toMs > fromMs)) return [];
    const rows = await this.db
      .select({
        id: onchainEvents.id,
        walletId: onchainEvents.walletId,
        at: onchainEvents.occurredAt,
        notionalUsd: onchainEvents.notionalUsd,
        bias: eventAnalyses.biasImpact,
        confidence: eventAnalyses.llmConfidence,
      })
      .from(onchainEvents)
      .innerJoin(eventAnalyses, eq(eventAnalyses.eventId, onchainEvents.id))
      .where(
        and(
          isNull(onchainEvents.retractedAt),
          isNotNull(onchainEvents.walletId),
          isNotNull(onchainEvents.notionalUsd),
          inArray(sql`upper(${onchainEvents.asset})`, assetAliases(base)),
          gte(onchainEvents.occurredAt, new Date(fromMs)),
          lt(onchainEvents.occurredAt, new Date(toMs)),
          isNotNull(eventAnalyses.biasImpact),
          ne(eventAnalyses.biasImpact, '0'),
          opts.includeBackfilled === true ? undefined : sql`not ${isBackfilled}`,
        ),
      )
      .orderBy(asc(onchainEvents.occurredAt), asc(onchainEvents.id))
      .limit(MAX_WHALE_SIGNALS + 1);
    if (rows.length > MAX_WHALE_SIGNALS) {
      throw new AppError(
        ErrorCode.invalidInput,
        `more than ${MAX_WHALE_SIGNALS.toLocaleString('en-US')} stored wallet events in ${base.toUpperCase()} fall in this window`,
        'choose a shorter period',
      );
    }
    if (rows.length === 0) return [];

    // Each wallet's scores up to the last event, oldest first; an event takes the last one at or before it.
    const walletIds = [...new Set(rows.map((r) => r.walletId!))];
    const lastAt = rows[rows.length - 1]!.at;
    const scores = new Map<string, Array<{ at: number; h1: number | null; h4: number | null; h24: number | null }>>();
    for (let i = 0; i < walletIds.length; i += WALLET_CHUNK) {
      const chunk = walletIds.slice(i, i + WALLET_CHUNK);
      const scoreRows = await this.db
        .select({ walletId: walletScores.walletId, at: walletScores.scoredAt, h1: walletScores.credibility1h, h4: walletScores.credibility4h, h24: walletScores.credibility24h })
        .from(walletScores)
        .where(and(inArray(walletScores.walletId, chunk), lte(walletScores.scoredAt, lastAt)))
        .orderBy(asc(walletScores.walletId), asc(walletScores.scoredAt));
      for (const s of scoreRows) {
        const list = scores.get(s.walletId) ?? [];
        list.push({ at: s.at.getTime(), h1: num(s.h1), h4: num(s.h4), h24: num(s.h24) });
        scores.set(s.walletId, list);
      }
    }
    const scoreAt = (walletId: string, at: number): { h1: number | null; h4: number | null; h24: number | null } | undefined => {
      const list = scores.get(walletId);
      if (!list) return undefined;
      let lo = 0;
      let hi = list.length - 1;
      let found = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (list[mid]!.at <= at) {
          found = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      return found >= 0 ? list[found] : undefined;
    };

    return rows.map((r): WhaleSignal => {
      const at = r.at.getTime();
      const score = scoreAt(r.walletId!, at);
      return {
        eventId: r.id,
        walletId: r.walletId!,
        at: new Date(at),
        direction: Number(r.bias) > 0 ? 'buy' : 'sell',
        notionalUsd: dec(r.notionalUsd!),
        credibility: { '1h': score?.h1 ?? null, '4h': score?.h4 ?? null, '24h': score?.h24 ?? null },
        confidence: num(r.confidence),
      };
    });
  }
}
