// Exits from positions: closing one (all or part) or all of them (the panic button), setting a
// position's stop-loss and take-profit targets, and cancelling the orders that could open or grow
// positions (the kill switch). Positions are found by any spelling of their market and always scoped
// to the acting user. Closing goes through the order path like any order — validation, risk checks,
// confirmation — by the one door it is given (`placeClose`); the exit orders themselves are brought
// in line with the position by exits.ts and sent through the execution core.
import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { balances, orders, positions } from '../../db/schema/index.js';
import { withTransaction } from '../../db/tx.js';
import { dec, ONE, toPlain, ZERO, type Dec } from '../../domain/money.js';
import { clampExitQuantity, planExits, sellAllQuantity } from '../../domain/position.js';
import type { Clock } from '../../domain/ports.js';
import type { Logger } from '../../log.js';
import type { Actor } from '../actor.js';
import { writeAudit } from '../audit.js';
import { requireRole } from '../authorize.js';
import { AppError, ErrorCode, notFound } from '../errors.js';
import { resolveIdPrefix } from '../id-prefix.js';
import type { MarketCatalog } from '../markets.js';
import type { PortfolioService } from '../portfolio/portfolio-service.js';
import { issueToken, needsConfirmation, refusalMessage, sha256, spendToken } from './confirmation.js';
import { OPEN_STATUSES, type ExecutionCore } from './execution-core.js';
import { syncExits, takeProfitLegs, type ExitPosition } from './exits.js';
import { decimalArg, parseInput, requireDecimal, requireOnTick } from './input.js';
import { orderSource, orderView, plainRounded, positionView, type OrderRow, type OrderView, type PositionRow, type PositionView } from './rows.js';
import { closeAllPositionsShape, closePositionShape, setStopLossShape, setTakeProfitsShape } from './schemas.js';
import type { OrderContext, PlaceResult } from './trading-service.js';

/** What closes (part of) a position; the order path sends it as a reduce-only market order. */
export interface CloseOrder {
  symbol: string;
  side: 'buy' | 'sell';
  quantity: string;
  leverage?: string;
  portfolioId: string;
  confirmationToken?: string;
}

/**
 * The one door into the order path that exits need: places a reduce-only market order with
 * validation, risk checks and confirmation like any order (`preconfirmed` when the panic button was confirmed as a whole).
 */
export type PlaceClose = (actor: Actor, order: CloseOrder, opts: { preconfirmed: boolean; context?: OrderContext }) => Promise<PlaceResult>;

export interface PositionExitsDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  markets: MarketCatalog;
  portfolios: PortfolioService;
  core: ExecutionCore;
  placeClose: PlaceClose;
}

export interface CloseAllResult {
  portfolioId: string;
  closed: PlaceResult[];
  failed: Array<{ symbol: string; error: string }>;
  cancelledOrders: number;
  message: string;
}

export class PositionExits {
  constructor(private readonly deps: PositionExitsDeps) {}

  private async ownedPosition(actor: Actor, args: { symbol?: string; positionId?: string; portfolioId?: string }): Promise<PositionRow> {
    if (!args.symbol && !args.positionId) throw new AppError(ErrorCode.invalidInput, 'say which position: give symbol or positionId', 'get-positions lists them');
    if (args.positionId) {
      const positionId = await resolveIdPrefix(this.deps.db, { table: positions, id: positions.id, owned: and(eq(positions.userId, actor.userId), eq(positions.status, 'open')), input: args.positionId, noun: 'open position', listedBy: 'get-positions' });
      const [row] = await this.deps.db.select().from(positions).where(and(eq(positions.id, positionId), eq(positions.userId, actor.userId)));
      if (!row) throw notFound('position', 'get-positions lists your positions');
      if (row.status !== 'open') throw new AppError(ErrorCode.conflict, `the position is already ${row.status}`);
      return row;
    }
    return this.positionBySymbol(actor, args.symbol!, args.portfolioId);
  }

