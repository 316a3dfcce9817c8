// ccxt unified structures → MIKEY values.
//
// Precision caveat: ccxt hands prices and sizes over as JavaScript numbers (doubles). A number is
// turned into a decimal through its shortest round-trip string (what `String(n)` prints), which
// gives back the venue's decimal exactly whenever it had at most 15 significant digits — true of
// every tick, step, price and size a venue quotes in practice, but not guaranteed beyond that.
// Where ccxt keeps the venue's own strings in `info` (Binance filters, tickers, funding) those
// strings are used instead, and the number is only the fallback.
import { D, ZERO, type Dec } from '../../domain/money.js';
import {
  PriceSource,
  type Candle,
  type FundingRate,
  type MarketInfo,
  type OrderBookSnapshot,
  type PriceQuote,
  type Timeframe,
} from '../../domain/ports.js';
import {
  BinanceFilterSchema,
  BinanceMarketInfoSchema,
  BinanceRawPricesSchema,
  type CcxtFundingRate,
  type CcxtMarket,
  type CcxtOhlcv,
  type CcxtOrderBook,
  type CcxtTicker,
} from './ccxt-schema.js';
import { canonicalFromCcxtMarket, DEFAULT_PERP_QUOTE } from './symbols.js';

/** ccxt's `precisionMode` values (ccxt base/functions/number: DECIMAL_PLACES, SIGNIFICANT_DIGITS, TICK_SIZE). */
export const CcxtPrecisionMode = { decimalPlaces: 2, significantDigits: 3, tickSize: 4 } as const;
export type CcxtPrecisionMode = (typeof CcxtPrecisionMode)[keyof typeof CcxtPrecisionMode];

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A ccxt value (number, numeric string, null/undefined) as a decimal; undefined when absent or not finite. */
export function decimalFromCcxt(value: unknown): Dec | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? new D(String(value)) : undefined;
  if (typeof value === 'string') {
    const s = value.trim();
    return DECIMAL.test(s) ? new D(s) : undefined;
  }
  return undefined;
}

/**
 * A price or amount increment from ccxt's `precision` field: in TICK_SIZE mode the number is the
 * increment itself (0.01); in DECIMAL_PLACES mode it is a count of decimals (2 → 0.01). In
 * SIGNIFICANT_DIGITS mode the increment depends on the price, so none is returned.
 */
export function incrementFromPrecision(precision: number | null | undefined, mode: number): Dec | undefined {
  if (precision === undefined || precision === null || !Number.isFinite(precision)) return undefined;
  if (mode === CcxtPrecisionMode.tickSize) return decimalFromCcxt(precision);
  if (mode === CcxtPrecisionMode.decimalPlaces) {
    if (!Number.isInteger(precision) || precision < 0 || precision > 30) return undefined;
    return new D(10).pow(-precision);
  }
  return undefined;
}

interface BinanceFilters {
  tickSize?: Dec;
  stepSize?: Dec;
  minQty?: Dec;
  maxQty?: Dec;
  minNotional?: Dec;
}

/** Binance's own filter strings from `info.filters`, when the market came from a Binance-family venue. */
function binanceFilters(info: unknown): BinanceFilters {
  const parsed = BinanceMarketInfoSchema.safeParse(info);
  if (!parsed.success) return {};
  const out: BinanceFilters = {};
  for (const raw of parsed.data.filters) {
    const f = BinanceFilterSchema.safeParse(raw);
    if (!f.success) continue;
    const flt = f.data;
    if (flt.filterType === 'PRICE_FILTER' && flt.tickSize) out.tickSize = new D(flt.tickSize);
    if (flt.filterType === 'LOT_SIZE') {
      if (flt.stepSize) out.stepSize = new D(flt.stepSize);
      if (flt.minQty) out.minQty = new D(flt.minQty);
      if (flt.maxQty) out.maxQty = new D(flt.maxQty);
    }
    if (flt.filterType === 'MIN_NOTIONAL' || flt.filterType === 'NOTIONAL') {
      const n = flt.minNotional ?? flt.notional;
      if (n) out.minNotional = new D(n);
    }
  }
  return out;
}

export interface MapMarketOptions {
  exchange: string;
  precisionMode: number;
  perpQuote?: string;
}

/**
 * A ccxt market as `MarketInfo`, or undefined for markets MIKEY does not trade (inactive, dated
 * futures, options, perps not settled in the perp quote). Unknown increments and minimums are 0,
 * which the domain reads as "no constraint stated".
 */
export function mapCcxtMarket(m: CcxtMarket, opts: MapMarketOptions): MarketInfo | undefined {
  if (m.active === false) return undefined;
  const canonical = canonicalFromCcxtMarket(m, opts.perpQuote ?? DEFAULT_PERP_QUOTE);
  if (!canonical) return undefined;
  const raw = binanceFilters(m.info);
  const tickSize = raw.tickSize ?? incrementFromPrecision(m.precision?.price, opts.precisionMode) ?? ZERO;
  const stepSize = raw.stepSize ?? incrementFromPrecision(m.precision?.amount, opts.precisionMode) ?? ZERO;
  const minQty = raw.minQty ?? decimalFromCcxt(m.limits?.amount?.min) ?? stepSize;
  const maxQty = raw.maxQty ?? decimalFromCcxt(m.limits?.amount?.max);
  const minNotional = raw.minNotional ?? decimalFromCcxt(m.limits?.cost?.min) ?? ZERO;
  const info: MarketInfo = {
    symbol: canonical.symbol,
    base: m.base.toUpperCase(),
    quote: m.quote.toUpperCase(),
    kind: canonical.kind,
    exchange: opts.exchange,
    tickSize,
    stepSize,
    minQty,
    minNotional,
  };
  if (maxQty !== undefined && maxQty.gt(0)) info.maxQty = maxQty;
  const maxLeverage = m.limits?.leverage?.max;
  if (canonical.kind === 'perp' && typeof maxLeverage === 'number' && maxLeverage > 0) info.maxLeverage = maxLeverage;
  return info;
}

