// Positions: what an account holds in one market and what it has made or lost on it.
//
// Terms:
// - Spot holding: base asset bought at an average cost; always long, never leveraged, never liquidated.
// - Perpetual position: long or short a contract with leverage and *isolated margin* — the collateral
//   set aside for this position alone, initial margin = entry notional / leverage.
// - Maintenance margin rate (mmr): the share of notional the margin must stay above; below it the
//   position is liquidated. Liquidation price (isolated, fees ignored):
//     long  liq = entry × (1 − 1/leverage + mmr)
//     short liq = entry × (1 + 1/leverage − mmr)
//   With mmr < 1/leverage (enforced on open) a long's liq is below entry and a short's above it.
// - Realised P&L: gross profit locked in by reducing fills, (exit − entry) × quantity (× −1 short).
//   Net P&L = realised − fees + funding. Funding is + when received, − when paid.
// - Max drawdown of a position: the worst mark-to-market unrealised P&L seen while open.
// - Risk consumed: the largest amount the position stood to lose while open — quantity × distance
//   to its stop loss when one is set, otherwise its isolated margin (perp) or its cost (spot).
import type { Market } from './market.js';
import { maintenanceMarginRateOf } from './market.js';
import { maxDec, minDec, ONE, roundDownToStep, toPlain, ZERO, type Dec } from './money.js';
import type { OrderSide } from './order.js';
import { DomainErrorCode, fail, ok, type Result } from './result.js';

export const PositionSide = { long: 'long', short: 'short' } as const;
export type PositionSide = (typeof PositionSide)[keyof typeof PositionSide];

export interface Position {
  symbol: string;
  kind: 'spot' | 'perp';
  side: PositionSide;
  /** Always > 0 while open, in base units. */
  quantity: Dec;
  /** Average entry price. */
  entryPrice: Dec;
  /** 1 on spot. */
  leverage: Dec;
  /** 0 on spot. */
  maintenanceMarginRate: Dec;
  realisedPnl: Dec;
  fees: Dec;
  funding: Dec;
  openedAt: Date;
  updatedAt: Date;
  /** Most negative unrealised P&L seen (≤ 0). */
  worstUnrealisedPnl: Dec;
  /** Largest risk carried so far (see header). */
  maxRisk: Dec;
  /** Quantity closed so far and the value it was closed at (average exit = exitNotional / exitQuantity). */
  exitQuantity: Dec;
  exitNotional: Dec;
  /** The stop loss price protecting the position, when there is one; used for risk. */
  stopLossPrice?: Dec;
}

/** A position after it went flat: the record kept for reports. */
export interface ClosedPosition {
  symbol: string;
  kind: 'spot' | 'perp';
  side: PositionSide;
  /** Total quantity closed over the position's life. */
  quantity: Dec;
  entryPrice: Dec;
  /** Average price of all reducing fills. */
  exitPrice: Dec;
  leverage: Dec;
  realisedPnl: Dec;
  fees: Dec;
  funding: Dec;
  /** realisedPnl − fees + funding. */
  netPnl: Dec;
  /** Worst unrealised loss while open, as a positive amount (0 if never under water). */
  maxDrawdown: Dec;
  riskConsumed: Dec;
  openedAt: Date;
  closedAt: Date;
  holdingMs: number;
}

/** A fill as it reaches the position: which way, how much, at what price, the fee paid (in quote). */
export interface PositionFill {
  symbol: string;
  side: OrderSide;
  quantity: Dec;
  price: Dec;
  fee: Dec;
  at: Date;
  /** Leverage for a position this fill opens (perp); an existing position keeps its leverage. */
  leverage?: Dec;
  /** Clamp to the open quantity; never open, grow or flip. */
  reduceOnly?: boolean;
  /** Stop loss attached at entry, for a position this fill opens (sets its risk from the start). */
  stopLossPrice?: Dec;
}

