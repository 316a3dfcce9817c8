// Reward idempotency per (rule, user, period): a second run, four concurrent runs and a run on a second
// service instance each pay every user once; a crash after the reward logs are written and before the
// tokens move leaves nothing paid and the rerun pays once; a treasury that cannot pay skips (and
// reports) instead of going negative, and a later run pays the skipped once it is funded.
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { queryRows, type Database } from '../../../src/db/client.js';
import { dec } from '../../../src/domain/money.js';
import type { Actor } from '../../../src/services/actor.js';
import { TokenService } from '../../../src/services/token/token-service.js';
import { createTestDatabase, testDbKind } from '../../support/db.js';
import { countRows, expectBooks, ManualClock, newUser } from './support.js';

let database: Database;
let clock: ManualClock;
let svc: TokenService;
let admin: Actor;
let stakers: Actor[];

/** Three stakers of 1000, 2000 and 3000 at 36.5 % from midnight of 2026-12-01: 1, 2 and 3 tokens a day. */
beforeEach(async () => {
  database = await createTestDatabase();
  clock = new ManualClock(Date.parse('2026-12-01T00:00:00Z'));
  svc = new TokenService({ db: database.db, clock });
  admin = await newUser(database, 'admin');
  await svc.mint(admin, { amount: '10000' });
  await svc.createPool(admin, { name: 'main', apr: '0.365' });
  stakers = [];
  for (const amount of ['1000', '2000', '3000']) {
    const a = await newUser(database);
    await svc.grant(admin, { user: a.userId, amount });
    await svc.stake(a, { pool: 'main', amount });
    stakers.push(a);
  }
  clock.set('2026-12-02T00:00:00Z');
});
afterEach(async () => database?.close());

async function claimables(): Promise<string[]> {
  return Promise.all(stakers.map(async (a) => (await svc.balance(a)).claimable));
}

async function logsFor(period: string): Promise<number> {
  return countRows(database, 'reward_logs', sql`rule = 'staking_yield' and period = ${period}`);
}

