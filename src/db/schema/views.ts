// Typed handles on the SQL views created by the custom migration `drizzle/*_views.sql` (seed 004's
// `active_positions_view` and `daily_performance`, rewritten over the unified tables). `.existing()`
// tells drizzle-kit not to generate them; the SQL in the migration is the source of truth, and
// these column lists must match it.
import { bigint, date, doublePrecision, interval, pgView, text, uuid } from 'drizzle-orm/pg-core';
import { money, rate } from './columns.js';
import { tradingMode } from './enums.js';
import { positionColumns } from './trading.js';

/** Open positions with their portfolio's mode, the whale behind them and the asset's latest bias. */
export const activePositionsView = pgView('active_positions_view', {
  ...positionColumns(),
  tradingMode: tradingMode().notNull(),
  /** Address of the wallet in `signal_wallet_id` (seed 004 `signal_wallet`). */
  signalWallet: text(),
  /** That wallet's latest 4 h credibility (seed 004 `wallet_credibility`). */
  walletCredibility: rate(),
  /** Latest market bias of the position's base asset (seed 004 `current_bias`). */
  currentBias: rate(),
}).existing();
export type ActivePosition = typeof activePositionsView.$inferSelect;

/**
 * Closed positions per UTC day, trading mode and portfolio (seed 004's continuous aggregate
 * `daily_performance`, as a plain view; per portfolio because MIKEY has many users).
 */
export const dailyPerformance = pgView('daily_performance', {
  date: date().notNull(),
  tradingMode: tradingMode().notNull(),
  userId: uuid().notNull(),
  portfolioId: uuid().notNull(),
  totalTrades: bigint({ mode: 'number' }).notNull(),
  /** Share of positions closed in profit, 0–1 (a statistic, so floating point as in the seed). */
  winRate: doublePrecision(),
  totalPnl: money(),
  avgPnl: money(),
  bestTrade: money(),
  worstTrade: money(),
  avgHoldingTime: interval(),
}).existing();
export type DailyPerformance = typeof dailyPerformance.$inferSelect;