export const PositionEffect = {
  opened: 'opened',
  increased: 'increased',
  reduced: 'reduced',
  closed: 'closed',
  flipped: 'flipped',
} as const;
export type PositionEffect = (typeof PositionEffect)[keyof typeof PositionEffect];

export interface PositionUpdate {
  /** The open position after the fill (null when flat). */
  position: Position | null;
  /** The record of a position this fill closed (also set on a flip). */
  closed: ClosedPosition | null;
  effect: PositionEffect;
  /** Gross P&L realised by this fill. */
  realisedPnl: Dec;
  /** Quantity actually applied (less than the fill's after a reduce-only clamp). */
  appliedQuantity: Dec;
  /** Fee actually applied (scaled with a reduce-only clamp). */
  appliedFee: Dec;
}

const direction = (side: PositionSide): number => (side === 'long' ? 1 : -1);

/** Liquidation price of an isolated position (see header); null for leverage-free spot. */
export function liquidationPriceFor(side: PositionSide, entryPrice: Dec, leverage: Dec, maintenanceMarginRate: Dec): Dec {
  const inverse = ONE.div(leverage);
  return side === 'long'
    ? entryPrice.mul(ONE.sub(inverse).add(maintenanceMarginRate))
    : entryPrice.mul(ONE.add(inverse).sub(maintenanceMarginRate));
}

export function liquidationPrice(position: Position): Dec | null {
  if (position.kind === 'spot') return null;
  return liquidationPriceFor(position.side, position.entryPrice, position.leverage, position.maintenanceMarginRate);
}

/** Isolated margin = entry notional / leverage (the cost, on spot). */
export function isolatedMargin(position: Position): Dec {
  return position.entryPrice.mul(position.quantity).div(position.leverage);
}

export function positionNotional(position: Position, price: Dec): Dec {
  return position.quantity.mul(price);
}

/** Mark-to-market P&L: (mark − entry) × quantity, negated for shorts. */
export function unrealisedPnl(position: Position, markPrice: Dec): Dec {
  return markPrice.sub(position.entryPrice).mul(position.quantity).mul(direction(position.side));
}

/** True once the mark reaches the liquidation price (long: mark ≤ liq; short: mark ≥ liq). */
export function isLiquidated(position: Position, markPrice: Dec): boolean {
  const liq = liquidationPrice(position);
  if (liq === null) return false;
  return position.side === 'long' ? markPrice.lte(liq) : markPrice.gte(liq);
}

/** Records a mark: keeps the worst unrealised P&L (the position's drawdown). */
export function markPosition(position: Position, markPrice: Dec): Position {
  const u = unrealisedPnl(position, markPrice);
  return u.lt(position.worstUnrealisedPnl) ? { ...position, worstUnrealisedPnl: u } : position;
}

/**
 * Funding for one interval: rate × notional at the mark, paid by longs to shorts when the rate is
 * positive (and the other way when negative). Returns the amount to the position: − paid, + received.
 */
export function fundingPayment(side: PositionSide, quantity: Dec, markPrice: Dec, rate: Dec): Dec {
  return rate.mul(quantity).mul(markPrice).mul(-direction(side));
}

export function applyFunding(position: Position, rate: Dec, markPrice: Dec, at: Date): { position: Position; payment: Dec } {
  if (position.kind === 'spot') return { position, payment: ZERO };
  const payment = fundingPayment(position.side, position.quantity, markPrice, rate);
  return { position: { ...position, funding: position.funding.add(payment), updatedAt: at }, payment };
}

/** Risk the position carries now: distance to its stop × quantity, else its margin (perp) or cost (spot). */
export function positionRisk(position: Pick<Position, 'side' | 'quantity' | 'entryPrice' | 'leverage' | 'stopLossPrice'>): Dec {
  if (position.stopLossPrice !== undefined) {
    const distance = position.entryPrice.sub(position.stopLossPrice).mul(direction(position.side));
    return maxDec(distance, ZERO).mul(position.quantity);
  }
  return position.entryPrice.mul(position.quantity).div(position.leverage);
}

