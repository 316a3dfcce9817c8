// Platform records: the audit log (seed 004 `audit_logs`, the trail of every state change), system
// logs, API rate-limit windows and exchange health (seed 002).
import { sql } from 'drizzle-orm';
import { boolean, check, index, inet, integer, jsonb, pgTable, text, unique, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, timestamptz, updatedAt } from './columns.js';
import { exchangeHealth, logLevel } from './enums.js';
import { apiKeys, users } from './users.js';

/**
 * One row per state change, written in the same transaction as the change. Rows are never updated.
 * The actor is set null if the user row is ever erased, so the trail itself survives.
 */
export const auditLogs = pgTable(
  'audit_logs',
  {
    id: id(),
    /** Ties together every row of one request. */
    traceId: text().notNull(),
    actorUserId: uuid().references(() => users.id, { onDelete: 'set null' }),
    /** user, system, api_key, agent (`ActorType`). */
    actorType: text().notNull(),
    /** `order.place`, `identity.link`, `risk_limit.update` … */
    action: text().notNull(),
    entityType: text(),
    /** Text, because not every entity has a uuid (`telegram:12345`). */
    entityId: text(),
    oldValue: jsonb(),
    newValue: jsonb(),
    ipAddress: inet(),
    userAgent: text(),
    /** Surface, API key id, reasons, linked analysis/message ids … */
    metadata: jsonb().$type<Record<string, unknown>>(),
    /** Seed 004 `timestamp`. */
    createdAt: createdAt(),
  },
  (t) => [
    index('audit_logs_entity_idx').on(t.entityType, t.entityId, t.createdAt),
    index('idx_audit_trace').on(t.traceId),
    index('idx_audit_timestamp').on(t.createdAt.desc()),
    index('audit_logs_actor_idx').on(t.actorUserId, t.createdAt.desc()),
  ],
);
export type AuditLog = typeof auditLogs.$inferSelect;
export type NewAuditLog = typeof auditLogs.$inferInsert;

/** Seed 002 `system_logs`: operational events worth keeping in the database. */
export const systemLogs = pgTable(
  'system_logs',
  {
    id: id(),
    level: logLevel().notNull(),
    module: text().notNull(),
    message: text().notNull(),
    data: jsonb().$type<Record<string, unknown>>(),
    userId: uuid().references(() => users.id, { onDelete: 'set null' }),
    traceId: text(),
    createdAt: createdAt(),
  },
  (t) => [index('idx_logs_level_created').on(t.level, t.createdAt.desc())],
);
export type SystemLog = typeof systemLogs.$inferSelect;
export type NewSystemLog = typeof systemLogs.$inferInsert;

/**
 * Seed 002 `api_rate_limits`: one counting window per (user, API key, endpoint, window start),
 * incremented with an upsert. NULLS NOT DISTINCT so a window without a key still counts once.
 */
export const apiRateLimits = pgTable(
  'api_rate_limits',
  {
    id: id(),
    userId: uuid().references(() => users.id, { onDelete: 'cascade' }),
    apiKeyId: uuid().references(() => apiKeys.id, { onDelete: 'cascade' }),
    endpoint: text().notNull(),
    requestsCount: integer().notNull().default(0),
    windowStart: timestamptz().notNull(),
    windowDurationSeconds: integer().notNull(),
    limitExceeded: boolean().notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [
    unique('api_rate_limits_window_unique').on(t.userId, t.apiKeyId, t.endpoint, t.windowStart).nullsNotDistinct(),
    index('api_rate_limits_window_start_idx').on(t.windowStart),
    check('api_rate_limits_requests_nonnegative', sql`${t.requestsCount} >= 0`),
    check('api_rate_limits_window_positive', sql`${t.windowDurationSeconds} > 0`),
  ],
);
export type ApiRateLimit = typeof apiRateLimits.$inferSelect;
export type NewApiRateLimit = typeof apiRateLimits.$inferInsert;

/** Seed 002 `exchange_status`: last known health per exchange. */
export const exchangeStatus = pgTable('exchange_status', {
  id: id(),
  exchange: text().notNull().unique('exchange_status_exchange_unique'),
  status: exchangeHealth().notNull(),
  /** Seed 002 `last_ping`. */
  lastPingAt: timestamptz(),
  responseTimeMs: integer(),
  errorMessage: text(),
  updatedAt: updatedAt(),
});
export type ExchangeStatus = typeof exchangeStatus.$inferSelect;
export type NewExchangeStatus = typeof exchangeStatus.$inferInsert;
