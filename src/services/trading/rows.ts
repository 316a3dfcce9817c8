// Database rows of the trading aggregate as the domain sees them, and the JSON views every surface
// returns (decimals as plain strings without trailing zeros, times as ISO strings).
import type { orders, positions, trades } from '../../db/schema/index.js';
import type { TakeProfitLeg } from '../../db/schema/trading.js';
import { D, dec, ZERO, type Dec } from '../../domain/money.js';
import type { Market } from '../../domain/market.js';
import { liquidationPrice, type Position } from '../../domain/position.js';
import type { TradeCard } from '../../domain/trade-card.js';
import type { Actor } from '../actor.js';

export type OrderRow = typeof orders.$inferSelect;
export type TradeRow = typeof trades.$inferSelect;
export type PositionRow = typeof positions.$inferSelect;

/** Amounts written to `numeric(38, 18)` columns that feed balances: exact at 18 decimals. */
export const MONEY_DP = 18;

export function q18(d: Dec): Dec {
  return d.toDecimalPlaces(MONEY_DP, D.ROUND_HALF_EVEN);
}

export function q18up(d: Dec): Dec {
  return d.toDecimalPlaces(MONEY_DP, D.ROUND_UP);
}

/** A numeric column value as a decimal. */
export function num(v: string | null | undefined): Dec {
  return v === null || v === undefined ? ZERO : dec(v);
}

export function numOrNull(v: string | null | undefined): Dec | null {
  return v === null || v === undefined ? null : dec(v);
}

/** A stored decimal as the plain string surfaces show ("100", not "100.000000000000000000"). */
export function plain(v: string | Dec | null | undefined): string | null {
  if (v === null || v === undefined) return null;
  const d = typeof v === 'string' ? dec(v) : v;
  return d.isZero() ? '0' : d.toFixed();
}

/** Prices and averages shown with at most 10 decimals. */
export function plainRounded(v: Dec | null | undefined, dp = 10): string | null {
  if (v === null || v === undefined) return null;
  return plain(v.toDecimalPlaces(dp));
}

/** A database time (Date from pg, string from PGlite raw queries) as a Date. */
export function toDate(v: unknown): Date {
  return v instanceof Date ? v : new Date(String(v));
}

export function iso(v: Date | string | null | undefined): string | null {
  if (v === null || v === undefined) return null;
  return toDate(v).toISOString();
}

// ---------------------------------------------------------------------------------------------
// Positions: row ↔ domain

/**
 * The domain position of an open row. `max_drawdown` stores the worst unrealised P&L as a percent of
 * the cost basis and `risk_consumed` the largest risk as a share of `capitalReference`; both are
 * converted back to amounts. `exitQuantity` is passed in when known (it lives in the fills).
 */
export function rowToPosition(r: PositionRow, market: Market, opts: { capitalReference?: Dec; exitQuantity?: Dec } = {}): Position {
  const quantity = dec(r.quantity);
  const entryPrice = dec(r.entryPrice);
  const cost = quantity.mul(entryPrice);
  const worst = r.maxDrawdown ? dec(r.maxDrawdown).div(100).mul(cost) : ZERO;
  const exitQuantity = opts.exitQuantity ?? ZERO;
  const exitPrice = numOrNull(r.exitPrice);
  const riskShare = numOrNull(r.riskConsumed);
  const base: Position = {
    symbol: r.symbol,
    kind: r.kind,
    side: r.side,
    quantity,
    entryPrice,
    leverage: dec(r.leverage),
    maintenanceMarginRate: r.kind === 'perp' ? num(r.maintenanceMarginRate ?? market.maintenanceMarginRate?.toFixed() ?? '0.005') : ZERO,
    realisedPnl: num(r.realizedPnl),
    fees: num(r.feesPaid),
    funding: num(r.fundingPaid).neg(),
    openedAt: r.openedAt,
    updatedAt: r.updatedAt,
    worstUnrealisedPnl: worst.gt(0) ? ZERO : worst,
    maxRisk: riskShare && opts.capitalReference ? riskShare.mul(opts.capitalReference) : ZERO,
    exitQuantity,
    exitNotional: exitPrice ? exitPrice.mul(exitQuantity) : ZERO,
    ...(r.stopLoss ? { stopLossPrice: dec(r.stopLoss) } : {}),
  };
  return base;
}

