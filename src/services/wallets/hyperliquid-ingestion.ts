// Hyperliquid ingestion: for every watched Hyperliquid trader, poll its fills since the stored
// cursor (`userFillsByTime`), store each fill once as an `onchain_events` row with its rule analysis,
// and record the account (equity, 24 h volume, win rate, credibility, archetype) in `wallet_scores`
// — fills, score and cursor in ONE transaction per trader, so a crash repeats a poll but never
// skips or doubles a fill.
//
// Cursor: `hyperliquid:<lower-case address>` → `{ lastTime }`, the newest fill time stored. The next
// poll starts AT that time (inclusive), because more fills can share it; the unique key drops the
// repeats. A first poll starts at the earliest watch start of the wallet (minus `lookbackMs`).
//
// Event key: chain `hyperliquid`, the fill's transaction hash, and as log index the fill's position
// among this trader's fills with the same hash ordered by `tid` (a transaction can fill several
// orders). A full page (2000 fills, Hyperliquid's maximum) may cut a hash's fills in two, so the
// fills at the page's last time are left for the next poll, which fetches them whole; a page
// whose fills all share one time is stored as it is.
//
// Known limit (see the report): two watched traders on both sides of one trade share the hash and
// both get position 0; the unique key (chain, tx hash, log index, time) then keeps only the first.
//
// Backfill (backfill.ts): after the traders' polls, within the same request budget, pending
// backfills page a trader's fills before its first watch (`userFillsByTime` with an end time), each
// page stored as backfilled history together with the backfill row's next start, in one transaction.
//
// Credibility: for each directional fill (rule analysis bullish → up, bearish → down) the price at
// the fill (its own price) against the coin's USD price 1 h / 4 h / 24 h later from `prices`;
// windows that have not passed or have no price are not samples. No sample → null (unknown), not 0.
// Rate budget: every request (retries included) spends one unit; 429 and 5xx are retried with
// exponential backoff; when the budget is spent the remaining traders wait for the next run.
import { and, desc, eq, isNull } from 'drizzle-orm';
import { z } from 'zod';
import { systemClock } from '../../adapters/system-clock.js';
import { HyperliquidErrorCode, isHyperliquidError } from '../../adapters/hyperliquid/errors.js';
import type { HyperliquidAccount, HyperliquidFill, HyperliquidInfoClient } from '../../adapters/hyperliquid/info-client.js';
import type { Db, Tx } from '../../db/client.js';
import { eventAnalyses, ingestionCursors, onchainEvents, walletScores, walletWatches, wallets } from '../../db/schema/index.js';
import { withTransaction } from '../../db/tx.js';
import { D, ZERO, type Dec } from '../../domain/money.js';
import type { Clock } from '../../domain/ports.js';
import type { Address } from '../../domain/wallets/address.js';
import { classifyEvent, classifyInputFromFill } from '../../domain/wallets/classify.js';
import {
  CREDIBILITY_WINDOWS,
  WINDOW_MS,
  archetypeOf,
  credibilityScores,
  perpTraderStats,
  type CredibilityWindow,
  type EventOutcome,
  type ImpliedMove,
} from '../../domain/wallets/credibility.js';
import { HyperliquidBackfillSchema, loadBackfill, pendingBackfills, saveBackfill, type HyperliquidBackfill } from './backfill.js';
import { moneyText, rateText, storeEvents, type EventToStore } from './event-store.js';
import type { ModelAnalyst } from './model-analysis.js';
import { DEFAULT_BACKOFF, type BackoffOptions } from './json-rpc.js';
import { stablecoinPricesOnly, type UsdPriceAt } from './usd-prices.js';

export const HYPERLIQUID_CHAIN = 'hyperliquid';
/** Hyperliquid returns at most this many fills per request. */
export const HYPERLIQUID_PAGE = 2000;
/** Stored fills read back for a trader's score. */
export const SCORE_HISTORY = 2000;

