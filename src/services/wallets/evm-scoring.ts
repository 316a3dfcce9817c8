// Credibility of EVM wallets (issue 13, item 4): a scoring pass the ingestion scheduler runs after
// each ingestion run. Hyperliquid traders are scored by their own ingestion (hyperliquid-ingestion.ts,
// which knows their fills and equity); this pass scores every other active wallet with counted events.
//
// For each wallet, from its latest SCORE_HISTORY counted (not retracted) events and their stored
// analyses:
//   - implied move: the analysis' bias impact sign (positive up, negative down, zero or none neutral);
//   - the asset the analysis is about (its proposed action's asset, else the event's asset), priced
//     by `prices` (the candle store) at the event, 1 h / 4 h / 24 h after it (windows that have not
//     passed, or have no price, are not samples) and 24 h before it (the prior move, for the
//     momentum archetype). Stablecoin events and assets without a price are not samples: a dollar
//     does not move against itself. At most OUTCOME_EVENTS directional events (the newest) are priced.
//   - credibility per window and the archetype by the pure rules of domain/wallets/credibility.ts,
//     with `exchanges` (known exchange addresses) and the transfers' counterparties.
// One `wallet_scores` row per (wallet, scored_at = the pass' clock time), written by upsert, so a
// repeated pass at the same time writes the same row. Equity, 24 h volume and win rate stay null:
// they are trader statistics only Hyperliquid gives.
//
// A wallet is rescored when it has no score yet, when it has an event after its latest score, or
// when its latest score is older than `rescoreAfterMs` (default 15 min: windows of past events
// mature and late-confirmed blocks arrive with older block times); otherwise it is skipped.
import { and, desc, eq, inArray, isNull, ne, sql } from 'drizzle-orm';
import { systemClock } from '../../adapters/system-clock.js';
import type { Db } from '../../db/client.js';
import { eventAnalyses, onchainEvents, walletScores, wallets } from '../../db/schema/index.js';
import type { Dec } from '../../domain/money.js';
import type { Clock } from '../../domain/ports.js';
import { STABLECOINS } from '../../domain/wallets/classify.js';
import {
  CREDIBILITY_WINDOWS,
  WINDOW_MS,
  archetypeOf,
  credibilityScores,
  type CredibilityScores,
  type CredibilityWindow,
  type EventOutcome,
  type ImpliedMove,
  type WalletArchetype,
} from '../../domain/wallets/credibility.js';
import { rateText } from './event-store.js';
import { HYPERLIQUID_CHAIN } from './hyperliquid-ingestion.js';
import type { UsdPriceAt } from './usd-prices.js';

/** Stored events read back for one wallet's score. */
export const EVM_SCORE_HISTORY = 2000;
/** Directional events priced per wallet (the newest). */
export const OUTCOME_EVENTS = 200;
export const DEFAULT_RESCORE_AFTER_MS = 15 * 60_000;

export interface WalletScoringOptions {
  db: Db;
  prices: UsdPriceAt;
  clock?: Clock;
  /** Known exchange addresses (any case): such a wallet is an exchange hot wallet. */
  exchanges?: ReadonlySet<string>;
  rescoreAfterMs?: number;
}

export interface WalletScoreReport {
  walletId: string;
  credibility: Record<CredibilityWindow, { samples: number; hits: number; credibility: number | null }>;
  archetype: WalletArchetype;
  /** Why that archetype, in words. */
  archetypeReason: string;
}

export interface ScoringRunReport {
  scoredAt: Date;
  scored: WalletScoreReport[];
  /** Wallets whose inputs had not changed since their latest score. */
  skipped: number;
}

/** The implied move of an analysis' bias impact. */
export function impliedMove(biasImpact: string | number | null | undefined): ImpliedMove {
  if (biasImpact === null || biasImpact === undefined) return 'neutral';
  const x = Number(biasImpact);
  return !Number.isFinite(x) || x === 0 ? 'neutral' : x > 0 ? 'up' : 'down';
}

interface ScoredEvent {
  occurredAt: Date;
  asset: string | null;
  implied: ImpliedMove;
  counterparty: string | null;
}

export class WalletScoring {
  private readonly clock: Clock;
  private readonly exchanges: ReadonlySet<string>;
  private readonly rescoreAfterMs: number;

  constructor(private readonly o: WalletScoringOptions) {
    this.clock = o.clock ?? systemClock;
    this.exchanges = new Set([...(o.exchanges ?? [])].map((a) => a.toLowerCase()));
    this.rescoreAfterMs = o.rescoreAfterMs ?? DEFAULT_RESCORE_AFTER_MS;
  }

