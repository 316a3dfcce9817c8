// The market-data service: prices (oracle + venue, with freshness verdicts), candles served from the
// candle store (missing ranges fetched from the source and stored), order books (each one stored as
// a snapshot), funding, market search and market metadata, and candle backfill. Every surface and
// every other service reads market data through here; the trading services take `venueFeed` and
// `oracleFeed` from it.
//
// Sources are chosen by `MIKEY_MARKET` (see sources.ts). With `auto` the probe runs on first use,
// not at construction, so one-shot CLI commands that never touch market data never wait for it.
import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { markets as marketsTable, orderBookSnapshots } from '../../db/schema/index.js';
import type { Market } from '../../domain/market.js';
import { suggestMarkets } from '../../domain/market.js';
import type { Dec } from '../../domain/money.js';
import { checkQuoteFreshness, type PriceRefusalError, type QuoteFreshnessLimits } from '../../domain/oracle-check.js';
import { TIMEFRAME_MS, type Candle, type Clock, type FundingPoint, type MarketInfo, type PriceFeed, type PriceQuote, type Timeframe, type Unsubscribe } from '../../domain/ports.js';
import { systemClock } from '../../adapters/system-clock.js';
import type { Logger } from '../../log.js';
import { AppError, ErrorCode, isAppError } from '../errors.js';
import type { MarketCatalog } from '../markets.js';
import { runBackfill, type BackfillResult, type BackfillRunOptions } from './backfill.js';
import { CandleStore, type CandleKey, type StoredCandle } from './candle-store.js';
import { MarketDataRecorder } from './recorder.js';
import { toMarketError } from './source-errors.js';
import type { MarketSources, ResolvedMarketMode } from './sources.js';
import { alignOpenTime, alignOpenTimeUp, parseTimeframe } from './timeframes.js';
import {
  candleView,
  fundingRateView,
  marketView,
  orderBookView,
  type CandleSeriesView,
  type FundingRateView,
  type MarketView,
  type OracleView,
  type OrderBookView,
  type PriceView,
  type SourceFailure,
  type VenueView,
} from './views.js';

/** Limits a price must pass to be used (reliability 11). */
export interface FreshnessSettings {
  /** Oldest acceptable oracle price; a market row's `staleness_threshold_seconds` overrides it. */
  oracleMaxAgeMs: number;
  /** Oldest acceptable venue ticker. */
  venueMaxAgeMs: number;
  /** Clock-skew allowance for prices published "in the future". */
  maxFutureMs: number;
  /** Widest acceptable oracle confidence as a fraction of the price (0.02 = ±2%). */
  maxConfidenceRatio: number;
}

export const DEFAULT_FRESHNESS: FreshnessSettings = {
  oracleMaxAgeMs: 60_000,
  venueMaxAgeMs: 60_000,
  maxFutureMs: 2_000,
  // The same default as the trading price guard, so a price usable for a fill is usable here.
  maxConfidenceRatio: 0.02,
};

export const MAX_PRICE_SYMBOLS = 20;
export const MAX_CANDLES = 1_000;
export const DEFAULT_CANDLES = 100;
export const MAX_BOOK_DEPTH = 100;

export type FeedRole = 'venue' | 'oracle';

export interface MarketServiceOptions {
  database: Database;
  catalog: MarketCatalog;
  /** The sources, or how to build them on first use (`MIKEY_MARKET=auto` probes there). */
  sources: MarketSources | (() => Promise<MarketSources>);
  /** `MIKEY_MARKET` as configured, reported until the sources are resolved. */
  configuredMode?: 'live' | 'sim' | 'auto';
  clock?: Clock;
  logger?: Logger;
  freshness?: Partial<FreshnessSettings>;
  /** Reloads the catalog for the sources' exchange after `loadMarkets` (the app passes DbMarketCatalog.load). */
  catalogLoader?: (exchange: string) => Promise<MarketCatalog>;
  /** Options for the tick/ticker recorder. */
  recorder?: { flushIntervalMs?: number; maxBuffer?: number };
}

