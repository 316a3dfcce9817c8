import { describe, expect, it } from 'vitest';
import { annualisedSharpe, equityReturns, periodsPerYear, ReturnSeries, StreamingDrawdown } from '../../../src/domain/backtest/metrics.js';
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

describe('streamed metrics equal the batch ones', () => {
  // A hand-made curve (from an initial 100) with two peaks, a repeated value, a fall equal to the
  // deepest one (a tie keeps the first) and a step to zero and back.
  const initial = dec('100');
  const curve = ['101', '99.5', '99.5', '103', '97', '98', '103', '110', '104', '104.5', '0', '5', '111'].map(dec);

  it('streams the same returns and Sharpe, to the last bit', () => {
    const series = new ReturnSeries(initial.toNumber(), 4);
    for (const v of curve) series.push(v.toNumber());
    const batch = equityReturns([initial, ...curve]);
    // 13 values, one step from zero skipped: 12 returns.
    expect(series.length).toBe(12);
    expect(batch).toHaveLength(12);
    expect(series.sharpe(365)).toBe(annualisedSharpe(batch, 365));
    expect(series.sharpe(365)).not.toBeNull();
  });

  it('streams the same max drawdown, exactly, whether every value is added or only those it asks for', () => {
    const batch = maxDrawdown([initial, ...curve]);
    // 110 → 0 is the deepest fall (all of it).
    expect([batch.amount.toFixed(), batch.fraction]).toEqual(['110', 1]);
    const every = new StreamingDrawdown(initial);
    for (const v of curve) every.add(v);
    const asked = new StreamingDrawdown(initial);
    let skipped = 0;
    for (const v of curve) {
      if (asked.needsExact(v.toNumber())) asked.add(v);
      else skipped++;
    }
    // Fed the numbers as a run marks them (off the exact value in the last bits, here by ±1e-13).
    const fed = new StreamingDrawdown(initial);
    curve.forEach((v, i) => {
      const approx = v.toNumber() * (1 + ((i % 3) - 1) * 1e-13);
      if (fed.needsExact(approx)) fed.add(v, approx);
    });
    for (const d of [every, asked, fed]) {
      expect(d.amount.toFixed()).toBe(batch.amount.toFixed());
      expect(d.fraction).toBe(batch.fraction);
    }
    expect(skipped, 'values that could be neither a peak nor the deepest fall were skipped').toBeGreaterThan(0);
  });

  it('keeps the first of two equal deepest falls and its fraction, like the batch function', () => {
    const values = ['120', '90', '150', '120'].map(dec);
    const batch = maxDrawdown([initial, ...values]);
    const d = new StreamingDrawdown(initial);
    for (const v of values) if (d.needsExact(v.toNumber())) d.add(v);
    expect([d.amount.toFixed(), d.fraction]).toEqual([batch.amount.toFixed(), batch.fraction]);
    expect(d.fraction).toBeCloseTo(30 / 120, 12);
  });

  it('asks for the exact value of anything near the peak or near the deepest fall', () => {
    const d = new StreamingDrawdown(dec('1000'));
    d.add(dec('900'));
    expect(d.needsExact(999.9999999), 'within the tolerance of the peak').toBe(true);
    expect(d.needsExact(999.99), 'just under the peak, below the deepest fall: skipped').toBe(false);
    expect(d.needsExact(900.0000001), 'next to the deepest fall').toBe(true);
    expect(d.needsExact(950), 'half way').toBe(false);
  });

  it('takes values as their parts (cash + position × close) and gives the batch result exactly, lazy peaks and falls included', () => {
    // A seeded walk of a run that buys, holds, sells and sits flat: new peaks and new deepest falls
    // far apart (kept as parts), values within a hair of the peak or of the deepest fall (added
    // exactly), the same parts repeated (flat), and closes to 8 decimals so the numbers are inexact.
    let seed = 7;
    const random = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const start = dec('10000');
    let cash = start;
    let position = dec('0');
    let close = dec('60000');
    const parts: Array<[typeof cash, typeof cash, typeof cash]> = [];
    for (let i = 0; i < 3000; i++) {
      close = close.mul(dec(1 + (random() - 0.5) * 0.02)).toDecimalPlaces(8);
      if (i % 500 === 100) {
        position = cash.div(close).toDecimalPlaces(5, 1);
        cash = cash.sub(position.mul(close));
      } else if (i % 500 === 400) {
        cash = cash.add(position.mul(close));
        position = dec('0');
      }
      parts.push([cash, position, close]);
    }
    // A value equal to the peak (not a new one), then a hair below the deepest fall, then equal to it.
    const values = parts.map(([c, p, k]) => c.add(p.mul(k)));
    const batchBefore = maxDrawdown([start, ...values]);
    const peakValue = values.reduce((a, b) => (b.gt(a) ? b : a), start);
    const deepest = peakValue.sub(batchBefore.amount);
    for (const v of [peakValue, deepest.add(dec('1e-9')), deepest, deepest.sub(dec('1e-9'))]) {
      parts.push([v, dec('0'), dec('0')]);
      values.push(v);
    }
    const batch = maxDrawdown([start, ...values]);
    const d = new StreamingDrawdown(start);
    let exactOnly = 0;
    const counted = new StreamingDrawdown(start);
    parts.forEach(([c, p, k], i) => {
      const approx = c.toNumber() + p.toNumber() * k.toNumber();
      d.addMarked(approx, c, p, k);
      if (counted.needsExact(approx)) exactOnly++;
      counted.add(values[i]!, approx);
    });
    expect(d.amount.toFixed(), 'the same amount to the last digit').toBe(batch.amount.toFixed());
    expect(d.fraction).toBe(batch.fraction);
    expect(batch.amount.gt(0) && batch.amount.toFixed().length > 10, 'a real, inexact drawdown').toBe(true);
    expect(exactOnly, 'the walk has values the numbers cannot place').toBeGreaterThan(0);
  });

  it('ignores the same parts given again and keeps the first of two equal deepest falls', () => {
    const d = new StreamingDrawdown(dec('100'));
    const cash = dec('90');
    for (let i = 0; i < 3; i++) d.addMarked(90, cash, dec('0'), dec(i + 1));
    // Holding: the same cash and position objects at another close are another value.
    const rest = dec('50');
    const held = dec('1');
    d.addMarked(150, rest, held, dec('100'));
    d.addMarked(120, rest, held, dec('70'));
    const batch = maxDrawdown(['100', '90', '150', '120'].map(dec));
    expect([d.amount.toFixed(), d.fraction]).toEqual([batch.amount.toFixed(), batch.fraction]);
    expect(d.fraction).toBeCloseTo(30 / 150, 12);
  });
});