/** Sets (or clears) the stop loss price used for risk; risk consumed keeps its high-water mark. */
export function setStopLoss(position: Position, stopLossPrice: Dec | undefined): Position {
  const { stopLossPrice: _old, ...rest } = position;
  const next: Position = stopLossPrice === undefined ? rest : { ...rest, stopLossPrice };
  return { ...next, maxRisk: maxDec(position.maxRisk, positionRisk(next)) };
}

/** Quantity of a "sell all" / "close all": what is held, rounded down to the step (never more than held). */
export function sellAllQuantity(available: Dec, step: Dec): Dec {
  return roundDownToStep(maxDec(available, ZERO), step);
}

/** An exit request clamped to what is held, rounded down to the step (reduce-only semantics). */
export function clampExitQuantity(requested: Dec, held: Dec, step: Dec): Dec {
  return roundDownToStep(maxDec(minDec(requested, held), ZERO), step);
}

function checkLeverage(leverage: Dec, mmr: Dec, symbol: string): Result<Dec> {
  if (!leverage.isFinite() || leverage.lt(1)) {
    return fail(DomainErrorCode.invalidLeverage, `leverage ${toPlain(leverage)}x is below 1x; use at least 1x`);
  }
  // Liquidation must sit on the losing side of entry: 1/leverage > mmr.
  if (leverage.mul(mmr).gte(1)) {
    const max = ONE.div(mmr).ceil().sub(1);
    return fail(
      DomainErrorCode.leverageTooHigh,
      `leverage ${toPlain(leverage)}x on ${symbol} would be liquidated at once (maintenance margin ${toPlain(mmr.mul(100))}%); use at most ${toPlain(max)}x`,
    );
  }
  return ok(leverage);
}

function openPosition(fill: PositionFill, market: Market, quantity: Dec, fee: Dec): Result<Position> {
  const kind = market.kind;
  const mmr = kind === 'perp' ? maintenanceMarginRateOf(market) : ZERO;
  let leverage = ONE;
  if (kind === 'perp') {
    const lev = checkLeverage(fill.leverage ?? ONE, mmr, market.symbol);
    if (!lev.ok) return lev;
    leverage = lev.value;
  }
  const base = {
    symbol: market.symbol,
    kind,
    side: fill.side === 'buy' ? ('long' as const) : ('short' as const),
    quantity,
    entryPrice: fill.price,
    leverage,
    maintenanceMarginRate: mmr,
    realisedPnl: ZERO,
    fees: fee,
    funding: ZERO,
    openedAt: fill.at,
    updatedAt: fill.at,
    worstUnrealisedPnl: ZERO,
    exitQuantity: ZERO,
    exitNotional: ZERO,
    ...(fill.stopLossPrice !== undefined ? { stopLossPrice: fill.stopLossPrice } : {}),
  };
  return ok({ ...base, maxRisk: positionRisk(base) });
}

function closeRecord(p: Position, at: Date): ClosedPosition {
  return {
    symbol: p.symbol,
    kind: p.kind,
    side: p.side,
    quantity: p.exitQuantity,
    entryPrice: p.entryPrice,
    exitPrice: p.exitQuantity.gt(0) ? p.exitNotional.div(p.exitQuantity) : p.entryPrice,
    leverage: p.leverage,
    realisedPnl: p.realisedPnl,
    fees: p.fees,
    funding: p.funding,
    netPnl: p.realisedPnl.sub(p.fees).add(p.funding),
    maxDrawdown: p.worstUnrealisedPnl.neg().gt(0) ? p.worstUnrealisedPnl.neg() : ZERO,
    riskConsumed: p.maxRisk,
    openedAt: p.openedAt,
    closedAt: at,
    holdingMs: at.getTime() - p.openedAt.getTime(),
  };
}