export interface HyperliquidIngestionOptions {
  db: Db;
  client: HyperliquidInfoClient;
  prices?: UsdPriceAt;
  clock?: Clock;
  /** Requests per run, retries included. Default 200. */
  requestBudget?: number;
  backoff?: Partial<BackoffOptions>;
  sleep?: (ms: number) => Promise<void>;
  /** A trader's first poll starts this long before its watch began. Default 0. */
  lookbackMs?: number;
  /** Test seam: called inside the trader's transaction after fills and score, before the cursor. */
  beforeCursorWrite?: (address: string) => void | Promise<void>;
  /** Writes new fills' analyses by the model (bounded per run); without it the rules' stay. */
  analyst?: ModelAnalyst;
}

export interface BackfillPageReport {
  address: Address;
  fillsFetched: number;
  eventsInserted: number;
  done: boolean;
}

export interface TraderPollReport {
  address: Address;
  status: 'ok' | 'rate_limited' | 'unavailable' | 'budget_exhausted' | 'contended';
  fillsFetched: number;
  eventsInserted: number;
  message: string | null;
}

export interface HyperliquidRunReport {
  traders: TraderPollReport[];
  /** Backfill pages stored this run. */
  backfills: BackfillPageReport[];
  requests: number;
  waits: number[];
}

export function hyperliquidCursorSource(address: string): string {
  return `hyperliquid:${address.toLowerCase()}`;
}

const CursorSchema = z.object({ lastTime: z.number().int().nonnegative() });

class BudgetSpent extends Error {}
class Contended extends Error {}

/** `Open Long` → `perp_open_long`, `Long > Short` → `perp_long_to_short`. */
export function fillEventType(dir: string): string {
  const words = dir
    .toLowerCase()
    .replace(/\s+>\s+/g, ' to ')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 32);
  return `perp_${words || 'fill'}`;
}

/** Each fill's log index: its position among the fills with the same hash, ordered by tid. */
export function fillLogIndexes(fills: readonly HyperliquidFill[]): Map<number, number> {
  const byHash = new Map<string, HyperliquidFill[]>();
  for (const f of fills) {
    const group = byHash.get(f.hash) ?? [];
    group.push(f);
    byHash.set(f.hash, group);
  }
  const out = new Map<number, number>();
  for (const group of byHash.values()) {
    [...group].sort((a, b) => a.tid - b.tid).forEach((f, i) => out.set(f.tid, i));
  }
  return out;
}

interface Trader {
  id: string;
  address: Address;
  watchStart: Date;
}

interface StoredFill {
  px: Dec;
  sz: Dec;
  time: number;
  closedPnl: Dec;
  side: 'buy' | 'sell';
  maker: boolean;
  coin: string;
  implied: ImpliedMove;
}

export class HyperliquidIngestion {
  private readonly clock: Clock;
  private readonly prices: UsdPriceAt;
  private readonly budget: number;
  private readonly backoff: BackoffOptions;
  private readonly sleep: (ms: number) => Promise<void>;
  private used = 0;
  private waits: number[] = [];