  /**
   * The caller's open position named by any spelling of its market. A bare ticker ("eth") matches a
   * spot or a perpetual position of that asset; a spelling naming a perpetual ("ETH-PERP") only the
   * perpetual; a full pair ("ETH/USDT") that pair when held, else the perpetual settled in its quote. Without
   * a portfolio the default one is searched first, then the caller's others. Two matches are not
   * guessed between: the refusal names both so the person can say which.
   */
  private async positionBySymbol(actor: Actor, symbol: string, portfolioId: string | undefined): Promise<PositionRow> {
    const market = this.deps.markets.resolve(symbol);
    const typed = symbol.trim().toUpperCase();
    const bare = /^[A-Z0-9]+$/.test(typed) && typed === market.base.toUpperCase();
    const sameAsset = this.deps.markets.list().filter((m) => m.base === market.base && (bare || m.quote === market.quote)).map((m) => m.symbol);
    const scope = portfolioId ? await this.deps.portfolios.resolvePortfolio(actor.userId, portfolioId) : undefined;
    const rows = await this.deps.db
      .select()
      .from(positions)
      .where(and(eq(positions.userId, actor.userId), eq(positions.status, 'open'), inArray(positions.symbol, [...new Set([market.symbol, ...sameAsset])]), scope ? eq(positions.portfolioId, scope.id) : undefined))
      .orderBy(asc(positions.openedAt));
    let found = market.kind === 'perp' ? rows.filter((r) => r.symbol === market.symbol) : rows;
    if (!bare && market.kind === 'spot' && found.some((r) => r.symbol === market.symbol)) found = found.filter((r) => r.symbol === market.symbol);
    if (!scope && found.length > 1) {
      const home = (await this.deps.portfolios.resolvePortfolio(actor.userId)).id;
      if (found.some((r) => r.portfolioId === home)) found = found.filter((r) => r.portfolioId === home);
    }
    const what = bare ? market.base : market.symbol;
    if (found.length === 0) {
      const where = scope ? ` in "${scope.name}"` : '';
      throw notFound(`open ${what} position${where}`, 'get-positions lists your open positions');
    }
    if (found.length > 1) {
      const bySymbol = new Set(found.map((r) => r.symbol)).size === found.length;
      const named = found.map((r) => `${r.symbol} (${r.kind === 'perp' ? `perp, ${r.side} ${toPlain(dec(r.quantity))} at ${toPlain(dec(r.leverage))}x` : `spot, ${toPlain(dec(r.quantity))} ${market.base}`}${bySymbol ? '' : `, position ${r.id.slice(0, 8)}`})`);
      throw new AppError(
        ErrorCode.invalidInput,
        `you have ${found.length} open ${market.base} positions: ${named.join(' and ')}. Which one do you mean?`,
        bySymbol ? `say ${found.map((r) => `"${r.symbol}"`).join(' or ')} (give it as symbol)` : 'give the positionId of the one you mean',
        { candidates: found.map((r) => ({ positionId: r.id, symbol: r.symbol, kind: r.kind, side: r.side, quantity: r.quantity, portfolioId: r.portfolioId })) },
      );
    }
    return found[0]!;
  }

  /** Closes all or part of a position with a reduce-only market order (confirmation as for any order). */
  async closePosition(actor: Actor, input: unknown, context: OrderContext = {}): Promise<PlaceResult> {
    await requireRole(this.deps.db, actor, 'trader');
    const v = parseInput(closePositionShape, input, 'close request');
    const pos = await this.ownedPosition(actor, v);
    const market = this.deps.markets.resolve(pos.symbol);
    const held = await this.sellable(pos, market);
    const fraction = decimalArg(v.fraction, 'fraction') ?? ONE;
    if (fraction.gt(1)) throw new AppError(ErrorCode.invalidInput, 'fraction must be at most 1 (the whole position)', 'e.g. "0.5" for half');
    const qty = fraction.eq(1) ? sellAllQuantity(held, market.stepSize) : clampExitQuantity(held.mul(fraction), held, market.stepSize);
    if (qty.lte(0) || qty.lt(market.minQty)) {
      throw new AppError(ErrorCode.invalidInput, `closing ${toPlain(fraction)} of ${toPlain(held)} ${market.base} is ${toPlain(qty)}, below the minimum order ${toPlain(market.minQty)}`, 'close a larger fraction or the whole position');
    }
    const order = {
      symbol: market.symbol,
      side: pos.side === 'long' ? ('sell' as const) : ('buy' as const),
      quantity: qty.toFixed(),
      ...(market.kind === 'perp' ? { leverage: dec(pos.leverage).toFixed() } : {}),
      portfolioId: pos.portfolioId,
      ...(v.confirmationToken ? { confirmationToken: v.confirmationToken } : {}),
    };
    return this.deps.placeClose(actor, order, { preconfirmed: false, context });
  }

