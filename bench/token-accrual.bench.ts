// Token reward accrual (issue 14, Measured): TokenService.accrueStaking for one day over N stakes
// (default 100,000; TOKEN_BENCH_STAKES sets another), created with bulk SQL inserts, beside the bare
// SQL of the same rows — one INSERT … SELECT (with data-modifying CTEs) that computes the same yields
// and writes the same reward logs, claimable credits, ledger entries and treasury debit, with no
// domain logic, no idempotency pre-check and no treasury budget. Each side runs for its own day on the
// same stakes, alternating twice; the best of each is kept. Ratio = bare time / service time, target
// ≥ 0.33 (the service at most three times the bare SQL). On PGlite, and on Postgres when configured.
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { systemClock } from '../src/adapters/system-clock.js';
import { openDatabase, queryRows, type Database } from '../src/db/client.js';
import { migrateDatabase } from '../src/db/migrate.js';
import { withTransaction } from '../src/db/tx.js';
import { TokenService } from '../src/services/token/token-service.js';
import { lowerIsBetter, round, timeOnce, type BenchFigure, type BenchModule, scratchPostgres } from './lib.js';

const N = Number(process.env.TOKEN_BENCH_STAKES ?? 100_000);
const CAP = '1000';

async function seed(database: Database): Promise<void> {
  await database.db.execute(sql`insert into users (username, display_name) select 'bench_' || g, 'bench_' || g from generate_series(1, ${N}::int) g`);
  await database.db.execute(sql`insert into staking_pools (name, apr) values ('bench', 0.12)`);
  await database.db.execute(sql`
    insert into user_stakes (user_id, pool_id, amount, staked_at, unlocks_at)
    select u.id, (select id from staking_pools where name = 'bench'), 1000 + (row_number() over (order by u.id)) % 1000, '2026-10-01T00:00:00Z', '2026-10-01T00:00:00Z'
    from users u where u.username like 'bench\\_%'`);
  await database.db.execute(sql`insert into token_balances (user_id, token, locked) select user_id, 'OMNI', amount from user_stakes`);
  await database.db.execute(sql`update staking_pools set total_staked = (select sum(amount) from user_stakes) where name = 'bench'`);
  await database.db.execute(sql`insert into token_treasury (token, total_supply, treasury) select 'OMNI', sum(locked) + 1000000000, 1000000000 from token_balances`);
  await database.db.execute(sql`analyze`);
}

/** The bare SQL: one statement computing the yields and writing every row the service writes. */
async function bare(database: Database, period: string): Promise<void> {
  const start = `${period}T00:00:00Z`;
  const end = new Date(Date.parse(start) + 86_400_000).toISOString();
  const tid = randomUUID();
  await withTransaction(database.db, async (tx) => {
    await tx.execute(sql`
      with s as (
        select s.user_id, min(s.id::text) as sid,
               sum(s.amount * p.apr * extract(epoch from least(coalesce(s.unstaked_at, ${end}::timestamptz), ${end}::timestamptz) - greatest(s.staked_at, ${start}::timestamptz)) / 31536000) as y
        from user_stakes s join staking_pools p on p.id = s.pool_id
        where p.token = 'OMNI' and s.staked_at < ${end}::timestamptz and (s.unstaked_at is null or s.unstaked_at > ${start}::timestamptz)
        group by s.user_id
      ), r as (
        insert into reward_logs (user_id, token, amount, reward_type, source_type, source_id, description, rule, period)
        select user_id, 'OMNI', least(${CAP}::numeric, trunc(y, 18)), 'staking_yield', 'user_stake', sid, 'staking yield ' || ${period}, 'staking_yield', ${period}
        from s where trunc(y, 18) > 0
        on conflict (rule, user_id, period) do nothing
        returning id, user_id, amount
      ), b as (
        update token_balances t set claimable = t.claimable + r.amount, lifetime_rewards = t.lifetime_rewards + r.amount, updated_at = now()
        from r where t.user_id = r.user_id and t.token = 'OMNI' returning 1
      ), l as (
        insert into token_ledger (token, transfer_id, user_id, account, amount, entry_type, ref_type, ref_id)
        select 'OMNI', ${tid}::uuid, user_id, 'claimable', amount, 'reward', 'reward_log', id::text from r returning 1
      ), t as (
        update token_treasury set treasury = treasury - (select sum(amount) from r) where token = 'OMNI' returning 1
      )
      insert into token_ledger (token, transfer_id, user_id, account, amount, entry_type, ref_type, ref_id)
      select 'OMNI', ${tid}::uuid, null, 'treasury', -(select sum(amount) from r), 'reward', 'reward_rule', 'staking_yield ' || ${period}`);
  });
}