/** Candles as domain objects, for the analysis and alert services. */
export interface CandleSeries {
  symbol: string;
  exchange: string;
  timeframe: Timeframe;
  simulated: boolean;
  candles: StoredCandle[];
}

export interface LoadMarketsResult {
  exchange: string;
  simulated: boolean;
  /** Markets the source lists. */
  listed: number;
  /** Rows written (live: inserted or updated; sim: only markets missing from the table). */
  written: number;
}

/** A `PriceFeed` whose target is resolved later (after the `auto` probe). */
class DeferredFeed implements PriceFeed {
  constructor(
    readonly name: string,
    private readonly target: () => Promise<PriceFeed>,
  ) {}

  async getQuote(symbol: string): Promise<PriceQuote> {
    return (await this.target()).getQuote(symbol);
  }

  async getQuotes(symbols: readonly string[]): Promise<PriceQuote[]> {
    return (await this.target()).getQuotes(symbols);
  }

  subscribe(symbols: readonly string[], onQuote: (q: PriceQuote) => void, opts?: { onError?: (err: Error) => void }): Unsubscribe {
    let cancelled = false;
    let inner: Unsubscribe | undefined;
    const report = (err: unknown): void => opts?.onError?.(err instanceof Error ? err : new Error(String(err)));
    this.target().then((feed) => {
      if (cancelled) return;
      try {
        inner = feed.subscribe(symbols, onQuote, opts);
      } catch (err) {
        // E.g. a symbol the simulated market does not list: reported, never an unhandled rejection.
        report(err);
      }
    }, report);
    return () => {
      cancelled = true;
      inner?.();
    };
  }
}

function failure(err: AppError): SourceFailure {
  return { error: { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) } };
}

function parseSince(since: Date | string | undefined): Date | undefined {
  if (since === undefined) return undefined;
  const d = since instanceof Date ? since : typeof since === 'string' && since.trim() !== '' ? new Date(since.trim()) : new Date(Number.NaN);
  if (Number.isNaN(d.getTime())) {
    throw new AppError(ErrorCode.invalidInput, `cannot read since "${String(since).slice(0, 40)}" as a date`, 'write it as an ISO date such as 2025-01-31 or 2025-01-31T12:00:00Z');
  }
  return d;
}

export class MarketService {
  readonly store: CandleStore;
  readonly freshness: FreshnessSettings;
  /** Venue prices (ccxt tickers in live mode, the simulated market in sim); every quote is recorded. */
  readonly venueFeed: PriceFeed;
  /** Oracle prices (Pyth in live mode, the simulated market in sim); Pyth ticks are recorded. */
  readonly oracleFeed: PriceFeed;
  private readonly database: Database;
  private readonly clock: Clock;
  private readonly logger: Logger | undefined;
  private currentCatalog: MarketCatalog;
  private sourcesPromise: Promise<MarketSources> | undefined;
  private resolved: MarketSources | undefined;
  private recorder: MarketDataRecorder | undefined;
  private recordedVenue: PriceFeed | undefined;
  private recordedOracle: PriceFeed | undefined;
  private closed = false;

  constructor(private readonly opts: MarketServiceOptions) {
    this.database = opts.database;
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger;
    this.currentCatalog = opts.catalog;
    this.freshness = { ...DEFAULT_FRESHNESS, ...opts.freshness };
    this.store = new CandleStore(opts.database);
    this.venueFeed = new DeferredFeed('venue', async () => (await this.readyInternal()).venue);
    this.oracleFeed = new DeferredFeed('oracle', async () => (await this.readyInternal()).oracle);
  }

  // ---------------------------------------------------------------------------------------------
  // Mode and sources
  // ---------------------------------------------------------------------------------------------

  /** `live` or `sim` once resolved; before that, what was configured (`auto` until the probe ran). */
  get mode(): ResolvedMarketMode | 'auto' {
    return this.resolved?.mode ?? this.opts.configuredMode ?? 'auto';
  }

  /** True when prices come from the simulated market (also before an `auto` probe has run). */
  get simulated(): boolean {
    return this.resolved ? this.resolved.simulated : this.mode !== 'live';
  }

  get catalog(): MarketCatalog {
    return this.currentCatalog;
  }

