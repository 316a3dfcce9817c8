import { describe, expect, it } from 'vitest';
import { EquitySegments, lazyArray } from '../../../src/domain/backtest/equity-curve.js';
import { dec, type Dec } from '../../../src/domain/money.js';
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

describe('lazyArray', () => {
  const reads: number[] = [];
  const arr = lazyArray<Dec>(4, (i) => {
    reads.push(i);
    return dec(i * 10);
  });

  it('reads as a read-only array of its values', () => {
    expect(arr.length).toBe(4);
    expect(Array.isArray(arr)).toBe(true);
    expect(plain(arr[2]!)).toBe('20');
    expect(arr[4]).toBeUndefined();
    expect(arr.map(plain)).toEqual(['0', '10', '20', '30']);
    expect(arr.reduce((a, v) => a.add(v), dec(0)).toFixed()).toBe('60');
    expect([...arr].map(plain)).toEqual(['0', '10', '20', '30']);
    expect(JSON.stringify(arr)).toBe('["0","10","20","30"]');
    expect(Object.keys(arr)).toEqual(['0', '1', '2', '3']);
    expect([1 in arr, 4 in arr]).toEqual([true, false]);
    expect(arr[arr.length - 1]!.toFixed()).toBe('30');
    expect(() => {
      (arr as Dec[])[0] = dec(5);
    }).toThrow(TypeError);
    expect(() => (arr as Dec[]).push(dec(5))).toThrow(TypeError);
    expect(arr.length).toBe(4);
  });
});
