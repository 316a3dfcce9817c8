// The Pyth `PriceFeed`: oracle prices from Hermes through the official client
// (@pythnetwork/hermes-client 2.0). Latest prices for many symbols in one batched request, SSE
// streaming with reconnect, one shared request budget with a 429 lockout, and feed lookup for
// assets beyond the built-in table.
//
// The client's own retry is switched off (`httpRetries: 0`): it retries every failure, 429
// included, which is exactly the hammering that extends a Hermes lockout. Retries are ours.
import { HermesClient } from '@pythnetwork/hermes-client';
import { checkQuoteFreshness, type QuoteFreshnessLimits } from '../../domain/oracle-check.js';
import { type Clock, type PriceFeed, type Unsubscribe } from '../../domain/ports.js';
import { systemClock } from '../system-clock.js';
import type { Logger } from '../../log.js';
import { PythError, PythErrorCode, scrubSecrets } from './errors.js';
import { PythFeedRegistry, pythTargetForSymbol, type PythFeedRef } from './feed-registry.js';
import { parseHermesPriceUpdates, toPythQuote, type PythFeedId, type PythPrice, type PythQuote, type PythQuoteTarget } from './hermes-mapper.js';
import { HermesPriceStream, type HermesStreamOptions } from './hermes-stream.js';
import { RequestBudget } from './request-budget.js';

export const DEFAULT_HERMES_URL = 'https://hermes.pyth.network';

export interface PythPriceFeedOptions {
  /** Hermes base URL (`PYTH_HERMES_URL`). Default https://hermes.pyth.network. */
  baseUrl?: string;
  /** API key (`PYTH_API_KEY`), sent as `Authorization: Bearer <key>`. Never logged or echoed. */
  apiKey?: string;
  /** Per-request timeout. Default 5 000 ms. */
  timeoutMs?: number;
  /** Client-side limits: requests per window (default 25 per 10 s), 429 lockout (60 s), longest wait for a slot (3 s). */
  rateLimit?: { limit?: number; windowMs?: number; lockoutMs?: number; maxWaitMs?: number };
  /** Concurrent `getQuote` calls within this window share one request. Default 10 ms. */
  batchWindowMs?: number;
  /** Most feed ids per request (longer batches are split). Default 100. */
  maxIdsPerRequest?: number;
  /** Extra or overriding feeds: base asset → feed id. */
  feeds?: Readonly<Record<string, string>>;
  /** Cache lifetime of feed-search results (default 24 h) and of "no such feed" (default 10 min). */
  searchTtlMs?: number;
  notFoundTtlMs?: number;
  stream?: HermesStreamOptions;
  /**
   * When set, `getQuote`/`getQuotes` refuse prices that fail the freshness/confidence check
   * (reliability 11) with a `stale_price` error naming why. Unset: callers check themselves.
   */
  freshness?: QuoteFreshnessLimits;
  clock?: Clock;
  logger?: Logger;
}

/** Options from the parsed configuration (`PYTH_HERMES_URL`, `PYTH_API_KEY`). */
export function pythOptionsFromConfig(config: { PYTH_HERMES_URL?: string; PYTH_API_KEY?: string | undefined }): PythPriceFeedOptions {
  const opts: PythPriceFeedOptions = { baseUrl: config.PYTH_HERMES_URL ?? DEFAULT_HERMES_URL };
  if (config.PYTH_API_KEY) opts.apiKey = config.PYTH_API_KEY;
  return opts;
}

interface Waiter {
  resolve: (p: PythPrice) => void;
  reject: (e: unknown) => void;
}

/** Per-symbol outcome of `getQuotesSettled`. */
export type PythQuoteOutcome = { symbol: string; ok: true; quote: PythQuote } | { symbol: string; ok: false; error: PythError };

export interface PythSubscribeOptions {
  /** Called when the subscription cannot start (unknown symbol) or the stream gives up. */
  onError?: (err: PythError) => void;
}