/** Columns that follow from a domain position (the row's identity, margin and exits are the caller's). */
export function positionColumns(p: Position, opts: { capitalReference?: Dec; markPrice?: Dec }): Partial<typeof positions.$inferInsert> {
  const cost = p.quantity.mul(p.entryPrice);
  const ddPct = cost.gt(0) && p.worstUnrealisedPnl.lt(0) ? p.worstUnrealisedPnl.div(cost).mul(100).toDecimalPlaces(10) : ZERO;
  const risk = opts.capitalReference && opts.capitalReference.gt(0) ? D.min(p.maxRisk.div(opts.capitalReference), 1).toDecimalPlaces(10) : null;
  const liq = liquidationPrice(p);
  const mark = opts.markPrice;
  const unrealised = mark ? mark.sub(p.entryPrice).mul(p.quantity).mul(p.side === 'long' ? 1 : -1) : null;
  return {
    kind: p.kind,
    side: p.side,
    quantity: q18(p.quantity).toFixed(),
    entryPrice: q18(p.entryPrice).toFixed(),
    leverage: p.leverage.toDecimalPlaces(10).toFixed(),
    maintenanceMarginRate: p.kind === 'perp' ? p.maintenanceMarginRate.toFixed() : null,
    liquidationPrice: liq ? q18(liq).toFixed() : null,
    realizedPnl: q18(p.realisedPnl).toFixed(),
    feesPaid: q18(p.fees).toFixed(),
    fundingPaid: q18(p.funding.neg()).toFixed(),
    maxDrawdown: ddPct.toFixed(),
    riskConsumed: risk ? risk.toFixed() : null,
    ...(p.exitQuantity.gt(0) ? { exitPrice: q18(p.exitNotional.div(p.exitQuantity)).toFixed() } : {}),
    ...(mark ? { markPrice: q18(mark).toFixed(), unrealizedPnl: q18(unrealised!).toFixed(), unrealizedPnlPercent: cost.gt(0) ? unrealised!.div(cost).mul(100).toDecimalPlaces(10).toFixed() : '0' } : {}),
    updatedAt: p.updatedAt,
  };
}

// ---------------------------------------------------------------------------------------------
// Views

export interface OrderView {
  id: string;
  clientOrderId: string;
  portfolioId: string;
  symbol: string;
  side: string;
  type: string;
  status: string;
  timeInForce: string;
  quantity: string;
  filledQuantity: string;
  remainingQuantity: string;
  quoteQuantity: string | null;
  price: string | null;
  stopPrice: string | null;
  trailingAmount: string | null;
  trailingPercent: string | null;
  trailReferencePrice: string | null;
  averageFillPrice: string | null;
  fee: string;
  feeAsset: string | null;
  leverage: string;
  reduceOnly: boolean;
  postOnly: boolean;
  stopLoss: string | null;
  takeProfits: Array<{ price: string; fraction: string }> | null;
  parentOrderId: string | null;
  positionId: string | null;
  reservedAsset: string | null;
  reservedAmount: string;
  rejectReason: string | null;
  source: string | null;
  /** TWAP/VWAP progress: slices released so far of the total. */
  algo: { slices: number; released: number; nextSliceAt: string | null } | null;
  /** Protective exit role, for stop-loss / take-profit orders attached to a position. */
  exitRole: string | null;
  /** Why MIKEY works this order itself rather than the venue (a trailing stop the venue lacks), or null. */
  emulated: string | null;
  createdAt: string;
  updatedAt: string;
  submittedAt: string | null;
  executedAt: string | null;
  cancelledAt: string | null;
}

