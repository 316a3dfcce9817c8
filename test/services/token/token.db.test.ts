// The platform token through its service: admin minting, grants and pools; users staking,
// unstaking (after the lock-up, early with a penalty, early refused), claiming and reading history;
// bad input refused with nothing changed; the books (supply equation, ledger) balanced after each step.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, type Database } from '../../../src/db/client.js';
import type { Actor } from '../../../src/services/actor.js';
import { auditByTrace } from '../../../src/services/audit.js';
import { TokenService } from '../../../src/services/token/token-service.js';
import { createTestDatabase } from '../../support/db.js';
import { failure } from '../../support/errors.js';
import { countRows, expectBooks, ManualClock, newUser, tokenState } from './support.js';

const DAY = 86_400_000;
let database: Database;
let clock: ManualClock;
let svc: TokenService;
let admin: Actor;

beforeAll(async () => {
  database = await createTestDatabase();
  clock = new ManualClock();
  svc = new TokenService({ db: database.db, clock });
  admin = await newUser(database, 'admin');
  await svc.mint(admin, { amount: '1000000' });
});
afterAll(async () => database?.close());

async function funded(amount: string): Promise<Actor> {
  const a = await newUser(database);
  const [u] = await queryRows<{ username: string }>(database.db, sql`select username from users where id = ${a.userId}`);
  await svc.grant(admin, { user: u!.username, amount });
  return a;
}

async function stakeIdOf(a: Actor): Promise<string> {
  const [r] = await queryRows<{ id: string }>(database.db, sql`select id::text as id from user_stakes where user_id = ${a.userId} order by staked_at limit 1`);
  return r!.id;
}

describe('admin: mint, grant, pools', () => {
  it('mints into the treasury and raises the supply by the same amount', async () => {
    const before = await svc.checkSupply();
    const r = await svc.mint(admin, { amount: '250.5' });
    expect(r.amount).toBe('250.5');
    const after = await svc.checkSupply();
    expect(Number(after.totalSupply) - Number(before.totalSupply), 'supply grows by the minted amount').toBe(250.5);
    expect(Number(after.treasury) - Number(before.treasury), 'treasury grows by the minted amount').toBe(250.5);
    const audit = await auditByTrace(database.db, admin.traceId);
    expect(audit.some((a) => a.action === 'token.mint'), 'the mint is audited').toBe(true);
    await expectBooks(svc, 'after a mint');
  });

  it('refuses a trader minting, bad amounts, and changes nothing', async () => {
    const trader = await newUser(database);
    const state = await tokenState(database);
    const forbidden = await failure(svc.mint(trader, { amount: '10' }));
    expect(forbidden.code).toBe('forbidden');
    expect(forbidden.message).toMatch(/admin role/);
    for (const [amount, why] of [
      ['-5', /must not be negative/],
      ['0', /greater than zero/],
      ['abc', /decimal/],
      ['1e400', /too large|at most/],
      ['1.0000000000000000001', /more than 18 decimals/],
    ] as const) {
      const err = await failure(svc.mint(admin, { amount }));
      expect(err.code, `amount ${amount}`).toBe('invalid_input');
      expect(err.message, `amount ${amount} is refused saying why`).toMatch(why);
      expect(err.message).toMatch(/amount/);
    }
    const extra = await failure(svc.mint(admin, { amount: '1', to: 'me' }));
    expect(extra.message).toMatch(/unknown argument to/);
    expect(await tokenState(database), 'a refused mint changes nothing').toBe(state);
  });

  it('creates a pool, refuses a duplicate name and bad settings, closes it once', async () => {
    const p = await svc.createPool(admin, { name: 'flex-a', apr: '0.12', lockDays: 0, minStake: '1' });
    expect(p).toMatchObject({ name: 'flex-a', apr: '0.12', aprPercent: '12%', lockDays: 0, minStake: '1', capacity: null, active: true, earlyUnstakePenalty: null });
    const state = await tokenState(database);
    expect((await failure(svc.createPool(admin, { name: 'flex-a', apr: '0.1' }))).code).toBe('conflict');
    expect((await failure(svc.createPool(admin, { name: 'x', apr: '-0.1' }))).message).toMatch(/apr must not be negative/);
    expect((await failure(svc.createPool(admin, { name: 'x', apr: '0.1', earlyUnstakePenalty: '1.5' }))).message).toMatch(/earlyUnstakePenalty must be at most 1/);
    expect((await failure(svc.createPool(admin, { name: 'x', apr: '0.1', lockDays: 1.5 }))).message).toMatch(/lockDays must be a whole number/);
    expect((await failure(svc.createPool(admin, { name: 'x', apr: '0.1', minStake: '10', capacity: '5' }))).message).toMatch(/below the minimum stake/);
    expect((await failure(svc.createPool(await newUser(database), { name: 'y', apr: '0.1' }))).code).toBe('forbidden');
    expect(await tokenState(database), 'refused pool calls change nothing').toBe(state);
    const closed = await svc.closePool(admin, { pool: 'FLEX-A' });
    expect(closed.active).toBe(false);
    expect((await failure(svc.closePool(admin, { pool: 'flex-a' }))).message).toMatch(/already closed/);
    expect((await failure(svc.closePool(admin, { pool: 'nope' }))).code).toBe('not_found');
    const byId = await svc.createPool(admin, { name: 'by-id', apr: '0.05' });
    expect((await svc.closePool(admin, { pool: byId.id })).name, 'a pool is found by the short id tables show').toBe('by-id');
  });

  it('grants from the treasury and refuses more than it holds', async () => {
    const a = await funded('40');
    expect((await svc.balance(a)).balance).toBe('40');
    const supply = await svc.checkSupply();
    const err = await failure(svc.grant(admin, { user: a.userId, amount: String(Number(supply.treasury) + 1) }));
    expect(err.message).toMatch(/treasury holds/);
    expect((await svc.balance(a)).balance, 'a refused grant moves nothing').toBe('40');
    await expectBooks(svc, 'after grants');
  });
});

