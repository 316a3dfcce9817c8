// Text for the bot tools: the card a person approves, and bots as a table.
import type { BotCard, BotDetail, BotView } from '../../services/bots/bot-service.js';
import type { StrategyLeaderboardView } from '../../services/bots/leaderboard.js';
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

const SORT_WORDS = { sharpe: 'Sharpe ratio', drawdown: 'max drawdown (smallest first)', pnl: 'P&L' } as const;

/** The leaderboard of strategies as a table, with what its figures mean under it. */
export function strategyLeaderboardText(v: StrategyLeaderboardView): string {
  const community = v.scope === 'community';
  if (v.rows.length === 0) {
    return community
      ? 'No bots to rank here yet: members who joined this group\'s leaderboard have no bots on the portfolios it counts.'
      : 'Nothing to rank yet: run a backtest (backtest-strategy) or start a bot (create-bot).';
  }
  const num = (s: string | null, suffix = ''): string => (s === null ? '—' : `${s}${suffix}`);
  const header = community
    ? ['#', 'member', 'bot', 'strategy', 'market', 'return', 'Sharpe', 'max DD', 'days']
    : ['#', 'kind', 'id', 'name', 'market', 'return', 'Sharpe', 'max DD', 'P&L', 'trades'];
  const rows = v.rows.map((r) => {
    const rank = r.rank === 0 ? '—' : String(r.rank);
    return community
      ? [rank, `${r.member ?? '—'}${r.you ? ' (you)' : ''}`, r.name, r.strategy, r.symbol ?? '—', num(r.returnPercent, '%'), num(r.sharpe), num(r.maxDrawdownPercent, '%'), r.days === null ? '—' : String(r.days)]
      : [rank, r.kind === 'bot' ? `bot (${r.status ?? '—'})` : 'backtest', r.shortId, r.name, r.symbol ?? '—', num(r.returnPercent, '%'), num(r.sharpe), num(r.maxDrawdownPercent, '%'), grouped(r.totalPnl, 2), r.trades === null ? '—' : String(r.trades)];
  });
  const more = v.total > v.rows.length ? ` (top ${v.rows.length} of ${v.total})` : '';
  const lines = [`${community ? 'This group\'s bots' : 'Your bots and backtests'} by ${SORT_WORDS[v.sortBy]}${more}:`, tableBlock(header, rows)];
  lines.push(
    community
      ? 'Bots\' forward runs since they started, as percentages of the capital they trade with; no balances. "—": too early to tell (Sharpe needs two days).'
      : 'Bots: forward runs since they started (out of sample). Backtests: the whole window — in sample if the parameters were picked on it, except a sweep\'s stored pick, run out of sample. "—": too early to tell.',
  );
  return lines.join('\n');
}
