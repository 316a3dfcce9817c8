// Trading: orders (seeds 000/001/002/004), trades = fills (seeds 001/002), positions (seeds
// 000/001/002/004) and the confirmation tokens behind trade cards.
//
// Ownership is enforced by the database as well as the services: an order, trade or position
// carries both `portfolio_id` and `user_id`, and a composite foreign key to portfolios(id, user_id)
// makes a row whose user is not the portfolio's owner impossible. A fill must belong to the same
// portfolio as its order (composite key to orders(id, portfolio_id)).
// Money history is never deleted by a cascade: orders, trades and positions restrict the deletion
// of their portfolio and user; soft links (signal, strategy, position) are set null.
import { sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { boolean, check, foreignKey, index, integer, jsonb, pgTable, text, unique, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, money, rate, timestamps, timestamptz, updatedAt } from './columns.js';
import { liquidity, marketKind, orderSide, orderStatus, orderType, positionSide, positionStatus, timeInForce } from './enums.js';
import { portfolios } from './accounts.js';
import { strategies, tradingSignals } from './strategies.js';
import { users } from './users.js';
import { wallets } from './wallets.js';

/** A take-profit leg attached to an order or position: trigger price and the share of the position to close (0–1). */
export interface TakeProfitLeg {
  price: string;
  /** Share of the position this leg closes, as a decimal string in (0, 1]. */
  fraction: string;
  /** Child order placed for this leg, once placed. */
  orderId?: string;
  filled?: boolean;
}

export const orders = pgTable(
  'orders',
  {
    id: id(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'restrict' }),
    portfolioId: uuid()
      .notNull()
      .references(() => portfolios.id, { onDelete: 'restrict' }),
    /** Ours, generated before anything is sent anywhere; the idempotency key with the exchange. */
    clientOrderId: text().notNull(),
    /** The venue's id (seed 002 `external_order_id`), known once accepted. */
    exchangeOrderId: text(),
    /** TWAP/VWAP slices and take-profit/stop-loss legs point at their parent. */
    parentOrderId: uuid().references((): AnyPgColumn => orders.id, { onDelete: 'restrict' }),
    /** The position this order opens, adds to or reduces (seed 000). */
    positionId: uuid().references((): AnyPgColumn => positions.id, { onDelete: 'set null' }),
    strategyId: uuid().references(() => strategies.id, { onDelete: 'set null' }),
    /** The strategy/agent signal that caused the order. */
    signalId: uuid().references(() => tradingSignals.id, { onDelete: 'set null' }),
    /** The on-chain event that caused the order (seed 004 `signal_event_id`); soft link into a time-series table. */
    signalEventId: uuid(),
    symbol: text().notNull(),
    /** The venue when it differs from the portfolio's exchange (seeds 001/002/004 `exchange`); null = the portfolio's. */
    exchange: text(),
    side: orderSide().notNull(),
    orderType: orderType().notNull(),
    status: orderStatus().notNull().default('pending'),
    timeInForce: timeInForce().notNull().default('gtc'),
    /** Base quantity (seed 004 `size`). */
    quantity: money().notNull(),
    /** Quote amount requested ("buy $100 of SOL"), when the order was sized in quote. */
    quoteQuantity: money(),
    /** Limit price. */
    price: money(),
    /** Trigger price of stop, stop-limit, stop-loss and take-profit orders. */
    stopPrice: money(),
    /** Trailing stop distance in quote currency … */
    trailingAmount: money(),
    /** … or in percent of the reference price. */
    trailingPercent: rate(),
    /** Best price seen since a trailing stop was armed; the trigger trails it. */
    trailReferencePrice: money(),
    filledQuantity: money().notNull().default('0'),
    averageFillPrice: money(),
    /** Total fee charged so far, in `fee_asset` (seed 001 `fee`, 002/004 `fees`). Negative = maker rebate. */
    fee: money().notNull().default('0'),
    /** Seed 001 `fee_currency`. */
    feeAsset: text(),
    /** The balance reserved (locked) for this order while it rests, released on fill/cancel. */
    reservedAsset: text(),
    reservedAmount: money().notNull().default('0'),
    leverage: rate().notNull().default('1'),
    reduceOnly: boolean().notNull().default(false),
    postOnly: boolean().notNull().default(false),
    /** Protective stop attached at entry (seed 004). */
    stopLoss: money(),
    /** Several take-profit legs attached at entry (seed 004 `take_profit DECIMAL[]`). */
    takeProfits: jsonb().$type<TakeProfitLeg[]>(),
    /** TWAP/VWAP schedule and progress: slices, interval, next slice time, done so far. */
    algoParams: jsonb().$type<Record<string, unknown>>(),
    /** The risk policy and limits in force when the order was accepted (seed 004). */
    policySnapshot: jsonb().$type<Record<string, unknown>>(),
    /** Hash of the normalised request, so a repeated request is recognised. */
    requestHash: text(),
    /** Why the order was rejected or failed (seed 004 `error_message`). */
    rejectReason: text(),
    /** mcp, telegram, discord, terminal, api, strategy (`OrderSource`). */
    source: text(),
    ...timestamps(),
    submittedAt: timestamptz(),
    /** Completely filled (seed 000 `executed_at`, seed 001 `filled_at`). */
    executedAt: timestamptz(),
    cancelledAt: timestamptz(),
    expiresAt: timestamptz(),
  },
  (t) => [
    uniqueIndex('idx_orders_client_id').on(t.clientOrderId),
    uniqueIndex('idx_orders_exchange_id').on(t.exchangeOrderId),
    unique('orders_id_portfolio_unique').on(t.id, t.portfolioId),
    foreignKey({
      name: 'orders_portfolio_owner_fk',
      columns: [t.portfolioId, t.userId],
      foreignColumns: [portfolios.id, portfolios.userId],
    }).onDelete('restrict'),
    index('idx_orders_user_status').on(t.userId, t.status),
    index('idx_orders_symbol_created').on(t.symbol, t.createdAt.desc()),
    // Serves seed 001 idx_order_status and seed 004 idx_orders_status, and the resting-order sweep.
    index('idx_orders_status').on(t.status, t.orderType),
    index('idx_order_portfolio').on(t.portfolioId, t.status),
    index('idx_order_created').on(t.createdAt),
    index('orders_parent_idx').on(t.parentOrderId).where(sql`${t.parentOrderId} is not null`),
    index('orders_position_idx').on(t.positionId).where(sql`${t.positionId} is not null`),
    index('orders_strategy_idx').on(t.strategyId).where(sql`${t.strategyId} is not null`),
    index('orders_signal_idx').on(t.signalId).where(sql`${t.signalId} is not null`),
    check('orders_quantity_positive', sql`${t.quantity} > 0`),
    check('orders_filled_quantity_range', sql`${t.filledQuantity} >= 0 and ${t.filledQuantity} <= ${t.quantity}`),
    check('orders_quote_quantity_positive', sql`${t.quoteQuantity} is null or ${t.quoteQuantity} > 0`),
    check('orders_price_positive', sql`${t.price} is null or ${t.price} > 0`),
    check('orders_stop_price_positive', sql`${t.stopPrice} is null or ${t.stopPrice} > 0`),
    check('orders_stop_loss_positive', sql`${t.stopLoss} is null or ${t.stopLoss} > 0`),
    check('orders_trailing_positive', sql`(${t.trailingAmount} is null or ${t.trailingAmount} > 0) and (${t.trailingPercent} is null or ${t.trailingPercent} > 0)`),
    check('orders_reserved_amount_nonnegative', sql`${t.reservedAmount} >= 0`),
    check('orders_leverage_positive', sql`${t.leverage} > 0`),
    check('orders_average_fill_price_positive', sql`${t.averageFillPrice} is null or ${t.averageFillPrice} > 0`),
  ],
);
export type Order = typeof orders.$inferSelect;
export type NewOrder = typeof orders.$inferInsert;

