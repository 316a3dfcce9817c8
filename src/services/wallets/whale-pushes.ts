// Whale pushes: after each ingestion run, every watcher of a wallet gets one push per new on-chain
// event of that wallet — what happened (classification, amount, asset, USD notional, the watcher's
// label or the short address), the analysis narrative, the bias impact in a word and the wallet's
// latest 4 h credibility with its sample count.
//
// Exactly once per (watcher, event), with one instance or several, across crashes and replays: each
// push is first recorded as an `alerts` row (rule_id null, category `onchain`, trigger key
// `wallet-event:<event id>`) by an insert that the partial unique index `alerts_system_trigger_unique`
// (user_id, trigger_key) refuses the second time; the row is then claimed (is_sent) before sending and
// un-claimed when sending fails, so the next run retries it (within a day). Candidates are found by a
// scan (events without their watcher's alert row), not by the run's own list, so a crash between
// storing an event and pushing it only delays the push.
//
// What is pushed (the anti-spam rule):
// - counted events only: not retracted (an orphaned block's event is never pushed; a revived one is);
// - only events at or after the watcher's own watch began and never backfilled ones (history fetched
//   for a new watch, backfill.ts, is on the wallet's card, not pushed) and at most `MAX_PUSH_AGE_MS` (24 h) old when
//   found (after a long outage, day-old moves are news no more);
// - only events with a known USD notional of at least `MIN_PUSH_NOTIONAL_USD` ($10,000): dust,
//   unpriced tokens and tiny fills stay on the card;
// - not `no_change` or `internal_transfer` analyses (they change nobody's exposure);
// - at most `MAX_PUSHES_PER_RUN` new rows per run (oldest first); the rest go out on the next run.
// Whether a recorded push reaches a chat is the watcher's notification preference for kind `whale`
// (on / silent / off), applied by the notifier.
import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, gt, inArray, isNull, like, lte, ne, sql } from 'drizzle-orm';
import { systemClock } from '../../adapters/system-clock.js';
import type { Db, Executor } from '../../db/client.js';
import { alerts, eventAnalyses, onchainEvents, walletScores, walletWatches, wallets } from '../../db/schema/index.js';
import { D, type Dec } from '../../domain/money.js';
import type { Clock, Notification, Notifier } from '../../domain/ports.js';
import { shortAddress } from '../../domain/wallets/address.js';
import { formatAmount, formatUsd, safeSymbol } from '../../domain/wallets/classify.js';
import { WINDOW_MS } from '../../domain/wallets/credibility.js';
import type { Logger } from '../../log.js';
import type { EventBus } from '../events.js';
import { isBackfilled } from './event-store.js';

export const MIN_PUSH_NOTIONAL_USD = new D(10_000);
export const MAX_PUSH_AGE_MS = 86_400_000;
export const MAX_PUSHES_PER_RUN = 200;
/** Classifications never pushed: they change no exposure. */
export const QUIET_CLASSIFICATIONS: readonly string[] = ['no_change', 'internal_transfer'];
/** Prefix of the trigger key of a whale push. */
export const WALLET_EVENT_KEY = 'wallet-event:';

export interface WhalePushOptions {
  db: Db;
  notifier: Notifier;
  events?: EventBus;
  clock?: Clock;
  logger?: Logger;
}

export interface WhalePushReport {
  /** Alert rows written by this run (one per watcher and event). */
  recorded: number;
  /** Pushes handed to the notifier (new ones and retries of earlier failures). */
  sent: number;
}

/** Credibility of a wallet for a push: the latest 4 h score and how many past moves it rests on. */
export interface CredibilityView {
  credibility4h: number | null;
  samples: number;
  scoredAt: Date | null;
}

const plain = (s: string): string => s.replace(/[\p{Cc}<>]/gu, ' ').replace(/\s+/g, ' ').trim();

/** Bias impact (−1…1) in a word. */
export function biasWord(impact: number | null): string {
  if (impact === null || !Number.isFinite(impact) || impact === 0) return 'neutral';
  const side = impact > 0 ? 'bullish' : 'bearish';
  const a = Math.abs(impact);
  return a >= 0.6 ? `strongly ${side}` : a >= 0.3 ? side : `mildly ${side}`;
}

/**
 * The wallet's latest score at or before `at` and its sample count: directional events (bias impact
 * not zero, not retracted) whose 4 h window had passed when it was scored. `wallet_scores` keeps no
 * sample count, so this counts the moves old enough to have been judged.
 */
