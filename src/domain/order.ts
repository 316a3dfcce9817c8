// Orders: what a trader asks for, how a request is checked against a market, and the one table that
// says which status an order may move to on which event.
//
// Terms: *quantity* is always in the base asset (BTC in BTC/USDT); *notional* is quantity × price in
// the quote asset; *trigger price* is the price that arms a stop or take-profit; *step* and *tick*
// are the market's quantity and price increments.
import { z } from 'zod';
import type { MarketInfo } from './ports.js';
import { decimalsOf, isMultipleOf, ONE, parseAmount, roundDownToStep, roundUpToStep, toPlain, type Dec } from './money.js';
import { maxLeverageOf, resolveMarket } from './market.js';
import { DomainErrorCode, fail, ok, type Result } from './result.js';

export const OrderSide = { buy: 'buy', sell: 'sell' } as const;
export type OrderSide = (typeof OrderSide)[keyof typeof OrderSide];

/**
 * - `stop`: stop-market; when the trigger trades, a market order goes out.
 * - `stop_limit`: when the trigger trades, a limit order at `price` goes out.
 * - `take_profit`: market order when the price reaches a profit target (the mirror of a stop).
 * - `trailing_stop`: a stop that follows the best price by an amount or a percent.
 * - `twap` / `vwap`: a parent order worked in child slices over time, equal-sized or volume-weighted.
 */
export const OrderType = {
  market: 'market',
  limit: 'limit',
  stop: 'stop',
  stopLimit: 'stop_limit',
  takeProfit: 'take_profit',
  trailingStop: 'trailing_stop',
  twap: 'twap',
  vwap: 'vwap',
} as const;
export type OrderType = (typeof OrderType)[keyof typeof OrderType];

/** gtc: rests until filled or cancelled; ioc: fill what you can now, cancel the rest; fok: all now or nothing. */
export const TimeInForce = { gtc: 'gtc', ioc: 'ioc', fok: 'fok' } as const;
export type TimeInForce = (typeof TimeInForce)[keyof typeof TimeInForce];

export const OrderStatus = {
  pending: 'pending',
  open: 'open',
  partiallyFilled: 'partially_filled',
  filled: 'filled',
  cancelled: 'cancelled',
  rejected: 'rejected',
  expired: 'expired',
} as const;
export type OrderStatus = (typeof OrderStatus)[keyof typeof OrderStatus];

export const OrderEvent = {
  accept: 'accept',
  reject: 'reject',
  trigger: 'trigger',
  amend: 'amend',
  partialFill: 'partial_fill',
  fill: 'fill',
  cancel: 'cancel',
  expire: 'expire',
} as const;
export type OrderEvent = (typeof OrderEvent)[keyof typeof OrderEvent];

/** Statuses an order never leaves. */
export const TERMINAL_STATUSES: readonly OrderStatus[] = ['filled', 'cancelled', 'rejected', 'expired'];

/**
 * The order state machine: (status, event) → next status. Anything not listed is illegal.
 * - `pending` is "stored, sent or being sent, not yet acknowledged". A venue may answer a submit with
 *   fills directly (and reconciliation after an unknown outcome may find fills), so fills are legal here.
 * - `trigger` arms a stop / take-profit / trailing stop; the order stays `open` (fills follow).
 * - `amend` changes price or quantity of a working order without changing its status.
 * - Terminal statuses have empty rows: nothing moves them.
 */
export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, Readonly<Partial<Record<OrderEvent, OrderStatus>>>>> = {
  pending: {
    accept: 'open',
    reject: 'rejected',
    partial_fill: 'partially_filled',
    fill: 'filled',
    cancel: 'cancelled',
    expire: 'expired',
  },
  open: {
    trigger: 'open',
    amend: 'open',
    partial_fill: 'partially_filled',
    fill: 'filled',
    cancel: 'cancelled',
    expire: 'expired',
  },
  partially_filled: {
    amend: 'partially_filled',
    partial_fill: 'partially_filled',
    fill: 'filled',
    cancel: 'cancelled',
    expire: 'expired',
  },
  filled: {},
  cancelled: {},
  rejected: {},
  expired: {},
};

