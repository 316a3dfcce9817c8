// TWAP/VWAP orders: the parent order holds the schedule (`algo_params`) and the whole reservation;
// each due slice becomes a child market order (client order id `<parent>:<slice>`, unique, so a
// slice is released once whichever process gets there first — reliability 23) carrying its share
// of the reservation. The parent ends once every slice is out and done: filled, or cancelled for
// the rest that did not fill within the price limit.
import { randomUUID } from 'node:crypto';
import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { orders } from '../../db/schema/index.js';
import { withTransaction } from '../../db/tx.js';
import type { Market } from '../../domain/market.js';
import { twapSchedule, vwapSchedule } from '../../domain/matching.js';
import { D, dec, toPlain, ZERO, type Dec } from '../../domain/money.js';
import { isTerminalStatus, type OrderIntent } from '../../domain/order.js';
import type { Clock } from '../../domain/ports.js';
import { newTraceId } from '../actor.js';
import { writeAudit } from '../audit.js';
import { AppError, ErrorCode } from '../errors.js';
import { OPEN_STATUSES, type ExecutionCore } from './execution-core.js';
import { num, q18, type OrderRow } from './rows.js';

/** An intraday volume shape for VWAP without volume history: heavier at the start and the end. */
export function uShapedProfile(buckets: number): Dec[] {
  const mid = (buckets - 1) / 2;
  return Array.from({ length: buckets }, (_, i) => {
    const x = mid === 0 ? 0 : (i - mid) / mid;
    return new D(1).add(new D(x * x).toDecimalPlaces(6));
  });
}

/** The `algo_params` of a new TWAP/VWAP parent: its slices, starting `now`. */
export function algoSchedule(intent: OrderIntent, market: Market, now: Date): Record<string, unknown> {
  const { slices, durationMs } = intent.schedule!;
  const r =
    intent.type === 'vwap'
      ? vwapSchedule({ quantity: intent.quantity, volumeProfile: uShapedProfile(slices), startAt: now, durationMs, step: market.stepSize, minQty: market.minQty })
      : twapSchedule({ quantity: intent.quantity, slices, startAt: now, durationMs, step: market.stepSize, minQty: market.minQty });
  if (!r.ok) throw new AppError(ErrorCode.invalidInput, r.error.message, 'use fewer slices or a larger size');
  return { kind: intent.type, slices: r.value.length, durationMs, released: 0, schedule: r.value.map((s) => ({ at: s.at.toISOString(), quantity: s.quantity.toFixed() })) };
}

export interface AlgoOrdersDeps {
  db: Db;
  clock: Clock;
  core: ExecutionCore;
}

export class AlgoOrders {
  constructor(private readonly deps: AlgoOrdersDeps) {}

  /** Releases every TWAP/VWAP slice that is due (one parent, or all). */
  async releaseDueSlices(parentId?: string): Promise<number> {
    const now = this.deps.clock.now();
    const parents = await this.deps.db
      .select()
      .from(orders)
      .where(and(inArray(orders.orderType, ['twap', 'vwap']), inArray(orders.status, ['open', 'partially_filled']), parentId ? eq(orders.id, parentId) : undefined));
    let released = 0;
    for (const parent of parents) {
      for (;;) {
        const child = await this.releaseOne(parent.id, now);
        if (!child) break;
        released++;
        const outcome = await this.deps.core.submitRow(child);
        await this.deps.core.applyOutcome({ system: true, traceId: newTraceId() }, child, outcome, { resubmitIfMissing: true });
      }
      await this.finishAlgo(parent.id);
    }
    return released;
  }

  private async releaseOne(parentId: string, now: Date): Promise<OrderRow | undefined> {
    return withTransaction(this.deps.db, async (tx) => {
      const [parent] = await tx.select().from(orders).where(eq(orders.id, parentId)).for('update');
      if (!parent || isTerminalStatus(parent.status)) return undefined;
      const algo = parent.algoParams as { released: number; slices: number; schedule: Array<{ at: string; quantity: string }>; protectionPrice?: string };
      const i = algo.released;
      const slice = algo.schedule[i];
      if (!slice || new Date(slice.at) > now) return undefined;
      const qty = dec(slice.quantity);
      const reservedLeft = num(parent.reservedAmount);
      let share = ZERO;
      if (reservedLeft.gt(0)) {
        const total = dec(parent.quantity).sub(dec(algo.schedule.slice(0, i).reduce((a, s) => a.add(dec(s.quantity)), ZERO)));
        share = i === algo.slices - 1 ? reservedLeft : q18(reservedLeft.mul(qty).div(total));
      }
      const childId = randomUUID();
      const [child] = await tx
        .insert(orders)
        .values({
          id: childId,
          userId: parent.userId,
          portfolioId: parent.portfolioId,
          clientOrderId: `${parent.clientOrderId}:${i}`,
          parentOrderId: parent.id,
          symbol: parent.symbol,
          side: parent.side,
          orderType: 'market',
          status: 'pending',
          timeInForce: 'ioc',
          quantity: qty.toFixed(),
          leverage: parent.leverage,
          reduceOnly: parent.reduceOnly,
          reservedAsset: parent.reservedAsset,
          reservedAmount: share.toFixed(),
          algoParams: { slice: i, ...(algo.protectionPrice ? { protectionPrice: algo.protectionPrice } : {}) },
          source: parent.source,
          createdAt: now,
          updatedAt: now,
        })
        .onConflictDoNothing({ target: orders.clientOrderId })
        .returning();
      await tx
        .update(orders)
        .set({ reservedAmount: reservedLeft.sub(child ? share : ZERO).toFixed(), algoParams: { ...algo, released: i + 1 }, updatedAt: now })
        .where(eq(orders.id, parent.id));
      if (child) {
        await writeAudit(tx, { system: true, traceId: newTraceId() }, { action: 'order.slice', entityType: 'order', entityId: parent.id, newValue: { slice: i + 1, of: algo.slices, childOrderId: child.id, quantity: qty.toFixed() } });
      }
      return child;
    });
  }

  /** Ends a TWAP/VWAP parent once every slice is out and done: filled, or cancelled for the rest. */
  private async finishAlgo(parentId: string): Promise<void> {
    const [parent] = await this.deps.db.select().from(orders).where(eq(orders.id, parentId));
    if (!parent || isTerminalStatus(parent.status)) return;
    const algo = parent.algoParams as { released: number; slices: number };
    if (algo.released < algo.slices) return;
    const live = await this.deps.db.select({ id: orders.id }).from(orders).where(and(eq(orders.parentOrderId, parentId), inArray(orders.status, [...OPEN_STATUSES])));
    if (live.length > 0) return;
    if (dec(parent.filledQuantity).lt(dec(parent.quantity))) {
      await this.deps.core.apply({ system: true, traceId: newTraceId() }, parentId, { fills: [], notFound: true, reason: `every slice was sent; ${toPlain(dec(parent.filledQuantity))} of ${toPlain(dec(parent.quantity))} filled (the rest did not fill within the price limit)` });
    } else if (num(parent.reservedAmount).gt(0)) {
      await this.deps.core.apply({ system: true, traceId: newTraceId() }, parentId, { fills: [], notFound: true });
    }
  }
}
