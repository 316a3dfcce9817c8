// Marks and liquidations of open positions. Marks: the latest venue price, unrealised P&L and the
// worst drawdown written to every open position of a symbol. Liquidation (paper perpetuals,
// isolated margin): once the mark crosses a position's liquidation price, the whole position is
// closed at that price by a system order (client order id `liq-<position>`, unique, so a position
// is liquidated once — reliability 23), the margin left is lost as the fee, and a critical alert
// goes to its owner.
import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { orders, positions } from '../../db/schema/index.js';
import { withTransaction } from '../../db/tx.js';
import { maintenanceMarginRateOf, type Market } from '../../domain/market.js';
import { dec, maxDec, toPlain, ZERO, type Dec } from '../../domain/money.js';
import { isLiquidated, liquidationPriceFor } from '../../domain/position.js';
import type { Clock, PriceFeed, PriceQuote } from '../../domain/ports.js';
import { newTraceId } from '../actor.js';
import type { EventBus } from '../events.js';
import type { MarketCatalog } from '../markets.js';
import type { RiskService } from '../risk/risk-service.js';
import type { ExecutionCore } from './execution-core.js';
import { applyInTx } from './executions.js';
import type { PriceGuard } from './price-guard.js';
import { num, q18, type PositionRow } from './rows.js';

export interface LiquidationsDeps {
  db: Db;
  clock: Clock;
  events: EventBus;
  markets: MarketCatalog;
  prices: PriceFeed;
  guard: Pick<PriceGuard, 'check'>;
  risk: Pick<RiskService, 'raiseAlert'>;
  core: ExecutionCore;
}

export class Liquidations {
  constructor(private readonly deps: LiquidationsDeps) {}

  /** Liquidates paper perpetual positions of `symbol` whose liquidation price the mark has crossed. */
  async checkLiquidations(symbol: string, quote?: PriceQuote): Promise<number> {
    const q = quote ?? (await this.deps.prices.getQuote(symbol).catch(() => undefined));
    if (!q || !this.deps.guard.check(q).ok) return 0;
    const market = this.deps.markets.find(symbol);
    if (!market || market.kind !== 'perp') return 0;
    const rows = await this.deps.db
      .select()
      .from(positions)
      .innerJoin(sql`portfolios p`, sql`p.id = ${positions.portfolioId} and p.trading_mode = 'paper'`)
      .where(and(eq(positions.status, 'open'), eq(positions.symbol, market.symbol)));
    let n = 0;
    for (const { positions: pos } of rows as unknown as Array<{ positions: PositionRow }>) {
      const entry = dec(pos.entryPrice);
      const liq = liquidationPriceFor(pos.side, entry, dec(pos.leverage), pos.maintenanceMarginRate ? dec(pos.maintenanceMarginRate) : maintenanceMarginRateOf(market));
      const crossed = isLiquidated({ kind: 'perp', side: pos.side, entryPrice: entry, leverage: dec(pos.leverage), maintenanceMarginRate: pos.maintenanceMarginRate ? dec(pos.maintenanceMarginRate) : maintenanceMarginRateOf(market) } as never, q.price);
      if (!crossed) continue;
      await this.liquidate(pos, market, liq);
      n++;
    }
    return n;
  }

  private async liquidate(pos: PositionRow, market: Market, liq: Dec): Promise<void> {
    const { core } = this.deps;
    const now = this.deps.clock.now();
    const actor = { system: true as const, traceId: newTraceId() };
    const qty = dec(pos.quantity);
    const price = liq.div(market.tickSize).round().mul(market.tickSize);
    const gross = price.sub(dec(pos.entryPrice)).mul(qty).mul(pos.side === 'long' ? 1 : -1);
    // The margin left at the liquidation price is lost as the liquidation fee (isolated margin).
    const fee = q18(maxDec(num(pos.margin).add(gross), ZERO));
    const orderId = randomUUID();
    const r = await withTransaction(this.deps.db, async (tx) => {
      const [inserted] = await tx
        .insert(orders)
        .values({
          id: orderId,
          userId: pos.userId,
          portfolioId: pos.portfolioId,
          clientOrderId: `liq-${pos.id}`,
          positionId: pos.id,
          symbol: pos.symbol,
          side: pos.side === 'long' ? 'sell' : 'buy',
          orderType: 'market',
          status: 'pending',
          timeInForce: 'ioc',
          quantity: qty.toFixed(),
          leverage: pos.leverage,
          reduceOnly: true,
          reservedAsset: market.quote,
          reservedAmount: '0',
          algoParams: { role: 'liquidation' },
          source: 'system',
          createdAt: now,
          updatedAt: now,
        })
        .onConflictDoNothing({ target: orders.clientOrderId })
        .returning();
      if (!inserted) return undefined;
      return applyInTx(tx, core.ctx, actor, orderId, {
        fills: [{ tradeId: `liq-${pos.id}`, clientOrderId: inserted.clientOrderId, venueOrderId: `liq-${pos.id}`, symbol: pos.symbol, side: inserted.side, quantity: qty, price, fee, feeAsset: market.quote, liquidity: 'taker', at: now }],
        liquidation: true,
        submitted: true,
      });
    });
    if (!r) return;
    for (const e of r.events) this.deps.events.emit(e);
    await core.runFollowUps(r.followUps);
    await this.deps.risk.raiseAlert({
      userId: pos.userId,
      portfolioId: pos.portfolioId,
      type: 'liquidation',
      severity: 'critical',
      dedupe: false,
      message: `${pos.symbol} ${pos.side} was liquidated at ${toPlain(price)}; the position's margin is lost`,
      data: { positionId: pos.id, price: price.toFixed(), quantity: qty.toFixed() },
    });
  }

  /** Writes the latest marks (and worst drawdown) to open positions of `symbols`. */
  async markToMarket(symbols?: readonly string[]): Promise<void> {
    const list = symbols ?? (await this.deps.db.selectDistinct({ s: positions.symbol }).from(positions).where(eq(positions.status, 'open'))).map((r) => r.s);
    for (const s of list) {
      const mark = await this.deps.core.markOf(s);
      if (!mark) continue;
      const m = mark.toFixed();
      await this.deps.db.execute(sql`
        update positions set
          mark_price = ${m}::numeric,
          unrealized_pnl = round((${m}::numeric - entry_price) * quantity * (case when side = 'long' then 1 else -1 end), 18),
          unrealized_pnl_percent = round((${m}::numeric - entry_price) / entry_price * 100 * (case when side = 'long' then 1 else -1 end), 10),
          max_drawdown = least(coalesce(max_drawdown, 0), round((${m}::numeric - entry_price) / entry_price * 100 * (case when side = 'long' then 1 else -1 end), 10))
        where status = 'open' and symbol = ${s}`);
    }
  }

  /** Symbols of open paper perpetual positions (for the liquidation watch). */
  async perpSymbols(): Promise<string[]> {
    const rows = await this.deps.db.selectDistinct({ s: positions.symbol }).from(positions).where(and(eq(positions.status, 'open'), eq(positions.kind, 'perp')));
    return rows.map((r) => r.s);
  }
}
