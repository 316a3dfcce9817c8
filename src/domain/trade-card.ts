// The trade card: what a trader sees before confirming an order (size, price used, value, fee,
// leverage, margin, liquidation, share of equity, every risk check, paper or live, warnings), and
// the confirmation binding — a SHA-256 over a canonical serialisation of the exact parameters, so a
// confirmation token issued for one order can never be spent on a different one (reliability 15).
import { createHash } from 'node:crypto';
import type { PriceQuote } from './ports.js';
import { D, type Dec, toPlain } from './money.js';
import { maintenanceMarginRateOf } from './market.js';
import { defaultTimeInForce, type OrderIntent, type OrderSide, type OrderType, type TimeInForce, type TrailingOffset } from './order.js';
import { DEFAULT_SLIPPAGE, feeFor, isTriggered, limitCrosses, marketFillPrice, type FeeSchedule, type SlippageModel } from './matching.js';
import { liquidationPriceFor } from './position.js';
import { riskChecksPass, type RiskCheck } from './risk.js';

export const TradingMode = { paper: 'paper', live: 'live' } as const;
export type TradingMode = (typeof TradingMode)[keyof typeof TradingMode];

/** Where the card's price came from: the order's limit, its trigger, or an estimate of a market fill. */
export const PriceBasis = { limit: 'limit', trigger: 'trigger', marketEstimate: 'market_estimate' } as const;
export type PriceBasis = (typeof PriceBasis)[keyof typeof PriceBasis];

/** Leverage at or above which the card warns how small a move liquidates. */
export const HIGH_LEVERAGE_WARNING = 10;
/** Share of equity above which the card warns. */
export const LARGE_SHARE_WARNING = 0.5;
/** A quote stamped this far in the future is flagged (clock skew or a bad source). */
export const FUTURE_QUOTE_TOLERANCE_MS = 2_000;

export interface TradeCard {
  symbol: string;
  side: OrderSide;
  type: OrderType;
  quantity: Dec;
  base: string;
  quote: string;
  priceUsed: Dec;
  priceBasis: PriceBasis;
  notional: Dec;
  estimatedFee: Dec;
  feeAsset: string;
  leverage: Dec;
  /** Isolated margin for a perpetual (notional / leverage); null on spot. */
  margin: Dec | null;
  /** For a perpetual that opens or grows a position; null on spot and reduce-only orders. */
  liquidationPrice: Dec | null;
  /** Capital committed (margin on perps, cost on spot, plus fee) / equity; null without equity. */
  shareOfEquity: number | null;
  reduceOnly: boolean;
  postOnly: boolean;
  timeInForce: TimeInForce;
  riskChecks: RiskCheck[];
  /** True when every risk check passed and the price is usable (not stale, not from the future). */
  allowed: boolean;
  mode: TradingMode;
  simulatedPrice: boolean;
  stalePrice: boolean;
  quoteAgeMs: number;
  warnings: string[];
  confirmation: ConfirmationBinding;
}

export interface TradeCardInput {
  order: OrderIntent;
  quote: PriceQuote;
  now: Date;
  /** A quote older than this is stale: the card warns and is not allowed. */
  maxQuoteAgeMs: number;
  fees: FeeSchedule;
  /** Account equity in the quote asset; null when unknown. */
  equity: Dec | null;
  riskChecks: readonly RiskCheck[];
  mode: TradingMode;
  userId: string;
  accountId: string;
  slippage?: SlippageModel;
  /**
   * Why the live venue cannot take this order natively, when MIKEY emulates it (a trailing stop the
   * venue has no native form of): the card says so plainly, with what MIKEY will do instead.
   */
  emulatedBecause?: string;
}

/**
 * The card's line for a trailing stop MIKEY emulates: why, what it will send and when, and that it
 * needs MIKEY running. `because` is the venue's reason ("Binance spot has no native trailing stop").
 */
export function emulatedTrailingNote(side: OrderSide, offset: TrailingOffset, quoteAsset: string, because: string): string {
  const distance = offset.kind === 'percent' ? `${toPlain(offset.percent)}%` : `${toPlain(offset.amount)} ${quoteAsset}`;
  const move = side === 'sell' ? `falls ${distance} from its high` : `rises ${distance} from its low`;
  const why = because.length > 0 ? because.charAt(0).toUpperCase() + because.slice(1) : because;
  return `Emulated by MIKEY: ${why}. MIKEY watches the price and sends a market ${side} when it ${move}; it does not act while MIKEY is stopped.`;
}

function show(d: Dec, places = 2): string {
  return d.toDecimalPlaces(places).toFixed();
}

