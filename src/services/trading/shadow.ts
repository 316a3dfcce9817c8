// The paper shadow of a live portfolio: a paper twin that receives every order the owner places on
// the live portfolio right after it is sent (same request, its own client order id derived from the
// live order's id, so a repeat never doubles it), and the cancels of those orders. Comparing the
// two shows what live trading cost beyond the simulation: slippage, fees, missed and partial fills.
import { and, desc, eq, inArray } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { orders, portfolios } from '../../db/schema/index.js';
import { dec, toPlain, ZERO, type Dec } from '../../domain/money.js';

/** The shadow order's client order id: "sh" and the live order's id without dashes (34 characters). */
export function shadowClientOrderId(liveOrderId: string): string {
  return `sh${liveOrderId.replaceAll('-', '')}`;
}

/** The paper shadow of a live portfolio, if it has one. */
export async function shadowPortfolioOf(db: Db, livePortfolioId: string): Promise<{ id: string; name: string } | undefined> {
  const [s] = await db.select({ id: portfolios.id, name: portfolios.name }).from(portfolios).where(eq(portfolios.shadowOf, livePortfolioId));
  return s;
}

export interface ShadowOrderPair {
  liveOrderId: string;
  symbol: string;
  side: string;
  type: string;
  quantity: string;
  live: { status: string; filled: string; averagePrice: string | null; fee: string };
  shadow: { status: string; filled: string; averagePrice: string | null; fee: string } | null;
  /** How much worse (positive) or better the live fill price was than the shadow's, in basis points. */
  slippageBps: string | null;
  /** Live fee minus shadow fee, in the fee asset. */
  feeDifference: string | null;
  /** Live filled quantity minus the shadow's: negative when live missed part of a fill paper got. */
  fillDifference: string | null;
}

export interface ShadowReport {
  livePortfolioId: string;
  shadowPortfolioId: string;
  pairs: ShadowOrderPair[];
  totals: {
    orders: number;
    /** Orders the shadow filled (wholly or in part) and live did not fill as far. */
    missedOrPartial: number;
    /** Average slippage over the pairs both filled, in basis points (positive: live paid more). */
    averageSlippageBps: string | null;
    liveFees: string;
    shadowFees: string;
  };
}

/** Divergence between a live portfolio and its shadow over its latest `limit` orders. */
export async function shadowReport(db: Db, livePortfolioId: string, limit = 50): Promise<ShadowReport | undefined> {
  const shadow = await shadowPortfolioOf(db, livePortfolioId);
  if (!shadow) return undefined;
  const live = await db.select().from(orders).where(eq(orders.portfolioId, livePortfolioId)).orderBy(desc(orders.createdAt)).limit(limit);
  const twins = live.length > 0
    ? await db.select().from(orders).where(and(eq(orders.portfolioId, shadow.id), inArray(orders.clientOrderId, live.map((o) => shadowClientOrderId(o.id)))))
    : [];
  const byClient = new Map(twins.map((t) => [t.clientOrderId, t]));
  let missed = 0;
  let slipSum = ZERO;
  let slipN = 0;
  let liveFees = ZERO;
  let shadowFees = ZERO;
  const pairs = live.map((o): ShadowOrderPair => {
    const t = byClient.get(shadowClientOrderId(o.id));
    const lf = dec(o.filledQuantity);
    const sf = t ? dec(t.filledQuantity) : ZERO;
    liveFees = liveFees.add(dec(o.fee));
    if (t) shadowFees = shadowFees.add(dec(t.fee));
    if (t && sf.gt(lf)) missed++;
    let slippage: Dec | null = null;
    if (t && o.averageFillPrice && t.averageFillPrice && dec(t.averageFillPrice).gt(0)) {
      const diff = dec(o.averageFillPrice).sub(dec(t.averageFillPrice)).div(dec(t.averageFillPrice)).mul(10_000);
      slippage = o.side === 'buy' ? diff : diff.neg();
      slipSum = slipSum.add(slippage);
      slipN++;
    }
    return {
      liveOrderId: o.id,
      symbol: o.symbol,
      side: o.side,
      type: o.orderType,
      quantity: toPlain(dec(o.quantity)),
      live: { status: o.status, filled: toPlain(lf), averagePrice: o.averageFillPrice ? toPlain(dec(o.averageFillPrice)) : null, fee: toPlain(dec(o.fee)) },
      shadow: t ? { status: t.status, filled: toPlain(sf), averagePrice: t.averageFillPrice ? toPlain(dec(t.averageFillPrice)) : null, fee: toPlain(dec(t.fee)) } : null,
      slippageBps: slippage ? slippage.toDecimalPlaces(2).toFixed(2) : null,
      feeDifference: t ? toPlain(dec(o.fee).sub(dec(t.fee))) : null,
      fillDifference: t ? toPlain(lf.sub(sf)) : null,
    };
  });
  return {
    livePortfolioId,
    shadowPortfolioId: shadow.id,
    pairs,
    totals: {
      orders: pairs.length,
      missedOrPartial: missed,
      averageSlippageBps: slipN > 0 ? slipSum.div(slipN).toDecimalPlaces(2).toFixed(2) : null,
      liveFees: toPlain(liveFees),
      shadowFees: toPlain(shadowFees),
    },
  };
}