function level(row: ReadonlyArray<number | null>): [Dec, Dec] | undefined {
  const price = decimalFromCcxt(row[0]);
  const size = decimalFromCcxt(row[1]);
  if (!price || !size || price.lte(0) || size.lte(0)) return undefined;
  return [price, size];
}

/** A ccxt order book as a snapshot, best first (bids descending, asks ascending), `depth` levels a side. */
export function mapCcxtOrderBook(ob: CcxtOrderBook, symbol: string, exchange: string, depth: number, now: Date): OrderBookSnapshot {
  const bids = ob.bids.map(level).filter((l): l is [Dec, Dec] => l !== undefined);
  const asks = ob.asks.map(level).filter((l): l is [Dec, Dec] => l !== undefined);
  bids.sort((a, b) => b[0].cmp(a[0]));
  asks.sort((a, b) => a[0].cmp(b[0]));
  const ts = typeof ob.timestamp === 'number' ? new Date(ob.timestamp) : now;
  return { symbol, exchange, bids: bids.slice(0, depth), asks: asks.slice(0, depth), timestamp: ts };
}

/** A ccxt OHLCV row as a candle; undefined for rows with missing prices. */
export function mapCcxtOhlcv(row: CcxtOhlcv, symbol: string, exchange: string, timeframe: Timeframe): Candle | undefined {
  const [ts, o, h, l, c, v] = row;
  if (typeof ts !== 'number') return undefined;
  const open = decimalFromCcxt(o);
  const high = decimalFromCcxt(h);
  const low = decimalFromCcxt(l);
  const close = decimalFromCcxt(c);
  if (!open || !high || !low || !close) return undefined;
  return { symbol, exchange, timeframe, openTime: new Date(ts), open, high, low, close, volume: decimalFromCcxt(v) ?? ZERO };
}

/** Funding rate per interval; Binance's raw `lastFundingRate` string is preferred. */
export function mapCcxtFundingRate(fr: CcxtFundingRate, symbol: string, defaultIntervalHours: number, now: Date): FundingRate {
  const raw = BinanceRawPricesSchema.safeParse(fr.info);
  const rate = (raw.success && raw.data.lastFundingRate ? new D(raw.data.lastFundingRate) : undefined) ?? decimalFromCcxt(fr.fundingRate);
  if (rate === undefined) throw new RangeError(`no funding rate for ${symbol}`);
  const m = /^(\d+(?:\.\d+)?)h$/.exec(fr.interval ?? '');
  const intervalHours = m?.[1] ? Number(m[1]) : defaultIntervalHours;
  const out: FundingRate = {
    symbol,
    rate,
    intervalHours,
    timestamp: typeof fr.timestamp === 'number' ? new Date(fr.timestamp) : now,
  };
  // ccxt puts Binance's `nextFundingTime` in `fundingTimestamp`; other venues use `nextFundingTimestamp`.
  const next = fr.fundingTimestamp ?? fr.nextFundingTimestamp;
  if (typeof next === 'number') out.nextFundingTime = new Date(next);
  return out;
}

/** A venue ticker as a quote: mid of bid/ask when both exist, else the last trade. */
export interface ExchangeQuote extends PriceQuote {
  source: typeof PriceSource.exchange;
  simulated: false;
  exchange: string;
  last?: Dec;
}

/** Maps a ccxt ticker; `bookTicker` (bid/ask only) fills in when the ticker has no bid/ask (Binance perps). */
export function mapCcxtTicker(t: CcxtTicker, symbol: string, exchange: string, now: Date, bookTicker?: CcxtTicker): ExchangeQuote | undefined {
  const pick = (tk: CcxtTicker | undefined, rawKey: 'bidPrice' | 'askPrice' | 'lastPrice', n: number | null | undefined): Dec | undefined => {
    if (!tk) return undefined;
    const raw = BinanceRawPricesSchema.safeParse(tk.info);
    const s = raw.success ? raw.data[rawKey] : undefined;
    const d = s !== undefined ? new D(s) : decimalFromCcxt(n);
    return d !== undefined && d.gt(0) ? d : undefined;
  };
  const bid = pick(t, 'bidPrice', t.bid) ?? pick(bookTicker, 'bidPrice', bookTicker?.bid);
  const ask = pick(t, 'askPrice', t.ask) ?? pick(bookTicker, 'askPrice', bookTicker?.ask);
  const last = pick(t, 'lastPrice', t.last ?? t.close);
  const price = bid && ask ? bid.add(ask).div(2) : last;
  if (!price) return undefined;
  const q: ExchangeQuote = {
    symbol,
    price,
    publishTime: typeof t.timestamp === 'number' ? new Date(t.timestamp) : now,
    source: PriceSource.exchange,
    simulated: false,
    exchange,
  };
  if (bid) q.bid = bid;
  if (ask) q.ask = ask;
  if (last) q.last = last;
  return q;
}