  /** Resolves the sources (runs the `auto` probe once) and returns the mode in use. */
  async ready(): Promise<{ mode: ResolvedMarketMode; simulated: boolean; exchange: string; description: string }> {
    const s = (await this.readyInternal()).sources;
    return { mode: s.mode, simulated: s.simulated, exchange: s.exchange, description: s.description };
  }

  private async readyInternal(): Promise<{ sources: MarketSources; venue: PriceFeed; oracle: PriceFeed }> {
    if (this.closed) throw new AppError(ErrorCode.unavailable, 'market data is shut down');
    this.sourcesPromise ??= (typeof this.opts.sources === 'function' ? this.opts.sources() : Promise.resolve(this.opts.sources)).then((s) => {
      this.resolved = s;
      this.recorder = new MarketDataRecorder(this.database.db, {
        defaultExchange: s.exchange,
        ...(this.logger ? { logger: this.logger } : {}),
        ...this.opts.recorder,
      });
      const recorder = this.recorder;
      this.recordedVenue = MarketDataRecorder.recording(s.venueFeed, (q) => recorder.recordVenue(q));
      this.recordedOracle = MarketDataRecorder.recording(s.oracleFeed, (q) => recorder.recordOracle(q));
      this.logger?.debug('market data sources ready', { mode: s.mode, description: s.description });
      return s;
    });
    const sources = await this.sourcesPromise;
    return { sources, venue: this.recordedVenue!, oracle: this.recordedOracle! };
  }

  /** Writes buffered ticks and tickers now. */
  async flush(): Promise<void> {
    await this.recorder?.flush();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Sources still being resolved (the auto probe) are closed once they exist.
    const sources = await this.sourcesPromise?.catch(() => undefined);
    await this.recorder?.close();
    await sources?.close();
  }

  // ---------------------------------------------------------------------------------------------
  // Symbols and markets
  // ---------------------------------------------------------------------------------------------

  /** The catalog's market for any spelling; `invalid_input` "unknown symbol X; did you mean …" otherwise. */
  resolveSymbol(symbol: unknown): Market {
    if (typeof symbol !== 'string' || symbol.trim() === '') {
      throw new AppError(ErrorCode.invalidInput, 'symbol is required', 'give a market such as BTC/USDT or SOL-PERP');
    }
    return this.currentCatalog.resolve(symbol);
  }

  /** Markets matching `query` by symbol or asset, best first: exact, prefix, contains, then close spellings. */
  searchMarkets(query: string, kind?: 'spot' | 'perp', limit = 20): MarketView[] {
    if (typeof query !== 'string' || query.trim() === '' || query.length > 40) {
      throw new AppError(ErrorCode.invalidInput, 'query must be 1–40 characters, e.g. "sol" or "BTC/USDT"');
    }
    if (kind !== undefined && kind !== 'spot' && kind !== 'perp') throw new AppError(ErrorCode.invalidInput, 'kind must be spot or perp');
    const max = Math.min(Math.max(Math.floor(limit), 1), 100);
    const q = query.toUpperCase().replace(/[^A-Z0-9]/g, '');
    const all = this.currentCatalog.list().filter((m) => kind === undefined || m.kind === kind);
    const compact = (s: string): string => s.toUpperCase().replace(/[^A-Z0-9]/g, '');
    const scored: Array<{ m: Market; score: number }> = [];
    for (const m of all) {
      const forms = [compact(m.symbol), compact(m.base), compact(`${m.base}${m.quote}`)];
      let score = Number.POSITIVE_INFINITY;
      if (q.length > 0) {
        if (forms.includes(q)) score = 0;
        else if (compact(m.base).startsWith(q)) score = 1;
        else if (forms.some((f) => f.startsWith(q))) score = 2;
        else if (forms.some((f) => f.includes(q))) score = 3;
      }
      if (Number.isFinite(score)) scored.push({ m, score: score + (m.kind === 'spot' ? 0 : 0.1) + (m.quote === 'USDT' ? 0 : 0.05) });
    }
    scored.sort((a, b) => a.score - b.score || a.m.symbol.localeCompare(b.m.symbol));
    const found = scored.map((s) => s.m);
    if (found.length < max) {
      for (const symbol of suggestMarkets(query, all, max)) {
        const m = all.find((x) => x.symbol === symbol);
        if (m && !found.includes(m)) found.push(m);
      }
    }
    return found.slice(0, max).map(marketView);
  }

