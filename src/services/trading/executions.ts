// Applying what a venue reports about one of our orders — fills, acceptance, cancellation,
// expiry, rejection — in one transaction: the trade rows (unique venue trade id: a fill applied twice
// changes nothing, reliability 3), the order's status through the domain's transition table, the
// ledger (fills settle against the order's reservation; what is left is released when the order
// ends), the position (spot average cost; perpetual margin, liquidation price, realised P&L; add,
// reduce, close, flip), the exits attached to the position, and one audit row. Events are returned
// for the caller to publish after commit; broker actions (new exit orders to submit, exits to
// cancel or amend) are returned as follow-ups.
import { randomUUID } from 'node:crypto';
import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { queryRows, type Db, type Executor } from '../../db/client.js';
import { auditLogs, orders, portfolios, positions, trades, type TakeProfitLeg } from '../../db/schema/index.js';
import { withTransaction } from '../../db/tx.js';
import type { BrokerFill, BrokerOrder } from '../../domain/broker.js';
import { balanceOf, chargeFee, lockMargin, release, releaseMargin, reserve, settleSpotFill, type Balances, type LedgerEntry, type LedgerChange } from '../../domain/ledger.js';
import { dec, minDec, ZERO, type Dec } from '../../domain/money.js';
import { isTerminalStatus, statusAfterFill, transitionOrder, type OrderEvent, type OrderStatus } from '../../domain/order.js';
import { applyFill, type ClosedPosition, type Position } from '../../domain/position.js';
import type { Result } from '../../domain/result.js';
import type { Clock } from '../../domain/ports.js';
import type { Logger } from '../../log.js';
import type { Actor } from '../actor.js';
import { writeAudit, type AuditChange } from '../audit.js';
import { auditRow } from './audit-sql.js';
import type { MikeyEvent } from '../events.js';
import type { MarketCatalog } from '../markets.js';
import { exitRoleOf, syncExits, type FollowUp } from './exits.js';
import { commitLedger, ledgerParts, lockBalances, optimisticLedgerParts } from './ledger-store.js';
import type { ExecutionEvent } from './ports.js';
import {
  num,
  orderFromJson,
  positionColumns,
  positionFromJson,
  POSITION_NUMERIC_COLUMNS,
  q18,
  q18up,
  rowToPosition,
  type OrderRow,
  type PositionRow,
  type TradeRow,
} from './rows.js';

export type AuditActor = Actor | { system: true; traceId: string };

export interface ExecContext {
  db: Db;
  markets: MarketCatalog;
  clock: Clock;
  logger: Logger;
  /** Crash injection for tests: runs inside the fill transaction, just before it commits. */
  beforeCommit?: (orderId: string) => void | Promise<void>;
}

/** What the venue said about one order. */
export interface VenueUpdate {
  venueOrder?: BrokerOrder;
  fills: readonly BrokerFill[];
  rejected?: { code: string; reason: string };
  /** A lookup found no such order at the venue; the order ends here. */
  notFound?: boolean;
  event?: ExecutionEvent;
  trailReference?: Dec;
  reason?: string;
  notes?: string[];
  /** The fill closes the position by liquidation. */
  liquidation?: boolean;
  submitted?: boolean;
}

export interface ApplyResult {
  order: OrderRow;
  trades: TradeRow[];
  events: MikeyEvent[];
  followUps: FollowUp[];
  statusChanged: boolean;
  /** Fills or transitions that could not be applied, with why. */
  skipped: string[];
}

const VENUE_END_EVENT: Partial<Record<OrderStatus, OrderEvent>> = { cancelled: 'cancel', expired: 'expire', rejected: 'reject' };

function must<T>(r: Result<T>, what: string): T {
  if (!r.ok) throw new Error(`${what}: ${r.error.message}`);
  return r.value;
}

interface PosState {
  id: string;
  isNew: boolean;
  row: PositionRow | null;
  domain: Position;
  margin: Dec;
  stopLoss: Dec | null;
  takeProfits: TakeProfitLeg[] | null;
  exitsDirty: 'replan' | 'resize' | null;
}

interface ClosedState {
  id: string;
  isNew: boolean;
  row: PositionRow | null;
  closed: ClosedPosition;
  domain: Position;
  hadExits: boolean;
}

/**
 * The order as the caller last read it. Its identity (portfolio, symbol, side, type, reserved asset,
 * links) never changes, so the first read of the transaction can lock the order, the balances and the
 * position at once and fetch only the order's changing columns.
 */
export interface ApplyHint {
  row: OrderRow;
}

/**
 * Applies `update` to order `orderId` in its own transaction (retried on serialization failure).
 *
 * Fills of a plain spot order are first settled optimistically (issue 15): the order and the
 * position are locked, the balances only read, the fill worked out, and the balance rows locked
 * only by the one statement that writes everything, which re-checks them as they are then (no
 * balance may go below zero) — so the convoy of an account's concurrent orders on its balance rows
 * shrinks to that statement and the commit. When the re-check fails, or the fill turns out to need
 * more than the simple write (a position closed or flipped, exits to follow, a reservation beyond
 * the order's), that attempt rolls back entirely and the update is applied again the careful way,
 * balances locked before anything is worked out: the outcome is the careful way's, never a
 * half-applied fill and never a balance below zero.
 */