  /**
   * What a close can sell: the position, but on spot never more than the account holds of the base
   * (a venue that took its fee in the base leaves a little less than was bought).
   */
  private async sellable(pos: PositionRow, market: { kind: string; base: string }): Promise<Dec> {
    const quantity = dec(pos.quantity);
    if (market.kind !== 'spot' || pos.side !== 'long') return quantity;
    const [b] = await this.deps.db
      .select({ total: sql<string>`(${balances.free} + ${balances.locked})::text` })
      .from(balances)
      .where(and(eq(balances.portfolioId, pos.portfolioId), eq(balances.asset, market.base)));
    const total = b ? dec(b.total) : ZERO;
    return total.lt(quantity) ? total : quantity;
  }

  /** Panic button: cancels every open order of the portfolio and closes every position at market. */
  async closeAllPositions(actor: Actor, input: unknown = {}, context: OrderContext = {}): Promise<CloseAllResult> {
    await requireRole(this.deps.db, actor, 'trader');
    const v = parseInput(closeAllPositionsShape, input, 'close-all request');
    const state = await this.deps.portfolios.accountState(actor.userId, v.portfolioId);
    const p = state.portfolio;
    const planned = await Promise.all(
      state.positions.map(async (pos) => {
        const market = this.deps.markets.find(pos.symbol);
        if (!market) return [];
        const qty = sellAllQuantity(await this.sellable(pos, market), market.stepSize);
        return qty.gt(0) ? [{ pos, market, qty, side: pos.side === 'long' ? ('sell' as const) : ('buy' as const) }] : [];
      }),
    );
    const plan = planned.flat();
    const openOrders = await this.deps.db.select().from(orders).where(and(eq(orders.portfolioId, p.id), inArray(orders.status, [...OPEN_STATUSES]), isNull(orders.parentOrderId)));
    const quotes = await this.deps.portfolios.quotes(plan.map((x) => x.market.symbol));
    const card = {
      action: 'close_all',
      portfolioId: p.id,
      portfolioName: p.name,
      mode: p.tradingMode,
      cancelsOrders: openOrders.length,
      positions: plan.map((x) => {
        const q = quotes.get(x.market.symbol);
        return { symbol: x.market.symbol, side: x.side, quantity: x.qty.toFixed(), estimatedPrice: q ? q.price.toFixed() : null, notional: q ? plainRounded(q.price.mul(x.qty), 8) : null };
      }),
      warnings: [...(p.tradingMode === 'live' ? ['LIVE: this trades real funds'] : []), 'market orders: fills may be worse than the estimate'],
    };
    const paramsHash = sha256(`mikey.close-all.v1|${actor.userId}|${p.id}|${plan.map((x) => `${x.market.symbol}:${x.side}:${x.qty.toFixed()}`).sort().join(',')}|orders:${openOrders.length}`);
    if (plan.length === 0 && openOrders.length === 0) return { portfolioId: p.id, closed: [], failed: [], cancelledOrders: 0, message: 'nothing to close: no open positions or orders' };
    if (needsConfirmation(state.portfolio)) {
      const now = this.deps.clock.now();
      const refuse = async (why?: string): Promise<never> => {
        const t = await withTransaction(this.deps.db, async (tx) => {
          const issued = await issueToken(tx, { userId: actor.userId, portfolioId: p.id, paramsHash, card, now });
          await writeAudit(tx, actor, { action: 'positions.close_all.preview', entityType: 'confirmation_token', entityId: issued.id, newValue: { card } });
          return issued;
        });
        throw new AppError(
          ErrorCode.confirmationRequired,
          `${why ? `${why}; ` : ''}confirm closing ${plan.length} position${plan.length === 1 ? '' : 's'} and cancelling ${openOrders.length} order${openOrders.length === 1 ? '' : 's'} in "${p.name}"`,
          'show the card to the user; if they approve, call close-all-positions again with this confirmationToken',
          { card, confirmationToken: t.token, expiresAt: t.expiresAt.toISOString(), ...(why ? { refusal: why } : {}) },
        );
      };
      if (!v.confirmationToken) return refuse();
      const spent = await withTransaction(this.deps.db, (tx) => spendToken(tx, { token: v.confirmationToken!, userId: actor.userId, portfolioId: p.id, paramsHash, now }));
      if (!spent.ok) return refuse(refusalMessage(spent.why));
    }
    await writeAudit(this.deps.db, actor, { action: 'positions.close_all', entityType: 'portfolio', entityId: p.id, newValue: { card } });
    let cancelled = 0;
    for (const o of openOrders) {
      try {
        const r = await this.deps.core.cancelAtVenue(actor, o);
        if (r.order.status === 'cancelled') cancelled++;
      } catch (err) {
        this.deps.logger.warn('close-all: cancel failed', { orderId: o.id, error: err });
      }
    }
    const closed: PlaceResult[] = [];
    const failed: Array<{ symbol: string; error: string }> = [];
    for (const x of plan) {
      try {
        const [fresh] = await this.deps.db.select().from(positions).where(and(eq(positions.id, x.pos.id), eq(positions.status, 'open')));
        if (!fresh) continue;
        const qty = sellAllQuantity(dec(fresh.quantity), x.market.stepSize);
        const order = {
          symbol: x.market.symbol,
          side: x.side,
          quantity: qty.toFixed(),
          ...(x.market.kind === 'perp' ? { leverage: dec(fresh.leverage).toFixed() } : {}),
          portfolioId: p.id,
        };
        closed.push(await this.deps.placeClose(actor, order, { preconfirmed: true, context }));
      } catch (err) {
        failed.push({ symbol: x.market.symbol, error: err instanceof AppError ? err.message : 'internal error' });
      }
    }
    return {
      portfolioId: p.id,
      closed,
      failed,
      cancelledOrders: cancelled,
      message: `closed ${closed.length} position${closed.length === 1 ? '' : 's'}${failed.length ? `, ${failed.length} failed` : ''}; cancelled ${cancelled} order${cancelled === 1 ? '' : 's'}`,
    };
  }

