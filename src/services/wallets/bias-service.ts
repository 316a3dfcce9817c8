// Market bias per asset and timeframe from credibility-weighted whale events (issue 13, item 5),
// by the pure rules of domain/wallets/bias.ts.
//
// - Events: every counted (not retracted) event of any watched wallet in the window whose analysis
//   is about the asset: the analysis' proposed action names the asset (a sale into USDC is about
//   what was sold), else the event's asset. Wrapped and bridged tickers count as their asset
//   (WETH and stETH as ETH, WBTC as BTC: src/domain/wallets/assets.ts); stablecoins have no bias.
// - Credibility: each wallet's stored `wallet_scores`, the latest at or before each event (the
//   domain picks it; this service reads, per wallet, the scores inside the window and the latest
//   one before it).
// - Stored: `runOnce` (after each ingestion run) writes one `market_bias` row per (asset, timeframe,
//   observed_at = the pass' time) for every asset with counted events in the last 24 h, all three
//   timeframes (an empty window stores value 0, confidence 0, so a bias that faded is seen to fade) —
//   when the bias changed (value, confidence or events counted) since the latest stored row, or that
//   row is `storeEveryMs` old (default 15 min), so a steady bias does not add a row every minute;
//   `refresh` stores one asset on demand, always. Upserts: the same key is written once.
//   `compute` only reads (get-market-bias).
// - Components as stored: the samples, total weight, agreement, direction and the top wallets
//   (id, chain, address, events, weight, contribution, credibility) — never a user's private label.
import { and, desc, eq, gt, inArray, isNull, lte, sql } from 'drizzle-orm';
import { systemClock } from '../../adapters/system-clock.js';
import type { Db } from '../../db/client.js';
import { eventAnalyses, marketBias, onchainEvents, walletScores, walletWatches, wallets } from '../../db/schema/index.js';
import { withTransaction } from '../../db/tx.js';
import { tickersOf, underlyingAsset } from '../../domain/wallets/assets.js';
import { D } from '../../domain/money.js';
import type { Clock } from '../../domain/ports.js';
import { shortAddress } from '../../domain/wallets/address.js';
import {
  BIAS_TIMEFRAMES,
  biasWord,
  formatBias,
  marketBias as computeBias,
  type BiasEvent,
  type BiasTimeframe,
  type BiasWord,
  type MarketBiasResult,
  type ScorePoint,
} from '../../domain/wallets/bias.js';
import { STABLECOINS } from '../../domain/wallets/classify.js';
import { WINDOW_MS } from '../../domain/wallets/credibility.js';
import type { Actor } from '../actor.js';
import { requireActiveUser } from '../authorize.js';
import { invalidInput } from '../errors.js';
import type { Market } from '../../domain/market.js';
import { rateText } from './event-store.js';

/** A stored bias older than this is not shown beside an analysis. */
export const STORED_BIAS_MAX_AGE_MS = 3_600_000;

const ASSET_TEXT = /^[A-Z0-9.$_+-]{1,16}$/;

/** The asset a ticker counts as (src/domain/wallets/assets.ts). */
export const canonicalAsset = underlyingAsset;
export { tickersOf };

/** True for an asset a bias can be about (not a stablecoin, a plain ticker). */
export function isBiasAsset(asset: string): boolean {
  return ASSET_TEXT.test(asset) && !STABLECOINS.has(asset);
}

export interface BiasContributorView {
  walletId: string;
  chain: string;
  address: string;
  shortAddress: string;
  /** The asking user's own label for the wallet (only in views made for a user). */
  label: string | null;
  events: number;
  weight: number;
  contribution: number;
  credibility: number;
  unscored: boolean;
}

/** A computed bias for a person: the domain result with its asset, and contributors in place of raw components. */
export interface BiasView extends Omit<MarketBiasResult, 'components'> {
  asset: string;
  contributors: BiasContributorView[];
}

export interface StoredBiasView {
  asset: string;
  timeframe: BiasTimeframe;
  observedAt: Date;
  value: number;
  direction: BiasWord;
  confidence: number;
  events: number;
  wallets: number;
}

export interface BiasServiceDeps {
  db: Db;
  clock?: Clock;
  /** Resolves a market symbol (ETH/USDT, ETH-PERP) to its base asset; without it only plain tickers are read. */
  markets?: { resolveSymbol(symbol: unknown): Market };
  /** An unchanged bias is stored again after this long (default 15 min). */
  storeEveryMs?: number;
}