export async function applyVenueUpdate(ctx: ExecContext, actor: AuditActor, orderId: string, update: VenueUpdate, hint?: ApplyHint): Promise<ApplyResult> {
  if (hint && update.fills.length > 0 && optimisticCandidate(ctx, hint.row)) {
    try {
      return await withTransaction(ctx.db, (tx) => applyInTx(tx, ctx, actor, orderId, update, hint, { optimistic: true }));
    } catch (err) {
      if (!(err instanceof NeedsLock)) throw err;
    }
  }
  return withTransaction(ctx.db, (tx) => applyInTx(tx, ctx, actor, orderId, update, hint));
}

/** Internal: an optimistic attempt that must be rolled back and done with the balances locked first. */
class NeedsLock extends Error {
  constructor(why: string) {
    super(`optimistic settlement not possible: ${why}`);
  }
}

/**
 * Orders whose fills can be settled optimistically: spot (a perpetual's margin and loss floor depend
 * on the free balance itself), not a TWAP/VWAP slice, not an exit or reduce-only order, no exits
 * attached. The rest take the balance locks first.
 */
function optimisticCandidate(ctx: ExecContext, row: OrderRow): boolean {
  const m = ctx.markets.find(row.symbol);
  return m?.kind === 'spot' && !row.parentOrderId && !row.reduceOnly && !row.stopLoss && !(row.takeProfits && row.takeProfits.length > 0) && !exitRoleOf(row);
}

interface Prelocked {
  balances: Balances;
  position: PositionRow | null;
}

/** Order columns a venue update can have changed since the caller read the row. */
const MUTABLE_ORDER_JSON = `json_build_object(${[
  ...['status', 'fee_asset', 'position_id', 'algo_params', 'submitted_at', 'executed_at', 'cancelled_at', 'exchange_order_id', 'reject_reason', 'updated_at'].map((c) => `'${c}', o.${c}`),
  ...['quantity', 'price', 'stop_price', 'filled_quantity', 'average_fill_price', 'fee', 'reserved_amount', 'trail_reference_price'].map((c) => `'${c}', o.${c}::text`),
  `'initial_capital_text', o.initial_capital_text`,
].join(', ')})`;

const POSITION_JSON = `json_build_object(${[
  ...['id', 'user_id', 'portfolio_id', 'symbol', 'exchange', 'kind', 'side', 'status', 'take_profits', 'signal_wallet_id', 'opened_at', 'closed_at', 'holding_seconds', 'updated_at'].map((c) => `'${c}', x.${c}`),
  ...POSITION_NUMERIC_COLUMNS.map((c) => `'${c}', x.${c}::text`),
].join(', ')})`;

/**
 * One statement that locks the order, the balance rows a fill touches and the open position, in
 * that order (the order every writer uses), and reads what may have changed.
 */
async function lockForFills(tx: Executor, orderId: string, base: OrderRow, assets: readonly string[], optimistic: boolean): Promise<{ order: OrderRow; capital: string; pre: Prelocked; upgraded: boolean } | undefined> {
  const [r] = await queryRows<{ o: Record<string, unknown> | null; b: Array<{ asset: string; free: string; locked: string }>; x: Record<string, unknown> | null }>(
    tx,
    sql`with o as (select o.*, p.initial_capital::text as initial_capital_text from orders o join portfolios p on p.id = o.portfolio_id
                   where o.id = ${orderId}::uuid for update of o),
         b as (select asset, free::text as free, locked::text as locked from balances
               where portfolio_id = ${base.portfolioId}::uuid and asset in ${[...assets]} order by asset ${optimistic ? sql`` : sql`for update`}),
         x as (select * from positions where portfolio_id = ${base.portfolioId}::uuid and symbol = ${base.symbol} and status = 'open' for update)
       select (select ${sql.raw(MUTABLE_ORDER_JSON)} from o) as o,
              (select coalesce(json_agg(json_build_object('asset', asset, 'free', free, 'locked', locked)), '[]'::json) from b) as b,
              (select ${sql.raw(POSITION_JSON)} from x) as x`,
  );
  if (!r?.o) return undefined;
  const { initial_capital_text: capital, ...changed } = r.o as Record<string, unknown> & { initial_capital_text: string };
  const order = { ...base, ...orderFromJson(changed) };
  const balances: Record<string, { asset: string; free: Dec; locked: Dec }> = {};
  for (const b of r.b) balances[b.asset] = { asset: b.asset, free: dec(b.free), locked: dec(b.locked) };
  const missing = assets.some((a) => !balances[a]);
  // A balance row to create (an asset first bought) is created under the lock, and a position is
  // opened only under the balance lock (two fills opening one at once would collide on the
  // one-open-position index). Without an open position nothing but the order is locked yet, so the
  // balance locks are taken here, in the order every writer takes them, and this attempt goes on as
  // the careful one (`upgraded`); with a position locked already, it gives way to the careful one.
  if (missing && optimistic && r.x) throw new NeedsLock('a balance row does not exist yet');
  const upgraded = optimistic && (missing || !r.x);
  const locked = missing || upgraded ? await lockBalances(tx, base.portfolioId, assets) : balances;
  // The statement's snapshot predates the locks it waited for: a position another fill opened
  // meanwhile is invisible to it. Now that the balance rows are ours, look again.
  let position = r.x ? positionFromJson(r.x) : null;
  if (!position) {
    const [again] = await tx
      .select()
      .from(positions)
      .where(and(eq(positions.portfolioId, base.portfolioId), eq(positions.symbol, base.symbol), eq(positions.status, 'open')))
      .for('update');
    position = again ?? null;
  }
  return { order, capital, pre: { balances: locked, position }, upgraded };
}

