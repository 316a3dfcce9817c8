// The platform token (seed 003): balances per user, staking pools, stakes and the reward log.
// Token amounts are money: numeric, never negative where they cannot be, and rows that record
// value restrict the deletion of their user and pool.
import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, pgTable, text, unique, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, money, rate, timestamps, timestamptz } from './columns.js';
import { stakeStatus } from './enums.js';
import { users } from './users.js';

/** The platform token's default symbol (seed 003); `MIKEY_TOKEN_SYMBOL` names another. */
export const PLATFORM_TOKEN = 'OMNI';

/** Seed 003 `user_token_balances` (one per user and token). */
export const tokenBalances = pgTable(
  'token_balances',
  {
    id: id(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'restrict' }),
    token: text().notNull().default(PLATFORM_TOKEN),
    /** Spendable. */
    balance: money().notNull().default('0'),
    /** Staked or otherwise locked. */
    locked: money().notNull().default('0'),
    /** All rewards ever credited. */
    lifetimeRewards: money().notNull().default('0'),
    /** Rewards credited and not yet claimed into the balance. */
    claimable: money().notNull().default('0'),
    ...timestamps(),
  },
  (t) => [
    unique('token_balances_user_token_unique').on(t.userId, t.token),
    check('token_balances_balance_nonnegative', sql`${t.balance} >= 0`),
    check('token_balances_locked_nonnegative', sql`${t.locked} >= 0`),
    check('token_balances_claimable_nonnegative', sql`${t.claimable} >= 0`),
  ],
);
export type TokenBalance = typeof tokenBalances.$inferSelect;
export type NewTokenBalance = typeof tokenBalances.$inferInsert;

/** Seed 003 `staking_pools`. */
export const stakingPools = pgTable(
  'staking_pools',
  {
    id: id(),
    name: text().notNull().unique('staking_pools_name_unique'),
    token: text().notNull().default(PLATFORM_TOKEN),
    /** Annual percentage rate as a fraction (0.12 = 12 %). */
    apr: rate().notNull(),
    /** Minimum lock; 0 = flexible. */
    lockDays: integer().notNull().default(0),
    minStake: money().notNull().default('0'),
    /** Pool capacity; null = unlimited. */
    maxTotalStake: money(),
    totalStaked: money().notNull().default('0'),
    isActive: boolean().notNull().default(true),
    /** Fraction of the principal kept when unstaking before the lock ends; null = not allowed early. */
    earlyUnstakePenalty: rate(),
    startsAt: timestamptz(),
    endsAt: timestamptz(),
    ...timestamps(),
  },
  (t) => [
    check('staking_pools_apr_nonnegative', sql`${t.apr} >= 0`),
    check('staking_pools_lock_days_nonnegative', sql`${t.lockDays} >= 0`),
    check('staking_pools_total_staked_nonnegative', sql`${t.totalStaked} >= 0`),
    check('staking_pools_capacity', sql`${t.maxTotalStake} is null or ${t.totalStaked} <= ${t.maxTotalStake}`),
    check('staking_pools_penalty_range', sql`${t.earlyUnstakePenalty} is null or (${t.earlyUnstakePenalty} >= 0 and ${t.earlyUnstakePenalty} <= 1)`),
  ],
);
export type StakingPool = typeof stakingPools.$inferSelect;
export type NewStakingPool = typeof stakingPools.$inferInsert;

/** Seed 003 `user_stakes`. */
export const userStakes = pgTable(
  'user_stakes',
  {
    id: id(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'restrict' }),
    poolId: uuid()
      .notNull()
      .references(() => stakingPools.id, { onDelete: 'restrict' }),
    amount: money().notNull(),
    status: stakeStatus().notNull().default('active'),
    stakedAt: timestamptz().defaultNow().notNull(),
    unlocksAt: timestamptz(),
    unstakedAt: timestamptz(),
    rewardsAccrued: money().notNull().default('0'),
    lastRewardAt: timestamptz(),
    ...timestamps(),
  },
  (t) => [
    index('user_stakes_user_idx').on(t.userId, t.status),
    index('user_stakes_pool_idx').on(t.poolId, t.status),
    check('user_stakes_amount_positive', sql`${t.amount} > 0`),
    check('user_stakes_rewards_nonnegative', sql`${t.rewardsAccrued} >= 0`),
  ],
);
export type UserStake = typeof userStakes.$inferSelect;
export type NewUserStake = typeof userStakes.$inferInsert;

