// Coordination between several `mikey serve` processes on one Postgres (src/services/cluster):
// job leases, claimed chat updates and shared rate-limit counts.
// A lease names one periodic job (the trading engine's tick, the alert sweeps, scheduled reports…)
// and the instance that may run it until `expires_at`; the holder renews it well before then, and
// any instance takes it over once it has expired. `token` grows by one at every change of holder,
// so a holder can tell whether it has held the lease without a break.
import { bigint, index, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

export const clusterLeases = pgTable('cluster_leases', {
  name: text().primaryKey(),
  holder: text().notNull(),
  token: bigint({ mode: 'number' }).notNull().default(1),
  acquiredAt: timestamp({ withTimezone: true }).notNull(),
  expiresAt: timestamp({ withTimezone: true }).notNull(),
});

export type ClusterLease = typeof clusterLeases.$inferSelect;
export type NewClusterLease = typeof clusterLeases.$inferInsert;

/**
 * Chat platform updates already taken by an instance (Telegram `update_id`, per bot): behind several
 * instances a webhook update Telegram re-sends can reach another instance than the one that took
 * it first; the primary key makes the second claim fail. Rows older than a few days are pruned.
 */
export const claimedUpdates = pgTable(
  'claimed_updates',
  {
    /** `telegram:<bot id>`. */
    source: text().notNull(),
    updateId: bigint({ mode: 'number' }).notNull(),
    claimedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.source, t.updateId] })],
);

export type ClaimedUpdate = typeof claimedUpdates.$inferSelect;

/**
 * Requests counted against each rate limit (per API key, per chat user) in one-minute windows,
 * summed over every instance: each instance adds what it let through since its last sync and reads
 * what the others did (src/services/cluster/shared-rate-limit.ts). Windows older than a few
 * minutes are pruned.
 */
export const rateLimitWindows = pgTable(
  'rate_limit_windows',
  {
    key: text().notNull(),
    windowStart: timestamp({ withTimezone: true }).notNull(),
    used: integer().notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.key, t.windowStart] }), index('rate_limit_windows_window_idx').on(t.windowStart)],
);