/**
 * Applies one fill to the position in its market (null = flat). Adds (new average entry), reduces
 * (realises P&L pro rata), closes, or — perpetuals only — flips: closes the old position and opens the
 * remainder the other way at the fill price, the fee split pro rata between the two parts.
 * Refuses: a spot sell larger than the holding; a reduce-only fill with nothing to reduce; a fill for
 * another symbol; non-positive quantity or price; a negative fee.
 */
export function applyFill(position: Position | null, fill: PositionFill, market: Market): Result<PositionUpdate> {
  if (fill.symbol !== market.symbol || (position && position.symbol !== market.symbol)) {
    return fail(DomainErrorCode.symbolMismatch, `fill for ${fill.symbol} cannot apply to ${position?.symbol ?? market.symbol}`);
  }
  if (!fill.quantity.isFinite() || fill.quantity.lte(0)) {
    return fail(DomainErrorCode.invalidFill, `fill quantity must be greater than zero, got ${toPlain(fill.quantity)}`);
  }
  if (!fill.price.isFinite() || fill.price.lte(0)) {
    return fail(DomainErrorCode.invalidFill, `fill price must be greater than zero, got ${toPlain(fill.price)}`);
  }
  if (!fill.fee.isFinite() || fill.fee.isNeg()) {
    return fail(DomainErrorCode.invalidFill, `fill fee must be zero or more, got ${toPlain(fill.fee)}`);
  }
  const fillSide: PositionSide = fill.side === 'buy' ? 'long' : 'short';

  if (position === null) {
    if (fill.reduceOnly) {
      return fail(DomainErrorCode.nothingToReduce, `reduce-only ${fill.side} on ${market.symbol} has no position to reduce; drop reduce_only to open one`);
    }
    if (market.kind === 'spot' && fill.side === 'sell') {
      return fail(DomainErrorCode.insufficientPosition, `cannot sell ${toPlain(fill.quantity)} ${market.base}: none held`);
    }
    const opened = openPosition(fill, market, fill.quantity, fill.fee);
    if (!opened.ok) return opened;
    return ok({ position: opened.value, closed: null, effect: 'opened', realisedPnl: ZERO, appliedQuantity: fill.quantity, appliedFee: fill.fee });
  }

  if (fillSide === position.side) {
    if (fill.reduceOnly) {
      return fail(DomainErrorCode.nothingToReduce, `reduce-only ${fill.side} would grow the ${position.side} ${position.symbol} position; drop reduce_only or ${position.side === 'long' ? 'sell' : 'buy'}`);
    }
    const quantity = position.quantity.add(fill.quantity);
    const entryPrice = position.entryPrice.mul(position.quantity).add(fill.price.mul(fill.quantity)).div(quantity);
    const grown: Position = { ...position, quantity, entryPrice, fees: position.fees.add(fill.fee), updatedAt: fill.at };
    const next = { ...grown, maxRisk: maxDec(position.maxRisk, positionRisk(grown)) };
    return ok({ position: next, closed: null, effect: 'increased', realisedPnl: ZERO, appliedQuantity: fill.quantity, appliedFee: fill.fee });
  }

  // Opposite side: reduce, close or flip.
  let quantity = fill.quantity;
  let fee = fill.fee;
  if (fill.reduceOnly && quantity.gt(position.quantity)) {
    fee = fee.mul(position.quantity).div(quantity);
    quantity = position.quantity;
  }
  if (position.kind === 'spot' && quantity.gt(position.quantity)) {
    return fail(
      DomainErrorCode.insufficientPosition,
      `cannot sell ${toPlain(quantity)} ${market.base}: only ${toPlain(position.quantity)} held; sell at most ${toPlain(position.quantity)}`,
      { held: toPlain(position.quantity) },
    );
  }
  const closing = minDec(quantity, position.quantity);
  const closingFee = quantity.eq(closing) ? fee : fee.mul(closing).div(quantity);
  const pnl = fill.price.sub(position.entryPrice).mul(closing).mul(direction(position.side));
  const reduced: Position = {
    ...position,
    quantity: position.quantity.sub(closing),
    realisedPnl: position.realisedPnl.add(pnl),
    fees: position.fees.add(closingFee),
    exitQuantity: position.exitQuantity.add(closing),
    exitNotional: position.exitNotional.add(fill.price.mul(closing)),
    updatedAt: fill.at,
  };
  const base = { realisedPnl: pnl, appliedQuantity: quantity, appliedFee: fee };
  if (reduced.quantity.gt(0)) return ok({ position: reduced, closed: null, effect: 'reduced', ...base });

  const closed = closeRecord(reduced, fill.at);
  const remainder = quantity.sub(closing);
  if (remainder.isZero()) return ok({ position: null, closed, effect: 'closed', ...base });

  const { stopLossPrice: _stop, ...flipFill } = fill;
  const opened = openPosition({ ...flipFill, leverage: fill.leverage ?? position.leverage }, market, remainder, fee.sub(closingFee));
  if (!opened.ok) return opened;
  return ok({ position: opened.value, closed, effect: 'flipped', ...base });
}

