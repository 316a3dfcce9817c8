// Text for the platform-token tools: amounts grouped as people read them, pools and stakes as tables.
import type { BalanceView, HistoryEntry, PoolView, StakeView } from '../../services/token/token-service.js';
import { grouped, tableBlock } from '../format.js';

/** Reminder shown with balances: what the token is and is not. */
export const TOKEN_NOTE = 'The platform token is kept off-chain by MIKEY and is never convertible to exchange funds.';

const day = (iso: string | null): string => (iso === null ? '—' : iso.slice(0, 10));
const minute = (iso: string): string => `${iso.slice(0, 16).replace('T', ' ')}`;

export function lockText(p: PoolView): string {
  if (p.lockDays === 0) return 'flexible';
  const early = p.earlyUnstakePenalty === null ? 'no early exit' : `early exit keeps ${grouped(p.earlyUnstakePenalty)} of principal`;
  return `${p.lockDays} d (${early})`;
}

export function poolsTable(pools: readonly PoolView[]): string {
  return tableBlock(
    ['pool', 'APR', 'lock-up', 'min stake', 'staked / capacity', 'open', 'id'],
    pools.map((p) => [p.name, p.aprPercent, lockText(p), grouped(p.minStake), `${grouped(p.totalStaked)} / ${p.capacity === null ? 'no limit' : grouped(p.capacity)}`, p.active ? 'yes' : 'closed', p.id]),
  );
}

export function stakesTable(token: string, stakes: readonly StakeView[]): string {
  return tableBlock(
    ['stake', 'pool', token, 'staked', 'unlocks', 'status'],
    stakes.map((s) => [s.id, s.pool, grouped(s.amount), day(s.stakedAt), s.unlocksAt === null ? 'any time' : day(s.unlocksAt), s.status]),
  );
}

export function balanceText(b: BalanceView): string {
  const lines = [
    `${b.token}: ${grouped(b.balance)} available, ${grouped(b.staked)} staked, ${grouped(b.claimable)} rewards to claim (${grouped(b.lifetimeRewards)} earned in all).`,
  ];
  if (b.stakes.length > 0) lines.push(stakesTable(b.token, b.stakes));
  else lines.push('No active stakes. list-staking-pools shows where you can stake.');
  lines.push(TOKEN_NOTE);
  return lines.join('\n');
}

const ENTRY_WORDS: Record<string, string> = {
  mint: 'minted', grant: 'granted', stake: 'staked', unstake: 'unstaked', reward: 'reward', claim: 'claimed', penalty: 'early-exit penalty',
};

export function historyText(token: string, entries: readonly HistoryEntry[]): string {
  if (entries.length === 0) return `No ${token} movements yet.`;
  return [
    tableBlock(
      ['when (UTC)', 'what', 'account', token],
      entries.map((e) => [minute(e.at), ENTRY_WORDS[e.type] ?? e.type.replace(/_/g, ' '), e.account, e.amount.startsWith('-') ? grouped(e.amount) : `+${grouped(e.amount)}`]),
    ),
    `${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}, newest first; a positive amount came into that account.`,
  ].join('\n');
}
