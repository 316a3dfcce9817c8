import { describe, expect, it } from 'vitest';
import { D } from '../../../src/domain/money.js';
import { formatCard, formatWatchList } from '../../../src/services/wallets/format.js';
import type { WalletCard, WatchView } from '../../../src/services/wallets/wallet-service.js';

const NOW = new Date('2026-01-02T12:00:00Z');
const watch: WatchView = {
  walletId: 'w1',
  chain: 'hyperliquid',
  address: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
  shortAddress: '0x5aAe…eAed',
  label: 'perp\u0007 degen',
  tags: ['hl'],
  watchedSince: new Date('2026-01-01T00:00:00Z'),
  lastActivityAt: new Date('2026-01-02T09:00:00Z'),
  latestScore: {
    scoredAt: NOW,
    credibility1h: null,
    credibility4h: 7.25,
    credibility24h: 6,
    equityUsd: new D('1250345.5'),
    tradingVolume24h: new D('0'),
    winRate: 0.625,
    archetype: 'momentum_trader',
  },
};

describe('wallet text', () => {
  it('lists watches in one plain line each', () => {
    expect(formatWatchList([watch], NOW)).toBe(
      'Watched wallets (1):\n• perp  degen (0x5aAe…eAed) on hyperliquid [hl]: active 3 h ago; credibility 4h 7.3, 24h 6.0 /10 · equity $1.3M · win rate 63% · momentum trader',
    );
    expect(formatWatchList([], NOW)).toContain('You watch no wallets yet');
  });

  it('renders a card with positions and events, without JSON', () => {
    const card: WalletCard = {
      ...watch,
      label: 'degen',
      account: {
        accountValue: new D('250000.5'),
        readAt: NOW,
        positions: [{ coin: 'ETH', side: 'short', size: new D(100), entryPx: new D('3012.4'), positionValue: new D(301240), unrealizedPnl: new D('-1200.5'), leverage: 20, liquidationPx: new D('5120.77') }],
      },
      accountUnavailable: null,
      recentEvents: [
        { id: 'e1', occurredAt: new Date('2026-01-02T11:30:00Z'), eventType: 'perp_open_short', asset: 'ETH', amount: new D(100), notionalUsd: new D(301240), venue: 'hyperliquid', txHash: '0xab', classification: null, narrative: null, biasImpact: null },
      ],
    };
    const text = formatCard(card, NOW);
    expect(text.split('\n')).toEqual([
      'degen (0x5aAe…eAed) on hyperliquid, watched since 2026-01-01',
      'Score: credibility 4h 7.3, 24h 6.0 /10 · equity $1.3M · win rate 63% · momentum trader',
      'Account value: $250k',
      '• short 100 ETH at 3,012, 20x, value $301k, PnL -$1,200, liquidation 5,121',
      'Recent events:',
      '• 30 min ago: perp open short 100 ETH (≈ $301k)',
    ]);
    expect(text).not.toMatch(/[{}]/);
  });
});
