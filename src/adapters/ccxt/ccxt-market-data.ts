// Venue market data through ccxt (public endpoints only, no key): instruments, tickers, order
// books, candles with pagination and funding. ccxt's own rate limiter is on (`enableRateLimit`),
// every failure is classified in one place (errors.ts) and symbols are canonical at the edges.
import ccxt, { type Exchange } from 'ccxt';
import { resolveMarket } from '../../domain/market.js';
import type { Dec } from '../../domain/money.js';
import { TIMEFRAME_MS, type Candle, type Clock, type FundingPoint, type FundingRate, type MarketDataSource, type MarketInfo, type OrderBookSnapshot, type Timeframe } from '../../domain/ports.js';
import { systemClock } from '../system-clock.js';
import {
  CcxtPrecisionMode,
  decimalFromCcxt,
  mapCcxtFundingRate,
  mapCcxtMarket,
  mapCcxtOhlcv,
  mapCcxtOrderBook,
  mapCcxtTicker,
  type ExchangeQuote,
} from './ccxt-mapper.js';
import {
  CcxtFundingHistorySchema,
  CcxtFundingRateSchema,
  CcxtMarketSchema,
  CcxtOhlcvSchema,
  CcxtOrderBookSchema,
  CcxtTickerSchema,
  type CcxtTicker,
} from './ccxt-schema.js';
import { CcxtVenueError, toVenueError } from './errors.js';
import { DEFAULT_PERP_QUOTE } from './symbols.js';

/** Funding payments a history request asks for at once (Binance's most), and the most pages a history reads. */
const FUNDING_PAGE = 1000;
const FUNDING_PAGES = 20;

export const DEFAULT_EXCHANGE = 'binance';

export interface CcxtMarketDataOptions {
  /** ccxt exchange id (`MIKEY_EXCHANGE`). Default "binance". */
  exchangeId?: string;
  /**
   * Sends every request to this origin instead of the venue's hosts, keeping each API's path
   * (`https://fapi.binance.com/fapi/v1` → `<apiBaseUrl>/fapi/v1`): local fakes, recording proxies.
   */
  apiBaseUrl?: string;
  /** Use the venue's testnet (`setSandboxMode(true)`), applied before `apiBaseUrl`. */
  sandbox?: boolean;
  /** API credentials for signed (private) calls; absent for market data. Never logged. */
  credentials?: { apiKey: string; secret: string; password?: string };
  /** Explicit `urls.api` entries, merged over the venue's (applied after `apiBaseUrl`). */
  apiUrls?: Readonly<Record<string, string>>;
  /** Per-request timeout. Default 10 000 ms. */
  timeoutMs?: number;
  /** ccxt's `rateLimit` (ms per request-weight unit). Default: the venue's own. */
  rateLimitMs?: number;
  /** Quote (and settlement) currency of canonical perpetuals ("BTC-PERP" = BTC/USDT:USDT). Default USDT. */
  perpQuote?: string;
  /** Binance: which market families to load. Default ['spot', 'linear']. */
  marketTypes?: ReadonlyArray<'spot' | 'linear' | 'inverse'>;
  /** Candles per request (ccxt caps Binance at 1 000). Default 1 000. */
  candlePageSize?: number;
  /** Most requests one `getCandles` makes. Default 50. */
  maxCandlePages?: number;
  /** Reload the instrument list after this long. Default 1 h. */
  marketsTtlMs?: number;
  /** Funding interval assumed when the venue does not say (Binance's default is 8 h). */
  defaultFundingIntervalHours?: number;
  clock?: Clock;
}

/** Options from the parsed configuration (`MIKEY_EXCHANGE`, `MIKEY_EXCHANGE_URL`). */
export function ccxtOptionsFromConfig(config: { MIKEY_EXCHANGE?: string; MIKEY_EXCHANGE_URL?: string | undefined }): CcxtMarketDataOptions {
  return { exchangeId: config.MIKEY_EXCHANGE ?? DEFAULT_EXCHANGE, ...(config.MIKEY_EXCHANGE_URL ? { apiBaseUrl: config.MIKEY_EXCHANGE_URL } : {}) };
}