export const DEFAULT_BIAS_STORE_EVERY_MS = 15 * 60_000;

export interface BiasRunReport {
  at: Date;
  assets: string[];
  /** Rows written (changed or due). */
  rows: number;
}

const num = (v: string | null): number => (v === null ? 0 : Number(v));

export class BiasService {
  private readonly db: Db;
  private readonly clock: Clock;

  constructor(private readonly deps: BiasServiceDeps) {
    this.db = deps.db;
    this.clock = deps.clock ?? systemClock;
  }

  /**
   * The asset a person means by `symbol`: a market (ETH/USDT, ETH-PERP) by its base, or a plain
   * ticker (ETH, WETH → ETH). Refuses what is neither.
   */
  parseAsset(symbol: string): string {
    const text = symbol.trim();
    if (this.deps.markets) {
      try {
        return canonicalAsset(this.deps.markets.resolveSymbol(text).base);
      } catch {
        // Not a listed market: a plain ticker may still have whale events.
      }
    }
    const asset = canonicalAsset(text.split(/[/:]/)[0]!.replace(/-PERP$/i, ''));
    if (!ASSET_TEXT.test(asset) || text.length > 40) {
      throw invalidInput(`"${text.slice(0, 20)}" is not an asset or market`, 'give a ticker such as ETH or a market such as ETH/USDT');
    }
    if (STABLECOINS.has(asset)) throw invalidInput(`${asset} is a stablecoin: whale moves give it no bias`, 'ask about the asset they buy or sell, e.g. ETH');
    return asset;
  }

  /** The bias of `asset` over each of `timeframes` at `at` (default now). Reads only. */
  async compute(asset: string, timeframes: readonly BiasTimeframe[] = BIAS_TIMEFRAMES, at: Date = this.clock.now()): Promise<BiasView[]> {
    const canonical = canonicalAsset(asset);
    const longest = Math.max(...timeframes.map((t) => WINDOW_MS[t]));
    const start = new Date(at.getTime() - longest);
    const rows = await this.db
      .select({
        id: onchainEvents.id,
        walletId: onchainEvents.walletId,
        occurredAt: onchainEvents.occurredAt,
        notionalUsd: onchainEvents.notionalUsd,
        sizeFraction: onchainEvents.sizeFraction,
        biasImpact: eventAnalyses.biasImpact,
        confidence: eventAnalyses.llmConfidence,
        chain: wallets.chain,
        address: wallets.address,
      })
      .from(onchainEvents)
      .innerJoin(wallets, eq(wallets.id, onchainEvents.walletId))
      .leftJoin(eventAnalyses, eq(eventAnalyses.eventId, onchainEvents.id))
      .where(
        and(
          isNull(onchainEvents.retractedAt),
          gt(onchainEvents.occurredAt, start),
          lte(onchainEvents.occurredAt, at),
          inArray(sql`upper(coalesce(${eventAnalyses.proposedAction}->>'asset', ${onchainEvents.asset}))`, tickersOf(canonical)),
        ),
      );
    const walletIds = [...new Set(rows.map((r) => r.walletId!))];
    const scores = await this.scoresOf(walletIds, start, at);
    const who = new Map(rows.map((r) => [r.walletId!, { chain: r.chain, address: r.address }]));
    const events: BiasEvent[] = rows.map((r) => ({
      eventId: r.id,
      walletId: r.walletId!,
      occurredAt: r.occurredAt,
      biasImpact: r.biasImpact === null ? null : Number(r.biasImpact),
      confidence: r.confidence === null ? null : Number(r.confidence),
      notionalUsd: r.notionalUsd === null ? null : new D(r.notionalUsd),
      sizeFraction: r.sizeFraction === null ? null : Number(r.sizeFraction),
    }));
    return timeframes.map((timeframe) => {
      const b = computeBias({ timeframe, at, events, scores });
      return {
        asset: canonical,
        timeframe,
        at,
        windowStart: b.windowStart,
        value: b.value,
        direction: b.direction,
        confidence: b.confidence,
        totalWeight: b.totalWeight,
        agreement: b.agreement,
        samples: b.samples,
        contributors: b.components.map((c) => {
          const w = who.get(c.walletId)!;
          return { ...c, chain: w.chain, address: w.address, shortAddress: shortAddress(w.address), label: null };
        }),
      };
    });
  }

