// The ledger: per-asset balances split into *free* (spendable) and *locked* (held for open orders or
// as position margin), changed only by entries. Every operation returns the entries it made and the
// balances after them; `applyEntries` is the single place balances change, so folding all entries
// ever made from zero always gives the current balances, and no balance is ever negative.
//
// Reservations (what an order holds while it works), in the quote asset unless stated:
// - spot buy:  quantity × P × (1 + taker fee rate), P = limit price, or reference price × (1 + buffer)
// - spot sell: quantity of the base asset (fees on sells come out of the proceeds)
// - perpetual (either side): quantity × P / leverage + quantity × P × taker fee rate, P as for a buy;
//   a reduce-only order reserves nothing (it can only free margin).
// Fills settle against the reservation (locked); the service releases what is left when the order ends.
// Perpetual fills: the reservation stays locked as the position's isolated margin, the fee is charged
// from locked (`chargeFee(…, 'locked')`), the unused rest is released; closing uses `releaseMargin`.
import type { MarketInfo } from './ports.js';
import { fromBps, ONE, toPlain, ZERO, type Dec } from './money.js';
import type { OrderSide } from './order.js';
import { DomainErrorCode, fail, ok, type Result } from './result.js';

export interface Balance {
  asset: string;
  free: Dec;
  locked: Dec;
}

/** Balances by asset. An asset not present has zero free and zero locked. */
export type Balances = Readonly<Record<string, Balance>>;

export const LedgerReason = {
  deposit: 'deposit',
  withdrawal: 'withdrawal',
  reserve: 'reserve',
  release: 'release',
  tradeDebit: 'trade_debit',
  tradeCredit: 'trade_credit',
  fee: 'fee',
  funding: 'funding',
  marginLock: 'margin_lock',
  marginRelease: 'margin_release',
  realisedPnl: 'realised_pnl',
} as const;
export type LedgerReason = (typeof LedgerReason)[keyof typeof LedgerReason];

/** One change to one asset's balance. `ref` ties it to an order, fill or transfer. */
export interface LedgerEntry {
  asset: string;
  freeDelta: Dec;
  lockedDelta: Dec;
  reason: LedgerReason;
  ref?: string;
}

export interface LedgerChange {
  entries: LedgerEntry[];
  balances: Balances;
}

export const EMPTY_BALANCES: Balances = Object.freeze({});

export function balanceOf(balances: Balances, asset: string): Balance {
  return balances[asset] ?? { asset, free: ZERO, locked: ZERO };
}

/** Short display of an amount in messages: at most 8 decimals, no trailing zeros. */
function show(d: Dec): string {
  return toPlain(d.toDecimalPlaces(8));
}

/**
 * Applies entries and refuses (changing nothing) if any free or locked amount would end below zero.
 * The only function that produces new balances.
 */
export function applyEntries(balances: Balances, entries: readonly LedgerEntry[]): Result<Balances> {
  const next: Record<string, Balance> = { ...balances };
  for (const e of entries) {
    const b = next[e.asset] ?? { asset: e.asset, free: ZERO, locked: ZERO };
    next[e.asset] = { asset: e.asset, free: b.free.add(e.freeDelta), locked: b.locked.add(e.lockedDelta) };
  }
  for (const b of Object.values(next)) {
    if (b.free.isNeg() && !b.free.isZero()) {
      const before = balanceOf(balances, b.asset);
      return fail(
        DomainErrorCode.insufficientFunds,
        `not enough ${b.asset}: this needs ${show(before.free.sub(b.free))} ${b.asset} free, ${show(before.free)} is free (${show(before.locked)} held for open orders and margin); deposit more or reduce the size`,
        { asset: b.asset, free: toPlain(before.free), needed: toPlain(before.free.sub(b.free)) },
      );
    }
    if (b.locked.isNeg() && !b.locked.isZero()) {
      const before = balanceOf(balances, b.asset);
      return fail(
        DomainErrorCode.insufficientLocked,
        `only ${show(before.locked)} ${b.asset} is held, less than the ${show(before.locked.sub(b.locked))} this needs; the reservation was too small`,
        { asset: b.asset, locked: toPlain(before.locked) },
      );
    }
  }
  return ok(Object.freeze(next));
}

/** Balances from a full history of entries, starting from zero (the ledger invariant's other side). */
export function balancesFromEntries(entries: readonly LedgerEntry[]): Balances {
  const out: Record<string, Balance> = {};
  for (const e of entries) {
    const b = out[e.asset] ?? { asset: e.asset, free: ZERO, locked: ZERO };
    out[e.asset] = { asset: e.asset, free: b.free.add(e.freeDelta), locked: b.locked.add(e.lockedDelta) };
  }
  return out;
}

