// Risk: limits the pre-trade check enforces (seed 002 `trading_limits`), computed risk metrics and
// risk alerts (seed 002). Rows belong to a user and optionally to one portfolio (null = every
// portfolio of the user); they are configuration and derived data, so they go with their owner.
import { sql } from 'drizzle-orm';
import { boolean, check, index, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, money, rate, timestamps, timestamptz } from './columns.js';
import { riskAlertSeverity } from './enums.js';
import { portfolios } from './accounts.js';
import { users } from './users.js';

/**
 * One limit. Numeric limits (daily_loss, position_size, symbol_notional, leverage,
 * max_open_positions) use `value`; list limits (symbol_allow, symbol_deny) use `value_text`
 * (comma-separated symbols). `symbol` narrows a limit to one market; null = all markets.
 */
export const riskLimits = pgTable(
  'risk_limits',
  {
    id: id(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    portfolioId: uuid().references(() => portfolios.id, { onDelete: 'cascade' }),
    /** `RiskLimitType`. */
    limitType: text().notNull(),
    symbol: text(),
    /** Seed 002 `limit_value`. */
    value: money(),
    valueText: text(),
    /** Current usage against the limit (seed 002), informational; the check recomputes it. */
    currentValue: money(),
    isActive: boolean().notNull().default(true),
    ...timestamps(),
  },
  (t) => [
    index('risk_limits_user_idx').on(t.userId, t.isActive),
    index('risk_limits_portfolio_idx').on(t.portfolioId).where(sql`${t.portfolioId} is not null`),
    check('risk_limits_has_value', sql`${t.value} is not null or ${t.valueText} is not null`),
  ],
);
export type RiskLimit = typeof riskLimits.$inferSelect;
export type NewRiskLimit = typeof riskLimits.$inferInsert;

/** Seed 002 `risk_metrics`: a computed risk picture at one time. */
export const riskMetrics = pgTable(
  'risk_metrics',
  {
    id: id(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    portfolioId: uuid().references(() => portfolios.id, { onDelete: 'cascade' }),
    /** Aggregate risk score. */
    portfolioRisk: rate(),
    /** Value at risk in the portfolio's base currency. */
    valueAtRisk: money(),
    maxDrawdown: rate(),
    sharpeRatio: rate(),
    /** `{ symbol: risk score }`. */
    positionRisks: jsonb().$type<Record<string, string>>(),
    calculatedAt: timestamptz().notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('risk_metrics_portfolio_time_idx').on(t.portfolioId, t.calculatedAt.desc()), index('risk_metrics_user_time_idx').on(t.userId, t.calculatedAt.desc())],
);
export type RiskMetric = typeof riskMetrics.$inferSelect;
export type NewRiskMetric = typeof riskMetrics.$inferInsert;

/** Seed 002 `risk_alerts`: var_breach, drawdown_limit, position_risk, liquidation_near, kill_switch … */
export const riskAlerts = pgTable(
  'risk_alerts',
  {
    id: id(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    portfolioId: uuid().references(() => portfolios.id, { onDelete: 'cascade' }),
    alertType: text().notNull(),
    severity: riskAlertSeverity().notNull(),
    message: text().notNull(),
    data: jsonb().$type<Record<string, unknown>>(),
    acknowledged: boolean().notNull().default(false),
    acknowledgedAt: timestamptz(),
    createdAt: createdAt(),
  },
  (t) => [index('risk_alerts_user_time_idx').on(t.userId, t.createdAt.desc()), index('risk_alerts_portfolio_idx').on(t.portfolioId)],
);
export type RiskAlert = typeof riskAlerts.$inferSelect;
export type NewRiskAlert = typeof riskAlerts.$inferInsert;
