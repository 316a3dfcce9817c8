// The simulated market: a PriceFeed and MarketDataSource for offline use, tests and paper trading
// without a network. Everything it returns is a pure function of (seed, symbol, time); the current
// time comes from the injected Clock, and quote subscriptions run on injectable timers.
import type { Dec } from '../../domain/money.js';
import { D, dec, roundDownToStep } from '../../domain/money.js';
import type {
  Candle, Clock, FundingPoint, FundingRate, MarketDataSource, MarketInfo, OrderBookSnapshot, PriceFeed, PriceQuote, Timeframe, Unsubscribe,
} from '../../domain/ports.js';
import { TIMEFRAME_MS } from '../../domain/ports.js';
import type { SimInstrument } from './markets.js';
import { defaultInstruments, toMarketInfo } from './markets.js';
import { DAY_MS, DayCache, FIRST_DAY, LAST_DAY, MINUTES_PER_DAY, MINUTE_MS, PricePath } from './price-path.js';
import type { TickBar } from './price-path.js';

export const SIM_EXCHANGE = 'sim';
export const FUNDING_INTERVAL_HOURS = 8;
const FUNDING_INTERVAL_MS = FUNDING_INTERVAL_HOURS * 3_600_000;
/** Weekly candles open on Monday 00:00 UTC (1970-01-05 was the first Monday after the epoch). */
const WEEK_OFFSET_MS = 4 * DAY_MS;
const FIRST_TIME = FIRST_DAY * DAY_MS;
const LAST_TIME = LAST_DAY * DAY_MS;
export const MAX_CANDLES_PER_REQUEST = 1_000;
export const DEFAULT_CANDLE_LIMIT = 100;
export const MAX_BOOK_DEPTH = 500;

/** setInterval/clearInterval, injectable so tests can drive subscriptions by hand. */
export interface SimTimers {
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** Node's timers, unref'd so an open subscription does not keep the process alive. */
export const nodeTimers: SimTimers = {
  setInterval(callback, ms) {
    const handle = setInterval(callback, ms);
    handle.unref();
    return handle;
  },
  clearInterval(handle) {
    clearInterval(handle as ReturnType<typeof setInterval>);
  },
};

export interface SimMarketOptions {
  /** Same seed, same market: every price, candle and book is reproducible. */
  seed: number;
  clock: Clock;
  /** How often `subscribe` emits quotes (default 1000 ms). */
  quoteIntervalMs?: number;
  timers?: SimTimers;
  /** Instruments to list (default: 26 spot pairs and 9 perpetuals). */
  instruments?: SimInstrument[];
  /** Days of minute data kept in memory across all symbols (default 256, ~70 KB each). */
  cacheDays?: number;
  /** Called when a subscriber's callback throws; the subscription carries on. */
  onSubscriberError?: (error: unknown) => void;
}

/** A symbol the simulated market does not list; `suggestion` is the closest listed one, if any. */
export class UnknownSymbolError extends Error {
  readonly symbol: string;
  readonly suggestion: string | undefined;

  constructor(symbol: string, suggestion: string | undefined, examples: string[]) {
    super(suggestion
      ? `unknown symbol ${symbol}; did you mean ${suggestion}?`
      : `unknown symbol ${symbol}; the simulated market lists symbols like ${examples.join(', ')}`);
    this.name = 'UnknownSymbolError';
    this.symbol = symbol;
    this.suggestion = suggestion;
  }
}

/** A request the simulated market cannot answer (bad limit, spot funding, out-of-range time). */
export class SimMarketRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimMarketRequestError';
  }
}

/** Open time of the candle of `timeframe` that contains `time` (epoch ms). */
export function candleOpenTime(time: number, timeframe: Timeframe): number {
  const ms = TIMEFRAME_MS[timeframe];
  const offset = timeframe === '1w' ? WEEK_OFFSET_MS : 0;
  return Math.floor((time - offset) / ms) * ms + offset;
}

const compact = (s: string): string => s.toUpperCase().replace(/[^A-Z0-9]/g, '');

