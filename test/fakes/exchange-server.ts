// A small Binance REST server on 127.0.0.1 speaking Binance's wire format for the public calls MIKEY
// makes through ccxt, so the real ccxt client can be pointed at it (urls.api rewritten to `url`):
//
//   spot (/api/v3):   exchangeInfo, ticker/24hr, ticker/bookTicker, depth, klines, ping, time
//   USDⓈ-M (/fapi/v1): exchangeInfo, ticker/24hr, ticker/bookTicker, depth, klines, premiumIndex, fundingRate (history), time
//   COIN-M (/dapi/v1): exchangeInfo (empty)
//
// With API keys (`accounts`) it also serves the signed private endpoints (binance-account.ts holds the
// state and matching, binance-account-auth.ts the signature check):
//
//   spot (/api/v3):   account, order (POST/GET/DELETE), openOrders, allOrders, myTrades
//   USDⓈ-M (/fapi):   v1 order (POST/GET/DELETE), openOrders, allOrders, userTrades, leverage, marginType,
//                     leverageBracket, algoOrder/openAlgoOrders/allAlgoOrders (conditional orders, where
//                     ccxt ≥ 4.5 sends stops), v2/v3 account, v2/v3 balance, v2/v3 positionRisk
//   /sapi/v1:         capital/config/getall, margin/allPairs, margin/isolated/allPairs (ccxt's loadMarkets
//                     calls them once keys are set, unless options.fetchCurrencies/fetchMargins are false)
//
// Errors come in Binance's {"code":-1121,"msg":"Invalid symbol."} shape with the right HTTP status.
// Every answer carries the used request weight of the current minute (x-mbx-used-weight-1m).
// Knobs: inject failures (429 with Retry-After, 418 ban, 5xx, any {code,msg}), delay answers past a
// client timeout, lose answers after processing the request, hide orders from lookups, move prices
// (which triggers stops and fills resting orders), fill orders by hand. Every request is recorded.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { D, type Dec } from '../../src/domain/money.js';
import { BinancePrivateState, type FakeAccountSpec, type FakeBalanceView, type FakeOrderView, type FakePositionView, type FakeTradeView, type FakeVenue } from './binance-account.js';
import { verifySignedRequest } from './binance-account-auth.js';
import { BinanceRejection } from './binance-account-errors.js';

export type { FakeAccountSpec, FakeBalanceView, FakeOrderView, FakePositionView, FakeTradeView, FakeVenue } from './binance-account.js';

export interface FakeMarket {
  /** Binance id, e.g. "BTCUSDT". */
  symbol: string;
  base: string;
  quote: string;
  tickSize: string;
  stepSize: string;
  minQty: string;
  maxQty: string;
  minNotional: string;
  /** Mid price (decimal string). */
  price: string;
  /** Perpetuals only: funding rate per interval, e.g. "0.00010000". */
  fundingRate?: string;
}

export interface FakeExchangeOptions {
  spot?: FakeMarket[];
  perps?: FakeMarket[];
  /** Wall clock (ms) for timestamps and the newest candle. Default Date.now. */
  now?: () => number;
  /** Candles exist from this time on (ms). Default: 30 days before `now()` at start. */
  klinesFrom?: number;
  /**
   * API keys the private endpoints accept, with their starting balances. Signed requests are checked
   * against `now()`: with a manual clock, align the client (ccxt `options.timeDifference`).
   */
  accounts?: FakeAccountSpec[];
}

export interface FakeExchangeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  status: number;
  receivedAt: number;
  /** Form body of POST/PUT/DELETE requests, decoded (private endpoints). */
  body?: Record<string, string>;
  /** The request was processed but its answer withheld (`loseResponses`). */
  lost?: boolean;
}

export interface FakeExchangeFailure {
  status: number;
  /** Binance error code and message; sent as {"code":…,"msg":…}. */
  code?: number;
  msg?: string;
  /** Raw body instead of {code,msg}. */
  body?: string;
  /** Only requests to this path (e.g. "/api/v3/depth"). */
  path?: string;
  /** Only requests with this method (e.g. "POST"). */
  method?: string;
  /** Carry the request out first (create the order…), then answer with this failure instead. */
  afterProcessing?: boolean;
  count?: number;
  headers?: Record<string, string>;
}

export interface FakePrivateView {
  /** Every order the venue accepted (all keys, or one key's), oldest first. */
  orders(apiKey?: string): FakeOrderView[];
  /** Every trade, oldest first. */
  trades(apiKey?: string): FakeTradeView[];
  /** Spot: free and locked per asset; futures: wallet balance per asset (as `free`). */
  balances(apiKey: string, venue: FakeVenue): Record<string, FakeBalanceView>;
  /** Open USDⓈ-M positions (non-zero). */
  positions(apiKey: string): FakePositionView[];
}

