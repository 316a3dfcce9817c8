// Transactions with bounded retry. Serialization failures (40001) and deadlocks (40P01) abort the
// whole transaction, so running the callback again from the start is safe: nothing of the failed
// attempt was committed, so a retry never inserts twice (reliability 9).
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

/** Runs `fn` in a transaction, retrying a bounded number of times on serialization failure/deadlock. */
export async function withTransaction<T>(db: Db, fn: (tx: Tx) => Promise<T>, opts: TxOptions = {}): Promise<T> {
  const maxAttempts = opts.maxAttempts ?? 6;
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(fn, opts.isolationLevel ? { isolationLevel: opts.isolationLevel } : undefined);
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
