// The platform token (issue 14 part 1): an off-chain token kept as a double-entry ledger. Admins mint
// into the treasury, grant from it and run staking pools; users stake, unstake, claim and read their
// balance and history; the accrual jobs pay staking yield and trading-activity rewards per UTC day.
//
// Invariants (checkSupply verifies them):
//   total supply = Σ balance + Σ locked + Σ claimable + treasury, always — only a mint changes supply;
//   every movement writes ledger entries that share a transfer id and sum to zero (a mint's single
//   treasury entry is matched by the supply it adds), so Σ ledger per account = the account column.
// Rewards are idempotent per (rule, user, period): the reward log row is inserted FIRST, with
// ON CONFLICT DO NOTHING, in the same transaction as the movement, and only the rows that insert
// returned are paid. A second run, a concurrent run, another instance or a rerun after a crash pays
// nothing twice. The treasury never goes negative: users the treasury cannot pay are skipped, reported,
// and paid by a later run once it is funded (their log row was never written).
// Competition prizes (payCompetitionPrizes) go the same way under the rule `competition_prize` with the
// competition's id as the period: each winner is paid once per competition, whoever finishes it.
// Lock order everywhere: treasury → pool → stake → balance, so movements never deadlock each other.
// Closing a pool stops new stakes; existing stakes keep accruing until they are unstaked.
// The tokens are never convertible to exchange funds: nothing here touches portfolios or balances.
import { randomUUID } from 'node:crypto';
import { and, desc, eq, sql } from 'drizzle-orm';
import { queryRows, type Db, type Executor, type Tx } from '../../db/client.js';
import { PLATFORM_TOKEN, stakingPools, tokenBalances, tokenLedger, tokenTreasury, userStakes, type StakingPool, type TokenBalance } from '../../db/schema/index.js';
import { isUniqueViolation, withTransaction } from '../../db/tx.js';
import { dec, toPlain, ZERO, type Dec } from '../../domain/money.js';
import type { Clock } from '../../domain/ports.js';
import {
  activityVolume,
  DAY_MS,
  earlyUnstakeSplit,
  payWithinTreasury,
  RewardRule,
  stakingReward,
  tradingReward,
  utcDay,
  type Fill,
  type StakeSpan,
  type UtcDay,
} from '../../domain/token.js';
import type { Logger } from '../../log.js';
import { newTraceId, type Actor } from '../actor.js';
import { writeAudit } from '../audit.js';
import { requireActiveUser, requireRole } from '../authorize.js';
import { AppError, ErrorCode, notFound } from '../errors.js';
import { isFullUuid, resolveIdPrefix, shortId } from '../id-prefix.js';
import { parseInput } from '../trading/input.js';
import { findUser } from '../users.js';
import { createPoolShape, grantShape, historyShape, mintShape, poolShape, stakeShape, unstakeShape } from './schemas.js';

/** The written rule of community competition prizes; its period is the competition's id. */
export const COMPETITION_PRIZE_RULE = 'competition_prize';
/** A rule a reward log is written under: a daily accrual rule or a competition prize. */
export type PayRule = RewardRule | typeof COMPETITION_PRIZE_RULE;

/** One prize of a finished competition. */
export interface PrizeAward {
  userId: string;
  /** Tokens (> 0, at most 18 places). */
  amount: Dec;
  /** The competition entry it pays (the reward log's source). */
  entryId: string;
  description: string;
}

/** Most staking yield one user earns per day, in tokens. */
export const DEFAULT_STAKING_DAILY_CAP = '1000';
/** Tokens per unit of counted USD volume (1 token per 1,000 USD traded). */
export const DEFAULT_TRADING_RATE = '0.001';
/** Most trading-activity reward one user earns per day, in tokens. */
export const DEFAULT_TRADING_DAILY_CAP = '50';
/** Opposite fills on the same market within this many minutes are a round trip and earn nothing. */
export const DEFAULT_WASH_WINDOW_MINUTES = 10;

export interface TokenServiceDeps {
  db: Db;
  clock: Clock;
  logger?: Logger;
  /** Token symbol (default `OMNI`; `MIKEY_TOKEN_SYMBOL` may name another). */
  token?: string;
  stakingDailyCap?: string;
  tradingRate?: string;
  tradingDailyCap?: string;
  washWindowMinutes?: number;
  /** Test seam: runs inside the accrual transaction after the reward logs are inserted (a throw = a crash there). */
  hooks?: { afterRewardLogs?(rule: PayRule, period: string): void | Promise<void> };
}