/** A fill. One order has zero or more trades; the sum of their quantities is the order's filled quantity. */
export const trades = pgTable(
  'trades',
  {
    id: id(),
    orderId: uuid()
      .notNull()
      .references(() => orders.id, { onDelete: 'restrict' }),
    portfolioId: uuid()
      .notNull()
      .references(() => portfolios.id, { onDelete: 'restrict' }),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'restrict' }),
    /** The venue's trade id (seed 002 `external_trade_id`); the paper engine generates its own. */
    exchangeTradeId: text().notNull(),
    symbol: text().notNull(),
    exchange: text(),
    side: orderSide().notNull(),
    quantity: money().notNull(),
    price: money().notNull(),
    /** quantity × price in quote currency (seed 001 `value`). */
    quoteQuantity: money().notNull(),
    fee: money().notNull().default('0'),
    feeAsset: text(),
    /** P&L realised by this fill when it reduced a position (seed 001 `pnl`). */
    realizedPnl: money(),
    realizedPnlPercent: rate(),
    liquidity: liquidity(),
    executedAt: timestamptz().defaultNow().notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('idx_trades_exchange_id').on(t.exchangeTradeId),
    foreignKey({
      name: 'trades_order_portfolio_fk',
      columns: [t.orderId, t.portfolioId],
      foreignColumns: [orders.id, orders.portfolioId],
    }).onDelete('restrict'),
    foreignKey({
      name: 'trades_portfolio_owner_fk',
      columns: [t.portfolioId, t.userId],
      foreignColumns: [portfolios.id, portfolios.userId],
    }).onDelete('restrict'),
    index('idx_trade_portfolio').on(t.portfolioId, t.executedAt.desc()),
    index('idx_trade_symbol').on(t.symbol),
    index('idx_trade_executed').on(t.executedAt),
    index('idx_trades_user_executed').on(t.userId, t.executedAt.desc()),
    index('trades_order_idx').on(t.orderId),
    check('trades_quantity_positive', sql`${t.quantity} > 0`),
    check('trades_price_positive', sql`${t.price} > 0`),
    check('trades_quote_quantity_nonnegative', sql`${t.quoteQuantity} >= 0`),
  ],
);
export type Trade = typeof trades.$inferSelect;
export type NewTrade = typeof trades.$inferInsert;