  private exitPosition(pos: PositionRow): ExitPosition {
    return {
      id: pos.id,
      userId: pos.userId,
      portfolioId: pos.portfolioId,
      symbol: pos.symbol,
      side: pos.side,
      kind: pos.kind,
      quantity: dec(pos.quantity),
      leverage: dec(pos.leverage),
      open: pos.status === 'open',
      stopLoss: pos.stopLoss ? dec(pos.stopLoss) : null,
      takeProfits: pos.takeProfits,
    };
  }

  /** Sets (or with "off" removes) the stop-loss of an open position; a stop order covers the whole position. */
  async setStopLoss(actor: Actor, input: unknown): Promise<{ position: PositionView; exitOrders: OrderView[]; message: string }> {
    await requireRole(this.deps.db, actor, 'trader');
    const v = parseInput(setStopLossShape, input, 'stop-loss request');
    const pos = await this.ownedPosition(actor, v);
    const market = this.deps.markets.resolve(pos.symbol);
    const off = typeof v.price === 'string' && /^(off|none|remove)$/i.test(v.price.trim());
    let price: Dec | null = null;
    if (!off) {
      price = requireDecimal(v.price, 'price');
      requireOnTick(price, market, 'price');
      const mark = (await this.deps.core.markOf(market.symbol)) ?? dec(pos.entryPrice);
      const wrong = pos.side === 'long' ? price.gte(mark) : price.lte(mark);
      if (wrong) {
        throw new AppError(ErrorCode.invalidInput, `a stop-loss for a ${pos.side} must be ${pos.side === 'long' ? 'below' : 'above'} the current price ${toPlain(mark)}, got ${toPlain(price)}`, 'choose a price on the losing side');
      }
      if (pos.kind === 'perp' && pos.liquidationPrice) {
        const liq = dec(pos.liquidationPrice);
        if (pos.side === 'long' ? price.lte(liq) : price.gte(liq)) {
          throw new AppError(ErrorCode.invalidInput, `the stop ${toPlain(price)} is beyond the liquidation price ${plainRounded(liq, 8)}; the position would be liquidated first`, 'set the stop between the price and the liquidation price');
        }
      }
    }
    const follow = await withTransaction(this.deps.db, async (tx) => {
      const [cur] = await tx.select().from(positions).where(and(eq(positions.id, pos.id), eq(positions.status, 'open'))).for('update');
      if (!cur) throw new AppError(ErrorCode.conflict, 'the position closed meanwhile');
      await tx.update(positions).set({ stopLoss: price ? price.toFixed() : null }).where(eq(positions.id, cur.id));
      const r = await syncExits(tx, { pos: { ...this.exitPosition(cur), stopLoss: price }, market, mode: 'resize', traceId: actor.traceId, now: this.deps.clock.now(), source: orderSource(actor) });
      await writeAudit(tx, actor, { action: 'position.stop_loss', entityType: 'position', entityId: cur.id, oldValue: { stopLoss: cur.stopLoss }, newValue: { stopLoss: price?.toFixed() ?? null } });
      return r.followUps;
    });
    await this.deps.core.runFollowUps(follow);
    const out = await this.positionWithExits(pos.id);
    return { ...out, message: price ? `stop-loss set at ${toPlain(price)} for ${out.position.quantity} ${market.base}` : 'stop-loss removed' };
  }

