// Orders MIKEY emulates for a live venue that has no native form of them — today the trailing stop
// (Binance spot always; Binance futures by a price amount or a percent it does not take). The parent
// order is held by MIKEY and never sent: `algo_params` marks it
// `{ emulated: 'trailing_stop', reason, watermark, stopPrice }`. On every engine tick the watermark
// (the high for a sell, the low for a buy) follows the venue's price and is written back, so a
// restart resumes from it; when the price crosses the trail (matching.ts's trailing logic, the one
// the paper simulator uses) ONE child market order is released with client order id
// `<parent>:<n>` (unique, so whichever process gets there first releases it, once), carrying the
// parent's whole reservation, like a TWAP slice (algo-orders.ts). The child's fills roll up into the
// parent (executions.ts); the parent ends filled, or cancelled with why when the child filled short
// or the venue refused it. A child that never reached the venue — refused before sending (venue
// unreachable, request budget spent), or left unknown by a crash or timeout and, after the grace,
// taken as not placed by the pending-order recovery — re-arms the trail: the reservation is taken
// again and the next tick that finds the price through the trail sends `<parent>:<n+1>`, at most
// MAX_CHILDREN times in all.
import { randomUUID } from 'node:crypto';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { orders } from '../../db/schema/index.js';
import { withTransaction } from '../../db/tx.js';
import { reserve } from '../../domain/ledger.js';
import { startTrailingStop, updateTrailingStop, type TrailingStopState } from '../../domain/matching.js';
import { dec, toPlain, type Dec } from '../../domain/money.js';
import { isTerminalStatus, type OrderSide, type TrailingOffset } from '../../domain/order.js';
import type { Clock } from '../../domain/ports.js';
import { newTraceId } from '../actor.js';
import { writeAudit } from '../audit.js';
import type { MarketCatalog } from '../markets.js';
import { OPEN_STATUSES, type ExecutionCore } from './execution-core.js';
import { commitLedger, lockBalances } from './ledger-store.js';
import { num, type OrderRow } from './rows.js';

/** The `algo_params` of an emulated trailing stop. Decimals as strings. */
export interface EmulatedTrailingParams {
  emulated: 'trailing_stop';
  /** Why the venue could not take it natively, as the card said. */
  reason: string;
  /** Best price seen since placement: the high for a sell, the low for a buy. */
  watermark: string;
  /** The price at which the child is released (watermark ∓ the trail, on the tick). */
  stopPrice: string;
  /** Child orders released so far (each one's client order id is `<parent>:<its index>`). */
  released?: number;
  /** `watching` the price, or `released` (a child is out; the parent waits for it to end). */
  state?: 'watching' | 'released';
  /** What the parent held when its first child was released (taken again for a re-armed trail). */
  reserved?: string;
  /** A re-armed trail sends its next child no earlier than this (ISO time): the venue gets room to recover. */
  retryAt?: string;
  /** The price that set the trail off. */
  triggeredAt?: string;
  protectionPrice?: string;
  role?: string;
}

/** The `algo_params` of a new emulated trailing stop, its watermark at the price the card used. */
export function emulatedTrailingParams(side: OrderSide, offset: TrailingOffset, price: Dec, tick: Dec, reason: string): EmulatedTrailingParams {
  const s = startTrailingStop(side, offset, price, tick);
  return { emulated: 'trailing_stop', reason, watermark: s.reference.toFixed(), stopPrice: s.stopPrice.toFixed(), released: 0, state: 'watching' };
}

/** Internal: a re-armed trail fired but what it must hold is no longer free (rolls its transaction back). */
class FundsGone extends Error {}

/** Children one emulated order may release in all (the first, and re-arms after children that never reached the venue). */
export const MAX_CHILDREN = 10;

/** How long a re-armed trail waits before its next child: 10 s, doubling, at most 2 min (about 12 min over all re-arms). */
export function rearmDelayMs(childrenSoFar: number): number {
  return Math.min(10_000 * 2 ** Math.max(0, childrenSoFar - 1), 120_000);
}

/** Whether a child ended without ever reaching the venue (so sending another cannot double it). */
function neverReachedVenue(child: OrderRow): boolean {
  if (dec(child.filledQuantity).gt(0) || child.exchangeOrderId) return false;
  if (child.status === 'rejected') return /^(venue_unavailable|rate_limited):/.test(child.rejectReason ?? '');
  // Cancelled without a venue id: the pending-order recovery found no such order past its grace.
  return child.status === 'cancelled';
}

const watching = (a: EmulatedTrailingParams): boolean => (a.state ?? ((a.released ?? 0) === 0 ? 'watching' : 'released')) === 'watching';

function offsetOf(row: OrderRow): TrailingOffset | undefined {
  if (row.trailingPercent) return { kind: 'percent', percent: dec(row.trailingPercent) };
  if (row.trailingAmount) return { kind: 'amount', amount: dec(row.trailingAmount) };
  return undefined;
}