function buildPositionColumns() {
  return {
    id: id(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'restrict' }),
    portfolioId: uuid()
      .notNull()
      .references(() => portfolios.id, { onDelete: 'restrict' }),
    /** Canonical symbol (seed 000 `market_symbol`, seed 004 `asset`). */
    symbol: text().notNull(),
    exchange: text(),
    kind: marketKind().notNull().default('spot'),
    side: positionSide().notNull().default('long'),
    status: positionStatus().notNull().default('open'),
    /** Size in base currency, unsigned (the side says long or short); 0 once closed. */
    quantity: money().notNull(),
    /** Average entry price (seed 002 `average_price`). */
    entryPrice: money().notNull(),
    /** Last mark/oracle price (seeds 000/001 `current_price`). */
    markPrice: money(),
    /** quantity × mark_price (seed 002 `market_value`), computed by the database. */
    marketValue: money().generatedAlwaysAs(sql`"quantity" * "mark_price"`),
    leverage: rate().notNull().default('1'),
    /** Margin allocated (seed 000 `margin_used`); 0 for spot. */
    margin: money().notNull().default('0'),
    maintenanceMarginRate: rate(),
    liquidationPrice: money(),
    unrealizedPnl: money().notNull().default('0'),
    unrealizedPnlPercent: rate(),
    realizedPnl: money().notNull().default('0'),
    feesPaid: money().notNull().default('0'),
    /** Net funding paid (positive) or received (negative) on a perpetual. */
    fundingPaid: money().notNull().default('0'),
    /** Worst unrealised fall while open, in percent. */
    maxDrawdown: rate(),
    stopLoss: money(),
    takeProfits: jsonb().$type<TakeProfitLeg[]>(),
    exitPrice: money(),
    /** Share of the account's risk budget this position used (seed 004), 0–1. */
    riskConsumed: rate(),
    /** The whale whose move led to this position (seed 004). */
    signalWalletId: uuid().references(() => wallets.id, { onDelete: 'set null' }),
    openedAt: timestamptz().defaultNow().notNull(),
    closedAt: timestamptz(),
    /** closed_at − opened_at in seconds (seed 004 `holding_time INTERVAL`). */
    holdingSeconds: integer(),
    updatedAt: updatedAt(),
  };
}
export type PositionColumns = ReturnType<typeof buildPositionColumns>;

