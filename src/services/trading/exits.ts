// Exits attached to a position: one stop-loss and any number of take-profits, each a real resting
// order (reduce-only, linked to the position, `algo_params.role` = stop_loss | take_profit). After
// anything that changes the position (a fill, a new stop, new targets) the set is brought in line:
// the stop covers the whole position; take-profits are planned as fractions of the position when set
// or when the position grows, and trimmed farthest-first (never grown) when it shrinks; all are
// cancelled once the position is flat.
//
// Spot exits must hold the base asset they would sell, but together never more than is held: the
// stop-loss (when there is one) holds the whole position and the take-profits hold nothing — a
// take-profit that fills consumes the stop's reservation; without a stop each take-profit holds its
// own quantity.
import { randomUUID } from 'node:crypto';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { orders } from '../../db/schema/index.js';
import type { TakeProfitLeg } from '../../db/schema/trading.js';
import { release, reserve, type Balances, type LedgerEntry } from '../../domain/ledger.js';
import type { Market } from '../../domain/market.js';
import { D, dec, minDec, ONE, roundDownToStep, ZERO, type Dec } from '../../domain/money.js';
import { resizeExits, type ExitOrder } from '../../domain/position.js';
import { commitLedger, lockBalances } from './ledger-store.js';
import type { OrderRow } from './rows.js';

export const ExitRole = { stopLoss: 'stop_loss', takeProfit: 'take_profit' } as const;
export type ExitRole = (typeof ExitRole)[keyof typeof ExitRole];

export type FollowUp =
  | { kind: 'submit'; orderId: string }
  | { kind: 'cancel'; orderId: string }
  | { kind: 'amend'; orderId: string; quantity?: Dec; triggerPrice?: Dec };

export interface ExitPosition {
  id: string;
  userId: string;
  portfolioId: string;
  symbol: string;
  side: 'long' | 'short';
  kind: 'spot' | 'perp';
  /** 0 when the position is closed. */
  quantity: Dec;
  leverage: Dec;
  open: boolean;
  stopLoss: Dec | null;
  takeProfits: TakeProfitLeg[] | null;
}

export function exitRoleOf(o: Pick<OrderRow, 'algoParams'>): ExitRole | undefined {
  const role = (o.algoParams as { role?: string } | null)?.role;
  return role === 'stop_loss' || role === 'take_profit' ? role : undefined;
}

function legOf(o: OrderRow): number {
  return Number((o.algoParams as { leg?: number } | null)?.leg ?? -1);
}

/** Sizes of take-profit legs over `held`: fractions when every leg has one, else an even split; the last leg takes the rounding remainder when they cover it all. */
export function planLegSizes(legs: readonly { fraction?: Dec }[], held: Dec, step: Dec): Dec[] {
  if (legs.length === 0) return [];
  const given = legs.every((l) => l.fraction !== undefined);
  const fractions = given ? legs.map((l) => l.fraction!) : legs.map(() => ONE.div(legs.length));
  const total = fractions.reduce<Dec>((a, f) => a.add(f), ZERO);
  const coversAll = !given || total.eq(1);
  const sizes = fractions.map((f) => roundDownToStep(held.mul(f), step));
  if (coversAll) {
    const others = sizes.slice(0, -1).reduce<Dec>((a, s) => a.add(s), ZERO);
    sizes[sizes.length - 1] = roundDownToStep(held.sub(others), step);
  }
  return sizes;
}

/** Take-profit targets as stored on an order or a position: their fractions, or an even split whose last leg takes the remainder. */
export function takeProfitLegs(tps: ReadonlyArray<{ price: Dec; fraction?: Dec }>): TakeProfitLeg[] {
  if (tps.every((t) => t.fraction !== undefined)) return tps.map((t) => ({ price: t.price.toFixed(), fraction: t.fraction!.toFixed() }));
  const each = ONE.div(tps.length).toDecimalPlaces(10, D.ROUND_DOWN);
  return tps.map((t, i) => ({ price: t.price.toFixed(), fraction: (i === tps.length - 1 ? ONE.sub(each.mul(tps.length - 1)) : each).toFixed() }));
}

