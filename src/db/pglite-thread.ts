// The embedded database in a worker thread (see pglite-worker.ts, its other half): opens PGlite in
// the data directory it is given and runs the queries, execs and transactions the main thread sends.
// Its answers carry rows as structured clones; its errors carry Postgres's fields (code, detail,
// constraint …) so the main thread rebuilds the same error.
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { snapshotForFreshDataDir } from './snapshot.js';
import type { FromPgliteThread, PgliteThreadData, ToPgliteThread, WireError, WireQueryOptions } from './pglite-worker.js';

const port = parentPort;
if (!port) throw new Error('pglite-thread.ts runs only as a worker thread');
const send = (message: FromPgliteThread): void => port.postMessage(message);

/** Postgres's error fields that cross to the main thread (the rest of an error is its message). */
const ERROR_FIELDS = ['code', 'severity', 'detail', 'hint', 'position', 'where', 'schema', 'table', 'column', 'dataType', 'constraint', 'routine'] as const;

function wireError(err: unknown): WireError {
  const e = (err ?? {}) as Record<string, unknown>;
  const fields: Record<string, string> = {};
  for (const k of ERROR_FIELDS) if (typeof e[k] === 'string') fields[k] = e[k];
  return { name: typeof e.name === 'string' ? e.name : 'Error', message: err instanceof Error ? err.message : String(err), fields };
}

/** Identity parsers for the type ids the main thread asked to receive as Postgres's text. */
function queryOptions(o: WireQueryOptions | undefined): Parameters<PGlite['query']>[2] {
  if (!o) return undefined;
  const parsers: Record<number, (value: string) => string> = {};
  for (const oid of o.textTypes ?? []) parsers[oid] = (value) => value;
  return { ...(o.rowMode ? { rowMode: o.rowMode } : {}), parsers };
}

interface OpenTransaction {
  tx: Transaction;
  /** Ends the transaction: commit, or roll back by throwing out of PGlite's callback. */
  end: (commit: boolean) => void;
  /** Settles once PGlite has committed or rolled back. */
  done: Promise<void>;
}

const { dir } = workerData as PgliteThreadData;
let db: PGlite;
try {
  const loadDataDir = await snapshotForFreshDataDir(dir);
  db = await PGlite.create(dir, loadDataDir ? { loadDataDir } : {});
  send({ type: 'ready' });
} catch (err) {
  send({ type: 'failed', error: wireError(err) });
  port.close();
  throw err;
}

/** Thrown out of PGlite's transaction callback to roll it back (the main thread's callback threw). */
class Rollback extends Error {}
const transactions = new Map<number, OpenTransaction>();

async function begin(id: number): Promise<void> {
  let began: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (began = resolve));
  let end: (commit: boolean) => void = () => undefined;
  const ended = new Promise<boolean>((resolve) => (end = resolve));
  const done = db
    .transaction(async (tx) => {
      transactions.set(id, { tx, end, done });
      began();
      if (!(await ended)) throw new Rollback('rolled back');
    })
    .catch((err: unknown) => {
      if (!(err instanceof Rollback)) throw err;
    })
    .finally(() => transactions.delete(id));
  // A BEGIN that fails never reaches the callback: answer with its error.
  await Promise.race([started, done]);
  if (!transactions.has(id)) await done;
}

async function answer(message: ToPgliteThread): Promise<unknown> {
  switch (message.op) {
    case 'query': {
      const on = message.tx === undefined ? db : transactions.get(message.tx)?.tx;
      if (!on) throw new Error('the transaction has already ended');
      return on.query(message.sql, message.params, queryOptions(message.options));
    }
    case 'exec': {
      const on = message.tx === undefined ? db : transactions.get(message.tx)?.tx;
      if (!on) throw new Error('the transaction has already ended');
      return on.exec(message.sql, queryOptions(message.options));
    }
    case 'begin':
      await begin(message.id);
      return undefined;
    case 'end': {
      const open = transactions.get(message.tx);
      if (!open) throw new Error('the transaction has already ended');
      open.end(message.commit);
      await open.done;
      return undefined;
    }
    case 'close':
      await db.close();
      return undefined;
  }
}

port.on('message', (message: ToPgliteThread) => {
  answer(message).then(
    (result) => send({ type: 'result', id: message.id, result }),
    (err: unknown) => send({ type: 'error', id: message.id, error: wireError(err) }),
  );
});