  /** Scores every active non-Hyperliquid wallet with counted events whose inputs may have changed. */
  async runOnce(): Promise<ScoringRunReport> {
    const now = this.clock.now();
    const candidates = await this.o.db
      .select({ id: wallets.id, address: wallets.address, lastEvent: sql<string>`max(${onchainEvents.occurredAt})` })
      .from(wallets)
      .innerJoin(onchainEvents, eq(onchainEvents.walletId, wallets.id))
      .where(and(eq(wallets.isActive, true), ne(wallets.chain, HYPERLIQUID_CHAIN), isNull(onchainEvents.retractedAt)))
      .groupBy(wallets.id, wallets.address);
    const latest = new Map<string, Date>();
    if (candidates.length > 0) {
      const rows = await this.o.db
        .selectDistinctOn([walletScores.walletId], { walletId: walletScores.walletId, scoredAt: walletScores.scoredAt })
        .from(walletScores)
        .where(inArray(walletScores.walletId, candidates.map((c) => c.id)))
        .orderBy(walletScores.walletId, desc(walletScores.scoredAt));
      for (const r of rows) latest.set(r.walletId, r.scoredAt);
    }
    const report: ScoringRunReport = { scoredAt: now, scored: [], skipped: 0 };
    const cache = new Map<string, Promise<Dec | null>>();
    for (const c of candidates.sort((a, b) => a.address.localeCompare(b.address))) {
      const last = latest.get(c.id);
      const lastEvent = new Date(c.lastEvent);
      const stale = !last || lastEvent > last || now.getTime() - last.getTime() >= this.rescoreAfterMs;
      // A score written at this very time by an earlier pass is rewritten with the same inputs.
      if (!stale && last.getTime() !== now.getTime()) {
        report.skipped++;
        continue;
      }
      report.scored.push(await this.scoreWallet(c.id, c.address, now, cache));
    }
    return report;
  }

  /** Computes and stores one wallet's score at `now`. */
  async scoreWallet(walletId: string, address: string, now: Date, cache = new Map<string, Promise<Dec | null>>()): Promise<WalletScoreReport> {
    const rows = await this.o.db
      .select({
        occurredAt: onchainEvents.occurredAt,
        asset: onchainEvents.asset,
        raw: onchainEvents.rawData,
        biasImpact: eventAnalyses.biasImpact,
        proposed: eventAnalyses.proposedAction,
      })
      .from(onchainEvents)
      .leftJoin(eventAnalyses, eq(eventAnalyses.eventId, onchainEvents.id))
      .where(and(eq(onchainEvents.walletId, walletId), isNull(onchainEvents.retractedAt), sql`${onchainEvents.occurredAt} <= ${now.toISOString()}::timestamptz`))
      .orderBy(desc(onchainEvents.occurredAt), desc(onchainEvents.logIndex))
      .limit(EVM_SCORE_HISTORY);
    const events: ScoredEvent[] = rows.map((r) => {
      const proposedAsset = (r.proposed as { asset?: unknown } | null)?.asset;
      const raw = r.raw as { counterparty?: unknown } | null;
      return {
        occurredAt: r.occurredAt,
        asset: typeof proposedAsset === 'string' ? proposedAsset : r.asset,
        implied: impliedMove(r.biasImpact),
        counterparty: typeof raw?.counterparty === 'string' ? raw.counterparty : null,
      };
    });
    const price = (asset: string, at: number): Promise<Dec | null> => {
      const key = `${asset}|${String(at)}`;
      let p = cache.get(key);
      if (!p) {
        p = this.o.prices.usdPrice(asset, new Date(at));
        cache.set(key, p);
      }
      return p;
    };
    const outcomes: EventOutcome[] = [];
    const priorMoves = new Map<ScoredEvent, 'up' | 'down' | null>();
    const priced = events.filter((e) => e.implied !== 'neutral' && e.asset !== null && !STABLECOINS.has(e.asset.toUpperCase())).slice(0, OUTCOME_EVENTS);
    for (const e of priced) {
      const t = e.occurredAt.getTime();
      const at = await price(e.asset!, t);
      if (!at || at.lte(0)) continue;
      const priceAfter: Partial<Record<CredibilityWindow, Dec | null>> = {};
      for (const w of CREDIBILITY_WINDOWS) {
        if (t + WINDOW_MS[w] <= now.getTime()) priceAfter[w] = await price(e.asset!, t + WINDOW_MS[w]);
      }
      outcomes.push({ implied: e.implied, priceAtEvent: at, priceAfter });
      const prior = await price(e.asset!, t - WINDOW_MS['24h']);
      priorMoves.set(e, prior ? (at.gt(prior) ? 'up' : at.lt(prior) ? 'down' : null) : null);
    }
    const cred = credibilityScores(outcomes);
    const archetype = archetypeOf({
      isKnownExchange: this.exchanges.has(address.toLowerCase()),
      events: events.map((e) => ({ implied: e.implied, counterparty: e.counterparty, priorMove: priorMoves.get(e) ?? null })),
    });
    const credibility = (w: CredibilityWindow): string | null => (cred[w].samples > 0 ? rateText(cred[w].credibility) : null);
    const row = {
      walletId,
      scoredAt: now,
      credibility1h: credibility('1h'),
      credibility4h: credibility('4h'),
      credibility24h: credibility('24h'),
      equityUsd: null,
      tradingVolume24h: null,
      winRate: null,
      archetype: archetype.archetype,
    };
    await this.o.db.insert(walletScores).values(row).onConflictDoUpdate({ target: [walletScores.walletId, walletScores.scoredAt], set: row });
    return { walletId, credibility: summary(cred), archetype: archetype.archetype, archetypeReason: archetype.reason };
  }
}

function summary(cred: CredibilityScores): WalletScoreReport['credibility'] {
  const one = (w: CredibilityWindow): { samples: number; hits: number; credibility: number | null } => ({
    samples: cred[w].samples,
    hits: cred[w].hits,
    credibility: cred[w].samples > 0 ? cred[w].credibility : null,
  });
  return { '1h': one('1h'), '4h': one('4h'), '24h': one('24h') };
}
