// Opening the embedded database (PGlite in a data directory): the pid lock, the fresh-directory
// snapshot and PGlite itself, with nothing of drizzle, pg or the schema, so that the CLI can start it
// before the rest of MIKEY has loaded.
//
// Start-up: `mikey mcp` and `mikey chat` spend most of their first second loading modules and the
// rest opening PGlite (compiling its WebAssembly, starting Postgres inside it). `startEarlyOpen`
// begins the opening at the first line of the CLI, so the two overlap; `openDatabase` then claims the
// opening for the same directory instead of starting another. An opening nobody claims (a config
// error, a command that forwards to the holder) is closed by `abandonEarlyOpen`, lock and all.
// The early opening runs PGlite in a worker thread (pglite-worker.ts): opening it and loading the
// modules then run on two cores instead of taking turns on one.
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { scrub } from '../log.js';
import { PgliteWorkerClient, type PgliteClient } from './pglite-worker.js';
import { snapshotForFreshDataDir } from './snapshot.js';

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

/** An open embedded database and what releases its data directory's lock. */
export interface EmbeddedOpen {
  instance: PgliteClient;
  /** The PGlite directory (`<dataDir>/pgdata`). */
  dir: string;
  release: () => Promise<void>;
}

export interface EmbeddedOptions {
  /** Run PGlite in a worker thread (pglite-worker.ts) instead of this one. */
  thread?: boolean;
}

/** Locks `dataDir` and opens PGlite in it, from the build's migrated snapshot when the directory is new. */
export async function openEmbedded(dataDir: string, options: EmbeddedOptions = {}): Promise<EmbeddedOpen> {
  const dir = join(dataDir, 'pgdata');
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const release = await lockDataDir(dataDir);
  try {
    if (options.thread) return { instance: await PgliteWorkerClient.open(dir), dir, release };
    const loadDataDir = await snapshotForFreshDataDir(dir);
    const instance = await PGlite.create(dir, loadDataDir ? { loadDataDir } : {});
    return { instance, dir, release };
  } catch (err) {
    await release();
    throw new DatabaseError(`Cannot open the embedded database in ${dir}: ${scrub((err as Error).message)}`);
  }
}

/** Openings started before anyone asked, by resolved data directory. */
const early = new Map<string, Promise<EmbeddedOpen>>();

/** Starts opening `dataDir` now, for a later `claimEarlyOpen` (a second start for the same directory is ignored). */
export function startEarlyOpen(dataDir: string): void {
  const key = resolve(dataDir);
  if (early.has(key)) return;
  const opening = openEmbedded(dataDir, { thread: true });
  // Its failure is reported to whoever claims it; unclaimed, it is dropped by abandonEarlyOpen.
  opening.catch(() => undefined);
  early.set(key, opening);
}

/** The opening started for `dataDir`, taken over by the caller (then closing it is theirs), or undefined. */
export function claimEarlyOpen(dataDir: string): Promise<EmbeddedOpen> | undefined {
  const key = resolve(dataDir);
  const opening = early.get(key);
  early.delete(key);
  return opening;
}

/** Closes every opening nobody claimed and releases its lock. */
export async function abandonEarlyOpen(): Promise<void> {
  const left = [...early.values()];
  early.clear();
  for (const opening of left) {
    const opened = await opening.catch(() => undefined);
    if (!opened) continue;
    if (!opened.instance.closed) await opened.instance.close().catch(() => undefined);
    await opened.release();
  }
}

/**
 * Where the embedded database lives for this environment, as `loadConfig` decides it (MIKEY_DATA_DIR,
 * else ~/.mikey), or undefined when DATABASE_URL points at Postgres.
 */
export function embeddedDataDir(env: NodeJS.ProcessEnv, home: string): string | undefined {
  if ((env.DATABASE_URL ?? '').trim() !== '') return undefined;
  const configured = (env.MIKEY_DATA_DIR ?? '').trim();
  return configured !== '' ? configured : join(env.HOME ?? home, '.mikey');
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