export class PythPriceFeed implements PriceFeed {
  readonly name = 'pyth';
  readonly registry: PythFeedRegistry;
  readonly budget: RequestBudget;
  private readonly client: HermesClient;
  private readonly clock: Clock;
  private readonly secrets: string[];
  private readonly batchWindowMs: number;
  private readonly maxIdsPerRequest: number;
  private readonly timeoutMs: number;
  private readonly pending = new Map<PythFeedId, Waiter[]>();
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly streams = new Set<HermesPriceStream>();

  constructor(private readonly opts: PythPriceFeedOptions = {}) {
    const baseUrl = opts.baseUrl ?? DEFAULT_HERMES_URL;
    this.clock = opts.clock ?? systemClock;
    this.timeoutMs = opts.timeoutMs ?? 5_000;
    this.batchWindowMs = opts.batchWindowMs ?? 10;
    this.maxIdsPerRequest = opts.maxIdsPerRequest ?? 100;
    const headers: Record<string, string> = {};
    if (opts.apiKey) headers['Authorization'] = `Bearer ${opts.apiKey}`;
    this.client = new HermesClient(baseUrl, { timeout: this.timeoutMs, httpRetries: 0, headers });
    this.secrets = [baseUrl, ...(opts.apiKey ? [opts.apiKey] : [])];
    this.budget = new RequestBudget({ ...opts.rateLimit, clock: this.clock });
    const registryOpts: ConstructorParameters<typeof PythFeedRegistry>[1] = { clock: this.clock };
    if (opts.feeds) registryOpts.feeds = opts.feeds;
    if (opts.searchTtlMs !== undefined) registryOpts.searchTtlMs = opts.searchTtlMs;
    if (opts.notFoundTtlMs !== undefined) registryOpts.notFoundTtlMs = opts.notFoundTtlMs;
    this.registry = new PythFeedRegistry((base) => this.searchFeeds(base), registryOpts);
  }

  // -------------------------------------------------------------------------------------------
  // PriceFeed
  // -------------------------------------------------------------------------------------------

  async getQuote(symbol: string): Promise<PythQuote> {
    const { target } = await this.resolveTarget(symbol);
    const price = await this.enqueue(target.feedId);
    return this.guard(toPythQuote(target, price));
  }

  /** Quotes in the order asked; fails as a whole if any symbol fails (see `getQuotesSettled`). */
  async getQuotes(symbols: readonly string[]): Promise<PythQuote[]> {
    const outcomes = await this.getQuotesSettled(symbols);
    const failed = outcomes.find((o): o is Extract<PythQuoteOutcome, { ok: false }> => !o.ok);
    if (failed) throw failed.error;
    return outcomes.map((o) => (o as Extract<PythQuoteOutcome, { ok: true }>).quote);
  }

  /** One outcome per symbol; all prices come from one batched request (per 100 feeds). */
  async getQuotesSettled(symbols: readonly string[]): Promise<PythQuoteOutcome[]> {
    return Promise.all(
      symbols.map(async (symbol): Promise<PythQuoteOutcome> => {
        try {
          return { symbol, ok: true, quote: await this.getQuote(symbol) };
        } catch (err) {
          return { symbol, ok: false, error: this.toPythError(err) };
        }
      }),
    );
  }

