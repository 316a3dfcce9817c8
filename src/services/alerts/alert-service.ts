// Alert rules: create (validated against the domain's condition schema, symbols resolved to
// canonical markets, a cap on active rules per user), list (with recently fired alerts) and delete,
// each with its audit row in the same transaction. The alert engine (alert-engine.ts) evaluates the
// active rules; this service only manages them and tells the engine when they change.
import { and, count, desc, eq, inArray, ne, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { alertRules, alerts, users } from '../../db/schema/index.js';
import { withTransaction } from '../../db/tx.js';
import {
  describeCondition,
  parseAlertCondition,
  type AlertCondition,
} from '../../domain/alert-conditions.js';
import { type Clock } from '../../domain/ports.js';
import { systemClock } from '../../adapters/system-clock.js';
import type { Actor } from '../actor.js';
import { writeAudit } from '../audit.js';
import { AppError, ErrorCode, notFound } from '../errors.js';
import { resolveIdPrefix } from '../id-prefix.js';
import type { EventBus } from '../events.js';
import type { MarketService } from '../market-data/market-service.js';
import { toMarketError } from '../market-data/source-errors.js';
import type { AlertEngine } from './alert-engine.js';
import type { NotifierHub } from './notifier-hub.js';
import { requireRole } from '../authorize.js';

export const MAX_ACTIVE_ALERTS_PER_USER = 50;
export const MAX_TITLE_LENGTH = 120;
export const MAX_COOLDOWN_MINUTES = 10_080;
/** A repeating alert without a cooldown still waits this long between firings. */
export const DEFAULT_REPEAT_COOLDOWN_MINUTES = 15;

export const AlertMode = { once: 'once', repeat: 'repeat' } as const;
export type AlertMode = (typeof AlertMode)[keyof typeof AlertMode];

export interface CreateAlertInput {
  /** Shown in the notification; default: the condition in words. */
  title?: string;
  /** The condition tree (see `alertConditionSchema`). */
  condition: unknown;
  mode?: AlertMode;
  /** Repeat mode: minimum minutes between two firings. */
  cooldownMinutes?: number;
}

export interface AlertRuleView {
  id: string;
  title: string;
  /** The condition in plain words. */
  description: string;
  condition: AlertCondition;
  mode: AlertMode;
  cooldownMinutes: number;
  status: 'active' | 'triggered' | 'paused' | 'deleted';
  /** The first symbol the condition reads. */
  symbol: string | null;
  createdAt: string;
  lastTriggeredAt: string | null;
  triggerCount: number;
  /** Whether the condition held at the last evaluation (null: not yet evaluated or data missing). */
  holds: boolean | null;
}

export interface FiredAlertView {
  id: string;
  ruleId: string | null;
  title: string;
  message: string;
  severity: string;
  category: string | null;
  symbol: string | null;
  createdAt: string;
  isRead: boolean;
  isSent: boolean;
}

export interface AlertListView {
  rules: AlertRuleView[];
  /** Recently fired alerts of the listed rules (with `includeFired`), newest first. */
  fired?: FiredAlertView[];
}

export interface AlertServiceOptions {
  db: Db;
  market: MarketService;
  events: EventBus;
  notifier: NotifierHub;
  clock?: Clock;
  maxActivePerUser?: number;
}

type RuleRow = typeof alertRules.$inferSelect;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function ruleView(r: RuleRow): AlertRuleView {
  const condition = r.condition as unknown as AlertCondition;
  const holds = r.lastState && typeof r.lastState['holds'] === 'boolean' ? (r.lastState['holds']) : null;
  return {
    id: r.id,
    title: r.title,
    description: describeCondition(condition),
    condition,
    mode: r.mode,
    cooldownMinutes: Math.round(r.cooldownSeconds / 60),
    status: r.status,
    symbol: r.symbol,
    createdAt: r.createdAt.toISOString(),
    lastTriggeredAt: r.lastTriggeredAt?.toISOString() ?? null,
    triggerCount: r.triggerCount,
    holds,
  };
}

function firedView(a: typeof alerts.$inferSelect): FiredAlertView {
  return {
    id: a.id,
    ruleId: a.ruleId,
    title: a.title,
    message: a.message,
    severity: a.severity,
    category: a.category,
    symbol: a.symbol,
    createdAt: a.createdAt.toISOString(),
    isRead: a.isRead,
    isSent: a.isSent,
  };
}

/** Title text: trimmed, control characters removed, at most MAX_TITLE_LENGTH characters. */
function cleanTitle(input: unknown, fallback: string): string {
  if (input === undefined || input === null) return fallback.slice(0, MAX_TITLE_LENGTH);
  if (typeof input !== 'string') throw new AppError(ErrorCode.invalidInput, 'title must be text');
  // eslint-disable-next-line no-control-regex
  const t = input.replace(/[\u0000-\u001f\u007f]/g, ' ').replace(/\s+/g, ' ').trim();
  if (t.length === 0) return fallback.slice(0, MAX_TITLE_LENGTH);
  if (t.length > MAX_TITLE_LENGTH) throw new AppError(ErrorCode.invalidInput, `title is longer than ${MAX_TITLE_LENGTH} characters`);
  return t;
}

export class AlertService {
  readonly notifier: NotifierHub;
  /** The engine evaluating the rules in this process, when one runs (for its `status()`). */
  engine: AlertEngine | undefined;
  private readonly db: Db;
  private readonly market: MarketService;
  private readonly events: EventBus;
  private readonly clock: Clock;
  private readonly maxActive: number;

  constructor(opts: AlertServiceOptions) {
    this.db = opts.db;
    this.market = opts.market;
    this.events = opts.events;
    this.notifier = opts.notifier;
    this.clock = opts.clock ?? systemClock;
    this.maxActive = opts.maxActivePerUser ?? MAX_ACTIVE_ALERTS_PER_USER;
  }

  /** Validates the condition, resolves its symbols and stores an active rule for the actor. */
  async createAlert(actor: Actor, input: CreateAlertInput): Promise<AlertRuleView> {
    await requireRole(this.db, actor, 'trader');
    if (typeof input !== 'object' || input === null) throw new AppError(ErrorCode.invalidInput, 'alert details are required');
    const parsed = parseAlertCondition(input.condition);
    if (!parsed.ok) {
      throw new AppError(
        ErrorCode.invalidInput,
        `invalid alert condition: ${parsed.error}`,
        'a condition looks like {"type":"price_above","symbol":"BTC/USDT","price":"70000"}, or {"type":"all","conditions":[…]} to combine several',
      );
    }
    const condition = this.canonicalize(parsed.value);
    await this.assertPriced(condition);
    const mode = input.mode ?? 'once';
    if (mode !== 'once' && mode !== 'repeat') throw new AppError(ErrorCode.invalidInput, 'mode must be once or repeat');
    const cooldown = input.cooldownMinutes ?? (mode === 'repeat' ? DEFAULT_REPEAT_COOLDOWN_MINUTES : 0);
    if (typeof cooldown !== 'number' || !Number.isInteger(cooldown) || cooldown < 0 || cooldown > MAX_COOLDOWN_MINUTES) {
      throw new AppError(ErrorCode.invalidInput, `cooldownMinutes must be a whole number from 0 to ${MAX_COOLDOWN_MINUTES}`);
    }
    const description = describeCondition(condition);
    const title = cleanTitle(input.title, description);
    const symbol = firstSymbol(condition);
    const row = await withTransaction(this.db, async (tx) => {
      // One creation at a time per user, so concurrent creates cannot pass the cap together.
      const [user] = await tx.select({ id: users.id }).from(users).where(eq(users.id, actor.userId)).for('update');
      if (!user) throw notFound('user');
      const [active] = await tx
        .select({ n: count() })
        .from(alertRules)
        .where(and(eq(alertRules.userId, actor.userId), eq(alertRules.status, 'active')));
      if ((active?.n ?? 0) >= this.maxActive) {
        throw new AppError(ErrorCode.conflict, `you already have ${this.maxActive} active alerts, the most allowed`, 'delete alerts you no longer need (delete-alert), then try again');
      }
      const [created] = await tx
        .insert(alertRules)
        .values({
          userId: actor.userId,
          title,
          symbol,
          condition: condition as unknown as Record<string, unknown>,
          mode,
          cooldownSeconds: cooldown * 60,
          status: 'active',
        })
        .returning();
      await writeAudit(tx, actor, {
        action: 'alert_rule.created',
        entityType: 'alert_rule',
        entityId: created!.id,
        newValue: { title, description, mode, cooldownMinutes: cooldown },
      });
      return created!;
    });
    this.events.emit({ type: 'alert.rules.changed', userId: actor.userId });
    return ruleView(row);
  }

  /** The actor's rules (`active`, or `all` but deleted), optionally with their recently fired alerts. */
  async listAlerts(actor: Actor, opts: { status?: 'active' | 'all'; includeFired?: boolean; limit?: number } = {}): Promise<AlertListView> {
    const status = opts.status ?? 'active';
    if (status !== 'active' && status !== 'all') throw new AppError(ErrorCode.invalidInput, 'status must be active or all');
    const limit = opts.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new AppError(ErrorCode.invalidInput, 'limit must be a whole number from 1 to 100');
    const rows = await this.db
      .select()
      .from(alertRules)
      .where(
        status === 'active'
          ? and(eq(alertRules.userId, actor.userId), eq(alertRules.status, 'active'))
          : and(eq(alertRules.userId, actor.userId), ne(alertRules.status, 'deleted')),
      )
      .orderBy(desc(alertRules.createdAt), desc(alertRules.id))
      .limit(limit);
    const out: AlertListView = { rules: rows.map(ruleView) };
    if (opts.includeFired) {
      const ids = rows.map((r) => r.id);
      const fired = ids.length === 0
        ? []
        : await this.db
            .select()
            .from(alerts)
            .where(and(eq(alerts.userId, actor.userId), inArray(alerts.ruleId, ids)))
            .orderBy(desc(alerts.createdAt), desc(alerts.id))
            .limit(100);
      out.fired = fired.map(firedView);
    }
    return out;
  }

  /** Deletes one of the actor's rules (by id or an unambiguous prefix); anyone else's id (or an unknown one) is "not found". */
  async deleteAlert(actor: Actor, alertIdOrPrefix: string): Promise<AlertRuleView> {
    await requireRole(this.db, actor, 'trader');
    if (typeof alertIdOrPrefix !== 'string') throw notFound('alert', 'list your alerts (list-alerts) to see their ids');
    const alertId = await resolveIdPrefix(this.db, {
      table: alertRules,
      id: alertRules.id,
      owned: and(eq(alertRules.userId, actor.userId), ne(alertRules.status, 'deleted')),
      input: alertIdOrPrefix,
      noun: 'alert',
      listedBy: 'list-alerts',
    });
    const row = await withTransaction(this.db, async (tx) => {
      const [existing] = await tx
        .select()
        .from(alertRules)
        .where(and(eq(alertRules.id, alertId), eq(alertRules.userId, actor.userId), ne(alertRules.status, 'deleted')))
        .for('update');
      if (!existing) throw notFound('alert', 'list your alerts (list-alerts) to see their ids');
      const [deleted] = await tx
        .update(alertRules)
        .set({ status: 'deleted', updatedAt: this.clock.now() })
        .where(eq(alertRules.id, alertId))
        .returning();
      await writeAudit(tx, actor, {
        action: 'alert_rule.deleted',
        entityType: 'alert_rule',
        entityId: alertId,
        oldValue: { title: existing.title, status: existing.status },
        newValue: { status: 'deleted' },
      });
      return deleted!;
    });
    this.events.emit({ type: 'alert.rules.changed', userId: actor.userId });
    return ruleView(row);
  }

  /** Marks fired alerts of the actor as read; returns how many changed. */
  async markRead(actor: Actor, alertIds: readonly string[]): Promise<number> {
    const ids = alertIds.filter((id) => UUID.test(id));
    if (ids.length === 0) return 0;
    const rows = await this.db
      .update(alerts)
      .set({ isRead: true })
      .where(and(eq(alerts.userId, actor.userId), inArray(alerts.id, ids), sql`not ${alerts.isRead}`))
      .returning({ id: alerts.id });
    return rows.length;
  }

  /**
   * Refuses a rule on a market the price source cannot price at all (a catalog market the simulated
   * market does not simulate). A source that is only unreachable right now does not block it.
   */
  private async assertPriced(condition: AlertCondition): Promise<void> {
    for (const symbol of symbolsOf(condition)) {
      try {
        await this.market.venueFeed.getQuote(symbol);
      } catch (err) {
        const e = toMarketError(err, `price ${symbol}`);
        if (e.code === ErrorCode.notFound || e.code === ErrorCode.invalidInput) {
          throw new AppError(ErrorCode.invalidInput, `cannot watch ${symbol}: ${e.message}`, e.hint);
        }
      }
    }
  }

  /** The same tree with every symbol in its canonical form; an unknown symbol is refused. */
  private canonicalize(c: AlertCondition): AlertCondition {
    if (c.type === 'all') return { ...c, conditions: c.conditions.map((x) => this.canonicalize(x)) };
    // A whale leaf names an asset (already normalised by the schema), not a market.
    if (c.type === 'whale_move') return c;
    return { ...c, symbol: this.market.resolveSymbol(c.symbol).symbol };
  }
}

function symbolsOf(c: AlertCondition): string[] {
  return c.type === 'all' ? [...new Set(c.conditions.flatMap(symbolsOf))] : c.type === 'whale_move' ? [] : [c.symbol];
}

function firstSymbol(c: AlertCondition): string | null {
  if (c.type === 'whale_move') return null;
  if (c.type !== 'all') return c.symbol;
  for (const x of c.conditions) {
    const s = firstSymbol(x);
    if (s) return s;
  }
  return null;
}
