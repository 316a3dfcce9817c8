// Wallet intelligence (seed 004): watched wallets, their credibility scores over time, the on-chain
// events they cause, MIKEY's analysis of each event, and the resulting market bias per asset.
// wallet_scores, onchain_events and market_bias are time-series tables: every primary key and
// unique index includes the time column (TimescaleDB's rule), and nothing holds a foreign key *into*
// them (TimescaleDB before 2.16 cannot reference a hypertable), so links to an event are soft.
import { boolean, index, integer, jsonb, pgTable, primaryKey, real, text, unique, uuid } from 'drizzle-orm/pg-core';
import { createdAt, emptyTextArray, id, money, rate, timestamptz } from './columns.js';
import { users } from './users.js';

/** A watched wallet (whale). Shared by all users; deactivated, never deleted. */
export const wallets = pgTable(
  'wallets',
  {
    id: id(),
    address: text().notNull(),
    label: text(),
    chain: text().notNull().default('ethereum'),
    firstSeenAt: timestamptz().defaultNow().notNull(),
    /** Seed 004 `last_activity`. */
    lastActivityAt: timestamptz(),
    isActive: boolean().notNull().default(true),
    tags: text().array().notNull().default(emptyTextArray),
    metadata: jsonb().$type<Record<string, unknown>>(),
  },
  (t) => [
    // Seed 004 `address UNIQUE`; the same EVM address exists on every EVM chain, so per chain.
    unique('wallets_chain_address_unique').on(t.chain, t.address),
    index('idx_wallets_address').on(t.address),
    index('idx_wallets_active').on(t.isActive),
  ],
);
export type Wallet = typeof wallets.$inferSelect;
export type NewWallet = typeof wallets.$inferInsert;

/** Credibility of a wallet at a point in time (time-series). Derived data: goes with its wallet. */
export const walletScores = pgTable(
  'wallet_scores',
  {
    walletId: uuid()
      .notNull()
      .references(() => wallets.id, { onDelete: 'cascade' }),
    /** Seed 004 `timestamp`. */
    scoredAt: timestamptz().notNull(),
    /** Credibility 0–10 over the last 1 h / 4 h / 24 h. */
    credibility1h: rate('credibility_1h'),
    credibility4h: rate('credibility_4h'),
    credibility24h: rate('credibility_24h'),
    equityUsd: money(),
    tradingVolume24h: money('trading_volume_24h'),
    /** 0–1. */
    winRate: rate(),
    /** e.g. `smart_money`, `market_maker`, `degen`, `fund`. */
    archetype: text(),
  },
  (t) => [
    // Serves seed 004 idx_wallet_scores_composite (wallet_id, timestamp DESC) as well.
    primaryKey({ name: 'wallet_scores_pkey', columns: [t.walletId, t.scoredAt] }),
  ],
);
export type WalletScore = typeof walletScores.$inferSelect;
export type NewWalletScore = typeof walletScores.$inferInsert;

/** An on-chain event by a watched wallet (seed 004 `events`; renamed because "events" says nothing). */
export const onchainEvents = pgTable(
  'onchain_events',
  {
    id: uuid().defaultRandom().notNull(),
    /** Block time (seed 004 `timestamp`). */
    occurredAt: timestamptz().notNull(),
    /** Restrict: events are observed history; wallets are deactivated, not deleted. */
    walletId: uuid().references(() => wallets.id, { onDelete: 'restrict' }),
    txHash: text().notNull(),
    /** Position of the event within its transaction (one transaction can move several assets). */
    logIndex: integer().notNull().default(0),
    /** `ethereum`, `hyperliquid` …: with the transaction hash and log index, the event's unique key. */
    chain: text().notNull().default('ethereum'),
    blockNumber: integer(),
    blockHash: text(),
    /** Set when the event's block was orphaned by a reorg: kept for the record, never counted. */
    retractedAt: timestamptz(),
    /** `transfer`, `swap`, `deposit_exchange`, `withdraw_exchange`, `open_perp` … */
    eventType: text().notNull(),
    asset: text(),
    amount: money(),
    notionalUsd: money(),
    /** Share of the wallet's holdings this event moved (0–1). */
    sizeFraction: rate(),
    venue: text(),
    gasPrice: money(),
    isFirstSinceWatch: boolean().notNull().default(false),
    rawData: jsonb(),
    processedAt: timestamptz().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'onchain_events_pkey', columns: [t.id, t.occurredAt] }),
    // Seed 004 `tx_hash UNIQUE`, widened by log_index and the time column (hypertable rule).
    unique('onchain_events_chain_tx_unique').on(t.chain, t.txHash, t.logIndex, t.occurredAt),
    index('idx_onchain_events_wallet').on(t.walletId, t.occurredAt.desc()),
    index('idx_onchain_events_type').on(t.eventType, t.occurredAt.desc()),
  ],
);
export type OnchainEvent = typeof onchainEvents.$inferSelect;
export type NewOnchainEvent = typeof onchainEvents.$inferInsert;

