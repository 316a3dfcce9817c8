// get-market-bias's text for the cases the stored-state test does not reach: windows with only
// neutral moves, a bearish lean, and every window empty.
import { describe, expect, it } from 'vitest';
import type { BiasView } from '../../../src/services/wallets/bias-service.js';
import { formatMarketBias } from '../../../src/tools/wallets/get-market-bias.js';

const AT = new Date('2026-01-01T12:00:00Z');
const view = (timeframe: BiasView['timeframe'], over: Partial<BiasView> = {}): BiasView => ({
  asset: 'ETH',
  timeframe,
  at: AT,
  windowStart: AT,
  value: 0,
  direction: 'neutral',
  confidence: 0,
  totalWeight: 0,
  agreement: 0,
  samples: { events: 0, neutralEvents: 0, wallets: 0, unscoredEvents: 0 },
  contributors: [],
  ...over,
});

describe('get-market-bias text', () => {
  it('says a window held only neutral moves, and words a bearish lean', () => {
    const t = formatMarketBias('ETH', [
      view('1h', { samples: { events: 0, neutralEvents: 2, wallets: 0, unscoredEvents: 0 } }),
      view('4h', {
        value: -0.31,
        direction: 'bearish',
        confidence: 0.4,
        samples: { events: 1, neutralEvents: 2, wallets: 1, unscoredEvents: 0 },
        contributors: [{ walletId: 'w', chain: 'ethereum', address: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', shortAddress: '0x5aAe…eAed', label: 'fund\u0007 x', events: 1, weight: 0.5, contribution: -0.31, credibility: 7.25, unscored: false }],
      }),
    ]);
    expect(t).toBe(
      [
        'ETH whale bias (watched wallets\' moves weighted by their track record):',
        '• 1h: no directional whale events (2 neutral events)',
        '• 4h: bearish -0.31, confidence 0.40 from 1 event by 1 wallet, 2 neutral events',
        'Top contributors (4h): fund  x (0x5aAe…eAed) -0.31 over 1 event, credibility 7.3/10',
        'This is a statistic of past on-chain moves, not advice.',
      ].join('\n'),
    );
  });

  it('says there were no whale events over the longest window asked', () => {
    expect(formatMarketBias('PEPE', [view('1h'), view('4h')])).toBe('No whale events for PEPE in the last 4h.');
  });
});
