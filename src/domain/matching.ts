// Paper matching: pure functions a paper broker calls to decide whether, how much and at what price an
// order fills against a quote or an order-book snapshot, plus triggers, trailing stops, TWAP/VWAP
// schedules and fees. Nothing here stores anything; the broker applies the results.
//
// Price rules (stated once):
// - A taker (an order that trades on arrival) fills at the prices on offer: the ask for a buy, the bid
//   for a sell, or book levels walked best first. A marketable limit therefore gets any price
//   improvement (fills at the ask even when its limit is higher), never a worse price than its limit.
// - A resting limit order (maker) that the market later trades through fills at its own limit price,
//   never better: the book moved to it, it did not take a better price.
// - Market orders against a bare quote pay the touch plus slippage plus size impact, rounded to the
//   tick against the trader. Fees are always charged in the quote asset.
import type { MarketInfo, OrderBookSnapshot, PriceQuote } from './ports.js';
import { D, dec, fromBps, minDec, roundDownToStep, toPlain, ZERO, type Dec } from './money.js';
import type { OrderSide, TimeInForce, TrailingOffset } from './order.js';
import { DomainErrorCode, fail, ok, type Result } from './result.js';

export const Liquidity = { maker: 'maker', taker: 'taker' } as const;
export type Liquidity = (typeof Liquidity)[keyof typeof Liquidity];

/** Fee rates as fractions of notional (0.001 = 0.1%). */
export interface FeeSchedule {
  makerRate: Dec;
  takerRate: Dec;
}

export const DEFAULT_SPOT_FEES: FeeSchedule = { makerRate: dec('0.001'), takerRate: dec('0.001') };
export const DEFAULT_PERP_FEES: FeeSchedule = { makerRate: dec('0.0002'), takerRate: dec('0.0005') };

/** Fee for one fill: rate × notional, in the quote asset. */
export function feeFor(notional: Dec, liquidity: Liquidity, fees: FeeSchedule): Dec {
  return notional.mul(liquidity === 'maker' ? fees.makerRate : fees.takerRate);
}

/** One execution. `notional` = price × quantity; `fee` is in `feeAsset` (the market's quote). */
export interface Fill {
  price: Dec;
  quantity: Dec;
  notional: Dec;
  liquidity: Liquidity;
  fee: Dec;
  feeAsset: string;
}

function makeFill(price: Dec, quantity: Dec, liquidity: Liquidity, market: MarketInfo, fees: FeeSchedule): Fill {
  const notional = price.mul(quantity);
  return { price, quantity, notional, liquidity, fee: feeFor(notional, liquidity, fees), feeAsset: market.quote };
}

/**
 * What happened to an order in one matching pass.
 * - `remainder`: `none` when nothing is left, `cancelled` when the rest is dropped (market, ioc, fok),
 *   `resting` when the rest stays on the book (gtc limit).
 * Invariant: filledQuantity = Σ fills.quantity ≤ order quantity; filled + remaining = order quantity.
 */
export interface MatchOutcome {
  fills: Fill[];
  filledQuantity: Dec;
  remainingQuantity: Dec;
  averagePrice: Dec | null;
  remainder: 'none' | 'cancelled' | 'resting';
  /** Why something did not fill, in words a trader understands. */
  reason?: string;
}

