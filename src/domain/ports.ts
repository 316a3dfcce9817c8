// Ports: what the domain and the services need from the outside world. Adapters (Pyth, ccxt, the
// simulated market, Telegram, Discord) implement these; nothing here does I/O.
import type { Dec } from './money.js';

/** Where a price came from. `sim` prices are always labelled "simulated" wherever shown. */
export const PriceSource = { pyth: 'pyth', exchange: 'exchange', sim: 'sim' } as const;
export type PriceSource = (typeof PriceSource)[keyof typeof PriceSource];

/** One price observation for a canonical symbol (e.g. "BTC/USDT"). */
export interface PriceQuote {
  symbol: string;
  /** Mid or oracle price. */
  price: Dec;
  bid?: Dec;
  ask?: Dec;
  /** Oracle confidence interval (±), in price units, when the source gives one (Pyth). */
  confidence?: Dec;
  /** When the source says the price was observed. */
  publishTime: Date;
  source: PriceSource;
  simulated: boolean;
  /** A caveat to show with the price, e.g. "assumes 1 USDT = 1 USD" for a USD oracle feed. */
  note?: string;
}

export type Unsubscribe = () => void;

/** Latest prices and streaming updates. */
export interface PriceFeed {
  readonly name: string;
  getQuote(symbol: string): Promise<PriceQuote>;
  getQuotes(symbols: readonly string[]): Promise<PriceQuote[]>;
  /** Calls `onQuote` for every update of any of `symbols` until unsubscribed. */
  subscribe(symbols: readonly string[], onQuote: (q: PriceQuote) => void, opts?: { onError?: (err: Error) => void }): Unsubscribe;
}

export const Timeframe = {
  m1: '1m', m5: '5m', m15: '15m', m30: '30m', h1: '1h', h4: '4h', d1: '1d', w1: '1w',
} as const;
export type Timeframe = (typeof Timeframe)[keyof typeof Timeframe];
export const TIMEFRAME_MS: Record<Timeframe, number> = {
  '1m': 60_000, '5m': 300_000, '15m': 900_000, '30m': 1_800_000,
  '1h': 3_600_000, '4h': 14_400_000, '1d': 86_400_000, '1w': 604_800_000,
};

/** One OHLCV bar. Prices and volume as decimals. */
export interface Candle {
  symbol: string;
  exchange: string;
  timeframe: Timeframe;
  openTime: Date;
  open: Dec;
  high: Dec;
  low: Dec;
  close: Dec;
  volume: Dec;
  vwap?: Dec;
  tradeCount?: number;
}

/** Price levels best first: bids descending, asks ascending. Each level is [price, size]. */
export interface OrderBookSnapshot {
  symbol: string;
  exchange: string;
  bids: Array<[Dec, Dec]>;
  asks: Array<[Dec, Dec]>;
  timestamp: Date;
}

export interface FundingRate {
  symbol: string;
  /** Rate per funding interval, as a fraction (0.0001 = 0.01%). */
  rate: Dec;
  intervalHours: number;
  nextFundingTime?: Date;
  timestamp: Date;
}

/** A funding payment of a perpetual: the time it was paid and the rate paid then (per interval, as a fraction). */
export interface FundingPoint {
  at: Date;
  rate: Dec;
}

/** Instrument metadata (the seeds' trading_pairs / market_pairs). */
export interface MarketInfo {
  symbol: string; // canonical, e.g. "BTC/USDT" or "SOL-PERP"
  base: string;
  quote: string;
  kind: 'spot' | 'perp';
  exchange: string;
  tickSize: Dec;
  stepSize: Dec;
  minQty: Dec;
  maxQty?: Dec;
  minNotional: Dec;
  maxLeverage?: number;
}

/** Venue market data (ccxt or simulated): books, bars, funding, instruments. */
export interface MarketDataSource {
  readonly name: string;
  readonly simulated: boolean;
  listMarkets(): Promise<MarketInfo[]>;
  getOrderBook(symbol: string, depth?: number): Promise<OrderBookSnapshot>;
  getCandles(symbol: string, timeframe: Timeframe, opts: { since?: Date; limit?: number }): Promise<Candle[]>;
  getFundingRate(symbol: string): Promise<FundingRate>;
  /** The funding paid at each funding time in (from, to], oldest first; absent where the source keeps no history. */
  getFundingHistory?(symbol: string, from: Date, to: Date): Promise<FundingPoint[]>;
}

/** Event kinds a user can be notified of; each has a per-user preference (on / silent / off). */
export const NotificationKind = {
  alert: 'alert', fill: 'fill', stop: 'stop', takeProfit: 'take_profit', liquidation: 'liquidation',
  risk: 'risk', report: 'report', whale: 'whale',
} as const;
export type NotificationKind = (typeof NotificationKind)[keyof typeof NotificationKind];

export interface Notification {
  userId: string;
  kind: NotificationKind;
  title: string;
  /** Plain text body; may contain user-written labels (untrusted). */
  body: string;
  /** Optional PNG to attach (a chart). */
  image?: Uint8Array;
  data?: Record<string, unknown>;
}

/** Pushes events to a user's linked chats. */
export interface Notifier {
  notify(n: Notification): Promise<void>;
}

/** Time comes in through a port so domain and services are testable. */
export interface Clock {
  now(): Date;
}
