// Text for people and models: numbers first, one fact per line, tables where rows repeat.
import { renderTable } from '../format/table.js';
import { D } from '../domain/money.js';
import type { CardView, CloseAllCardView, OrderView, PositionView, TradeView } from '../services/trading/rows.js';

export { renderTable };

/** Groups digits of a decimal string without converting it to a float: "65000.5" → "65,000.5". */
export function grouped(value: string | null | undefined, maxDecimals = 8): string {
  if (value === null || value === undefined || value === '') return '—';
  const neg = value.startsWith('-');
  const [int, frac = ''] = (neg ? value.slice(1) : value).split('.');
  const intPart = (int ?? '0').replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const fracPart = frac.slice(0, maxDecimals).replace(/0+$/, '');
  return `${neg ? '-' : ''}${intPart}${fracPart ? '.' + fracPart : ''}`;
}

/** A signed amount rounded to `decimals` places: "+12.30", "-0.12", "0.00". */
export function signed(value: string | null | undefined, decimals = 2): string {
  if (value === null || value === undefined) return '—';
  let fixed: string;
  try {
    fixed = new D(value).toFixed(decimals);
  } catch {
    return value;
  }
  if (/^-0\.?0*$/.test(fixed)) fixed = fixed.slice(1);
  const g = grouped(fixed, decimals);
  const padded = decimals > 0 && !g.includes('.') ? `${g}.${'0'.repeat(decimals)}` : g.replace(/\.(\d*)$/, (_m, f: string) => '.' + f.padEnd(decimals, '0'));
  return fixed.startsWith('-') || /^0\.?0*$/.test(fixed) ? padded : `+${padded}`;
}

export function pct(n: number | null | undefined, digits = 2): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '—' : `${(n * 100).toFixed(digits)}%`;
}

export function tableBlock(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  return '```\n' + renderTable(header, rows) + '\n```';
}

/** The trade card every surface shows before money moves. */
export function cardText(card: CardView): string {
  const lines = [
    `${card.mode === 'live' ? '🔴 LIVE' : '📝 PAPER'} ${card.side.toUpperCase()} ${grouped(card.quantity)} ${card.base} · ${card.symbol} · ${card.type}${card.timeInForce ? ` ${card.timeInForce.toUpperCase()}` : ''}`,
    `Price: ${grouped(card.priceUsed)} ${card.quote} (${card.priceBasis})${card.simulatedPrice ? ' — SIMULATED price' : ''}${card.stalePrice ? ' — STALE price' : ''}`,
    `Notional: ${grouped(card.notional, 2)} ${card.quote} · est. fee ${grouped(card.estimatedFee, 4)} ${card.feeAsset}`,
    `Leverage: ${grouped(card.leverage)}x${card.margin ? ` · margin ${grouped(card.margin, 2)} ${card.quote}` : ''}${card.liquidationPrice ? ` · liq. ${grouped(card.liquidationPrice, 4)}` : ''}`,
    `Share of equity: ${card.shareOfEquity === null ? '—' : pct(card.shareOfEquity)}`,
    `Checks: ${card.riskChecks.map((c) => `${c.passed ? '✓' : '✗'} ${c.name}${c.passed ? '' : ` (${c.detail})`}`).join(' · ') || 'none'}`,
  ];
  if (card.stopLoss) lines.push(`Stop-loss: ${grouped(card.stopLoss)} ${card.quote}`);
  for (const [i, tp] of (card.takeProfits ?? []).entries()) {
    lines.push(`Take-profit ${i + 1}: ${grouped(tp.price)} ${card.quote} for ${pct(Number(tp.fraction))} of the position`);
  }
  if (!card.allowed) lines.push('⛔ This order cannot be placed as it stands (see the failed checks).');
  return lines.join('\n');
}

/** The panic card: one line per position it closes at market, and the orders it cancels. */
export function closeAllCardText(card: CloseAllCardView): string {
  const n = card.positions.length;
  const lines = [
    `${card.mode === 'live' ? '🔴 LIVE' : '📝 PAPER'} CLOSE ALL · portfolio "${card.portfolioName}"`,
    `Closes ${n} position${n === 1 ? '' : 's'} at market and cancels ${card.cancelsOrders} open order${card.cancelsOrders === 1 ? '' : 's'}:`,
    ...card.positions.map((p) => {
      const held = p.side === 'sell' ? 'long' : 'short';
      const est = p.estimatedPrice ? ` at ~${grouped(p.estimatedPrice)}${p.notional ? ` ≈ ${grouped(p.notional, 2)}` : ''}` : ' (no price right now)';
      return `  • ${p.symbol} ${held}: ${p.side} ${grouped(p.quantity)}${est}`;
    }),
    ...card.warnings.map((w) => `⚠ ${w}`),
  ];
  return lines.join('\n');
}

export function orderLine(o: OrderView): string {
  const px = o.price ? ` @ ${grouped(o.price)}` : o.stopPrice ? ` trigger ${grouped(o.stopPrice)}` : '';
  const fill = o.averageFillPrice ? ` filled ${grouped(o.filledQuantity)} @ ${grouped(o.averageFillPrice)}` : '';
  const emulated = o.emulated ? `\n  Emulated by MIKEY: ${o.emulated}` : '';
  return `${o.status.toUpperCase()} ${o.side} ${grouped(o.quantity)} ${o.symbol} ${o.type}${px}${fill} (order ${o.id})${emulated}`;
}

export function ordersTable(orders: readonly OrderView[]): string {
  if (orders.length === 0) return 'No orders.';
  return tableBlock(
    ['id', 'symbol', 'side', 'type', 'qty', 'filled', 'price', 'status'],
    orders.map((o) => [o.id.slice(0, 8), o.symbol, o.side, o.type, grouped(o.quantity), grouped(o.filledQuantity), grouped(o.price ?? o.stopPrice ?? o.averageFillPrice), o.status]),
  );
}

export function positionsTable(positions: readonly PositionView[]): string {
  if (positions.length === 0) return 'No positions.';
  return tableBlock(
    ['symbol', 'side', 'qty', 'entry', 'mark', 'uPnL', 'lev', 'liq'],
    positions.map((p) => [p.symbol, p.side, grouped(p.quantity), grouped(p.entryPrice, 4), grouped(p.markPrice, 4), signed(p.unrealizedPnl ?? p.realizedPnl), `${grouped(p.leverage)}x`, grouped(p.liquidationPrice, 2)]),
  );
}

export function tradesTable(trades: readonly TradeView[]): string {
  if (trades.length === 0) return 'No trades.';
  return tableBlock(
    ['time', 'symbol', 'side', 'qty', 'price', 'fee', 'pnl'],
    trades.map((t) => [t.executedAt.slice(0, 16).replace('T', ' '), t.symbol, t.side, grouped(t.quantity), grouped(t.price, 4), grouped(t.fee, 4), signed(t.realizedPnl)]),
  );
}

/** A loose object schema for a structured view (the tool's description says what it holds). */
export const SIMULATED_NOTE = 'Prices are SIMULATED (offline market), not real quotes.';