type ExchangeConstructor = new (config: Record<string, unknown>) => Exchange;

/** Builds the ccxt client: rate limiting on, public unless credentials are given, testnet and hosts rewritten when asked. */
export function createCcxtExchange(opts: CcxtMarketDataOptions = {}): Exchange {
  const id = (opts.exchangeId ?? DEFAULT_EXCHANGE).toLowerCase();
  const registry = ccxt as unknown as Record<string, unknown> & { exchanges: string[] };
  const Ctor = registry[id];
  if (!registry.exchanges.includes(id) || typeof Ctor !== 'function') {
    throw new CcxtVenueError({
      kind: 'rejected',
      reason: 'not_supported',
      retryable: false,
      outcomeUnknown: false,
      userMessage: `ccxt does not know the exchange "${id.slice(0, 30)}"; set MIKEY_EXCHANGE to a ccxt exchange id such as binance`,
      errorName: 'ConfigError',
    });
  }
  const config: Record<string, unknown> = { enableRateLimit: true, timeout: opts.timeoutMs ?? 10_000 };
  if (opts.rateLimitMs !== undefined) config['rateLimit'] = opts.rateLimitMs;
  if (id === 'binance') config['options'] = { fetchMarkets: { types: [...(opts.marketTypes ?? ['spot', 'linear'])] } };
  if (opts.credentials) {
    config['apiKey'] = opts.credentials.apiKey;
    config['secret'] = opts.credentials.secret;
    if (opts.credentials.password !== undefined) config['password'] = opts.credentials.password;
  }
  const exchange = new (Ctor as ExchangeConstructor)(config);
  if (opts.sandbox) exchange.setSandboxMode(true);
  const api = exchange.urls['api'];
  if (api && typeof api === 'object') {
    const rewritten: Record<string, unknown> = { ...(api as Record<string, unknown>) };
    if (opts.apiBaseUrl !== undefined) {
      const origin = opts.apiBaseUrl.replace(/\/+$/, '');
      for (const [key, value] of Object.entries(rewritten)) {
        if (typeof value === 'string') {
          const u = new URL(value);
          rewritten[key] = `${origin}${u.pathname}`.replace(/\/+$/, '');
        }
      }
    }
    Object.assign(rewritten, opts.apiUrls ?? {});
    exchange.urls['api'] = rewritten;
  }
  return exchange;
}

interface ListedMarket {
  info: MarketInfo;
  ccxtSymbol: string;
}

export class CcxtMarketData implements MarketDataSource {
  readonly name: string;
  readonly simulated = false;
  readonly exchange: Exchange;
  private readonly clock: Clock;
  private readonly perpQuote: string;
  private readonly pageSize: number;
  private readonly maxPages: number;
  private readonly marketsTtlMs: number;
  private readonly defaultFundingIntervalHours: number;
  private markets: { list: ListedMarket[]; byCanonical: Map<string, ListedMarket>; loadedAt: number } | undefined;
  private loading: Promise<void> | undefined;

  constructor(opts: CcxtMarketDataOptions = {}, exchange?: Exchange) {
    this.exchange = exchange ?? createCcxtExchange(opts);
    this.name = this.exchange.id;
    this.clock = opts.clock ?? systemClock;
    this.perpQuote = (opts.perpQuote ?? DEFAULT_PERP_QUOTE).toUpperCase();
    this.pageSize = Math.min(Math.max(opts.candlePageSize ?? 1_000, 1), 1_000);
    this.maxPages = Math.max(opts.maxCandlePages ?? 50, 1);
    this.marketsTtlMs = opts.marketsTtlMs ?? 60 * 60_000;
    this.defaultFundingIntervalHours = opts.defaultFundingIntervalHours ?? 8;
  }

  // -------------------------------------------------------------------------------------------
  // MarketDataSource
  // -------------------------------------------------------------------------------------------

  async listMarkets(): Promise<MarketInfo[]> {
    const m = await this.loadMarkets();
    return m.list.map((l) => l.info);
  }

