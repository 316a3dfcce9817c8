import { describe, expect, it } from 'vitest';
import { D } from '../../../src/domain/money.js';
import { wilsonInterval } from '../../../src/domain/predict/scoring.js';
import { archetypeOf, credibilityScores, perpTraderStats, windowScore, type EventOutcome } from '../../../src/domain/wallets/credibility.js';

const up = (at: string, after1h: string | null, after4h?: string, after24h?: string): EventOutcome => ({
  implied: 'up',
  priceAtEvent: D(at),
  priceAfter: { '1h': after1h === null ? null : D(after1h), ...(after4h ? { '4h': D(after4h) } : {}), ...(after24h ? { '24h': D(after24h) } : {}) },
});
const down = (at: string, after1h: string): EventOutcome => ({ implied: 'down', priceAtEvent: D(at), priceAfter: { '1h': D(after1h) } });

describe('credibility scores', () => {
  it('scores a hand-worked record: 8 hits in 10 over 1 h is 4.90', () => {
    const outcomes = [
      ...Array.from({ length: 6 }, () => up('100', '102')), // +2 % each: hits
      down('100', '97'), // −3 % after a bearish event: hit
      down('100', '99'), // hit
      up('100', '99'), // −1 %: miss
      up('100', '100'), // flat: miss
      { implied: 'neutral', priceAtEvent: D('100'), priceAfter: { '1h': D('150') } } satisfies EventOutcome, // no direction: not a sample
      up('100', null), // window not passed: not a sample
    ];
    const s = windowScore(outcomes, '1h');
    expect([s.samples, s.hits, s.hitRate]).toEqual([10, 8, 0.8]);
    expect(s.wilson95).toEqual(wilsonInterval(8, 10));
    expect(s.credibility, '10 × Wilson lower bound 0.4902').toBe(4.9);
    // (6 × 0.02 + 0.03 + 0.01 − 0.01 + 0) / 10
    expect(s.meanDirectionalReturn).toBeCloseTo(0.015, 12);
  });

  it('scores each window from its own prices, with zero samples scoring 0', () => {
    const outcomes = Array.from({ length: 100 }, (_, i) => up('50', '51', i < 80 ? '55' : '45'));
    const s = credibilityScores(outcomes);
    expect([s['1h'].samples, s['1h'].credibility]).toEqual([100, 9.63]);
    expect([s['4h'].samples, s['4h'].hits, s['4h'].credibility]).toEqual([100, 80, 7.11]);
    expect([s['24h'].samples, s['24h'].credibility, s['24h'].hitRate]).toEqual([0, 0, undefined]);
  });

  it('counts a move smaller than minMove as a miss', () => {
    expect(windowScore([up('100', '100.05')], '1h', 0.001).hits).toBe(0);
    expect(windowScore([up('100', '100.2')], '1h', 0.001).hits).toBe(1);
  });
});

describe('perp trader statistics', () => {
  it('sums 24 h volume exactly and counts wins among closing fills', () => {
    const now = Date.UTC(2026, 0, 2);
    const fills = [
      { px: D('64000.5'), sz: D('0.1'), time: now - 1000, closedPnl: D('0') },
      { px: D('3000'), sz: D('2.5'), time: now - 3_600_000, closedPnl: D('120.5') },
      { px: D('150'), sz: D('10'), time: now - 90_000_000, closedPnl: D('-30') }, // older than 24 h
      { px: D('1'), sz: D('1'), time: now - 10, closedPnl: D('0.01') },
    ];
    const s = perpTraderStats(fills, now);
    expect(s.volume24h.toFixed()).toBe('13901.05');
    expect([s.closingFills, s.wins, s.winRate]).toEqual([3, 2, 2 / 3]);
  });
});

describe('archetypes', () => {
  const many = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

  it('applies the documented rules in order', () => {
    expect(archetypeOf({ isKnownExchange: true, events: [] }).archetype).toBe('exchange_hot_wallet');
    expect(archetypeOf({ isKnownExchange: false, events: many(60, (i) => ({ implied: 'up', counterparty: `0x${String(i)}` })) }).archetype).toBe('exchange_hot_wallet');
    const mm = archetypeOf({ isKnownExchange: false, events: [], fills: many(60, (i) => ({ side: i % 2 ? 'buy' : 'sell', maker: i % 5 !== 0 })) });
    expect(mm).toEqual({ archetype: 'market_maker', reason: '80 % maker fills, buys and sells balanced within 0 %' });
    const momentum = archetypeOf({ isKnownExchange: false, events: many(10, (i) => ({ implied: i < 5 ? 'up' : 'down', priorMove: i < 7 ? (i < 5 ? 'up' : 'down') : i < 5 ? 'down' : 'up' })) });
    expect(momentum.archetype).toBe('momentum_trader');
    expect(archetypeOf({ isKnownExchange: false, events: many(10, (i) => ({ implied: i < 8 ? 'up' : 'down' })) }).archetype).toBe('accumulator');
    expect(archetypeOf({ isKnownExchange: false, events: many(10, (i) => ({ implied: i < 8 ? 'down' : 'neutral' })) }).archetype).toBe('distributor');
    expect(archetypeOf({ isKnownExchange: false, events: many(10, (i) => ({ implied: i % 2 ? 'down' : 'up' })) })).toEqual({
      archetype: 'unclassified',
      reason: 'no rule matched its mix of events',
    });
    expect(archetypeOf({ isKnownExchange: false, events: many(3, () => ({ implied: 'up' })) }).reason).toBe('too little history (3 directional events, 5 needed)');
  });
});
