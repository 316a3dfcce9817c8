// A `PriceFeed` whose prices are set by calls: deterministic scenarios, demos, tests, and a place
// for another component to push prices it obtained elsewhere. It is a real adapter, not a mock:
// quotes carry publish times and confidences like any other source, subscribers receive every
// update, and asking for a symbol that has no price fails the way a live feed does. It can also hold
// order-book snapshots for the paper broker to walk.
import { dec, type DecimalInput } from '../domain/money.js';
import { type Clock, type OrderBookSnapshot, type PriceFeed, type PriceQuote, type PriceSource, type Unsubscribe } from '../domain/ports.js';
import { systemClock } from './system-clock.js';

export class ManualFeedError extends Error {
  override readonly name = 'ManualFeedError';
  readonly code = 'no_price';
}

export interface ManualQuoteOptions {
  bid?: DecimalInput;
  ask?: DecimalInput;
  confidence?: DecimalInput;
  /** Default: the feed's clock now. */
  publishTime?: Date;
  source?: PriceSource;
  simulated?: boolean;
}

export interface ManualPriceFeedOptions {
  name?: string;
  clock?: Clock;
  /** Source stamped on quotes (default `sim`). */
  source?: PriceSource;
  /** Whether quotes are labelled simulated (default true). */
  simulated?: boolean;
}

type Listener = { symbols: Set<string>; onQuote: (q: PriceQuote) => void };

const key = (symbol: string): string => symbol.trim().toUpperCase();

export class ManualPriceFeed implements PriceFeed {
  readonly name: string;
  private readonly clock: Clock;
  private readonly source: PriceSource;
  private readonly simulated: boolean;
  private readonly quotes = new Map<string, PriceQuote>();
  private readonly books = new Map<string, OrderBookSnapshot>();
  private readonly listeners = new Set<Listener>();

  constructor(opts: ManualPriceFeedOptions = {}) {
    this.name = opts.name ?? 'manual';
    this.clock = opts.clock ?? systemClock;
    this.source = opts.source ?? 'sim';
    this.simulated = opts.simulated ?? true;
  }

  /** Sets the price of `symbol` (canonical, e.g. "BTC/USDT") and pushes it to subscribers. */
  set(symbol: string, price: DecimalInput, opts: ManualQuoteOptions = {}): PriceQuote {
    const q: PriceQuote = {
      symbol: symbol.trim(),
      price: dec(price),
      ...(opts.bid !== undefined ? { bid: dec(opts.bid) } : {}),
      ...(opts.ask !== undefined ? { ask: dec(opts.ask) } : {}),
      ...(opts.confidence !== undefined ? { confidence: dec(opts.confidence) } : {}),
      publishTime: opts.publishTime ?? this.clock.now(),
      source: opts.source ?? this.source,
      simulated: opts.simulated ?? this.simulated,
    };
    this.publish(q);
    return q;
  }

  /** Publishes a complete quote as it is. */
  publish(q: PriceQuote): void {
    this.quotes.set(key(q.symbol), q);
    for (const l of [...this.listeners]) {
      if (!l.symbols.has(key(q.symbol))) continue;
      try {
        l.onQuote(q);
      } catch {
        // A subscriber's failure is its own; the feed keeps delivering to the others.
      }
    }
  }

  /** Forgets a symbol's price: later `getQuote` calls fail as for an unknown symbol. */
  clear(symbol: string): void {
    this.quotes.delete(key(symbol));
  }

  /** Stores an order book for `symbol` (levels best first); `getOrderBook` returns it. */
  setOrderBook(symbol: string, levels: { bids: Array<[DecimalInput, DecimalInput]>; asks: Array<[DecimalInput, DecimalInput]>; timestamp?: Date }): void {
    this.books.set(key(symbol), {
      symbol,
      exchange: this.name,
      bids: levels.bids.map(([p, q]) => [dec(p), dec(q)]),
      asks: levels.asks.map(([p, q]) => [dec(p), dec(q)]),
      timestamp: levels.timestamp ?? this.clock.now(),
    });
  }

  clearOrderBook(symbol: string): void {
    this.books.delete(key(symbol));
  }

  async getOrderBook(symbol: string): Promise<OrderBookSnapshot | undefined> {
    return this.books.get(key(symbol));
  }

  async getQuote(symbol: string): Promise<PriceQuote> {
    const q = this.quotes.get(key(symbol));
    if (!q) throw new ManualFeedError(`no price for ${symbol.slice(0, 40)} from ${this.name}`);
    return q;
  }

  async getQuotes(symbols: readonly string[]): Promise<PriceQuote[]> {
    return Promise.all(symbols.map((s) => this.getQuote(s)));
  }

  /** The last quote of `symbol`, without failing. */
  peek(symbol: string): PriceQuote | undefined {
    return this.quotes.get(key(symbol));
  }

  subscribe(symbols: readonly string[], onQuote: (q: PriceQuote) => void): Unsubscribe {
    const l: Listener = { symbols: new Set(symbols.map(key)), onQuote };
    this.listeners.add(l);
    return () => {
      this.listeners.delete(l);
    };
  }

  /** Number of live subscriptions (for tests of subscription hygiene). */
  get subscriberCount(): number {
    return this.listeners.size;
  }
}
