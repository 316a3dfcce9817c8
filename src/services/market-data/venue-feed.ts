// Venue prices as a `PriceFeed`: ccxt tickers (bid/ask/last) fetched in batches, cached for a short
// time, and polled for subscribers. Concurrent `getQuote` calls in the same tick share one
// `getTickers` request; a batch that fails as a whole (one bad symbol) is retried per symbol so one
// bad symbol cannot take the others' prices down with it.
import type { CcxtMarketData, ExchangeQuote } from '../../adapters/ccxt/index.js';
import { type Clock, type PriceFeed, type Unsubscribe } from '../../domain/ports.js';
import { systemClock } from '../../adapters/system-clock.js';
import type { Logger } from '../../log.js';

/** setInterval/clearInterval, injectable for tests; the defaults are unref'd (never keep a CLI alive). */
export interface PollTimers {
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export const unrefTimers: PollTimers = {
  setInterval(callback, ms) {
    const h = setInterval(callback, ms);
    h.unref();
    return h;
  },
  clearInterval(handle) {
    clearInterval(handle as ReturnType<typeof setInterval>);
  },
};

export interface CcxtTickerFeedOptions {
  /** A cached ticker is reused for this long. Default 2 000 ms. */
  cacheMs?: number;
  /** Subscribers are polled this often. Default 3 000 ms (ccxt's rate limiter spaces requests anyway). */
  pollIntervalMs?: number;
  clock?: Clock;
  timers?: PollTimers;
  logger?: Logger;
}

interface Waiter {
  symbol: string;
  resolve: (q: ExchangeQuote) => void;
  reject: (e: unknown) => void;
}

interface Subscription {
  symbols: Set<string>;
  onQuote: (q: ExchangeQuote) => void;
  onError?: (err: Error) => void;
}

export class CcxtTickerFeed implements PriceFeed {
  readonly name: string;
  private readonly cache = new Map<string, { quote: ExchangeQuote; fetchedAt: number }>();
  private pending: Waiter[] = [];
  private flushScheduled = false;
  private readonly subscriptions = new Set<Subscription>();
  private pollHandle: unknown;
  private polling = false;
  private readonly cacheMs: number;
  private readonly pollIntervalMs: number;
  private readonly clock: Clock;
  private readonly timers: PollTimers;

  constructor(
    private readonly venue: CcxtMarketData,
    private readonly opts: CcxtTickerFeedOptions = {},
  ) {
    this.name = `${venue.name}-tickers`;
    this.cacheMs = opts.cacheMs ?? 2_000;
    this.pollIntervalMs = opts.pollIntervalMs ?? 3_000;
    this.clock = opts.clock ?? systemClock;
    this.timers = opts.timers ?? unrefTimers;
  }

  async getQuote(symbol: string): Promise<ExchangeQuote> {
    const cached = this.cache.get(symbol);
    if (cached && this.clock.now().getTime() - cached.fetchedAt < this.cacheMs) return cached.quote;
    return new Promise<ExchangeQuote>((resolve, reject) => {
      this.pending.push({ symbol, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  async getQuotes(symbols: readonly string[]): Promise<ExchangeQuote[]> {
    return Promise.all(symbols.map((s) => this.getQuote(s)));
  }

  /** Polls the union of all subscribed symbols every `pollIntervalMs` (first poll after one interval). */
  subscribe(symbols: readonly string[], onQuote: (q: ExchangeQuote) => void, opts: { onError?: (err: Error) => void } = {}): Unsubscribe {
    const sub: Subscription = { symbols: new Set(symbols), onQuote, ...(opts.onError ? { onError: opts.onError } : {}) };
    this.subscriptions.add(sub);
    if (this.pollHandle === undefined) this.pollHandle = this.timers.setInterval(() => void this.poll(), this.pollIntervalMs);
    return () => {
      this.subscriptions.delete(sub);
      if (this.subscriptions.size === 0 && this.pollHandle !== undefined) {
        this.timers.clearInterval(this.pollHandle);
        this.pollHandle = undefined;
      }
    };
  }

  /** Stops polling; pending requests still settle. */
  close(): void {
    this.subscriptions.clear();
    if (this.pollHandle !== undefined) this.timers.clearInterval(this.pollHandle);
    this.pollHandle = undefined;
  }

  private async poll(): Promise<void> {
    if (this.polling) return; // a slow venue must not pile up requests
    this.polling = true;
    try {
      const symbols = new Set<string>();
      for (const s of this.subscriptions) for (const sym of s.symbols) symbols.add(sym);
      const outcomes = await Promise.all([...symbols].map((s) => this.getQuote(s).then((q) => ({ s, q }), (e: unknown) => ({ s, e }))));
      for (const o of outcomes) {
        for (const sub of this.subscriptions) {
          if (!sub.symbols.has(o.s)) continue;
          try {
            if ('q' in o) sub.onQuote(o.q);
            else sub.onError?.(o.e instanceof Error ? o.e : new Error(String(o.e)));
          } catch (err) {
            this.opts.logger?.error('venue price subscriber threw', { error: err });
          }
        }
      }
    } finally {
      this.polling = false;
    }
  }

  private async flush(): Promise<void> {
    this.flushScheduled = false;
    const batch = this.pending;
    this.pending = [];
    const symbols = [...new Set(batch.map((w) => w.symbol))];
    const settle = (symbol: string, outcome: { q: ExchangeQuote } | { e: unknown }): void => {
      for (const w of batch) {
        if (w.symbol !== symbol) continue;
        if ('q' in outcome) w.resolve(outcome.q);
        else w.reject(outcome.e);
      }
    };
    try {
      const quotes = await this.venue.getTickers(symbols);
      const now = this.clock.now().getTime();
      symbols.forEach((s, i) => {
        const q = quotes[i]!;
        this.cache.set(s, { quote: q, fetchedAt: now });
        settle(s, { q });
      });
    } catch (err) {
      if (symbols.length === 1) {
        settle(symbols[0]!, { e: err });
        return;
      }
      // Isolate the bad symbol: ask for each on its own.
      await Promise.all(
        symbols.map(async (s) => {
          try {
            const q = await this.venue.getTicker(s);
            this.cache.set(s, { quote: q, fetchedAt: this.clock.now().getTime() });
            settle(s, { q });
          } catch (e) {
            settle(s, { e });
          }
        }),
      );
    }
  }
}