export function isTerminalStatus(status: OrderStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** Applies one event to a status; an event the table does not allow is an error, never a no-op. */
export function transitionOrder(status: OrderStatus, event: OrderEvent): Result<OrderStatus> {
  const next = ORDER_TRANSITIONS[status][event];
  if (next === undefined) {
    const why = isTerminalStatus(status) ? `the order is already ${status} and cannot change` : `allowed events are ${allowedEvents(status).join(', ')}`;
    return fail(DomainErrorCode.illegalTransition, `cannot ${event.replace('_', ' ')} an order that is ${status}; ${why}`, { status, event });
  }
  return ok(next);
}

export function allowedEvents(status: OrderStatus): OrderEvent[] {
  return Object.keys(ORDER_TRANSITIONS[status]) as OrderEvent[];
}

/** Which fill event a cumulative filled quantity means: `fill` when complete, `partial_fill` before. */
export function fillEventFor(filledQuantity: Dec, orderQuantity: Dec): Result<'fill' | 'partial_fill'> {
  if (!filledQuantity.isFinite() || filledQuantity.lte(0)) {
    return fail(DomainErrorCode.invalidFill, `filled quantity must be greater than zero, got ${toPlain(filledQuantity)}`);
  }
  if (filledQuantity.gt(orderQuantity)) {
    return fail(
      DomainErrorCode.overfill,
      `filled quantity ${toPlain(filledQuantity)} exceeds the order quantity ${toPlain(orderQuantity)}; the fill is refused`,
      { filledQuantity: toPlain(filledQuantity), orderQuantity: toPlain(orderQuantity) },
    );
  }
  return ok(filledQuantity.eq(orderQuantity) ? 'fill' : 'partial_fill');
}

/** The status after a fill, from the order's status and its cumulative filled vs ordered quantity. */
export function statusAfterFill(status: OrderStatus, filledQuantity: Dec, orderQuantity: Dec): Result<OrderStatus> {
  const event = fillEventFor(filledQuantity, orderQuantity);
  if (!event.ok) return event;
  return transitionOrder(status, event.value);
}

// ---------------------------------------------------------------------------------------------------
// Order requests

const decimalText = (field: string, what: string): z.ZodType<string, z.ZodTypeDef, unknown> =>
  z
    .union([z.string().max(64, `${field} is too long (at most 64 characters)`), z.number()])
    .transform((v) => (typeof v === 'number' ? String(v) : v.trim()))
    .describe(`${what}, as a decimal string such as "0.5"`);

/** An order as asked for (by a person, a model or an API client). Decimals travel as strings. */
export const OrderRequestSchema = z
  .object({
    symbol: z.string().min(1).max(64).describe('Market, e.g. "BTC/USDT", "SOL-PERP", "ethusdt" or "BTC"'),
    side: z.enum(['buy', 'sell']).describe('buy or sell'),
    type: z
      .enum(['market', 'limit', 'stop', 'stop_limit', 'take_profit', 'trailing_stop', 'twap', 'vwap'])
      .describe('Order type'),
    quantity: decimalText('quantity', 'quantity in the base asset').optional(),
    quoteQuantity: decimalText('quoteQuantity', 'size in the quote asset ("100" USDT of SOL) instead of quantity').optional(),
    price: decimalText('price', 'limit price (limit, stop_limit; optional price cap on twap/vwap)').optional(),
    triggerPrice: decimalText('triggerPrice', 'trigger price (stop, stop_limit, take_profit)').optional(),
    trailingAmount: decimalText('trailingAmount', 'trailing distance in price units (trailing_stop)').optional(),
    trailingPercent: decimalText('trailingPercent', 'trailing distance in percent, e.g. "2" for 2% (trailing_stop)').optional(),
    timeInForce: z.enum(['gtc', 'ioc', 'fok']).optional().describe('gtc (default), ioc or fok; market orders are ioc'),
    postOnly: z.boolean().optional().describe('Rest as maker only; refused if it would trade at once'),
    reduceOnly: z.boolean().optional().describe('Only reduce an existing position, never open or grow one'),
    leverage: decimalText('leverage', 'leverage for perpetuals, e.g. "5"').optional(),
    slices: z.number().int().min(2).max(1000).optional().describe('Number of child orders (twap, vwap)'),
    durationMs: z.number().int().min(1000).max(30 * 86_400_000).optional().describe('Time to work a twap/vwap over, in ms'),
  })
  .strict();
export type OrderRequest = z.infer<typeof OrderRequestSchema>;

/** Parses untrusted input into an `OrderRequest`, naming every bad field. */
export function parseOrderRequest(raw: unknown): Result<OrderRequest> {
  const parsed = OrderRequestSchema.safeParse(raw);
  if (parsed.success) return ok(parsed.data);
  const problems = parsed.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : 'order'}: ${i.message}`);
  return fail(DomainErrorCode.invalidInput, `invalid order request: ${problems.join('; ')}`, { issues: problems });
}

export type TrailingOffset = { kind: 'amount'; amount: Dec } | { kind: 'percent'; percent: Dec };

/** A request checked against its market: canonical symbol, decimals parsed, size in base on the step. */
export interface OrderIntent {
  market: MarketInfo;
  symbol: string;
  side: OrderSide;
  type: OrderType;
  quantity: Dec;
  price?: Dec;
  triggerPrice?: Dec;
  trailing?: TrailingOffset;
  timeInForce: TimeInForce;
  postOnly: boolean;
  reduceOnly: boolean;
  /** 1 on spot; 1 unless given on perpetuals. */
  leverage: Dec;
  schedule?: { slices: number; durationMs: number };
  /** Present when the size was given in quote: the amount asked for and the price it was converted at. */
  sizedFromQuote?: { quoteAmount: Dec; atPrice: Dec };
}

export interface ValidateOrderOptions {
  /**
   * Current price for the symbol. Needed to convert a quote-sized market order to base and to check
   * the minimum order value of orders that carry no price of their own.
   */
  referencePrice?: Dec;
}

const PRICED_TYPES: readonly OrderType[] = ['limit', 'stop_limit'];
const PRICE_OPTIONAL_TYPES: readonly OrderType[] = ['twap', 'vwap'];
const TRIGGERED_TYPES: readonly OrderType[] = ['stop', 'stop_limit', 'take_profit'];
const SCHEDULED_TYPES: readonly OrderType[] = ['twap', 'vwap'];

/** Converts a quote amount to base at `price`, rounding down to the step (never buy more than paid for). */
export function quoteToBase(quoteAmount: Dec, price: Dec, step: Dec): Dec {
  return roundDownToStep(quoteAmount.div(price), step);
}

/** Time in force when none is given: market orders ioc (they never rest), everything else gtc. */
export function defaultTimeInForce(type: OrderType): TimeInForce {
  return type === 'market' ? 'ioc' : 'gtc';
}

function fixed(d: Dec, places: number): string {
  return d.toFixed(places);
}

/** Checks a quantity against step, min and max; returns it unchanged when valid. */
export function checkQuantity(quantity: Dec, market: MarketInfo, field = 'quantity'): Result<Dec> {
  const step = market.stepSize;
  const places = decimalsOf(step);
  const sym = market.symbol;
  if (!isMultipleOf(quantity, step)) {
    const down = roundDownToStep(quantity, step);
    const use = down.gt(0) && down.gte(market.minQty) ? fixed(down, places) : `at least ${fixed(market.minQty, places)}`;
    if (quantity.decimalPlaces() > step.decimalPlaces()) {
      return fail(
        DomainErrorCode.tooManyDecimals,
        `${field} ${toPlain(quantity)} has more decimals than the step ${toPlain(step)} for ${sym}; use ${use}`,
        { step: toPlain(step), suggestion: toPlain(down) },
      );
    }
    return fail(
      DomainErrorCode.notStepMultiple,
      `${field} ${toPlain(quantity)} is not a multiple of the step ${toPlain(step)} for ${sym}; use ${use}`,
      { step: toPlain(step), suggestion: toPlain(down) },
    );
  }
  if (quantity.lt(market.minQty)) {
    return fail(
      DomainErrorCode.belowMinQty,
      `${field} ${toPlain(quantity)} is below the minimum ${toPlain(market.minQty)} for ${sym}; use at least ${toPlain(market.minQty)}`,
      { minQty: toPlain(market.minQty) },
    );
  }
  if (market.maxQty && quantity.gt(market.maxQty)) {
    return fail(
      DomainErrorCode.aboveMaxQty,
      `${field} ${toPlain(quantity)} is above the maximum ${toPlain(market.maxQty)} for ${sym}; use at most ${toPlain(market.maxQty)} or split the order`,
      { maxQty: toPlain(market.maxQty) },
    );
  }
  return ok(quantity);
}

/** Checks that a price lies on the market's tick; the message offers the ticks either side. */
export function checkPriceOnTick(price: Dec, market: MarketInfo, field = 'price'): Result<Dec> {
  const tick = market.tickSize;
  if (isMultipleOf(price, tick)) return ok(price);
  const places = decimalsOf(tick);
  const down = roundDownToStep(price, tick);
  const up = down.add(tick);
  const options = down.gt(0) ? `${fixed(down, places)} or ${fixed(up, places)}` : fixed(up, places);
  return fail(
    DomainErrorCode.priceNotOnTick,
    `${field} ${toPlain(price)} is not a multiple of the tick ${toPlain(tick)} for ${market.symbol}; use ${options}`,
    { tick: toPlain(tick), below: toPlain(down), above: toPlain(up) },
  );
}

function amount(input: string | undefined, field: string): Result<Dec | undefined> {
  if (input === undefined) return ok(undefined);
  const p = parseAmount(input, field);
  if (!p.ok) return fail(DomainErrorCode.invalidAmount, p.error, { field });
  return ok(p.value);
}

/**
 * Checks a parsed request against the markets and returns the order to place. Refuses (first problem
 * found): unknown symbol; a price on a market/stop/take-profit/trailing order; a limit without price;
 * a stop without trigger; post-only that is not a resting limit; leverage on spot or above the cap;
 * reduce-only buys on spot; zero, negative, non-numeric or absurd amounts; quantities off the step
 * or outside min/max; prices off the tick; order value below the market minimum.
 * Market orders are immediate-or-cancel (a requested gtc is read as ioc); fok is kept.
 */
export function validateOrderRequest(
  request: OrderRequest,
  markets: readonly MarketInfo[],
  opts: ValidateOrderOptions = {},
): Result<OrderIntent> {
  const resolved = resolveMarket(request.symbol, markets);
  if (!resolved.ok) return resolved;
  const market = resolved.value;
  const sym = market.symbol;
  const { type, side } = request;

  // Which fields each type takes.
  if (type === 'market' && request.price !== undefined) {
    return fail(DomainErrorCode.priceNotAllowed, `a market order takes no price; drop price, or use type "limit" to set one`);
  }
  if (PRICED_TYPES.includes(type) && request.price === undefined) {
    return fail(DomainErrorCode.priceRequired, `a ${type} order needs a price; add price, or use type "${type === 'limit' ? 'market' : 'stop'}"`);
  }
  if (!PRICED_TYPES.includes(type) && !PRICE_OPTIONAL_TYPES.includes(type) && type !== 'market' && request.price !== undefined) {
    const instead = type === 'stop' ? 'use type "stop_limit" to set a limit price' : 'drop price';
    return fail(DomainErrorCode.priceNotAllowed, `a ${type} order takes no limit price; ${instead}`);
  }
  if (TRIGGERED_TYPES.includes(type) && request.triggerPrice === undefined) {
    return fail(DomainErrorCode.triggerRequired, `a ${type} order needs a triggerPrice (the price that sets it off); add triggerPrice`);
  }
  if (!TRIGGERED_TYPES.includes(type) && request.triggerPrice !== undefined) {
    return fail(DomainErrorCode.triggerNotAllowed, `a ${type} order takes no triggerPrice; drop it, or use type "stop" or "take_profit"`);
  }
  const hasAmount = request.trailingAmount !== undefined;
  const hasPercent = request.trailingPercent !== undefined;
  if (type === 'trailing_stop' && hasAmount === hasPercent) {
    return fail(DomainErrorCode.trailingRequired, 'a trailing_stop needs exactly one of trailingAmount (price units) or trailingPercent');
  }
  if (type !== 'trailing_stop' && (hasAmount || hasPercent)) {
    return fail(DomainErrorCode.trailingNotAllowed, `a ${type} order takes no trailing distance; drop it, or use type "trailing_stop"`);
  }
  if (SCHEDULED_TYPES.includes(type) && (request.slices === undefined || request.durationMs === undefined)) {
    return fail(DomainErrorCode.scheduleRequired, `a ${type} order needs slices (2–1000) and durationMs (time to work it over)`);
  }
  if (!SCHEDULED_TYPES.includes(type) && (request.slices !== undefined || request.durationMs !== undefined)) {
    return fail(DomainErrorCode.scheduleNotAllowed, `a ${type} order takes no slices or durationMs; use type "twap" or "vwap" to work an order over time`);
  }

  // Flags.
  const postOnly = request.postOnly ?? false;
  const reduceOnly = request.reduceOnly ?? false;
  let timeInForce: TimeInForce = request.timeInForce ?? defaultTimeInForce(type);
  if (type === 'market' && timeInForce === 'gtc') timeInForce = 'ioc';
  if (postOnly && type === 'market') {
    return fail(DomainErrorCode.postOnlyOnMarket, 'post_only cannot be used on a market order (it always takes liquidity); use a limit order, or drop post_only');
  }
  if (postOnly && type !== 'limit') {
    return fail(DomainErrorCode.postOnlyConflict, `post_only applies to limit orders only, not ${type}; drop post_only`);
  }
  if (postOnly && timeInForce !== 'gtc') {
    return fail(DomainErrorCode.postOnlyConflict, `post_only rests on the book and cannot be ${timeInForce}; use timeInForce gtc or drop post_only`);
  }
  if (SCHEDULED_TYPES.includes(type) && timeInForce !== 'gtc') {
    return fail(DomainErrorCode.invalidInput, `a ${type} order is worked over time; timeInForce ${timeInForce} does not apply, drop it`);
  }
  if (reduceOnly && market.kind === 'spot' && side === 'buy') {
    return fail(DomainErrorCode.reduceOnlyOnSpotBuy, `reduce_only on a spot buy cannot reduce anything on ${sym}; drop reduce_only`);
  }

  // Leverage.
  const lev = amount(request.leverage, 'leverage');
  if (!lev.ok) return lev;
  const leverage = lev.value ?? ONE;
  if (market.kind === 'spot') {
    if (!leverage.eq(1)) {
      const perp = markets.find((m) => m.kind === 'perp' && m.base === market.base);
      const instead = perp ? `trade ${perp.symbol} for leverage` : 'drop leverage';
      return fail(DomainErrorCode.leverageOnSpot, `${sym} is a spot market and takes no leverage; ${instead}`);
    }
  } else {
    const max = maxLeverageOf(market);
    if (leverage.lt(1)) {
      return fail(DomainErrorCode.invalidLeverage, `leverage ${toPlain(leverage)}x is below 1x; use 1x to ${max}x`);
    }
    if (leverage.gt(max)) {
      return fail(DomainErrorCode.leverageTooHigh, `leverage ${toPlain(leverage)}x is above the maximum ${max}x for ${sym}; use at most ${max}x`, { maxLeverage: max });
    }
  }

  // Prices.
  const priceR = amount(request.price, 'price');
  if (!priceR.ok) return priceR;
  const price = priceR.value;
  if (price) {
    const t = checkPriceOnTick(price, market, 'price');
    if (!t.ok) return t;
  }
  const triggerR = amount(request.triggerPrice, 'triggerPrice');
  if (!triggerR.ok) return triggerR;
  const triggerPrice = triggerR.value;
  if (triggerPrice) {
    const t = checkPriceOnTick(triggerPrice, market, 'triggerPrice');
    if (!t.ok) return t;
  }
  let trailing: TrailingOffset | undefined;
  if (hasAmount) {
    const a = amount(request.trailingAmount, 'trailingAmount');
    if (!a.ok) return a;
    const t = checkPriceOnTick(a.value!, market, 'trailingAmount');
    if (!t.ok) return t;
    trailing = { kind: 'amount', amount: a.value! };
  } else if (hasPercent) {
    const p = amount(request.trailingPercent, 'trailingPercent');
    if (!p.ok) return p;
    if (p.value!.gte(100)) {
      return fail(DomainErrorCode.invalidAmount, `trailingPercent ${toPlain(p.value!)} must be below 100; a trailing stop is usually 0.5–20 percent`);
    }
    trailing = { kind: 'percent', percent: p.value! };
  }

  // Size: base quantity, or a quote amount converted at the order's own price or the reference price.
  const hasQty = request.quantity !== undefined;
  const hasQuote = request.quoteQuantity !== undefined;
  if (!hasQty && !hasQuote) {
    return fail(DomainErrorCode.sizeRequired, `give a size: quantity in ${market.base}, or quoteQuantity in ${market.quote}`);
  }
  if (hasQty && hasQuote) {
    return fail(DomainErrorCode.ambiguousSize, `give quantity (${market.base}) or quoteQuantity (${market.quote}), not both`);
  }
  const pricing = price ?? triggerPrice ?? opts.referencePrice;
  let quantity: Dec;
  let sizedFromQuote: OrderIntent['sizedFromQuote'];
  if (hasQty) {
    const q = amount(request.quantity, 'quantity');
    if (!q.ok) return q;
    const checked = checkQuantity(q.value!, market);
    if (!checked.ok) return checked;
    quantity = checked.value;
  } else {
    const qa = amount(request.quoteQuantity, 'quoteQuantity');
    if (!qa.ok) return qa;
    if (!pricing) {
      return fail(DomainErrorCode.priceRequired, `a size in ${market.quote} needs a price to convert at; give quantity in ${market.base}, or a limit price`);
    }
    quantity = quoteToBase(qa.value!, pricing, market.stepSize);
    if (quantity.lt(market.minQty)) {
      return fail(
        DomainErrorCode.belowMinQty,
        `${toPlain(qa.value!)} ${market.quote} of ${market.base} at ${toPlain(pricing)} is ${toPlain(quantity)} ${market.base}, below the minimum ${toPlain(market.minQty)}; spend at least ${market.minQty.mul(pricing).toFixed(2)} ${market.quote}`,
        { minQty: toPlain(market.minQty) },
      );
    }
    const checked = checkQuantity(quantity, market);
    if (!checked.ok) return checked;
    sizedFromQuote = { quoteAmount: qa.value!, atPrice: pricing };
  }

  let schedule: OrderIntent['schedule'];
  if (request.slices !== undefined && request.durationMs !== undefined) {
    const perSlice = roundDownToStep(quantity.div(request.slices), market.stepSize);
    if (perSlice.lt(market.minQty)) {
      const maxSlices = quantity.div(market.minQty).floor();
      return fail(
        DomainErrorCode.sliceBelowMinQty,
        `${request.slices} slices of ${toPlain(quantity)} ${market.base} are ${toPlain(perSlice)} each, below the minimum ${toPlain(market.minQty)}; use at most ${toPlain(maxSlices)} slices`,
      );
    }
    schedule = { slices: request.slices, durationMs: request.durationMs };
  }

  if (pricing) {
    const notional = quantity.mul(pricing);
    if (notional.lt(market.minNotional)) {
      const needed = roundUpToStep(market.minNotional.div(pricing), market.stepSize);
      return fail(
        DomainErrorCode.belowMinNotional,
        `order value ${notional.toFixed(2)} ${market.quote} is below the minimum ${toPlain(market.minNotional)} ${market.quote} for ${sym}; use at least ${toPlain(needed)} ${market.base}`,
        { minNotional: toPlain(market.minNotional), suggestion: toPlain(needed) },
      );
    }
  }

  return ok({
    market,
    symbol: sym,
    side,
    type,
    quantity,
    ...(price ? { price } : {}),
    ...(triggerPrice ? { triggerPrice } : {}),
    ...(trailing ? { trailing } : {}),
    timeInForce,
    postOnly,
    reduceOnly,
    leverage,
    ...(schedule ? { schedule } : {}),
    ...(sizedFromQuote ? { sizedFromQuote } : {}),
  });
}

/** Parses and validates in one step: untrusted input → an order to place, or the first problem. */
export function checkOrder(raw: unknown, markets: readonly MarketInfo[], opts: ValidateOrderOptions = {}): Result<OrderIntent> {
  const parsed = parseOrderRequest(raw);
  if (!parsed.ok) return parsed;
  return validateOrderRequest(parsed.value, markets, opts);
}