export async function credibilityAt(ex: Executor, walletId: string, at: Date): Promise<CredibilityView> {
  const [score] = await ex
    .select({ scoredAt: walletScores.scoredAt, c4: walletScores.credibility4h })
    .from(walletScores)
    .where(and(eq(walletScores.walletId, walletId), lte(walletScores.scoredAt, at)))
    .orderBy(desc(walletScores.scoredAt))
    .limit(1);
  if (!score) return { credibility4h: null, samples: 0, scoredAt: null };
  const judgedBefore = new Date(score.scoredAt.getTime() - WINDOW_MS['4h']);
  const [row] = await ex
    .select({ n: sql<number>`count(*)::int` })
    .from(onchainEvents)
    .innerJoin(eventAnalyses, eq(eventAnalyses.eventId, onchainEvents.id))
    .where(and(eq(onchainEvents.walletId, walletId), isNull(onchainEvents.retractedAt), lte(onchainEvents.occurredAt, judgedBefore), ne(eventAnalyses.biasImpact, '0')));
  return { credibility4h: score.c4 === null ? null : Number(score.c4), samples: row?.n ?? 0, scoredAt: score.scoredAt };
}

export interface WhaleEventFacts {
  chain: string;
  address: string;
  /** The watcher's own label (untrusted text). */
  label: string | null;
  occurredAt: Date;
  eventType: string;
  asset: string | null;
  amount: Dec | null;
  notionalUsd: Dec | null;
  classification: string | null;
  narrative: string | null;
  biasImpact: number | null;
  credibility: CredibilityView;
}