/**
 * Applies `update` inside `tx`. With `optimistic` (fills with a hint only), the balance rows are read
 * but not locked, and the write re-checks them under the lock; anything that cannot be settled that
 * way throws `NeedsLock` (see applyVenueUpdate).
 */
export async function applyInTx(tx: Executor, ctx: ExecContext, actor: AuditActor, orderId: string, update: VenueUpdate, hint?: ApplyHint, opts: { optimistic?: boolean } = {}): Promise<ApplyResult> {
  let optimistic = opts.optimistic === true && hint !== undefined && update.fills.length > 0;
  let before: OrderRow;
  let capitalText: string;
  let pre: Prelocked | undefined;
  if (hint && update.fills.length > 0) {
    const m = ctx.markets.resolve(hint.row.symbol);
    const assets = m.kind === 'spot' ? [m.base, m.quote] : [m.quote];
    if (hint.row.reservedAsset && !assets.includes(hint.row.reservedAsset)) assets.push(hint.row.reservedAsset);
    const got = await lockForFills(tx, orderId, hint.row, assets, optimistic);
    if (!got) throw new Error(`order ${orderId} vanished`);
    ({ order: before, capital: capitalText, pre } = got);
    // The balances are locked now: the rest is the careful way.
    if (got.upgraded) optimistic = false;
  } else {
    const [locked] = await tx
      .select({ order: orders, initialCapital: portfolios.initialCapital })
      .from(orders)
      .innerJoin(portfolios, eq(portfolios.id, orders.portfolioId))
      .where(eq(orders.id, orderId))
      .for('update', { of: orders });
    if (!locked) throw new Error(`order ${orderId} vanished`);
    before = locked.order;
    capitalText = locked.initialCapital;
  }
  const capital = num(capitalText);
  const market = ctx.markets.resolve(before.symbol);
  const now = ctx.clock.now();
  const traceId = actor.traceId;
  const order = { ...before };
  const events: MikeyEvent[] = [];
  const followUps: FollowUp[] = [];
  const skipped: string[] = [];
  const exitRole = exitRoleOf(before);

  // Parent of a TWAP/VWAP slice (locked after the child: child → parent everywhere).
  let parent: OrderRow | undefined;
  if (before.parentOrderId) {
    [parent] = await tx.select().from(orders).where(eq(orders.id, before.parentOrderId)).for('update');
  }

  // ---- Fills not yet booked.
  let fresh = [...update.fills];
  if (fresh.length > 0 && dec(before.filledQuantity).gt(0)) {
    const known = new Set((await tx.select({ id: trades.exchangeTradeId }).from(trades).where(eq(trades.orderId, orderId))).map((r) => r.id));
    fresh = fresh.filter((f) => !known.has(f.tradeId));
  }
  fresh.sort((a, b) => a.at.getTime() - b.at.getTime());
  if (fresh.length > 0 && isTerminalStatus(order.status)) {
    skipped.push(`${fresh.length} fill(s) reported for an order that is already ${order.status}; not booked`);
    ctx.logger.warn('fills for a terminal order ignored', { orderId, status: order.status, fills: fresh.map((f) => f.tradeId) });
    fresh = [];
  }

  let balances: Balances | undefined;
  let balancesBefore: Balances | undefined;
  const entries: LedgerEntry[] = [];
  const lockAll = async (): Promise<Balances> => {
    if (!balances && pre) {
      balancesBefore = pre.balances;
      balances = pre.balances;
    }
    if (!balances) {
      const assets = market.kind === 'spot' ? [market.base, market.quote] : [market.quote];
      if (order.reservedAsset && !assets.includes(order.reservedAsset)) assets.push(order.reservedAsset);
      balancesBefore = await lockBalances(tx, order.portfolioId, assets);
      balances = balancesBefore;
    }
    return balances;
  };
  const book = (change: Result<LedgerChange>, what: string): void => {
    // On balances read without a lock a refusal may be out of date: decide it under the lock.
    if (optimistic && !change.ok) throw new NeedsLock(what);
    const c = must(change, what);
    entries.push(...c.entries);
    balances = c.balances;
  };

  let reservation = num(order.reservedAmount);
  let filled = dec(order.filledQuantity);
  let notional = order.averageFillPrice ? dec(order.averageFillPrice).mul(filled) : ZERO;
  let feeTotal = num(order.fee);
  let status: OrderStatus = order.status;
  let endReason: string | undefined;
  const tradeRows: Array<typeof trades.$inferInsert> = [];
  let pos: PosState | null = null;
  const closedStates: ClosedState[] = [];
  const siblingReservations = new Map<string, Dec>();
  let positionTouched = false;

  if (fresh.length > 0) {
    await lockAll();
    const [posRow] = pre
      ? pre.position ? [pre.position] : []
      : await tx
          .select()
          .from(positions)
          .where(and(eq(positions.portfolioId, order.portfolioId), eq(positions.symbol, order.symbol), eq(positions.status, 'open')))
          .for('update');
    if (posRow) {
      pos = {
        id: posRow.id,
        isNew: false,
        row: posRow,
        domain: rowToPosition(posRow, market, { capitalReference: capital }),
        margin: num(posRow.margin),
        stopLoss: posRow.stopLoss ? dec(posRow.stopLoss) : null,
        takeProfits: posRow.takeProfits,
        exitsDirty: null,
      };
    }
    let exitQuantityLoaded = false;

    for (const f of fresh) {
      const remaining = dec(order.quantity).sub(filled);
      if (remaining.lte(0)) {
        skipped.push(`fill ${f.tradeId} exceeds the order quantity; not booked`);
        continue;
      }
      const qty = minDec(f.quantity, remaining);
      const fee = qty.eq(f.quantity) ? f.fee : q18up(f.fee.mul(qty).div(f.quantity));
      const fillSide = f.side === 'buy' ? 'long' : 'short';
      if (market.kind === 'spot' && f.side === 'sell') {
        // Coins the account held before MIKEY traded them (a live account's opening balances, a
        // deposit) are in the ledger but in no position: the venue sold them, so they are booked as
        // held at the sale price — their cost is unknown, so that part makes no profit or loss.
        const held = pos && pos.domain.side === 'long' ? pos.domain.quantity : ZERO;
        const own = balanceOf(balances!, market.base);
        const adopt = minDec(qty.sub(held), own.free.add(own.locked).sub(held));
        if (adopt.gt(0)) {
          const adopted = applyFill(pos?.domain ?? null, { symbol: market.symbol, side: 'buy', quantity: adopt, price: f.price, fee: ZERO, at: f.at }, market);
          if (adopted.ok) {
            if (pos) pos.domain = adopted.value.position!;
            else pos = { id: randomUUID(), isNew: true, row: null, domain: adopted.value.position!, margin: ZERO, stopLoss: null, takeProfits: null, exitsDirty: null };
            skipped.push(`${adopt.toFixed()} ${market.base} of this sale was held before MIKEY traded it: its cost is unknown, so it is booked at the sale price (no profit or loss on that part)`);
          }
        }
      }
      const reducing = pos !== null && pos.domain.side !== fillSide;
      if (reducing && pos && !pos.isNew && !exitQuantityLoaded) {
        const [r] = await queryRows<{ q: string }>(
          tx,
          sql`select coalesce(sum(t.quantity), 0)::text as q from trades t join orders o on o.id = t.order_id
              where o.position_id = ${pos.id} and t.side = ${f.side}`,
        );
        const exitQty = dec(r?.q ?? '0');
        const exitPrice = pos.row?.exitPrice ? dec(pos.row.exitPrice) : ZERO;
        pos.domain = { ...pos.domain, exitQuantity: exitQty, exitNotional: exitPrice.mul(exitQty) };
        exitQuantityLoaded = true;
      }
      const leverage = market.kind === 'perp' ? dec(order.leverage) : undefined;
      const u = applyFill(
        pos?.domain ?? null,
        {
          symbol: market.symbol,
          side: f.side,
          quantity: qty,
          price: f.price,
          fee,
          at: f.at,
          ...(leverage ? { leverage } : {}),
          ...(order.reduceOnly ? { reduceOnly: true } : {}),
          ...(order.stopLoss ? { stopLossPrice: dec(order.stopLoss) } : {}),
        },
        market,
      );
      if (!u.ok) {
        skipped.push(`fill ${f.tradeId}: ${u.error.message}`);
        endReason = u.error.message;
        break;
      }
      const { appliedQuantity: q, appliedFee: fq, realisedPnl } = u.value;
      const closing = reducing && pos ? minDec(q, pos.domain.quantity) : ZERO;
      const opening = q.sub(closing);
      const price = f.price;

      // ---- Ledger.
      let marginOpened = ZERO;
      let marginReleased = ZERO;
      let pnlBooked = realisedPnl;
      if (market.kind === 'spot') {
        // Venues may take the fee from the asset received (Binance spot: the base on a buy) or in a
        // third asset (BNB); the simulator always charges the quote.
        const feeInQuote = !f.feeAsset || f.feeAsset === market.quote;
        const feeInBase = f.feeAsset === market.base;
        if (f.side === 'buy') {
          const need = q18(q.mul(price)).add(feeInQuote ? fq : ZERO);
          const fromReservation = order.reservedAsset === market.quote ? minDec(reservation, need) : ZERO;
          const extra = need.sub(fromReservation);
          if (extra.gt(0)) book(reserve(balances!, market.quote, extra, order.id), 'cover a fill beyond the reservation');
          reservation = reservation.sub(fromReservation);
        } else {
          const fromOwn = order.reservedAsset === market.base ? minDec(reservation, q) : ZERO;
          reservation = reservation.sub(fromOwn);
          let short = q.sub(fromOwn);
          if (short.gt(0) && pos) {
            // A reduce-only sale may use what the position's exits hold (their reservation is the same base).
            const siblings = await tx
              .select({ id: orders.id, reserved: orders.reservedAmount })
              .from(orders)
              .where(and(eq(orders.positionId, pos.id), inArray(orders.status, ['pending', 'open', 'partially_filled']), sql`${orders.id} <> ${order.id}`, sql`${orders.algoParams}->>'role' in ('stop_loss', 'take_profit')`))
              .for('update');
            for (const s of siblings) {
              const have = siblingReservations.get(s.id) ?? dec(s.reserved);
              const take = minDec(have, short);
              if (take.lte(0)) continue;
              siblingReservations.set(s.id, have.sub(take));
              short = short.sub(take);
              if (short.lte(0)) break;
            }
          }
          if (short.gt(0)) book(reserve(balances!, market.base, short, order.id), 'cover a sale beyond the reservation');
        }
        const settleFee = feeInQuote || feeInBase ? fq : ZERO;
        book(settleSpotFill(balances!, { side: f.side, base: market.base, quote: market.quote, quantity: q, price, fee: settleFee, feeAsset: feeInBase ? market.base : market.quote, ref: order.id }), 'settle the fill');
        // A fee in a third asset is recorded on the trade; the live reconciler books its balance change.
        if (!feeInQuote && !feeInBase && fq.gt(0)) skipped.push(`fee of ${fq.toFixed()} ${f.feeAsset} recorded on the trade; the balance follows at reconciliation`);
      } else {
        const closingFee = q.isZero() ? ZERO : q18up(fq.mul(closing).div(q));
        const openingFee = fq.sub(closingFee);
        if (closing.gt(0) && pos) {
          const marginRel = closing.eq(pos.domain.quantity) ? pos.margin : q18(pos.margin.mul(closing).div(pos.domain.quantity));
          const free = balances![market.quote]?.free ?? ZERO;
          // Isolated margin: a loss never takes more than the released margin and the free balance.
          const floor = free.add(marginRel).sub(closingFee).neg();
          pnlBooked = q18(realisedPnl);
          if (pnlBooked.lt(floor)) {
            skipped.push(`loss capped at the margin and free balance (${floor.neg().toFixed()} ${market.quote})`);
            pnlBooked = floor;
          }
          book(releaseMargin(balances!, market.quote, { margin: marginRel, realisedPnl: pnlBooked, fee: closingFee, ref: order.id }), 'release margin');
          marginReleased = marginRel;
        }
        if (opening.gt(0)) {
          const lev = u.value.position?.leverage ?? dec(order.leverage);
          let marginNew = q18up(opening.mul(price).div(lev));
          const need = marginNew.add(openingFee);
          const fromReservation = order.reservedAsset === market.quote ? minDec(reservation, need) : ZERO;
          reservation = reservation.sub(fromReservation);
          const extra = need.sub(fromReservation);
          if (extra.gt(0)) {
            const free = balances![market.quote]?.free ?? ZERO;
            const take = minDec(extra, free);
            if (take.gt(0)) book(lockMargin(balances!, market.quote, take, order.id), 'lock margin beyond the reservation');
            if (take.lt(extra)) {
              marginNew = marginNew.sub(extra.sub(take));
              skipped.push(`margin short by ${extra.sub(take).toFixed()} ${market.quote}; the position holds less margin`);
            }
          }
          if (openingFee.gt(0)) book(chargeFee(balances!, market.quote, openingFee, 'locked', order.id), 'charge the fee');
          marginOpened = marginNew;
        }
      }

      // ---- Position.
      positionTouched = true;
      const effect = u.value.effect;
      if (effect === 'closed' || effect === 'flipped') {
        const closedRecord = u.value.closed!;
        closedStates.push({
          id: pos!.id,
          isNew: pos!.isNew,
          row: pos!.row,
          closed: { ...closedRecord, realisedPnl: closedRecord.realisedPnl.sub(realisedPnl).add(pnlBooked) },
          domain: pos!.domain,
          hadExits: pos!.stopLoss !== null || (pos!.takeProfits?.length ?? 0) > 0,
        });
        pos = null;
      }
      if (effect === 'opened' || effect === 'flipped') {
        pos = { id: randomUUID(), isNew: true, row: null, domain: u.value.position!, margin: marginOpened, stopLoss: null, takeProfits: null, exitsDirty: null };
      } else if (effect === 'increased' || effect === 'reduced') {
        pos!.domain = u.value.position!;
        pos!.margin = pos!.margin.add(marginOpened).sub(marginReleased);
      }
      if (pos && !order.reduceOnly && (effect === 'opened' || effect === 'increased' || effect === 'flipped') && (order.stopLoss || order.takeProfits)) {
        if (order.stopLoss) pos.stopLoss = dec(order.stopLoss);
        if (order.takeProfits && order.takeProfits.length > 0) pos.takeProfits = order.takeProfits.map((t) => ({ price: t.price, fraction: t.fraction }));
        pos.exitsDirty = 'replan';
      } else if (pos && (pos.stopLoss || pos.takeProfits)) {
        pos.exitsDirty = effect === 'increased' ? 'replan' : 'resize';
      }
      if (pos && exitRole === 'take_profit' && pos.takeProfits) {
        pos.takeProfits = pos.takeProfits.map((l) => (l.orderId === order.id ? { ...l, filled: true } : l));
        pos.exitsDirty = 'resize';
      }

      // ---- Trade and order.
      const cost = pos?.domain.entryPrice ?? closedStates[closedStates.length - 1]?.closed.entryPrice;
      tradeRows.push({
        id: randomUUID(),
        orderId: order.id,
        portfolioId: order.portfolioId,
        userId: order.userId,
        exchangeTradeId: f.tradeId,
        symbol: market.symbol,
        side: f.side,
        quantity: q.toFixed(),
        price: price.toFixed(),
        quoteQuantity: q18(q.mul(price)).toFixed(),
        fee: fq.toFixed(),
        feeAsset: f.feeAsset,
        realizedPnl: closing.gt(0) ? q18(pnlBooked).toFixed() : null,
        realizedPnlPercent: closing.gt(0) && cost ? pnlBooked.div(cost.mul(closing)).mul(100).toDecimalPlaces(10).toFixed() : null,
        liquidity: f.liquidity,
        executedAt: f.at,
      });
      filled = filled.add(q);
      notional = notional.add(q.mul(price));
      feeTotal = feeTotal.add(fq);
      order.feeAsset = f.feeAsset;
      status = must(statusAfterFill(status, filled, dec(order.quantity)), 'order status after fill');
      events.push({ type: 'order.filled', userId: order.userId, portfolioId: order.portfolioId, orderId: order.id, symbol: market.symbol, side: f.side, quantity: q.toFixed(), price: price.toFixed(), orderType: order.orderType });
    }
  }

  // ---- The venue's view of the order's life.
  const end = (event: OrderEvent, reason?: string): void => {
    if (isTerminalStatus(status)) return;
    const next = transitionOrder(status, event);
    if (next.ok) {
      status = next.value;
      if (reason) endReason = reason;
    } else skipped.push(next.error.message);
  };
  if (endReason && !isTerminalStatus(status)) end('cancel', endReason);
  if (update.rejected) {
    if (status === 'pending') end('reject', `${update.rejected.code}: ${update.rejected.reason}`);
    else end('cancel', `${update.rejected.code}: ${update.rejected.reason}`);
  }
  const venue = update.venueOrder;
  if (venue) {
    const ev = VENUE_END_EVENT[venue.status];
    if (ev) end(status === 'pending' || ev !== 'reject' ? ev : 'cancel', update.reason ?? `the venue reports the order ${venue.status}`);
    // A venue may report an order filled before its trades can be read (a poll sees the order first):
    // without fills in hand, wait for them rather than end an order that did fill.
    else if (venue.status === 'filled' && status !== 'filled' && update.fills.length === 0) {
      if (status === 'pending') end('accept');
      skipped.push('the venue reports the order filled; its trades are not in yet');
    }
    else if (venue.status === 'filled' && status !== 'filled') end('cancel', endReason ?? 'the venue filled more than could be booked');
    else if (status === 'pending') end('accept');
  }
  if (update.notFound) end(status === 'pending' ? 'cancel' : 'cancel', update.reason ?? 'the venue has no such order');
  if (!venue && !update.rejected && !update.notFound && status === 'pending' && update.submitted) end('accept');

  const terminal = isTerminalStatus(status);
  if (terminal && reservation.gt(0) && order.reservedAsset) {
    await lockAll();
    book(release(balances!, order.reservedAsset, reservation, order.id), 'release the reservation');
    reservation = ZERO;
  }

  const statusChanged = status !== before.status;
  const algo = { ...((order.algoParams) ?? {}) };
  let algoChanged = false;
  if (update.event === 'triggered' && !algo.triggeredAt) {
    algo.triggeredAt = now.toISOString();
    algoChanged = true;
  }
  const trailChanged = update.trailReference !== undefined && !(order.trailReferencePrice && dec(order.trailReferencePrice).eq(update.trailReference));
  const nothing = tradeRows.length === 0 && !statusChanged && !algoChanged && !trailChanged && entries.length === 0 && !(update.submitted && !order.submittedAt);
  if (nothing) return { order: before, trades: [], events: [], followUps: [], statusChanged: false, skipped };

  // ---- Writes: trades, positions, order, parent, ledger, exits, audit.
  const finalPositionId = pos?.id ?? closedStates[closedStates.length - 1]?.id ?? order.positionId;
  const orderChanges: Partial<typeof orders.$inferInsert> = {
    status,
    filledQuantity: filled.toFixed(),
    ...(filled.gt(0) ? { averageFillPrice: q18(notional.div(filled)).toFixed() } : {}),
    fee: q18(feeTotal).toFixed(),
    feeAsset: order.feeAsset,
    reservedAmount: reservation.toFixed(),
    positionId: finalPositionId,
    updatedAt: now,
    ...(status === 'filled' && !order.executedAt ? { executedAt: now } : {}),
    ...((status === 'cancelled' || status === 'expired') && !order.cancelledAt ? { cancelledAt: now } : {}),
    ...(endReason && terminal ? { rejectReason: endReason.slice(0, 500) } : {}),
    ...(update.submitted && !order.submittedAt ? { submittedAt: now } : {}),
    ...(venue?.venueOrderId && !order.exchangeOrderId ? { exchangeOrderId: venue.venueOrderId } : {}),
    ...(trailChanged ? { trailReferencePrice: q18(update.trailReference!).toFixed() } : {}),
    ...(algoChanged ? { algoParams: algo } : {}),
  };
  const action = tradeRows.length > 0 ? 'order.fill' : statusChanged ? `order.${statusAction(status)}` : algoChanged ? 'order.trigger' : trailChanged ? null : 'order.update';
  const auditChange: AuditChange | null = action
    ? {
        action,
        entityType: 'order',
        entityId: order.id,
        oldValue: { status: before.status, filledQuantity: before.filledQuantity },
        newValue: {
          status,
          filledQuantity: filled.toFixed(),
          ...(filled.gt(0) ? { averageFillPrice: q18(notional.div(filled)).toFixed() } : {}),
          ...(tradeRows.length > 0 ? { fills: tradeRows.map((t) => ({ tradeId: t.exchangeTradeId, quantity: t.quantity, price: t.price, fee: t.fee, realizedPnl: t.realizedPnl, liquidity: t.liquidity })) } : {}),
          ...(finalPositionId ? { positionId: finalPositionId } : {}),
          ...(endReason ? { reason: endReason } : {}),
        },
        metadata: {
          ...(update.notes?.length ? { notes: update.notes } : {}),
          ...(skipped.length ? { skipped } : {}),
          ...(update.liquidation ? { liquidation: true } : {}),
          ...(update.event ? { venueEvent: update.event } : {}),
        },
      }
    : null;

  const insertedTrades: TradeRow[] = tradeRows.map((t) => ({
    ...(t as TradeRow),
    exchange: null,
    realizedPnl: t.realizedPnl ?? null,
    realizedPnlPercent: t.realizedPnlPercent ?? null,
    liquidity: t.liquidity ?? null,
    feeAsset: t.feeAsset ?? null,
    fee: t.fee ?? '0',
    executedAt: t.executedAt ?? now,
    createdAt: now,
  }));
  let after: OrderRow | undefined;
  const simple = closedStates.length === 0 && !parent && siblingReservations.size === 0 && !pos?.exitsDirty;
  if (optimistic && !simple) throw new NeedsLock('the fill changes more than the order, its position and the balances');
  if (simple) {
    // One statement for every write (separate tables, no ordering between them).
    const parts: SQL[] = [];
    if (tradeRows.length > 0) parts.push(sql`t as ${tx.insert(trades).values(tradeRows)}`);
    if (pos) {
      const values = openPositionValues(pos, fresh, capital);
      parts.push(
        pos.isNew
          ? sql`x as ${tx.insert(positions).values({ ...values, id: pos.id, userId: order.userId, portfolioId: order.portfolioId, symbol: market.symbol, quantity: values.quantity!, entryPrice: values.entryPrice!, openedAt: pos.domain.openedAt, status: 'open' })}`
          : sql`x as ${tx.update(positions).set(values).where(eq(positions.id, pos.id))}`,
      );
      if (positionTouched) events.push({ type: 'position.changed', userId: order.userId, portfolioId: order.portfolioId, symbol: market.symbol, reason: positionReason(order, exitRole, update) });
    }
    const ledgerRef = { refType: 'order', refId: order.id, traceId, at: now };
    // Optimistic: the balance rows are locked by this statement only, and re-checked by it.
    const guarded = optimistic && entries.length > 0 ? optimisticLedgerParts(order.portfolioId, entries, ledgerRef) : undefined;
    if (entries.length > 0) {
      parts.push(...(guarded ? guarded.parts : ledgerParts(order.portfolioId, balancesBefore!, entries, ledgerRef).parts));
      events.push({ type: 'balance.changed', userId: order.userId, portfolioId: order.portfolioId });
    }
    if (auditChange) parts.push(sql`a as ${tx.insert(auditLogs).values(auditRow(actor, auditChange))}`);
    parts.push(sql`o as ${tx.update(orders).set(orderChanges).where(eq(orders.id, order.id)).returning({ id: orders.id })}`);
    const [w] = await queryRows<{ moved: string | number }>(tx, sql`with ${sql.join(parts, sql`, `)} select ${guarded ? guarded.checkSql : sql`0`} as moved from o`);
    if (guarded && Number(w?.moved) !== guarded.expected) throw new NeedsLock('a balance changed under the fill');
    after = { ...before, ...orderChanges };
  } else {
    if (tradeRows.length > 0) await tx.insert(trades).values(tradeRows);
    // Positions: closed rows first (the open-position unique index allows one open row per symbol).
    for (const c of closedStates) {
      const cost = c.closed.entryPrice.mul(c.closed.quantity);
      const ddPct = cost.gt(0) ? c.closed.maxDrawdown.neg().div(cost).mul(100).toDecimalPlaces(10) : ZERO;
      const values = {
        ...positionColumns(c.domain, { capitalReference: capital }),
        status: update.liquidation ? ('liquidated' as const) : ('closed' as const),
        quantity: '0',
        margin: '0',
        liquidationPrice: null,
        unrealizedPnl: '0',
        unrealizedPnlPercent: '0',
        realizedPnl: q18(c.closed.realisedPnl).toFixed(),
        feesPaid: q18(c.closed.fees).toFixed(),
        fundingPaid: q18(c.closed.funding.neg()).toFixed(),
        exitPrice: q18(c.closed.exitPrice).toFixed(),
        maxDrawdown: ddPct.toFixed(),
        riskConsumed: capital.gt(0) ? minDec(c.closed.riskConsumed.div(capital), dec(1)).toDecimalPlaces(10).toFixed() : null,
        markPrice: c.closed.exitPrice.toFixed(),
        closedAt: c.closed.closedAt,
        holdingSeconds: Math.max(0, Math.round(c.closed.holdingMs / 1000)),
        updatedAt: now,
      };
      if (c.isNew) {
        await tx.insert(positions).values({ ...values, id: c.id, userId: order.userId, portfolioId: order.portfolioId, symbol: market.symbol, entryPrice: q18(c.closed.entryPrice).toFixed(), openedAt: c.closed.openedAt });
      } else {
        await tx.update(positions).set(values).where(eq(positions.id, c.id));
      }
      events.push({ type: 'position.changed', userId: order.userId, portfolioId: order.portfolioId, symbol: market.symbol, reason: positionReason(order, exitRole, update) });
    }
    if (pos) {
      const values = openPositionValues(pos, fresh, capital);
      if (pos.isNew) {
        await tx.insert(positions).values({ ...values, id: pos.id, userId: order.userId, portfolioId: order.portfolioId, symbol: market.symbol, quantity: values.quantity!, entryPrice: values.entryPrice!, openedAt: pos.domain.openedAt, status: 'open' });
      } else {
        await tx.update(positions).set(values).where(eq(positions.id, pos.id));
      }
      if (positionTouched) events.push({ type: 'position.changed', userId: order.userId, portfolioId: order.portfolioId, symbol: market.symbol, reason: positionReason(order, exitRole, update) });
    }

    [after] = await tx.update(orders).set(orderChanges).where(eq(orders.id, order.id)).returning();

    for (const [id, r] of siblingReservations) await tx.update(orders).set({ reservedAmount: r.toFixed() }).where(eq(orders.id, id));

    if (parent && tradeRows.length > 0) {
      const pf = dec(parent.filledQuantity);
      const pNotional = parent.averageFillPrice ? dec(parent.averageFillPrice).mul(pf) : ZERO;
      const add = tradeRows.reduce<Dec>((a, t) => a.add(dec(t.quantity)), ZERO);
      const addNotional = tradeRows.reduce<Dec>((a, t) => a.add(dec(t.quantity).mul(dec(t.price))), ZERO);
      const addFee = tradeRows.reduce<Dec>((a, t) => a.add(dec(t.fee as string)), ZERO);
      const pFilled = pf.add(add);
      const pStatus = isTerminalStatus(parent.status) ? parent.status : must(statusAfterFill(parent.status, minDec(pFilled, dec(parent.quantity)), dec(parent.quantity)), 'parent status');
      await tx
        .update(orders)
        .set({
          filledQuantity: minDec(pFilled, dec(parent.quantity)).toFixed(),
          averageFillPrice: q18(pNotional.add(addNotional).div(pFilled)).toFixed(),
          fee: q18(num(parent.fee).add(addFee)).toFixed(),
          feeAsset: order.feeAsset,
          status: pStatus,
          positionId: finalPositionId,
          updatedAt: now,
          ...(pStatus === 'filled' ? { executedAt: now } : {}),
        })
        .where(eq(orders.id, parent.id));
      if (pStatus !== parent.status) events.push({ type: 'order.updated', userId: parent.userId, portfolioId: parent.portfolioId, orderId: parent.id, status: pStatus });
    }

    if (entries.length > 0) {
      await commitLedger(tx, order.portfolioId, balancesBefore!, entries, { refType: 'order', refId: order.id, traceId, at: now });
      events.push({ type: 'balance.changed', userId: order.userId, portfolioId: order.portfolioId });
    }
    // Exits follow the position (after the ledger: a spot stop holds base the fill just moved).
    for (const c of closedStates) {
      if (c.hadExits) {
        const r = await syncExits(tx, {
          pos: { id: c.id, userId: order.userId, portfolioId: order.portfolioId, symbol: market.symbol, side: c.closed.side, kind: market.kind, quantity: ZERO, leverage: c.closed.leverage, open: false, stopLoss: null, takeProfits: null },
          market,
          mode: 'resize',
          traceId,
          now,
          source: order.source,
        });
        followUps.push(...r.followUps);
      }
    }
    if (pos) {
      if (pos.exitsDirty) {
        const r = await syncExits(tx, {
          pos: { id: pos.id, userId: order.userId, portfolioId: order.portfolioId, symbol: market.symbol, side: pos.domain.side, kind: market.kind, quantity: pos.domain.quantity, leverage: pos.domain.leverage, open: true, stopLoss: pos.stopLoss, takeProfits: pos.takeProfits },
          market,
          mode: pos.exitsDirty,
          traceId,
          now,
          source: order.source,
        });
        followUps.push(...r.followUps);
        if (r.takeProfits) await tx.update(positions).set({ takeProfits: r.takeProfits }).where(eq(positions.id, pos.id));
      }
    }


    if (auditChange) await writeAudit(tx, actor, auditChange);
  }
  if (statusChanged) events.push({ type: 'order.updated', userId: order.userId, portfolioId: order.portfolioId, orderId: order.id, status });
  if (tradeRows.length > 0) await ctx.beforeCommit?.(order.id);

  return { order: after!, trades: insertedTrades, events, followUps, statusChanged, skipped };
}