  /** One market by any accepted spelling ("btcusdt", "BTC-PERP", "BTC/USDT:USDT"). */
  async getMarket(symbol: string): Promise<MarketInfo> {
    return (await this.resolve(symbol)).info;
  }

  async getOrderBook(symbol: string, depth = 20): Promise<OrderBookSnapshot> {
    const m = await this.resolve(symbol);
    const want = Math.min(Math.max(Math.floor(depth), 1), 1_000);
    const raw = await this.call(`load the order book for ${m.info.symbol}`, () =>
      this.exchange.fetchOrderBook(m.ccxtSymbol, this.bookLimit(m.info.kind, want)),
    );
    const ob = CcxtOrderBookSchema.parse(raw);
    return mapCcxtOrderBook(ob, m.info.symbol, this.name, want, this.clock.now());
  }

  /**
   * Candles oldest first. With `since`: up to `limit` bars from then on. Without: the latest `limit`
   * bars. Pages through the venue `candlePageSize` bars at a time, at most `maxCandlePages` requests;
   * the newest bar may still be forming.
   */
  async getCandles(symbol: string, timeframe: Timeframe, opts: { since?: Date; limit?: number }): Promise<Candle[]> {
    const m = await this.resolve(symbol);
    const tfMs = TIMEFRAME_MS[timeframe];
    if (tfMs === undefined) throw new RangeError(`unknown timeframe ${String(timeframe)}`);
    const want = Math.min(Math.max(Math.floor(opts.limit ?? 500), 1), this.pageSize * this.maxPages);
    const action = `load ${timeframe} candles for ${m.info.symbol}`;

    if (opts.since === undefined && want <= this.pageSize) {
      const rows = await this.call(action, () => this.exchange.fetchOHLCV(m.ccxtSymbol, timeframe, undefined, want));
      return this.toCandles(rows, m.info.symbol, timeframe).slice(-want);
    }

    const out: Candle[] = [];
    let cursor = opts.since !== undefined ? opts.since.getTime() : this.clock.now().getTime() - want * tfMs;
    const pageBudget = Math.min(this.maxPages, Math.ceil(want / this.pageSize) + 2);
    for (let page = 0; page < pageBudget && out.length < want; page++) {
      const pageLimit = Math.min(this.pageSize, want - out.length);
      const from = cursor;
      const rows = await this.call(action, () => this.exchange.fetchOHLCV(m.ccxtSymbol, timeframe, from, pageLimit));
      const lastTime = out.at(-1)?.openTime.getTime() ?? Number.NEGATIVE_INFINITY;
      const fresh = this.toCandles(rows, m.info.symbol, timeframe).filter((c) => c.openTime.getTime() > lastTime && c.openTime.getTime() >= from);
      if (fresh.length === 0) break;
      out.push(...fresh);
      cursor = (fresh.at(-1)?.openTime.getTime() ?? from) + tfMs;
      if (rows.length < pageLimit) break; // reached the present
    }
    return opts.since === undefined ? out.slice(-want) : out.slice(0, want);
  }

  async getFundingRate(symbol: string): Promise<FundingRate> {
    const m = await this.resolve(symbol);
    if (m.info.kind !== 'perp') {
      throw new CcxtVenueError({
        kind: 'rejected',
        reason: 'bad_symbol',
        retryable: false,
        outcomeUnknown: false,
        userMessage: `funding applies to perpetuals; ${m.info.symbol} is spot (ask for ${m.info.base}-PERP)`,
        errorName: 'BadSymbol',
      });
    }
    const raw = await this.call(`load the funding rate for ${m.info.symbol}`, () => this.exchange.fetchFundingRate(m.ccxtSymbol));
    return mapCcxtFundingRate(CcxtFundingRateSchema.parse(raw), m.info.symbol, this.defaultFundingIntervalHours, this.clock.now());
  }