export interface FakeExchange {
  url: string;
  requests: FakeExchangeRequest[];
  requestsTo(path: string): FakeExchangeRequest[];
  failNext(f: FakeExchangeFailure): void;
  delayNext(ms: number, opts?: { path?: string; count?: number }): void;
  clearInjected(): void;
  /** Moves a market's price; resting orders it crosses fill and stops it crosses trigger. */
  setPrice(symbol: string, price: string, kind?: 'spot' | 'perp'): void;
  close(): Promise<void>;

  // --- private endpoints ---
  /** Same as failNext (any status/code/msg/headers, optionally per path and method). */
  injectFailure(f: FakeExchangeFailure): void;
  /** Binance error shortcut: e.g. failWith(-1006, 'An unexpected response…', { path: '/api/v3/order' }). HTTP status from the code unless given. */
  failWith(code: number, msg: string, opts?: { path?: string; method?: string; count?: number; status?: number; afterProcessing?: boolean }): void;
  /** The next `count` matching requests are processed (an order is created) but never answered. */
  loseResponses(opts: { path: string; method?: string; count?: number }): void;
  /** The next `lookups` order lookups (GET order, openOrders, allOrders) behave as if the order did not exist; Infinity = only myTrades shows it. */
  hideOrder(clientOrderId: string, lookups: number): void;
  /** Fills the newest open order with this client id (several calls for partial fills). */
  fill(clientOrderId: string, opts?: { quantity?: string; price?: string }): FakeTradeView;
  addAccount(spec: FakeAccountSpec): void;
  setBalance(apiKey: string, venue: FakeVenue, asset: string, amount: string): void;
  /** Sets the used request weight of the current minute (both families unless `family` is given). */
  setUsedWeight(n: number, family?: 'spot' | 'futures'): void;
  usedWeight(family: 'spot' | 'futures'): number;
  readonly private: FakePrivateView;
}

export function defaultSpotMarkets(): FakeMarket[] {
  return [
    { symbol: 'BTCUSDT', base: 'BTC', quote: 'USDT', tickSize: '0.01000000', stepSize: '0.00001000', minQty: '0.00001000', maxQty: '9000.00000000', minNotional: '5.00000000', price: '65000.00' },
    { symbol: 'ETHUSDT', base: 'ETH', quote: 'USDT', tickSize: '0.01000000', stepSize: '0.00010000', minQty: '0.00010000', maxQty: '9000.00000000', minNotional: '5.00000000', price: '3450.12' },
    { symbol: 'SOLUSDT', base: 'SOL', quote: 'USDT', tickSize: '0.01000000', stepSize: '0.00100000', minQty: '0.00100000', maxQty: '90000.00000000', minNotional: '5.00000000', price: '151.23' },
    { symbol: 'DOGEUSDT', base: 'DOGE', quote: 'USDT', tickSize: '0.00001000', stepSize: '1.00000000', minQty: '1.00000000', maxQty: '9000000.00000000', minNotional: '1.00000000', price: '0.12345' },
    { symbol: 'ETHBTC', base: 'ETH', quote: 'BTC', tickSize: '0.00001000', stepSize: '0.00010000', minQty: '0.00010000', maxQty: '100000.00000000', minNotional: '0.00010000', price: '0.05308' },
  ];
}

export function defaultPerpMarkets(): FakeMarket[] {
  return [
    { symbol: 'BTCUSDT', base: 'BTC', quote: 'USDT', tickSize: '0.10', stepSize: '0.001', minQty: '0.001', maxQty: '1000', minNotional: '100', price: '65010.0', fundingRate: '0.00010000' },
    { symbol: 'ETHUSDT', base: 'ETH', quote: 'USDT', tickSize: '0.01', stepSize: '0.001', minQty: '0.001', maxQty: '10000', minNotional: '20', price: '3451.00', fundingRate: '-0.00003125' },
  ];
}

interface Injected extends FakeExchangeFailure {
  remaining: number;
}

const INTERVALS: Record<string, number> = {
  '1m': 60_000, '3m': 180_000, '5m': 300_000, '15m': 900_000, '30m': 1_800_000, '1h': 3_600_000, '2h': 7_200_000,
  '4h': 14_400_000, '6h': 21_600_000, '8h': 28_800_000, '12h': 43_200_000, '1d': 86_400_000, '3d': 259_200_000, '1w': 604_800_000,
};
/** Binance weeks open on Monday 00:00 UTC; 1970-01-05 was the first Monday. */
const WEEK_OFFSET = 4 * 86_400_000;
const FAPI_DEPTHS = [5, 10, 20, 50, 100, 500, 1000];

