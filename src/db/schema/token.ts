// The platform token (seed 003): balances per user, staking pools, stakes and the reward log.
// Token amounts are money: numeric, never negative where they cannot be, and rows that record
// value restrict the deletion of their user and pool.
import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, pgTable, text, unique, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, money, rate, timestamps, timestamptz } from './columns.js';
import { stakeStatus } from './enums.js';
import { users } from './users.js';

/** The platform token's symbol. */
export const PLATFORM_TOKEN = 'MIKEY';

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
    ...timestamps(),
  },
  (t) => [
    unique('token_balances_user_token_unique').on(t.userId, t.token),
    check('token_balances_balance_nonnegative', sql`${t.balance} >= 0`),
    check('token_balances_locked_nonnegative', sql`${t.locked} >= 0`),
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
    startsAt: timestamptz(),
    endsAt: timestamptz(),
    ...timestamps(),
  },
  (t) => [
    check('staking_pools_apr_nonnegative', sql`${t.apr} >= 0`),
    check('staking_pools_lock_days_nonnegative', sql`${t.lockDays} >= 0`),
    check('staking_pools_total_staked_nonnegative', sql`${t.totalStaked} >= 0`),
    check('staking_pools_capacity', sql`${t.maxTotalStake} is null or ${t.totalStaked} <= ${t.maxTotalStake}`),
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
    createdAt: createdAt(),
  },
  (t) => [
    index('reward_logs_user_time_idx').on(t.userId, t.createdAt.desc()),
    index('reward_logs_source_idx').on(t.sourceType, t.sourceId),
    check('reward_logs_amount_positive', sql`${t.amount} > 0`),
  ],
);
export type RewardLog = typeof rewardLogs.$inferSelect;
export type NewRewardLog = typeof rewardLogs.$inferInsert;
