// The schema snapshot: a migrated, empty embedded database dumped once at build time (bin/build.js),
// so that a fresh data directory starts from it instead of running initdb and replaying every
// migration. The file is keyed by a hash of the migrations and the PGlite version: a snapshot of
// other migrations is never loaded, and an existing data directory migrates as before.
import { createHash } from 'node:crypto';
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The committed migrations (drizzle/), whether this runs from src/ or dist/. */
const MIGRATIONS = fileURLToPath(new URL('../../drizzle', import.meta.url));
/** Where the build puts the snapshot: dist/, also found when running the sources. */
export const SNAPSHOT_DIR = fileURLToPath(new URL('../../dist', import.meta.url));

/** A hash of what decides the migrated schema's files: every migration and the PGlite version. */
export async function schemaKey(migrationsFolder: string = MIGRATIONS): Promise<string> {
  const hash = createHash('sha256');
  hash.update(`pglite ${await pgliteVersion(createRequire(import.meta.url).resolve('@electric-sql/pglite'))}\n`);
  hash.update(await readFile(join(migrationsFolder, 'meta', '_journal.json')));
  for (const name of (await readdir(migrationsFolder)).filter((n) => n.endsWith('.sql')).sort()) {
    hash.update(`\n${name}\n`);
    hash.update(await readFile(join(migrationsFolder, name)));
  }
  return hash.digest('hex').slice(0, 16);
}

async function pgliteVersion(entry: string): Promise<string> {
  // The package's entry lives under its dist/; its package.json is one level up.
  const text = await readFile(join(entry, '..', '..', 'package.json'), 'utf8').catch(() => '{}');
  return String((JSON.parse(text) as { version?: string }).version ?? 'unknown');
}

export function snapshotPath(dir: string, key: string): string {
  return join(dir, `schema-snapshot-${key}.tar.gz`);
}

/** Migrates an in-memory embedded database and writes its dump into `dir`; the file written. */
export async function writeSchemaSnapshot(dir: string, migrationsFolder: string = MIGRATIONS): Promise<string> {
  // Loaded here: only the build and tests make snapshots.
  const { PGlite } = await import('@electric-sql/pglite');
  const { openDatabase } = await import('./client.js');
  const { migrateDatabase } = await import('./migrate.js');
  const pglite = await PGlite.create();
  const database = await openDatabase({ pglite });
  try {
    await migrateDatabase(database);
    const dump = await pglite.dumpDataDir('gzip');
    const file = snapshotPath(dir, await schemaKey(migrationsFolder));
    await writeFile(`${file}.part`, Buffer.from(await dump.arrayBuffer()));
    await rename(`${file}.part`, file);
    return file;
  } finally {
    await database.close();
  }
}

/**
 * The snapshot to start a new embedded database in `pgdata` from, or undefined: when `pgdata`
 * already holds a database, or no snapshot of the current migrations exists.
 */
export async function snapshotForFreshDataDir(pgdata: string, dir: string = SNAPSHOT_DIR, migrationsFolder: string = MIGRATIONS): Promise<Blob | undefined> {
  const existing = await readdir(pgdata).catch(() => [] as string[]);
  if (existing.length > 0) return undefined;
  const bytes = await readFile(snapshotPath(dir, await schemaKey(migrationsFolder))).catch(() => undefined);
  return bytes ? new Blob([bytes]) : undefined;
}
