// Strategies, AI agents, the signals they emit, and bots that run a strategy on an account.
// `strategies` merges seed 001 `strategies` and seed 002 `trading_strategies`; `bots` and
// `bot_performance` come from seed 003 (`trading_bots`, `bot_performance`).
import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, jsonb, pgTable, primaryKey, text, unique, uuid } from 'drizzle-orm/pg-core';
import { createdAt, emptyJsonObject, id, money, rate, timestamps, timestamptz } from './columns.js';
import { agentStatus, botStatus, signalAction, strategyType } from './enums.js';
import { portfolios } from './accounts.js';
import { users } from './users.js';

/** A strategy definition with its parameters and cached performance. Owned by its user. */
export const strategies = pgTable(
  'strategies',
  {
    id: id(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    strategyType: strategyType().notNull(),
    description: text(),
    /** Parameters (seed 001 `config`, seed 002 `parameters`). */
    config: jsonb().$type<Record<string, unknown>>().notNull().default(emptyJsonObject),
    /** New strategies start inactive (seed 002's default): nothing trades until switched on. */
    isActive: boolean().notNull().default(false),
    isBacktest: boolean().notNull().default(false),
    totalPnl: money().notNull().default('0'),
    winRate: rate(),
    sharpeRatio: rate(),
    /** Seed 001 `num_trades`. */
    tradeCount: integer().notNull().default(0),
    /** Seed 002 free-form metrics (drawdown, exposure, per-symbol results …). */
    performanceMetrics: jsonb().$type<Record<string, unknown>>(),
    ...timestamps(),
    lastSignalAt: timestamptz(),
  },
  (t) => [index('idx_strategy_user').on(t.userId), index('idx_strategy_type').on(t.strategyType)],
);
export type Strategy = typeof strategies.$inferSelect;
export type NewStrategy = typeof strategies.$inferInsert;

/** Seed 002 `trading_agents`: an AI agent configuration (trend follower, arbitrageur, sentiment …). */
export const tradingAgents = pgTable(
  'trading_agents',
  {
    id: id(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    agentType: text().notNull(),
    configuration: jsonb().$type<Record<string, unknown>>().notNull().default(emptyJsonObject),
    status: agentStatus().notNull().default('inactive'),
    performance: jsonb().$type<Record<string, unknown>>(),
    lastDecisionAt: timestamptz(),
    ...timestamps(),
  },
  (t) => [index('trading_agents_user_idx').on(t.userId)],
);
export type TradingAgent = typeof tradingAgents.$inferSelect;
export type NewTradingAgent = typeof tradingAgents.$inferInsert;

/**
 * Seed 002 `trading_signals`: advice from a strategy or agent. Signals outlive the strategy or agent
 * that produced them (set null), because orders point at them to explain why they were placed.
 */
export const tradingSignals = pgTable(
  'trading_signals',
  {
    id: id(),
    /** The owner, for ownership checks; null for global signals (shared strategies). */
    userId: uuid().references(() => users.id, { onDelete: 'cascade' }),
    strategyId: uuid().references(() => strategies.id, { onDelete: 'set null' }),
    agentId: uuid().references(() => tradingAgents.id, { onDelete: 'set null' }),
    symbol: text().notNull(),
    action: signalAction().notNull(),
    /** 0–100. */
    strength: rate().notNull(),
    /** Price when the signal was produced. */
    price: money().notNull(),
    /** 0–1. */
    confidence: rate().notNull(),
    reasoning: text(),
    metadata: jsonb().$type<Record<string, unknown>>(),
    createdAt: createdAt(),
  },
  (t) => [
    index('idx_signals_created').on(t.createdAt.desc()),
    index('trading_signals_strategy_idx').on(t.strategyId).where(sql`${t.strategyId} is not null`),
    index('trading_signals_agent_idx').on(t.agentId).where(sql`${t.agentId} is not null`),
    index('trading_signals_user_idx').on(t.userId, t.createdAt.desc()),
  ],
);
export type TradingSignal = typeof tradingSignals.$inferSelect;
export type NewTradingSignal = typeof tradingSignals.$inferInsert;

/** Seed 003 `trading_bots`: a strategy running on one account and one market. */
export const bots = pgTable(
  'bots',
  {
    id: id(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The account it trades (seed 003 `exchangeAccountId`). */
    portfolioId: uuid()
      .notNull()
      .references(() => portfolios.id, { onDelete: 'cascade' }),
    strategyId: uuid().references(() => strategies.id, { onDelete: 'set null' }),
    name: text().notNull(),
    /** The market (seed 003 `marketPair`), canonical symbol on the portfolio's exchange. */
    symbol: text().notNull(),
    status: botStatus().notNull().default('stopped'),
    config: jsonb().$type<Record<string, unknown>>().notNull().default(emptyJsonObject),
    lastError: text(),
    startedAt: timestamptz(),
    stoppedAt: timestamptz(),
    ...timestamps(),
  },
  (t) => [
    index('bots_user_idx').on(t.userId),
    index('bots_portfolio_idx').on(t.portfolioId),
    index('bots_status_idx').on(t.status),
  ],
);
export type Bot = typeof bots.$inferSelect;
export type NewBot = typeof bots.$inferInsert;

/** Seed 003 `bot_performance`: a bot's performance and state over time (one row per recording). */
export const botPerformance = pgTable(
  'bot_performance',
  {
    id: id(),
    botId: uuid()
      .notNull()
      .references(() => bots.id, { onDelete: 'cascade' }),
    recordedAt: timestamptz().defaultNow().notNull(),
    equity: money(),
    totalPnl: money().notNull().default('0'),
    realizedPnl: money().notNull().default('0'),
    unrealizedPnl: money().notNull().default('0'),
    feesPaid: money().notNull().default('0'),
    tradeCount: integer().notNull().default(0),
    winRate: rate(),
    maxDrawdown: rate(),
    sharpeRatio: rate(),
    /** The strategy's working state (grid levels, DCA schedule position …). */
    state: jsonb().$type<Record<string, unknown>>(),
  },
  (t) => [
    unique('bot_performance_bot_recorded_unique').on(t.botId, t.recordedAt),
    check('bot_performance_trade_count_nonnegative', sql`${t.tradeCount} >= 0`),
  ],
);
export type BotPerformance = typeof botPerformance.$inferSelect;
export type NewBotPerformance = typeof botPerformance.$inferInsert;

/**
 * Every fill of a stored backtest (issue 11's run table), in order: what the strategy's orders did,
 * candle by candle, with the fee charged. Goes with its backtest.
 */
export const backtestFills = pgTable(
  'backtest_fills',
  {
    strategyId: uuid()
      .notNull()
      .references(() => strategies.id, { onDelete: 'cascade' }),
    /** 1, 2, … in fill order. */
    seq: integer().notNull(),
    filledAt: timestamptz().notNull(),
    side: text().notNull(),
    /** market, limit or stop. */
    orderType: text().notNull(),
    price: money().notNull(),
    quantity: money().notNull(),
    fee: money().notNull(),
    /** The strategy's tag on the order. */
    tag: text(),
  },
  (t) => [
    primaryKey({ name: 'backtest_fills_pkey', columns: [t.strategyId, t.seq] }),
    check('backtest_fills_side', sql`${t.side} in ('buy', 'sell')`),
    check('backtest_fills_quantity_positive', sql`${t.quantity} > 0`),
  ],
);
export type BacktestFillRow = typeof backtestFills.$inferSelect;
