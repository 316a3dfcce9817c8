// Market reference data and market data. `markets` merges seed 002 `trading_pairs` and seed 003
// `market_pairs`. `candles` (seed 001 `price_data` + seed 002 `market_data_ohlcv`) and `price_ticks`
// (seed 000 Pyth `MarketData`) are time-series tables: their primary keys end in the time column
// so the migrator can turn them into TimescaleDB hypertables (see time-series.ts).
import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, jsonb, pgTable, primaryKey, text, unique } from 'drizzle-orm/pg-core';
import { createdAt, id, money, rate, timestamps, timestamptz } from './columns.js';
import { marketKind } from './enums.js';

/** A tradable instrument on one venue, with the trading rules orders are rounded to. */
export const markets = pgTable(
  'markets',
  {
    id: id(),
    /** Canonical symbol: `BTC/USDT` for spot, `SOL-PERP` for perpetuals. */
    symbol: text().notNull(),
    /** ccxt exchange id, `pyth`, or `paper`. */
    exchange: text().notNull(),
    baseAsset: text().notNull(),
    quoteAsset: text().notNull(),
    kind: marketKind().notNull().default('spot'),
    /** Price increment; prices round to it. */
    tickSize: money().notNull(),
    /** Quantity increment; quantities round down to it. */
    stepSize: money().notNull(),
    /** Seed 002 `min_order_size`. */
    minQty: money().notNull().default('0'),
    /** Seed 002 `max_order_size`; null = no limit. */
    maxQty: money(),
    minNotional: money().notNull().default('0'),
    maxLeverage: integer().notNull().default(1),
    isActive: boolean().notNull().default(true),
    /** Pyth price feed id (hex) used for the oracle cross-check. */
    pythFeedId: text(),
    /** Seed 000 `staleness_threshold`: the oldest oracle price (seconds) acceptable for this market; null = service default. */
    stalenessThresholdSeconds: integer(),
    ...timestamps(),
  },
  (t) => [
    unique('markets_exchange_symbol_unique').on(t.exchange, t.symbol),
    index('markets_symbol_idx').on(t.symbol),
    check('markets_tick_size_positive', sql`${t.tickSize} > 0`),
    check('markets_step_size_positive', sql`${t.stepSize} > 0`),
    check('markets_min_qty_nonnegative', sql`${t.minQty} >= 0`),
    check('markets_max_qty_above_min', sql`${t.maxQty} is null or ${t.maxQty} >= ${t.minQty}`),
    check('markets_min_notional_nonnegative', sql`${t.minNotional} >= 0`),
    check('markets_max_leverage_positive', sql`${t.maxLeverage} >= 1`),
  ],
);
export type Market = typeof markets.$inferSelect;
export type NewMarket = typeof markets.$inferInsert;

/** OHLCV candles. Natural key (symbol, exchange, timeframe, open_time); no surrogate id. */
export const candles = pgTable(
  'candles',
  {
    symbol: text().notNull(),
    exchange: text().notNull(),
    /** `1m`, `5m`, `1h`, `4h`, `1d` … */
    timeframe: text().notNull(),
    openTime: timestamptz().notNull(),
    /** Seed 002 `close_time`; derivable from open_time + timeframe, kept when the source gives it. */
    closeTime: timestamptz(),
    open: money().notNull(),
    high: money().notNull(),
    low: money().notNull(),
    close: money().notNull(),
    volume: money().notNull(),
    quoteVolume: money(),
    vwap: money(),
    tradeCount: integer(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ name: 'candles_pkey', columns: [t.symbol, t.exchange, t.timeframe, t.openTime] }),
    index('idx_market_data_symbol_time').on(t.symbol, t.timeframe, t.openTime.desc()),
    index('idx_price_exchange_time').on(t.exchange, t.openTime),
    check('candles_high_low', sql`${t.high} >= ${t.low}`),
    check('candles_volume_nonnegative', sql`${t.volume} >= 0`),
  ],
);
export type Candle = typeof candles.$inferSelect;
export type NewCandle = typeof candles.$inferInsert;

/**
 * Oracle prices (Pyth Hermes). `price`, `confidence` and the EMA fields are stored already scaled
 * (raw integer × 10^exponent) so they compare directly with exchange prices; `exponent` is kept so
 * the raw integers can be reconstructed exactly.
 */
export const priceTicks = pgTable(
  'price_ticks',
  {
    feedId: text().notNull(),
    symbol: text().notNull(),
    price: money().notNull(),
    /** ± band around `price` (seed 000 `confidence`). */
    confidence: money().notNull(),
    exponent: integer().notNull(),
    publishTime: timestamptz().notNull(),
    emaPrice: money(),
    emaConfidence: money(),
    source: text().notNull().default('pyth'),
    receivedAt: timestamptz().defaultNow().notNull(),
  },
  (t) => [
    primaryKey({ name: 'price_ticks_pkey', columns: [t.feedId, t.publishTime] }),
    index('price_ticks_symbol_time_idx').on(t.symbol, t.publishTime.desc()),
    check('price_ticks_confidence_nonnegative', sql`${t.confidence} >= 0`),
  ],
);
export type PriceTick = typeof priceTicks.$inferSelect;
export type NewPriceTick = typeof priceTicks.$inferInsert;

/** Latest ticker per market (seed 002 `price_tickers`), upserted on (exchange, symbol). */
export const tickers = pgTable(
  'tickers',
  {
    id: id(),
    symbol: text().notNull(),
    exchange: text().notNull(),
    /** Last traded price (seed 002 `price`). */
    last: money().notNull(),
    bid: money(),
    ask: money(),
    high24h: money('high_24h'),
    low24h: money('low_24h'),
    /** Base-asset volume over 24 h. */
    volume24h: money('volume_24h'),
    quoteVolume24h: money('quote_volume_24h'),
    /** Absolute price change over 24 h (seed 002 `change_24h`). */
    change24h: money('change_24h'),
    change24hPercent: rate('change_24h_percent'),
    updatedAt: timestamptz().defaultNow().notNull(),
  },
  (t) => [unique('uk_ticker_symbol_exchange').on(t.exchange, t.symbol)],
);
export type Ticker = typeof tickers.$inferSelect;
export type NewTicker = typeof tickers.$inferInsert;

/** A captured order book (seed 002). `bids`/`asks` are `[[price, quantity], …]` with decimal strings. */
export const orderBookSnapshots = pgTable(
  'order_book_snapshots',
  {
    id: id(),
    symbol: text().notNull(),
    exchange: text().notNull(),
    bids: jsonb().$type<Array<[string, string]>>().notNull(),
    asks: jsonb().$type<Array<[string, string]>>().notNull(),
    /** When the book was observed (seed 002 `timestamp`). */
    capturedAt: timestamptz().notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('order_book_snapshots_symbol_time_idx').on(t.symbol, t.exchange, t.capturedAt.desc())],
);
export type OrderBookSnapshot = typeof orderBookSnapshots.$inferSelect;
export type NewOrderBookSnapshot = typeof orderBookSnapshots.$inferInsert;