  /**
   * Streams prices for `symbols` until unsubscribed. One SSE connection per subscription, reconnected
   * with backoff whenever it ends (Hermes closes streams after 24 h). Quotes are not freshness-guarded:
   * check each with `checkQuoteFreshness` before acting on it.
   */
  subscribe(symbols: readonly string[], onQuote: (q: PythQuote) => void, opts: PythSubscribeOptions = {}): Unsubscribe {
    let cancelled = false;
    let stream: HermesPriceStream | undefined;
    const report = (err: PythError): void => {
      this.opts.logger?.warn('pyth stream error', { code: err.code, message: err.message });
      opts.onError?.(err);
    };
    void (async () => {
      let targets: PythQuoteTarget[];
      try {
        targets = (await Promise.all(symbols.map((s) => this.resolveTarget(s)))).map((r) => r.target);
      } catch (err) {
        if (!cancelled) report(this.toPythError(err));
        return;
      }
      if (cancelled) return;
      const byFeed = new Map<PythFeedId, PythQuoteTarget[]>();
      for (const t of targets) byFeed.set(t.feedId, [...(byFeed.get(t.feedId) ?? []), t]);
      const ids = [...byFeed.keys()].map((id) => `0x${id}`);
      const s = new HermesPriceStream(
        {
          open: () => this.client.getPriceUpdatesStream(ids, { parsed: true, ignoreInvalidPriceIds: true }),
          budget: this.budget,
          onPrices: (prices) => {
            for (const [id, price] of prices) {
              for (const t of byFeed.get(id) ?? []) {
                try {
                  onQuote(toPythQuote(t, price));
                } catch (err) {
                  this.opts.logger?.error('pyth subscriber threw', { err });
                }
              }
            }
          },
          onGiveUp: (err) => {
            this.streams.delete(s);
            report(err);
          },
          onReconnect: (info) => this.opts.logger?.info('pyth stream reconnecting', info),
        },
        this.opts.stream,
      );
      stream = s;
      this.streams.add(s);
      s.start();
    })();
    return () => {
      cancelled = true;
      if (stream) {
        stream.stop();
        this.streams.delete(stream);
      }
    };
  }

  // -------------------------------------------------------------------------------------------
  // Feeds
  // -------------------------------------------------------------------------------------------

  /** The feed a symbol maps to (built-in table, configuration, or a cached Hermes search). */
  async resolveFeed(symbol: string): Promise<PythFeedRef & { target: PythQuoteTarget }> {
    const { ref, target } = await this.resolveTarget(symbol);
    return { ...ref, target };
  }

  /** Hermes' feed search (`/v2/price_feeds?query=…&asset_type=crypto`); raw metadata rows. */
  async searchFeeds(query: string): Promise<unknown[]> {
    await this.budget.take(sleep);
    try {
      return await this.client.getPriceFeeds({ query, assetType: 'crypto' });
    } catch (err) {
      throw this.toPythError(err);
    }
  }

  /** Stops every stream and pending batch. */
  close(): void {
    for (const s of this.streams) s.stop();
    this.streams.clear();
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const closed = new PythError(PythErrorCode.unavailable, 'Pyth price feed closed');
    for (const waiters of this.pending.values()) for (const w of waiters) w.reject(closed);
    this.pending.clear();
  }

  // -------------------------------------------------------------------------------------------
  // Internals
  // -------------------------------------------------------------------------------------------

  private async resolveTarget(symbol: string): Promise<{ ref: PythFeedRef; target: PythQuoteTarget }> {
    const parsed = pythTargetForSymbol(symbol);
    if (!parsed.ok) throw new PythError(parsed.error.code, parsed.error.message, 'write the market as BTC/USDT, BTC-PERP or BTC');
    const ref = await this.registry.resolve(parsed.value.base);
    const target: PythQuoteTarget = { symbol: parsed.value.symbol, feedId: ref.feedId, feedSymbol: ref.feedSymbol };
    if (parsed.value.assumption !== undefined) target.assumption = parsed.value.assumption;
    return { ref, target };
  }

  private guard(q: PythQuote): PythQuote {
    if (!this.opts.freshness) return q;
    const check = checkQuoteFreshness(q, this.clock.now(), this.opts.freshness);
    if (!check.ok) throw new PythError(PythErrorCode.stalePrice, check.error.message, 'try again in a moment; the oracle price is not usable right now', check.error.details);
    return q;
  }

  /** Queues a feed for the next batched request. */
  private enqueue(feedId: PythFeedId): Promise<PythPrice> {
    return new Promise<PythPrice>((resolve, reject) => {
      const list = this.pending.get(feedId);
      if (list) list.push({ resolve, reject });
      else this.pending.set(feedId, [{ resolve, reject }]);
      if (!this.flushTimer) {
        // Not unref'd: a caller awaits this batch, and a short CLI run must not exit before it flushes.
        this.flushTimer = setTimeout(() => {
          this.flushTimer = undefined;
          void this.flush();
        }, this.batchWindowMs);
      }
    });
  }

