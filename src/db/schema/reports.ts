// Periodic reports (seed 004): a markdown summary of a period (4 h, daily, weekly) with its metrics,
// delivered to a user's chat. unique(user_id, report_type, period_end) makes a scheduler that runs
// twice write one report, not two.
import { boolean, index, jsonb, pgTable, text, unique, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, timestamptz } from './columns.js';
import { users } from './users.js';

export const reports = pgTable(
  'reports',
  {
    id: id(),
    /** The recipient; null for a platform-wide report. */
    userId: uuid().references(() => users.id, { onDelete: 'cascade' }),
    periodStart: timestamptz().notNull(),
    periodEnd: timestamptz().notNull(),
    /** `4h`, `daily`, `weekly`, `monthly`. */
    reportType: text().notNull().default('4h'),
    summaryMarkdown: text(),
    metrics: jsonb().$type<Record<string, unknown>>(),
    notableEvents: jsonb().$type<unknown[]>(),
    deliveredAt: timestamptz(),
    pushSent: boolean().notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [
    unique('reports_user_type_period_unique').on(t.userId, t.reportType, t.periodEnd),
    index('idx_reports_period').on(t.periodEnd.desc()),
    index('reports_user_period_idx').on(t.userId, t.periodEnd.desc()),
  ],
);
export type Report = typeof reports.$inferSelect;
export type NewReport = typeof reports.$inferInsert;