/** The closing fill a liquidation produces: the whole position at its liquidation price. */
export function liquidationFill(position: Position, at: Date, fee: Dec = ZERO): PositionFill | null {
  const price = liquidationPrice(position);
  if (price === null) return null;
  return { symbol: position.symbol, side: position.side === 'long' ? 'sell' : 'buy', quantity: position.quantity, price, fee, at, reduceOnly: true };
}

// ---------------------------------------------------------------------------------------------------
// Exits attached at entry: one stop loss and any number of take-profits

export const ExitKind = { stopLoss: 'stop_loss', takeProfit: 'take_profit' } as const;
export type ExitKind = (typeof ExitKind)[keyof typeof ExitKind];

export interface ExitOrder {
  id: string;
  kind: ExitKind;
  triggerPrice: Dec;
  quantity: Dec;
}

export interface TakeProfitSpec {
  id: string;
  price: Dec;
  /** Share of the position (0 < f ≤ 1) to take here; omit all fractions to split evenly. */
  fraction?: Dec;
}

/**
 * Builds the exit set for a new position: a stop loss for the whole quantity (below entry for a long,
 * above for a short) and take-profits on the winning side, nearest first. Take-profit sizes are
 * fractions of the position rounded down to the step; when the fractions cover the whole position
 * (or none are given: an even split) the last take-profit also takes the rounding remainder.
 */