  /** Replaces the take-profit targets of an open position (an empty list removes them). */
  async setTakeProfits(actor: Actor, input: unknown): Promise<{ position: PositionView; exitOrders: OrderView[]; message: string }> {
    await requireRole(this.deps.db, actor, 'trader');
    const v = parseInput(setTakeProfitsShape, input, 'take-profit request');
    const pos = await this.ownedPosition(actor, v);
    const market = this.deps.markets.resolve(pos.symbol);
    const targets = v.targets.map((t, i) => ({
      price: requireDecimal(t.price, `targets.${i}.price`),
      ...(t.fraction !== undefined ? { fraction: requireDecimal(t.fraction, `targets.${i}.fraction`) } : {}),
    }));
    const given = targets.filter((t) => t.fraction !== undefined);
    if (given.length !== 0 && given.length !== targets.length) throw new AppError(ErrorCode.invalidInput, 'give a fraction for every target, or for none (an even split)');
    const total = given.reduce<Dec>((a, t) => a.add(t.fraction!), ZERO);
    if (given.some((t) => t.fraction!.gt(1))) throw new AppError(ErrorCode.invalidInput, 'each fraction must be above 0 and at most 1');
    if (total.gt(1)) throw new AppError(ErrorCode.invalidInput, `fractions add up to ${toPlain(total)}, more than the whole position`, 'make them sum to at most 1');
    const mark = (await this.deps.core.markOf(market.symbol)) ?? dec(pos.entryPrice);
    targets.forEach((t, i) => {
      requireOnTick(t.price, market, `targets.${i}.price`);
      if (pos.side === 'long' ? t.price.lte(mark) : t.price.gte(mark)) {
        throw new AppError(ErrorCode.invalidInput, `a take-profit for a ${pos.side} must be ${pos.side === 'long' ? 'above' : 'below'} the current price ${toPlain(mark)}, got ${toPlain(t.price)}`);
      }
    });
    if (targets.length > 0) {
      // Every target must become a real order: one that rounds to nothing at the market's step is refused, not stored.
      const planned = planExits({
        side: pos.side,
        quantity: dec(pos.quantity),
        entryPrice: mark,
        step: market.stepSize,
        takeProfits: targets.map((t, i) => ({ id: `tp${i}`, price: t.price, ...(t.fraction ? { fraction: t.fraction } : {}) })),
      });
      if (!planned.ok) throw new AppError(ErrorCode.invalidInput, planned.error.message, 'use fewer take-profits or larger fractions');
    }
    const legs = targets.length > 0 ? takeProfitLegs(targets) : null;
    const follow = await withTransaction(this.deps.db, async (tx) => {
      const [cur] = await tx.select().from(positions).where(and(eq(positions.id, pos.id), eq(positions.status, 'open'))).for('update');
      if (!cur) throw new AppError(ErrorCode.conflict, 'the position closed meanwhile');
      const r = await syncExits(tx, { pos: { ...this.exitPosition(cur), takeProfits: legs }, market, mode: 'replan', traceId: actor.traceId, now: this.deps.clock.now(), source: orderSource(actor) });
      await tx.update(positions).set({ takeProfits: r.takeProfits }).where(eq(positions.id, cur.id));
      await writeAudit(tx, actor, { action: 'position.take_profits', entityType: 'position', entityId: cur.id, oldValue: { takeProfits: cur.takeProfits }, newValue: { takeProfits: r.takeProfits } });
      return r.followUps;
    });
    await this.deps.core.runFollowUps(follow);
    const out = await this.positionWithExits(pos.id);
    return { ...out, message: legs ? `${legs.length} take-profit${legs.length === 1 ? '' : 's'} set` : 'take-profits removed' };
  }