describe('staking accrual is paid once per user and day', () => {
  it('a second run pays nothing', async () => {
    const first = await svc.accrueStaking('2026-12-01');
    expect(first).toMatchObject({ paidUsers: 3, paidTotal: '6', alreadyPaid: 0, skippedUsers: 0, treasuryAfter: '3994' });
    const second = await svc.accrueStaking('2026-12-01');
    expect(second).toMatchObject({ paidUsers: 0, paidTotal: '0', alreadyPaid: 3 });
    expect(await claimables()).toEqual(['1', '2', '3']);
    expect(await logsFor('2026-12-01')).toBe(3);
    await expectBooks(svc, 'after two runs');
  });

  it('four concurrent runs pay once between them', async () => {
    const runs = await Promise.all([1, 2, 3, 4].map(() => svc.accrueStaking('2026-12-01')));
    expect(runs.reduce((n, r) => n + r.paidUsers, 0), 'three payments in all').toBe(3);
    expect(await claimables()).toEqual(['1', '2', '3']);
    expect(await logsFor('2026-12-01')).toBe(3);
    expect((await svc.checkSupply()).treasury).toBe('3994');
    await expectBooks(svc, 'after concurrent runs');
  });

  it('two service instances (two processes on one database) pay once', async () => {
    const other = new TokenService({ db: database.db, clock: new ManualClock(Date.parse('2026-12-03T00:00:00Z')) });
    const runs = await Promise.all([svc.accrueStaking('2026-12-01'), other.accrueStaking('2026-12-01'), other.accrueStaking('2026-12-01'), svc.accrueStaking('2026-12-01')]);
    expect(runs.reduce((n, r) => n + r.paidUsers, 0)).toBe(3);
    expect(await claimables()).toEqual(['1', '2', '3']);
    expect(await logsFor('2026-12-01')).toBe(3);
    await expectBooks(svc, 'after two instances');
  });

  it('a crash after the reward logs leaves nothing paid, and the rerun pays once', async () => {
    const crashing = new TokenService({
      db: database.db,
      clock,
      hooks: {
        afterRewardLogs() {
          throw new Error('process killed between the reward log and the movement');
        },
      },
    });
    await expect(crashing.accrueStaking('2026-12-01')).rejects.toThrow(/process killed/);
    expect(await logsFor('2026-12-01'), 'the reward logs rolled back with the movement').toBe(0);
    expect(await claimables()).toEqual(['0', '0', '0']);
    expect((await svc.checkSupply()).treasury).toBe('4000');
    await expectBooks(svc, 'after the crash');
    const rerun = await svc.accrueStaking('2026-12-01');
    expect(rerun.paidUsers).toBe(3);
    expect(await svc.accrueStaking('2026-12-01')).toMatchObject({ paidUsers: 0 });
    expect(await claimables()).toEqual(['1', '2', '3']);
    expect(await logsFor('2026-12-01')).toBe(3);
    await expectBooks(svc, 'after the rerun');
  });

  it('skips the users the treasury cannot pay, never going negative, and pays them once funded', async () => {
    // Drain the treasury to 2.5: the 1-token and 2-token rewards cannot both be paid.
    const sink = await newUser(database);
    await svc.grant(admin, { user: sink.userId, amount: '3997.5' });
    const r = await svc.accrueStaking('2026-12-01');
    expect(r.skippedUsers, 'someone is skipped').toBeGreaterThan(0);
    expect(Number(r.treasuryAfter), 'the treasury never goes negative').toBeGreaterThanOrEqual(0);
    expect(Number(r.paidTotal) + Number(r.skippedTotal)).toBe(6);
    const paid = await logsFor('2026-12-01');
    expect(paid).toBe(r.paidUsers);
    await expectBooks(svc, 'after a short treasury');
    await svc.mint(admin, { amount: '100' });
    const later = await svc.accrueStaking('2026-12-01');
    expect(later).toMatchObject({ paidUsers: r.skippedUsers, skippedUsers: 0, alreadyPaid: r.paidUsers });
    expect(await claimables()).toEqual(['1', '2', '3']);
    await expectBooks(svc, 'after funding');
  });

  it.runIf(testDbKind === 'postgres')('the unique key alone stops a payment another writer logged first (no double pay without the treasury lock)', async () => {
    // A writer that skips the treasury lock logs the first staker's reward and holds its transaction
    // open; the accrual's pre-check cannot see that row, so only ON CONFLICT DO NOTHING can stop it.
    const target = stakers[0]!;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let logged!: () => void;
    const inserted = new Promise<void>((r) => (logged = r));
    const writer = database.db.transaction(async (tx) => {
      await tx.execute(sql`insert into reward_logs (user_id, token, amount, reward_type, rule, period) values (${target.userId}, 'OMNI', 1, 'staking_yield', 'staking_yield', '2026-12-01')`);
      logged();
      await held;
    });
    await inserted;
    const run = svc.accrueStaking('2026-12-01');
    // Wait (bounded) until the accrual's insert is blocked on the writer's uncommitted key.
    let waiting = 0;
    for (let i = 0; i < 400 && waiting === 0; i++) {
      await new Promise((r) => setTimeout(r, 25));
      const [w] = await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query ilike '%insert into reward_logs%'`);
      waiting = w!.n;
    }
    expect(waiting, 'the accrual waits on the key the writer holds').toBe(1);
    release();
    await writer;
    const r = await run;
    expect(r.paidUsers, 'the conflicting user is not paid by the accrual').toBe(2);
    expect(await claimables()).toEqual(['0', '2', '3']);
    expect(await logsFor('2026-12-01')).toBe(3);
    await expectBooks(svc, 'after the conflicting writer');
  });

  it('pays competition prizes in rank order: with a short treasury a lower rank is never paid before a higher one', async () => {
    const [first, second, third] = stakers as [Actor, Actor, Actor];
    // 10,000 minted, 6,000 granted: 4,000 left; take it down to 250.
    const sink = await newUser(database);
    await svc.grant(admin, { user: sink.userId, amount: '3750' });
    // Ranks 1, 2, 3 in rank order (the user ids' order is random): the 300 first prize does not fit, so neither do the others.
    const awards = [
      { userId: first.userId, amount: dec('300'), entryId: 'e1', description: 'rank 1' },
      { userId: second.userId, amount: dec('200'), entryId: 'e2', description: 'rank 2' },
      { userId: third.userId, amount: dec('100'), entryId: 'e3', description: 'rank 3' },
    ];
    const short = await svc.payCompetitionPrizes('cup-1', awards);
    expect(short).toMatchObject({ paidUsers: 0, skippedUsers: 3, treasuryAfter: '250' });
    await expectBooks(svc, 'after a short treasury');
    await svc.mint(admin, { amount: '300' });
    // 550: the first two (500) are paid; the third (100) waits, though it alone would fit in what is left.
    const partly = await svc.payCompetitionPrizes('cup-1', awards);
    expect(partly).toMatchObject({ paidUsers: 2, skippedUsers: 1, treasuryAfter: '50' });
    expect(await claimables()).toEqual(['300', '200', '0']);
    await svc.mint(admin, { amount: '50' });
    expect(await svc.payCompetitionPrizes('cup-1', awards)).toMatchObject({ paidUsers: 1, skippedUsers: 0, alreadyPaid: 2 });
    expect(await claimables()).toEqual(['300', '200', '100']);
    await expectBooks(svc, 'after the prizes');
  });

  it('keeps paying stakes in a closed pool until they are unstaked', async () => {
    await svc.closePool(admin, { pool: 'main' });
    await svc.accrueStaking('2026-12-01');
    expect(await claimables()).toEqual(['1', '2', '3']);
    const rows = await queryRows<{ source_type: string }>(database.db, sql`select distinct source_type from reward_logs`);
    expect(rows.map((x) => x.source_type)).toEqual(['user_stake']);
  });
});
