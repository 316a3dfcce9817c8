// The alert engine: evaluates every active alert rule on each venue price update for the symbols the
// rules read, and on a schedule (the sweep) that also recomputes indicator readings from stored
// candles, reloads rules changed elsewhere and re-delivers notifications that failed.
//
// Exactly once per crossing, across restarts and across engines. A rule's crossing state (the
// domain's `ConditionState`) lives in `alert_rules.last_state`. Whenever an evaluation would change
// it, the engine locks the rule row (SELECT … FOR UPDATE), re-evaluates against the state in the
// database (which another engine may have moved on) and writes the new state — and, on a crossing,
// the `alerts` row keyed by the crossing's trigger key — in one transaction. unique(rule_id,
// trigger_key) backs this up: the same crossing can never be recorded twice. Notifications are sent
// after commit; an alert is claimed (is_sent) before sending, and un-claimed if sending fails so the
// next sweep retries it.
//
// Several instances on one Postgres: evaluations and sweeps run only on the instance holding the
// `alerts` lease (src/services/cluster/leases.ts), so the work is done once; the row lock and the
// unique key above already make a second engine's crossing a no-op, and the is_sent claim makes a
// notification go out once.
//
// Stale prices never trigger (reliability 11): a venue price older than its limit, from the future
// or not positive is not an input; the rule waits, the reason is logged and shown by `status()`.
//
// Whale conditions read recent on-chain moves (src/services/wallets/whale-moves.ts), loaded once per
// sweep for the assets the rules name; a rule whose only leaves are whale moves is evaluated by the
// sweep alone. When they cannot be loaded the rule waits (missing input), as for a refused price.
import { randomUUID } from 'node:crypto';
import { and, eq, gt, isNotNull, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { alertRules, alerts } from '../../db/schema/index.js';
import { withTransaction } from '../../db/tx.js';
import {
  conditionRequirements,
  evaluateCondition,
  indicatorKey,
  indicatorReadings,
  initialConditionState,
  parseAlertCondition,
  type AlertCondition,
  type ConditionInputs,
  type ConditionRequirements,
  type ConditionState,
  type IndicatorReadings,
  type IndicatorRequirement,
  type PricePoint,
  type WhaleMove,
} from '../../domain/alert-conditions.js';
import type { Dec } from '../../domain/money.js';
import { TIMEFRAME_MS, type Clock, type Notification, type Notifier, type PriceFeed, type PriceQuote, type Timeframe, type Unsubscribe } from '../../domain/ports.js';
import { systemClock } from '../../adapters/system-clock.js';
import type { Logger } from '../../log.js';
import { writeAudit } from '../audit.js';
import { LeaseJob, soleInstance, type LeaseGate } from '../cluster/leases.js';
import type { EventBus } from '../events.js';
import type { MarketService } from '../market-data/market-service.js';
import { unrefTimers, type PollTimers } from '../market-data/venue-feed.js';
import { loadWhaleMoves } from '../wallets/whale-moves.js';

export interface AlertEngineOptions {
  db: Db;
  market: MarketService;
  notifier: Notifier;
  events?: EventBus;
  clock?: Clock;
  logger?: Logger;
  /** The price stream to evaluate on. Default: the market's venue feed. `null`: none (drive `handleQuote`). */
  feed?: PriceFeed | null;
  /** Sweep period; 0 turns the timer off (call `sweep()` yourself). Default 60 s. */
  sweepIntervalMs?: number;
  /** Run a sweep as soon as the engine starts. Default true. */
  initialSweep?: boolean;
  timers?: PollTimers;
  /** Undelivered alerts younger than this are re-sent by the sweep. Default 24 h. */
  redeliverWindowMs?: number;
}

export interface FiredAlert {
  alertId: string;
  ruleId: string;
  userId: string;
  title: string;
  message: string;
  symbol: string | null;
  triggerKey: string;
  at: Date;
}

export interface AlertEngineStatus {
  running: boolean;
  rules: number;
  watchedSymbols: string[];
  /** Symbols whose latest price was refused, with the reason. */
  refusedPrices: Record<string, string>;
  /** Per rule id: inputs missing at the last evaluation, in words. */
  waiting: Record<string, string[]>;
}

interface LoadedRule {
  id: string;
  userId: string;
  title: string;
  condition: AlertCondition;
  requirements: ConditionRequirements;
  state: ConditionState;
}

/** The stored state: the domain's crossing state plus what was read, for people and the audit trail. */
function parseState(raw: Record<string, unknown> | null, condition: AlertCondition): ConditionState {
  const fresh = initialConditionState(condition);
  if (!raw) return fresh;
  const { fingerprint, holds, since, moves } = raw as { fingerprint?: unknown; holds?: unknown; since?: unknown; moves?: unknown };
  if (fingerprint !== fresh.fingerprint) return fresh;
  if (!(holds === null || typeof holds === 'boolean') || !(since === null || typeof since === 'string')) return fresh;
  if (!('moves' in fresh)) return { fingerprint, holds, since };
  return { fingerprint, holds, since, moves: typeof moves === 'string' ? moves : null };
}

function sameState(a: ConditionState, b: ConditionState): boolean {
  return a.fingerprint === b.fingerprint && a.holds === b.holds && a.since === b.since && (a.moves ?? null) === (b.moves ?? null);
}

/** price, indicator, onchain (whale moves), or combined (several kinds of leaf), for the alert row's category. */
function categoryOf(condition: AlertCondition): string {
  const kinds = new Set<string>();
  const walk = (c: AlertCondition): void => {
    if (c.type === 'all') c.conditions.forEach(walk);
    else kinds.add(c.type === 'whale_move' ? 'onchain' : c.type === 'price_above' || c.type === 'price_below' || c.type === 'percent_move' ? 'price' : 'indicator');
  };
  walk(condition);
  return kinds.size > 1 ? 'combined' : [...kinds][0] ?? 'price';
}

export class AlertEngine {
  private readonly db: Db;
  private readonly market: MarketService;
  private readonly notifier: Notifier;
  private readonly clock: Clock;
  private readonly logger: Logger | undefined;
  private readonly feed: PriceFeed | null;
  private readonly timers: PollTimers;
  private rules = new Map<string, LoadedRule>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly latest = new Map<string, PriceQuote>();
  private readonly history = new Map<string, PricePoint[]>();
  private readonly readings = new Map<string, IndicatorReadings>();
  private readonly refused = new Map<string, string>();
  /** Recent on-chain moves for whale leaves, as of the last sweep (undefined: not loaded). */
  private whaleMoves: WhaleMove[] | undefined;
  private readonly waiting = new Map<string, string[]>();
  private watched = new Set<string>();
  private readonly subscriptions = new Map<string, Unsubscribe>();
  private offEvents: (() => void) | undefined;
  private sweepHandle: unknown;
  private sweeping: Promise<void> | undefined;
  private reloading: Promise<void> | undefined;
  private reloadQueued = false;
  private running = false;
  private leases: LeaseGate = soleInstance;

  constructor(private readonly opts: AlertEngineOptions) {
    this.db = opts.db;
    this.market = opts.market;
    this.notifier = opts.notifier;
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger;
    this.feed = opts.feed === undefined ? opts.market.venueFeed : opts.feed;
    this.timers = opts.timers ?? unrefTimers;
  }

  // ---------------------------------------------------------------------------------------------
  // Life cycle
  // ---------------------------------------------------------------------------------------------

  /** Sets the lease gate: evaluations and sweeps run only while this instance holds `alerts`. */
  useLeases(leases: LeaseGate): void {
    this.leases = leases;
  }

  /** Loads the active rules (with their stored state), subscribes to prices and starts the sweep. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.reload();
    this.offEvents = this.opts.events?.on((e) => {
      if (e.type === 'alert.rules.changed') this.scheduleReload();
    });
    const every = this.opts.sweepIntervalMs ?? 60_000;
    if (every > 0) this.sweepHandle = this.timers.setInterval(() => void this.sweep(), every);
    if (this.opts.initialSweep ?? true) void this.sweep();
  }

  /** Stops the stream and the sweep and waits for evaluations in flight. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.sweepHandle !== undefined) this.timers.clearInterval(this.sweepHandle);
    this.sweepHandle = undefined;
    for (const off of this.subscriptions.values()) off();
    this.subscriptions.clear();
    this.watched = new Set();
    this.offEvents?.();
    this.offEvents = undefined;
    await this.sweeping;
    await this.reloading;
    await Promise.all([...this.chains.values()]);
  }

  status(): AlertEngineStatus {
    return {
      running: this.running,
      rules: this.rules.size,
      watchedSymbols: [...this.watched].sort(),
      refusedPrices: Object.fromEntries(this.refused),
      waiting: Object.fromEntries([...this.waiting].filter(([, m]) => m.length > 0)),
    };
  }

  /** Re-reads the active rules and their stored state; re-subscribes when the symbols changed. */
  async reload(): Promise<void> {
    const run = async (): Promise<void> => {
      const rows = await this.db.select().from(alertRules).where(eq(alertRules.status, 'active'));
      const next = new Map<string, LoadedRule>();
      for (const r of rows) {
        const parsed = parseAlertCondition(r.condition);
        if (!parsed.ok) {
          this.logger?.warn('alert rule has an unreadable condition; skipped', { ruleId: r.id, error: parsed.error });
          continue;
        }
        next.set(r.id, {
          id: r.id,
          userId: r.userId,
          title: r.title,
          condition: parsed.value,
          requirements: conditionRequirements(parsed.value),
          state: parseState(r.lastState, parsed.value),
        });
      }
      this.rules = next;
      for (const id of this.waiting.keys()) if (!next.has(id)) this.waiting.delete(id);
      this.resubscribe();
    };
    const p = (this.reloading ?? Promise.resolve()).then(run, run);
    this.reloading = p;
    try {
      await p;
    } finally {
      if (this.reloading === p) this.reloading = undefined;
    }
  }

  private scheduleReload(): void {
    if (this.reloadQueued) return;
    this.reloadQueued = true;
    queueMicrotask(() => {
      this.reloadQueued = false;
      if (!this.running) return;
      this.reload().catch((err: unknown) => this.logger?.error('alert rules reload failed', { error: err }));
    });
  }

  /** One subscription per symbol, so a symbol the feed cannot price never silences the others. */
  private resubscribe(): void {
    const symbols = new Set<string>();
    for (const r of this.rules.values()) for (const s of r.requirements.prices) symbols.add(s);
    this.watched = symbols;
    for (const s of [...this.latest.keys()]) if (!symbols.has(s)) this.latest.delete(s);
    for (const [s, off] of [...this.subscriptions]) {
      if (symbols.has(s) && this.running) continue;
      off();
      this.subscriptions.delete(s);
    }
    if (!this.running || !this.feed) return;
    for (const s of symbols) {
      if (this.subscriptions.has(s)) continue;
      this.subscriptions.set(
        s,
        this.feed.subscribe(
          [s],
          (q) => {
            this.handleQuote(q).catch((err: unknown) => this.logger?.error('alert evaluation failed', { error: err }));
          },
          { onError: (err) => this.logger?.warn('alert price stream error', { symbol: s, error: err.message }) },
        ),
      );
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Inputs
  // ---------------------------------------------------------------------------------------------

  /**
   * A venue price update (the feed's callback; public so tests and other feeds can drive it). A
   * refused price is not used: it clears the symbol's latest price until a usable one arrives.
   */
  async handleQuote(q: PriceQuote): Promise<void> {
    if (!this.acceptQuote(q) || !this.leases.holds(LeaseJob.alerts)) return;
    await Promise.all([...this.rules.values()].filter((r) => r.requirements.prices.includes(q.symbol)).map((r) => this.evaluate(r.id)));
  }

  /** Records `q` as the symbol's latest price when it passes the freshness checks. */
  private acceptQuote(q: PriceQuote): boolean {
    if (!this.watched.has(q.symbol)) return false;
    const refusal = this.market.refusalOf(q, 'venue');
    if (refusal) {
      if (this.refused.get(q.symbol) !== refusal.message) this.logger?.warn('alert price refused; rules on it wait', { symbol: q.symbol, reason: refusal.message });
      this.refused.set(q.symbol, refusal.message);
      this.latest.delete(q.symbol);
      return false;
    }
    if (this.refused.delete(q.symbol)) this.logger?.info('alert prices usable again', { symbol: q.symbol });
    this.latest.set(q.symbol, q);
    const points = this.history.get(q.symbol);
    if (points) {
      // Keep about a thousand points per window: enough for the window's start price, bounded memory.
      const spacing = Math.max(1_000, this.historyWindowMs(q.symbol) / 1_000);
      const last = points[points.length - 1];
      if (!last || q.publishTime.getTime() - last.time.getTime() >= spacing) points.push({ time: q.publishTime, price: q.price });
      this.trimHistory(q.symbol);
    } else if (this.historyWindowMs(q.symbol) > 0) {
      this.history.set(q.symbol, [{ time: q.publishTime, price: q.price }]);
    }
    return true;
  }

  private historyWindowMs(symbol: string): number {
    let max = 0;
    for (const r of this.rules.values()) for (const h of r.requirements.priceHistory) if (h.symbol === symbol) max = Math.max(max, h.windowMinutes * 60_000);
    return max;
  }

  private trimHistory(symbol: string): void {
    const points = this.history.get(symbol);
    if (!points) return;
    const keepFrom = this.clock.now().getTime() - this.historyWindowMs(symbol) - 10 * 60_000;
    let drop = 0;
    // Keep one point older than the window: it is the reference for the window's start.
    while (drop + 1 < points.length && points[drop + 1]!.time.getTime() < keepFrom) drop++;
    if (drop > 0) points.splice(0, drop);
  }

  private inputsFor(rule: LoadedRule, now: Date): ConditionInputs {
    const prices: Record<string, Dec> = {};
    for (const s of rule.requirements.prices) {
      const q = this.latest.get(s);
      // The latest price must still be usable now, not only when it arrived.
      if (q && !this.market.refusalOf(q, 'venue')) prices[s] = q.price;
    }
    const history: Record<string, PricePoint[]> = {};
    for (const h of rule.requirements.priceHistory) {
      const points = this.history.get(h.symbol);
      if (points) history[h.symbol] = points;
    }
    const indicators: Record<string, IndicatorReadings> = {};
    for (const c of rule.requirements.candles) {
      const key = indicatorKey(c.symbol, c.timeframe);
      const r = this.readings.get(key);
      if (r) indicators[key] = r;
    }
    const inputs: ConditionInputs = { now, prices, history, indicators };
    return rule.requirements.whaleMoves && this.whaleMoves ? { ...inputs, whaleMoves: this.whaleMoves } : inputs;
  }

  // ---------------------------------------------------------------------------------------------
  // Sweep
  // ---------------------------------------------------------------------------------------------

  /**
   * Reloads rules, refreshes prices (from the feed) and indicator readings (from stored candles,
   * closed bars only), seeds price history for percent moves, evaluates every rule, and re-sends
   * undelivered notifications. Concurrent calls share one run.
   */
  async sweep(): Promise<void> {
    if (this.sweeping) return this.sweeping;
    if (!this.leases.holds(LeaseJob.alerts)) return;
    this.sweeping = this.sweepOnce()
      .catch((err: unknown) => this.logger?.error('alert sweep failed', { error: err }))
      .finally(() => {
        this.sweeping = undefined;
      });
    return this.sweeping;
  }

  private async sweepOnce(): Promise<void> {
    await this.reload();
    const now = this.clock.now();
    if (this.feed && this.watched.size > 0) {
      await Promise.all(
        [...this.watched].map((s) =>
          this.feed!.getQuote(s).then(
            (q) => void this.acceptQuote(q),
            (err: unknown) => this.logger?.debug('alert sweep could not price a symbol', { symbol: s, error: err }),
          ),
        ),
      );
    }
    await this.refreshReadings();
    await this.seedHistory(now);
    await this.refreshWhaleMoves(now);
    await Promise.all([...this.rules.keys()].map((id) => this.evaluate(id)));
    await this.redeliver(now);
  }

  private async refreshReadings(): Promise<void> {
    const wanted = new Map<string, { symbol: string; timeframe: Timeframe; count: number; reqs: IndicatorRequirement[] }>();
    for (const r of this.rules.values()) {
      for (const c of r.requirements.candles) {
        const key = indicatorKey(c.symbol, c.timeframe);
        const w = wanted.get(key) ?? { symbol: c.symbol, timeframe: c.timeframe, count: 0, reqs: [] };
        w.count = Math.max(w.count, c.count);
        for (const req of r.requirements.indicators) {
          if (req.symbol === c.symbol && req.timeframe === c.timeframe && !w.reqs.some((x) => JSON.stringify(x) === JSON.stringify(req))) w.reqs.push(req);
        }
        wanted.set(key, w);
      }
    }
    for (const key of [...this.readings.keys()]) if (!wanted.has(key)) this.readings.delete(key);
    await Promise.all(
      [...wanted.entries()].map(async ([key, w]) => {
        try {
          const series = await this.market.loadCandles(w.symbol, w.timeframe, { limit: Math.min(1_000, w.count + 1), closedOnly: true });
          const closes = new Float64Array(series.candles.length);
          series.candles.forEach((c, i) => (closes[i] = c.close.toNumber()));
          this.readings.set(key, indicatorReadings(closes, w.reqs));
        } catch (err) {
          this.readings.delete(key);
          this.logger?.warn('alert indicators unavailable', { symbol: w.symbol, timeframe: w.timeframe, error: err instanceof Error ? err.message : String(err) });
        }
      }),
    );
  }

  /** On-chain moves of the assets whale leaves name, back to the longest look-back asked for. */
  private async refreshWhaleMoves(now: Date): Promise<void> {
    let minutes = 0;
    const assets = new Set<string>();
    for (const r of this.rules.values()) {
      for (const w of r.requirements.whaleMoves ?? []) {
        assets.add(w.asset);
        minutes = Math.max(minutes, w.withinMinutes);
      }
    }
    if (assets.size === 0) {
      this.whaleMoves = undefined;
      return;
    }
    try {
      this.whaleMoves = await loadWhaleMoves(this.db, [...assets], new Date(now.getTime() - minutes * 60_000), now);
    } catch (err) {
      this.whaleMoves = undefined;
      this.logger?.warn('alert whale moves unavailable', { error: err instanceof Error ? err.message : String(err) });
    }
  }

  /** Price history for percent moves, from stored candles where the live stream does not reach back. */
  private async seedHistory(now: Date): Promise<void> {
    const windows = new Map<string, number>();
    for (const r of this.rules.values()) for (const h of r.requirements.priceHistory) windows.set(h.symbol, Math.max(windows.get(h.symbol) ?? 0, h.windowMinutes * 60_000));
    for (const s of [...this.history.keys()]) if (!windows.has(s)) this.history.delete(s);
    await Promise.all(
      [...windows.entries()].map(async ([symbol, windowMs]) => {
        const points = this.history.get(symbol) ?? [];
        const start = now.getTime() - windowMs;
        if (points.length > 0 && points[0]!.time.getTime() <= start) return;
        const tf: Timeframe = windowMs <= 600 * 60_000 ? '1m' : windowMs <= 3_000 * 60_000 ? '5m' : '1h';
        const tfMs = TIMEFRAME_MS[tf];
        try {
          const series = await this.market.loadCandles(symbol, tf, {
            since: new Date(start - 2 * tfMs),
            limit: Math.min(1_000, Math.ceil(windowMs / tfMs) + 3),
            closedOnly: true,
          });
          const firstLive = points[0]?.time.getTime() ?? Number.POSITIVE_INFINITY;
          const fromCandles: PricePoint[] = series.candles
            .map((c) => ({ time: new Date(c.openTime.getTime() + tfMs), price: c.close }))
            .filter((p) => p.time.getTime() < firstLive);
          this.history.set(symbol, [...fromCandles, ...points]);
        } catch (err) {
          this.logger?.warn('alert price history unavailable', { symbol, error: err instanceof Error ? err.message : String(err) });
        }
      }),
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Evaluation
  // ---------------------------------------------------------------------------------------------

  /** Evaluates one rule; evaluations of the same rule run one after another. */
  private evaluate(ruleId: string): Promise<void> {
    const previous = this.chains.get(ruleId) ?? Promise.resolve();
    const next = previous
      .then(() => this.evaluateNow(ruleId))
      .catch((err: unknown) => this.logger?.error('alert evaluation failed', { ruleId, error: err }));
    this.chains.set(ruleId, next);
    void next.finally(() => {
      if (this.chains.get(ruleId) === next) this.chains.delete(ruleId);
    });
    return next;
  }

  private async evaluateNow(ruleId: string): Promise<void> {
    const rule = this.rules.get(ruleId);
    if (!rule) return;
    const now = this.clock.now();
    const inputs = this.inputsFor(rule, now);
    const ev = evaluateCondition(rule.condition, inputs, rule.state);
    this.waiting.set(rule.id, ev.missing);
    if (sameState(ev.state, rule.state)) return;
    const outcome = await this.commit(rule, inputs, now);
    if (outcome.removed) {
      this.rules.delete(rule.id);
      this.resubscribe();
      return;
    }
    rule.state = outcome.state;
    if (outcome.fired) {
      if (outcome.finished) {
        this.rules.delete(rule.id);
        this.resubscribe();
      }
      await this.announce(outcome.fired);
    }
  }

  /** The locked, authoritative step: re-evaluate on the stored state, record a crossing, save the state. */
  private async commit(
    rule: LoadedRule,
    inputs: ConditionInputs,
    now: Date,
  ): Promise<{ removed?: true; state: ConditionState; fired?: FiredAlert; finished?: boolean }> {
    return withTransaction(this.db, async (tx) => {
      const [row] = await tx.select().from(alertRules).where(eq(alertRules.id, rule.id)).for('update');
      if (!row || row.status !== 'active') return { removed: true as const, state: rule.state };
      const stored = parseState(row.lastState, rule.condition);
      const ev = evaluateCondition(rule.condition, inputs, stored);
      if (sameState(ev.state, stored)) return { state: stored };
      const lastState: Record<string, unknown> = { ...ev.state, detail: ev.detail, evaluatedAt: now.toISOString() };
      if (!ev.met || !ev.triggerKey) {
        await tx.update(alertRules).set({ lastState }).where(eq(alertRules.id, rule.id));
        return { state: ev.state };
      }
      const cooldownMs = row.mode === 'repeat' ? row.cooldownSeconds * 1000 : 0;
      if (row.lastTriggeredAt && cooldownMs > 0 && now.getTime() - row.lastTriggeredAt.getTime() < cooldownMs) {
        // A crossing inside the cooldown is consumed without firing.
        await tx.update(alertRules).set({ lastState: { ...lastState, suppressed: 'cooldown' } }).where(eq(alertRules.id, rule.id));
        return { state: ev.state };
      }
      const simulated = this.market.simulated;
      const message = `${ev.detail}${simulated ? ' [simulated prices]' : ''}`;
      const [inserted] = await tx
        .insert(alerts)
        .values({
          userId: row.userId,
          ruleId: row.id,
          triggerKey: ev.triggerKey,
          title: row.title,
          message,
          severity: 'info',
          category: categoryOf(rule.condition),
          symbol: row.symbol,
          data: { triggerKey: ev.triggerKey, description: ev.description, detail: ev.detail, prices: inputs.prices, simulated },
          createdAt: now,
        })
        .onConflictDoNothing({ target: [alerts.ruleId, alerts.triggerKey] })
        .returning({ id: alerts.id });
      const finished = row.mode === 'once';
      if (!inserted) {
        // Recorded already (by another engine): only the state moves on.
        await tx.update(alertRules).set({ lastState }).where(eq(alertRules.id, rule.id));
        return { state: ev.state };
      }
      await tx
        .update(alertRules)
        .set({
          lastState,
          lastTriggeredAt: now,
          triggerCount: sql`${alertRules.triggerCount} + 1`,
          status: finished ? 'triggered' : 'active',
        })
        .where(eq(alertRules.id, rule.id));
      await writeAudit(tx, { system: true, traceId: randomUUID() }, {
        action: 'alert.triggered',
        entityType: 'alert_rule',
        entityId: row.id,
        newValue: { alertId: inserted.id, triggerKey: ev.triggerKey, detail: ev.detail, status: finished ? 'triggered' : 'active' },
        metadata: { userId: row.userId },
      });
      return {
        state: ev.state,
        finished,
        fired: { alertId: inserted.id, ruleId: row.id, userId: row.userId, title: row.title, message, symbol: row.symbol, triggerKey: ev.triggerKey, at: now },
      };
    });
  }

  private async announce(f: FiredAlert): Promise<void> {
    this.opts.events?.emit({ type: 'alert.triggered', userId: f.userId, alertId: f.alertId, ruleId: f.ruleId, title: f.title, message: f.message, severity: 'info', symbol: f.symbol });
    await this.deliver(f.alertId, {
      userId: f.userId,
      kind: 'alert',
      title: `Alert: ${f.title}`,
      body: f.message,
      data: { alertId: f.alertId, ruleId: f.ruleId, symbol: f.symbol, triggerKey: f.triggerKey },
    });
  }

  /** Claims the alert (is_sent), sends it, and releases the claim if sending failed. */
  private async deliver(alertId: string, n: Notification): Promise<void> {
    const claimed = await this.db
      .update(alerts)
      .set({ isSent: true, sentAt: this.clock.now() })
      .where(and(eq(alerts.id, alertId), eq(alerts.isSent, false)))
      .returning({ id: alerts.id });
    if (claimed.length === 0) return;
    try {
      await this.notifier.notify(n);
    } catch (err) {
      this.logger?.warn('alert notification failed; the next sweep retries it', { alertId, error: err });
      await this.db.update(alerts).set({ isSent: false, sentAt: null }).where(eq(alerts.id, alertId));
    }
  }

  private async redeliver(now: Date): Promise<void> {
    const since = new Date(now.getTime() - (this.opts.redeliverWindowMs ?? 86_400_000));
    const pending = await this.db
      .select()
      .from(alerts)
      .where(and(eq(alerts.isSent, false), isNotNull(alerts.ruleId), isNotNull(alerts.userId), gt(alerts.createdAt, since)))
      .limit(100);
    for (const a of pending) {
      await this.deliver(a.id, {
        userId: a.userId!,
        kind: 'alert',
        title: `Alert: ${a.title}`,
        body: a.message,
        data: { alertId: a.id, ruleId: a.ruleId, symbol: a.symbol, triggerKey: a.triggerKey },
      });
    }
  }
}