export function orderView(r: OrderRow): OrderView {
  const algo = r.algoParams as { slices?: number; released?: number; schedule?: Array<{ at: string }>; role?: string; emulated?: string; reason?: string } | null;
  const isAlgo = r.orderType === 'twap' || r.orderType === 'vwap';
  return {
    id: r.id,
    clientOrderId: r.clientOrderId,
    portfolioId: r.portfolioId,
    symbol: r.symbol,
    side: r.side,
    type: r.orderType,
    status: r.status,
    timeInForce: r.timeInForce,
    quantity: plain(r.quantity)!,
    filledQuantity: plain(r.filledQuantity)!,
    remainingQuantity: plain(dec(r.quantity).sub(dec(r.filledQuantity)))!,
    quoteQuantity: plain(r.quoteQuantity),
    price: plain(r.price),
    stopPrice: plain(r.stopPrice),
    trailingAmount: plain(r.trailingAmount),
    trailingPercent: plain(r.trailingPercent),
    trailReferencePrice: plain(r.trailReferencePrice),
    averageFillPrice: r.averageFillPrice ? plainRounded(dec(r.averageFillPrice)) : null,
    fee: plain(r.fee)!,
    feeAsset: r.feeAsset,
    leverage: plain(r.leverage)!,
    reduceOnly: r.reduceOnly,
    postOnly: r.postOnly,
    stopLoss: plain(r.stopLoss),
    takeProfits: r.takeProfits ? r.takeProfits.map((t) => ({ price: plain(t.price)!, fraction: plain(t.fraction)! })) : null,
    parentOrderId: r.parentOrderId,
    positionId: r.positionId,
    reservedAsset: r.reservedAsset,
    reservedAmount: plain(r.reservedAmount)!,
    rejectReason: r.rejectReason,
    source: r.source,
    algo: isAlgo && algo
      ? { slices: algo.slices ?? 0, released: algo.released ?? 0, nextSliceAt: algo.schedule?.[algo.released ?? 0]?.at ?? null }
      : null,
    exitRole: algo?.role ?? null,
    emulated: algo?.emulated ? (algo.reason ?? 'worked by MIKEY') : null,
    createdAt: iso(r.createdAt)!,
    updatedAt: iso(r.updatedAt)!,
    submittedAt: iso(r.submittedAt),
    executedAt: iso(r.executedAt),
    cancelledAt: iso(r.cancelledAt),
  };
}

export interface TradeView {
  id: string;
  orderId: string;
  portfolioId: string;
  tradeId: string;
  symbol: string;
  side: string;
  quantity: string;
  price: string;
  quoteQuantity: string;
  fee: string;
  feeAsset: string | null;
  realizedPnl: string | null;
  liquidity: string | null;
  executedAt: string;
}

export function tradeView(r: TradeRow): TradeView {
  return {
    id: r.id,
    orderId: r.orderId,
    portfolioId: r.portfolioId,
    tradeId: r.exchangeTradeId,
    symbol: r.symbol,
    side: r.side,
    quantity: plain(r.quantity)!,
    price: plain(r.price)!,
    quoteQuantity: plain(r.quoteQuantity)!,
    fee: plain(r.fee)!,
    feeAsset: r.feeAsset,
    realizedPnl: plain(r.realizedPnl),
    liquidity: r.liquidity,
    executedAt: iso(r.executedAt)!,
  };
}

export interface PositionView {
  id: string;
  portfolioId: string;
  symbol: string;
  kind: string;
  side: string;
  status: string;
  quantity: string;
  entryPrice: string;
  markPrice: string | null;
  marketValue: string | null;
  unrealizedPnl: string | null;
  unrealizedPnlPercent: string | null;
  realizedPnl: string;
  fees: string;
  /** Net funding paid (positive) or received (negative). */
  fundingPaid: string;
  leverage: string;
  margin: string;
  liquidationPrice: string | null;
  stopLoss: string | null;
  takeProfits: Array<{ price: string; fraction: string; filled: boolean }> | null;
  exitPrice: string | null;
  maxDrawdownPercent: string | null;
  openedAt: string;
  closedAt: string | null;
  holdingSeconds: number | null;
}

