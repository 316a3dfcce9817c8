// Text for the bot tools: the card a person approves, and bots as a table.
import type { BotCard, BotDetail, BotView } from '../../services/bots/bot-service.js';
import { grouped, tableBlock } from '../format.js';

const minute = (iso: string | null): string => (iso === null ? '—' : iso.slice(0, 16).replace('T', ' '));

export function cardLines(card: BotCard): string {
  return card.lines.map((l) => `• ${l}`).join('\n');
}

function statusText(b: BotView): string {
  if (b.status === 'paused' && b.pausedReason) return `paused (${b.pausedReason})`;
  return b.status;
}

export function botsTable(bots: readonly BotView[]): string {
  return tableBlock(
    ['bot', 'name', 'strategy', 'market', 'tf', 'status', 'per order / per day'],
    bots.map((b) => [b.shortId, b.name, b.strategy, b.symbol, b.timeframe, statusText(b), `${grouped(b.limits.maxOrderNotional)} / ${grouped(b.limits.maxDailyNotional)}`]),
  );
}

export function botDetailText(d: BotDetail): string {
  const lines = [
    `Bot "${d.name}" (${d.shortId}) is ${statusText(d)}${d.approvedAt ? `; approved ${minute(d.approvedAt)} UTC` : '; not approved'}.`,
    cardLines(d.card),
    `Candles decided: ${d.progress.candlesDecided}${d.progress.lastCandleAt ? `, the last opened ${minute(d.progress.lastCandleAt)} UTC` : ''}.`,
  ];
  if (d.lastError) lines.push(`Last error: ${d.lastError}`);
  if (d.performance) {
    const p = d.performance;
    lines.push(`Performance (${minute(p.recordedAt)} UTC): P&L ${grouped(p.totalPnl, 2)} (realized ${grouped(p.realizedPnl, 2)}), fees ${grouped(p.feesPaid, 2)}, ${p.tradeCount} trade${p.tradeCount === 1 ? '' : 's'}${p.equity ? `, equity ${grouped(p.equity, 2)}` : ''}.`);
  }
  if (d.openOrders.length > 0) {
    lines.push(
      tableBlock(
        ['order', 'side', 'type', 'qty', 'price', 'status', 'tag'],
        d.openOrders.map((o) => [o.id.slice(0, 8), o.side, o.type, grouped(o.quantity), grouped(o.price), o.status, o.tag ?? '—']),
      ),
    );
  } else lines.push('No working orders.');
  return lines.join('\n');
}
