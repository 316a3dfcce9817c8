// The time-series tables and how each becomes a TimescaleDB hypertable. The migrator
// (src/db/migrate.ts) applies these after the SQL migrations when the `timescaledb` extension is
// available; otherwise the tables stay plain Postgres tables with the same keys and indexes, and
// retention is a scheduled delete. Every primary key and unique index of these tables includes
// `timeColumn` (TimescaleDB refuses a unique index without it), and no foreign key points into them.
//
// Retention follows the seeds: 2 years of candles (seed 001 price_data), 90 days of on-chain events,
// 180 days of wallet scores, 30 days of bias (seed 004). Pyth ticks arrive every few seconds per feed
// and only recent ones matter for the oracle check and charts, so 90 days.

export interface TimeSeriesTable {
  /** SQL table name. */
  table: string;
  /** The partitioning time column (timestamptz). */
  timeColumn: string;
  /** Hypertable chunk size. */
  chunkInterval: string;
  /** Compress chunks older than this. */
  compressAfter?: string;
  /** Drop chunks older than this. */
  retention?: string;
  /** Columns rows are grouped by inside a compressed chunk (the usual equality filters). */
  segmentBy?: string;
}

export const TIME_SERIES_TABLES = [
  {
    table: 'candles',
    timeColumn: 'open_time',
    chunkInterval: '7 days',
    compressAfter: '30 days',
    retention: '730 days',
    segmentBy: 'symbol, exchange, timeframe',
  },
  {
    table: 'price_ticks',
    timeColumn: 'publish_time',
    chunkInterval: '1 day',
    compressAfter: '7 days',
    retention: '90 days',
    segmentBy: 'feed_id',
  },
  {
    table: 'wallet_scores',
    timeColumn: 'scored_at',
    chunkInterval: '7 days',
    compressAfter: '30 days',
    retention: '180 days',
    segmentBy: 'wallet_id',
  },
  {
    table: 'onchain_events',
    timeColumn: 'occurred_at',
    chunkInterval: '7 days',
    compressAfter: '30 days',
    retention: '90 days',
    segmentBy: 'wallet_id',
  },
  {
    table: 'market_bias',
    timeColumn: 'observed_at',
    chunkInterval: '1 day',
    compressAfter: '7 days',
    retention: '30 days',
    segmentBy: 'asset, timeframe',
  },
] as const satisfies readonly TimeSeriesTable[];

export type TimeSeriesTableName = (typeof TIME_SERIES_TABLES)[number]['table'];