/** A position row as shown; `mark` (live price) overrides the stored mark for open positions. */
export function positionView(r: PositionRow, mark?: Dec): PositionView {
  const quantity = dec(r.quantity);
  const entry = dec(r.entryPrice);
  const markPrice = mark ?? numOrNull(r.markPrice);
  const open = r.status === 'open';
  const unrealised = open && markPrice ? markPrice.sub(entry).mul(quantity).mul(r.side === 'long' ? 1 : -1) : null;
  const cost = quantity.mul(entry);
  return {
    id: r.id,
    portfolioId: r.portfolioId,
    symbol: r.symbol,
    kind: r.kind,
    side: r.side,
    status: r.status,
    quantity: plain(quantity)!,
    entryPrice: plainRounded(entry)!,
    markPrice: markPrice ? plain(markPrice) : null,
    marketValue: open && markPrice ? plainRounded(markPrice.mul(quantity), 8) : null,
    unrealizedPnl: unrealised ? plainRounded(unrealised, 8) : null,
    unrealizedPnlPercent: unrealised && cost.gt(0) ? plainRounded(unrealised.div(cost).mul(100), 4) : null,
    realizedPnl: plainRounded(num(r.realizedPnl), 8)!,
    fees: plainRounded(num(r.feesPaid), 8)!,
    fundingPaid: plainRounded(num(r.fundingPaid), 8)!,
    leverage: plain(r.leverage)!,
    margin: plainRounded(num(r.margin), 8)!,
    liquidationPrice: r.liquidationPrice && open ? plainRounded(dec(r.liquidationPrice), 8) : null,
    stopLoss: plain(r.stopLoss),
    takeProfits: r.takeProfits ? r.takeProfits.map((t: TakeProfitLeg) => ({ price: plain(t.price)!, fraction: plain(t.fraction)!, filled: t.filled ?? false })) : null,
    exitPrice: r.exitPrice ? plainRounded(dec(r.exitPrice), 8) : null,
    maxDrawdownPercent: r.maxDrawdown ? plainRounded(dec(r.maxDrawdown), 4) : null,
    openedAt: iso(r.openedAt)!,
    closedAt: iso(r.closedAt),
    holdingSeconds: r.holdingSeconds,
  };
}

export interface CardView {
  symbol: string;
  side: string;
  type: string;
  quantity: string;
  base: string;
  quote: string;
  priceUsed: string;
  priceBasis: string;
  notional: string;
  estimatedFee: string;
  feeAsset: string;
  leverage: string;
  margin: string | null;
  liquidationPrice: string | null;
  shareOfEquity: number | null;
  reduceOnly: boolean;
  postOnly: boolean;
  timeInForce: string;
  riskChecks: Array<{ name: string; passed: boolean; detail: string }>;
  allowed: boolean;
  mode: string;
  simulatedPrice: boolean;
  stalePrice: boolean;
  quoteAgeMs: number;
  warnings: string[];
  stopLoss: string | null;
  takeProfits: Array<{ price: string; fraction: string }> | null;
  sizedInQuote: string | null;
  portfolioId: string;
  portfolioName: string;
}

/** The card of the panic button: every position it closes at market and the orders it cancels. */
export interface CloseAllCardView {
  action: 'close_all';
  portfolioId: string;
  portfolioName: string;
  mode: string;
  cancelsOrders: number;
  positions: Array<{ symbol: string; side: 'buy' | 'sell'; quantity: string; estimatedPrice: string | null; notional: string | null }>;
  warnings: string[];
}

export function isCloseAllCard(card: unknown): card is CloseAllCardView {
  return typeof card === 'object' && card !== null && (card as { action?: unknown }).action === 'close_all' && Array.isArray((card as { positions?: unknown }).positions);
}