  /**
   * The venue's funding history of a perpetual over (from, to], oldest first, in pages of
   * FUNDING_PAGE (at most FUNDING_PAGES pages: 20,000 payments, 18 years of 8-hour funding).
   */
  async getFundingHistory(symbol: string, from: Date, to: Date): Promise<FundingPoint[]> {
    const m = await this.resolve(symbol);
    if (m.info.kind !== 'perp') throw new CcxtVenueError({ kind: 'rejected', reason: 'bad_symbol', retryable: false, outcomeUnknown: false, userMessage: `funding applies to perpetuals; ${m.info.symbol} is spot`, errorName: 'BadSymbol' });
    const out: FundingPoint[] = [];
    let since = from.getTime() + 1;
    for (let page = 0; page < FUNDING_PAGES && since <= to.getTime(); page++) {
      const raw = await this.call(`load the funding history of ${m.info.symbol}`, () => this.exchange.fetchFundingRateHistory(m.ccxtSymbol, since, FUNDING_PAGE, { endTime: to.getTime() }));
      const rows = CcxtFundingHistorySchema.parse(raw);
      for (const r of rows) if (r.timestamp > from.getTime() && r.timestamp <= to.getTime() && (out.length === 0 || r.timestamp > out[out.length - 1]!.at.getTime())) out.push({ at: new Date(r.timestamp), rate: rawRate(r.info) ?? decimalFromCcxt(r.fundingRate)! });
      if (rows.length < FUNDING_PAGE) break;
      since = rows[rows.length - 1]!.timestamp + 1;
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Tickers (beyond the port)
  // -------------------------------------------------------------------------------------------

  /** Last, bid and ask for one market; the quote's price is the bid/ask mid when both exist. */
  async getTicker(symbol: string): Promise<ExchangeQuote> {
    const [q] = await this.getTickers([symbol]);
    if (!q) throw this.noPrice(symbol);
    return q;
  }

  /** Tickers for many markets: one request per market kind (plus book tickers where needed). */
  async getTickers(symbols: readonly string[]): Promise<ExchangeQuote[]> {
    const resolved = await Promise.all(symbols.map((s) => this.resolve(s)));
    const byKind = new Map<'spot' | 'perp', ListedMarket[]>();
    for (const m of resolved) byKind.set(m.info.kind, [...(byKind.get(m.info.kind) ?? []), m]);
    const quotes = new Map<string, ExchangeQuote>();
    for (const group of byKind.values()) {
      const ccxtSymbols = [...new Set(group.map((m) => m.ccxtSymbol))];
      const action = `load prices for ${group.map((m) => m.info.symbol).join(', ')}`;
      const tickers = ccxtSymbols.length === 1
        ? { [ccxtSymbols[0] ?? '']: await this.call(action, () => this.exchange.fetchTicker(ccxtSymbols[0] ?? '')) }
        : await this.call(action, () => this.exchange.fetchTickers(ccxtSymbols));
      const parsed = new Map<string, CcxtTicker>();
      for (const [sym, t] of Object.entries(tickers)) {
        const p = CcxtTickerSchema.safeParse(t);
        if (p.success) parsed.set(sym, p.data);
      }
      let books: Map<string, CcxtTicker> | undefined;
      const lacksBook = [...parsed.values()].some((t) => t.bid == null || t.ask == null);
      if (lacksBook && this.exchange.has['fetchBidsAsks']) {
        const raw = await this.call(action, () => this.exchange.fetchBidsAsks(ccxtSymbols));
        books = new Map();
        for (const [sym, t] of Object.entries(raw)) {
          const p = CcxtTickerSchema.safeParse(t);
          if (p.success) books.set(sym, p.data);
        }
      }
      for (const m of group) {
        const t = parsed.get(m.ccxtSymbol);
        if (!t) continue;
        const q = mapCcxtTicker(t, m.info.symbol, this.name, this.clock.now(), books?.get(m.ccxtSymbol));
        if (q) quotes.set(m.info.symbol, q);
      }
    }
    return resolved.map((m) => {
      const q = quotes.get(m.info.symbol);
      if (!q) throw this.noPrice(m.info.symbol);
      return q;
    });
  }

  /** Releases ccxt resources (sockets of the keep-alive agent, websockets if any). */
  async close(): Promise<void> {
    await this.exchange.close();
  }

  // -------------------------------------------------------------------------------------------
  // Internals
  // -------------------------------------------------------------------------------------------

  private async call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toVenueError(err, { exchange: this.name, action });
    }
  }

