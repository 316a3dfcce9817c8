// Database access: embedded PGlite by default (persisted in the data directory), real Postgres when
// DATABASE_URL is set. Both are driven through the same drizzle schema and the same migrations.
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { SQL } from 'drizzle-orm';
import pg from 'pg';
import * as schema from './schema/index.js';
import type { Logger } from '../log.js';
import { scrub } from '../log.js';
import { snapshotForFreshDataDir } from './snapshot.js';

export type Schema = typeof schema;
/** The drizzle database, whichever driver is underneath. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
/** A transaction handle; it has the same query API as `Db`. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
/** Anything that can run queries: the database or a transaction. */
export type Executor = Db | Tx;

export const DatabaseKind = { pglite: 'pglite', postgres: 'postgres' } as const;
export type DatabaseKind = (typeof DatabaseKind)[keyof typeof DatabaseKind];

export interface Database {
  db: Db;
  kind: DatabaseKind;
  /** Where the data lives, with any password removed (for messages). */
  location: string;
  /** The data directory this process holds (embedded database on disk only). */
  dataDir?: string;
  /** The underlying PGlite instance (embedded mode only). */
  pglite?: PGlite;
  /** The underlying pool (Postgres mode only). */
  pool?: pg.Pool;
  close(): Promise<void>;
}

export class DatabaseError extends Error {
  override readonly name: string = 'DatabaseError';
}

/** The embedded database is held by another live MIKEY process (or already open in this one). */
export class DatabaseLockedError extends DatabaseError {
  override readonly name = 'DatabaseLockedError';
  constructor(
    readonly holderPid: number,
    readonly dataDir: string,
  ) {
    super(
      `Another MIKEY process (pid ${holderPid}) is using the embedded database in ${dataDir}. ` +
        'Stop it, use a different MIKEY_DATA_DIR, or run both against Postgres with DATABASE_URL.',
    );
  }
}

// Return numeric and bigint columns as strings so no money passes through a JS float. drizzle maps
// `numeric` to string already; these parsers cover raw `execute` results too.
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => v);
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => v);

export interface OpenOptions {
  /** Postgres connection string; when absent the embedded database is used. */
  url?: string | undefined;
  /** Directory for the embedded database; `undefined` with no `url` means in memory. */
  dataDir?: string | undefined;
  /** An existing PGlite instance (tests clone a migrated template). */
  pglite?: PGlite;
  poolMax?: number;
  logger?: Logger;
}

/** Describes a connection string without its password. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'an unparseable DATABASE_URL';
  }
}

/** Opens the configured database and checks it answers. Errors name the problem and the fix. */
export async function openDatabase(opts: OpenOptions): Promise<Database> {
  if (opts.url) return openPostgres(opts.url, opts.poolMax ?? 10, opts.logger);
  return openPglite(opts);
}

/** A pg client whose connection attempt gives up after 10 s (the pool itself waits without a deadline). */
class ConnectBoundedClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super({ ...(typeof config === 'string' ? { connectionString: config } : config), connectionTimeoutMillis: 10_000 });
  }
}

