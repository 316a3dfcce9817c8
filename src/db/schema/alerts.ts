// Alerts. `alert_rules` are server-side definitions (price, indicator, on-chain, combined) that the
// alert sweep evaluates; `alerts` (seed 001) are fired notifications — from a rule, or from the
// system (fills, risk, strategy events). A rule's crossing is identified by `trigger_key`, and
// unique(rule_id, trigger_key) makes firing the same crossing twice impossible, even when two
// sweeps race.
import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, jsonb, pgTable, text, unique, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, timestamps, timestamptz } from './columns.js';
import { alertRuleMode, alertRuleStatus, alertSeverity } from './enums.js';
import { portfolios } from './accounts.js';
import { strategies } from './strategies.js';
import { orders } from './trading.js';
import { users } from './users.js';

export const alertRules = pgTable(
  'alert_rules',
  {
    id: id(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** For portfolio conditions (P&L, drawdown); the rule goes with the portfolio. */
    portfolioId: uuid().references(() => portfolios.id, { onDelete: 'cascade' }),
    title: text().notNull(),
    symbol: text(),
    /** Condition tree: `{ all: [...] }` / `{ any: [...] }` over price, indicator and on-chain leaves. */
    condition: jsonb().$type<Record<string, unknown>>().notNull(),
    mode: alertRuleMode().notNull().default('once'),
    cooldownSeconds: integer().notNull().default(0),
    status: alertRuleStatus().notNull().default('active'),
    /** Last evaluated values, for crossing detection (a crossing needs the previous side). */
    lastState: jsonb().$type<Record<string, unknown>>(),
    lastTriggeredAt: timestamptz(),
    triggerCount: integer().notNull().default(0),
    ...timestamps(),
  },
  (t) => [
    index('alert_rules_user_idx').on(t.userId, t.status),
    index('alert_rules_active_idx').on(t.symbol).where(sql`${t.status} = 'active'`),
    check('alert_rules_cooldown_nonnegative', sql`${t.cooldownSeconds} >= 0`),
    check('alert_rules_trigger_count_nonnegative', sql`${t.triggerCount} >= 0`),
  ],
);
export type AlertRule = typeof alertRules.$inferSelect;
export type NewAlertRule = typeof alertRules.$inferInsert;

export const alerts = pgTable(
  'alerts',
  {
    id: id(),
    /** The recipient; null for a system-wide alert (seed 001 allows it). */
    userId: uuid().references(() => users.id, { onDelete: 'cascade' }),
    ruleId: uuid().references(() => alertRules.id, { onDelete: 'set null' }),
    /** Identifies one crossing of the rule (e.g. `price>150:2025-06-01T10:00Z`). */
    triggerKey: text(),
    title: text().notNull(),
    message: text().notNull(),
    severity: alertSeverity().notNull().default('info'),
    /** price, trade, system, ml, onchain, risk, report … */
    category: text(),
    symbol: text(),
    orderId: uuid().references(() => orders.id, { onDelete: 'set null' }),
    strategyId: uuid().references(() => strategies.id, { onDelete: 'set null' }),
    isRead: boolean().notNull().default(false),
    isSent: boolean().notNull().default(false),
    sentAt: timestamptz(),
    /** The values that fired it, for the message and the audit trail. */
    data: jsonb().$type<Record<string, unknown>>(),
    createdAt: createdAt(),
  },
  (t) => [
    unique('alerts_rule_trigger_unique').on(t.ruleId, t.triggerKey),
    // A system alert with a trigger key (a whale's move pushed to a watcher) is recorded once per user.
    uniqueIndex('alerts_system_trigger_unique')
      .on(t.userId, t.triggerKey)
      .where(sql`${t.ruleId} is null and ${t.triggerKey} is not null`),
    index('idx_alert_user_created').on(t.userId, t.createdAt),
    index('idx_alert_severity').on(t.severity),
    index('alerts_unsent_idx').on(t.createdAt).where(sql`not ${t.isSent}`),
  ],
);
export type Alert = typeof alerts.$inferSelect;
export type NewAlert = typeof alerts.$inferInsert;