export interface SyncResult {
  followUps: FollowUp[];
  takeProfits: TakeProfitLeg[] | null;
  ledgerChanged: boolean;
}

/**
 * Brings the exit orders of `pos` in line with it (see header). `mode` says whether take-profits are
 * planned afresh (`replan`: targets just set, or the position grew) or trimmed (`resize`).
 * Broker actions to take after commit are returned as follow-ups.
 */
export async function syncExits(
  tx: Executor,
  args: {
    pos: ExitPosition;
    market: Market;
    mode: 'replan' | 'resize';
    traceId: string | null;
    now: Date;
    source: string | null;
  },
): Promise<SyncResult> {
  const { pos, market, now } = args;
  const step = market.stepSize;
  const minQty = market.minQty.gt(0) ? market.minQty : step;
  const existing = await tx
    .select()
    .from(orders)
    .where(and(eq(orders.positionId, pos.id), inArray(orders.status, ['pending', 'open', 'partially_filled']), sql`${orders.algoParams}->>'role' in ('stop_loss', 'take_profit')`))
    .for('update');
  const followUps: FollowUp[] = [];
  const held = pos.open ? roundDownToStep(pos.quantity, step) : ZERO;
  const closeSide = pos.side === 'long' ? 'sell' : 'buy';

  // Desired quantity per exit: key "sl" or "tp:<leg>".
  const desired = new Map<string, { role: ExitRole; leg: number; trigger: Dec; quantity: Dec }>();
  let legs = pos.takeProfits ? pos.takeProfits.map((l) => ({ ...l })) : null;
  if (held.gt(0)) {
    if (pos.stopLoss) desired.set('sl', { role: 'stop_loss', leg: -1, trigger: pos.stopLoss, quantity: held });
    const open = (legs ?? []).map((l, i) => ({ l, i })).filter((x) => !x.l.filled);
    if (open.length > 0) {
      const current = new Map(existing.filter((o) => exitRoleOf(o) === 'take_profit').map((o) => [legOf(o), o]));
      const allPlaced = open.every((x) => current.has(x.i));
      if (args.mode === 'replan' || !allPlaced) {
        const sizes = planLegSizes(open.map((x) => ({ fraction: dec(x.l.fraction) })), held, step);
        open.forEach((x, k) => desired.set(`tp:${x.i}`, { role: 'take_profit', leg: x.i, trigger: dec(x.l.price), quantity: sizes[k]! }));
      } else {
        const exits: ExitOrder[] = open.map((x) => {
          const o = current.get(x.i)!;
          return { id: String(x.i), kind: 'take_profit', triggerPrice: dec(x.l.price), quantity: dec(o.quantity).sub(dec(o.filledQuantity)) };
        });
        const r = resizeExits({ exits, side: pos.side, positionQuantity: held, step, minQty });
        for (const e of r.exits) desired.set(`tp:${e.id}`, { role: 'take_profit', leg: Number(e.id), trigger: e.triggerPrice, quantity: e.quantity });
      }
    }
  }
  for (const [k, d] of desired) if (d.quantity.lt(minQty) || d.quantity.lte(0)) desired.delete(k);

  // Reservations a spot position's exits should hold (see header); perpetual exits hold nothing.
  const hasStop = desired.has('sl');
  const reservedFor = (key: string, d: { quantity: Dec }): Dec => {
    if (pos.kind !== 'spot') return ZERO;
    if (key === 'sl') return d.quantity;
    return hasStop ? ZERO : d.quantity;
  };

  const byKey = new Map<string, OrderRow>();
  for (const o of existing) {
    const role = exitRoleOf(o)!;
    const key = role === 'stop_loss' ? 'sl' : `tp:${legOf(o)}`;
    if (byKey.has(key) || !desired.has(key)) {
      followUps.push({ kind: 'cancel', orderId: o.id });
      continue;
    }
    byKey.set(key, o);
  }

  const currentReserved = existing.reduce<Dec>((a, o) => a.add(dec(o.reservedAmount)), ZERO);
  let wantedReserved = ZERO;
  for (const [k, d] of desired) wantedReserved = wantedReserved.add(reservedFor(k, d));

  // Spot: move the base between free and locked for the difference.
  let ledgerChanged = false;
  let available = wantedReserved;
  if (pos.kind === 'spot' && !wantedReserved.eq(currentReserved)) {
    const before: Balances = await lockBalances(tx, pos.portfolioId, [market.base]);
    const diff = wantedReserved.sub(currentReserved);
    let entries: LedgerEntry[] = [];
    if (diff.gt(0)) {
      const take = minDec(diff, before[market.base]?.free ?? ZERO);
      available = currentReserved.add(take);
      if (take.gt(0)) {
        const r = reserve(before, market.base, take, pos.id);
        if (r.ok) entries = r.value.entries;
      }
    } else {
      const r = release(before, market.base, diff.neg(), pos.id);
      if (r.ok) entries = r.value.entries;
    }
    if (entries.length > 0) {
      await commitLedger(tx, pos.portfolioId, before, entries, { refType: 'position', refId: pos.id, traceId: args.traceId, at: now });
      ledgerChanged = true;
    }
  }

  // Orders: cancel the unwanted (their reservation was handled above), amend or create the rest.
  for (const f of followUps) {
    if (f.kind === 'cancel') await tx.update(orders).set({ reservedAmount: '0' }).where(eq(orders.id, f.orderId));
  }
  let budget = pos.kind === 'spot' ? available : ZERO;
  for (const [key, d] of desired) {
    const want = reservedFor(key, d);
    const give = pos.kind === 'spot' ? minDec(want, budget) : ZERO;
    budget = budget.sub(give);
    const o = byKey.get(key);
    if (o) {
      const qty = dec(o.filledQuantity).add(d.quantity);
      const changes: Partial<typeof orders.$inferInsert> = {};
      const amend: { quantity?: Dec; triggerPrice?: Dec } = {};
      if (!qty.eq(dec(o.quantity))) {
        changes.quantity = qty.toFixed();
        amend.quantity = qty;
      }
      if (!o.stopPrice || !d.trigger.eq(dec(o.stopPrice))) {
        changes.stopPrice = d.trigger.toFixed();
        amend.triggerPrice = d.trigger;
      }
      if (!give.eq(dec(o.reservedAmount))) {
        changes.reservedAmount = give.toFixed();
        changes.reservedAsset = market.base;
      }
      if (Object.keys(changes).length > 0) await tx.update(orders).set(changes).where(eq(orders.id, o.id));
      if (amend.quantity || amend.triggerPrice) followUps.push({ kind: 'amend', orderId: o.id, ...amend });
    } else {
      const id = randomUUID();
      await tx.insert(orders).values({
        id,
        userId: pos.userId,
        portfolioId: pos.portfolioId,
        clientOrderId: `x-${id}`,
        positionId: pos.id,
        symbol: pos.symbol,
        side: closeSide,
        orderType: d.role === 'stop_loss' ? 'stop_loss' : 'take_profit',
        status: 'pending',
        timeInForce: 'gtc',
        quantity: d.quantity.toFixed(),
        stopPrice: d.trigger.toFixed(),
        leverage: pos.leverage.toFixed(),
        reduceOnly: true,
        reservedAsset: pos.kind === 'spot' ? market.base : market.quote,
        reservedAmount: give.toFixed(),
        algoParams: { role: d.role, leg: d.leg },
        source: args.source,
        createdAt: now,
      });
      followUps.push({ kind: 'submit', orderId: id });
      if (d.role === 'take_profit' && legs) {
        const leg = legs[d.leg];
        if (leg) leg.orderId = id;
      }
    }
  }
  if (legs && held.lte(0)) legs = legs.map((l) => ({ ...l }));
  return { followUps, takeProfits: legs, ledgerChanged };
}
