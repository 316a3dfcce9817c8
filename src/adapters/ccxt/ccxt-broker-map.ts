// ccxt orders and trades → the Broker port's `BrokerOrder` and `BrokerFill`.
//
// Where ccxt keeps the venue's own strings in `info` (Binance: origQty, executedQty,
// cummulativeQuoteQty, qty, commission…) those are read, so no size, price or fee passes through a
// JavaScript number; ccxt's unified numbers are only the fallback for venues without them.
//
// Trade ids: Binance numbers trades per market, and both sides of one trade carry the same number,
// so the venue's id alone is not unique in MIKEY's `trades` table (one row per fill, unique id). A
// fill's id is `<exchange>:<family>:<market id>:<venue trade id>:<b|s>` — stable across calls (the
// idempotency key), distinct between markets, spot and futures, and between two MIKEY accounts on
// opposite sides of the same trade.
import { z } from 'zod';
import type { BrokerFill, BrokerOrder } from '../../domain/broker.js';
import { D, ZERO, type Dec } from '../../domain/money.js';
import type { OrderSide, OrderStatus, OrderType } from '../../domain/order.js';
import type { Liquidity } from '../../domain/matching.js';
import { decimalFromCcxt } from './ccxt-mapper.js';

const str = z.string().nullish();
const numOrStr = z.union([z.number(), z.string()]).nullish();

/** ccxt unified `Order`, loosely (every field may be missing on some venue). */
export const CcxtOrderSchema = z
  .object({
    id: numOrStr,
    clientOrderId: str,
    symbol: str,
    type: str,
    side: str,
    status: str,
    amount: numOrStr,
    filled: numOrStr,
    price: numOrStr,
    average: numOrStr,
    triggerPrice: numOrStr,
    timestamp: z.number().nullish(),
    lastUpdateTimestamp: z.number().nullish(),
    trades: z.array(z.unknown()).nullish(),
    info: z.unknown(),
  })
  .passthrough();
export type CcxtOrder = z.infer<typeof CcxtOrderSchema>;

/** ccxt unified `Trade`, loosely. */
export const CcxtTradeSchema = z
  .object({
    id: numOrStr,
    order: numOrStr,
    symbol: str,
    side: str,
    amount: numOrStr,
    price: numOrStr,
    takerOrMaker: str,
    timestamp: z.number().nullish(),
    fee: z.object({ cost: numOrStr, currency: str }).partial().passthrough().nullish(),
    info: z.unknown(),
  })
  .passthrough();
export type CcxtTrade = z.infer<typeof CcxtTradeSchema>;

/** Binance's own order fields (spot and USDⓈ-M). */
export const BinanceRawOrderSchema = z
  .object({
    orderId: numOrStr,
    clientOrderId: str,
    origClientOrderId: str,
    symbol: str,
    status: str,
    type: str,
    origType: str,
    side: str,
    origQty: str,
    executedQty: str,
    cummulativeQuoteQty: str,
    cumQuote: str,
    avgPrice: str,
    price: str,
    stopPrice: str,
    transactTime: z.number().nullish(),
    updateTime: z.number().nullish(),
    time: z.number().nullish(),
    workingTime: z.number().nullish(),
    fills: z
      .array(z.object({ price: z.string(), qty: z.string(), commission: z.string(), commissionAsset: z.string(), tradeId: numOrStr }).passthrough())
      .nullish(),
    // USDⓈ-M algo (conditional) orders
    algoId: numOrStr,
    clientAlgoId: str,
    algoStatus: str,
    orderType: str,
    quantity: str,
    triggerPrice: str,
    actualOrderId: numOrStr,
  })
  .passthrough();
export type BinanceRawOrder = z.infer<typeof BinanceRawOrderSchema>;

/** Binance's own trade fields (spot myTrades, USDⓈ-M userTrades). */
export const BinanceRawTradeSchema = z
  .object({
    id: numOrStr,
    orderId: numOrStr,
    symbol: str,
    price: str,
    qty: str,
    commission: str,
    commissionAsset: str,
    time: z.number().nullish(),
    isBuyer: z.boolean().nullish(),
    isMaker: z.boolean().nullish(),
    buyer: z.boolean().nullish(),
    maker: z.boolean().nullish(),
    side: str,
  })
  .passthrough();

function decStr(s: string | null | undefined): Dec | undefined {
  return s === null || s === undefined ? undefined : decimalFromCcxt(s);
}

function idText(v: string | number | null | undefined): string | undefined {
  // OKX sends absent ids as "" (e.g. `algoId` on a plain order): no id, not an empty one.
  if (v === null || v === undefined || v === '') return undefined;
  // Binance ids are integers; a number beyond 2^53 would have been requoted by ccxt as a string.
  return typeof v === 'number' ? (Number.isInteger(v) ? v.toFixed(0) : String(v)) : v;
}