export function planExits(args: {
  side: PositionSide;
  quantity: Dec;
  entryPrice: Dec;
  step: Dec;
  stopLoss?: { id: string; price: Dec };
  takeProfits?: readonly TakeProfitSpec[];
}): Result<ExitOrder[]> {
  const { side, quantity, entryPrice, step } = args;
  const dir = direction(side);
  const out: ExitOrder[] = [];
  if (args.stopLoss) {
    const sl = args.stopLoss.price;
    if (sl.sub(entryPrice).mul(dir).gte(0)) {
      return fail(
        DomainErrorCode.invalidExit,
        `a stop loss for a ${side} must be ${side === 'long' ? 'below' : 'above'} the entry ${toPlain(entryPrice)}, got ${toPlain(sl)}`,
      );
    }
    if (sl.lte(0)) return fail(DomainErrorCode.invalidExit, `stop loss must be above zero, got ${toPlain(sl)}`);
    out.push({ id: args.stopLoss.id, kind: 'stop_loss', triggerPrice: sl, quantity: roundDownToStep(quantity, step) });
  }
  const tps = [...(args.takeProfits ?? [])].sort((a, b) => a.price.comparedTo(b.price) * dir);
  if (tps.length === 0) return ok(out);
  for (const tp of tps) {
    if (tp.price.sub(entryPrice).mul(dir).lte(0)) {
      return fail(
        DomainErrorCode.invalidExit,
        `a take-profit for a ${side} must be ${side === 'long' ? 'above' : 'below'} the entry ${toPlain(entryPrice)}, got ${toPlain(tp.price)}`,
      );
    }
  }
  const given = tps.filter((t) => t.fraction !== undefined);
  if (given.length !== 0 && given.length !== tps.length) {
    return fail(DomainErrorCode.invalidExit, 'give a fraction for every take-profit, or for none (an even split)');
  }
  const fractions = given.length === 0 ? tps.map(() => ONE.div(tps.length)) : tps.map((t) => t.fraction ?? ZERO);
  if (fractions.some((f) => f.lte(0) || f.gt(1))) return fail(DomainErrorCode.invalidExit, 'each take-profit fraction must be above 0 and at most 1');
  const totalFraction = fractions.reduce<Dec>((a, f) => a.add(f), ZERO);
  if (totalFraction.gt(1)) {
    return fail(DomainErrorCode.invalidExit, `take-profit fractions add up to ${toPlain(totalFraction)}, more than the whole position; make them sum to at most 1`);
  }
  const coversAll = given.length === 0 || totalFraction.eq(1);
  let assigned = ZERO;
  tps.forEach((tp, i) => {
    const isLast = i === tps.length - 1;
    const q = isLast && coversAll ? roundDownToStep(quantity, step).sub(assigned) : roundDownToStep(quantity.mul(fractions[i] ?? ZERO), step);
    assigned = assigned.add(q);
    out.push({ id: tp.id, kind: 'take_profit', triggerPrice: tp.price, quantity: q });
  });
  if (out.some((e) => e.quantity.lte(0))) {
    return fail(DomainErrorCode.invalidExit, `a take-profit rounds to zero at step ${toPlain(step)}; use fewer take-profits or larger fractions`);
  }
  return ok(out);
}

/**
 * Resizes the exit set to the position's current quantity after a fill (an exit filling, a manual
 * partial close, or an add). The exit that filled (`filledExitId`) leaves the set. When flat, every
 * remaining exit is cancelled. Otherwise stop losses cover the whole position; take-profits keep their
 * sizes nearest-first while they fit and the farthest are trimmed (never grown), those trimmed to
 * zero or below `minQty` cancelled. Total take-profit quantity never exceeds the position.
 */
export function resizeExits(args: {
  exits: readonly ExitOrder[];
  side: PositionSide;
  positionQuantity: Dec;
  step: Dec;
  minQty?: Dec;
  filledExitId?: string;
}): { exits: ExitOrder[]; cancelled: string[]; resized: string[] } {
  const { side, positionQuantity, step } = args;
  const minQty = args.minQty ?? step;
  const live = args.exits.filter((e) => e.id !== args.filledExitId);
  const held = roundDownToStep(maxDec(positionQuantity, ZERO), step);
  if (held.lte(0)) return { exits: [], cancelled: live.map((e) => e.id), resized: [] };

  const dir = direction(side);
  const cancelled: string[] = [];
  const resized: string[] = [];
  const kept: ExitOrder[] = [];
  for (const sl of live.filter((e) => e.kind === 'stop_loss')) {
    if (!sl.quantity.eq(held)) resized.push(sl.id);
    kept.push({ ...sl, quantity: held });
  }
  let budget = held;
  const tps = live.filter((e) => e.kind === 'take_profit').sort((a, b) => a.triggerPrice.comparedTo(b.triggerPrice) * dir);
  for (const tp of tps) {
    const q = roundDownToStep(minDec(tp.quantity, budget), step);
    if (q.lte(0) || q.lt(minQty)) {
      cancelled.push(tp.id);
      continue;
    }
    if (!q.eq(tp.quantity)) resized.push(tp.id);
    kept.push({ ...tp, quantity: q });
    budget = budget.sub(q);
  }
  return { exits: kept, cancelled, resized };
}