  private async positionWithExits(positionId: string): Promise<{ position: PositionView; exitOrders: OrderView[] }> {
    const [pos] = await this.deps.db.select().from(positions).where(eq(positions.id, positionId));
    const exits = await this.deps.db
      .select()
      .from(orders)
      .where(and(eq(orders.positionId, positionId), inArray(orders.status, [...OPEN_STATUSES]), sql`${orders.algoParams}->>'role' in ('stop_loss', 'take_profit')`))
      .orderBy(asc(orders.createdAt));
    return { position: positionView(pos!, await this.deps.core.markOf(pos!.symbol)), exitOrders: exits.map(orderView) };
  }

  /** Cancels resting orders that could open or grow positions (used by the kill switch). */
  async cancelOpeningOrders(actor: Actor, portfolioIds: readonly string[]): Promise<number> {
    if (portfolioIds.length === 0) return 0;
    const rows = await this.deps.db
      .select()
      .from(orders)
      .where(and(eq(orders.userId, actor.userId), inArray(orders.portfolioId, [...portfolioIds]), inArray(orders.status, [...OPEN_STATUSES]), eq(orders.reduceOnly, false), isNull(orders.parentOrderId)));
    let n = 0;
    for (const r of rows) {
      if (this.deps.core.inFlight.has(r.id)) continue;
      try {
        const res = await this.deps.core.cancelAtVenue(actor, r);
        if (res.order.status === 'cancelled') n++;
      } catch (err) {
        this.deps.logger.warn('halt: cancel failed', { orderId: r.id, error: err });
      }
    }
    return n;
  }

  /**
   * A cancelled exit order is no longer part of the position's plan: the position forgets it and
   * the other exits are resized. Called by the order path's cancel, after its role guard.
   */
  async forgetCancelledExit(actor: Actor, row: OrderRow, role: string): Promise<void> {
    const follow = await withTransaction(this.deps.db, async (tx) => {
      const [pos] = await tx.select().from(positions).where(and(eq(positions.id, row.positionId!), eq(positions.status, 'open'))).for('update');
      if (!pos) return [];
      const changes = role === 'stop_loss' ? { stopLoss: null } : { takeProfits: (pos.takeProfits ?? []).filter((l) => l.orderId !== row.id) };
      await tx.update(positions).set(changes).where(eq(positions.id, pos.id));
      const market = this.deps.markets.resolve(pos.symbol);
      const r = await syncExits(tx, { pos: this.exitPosition({ ...pos, ...changes }), market, mode: 'resize', traceId: actor.traceId, now: this.deps.clock.now(), source: orderSource(actor) });
      await writeAudit(tx, actor, { action: `position.${role}.remove`, entityType: 'position', entityId: pos.id, newValue: changes });
      return r.followUps;
    });
    await this.deps.core.runFollowUps(follow);
  }
}