export interface MovementView {
  token: string;
  amount: string;
  transfer: string;
}
export interface SupplyView {
  token: string;
  totalSupply: string;
  treasury: string;
}
export interface PoolView {
  id: string;
  name: string;
  token: string;
  /** Annual rate as a fraction. */
  apr: string;
  aprPercent: string;
  lockDays: number;
  minStake: string;
  capacity: string | null;
  totalStaked: string;
  active: boolean;
  /** Share of principal kept on an early unstake; null = not allowed. */
  earlyUnstakePenalty: string | null;
}
export interface StakeView {
  id: string;
  pool: string;
  amount: string;
  status: string;
  stakedAt: string;
  unlocksAt: string | null;
  unstakedAt: string | null;
}
export interface BalanceView {
  token: string;
  balance: string;
  staked: string;
  claimable: string;
  lifetimeRewards: string;
  stakes: StakeView[];
}
export interface UnstakeView extends StakeView {
  returned: string;
  penalty: string;
  early: boolean;
}
export interface HistoryEntry {
  at: string;
  type: string;
  account: string;
  /** Signed: credit positive, debit negative. */
  amount: string;
  ref: string | null;
  transfer: string;
}
export interface AccrualReport {
  rule: PayRule;
  period: string;
  token: string;
  /** Users paid by this run. */
  paidUsers: number;
  paidTotal: string;
  /** Users this rule had already paid for the period (earlier run, other instance). */
  alreadyPaid: number;
  /** Users the treasury could not pay; a later run pays them once it is funded. */
  skippedUsers: number;
  skippedTotal: string;
  treasuryAfter: string;
}
export interface SupplyCheck {
  token: string;
  totalSupply: string;
  balances: string;
  locked: string;
  claimable: string;
  treasury: string;
  /** totalSupply − (balances + locked + claimable + treasury); zero when the books balance. */
  difference: string;
  ok: boolean;
  ledger: { ok: boolean; problems: string[] };
}

interface RewardCandidate {
  userId: string;
  amount: Dec;
  sourceType: string;
  sourceId: string | null;
  description: string;
}

type LedgerLine = { userId: string | null; account: 'balance' | 'locked' | 'claimable' | 'treasury'; amount: Dec; entryType: string; refType?: string; refId?: string };

const s = (d: Dec): string => toPlain(d);
const show = (v: string | Dec): string => {
  const d = typeof v === 'string' ? dec(v) : v;
  return d.isZero() ? '0' : d.toFixed();
};

export class TokenService {
  readonly token: string;
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly stakingDailyCap: Dec;
  private readonly tradingRate: Dec;
  private readonly tradingDailyCap: Dec;
  private readonly washWindowMs: number;
  private readonly hooks: NonNullable<TokenServiceDeps['hooks']>;
  private readonly logger: Logger | undefined;