async function measure(database: Database, label: string, log: (m: string) => void): Promise<BenchFigure> {
  const t0 = performance.now();
  await seed(database);
  log(`${label}: seeded ${N.toLocaleString('en-US')} users, stakes and balances in ${round((performance.now() - t0) / 1000, 1)} s`);
  const svc = new TokenService({ db: database.db, clock: systemClock, stakingDailyCap: CAP });
  const ours: number[] = [];
  const refs: number[] = [];
  const days = ['2026-11-10', '2026-11-11', '2026-11-12', '2026-11-13'];
  for (let round_ = 0; round_ < 2; round_++) {
    refs.push(await timeOnce(() => bare(database, days[round_ * 2]!)));
    ours.push(
      await timeOnce(async () => {
        const r = await svc.accrueStaking(days[round_ * 2 + 1]!);
        if (r.paidUsers !== N) throw new Error(`the service paid ${r.paidUsers} users, expected ${N}`);
      }),
    );
  }
  const totals = await queryRows<{ period: string; n: number; total: string }>(
    database.db,
    sql`select period, count(*)::int as n, sum(amount)::text as total from reward_logs group by period order by period`,
  );
  for (const t of totals) log(`${label}: ${t.period} ${t.n} rewards, total ${t.total}`);
  const bareTotal = Number(totals[0]!.total);
  const ourTotal = Number(totals[1]!.total);
  if (totals.some((t) => t.n !== N) || Math.abs(bareTotal - ourTotal) > 1e-6) throw new Error('the bare SQL and the service wrote different rewards');
  const check = await svc.checkSupply();
  if (!check.ok) throw new Error(`supply equation broken after the bench: difference ${check.difference}`);
  const ms = Math.min(...ours);
  const ref = Math.min(...refs);
  log(`${label}: service ${ours.map((x) => round(x / 1000, 2)).join(', ')} s; bare SQL ${refs.map((x) => round(x / 1000, 2)).join(', ')} s`);
  return lowerIsBetter(
    `token.accrual.${label}.${N >= 1000 ? `${N / 1000}k` : N}`,
    ms / 1000,
    's',
    ref / 1000,
    `TokenService.accrueStaking for one day over ${N.toLocaleString('en-US')} stakes (read, Decimal yields, reward logs ON CONFLICT DO NOTHING, credits, ledger, treasury, audit) vs one bare INSERT … SELECT writing the same rows; target ratio ≥ 0.33`,
  );
}

const bench: BenchModule = async ({ postgresUrl, log }) => {
  const figures: BenchFigure[] = [];
  const lite = await openDatabase({});
  try {
    await migrateDatabase(lite);
    figures.push(await measure(lite, 'pglite', log));
  } finally {
    await lite.close();
  }
  if (postgresUrl) {
    const scratch = await scratchPostgres(postgresUrl, 'mikey_bench_token');
    try {
      figures.push(await measure(scratch.database, 'postgres', log));
    } finally {
      await scratch.close();
    }
  } else {
    log('postgres: skipped (set BENCH_DATABASE_URL or TEST_DATABASE_URL)');
  }
  return figures;
};
export default bench;
