// A minimal Ethereum JSON-RPC client for ingestion: one POST per call, a request budget per run, and
// bounded exponential backoff on 429 and 5xx (honouring Retry-After). Plain fetch rather than viem's
// transport because ingestion must count every request against its budget and decide itself when a
// failure is retried; viem's `http` transport retries on its own schedule. Errors never quote the
// endpoint URL (a provider URL usually embeds its API key).
//
// Every attempt, retries included, spends one unit of the budget. When the budget is spent the call
// fails with `budget_exhausted` and nothing is sent: a run stops cleanly and the next run resumes
// from the stored cursor.
import { bodyExcerpt } from '../../adapters/hyperliquid/errors.js';

export const RpcErrorCode = {
  budgetExhausted: 'budget_exhausted',
  rateLimited: 'rate_limited',
  unavailable: 'unavailable',
  rpcError: 'rpc_error',
} as const;
export type RpcErrorCode = (typeof RpcErrorCode)[keyof typeof RpcErrorCode];

export class RpcError extends Error {
  override readonly name = 'RpcError';
  constructor(
    readonly code: RpcErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface BackoffOptions {
  /** Retries after the first attempt on 429/5xx/network failure. Default 4. */
  maxRetries: number;
  /** First delay; doubled each retry. Default 500 ms. */
  baseMs: number;
  /** Longest single delay (also caps Retry-After). Default 30 s. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { maxRetries: 4, baseMs: 500, maxMs: 30_000 };

export interface JsonRpcOptions {
  url: string;
  /** Most requests (attempts) this client may send in all. */
  budget: number;
  backoff?: Partial<BackoffOptions>;
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Waits between retries (tests record the delays instead of sleeping). */
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class JsonRpcClient {
  private used = 0;
  private nextId = 1;
  private readonly backoff: BackoffOptions;
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly timeoutMs: number;
  /** Delays waited, in order (for reports and tests). */
  readonly waits: number[] = [];

  constructor(private readonly opts: JsonRpcOptions) {
    this.backoff = { ...DEFAULT_BACKOFF, ...opts.backoff };
    this.fetchImpl = opts.fetch ?? fetch;
    this.sleep = opts.sleep ?? defaultSleep;
    this.timeoutMs = opts.timeoutMs ?? 15_000;
  }

  /** Requests sent so far (attempts, retries included). */
  get requests(): number {
    return this.used;
  }

  get remaining(): number {
    return Math.max(0, this.opts.budget - this.used);
  }

  async call(method: string, params: unknown[]): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      if (this.used >= this.opts.budget) {
        throw new RpcError(RpcErrorCode.budgetExhausted, `the request budget of ${String(this.opts.budget)} per run is spent`);
      }
      this.used++;
      const outcome = await this.once(method, params);
      if (outcome.kind === 'ok') return outcome.result;
      if (outcome.kind === 'fatal' || attempt >= this.backoff.maxRetries) throw outcome.error;
      const exp = Math.min(this.backoff.maxMs, this.backoff.baseMs * 2 ** attempt);
      const wait = outcome.retryAfterMs !== undefined ? Math.min(this.backoff.maxMs, Math.max(exp, outcome.retryAfterMs)) : exp;
      this.waits.push(wait);
      await this.sleep(wait);
    }
  }

  private async once(
    method: string,
    params: unknown[],
  ): Promise<{ kind: 'ok'; result: unknown } | { kind: 'retry'; error: RpcError; retryAfterMs?: number } | { kind: 'fatal'; error: RpcError }> {
    let res: Response;
    try {
      res = await this.fetchImpl(this.opts.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: this.nextId++, method, params }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch {
      return { kind: 'retry', error: new RpcError(RpcErrorCode.unavailable, `the EVM node did not answer ${method}`) };
    }
    const text = await res.text().catch(() => '');
    if (res.status === 429) {
      const ra = Number(res.headers.get('retry-after'));
      return {
        kind: 'retry',
        error: new RpcError(RpcErrorCode.rateLimited, `the EVM node is rate limiting ${method} requests`),
        ...(Number.isFinite(ra) && ra > 0 ? { retryAfterMs: ra * 1000 } : {}),
      };
    }
    if (res.status >= 500) return { kind: 'retry', error: new RpcError(RpcErrorCode.unavailable, `the EVM node failed on ${method} (HTTP ${String(res.status)})`) };
    if (!res.ok) return { kind: 'fatal', error: new RpcError(RpcErrorCode.rpcError, `the EVM node refused ${method} (HTTP ${String(res.status)}): ${bodyExcerpt(text)}`) };
    let body: { result?: unknown; error?: { code?: number; message?: string } };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      return { kind: 'retry', error: new RpcError(RpcErrorCode.unavailable, `the EVM node answered ${method} with a body that is not JSON`) };
    }
    if (body.error) {
      const message = bodyExcerpt(String(body.error.message ?? 'unknown error'));
      // -32005 is the common "limit exceeded" code of hosted providers.
      if (body.error.code === -32005) return { kind: 'retry', error: new RpcError(RpcErrorCode.rateLimited, `the EVM node is rate limiting ${method}: ${message}`) };
      return { kind: 'fatal', error: new RpcError(RpcErrorCode.rpcError, `the EVM node refused ${method}: ${message}`) };
    }
    return { kind: 'ok', result: body.result ?? null };
  }
}
