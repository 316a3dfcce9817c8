import { describe, expect, it } from 'vitest';
import { annualisedSharpe, equityReturns, periodsPerYear } from '../../../src/domain/backtest/metrics.js';
import { dec } from '../../../src/domain/money.js';
import { maxDrawdown } from '../../../src/domain/risk.js';

describe('backtest metrics on a known equity series', () => {
  const equity = ['100', '101', '99.99', '101.9898'].map(dec);

  it('takes simple returns between consecutive values', () => {
    // 101 / 100 − 1 = 0.01; 99.99 / 101 − 1 = −0.01; 101.9898 / 99.99 − 1 = 0.02. Returns are
    // statistics, divided as numbers: equal to those to 12 places, not to the last bit.
    const returns = equityReturns(equity);
    expect(returns).toHaveLength(3);
    [0.01, -0.01, 0.02].forEach((r, i) => expect(returns[i], `return ${i + 1}`).toBeCloseTo(r, 12));
  });

  it('gives a repeated value (a flat run marking its cash) a zero return and skips steps from zero', () => {
    const cash = dec('100');
    // 100 → 100: 0; 100 → 110: 0.1; 110 → 0: −1; 0 → 5: skipped (no return from nothing).
    const returns = equityReturns([cash, cash, dec('110'), dec('0'), dec('5')]);
    expect(returns).toHaveLength(3);
    [0, 0.1, -1].forEach((r, i) => expect(returns[i], `return ${i + 1}`).toBeCloseTo(r, 12));
  });

  it('annualises Sharpe from the candle interval', () => {
    // mean = 0.02 / 3 = 0.0066667; deviations 1/300, −5/300, 4/300; squares sum 42 / 90000;
    // sample variance 21 / 90000 → sd 0.0152753; mean / sd = 0.4364358.
    // Hourly candles: 365 × 24 = 8760 a year → × √8760 (93.5949) = 40.84815; daily: × √365 = 8.33809.
    expect(periodsPerYear(3_600_000)).toBe(8760);
    expect(annualisedSharpe(equityReturns(equity), periodsPerYear(3_600_000))).toBeCloseTo(40.84815, 4);
    expect(annualisedSharpe(equityReturns(equity), periodsPerYear(86_400_000))).toBeCloseTo(8.33809, 4);
  });

  it('has no Sharpe without variation or with fewer than two returns', () => {
    expect(annualisedSharpe([0.01, 0.01, 0.01], 365), 'no variation').toBeNull();
    expect(annualisedSharpe([0.01], 365), 'one return').toBeNull();
    expect(() => periodsPerYear(0)).toThrow('intervalMs must be a positive number of milliseconds, got 0');
  });

  it('finds the deepest fall from a running peak', () => {
    // Peaks 120 then 130; the deepest fall is 120 → 80 = 40 (a third of the peak), not 130 → anything.
    const d = maxDrawdown(['100', '120', '90', '110', '80', '130', '125'].map(dec));
    expect([d.amount.toFixed(), d.peakIndex, d.troughIndex]).toEqual(['40', 1, 4]);
    expect(d.fraction).toBeCloseTo(1 / 3, 12);
  });
});
