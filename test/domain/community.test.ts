// Community ranking and prize arithmetic, checked against hand-computed figures.
import { describe, expect, it } from 'vitest';
import {
  combinedStepReturns,
  competitionRanks,
  dailyValues,
  memberPerformance,
  performanceOf,
  periodStart,
  prizeShares,
  returnPercent,
  splitProblems,
} from '../../src/domain/community.js';
import { dec } from '../../src/domain/money.js';

const A = dailyValues([
  ['2026-12-01', '1000'],
  ['2026-12-02', '1100'],
  ['2026-12-03', '990'],
  ['2026-12-04', '1089'],
]);

describe('member performance', () => {
  it('one portfolio: +10 %, −10 %, +10 % is 8.9 %, a 10 % drawdown and Sharpe 5.515', () => {
    const p = memberPerformance([A], '2026-12-04', 'all');
    expect(p.returnPercent.toFixed()).toBe('8.9');
    expect(p.maxDrawdownPercent.toFixed()).toBe('10');
    expect(p.steps).toBe(3);
    // mean 1/30, sample sd √(0.04/3) = 0.11547; 0.288675 × √365 = 5.51513.
    expect(p.sharpe).toBeCloseTo(5.51513, 4);
  });

  it('a portfolio created in the period joins from its first value: its deposit is no gain', () => {
    const B = dailyValues([
      ['2026-12-03', '500'],
      ['2026-12-04', '550'],
    ]);
    const steps = combinedStepReturns([A, B], null);
    // 12-03 → 12-04: (99 + 50) / (990 + 500) = 0.1.
    expect(steps.map((s) => s.toFixed())).toEqual(['0.1', '-0.1', '0.1']);
    expect(memberPerformance([A, B], '2026-12-04', 'all').returnPercent.toFixed()).toBe('8.9');
  });

  it('a period starts from the value carried at its first day', () => {
    const C = dailyValues([
      ['2026-11-20', '100'],
      ['2026-11-25', '200'],
      ['2026-12-02', '220'],
    ]);
    expect(periodStart('2026-12-02', '7d')).toBe('2026-11-25');
    expect(memberPerformance([C], '2026-12-02', '7d').returnPercent.toFixed()).toBe('10');
    // 11-20 → 11-25 doubles, then +10 %: 2.2 − 1 = 120 %.
    expect(memberPerformance([C], '2026-12-02', 'all').returnPercent.toFixed()).toBe('120');
    // 30 days back is before the first value: the first step starts at 11-20's value.
    expect(memberPerformance([C], '2026-12-02', '30d').returnPercent.toFixed()).toBe('120');
    // Only two steps with the same return: no variation, no Sharpe.
    expect(memberPerformance([C], '2026-12-02', '7d').sharpe).toBeNull();
  });

  it('no history: zero return, no Sharpe, no drawdown', () => {
    const p = performanceOf([]);
    expect(p.returnPercent.toFixed()).toBe('0');
    expect(p.sharpe).toBeNull();
    expect(p.maxDrawdownPercent.toFixed()).toBe('0');
    expect(p.steps).toBe(0);
  });

  it('a value missing on a day carries the last one', () => {
    const D1 = dailyValues([
      ['2026-12-01', '100'],
      ['2026-12-03', '110'],
    ]);
    const D2 = dailyValues([
      ['2026-12-01', '100'],
      ['2026-12-02', '100'],
      ['2026-12-04', '100'],
    ]);
    // Days 01, 02, 03, 04: step 01→02 both flat, 02→03 D1 +10 over 200, 03→04 flat.
    expect(combinedStepReturns([D1, D2], null).map((s) => s.toFixed())).toEqual(['0', '0.05', '0']);
  });
});

describe('competition ranks and prizes', () => {
  it('ties share a rank and the next rank skips', () => {
    expect(competitionRanks([dec('120'), dec('150'), dec('150'), dec('90')])).toEqual([3, 1, 1, 4]);
    expect(returnPercent(dec('10000'), dec('10250')).toFixed()).toBe('2.5');
  });

  it('tied entrants share the positions they occupy; the rest of the split goes by rank', () => {
    const split = ['0.5', '0.3', '0.2'].map(dec);
    const prizes = prizeShares(dec('1000'), split, [3, 1, 1, 4]);
    expect(prizes.map((p) => p.toFixed())).toEqual(['200', '400', '400', '0']);
  });

  it('fewer entrants than shares and a split below 1 leave the rest in the treasury', () => {
    const prizes = prizeShares(dec('1000'), ['0.5', '0.3'].map(dec), [1]);
    expect(prizes.map((p) => p.toFixed())).toEqual(['500']);
  });

  it('prizes round down to 18 places, never paying more than the pool', () => {
    const prizes = prizeShares(dec('10'), [dec('1')], [1, 1, 1]);
    expect(prizes.map((p) => p.toFixed())).toEqual(Array(3).fill('3.333333333333333333'));
    expect(dec('10').sub(prizes.reduce((a, p) => a.add(p), dec(0))).toFixed()).toBe('0.000000000000000001');
  });

  it('a split must be shares between 0 and 1 adding up to at most 1', () => {
    expect(splitProblems(['0.5', '0.5'].map(dec))).toEqual([]);
    expect(splitProblems(['0.7', '0.5'].map(dec)).join()).toMatch(/add up to 1.2/);
    expect(splitProblems([dec('-0.1')]).join()).toMatch(/between 0 and 1/);
    expect(splitProblems([]).join()).toMatch(/at least one/);
  });
});