function decimalsOf(s: string): number {
  const d = new D(s);
  return Math.max(0, d.decimalPlaces());
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

export async function startFakeExchange(opts: FakeExchangeOptions = {}): Promise<FakeExchange> {
  const now = opts.now ?? Date.now;
  const spot = new Map((opts.spot ?? defaultSpotMarkets()).map((m) => [m.symbol, { ...m }]));
  const perps = new Map((opts.perps ?? defaultPerpMarkets()).map((m) => [m.symbol, { ...m }]));
  const klinesFrom = opts.klinesFrom ?? now() - 30 * 86_400_000;
  const requests: FakeExchangeRequest[] = [];
  const failures: Injected[] = [];
  const delays: Array<{ ms: number; path?: string; remaining: number }> = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let updateId = 1_000_000;
  const lost: Array<{ path: string; method?: string; remaining: number }> = [];
  const swallowed = new WeakSet<ServerResponse>();
  const weight = { spot: { window: -1, used: 0 }, futures: { window: -1, used: 0 } };
  const priv = new BinancePrivateState({
    now,
    spotMarket: (symbol) => spot.get(symbol),
    perpMarket: (symbol) => perps.get(symbol),
    spotMarkets: () => [...spot.values()],
    perpMarkets: () => [...perps.values()],
  });
  for (const a of opts.accounts ?? []) priv.addAccount(a);

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    if (swallowed.has(res)) return; // processed, answer lost: the client times out and hangs up
    res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
  const binanceError = (res: ServerResponse, status: number, code: number, msg: string) => send(res, status, { code, msg });

  const take = <T extends { path?: string; method?: string; remaining: number }>(list: T[], path: string, method = 'GET'): T | undefined => {
    const i = list.findIndex((x) => (x.path === undefined || x.path === path) && (x.method === undefined || x.method.toUpperCase() === method));
    if (i < 0) return undefined;
    const item = list[i]!;
    item.remaining--;
    if (item.remaining <= 0) list.splice(i, 1);
    return item;
  };

  const fmt = (d: Dec, places: number) => d.toFixed(places);
  const priceDecimals = (m: FakeMarket, isPerp: boolean) => (isPerp ? decimalsOf(m.tickSize) : 8);

  // --- exchangeInfo --------------------------------------------------------------------------
  const spotSymbol = (m: FakeMarket) => ({
    symbol: m.symbol,
    status: 'TRADING',
    baseAsset: m.base,
    baseAssetPrecision: 8,
    quoteAsset: m.quote,
    quotePrecision: 8,
    quoteAssetPrecision: 8,
    baseCommissionPrecision: 8,
    quoteCommissionPrecision: 8,
    orderTypes: ['LIMIT', 'LIMIT_MAKER', 'MARKET', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'],
    icebergAllowed: true,
    ocoAllowed: true,
    otoAllowed: true,
    quoteOrderQtyMarketAllowed: true,
    allowTrailingStop: true,
    cancelReplaceAllowed: true,
    isSpotTradingAllowed: true,
    isMarginTradingAllowed: true,
    filters: [
      { filterType: 'PRICE_FILTER', minPrice: m.tickSize, maxPrice: '1000000.00000000', tickSize: m.tickSize },
      { filterType: 'LOT_SIZE', minQty: m.minQty, maxQty: m.maxQty, stepSize: m.stepSize },
      { filterType: 'ICEBERG_PARTS', limit: 10 },
      { filterType: 'MARKET_LOT_SIZE', minQty: '0.00000000', maxQty: '100.00000000', stepSize: '0.00000000' },
      { filterType: 'TRAILING_DELTA', minTrailingAboveDelta: 10, maxTrailingAboveDelta: 2000, minTrailingBelowDelta: 10, maxTrailingBelowDelta: 2000 },
      { filterType: 'PERCENT_PRICE_BY_SIDE', bidMultiplierUp: '5', bidMultiplierDown: '0.2', askMultiplierUp: '5', askMultiplierDown: '0.2', avgPriceMins: 5 },
      { filterType: 'NOTIONAL', minNotional: m.minNotional, applyMinToMarket: true, maxNotional: '9000000.00000000', applyMaxToMarket: false, avgPriceMins: 5 },
      { filterType: 'MAX_NUM_ORDERS', maxNumOrders: 200 },
      { filterType: 'MAX_NUM_ALGO_ORDERS', maxNumAlgoOrders: 5 },
    ],
    permissions: [],
    permissionSets: [['SPOT', 'MARGIN']],
    defaultSelfTradePreventionMode: 'EXPIRE_MAKER',
    allowedSelfTradePreventionModes: ['EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH'],
  });
  const perpSymbol = (m: FakeMarket) => ({
    symbol: m.symbol,
    pair: m.symbol,
    contractType: 'PERPETUAL',
    deliveryDate: 4133404800000,
    onboardDate: 1569398400000,
    status: 'TRADING',
    maintMarginPercent: '2.5000',
    requiredMarginPercent: '5.0000',
    baseAsset: m.base,
    quoteAsset: m.quote,
    marginAsset: m.quote,
    pricePrecision: decimalsOf(m.tickSize),
    quantityPrecision: decimalsOf(m.stepSize),
    baseAssetPrecision: 8,
    quotePrecision: 8,
    underlyingType: 'COIN',
    underlyingSubType: ['PoW'],
    triggerProtect: '0.0500',
    liquidationFee: '0.012500',
    marketTakeBound: '0.05',
    maxMoveOrderLimit: 10000,
    filters: [
      { minPrice: m.tickSize, maxPrice: '4529764', filterType: 'PRICE_FILTER', tickSize: m.tickSize },
      { stepSize: m.stepSize, filterType: 'LOT_SIZE', maxQty: m.maxQty, minQty: m.minQty },
      { stepSize: m.stepSize, filterType: 'MARKET_LOT_SIZE', maxQty: '120', minQty: m.minQty },
      { limit: 200, filterType: 'MAX_NUM_ORDERS' },
      { limit: 10, filterType: 'MAX_NUM_ALGO_ORDERS' },
      { notional: m.minNotional, filterType: 'MIN_NOTIONAL' },
      { multiplierDown: '0.9500', multiplierUp: '1.0500', multiplierDecimal: '4', filterType: 'PERCENT_PRICE' },
    ],
    orderTypes: ['LIMIT', 'MARKET', 'STOP', 'STOP_MARKET', 'TAKE_PROFIT', 'TAKE_PROFIT_MARKET', 'TRAILING_STOP_MARKET'],
    timeInForce: ['GTC', 'IOC', 'FOK', 'GTX', 'GTD'],
  });
  const rateLimits = [
    { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 },
    { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 100 },
  ];

  // --- prices ----------------------------------------------------------------------------------
  const book = (m: FakeMarket, isPerp: boolean, depth: number) => {
    const tick = new D(m.tickSize);
    const step = new D(m.stepSize);
    const mid = new D(m.price);
    const places = priceDecimals(m, isPerp);
    const qtyPlaces = isPerp ? decimalsOf(m.stepSize) : 8;
    const bestBid = mid.div(tick).floor().mul(tick).eq(mid) ? mid.minus(tick) : mid.div(tick).floor().mul(tick);
    const bestAsk = bestBid.plus(tick.mul(2));
    const bids: string[][] = [];
    const asks: string[][] = [];
    for (let i = 0; i < depth; i++) {
      bids.push([fmt(bestBid.minus(tick.mul(i)), places), fmt(step.mul((i + 1) * 10), qtyPlaces)]);
      asks.push([fmt(bestAsk.plus(tick.mul(i)), places), fmt(step.mul((i + 2) * 10), qtyPlaces)]);
    }
    return { bids, asks, bestBid: fmt(bestBid, places), bestAsk: fmt(bestAsk, places), bidQty: bids[0]?.[1] ?? '0', askQty: asks[0]?.[1] ?? '0' };
  };

  const ticker24 = (m: FakeMarket, isPerp: boolean) => {
    const t = now();
    const places = priceDecimals(m, isPerp);
    const last = new D(m.price);
    const open = last.mul('0.98');
    const common = {
      symbol: m.symbol,
      priceChange: fmt(last.minus(open), places),
      priceChangePercent: '2.041',
      weightedAvgPrice: fmt(last.mul('0.99'), places),
      lastPrice: fmt(last, places),
      lastQty: isPerp ? m.minQty : new D(m.minQty).toFixed(8),
      openPrice: fmt(open, places),
      highPrice: fmt(last.mul('1.01'), places),
      lowPrice: fmt(last.mul('0.97'), places),
      volume: '12345.67800000',
      quoteVolume: fmt(last.mul('12345.678'), 8),
      openTime: t - 86_400_000,
      closeTime: t,
      firstId: 100,
      lastId: 20_100,
      count: 20_001,
    };
    if (isPerp) return common;
    const b = book(m, false, 1);
    return { ...common, prevClosePrice: fmt(open, places), bidPrice: b.bestBid, bidQty: b.bidQty, askPrice: b.bestAsk, askQty: b.askQty };
  };

  const bookTicker = (m: FakeMarket, isPerp: boolean) => {
    const b = book(m, isPerp, 1);
    const base = { symbol: m.symbol, bidPrice: b.bestBid, bidQty: b.bidQty, askPrice: b.bestAsk, askQty: b.askQty };
    return isPerp ? { ...base, time: now(), lastUpdateId: ++updateId } : base;
  };

  /** Deterministic bars: the same symbol, interval and open time always give the same candle. */
  const kline = (m: FakeMarket, isPerp: boolean, openTime: number, intervalMs: number) => {
    const places = priceDecimals(m, isPerp);
    const tick = new D(m.tickSize);
    const mid = new D(m.price);
    const wobble = (hash(`${m.symbol}:${openTime}`) % 2001) - 1000; // -1000…1000
    const close = mid.mul(new D(1).plus(new D(wobble).div(100_000))).div(tick).floor().mul(tick);
    const open = mid.mul(new D(1).minus(new D(wobble).div(200_000))).div(tick).floor().mul(tick);
    const high = D.max(open, close).plus(tick.mul(3));
    const low = D.min(open, close).minus(tick.mul(3));
    const volume = new D(hash(`v:${m.symbol}:${openTime}`) % 100_000).div(100);
    return [
      openTime, fmt(open, places), fmt(high, places), fmt(low, places), fmt(close, places), fmt(volume, 8),
      openTime + intervalMs - 1, fmt(volume.mul(close), 8), 100 + (hash(`n:${openTime}`) % 900), fmt(volume.div(2), 8), fmt(volume.div(2).mul(close), 8), '0',
    ];
  };

  const align = (t: number, intervalMs: number) =>
    intervalMs === INTERVALS['1w'] ? Math.floor((t - WEEK_OFFSET) / intervalMs) * intervalMs + WEEK_OFFSET : Math.floor(t / intervalMs) * intervalMs;

  const klines = (m: FakeMarket, isPerp: boolean, q: Record<string, string>) => {
    const intervalMs = INTERVALS[q['interval'] ?? ''];
    if (intervalMs === undefined) return undefined;
    const maxLimit = isPerp ? 1500 : 1000;
    const limit = Math.min(Number(q['limit'] ?? 500) || 500, maxLimit);
    const first = align(klinesFrom, intervalMs) + (align(klinesFrom, intervalMs) < klinesFrom ? intervalMs : 0);
    const newest = align(now(), intervalMs);
    const end = q['endTime'] !== undefined ? Math.min(align(Number(q['endTime']), intervalMs), newest) : newest;
    let start: number;
    if (q['startTime'] !== undefined) {
      const s = Number(q['startTime']);
      start = Math.max(first, align(s, intervalMs) + (align(s, intervalMs) < s ? intervalMs : 0));
    } else {
      start = Math.max(first, end - (limit - 1) * intervalMs);
    }
    const rows: unknown[] = [];
    for (let t = start; t <= end && rows.length < limit; t += intervalMs) rows.push(kline(m, isPerp, t, intervalMs));
    return rows;
  };

  const premium = (m: FakeMarket) => {
    const t = now();
    const mark = new D(m.price);
    return {
      symbol: m.symbol,
      markPrice: mark.toFixed(8),
      indexPrice: mark.mul('0.9999').toFixed(8),
      estimatedSettlePrice: mark.mul('0.9998').toFixed(8),
      lastFundingRate: m.fundingRate ?? '0.00010000',
      interestRate: '0.00010000',
      nextFundingTime: Math.ceil(t / 28_800_000) * 28_800_000,
      time: t,
    };
  };

  // --- routing ---------------------------------------------------------------------------------
  const route = (res: ServerResponse, path: string, q: Record<string, string>): void => {
    const isPerp = path.startsWith('/fapi/');
    const isSpot = path.startsWith('/api/v3/');
    const markets = isPerp ? perps : spot;
    const endpoint = path.replace(/^\/(api\/v3|fapi\/v1|dapi\/v1)\//, '');
    const one = (): FakeMarket | undefined => (q['symbol'] !== undefined ? markets.get(q['symbol']) : undefined);
    const many = (): FakeMarket[] | undefined => {
      if (q['symbols'] === undefined) return [...markets.values()];
      let ids: unknown;
      try {
        ids = JSON.parse(q['symbols']);
      } catch {
        return undefined;
      }
      if (!Array.isArray(ids)) return undefined;
      const list = ids.map((id) => markets.get(String(id)));
      return list.every((m): m is FakeMarket => m !== undefined) ? list : undefined;
    };
    const invalidSymbol = () => binanceError(res, 400, -1121, 'Invalid symbol.');

    if (path === '/dapi/v1/exchangeInfo') return send(res, 200, { timezone: 'UTC', serverTime: now(), rateLimits, exchangeFilters: [], symbols: [] });
    if (!isPerp && !isSpot) return send(res, 404, '<html><body><h2>404 Not found</h2></body></html>', { 'content-type': 'text/html' });

    switch (endpoint) {
      case 'ping':
        return send(res, 200, {});
      case 'time':
        return send(res, 200, { serverTime: now() });
      case 'exchangeInfo':
        return send(res, 200, {
          timezone: 'UTC',
          serverTime: now(),
          rateLimits,
          exchangeFilters: [],
          ...(isPerp ? { futuresType: 'U_MARGINED', assets: [] } : {}),
          symbols: [...markets.values()].map((m): unknown => (isPerp ? perpSymbol(m) : spotSymbol(m))),
        });
      case 'ticker/24hr': {
        if (q['symbol'] !== undefined) {
          const m = one();
          return m ? send(res, 200, ticker24(m, isPerp)) : invalidSymbol();
        }
        const list = many();
        return list ? send(res, 200, list.map((m) => ticker24(m, isPerp))) : invalidSymbol();
      }
      case 'ticker/bookTicker': {
        if (q['symbol'] !== undefined) {
          const m = one();
          return m ? send(res, 200, bookTicker(m, isPerp)) : invalidSymbol();
        }
        const list = many();
        return list ? send(res, 200, list.map((m) => bookTicker(m, isPerp))) : invalidSymbol();
      }
      case 'depth': {
        const m = one();
        if (!m) return q['symbol'] === undefined ? binanceError(res, 400, -1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.") : invalidSymbol();
        const limit = Number(q['limit'] ?? (isPerp ? 500 : 100));
        if (isPerp && !FAPI_DEPTHS.includes(limit)) return binanceError(res, 400, -1130, "Data sent for parameter 'limit' is not valid.");
        const b = book(m, isPerp, Math.min(limit, 5000));
        const t = now();
        return send(res, 200, isPerp ? { lastUpdateId: ++updateId, E: t, T: t - 2, bids: b.bids, asks: b.asks } : { lastUpdateId: ++updateId, bids: b.bids, asks: b.asks });
      }
      case 'klines': {
        const m = one();
        if (!m) return invalidSymbol();
        const rows = klines(m, isPerp, q);
        return rows ? send(res, 200, rows) : binanceError(res, 400, -1120, 'Invalid interval.');
      }
      case 'fundingRate': {
        // Funding history: every 8 hours at the market's rate, from startTime (else the latest `limit`) to endTime (else now).
        if (!isPerp) break;
        const m = one();
        if (!m) return invalidSymbol();
        const limit = Math.min(Number(q['limit'] ?? 100), 1000);
        const EIGHT_HOURS = 8 * 3_600_000;
        const end = Math.min(Number(q['endTime'] ?? now()), now());
        const first = q['startTime'] !== undefined ? Math.ceil(Number(q['startTime']) / EIGHT_HOURS) * EIGHT_HOURS : (Math.floor(end / EIGHT_HOURS) - limit + 1) * EIGHT_HOURS;
        const rows: Array<Record<string, unknown>> = [];
        for (let t = first; t <= end && rows.length < limit; t += EIGHT_HOURS) rows.push({ symbol: m.symbol, fundingTime: t, fundingRate: m.fundingRate ?? '0.00010000', markPrice: m.price });
        return send(res, 200, rows);
      }
      case 'premiumIndex': {
        if (!isPerp) break;
        if (q['symbol'] !== undefined) {
          const m = one();
          return m ? send(res, 200, premium(m)) : invalidSymbol();
        }
        return send(res, 200, [...perps.values()].map(premium));
      }
      default:
        break;
    }
    return send(res, 404, '<html><body><h2>404 Not found</h2></body></html>', { 'content-type': 'text/html' });
  };

  // --- request weight ----------------------------------------------------------------------------
  const familyOf = (path: string): 'spot' | 'futures' => (path.startsWith('/fapi/') || path.startsWith('/dapi/') ? 'futures' : 'spot');
  const currentWeight = (family: 'spot' | 'futures') => {
    const w = weight[family];
    const window = Math.floor(now() / 60_000);
    if (w.window !== window) {
      w.window = window;
      w.used = 0;
    }
    return w;
  };
  const weightOf = (method: string, path: string, q: Record<string, string>): number => {
    const endpoint = path.replace(/^\/(api\/v3|fapi\/v[123]|dapi\/v1|sapi\/v1)\//, '');
    if (path.startsWith('/fapi/')) {
      if (endpoint === 'openOrders' && q['symbol'] === undefined) return 40;
      if (['account', 'balance', 'positionRisk', 'allOrders', 'userTrades', 'allAlgoOrders'].includes(endpoint)) return 5;
      return endpoint === 'order' && method === 'POST' ? 0 : 1;
    }
    switch (endpoint) {
      case 'exchangeInfo':
      case 'account':
      case 'allOrders':
      case 'myTrades':
        return 20;
      case 'openOrders':
        return q['symbol'] === undefined ? 80 : 6;
      case 'order':
        return method === 'GET' ? 4 : 1;
      case 'depth':
        return 5;
      case 'capital/config/getall':
        return 10;
      case 'ticker/24hr':
        return q['symbol'] === undefined ? 80 : 2;
      default:
        return path.startsWith('/sapi/') ? 10 : 2;
    }
  };

  // --- private routing -------------------------------------------------------------------------
  const privateHandlers: Record<string, (key: string, p: Record<string, string>) => unknown> = {
    'GET /api/v3/account': (k) => priv.spotAccount(k),
    'POST /api/v3/order': (k, p) => priv.placeSpotOrder(k, p),
    'GET /api/v3/order': (k, p) => priv.getOrder(k, 'spot', p),
    'DELETE /api/v3/order': (k, p) => priv.cancelOrder(k, 'spot', p),
    'GET /api/v3/openOrders': (k, p) => priv.openOrders(k, 'spot', p),
    'DELETE /api/v3/openOrders': (k, p) => priv.cancelAll(k, 'spot', p),
    'POST /api/v3/order/cancelReplace': (k, p) => priv.cancelReplace(k, p),
    'GET /api/v3/allOrders': (k, p) => priv.allOrders(k, 'spot', p),
    'GET /api/v3/myTrades': (k, p) => priv.myTrades(k, 'spot', p),
    'POST /fapi/v1/order': (k, p) => priv.placeFuturesOrder(k, p, false),
    'GET /fapi/v1/order': (k, p) => priv.getOrder(k, 'futures', p),
    'DELETE /fapi/v1/order': (k, p) => priv.cancelOrder(k, 'futures', p),
    'PUT /fapi/v1/order': (k, p) => priv.modifyFuturesOrder(k, p),
    'GET /fapi/v1/openOrder': (k, p) => priv.openOrder(k, p),
    'DELETE /fapi/v1/allOpenOrders': (k, p) => priv.cancelAll(k, 'futures', p),
    'DELETE /fapi/v1/algoOpenOrders': (k, p) => priv.cancelAll(k, 'futures', p, true),
    'GET /fapi/v1/openOrders': (k, p) => priv.openOrders(k, 'futures', p),
    'GET /fapi/v1/allOrders': (k, p) => priv.allOrders(k, 'futures', p),
    'GET /fapi/v1/userTrades': (k, p) => priv.myTrades(k, 'futures', p),
    'POST /fapi/v1/algoOrder': (k, p) => priv.placeFuturesOrder(k, p, true),
    'GET /fapi/v1/algoOrder': (k, p) => priv.getOrder(k, 'futures', p, true),
    'DELETE /fapi/v1/algoOrder': (k, p) => priv.cancelOrder(k, 'futures', p, true),
    'GET /fapi/v1/openAlgoOrders': (k, p) => priv.openOrders(k, 'futures', p, true),
    'GET /fapi/v1/allAlgoOrders': (k, p) => priv.allOrders(k, 'futures', p, true),
    'POST /fapi/v1/leverage': (k, p) => priv.setLeverage(k, p),
    'POST /fapi/v1/marginType': (k, p) => priv.setMarginType(k, p),
    'GET /fapi/v1/leverageBracket': (k, p) => priv.leverageBrackets(k, p),
    'GET /fapi/v1/positionSide/dual': () => ({ dualSidePosition: false }),
    'GET /fapi/v2/account': (k) => priv.futuresAccount(k, 'v2'),
    'GET /fapi/v3/account': (k) => priv.futuresAccount(k, 'v3'),
    'GET /fapi/v2/balance': (k) => priv.futuresBalance(k),
    'GET /fapi/v3/balance': (k) => priv.futuresBalance(k),
    'GET /fapi/v2/positionRisk': (k, p) => priv.positionRisk(k, 'v2', p),
    'GET /fapi/v3/positionRisk': (k, p) => priv.positionRisk(k, 'v3', p),
    'GET /sapi/v1/capital/config/getall': (k) => priv.capitalConfig(k),
    'GET /sapi/v1/margin/allPairs': () => [],
    'GET /sapi/v1/margin/isolated/allPairs': () => [],
  };
  const privatePaths = new Set(Object.keys(privateHandlers).map((k) => k.split(' ')[1]));

  const routePrivate = (res: ServerResponse, req: IncomingMessage, method: string, path: string, rawQuery: string, rawBody: string, params: Record<string, string>): void => {
    const handler = privateHandlers[`${method} ${path}`];
    if (!handler) return send(res, 404, '<html><body><h2>404 Not found</h2></body></html>', { 'content-type': 'text/html' });
    try {
      const header = req.headers['x-mbx-apikey'];
      const apiKey = verifySignedRequest({ apiKeyHeader: Array.isArray(header) ? header[0] : header, rawQuery, rawBody, params }, (k) => priv.secretOf(k), now());
      const body = handler(apiKey, params);
      send(res, 200, body);
    } catch (err) {
      if (err instanceof BinanceRejection) return send(res, err.status, err.data !== undefined ? { code: err.code, msg: err.msg, data: err.data } : { code: err.code, msg: err.msg });
      send(res, 500, { code: -1000, msg: `An unknown error occurred while processing the request. (${(err as Error).message})` });
    }
  };

  const handle = (req: IncomingMessage, res: ServerResponse, rawBody: string) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const body: Record<string, string> = {};
    const contentType = String(req.headers['content-type'] ?? '');
    if (rawBody !== '' && (contentType.includes('x-www-form-urlencoded') || contentType === '')) {
      for (const [k, v] of new URLSearchParams(rawBody)) body[k] = v;
    }
    const record: FakeExchangeRequest = { method, path: url.pathname, query, headers: { ...req.headers }, status: 200, receivedAt: Date.now() };
    if (rawBody !== '') record.body = body;
    requests.push(record);
    res.on('finish', () => {
      record.status = res.statusCode;
    });

    const family = familyOf(url.pathname);
    const w = currentWeight(family);
    w.used += weightOf(method, url.pathname, query);
    if (family === 'futures') res.setHeader('X-MBX-USED-WEIGHT-1M', String(w.used));
    else {
      res.setHeader('x-mbx-used-weight', String(w.used));
      res.setHeader('x-mbx-used-weight-1m', String(w.used));
    }

    const params = { ...query, ...body };
    const isPrivate = privatePaths.has(url.pathname);
    const dispatch = () => {
      if (isPrivate) routePrivate(res, req, method, url.pathname, url.search.replace(/^\?/, ''), rawBody, params);
      else route(res, url.pathname, query);
    };
    const failure = take(failures, url.pathname, method);
    if (failure) {
      if (failure.afterProcessing === true) {
        // The venue did the work (e.g. created the order) and then answered with the error.
        swallowed.add(res);
        dispatch();
        swallowed.delete(res);
      }
      const failureBody = failure.body ?? JSON.stringify({ code: failure.code ?? -1000, msg: failure.msg ?? 'An unknown error occurred while processing the request.' });
      return send(res, failure.status, failureBody, failure.headers ?? {});
    }
    if (take(lost, url.pathname, method)) {
      swallowed.add(res);
      record.lost = true;
      record.status = 0;
    }
    const delay = take(delays, url.pathname, method);
    if (delay) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        // A private request is carried out even when the client has given up meanwhile.
        if (res.destroyed) {
          if (!isPrivate) return;
          swallowed.add(res);
        }
        dispatch();
      }, delay.ms);
      timers.add(timer);
      return;
    }
    dispatch();
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    requestsTo: (path) => requests.filter((r) => r.path === path),
    failNext(f) {
      failures.push({ ...f, remaining: f.count ?? 1 });
    },
    delayNext(ms, o = {}) {
      const entry: { ms: number; path?: string; remaining: number } = { ms, remaining: o.count ?? 1 };
      if (o.path !== undefined) entry.path = o.path;
      delays.push(entry);
    },
    clearInjected() {
      failures.length = 0;
      delays.length = 0;
      lost.length = 0;
    },
    setPrice(symbol, price, kind = 'spot') {
      const m = (kind === 'perp' ? perps : spot).get(symbol);
      if (!m) throw new Error(`fake exchange has no ${kind} market ${symbol}`);
      m.price = price;
      priv.onPrice(kind === 'perp' ? 'futures' : 'spot', symbol);
    },
    injectFailure(f) {
      failures.push({ ...f, remaining: f.count ?? 1 });
    },
    failWith(code, msg, o = {}) {
      const status = o.status ?? (code === -1006 || code === -1007 || code === -1001 ? 500 : code === -1003 ? 429 : code === -2014 || code === -2015 ? 401 : 400);
      const f: Injected = { status, code, msg, remaining: o.count ?? 1 };
      if (o.path !== undefined) f.path = o.path;
      if (o.method !== undefined) f.method = o.method;
      if (o.afterProcessing !== undefined) f.afterProcessing = o.afterProcessing;
      failures.push(f);
    },
    loseResponses(o) {
      const entry: { path: string; method?: string; remaining: number } = { path: o.path, remaining: o.count ?? 1 };
      if (o.method !== undefined) entry.method = o.method;
      lost.push(entry);
    },
    hideOrder(clientOrderId, lookups) {
      priv.hideOrder(clientOrderId, lookups);
    },
    fill(clientOrderId, o) {
      return priv.fill(clientOrderId, o);
    },
    addAccount(spec) {
      priv.addAccount(spec);
    },
    setBalance(apiKey, venue, asset, amount) {
      priv.setBalance(apiKey, venue, asset, amount);
    },
    setUsedWeight(n, family) {
      for (const f of family ? [family] : (['spot', 'futures'] as const)) currentWeight(f).used = n;
    },
    usedWeight(family) {
      return currentWeight(family).used;
    },
    private: {
      orders: (apiKey) => priv.orders(apiKey),
      trades: (apiKey) => priv.trades(apiKey),
      balances: (apiKey, venue) => priv.balances(apiKey, venue),
      positions: (apiKey) => priv.positions(apiKey),
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Binance 429 as the venue sends it: status, Retry-After, {code:-1003}. */
export const BINANCE_429: FakeExchangeFailure = {
  status: 429,
  code: -1003,
  msg: 'Too much request weight used; current limit is 6000 request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.',
  headers: { 'retry-after': '30' },
};

/** Binance 418: the IP is banned for continuing after 429s. */
export const BINANCE_418: FakeExchangeFailure = {
  status: 418,
  code: -1003,
  msg: 'Way too much request weight used; IP banned until 1735689600000. Please use WebSocket Streams for live updates to avoid bans.',
  headers: { 'retry-after': '120' },
};