  constructor(deps: TokenServiceDeps) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.logger = deps.logger;
    this.token = (deps.token ?? PLATFORM_TOKEN).trim().toUpperCase() || PLATFORM_TOKEN;
    this.stakingDailyCap = dec(deps.stakingDailyCap ?? DEFAULT_STAKING_DAILY_CAP);
    this.tradingRate = dec(deps.tradingRate ?? DEFAULT_TRADING_RATE);
    this.tradingDailyCap = dec(deps.tradingDailyCap ?? DEFAULT_TRADING_DAILY_CAP);
    this.washWindowMs = (deps.washWindowMinutes ?? DEFAULT_WASH_WINDOW_MINUTES) * 60_000;
    this.hooks = deps.hooks ?? {};
  }

  // ---- Admin -------------------------------------------------------------------------------

  /** Mints `amount` into the treasury; total supply grows by the same amount. */
  async mint(actor: Actor, input: unknown): Promise<SupplyView & MovementView> {
    const v = parseInput(mintShape, input, 'mint');
    const amount = dec(v.amount);
    await requireRole(this.db, actor, 'admin');
    return withTransaction(this.db, async (tx) => {
      const t = await this.lockTreasury(tx);
      const transferId = randomUUID();
      const supply = dec(t.totalSupply).add(amount);
      const treasury = dec(t.treasury).add(amount);
      await tx.update(tokenTreasury).set({ totalSupply: s(supply), treasury: s(treasury) }).where(eq(tokenTreasury.token, this.token));
      await this.writeLedger(tx, transferId, [{ userId: null, account: 'treasury', amount, entryType: 'mint' }]);
      await writeAudit(tx, actor, { action: 'token.mint', entityType: 'token', entityId: this.token, oldValue: { totalSupply: t.totalSupply }, newValue: { totalSupply: s(supply), minted: s(amount) } });
      return { token: this.token, amount: show(amount), transfer: shortId(transferId), totalSupply: show(supply), treasury: show(treasury) };
    });
  }

  /** Moves tokens from the treasury to a user's spendable balance (a grant, a prize paid by hand). */
  async grant(actor: Actor, input: unknown): Promise<MovementView & { user: string; treasury: string }> {
    const v = parseInput(grantShape, input, 'grant');
    const amount = dec(v.amount);
    await requireRole(this.db, actor, 'admin');
    const user = await findUser(this.db, v.user);
    return withTransaction(this.db, async (tx) => {
      const t = await this.lockTreasury(tx);
      if (dec(t.treasury).lt(amount)) {
        throw new AppError(ErrorCode.rejected, `The treasury holds ${show(t.treasury)} ${this.token}, less than ${show(amount)}: nothing was granted`, `mint more first (token mint) or grant at most ${show(t.treasury)}`);
      }
      const b = await this.lockBalance(tx, user.id);
      const transferId = randomUUID();
      await tx.update(tokenTreasury).set({ treasury: s(dec(t.treasury).sub(amount)) }).where(eq(tokenTreasury.token, this.token));
      await tx.update(tokenBalances).set({ balance: s(dec(b.balance).add(amount)) }).where(eq(tokenBalances.id, b.id));
      await this.writeLedger(tx, transferId, [
        { userId: null, account: 'treasury', amount: amount.neg(), entryType: 'grant' },
        { userId: user.id, account: 'balance', amount, entryType: 'grant' },
      ]);
      await writeAudit(tx, actor, { action: 'token.grant', entityType: 'token_balance', entityId: b.id, newValue: { user: user.username, amount: s(amount) }, ...(v.reason ? { metadata: { reason: v.reason } } : {}) });
      return { token: this.token, amount: show(amount), transfer: shortId(transferId), user: user.username ?? shortId(user.id), treasury: show(dec(t.treasury).sub(amount)) };
    });
  }

  async createPool(actor: Actor, input: unknown): Promise<PoolView> {
    const v = parseInput(createPoolShape, input, 'staking pool');
    const minStake = dec(v.minStake);
    const capacity = v.capacity === undefined ? null : dec(v.capacity);
    if (capacity && capacity.lt(minStake)) {
      throw new AppError(ErrorCode.invalidInput, `capacity ${show(capacity)} is below the minimum stake ${show(minStake)}: no stake could ever fit`, 'raise capacity or lower minStake');
    }
    await requireRole(this.db, actor, 'admin');
    try {
      return await withTransaction(this.db, async (tx) => {
        const [row] = await tx
          .insert(stakingPools)
          .values({
            name: v.name,
            token: this.token,
            apr: s(dec(v.apr)),
            lockDays: v.lockDays,
            minStake: s(minStake),
            maxTotalStake: capacity ? s(capacity) : null,
            earlyUnstakePenalty: v.earlyUnstakePenalty === undefined || v.earlyUnstakePenalty === null ? null : s(dec(v.earlyUnstakePenalty)),
            startsAt: this.clock.now(),
          })
          .returning();
        await writeAudit(tx, actor, { action: 'token.pool.create', entityType: 'staking_pool', entityId: row!.id, newValue: poolView(row!) });
        return poolView(row!);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new AppError(ErrorCode.conflict, `A staking pool named "${v.name}" already exists`, 'choose another name');
      throw err;
    }
  }

  /** Closes a pool to new stakes; stakes in it keep accruing until their owners unstake. */
  async closePool(actor: Actor, input: unknown): Promise<PoolView> {
    const v = parseInput(poolShape, input, 'pool');
    await requireRole(this.db, actor, 'admin');
    return withTransaction(this.db, async (tx) => {
      const pool = await this.findPool(tx, v.pool, true);
      if (!pool.isActive) throw new AppError(ErrorCode.conflict, `Pool "${pool.name}" is already closed: nothing was changed`, 'token pools lists the open ones');
      const [row] = await tx.update(stakingPools).set({ isActive: false, endsAt: this.clock.now() }).where(eq(stakingPools.id, pool.id)).returning();
      await writeAudit(tx, actor, { action: 'token.pool.close', entityType: 'staking_pool', entityId: pool.id, oldValue: { isActive: true }, newValue: { isActive: false } });
      return poolView(row!);
    });
  }

  // ---- Users ------------------------------------------------------------------------------

  async listPools(actor: Actor, opts: { includeClosed?: boolean } = {}): Promise<PoolView[]> {
    await requireActiveUser(this.db, actor.userId);
    const rows = await this.db
      .select()
      .from(stakingPools)
      .where(and(eq(stakingPools.token, this.token), opts.includeClosed ? undefined : eq(stakingPools.isActive, true)))
      .orderBy(stakingPools.name);
    return rows.map(poolView);
  }

  async balance(actor: Actor): Promise<BalanceView> {
    await requireActiveUser(this.db, actor.userId);
    const [b] = await this.db.select().from(tokenBalances).where(and(eq(tokenBalances.userId, actor.userId), eq(tokenBalances.token, this.token)));
    const stakes = await this.db
      .select({ stake: userStakes, pool: stakingPools.name })
      .from(userStakes)
      .innerJoin(stakingPools, eq(stakingPools.id, userStakes.poolId))
      .where(and(eq(userStakes.userId, actor.userId), eq(userStakes.status, 'active'), eq(stakingPools.token, this.token)))
      .orderBy(desc(userStakes.stakedAt));
    return {
      token: this.token,
      balance: show(b?.balance ?? '0'),
      staked: show(b?.locked ?? '0'),
      claimable: show(b?.claimable ?? '0'),
      lifetimeRewards: show(b?.lifetimeRewards ?? '0'),
      stakes: stakes.map((r) => stakeView(r.stake, r.pool)),
    };
  }

  /** Moves `amount` from the balance into a pool: balance → locked, pool total += amount. */
  async stake(actor: Actor, input: unknown): Promise<StakeView> {
    const v = parseInput(stakeShape, input, 'stake');
    const amount = dec(v.amount);
    await requireRole(this.db, actor, 'trader');
    return withTransaction(this.db, async (tx) => {
      const pool = await this.findPool(tx, v.pool, true);
      if (!pool.isActive) throw new AppError(ErrorCode.rejected, `Pool "${pool.name}" is closed to new stakes: nothing was staked`, 'token pools lists the open pools');
      if (amount.lt(dec(pool.minStake))) {
        throw new AppError(ErrorCode.invalidInput, `Pool "${pool.name}" takes stakes of at least ${show(pool.minStake)} ${this.token}; ${show(amount)} is below it: nothing was staked`, `stake ${show(pool.minStake)} or more`);
      }
      const total = dec(pool.totalStaked).add(amount);
      if (pool.maxTotalStake !== null && total.gt(dec(pool.maxTotalStake))) {
        const room = dec(pool.maxTotalStake).sub(dec(pool.totalStaked));
        throw new AppError(ErrorCode.rejected, `Pool "${pool.name}" has room for ${show(room)} more ${this.token} (capacity ${show(pool.maxTotalStake)}): nothing was staked`, room.gt(0) ? `stake at most ${show(room)}` : 'choose another pool');
      }
      const b = await this.lockBalance(tx, actor.userId);
      if (dec(b.balance).lt(amount)) {
        throw new AppError(ErrorCode.rejected, `Your balance is ${show(b.balance)} ${this.token}, less than ${show(amount)}: nothing was staked`, `stake at most ${show(b.balance)}${dec(b.claimable).gt(0) ? ', or claim your rewards first' : ''}`);
      }
      const now = this.clock.now();
      const [st] = await tx
        .insert(userStakes)
        .values({ userId: actor.userId, poolId: pool.id, amount: s(amount), stakedAt: now, unlocksAt: new Date(now.getTime() + pool.lockDays * DAY_MS) })
        .returning();
      await tx.update(stakingPools).set({ totalStaked: s(total) }).where(eq(stakingPools.id, pool.id));
      await tx.update(tokenBalances).set({ balance: s(dec(b.balance).sub(amount)), locked: s(dec(b.locked).add(amount)) }).where(eq(tokenBalances.id, b.id));
      await this.writeLedger(tx, randomUUID(), [
        { userId: actor.userId, account: 'balance', amount: amount.neg(), entryType: 'stake', refType: 'user_stake', refId: st!.id },
        { userId: actor.userId, account: 'locked', amount, entryType: 'stake', refType: 'user_stake', refId: st!.id },
      ]);
      await writeAudit(tx, actor, { action: 'token.stake', entityType: 'user_stake', entityId: st!.id, newValue: { pool: pool.name, amount: s(amount) } });
      return stakeView(st!, pool.name);
    });
  }

  /** Ends a stake: after the lock-up the principal returns whole; before it only where the pool allows, less its penalty. */
  async unstake(actor: Actor, input: unknown): Promise<UnstakeView> {
    const v = parseInput(unstakeShape, input, 'unstake');
    await requireRole(this.db, actor, 'trader');
    const stakeId = await resolveIdPrefix(this.db, {
      table: userStakes,
      id: userStakes.id,
      owned: and(eq(userStakes.userId, actor.userId), eq(userStakes.status, 'active')),
      input: v.stake,
      noun: 'stake',
      listedBy: 'token balance',
    });
    return withTransaction(this.db, async (tx) => {
      const [peek] = await tx.select().from(userStakes).where(and(eq(userStakes.id, stakeId), eq(userStakes.userId, actor.userId)));
      if (!peek) throw notFound('stake', 'token balance lists your stakes');
      const [poolPeek] = await tx.select().from(stakingPools).where(eq(stakingPools.id, peek.poolId));
      const now = this.clock.now();
      const early = peek.unlocksAt !== null && now.getTime() < peek.unlocksAt.getTime();
      // Lock order: treasury (only when a penalty may reach it) → pool → stake → balance.
      const t = early && poolPeek?.earlyUnstakePenalty ? await this.lockTreasury(tx) : undefined;
      const [pool] = await tx.select().from(stakingPools).where(eq(stakingPools.id, peek.poolId)).for('update');
      const [st] = await tx.select().from(userStakes).where(eq(userStakes.id, stakeId)).for('update');
      if (!st || st.status !== 'active') throw new AppError(ErrorCode.conflict, `Stake ${shortId(stakeId)} is already unstaked: nothing was changed`, 'token balance lists your active stakes');
      let split = { returned: dec(st.amount), penalty: ZERO };
      if (early) {
        if (pool!.earlyUnstakePenalty === null) {
          const days = Math.ceil((st.unlocksAt!.getTime() - now.getTime()) / DAY_MS);
          throw new AppError(
            ErrorCode.rejected,
            `Stake ${shortId(st.id)} in pool "${pool!.name}" is locked until ${st.unlocksAt!.toISOString().slice(0, 16).replace('T', ' ')} UTC (${days} day${days === 1 ? '' : 's'} left) and this pool does not allow early unstaking: nothing was changed`,
            'unstake after the lock-up ends',
          );
        }
        split = earlyUnstakeSplit(dec(st.amount), dec(pool!.earlyUnstakePenalty));
      }
      const b = await this.lockBalance(tx, actor.userId);
      const amount = dec(st.amount);
      const [done] = await tx.update(userStakes).set({ status: 'withdrawn', unstakedAt: now }).where(eq(userStakes.id, st.id)).returning();
      await tx.update(stakingPools).set({ totalStaked: s(dec(pool!.totalStaked).sub(amount)) }).where(eq(stakingPools.id, pool!.id));
      await tx.update(tokenBalances).set({ balance: s(dec(b.balance).add(split.returned)), locked: s(dec(b.locked).sub(amount)) }).where(eq(tokenBalances.id, b.id));
      const lines: LedgerLine[] = [
        { userId: actor.userId, account: 'locked', amount: amount.neg(), entryType: 'unstake', refType: 'user_stake', refId: st.id },
        { userId: actor.userId, account: 'balance', amount: split.returned, entryType: 'unstake', refType: 'user_stake', refId: st.id },
      ];
      if (split.penalty.gt(0)) {
        await tx.update(tokenTreasury).set({ treasury: s(dec(t!.treasury).add(split.penalty)) }).where(eq(tokenTreasury.token, this.token));
        lines.push({ userId: null, account: 'treasury', amount: split.penalty, entryType: 'penalty', refType: 'user_stake', refId: st.id });
      }
      await this.writeLedger(tx, randomUUID(), lines.filter((l) => !l.amount.isZero()));
      await writeAudit(tx, actor, { action: 'token.unstake', entityType: 'user_stake', entityId: st.id, newValue: { returned: s(split.returned), penalty: s(split.penalty), early } });
      return { ...stakeView(done!, pool!.name), returned: show(split.returned), penalty: show(split.penalty), early };
    });
  }

  /** Moves every claimable reward into the spendable balance. */
  async claim(actor: Actor): Promise<MovementView & { balance: string }> {
    await requireRole(this.db, actor, 'trader');
    return withTransaction(this.db, async (tx) => {
      const b = await this.lockBalance(tx, actor.userId);
      const amount = dec(b.claimable);
      if (amount.isZero()) throw new AppError(ErrorCode.rejected, `You have no ${this.token} rewards to claim`, 'rewards are credited once a day for staking and trading activity');
      const transferId = randomUUID();
      const balance = dec(b.balance).add(amount);
      await tx.update(tokenBalances).set({ claimable: '0', balance: s(balance) }).where(eq(tokenBalances.id, b.id));
      await this.writeLedger(tx, transferId, [
        { userId: actor.userId, account: 'claimable', amount: amount.neg(), entryType: 'claim' },
        { userId: actor.userId, account: 'balance', amount, entryType: 'claim' },
      ]);
      await writeAudit(tx, actor, { action: 'token.claim', entityType: 'token_balance', entityId: b.id, newValue: { claimed: s(amount) } });
      return { token: this.token, amount: show(amount), transfer: shortId(transferId), balance: show(balance) };
    });
  }

  /** The user's ledger entries, newest first. */
  async history(actor: Actor, input: unknown = {}): Promise<HistoryEntry[]> {
    const v = parseInput(historyShape, input, 'history');
    await requireActiveUser(this.db, actor.userId);
    const rows = await this.db
      .select()
      .from(tokenLedger)
      .where(and(eq(tokenLedger.userId, actor.userId), eq(tokenLedger.token, this.token)))
      .orderBy(desc(tokenLedger.createdAt), desc(tokenLedger.transferId), tokenLedger.account)
      .limit(v.limit);
    return rows.map((r) => ({
      at: r.createdAt.toISOString(),
      type: r.entryType,
      account: r.account === 'locked' ? 'staked' : r.account,
      amount: show(r.amount),
      ref: r.refId ? (r.refType === 'reward_rule' ? r.refId : `${r.refType ?? 'ref'} ${shortId(r.refId)}`) : null,
      transfer: shortId(r.transferId),
    }));
  }

  // ---- Accrual ----------------------------------------------------------------------------

  /** Pays staking yield for one fully elapsed UTC day (`YYYY-MM-DD`); idempotent per user and day. */
  async accrueStaking(day: string): Promise<AccrualReport> {
    const d = this.elapsedDay(day, 0);
    const rows = await queryRows<{ id: string; user_id: string; pool_id: string; amount: string; apr: string; staked_ms: number; unstaked_ms: number | null }>(
      this.db,
      sql`select s.id::text as id, s.user_id::text as user_id, s.pool_id::text as pool_id, s.amount::text as amount, p.apr::text as apr,
            (extract(epoch from s.staked_at) * 1000)::float8 as staked_ms,
            (extract(epoch from s.unstaked_at) * 1000)::float8 as unstaked_ms
          from user_stakes s join staking_pools p on p.id = s.pool_id
          where p.token = ${this.token} and s.staked_at < ${d.end.toISOString()}::timestamptz
            and (s.unstaked_at is null or s.unstaked_at > ${d.start.toISOString()}::timestamptz)
          order by s.user_id`,
    );
    const candidates: RewardCandidate[] = [];
    for (let i = 0; i < rows.length; ) {
      const userId = rows[i]!.user_id;
      const spans: StakeSpan[] = [];
      const stakeIds: string[] = [];
      const pools = new Set<string>();
      for (; i < rows.length && rows[i]!.user_id === userId; i++) {
        const r = rows[i]!;
        spans.push({ amount: dec(r.amount), apr: dec(r.apr), stakedAt: new Date(Number(r.staked_ms)), unstakedAt: r.unstaked_ms === null ? null : new Date(Number(r.unstaked_ms)) });
        stakeIds.push(r.id);
        pools.add(r.pool_id);
      }
      const amount = stakingReward(spans, d, this.stakingDailyCap);
      if (amount.lte(0)) continue;
      const single = stakeIds.length === 1;
      candidates.push({
        userId,
        amount,
        sourceType: single ? 'user_stake' : 'staking_pool',
        sourceId: single ? stakeIds[0]! : pools.size === 1 ? [...pools][0]! : null,
        description: `staking yield ${d.period}: ${stakeIds.length} stake${single ? '' : 's'}`,
      });
    }
    return this.payRewards(RewardRule.stakingYield, d, candidates);
  }

  /** Pays trading-activity rewards for one fully elapsed UTC day (and its wash window); idempotent per user and day. */
  async accrueTrading(day: string): Promise<AccrualReport> {
    const d = this.elapsedDay(day, this.washWindowMs);
    const from = new Date(d.start.getTime() - this.washWindowMs);
    const to = new Date(d.end.getTime() + this.washWindowMs);
    const rows = await queryRows<{ user_id: string; symbol: string; side: 'buy' | 'sell'; quantity: string; quote: string; at_ms: number }>(
      this.db,
      sql`select user_id::text as user_id, symbol, side::text as side, quantity::text as quantity, quote_quantity::text as quote,
            (extract(epoch from executed_at) * 1000)::float8 as at_ms
          from trades where executed_at >= ${from.toISOString()}::timestamptz and executed_at < ${to.toISOString()}::timestamptz
          order by user_id, executed_at, id`,
    );
    const candidates: RewardCandidate[] = [];
    for (let i = 0; i < rows.length; ) {
      const userId = rows[i]!.user_id;
      const fills: Fill[] = [];
      for (; i < rows.length && rows[i]!.user_id === userId; i++) {
        const r = rows[i]!;
        fills.push({ symbol: r.symbol, side: r.side, quantity: dec(r.quantity), quoteQuantity: dec(r.quote), executedAt: new Date(Number(r.at_ms)) });
      }
      const vol = activityVolume(fills, d, this.washWindowMs);
      const amount = tradingReward(vol.counted, this.tradingRate, this.tradingDailyCap);
      if (amount.lte(0)) continue;
      candidates.push({
        userId,
        amount,
        sourceType: 'trading_volume',
        sourceId: d.period,
        description: `trading activity ${d.period}: ${show(vol.counted.toDecimalPlaces(2))} USD counted, ${show(vol.washed.toDecimalPlaces(2))} USD in round trips`,
      });
    }
    return this.payRewards(RewardRule.tradingActivity, d, candidates);
  }

  /**
   * Pays a finished competition's prizes from the treasury into the winners' claimable rewards, once
   * per (competition_prize, user, competition id): a rerun, a concurrent run or another instance pays
   * nothing twice. Winners the treasury cannot cover are skipped and reported; a later call pays them.
   */
  /** Pays a finished competition's prizes, given in rank order: with a short treasury, higher ranks first (strictly). */
  async payCompetitionPrizes(competitionId: string, awards: readonly PrizeAward[]): Promise<AccrualReport> {
    const candidates: RewardCandidate[] = awards
      .filter((a) => a.amount.gt(0))
      .map((a) => ({ userId: a.userId, amount: a.amount, sourceType: 'competition_entry', sourceId: a.entryId, description: a.description }));
    return this.payRewards(COMPETITION_PRIZE_RULE, { period: competitionId }, candidates, { inGivenOrder: true });
  }

  /**
   * The supply equation and the ledger cross-check: Σ ledger per user account equals the column,
   * the treasury's entries sum to the treasury, mints sum to the supply, every non-mint transfer nets to zero.
   */
  async checkSupply(ex: Executor = this.db): Promise<SupplyCheck> {
    const [tot] = await queryRows<{ supply: string | null; treasury: string | null; balances: string; locked: string; claimable: string }>(
      ex,
      sql`select (select total_supply::text from token_treasury where token = ${this.token}) as supply,
                 (select treasury::text from token_treasury where token = ${this.token}) as treasury,
                 coalesce(sum(balance), 0)::text as balances, coalesce(sum(locked), 0)::text as locked, coalesce(sum(claimable), 0)::text as claimable
          from token_balances where token = ${this.token}`,
    );
    const supply = dec(tot?.supply ?? '0');
    const treasury = dec(tot?.treasury ?? '0');
    const balances = dec(tot!.balances);
    const locked = dec(tot!.locked);
    const claimable = dec(tot!.claimable);
    const difference = supply.sub(balances).sub(locked).sub(claimable).sub(treasury);
    const problems: string[] = [];
    const accounts = await queryRows<{ user_id: string; account: string; column_value: string; ledger_value: string }>(
      ex,
      sql`with l as (
            select user_id, account, sum(amount) as total from token_ledger where token = ${this.token} and user_id is not null group by user_id, account
          ), b as (
            select user_id, a.account, case a.account when 'balance' then balance when 'locked' then locked else claimable end as value
            from token_balances cross join (values ('balance'), ('locked'), ('claimable')) as a(account) where token = ${this.token}
          )
          select coalesce(b.user_id, l.user_id)::text as user_id, coalesce(b.account, l.account) as account,
                 coalesce(b.value, 0)::text as column_value, coalesce(l.total, 0)::text as ledger_value
          from b full join l on l.user_id = b.user_id and l.account = b.account
          where coalesce(b.value, 0) <> coalesce(l.total, 0)
          limit 20`,
    );
    for (const a of accounts) problems.push(`user ${shortId(a.user_id)} ${a.account}: column ${show(a.column_value)}, ledger ${show(a.ledger_value)}`);
    const [sums] = await queryRows<{ treasury_ledger: string; minted: string; unbalanced: string }>(
      ex,
      sql`select coalesce(sum(amount) filter (where account = 'treasury'), 0)::text as treasury_ledger,
                 coalesce(sum(amount) filter (where entry_type = 'mint'), 0)::text as minted,
                 (select count(*) from (select transfer_id from token_ledger where token = ${this.token} and entry_type <> 'mint'
                   group by transfer_id having sum(amount) <> 0) u)::text as unbalanced
          from token_ledger where token = ${this.token}`,
    );
    if (!dec(sums!.treasury_ledger).eq(treasury)) problems.push(`treasury: column ${show(treasury)}, ledger ${show(sums!.treasury_ledger)}`);
    if (!dec(sums!.minted).eq(supply)) problems.push(`total supply ${show(supply)}, mints in the ledger ${show(sums!.minted)}`);
    if (sums!.unbalanced !== '0') problems.push(`${sums!.unbalanced} transfer(s) whose entries do not sum to zero`);
    return {
      token: this.token,
      totalSupply: show(supply),
      balances: show(balances),
      locked: show(locked),
      claimable: show(claimable),
      treasury: show(treasury),
      difference: show(difference),
      ok: difference.isZero(),
      ledger: { ok: problems.length === 0, problems },
    };
  }

  // ---- Internals --------------------------------------------------------------------------

  private elapsedDay(day: string, graceMs: number): UtcDay {
    const d = typeof day === 'string' ? utcDay(day.trim()) : undefined;
    if (!d) throw new AppError(ErrorCode.invalidInput, `day must be a UTC date written YYYY-MM-DD, got "${String(day).slice(0, 20)}"`, 'give a day such as "2026-12-05"');
    const due = d.end.getTime() + graceMs;
    if (this.clock.now().getTime() < due) {
      throw new AppError(ErrorCode.rejected, `${d.period} has not fully elapsed (rewards for it can be paid from ${new Date(due).toISOString().slice(0, 16).replace('T', ' ')} UTC): nothing was paid`, 'run the accrual for an earlier day');
    }
    return d;
  }

  /**
   * Pays candidates for (rule, period): treasury locked first (so runs serialise), users already paid
   * dropped, the rest paid in user order while the treasury lasts. The reward logs are inserted first
   * with ON CONFLICT DO NOTHING; only the rows that insert returned are moved.
   */
  /**
   * Pays the candidates not paid yet under (rule, period) while the treasury holds enough: by user id,
   * or `inGivenOrder` strictly in the order given (prizes by rank). Rows are written in user-id order
   * either way (the lock order every writer of token balances keeps).
   */
  private async payRewards(rule: PayRule, d: Pick<UtcDay, 'period'>, all: RewardCandidate[], opts: { inGivenOrder?: boolean } = {}): Promise<AccrualReport> {
    const report = await withTransaction(this.db, async (tx) => {
      const t = await this.lockTreasury(tx);
      const paidRows = await queryRows<{ user_id: string }>(tx, sql`select user_id::text as user_id from reward_logs where rule = ${rule} and period = ${d.period}`);
      const paid = new Set(paidRows.map((r) => r.user_id));
      const byUser = (a: RewardCandidate, b: RewardCandidate): number => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0);
      const due = all.filter((c) => !paid.has(c.userId));
      const plan = payWithinTreasury(opts.inGivenOrder ? due : [...due].sort(byUser), dec(t.treasury), { strict: opts.inGivenOrder === true });
      let paidUsers = 0;
      let total = ZERO;
      if (plan.pay.length > 0) {
        const json = JSON.stringify([...plan.pay].sort(byUser).map((c) => ({ user_id: c.userId, amount: s(c.amount), source_type: c.sourceType, source_id: c.sourceId, description: c.description })));
        const inserted = await queryRows<{ id: string; user_id: string; amount: string }>(
          tx,
          sql`insert into reward_logs (user_id, token, amount, reward_type, source_type, source_id, description, rule, period)
              select x.user_id, ${this.token}, x.amount, ${rule}, x.source_type, x.source_id, x.description, ${rule}, ${d.period}
              from jsonb_to_recordset(${json}::jsonb) as x(user_id uuid, amount numeric, source_type text, source_id text, description text)
              on conflict (rule, user_id, period) do nothing
              returning id::text as id, user_id::text as user_id, amount::text as amount`,
        );
        await this.hooks.afterRewardLogs?.(rule, d.period);
        if (inserted.length > 0) {
          total = inserted.reduce<Dec>((acc, r) => acc.add(dec(r.amount)), ZERO);
          paidUsers = inserted.length;
          const transferId = randomUUID();
          const moved = JSON.stringify(inserted.map((r) => ({ id: r.id, user_id: r.user_id, amount: r.amount })));
          await tx.execute(sql`
            with p as (select * from jsonb_to_recordset(${moved}::jsonb) as x(id text, user_id uuid, amount numeric)),
            credited as (
              insert into token_balances (user_id, token, claimable, lifetime_rewards)
              select user_id, ${this.token}, amount, amount from p
              on conflict (user_id, token) do update
                set claimable = token_balances.claimable + excluded.claimable,
                    lifetime_rewards = token_balances.lifetime_rewards + excluded.lifetime_rewards,
                    updated_at = now()
              returning 1
            )
            insert into token_ledger (token, transfer_id, user_id, account, amount, entry_type, ref_type, ref_id)
            select ${this.token}, ${transferId}::uuid, user_id, 'claimable', amount, 'reward', 'reward_log', id from p`);
          await tx.update(tokenTreasury).set({ treasury: s(dec(t.treasury).sub(total)) }).where(eq(tokenTreasury.token, this.token));
          await this.writeLedger(tx, transferId, [{ userId: null, account: 'treasury', amount: total.neg(), entryType: 'reward', refType: 'reward_rule', refId: `${rule} ${d.period}` }]);
          await writeAudit(tx, { system: true, traceId: newTraceId() }, {
            action: 'token.reward',
            entityType: 'reward_rule',
            entityId: `${rule}:${d.period}`,
            newValue: { users: paidUsers, total: s(total), skipped: plan.skip.length },
          });
        }
      }
      const skippedTotal = plan.skip.reduce<Dec>((acc, c) => acc.add(c.amount), ZERO);
      return {
        rule,
        period: d.period,
        token: this.token,
        paidUsers,
        paidTotal: show(total),
        alreadyPaid: all.length - due.length + (plan.pay.length - paidUsers),
        skippedUsers: plan.skip.length,
        skippedTotal: show(skippedTotal),
        treasuryAfter: show(dec(t.treasury).sub(total)),
      } satisfies AccrualReport;
    });
    if (report.skippedUsers > 0) {
      this.logger?.warn('token treasury cannot pay every reward', { rule, period: d.period, skippedUsers: report.skippedUsers, skippedTotal: report.skippedTotal, treasury: report.treasuryAfter });
    }
    return report;
  }

  private async lockTreasury(tx: Tx): Promise<{ totalSupply: string; treasury: string }> {
    await tx.insert(tokenTreasury).values({ token: this.token }).onConflictDoNothing();
    const [t] = await tx.select({ totalSupply: tokenTreasury.totalSupply, treasury: tokenTreasury.treasury }).from(tokenTreasury).where(eq(tokenTreasury.token, this.token)).for('update');
    return t!;
  }

  private async lockBalance(tx: Tx, userId: string): Promise<TokenBalance> {
    await tx.insert(tokenBalances).values({ userId, token: this.token }).onConflictDoNothing();
    const [b] = await tx.select().from(tokenBalances).where(and(eq(tokenBalances.userId, userId), eq(tokenBalances.token, this.token))).for('update');
    return b!;
  }

  /** A pool by name or id (prefix); `lock` takes its row lock. */
  private async findPool(tx: Tx, ref: string, lock: boolean): Promise<StakingPool> {
    const q = ref.trim();
    const byName = tx.select().from(stakingPools).where(and(eq(stakingPools.token, this.token), sql`lower(${stakingPools.name}) = lower(${q})`));
    let [pool] = lock ? await byName.for('update') : await byName;
    if (!pool && /^[0-9a-f-]{4,36}$/i.test(q)) {
      const matches = await tx
        .select({ id: stakingPools.id })
        .from(stakingPools)
        .where(and(eq(stakingPools.token, this.token), isFullUuid(q) ? eq(stakingPools.id, q.toLowerCase()) : sql`${stakingPools.id}::text like ${`${q.toLowerCase()}%`}`))
        .limit(2);
      if (matches.length > 1) throw new AppError(ErrorCode.invalidInput, `"${q}" matches more than one pool`, 'give the pool name or more characters of its id');
      if (matches.length === 1) {
        const byId = tx.select().from(stakingPools).where(eq(stakingPools.id, matches[0]!.id));
        [pool] = lock ? await byId.for('update') : await byId;
      }
    }
    if (!pool) throw notFound(`Staking pool "${q}"`, 'token pools lists the pools by name');
    return pool;
  }

  private async writeLedger(tx: Tx, transferId: string, lines: LedgerLine[]): Promise<void> {
    if (lines.length === 0) return;
    await tx.insert(tokenLedger).values(
      lines.map((l) => ({
        token: this.token,
        transferId,
        userId: l.userId,
        account: l.account,
        amount: s(l.amount),
        entryType: l.entryType,
        refType: l.refType ?? null,
        refId: l.refId ?? null,
      })),
    );
  }
}

function poolView(p: StakingPool): PoolView {
  return {
    id: shortId(p.id),
    name: p.name,
    token: p.token,
    apr: show(p.apr),
    aprPercent: `${show(dec(p.apr).mul(100).toDecimalPlaces(4))}%`,
    lockDays: p.lockDays,
    minStake: show(p.minStake),
    capacity: p.maxTotalStake === null ? null : show(p.maxTotalStake),
    totalStaked: show(p.totalStaked),
    active: p.isActive,
    earlyUnstakePenalty: p.earlyUnstakePenalty === null ? null : show(p.earlyUnstakePenalty),
  };
}

function stakeView(st: typeof userStakes.$inferSelect, pool: string): StakeView {
  return {
    id: shortId(st.id),
    pool,
    amount: show(st.amount),
    status: st.status,
    stakedAt: st.stakedAt.toISOString(),
    unlocksAt: st.unlocksAt ? st.unlocksAt.toISOString() : null,
    unstakedAt: st.unstakedAt ? st.unstakedAt.toISOString() : null,
  };
}