function entry(asset: string, freeDelta: Dec, lockedDelta: Dec, reason: LedgerReason, ref?: string): LedgerEntry {
  return ref === undefined ? { asset, freeDelta, lockedDelta, reason } : { asset, freeDelta, lockedDelta, reason, ref };
}

function commit(balances: Balances, entries: LedgerEntry[]): Result<LedgerChange> {
  const applied = applyEntries(balances, entries);
  if (!applied.ok) return applied;
  return ok({ entries, balances: applied.value });
}

function positive(amount: Dec, what: string): Result<Dec> {
  if (!amount.isFinite() || amount.lte(0)) return fail(DomainErrorCode.invalidAmount, `${what} must be greater than zero, got ${toPlain(amount)}`);
  return ok(amount);
}

function nonNegative(amount: Dec, what: string): Result<Dec> {
  if (!amount.isFinite() || (amount.isNeg() && !amount.isZero())) return fail(DomainErrorCode.invalidAmount, `${what} must be zero or more, got ${toPlain(amount)}`);
  return ok(amount);
}

export function deposit(balances: Balances, asset: string, amount: Dec, ref?: string): Result<LedgerChange> {
  const a = positive(amount, 'deposit amount');
  if (!a.ok) return a;
  return commit(balances, [entry(asset, amount, ZERO, 'deposit', ref)]);
}

export function withdraw(balances: Balances, asset: string, amount: Dec, ref?: string): Result<LedgerChange> {
  const a = positive(amount, 'withdrawal amount');
  if (!a.ok) return a;
  return commit(balances, [entry(asset, amount.neg(), ZERO, 'withdrawal', ref)]);
}

/** Moves free → locked for an order; refuses when not enough is free. */
export function reserve(balances: Balances, asset: string, amount: Dec, ref?: string): Result<LedgerChange> {
  const a = positive(amount, 'reservation');
  if (!a.ok) return a;
  return commit(balances, [entry(asset, amount.neg(), amount, 'reserve', ref)]);
}

/** Moves locked → free (an order ended with part of its reservation unused). */
export function release(balances: Balances, asset: string, amount: Dec, ref?: string): Result<LedgerChange> {
  const a = positive(amount, 'release');
  if (!a.ok) return a;
  return commit(balances, [entry(asset, amount, amount.neg(), 'release', ref)]);
}

/**
 * Settles a spot fill against its reservation, fee in the quote asset (the default):
 * - buy:  quote locked −(quantity × price) and −fee; base free +quantity.
 * - sell: base locked −quantity; quote free +(quantity × price) − fee.
 * A fee in the base asset (a venue taking it from what was received) comes off base free instead.
 */
export function settleSpotFill(
  balances: Balances,
  args: { side: OrderSide; base: string; quote: string; quantity: Dec; price: Dec; fee: Dec; feeAsset?: string; ref?: string },
): Result<LedgerChange> {
  const { side, base, quote, quantity, price, fee, ref } = args;
  const inBase = args.feeAsset !== undefined && args.feeAsset === base && base !== quote;
  const q = positive(quantity, 'fill quantity');
  if (!q.ok) return q;
  const p = positive(price, 'fill price');
  if (!p.ok) return p;
  const f = nonNegative(fee, 'fee');
  if (!f.ok) return f;
  const cost = quantity.mul(price);
  const entries: LedgerEntry[] = side === 'buy'
    ? [entry(quote, ZERO, cost.neg(), 'trade_debit', ref), entry(base, quantity, ZERO, 'trade_credit', ref)]
    : [entry(base, ZERO, quantity.neg(), 'trade_debit', ref), entry(quote, cost, ZERO, 'trade_credit', ref)];
  if (fee.gt(0)) {
    if (inBase) entries.push(entry(base, fee.neg(), ZERO, 'fee', ref));
    else entries.push(side === 'buy' ? entry(quote, ZERO, fee.neg(), 'fee', ref) : entry(quote, fee.neg(), ZERO, 'fee', ref));
  }
  return commit(balances, entries);
}

/** Charges a fee from free (default) or from locked (a fee covered by an order's reservation). */
export function chargeFee(balances: Balances, asset: string, amount: Dec, from: 'free' | 'locked' = 'free', ref?: string): Result<LedgerChange> {
  const a = positive(amount, 'fee');
  if (!a.ok) return a;
  return commit(balances, [from === 'free' ? entry(asset, amount.neg(), ZERO, 'fee', ref) : entry(asset, ZERO, amount.neg(), 'fee', ref)]);
}

/** Locks margin for a perpetual position (free → locked). */
export function lockMargin(balances: Balances, asset: string, amount: Dec, ref?: string): Result<LedgerChange> {
  const a = positive(amount, 'margin');
  if (!a.ok) return a;
  return commit(balances, [entry(asset, amount.neg(), amount, 'margin_lock', ref)]);
}

