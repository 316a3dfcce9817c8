// Foundation figures: cold start to ready (database open + migrations applied) on PGlite and on
// Postgres, each beside the bare floor (open the engine and answer SELECT 1); and API-key
// verification per request beside a bare primary-key read on the same database.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { openDatabase, type Database } from '../src/db/client.js';
import { migrateDatabase } from '../src/db/migrate.js';
import { users } from '../src/db/schema/index.js';
import { actorFor } from '../src/services/actor.js';
import { createApiKey, verifyApiKey } from '../src/services/api-keys.js';
import { createUser } from '../src/services/users.js';
import { eq } from 'drizzle-orm';
import { lowerIsBetter, percentile, timeOnce, timeRuns, type BenchFigure, type BenchModule } from './lib.js';

async function verifyFigures(database: Database, label: string): Promise<BenchFigure[]> {
  const u = await createUser(database.db, { username: `bench_${Date.now()}` });
  const { key } = await createApiKey(database.db, actorFor(u.id, 'cli'), { userId: u.id, permissions: ['read:market'], ratePerMinute: 1000, expiresInMs: null });
  for (let i = 0; i < 50; i++) await verifyApiKey(database.db, key);
  const ours = await timeRuns(1000, () => verifyApiKey(database.db, key));
  const bare = await timeRuns(1000, () => database.db.select().from(users).where(eq(users.id, u.id)));
  return [
    lowerIsBetter(`api_key_verify_p50_${label}`, percentile(ours, 50), 'ms', percentile(bare, 50), 'reference: one primary-key SELECT on the same database'),
  ];
}

const bench: BenchModule = async (ctx) => {
  const figures: BenchFigure[] = [];

  // PGlite: fresh data directory, open + migrate, vs open + SELECT 1.
  const dirA = await mkdtemp(join(tmpdir(), 'mikey-bench-'));
  const dirB = await mkdtemp(join(tmpdir(), 'mikey-bench-'));
  let pglite: Database | undefined;
  const ours = await timeOnce(async () => {
    pglite = await openDatabase({ dataDir: dirA });
    await migrateDatabase(pglite);
  });
  const floor = await timeOnce(async () => {
    const p = await PGlite.create(join(dirB, 'pgdata'));
    await p.query('SELECT 1');
    await p.close();
  });
  figures.push(lowerIsBetter('cold_start_pglite', ours, 'ms', floor, 'fresh data dir, all migrations; reference: bare PGlite open + SELECT 1'));
  figures.push(...(await verifyFigures(pglite!, 'pglite')));
  await pglite!.close();
  await rm(dirA, { recursive: true, force: true });
  await rm(dirB, { recursive: true, force: true });

  if (ctx.postgresUrl) {
    const name = `mikey_bench_${Date.now()}`;
    const admin = new pg.Client({ connectionString: ctx.postgresUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(ctx.postgresUrl);
    url.pathname = `/${name}`;
    let database: Database | undefined;
    const oursPg = await timeOnce(async () => {
      database = await openDatabase({ url: url.toString() });
      await migrateDatabase(database);
    });
    const floorPg = await timeOnce(async () => {
      const pool = new pg.Pool({ connectionString: url.toString() });
      await pool.query('SELECT 1');
      await pool.end();
    });
    figures.push(lowerIsBetter('cold_start_postgres', oursPg, 'ms', floorPg, 'fresh database, all migrations; reference: pool connect + SELECT 1'));
    figures.push(...(await verifyFigures(database!, 'postgres')));
    await database!.db.execute(sql`SELECT 1`);
    await database!.close();
    await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
    await admin.end();
  } else {
    ctx.log('no BENCH_DATABASE_URL/TEST_DATABASE_URL: Postgres figures skipped');
  }
  return figures;
};
export default bench;