/** How old a stored, never-accepted emulated parent must be before a tick accepts it (its own request may still be placing it). */
const PENDING_GRACE_MS = 5_000;

export interface EmulatedOrdersDeps {
  db: Db;
  clock: Clock;
  markets: MarketCatalog;
  core: ExecutionCore;
}

export class EmulatedOrders {
  constructor(private readonly deps: EmulatedOrdersDeps) {}

  /**
   * One pass over the open emulated orders (one parent, or all): moves each trail with the current
   * price, releases the child of a trail the price crossed, and ends a parent whose child is done.
   * Returns the number of children released.
   */
  async work(parentId?: string): Promise<number> {
    const parents = await this.deps.db
      .select()
      .from(orders)
      .where(and(sql`(${orders.algoParams} ->> 'emulated') = 'trailing_stop'`, inArray(orders.status, [...OPEN_STATUSES]), parentId ? eq(orders.id, parentId) : undefined));
    let released = 0;
    const stale = this.deps.clock.now().getTime() - PENDING_GRACE_MS;
    for (const parent of parents) {
      if (parent.status === 'pending') {
        // Stored but not yet accepted when its process stopped (nothing is sent for it): accept it now.
        if (this.deps.core.inFlight.has(parent.id) || new Date(parent.createdAt).getTime() > stale) continue;
        await this.deps.core.apply({ system: true, traceId: newTraceId() }, parent.id, { fills: [], submitted: true });
      }
      // A child out: end the parent when it is done (or re-arm the trail).
      if (!watching(parent.algoParams as unknown as EmulatedTrailingParams) && !(await this.finish(parent.id))) continue;
      const price = await this.deps.core.markOf(parent.symbol);
      if (!price) continue;
      const child = await this.follow(parent.id, price);
      if (child === 'no_funds') continue;
      if (child) {
        released++;
        const outcome = await this.deps.core.submitRow(child);
        await this.deps.core.applyOutcome({ system: true, traceId: newTraceId() }, child, outcome, { resubmitIfMissing: true });
        await this.finish(parent.id);
      }
    }
    return released;
  }

  /**
   * Moves the trail with `price` (persisted) and, when the price crossed it, inserts the child order
   * with the parent's reservation (taken again for a re-armed trail; 'no_funds' when it is no longer free).
   */
  private async follow(parentId: string, price: Dec): Promise<OrderRow | undefined | 'no_funds'> {
    const now = this.deps.clock.now();
    const traceId = newTraceId();
    let r: OrderRow | undefined;
    try {
      r = await withTransaction(this.deps.db, async (tx): Promise<OrderRow | undefined> => {
        const [parent] = await tx.select().from(orders).where(eq(orders.id, parentId)).for('update');
        if (!parent || isTerminalStatus(parent.status) || parent.status === 'pending') return undefined;
        const algo = parent.algoParams as unknown as EmulatedTrailingParams;
        const offset = offsetOf(parent);
        if (!watching(algo) || !offset) return undefined;
        const n = algo.released ?? 0;
        const tick = this.deps.markets.resolve(parent.symbol).tickSize;
        const state: TrailingStopState = { side: parent.side, offset, reference: dec(algo.watermark), stopPrice: dec(algo.stopPrice) };
        const { state: next, triggered: crossed } = updateTrailingStop(state, price, tick);
        // A re-armed trail holds its fire until its retry time (the watermark still follows the price).
        const triggered = crossed && !(algo.retryAt !== undefined && now < new Date(algo.retryAt));
        const moved = !next.reference.eq(state.reference);
        if (!moved && !triggered) return undefined;

        let child: OrderRow | undefined;
        let reserved = num(parent.reservedAmount);
        if (triggered) {
          const childId = randomUUID();
          // Re-armed: the last child ended unsent and gave its reservation back; it is held again below.
          const again = n > 0 && algo.reserved !== undefined && parent.reservedAsset !== null && dec(algo.reserved).gt(0);
          if (again) reserved = dec(algo.reserved!);
          const quantity = dec(parent.quantity).sub(dec(parent.filledQuantity));
          [child] = await tx
            .insert(orders)
            .values({
              id: childId,
              userId: parent.userId,
              portfolioId: parent.portfolioId,
              clientOrderId: `${parent.clientOrderId}:${n}`,
              parentOrderId: parent.id,
              symbol: parent.symbol,
              side: parent.side,
              orderType: 'market',
              status: 'pending',
              timeInForce: 'ioc',
              quantity: quantity.toFixed(),
              leverage: parent.leverage,
              reduceOnly: parent.reduceOnly,
              reservedAsset: parent.reservedAsset,
              reservedAmount: reserved.toFixed(),
              algoParams: { slice: n, ...(algo.protectionPrice ? { protectionPrice: algo.protectionPrice } : {}) },
              source: parent.source,
              createdAt: now,
              updatedAt: now,
            })
            .onConflictDoNothing({ target: orders.clientOrderId })
            .returning();
          if (child && again) {
            const before = await lockBalances(tx, parent.portfolioId, [parent.reservedAsset!]);
            const held = reserve(before, parent.reservedAsset!, reserved, childId);
            // Rolls the child back with the transaction; the parent is then cancelled with why.
            if (!held.ok) throw new FundsGone(held.error.message);
            await commitLedger(tx, parent.portfolioId, before, held.value.entries, { refType: 'order', refId: childId, traceId, at: now });
          }
        }
        const params: EmulatedTrailingParams = {
          ...algo,
          watermark: next.reference.toFixed(),
          stopPrice: next.stopPrice.toFixed(),
          ...(triggered ? { released: n + 1, state: 'released' as const, triggeredAt: price.toFixed(), reserved: n === 0 ? reserved.toFixed() : (algo.reserved ?? '0') } : {}),
        };
        await tx
          .update(orders)
          .set({
            algoParams: params as unknown as Record<string, unknown>,
            trailReferencePrice: next.reference.toFixed(),
            stopPrice: next.stopPrice.toFixed(),
            ...(child ? { reservedAmount: '0' } : {}),
            updatedAt: now,
          })
          .where(eq(orders.id, parent.id));
        if (child) {
          await writeAudit(tx, { system: true, traceId }, {
            action: 'order.triggered',
            entityType: 'order',
            entityId: parent.id,
            newValue: { emulated: 'trailing_stop', price: price.toFixed(), watermark: next.reference.toFixed(), stopPrice: next.stopPrice.toFixed(), childOrderId: child.id, child: n + 1, quantity: child.quantity },
          });
        }
        return child;
      });
    } catch (err) {
      if (!(err instanceof FundsGone)) throw err;
      await this.deps.core.apply({ system: true, traceId }, parentId, { fills: [], notFound: true, reason: `the trail fired again but the order's funds are no longer free (${err.message}); nothing was sent` });
      return 'no_funds';
    }
    return r;
  }