  private async flush(): Promise<void> {
    const batch = new Map(this.pending);
    this.pending.clear();
    const ids = [...batch.keys()];
    const chunks: PythFeedId[][] = [];
    for (let i = 0; i < ids.length; i += this.maxIdsPerRequest) chunks.push(ids.slice(i, i + this.maxIdsPerRequest));
    await Promise.all(
      chunks.map(async (chunk) => {
        let prices: Map<PythFeedId, PythPrice>;
        try {
          prices = await this.fetchLatest(chunk);
        } catch (err) {
          const e = this.toPythError(err);
          for (const id of chunk) for (const w of batch.get(id) ?? []) w.reject(e);
          return;
        }
        for (const id of chunk) {
          const price = prices.get(id);
          for (const w of batch.get(id) ?? []) {
            if (price) w.resolve(price);
            else w.reject(new PythError(PythErrorCode.notFound, `Pyth returned no price for feed 0x${id}`, 'the feed may have been retired; check the symbol', { feedId: id }));
          }
        }
      }),
    );
  }

  private async fetchLatest(ids: readonly PythFeedId[]): Promise<Map<PythFeedId, PythPrice>> {
    await this.budget.take(sleep);
    let body: unknown;
    try {
      body = await this.client.getLatestPriceUpdates(
        ids.map((id) => `0x${id}`),
        { parsed: true, ignoreInvalidPriceIds: true },
      );
    } catch (err) {
      throw this.toPythError(err);
    }
    try {
      return parseHermesPriceUpdates(body);
    } catch {
      throw new PythError(PythErrorCode.unavailable, 'Pyth Hermes sent a price response MIKEY cannot read', 'try again; if it persists, check PYTH_HERMES_URL');
    }
  }

  /**
   * Any failure → a `PythError` whose message is safe: no key, no header, no configured URL.
   * A 429 starts the lockout.
   */
  private toPythError(err: unknown): PythError {
    if (err instanceof PythError) return err;
    const e = err instanceof Error ? err : new Error(String(err));
    const http = /HTTP error! status: (\d{3})(?:, body: ([\s\S]*))?/.exec(e.message);
    if (http) {
      const status = Number(http[1]);
      const body = scrubSecrets((http[2] ?? '').slice(0, 200), this.secrets).trim();
      if (status === 429) return this.budget.noteRateLimited();
      if (status === 404) return new PythError(PythErrorCode.notFound, `Pyth Hermes does not know the requested price feed${body ? ` (${body})` : ''}`);
      if (status === 401 || status === 403) {
        return new PythError(PythErrorCode.unavailable, `Pyth Hermes refused the request (HTTP ${status})`, 'check PYTH_API_KEY');
      }
      return new PythError(PythErrorCode.unavailable, `Pyth Hermes answered HTTP ${status}${body ? `: ${body}` : ''}`, 'try again shortly');
    }
    if (e.name === 'TimeoutError' || e.name === 'AbortError') {
      return new PythError(PythErrorCode.unavailable, `Pyth Hermes did not answer within ${this.timeoutMs / 1000} s`, 'try again shortly');
    }
    if (e.name === 'ZodError') {
      return new PythError(PythErrorCode.unavailable, 'Pyth Hermes sent a response MIKEY cannot read', 'try again; if it persists, check PYTH_HERMES_URL');
    }
    const cause = (e as { cause?: unknown }).cause;
    const code = typeof cause === 'object' && cause !== null && typeof (cause as { code?: unknown }).code === 'string' ? (cause as { code: string }).code : undefined;
    return new PythError(
      PythErrorCode.unavailable,
      `cannot reach Pyth Hermes${code ? ` (${code})` : ''}`,
      'check the network and PYTH_HERMES_URL',
    );
  }
}

/** An awaited wait (kept referenced: someone is waiting on it, bounded by the budget's maxWaitMs). */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}