  /** `compute` for a person: `symbol` parsed, contributors they watch named by their own label. */
  async forUser(actor: Actor, symbol: string, timeframes: readonly BiasTimeframe[] = BIAS_TIMEFRAMES): Promise<BiasView[]> {
    await requireActiveUser(this.db, actor.userId);
    const views = await this.compute(this.parseAsset(symbol), timeframes);
    const ids = [...new Set(views.flatMap((v) => v.contributors.map((c) => c.walletId)))];
    if (ids.length === 0) return views;
    const labels = await this.db
      .select({ walletId: walletWatches.walletId, label: walletWatches.label })
      .from(walletWatches)
      .where(and(eq(walletWatches.userId, actor.userId), inArray(walletWatches.walletId, ids)));
    const labelOf = new Map(labels.map((l) => [l.walletId, l.label]));
    return views.map((v) => ({ ...v, contributors: v.contributors.map((c) => ({ ...c, label: labelOf.get(c.walletId) ?? null })) }));
  }

  /** Computes and stores every asset with counted events in the last 24 h (the scheduler's pass). */
  async runOnce(at: Date = this.clock.now()): Promise<BiasRunReport> {
    const rows = await this.db
      .selectDistinct({ asset: sql<string>`upper(coalesce(${eventAnalyses.proposedAction}->>'asset', ${onchainEvents.asset}))` })
      .from(onchainEvents)
      .leftJoin(eventAnalyses, eq(eventAnalyses.eventId, onchainEvents.id))
      .where(and(isNull(onchainEvents.retractedAt), gt(onchainEvents.occurredAt, new Date(at.getTime() - WINDOW_MS['24h'])), lte(onchainEvents.occurredAt, at)));
    const assets = [...new Set(rows.filter((r) => r.asset !== null).map((r) => canonicalAsset(r.asset)))].filter(isBiasAsset).sort();
    const views: BiasView[] = [];
    for (const asset of assets) {
      for (const v of await this.compute(asset, BIAS_TIMEFRAMES, at)) if (await this.due(v)) views.push(v);
    }
    await this.store(views);
    return { at, assets, rows: views.length };
  }

  /** Computes and stores one asset's bias now (on demand). */
  async refresh(asset: string, at: Date = this.clock.now()): Promise<BiasView[]> {
    const views = await this.compute(canonicalAsset(asset), BIAS_TIMEFRAMES, at);
    await this.store(views);
    return views;
  }

  /** The latest stored bias of `asset` per timeframe at or before `at`, no older than `maxAgeMs`. */
  async latestStored(asset: string, at: Date = this.clock.now(), maxAgeMs = STORED_BIAS_MAX_AGE_MS): Promise<StoredBiasView[]> {
    return latestStoredBias(this.db, asset, at, maxAgeMs);
  }

  /** True when `v` differs from the latest stored row of its asset and timeframe, or that row is due again. */
  private async due(v: BiasView): Promise<boolean> {
    const last = await storedBiasAt(this.db, v.asset, v.timeframe, v.at);
    if (!last || last.observedAt.getTime() === v.at.getTime()) return true;
    if (v.at.getTime() - last.observedAt.getTime() >= (this.deps.storeEveryMs ?? DEFAULT_BIAS_STORE_EVERY_MS)) return true;
    return last.value !== v.value || last.confidence !== v.confidence || last.events !== v.samples.events;
  }

  private async store(views: readonly BiasView[]): Promise<void> {
    if (views.length === 0) return;
    await withTransaction(this.db, async (tx) => {
      for (const v of views) {
        const row = {
          asset: v.asset,
          timeframe: v.timeframe,
          observedAt: v.at,
          value: rateText(v.value),
          confidence: rateText(v.confidence),
          components: {
            direction: v.direction,
            windowStart: v.windowStart.toISOString(),
            samples: v.samples,
            totalWeight: v.totalWeight,
            agreement: v.agreement,
            contributors: v.contributors.map((c) => ({
              walletId: c.walletId,
              chain: c.chain,
              address: c.address,
              events: c.events,
              weight: c.weight,
              contribution: c.contribution,
              credibility: c.credibility,
              unscored: c.unscored,
            })),
          },
        };
        await tx.insert(marketBias).values(row).onConflictDoUpdate({ target: [marketBias.asset, marketBias.timeframe, marketBias.observedAt], set: row });
      }
    });
  }