  /**
   * Once a released child is done: the parent ends filled (from the child's fills), or cancelled with
   * why; a child that never reached the venue re-arms the trail instead (while children are left).
   * True when the parent is watching the price again.
   */
  private async finish(parentId: string): Promise<boolean> {
    const [parent] = await this.deps.db.select().from(orders).where(eq(orders.id, parentId));
    if (!parent || isTerminalStatus(parent.status)) return false;
    const algo = parent.algoParams as unknown as EmulatedTrailingParams;
    if (watching(algo)) return true;
    const children = await this.deps.db.select().from(orders).where(eq(orders.parentOrderId, parentId)).orderBy(asc(orders.createdAt));
    if (children.length === 0 || children.some((c) => (OPEN_STATUSES as readonly string[]).includes(c.status))) return false;
    const filled = dec(parent.filledQuantity);
    const quantity = dec(parent.quantity);
    const system = { system: true as const, traceId: newTraceId() };
    if (filled.gte(quantity)) {
      if (num(parent.reservedAmount).gt(0)) await this.deps.core.apply(system, parentId, { fills: [], notFound: true });
      return false;
    }
    const child = children[children.length - 1]!;
    if (neverReachedVenue(child) && (algo.released ?? 0) < MAX_CHILDREN) {
      const rearmed = await withTransaction(this.deps.db, async (tx) => {
        const [p] = await tx.select().from(orders).where(eq(orders.id, parentId)).for('update');
        if (!p || isTerminalStatus(p.status)) return false;
        const a = p.algoParams as unknown as EmulatedTrailingParams;
        if (watching(a)) return true;
        const now = this.deps.clock.now();
        const retryAt = new Date(now.getTime() + rearmDelayMs(a.released ?? 1)).toISOString();
        await tx.update(orders).set({ algoParams: { ...a, state: 'watching', retryAt }, updatedAt: now }).where(eq(orders.id, parentId));
        await writeAudit(tx, system, { action: 'order.rearmed', entityType: 'order', entityId: parentId, newValue: { emulated: 'trailing_stop', childOrderId: child.id, why: child.rejectReason ?? child.status, retryAt } });
        return true;
      });
      return rearmed;
    }
    const why = child.status === 'rejected' ? `was rejected (${child.rejectReason ?? 'no reason given'})` : `ended ${child.status}${child.rejectReason ? ` (${child.rejectReason})` : ''}`;
    await this.deps.core.apply(system, parentId, {
      fills: [],
      notFound: true,
      reason: `the trail fired; the market ${parent.side} MIKEY sent ${why}: ${toPlain(filled)} of ${toPlain(quantity)} filled`,
    });
    return false;
  }
}
