// What the market-data services return to surfaces: plain JSON-ready data, decimals as strings,
// times as ISO strings, and a `simulated` flag on everything that comes from the simulated market.
import type { Market } from '../../domain/market.js';
import type { Candle, FundingRate, OrderBookSnapshot, Timeframe } from '../../domain/ports.js';

export interface SourceFailure {
  error: { code: string; message: string; hint?: string };
}

export interface OracleView {
  source: 'pyth' | 'sim';
  price: string;
  /** ± band in price units; null when the source gives none. */
  confidence: string | null;
  publishTime: string;
  ageMs: number;
  /** Pyth's feed name, e.g. "Crypto.BTC/USD". */
  feedSymbol?: string;
  /** E.g. "assumes 1 USDT = 1 USD" when a USD feed prices a USDT market. */
  assumption?: string;
  /** Passes the staleness/confidence limits (reliability 11). */
  fresh: boolean;
  refusal?: { code: string; message: string };
}

export interface VenueView {
  source: 'exchange' | 'sim';
  exchange: string;
  /** Bid/ask mid when both exist, else last. */
  price: string;
  bid: string | null;
  ask: string | null;
  last: string | null;
  publishTime: string;
  ageMs: number;
  fresh: boolean;
  refusal?: { code: string; message: string };
}

export interface PriceView {
  /** Canonical symbol ("BTC/USDT", "SOL-PERP"). */
  symbol: string;
  kind: 'spot' | 'perp';
  simulated: boolean;
  /** The headline price: the venue mid when fresh, else the oracle price when fresh, else null. */
  price: string | null;
  priceSource: 'venue' | 'oracle' | null;
  /** True when the headline price passed the freshness checks. */
  fresh: boolean;
  oracle: OracleView | SourceFailure;
  venue: VenueView | SourceFailure;
  /** Caveats to show with the price ("simulated", the USD assumption, why a price was refused). */
  notes: string[];
}

export interface CandleView {
  openTime: string;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  vwap: string | null;
  tradeCount: number | null;
  /** False while the bar is still forming. */
  complete: boolean;
}

export interface CandleSeriesView {
  symbol: string;
  exchange: string;
  timeframe: Timeframe;
  simulated: boolean;
  candles: CandleView[];
}

export interface OrderBookView {
  symbol: string;
  exchange: string;
  simulated: boolean;
  timestamp: string;
  /** Best first: [price, size]. */
  bids: Array<[string, string]>;
  asks: Array<[string, string]>;
  bestBid: string | null;
  bestAsk: string | null;
  spread: string | null;
  mid: string | null;
  /** The stored `order_book_snapshots` row. */
  snapshotId: string;
}

export interface FundingRateView {
  symbol: string;
  exchange: string;
  simulated: boolean;
  /** Per funding interval, as a fraction ("0.0001" = 0.01%). */
  rate: string;
  ratePercent: string;
  intervalHours: number;
  /** rate × intervals per year, in percent (simple, not compounded). */
  annualizedPercent: string;
  nextFundingTime: string | null;
  timestamp: string;
}

export interface MarketView {
  symbol: string;
  base: string;
  quote: string;
  kind: 'spot' | 'perp';
  exchange: string;
  tickSize: string;
  stepSize: string;
  minQty: string;
  maxQty: string | null;
  minNotional: string;
  maxLeverage: number;
}

export function candleView(c: Candle & { complete?: boolean }): CandleView {
  return {
    openTime: c.openTime.toISOString(),
    open: c.open.toFixed(),
    high: c.high.toFixed(),
    low: c.low.toFixed(),
    close: c.close.toFixed(),
    volume: c.volume.toFixed(),
    vwap: c.vwap ? c.vwap.toFixed() : null,
    tradeCount: c.tradeCount ?? null,
    complete: c.complete ?? true,
  };
}

export function orderBookView(ob: OrderBookSnapshot, simulated: boolean, snapshotId: string): OrderBookView {
  const bestBid = ob.bids[0]?.[0];
  const bestAsk = ob.asks[0]?.[0];
  return {
    symbol: ob.symbol,
    exchange: ob.exchange,
    simulated,
    timestamp: ob.timestamp.toISOString(),
    bids: ob.bids.map(([p, s]) => [p.toFixed(), s.toFixed()]),
    asks: ob.asks.map(([p, s]) => [p.toFixed(), s.toFixed()]),
    bestBid: bestBid?.toFixed() ?? null,
    bestAsk: bestAsk?.toFixed() ?? null,
    spread: bestBid && bestAsk ? bestAsk.minus(bestBid).toFixed() : null,
    mid: bestBid && bestAsk ? bestBid.add(bestAsk).div(2).toFixed() : null,
    snapshotId,
  };
}

export function fundingRateView(f: FundingRate, exchange: string, simulated: boolean): FundingRateView {
  const perYear = (365 * 24) / f.intervalHours;
  return {
    symbol: f.symbol,
    exchange,
    simulated,
    rate: f.rate.toFixed(),
    ratePercent: f.rate.mul(100).toFixed(),
    intervalHours: f.intervalHours,
    annualizedPercent: f.rate.mul(100).mul(perYear).toDecimalPlaces(4).toFixed(),
    nextFundingTime: f.nextFundingTime?.toISOString() ?? null,
    timestamp: f.timestamp.toISOString(),
  };
}

export function marketView(m: Market): MarketView {
  return {
    symbol: m.symbol,
    base: m.base,
    quote: m.quote,
    kind: m.kind,
    exchange: m.exchange,
    tickSize: m.tickSize.toFixed(),
    stepSize: m.stepSize.toFixed(),
    minQty: m.minQty.toFixed(),
    maxQty: m.maxQty?.toFixed() ?? null,
    minNotional: m.minNotional.toFixed(),
    maxLeverage: m.kind === 'perp' ? Math.max(1, m.maxLeverage ?? 1) : 1,
  };
}
