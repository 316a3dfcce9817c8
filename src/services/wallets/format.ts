// Plain text for a person (chat, terminal, a tool's text content): a user's watch list and one
// wallet's card. No JSON, no stack traces; labels are the user's own text and are shown cleaned of
// control characters; narratives come from the analysis (rules put only plain symbols in them).
import { formatAmount, formatUsd } from '../../domain/wallets/classify.js';
import type { CardEventView, WalletCard, WatchView } from './wallet-service.js';

/** A user's label as a person reads it: control characters out. */
export const cleanLabel = (s: string): string => s.replace(/\p{Cc}/gu, ' ').trim();

/** `3 min ago`, `5 h ago`, `2 d ago`. */
export function ago(at: Date, now: Date): string {
  const s = Math.max(0, Math.round((now.getTime() - at.getTime()) / 1000));
  if (s < 60) return 'just now';
  if (s < 3600) return `${String(Math.floor(s / 60))} min ago`;
  if (s < 86_400) return `${String(Math.floor(s / 3600))} h ago`;
  return `${String(Math.floor(s / 86_400))} d ago`;
}

function name(w: WatchView): string {
  return w.label ? `${cleanLabel(w.label)} (${w.shortAddress})` : w.shortAddress;
}

function scoreText(w: WatchView): string {
  const s = w.latestScore;
  if (!s) return 'not scored yet';
  const parts: string[] = [];
  const cred = [['1h', s.credibility1h], ['4h', s.credibility4h], ['24h', s.credibility24h]].filter(([, v]) => v !== null) as Array<[string, number]>;
  if (cred.length > 0) parts.push(`credibility ${cred.map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')} /10`);
  if (s.equityUsd) parts.push(`equity ${formatUsd(s.equityUsd)}`);
  if (s.tradingVolume24h && !s.tradingVolume24h.isZero()) parts.push(`24h volume ${formatUsd(s.tradingVolume24h)}`);
  if (s.winRate !== null) parts.push(`win rate ${String(Math.round(s.winRate * 100))}%`);
  if (s.archetype && s.archetype !== 'unclassified') parts.push(s.archetype.replace(/_/g, ' '));
  return parts.length > 0 ? parts.join(' · ') : 'not scored yet';
}

/** The user's watch list, one line per wallet. */
export function formatWatchList(watches: readonly WatchView[], now: Date): string {
  if (watches.length === 0) return 'You watch no wallets yet. Watch one with: watch 0x… as "a name" (ethereum or hyperliquid).';
  const lines = watches.map((w) => {
    const active = w.lastActivityAt ? `active ${ago(w.lastActivityAt, now)}` : 'no activity seen yet';
    const tags = w.tags.length > 0 ? ` [${w.tags.map(cleanLabel).join(', ')}]` : '';
    return `• ${name(w)} on ${w.chain}${tags}: ${active}; ${scoreText(w)}`;
  });
  return [`Watched wallets (${String(watches.length)}):`, ...lines].join('\n');
}

function eventLine(e: CardEventView, now: Date): string {
  if (e.narrative) return `• ${ago(e.occurredAt, now)}: ${e.narrative}`;
  const amount = e.amount ? `${formatAmount(e.amount)} ${e.asset ?? ''}`.trim() : (e.asset ?? '');
  const usd = e.notionalUsd ? ` (≈ ${formatUsd(e.notionalUsd)})` : '';
  return `• ${ago(e.occurredAt, now)}: ${e.eventType.replace(/_/g, ' ')} ${amount}${usd}`;
}

/** One wallet's card: who, score, live account (Hyperliquid), recent events. */
export function formatCard(card: WalletCard, now: Date): string {
  const lines = [`${name(card)} on ${card.chain}, watched since ${card.watchedSince.toISOString().slice(0, 10)}`, `Score: ${scoreText(card)}`];
  if (card.account) {
    lines.push(`Account value: ${formatUsd(card.account.accountValue)}`);
    if (card.account.positions.length === 0) lines.push('No open perp positions.');
    for (const p of card.account.positions) {
      const liq = p.liquidationPx ? `, liquidation ${formatAmount(p.liquidationPx)}` : '';
      const entry = p.entryPx ? ` at ${formatAmount(p.entryPx)}` : '';
      lines.push(`• ${p.side} ${formatAmount(p.size)} ${p.coin}${entry}, ${String(p.leverage)}x, value ${formatUsd(p.positionValue)}, PnL ${p.unrealizedPnl.isNeg() ? '-' : '+'}${formatUsd(p.unrealizedPnl)}${liq}`);
    }
  } else if (card.accountUnavailable) {
    lines.push(`Live account not available: ${card.accountUnavailable}`);
  }
  if (card.recentEvents.length === 0) lines.push('No events seen since the watch began.');
  else lines.push('Recent events:', ...card.recentEvents.map((e) => eventLine(e, now)));
  return lines.join('\n');
}
