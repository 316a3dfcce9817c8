import { describe, expect, it } from 'vitest';
import { walkForwardFolds } from '../../../src/domain/backtest/walk-forward.js';
import { errorOf, unwrap } from '../trading-fixtures.js';

const ranges = (folds: ReturnType<typeof walkForwardFolds>): Array<[number, number, number, number]> =>
  unwrap(folds).map((f) => [f.inSample.start, f.inSample.end, f.outOfSample.start, f.outOfSample.end]);

describe('walkForwardFolds', () => {
  it('rolls: 100 candles, 4 folds at 60% in-sample give 18-candle out-of-sample parts after 28 in-sample candles', () => {
    // O = floor(100 × 0.4 / (0.6 + 4 × 0.4)) = floor(18.18) = 18; I = 100 − 4 × 18 = 28.
    expect(ranges(walkForwardFolds(100, { folds: 4, inSampleFraction: 0.6, mode: 'rolling' })), 'in-sample start/end, out-of-sample start/end').toEqual([
      [0, 28, 28, 46],
      [18, 46, 46, 64],
      [36, 64, 64, 82],
      [54, 82, 82, 100],
    ]);
  });

  it('anchors: the same out-of-sample parts, every in-sample part starting at candle 0', () => {
    expect(ranges(walkForwardFolds(100, { folds: 4, inSampleFraction: 0.6, mode: 'anchored' }))).toEqual([
      [0, 28, 28, 46],
      [0, 46, 46, 64],
      [0, 64, 64, 82],
      [0, 82, 82, 100],
    ]);
  });

  it('cuts exact fractions without losing a candle to floating point', () => {
    // 20 × 0.25 / (0.75 + 2 × 0.25) = 4 exactly; I = 12.
    expect(ranges(walkForwardFolds(20, { folds: 2, inSampleFraction: 0.75, mode: 'rolling' }))).toEqual([
      [0, 12, 12, 16],
      [4, 16, 16, 20],
    ]);
    // 10 × 0.3 = 3.0000000000000004 in binary; one fold of 7 in, 3 out.
    expect(ranges(walkForwardFolds(10, { folds: 1, inSampleFraction: 0.7, mode: 'rolling' }))).toEqual([[0, 7, 7, 10]]);
  });

  it('refuses bad options and windows too short for the folds, saying what to change', () => {
    expect(errorOf(walkForwardFolds(100, { folds: 0, inSampleFraction: 0.5, mode: 'rolling' })).message).toMatch(/folds must be a whole number from 1 to 50, got 0/);
    expect(errorOf(walkForwardFolds(100, { folds: 2, inSampleFraction: 1, mode: 'rolling' })).message).toMatch(/in-sample fraction must be between 0 and 1/);
    expect(errorOf(walkForwardFolds(100, { folds: 2, inSampleFraction: 0.5, mode: 'sliding' as 'rolling' })).message).toMatch(/rolling or anchored/);
    // O = floor(5 × 0.5 / (0.5 + 1.5)) = 1 < 2.
    expect(errorOf(walkForwardFolds(5, { folds: 3, inSampleFraction: 0.5, mode: 'rolling' })).message).toBe(
      '5 candles are too few for 3 folds at 50% in-sample: each part needs at least 2 candles; use a longer window or fewer folds',
    );
  });
});
