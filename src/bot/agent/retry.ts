// Retrying the model when it is busy. Two layers: the SDK's own `maxRetries` (it already honours
// `retry-after` / `retry-after-ms` and backs off exponentially on 408/409/429/5xx), then MIKEY's
// bounded extra attempts for 429 / 529 / 5xx / connection failures, which honour `retry-after` too
// but never wait longer than a chat can (`maxDelayMs`): a longer wait gives up at once and the turn
// falls back to offline understanding.
import { APIConnectionError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';

export interface RetryPolicy {
  /** Retries the SDK makes inside one `messages.create` call. */
  sdkMaxRetries: number;
  /** Further calls MIKEY makes after the SDK has given up. */
  extraAttempts: number;
  /** First backoff when the server names no delay; doubles each attempt, with jitter. */
  baseDelayMs: number;
  /** The longest wait MIKEY accepts; a `retry-after` beyond it is not waited for. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { sdkMaxRetries: 2, extraAttempts: 2, baseDelayMs: 1_000, maxDelayMs: 20_000 };

/** True for failures worth another try: rate limited, overloaded, server errors, lost connections. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof APIUserAbortError) return false;
  if (err instanceof APIConnectionError) return true;
  if (!(err instanceof APIError)) return false;
  const status = err.status ?? 0;
  if (status === 429 || status === 529 || status === 408 || status >= 500) return true;
  const type = err.type ?? (err.error as { error?: { type?: string } } | undefined)?.error?.type;
  return type === 'overloaded_error' || type === 'rate_limit_error' || type === 'api_error';
}

/** The server's requested delay in ms (`retry-after-ms`, `retry-after` seconds or HTTP date), if any. */
export function retryAfterMs(err: unknown, now: number = Date.now()): number | undefined {
  const headers = err instanceof APIError ? err.headers : undefined;
  if (!headers) return undefined;
  const ms = Number.parseFloat(headers.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const raw = headers.get('retry-after');
  if (raw === null || raw === undefined) return undefined;
  const seconds = Number.parseFloat(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/** How long to wait before attempt `attempt` (0-based), or undefined to give up now. */
export function retryDelayMs(err: unknown, attempt: number, policy: RetryPolicy, random: () => number = Math.random): number | undefined {
  const asked = retryAfterMs(err);
  if (asked !== undefined) return asked <= policy.maxDelayMs ? asked : undefined;
  const backoff = policy.baseDelayMs * 2 ** attempt;
  return Math.min(policy.maxDelayMs, backoff * (1 - random() * 0.25));
}

export type Sleep = (ms: number) => Promise<void>;
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls `fn`, retrying retryable failures up to `policy.extraAttempts` times. `onRetry` hears about
 * each retry (for counting and logs). The last error is rethrown.
 */
export async function withRetries<T>(fn: () => Promise<T>, policy: RetryPolicy, onRetry: (err: unknown, delayMs: number) => void, sleep: Sleep = realSleep): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= policy.extraAttempts || !isRetryable(err)) throw err;
      const delay = retryDelayMs(err, attempt, policy);
      if (delay === undefined) throw err;
      onRetry(err, delay);
      await sleep(delay);
    }
  }
}