  private noPrice(symbol: string): CcxtVenueError {
    return new CcxtVenueError({
      kind: 'retryable',
      reason: 'bad_response',
      retryable: true,
      outcomeUnknown: false,
      userMessage: `${this.name} returned no price for ${symbol}; try again shortly`,
      errorName: 'NullResponse',
    });
  }

  /** Binance USDⓈ-M order books accept only some depths; ask for the next one up and trim. */
  private bookLimit(kind: 'spot' | 'perp', want: number): number | undefined {
    if (this.name === 'binance' && kind === 'perp') {
      const allowed = [5, 10, 20, 50, 100, 500, 1000];
      return allowed.find((d) => d >= want) ?? 1000;
    }
    return want;
  }

  private toCandles(rows: unknown, symbol: string, timeframe: Timeframe): Candle[] {
    if (!Array.isArray(rows)) return [];
    const out: Candle[] = [];
    for (const row of rows) {
      const r = CcxtOhlcvSchema.safeParse(row);
      if (!r.success) continue;
      const c = mapCcxtOhlcv(r.data, symbol, this.name, timeframe);
      if (c) out.push(c);
    }
    out.sort((a, b) => a.openTime.getTime() - b.openTime.getTime());
    return out;
  }

  private async loadMarkets(): Promise<NonNullable<CcxtMarketData['markets']>> {
    const now = this.clock.now().getTime();
    if (this.markets && now - this.markets.loadedAt < this.marketsTtlMs) return this.markets;
    if (!this.loading) {
      const reload = this.markets !== undefined;
      this.loading = (async () => {
        const raw = await this.call('load the list of markets', () => this.exchange.loadMarkets(reload));
        const list: ListedMarket[] = [];
        const byCanonical = new Map<string, ListedMarket>();
        for (const value of Object.values(raw)) {
          const parsed = CcxtMarketSchema.safeParse(value);
          if (!parsed.success) continue;
          const info = mapCcxtMarket(parsed.data, { exchange: this.name, precisionMode: this.exchange.precisionMode ?? CcxtPrecisionMode.tickSize, perpQuote: this.perpQuote });
          if (!info || byCanonical.has(info.symbol)) continue;
          const listed = { info, ccxtSymbol: parsed.data.symbol };
          list.push(listed);
          byCanonical.set(info.symbol, listed);
        }
        list.sort((a, b) => a.info.symbol.localeCompare(b.info.symbol));
        this.markets = { list, byCanonical, loadedAt: this.clock.now().getTime() };
      })().finally(() => {
        this.loading = undefined;
      });
    }
    await this.loading;
    if (!this.markets) throw new Error('markets failed to load');
    return this.markets;
  }

  /** Any accepted spelling → a listed market, or a rejection naming the closest markets. */
  private async resolve(symbol: string): Promise<ListedMarket> {
    const markets = await this.loadMarkets();
    const direct = markets.byCanonical.get(symbol.trim().toUpperCase());
    if (direct) return direct;
    const viaCcxt = markets.list.find((l) => l.ccxtSymbol === symbol.trim().toUpperCase());
    if (viaCcxt) return viaCcxt;
    const r = resolveMarket(symbol, markets.list.map((l) => l.info), { defaultQuote: this.perpQuote });
    if (r.ok) {
      const found = markets.byCanonical.get(r.value.symbol);
      if (found) return found;
    }
    throw new CcxtVenueError({
      kind: 'rejected',
      reason: 'bad_symbol',
      retryable: false,
      outcomeUnknown: false,
      userMessage: r.ok ? `unknown symbol ${symbol.trim().toUpperCase().slice(0, 40)} on ${this.name}` : `${r.error.message} (on ${this.name})`,
      errorName: 'BadSymbol',
    });
  }
}

/** The venue's own text of a funding history row's rate (Binance: `info.fundingRate`), exact; undefined when absent. */
function rawRate(info: unknown): Dec | undefined {
  const text = typeof info === 'object' && info !== null ? (info as Record<string, unknown>)['fundingRate'] : undefined;
  return typeof text === 'string' ? decimalFromCcxt(text) : undefined;
}
