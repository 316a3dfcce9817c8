// A fresh embedded data directory starts from the build's schema snapshot instead of replaying the
// migrations: the snapshot, loaded into a data directory on disk, has exactly the schema and the
// migration records of a database migrated from scratch, and a snapshot of other migrations (or a
// data directory that already holds a database) is never used.
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, queryRows, type Database } from '../src/db/client.js';
import { MIGRATIONS_FOLDER, migrateDatabase } from '../src/db/migrate.js';
import { schemaKey, snapshotForFreshDataDir, snapshotPath, writeSchemaSnapshot } from '../src/db/snapshot.js';

/** Everything that makes up the schema, as sorted text lines. */
async function schemaListing(database: Database): Promise<string[]> {
  const rows = await queryRows<{ line: string }>(
    database.db,
    sql`
      SELECT 'column ' || table_schema || '.' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') AS line
        FROM information_schema.columns WHERE table_schema IN ('public', 'drizzle')
      UNION ALL
      SELECT 'index ' || schemaname || ' ' || indexdef FROM pg_indexes WHERE schemaname IN ('public', 'drizzle')
      UNION ALL
      SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace
      UNION ALL
      SELECT 'view ' || table_name || ' ' || view_definition FROM information_schema.views WHERE table_schema = 'public'
      UNION ALL
      SELECT 'function ' || p.proname || ' ' || pg_get_function_identity_arguments(p.oid) FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
      UNION ALL
      SELECT 'trigger ' || tgrelid::regclass::text || ' ' || tgname FROM pg_trigger WHERE NOT tgisinternal
    `,
  );
  return rows.map((r) => r.line).sort();
}

async function migrations(database: Database): Promise<string[]> {
  const rows = await queryRows<{ hash: string; created_at: string }>(database.db, sql`SELECT hash, created_at::text FROM drizzle.__drizzle_migrations ORDER BY id`);
  return rows.map((r) => `${r.hash} ${r.created_at}`);
}

let dir: string;
let snapshotFile: string;
let migrated: Database;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mikey-snapshot-'));
  snapshotFile = await writeSchemaSnapshot(dir);
  migrated = await openDatabase({});
  await migrateDatabase(migrated);
}, 300_000);
afterAll(async () => {
  await migrated?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('schema snapshot for a fresh embedded data directory', () => {
  it('is written under the key of the current migrations', async () => {
    expect(snapshotFile, 'the file name carries the migrations key').toBe(snapshotPath(dir, await schemaKey()));
  });

  it('loaded into a data directory on disk, has the schema and migration records of a migrated database', async () => {
    const pgdata = join(dir, 'fresh', 'pgdata');
    const snapshot = await snapshotForFreshDataDir(pgdata, dir);
    expect(snapshot, 'a fresh data directory gets the snapshot').toBeDefined();
    await mkdir(join(dir, 'fresh'));
    const fromSnapshot = await openDatabase({ pglite: await PGlite.create(pgdata, { loadDataDir: snapshot! }) });
    try {
      expect(await migrations(fromSnapshot), 'the same migrations recorded as applied').toEqual(await migrations(migrated));
      const listing = await schemaListing(fromSnapshot);
      expect(listing.length, 'the listing sees the schema').toBeGreaterThan(100);
      expect(listing, 'the same tables, columns, indexes, constraints, views, functions and triggers').toEqual(await schemaListing(migrated));
      await migrateDatabase(fromSnapshot);
      expect(await migrations(fromSnapshot), 'migrating it afterwards has nothing left to apply').toEqual(await migrations(migrated));
    } finally {
      await fromSnapshot.close();
    }
    // Reopened from disk without the snapshot: the data directory holds the database itself.
    const reopened = await openDatabase({ pglite: await PGlite.create(pgdata) });
    try {
      expect(await migrations(reopened), 'the loaded snapshot was persisted in the data directory').toEqual(await migrations(migrated));
    } finally {
      await reopened.close();
    }
    expect(await snapshotForFreshDataDir(pgdata, dir), 'a data directory that holds a database never starts over from the snapshot').toBeUndefined();
  });

  it('is not used when the migrations changed since it was made', async () => {
    const changed = join(dir, 'drizzle');
    await cp(MIGRATIONS_FOLDER, changed, { recursive: true });
    await writeFile(join(changed, '9999_next.sql'), 'CREATE TABLE next_feature (id integer);\n');
    expect(await schemaKey(changed), 'another migration means another key').not.toBe(await schemaKey());
    const pgdata = join(dir, 'fresh-2', 'pgdata');
    expect(await snapshotForFreshDataDir(pgdata, dir), 'with the migrations it was made from, it is found').toBeDefined();
    expect(await snapshotForFreshDataDir(pgdata, dir, changed), 'with other migrations, it is not loaded').toBeUndefined();
  });
});
