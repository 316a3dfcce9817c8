// Person text for the whale and bias context of open positions (get-positions) and the per-day
// table of closed positions (get-performance), from src/services/portfolio/position-insights.ts.
import type { DailyPerformanceRow, PositionInsight } from '../../services/portfolio/position-insights.js';
import { cleanLabel } from '../../services/wallets/format.js';
import { signed, tableBlock } from '../format.js';

/** `45s`, `12m`, `3h 05m`, `2d 4h`. */
export function holdingText(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${String(s)}s`;
  if (s < 3600) return `${String(Math.round(s / 60))}m`;
  if (s < 86_400) return `${String(Math.floor(s / 3600))}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${String(Math.floor(s / 86_400))}d ${String(Math.floor((s % 86_400) / 3600))}h`;
}

function biasText(b: number): string {
  const word = b >= 0.2 ? 'bullish' : b <= -0.2 ? 'bearish' : 'neutral';
  return `${b > 0 ? '+' : ''}${b.toFixed(2)} (${word})`;
}


/** One line per open position with a whale or bias behind it, for a person. Empty when none. */
export function positionInsightLines(insights: readonly PositionInsight[]): string[] {
  return insights.map((x) => {
    const parts: string[] = [];
    if (x.signalWallet) {
      const w = x.signalWallet;
      const who = w.label ? `${cleanLabel(w.label)} (${w.shortAddress})` : w.shortAddress;
      parts.push(`opened on a move by ${who}, 4h credibility ${x.walletCredibility4h === null ? 'not scored' : `${x.walletCredibility4h.toFixed(1)}/10`}`);
    }
    if (x.currentBias !== null) parts.push(`${x.symbol.split(/[/-]/)[0] ?? x.symbol} bias ${biasText(x.currentBias)}`);
    return `• ${x.symbol} (${x.positionId.slice(0, 8)}): ${parts.join(' · ')}`;
  });
}

/** The per-day table of closed positions, for a person. Empty string when none closed. */
export function dailyPerformanceTable(rows: readonly DailyPerformanceRow[]): string {
  if (rows.length === 0) return '';
  return [
    'Closed positions per UTC day (realised P&L before fees):',
    tableBlock(
      ['day', 'trades', 'win', 'P&L', 'best', 'worst', 'avg hold'],
      rows.map((r) => [
        r.date,
        String(r.trades),
        r.winRate === null ? '—' : `${(r.winRate * 100).toFixed(0)}%`,
        signed(r.totalPnl),
        r.bestTrade === null ? '—' : signed(r.bestTrade),
        r.worstTrade === null ? '—' : signed(r.worstTrade),
        holdingText(r.averageHoldingSeconds),
      ]),
    ),
  ].join('\n');
}
