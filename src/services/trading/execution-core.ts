// The execution core: what every part of trading shares to talk to the venue. It sends a stored
// order to the broker (a thrown error is an unknown outcome, never a failure), applies the venue's
// answer in one transaction (executions.ts) and publishes its events after commit, settles an
// unknown outcome by looking the order up by its client order id (reliability 2), cancels at the
// venue, and carries out the broker actions an applied update asks for (exit orders to submit,
// cancel or amend). The order path (trading-service.ts), position exits (position-exits.ts),
// execution reports and recovery (recovery.ts), TWAP/VWAP slices (algo-orders.ts), funding
// (funding.ts) and liquidations (liquidations.ts) all use one instance, so they share which orders
// a request is working on.
import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { orders } from '../../db/schema/index.js';
import type { Broker, BrokerOrderRequest, SubmitOutcome } from '../../domain/broker.js';
import type { FeeSchedule } from '../../domain/matching.js';
import { dec, type Dec } from '../../domain/money.js';
import { isTerminalStatus, type OrderType } from '../../domain/order.js';
import type { Clock, PriceFeed } from '../../domain/ports.js';
import type { Logger } from '../../log.js';
import { newTraceId } from '../actor.js';
import { AppError, ErrorCode } from '../errors.js';
import type { EventBus } from '../events.js';
import type { MarketCatalog } from '../markets.js';
import { applyVenueUpdate, type ApplyHint, type ApplyResult, type AuditActor, type ExecContext, type VenueUpdate } from './executions.js';
import type { FollowUp } from './exits.js';
import type { OrderRow } from './rows.js';

/** Order types MIKEY works itself by releasing child orders over time. */
export const ALGO_TYPES: readonly string[] = ['twap', 'vwap'];

/**
 * Orders MIKEY's engine works itself and never sends to a venue: TWAP/VWAP parents, and orders it
 * emulates because the live venue has no native form of them (`algo_params.emulated`, e.g. a
 * trailing stop on Binance spot). Only their child orders reach the venue, so these are never
 * polled, restored or reconciled there, and cancelling one cancels its open child first.
 */
export function isEngineWorked(row: { orderType: string; algoParams: unknown }): boolean {
  return ALGO_TYPES.includes(row.orderType) || isEmulated(row);
}

/** An order MIKEY emulates for a venue that has no native form of it. */
export function isEmulated(row: { algoParams: unknown }): boolean {
  const a = row.algoParams as { emulated?: unknown } | null;
  return typeof a?.emulated === 'string';
}

/** `isEngineWorked` as SQL over the `orders` table (unaliased). */
export const engineWorkedSql: SQL = sql`(${orders.orderType} in ('twap', 'vwap') or (${orders.algoParams} ->> 'emulated') is not null)`;
/** How long a live order the venue does not show stays unknown before the venue's "no such order" is believed. */
export const LIVE_MISSING_GRACE_MS = 120_000;
/** Statuses of an order that is still working (or whose outcome is not known yet). */
export const OPEN_STATUSES = ['pending', 'open', 'partially_filled'] as const;

export interface ExecutionCoreDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  events: EventBus;
  markets: MarketCatalog;
  prices: PriceFeed;
  broker: Broker;
  /** Whether an account trades at a real venue (where a missing order is never resubmitted). Default: none is. */
  isLive?: (accountId: string) => Promise<boolean>;
  hooks?: {
    /** Crash injection for tests: runs inside a fill's transaction before it commits (throwing rolls the fill back). */
    beforeFillCommit?(orderId: string): void | Promise<void>;
  };
}

function hintOf(row: OrderRow): ApplyHint {
  return { row };
}

export class ExecutionCore {
  /** Orders a request of this process is placing right now; reconciliation and the kill switch leave them alone. */
  readonly inFlight = new Set<string>();
  private readonly feesKnown = new Set<string>();

  constructor(private readonly deps: ExecutionCoreDeps) {}

  get ctx(): ExecContext {
    const hook = this.deps.hooks?.beforeFillCommit;
    return { db: this.deps.db, markets: this.deps.markets, clock: this.deps.clock, logger: this.deps.logger, ...(hook ? { beforeCommit: (id: string) => hook(id) } : {}) };
  }

  /** The broker's request for a stored order. */
  brokerRequest(row: OrderRow): BrokerOrderRequest {
    const algo = (row.algoParams as { protectionPrice?: string } | null) ?? {};
    const type: OrderType = row.orderType === 'stop_loss' ? 'stop' : (row.orderType);
    const limitLike = type === 'limit' || type === 'stop_limit';
    const price = limitLike ? row.price : algo.protectionPrice;
    return {
      clientOrderId: row.clientOrderId,
      accountId: row.portfolioId,
      symbol: row.symbol,
      side: row.side,
      type,
      quantity: dec(row.quantity),
      ...(price ? { price: dec(price) } : {}),
      ...(row.stopPrice ? { triggerPrice: dec(row.stopPrice) } : {}),
      ...(row.trailingAmount ? { trailing: { kind: 'amount' as const, amount: dec(row.trailingAmount) } } : {}),
      ...(row.trailingPercent ? { trailing: { kind: 'percent' as const, percent: dec(row.trailingPercent) } } : {}),
      timeInForce: row.timeInForce,
      postOnly: row.postOnly,
      reduceOnly: row.reduceOnly,
      leverage: dec(row.leverage),
    };
  }