  /**
   * Loads instrument metadata (tick, step, min/max size, min notional, leverage) from the source into
   * the `markets` table. Live: upserted (the venue's rules are the truth). Sim: only markets missing
   * from the table are added, so rules already in the table are never changed by the simulation.
   */
  async loadMarkets(): Promise<LoadMarketsResult> {
    const { sources } = await this.readyInternal();
    let infos: MarketInfo[];
    try {
      infos = await sources.data.listMarkets();
    } catch (err) {
      throw toMarketError(err, 'load the list of markets');
    }
    const rows = infos.filter(validMarketInfo).map(marketRow);
    let written = 0;
    for (let i = 0; i < rows.length; i += 500) {
      const chunk = rows.slice(i, i + 500);
      const insert = this.database.db.insert(marketsTable).values(chunk);
      const result = sources.mode === 'live'
        ? await insert
            .onConflictDoUpdate({
              target: [marketsTable.exchange, marketsTable.symbol],
              set: {
                baseAsset: sqlExcluded('base_asset'),
                quoteAsset: sqlExcluded('quote_asset'),
                kind: sqlExcluded('kind'),
                tickSize: sqlExcluded('tick_size'),
                stepSize: sqlExcluded('step_size'),
                minQty: sqlExcluded('min_qty'),
                maxQty: sqlExcluded('max_qty'),
                minNotional: sqlExcluded('min_notional'),
                maxLeverage: sqlExcluded('max_leverage'),
                isActive: true,
                updatedAt: this.clock.now(),
              },
            })
            .returning({ id: marketsTable.id })
        : await insert.onConflictDoNothing().returning({ id: marketsTable.id });
      written += result.length;
    }
    if (this.opts.catalogLoader) this.currentCatalog = await this.opts.catalogLoader(sources.exchange);
    else await (this.currentCatalog as { refresh?: () => Promise<void> }).refresh?.();
    return { exchange: sources.exchange, simulated: sources.simulated, listed: infos.length, written };
  }

  // ---------------------------------------------------------------------------------------------
  // Prices
  // ---------------------------------------------------------------------------------------------

  /** The freshness limits for one market and feed (a market row's staleness threshold wins). */
  limitsFor(symbol: string, role: FeedRole): QuoteFreshnessLimits {
    const marketLimit = role === 'oracle' ? this.currentCatalog.stalenessLimitMs(symbol) : undefined;
    return {
      maxAgeMs: marketLimit ?? (role === 'oracle' ? this.freshness.oracleMaxAgeMs : this.freshness.venueMaxAgeMs),
      maxFutureMs: this.freshness.maxFutureMs,
      ...(role === 'oracle' ? { maxConfidenceRatio: this.freshness.maxConfidenceRatio } : {}),
    };
  }

  /** Why `quote` may not be used now, or undefined when it may. */
  refusalOf(quote: PriceQuote, role: FeedRole): PriceRefusalError | undefined {
    const check = checkQuoteFreshness(quote, this.clock.now(), this.limitsFor(quote.symbol, role));
    return check.ok ? undefined : check.error;
  }

  /**
   * A price that passes the freshness checks, for fills, risk checks and alerts; otherwise a
   * `stale_price` error naming why (reliability 11).
   */
  async getUsableQuote(symbol: string, role: FeedRole): Promise<PriceQuote> {
    const market = this.resolveSymbol(symbol);
    const { venue, oracle } = await this.readyInternal();
    let quote: PriceQuote;
    try {
      quote = await (role === 'venue' ? venue : oracle).getQuote(market.symbol);
    } catch (err) {
      throw toMarketError(err, `get the ${role} price of ${market.symbol}`);
    }
    const refusal = this.refusalOf(quote, role);
    if (refusal) {
      throw new AppError(ErrorCode.stalePrice, refusal.message, 'try again in a moment; MIKEY does not act on a price it cannot trust', {
        ...refusal.details,
        refusal: refusal.code,
        feed: role,
      });
    }
    return quote;
  }