/**
 * Seed 003 `reward_transaction_logs`. `source_type`/`source_id` is the polymorphic source (a stake,
 * a trade, a referral …) as in the seed, so it carries no foreign key.
 */
export const rewardLogs = pgTable(
  'reward_logs',
  {
    id: id(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'restrict' }),
    token: text().notNull().default(PLATFORM_TOKEN),
    amount: money().notNull(),
    /** staking, trading_activity, referral, bonus … */
    rewardType: text().notNull(),
    /** `user_stake`, `trade`, `referral` … */
    sourceType: text(),
    sourceId: text(),
    description: text(),
    /** On-chain distribution transaction, when paid out on chain. */
    txHash: text(),
    /** The written rule that paid it (`staking_yield`, `trading_activity`, `competition_prize` …). */
    rule: text(),
    /** The period it pays for (`2026-12-05` for a day; a competition's id for a prize). */
    period: text(),
    createdAt: createdAt(),
  },
  (t) => [
    // A rule pays a user once per period, whoever runs the accrual and however often.
    unique('reward_logs_rule_user_period_key').on(t.rule, t.userId, t.period),
    index('reward_logs_user_time_idx').on(t.userId, t.createdAt.desc()),
    index('reward_logs_source_idx').on(t.sourceType, t.sourceId),
    check('reward_logs_amount_positive', sql`${t.amount} > 0`),
  ],
);
export type RewardLog = typeof rewardLogs.$inferSelect;
export type NewRewardLog = typeof rewardLogs.$inferInsert;

/**
 * The token's supply and treasury (one row per token). Total supply changes only by minting; every
 * other movement is between accounts, so total supply = Σ balances + Σ locked (staked) + Σ claimable
 * rewards + treasury, always (the reconciler and a property test check it).
 */
export const tokenTreasury = pgTable(
  'token_treasury',
  {
    token: text().primaryKey(),
    totalSupply: money().notNull().default('0'),
    treasury: money().notNull().default('0'),
    ...timestamps(),
  },
  (t) => [
    check('token_treasury_supply_nonnegative', sql`${t.totalSupply} >= 0`),
    check('token_treasury_treasury_nonnegative', sql`${t.treasury} >= 0`),
  ],
);
export type TokenTreasury = typeof tokenTreasury.$inferSelect;

/**
 * Every change of a token account, double entry: the entries of one movement (`transfer_id`) sum to
 * zero, except a mint, whose one treasury entry is matched by the supply it adds. Accounts: a user's
 * `balance`, `locked` or `claimable`, and the `treasury`.
 */
export const tokenLedger = pgTable(
  'token_ledger',
  {
    id: id(),
    token: text().notNull(),
    transferId: uuid().notNull(),
    /** Null for the treasury. */
    userId: uuid().references(() => users.id, { onDelete: 'restrict' }),
    account: text().notNull(),
    /** Signed: credit positive, debit negative. */
    amount: money().notNull(),
    /** mint, stake, unstake, penalty, reward, claim. */
    entryType: text().notNull(),
    refType: text(),
    refId: text(),
    createdAt: createdAt(),
  },
  (t) => [
    index('token_ledger_user_time_idx').on(t.userId, t.createdAt.desc()),
    index('token_ledger_transfer_idx').on(t.transferId),
    check('token_ledger_account', sql`${t.account} in ('balance', 'locked', 'claimable', 'treasury')`),
    check('token_ledger_treasury_has_no_user', sql`(${t.account} = 'treasury') = (${t.userId} is null)`),
  ],
);
export type TokenLedgerEntry = typeof tokenLedger.$inferSelect;