  /** Tells a simulated venue the portfolio's fee rates (a real venue knows its own). */
  async setFees(portfolioId: string): Promise<void> {
    const b = this.deps.broker as Broker & { setAccountFees?: (id: string, f: FeeSchedule) => void };
    if (typeof b.setAccountFees !== 'function') return;
    const [p] = await this.deps.db.execute(sql`select maker_fee_rate::text as m, taker_fee_rate::text as t from portfolios where id = ${portfolioId}`).then((r) => (r as { rows: Array<{ m: string; t: string }> }).rows);
    if (p) b.setAccountFees(portfolioId, { makerRate: dec(p.m), takerRate: dec(p.t) });
  }

  /** Sends a stored order to the broker; a thrown error is an unknown outcome, never a failure. */
  async submitRow(row: OrderRow): Promise<SubmitOutcome> {
    if (!this.feesKnown.has(row.portfolioId)) {
      await this.setFees(row.portfolioId);
      this.feesKnown.add(row.portfolioId);
    }
    try {
      return await this.deps.broker.submit(this.brokerRequest(row));
    } catch (err) {
      this.deps.logger.warn('broker submit threw; outcome unknown', { orderId: row.id, error: err });
      return { status: 'unknown', clientOrderId: row.clientOrderId, reason: (err as Error).message };
    }
  }

  /** Applies what the venue said, publishes the events after commit and runs the follow-ups. */
  async apply(actor: AuditActor, orderId: string, update: VenueUpdate, hint?: ApplyHint): Promise<ApplyResult> {
    const r = await applyVenueUpdate(this.ctx, actor, orderId, update, hint);
    for (const e of r.events) this.deps.events.emit(e);
    if (r.followUps.length > 0) await this.runFollowUps(r.followUps);
    return r;
  }

  /** Applies the broker's answer to a submit; an unknown outcome is settled by lookup. */
  async applyOutcome(actor: AuditActor, row: OrderRow, outcome: SubmitOutcome, opts: { resubmitIfMissing: boolean }): Promise<ApplyResult> {
    if (outcome.status === 'accepted') return this.apply(actor, row.id, { venueOrder: outcome.order, fills: outcome.fills, submitted: true }, hintOf(row));
    if (outcome.status === 'rejected') return this.apply(actor, row.id, { fills: [], rejected: { code: outcome.code, reason: outcome.reason } });
    this.deps.logger.warn('order outcome unknown; looking it up', { orderId: row.id, reason: outcome.reason });
    return this.reconcile(actor, row, opts);
  }

  /** Settles an order whose venue state we do not know, by looking it up by client order id (reliability 2). */
  async reconcile(actor: AuditActor, row: OrderRow, opts: { resubmitIfMissing: boolean }): Promise<ApplyResult> {
    const ref = { accountId: row.portfolioId, clientOrderId: row.clientOrderId, symbol: row.symbol };
    let found;
    try {
      found = await this.deps.broker.fetchOrder(ref);
    } catch (err) {
      found = { status: 'unknown' as const, clientOrderId: row.clientOrderId, reason: (err as Error).message };
    }
    if (found.status === 'found') {
      const fills = await this.deps.broker.fetchFills({ accountId: row.portfolioId, clientOrderId: row.clientOrderId, symbol: row.symbol }).catch(() => []);
      return this.apply(actor, row.id, { venueOrder: found.order, fills, submitted: true }, hintOf(row));
    }
    if (found.status === 'not_found' && (await this.deps.isLive?.(row.portfolioId))) return this.settleMissingLive(actor, row);
    if (found.status === 'not_found' && opts.resubmitIfMissing) {
      // The venue says it never saw the order: sending it now cannot double it.
      const outcome = await this.submitRow(row);
      return this.applyOutcome(actor, row, outcome, { resubmitIfMissing: false });
    }
    const [current] = await this.deps.db.select().from(orders).where(eq(orders.id, row.id));
    return { order: current ?? row, trades: [], events: [], followUps: [], statusChanged: false, skipped: [`outcome unknown: ${found.status === 'unknown' ? found.reason : 'not found'}`] };
  }

