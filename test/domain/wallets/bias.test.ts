import { describe, expect, it } from 'vitest';
import { D } from '../../../src/domain/money.js';
import { credibilityAt, formatBias, marketBias, sizeWeight, type BiasEvent, type ScorePoint } from '../../../src/domain/wallets/bias.js';

const AT = new Date('2026-01-01T12:00:00Z');
const MIN = 60_000;
const before = (minutes: number): Date => new Date(AT.getTime() - minutes * MIN);

const ev = (id: string, walletId: string, minutesBefore: number, over: Partial<BiasEvent> = {}): BiasEvent => ({
  eventId: id,
  walletId,
  occurredAt: before(minutesBefore),
  biasImpact: 0.5,
  confidence: 0.5,
  notionalUsd: null,
  sizeFraction: null,
  ...over,
});

/** Wallet A: a 4 h credibility of 4 (5 h ago), of 8 (2 h ago), and a LATER score of 2 (30 min ago) that its 1 h-old event must not use. */
const scores = new Map<string, ScorePoint[]>([
  [
    'A',
    [
      { scoredAt: before(30), credibility: { '1h': 9, '4h': 2, '24h': 2 } },
      { scoredAt: before(300), credibility: { '1h': null, '4h': 4, '24h': 5 } },
      { scoredAt: before(120), credibility: { '1h': null, '4h': 8, '24h': 6 } },
    ],
  ],
]);

const events: BiasEvent[] = [
  // 0.8 × 0.75 × 0.75 = 0.45
  ev('E1', 'A', 50, { biasImpact: 0.6, confidence: 0.75, notionalUsd: D('1000000') }),
  // unscored: 0.2 × 0.5 × 0.5 = 0.05
  ev('E2', 'B', 120, { biasImpact: -0.4, confidence: 0.5, notionalUsd: D('100000') }),
  // score of 5 h ago (4): 0.4 × 1 × (0.25 / 0.5) = 0.2
  ev('E3', 'A', 180, { biasImpact: 0.8, confidence: 1, sizeFraction: 0.25 }),
  ev('E4', 'C', 10, { biasImpact: 0 }),
  ev('E5', 'B', 300, { biasImpact: -1 }),
  ev('E6', 'C', 20, { biasImpact: 1, confidence: 1, notionalUsd: D('50000000'), retractedAt: before(5) }),
  ev('E7', 'B', 240, { biasImpact: 1 }),
  ev('E8', 'B', -1, { biasImpact: -1 }),
];