/** Builds the preview of an order. Pure: the quote, time and risk results come in as arguments. */
export function buildTradeCard(input: TradeCardInput): TradeCard {
  const { order, quote, now, fees } = input;
  const market = order.market;
  const warnings: string[] = [];

  let priceUsed: Dec;
  let priceBasis: PriceBasis;
  if (order.price) {
    priceUsed = order.price;
    priceBasis = 'limit';
  } else if (order.triggerPrice) {
    priceUsed = order.triggerPrice;
    priceBasis = 'trigger';
  } else {
    priceUsed = marketFillPrice(order.side, order.quantity, quote, input.slippage ?? DEFAULT_SLIPPAGE, market);
    priceBasis = 'market_estimate';
  }
  const notional = order.quantity.mul(priceUsed);
  const estimatedFee = feeFor(notional, order.postOnly ? 'maker' : 'taker', fees);
  const isPerp = market.kind === 'perp';
  const margin = isPerp ? notional.div(order.leverage) : null;
  const liquidationPrice = isPerp && !order.reduceOnly
    ? liquidationPriceFor(order.side === 'buy' ? 'long' : 'short', priceUsed, order.leverage, maintenanceMarginRateOf(market))
    : null;
  const committed = (margin ?? notional).add(estimatedFee);
  const shareOfEquity = input.equity && input.equity.gt(0) && !order.reduceOnly ? committed.div(input.equity).toNumber() : null;

  const quoteAgeMs = now.getTime() - quote.publishTime.getTime();
  const stalePrice = quoteAgeMs > input.maxQuoteAgeMs;
  const futurePrice = quoteAgeMs < -FUTURE_QUOTE_TOLERANCE_MS;

  if (input.mode === 'live') warnings.push('LIVE order: this trades real funds on the exchange');
  if (input.emulatedBecause !== undefined && order.type === 'trailing_stop' && order.trailing) {
    warnings.push(emulatedTrailingNote(order.side, order.trailing, market.quote, input.emulatedBecause));
  }
  if (quote.simulated) warnings.push(`price is simulated (${quote.source}); this is not a real market price`);
  if (stalePrice) {
    warnings.push(`price is ${Math.round(quoteAgeMs / 1000)}s old (limit ${Math.round(input.maxQuoteAgeMs / 1000)}s); refresh the price before confirming`);
  }
  if (futurePrice) warnings.push(`price is stamped ${Math.round(-quoteAgeMs / 1000)}s in the future; the source clock is wrong, refresh before confirming`);
  if (order.sizedFromQuote) {
    warnings.push(
      `sized from ${toPlain(order.sizedFromQuote.quoteAmount)} ${market.quote} at ${toPlain(order.sizedFromQuote.atPrice)}: ${toPlain(order.quantity)} ${market.base}, rounded down to the step ${toPlain(market.stepSize)}`,
    );
  }
  if (order.type === 'limit' && order.price && !order.postOnly && limitCrosses(order.side, order.price, quote)) {
    const touch = order.side === 'buy' ? (quote.ask ?? quote.price) : (quote.bid ?? quote.price);
    warnings.push(`limit ${order.side} at ${toPlain(order.price)} is through the market (${order.side === 'buy' ? 'ask' : 'bid'} ${toPlain(touch)}); it will fill at once as a taker`);
  }
  if ((order.type === 'stop' || order.type === 'stop_limit' || order.type === 'take_profit') && order.triggerPrice
    && isTriggered(order.type, order.side, order.triggerPrice, quote.price)) {
    warnings.push(`trigger ${toPlain(order.triggerPrice)} is already reached at the current price ${toPlain(quote.price)}; it will trigger at once`);
  }
  if (liquidationPrice && order.leverage.gte(HIGH_LEVERAGE_WARNING)) {
    const move = liquidationPrice.sub(priceUsed).abs().div(priceUsed).mul(100);
    warnings.push(`leverage ${toPlain(order.leverage)}x: a ${show(move)}% move against you liquidates the position at ${show(liquidationPrice, 8)}`);
  }
  if (shareOfEquity !== null && shareOfEquity > LARGE_SHARE_WARNING) {
    warnings.push(`this commits ${Math.round(shareOfEquity * 100)}% of your equity`);
  }
  const failed = input.riskChecks.filter((c) => !c.passed);
  for (const c of failed) warnings.push(`blocked by ${c.name}: ${c.detail}`);

  return {
    symbol: order.symbol,
    side: order.side,
    type: order.type,
    quantity: order.quantity,
    base: market.base,
    quote: market.quote,
    priceUsed,
    priceBasis,
    notional,
    estimatedFee,
    feeAsset: market.quote,
    leverage: order.leverage,
    margin,
    liquidationPrice,
    shareOfEquity,
    reduceOnly: order.reduceOnly,
    postOnly: order.postOnly,
    timeInForce: order.timeInForce,
    riskChecks: [...input.riskChecks],
    allowed: riskChecksPass(input.riskChecks) && !stalePrice && !futurePrice,
    mode: input.mode,
    simulatedPrice: quote.simulated,
    stalePrice,
    quoteAgeMs,
    warnings,
    confirmation: bindConfirmation(confirmationParamsFor(order, { userId: input.userId, accountId: input.accountId, mode: input.mode })),
  };
}