  constructor(private readonly o: HyperliquidIngestionOptions) {
    this.clock = o.clock ?? systemClock;
    this.prices = o.prices ?? stablecoinPricesOnly;
    this.budget = o.requestBudget ?? 200;
    this.backoff = { ...DEFAULT_BACKOFF, ...o.backoff };
    this.sleep = o.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Polls every watched trader once, within the run's request budget. */
  async runOnce(): Promise<HyperliquidRunReport> {
    this.o.analyst?.beginRun();
    this.used = 0;
    this.waits = [];
    const traders = await this.traders();
    const reports: TraderPollReport[] = [];
    let spent = false;
    for (const t of traders) {
      if (spent) {
        reports.push({ address: t.address, status: 'budget_exhausted', fillsFetched: 0, eventsInserted: 0, message: 'waits for the next run' });
        continue;
      }
      try {
        reports.push(await this.pollTrader(t));
      } catch (err) {
        const base = { address: t.address, fillsFetched: 0, eventsInserted: 0 };
        if (err instanceof BudgetSpent) {
          spent = true;
          reports.push({ ...base, status: 'budget_exhausted', message: `the request budget of ${String(this.budget)} per run is spent` });
        } else if (err instanceof Contended) {
          reports.push({ ...base, status: 'contended', message: err.message });
        } else if (isHyperliquidError(err)) {
          reports.push({ ...base, status: err.code === HyperliquidErrorCode.rateLimited ? 'rate_limited' : 'unavailable', message: err.message });
        } else {
          throw err;
        }
      }
    }
    const backfills: BackfillPageReport[] = [];
    if (!spent) {
      try {
        await this.runBackfills(traders, backfills);
      } catch (err) {
        // The budget, a contended row or Hyperliquid trouble ends this run's backfills; the rows keep their place.
        if (!(err instanceof BudgetSpent || err instanceof Contended || isHyperliquidError(err))) throw err;
      }
    }
    return { traders: reports, backfills, requests: this.used, waits: this.waits };
  }

  /** Pages pending backfills of watched traders, one transaction per page, until done or out of budget. */
  private async runBackfills(traders: readonly Trader[], out: BackfillPageReport[]): Promise<void> {
    const byId = new Map(traders.map((t) => [t.id, t]));
    for (const pending of await pendingBackfills(this.o.db, HYPERLIQUID_CHAIN)) {
      if (pending.kind !== 'hyperliquid') continue;
      const t = byId.get(pending.walletId);
      if (!t) continue;
      let state: HyperliquidBackfill = pending;
      while (!state.done) {
        const page = state.next < state.untilTime ? await this.call(() => this.o.client.userFillsByTime(t.address, state.next, state.untilTime - 1)) : [];
        let fills = page.filter((f) => f.time >= state.next && f.time < state.untilTime).sort((a, b) => a.time - b.time || a.tid - b.tid);
        const full = page.length >= HYPERLIQUID_PAGE;
        if (full) {
          const last = fills.at(-1)!.time;
          const whole = fills.filter((f) => f.time < last);
          if (whole.length > 0) fills = whole;
        }
        const lastTime = fills.at(-1)?.time;
        // A full page starts the next one at its newest kept time (more fills may share it); a page of one time moves past it.
        const nextStart = !full || lastTime === undefined ? state.untilTime : lastTime > state.next ? lastTime : lastTime + 1;
        const next: HyperliquidBackfill = { ...state, next: Math.min(nextStart, state.untilTime), done: nextStart >= state.untilTime };
        const indexes = fillLogIndexes(fills);
        // Today's account value says nothing of the account back then: a backfilled fill has no size share.
        const account: HyperliquidAccount = { user: t.address, accountValue: ZERO, totalNotional: ZERO, totalMarginUsed: ZERO, withdrawable: ZERO, positions: [], time: new Date(0) };
        const events = fills.map((f) => ({ ...this.toEvent(t, f, indexes.get(f.tid) ?? 0, account), backfill: true }));
        const expected = state;
        const inserted = await withTransaction(this.o.db, async (tx) => {
          const current = await loadBackfill(tx, HYPERLIQUID_CHAIN, t.id, true);
          if (JSON.stringify(current?.hyperliquid ?? null) !== JSON.stringify(HyperliquidBackfillSchema.parse(expected))) {
            throw new Contended(`another runner advanced the backfill of ${t.address}; this page was dropped`);
          }
          const r = await storeEvents(tx, events);
          await saveBackfill(tx, HYPERLIQUID_CHAIN, next, this.clock.now());
          return r.inserted + r.revived;
        });
        out.push({ address: t.address, fillsFetched: page.length, eventsInserted: inserted, done: next.done });
        state = next;
      }
    }
  }

  private async traders(): Promise<Trader[]> {
    const rows = await this.o.db
      .select({ id: wallets.id, address: wallets.address, createdAt: walletWatches.createdAt })
      .from(wallets)
      .innerJoin(walletWatches, eq(walletWatches.walletId, wallets.id))
      .where(and(eq(wallets.chain, HYPERLIQUID_CHAIN), eq(wallets.isActive, true)));
    const byId = new Map<string, Trader>();
    for (const r of rows) {
      const t = byId.get(r.id);
      if (!t || r.createdAt < t.watchStart) byId.set(r.id, { id: r.id, address: r.address as Address, watchStart: r.createdAt });
    }
    return [...byId.values()].sort((a, b) => a.address.localeCompare(b.address));
  }

  /** One request with bounded backoff on rate limits and outages, counted against the budget. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (this.used >= this.budget) throw new BudgetSpent();
      this.used++;
      try {
        return await fn();
      } catch (err) {
        const retryable = isHyperliquidError(err) && (err.code === HyperliquidErrorCode.rateLimited || err.code === HyperliquidErrorCode.unavailable);
        if (!retryable || attempt >= this.backoff.maxRetries) throw err;
        const wait = Math.min(this.backoff.maxMs, this.backoff.baseMs * 2 ** attempt);
        this.waits.push(wait);
        await this.sleep(wait);
      }
    }
  }

  private async loadCursor(ex: Db | Tx, address: string, lock = false): Promise<number | null> {
    const q = ex.select().from(ingestionCursors).where(eq(ingestionCursors.source, hyperliquidCursorSource(address)));
    const [row] = lock ? await q.for('update') : await q;
    if (!row) return null;
    const parsed = CursorSchema.safeParse(row.position);
    return parsed.success ? parsed.data.lastTime : null;
  }

  private async pollTrader(t: Trader): Promise<TraderPollReport> {
    const stored = await this.loadCursor(this.o.db, t.address);
    const startTime = stored ?? Math.max(0, t.watchStart.getTime() - (this.o.lookbackMs ?? 0));
    const page = await this.call(() => this.o.client.userFillsByTime(t.address, startTime));
    const account = await this.call(() => this.o.client.clearinghouseState(t.address));
    let fills = [...page].sort((a, b) => a.time - b.time || a.tid - b.tid);
    if (fills.length >= HYPERLIQUID_PAGE) {
      const last = fills.at(-1)!.time;
      const whole = fills.filter((f) => f.time < last);
      if (whole.length > 0) fills = whole;
    }
    const nextTime = fills.length > 0 ? Math.max(startTime, fills.at(-1)!.time) : startTime;
    const indexes = fillLogIndexes(fills);
    const events = fills.map((f) => this.toEvent(t, f, indexes.get(f.tid) ?? 0, account));
    const score = await this.score(t, fills, events, account);
    // The model (when set) writes new fills' analyses, before the transaction; scores keep the rules'.
    const analysed = this.o.analyst ? await this.o.analyst.analyze(this.o.db, events) : events;
    const inserted = await withTransaction(this.o.db, async (tx) => {
      const current = await this.loadCursor(tx, t.address, true);
      if (current !== stored) throw new Contended(`another runner polled ${t.address} meanwhile; this poll was dropped`);
      const r = await storeEvents(tx, analysed);
      await tx
        .insert(walletScores)
        .values(score)
        .onConflictDoUpdate({ target: [walletScores.walletId, walletScores.scoredAt], set: { ...score } });
      await this.o.beforeCursorWrite?.(t.address);
      const position = { lastTime: nextTime };
      await tx
        .insert(ingestionCursors)
        .values({ source: hyperliquidCursorSource(t.address), position, updatedAt: this.clock.now() })
        .onConflictDoUpdate({ target: ingestionCursors.source, set: { position, updatedAt: this.clock.now() } });
      return r.inserted + r.revived;
    });
    return { address: t.address, status: 'ok', fillsFetched: page.length, eventsInserted: inserted, message: null };
  }

  private toEvent(t: Trader, f: HyperliquidFill, logIndex: number, account: HyperliquidAccount): EventToStore {
    const notionalUsd = f.px.mul(f.sz);
    const sizeFraction = account.accountValue.gt(ZERO) ? notionalUsd.div(account.accountValue).toNumber() : null;
    return {
      walletId: t.id,
      chain: HYPERLIQUID_CHAIN,
      txHash: f.hash,
      logIndex,
      occurredAt: new Date(f.time),
      blockNumber: null,
      blockHash: null,
      eventType: fillEventType(f.dir),
      asset: f.coin,
      amount: f.sz,
      notionalUsd,
      sizeFraction,
      venue: 'hyperliquid',
      gasPrice: null,
      rawData: {
        kind: 'perp_fill',
        coin: f.coin,
        px: f.px.toFixed(),
        sz: f.sz.toFixed(),
        side: f.side,
        time: f.time,
        startPosition: f.startPosition.toFixed(),
        dir: f.dir,
        closedPnl: f.closedPnl.toFixed(),
        oid: f.oid,
        tid: f.tid,
        crossed: f.crossed,
        fee: f.fee.toFixed(),
        feeToken: f.feeToken,
      },
      analysis: classifyEvent(classifyInputFromFill(t.address, f, { notionalUsd, sizeFraction })),
    };
  }

  /** The trader's score now, from its stored fills plus this poll's (computed before the write transaction). */
  private async score(t: Trader, fills: readonly HyperliquidFill[], events: readonly EventToStore[], account: HyperliquidAccount): Promise<typeof walletScores.$inferInsert> {
    const now = this.clock.now();
    const history = await this.o.db
      .select({ raw: onchainEvents.rawData, time: onchainEvents.occurredAt, txHash: onchainEvents.txHash, logIndex: onchainEvents.logIndex, bias: eventAnalyses.biasImpact })
      .from(onchainEvents)
      .leftJoin(eventAnalyses, eq(eventAnalyses.eventId, onchainEvents.id))
      .where(and(eq(onchainEvents.walletId, t.id), eq(onchainEvents.chain, HYPERLIQUID_CHAIN), isNull(onchainEvents.retractedAt)))
      .orderBy(desc(onchainEvents.occurredAt))
      .limit(SCORE_HISTORY);
    const implied = (bias: number | null): ImpliedMove => (bias === null || bias === 0 ? 'neutral' : bias > 0 ? 'up' : 'down');
    const all = new Map<string, StoredFill>();
    for (const h of history) {
      const r = h.raw as Record<string, unknown> | null;
      if (!r || r.kind !== 'perp_fill') continue;
      all.set(`${h.txHash}:${String(h.logIndex)}`, {
        px: new D(String(r.px)),
        sz: new D(String(r.sz)),
        time: h.time.getTime(),
        closedPnl: new D(String(r.closedPnl)),
        side: r.side === 'buy' ? 'buy' : 'sell',
        maker: r.crossed !== true,
        coin: String(r.coin),
        implied: implied(h.bias === null ? null : Number(h.bias)),
      });
    }
    fills.forEach((f, i) => {
      const e = events[i]!;
      all.set(`${e.txHash}:${String(e.logIndex)}`, {
        px: f.px,
        sz: f.sz,
        time: f.time,
        closedPnl: f.closedPnl,
        side: f.side,
        maker: !f.crossed,
        coin: f.coin,
        implied: implied(e.analysis.biasImpact),
      });
    });
    const list = [...all.values()];
    const stats = perpTraderStats(list, now.getTime());
    const outcomes: EventOutcome[] = [];
    for (const f of list.filter((x) => x.implied !== 'neutral').slice(0, 200)) {
      const priceAfter: Partial<Record<CredibilityWindow, Dec | null>> = {};
      for (const w of CREDIBILITY_WINDOWS) {
        const at = f.time + WINDOW_MS[w];
        if (at <= now.getTime()) priceAfter[w] = await this.prices.usdPrice(f.coin, new Date(at));
      }
      outcomes.push({ implied: f.implied, priceAtEvent: f.px, priceAfter });
    }
    const cred = credibilityScores(outcomes);
    const credibility = (w: CredibilityWindow): string | null => (cred[w].samples > 0 ? rateText(cred[w].credibility) : null);
    const archetype = archetypeOf({ isKnownExchange: false, events: list.map((f) => ({ implied: f.implied })), fills: list.map((f) => ({ side: f.side, maker: f.maker })) });
    return {
      walletId: t.id,
      scoredAt: now,
      credibility1h: credibility('1h'),
      credibility4h: credibility('4h'),
      credibility24h: credibility('24h'),
      equityUsd: moneyText(account.accountValue),
      tradingVolume24h: moneyText(stats.volume24h),
      winRate: stats.winRate === undefined ? null : rateText(stats.winRate),
      archetype: archetype.archetype,
    };
  }
}
