// Watched wallets: a user watches a whale by address (Ethereum or Hyperliquid), with its own label
// and tags; lists its watches; unwatches; and reads a wallet's card (latest score, recent events,
// and for Hyperliquid traders the open perp positions and account value, live from the info API).
//
// Decisions:
// - The wallet row is shared (one per chain + address, created on first watch); the label and tags
//   are the watcher's own, on `wallet_watches`. The shared row's `label` is never set from a user's
//   label: one user's name for a wallet is private to that user, and analyses shared by everybody
//   must not carry it.
// - Addresses are normalised by the domain (EIP-55); a mixed-case address with a wrong checksum is
//   refused, so a typo never watches somebody else's wallet.
// - A label is unique per user (case-insensitive), so `unwatch smart whale` names one watch.
// - A wallet is found by address or label only among the caller's own watches: a user never reads
//   another user's labels, tags or watch list.
// - Unwatching removes only the user's watch; the wallet and its history stay (events are observed
//   history, and other users may watch it).
// - Every change writes its audit row in the same transaction.
// - Wallets shared with a community (community-watchlist.ts, `this.community`) are copies with the
//   community's label; following one is an ordinary watch made here, so pushes need nothing else.
import { and, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import { systemClock } from '../../adapters/system-clock.js';
import type { HyperliquidInfoClient } from '../../adapters/hyperliquid/info-client.js';
import { isHyperliquidError } from '../../adapters/hyperliquid/errors.js';
import type { Db, Executor } from '../../db/client.js';
import { eventAnalyses, onchainEvents, walletScores, walletWatches, wallets } from '../../db/schema/index.js';
import { withTransaction } from '../../db/tx.js';
import { D, type Dec } from '../../domain/money.js';
import type { Clock } from '../../domain/ports.js';
import { shortAddress, type Address } from '../../domain/wallets/address.js';
import type { Actor } from '../actor.js';
import { writeAudit } from '../audit.js';
import { requireActiveUser, requireRole } from '../authorize.js';
import { AppError, ErrorCode, invalidInput } from '../errors.js';
import type { CommunityScope } from '../community/community-service.js';
import { MAX_BACKFILL_BLOCKS, MAX_BACKFILL_DAYS, requestBackfill } from './backfill.js';
import { CommunityWatchlist } from './community-watchlist.js';
import {
  MAX_LABEL_LENGTH,
  MAX_TAGS,
  MAX_TAG_LENGTH,
  chainSchema,
  communityNameSchema,
  labelSchema,
  parseOrThrow,
  tagsSchema,
  toAddress,
  walletRefSchema,
} from './watch-input.js';

export const WatchChain = { ethereum: 'ethereum', hyperliquid: 'hyperliquid' } as const;
export type WatchChain = (typeof WatchChain)[keyof typeof WatchChain];

export const MAX_WATCHES_PER_USER = 100;
export { MAX_LABEL_LENGTH, MAX_TAGS, MAX_TAG_LENGTH };
/** Events shown on a card. */
export const CARD_EVENTS = 10;

export const watchWalletInput = z
  .object({
    address: z.string({ required_error: 'address is required (0x followed by 40 hex digits)' }).max(100, 'address is too long'),
    chain: chainSchema.default('ethereum'),
    label: labelSchema.optional(),
    tags: tagsSchema.optional(),
    backfillBlocks: z
      .number({ invalid_type_error: 'backfillBlocks must be a whole number of blocks' })
      .int('backfillBlocks must be a whole number of blocks')
      .min(1, 'backfillBlocks must be at least 1')
      .max(MAX_BACKFILL_BLOCKS, `backfillBlocks must be at most ${String(MAX_BACKFILL_BLOCKS)} (about a week of Ethereum blocks)`)
      .optional(),
    backfillDays: z
      .number({ invalid_type_error: 'backfillDays must be a whole number of days' })
      .int('backfillDays must be a whole number of days')
      .min(1, 'backfillDays must be at least 1')
      .max(MAX_BACKFILL_DAYS, `backfillDays must be at most ${String(MAX_BACKFILL_DAYS)}`)
      .optional(),
  })
  .strict();
export type WatchWalletInput = z.input<typeof watchWalletInput>;

export const walletRefInput = z
  .object({
    /** An address (any case) or the label the user gave the wallet. */
    wallet: walletRefSchema,
    /** Needed only when the same address is watched on both chains. */
    chain: chainSchema.optional(),
  })
  .strict();
export type WalletRefInput = z.input<typeof walletRefInput>;

export const walletCardInput = walletRefInput.extend({ community: communityNameSchema.optional() }).strict();
export type WalletCardInput = z.input<typeof walletCardInput>;

export interface WatchView {
  walletId: string;
  chain: WatchChain;
  address: Address;
  /** `0xAbCd…1234`. */
  shortAddress: string;
  label: string | null;
  tags: string[];
  watchedSince: Date;
  lastActivityAt: Date | null;
  latestScore: ScoreView | null;
}

export interface ScoreView {
  scoredAt: Date;
  credibility1h: number | null;
  credibility4h: number | null;
  credibility24h: number | null;
  equityUsd: Dec | null;
  tradingVolume24h: Dec | null;
  winRate: number | null;
  archetype: string | null;
}

export interface CardEventView {
  id: string;
  occurredAt: Date;
  eventType: string;
  asset: string | null;
  amount: Dec | null;
  notionalUsd: Dec | null;
  venue: string | null;
  txHash: string;
  classification: string | null;
  narrative: string | null;
  biasImpact: number | null;
}

export interface CardPositionView {
  coin: string;
  side: 'long' | 'short';
  size: Dec;
  entryPx: Dec | null;
  positionValue: Dec;
  unrealizedPnl: Dec;
  leverage: number;
  liquidationPx: Dec | null;
}

export interface WalletCard extends WatchView {
  recentEvents: CardEventView[];
  /** Hyperliquid only: live account value and open positions (null when not fetched). */
  account: { accountValue: Dec; positions: CardPositionView[]; readAt: Date } | null;
  /** Why the live account could not be read, when it could not (the rest of the card is still valid). */
  accountUnavailable: string | null;
  /** Set when the card is of a wallet shared with a community: who shared it (display name). */
  sharedBy?: string;
}

export interface WalletServiceDeps {
  db: Db;
  /** For Hyperliquid cards; without it a card shows stored data only. */
  hyperliquid?: HyperliquidInfoClient | null;
  clock?: Clock;
}

const num = (v: string | null): number | null => (v === null ? null : Number(v));
const dec = (v: string | null): Dec | null => (v === null ? null : new D(v));

function scoreView(r: typeof walletScores.$inferSelect): ScoreView {
  return {
    scoredAt: r.scoredAt,
    credibility1h: num(r.credibility1h),
    credibility4h: num(r.credibility4h),
    credibility24h: num(r.credibility24h),
    equityUsd: dec(r.equityUsd),
    tradingVolume24h: dec(r.tradingVolume24h),
    winRate: num(r.winRate),
    archetype: r.archetype,
  };
}

export interface WatchRow {
  walletId: string;
  chain: string;
  address: string;
  label: string | null;
  tags: string[];
  watchedSince: Date;
  lastActivityAt: Date | null;
}

export class WalletService {
  private readonly db: Db;
  private readonly hyperliquid: HyperliquidInfoClient | null;
  private readonly clock: Clock;
  /** Wallets shared with communities: share, list, follow, unshare (community-watchlist.ts). */
  readonly community: CommunityWatchlist;

  constructor(deps: WalletServiceDeps) {
    this.db = deps.db;
    this.hyperliquid = deps.hyperliquid ?? null;
    this.clock = deps.clock ?? systemClock;
    this.community = new CommunityWatchlist(this.db, this);
  }

  /**
   * Watches a wallet (or updates the caller's label and tags). With `backfillBlocks` / `backfillDays`
   * its history before it was first watched is queued for ingestion once
   * (`backfill`: true queued, false the wallet has been backfilled before; absent when not asked).
   */
  async watch(actor: Actor, input: WatchWalletInput): Promise<WatchView & { created: boolean; backfill?: boolean }> {
    await requireRole(this.db, actor, 'trader');
    const v = parseOrThrow(watchWalletInput, input, 'e.g. {"address": "0x…", "chain": "ethereum", "label": "smart whale"}');
    if (v.backfillBlocks !== undefined && v.chain !== 'ethereum') throw invalidInput('backfillBlocks is for Ethereum wallets', 'for a Hyperliquid trader give backfillDays (1–30) instead');
    if (v.backfillDays !== undefined && v.chain !== 'hyperliquid') throw invalidInput('backfillDays is for Hyperliquid traders', 'for an Ethereum wallet give backfillBlocks (1–50000) instead');
    const address = toAddress(v.address);
    const tags = v.tags ? [...new Set(v.tags)] : undefined;
    const result = await withTransaction(this.db, async (tx) => {
      await tx.insert(wallets).values({ chain: v.chain, address }).onConflictDoNothing();
      const [wallet] = await tx.select().from(wallets).where(and(eq(wallets.chain, v.chain), eq(wallets.address, address)));
      if (!wallet) throw new AppError(ErrorCode.unavailable, 'the wallet could not be stored', 'try again');
      if (!wallet.isActive) await tx.update(wallets).set({ isActive: true }).where(eq(wallets.id, wallet.id));
      if (v.label) {
        const [clash] = await tx
          .select({ walletId: walletWatches.walletId, address: wallets.address })
          .from(walletWatches)
          .innerJoin(wallets, eq(wallets.id, walletWatches.walletId))
          .where(and(eq(walletWatches.userId, actor.userId), sql`lower(${walletWatches.label}) = lower(${v.label})`));
        if (clash && clash.walletId !== wallet.id) {
          throw new AppError(ErrorCode.conflict, `you already call ${shortAddress(clash.address)} "${v.label}"`, 'choose another label, or unwatch that wallet first');
        }
      }
      /** Queues the asked-for backfill of the wallet's history before its first watch (once per wallet). */
      const queueBackfill = async (watchedAt: Date): Promise<boolean> => {
        const [first] = await tx.select({ at: sql<string>`min(${walletWatches.createdAt})` }).from(walletWatches).where(eq(walletWatches.walletId, wallet.id));
        return requestBackfill(tx, {
          chain: v.chain,
          walletId: wallet.id,
          ...(v.backfillBlocks !== undefined ? { blocks: v.backfillBlocks } : {}),
          ...(v.backfillDays !== undefined ? { days: v.backfillDays } : {}),
          watchStart: first?.at ? new Date(first.at) : watchedAt,
          now: watchedAt,
        });
      };
      const [existing] = await tx
        .select()
        .from(walletWatches)
        .where(and(eq(walletWatches.userId, actor.userId), eq(walletWatches.walletId, wallet.id)))
        .for('update');
      if (existing) {
        const next = { label: v.label ?? existing.label, tags: tags ?? existing.tags };
        await tx.update(walletWatches).set(next).where(and(eq(walletWatches.userId, actor.userId), eq(walletWatches.walletId, wallet.id)));
        await writeAudit(tx, actor, {
          action: 'wallet.watch.update',
          entityType: 'wallet_watch',
          entityId: wallet.id,
          oldValue: { label: existing.label, tags: existing.tags },
          newValue: next,
        });
        const asked = v.backfillBlocks ?? v.backfillDays;
        return { walletId: wallet.id, created: false, backfill: asked === undefined ? undefined : await queueBackfill(existing.createdAt) };
      }
      const [{ n } = { n: 0 }] = await tx.select({ n: sql<number>`count(*)::int` }).from(walletWatches).where(eq(walletWatches.userId, actor.userId));
      if (n >= MAX_WATCHES_PER_USER) {
        throw new AppError(ErrorCode.rejected, `you already watch ${String(n)} wallets, the most allowed`, 'unwatch one you no longer follow first');
      }
      const [watch] = await tx
        .insert(walletWatches)
        .values({ userId: actor.userId, walletId: wallet.id, label: v.label ?? null, tags: tags ?? [] })
        .returning({ createdAt: walletWatches.createdAt });
      const backfill = v.backfillBlocks ?? v.backfillDays;
      const backfillQueued = backfill === undefined ? false : await queueBackfill(watch!.createdAt);
      await writeAudit(tx, actor, {
        action: 'wallet.watch',
        entityType: 'wallet_watch',
        entityId: wallet.id,
        newValue: { chain: v.chain, address, label: v.label ?? null, tags: tags ?? [], ...(backfill !== undefined ? { backfill, backfillQueued } : {}) },
      });
      return { walletId: wallet.id, created: true, backfill: backfill === undefined ? undefined : backfillQueued };
    });
    const view = await this.watchView(this.db, actor.userId, result.walletId);
    return { ...view, created: result.created, ...(result.backfill !== undefined ? { backfill: result.backfill } : {}) };
  }

  /** Stops watching a wallet named by address or label. The wallet's history stays. */
  async unwatch(actor: Actor, input: WalletRefInput): Promise<WatchView> {
    await requireRole(this.db, actor, 'trader');
    const v = parseOrThrow(walletRefInput, input, 'name the wallet by its address or your label, e.g. {"wallet": "smart whale"}');
    return withTransaction(this.db, async (tx) => {
      const row = await this.resolve(tx, actor.userId, v.wallet, v.chain);
      const view = await this.watchView(tx, actor.userId, row.walletId);
      await tx.delete(walletWatches).where(and(eq(walletWatches.userId, actor.userId), eq(walletWatches.walletId, row.walletId)));
      await writeAudit(tx, actor, {
        action: 'wallet.unwatch',
        entityType: 'wallet_watch',
        entityId: row.walletId,
        oldValue: { chain: row.chain, address: row.address, label: row.label, tags: row.tags },
      });
      return view;
    });
  }

  /** The caller's watches, most recently active first, each with its latest score. */
  async list(actor: Actor): Promise<WatchView[]> {
    await requireActiveUser(this.db, actor.userId);
    const rows = await this.watchRows(this.db, actor.userId);
    const scores = await this.latestScores(this.db, rows.map((r) => r.walletId));
    return rows
      .map((r) => this.toView(r, scores.get(r.walletId) ?? null))
      .sort((a, b) => (b.lastActivityAt?.getTime() ?? 0) - (a.lastActivityAt?.getTime() ?? 0) || b.watchedSince.getTime() - a.watchedSince.getTime());
  }

  /**
   * A wallet's card: latest score, recent (not retracted) events, and live perp positions on Hyperliquid.
   * With `community` (or `input.community`) a wallet the caller does not watch is looked up among the
   * wallets shared with that community (community-watchlist.ts), for its members only.
   */
  async card(actor: Actor, input: WalletCardInput, community?: CommunityScope): Promise<WalletCard> {
    await requireActiveUser(this.db, actor.userId);
    const v = parseOrThrow(walletCardInput, input, 'name the wallet by its address or your label, e.g. {"wallet": "smart whale"}');
    if (v.community !== undefined) return this.community.card(actor, community, { wallet: v.wallet, chain: v.chain, community: v.community });
    let row: WatchRow;
    try {
      row = await this.resolve(this.db, actor.userId, v.wallet, v.chain);
    } catch (err) {
      if (!community || !(err instanceof AppError) || err.code !== ErrorCode.notFound) throw err;
      return this.community.card(actor, community, { wallet: v.wallet, chain: v.chain }).catch((shared: unknown) => {
        // Not shared there either (or not a member): the caller's own "not watched" answer is the clearer one.
        throw shared instanceof AppError && (shared.code === ErrorCode.notFound || shared.code === ErrorCode.forbidden) ? err : shared;
      });
    }
    return this.cardOf(row);
  }

  /** The card of a resolved wallet row (the caller's watch, or a community's shared wallet). */
  async cardOf(row: WatchRow, sharedBy?: string): Promise<WalletCard> {
    const scores = await this.latestScores(this.db, [row.walletId]);
    const events = await this.db
      .select({ e: onchainEvents, a: eventAnalyses })
      .from(onchainEvents)
      .leftJoin(eventAnalyses, eq(eventAnalyses.eventId, onchainEvents.id))
      .where(and(eq(onchainEvents.walletId, row.walletId), isNull(onchainEvents.retractedAt)))
      .orderBy(desc(onchainEvents.occurredAt), desc(onchainEvents.logIndex))
      .limit(CARD_EVENTS);
    const card: WalletCard = {
      ...this.toView(row, scores.get(row.walletId) ?? null),
      recentEvents: events.map(({ e, a }) => ({
        id: e.id,
        occurredAt: e.occurredAt,
        eventType: e.eventType,
        asset: e.asset,
        amount: dec(e.amount),
        notionalUsd: dec(e.notionalUsd),
        venue: e.venue,
        txHash: e.txHash,
        classification: a?.llmClassification ?? null,
        narrative: a?.llmNarrative ?? null,
        biasImpact: a ? num(a.biasImpact) : null,
      })),
      account: null,
      accountUnavailable: null,
      ...(sharedBy !== undefined ? { sharedBy } : {}),
    };
    if (row.chain === WatchChain.hyperliquid) {
      if (!this.hyperliquid) {
        card.accountUnavailable = 'live Hyperliquid data is not configured on this MIKEY';
      } else {
        try {
          const acct = await this.hyperliquid.clearinghouseState(row.address);
          card.account = {
            accountValue: acct.accountValue,
            readAt: acct.time,
            positions: acct.positions.map((p) => ({
              coin: p.coin,
              side: p.side,
              size: p.szi.abs(),
              entryPx: p.entryPx,
              positionValue: p.positionValue,
              unrealizedPnl: p.unrealizedPnl,
              leverage: p.leverage.value,
              liquidationPx: p.liquidationPx,
            })),
          };
        } catch (err) {
          if (!isHyperliquidError(err)) throw err;
          card.accountUnavailable = `${err.message}${err.hint ? `; ${err.hint}` : ''}`;
        }
      }
    }
    return card;
  }

  /** The clock this service reads (exposed for surfaces that render "x minutes ago"). */
  now(): Date {
    return this.clock.now();
  }

  toView(r: WatchRow, score: ScoreView | null): WatchView {
    return {
      walletId: r.walletId,
      chain: r.chain as WatchChain,
      address: r.address as Address,
      shortAddress: shortAddress(r.address),
      label: r.label,
      tags: r.tags,
      watchedSince: r.watchedSince,
      lastActivityAt: r.lastActivityAt,
      latestScore: score,
    };
  }

  private async watchRows(ex: Executor, userId: string, walletId?: string): Promise<WatchRow[]> {
    return ex
      .select({
        walletId: wallets.id,
        chain: wallets.chain,
        address: wallets.address,
        label: walletWatches.label,
        tags: walletWatches.tags,
        watchedSince: walletWatches.createdAt,
        lastActivityAt: wallets.lastActivityAt,
      })
      .from(walletWatches)
      .innerJoin(wallets, eq(wallets.id, walletWatches.walletId))
      .where(walletId ? and(eq(walletWatches.userId, userId), eq(walletWatches.walletId, walletId)) : eq(walletWatches.userId, userId));
  }

  private async watchView(ex: Executor, userId: string, walletId: string): Promise<WatchView> {
    const [row] = await this.watchRows(ex, userId, walletId);
    if (!row) throw new AppError(ErrorCode.notFound, 'you do not watch that wallet', 'list your watched wallets to see their labels');
    const scores = await this.latestScores(ex, [walletId]);
    return this.toView(row, scores.get(walletId) ?? null);
  }

  async latestScores(ex: Executor, walletIds: readonly string[]): Promise<Map<string, ScoreView>> {
    if (walletIds.length === 0) return new Map();
    const rows = await ex
      .selectDistinctOn([walletScores.walletId])
      .from(walletScores)
      .where(inArray(walletScores.walletId, [...walletIds]))
      .orderBy(walletScores.walletId, desc(walletScores.scoredAt));
    return new Map(rows.map((r) => [r.walletId, scoreView(r)]));
  }

  /** Finds one of the user's watches by address (any case) or label (case-insensitive). */
  async resolve(ex: Executor, userId: string, ref: string, chain: WatchChain | undefined): Promise<WatchRow> {
    const rows = await this.watchRows(ex, userId);
    const onChain = (r: WatchRow): boolean => chain === undefined || r.chain === chain;
    let matches: WatchRow[];
    if (/^0x/i.test(ref)) {
      const address = toAddress(ref);
      matches = rows.filter((r) => r.address === address && onChain(r));
      if (matches.length === 0) {
        throw new AppError(ErrorCode.notFound, `you do not watch ${shortAddress(address)}${chain ? ` on ${chain}` : ''}`, 'list your watched wallets, or watch it first');
      }
    } else {
      matches = rows.filter((r) => r.label !== null && r.label.toLowerCase() === ref.toLowerCase() && onChain(r));
      if (matches.length === 0) {
        const shown = ref.length > 40 ? `${ref.slice(0, 39)}…` : ref;
        throw new AppError(ErrorCode.notFound, `none of your watched wallets is labelled "${shown}"`, 'list your watched wallets to see their labels, or give the address');
      }
    }
    if (matches.length > 1) {
      throw new AppError(ErrorCode.invalidInput, `you watch ${shortAddress(matches[0]!.address)} on both ethereum and hyperliquid`, 'say which chain: ethereum or hyperliquid');
    }
    return matches[0]!;
  }
}
