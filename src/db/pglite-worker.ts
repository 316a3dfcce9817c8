// The embedded database in a worker thread: PGlite opens and runs its queries on another thread
// (pglite-thread.ts), so the main thread goes on loading modules and serving while Postgres starts
// inside WebAssembly — on a machine with two cores the two really overlap (`mikey mcp`'s first tool
// call, bench/startup.bench.ts). The client below has the part of PGlite's API MIKEY and drizzle use
// (query, exec, transaction, close); each call is a message, its rows come back as structured clones.
//
// - Transactions: `begin` opens a PGlite transaction in the thread, which holds PGlite's transaction
//   lock until `end` (commit, or roll back when the callback threw); queries inside it name it.
// - Parsers cannot cross threads. The only ones accepted are drizzle's: "keep Postgres's text" for
//   a type; any other is refused with an error saying so.
// - Errors come back with Postgres's fields (code, constraint, detail …), so callers that look at
//   the SQLSTATE see the same error as in-process.
// - The thread keeps the process alive only while a call is waiting for it, as in-process PGlite.
import type { QueryOptions, Results } from '@electric-sql/pglite';
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../worker-thread.js';

/** A transaction's part of the API. */
export interface PgliteTx {
  query<T>(sql: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>>;
  exec(sql: string, options?: QueryOptions): Promise<Array<Results>>;
}

/** What MIKEY uses of an embedded database: PGlite in this thread, or `PgliteWorkerClient`. */
export interface PgliteClient extends PgliteTx {
  readonly closed: boolean;
  transaction<T>(fn: (tx: PgliteTx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

// ---- the wire between the threads ----

export interface PgliteThreadData {
  /** The PGlite directory (`<dataDir>/pgdata`). */
  dir: string;
}

export interface WireQueryOptions {
  rowMode?: 'array' | 'object';
  /** Type ids returned as Postgres's text (a parser that keeps the text). */
  textTypes?: number[];
}

export type ToPgliteThread =
  | { op: 'query'; id: number; sql: string; params: unknown[]; options?: WireQueryOptions; tx?: number }
  | { op: 'exec'; id: number; sql: string; options?: WireQueryOptions; tx?: number }
  | { op: 'begin'; id: number }
  | { op: 'end'; id: number; tx: number; commit: boolean }
  | { op: 'close'; id: number };

export interface WireError {
  name: string;
  message: string;
  fields: Record<string, string>;
}

export type FromPgliteThread =
  | { type: 'ready' }
  | { type: 'failed'; error: WireError }
  | { type: 'result'; id: number; result: unknown }
  | { type: 'error'; id: number; error: WireError };

type Request = ToPgliteThread extends infer M ? (M extends { id: number } ? Omit<M, 'id'> : never) : never;

const PROBE = '2000-01-01 00:00:00+00';

function wireOptions(options: QueryOptions | undefined): WireQueryOptions | undefined {
  if (!options) return undefined;
  const { rowMode, parsers, ...rest } = options;
  const other = Object.entries(rest).filter(([, v]) => v !== undefined);
  if (other.length > 0) throw new Error(`The embedded database's thread does not take the query option ${other.map(([k]) => k).join(', ')}`);
  const textTypes: number[] = [];
  for (const [oid, parse] of Object.entries(parsers ?? {})) {
    if (parse(PROBE, Number(oid)) !== PROBE) throw new Error(`The embedded database's thread takes only parsers that keep the text (type ${oid})`);
    textTypes.push(Number(oid));
  }
  return { ...(rowMode ? { rowMode } : {}), ...(textTypes.length > 0 ? { textTypes } : {}) };
}

function rebuild(error: WireError): Error {
  const err = new Error(error.message);
  err.name = error.name;
  Object.assign(err, error.fields);
  return err;
}

/** PGlite running in a worker thread, opened on `dir` (the snapshot of a fresh directory loaded there). */
export class PgliteWorkerClient implements PgliteClient {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  #next = 1;
  #closed = false;
  #dead: Error | null = null;

  private constructor(worker: Worker) {
    this.#worker = worker;
  }

  /** Starts the thread and waits until PGlite is open in it; its error when it cannot open. */
  static async open(dir: string): Promise<PgliteWorkerClient> {
    const worker = startModuleWorker(import.meta.url, 'pglite-thread', { workerData: { dir } satisfies PgliteThreadData });
    const client = new PgliteWorkerClient(worker);
    await new Promise<void>((resolve, reject) => {
      const fail = (err: Error): void => {
        client.#dead = err;
        reject(err);
      };
      worker.once('message', (message: FromPgliteThread) => {
        if (message.type === 'ready') resolve();
        else if (message.type === 'failed') fail(rebuild(message.error));
      });
      worker.once('error', fail);
      worker.once('exit', (code) => fail(new Error(`the embedded database's thread stopped (exit code ${code})`)));
    });
    worker.on('message', (message: FromPgliteThread) => client.#settle(message));
    worker.removeAllListeners('error').removeAllListeners('exit');
    worker.on('error', (err) => client.#die(err));
    worker.on('exit', (code) => client.#die(new Error(`the embedded database's thread stopped (exit code ${code})`)));
    worker.unref();
    return client;
  }

  get closed(): boolean {
    return this.#closed;
  }

  query<T>(sql: string, params: unknown[] = [], options?: QueryOptions): Promise<Results<T>> {
    return this.#queryIn(undefined, sql, params, options);
  }

  exec(sql: string, options?: QueryOptions): Promise<Array<Results>> {
    return this.#execIn(undefined, sql, options);
  }

  async transaction<T>(fn: (tx: PgliteTx) => Promise<T>): Promise<T> {
    const { id, answer } = this.#send({ op: 'begin' });
    await answer;
    let open = true;
    const ensureOpen = (): void => {
      if (!open) throw new Error('the transaction has already ended');
    };
    const tx: PgliteTx = {
      query: <R>(sql: string, params: unknown[] = [], options?: QueryOptions) => (ensureOpen(), this.#queryIn<R>(id, sql, params, options)),
      exec: (sql: string, options?: QueryOptions) => (ensureOpen(), this.#execIn(id, sql, options)),
    };
    let result: T;
    try {
      result = await fn(tx);
    } catch (err) {
      open = false;
      await this.#send({ op: 'end', tx: id, commit: false }).answer.catch(() => undefined);
      throw err;
    }
    open = false;
    await this.#send({ op: 'end', tx: id, commit: true }).answer;
    return result;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#dead) await this.#send({ op: 'close' }).answer.catch(() => undefined);
    await this.#worker.terminate();
  }

  async #queryIn<T>(tx: number | undefined, sql: string, params: unknown[], options: QueryOptions | undefined): Promise<Results<T>> {
    return this.#send({ op: 'query', sql, params, options: wireOptions(options), ...(tx === undefined ? {} : { tx }) }).answer as Promise<Results<T>>;
  }

  async #execIn(tx: number | undefined, sql: string, options: QueryOptions | undefined): Promise<Array<Results>> {
    return this.#send({ op: 'exec', sql, options: wireOptions(options), ...(tx === undefined ? {} : { tx }) }).answer as Promise<Array<Results>>;
  }

  #send(request: Request): { id: number; answer: Promise<unknown> } {
    const id = this.#next++;
    if (this.#closed && request.op !== 'close') return { id, answer: Promise.reject(new Error('the embedded database is closed')) };
    if (this.#dead) return { id, answer: Promise.reject(this.#dead) };
    const answer = new Promise<unknown>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
    });
    if (this.#pending.size === 1) this.#worker.ref();
    try {
      this.#worker.postMessage({ ...request, id });
    } catch (err) {
      this.#finish(id)?.reject(err as Error);
    }
    return { id, answer };
  }

  #finish(id: number): { resolve: (value: unknown) => void; reject: (err: Error) => void } | undefined {
    const waiting = this.#pending.get(id);
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#worker.unref();
    return waiting;
  }

  #settle(message: FromPgliteThread): void {
    if (message.type === 'result') this.#finish(message.id)?.resolve(message.result);
    else if (message.type === 'error') this.#finish(message.id)?.reject(rebuild(message.error));
  }

  #die(err: Error): void {
    this.#dead ??= err;
    for (const id of [...this.#pending.keys()]) this.#finish(id)?.reject(this.#dead);
  }
}