describe('users: stake, unstake, claim, history', () => {
  it('stakes from the balance into an open pool and shows it', async () => {
    await svc.createPool(admin, { name: 'lock30', apr: '0.2', lockDays: 30, minStake: '10', capacity: '1000' });
    const a = await funded('500');
    const st = await svc.stake(a, { pool: 'lock30', amount: '100' });
    expect(st).toMatchObject({ pool: 'lock30', amount: '100', status: 'active' });
    expect(Date.parse(st.unlocksAt!) - Date.parse(st.stakedAt), 'unlocks 30 days after staking').toBe(30 * DAY);
    const b = await svc.balance(a);
    expect(b).toMatchObject({ balance: '400', staked: '100', claimable: '0' });
    expect(b.stakes.map((s) => s.id)).toEqual([st.id]);
    const pools = await svc.listPools(a);
    expect(pools.find((p) => p.name === 'lock30')?.totalStaked).toBe('100');
    await expectBooks(svc, 'after a stake');
  });

  it('refuses bad stakes with the reason and changes nothing', async () => {
    await svc.createPool(admin, { name: 'small', apr: '0.1', lockDays: 0, minStake: '5', capacity: '50' });
    await svc.createPool(admin, { name: 'shut', apr: '0.1' });
    await svc.closePool(admin, { pool: 'shut' });
    const a = await funded('30');
    await svc.stake(a, { pool: 'small', amount: '20' });
    const b = await funded('100');
    const viewer = await newUser(database, 'viewer');
    const state = await tokenState(database);
    const cases: Array<[Actor, unknown, RegExp]> = [
      [b, { pool: 'small', amount: '-1' }, /amount must not be negative/],
      [b, { pool: 'small', amount: '0' }, /amount must be greater than zero/],
      [b, { pool: 'small', amount: '4' }, /at least 5/],
      [b, { pool: 'small', amount: '31' }, /room for 30 more/],
      [b, { pool: 'nope', amount: '10' }, /Staking pool "nope" not found/],
      [b, { pool: 'shut', amount: '10' }, /closed to new stakes/],
      [a, { pool: 'small', amount: '11' }, /balance is 10 OMNI, less than 11/],
      [b, { amount: '10' }, /pool is required/],
      [viewer, { pool: 'small', amount: '10' }, /viewer/],
    ];
    for (const [who, input, why] of cases) {
      const err = await failure(svc.stake(who, input));
      expect(err.message, JSON.stringify(input)).toMatch(why);
      expect(err.hint ?? '', 'every refusal says how to fix it').not.toBe('');
    }
    expect(await tokenState(database), 'refused stakes change nothing').toBe(state);
  });

  it('unstakes after the lock-up, refuses early where not allowed, charges the penalty where allowed', async () => {
    await svc.createPool(admin, { name: 'locked7', apr: '0.1', lockDays: 7 });
    await svc.createPool(admin, { name: 'penalty7', apr: '0.1', lockDays: 7, earlyUnstakePenalty: '0.1' });
    const a = await funded('1000');
    const hard = await svc.stake(a, { pool: 'locked7', amount: '300' });
    const soft = await svc.stake(a, { pool: 'penalty7', amount: '200' });
    const state = await tokenState(database);
    const early = await failure(svc.unstake(a, { stake: hard.id }));
    expect(early.message).toMatch(/locked until .* \(7 days left\) and this pool does not allow early unstaking/);
    expect(await tokenState(database), 'a refused early unstake changes nothing').toBe(state);
    const treasuryBefore = Number((await svc.checkSupply()).treasury);
    const out = await svc.unstake(a, { stake: soft.id });
    expect(out).toMatchObject({ early: true, returned: '180', penalty: '20', status: 'withdrawn' });
    expect(Number((await svc.checkSupply()).treasury) - treasuryBefore, 'the penalty goes to the treasury').toBe(20);
    expect(await svc.balance(a)).toMatchObject({ balance: '680', staked: '300' });
    await expectBooks(svc, 'after an early unstake');
    const again = await failure(svc.unstake(a, { stake: soft.id }));
    expect(again.code, 'a withdrawn stake is not found among the active ones').toBe('not_found');
    clock.advance(7 * DAY);
    const done = await svc.unstake(a, { stake: hard.id.slice(0, 6) });
    expect(done).toMatchObject({ early: false, returned: '300', penalty: '0' });
    expect(await svc.balance(a)).toMatchObject({ balance: '980', staked: '0' });
    expect((await svc.listPools(a)).find((p) => p.name === 'locked7')?.totalStaked, 'the pool total drops').toBe('0');
    const other = await funded('1');
    expect((await failure(svc.unstake(other, { stake: hard.id }))).code, "another user's stake is not found").toBe('not_found');
    await expectBooks(svc, 'after unstaking');
  });

  it('claims rewards into the balance, refuses an empty claim, and lists history newest first', async () => {
    await svc.createPool(admin, { name: 'yield', apr: '0.365' });
    const a = await funded('1000');
    clock.set('2026-12-20T00:00:00Z');
    await svc.stake(a, { pool: 'yield', amount: '1000' });
    clock.set('2026-12-21T00:00:01Z');
    const r = await svc.accrueStaking('2026-12-20');
    expect(r.paidUsers).toBeGreaterThanOrEqual(1);
    expect((await svc.balance(a)).claimable, '1000 × 36.5 % for one day of 365 is 1').toBe('1');
    const c = await svc.claim(a);
    expect(c.amount).toBe('1');
    expect(await svc.balance(a)).toMatchObject({ balance: '1', claimable: '0', staked: '1000', lifetimeRewards: '1' });
    const empty = await failure(svc.claim(a));
    expect(empty.message).toMatch(/no OMNI rewards to claim/);
    const h = await svc.history(a, { limit: 10 });
    expect(h.map((e) => `${e.type} ${e.account} ${e.amount}`)).toEqual([
      'claim balance 1',
      'claim claimable -1',
      'reward claimable 1',
      'stake balance -1000',
      'stake staked 1000',
      'grant balance 1000',
    ]);
    expect(h.every((e) => /^[0-9a-f]{8}$/.test(e.transfer) && !e.amount.includes('e')), 'short ids and plain numbers').toBe(true);
    expect((await failure(svc.history(a, { limit: 0 }))).message).toMatch(/limit must be at least 1/);
    await expectBooks(svc, 'after a claim');
  });
});