  /** Oracle and venue prices for 1–20 symbols, each with its age and freshness verdict. */
  async getPrices(symbols: readonly string[]): Promise<PriceView[]> {
    if (!Array.isArray(symbols) || symbols.length === 0 || symbols.length > MAX_PRICE_SYMBOLS) {
      throw new AppError(ErrorCode.invalidInput, `give 1 to ${MAX_PRICE_SYMBOLS} symbols`, 'for example ["BTC/USDT", "SOL-PERP"]');
    }
    const markets: Market[] = [];
    for (const s of symbols) {
      const m = this.resolveSymbol(s);
      if (!markets.some((x) => x.symbol === m.symbol)) markets.push(m);
    }
    const { sources, venue, oracle } = await this.readyInternal();
    const settle = (feed: PriceFeed, role: FeedRole): Promise<Array<PriceQuote | AppError>> =>
      Promise.all(
        markets.map((m) =>
          feed.getQuote(m.symbol).then(
            (q) => q,
            (err: unknown) => toMarketError(err, `get the ${role} price of ${m.symbol}`),
          ),
        ),
      );
    const [oracleQuotes, venueQuotes] = await Promise.all([settle(oracle, 'oracle'), settle(venue, 'venue')]);
    const now = this.clock.now().getTime();
    const views = markets.map((m, i) => this.priceView(m, oracleQuotes[i]!, venueQuotes[i]!, sources, now));
    await this.flush();
    return views;
  }

