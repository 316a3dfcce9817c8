// Property: any sequence of token operations — mints, grants, stakes, unstakes (early or not), claims,
// pool closings, clock moves and accrual runs (some repeated) — keeps total supply equal to
// balances + staked + claimable + treasury and every account equal to its ledger entries; refused
// operations change nothing. Then the same kinds of operations all at once, beside accrual runs.
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, type Database } from '../../../src/db/client.js';
import type { Actor } from '../../../src/services/actor.js';
import { AppError } from '../../../src/services/errors.js';
import { TokenService } from '../../../src/services/token/token-service.js';
import { createTestDatabase } from '../../support/db.js';
import { expectBooks, ManualClock, newUser, tokenState } from './support.js';

const HOUR = 3_600_000;
/** fast-check's seed for the sequences (a value whose sequences both pay rewards and unstake). */
const SEED = 20_261_206;
let database: Database;
let clock: ManualClock;
let svc: TokenService;
let admin: Actor;
let run = 0;

beforeAll(async () => {
  database = await createTestDatabase();
  clock = new ManualClock(Date.parse('2026-06-01T00:00:00Z'));
  svc = new TokenService({ db: database.db, clock, stakingDailyCap: '5' });
  admin = await newUser(database, 'admin');
});
afterAll(async () => database?.close());

