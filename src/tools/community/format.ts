// Text for the community tools: leaderboards and standings as tables of percentages (never a
// balance), competitions as one line each. Safe to show in a group chat.
import type { CompetitionView, LeaderboardView, StandingRow } from '../../services/community/community-service.js';
import { grouped, tableBlock } from '../format.js';

const minute = (iso: string): string => `${iso.slice(0, 16).replace('T', ' ')} UTC`;
const signedPct = (p: string): string => `${p.startsWith('-') ? '' : '+'}${p}%`;
const sharePct = (s: string): string => `${(Number(s) * 100).toFixed(2).replace(/\.?0+$/, '')}%`;

const PERIOD_WORDS: Record<string, string> = { '7d': 'the last 7 days', '30d': 'the last 30 days', '90d': 'the last 90 days', all: 'all time' };

export function leaderboardText(v: LeaderboardView): string {
  const over = PERIOD_WORDS[v.period] ?? v.period;
  if (v.rows.length === 0) return `Nobody is on this community's leaderboard yet. "/leaderboard join" adds you (your paper results, as percentages only).`;
  return [
    `Leaderboard over ${over} (${v.members} member${v.members === 1 ? '' : 's'}, returns in percent, no balances):`,
    tableBlock(
      ['#', 'member', 'return', 'Sharpe', 'max drawdown'],
      v.rows.map((r) => [String(r.rank), `${r.name}${r.you ? ' (you)' : ''}`, signedPct(r.returnPercent), r.sharpe ?? '—', r.maxDrawdownPercent === '0.00' ? '0%' : `-${r.maxDrawdownPercent}%`]),
    ),
  ].join('\n');
}

export function competitionLine(c: CompetitionView): string {
  const markets = c.markets.length === 0 ? 'any market' : c.markets.join(', ');
  const prize = c.prizePool === '0' ? 'no prize' : `prize ${grouped(c.prizePool)} ${c.token} (${c.prizeSplit.map(sharePct).join(' / ')})`;
  return `"${c.name}" (${c.id}) · ${c.status} · ${minute(c.startsAt)} → ${minute(c.endsAt)} · ${grouped(c.startingCash)} ${c.quoteAsset} to start · ${markets} · ${prize} · ${c.entrants} entrant${c.entrants === 1 ? '' : 's'}`;
}

export function competitionsTable(list: readonly CompetitionView[]): string {
  return tableBlock(
    ['competition', 'status', 'starts (UTC)', 'ends (UTC)', 'entrants', 'prize', 'id'],
    list.map((c) => [c.name, c.status, c.startsAt.slice(0, 16).replace('T', ' '), c.endsAt.slice(0, 16).replace('T', ' '), String(c.entrants), c.prizePool === '0' ? '—' : `${grouped(c.prizePool)} ${c.token}`, c.id]),
  );
}

export function standingsTable(rows: readonly StandingRow[], token: string, withPrize: boolean): string {
  const header = withPrize ? ['#', 'entrant', 'return', `prize ${token}`] : ['#', 'entrant', 'return'];
  return tableBlock(
    header,
    rows.map((r) => {
      const base = [String(r.rank), `${r.name}${r.you ? ' (you)' : ''}`, signedPct(r.returnPercent)];
      return withPrize ? [...base, r.prize && r.prize !== '0' ? grouped(r.prize) : '—'] : base;
    }),
  );
}
