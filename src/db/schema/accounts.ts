// Accounts that hold money. A portfolio is one account — paper or live, on one exchange — merging
// seed 001 `portfolios`, seed 002 `trading_accounts` and seed 003 `exchange_accounts`: all three are
// "the place a user's balances, orders and positions live", differing only in which attributes
// each platform happened to record. Balances are the current state per asset; ledger entries are
// the append-only history that explains every change to them.
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  date,
  foreignKey,
  index,
  integer,
  pgTable,
  text,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { createdAt, id, money, rate, timestamps, timestamptz, updatedAt } from './columns.js';
import { accountType, tradingMode } from './enums.js';
import { users } from './users.js';

export const portfolios = pgTable(
  'portfolios',
  {
    id: id(),
    /** Restrict: an account that holds (or held) money outlives any attempt to delete its owner. */
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'restrict' }),
    name: text().notNull(),
    tradingMode: tradingMode().notNull().default('paper'),
    accountType: accountType().notNull().default('spot'),
    /** ccxt exchange id (`binance`, `okx` …) or `paper` for the built-in simulator. */
    exchange: text().notNull().default('paper'),
    /** The exchange's own account / sub-account id (seed 002 `trading_accounts.account_id`). */
    externalAccountId: text(),
    baseCurrency: text().notNull().default('USDT'),
    initialCapital: money().notNull().default('0'),
    isActive: boolean().notNull().default(true),
    isDefault: boolean().notNull().default(false),
    /** Execute without a confirmation card (paper only by policy; the risk service decides). */
    autoConfirm: boolean().notNull().default(false),
    /** Kill switch: no new orders while true. */
    tradingHalted: boolean().notNull().default(false),
    haltedReason: text(),
    haltedAt: timestamptz(),
    makerFeeRate: rate().notNull().default('0.001'),
    takerFeeRate: rate().notNull().default('0.001'),
    // Cached metrics (seed 001), recomputed by the portfolio service from balances and positions.
    /** Seed 001 `total_value_usd`: equity in `base_currency`. */
    currentValue: money().notNull().default('0'),
    /** Seed 001 `cash_balance_usd`: free quote balance in `base_currency`. */
    cashBalance: money().notNull().default('0'),
    totalPnl: money().notNull().default('0'),
    totalPnlPercent: rate().notNull().default('0'),
    dailyPnl: money().notNull().default('0'),
    sharpeRatio: rate(),
    /** Largest peak-to-trough fall, as a percentage (negative or zero). */
    maxDrawdown: rate(),
    /** Share of closing trades with positive P&L, in percent (0–100). */
    winRate: rate(),
    /** A paper twin's live portfolio: it receives the same orders at the same moments (the shadow). */
    shadowOf: uuid(),
    ...timestamps(),
  },
  (t) => [
    unique('portfolios_user_name_unique').on(t.userId, t.name),
    // Target of the (portfolio_id, user_id) foreign keys that keep child rows owned by the portfolio's owner.
    unique('portfolios_id_user_unique').on(t.id, t.userId),
    index('idx_portfolio_user').on(t.userId),
    // Seed 002 UNIQUE(user_id, exchange, account_id); paper portfolios have no external id.
    uniqueIndex('portfolios_user_exchange_account_unique')
      .on(t.userId, t.exchange, t.externalAccountId)
      .where(sql`${t.externalAccountId} is not null`),
    // A live portfolio has at most one paper shadow.
    uniqueIndex('portfolios_one_shadow_each').on(t.shadowOf).where(sql`${t.shadowOf} is not null`),
    foreignKey({ columns: [t.shadowOf], foreignColumns: [t.id], name: 'portfolios_shadow_of_fk' }).onDelete('cascade'),
    // At most one default portfolio per user.
    uniqueIndex('portfolios_one_default_per_user').on(t.userId).where(sql`${t.isDefault}`),
    check('portfolios_initial_capital_nonnegative', sql`${t.initialCapital} >= 0`),
    check('portfolios_fee_rates_sane', sql`${t.makerFeeRate} > -1 and ${t.makerFeeRate} < 1 and ${t.takerFeeRate} >= 0 and ${t.takerFeeRate} < 1`),
  ],
);
export type Portfolio = typeof portfolios.$inferSelect;
export type NewPortfolio = typeof portfolios.$inferInsert;

/**
 * Current holdings per asset (seed 002 `balances`). `free` can be spent; `locked` is reserved by
 * open orders or used as margin. Neither can go negative — the database refuses an overdraft even
 * if a bug in the service would allow one. `total` is computed by the database.
 */
export const balances = pgTable(
  'balances',
  {
    id: id(),
    portfolioId: uuid()
      .notNull()
      .references(() => portfolios.id, { onDelete: 'cascade' }),
    asset: text().notNull(),
    free: money().notNull().default('0'),
    locked: money().notNull().default('0'),
    total: money().generatedAlwaysAs(sql`"free" + "locked"`),
    /** Last valuation in USD (seed 002), informational. */
    usdValue: money(),
    updatedAt: updatedAt(),
  },
  (t) => [
    unique('balances_portfolio_asset_unique').on(t.portfolioId, t.asset),
    check('balances_free_nonnegative', sql`${t.free} >= 0`),
    check('balances_locked_nonnegative', sql`${t.locked} >= 0`),
  ],
);
export type Balance = typeof balances.$inferSelect;
export type NewBalance = typeof balances.$inferInsert;