export class SimMarket implements PriceFeed, MarketDataSource {
  readonly name = SIM_EXCHANGE;
  readonly simulated = true;
  readonly #clock: Clock;
  readonly #paths = new Map<string, PricePath>();
  readonly #instruments: SimInstrument[];
  readonly #tickDecimals = new Map<string, Dec>();
  readonly #stepDecimals = new Map<string, Dec>();
  readonly #intervalMs: number;
  readonly #timers: SimTimers;
  readonly #onSubscriberError: (error: unknown) => void;

  constructor(options: SimMarketOptions) {
    if (!Number.isFinite(options.seed)) throw new RangeError('seed must be a finite number');
    this.#clock = options.clock;
    this.#instruments = options.instruments ?? defaultInstruments();
    const cache = new DayCache(options.cacheDays ?? 256);
    for (const m of this.#instruments) {
      this.#paths.set(m.symbol, new PricePath(options.seed, m, cache));
      this.#tickDecimals.set(m.symbol, dec(m.tickSize));
      this.#stepDecimals.set(m.symbol, dec(m.stepSize));
    }
    this.#intervalMs = options.quoteIntervalMs ?? 1_000;
    if (!(this.#intervalMs > 0)) throw new RangeError('quoteIntervalMs must be positive');
    this.#timers = options.timers ?? nodeTimers;
    this.#onSubscriberError = options.onSubscriberError ?? (() => undefined);
  }

  #path(symbol: string): PricePath {
    const wanted = symbol.trim().toUpperCase();
    const path = this.#paths.get(wanted);
    if (path) return path;
    const key = compact(symbol);
    const keys = [key, `${key}T`, key.replace(/USD$/, 'USDT'), `${key}USDT`];
    const suggestion = this.#instruments.find((m) => keys.includes(compact(m.symbol)))?.symbol
      ?? this.#instruments.find((m) => m.kind === 'perp' && (keys.includes(`${m.base}PERP`) || key === `${m.base}USDTPERP`))?.symbol;
    throw new UnknownSymbolError(symbol, suggestion, this.#instruments.slice(0, 3).map((m) => m.symbol));
  }

  #ticksToDec(symbol: string, ticks: number): Dec {
    return new D(ticks).mul(this.#tickDecimals.get(symbol)!);
  }

  #checkTime(time: number): void {
    if (!(time >= FIRST_TIME && time < LAST_TIME)) {
      throw new SimMarketRequestError(`the simulated market covers 2000-01-01 to 2100-01-01, not ${new Date(time).toISOString()}`);
    }
  }

  async listMarkets(): Promise<MarketInfo[]> {
    return this.#instruments.map((m) => toMarketInfo(m, SIM_EXCHANGE));
  }

  /** The quote of `symbol` at `at` (any time in 2000–2100), synchronously. */
  quoteAt(symbol: string, at: Date): PriceQuote {
    const path = this.#path(symbol);
    const time = at.getTime();
    this.#checkTime(time);
    const m = path.instrument;
    const mid = path.ticksAt(time);
    const baseSigma = m.dailyVolatility / Math.sqrt(MINUTES_PER_DAY);
    const widen = Math.min(3, Math.max(0.5, path.sigmaAt(time) / baseSigma));
    const spread = Math.max(1, Math.round((mid * m.spreadBps * widen) / 10_000));
    const bid = Math.max(1, mid - Math.floor(spread / 2));
    return {
      symbol: m.symbol,
      price: this.#ticksToDec(m.symbol, mid),
      bid: this.#ticksToDec(m.symbol, bid),
      ask: this.#ticksToDec(m.symbol, bid + spread),
      publishTime: new Date(time),
      source: 'sim',
      simulated: true,
    };
  }

  /** The mid price of `symbol` at `at`, synchronously. */
  priceAt(symbol: string, at: Date): Dec {
    return this.quoteAt(symbol, at).price;
  }

  async getQuote(symbol: string): Promise<PriceQuote> {
    return this.quoteAt(symbol, this.#clock.now());
  }

  async getQuotes(symbols: readonly string[]): Promise<PriceQuote[]> {
    const now = this.#clock.now();
    return symbols.map((s) => this.quoteAt(s, now));
  }

  /** Emits a quote for each symbol every `quoteIntervalMs` (first emission after one interval). */
  subscribe(symbols: readonly string[], onQuote: (q: PriceQuote) => void): Unsubscribe {
    const list = symbols.map((s) => this.#path(s).instrument.symbol);
    let active = true;
    const handle = this.#timers.setInterval(() => {
      if (!active) return;
      const now = this.#clock.now();
      for (const symbol of list) {
        if (!active) return;
        try {
          onQuote(this.quoteAt(symbol, now));
        } catch (error) {
          this.#onSubscriberError(error);
        }
      }
    }, this.#intervalMs);
    return () => {
      if (!active) return;
      active = false;
      this.#timers.clearInterval(handle);
    };
  }

  /**
   * Candles of `timeframe`: with `since`, those opening at or after it (oldest first, at most `limit`);
   * without, the latest `limit` ending with the one still forming at the clock's now. A forming
   * candle holds the ticks up to now only.
   */
  async getCandles(symbol: string, timeframe: Timeframe, opts: { since?: Date; limit?: number }): Promise<Candle[]> {
    return this.candlesAt(symbol, timeframe, opts, this.#clock.now());
  }

  /** `getCandles` as seen at `now`, synchronously. */
  candlesAt(symbol: string, timeframe: Timeframe, opts: { since?: Date; limit?: number }, now: Date): Candle[] {
    const path = this.#path(symbol);
    const tfMs = TIMEFRAME_MS[timeframe];
    if (tfMs === undefined) throw new SimMarketRequestError(`unknown timeframe ${String(timeframe)}`);
    const limit = opts.limit ?? DEFAULT_CANDLE_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_CANDLES_PER_REQUEST) {
      throw new SimMarketRequestError(`limit must be a whole number from 1 to ${MAX_CANDLES_PER_REQUEST}, got ${String(limit)}`);
    }
    const nowMs = now.getTime();
    this.#checkTime(nowMs);
    const current = candleOpenTime(nowMs, timeframe);
    let first: number;
    if (opts.since) {
      const since = opts.since.getTime();
      const open = candleOpenTime(since, timeframe);
      first = open === since ? since : open + tfMs;
    } else {
      first = current - (limit - 1) * tfMs;
    }
    while (first < FIRST_TIME) first += tfMs;
    const candles: Candle[] = [];
    for (let open = first; open <= current && candles.length < limit; open += tfMs) {
      const bar = path.bar(open, open + tfMs, nowMs);
      if (bar) candles.push(this.#toCandle(path, timeframe, open, bar));
    }
    return candles;
  }

  #toCandle(path: PricePath, timeframe: Timeframe, openTime: number, bar: TickBar): Candle {
    const symbol = path.instrument.symbol;
    const candle: Candle = {
      symbol,
      exchange: SIM_EXCHANGE,
      timeframe,
      openTime: new Date(openTime),
      open: this.#ticksToDec(symbol, bar.open),
      high: this.#ticksToDec(symbol, bar.high),
      low: this.#ticksToDec(symbol, bar.low),
      close: this.#ticksToDec(symbol, bar.close),
      volume: new D(bar.volume).mul(this.#stepDecimals.get(symbol)!),
      tradeCount: bar.trades,
    };
    if (bar.volume > 0) candle.vwap = this.#ticksToDec(symbol, Math.round(bar.priceVolume / bar.volume));
    return candle;
  }

  /** Order book at the clock's now: `depth` levels a side, sizes thinning away from the mid. */
  async getOrderBook(symbol: string, depth = 20): Promise<OrderBookSnapshot> {
    return this.orderBookAt(symbol, this.#clock.now(), depth);
  }

  /** `getOrderBook` at `at`, synchronously; the book changes once a second. */
  orderBookAt(symbol: string, at: Date, depth = 20): OrderBookSnapshot {
    if (!Number.isInteger(depth) || depth < 1 || depth > MAX_BOOK_DEPTH) {
      throw new SimMarketRequestError(`depth must be a whole number from 1 to ${MAX_BOOK_DEPTH}, got ${String(depth)}`);
    }
    const quote = this.quoteAt(symbol, at);
    const path = this.#path(symbol);
    const m = path.instrument;
    const tick = this.#tickDecimals.get(m.symbol)!;
    const step = this.#stepDecimals.get(m.symbol)!;
    const minQty = dec(m.minQty);
    const bidTicks = quote.bid!.div(tick).toNumber();
    const askTicks = quote.ask!.div(tick).toNumber();
    const mid = quote.price.toNumber();
    // Levels every ~0.5 bp of price (at least a tick); value per level decays with distance.
    const levelTicks = Math.max(1, Math.round((mid * 0.00005) / path.tick));
    const second = Math.floor(at.getTime() / 1000);
    const side = (start: number, direction: -1 | 1, sideKey: number): Array<[Dec, Dec]> => {
      const levels: Array<[Dec, Dec]> = [];
      for (let j = 0; j < depth; j++) {
        const ticks = start + direction * j * levelTicks;
        if (ticks < 1) break;
        const price = new D(ticks).mul(tick);
        const value = m.topOfBookValue * Math.exp(-j / 12) * (0.5 + path.uniform(second, sideKey, j));
        const size = roundDownToStep(new D(value / price.toNumber()), step);
        levels.push([price, size.gte(minQty) ? size : minQty]);
      }
      return levels;
    };
    return { symbol: m.symbol, exchange: SIM_EXCHANGE, bids: side(bidTicks, -1, 1), asks: side(askTicks, 1, 2), timestamp: new Date(at.getTime()) };
  }

  async getFundingRate(symbol: string): Promise<FundingRate> {
    return this.fundingRateAt(symbol, this.#clock.now());
  }

  /**
   * The funding paid at each funding time T in (from, to] (multiples of 8 hours): the rate of the
   * interval ending at T, which `getFundingRate` showed during it.
   */
  async getFundingHistory(symbol: string, from: Date, to: Date): Promise<FundingPoint[]> {
    const out: FundingPoint[] = [];
    for (let t = (Math.floor(from.getTime() / FUNDING_INTERVAL_MS) + 1) * FUNDING_INTERVAL_MS; t <= to.getTime(); t += FUNDING_INTERVAL_MS) {
      out.push({ at: new Date(t), rate: this.fundingRateAt(symbol, new Date(t - 1)).rate });
    }
    return out;
  }

  /**
   * Funding of a perpetual for the 8-hour interval containing `at`: a base 0.01% plus the perp's
   * premium over spot at the interval's start, clamped to ±0.75%, in millionths.
   */
  fundingRateAt(symbol: string, at: Date): FundingRate {
    const path = this.#path(symbol);
    const m = path.instrument;
    if (m.kind !== 'perp') {
      const perp = this.#instruments.find((i) => i.kind === 'perp' && i.base === m.base);
      throw new SimMarketRequestError(`${m.symbol} is a spot market; funding applies to perpetuals${perp ? ` like ${perp.symbol}` : ''}`);
    }
    const time = at.getTime();
    this.#checkTime(time);
    const interval = Math.floor(time / FUNDING_INTERVAL_MS);
    const premium = path.basisAt((interval * FUNDING_INTERVAL_MS) / MINUTE_MS);
    const noise = (path.uniform(interval, 7) - 0.5) * 0.0001;
    const rate = Math.min(0.0075, Math.max(-0.0075, 0.5 * premium + noise + 0.00005));
    return {
      symbol: m.symbol,
      rate: new D(rate.toFixed(6)),
      intervalHours: FUNDING_INTERVAL_HOURS,
      nextFundingTime: new Date((interval + 1) * FUNDING_INTERVAL_MS),
      timestamp: new Date(time),
    };
  }
}
