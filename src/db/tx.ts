// Transactions with bounded retry. Serialization failures (40001) and deadlocks (40P01) abort the
// whole transaction, so running the callback again from the start is safe: nothing of the failed
// attempt was committed, so a retry never inserts twice (reliability 9).
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Db, Tx } from './client.js';

export const RETRYABLE_SQLSTATES = new Set(['40001', '40P01']);

/** The SQLSTATE of a database error, looking through drizzle's wrapper. */
export function sqlState(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && e; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The constraint name of a unique/check violation, looking through drizzle's wrapper. */
export function constraintName(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && e; i++) {
    const c = (e as { constraint?: unknown }).constraint;
    if (typeof c === 'string') return c;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export function isUniqueViolation(err: unknown): boolean {
  return sqlState(err) === '23505';
}

export interface TxOptions {
  isolationLevel?: 'read committed' | 'repeatable read' | 'serializable';
  /** Attempts in all, including the first. */
  maxAttempts?: number;
  /** Called before each retry (for metrics and tests). */
  onRetry?: (attempt: number, err: unknown) => void;
}

/**
 * At most (pool size − 2) transactions hold a pooled connection at once; the rest queue here, in
 * order and without a deadline. A burst larger than the pool (200 orders at once) then can never take
 * every connection while the work inside those transactions still needs one more for a plain query,
 * so the two spare connections always let the admitted transactions finish and the queue moves. A
 * wait here is never an error: how long the work ahead takes depends on the machine, and a deadline
 * would turn a slow machine into failed orders (the pool's own queue has no deadline either, see
 * src/db/client.ts). A transaction opened inside another one's callback does not queue again (it
 * would wait for its own parent's slot). PGlite has one connection and serialises transactions itself.
 */
class Gate {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  /** The slot the current async context runs in; `held` turns false when that transaction ends. */
  private readonly holding = new AsyncLocalStorage<{ held: boolean }>();
  constructor(private readonly size: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    // Nested in a transaction that still holds its slot: queueing would wait for that very slot.
    if (this.holding.getStore()?.held) return fn();
    if (this.active >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    const slot = { held: true };
    try {
      return await this.holding.run(slot, fn);
    } finally {
      // Work started inside but outliving the transaction queues like any other from now on.
      slot.held = false;
      // The slot passes straight to the next in line, so `active` never drops below a waiter's need.
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
const gates = new WeakMap<object, Gate | null>();

function gateFor(db: Db): Gate | null {
  let g = gates.get(db);
  if (g === undefined) {
    const max = (db as unknown as { $client?: { options?: { max?: number }; totalCount?: unknown } }).$client;
    g = max && typeof max.totalCount === 'number' && max.options?.max ? new Gate(Math.max(1, max.options.max - 2)) : null;
    gates.set(db, g);
  }
  return g;
}

/** Runs `fn` in a transaction, retrying a bounded number of times on serialization failure/deadlock. */
export async function withTransaction<T>(db: Db, fn: (tx: Tx) => Promise<T>, opts: TxOptions = {}): Promise<T> {
  const maxAttempts = opts.maxAttempts ?? 8;
  const gate = gateFor(db);
  const once = (): Promise<T> => db.transaction(fn, opts.isolationLevel ? { isolationLevel: opts.isolationLevel } : undefined);
  for (let attempt = 1; ; attempt++) {
    try {
      return await (gate ? gate.run(once) : once());
    } catch (err) {
      const state = sqlState(err);
      if (!state || !RETRYABLE_SQLSTATES.has(state) || attempt >= maxAttempts) throw err;
      opts.onRetry?.(attempt, err);
      // Jittered exponential backoff: 5, 10, 20, 40 ms … capped, so competing writers spread out.
      const base = Math.min(200, 5 * 2 ** (attempt - 1));
      await new Promise((r) => setTimeout(r, base / 2 + Math.random() * base));
    }
  }
}
