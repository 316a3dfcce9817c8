// The ccxt unified structures we read, as loose zod schemas (ccxt types every number as optional),
// plus the raw Binance fields ccxt keeps in `info`, which we prefer for prices and sizes because
// they are the venue's own decimal strings rather than JavaScript numbers.
import { z } from 'zod';

const num = z.number().finite().nullish();
const str = z.string().nullish();

const CcxtMinMaxSchema = z.object({ min: num, max: num }).partial().passthrough().nullish();

/** ccxt `Market` (unified). */
export const CcxtMarketSchema = z
  .object({
    id: str,
    symbol: z.string(),
    base: z.string(),
    quote: z.string(),
    settle: str,
    type: str,
    spot: z.boolean().nullish(),
    swap: z.boolean().nullish(),
    future: z.boolean().nullish(),
    option: z.boolean().nullish(),
    linear: z.boolean().nullish(),
    inverse: z.boolean().nullish(),
    active: z.boolean().nullish(),
    contractSize: num,
    precision: z.object({ amount: num, price: num }).partial().passthrough().nullish(),
    limits: z
      .object({ amount: CcxtMinMaxSchema, price: CcxtMinMaxSchema, cost: CcxtMinMaxSchema, leverage: CcxtMinMaxSchema })
      .partial()
      .passthrough()
      .nullish(),
    info: z.unknown(),
  })
  .passthrough();
export type CcxtMarket = z.infer<typeof CcxtMarketSchema>;

/** ccxt `Ticker` (unified). */
export const CcxtTickerSchema = z
  .object({
    symbol: str,
    timestamp: num,
    bid: num,
    ask: num,
    last: num,
    close: num,
    info: z.unknown(),
  })
  .passthrough();
export type CcxtTicker = z.infer<typeof CcxtTickerSchema>;

const CcxtLevelSchema = z.array(z.number().finite().nullable()).min(2);

/** ccxt `OrderBook` (unified): levels are [price, amount, …]. */
export const CcxtOrderBookSchema = z
  .object({
    bids: z.array(CcxtLevelSchema),
    asks: z.array(CcxtLevelSchema),
    timestamp: num,
  })
  .passthrough();
export type CcxtOrderBook = z.infer<typeof CcxtOrderBookSchema>;

/** ccxt OHLCV row: [timestamp, open, high, low, close, volume]. */
export const CcxtOhlcvSchema = z.array(z.number().finite().nullable()).min(6);
export type CcxtOhlcv = z.infer<typeof CcxtOhlcvSchema>;

/** ccxt `FundingRate` (unified). */
export const CcxtFundingRateSchema = z
  .object({
    symbol: str,
    fundingRate: num,
    timestamp: num,
    fundingTimestamp: num,
    nextFundingTimestamp: num,
    interval: str,
    info: z.unknown(),
  })
  .passthrough();
export type CcxtFundingRate = z.infer<typeof CcxtFundingRateSchema>;

/** ccxt `FundingRateHistory` rows (unified): when each funding was paid and at what rate. */
export const CcxtFundingHistorySchema = z.array(z.object({ timestamp: z.number().int(), fundingRate: z.number().finite() }).passthrough());

// --- Raw Binance fields inside `info` ---------------------------------------------------------

const decimalString = z.string().regex(/^-?\d+(\.\d+)?$/);

/** A Binance exchangeInfo symbol filter (PRICE_FILTER, LOT_SIZE, MIN_NOTIONAL, NOTIONAL …). */
export const BinanceFilterSchema = z
  .object({
    filterType: z.string(),
    tickSize: decimalString.optional(),
    stepSize: decimalString.optional(),
    minQty: decimalString.optional(),
    maxQty: decimalString.optional(),
    minNotional: decimalString.optional(),
    /** USDⓈ-M futures spell the MIN_NOTIONAL field `notional`. */
    notional: decimalString.optional(),
  })
  .passthrough();

export const BinanceMarketInfoSchema = z.object({ filters: z.array(z.unknown()) }).passthrough();

/** Raw decimal strings Binance puts in tickers, book tickers and premium index answers. */
export const BinanceRawPricesSchema = z
  .object({
    bidPrice: decimalString.optional(),
    askPrice: decimalString.optional(),
    lastPrice: decimalString.optional(),
    lastFundingRate: decimalString.optional(),
  })
  .passthrough();