const amountArb = fc.integer({ min: 1, max: 500_00 }).map((c) => (c / 100).toFixed(2));
const op = fc.oneof(
  fc.record({ kind: fc.constant('mint' as const), amount: amountArb }),
  fc.record({ kind: fc.constant('grant' as const), user: fc.nat(2), amount: amountArb }),
  { arbitrary: fc.record({ kind: fc.constant('stake' as const), user: fc.nat(2), pool: fc.nat(2), amount: fc.integer({ min: 1, max: 80_00 }).map((c) => (c / 100).toFixed(2)) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('unstake' as const), user: fc.nat(2), nth: fc.nat(3) }), weight: 2 },
  fc.record({ kind: fc.constant('claim' as const), user: fc.nat(2) }),
  fc.record({ kind: fc.constant('close' as const), pool: fc.nat(2) }),
  fc.record({ kind: fc.constant('advance' as const), hours: fc.integer({ min: 1, max: 60 }) }),
  fc.record({ kind: fc.constant('accrue' as const), daysBack: fc.integer({ min: 1, max: 3 }), twice: fc.boolean() }),
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

async function apply(o: Op, users: Actor[], pools: string[]): Promise<void> {
  switch (o.kind) {
    case 'mint':
      await svc.mint(admin, { amount: o.amount });
      return;
    case 'grant':
      await svc.grant(admin, { user: users[o.user]!.userId, amount: o.amount });
      return;
    case 'stake':
      await svc.stake(users[o.user]!, { pool: pools[o.pool]!, amount: o.amount });
      return;
    case 'unstake': {
      const mine = await queryRows<{ id: string }>(database.db, sql`select id::text as id from user_stakes where user_id = ${users[o.user]!.userId} and status = 'active' order by staked_at, id`);
      const target = mine[o.nth % Math.max(1, mine.length)];
      if (target) await svc.unstake(users[o.user]!, { stake: target.id });
      return;
    }
    case 'claim':
      await svc.claim(users[o.user]!);
      return;
    case 'close':
      await svc.closePool(admin, { pool: pools[o.pool]! });
      return;
    case 'advance':
      clock.advance(o.hours * HOUR);
      return;
    case 'accrue': {
      const period = new Date(clock.now().getTime() - o.daysBack * 24 * HOUR).toISOString().slice(0, 10);
      await svc.accrueStaking(period);
      if (o.twice) expect((await svc.accrueStaking(period)).paidUsers, 'a repeated accrual pays nobody').toBe(0);
      return;
    }
  }
}

describe('token operations keep the books', () => {
  it('random sequences keep supply = balances + staked + claimable + treasury and the ledger equal to the accounts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), async (ops) => {
        const r = ++run;
        const users = [await newUser(database), await newUser(database), await newUser(database)];
        const pools = [`flex${r}`, `lock${r}`, `hard${r}`];
        await svc.createPool(admin, { name: pools[0]!, apr: '0.5' });
        await svc.createPool(admin, { name: pools[1]!, apr: '1.2', lockDays: 2, minStake: '5', capacity: '800', earlyUnstakePenalty: '0.25' });
        await svc.createPool(admin, { name: pools[2]!, apr: '0.05', lockDays: 1 });
        await svc.mint(admin, { amount: '600' });
        for (const u of users) await svc.grant(admin, { user: u.userId, amount: '100' });
        for (const o of ops) {
          const before = await tokenState(database);
          try {
            await apply(o, users, pools);
          } catch (err) {
            if (!(err instanceof AppError)) throw err;
            expect(await tokenState(database), `refused ${o.kind} (${err.message}) changes nothing`).toBe(before);
          }
          await expectBooks(svc, `after ${o.kind} in run ${r}`);
        }
      }),
      // A fixed seed: the same 30 sequences every run, so the coverage checks below cannot depend on
      // luck (an unseeded run once drew no unstake that succeeded and failed "the sequences unstaked").
      { numRuns: 30, seed: SEED },
    );
    const [acted] = await queryRows<{ rewards: number; withdrawn: number; penalties: number }>(
      database.db,
      sql`select (select count(*)::int from reward_logs) as rewards, (select count(*)::int from user_stakes where status = 'withdrawn') as withdrawn,
                 (select count(*)::int from token_ledger where entry_type = 'penalty') as penalties`,
    );
    expect(acted!.rewards, 'the sequences paid rewards').toBeGreaterThan(0);
    expect(acted!.withdrawn, 'the sequences unstaked').toBeGreaterThan(0);
  });

  it('operations and accrual runs all at once keep the books and pay each user once per day', async () => {
    const users = await Promise.all([1, 2, 3, 4, 5].map(() => newUser(database)));
    await svc.mint(admin, { amount: '100000' });
    await svc.createPool(admin, { name: 'concurrent', apr: '0.365', lockDays: 1, earlyUnstakePenalty: '0.5' });
    for (const u of users) await svc.grant(admin, { user: u.userId, amount: '1000' });
    await Promise.all(users.map((u) => svc.stake(u, { pool: 'concurrent', amount: '500' })));
    clock.advance(30 * HOUR);
    const period = new Date(clock.now().getTime() - 24 * HOUR).toISOString().slice(0, 10);
    const stakes = await queryRows<{ id: string; user_id: string }>(database.db, sql`select s.id::text as id, s.user_id::text as user_id from user_stakes s join staking_pools p on p.id = s.pool_id where p.name = 'concurrent'`);
    const other = new TokenService({ db: database.db, clock, stakingDailyCap: '5' });
    const settled = await Promise.allSettled([
      svc.accrueStaking(period),
      other.accrueStaking(period),
      ...users.map((u) => svc.stake(u, { pool: 'concurrent', amount: '100' })),
      ...users.map((u) => svc.claim(u)),
      ...stakes.slice(0, 3).map((s) => svc.unstake(users.find((u) => u.userId === s.user_id)!, { stake: s.id })),
      svc.accrueStaking(period),
      svc.mint(admin, { amount: '1' }),
    ]);
    const unexpected = settled.filter((s) => s.status === 'rejected' && !(s.reason instanceof AppError));
    expect(unexpected.map((s) => String((s as PromiseRejectedResult).reason)), 'only expected refusals (nothing to claim)').toEqual([]);
    const perUser = await queryRows<{ user_id: string; n: number }>(database.db, sql`select user_id::text as user_id, count(*)::int as n from reward_logs where rule = 'staking_yield' and period = ${period} group by user_id`);
    const ids = new Set(users.map((u) => u.userId));
    expect(perUser.filter((p) => ids.has(p.user_id)).map((p) => p.n), 'each staker paid exactly once').toEqual([1, 1, 1, 1, 1]);
    await expectBooks(svc, 'after concurrent operations');
  });
});