function openPositionValues(pos: PosState, fresh: readonly BrokerFill[], capital: Dec): Partial<typeof positions.$inferInsert> {
  const lastPrice = fresh.length > 0 ? fresh[fresh.length - 1]!.price : undefined;
  return {
    ...positionColumns(pos.domain, { capitalReference: capital, ...(lastPrice ? { markPrice: lastPrice } : {}) }),
    margin: q18(pos.margin).toFixed(),
    stopLoss: pos.stopLoss ? pos.stopLoss.toFixed() : null,
    takeProfits: pos.takeProfits,
  };
}

function statusAction(s: OrderStatus): string {
  return s === 'open' ? 'accept' : s === 'cancelled' ? 'cancel' : s === 'rejected' ? 'reject' : s === 'expired' ? 'expire' : s;
}

function positionReason(order: OrderRow, role: string | undefined, update: VenueUpdate): 'fill' | 'stop' | 'take_profit' | 'liquidation' | 'close' {
  if (update.liquidation) return 'liquidation';
  if (role === 'stop_loss' || order.orderType === 'stop' || order.orderType === 'stop_loss' || order.orderType === 'trailing_stop') return 'stop';
  if (role === 'take_profit' || order.orderType === 'take_profit') return 'take_profit';
  if ((order.algoParams as { role?: string } | null)?.role === 'close') return 'close';
  return 'fill';
}
