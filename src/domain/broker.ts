// The Broker port: order execution at a venue (paper or live), separate from market data. Small and
// venue-neutral; the paper broker and a ccxt broker implement it.
//
// Rules every implementation keeps (reliability 1–3):
// - Every order carries a client order id chosen and stored by us before `submit` is called; the
//   venue is asked to treat it as an idempotency key. Submitting the same id twice never creates two
//   orders: the second call reports the first order.
// - A timeout or network failure during `submit`, `cancel` or `amend` is `unknown`, never `rejected`
//   or failed: the caller settles it with `fetchOrder` by client order id, and never resubmits blindly.
// - `rejected` only when the venue said no (invalid order, insufficient funds, post-only would cross).
// - Fills carry the venue's trade id so applying the same fill twice can be detected.
import type { Dec } from './money.js';
import type { OrderSide, OrderStatus, OrderType, TimeInForce, TrailingOffset } from './order.js';
import type { Liquidity } from './matching.js';

export interface BrokerOrderRequest {
  clientOrderId: string;
  accountId: string;
  /** Canonical symbol ("BTC/USDT", "BTC-PERP"); adapters map it to the venue's. */
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
  leverage?: Dec;
}

/** Identifies one of our orders at the venue. */
export interface BrokerOrderRef {
  accountId: string;
  clientOrderId: string;
  /** Canonical symbol; venues that look orders up per market (Binance) need it. */
  symbol?: string;
}

/** An execution reported by the venue. `tradeId` is unique per venue and is the fill's idempotency key. */
export interface BrokerFill {
  tradeId: string;
  clientOrderId: string;
  venueOrderId: string;
  symbol: string;
  side: OrderSide;
  quantity: Dec;
  price: Dec;
  fee: Dec;
  feeAsset: string;
  liquidity: Liquidity;
  at: Date;
}

/** The venue's view of an order. */
export interface BrokerOrder {
  clientOrderId: string;
  venueOrderId: string;
  symbol: string;
  side: OrderSide;
  type: OrderType;
  status: OrderStatus;
  quantity: Dec;
  filledQuantity: Dec;
  averageFillPrice?: Dec;
  price?: Dec;
  triggerPrice?: Dec;
  updatedAt: Date;
}

export const SubmitStatus = { accepted: 'accepted', rejected: 'rejected', unknown: 'unknown' } as const;
export type SubmitStatus = (typeof SubmitStatus)[keyof typeof SubmitStatus];

/**
 * - accepted: the venue has the order; `order` is its state (it may already be filled) and `fills`
 *   any executions reported with the acknowledgement.
 * - rejected: the venue refused it; nothing exists there. `code` is stable (`insufficient_funds`,
 *   `invalid_order`, `post_only_would_cross`, …); `reason` is the venue's words, untrusted text.
 * - unknown: we cannot tell (timeout, connection lost, 5xx); reconcile with `fetchOrder`.
 */
export type SubmitOutcome =
  | { status: 'accepted'; order: BrokerOrder; fills: BrokerFill[] }
  | { status: 'rejected'; clientOrderId: string; code: string; reason: string }
  | { status: 'unknown'; clientOrderId: string; reason: string };

export type CancelOutcome =
  | { status: 'cancelled'; order: BrokerOrder }
  /** Already filled, cancelled, rejected or expired: nothing to cancel; `order` says which. */
  | { status: 'already_final'; order: BrokerOrder }
  | { status: 'not_found'; clientOrderId: string }
  | { status: 'unknown'; clientOrderId: string; reason: string };

export interface OrderAmendment {
  quantity?: Dec;
  price?: Dec;
  triggerPrice?: Dec;
}

export type AmendOutcome =
  | { status: 'amended'; order: BrokerOrder }
  | { status: 'rejected'; clientOrderId: string; code: string; reason: string }
  | { status: 'not_found'; clientOrderId: string }
  | { status: 'unknown'; clientOrderId: string; reason: string };

/** A lookup distinguishes "the venue never saw it" from "we could not ask". Reads are safe to retry. */
export type FetchOrderOutcome =
  | { status: 'found'; order: BrokerOrder }
  | { status: 'not_found'; clientOrderId: string }
  | { status: 'unknown'; clientOrderId: string; reason: string };

export interface FetchFillsQuery {
  accountId: string;
  clientOrderId?: string;
  symbol?: string;
  since?: Date;
}

/**
 * Execution at one venue. Implementations never throw for an expected venue answer; a thrown error
 * means a bug. `live` is false for the paper broker.
 */
export interface Broker {
  readonly name: string;
  readonly live: boolean;
  submit(order: BrokerOrderRequest): Promise<SubmitOutcome>;
  cancel(ref: BrokerOrderRef): Promise<CancelOutcome>;
  amend(ref: BrokerOrderRef, changes: OrderAmendment): Promise<AmendOutcome>;
  fetchOrder(ref: BrokerOrderRef): Promise<FetchOrderOutcome>;
  /** Fills, oldest first. Lookup failures reject (a read is safe to retry). */
  fetchFills(query: FetchFillsQuery): Promise<BrokerFill[]>;
}