/** Binance order statuses (and algo statuses) → MIKEY's. */
export function statusFromBinance(status: string, filled: Dec): OrderStatus | undefined {
  // TRIGGERED: an algo order that triggered; its regular order is working (the broker follows it).
  switch (status.toUpperCase()) {
    case 'NEW':
    case 'PENDING_NEW':
    case 'PENDING_CANCEL':
    case 'ACCEPTED':
    case 'TRIGGERING':
    case 'TRIGGERED':
      return filled.gt(0) ? 'partially_filled' : 'open';
    case 'PARTIALLY_FILLED':
      return 'partially_filled';
    case 'FILLED':
    case 'FINISHED':
      return 'filled';
    case 'CANCELED':
    case 'CANCELLED':
      return 'cancelled';
    case 'REJECTED':
      return 'rejected';
    case 'EXPIRED':
    case 'EXPIRED_IN_MATCH':
      return 'expired';
    default:
      return undefined;
  }
}

/** ccxt unified statuses → MIKEY's. */
export function statusFromCcxt(status: string | null | undefined, filled: Dec, amount: Dec): OrderStatus {
  switch (status) {
    case 'closed':
      return 'filled';
    case 'canceled':
    case 'cancelled':
      return 'cancelled';
    case 'expired':
      return 'expired';
    case 'rejected':
      return 'rejected';
    default:
      if (filled.gt(0) && filled.gte(amount) && amount.gt(0)) return 'filled';
      return filled.gt(0) ? 'partially_filled' : 'open';
  }
}

/** A venue order type ("STOP_LOSS_LIMIT", "stop_market"…) as MIKEY's. */
export function orderTypeFromVenue(raw: string | null | undefined, contract: boolean): OrderType {
  switch ((raw ?? '').toUpperCase()) {
    case 'MARKET':
      return 'market';
    case 'STOP_LOSS':
    case 'STOP_MARKET':
      return 'stop';
    case 'STOP_LOSS_LIMIT':
      return 'stop_limit';
    case 'STOP':
      return contract ? 'stop_limit' : 'stop';
    case 'TAKE_PROFIT':
    case 'TAKE_PROFIT_MARKET':
    case 'TAKE_PROFIT_LIMIT':
      return 'take_profit';
    case 'TRAILING_STOP_MARKET':
      return 'trailing_stop';
    default:
      return 'limit';
  }
}

export interface OrderMapContext {
  /** Canonical symbol ("BTC/USDT", "BTC-PERP"). */
  symbol: string;
  contract: boolean;
  /** The type we asked for, when we placed it (a protected market order rests at the venue as a limit ioc). */
  requestedType?: OrderType;
  fallbackSide?: OrderSide;
  now: Date;
}

/** The venue's view of an order. Undefined when the answer carries neither a status nor quantities. */
export function mapVenueOrder(order: CcxtOrder, ctx: OrderMapContext): BrokerOrder | undefined {
  const raw = BinanceRawOrderSchema.safeParse(order.info);
  const info = raw.success ? raw.data : undefined;
  const quantity = decStr(info?.origQty) ?? decStr(info?.quantity) ?? decimalFromCcxt(order.amount);
  const filled = decStr(info?.executedQty) ?? decimalFromCcxt(order.filled) ?? ZERO;
  if (quantity === undefined) return undefined;
  const rawStatus = info?.status ?? info?.algoStatus;
  const status = (rawStatus ? statusFromBinance(rawStatus, filled) : undefined) ?? statusFromCcxt(order.status, filled, quantity);
  const sideText = (info?.side ?? order.side ?? ctx.fallbackSide ?? '').toLowerCase();
  const side: OrderSide = sideText === 'sell' ? 'sell' : 'buy';
  const quoteFilled = decStr(info?.cummulativeQuoteQty) ?? decStr(info?.cumQuote);
  let average = decStr(info?.avgPrice);
  if ((average === undefined || average.isZero()) && quoteFilled !== undefined && filled.gt(0) && quoteFilled.gt(0)) average = quoteFilled.div(filled);
  if ((average === undefined || average.isZero()) && filled.gt(0)) average = decimalFromCcxt(order.average);
  const price = decStr(info?.price) ?? decimalFromCcxt(order.price);
  const trigger = decStr(info?.stopPrice) ?? decStr(info?.triggerPrice) ?? decimalFromCcxt(order.triggerPrice);
  const at = info?.updateTime ?? info?.transactTime ?? info?.workingTime ?? info?.time ?? order.lastUpdateTimestamp ?? order.timestamp;
  const venueType = info?.origType ?? info?.type ?? info?.orderType ?? order.type;
  const out: BrokerOrder = {
    // A Binance cancel answer's `clientOrderId` is the cancel request's own id; the order's is `origClientOrderId`.
    clientOrderId: info?.origClientOrderId ?? info?.clientOrderId ?? info?.clientAlgoId ?? order.clientOrderId ?? '',
    venueOrderId: idText(info?.orderId) ?? idText(info?.algoId) ?? idText(order.id) ?? '',
    symbol: ctx.symbol,
    side,
    type: ctx.requestedType ?? orderTypeFromVenue(venueType, ctx.contract),
    status,
    quantity,
    filledQuantity: filled,
    updatedAt: typeof at === 'number' && at > 0 ? new Date(at) : ctx.now,
  };
  if (average !== undefined && average.gt(0) && filled.gt(0)) out.averageFillPrice = average;
  if (price !== undefined && price.gt(0)) out.price = price;
  if (trigger !== undefined && trigger.gt(0)) out.triggerPrice = trigger;
  return out;
}