async function openPostgres(url: string, poolMax: number, logger?: Logger): Promise<Database> {
  const where = describeUrl(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DatabaseError('DATABASE_URL is not a valid URL; use postgres://user@host:5432/database (add :password after the user if the server needs one)');
  }
  if (!['postgres:', 'postgresql:'].includes(parsed.protocol)) {
    throw new DatabaseError(`DATABASE_URL must start with postgres:// (got ${parsed.protocol}//)`);
  }
  // Opening a connection is bounded (an unreachable server fails in 10 s, per client); waiting for a
  // free pooled client is not: pg-pool's connectionTimeoutMillis would also be a deadline on that
  // queue, which a burst larger than the pool on a slow or loaded machine trips ("timeout exceeded
  // when trying to connect") although nothing is wrong. Transactions queue in src/db/tx.ts's gate
  // so the pool is never asked for more than it can serve.
  const pool = new pg.Pool({ connectionString: url, max: poolMax, connectionTimeoutMillis: 0, idleTimeoutMillis: 30_000, Client: ConnectBoundedClient });
  // An idle client that errors (server restart) must not crash the process; the pool replaces it.
  pool.on('error', (err) => logger?.warn('postgres idle client error', { error: err }));
  try {
    const c = await pool.connect();
    c.release();
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new DatabaseError(explainConnectError(err, where));
  }
  const db = drizzlePg(pool, { schema, casing: 'snake_case' }) as unknown as Db;
  let closed = false;
  return {
    db,
    kind: 'postgres',
    location: where,
    pool,
    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

function explainConnectError(err: unknown, where: string): string {
  const e = err as { code?: string; message?: string };
  const msg = scrub(e.message ?? String(err));
  switch (e.code) {
    case 'ECONNREFUSED':
      return `Cannot reach Postgres at ${where}: connection refused. Is the server running, and is the host/port right?`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `Cannot reach Postgres at ${where}: the host name does not resolve. Check the host in DATABASE_URL.`;
    case '3D000':
      return `Postgres at ${where} has no such database. Create it (createdb) or fix the database name in DATABASE_URL.`;
    case '28P01':
    case '28000':
      return `Postgres at ${where} refused the login: ${msg}. Check the user and password in DATABASE_URL.`;
    default:
      return `Cannot connect to Postgres at ${where}: ${msg}`;
  }
}

async function openPglite(opts: OpenOptions): Promise<Database> {
  let instance = opts.pglite;
  let release: () => Promise<void> = async () => undefined;
  let location = 'memory';
  let heldDir: string | undefined;
  if (!instance) {
    if (opts.dataDir) {
      const dir = join(opts.dataDir, 'pgdata');
      await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
      release = await lockDataDir(opts.dataDir);
      location = dir;
      heldDir = opts.dataDir;
      try {
        // A new data directory starts from the build's migrated snapshot when there is one.
        const loadDataDir = await snapshotForFreshDataDir(dir);
        instance = await PGlite.create(dir, loadDataDir ? { loadDataDir } : {});
      } catch (err) {
        await release();
        throw new DatabaseError(`Cannot open the embedded database in ${dir}: ${scrub((err as Error).message)}`);
      }
    } else {
      instance = await PGlite.create();
    }
  }
  const pgl = instance;
  const db = drizzlePglite(pgl, { schema, casing: 'snake_case' }) as unknown as Db;
  let closed = false;
  return {
    db,
    kind: 'pglite',
    location,
    ...(heldDir ? { dataDir: heldDir } : {}),
    pglite: pgl,
    close: async () => {
      if (closed) return;
      closed = true;
      if (!pgl.closed) await pgl.close();
      await release();
    },
  };
}

/** Data directories this process holds open: a second open in the same process is refused too. */
const heldByThisProcess = new Set<string>();

/**
 * The embedded database is single-process: a second MIKEY on the same data directory would corrupt
 * it. A pid lock file refuses that with a `DatabaseLockedError` (the CLI then sends what it can to
 * the holder's command socket); a lock left by a dead process is taken over.
 */
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const file = join(dataDir, 'mikey.lock');
  const key = resolve(dataDir);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const h = await open(file, 'wx', 0o600);
      await h.writeFile(String(process.pid));
      await h.close();
      heldByThisProcess.add(key);
      return async () => {
        heldByThisProcess.delete(key);
        await rm(file, { force: true });
      };
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST') throw err;
      const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (pid && (pid === process.pid ? heldByThisProcess.has(key) : isAlive(pid))) throw new DatabaseLockedError(pid, dataDir);
      await rm(file, { force: true });
    }
  }
  throw new DatabaseError(`Cannot lock the data directory ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

/** Runs raw SQL and returns its rows; both drivers answer with `{ rows }`. */
export async function queryRows<T extends Record<string, unknown>>(ex: Executor, query: SQL): Promise<T[]> {
  const result: unknown = await ex.execute<T>(query);
  return (result as { rows: T[] }).rows;
}
