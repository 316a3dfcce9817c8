// Hermes wire objects → MIKEY values. Prices are built from Hermes' integer strings and exponent
// directly as decimals ("6512345678" × 10^-8 = 65.12345678): no JavaScript number ever holds them.
import { D, type Dec } from '../../domain/money.js';
import { PriceSource, type PriceQuote } from '../../domain/ports.js';
import {
  HermesPriceUpdateEnvelopeSchema,
  HermesPriceUpdateSchema,
  type HermesPrice,
  type HermesPriceUpdate,
} from './hermes-schema.js';

/** A feed id as Hermes returns it: 64 lowercase hex characters, no 0x. */
export type PythFeedId = string;

const FEED_ID = /^(?:0x)?([0-9a-fA-F]{64})$/;

/** Canonical form of a feed id (lowercase, no 0x), or undefined when it is not 32 bytes of hex. */
export function normalizeFeedId(id: string): PythFeedId | undefined {
  const m = FEED_ID.exec(id.trim());
  return m?.[1]?.toLowerCase();
}

/** `integer × 10^expo` as an exact decimal, from Hermes' integer string. */
export function scaledDecimal(integer: string, expo: number): Dec {
  if (!/^-?\d+$/.test(integer)) throw new RangeError(`not an integer string: ${integer.slice(0, 30)}`);
  if (!Number.isInteger(expo)) throw new RangeError(`exponent must be an integer, got ${expo}`);
  // decimal.js parses scientific notation exactly: "6512345678e-8" is 65.12345678, not a float.
  return new D(`${integer}e${expo}`);
}

/** One feed's price as Pyth publishes it. */
export interface PythPrice {
  feedId: PythFeedId;
  price: Dec;
  /** ± confidence interval, in price units. */
  confidence: Dec;
  publishTime: Date;
  emaPrice: Dec;
  emaConfidence: Dec;
  emaPublishTime: Date;
  slot?: number;
  prevPublishTime?: Date;
}

function toDate(unixSeconds: number): Date {
  return new Date(unixSeconds * 1000);
}

function priceOf(p: HermesPrice): { value: Dec; confidence: Dec; publishTime: Date } {
  return { value: scaledDecimal(p.price, p.expo), confidence: scaledDecimal(p.conf, p.expo), publishTime: toDate(p.publish_time) };
}

export function mapHermesPriceUpdate(update: HermesPriceUpdate): PythPrice | undefined {
  const feedId = normalizeFeedId(update.id);
  if (feedId === undefined) return undefined;
  const spot = priceOf(update.price);
  const ema = priceOf(update.ema_price);
  const out: PythPrice = {
    feedId,
    price: spot.value,
    confidence: spot.confidence,
    publishTime: spot.publishTime,
    emaPrice: ema.value,
    emaConfidence: ema.confidence,
    emaPublishTime: ema.publishTime,
  };
  const slot = update.metadata?.slot;
  if (typeof slot === 'number') out.slot = slot;
  const prev = update.metadata?.prev_publish_time;
  if (typeof prev === 'number') out.prevPublishTime = toDate(prev);
  return out;
}

/**
 * Reads a latest-prices response or a stream event: the prices by feed id. Entries that do not
 * validate are left out (their feeds count as missing); an envelope that does not validate throws.
 */
export function parseHermesPriceUpdates(body: unknown): Map<PythFeedId, PythPrice> {
  const envelope = HermesPriceUpdateEnvelopeSchema.parse(body);
  const out = new Map<PythFeedId, PythPrice>();
  for (const item of envelope.parsed ?? []) {
    const parsed = HermesPriceUpdateSchema.safeParse(item);
    if (!parsed.success) continue;
    const price = mapHermesPriceUpdate(parsed.data);
    if (price) out.set(price.feedId, price);
  }
  return out;
}

/** A Pyth price as a `PriceQuote`, with the feed it came from and the EMA price. */
export interface PythQuote extends PriceQuote {
  source: typeof PriceSource.pyth;
  simulated: false;
  confidence: Dec;
  feedId: PythFeedId;
  /** Pyth's name of the feed, e.g. "Crypto.BTC/USD". */
  feedSymbol: string;
  emaPrice: Dec;
  emaConfidence: Dec;
  /**
   * Set when the quote stands in for a different quote currency: Pyth prices BTC in USD, and a
   * BTC/USDT quote assumes 1 USDT = 1 USD. Shown with the price wherever the quote is shown.
   */
  assumption?: string;
}

/** The requested symbol a feed price answers, and the assumption (if any) it rests on. */
export interface PythQuoteTarget {
  /** Canonical symbol the caller asked for ("BTC/USDT", "BTC-PERP", "BTC/USD"). */
  symbol: string;
  feedId: PythFeedId;
  feedSymbol: string;
  assumption?: string;
}

export function toPythQuote(target: PythQuoteTarget, p: PythPrice): PythQuote {
  const q: PythQuote = {
    symbol: target.symbol,
    price: p.price,
    confidence: p.confidence,
    publishTime: p.publishTime,
    source: PriceSource.pyth,
    simulated: false,
    feedId: p.feedId,
    feedSymbol: target.feedSymbol,
    emaPrice: p.emaPrice,
    emaConfidence: p.emaConfidence,
  };
  if (target.assumption !== undefined) q.assumption = target.assumption;
  return q;
}