// ---------------------------------------------------------------------------------------------------
// Confirmation binding

/** The exact parameters a confirmation is bound to. Decimals may be `Dec` or decimal strings. */
export interface ConfirmationParams {
  userId: string;
  accountId: string;
  mode: TradingMode;
  symbol: string;
  side: OrderSide;
  type: OrderType;
  quantity: Dec | string;
  price?: Dec | string;
  triggerPrice?: Dec | string;
  trailingAmount?: Dec | string;
  trailingPercent?: Dec | string;
  /** Absent means 1x. */
  leverage?: Dec | string;
  /** Absent means false. */
  reduceOnly?: boolean;
  postOnly?: boolean;
  /** Absent means the type's default (ioc for market, else gtc). */
  timeInForce?: TimeInForce;
  slices?: number;
  durationMs?: number;
}

export interface ConfirmationBinding {
  params: ConfirmationParams;
  /** The canonical serialisation that was hashed. */
  canonical: string;
  /** Hex SHA-256 of `canonical`. */
  hash: string;
}

/** Bumped if the canonical form ever changes, so old tokens cannot match new hashes by accident. */
export const CONFIRMATION_VERSION = 'mikey.order-confirmation.v1';

/** One spelling per decimal value: "1.50", "1.5", "01.5" and "15e-1" all become "1.5"; "-0" is "0". */
function canonicalDecimal(v: Dec | string | undefined): string | null {
  if (v === undefined) return null;
  const d = typeof v === 'string' ? new D(v.trim()) : v;
  if (!d.isFinite()) throw new RangeError(`confirmation parameter is not a finite decimal: ${String(v)}`);
  return d.isZero() ? '0' : toPlain(d);
}

/**
 * The canonical serialisation: a JSON array of [name, value] pairs in a fixed order, decimals
 * normalised, defaults made explicit, the symbol upper-cased. Two parameter sets serialise the same
 * exactly when they would place the same order for the same user and account.
 */
export function canonicalConfirmation(params: ConfirmationParams): string {
  const pairs: Array<[string, string | number | boolean | null]> = [
    ['v', CONFIRMATION_VERSION],
    ['userId', params.userId],
    ['accountId', params.accountId],
    ['mode', params.mode],
    ['symbol', params.symbol.trim().toUpperCase()],
    ['side', params.side],
    ['type', params.type],
    ['quantity', canonicalDecimal(params.quantity)],
    ['price', canonicalDecimal(params.price)],
    ['triggerPrice', canonicalDecimal(params.triggerPrice)],
    ['trailingAmount', canonicalDecimal(params.trailingAmount)],
    ['trailingPercent', canonicalDecimal(params.trailingPercent)],
    ['leverage', canonicalDecimal(params.leverage ?? '1')],
    ['reduceOnly', params.reduceOnly ?? false],
    ['postOnly', params.postOnly ?? false],
    ['timeInForce', params.timeInForce ?? defaultTimeInForce(params.type)],
    ['slices', params.slices ?? null],
    ['durationMs', params.durationMs ?? null],
  ];
  return JSON.stringify(pairs);
}

export function confirmationHash(params: ConfirmationParams): string {
  return createHash('sha256').update(canonicalConfirmation(params), 'utf8').digest('hex');
}

export function bindConfirmation(params: ConfirmationParams): ConfirmationBinding {
  const canonical = canonicalConfirmation(params);
  return { params, canonical, hash: createHash('sha256').update(canonical, 'utf8').digest('hex') };
}

/** The parameters of a validated order, for binding. */
export function confirmationParamsFor(order: OrderIntent, who: { userId: string; accountId: string; mode: TradingMode }): ConfirmationParams {
  return {
    userId: who.userId,
    accountId: who.accountId,
    mode: who.mode,
    symbol: order.symbol,
    side: order.side,
    type: order.type,
    quantity: order.quantity,
    ...(order.price ? { price: order.price } : {}),
    ...(order.triggerPrice ? { triggerPrice: order.triggerPrice } : {}),
    ...(order.trailing?.kind === 'amount' ? { trailingAmount: order.trailing.amount } : {}),
    ...(order.trailing?.kind === 'percent' ? { trailingPercent: order.trailing.percent } : {}),
    leverage: order.leverage,
    reduceOnly: order.reduceOnly,
    postOnly: order.postOnly,
    timeInForce: order.timeInForce,
    ...(order.schedule ? { slices: order.schedule.slices, durationMs: order.schedule.durationMs } : {}),
  };
}
