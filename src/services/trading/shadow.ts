// The paper shadow of a live portfolio: a paper twin that receives every order the owner places on
// the live portfolio right after it is sent (same request, its own client order id derived from the
// live order's id, so a repeat never doubles it), and the cancels of those orders. Comparing the
// two shows what live trading cost beyond the simulation: slippage, fees, missed and partial fills.
import { and, desc, eq, inArray } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { orders, portfolios } from '../../db/schema/index.js';
import { symbolAssets } from '../../domain/market.js';
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
  live: { status: string; filled: string; averagePrice: string | null; fee: string; feeAsset: string | null };
  shadow: { status: string; filled: string; averagePrice: string | null; fee: string; feeAsset: string | null } | null;
  /** How much worse (positive) or better the live fill price was than the shadow's, in basis points. */
  slippageBps: string | null;
  /** Live fee minus shadow fee in the quote currency (a fee in the base asset valued at its fill price); null when either cannot be valued so. */
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
    /** Fees in the quote currency: a fee the venue took in the base asset is valued at the order's fill price. */
    liveFees: string;
    shadowFees: string;
    /** The quote currency of the fees, when every order's is the same. */
    feeCurrency: string | null;
    /** Live fees in a third asset (e.g. "0.00012 BNB"), not valued and not in `liveFees`. */
    unvaluedLiveFees: string[];
  };
}

type OrderRow = typeof orders.$inferSelect;

const quoteOf = (symbol: string): string => symbolAssets(symbol)?.quote ?? '';
const baseOf = (symbol: string): string => symbolAssets(symbol)?.base ?? '';

/** An order's fee in its quote currency, or undefined when it was taken in a third asset. */
export function feeInQuote(o: Pick<OrderRow, 'symbol' | 'fee' | 'feeAsset' | 'averageFillPrice'>): Dec | undefined {
  const fee = dec(o.fee);
  if (fee.isZero() || !o.feeAsset || o.feeAsset === quoteOf(o.symbol)) return fee;
  if (o.feeAsset === baseOf(o.symbol) && o.averageFillPrice) return fee.mul(dec(o.averageFillPrice));
  return undefined;
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
  const unvalued = new Map<string, Dec>();
  const currencies = new Set<string>();
  const pairs = live.map((o): ShadowOrderPair => {
    const t = byClient.get(shadowClientOrderId(o.id));
    const lf = dec(o.filledQuantity);
    const sf = t ? dec(t.filledQuantity) : ZERO;
    currencies.add(quoteOf(o.symbol));
    const liveFee = feeInQuote(o);
    const shadowFee = t ? feeInQuote(t) : undefined;
    if (liveFee) liveFees = liveFees.add(liveFee);
    else unvalued.set(o.feeAsset!, (unvalued.get(o.feeAsset!) ?? ZERO).add(dec(o.fee)));
    if (shadowFee) shadowFees = shadowFees.add(shadowFee);
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
      live: { status: o.status, filled: toPlain(lf), averagePrice: o.averageFillPrice ? toPlain(dec(o.averageFillPrice)) : null, fee: toPlain(dec(o.fee)), feeAsset: o.feeAsset },
      shadow: t ? { status: t.status, filled: toPlain(sf), averagePrice: t.averageFillPrice ? toPlain(dec(t.averageFillPrice)) : null, fee: toPlain(dec(t.fee)), feeAsset: t.feeAsset } : null,
      slippageBps: slippage ? slippage.toDecimalPlaces(2).toFixed(2) : null,
      feeDifference: liveFee && shadowFee ? toPlain(liveFee.sub(shadowFee).toDecimalPlaces(8)) : null,
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
      liveFees: toPlain(liveFees.toDecimalPlaces(8)),
      shadowFees: toPlain(shadowFees.toDecimalPlaces(8)),
      feeCurrency: currencies.size === 1 ? [...currencies][0]! : null,
      unvaluedLiveFees: [...unvalued].map(([asset, amount]) => `${toPlain(amount)} ${asset}`),
    },
  };
}