export function cardView(
  card: TradeCard,
  extra: { stopLoss?: Dec; takeProfits?: Array<{ price: Dec; fraction: Dec }>; sizedInQuote?: Dec; portfolioId: string; portfolioName: string },
): CardView {
  return {
    symbol: card.symbol,
    side: card.side,
    type: card.type,
    quantity: plain(card.quantity)!,
    base: card.base,
    quote: card.quote,
    priceUsed: plain(card.priceUsed)!,
    priceBasis: card.priceBasis,
    notional: plainRounded(card.notional, 8)!,
    estimatedFee: plainRounded(card.estimatedFee, 8)!,
    feeAsset: card.feeAsset,
    leverage: plain(card.leverage)!,
    margin: card.margin ? plainRounded(card.margin, 8) : null,
    liquidationPrice: card.liquidationPrice ? plainRounded(card.liquidationPrice, 8) : null,
    shareOfEquity: card.shareOfEquity === null ? null : Math.round(card.shareOfEquity * 10_000) / 10_000,
    reduceOnly: card.reduceOnly,
    postOnly: card.postOnly,
    timeInForce: card.timeInForce,
    riskChecks: card.riskChecks.map((c) => ({ name: c.name, passed: c.passed, detail: c.detail })),
    allowed: card.allowed,
    mode: card.mode,
    simulatedPrice: card.simulatedPrice,
    stalePrice: card.stalePrice,
    quoteAgeMs: card.quoteAgeMs,
    warnings: card.warnings,
    stopLoss: extra.stopLoss ? plain(extra.stopLoss) : null,
    takeProfits: extra.takeProfits ? extra.takeProfits.map((t) => ({ price: plain(t.price)!, fraction: plain(t.fraction)! })) : null,
    sizedInQuote: extra.sizedInQuote ? plain(extra.sizedInQuote) : null,
    portfolioId: extra.portfolioId,
    portfolioName: extra.portfolioName,
  };
}

// ---------------------------------------------------------------------------------------------
// Rows read as JSON (one round trip for several tables): numerics as text, keys camelCased.

export const ORDER_NUMERIC_COLUMNS = [
  'quantity', 'quote_quantity', 'price', 'stop_price', 'trailing_amount', 'trailing_percent', 'trail_reference_price', 'filled_quantity',
  'average_fill_price', 'fee', 'reserved_amount', 'leverage', 'stop_loss',
] as const;
export const POSITION_NUMERIC_COLUMNS = [
  'quantity', 'entry_price', 'mark_price', 'market_value', 'leverage', 'margin', 'maintenance_margin_rate', 'liquidation_price',
  'unrealized_pnl', 'unrealized_pnl_percent', 'realized_pnl', 'fees_paid', 'funding_paid', 'max_drawdown', 'stop_loss',
  'exit_price', 'risk_consumed',
] as const;
const ORDER_DATE_KEYS = ['createdAt', 'updatedAt', 'submittedAt', 'executedAt', 'cancelledAt', 'expiresAt'] as const;
const POSITION_DATE_KEYS = ['openedAt', 'closedAt', 'updatedAt'] as const;

/** SQL text: `to_jsonb(alias) || {numeric columns as text}` (a JSON number would lose digits). */
export function jsonbRowSql(alias: string, numericColumns: readonly string[]): string {
  return `to_jsonb(${alias}) || jsonb_build_object(${numericColumns.map((c) => `'${c}', ${alias}.${c}::text`).join(', ')})`;
}

const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

export function camelRow(o: Record<string, unknown>, dates: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[camel(k)] = v;
  for (const d of dates) if (out[d] !== null && out[d] !== undefined) out[d] = toDate(out[d]);
  return out;
}

export function orderFromJson(o: Record<string, unknown>): OrderRow {
  return camelRow(o, ORDER_DATE_KEYS) as unknown as OrderRow;
}

export function positionFromJson(o: Record<string, unknown>): PositionRow {
  return camelRow(o, POSITION_DATE_KEYS) as unknown as PositionRow;
}

/** A raw (snake_case) order row from a `returning *` as a typed row. */
export function orderFromRaw(o: Record<string, unknown>): OrderRow {
  const r = camelRow(o, ORDER_DATE_KEYS);
  for (const k of ['algoParams', 'policySnapshot', 'takeProfits'] as const) if (typeof r[k] === 'string') r[k] = JSON.parse(r[k]);
  return r as unknown as OrderRow;
}

/** `orders.source`: the surface an order came from (OrderSource). */
export function orderSource(actor: Pick<Actor, 'surface'>): string {
  switch (actor.surface) {
    case 'mcp-stdio':
    case 'mcp-http':
    case 'agent':
      return 'mcp';
    case 'telegram':
      return 'telegram';
    case 'discord':
      return 'discord';
    case 'terminal':
    case 'cli':
      return 'terminal';
    default:
      return 'api';
  }
}