/** The order id of an actual (triggered) order behind a USDⓈ-M algo order, when there is one. */
export function actualOrderIdOf(order: CcxtOrder): string | undefined {
  const raw = BinanceRawOrderSchema.safeParse(order.info);
  return raw.success ? idText(raw.data.actualOrderId) : undefined;
}

export interface FillIdParts {
  exchangeId: string;
  /** "spot" or "usdm" (or the venue's market type). */
  family: string;
  marketId: string;
}

export function fillTradeId(parts: FillIdParts, venueTradeId: string, side: OrderSide): string {
  return `${parts.exchangeId}:${parts.family}:${parts.marketId}:${venueTradeId}:${side === 'buy' ? 'b' : 's'}`;
}

/**
 * The executions reported inside a new-order answer (Binance spot `FULL`: `fills`, each the new
 * order taking liquidity). Empty when the answer has none.
 */
export function fillsFromOrderAnswer(order: CcxtOrder, view: BrokerOrder, id: FillIdParts, now: Date): BrokerFill[] {
  const raw = BinanceRawOrderSchema.safeParse(order.info);
  const list = raw.success ? (raw.data.fills ?? []) : [];
  const at = raw.success ? (raw.data.transactTime ?? raw.data.updateTime) : undefined;
  const out: BrokerFill[] = [];
  for (const f of list) {
    const tid = idText(f.tradeId);
    const quantity = decimalFromCcxt(f.qty);
    const price = decimalFromCcxt(f.price);
    if (!tid || !quantity || !price || quantity.lte(0)) continue;
    out.push({
      tradeId: fillTradeId(id, tid, view.side),
      clientOrderId: view.clientOrderId,
      venueOrderId: view.venueOrderId,
      symbol: view.symbol,
      side: view.side,
      quantity,
      price,
      fee: decimalFromCcxt(f.commission) ?? ZERO,
      feeAsset: f.commissionAsset.toUpperCase(),
      liquidity: 'taker',
      at: typeof at === 'number' && at > 0 ? new Date(at) : now,
    });
  }
  return out;
}

export interface TradeMapContext {
  id: FillIdParts;
  symbol: string;
  clientOrderId: string;
  now: Date;
}

/** One of our executions from a trade list (myTrades / userTrades). */
export function mapVenueTrade(trade: CcxtTrade, ctx: TradeMapContext): BrokerFill | undefined {
  const raw = BinanceRawTradeSchema.safeParse(trade.info);
  const info = raw.success ? raw.data : undefined;
  const venueTradeId = idText(info?.id) ?? idText(trade.id);
  const venueOrderId = idText(info?.orderId) ?? idText(trade.order) ?? '';
  const quantity = decStr(info?.qty) ?? decimalFromCcxt(trade.amount);
  const price = decStr(info?.price) ?? decimalFromCcxt(trade.price);
  if (!venueTradeId || !quantity || !price || quantity.lte(0)) return undefined;
  let side: OrderSide;
  if (typeof info?.isBuyer === 'boolean') side = info.isBuyer ? 'buy' : 'sell';
  else if (typeof info?.buyer === 'boolean') side = info.buyer ? 'buy' : 'sell';
  else side = (info?.side ?? trade.side ?? '').toLowerCase() === 'sell' ? 'sell' : 'buy';
  let liquidity: Liquidity;
  if (typeof info?.isMaker === 'boolean') liquidity = info.isMaker ? 'maker' : 'taker';
  else if (typeof info?.maker === 'boolean') liquidity = info.maker ? 'maker' : 'taker';
  else liquidity = trade.takerOrMaker === 'maker' ? 'maker' : 'taker';
  const fee = decStr(info?.commission) ?? decimalFromCcxt(trade.fee?.cost) ?? ZERO;
  const feeAsset = (info?.commissionAsset ?? trade.fee?.currency ?? '').toUpperCase();
  const at = info?.time ?? trade.timestamp;
  return {
    tradeId: fillTradeId(ctx.id, venueTradeId, side),
    clientOrderId: ctx.clientOrderId,
    venueOrderId,
    symbol: ctx.symbol,
    side,
    quantity,
    price,
    fee: fee.abs(),
    feeAsset,
    liquidity,
    at: typeof at === 'number' && at > 0 ? new Date(at) : ctx.now,
  };
}

/** The venue order id a ccxt trade belongs to. */
export function tradeOrderId(trade: CcxtTrade): string | undefined {
  const raw = BinanceRawTradeSchema.safeParse(trade.info);
  return (raw.success ? idText(raw.data.orderId) : undefined) ?? idText(trade.order);
}

/** Sum of fill quantities. */
export function filledBy(fills: readonly BrokerFill[]): Dec {
  return fills.reduce<Dec>((acc, f) => acc.add(f.quantity), new D(0));
}