  private priceView(m: Market, o: PriceQuote | AppError, v: PriceQuote | AppError, sources: MarketSources, now: number): PriceView {
    const notes: string[] = [];
    if (sources.simulated) notes.push('simulated prices (MIKEY_MARKET=sim or no network): not real market data');
    let oracle: OracleView | SourceFailure;
    if (isAppError(o)) {
      oracle = failure(o);
      notes.push(`oracle: ${o.message}`);
    } else {
      const refusal = this.refusalOf(o, 'oracle');
      const extra = o as PriceQuote & { feedSymbol?: string; assumption?: string };
      oracle = {
        source: o.source === 'pyth' ? 'pyth' : 'sim',
        price: o.price.toFixed(),
        confidence: o.confidence?.toFixed() ?? null,
        publishTime: o.publishTime.toISOString(),
        ageMs: now - o.publishTime.getTime(),
        ...(extra.feedSymbol ? { feedSymbol: extra.feedSymbol } : {}),
        ...(extra.assumption ? { assumption: extra.assumption } : {}),
        fresh: refusal === undefined,
        ...(refusal ? { refusal: { code: refusal.code, message: refusal.message } } : {}),
      };
      if (extra.assumption) notes.push(extra.assumption);
      if (refusal) notes.push(`oracle price refused: ${refusal.message}`);
    }
    let venue: VenueView | SourceFailure;
    if (isAppError(v)) {
      venue = failure(v);
      notes.push(`venue: ${v.message}`);
    } else {
      const refusal = this.refusalOf(v, 'venue');
      const last = (v as { last?: Dec }).last;
      venue = {
        source: v.source === 'sim' ? 'sim' : 'exchange',
        exchange: (v as { exchange?: string }).exchange ?? sources.exchange,
        price: v.price.toFixed(),
        bid: v.bid?.toFixed() ?? null,
        ask: v.ask?.toFixed() ?? null,
        last: last?.toFixed() ?? null,
        publishTime: v.publishTime.toISOString(),
        ageMs: now - v.publishTime.getTime(),
        fresh: refusal === undefined,
        ...(refusal ? { refusal: { code: refusal.code, message: refusal.message } } : {}),
      };
      if (refusal) notes.push(`venue price refused: ${refusal.message}`);
    }
    const headline = 'fresh' in venue && venue.fresh ? { price: venue.price, from: 'venue' as const }
      : 'fresh' in oracle && oracle.fresh ? { price: oracle.price, from: 'oracle' as const }
        : undefined;
    return {
      symbol: m.symbol,
      kind: m.kind,
      simulated: sources.simulated,
      price: headline?.price ?? null,
      priceSource: headline?.from ?? null,
      fresh: headline !== undefined,
      oracle,
      venue,
      notes,
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Candles
  // ---------------------------------------------------------------------------------------------

  /** Candles for a tool or chat: `limit` (1–1000) bars, the latest or from `since`, decimals as strings. */
  async getCandles(symbol: string, timeframe: string, opts: { limit?: number; since?: Date | string } = {}): Promise<CandleSeriesView> {
    const series = await this.loadCandles(symbol, timeframe, opts);
    return {
      symbol: series.symbol,
      exchange: series.exchange,
      timeframe: series.timeframe,
      simulated: series.simulated,
      candles: series.candles.map(candleView),
    };
  }

  /**
   * Candles as domain objects, served from the store. Bars missing from the store in the asked range
   * (and a bar stored while still forming) are fetched from the source, stored, and read back.
   * `closedOnly` drops a bar that is still forming.
   */
  async loadCandles(
    symbol: string,
    timeframe: string,
    opts: { limit?: number; since?: Date | string; closedOnly?: boolean } = {},
  ): Promise<CandleSeries> {
    const tf = parseTimeframe(timeframe);
    const limit = opts.limit ?? DEFAULT_CANDLES;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_CANDLES) {
      throw new AppError(ErrorCode.invalidInput, `limit must be a whole number from 1 to ${MAX_CANDLES}`);
    }
    const since = parseSince(opts.since);
    const market = this.resolveSymbol(symbol);
    const { sources } = await this.readyInternal();
    const tfMs = TIMEFRAME_MS[tf];
    const now = this.clock.now();
    const current = alignOpenTime(now.getTime(), tf);
    let start: number;
    let end: number;
    if (since) {
      if (since.getTime() > now.getTime()) {
        throw new AppError(ErrorCode.invalidInput, `since ${since.toISOString()} is in the future`, 'give a time in the past');
      }
      start = alignOpenTimeUp(since.getTime(), tf);
      end = Math.min(start + (limit - 1) * tfMs, current);
    } else {
      end = current;
      start = end - (limit - 1) * tfMs;
    }
    const key: CandleKey = { symbol: market.symbol, exchange: sources.exchange, timeframe: tf };
    let stored = start <= end ? await this.store.range(key, new Date(start), new Date(end), limit) : [];
    const firstMissing = this.firstMissing(stored, start, end, tfMs);
    if (firstMissing !== undefined) {
      await this.fetchAndStore(sources, key, firstMissing, end, now);
      stored = await this.store.range(key, new Date(start), new Date(end), limit);
    }
    const candles = opts.closedOnly ? stored.filter((c) => c.openTime.getTime() + tfMs <= now.getTime()) : stored;
    return { symbol: market.symbol, exchange: sources.exchange, timeframe: tf, simulated: sources.simulated, candles };
  }

  /**
   * The closed candles opening in [from, to] (epoch ms), oldest first, read page by page (at most
   * MAX_CANDLES a page) through `loadCandles`, so what the store lacks is fetched and stored first.
   * `onPage` hears how many are loaded so far; `maxPages` bounds the reads. Backtests, sweeps,
   * predictions, their scoring and bots all read their windows through here.
   */
  async loadClosedRange(
    symbol: string,
    timeframe: Timeframe,
    from: number,
    to: number,
    opts: { onPage?: (loadedSoFar: number) => void; maxPages?: number } = {},
  ): Promise<{ candles: Candle[]; exchange: string; simulated: boolean }> {
    const tfMs = TIMEFRAME_MS[timeframe];
    const candles: Candle[] = [];
    let exchange = '';
    let simulated = true;
    const maxPages = opts.maxPages ?? Number.POSITIVE_INFINITY;
    for (let cursor = from, page = 0; cursor <= to && page < maxPages; cursor += MAX_CANDLES * tfMs, page++) {
      const limit = Math.min(MAX_CANDLES, Math.floor((to - cursor) / tfMs) + 1);
      const series = await this.loadCandles(symbol, timeframe, { since: new Date(cursor), limit, closedOnly: true });
      exchange = series.exchange;
      simulated = series.simulated;
      for (const c of series.candles) {
        const t = c.openTime.getTime();
        if (t >= cursor && t <= to && (candles.length === 0 || t > candles[candles.length - 1]!.openTime.getTime())) candles.push(c);
      }
      opts.onPage?.(candles.length);
    }
    return { candles, exchange, simulated };
  }

  /** The first open time in [start, end] that is not stored complete, if any. */
  private firstMissing(stored: readonly StoredCandle[], start: number, end: number, tfMs: number): number | undefined {
    let i = 0;
    for (let t = start; t <= end; t += tfMs) {
      while (i < stored.length && stored[i]!.openTime.getTime() < t) i++;
      const c = stored[i];
      if (!c || c.openTime.getTime() !== t || !c.complete) return t;
    }
    return undefined;
  }

  private async fetchAndStore(sources: MarketSources, key: CandleKey, from: number, end: number, now: Date): Promise<void> {
    const tfMs = TIMEFRAME_MS[key.timeframe];
    let cursor = from;
    while (cursor <= end) {
      const want = Math.min(MAX_CANDLES, Math.floor((end - cursor) / tfMs) + 1);
      let page: Candle[];
      try {
        page = await sources.data.getCandles(key.symbol, key.timeframe, { since: new Date(cursor), limit: want });
      } catch (err) {
        throw toMarketError(err, `load ${key.timeframe} candles for ${key.symbol}`);
      }
      const usable = page.filter((c) => c.openTime.getTime() >= cursor && c.openTime.getTime() <= end);
      if (usable.length === 0) return;
      await this.store.ingest(usable, { now });
      cursor = usable[usable.length - 1]!.openTime.getTime() + tfMs;
    }
  }

  /**
   * Pages `symbol`'s `timeframe` candles from `since` to now into the store (see backfill.ts).
   * Refuses an unsupported timeframe, an unreadable or future `since`, and an unknown symbol before
   * anything is fetched.
   */
  async backfill(input: { symbol: string; timeframe: string; since: Date | string }, opts: BackfillRunOptions = {}): Promise<BackfillResult> {
    const { timeframe, since } = this.checkBackfillRequest(input);
    const market = this.resolveSymbol(input.symbol);
    const { sources } = await this.readyInternal();
    return runBackfill(
      { store: this.store, source: sources.data, exchange: sources.exchange, simulated: sources.simulated, clock: this.clock },
      { symbol: market.symbol, timeframe, since },
      opts,
    );
  }

  /** The timeframe and start of a backfill, or the error naming what is wrong (no source is touched). */
  checkBackfillRequest(input: { timeframe: string; since: Date | string }): { timeframe: Timeframe; since: Date } {
    const timeframe = parseTimeframe(input.timeframe);
    const since = parseSince(input.since);
    if (!since) throw new AppError(ErrorCode.invalidInput, 'since is required', 'give the first day to load, e.g. 2025-01-01');
    if (since.getTime() > this.clock.now().getTime()) {
      throw new AppError(ErrorCode.invalidInput, `since ${since.toISOString().slice(0, 10)} is in the future`, 'give a date in the past');
    }
    return { timeframe, since };
  }

  // ---------------------------------------------------------------------------------------------
  // Books and funding
  // ---------------------------------------------------------------------------------------------

  /** The order book, `depth` (1–100) levels a side; every answer is stored as a snapshot row. */
  async getOrderBook(symbol: string, depth = 10): Promise<OrderBookView> {
    if (!Number.isInteger(depth) || depth < 1 || depth > MAX_BOOK_DEPTH) {
      throw new AppError(ErrorCode.invalidInput, `depth must be a whole number from 1 to ${MAX_BOOK_DEPTH}`);
    }
    const market = this.resolveSymbol(symbol);
    const { sources } = await this.readyInternal();
    let book;
    try {
      book = await sources.data.getOrderBook(market.symbol, depth);
    } catch (err) {
      throw toMarketError(err, `load the order book for ${market.symbol}`);
    }
    const [row] = await this.database.db
      .insert(orderBookSnapshots)
      .values({
        symbol: market.symbol,
        exchange: book.exchange,
        bids: book.bids.map(([p, s]) => [p.toFixed(), s.toFixed()] as [string, string]),
        asks: book.asks.map(([p, s]) => [p.toFixed(), s.toFixed()] as [string, string]),
        capturedAt: book.timestamp,
      })
      .returning({ id: orderBookSnapshots.id });
    return orderBookView({ ...book, symbol: market.symbol }, sources.simulated, row!.id);
  }

  /**
   * The funding paid on a perpetual at each funding time in (from, to], from the market data source
   * (the exchange's history, or the simulated market's); null when the source keeps none. Not stored.
   */
  async fundingHistory(symbol: string, from: Date, to: Date): Promise<{ points: FundingPoint[]; exchange: string; simulated: boolean } | null> {
    const market = this.resolveSymbol(symbol);
    if (market.kind !== 'perp') throw new AppError(ErrorCode.invalidInput, `funding applies to perpetuals; ${market.symbol} is a spot market`);
    const { sources } = await this.readyInternal();
    if (sources.data.getFundingHistory === undefined) return null;
    try {
      return { points: await sources.data.getFundingHistory(market.symbol, from, to), exchange: sources.exchange, simulated: sources.simulated };
    } catch (err) {
      throw toMarketError(err, `load the funding history of ${market.symbol}`);
    }
  }

  /**
   * The rate paid at the funding time `at` (a payment within a minute of it: venues stamp theirs a
   * few milliseconds late), from the source's history; null when the source keeps none or has no
   * payment there.
   */
  async fundingPaidAt(symbol: string, at: Date): Promise<Dec | null> {
    const history = await this.fundingHistory(symbol, new Date(at.getTime() - 60_000), new Date(at.getTime() + 60_000));
    if (history === null) return null;
    let best: FundingPoint | null = null;
    for (const p of history.points) if (best === null || Math.abs(p.at.getTime() - at.getTime()) < Math.abs(best.at.getTime() - at.getTime())) best = p;
    return best?.rate ?? null;
  }

  /** The current funding rate of a perpetual; a spot symbol is refused naming the perpetual to ask for. */
  async getFundingRate(symbol: string): Promise<FundingRateView> {
    const market = this.resolveSymbol(symbol);
    if (market.kind !== 'perp') {
      const perp = this.currentCatalog.list().find((m) => m.kind === 'perp' && m.base === market.base);
      throw new AppError(
        ErrorCode.invalidInput,
        `funding applies to perpetuals; ${market.symbol} is a spot market`,
        perp ? `ask for ${perp.symbol}` : 'search the perpetual markets with search-markets (kind perp)',
      );
    }
    const { sources } = await this.readyInternal();
    try {
      return fundingRateView(await sources.data.getFundingRate(market.symbol), sources.exchange, sources.simulated);
    } catch (err) {
      throw toMarketError(err, `load the funding rate for ${market.symbol}`);
    }
  }
}

// -----------------------------------------------------------------------------------------------
// Markets table rows
// -----------------------------------------------------------------------------------------------

function validMarketInfo(m: MarketInfo): boolean {
  return (
    m.tickSize.gt(0) &&
    m.stepSize.gt(0) &&
    m.minQty.gte(0) &&
    m.minNotional.gte(0) &&
    (m.maxQty === undefined || m.maxQty.gte(m.minQty)) &&
    m.symbol.length <= 40
  );
}

function marketRow(m: MarketInfo): typeof marketsTable.$inferInsert {
  return {
    symbol: m.symbol,
    exchange: m.exchange,
    baseAsset: m.base,
    quoteAsset: m.quote,
    kind: m.kind,
    tickSize: m.tickSize.toFixed(),
    stepSize: m.stepSize.toFixed(),
    minQty: m.minQty.toFixed(),
    maxQty: m.maxQty ? m.maxQty.toFixed() : null,
    minNotional: m.minNotional.toFixed(),
    maxLeverage: m.kind === 'perp' ? Math.max(1, Math.floor(m.maxLeverage ?? 1)) : 1,
  };
}

function sqlExcluded(column: string): SQL {
  return sql.raw(`excluded.${column}`);
}