describe('market bias', () => {
  it('weights a hand-worked 4 h window by credibility at the event, confidence and size', () => {
    const r = marketBias({ timeframe: '4h', at: AT, events, scores });
    // Σw = 0.45 + 0.05 + 0.2 = 0.7; Σw·impact = 0.27 − 0.02 + 0.16 = 0.41; Σw·|impact| = 0.45
    expect(r.totalWeight).toBe(0.7);
    expect(r.value, '0.41 / 0.7').toBe(0.5857);
    expect(r.agreement, '0.41 / 0.45').toBe(0.9111);
    expect(r.confidence, '0.9111… × 0.7 / 1.7').toBe(0.3752);
    expect(r.direction).toBe('bullish');
    expect(r.samples, 'E5 and E7 fall outside (at − 4 h, at], E8 is in the future, E6 is retracted, E4 is neutral').toEqual({ events: 3, neutralEvents: 1, wallets: 2, unscoredEvents: 1 });
    expect(r.components).toEqual([
      { walletId: 'A', events: 2, weight: 0.65, contribution: 0.6143, credibility: 6, unscored: false },
      { walletId: 'B', events: 1, weight: 0.05, contribution: -0.0286, credibility: 2, unscored: true },
    ]);
    expect(r.windowStart.toISOString()).toBe('2026-01-01T08:00:00.000Z');
  });

  it('uses the timeframe\'s own credibility; a score without samples in it counts as unscored', () => {
    const r = marketBias({ timeframe: '1h', at: AT, events, scores });
    // Only E1 (50 min ago) is directional; A's score of 2 h ago has no 1 h samples → 2: 0.2 × 0.75 × 0.75 = 0.1125
    expect([r.value, r.totalWeight, r.confidence]).toEqual([0.6, 0.1125, 0.1011]);
    expect(r.samples).toEqual({ events: 1, neutralEvents: 1, wallets: 1, unscoredEvents: 1 });
  });

  it('never uses a score taken after the event', () => {
    expect(credibilityAt(scores.get('A'), before(50), '4h'), 'the score of 2 h ago, not the one of 30 min ago').toBe(8);
    expect(credibilityAt(scores.get('A'), before(30), '4h'), 'a score at the event\'s very time is at or before it').toBe(2);
    expect(credibilityAt(scores.get('A'), before(301), '4h'), 'no score yet').toBeUndefined();
    expect(credibilityAt(undefined, AT, '4h')).toBeUndefined();
    // Had the later score (2) been used for E1, A's weight would drop and the value with it.
    const lateOnly = new Map<string, ScorePoint[]>([['A', [{ scoredAt: before(40), credibility: { '4h': 8 } }]]]);
    const r = marketBias({ timeframe: '4h', at: AT, events: [events[0]!], scores: lateOnly });
    expect(r.value, 'E1 alone, its score came 10 min later: unscored but still counted').toBe(0.6);
    expect(r.samples.unscoredEvents).toBe(1);
  });

  it('cancelling events give no bias and no confidence; no events give nothing', () => {
    const r = marketBias({
      timeframe: '24h',
      at: AT,
      events: [ev('x', 'A', 60, { biasImpact: 0.5 }), ev('y', 'B', 60, { biasImpact: -0.5 })],
      scores: new Map(),
    });
    expect([r.value, r.agreement, r.confidence, r.direction]).toEqual([0, 0, 0, 'neutral']);
    const empty = marketBias({ timeframe: '24h', at: AT, events: [], scores: new Map() });
    expect([empty.value, empty.confidence, empty.samples.events, empty.components.length]).toEqual([0, 0, 0, 0]);
  });

  it('keeps the five largest contributors, which add up to the value when there are no more', () => {
    const many = ['a', 'b', 'c', 'd', 'e', 'f'].map((w, i) => ev(w, w, 10 + i, { biasImpact: (i + 1) / 10 }));
    const r = marketBias({ timeframe: '1h', at: AT, events: many, scores: new Map() });
    expect(r.components.map((c) => c.walletId)).toEqual(['f', 'e', 'd', 'c', 'b']);
    // Equal weights: value = mean impact = 0.35
    expect(r.value).toBe(0.35);
    const two = marketBias({ timeframe: '1h', at: AT, events: many.slice(0, 2), scores: new Map() });
    expect(two.components.reduce((s, c) => s + c.contribution, 0)).toBeCloseTo(two.value, 4);
  });

  it('sizes events by notional on a log scale, else by share of the wallet', () => {
    expect(sizeWeight(D('10000'), null)).toBe(0.25);
    expect(sizeWeight(D('100000'), 0.9), 'notional first').toBe(0.5);
    expect(sizeWeight(D('-1000000'), null), 'the size of an outflow counts the same').toBe(0.75);
    expect(sizeWeight(D('100000000'), null), 'capped at 1').toBe(1);
    expect(sizeWeight(D('500'), null), 'floor 0.1').toBe(0.1);
    expect(sizeWeight(D('0'), 0.8), 'no notional: share / 0.5, capped').toBe(1);
    expect(sizeWeight(null, 0.1)).toBe(0.2);
    expect(sizeWeight(null, null)).toBe(0.25);
  });

  it('words the value', () => {
    expect(formatBias(0.4157)).toBe('bullish +0.42');
    expect(formatBias(-0.31)).toBe('bearish -0.31');
    expect(formatBias(0.03)).toBe('neutral +0.03');
    expect(formatBias(-0.001)).toBe('neutral +0.00');
    expect(formatBias(0.1)).toBe('bullish +0.10');
  });
});
