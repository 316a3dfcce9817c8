// Applies the committed migrations in drizzle/ (the same files on PGlite and Postgres), then, when
// the TimescaleDB extension is available, turns the time-series tables into hypertables with
// compression and retention. Without it they stay plain tables with the same indexes; retention is
// then done by a scheduled delete (see the market-data services).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { queryRows, type Database, type Schema } from './client.js';
import { TIME_SERIES_TABLES } from './schema/time-series.js';
import type { Logger } from '../log.js';

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle', import.meta.url));
const MIGRATION_LOCK_KEY = 0x4d494b45; // "MIKE": one migrator at a time across processes

export interface MigrateResult {
  timescale: boolean;
  hypertables: string[];
}

export async function migrateDatabase(database: Database, logger?: Logger): Promise<MigrateResult> {
  if (database.kind === 'pglite') {
    // Start-up on an up-to-date embedded database costs one query instead of the migrator's DDL.
    if (await pglitePending(database)) await migratePglite(database.db as unknown as PgliteDatabase<Schema>, { migrationsFolder: MIGRATIONS_FOLDER });
    return { timescale: false, hypertables: [] };
  }
  const pool = database.pool!;
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await migratePg(database.db as unknown as NodePgDatabase<Schema>, { migrationsFolder: MIGRATIONS_FOLDER });
      return await applyTimescale(database, logger);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}

/**
 * Whether the migrator has anything to apply: drizzle's own rule (a migration runs when it is newer
 * than the last one recorded), answered from the journal and one query.
 */
async function pglitePending(database: Database): Promise<boolean> {
  const journal = JSON.parse(await readFile(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as { entries: Array<{ when: number }> };
  const newest = Math.max(...journal.entries.map((e) => e.when));
  try {
    const rows = await queryRows<{ last: string | null }>(database.db, sql`SELECT max(created_at)::text AS last FROM drizzle.__drizzle_migrations`);
    return rows[0]?.last == null || Number(rows[0].last) < newest;
  } catch {
    return true; // no migrations table yet
  }
}

/** True when the server can load TimescaleDB (installed and preloaded). */
export async function timescaleAvailable(database: Database): Promise<boolean> {
  if (database.kind !== 'postgres') return false;
  const rows = await queryRows(database.db, sql`SELECT 1 AS ok FROM pg_available_extensions WHERE name = 'timescaledb'`);
  return rows.length > 0;
}

async function applyTimescale(database: Database, logger?: Logger): Promise<MigrateResult> {
  if (!(await timescaleAvailable(database))) return { timescale: false, hypertables: [] };
  const db = database.db;
  try {
    await db.execute(sql`CREATE EXTENSION IF NOT EXISTS timescaledb`);
  } catch (err) {
    logger?.warn('timescaledb is installed but cannot be loaded (shared_preload_libraries?); time-series tables stay plain', { error: err });
    return { timescale: false, hypertables: [] };
  }
  const done: string[] = [];
  for (const t of TIME_SERIES_TABLES) {
    await db.execute(
      sql.raw(
        `SELECT create_hypertable('${t.table}', '${t.timeColumn}', chunk_time_interval => INTERVAL '${t.chunkInterval}', if_not_exists => TRUE, migrate_data => TRUE)`,
      ),
    );
    if (t.compressAfter) {
      const segment = 'segmentBy' in t && t.segmentBy ? `, timescaledb.compress_segmentby = '${t.segmentBy}'` : '';
      await db.execute(sql.raw(`ALTER TABLE ${t.table} SET (timescaledb.compress${segment})`));
      await db.execute(sql.raw(`SELECT add_compression_policy('${t.table}', INTERVAL '${t.compressAfter}', if_not_exists => TRUE)`));
    }
    if (t.retention) {
      await db.execute(sql.raw(`SELECT add_retention_policy('${t.table}', INTERVAL '${t.retention}', if_not_exists => TRUE)`));
    }
    done.push(t.table);
  }
  logger?.info('timescaledb hypertables ready', { tables: done });
  return { timescale: true, hypertables: done };
}