  /**
   * A real venue that says it has no such order may only not show it yet (Binance answers "order
   * does not exist" for a while after accepting one), or may show it only in the account's trades.
   * So: never resubmit (that could double it); apply fills found in the trade history; otherwise
   * keep the outcome unknown until the order is older than LIVE_MISSING_GRACE_MS, and only then
   * take the venue's word that it was never placed.
   */
  private async settleMissingLive(actor: AuditActor, row: OrderRow): Promise<ApplyResult> {
    const fills = await this.deps.broker.fetchFills({ accountId: row.portfolioId, clientOrderId: row.clientOrderId, symbol: row.symbol }).catch(() => []);
    if (fills.length > 0) return this.apply(actor, row.id, { fills, submitted: true, reason: 'found in the venue trade history' }, hintOf(row));
    const age = this.deps.clock.now().getTime() - new Date(row.createdAt).getTime();
    if (age >= LIVE_MISSING_GRACE_MS) {
      return this.apply(actor, row.id, { fills: [], notFound: true, reason: `the venue has no record of this order ${Math.round(age / 1000)} s after it was sent: it was not placed` });
    }
    const [current] = await this.deps.db.select().from(orders).where(eq(orders.id, row.id));
    return { order: current ?? row, trades: [], events: [], followUps: [], statusChanged: false, skipped: ['outcome unknown: the venue does not show the order yet'] };
  }

  /** Carries out the broker actions an applied update asked for; one failing does not stop the rest. */
  async runFollowUps(list: readonly FollowUp[]): Promise<void> {
    const system = { system: true as const, traceId: newTraceId() };
    for (const f of list) {
      try {
        const [row] = await this.deps.db.select().from(orders).where(eq(orders.id, f.orderId));
        if (!row || isTerminalStatus(row.status)) continue;
        if (f.kind === 'submit') {
          const outcome = await this.submitRow(row);
          await this.applyOutcome(system, row, outcome, { resubmitIfMissing: true });
        } else if (f.kind === 'cancel') {
          await this.cancelAtVenue(system, row);
        } else {
          const r = await this.deps.broker.amend(
            { accountId: row.portfolioId, clientOrderId: row.clientOrderId, symbol: row.symbol },
            { ...(f.quantity ? { quantity: f.quantity } : {}), ...(f.triggerPrice ? { triggerPrice: f.triggerPrice } : {}) },
          );
          if (r.status !== 'amended') this.deps.logger.warn('exit amend not applied at the venue', { orderId: row.id, outcome: r.status });
        }
      } catch (err) {
        this.deps.logger.error('follow-up failed', { followUp: f.kind, orderId: f.orderId, error: err });
      }
    }
  }

  /** Cancels at the venue and applies what the venue says (including fills it made before the cancel). */
  async cancelAtVenue(actor: AuditActor, row: OrderRow): Promise<ApplyResult> {
    if (isEngineWorked(row)) return this.cancelAlgo(actor, row);
    const ref = { accountId: row.portfolioId, clientOrderId: row.clientOrderId, symbol: row.symbol };
    let outcome;
    try {
      outcome = await this.deps.broker.cancel(ref);
    } catch (err) {
      outcome = { status: 'unknown' as const, clientOrderId: row.clientOrderId, reason: (err as Error).message };
    }
    if (outcome.status === 'unknown') {
      throw new AppError(ErrorCode.unavailable, `could not confirm the cancel with the venue (${outcome.reason})`, 'try again; the order may still be working');
    }
    if (outcome.status === 'not_found') {
      return this.apply(actor, row.id, { fills: [], notFound: true, reason: row.status === 'pending' ? 'cancelled before the venue took it' : 'the venue has no such order' });
    }
    const fills = outcome.order.filledQuantity.gt(dec(row.filledQuantity)) ? await this.deps.broker.fetchFills({ accountId: row.portfolioId, clientOrderId: row.clientOrderId, symbol: row.symbol }).catch(() => []) : [];
    return this.apply(actor, row.id, { venueOrder: outcome.order, fills, reason: outcome.status === 'cancelled' ? 'cancelled on request' : undefined });
  }

  /** A parent MIKEY works: its open children cancelled at the venue, then the parent (nothing of it is at the venue). */
  private async cancelAlgo(actor: AuditActor, parent: OrderRow): Promise<ApplyResult> {
    const children = await this.deps.db.select().from(orders).where(and(eq(orders.parentOrderId, parent.id), inArray(orders.status, [...OPEN_STATUSES])));
    for (const c of children) await this.cancelAtVenue(actor, c);
    return this.apply(actor, parent.id, { fills: [], notFound: true, reason: 'cancelled on request' });
  }

  /** The venue's current price of `symbol`, or undefined when there is none right now. */
  async markOf(symbol: string): Promise<Dec | undefined> {
    try {
      return (await this.deps.prices.getQuote(symbol)).price;
    } catch {
      return undefined;
    }
  }
}