/** The push for one event, as plain text. */
export function whalePushText(f: WhaleEventFacts): { title: string; body: string } {
  const label = f.label ? plain(f.label).slice(0, 40) : '';
  const who = label ? `${label} (${shortAddress(f.address)})` : shortAddress(f.address);
  const what = (f.classification ?? f.eventType).replace(/_/g, ' ');
  const asset = safeSymbol(f.asset);
  const amount = f.amount ? `${formatAmount(f.amount.abs())} ${asset}` : asset;
  const usd = f.notionalUsd ? ` (≈ ${formatUsd(f.notionalUsd)})` : '';
  const cred = f.credibility.credibility4h === null
    ? 'not scored yet'
    : `${f.credibility.credibility4h.toFixed(1)}/10 over ${String(f.credibility.samples)} past move${f.credibility.samples === 1 ? '' : 's'}`;
  const lines = [
    ...(f.narrative ? [plain(f.narrative)] : []),
    `Bias: ${biasWord(f.biasImpact)} for ${asset}.`,
    `Credibility (4h): ${cred}.`,
    `On ${f.chain}, ${f.occurredAt.toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
  ];
  return { title: `🐋 ${who}: ${what} ${amount}${usd}`, body: lines.join('\n') };
}

export class WhalePushes {
  private readonly clock: Clock;

  constructor(private readonly o: WhalePushOptions) {
    this.clock = o.clock ?? systemClock;
  }

  /** Records a push for every new qualifying (watcher, event), then sends every unsent one. */
  async runOnce(): Promise<WhalePushReport> {
    const now = this.clock.now();
    const recorded = await this.record(now);
    const sent = await this.deliverPending(now);
    return { recorded, sent };
  }

  private async record(now: Date): Promise<number> {
    const db = this.o.db;
    const since = new Date(now.getTime() - MAX_PUSH_AGE_MS);
    const key = sql<string>`${WALLET_EVENT_KEY} || ${onchainEvents.id}::text`;
    const candidates = await db
      .select({ e: onchainEvents, a: eventAnalyses, userId: walletWatches.userId, label: walletWatches.label, address: wallets.address })
      .from(onchainEvents)
      .innerJoin(walletWatches, eq(walletWatches.walletId, onchainEvents.walletId))
      .innerJoin(wallets, eq(wallets.id, onchainEvents.walletId))
      .leftJoin(eventAnalyses, eq(eventAnalyses.eventId, onchainEvents.id))
      .where(
        and(
          isNull(onchainEvents.retractedAt),
          gt(onchainEvents.occurredAt, since),
          lte(onchainEvents.occurredAt, now),
          sql`${onchainEvents.occurredAt} >= ${walletWatches.createdAt}`,
          sql`not ${isBackfilled}`,
          sql`${onchainEvents.notionalUsd} >= ${MIN_PUSH_NOTIONAL_USD.toFixed()}`,
          sql`coalesce(${eventAnalyses.llmClassification}, '') not in (${sql.join(QUIET_CLASSIFICATIONS.map((c) => sql`${c}`), sql`, `)})`,
          sql`not exists (select 1 from ${alerts} where ${alerts.userId} = ${walletWatches.userId} and ${alerts.ruleId} is null and ${alerts.triggerKey} = ${key})`,
        ),
      )
      .orderBy(asc(onchainEvents.occurredAt), asc(onchainEvents.logIndex))
      .limit(MAX_PUSHES_PER_RUN);
    let recorded = 0;
    const credibility = new Map<string, CredibilityView>();
    for (const c of candidates) {
      const walletId = c.e.walletId!;
      let cred = credibility.get(walletId);
      if (!cred) {
        cred = await credibilityAt(db, walletId, now);
        credibility.set(walletId, cred);
      }
      const biasImpact = c.a?.biasImpact == null ? null : Number(c.a.biasImpact);
      const facts: WhaleEventFacts = {
        chain: c.e.chain,
        address: c.address,
        label: c.label,
        occurredAt: c.e.occurredAt,
        eventType: c.e.eventType,
        asset: c.e.asset,
        amount: c.e.amount === null ? null : new D(c.e.amount),
        notionalUsd: c.e.notionalUsd === null ? null : new D(c.e.notionalUsd),
        classification: c.a?.llmClassification ?? null,
        narrative: c.a?.llmNarrative ?? null,
        biasImpact,
        credibility: cred,
      };
      const text = whalePushText(facts);
      const triggerKey = `${WALLET_EVENT_KEY}${c.e.id}`;
      const [row] = await db
        .insert(alerts)
        .values({
          userId: c.userId,
          ruleId: null,
          triggerKey,
          title: text.title,
          message: text.body,
          severity: 'info',
          category: 'onchain',
          symbol: c.e.asset,
          data: {
            triggerKey,
            eventId: c.e.id,
            walletId,
            chain: c.e.chain,
            asset: c.e.asset,
            notionalUsd: c.e.notionalUsd,
            classification: facts.classification,
            biasImpact,
            credibility4h: cred.credibility4h,
            samples: cred.samples,
          },
          createdAt: now,
        })
        .onConflictDoNothing()
        .returning({ id: alerts.id });
      if (!row) continue;
      recorded++;
      this.o.events?.emit({ type: 'alert.triggered', userId: c.userId, alertId: row.id, ruleId: null, title: text.title, message: text.body, severity: 'info', symbol: c.e.asset });
    }
    if (recorded > 0) this.o.logger?.info('whale pushes recorded', { recorded, traceId: randomUUID() });
    return recorded;
  }

  /** Sends every unsent whale push of the last day: claimed (is_sent) first, released if sending fails. */
  private async deliverPending(now: Date): Promise<number> {
    const since = new Date(now.getTime() - MAX_PUSH_AGE_MS);
    const pending = await this.o.db
      .select()
      .from(alerts)
      .where(and(eq(alerts.isSent, false), isNull(alerts.ruleId), like(alerts.triggerKey, `${WALLET_EVENT_KEY}%`), gt(alerts.createdAt, since)))
      .orderBy(asc(alerts.createdAt))
      .limit(MAX_PUSHES_PER_RUN);
    let sent = 0;
    for (const a of pending) {
      if (!a.userId) continue;
      const claimed = await this.o.db
        .update(alerts)
        .set({ isSent: true, sentAt: this.clock.now() })
        .where(and(inArray(alerts.id, [a.id]), eq(alerts.isSent, false)))
        .returning({ id: alerts.id });
      if (claimed.length === 0) continue;
      const n: Notification = { userId: a.userId, kind: 'whale', title: a.title, body: a.message, data: { alertId: a.id, symbol: a.symbol, triggerKey: a.triggerKey } };
      try {
        await this.o.notifier.notify(n);
        sent++;
      } catch (err) {
        this.o.logger?.warn('whale push failed; the next run retries it', { alertId: a.id, error: err });
        await this.o.db.update(alerts).set({ isSent: false, sentAt: null }).where(eq(alerts.id, a.id));
      }
    }
    return sent;
  }
}