/**
 * Releases a perpetual's margin as (part of) the position closes, with the P&L realised and the
 * closing fee: locked −margin, free +margin ± P&L − fee. Refuses if that would take free below zero
 * (for isolated margin the service caps a loss at the margin, as a venue's liquidation does).
 */
export function releaseMargin(
  balances: Balances,
  asset: string,
  args: { margin: Dec; realisedPnl: Dec; fee?: Dec; ref?: string },
): Result<LedgerChange> {
  const m = nonNegative(args.margin, 'margin');
  if (!m.ok) return m;
  const fee = args.fee ?? ZERO;
  const f = nonNegative(fee, 'fee');
  if (!f.ok) return f;
  const entries: LedgerEntry[] = [];
  if (args.margin.gt(0)) entries.push(entry(asset, args.margin, args.margin.neg(), 'margin_release', args.ref));
  if (!args.realisedPnl.isZero()) entries.push(entry(asset, args.realisedPnl, ZERO, 'realised_pnl', args.ref));
  if (fee.gt(0)) entries.push(entry(asset, fee.neg(), ZERO, 'fee', args.ref));
  return commit(balances, entries);
}

/**
 * Books a funding payment (+ received, − paid). A payment is taken from free first and, when free
 * is short, from locked margin; it is refused only if both together cannot cover it.
 */
export function applyFundingPayment(balances: Balances, asset: string, amount: Dec, ref?: string): Result<LedgerChange> {
  if (!amount.isFinite()) return fail(DomainErrorCode.invalidAmount, 'funding amount must be finite');
  if (amount.isZero()) return ok({ entries: [], balances });
  if (amount.gt(0)) return commit(balances, [entry(asset, amount, ZERO, 'funding', ref)]);
  const due = amount.neg();
  const b = balanceOf(balances, asset);
  if (due.gt(b.free.add(b.locked))) {
    return fail(
      DomainErrorCode.insufficientFunds,
      `funding of ${show(due)} ${asset} is more than the ${show(b.free.add(b.locked))} ${asset} held (free and margin); the position should have been liquidated first`,
      { asset, due: toPlain(due) },
    );
  }
  const fromFree = b.free.gt(0) ? (due.lte(b.free) ? due : b.free) : ZERO;
  const fromLocked = due.sub(fromFree);
  const entries: LedgerEntry[] = [];
  if (fromFree.gt(0)) entries.push(entry(asset, fromFree.neg(), ZERO, 'funding', ref));
  if (fromLocked.gt(0)) entries.push(entry(asset, ZERO, fromLocked.neg(), 'funding', ref));
  return commit(balances, entries);
}

/** What an order must hold while it works: asset and amount (see header), and the price it assumed. */
export interface Reservation {
  asset: string;
  amount: Dec;
  priceUsed: Dec;
}

export function reservationFor(args: {
  market: MarketInfo;
  side: OrderSide;
  quantity: Dec;
  takerFeeRate: Dec;
  /** Limit price when the order has one. */
  limitPrice?: Dec;
  /** Current price (or trigger price for stops) when it has none. */
  referencePrice?: Dec;
  /** Extra room for a market order's slippage, in bps of the reference price. */
  slippageBufferBps?: Dec;
  leverage?: Dec;
  reduceOnly?: boolean;
}): Result<Reservation> {
  const { market, side, quantity, takerFeeRate } = args;
  const q = positive(quantity, 'quantity');
  if (!q.ok) return q;
  const buffer = fromBps(args.slippageBufferBps ?? ZERO);
  const price = args.limitPrice ?? args.referencePrice?.mul(ONE.add(buffer));
  if (market.kind === 'spot' && side === 'sell') {
    return ok({ asset: market.base, amount: quantity, priceUsed: price ?? ZERO });
  }
  if (price === undefined || price.lte(0)) {
    return fail(DomainErrorCode.priceRequired, `a price is needed to know how much ${market.quote} to hold for this order; give a limit price or fetch a quote first`);
  }
  const notional = quantity.mul(price);
  const maxFee = notional.mul(takerFeeRate);
  if (market.kind === 'spot') return ok({ asset: market.quote, amount: notional.add(maxFee), priceUsed: price });
  if (args.reduceOnly) return ok({ asset: market.quote, amount: ZERO, priceUsed: price });
  const leverage = args.leverage ?? ONE;
  if (leverage.lt(1)) return fail(DomainErrorCode.invalidLeverage, `leverage must be at least 1x, got ${toPlain(leverage)}x`);
  return ok({ asset: market.quote, amount: notional.div(leverage).add(maxFee), priceUsed: price });
}