/**
 * Append-only balance history: one row per change of one asset's free/locked amounts, with the
 * amounts after the change. Replaying a portfolio's entries for an asset in id order reproduces
 * its balance row exactly. Restrict: money history is never deleted with its account.
 */
export const ledgerEntries = pgTable(
  'ledger_entries',
  {
    id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    portfolioId: uuid()
      .notNull()
      .references(() => portfolios.id, { onDelete: 'restrict' }),
    asset: text().notNull(),
    freeDelta: money().notNull().default('0'),
    lockedDelta: money().notNull().default('0'),
    freeAfter: money().notNull(),
    lockedAfter: money().notNull(),
    /** deposit, withdrawal, reserve, release, fill, fee, funding, realized_pnl, margin, … (`LedgerReason`). */
    reason: text().notNull(),
    /** What caused it: `order`, `trade`, `position`, `transfer` … and that row's id. */
    refType: text(),
    refId: text(),
    traceId: text(),
    createdAt: createdAt(),
  },
  (t) => [
    index('ledger_entries_portfolio_asset_id_idx').on(t.portfolioId, t.asset, t.id),
    index('ledger_entries_ref_idx').on(t.refType, t.refId),
    check('ledger_entries_free_after_nonnegative', sql`${t.freeAfter} >= 0`),
    check('ledger_entries_locked_after_nonnegative', sql`${t.lockedAfter} >= 0`),
  ],
);
export type LedgerEntry = typeof ledgerEntries.$inferSelect;
export type NewLedgerEntry = typeof ledgerEntries.$inferInsert;

/**
 * Exchange API credentials (seed 002 `user_api_keys`, seed 001 `users.api_key/api_secret`, seed 003
 * `exchange_accounts.api_key_hash/api_secret_hash`). MIKEY must sign requests with them, so they are
 * stored encrypted (AES-256-GCM, base64 of iv|tag|ciphertext, `key_version` names the master key),
 * never hashed and never in plain text.
 */
export const exchangeCredentials = pgTable(
  'exchange_credentials',
  {
    id: id(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The live portfolio these keys trade for; null until attached. */
    portfolioId: uuid().references(() => portfolios.id, { onDelete: 'set null' }),
    exchange: text().notNull(),
    label: text(),
    apiKeyCiphertext: text().notNull(),
    apiSecretCiphertext: text().notNull(),
    passphraseCiphertext: text(),
    keyVersion: integer().notNull().default(1),
    isActive: boolean().notNull().default(true),
    /** Seed 003 `is_valid`: the last check against the exchange succeeded. */
    isValid: boolean().notNull().default(false),
    /** The venue's testnet (ccxt `setSandboxMode`) rather than its real API. */
    sandbox: boolean().notNull().default(false),
    /** Seed 002 `trading_accounts.account_type`: what the keys trade (spot, margin or futures). */
    accountType: accountType().notNull().default('spot'),
    /** When the keys were last checked against the venue, and what went wrong then (clean text). */
    lastCheckedAt: timestamptz(),
    lastError: text(),
    ...timestamps(),
    lastUsedAt: timestamptz(),
  },
  (t) => [index('exchange_credentials_user_idx').on(t.userId), index('exchange_credentials_portfolio_idx').on(t.portfolioId)],
);
export type ExchangeCredential = typeof exchangeCredentials.$inferSelect;
export type NewExchangeCredential = typeof exchangeCredentials.$inferInsert;

/**
 * One row per portfolio per day (seed 002 `portfolio_snapshots`, seed 000 `Portfolio` model, which
 * is a snapshot). Written and then overwritten during the day; the last write of a day stands.
 * Derived data, so it goes with its portfolio.
 */
export const portfolioSnapshots = pgTable(
  'portfolio_snapshots',
  {
    id: id(),
    portfolioId: uuid()
      .notNull()
      .references(() => portfolios.id, { onDelete: 'cascade' }),
    /** The UTC day. */
    snapshotDate: date().notNull(),
    /** When the snapshot was taken (seed 000 `snapshot_time`). */
    snapshotAt: timestamptz().defaultNow().notNull(),
    totalValue: money().notNull(),
    /** Free quote balance (seed 000 `available_balance`). */
    cash: money().notNull().default('0'),
    positionsValue: money().notNull().default('0'),
    marginUsed: money().notNull().default('0'),
    realizedPnl: money().notNull().default('0'),
    unrealizedPnl: money().notNull().default('0'),
    totalPnl: money().notNull().default('0'),
    dailyPnl: money().notNull().default('0'),
    /** Cumulative trading fees paid up to the snapshot (seed 000 `trading_fees_paid`). */
    fees: money().notNull().default('0'),
    positionsCount: integer().notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [unique('portfolio_snapshots_portfolio_date_unique').on(t.portfolioId, t.snapshotDate)],
);
export type PortfolioSnapshot = typeof portfolioSnapshots.$inferSelect;
export type NewPortfolioSnapshot = typeof portfolioSnapshots.$inferInsert;