describe('accrual rules', () => {
  it('pays pro rata for the seconds staked inside the day, capped, only for elapsed days', async () => {
    const capped = new TokenService({ db: database.db, clock, stakingDailyCap: '0.75' });
    await svc.createPool(admin, { name: 'prorata', apr: '0.365' });
    const half = await funded('1000');
    const big = await funded('2000');
    clock.set('2027-01-05T12:00:00Z');
    await svc.stake(half, { pool: 'prorata', amount: '1000' });
    const bigStake = await svc.stake(big, { pool: 'prorata', amount: '2000' });
    clock.set('2027-01-05T18:00:00Z');
    const notYet = await failure(svc.accrueStaking('2027-01-05'));
    expect(notYet.message).toMatch(/has not fully elapsed/);
    expect((await failure(svc.accrueStaking('2027-02-30'))).message).toMatch(/YYYY-MM-DD/);
    clock.set('2027-01-06T06:00:00Z');
    await svc.unstake(big, { stake: bigStake.id });
    clock.set('2027-01-07T00:00:00Z');
    const r = await capped.accrueStaking('2027-01-05');
    expect(r.rule).toBe('staking_yield');
    expect((await svc.balance(half)).claimable, 'half a day of 1000 at 36.5 %').toBe('0.5');
    expect((await svc.balance(big)).claimable, 'half a day of 2000 is 1, capped at 0.75').toBe('0.75');
    await capped.accrueStaking('2027-01-06');
    expect((await svc.balance(half)).claimable, 'a full day more').toBe('1.25');
    expect((await svc.balance(big)).claimable, 'six hours of 2000 before the unstake: 0.5').toBe('1.25');
    const logs = await countRows(database, 'reward_logs', sql`user_id = ${half.userId} and rule = 'staking_yield'`);
    expect(logs).toBe(2);
    const src = await queryRows<{ source_type: string; source_id: string }>(database.db, sql`select source_type, source_id from reward_logs where user_id = ${big.userId} and period = '2027-01-05'`);
    expect(src, 'a single stake is the source').toEqual([{ source_type: 'user_stake', source_id: (await stakeIdOf(big)) }]);
    await expectBooks(svc, 'after accrual');
  });
});
