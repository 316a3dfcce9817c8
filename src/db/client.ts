// Database access: embedded PGlite by default (persisted in the data directory), real Postgres when
// DATABASE_URL is set. Both are driven through the same drizzle schema and the same migrations.
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { SQL } from 'drizzle-orm';
import type pg from 'pg';
import * as schema from './schema/index.js';
import type { Logger } from '../log.js';
import { scrub } from '../log.js';
import { claimEarlyOpen, DatabaseError, openEmbedded } from './embedded.js';
import type { PgliteClient } from './pglite-worker.js';

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
  /** The underlying PGlite, in this thread or a worker's (embedded mode only). */
  pglite?: PgliteClient;
  /** The underlying pool (Postgres mode only). */
  pool?: pg.Pool;
  close(): Promise<void>;
}

export { DatabaseError, DatabaseLockedError } from './embedded.js';

export interface OpenOptions {
  /** Postgres connection string; when absent the embedded database is used. */
  url?: string | undefined;
  /** Directory for the embedded database; `undefined` with no `url` means in memory. */
  dataDir?: string | undefined;
  /** An existing PGlite instance (tests clone a migrated template). */
  pglite?: PgliteClient;
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
  // pg and drizzle's driver for it load only here: the embedded database needs neither.
  const [{ default: pgModule }, { drizzle: drizzlePg }] = await Promise.all([import('pg'), import('drizzle-orm/node-postgres')]);
  // Return numeric and bigint columns as strings so no money passes through a JS float. drizzle maps
  // \`numeric\` to string already; these parsers cover raw \`execute\` results too.
  pgModule.types.setTypeParser(pgModule.types.builtins.NUMERIC, (v) => v);
  pgModule.types.setTypeParser(pgModule.types.builtins.INT8, (v) => v);
  /** A pg client whose connection attempt gives up after 10 s (the pool itself waits without a deadline). */
  class ConnectBoundedClient extends pgModule.Client {
    constructor(config?: string | pg.ClientConfig) {
      super({ ...(typeof config === 'string' ? { connectionString: config } : config), connectionTimeoutMillis: 10_000 });
    }
  }
  const pool = new pgModule.Pool({ connectionString: url, max: poolMax, connectionTimeoutMillis: 0, idleTimeoutMillis: 30_000, Client: ConnectBoundedClient });
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
  let instance: PgliteClient | undefined = opts.pglite;
  let release: () => Promise<void> = async () => undefined;
  let location = 'memory';
  let heldDir: string | undefined;
  if (!instance) {
    if (opts.dataDir) {
      // `mikey mcp` and `mikey chat` start the opening before loading the rest (src/cli-entry.ts).
      const opened = await (claimEarlyOpen(opts.dataDir) ?? openEmbedded(opts.dataDir));
      instance = opened.instance;
      release = opened.release;
      location = opened.dir;
      heldDir = opts.dataDir;
    } else {
      instance = await PGlite.create();
    }
  }
  const pgl = instance;
  // drizzle's PGlite driver uses only the part of PGlite that PgliteClient has (pglite-worker.ts).
  const db = drizzlePglite(pgl as PGlite, { schema, casing: 'snake_case' }) as unknown as Db;
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

/** Runs raw SQL and returns its rows; both drivers answer with `{ rows }`. */
export async function queryRows<T extends Record<string, unknown>>(ex: Executor, query: SQL): Promise<T[]> {
  const result: unknown = await ex.execute<T>(query);
  return (result as { rows: T[] }).rows;
}