function outcome(fills: Fill[], quantity: Dec, restIfLeft: 'cancelled' | 'resting', reason?: string): MatchOutcome {
  const filled = fills.reduce<Dec>((a, f) => a.add(f.quantity), ZERO);
  const notional = fills.reduce<Dec>((a, f) => a.add(f.notional), ZERO);
  const remaining = quantity.sub(filled);
  return {
    fills,
    filledQuantity: filled,
    remainingQuantity: remaining,
    averagePrice: filled.gt(0) ? notional.div(filled) : null,
    remainder: remaining.isZero() ? 'none' : restIfLeft,
    ...(reason !== undefined && !remaining.isZero() ? { reason } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------
// Market orders against a quote

/**
 * Simulated cost of taking liquidity when only a quote is known.
 * Adverse bps = slippageBps + impactBps × (notional / impactNotional), capped at maxBps, applied on top
 * of the touch (bid/ask, or price ± halfSpreadBps when the quote has no bid/ask).
 */
export interface SlippageModel {
  halfSpreadBps: Dec;
  slippageBps: Dec;
  impactBps: Dec;
  impactNotional: Dec;
  maxBps: Dec;
}

export const DEFAULT_SLIPPAGE: SlippageModel = {
  halfSpreadBps: dec(2),
  slippageBps: dec(1),
  impactBps: dec(1),
  impactNotional: dec(100_000),
  maxBps: dec(500),
};

/** The touch: what a taker meets first. Ask for a buy, bid for a sell, or mid ± half spread. */
export function touchPrice(side: OrderSide, quote: PriceQuote, model: SlippageModel): Dec {
  const half = fromBps(model.halfSpreadBps);
  if (side === 'buy') return quote.ask ?? quote.price.mul(half.add(1));
  return quote.bid ?? quote.price.mul(new D(1).sub(half));
}

/** Fill price of a market order of `quantity` against a quote: touch, slippage and impact, tick-rounded against the trader. */
export function marketFillPrice(side: OrderSide, quantity: Dec, quote: PriceQuote, model: SlippageModel, market: MarketInfo): Dec {
  const touch = touchPrice(side, quote, model);
  const notional = touch.mul(quantity);
  const impact = model.impactNotional.gt(0) ? model.impactBps.mul(notional).div(model.impactNotional) : ZERO;
  const bps = minDec(model.slippageBps.add(impact), model.maxBps);
  const tick = market.tickSize;
  if (side === 'buy') {
    const raw = touch.mul(fromBps(bps).add(1));
    return tick.gt(0) ? raw.div(tick).ceil().mul(tick) : raw;
  }
  const raw = touch.mul(new D(1).sub(fromBps(bps)));
  const rounded = tick.gt(0) ? raw.div(tick).floor().mul(tick) : raw;
  return rounded.gt(0) ? rounded : tick;
}

/** Fills a whole market order against a quote (a quote has no depth, so it never partially fills). */
export function fillMarketOrderAtQuote(args: {
  side: OrderSide;
  quantity: Dec;
  quote: PriceQuote;
  market: MarketInfo;
  fees: FeeSchedule;
  model?: SlippageModel;
}): Result<Fill> {
  const { side, quantity, quote, market, fees } = args;
  if (quantity.lte(0)) return fail(DomainErrorCode.invalidAmount, `quantity must be greater than zero, got ${toPlain(quantity)}`);
  if (quote.price.lte(0)) return fail(DomainErrorCode.noLiquidity, `no usable price for ${market.symbol} (price ${toPlain(quote.price)}); try again when a price is available`);
  const price = marketFillPrice(side, quantity, quote, args.model ?? DEFAULT_SLIPPAGE, market);
  return ok(makeFill(price, quantity, 'taker', market, fees));
}

// ---------------------------------------------------------------------------------------------------
// Order book walking

/**
 * Matches an order against a book snapshot, best level first.
 * - `limitPrice` absent: a market order; it takes every level until filled; the rest is cancelled.
 * - `limitPrice` present: only levels at or better than the limit (buy: ask ≤ limit; sell: bid ≥ limit).
 * - `role: 'taker'` (default, an arriving order): each fill at its level's price, taker fee.
 *   `role: 'maker'` (a resting limit the book has moved through): fills at the limit price, maker fee.
 * - `fok`: fills everything or nothing. `ioc` and market orders: the rest is cancelled. `gtc` limit:
 *   the rest rests.
 * Level sizes are rounded down to the market step, so every fill quantity is a step multiple.
 */
export function matchAgainstBook(args: {
  side: OrderSide;
  quantity: Dec;
  book: OrderBookSnapshot;
  market: MarketInfo;
  fees: FeeSchedule;
  timeInForce: TimeInForce;
  limitPrice?: Dec;
  role?: Liquidity;
}): MatchOutcome {
  const { side, quantity, book, market, fees, timeInForce, limitPrice } = args;
  const role = args.role ?? 'taker';
  const levels = side === 'buy' ? book.asks : book.bids;
  const withinLimit = (price: Dec): boolean =>
    limitPrice === undefined ? true : side === 'buy' ? price.lte(limitPrice) : price.gte(limitPrice);
  const restIfLeft: 'cancelled' | 'resting' = limitPrice !== undefined && timeInForce === 'gtc' ? 'resting' : 'cancelled';

  const planned: Array<[Dec, Dec]> = [];
  let left = quantity;
  for (const [price, size] of levels) {
    if (left.lte(0)) break;
    if (!withinLimit(price)) break;
    const take = minDec(left, roundDownToStep(size, market.stepSize));
    if (take.lte(0)) continue;
    planned.push([price, take]);
    left = left.sub(take);
  }

  if (timeInForce === 'fok' && left.gt(0)) {
    const available = quantity.sub(left);
    const where = limitPrice === undefined ? 'in the book' : `at ${toPlain(limitPrice)} or better`;
    return outcome([], quantity, 'cancelled', `fill-or-kill: only ${toPlain(available)} of ${toPlain(quantity)} ${market.base} available ${where}; nothing filled`);
  }
  const fills = planned.map(([price, take]) =>
    makeFill(role === 'maker' && limitPrice !== undefined ? limitPrice : price, take, role, market, fees),
  );
  const reason = planned.length === 0
    ? (limitPrice === undefined ? 'the book is empty on that side' : `no liquidity at ${toPlain(limitPrice)} or better`)
    : 'the book ran out of depth within the limit';
  return outcome(fills, quantity, restIfLeft, reason);
}

// ---------------------------------------------------------------------------------------------------
// Limit orders against a quote

/** True when a limit order at `limitPrice` would trade at once: a buy when ask ≤ limit, a sell when bid ≥ limit. */
export function limitCrosses(side: OrderSide, limitPrice: Dec, quote: PriceQuote): boolean {
  if (side === 'buy') return (quote.ask ?? quote.price).lte(limitPrice);
  return (quote.bid ?? quote.price).gte(limitPrice);
}

/**
 * A limit order arriving: when it crosses, it takes the touch (price improvement to the trader) for its
 * whole quantity; otherwise it rests (gtc) or is cancelled (ioc, fok). A post-only order that would
 * cross is refused, so it never pays taker fees.
 */
export function matchLimitOnArrival(args: {
  side: OrderSide;
  limitPrice: Dec;
  quantity: Dec;
  quote: PriceQuote;
  market: MarketInfo;
  fees: FeeSchedule;
  timeInForce: TimeInForce;
  postOnly?: boolean;
}): Result<MatchOutcome> {
  const { side, limitPrice, quantity, quote, market, fees, timeInForce } = args;
  const crosses = limitCrosses(side, limitPrice, quote);
  if (crosses && args.postOnly) {
    const touch = side === 'buy' ? (quote.ask ?? quote.price) : (quote.bid ?? quote.price);
    const fix = side === 'buy' ? `below ${toPlain(touch)}` : `above ${toPlain(touch)}`;
    return fail(
      DomainErrorCode.postOnlyWouldCross,
      `post-only ${side} at ${toPlain(limitPrice)} would trade at once against the ${side === 'buy' ? 'ask' : 'bid'} ${toPlain(touch)}; set the price ${fix} or drop post_only`,
    );
  }
  if (!crosses) {
    return ok(outcome([], quantity, timeInForce === 'gtc' ? 'resting' : 'cancelled', `the market is not at ${toPlain(limitPrice)} yet`));
  }
  const touch = side === 'buy' ? (quote.ask ?? quote.price) : (quote.bid ?? quote.price);
  return ok(outcome([makeFill(touch, quantity, 'taker', market, fees)], quantity, 'cancelled'));
}

/** A resting limit order checked against a new quote: fills whole at its own price (maker) once the market reaches it. */
export function matchRestingLimit(args: {
  side: OrderSide;
  limitPrice: Dec;
  quantity: Dec;
  quote: PriceQuote;
  market: MarketInfo;
  fees: FeeSchedule;
}): MatchOutcome {
  const { side, limitPrice, quantity, quote, market, fees } = args;
  if (!limitCrosses(side, limitPrice, quote)) return outcome([], quantity, 'resting');
  return outcome([makeFill(limitPrice, quantity, 'maker', market, fees)], quantity, 'resting');
}

// ---------------------------------------------------------------------------------------------------
// Triggers

/**
 * Whether a stop or take-profit is set off by `price` (the last or mark price the broker watches):
 * - stop / stop_limit: a buy when price ≥ trigger (breakout or short stop), a sell when price ≤ trigger.
 * - take_profit: a sell when price ≥ trigger (long target), a buy when price ≤ trigger (short target).
 */
export function isTriggered(type: 'stop' | 'stop_limit' | 'take_profit', side: OrderSide, triggerPrice: Dec, price: Dec): boolean {
  const risesThrough = (type === 'take_profit') === (side === 'sell');
  return risesThrough ? price.gte(triggerPrice) : price.lte(triggerPrice);
}

/**
 * A trailing stop's state. `reference` is the best price seen since placement: the high-water mark for
 * a sell (protecting a long), the low-water mark for a buy (protecting a short).
 * Stop = reference ∓ offset, rounded to the tick away from the price (sell down, buy up), so rounding
 * never makes it fire earlier than the stated distance.
 */
export interface TrailingStopState {
  side: OrderSide;
  offset: TrailingOffset;
  reference: Dec;
  stopPrice: Dec;
}

function trailingStopPrice(side: OrderSide, offset: TrailingOffset, reference: Dec, tick: Dec): Dec {
  const distance = offset.kind === 'amount' ? offset.amount : reference.mul(offset.percent).div(100);
  if (side === 'sell') {
    const raw = reference.sub(distance);
    return tick.gt(0) ? raw.div(tick).floor().mul(tick) : raw;
  }
  const raw = reference.add(distance);
  return tick.gt(0) ? raw.div(tick).ceil().mul(tick) : raw;
}

export function startTrailingStop(side: OrderSide, offset: TrailingOffset, price: Dec, tick: Dec): TrailingStopState {
  return { side, offset, reference: price, stopPrice: trailingStopPrice(side, offset, price, tick) };
}

/** Moves the reference with a new price (only in the trader's favour) and says whether the stop fired. */
export function updateTrailingStop(state: TrailingStopState, price: Dec, tick: Dec): { state: TrailingStopState; triggered: boolean } {
  const better = state.side === 'sell' ? price.gt(state.reference) : price.lt(state.reference);
  const reference = better ? price : state.reference;
  const stopPrice = better ? trailingStopPrice(state.side, state.offset, reference, tick) : state.stopPrice;
  const triggered = state.side === 'sell' ? price.lte(stopPrice) : price.gte(stopPrice);
  return { state: { ...state, reference, stopPrice }, triggered };
}

// ---------------------------------------------------------------------------------------------------
// TWAP / VWAP schedules

/** One child order of a worked parent: when to send it and how much. */
export interface ChildSlice {
  index: number;
  at: Date;
  quantity: Dec;
}

/**
 * Equal slices over a duration, the first at `startAt`, then every durationMs / slices.
 * Each slice is quantity / slices rounded down to the step; the last takes the remainder, so the
 * slices sum exactly to the parent and the last is never smaller than the others.
 */
export function twapSchedule(args: {
  quantity: Dec;
  slices: number;
  startAt: Date;
  durationMs: number;
  step: Dec;
  minQty?: Dec;
}): Result<ChildSlice[]> {
  const { quantity, slices, startAt, durationMs, step } = args;
  if (!Number.isInteger(slices) || slices < 1) return fail(DomainErrorCode.invalidInput, `slices must be a whole number of at least 1, got ${slices}`);
  const each = roundDownToStep(quantity.div(slices), step);
  const minQty = args.minQty ?? step;
  if (slices > 1 && (each.lte(0) || each.lt(minQty))) {
    const maxSlices = minQty.gt(0) ? quantity.div(minQty).floor() : ZERO;
    return fail(
      DomainErrorCode.tooManySlices,
      `${toPlain(quantity)} split into ${slices} slices is ${toPlain(each)} each, below the minimum ${toPlain(minQty)}; use at most ${toPlain(maxSlices)} slices`,
    );
  }
  const interval = Math.floor(durationMs / slices);
  const out: ChildSlice[] = [];
  for (let i = 0; i < slices; i++) {
    const q = i === slices - 1 ? quantity.sub(each.mul(slices - 1)) : each;
    out.push({ index: i, at: new Date(startAt.getTime() + i * interval), quantity: q });
  }
  return ok(out);
}

/**
 * Volume-weighted slices: one bucket per entry of `volumeProfile` (expected traded volume in each
 * equal time bucket over `durationMs`). Quantities follow cumulative weights rounded down to the step
 * (so rounding never drifts), buckets that would get less than `minQty` carry into the next, and the
 * last slice takes the remainder; slices sum exactly to the parent. Empty buckets get no slice.
 */
export function vwapSchedule(args: {
  quantity: Dec;
  volumeProfile: readonly Dec[];
  startAt: Date;
  durationMs: number;
  step: Dec;
  minQty?: Dec;
}): Result<ChildSlice[]> {
  const { quantity, volumeProfile, startAt, durationMs, step } = args;
  const minQty = args.minQty ?? step;
  if (volumeProfile.length === 0) return fail(DomainErrorCode.invalidVolumeProfile, 'the volume profile is empty; give at least one bucket of volume');
  if (volumeProfile.some((v) => !v.isFinite() || v.isNeg())) {
    return fail(DomainErrorCode.invalidVolumeProfile, 'the volume profile has a negative or non-finite volume; volumes must be zero or more');
  }
  const total = volumeProfile.reduce<Dec>((a, v) => a.add(v), ZERO);
  if (total.isZero()) return fail(DomainErrorCode.invalidVolumeProfile, 'the volume profile has no volume in any bucket; use a TWAP instead');
  const interval = Math.floor(durationMs / volumeProfile.length);
  const lastWeighted = volumeProfile.reduce((last, v, i) => (v.gt(0) ? i : last), 0);

  const out: ChildSlice[] = [];
  let cumulativeWeight = ZERO;
  let assigned = ZERO;
  for (let i = 0; i <= lastWeighted; i++) {
    const v = volumeProfile[i] ?? ZERO;
    cumulativeWeight = cumulativeWeight.add(v);
    const at = new Date(startAt.getTime() + i * interval);
    if (i === lastWeighted) {
      const rest = quantity.sub(assigned);
      const prev = out[out.length - 1];
      if (rest.lt(minQty) && prev) prev.quantity = prev.quantity.add(rest);
      else if (rest.gt(0)) out.push({ index: out.length, at, quantity: rest });
      break;
    }
    if (v.isZero()) continue;
    const target = roundDownToStep(quantity.mul(cumulativeWeight).div(total), step);
    const slice = target.sub(assigned);
    if (slice.gt(0) && slice.gte(minQty)) {
      out.push({ index: out.length, at, quantity: slice });
      assigned = assigned.add(slice);
    }
  }
  return ok(out);
}