/**
 * MIKEY's LLM analysis of one on-chain event (seed 004 `event_analysis`). `event_id` is the event's
 * id — a soft reference (no foreign key, see the file comment), written in the same transaction as
 * the analysis is made. `embedding` is a float vector (not money) kept as real[] because pgvector is
 * not available everywhere MIKEY runs (PGlite); similarity search is done in the service.
 */
export const eventAnalyses = pgTable('event_analyses', {
  eventId: uuid().primaryKey(),
  llmClassification: text(),
  llmConfidence: rate(),
  llmNarrative: text(),
  patternMatched: text(),
  /** Signed contribution to the asset's bias, −1…1. */
  biasImpact: rate(),
  proposedAction: jsonb(),
  embedding: real().array(),
  embeddingModel: text(),
  createdAt: createdAt(),
});
export type EventAnalysis = typeof eventAnalyses.$inferSelect;
export type NewEventAnalysis = typeof eventAnalyses.$inferInsert;

/** Market bias per asset and timeframe over time (seed 004 `bias`), −1 (bearish) … 1 (bullish). */
export const marketBias = pgTable(
  'market_bias',
  {
    /** Base asset, e.g. `BTC`, `SOL`. */
    asset: text().notNull(),
    timeframe: text().notNull(),
    /** Seed 004 `timestamp`. */
    observedAt: timestamptz().notNull(),
    value: rate(),
    components: jsonb(),
    confidence: rate(),
  },
  (t) => [
    primaryKey({ name: 'market_bias_pkey', columns: [t.asset, t.timeframe, t.observedAt] }),
    index('idx_bias_asset').on(t.asset, t.observedAt.desc()),
  ],
);
export type MarketBias = typeof marketBias.$inferSelect;
export type NewMarketBias = typeof marketBias.$inferInsert;

/** A user's watch of a wallet, with the user's own label and tags (the wallet row is shared). */
export const walletWatches = pgTable(
  'wallet_watches',
  {
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    walletId: uuid()
      .notNull()
      .references(() => wallets.id, { onDelete: 'cascade' }),
    label: text(),
    tags: text().array().notNull().default(emptyTextArray),
    /** Events before this were not "since watch" for this user. */
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ name: 'wallet_watches_pkey', columns: [t.userId, t.walletId] }), index('wallet_watches_wallet_idx').on(t.walletId)],
);
export type WalletWatch = typeof walletWatches.$inferSelect;

/**
 * A wallet a member shared with a community (Telegram group, Discord server), with the label and tags
 * the community sees. Rows are community-visible (every member of the community reads them), so the
 * sharer is `shared_by`, not an owning `user_id`: an owner policy (drizzle/0010) would hide the row
 * from the very members it is shared with, as competitions' `created_by` is not an owner either.
 * One share per wallet per community; a member leaving the community takes their shares with them.
 */
export const communityWallets = pgTable(
  'community_wallets',
  {
    id: id(),
    /** 'telegram' | 'discord'. */
    platform: text().notNull(),
    /** Telegram group chat id or Discord guild id. */
    communityId: text().notNull(),
    walletId: uuid()
      .notNull()
      .references(() => wallets.id, { onDelete: 'cascade' }),
    sharedBy: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    label: text(),
    tags: text().array().notNull().default(emptyTextArray),
    sharedAt: createdAt(),
  },
  (t) => [
    unique('community_wallets_wallet_unique').on(t.platform, t.communityId, t.walletId),
    index('community_wallets_shared_by_idx').on(t.sharedBy),
  ],
);
export type CommunityWallet = typeof communityWallets.$inferSelect;
export type NewCommunityWallet = typeof communityWallets.$inferInsert;

/**
 * Where an ingestion source has got to: `evm:ethereum` (the last processed block and the recent block
 * hashes kept for reorg detection), `hyperliquid:<address>` (the last fill time). Advanced in the same
 * transaction as the events it covers, so a crash never skips or repeats a block.
 */
export const ingestionCursors = pgTable('ingestion_cursors', {
  source: text().primaryKey(),
  position: jsonb().$type<Record<string, unknown>>().notNull(),
  updatedAt: timestamptz().defaultNow().notNull(),
});
export type IngestionCursor = typeof ingestionCursors.$inferSelect;
