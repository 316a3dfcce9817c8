import { describe, expect, it } from 'vitest';
import { EquitySegments, equityCurve } from '../../../src/domain/backtest/equity-curve.js';
import { dec } from '../../../src/domain/money.js';
import { candles, plain } from '../strategy/fixtures.js';

describe('EquitySegments', () => {
  // Closes 100, 102, 105, 104, 101, 101.5; cash 1000 flat, then 795.5 + 2 held from candle 2, flat again from 4.
  const series = candles([
    [100, 101, 99, 100],
    [100, 103, 99, 102],
    [102, 106, 101, 105],
    [105, 110, 103, 104],
    [109, 109, 100, 101],
    [101, 102, 100, 101.5],
  ]);
  const segments = new EquitySegments();
  const cash = dec(1000);
  segments.add(0, cash, dec(0));
  segments.add(2, dec('795.5'), dec(2));
  segments.add(4, dec('1012.5'), dec(0));
  const expected = ['1000', '1000', '1005.5', '1003.5', '1012.5', '1012.5'];

  it('marks cash + position × close in order, out of order and repeatedly', () => {
    expect(series.map((_, t) => plain(segments.at(t, series)))).toEqual(expected);
    expect([5, 0, 3, 3, 1, 4, 2].map((t) => plain(segments.at(t, series)))).toEqual(['1012.5', '1000', '1003.5', '1003.5', '1000', '1012.5', '1005.5']);
    expect(segments.at(1, series), 'flat: the cash itself').toBe(cash);
    expect(segments.segments).toBe(3);
  });

  it('replaces a segment added twice for the same candle', () => {
    const s = new EquitySegments();
    s.add(0, dec(10), dec(0));
    s.add(0, dec(20), dec(0));
    expect([s.segments, plain(s.at(0, series))]).toEqual([1, '20']);
  });
});

describe('equityCurve', () => {
  const reads: number[] = [];
  const curve = equityCurve(4, (i) => {
    reads.push(i);
    return dec(i * 10);
  });

  it('reads its values by index, the last one and all of them, computing each when asked', () => {
    expect(reads, 'nothing computed before a read').toEqual([]);
    expect(curve.length).toBe(4);
    expect(plain(curve.at(2))).toBe('20');
    expect(reads).toEqual([2]);
    expect(plain(curve.last()!)).toBe('30');
    expect(curve.toArray().map(plain)).toEqual(['0', '10', '20', '30']);
    expect(() => curve.at(4)).toThrow(RangeError);
    expect(() => curve.at(-1)).toThrow(RangeError);
    expect(() => curve.at(1.5)).toThrow(RangeError);
    expect(equityCurve(0, () => dec(0)).last()).toBeUndefined();
    expect(Object.isFrozen(curve), 'read-only').toBe(true);
  });

  it('downsamples to the first, the last and each bucket\'s low and high in time order', () => {
    // 0, 5, 1, 9, 2, 8, 3, 7, 4, 6 — 10 values into at most 6 points: 2 buckets of 4 inner values.
    const values = [0, 5, 1, 9, 2, 8, 3, 7, 4, 6];
    const c = equityCurve(values.length, (i) => dec(values[i]!));
    const points = c.downsample(6).map((p) => [p.index, plain(p.equity)]);
    // Bucket 1 = indexes 1..4 (5, 1, 9, 2): low 1 at 2, high 9 at 3. Bucket 2 = 5..8 (8, 3, 7, 4): high 8 at 5, low 3 at 6.
    expect(points).toEqual([[0, '0'], [2, '1'], [3, '9'], [5, '8'], [6, '3'], [9, '6']]);
    expect(c.downsample(10), 'short enough: every point').toHaveLength(10);
    expect(() => c.downsample(3)).toThrow(RangeError);
    // A long curve keeps its extremes: the deepest trough survives any bucket size.
    const long = equityCurve(10_000, (i) => dec(i === 6_543 ? -50 : 100 + (i % 7)));
    for (const max of [4, 50, 501]) {
      const pts = long.downsample(max);
      expect(pts.length).toBeLessThanOrEqual(max);
      expect(pts.some((p) => p.index === 6_543), `the trough at ${max} points`).toBe(true);
      expect(pts.map((p) => p.index), 'in time order').toEqual([...pts.map((p) => p.index)].sort((x, y) => x - y));
    }
  });
});