/**
 * The columns of `positions`, also the leading columns of `active_positions_view` (which selects
 * `p.*`). A function so the table and the view each get their own builders.
 */
export function positionColumns(): PositionColumns {
  return buildPositionColumns();
}

export const positions = pgTable('positions', positionColumns(), (t) => [
  // One open position per market per account; closed and liquidated rows are history.
  uniqueIndex('positions_open_portfolio_symbol_unique').on(t.portfolioId, t.symbol).where(sql`${t.status} = 'open'`),
  foreignKey({
    name: 'positions_portfolio_owner_fk',
    columns: [t.portfolioId, t.userId],
    foreignColumns: [portfolios.id, portfolios.userId],
  }).onDelete('restrict'),
  index('idx_position_portfolio').on(t.portfolioId, t.openedAt.desc()),
  index('idx_position_symbol').on(t.symbol),
  index('idx_positions_user_symbol').on(t.userId, t.symbol),
  // Seed 004 idx_positions_open (closed_at) WHERE closed_at IS NULL, keyed for the mark-to-market sweep.
  index('idx_positions_open').on(t.symbol).where(sql`${t.status} = 'open'`),
  // For daily_performance and closed-trade history.
  index('idx_positions_closed').on(t.closedAt).where(sql`${t.closedAt} is not null`),
  check('positions_quantity_nonnegative', sql`${t.quantity} >= 0`),
  check('positions_open_quantity_positive', sql`${t.status} <> 'open' or ${t.quantity} > 0`),
  check('positions_entry_price_positive', sql`${t.entryPrice} > 0`),
  check('positions_leverage_positive', sql`${t.leverage} > 0`),
  check('positions_margin_nonnegative', sql`${t.margin} >= 0`),
  check('positions_closed_at_matches_status', sql`(${t.status} = 'open') = (${t.closedAt} is null)`),
]);
export type Position = typeof positions.$inferSelect;
export type NewPosition = typeof positions.$inferInsert;

/**
 * The token behind a trade card: the exact parameters (hashed) the user is asked to approve, valid
 * once and briefly. Approving in chat or over MCP spends it; it then points at the order it created.
 */
export const confirmationTokens = pgTable(
  'confirmation_tokens',
  {
    id: id(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    portfolioId: uuid()
      .notNull()
      .references(() => portfolios.id, { onDelete: 'cascade' }),
    tokenHash: text().notNull().unique('confirmation_tokens_token_hash_unique'),
    /** Hash of the normalised order parameters; execution must present the same parameters. */
    paramsHash: text().notNull(),
    /** The card shown: notional, leverage, liquidation price, share of equity, warnings. */
    card: jsonb().$type<Record<string, unknown>>().notNull(),
    expiresAt: timestamptz().notNull(),
    usedAt: timestamptz(),
    orderId: uuid().references(() => orders.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (t) => [index('confirmation_tokens_user_idx').on(t.userId, t.createdAt.desc())],
);
export type ConfirmationToken = typeof confirmationTokens.$inferSelect;
export type NewConfirmationToken = typeof confirmationTokens.$inferInsert;
