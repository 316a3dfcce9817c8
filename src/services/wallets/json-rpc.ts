// A minimal Ethereum JSON-RPC client for ingestion: one POST per call (or one per batch of calls,
// `callMany`), a request budget per run, and bounded exponential backoff on 429 and 5xx (honouring
// Retry-After). Plain fetch rather than viem's transport because ingestion must count every request
// against its budget and decide itself when a failure is retried; viem's `http` transport retries on
// its own schedule. Errors never quote the endpoint URL (a provider URL usually embeds its API key).
//
// Every call of every attempt, retries included, spends one unit of the budget (a batch of n calls
// spends n, as hosted providers bill each call of a batch). When the budget is spent the call fails
// with `budget_exhausted` and nothing is sent: a run stops cleanly and the next run resumes from the
// stored cursor. A batch is cut to what the budget has left; its calls are answered in order.
// A batch answer is all or nothing: an HTTP failure, a rate-limit error on any call (-32005) or
// missing answers retry the whole batch; any other error on one call fails the batch. A node that
// does not take batches (it answers an array with one error object) is asked one call at a time
// from then on.
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
    /** The JSON-RPC error code of the node's answer, when the node answered with an error object. */
    readonly rpcCode?: number,
  ) {
    super(message);
  }
}

/**
 * The node does not offer the method asked (JSON-RPC -32601, or the wording nodes use with other
 * codes: ganache answers -32700 "The method … does not exist/is not available").
 */
export function isMethodUnsupported(err: unknown): boolean {
  if (!(err instanceof RpcError) || err.code !== RpcErrorCode.rpcError) return false;
  if (err.rpcCode === -32601) return true;
  return err.rpcCode !== undefined && /method .*(not found|does not exist|not available|not supported|unsupported)|unsupported method|not implemented/i.test(err.message);
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
  /** Most calls per batch POST in `callMany` (providers cap batches; 1 sends each call alone). Default 50. */
  maxBatch?: number;
}

export interface RpcCall {
  method: string;
  params: unknown[];
}

type Attempt<T> = { kind: 'ok'; result: T } | { kind: 'retry'; error: RpcError; retryAfterMs?: number } | { kind: 'fatal'; error: RpcError };
interface RpcAnswer {
  id?: unknown;
  result?: unknown;
  error?: { code?: number; message?: string };
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class JsonRpcClient {
  private used = 0;
  private nextId = 1;
  /** The node answered a batch with a single error: it takes no batches; send calls alone. */
  private batchesRefused = false;
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
    return this.withRetries(1, () => this.once(method, params));
  }

  /**
   * The answers of `calls`, in order, sent as JSON-RPC batches of at most `maxBatch` calls (each
   * batch one POST). Fails like `call` does: the first batch that cannot be answered throws.
   */
  async callMany(calls: readonly RpcCall[]): Promise<unknown[]> {
    const out: unknown[] = [];
    while (out.length < calls.length) {
      const max = this.batchesRefused ? 1 : Math.max(1, this.opts.maxBatch ?? 50);
      const size = Math.min(max, calls.length - out.length, Math.max(1, this.remaining));
      const chunk = calls.slice(out.length, out.length + size);
      if (chunk.length === 1) {
        out.push(await this.call(chunk[0]!.method, chunk[0]!.params));
        continue;
      }
      try {
        out.push(...(await this.withRetries(chunk.length, () => this.batchOnce(chunk))));
      } catch (err) {
        if (!this.batchesRefused) throw err;
        // Refused as a batch: the loop sends the same calls again, one at a time.
      }
    }
    return out;
  }

  private async withRetries<T>(cost: number, attemptOnce: () => Promise<Attempt<T>>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (this.used + cost > this.opts.budget) {
        throw new RpcError(RpcErrorCode.budgetExhausted, `the request budget of ${String(this.opts.budget)} per run is spent`);
      }
      this.used += cost;
      const outcome = await attemptOnce();
      if (outcome.kind === 'ok') return outcome.result;
      if (outcome.kind === 'fatal' || attempt >= this.backoff.maxRetries) throw outcome.error;
      const exp = Math.min(this.backoff.maxMs, this.backoff.baseMs * 2 ** attempt);
      const wait = outcome.retryAfterMs !== undefined ? Math.min(this.backoff.maxMs, Math.max(exp, outcome.retryAfterMs)) : exp;
      this.waits.push(wait);
      await this.sleep(wait);
    }
  }

  private async batchOnce(calls: readonly RpcCall[]): Promise<Attempt<unknown[]>> {
    const ids = calls.map(() => this.nextId++);
    const label = `a batch of ${String(calls.length)} ${calls[0]!.method} calls`;
    const sent = await this.post(label, calls.map((c, i) => ({ jsonrpc: '2.0', id: ids[i], method: c.method, params: c.params })));
    if (sent.kind !== 'ok') return sent;
    if (!Array.isArray(sent.result)) {
      const single = sent.result as RpcAnswer | null;
      // A whole batch rate limited is retried as a batch; any other single answer refuses batches.
      if (single?.error?.code === -32005) return this.answerError(label, single)!;
      this.batchesRefused = true;
      const message = bodyExcerpt(String(single?.error?.message ?? 'not a batch answer'));
      return { kind: 'fatal', error: new RpcError(RpcErrorCode.rpcError, `the EVM node refused ${label}: ${message}`) };
    }
    const byId = new Map<unknown, RpcAnswer>();
    for (const a of sent.result as RpcAnswer[]) if (a && typeof a === 'object') byId.set(a.id, a);
    const results: unknown[] = [];
    for (const [i, id] of ids.entries()) {
      const a = byId.get(id);
      if (!a) return { kind: 'retry', error: new RpcError(RpcErrorCode.unavailable, `the EVM node left calls of ${label} unanswered`) };
      const failed = this.answerError(calls[i]!.method, a);
      if (failed) return failed;
      results.push(a.result ?? null);
    }
    return { kind: 'ok', result: results };
  }

  private async once(method: string, params: unknown[]): Promise<Attempt<unknown>> {
    const sent = await this.post(method, { jsonrpc: '2.0', id: this.nextId++, method, params });
    if (sent.kind !== 'ok') return sent;
    const body = (sent.result ?? {}) as RpcAnswer;
    return this.answerError(method, body) ?? { kind: 'ok', result: body.result ?? null };
  }

  private answerError(method: string, body: RpcAnswer): Attempt<never> | null {
    if (!body.error) return null;
    const message = bodyExcerpt(String(body.error.message ?? 'unknown error'));
    // -32005 is the common "limit exceeded" code of hosted providers.
    const code = typeof body.error.code === 'number' ? body.error.code : undefined;
    if (code === -32005) return { kind: 'retry', error: new RpcError(RpcErrorCode.rateLimited, `the EVM node is rate limiting ${method}: ${message}`, code) };
    return { kind: 'fatal', error: new RpcError(RpcErrorCode.rpcError, `the EVM node refused ${method}: ${message}`, code) };
  }

  /** One POST; the parsed JSON body, or why it failed (`method` names the request in messages). */
  private async post(method: string, payload: unknown): Promise<Attempt<unknown>> {
    let res: Response;
    try {
      res = await this.fetchImpl(this.opts.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload),
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
    try {
      return { kind: 'ok', result: JSON.parse(text) as unknown };
    } catch {
      return { kind: 'retry', error: new RpcError(RpcErrorCode.unavailable, `the EVM node answered ${method} with a body that is not JSON`) };
    }
  }
}