  /** Per wallet: its scores inside (start, at] and the latest one at or before `start`. */
  private async scoresOf(walletIds: readonly string[], start: Date, at: Date): Promise<Map<string, ScorePoint[]>> {
    const out = new Map<string, ScorePoint[]>();
    if (walletIds.length === 0) return out;
    const inside = await this.db
      .select()
      .from(walletScores)
      .where(and(inArray(walletScores.walletId, [...walletIds]), gt(walletScores.scoredAt, start), lte(walletScores.scoredAt, at)));
    const before = await this.db
      .selectDistinctOn([walletScores.walletId])
      .from(walletScores)
      .where(and(inArray(walletScores.walletId, [...walletIds]), lte(walletScores.scoredAt, start)))
      .orderBy(walletScores.walletId, desc(walletScores.scoredAt));
    const cred = (v: string | null): number | null => (v === null ? null : Number(v));
    for (const s of [...before, ...inside]) {
      const list = out.get(s.walletId) ?? [];
      list.push({ scoredAt: s.scoredAt, credibility: { '1h': cred(s.credibility1h), '4h': cred(s.credibility4h), '24h': cred(s.credibility24h) } });
      out.set(s.walletId, list);
    }
    return out;
  }
}

/** The latest stored bias of `asset` per timeframe at or before `at`, no older than `maxAgeMs` (oldest timeframe last). */
export async function latestStoredBias(db: Db, asset: string, at: Date, maxAgeMs = STORED_BIAS_MAX_AGE_MS): Promise<StoredBiasView[]> {
  const rows = await db
    .selectDistinctOn([marketBias.timeframe])
    .from(marketBias)
    .where(and(eq(marketBias.asset, canonicalAsset(asset)), lte(marketBias.observedAt, at), gt(marketBias.observedAt, new Date(at.getTime() - maxAgeMs))))
    .orderBy(marketBias.timeframe, desc(marketBias.observedAt));
  return rows
    .filter((r): r is typeof r & { timeframe: BiasTimeframe } => (BIAS_TIMEFRAMES as readonly string[]).includes(r.timeframe))
    .map((r) => storedView(r))
    .sort((a, b) => WINDOW_MS[a.timeframe] - WINDOW_MS[b.timeframe]);
}

/** The latest stored bias of `asset` on `timeframe` at or before `at` (any age), or null. */
export async function storedBiasAt(db: Db, asset: string, timeframe: BiasTimeframe, at: Date): Promise<StoredBiasView | null> {
  const [r] = await db
    .select()
    .from(marketBias)
    .where(and(eq(marketBias.asset, canonicalAsset(asset)), eq(marketBias.timeframe, timeframe), lte(marketBias.observedAt, at)))
    .orderBy(desc(marketBias.observedAt))
    .limit(1);
  return r ? storedView(r as typeof r & { timeframe: BiasTimeframe }) : null;
}

function storedView(r: typeof marketBias.$inferSelect & { timeframe: BiasTimeframe }): StoredBiasView {
  const c = (r.components ?? {}) as { samples?: { events?: unknown; wallets?: unknown } };
  const value = num(r.value);
  return {
    asset: r.asset,
    timeframe: r.timeframe,
    observedAt: r.observedAt,
    value,
    direction: biasWord(value),
    confidence: num(r.confidence),
    events: typeof c.samples?.events === 'number' ? c.samples.events : 0,
    wallets: typeof c.samples?.wallets === 'number' ? c.samples.wallets : 0,
  };
}

/** "Whale bias: 1h bullish +0.42 (confidence 0.38, 3 events, 2 wallets); 24h …" or null when no stored window has events. */
export function whaleBiasLine(stored: readonly StoredBiasView[]): string | null {
  const withEvents = stored.filter((s) => s.events > 0);
  if (withEvents.length === 0) return null;
  const parts = withEvents.map(
    (s) => `${s.timeframe} ${formatBias(s.value)} (confidence ${s.confidence.toFixed(2)}, ${String(s.events)} event${s.events === 1 ? '' : 's'}, ${String(s.wallets)} wallet${s.wallets === 1 ? '' : 's'})`,
  );
  return `Whale bias: ${parts.join('; ')}. A statistic of watched wallets' moves, not advice.`;
}
