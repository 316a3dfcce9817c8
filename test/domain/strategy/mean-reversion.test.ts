import { describe, expect, it } from 'vitest';
import { runBacktest } from '../../../src/domain/backtest/backtest.js';
import { dec } from '../../../src/domain/money.js';
import { parseStrategyParams } from '../../../src/domain/strategy/kernel.js';
import { meanReversionStrategy } from '../../../src/domain/strategy/mean-reversion.js';
import { candles, plain, TST_USDT } from './fixtures.js';
import { unwrap } from '../trading-fixtures.js';

// Period 3, population standard deviation. No fees or slippage; 1000 cash.
// c2 window 10, 10, 10: no variation, no signal.
// c3 window 10, 10, 7: mean 9, sd √2 = 1.4142, z = (7 − 9) / 1.4142 = −1.414 → buy when entryZ ≤ 1.414.
// c4 fills at 7: 1000 / 7 = 142.857. Window 10, 7, 8: mean 8.333, sd 1.2472, z = −0.267: below the mean, hold.
// c5 window 7, 8, 9: mean 8, sd 0.8165, z = +1.22 ≥ 0 → sell. c6 fills at 9.5: 142.857 × 2.5 = 357.1425.
const series = candles([
  [10, 10, 10, 10], [10, 10, 10, 10], [10, 10, 10, 10], [10, 10, 7, 7], [7, 8, 7, 8], [8, 9, 8, 9], [9.5, 9.5, 9.5, 9.5],
]);

function run(raw: Record<string, unknown>): ReturnType<typeof runBacktest> {
  const params = unwrap(parseStrategyParams(meanReversionStrategy, raw));
  return runBacktest({ market: TST_USDT, initialCash: dec(1000), feeBps: 0, slippageBps: 0, strategy: meanReversionStrategy, params, candles: series });
}

describe('mean reversion strategy', () => {
  it('buys a close below the band and sells when it is back at the mean', () => {
    const r = unwrap(run({ period: 3, entryZ: 1 }));
    expect(r.fills.map((f) => [f.index, f.side, plain(f.price), plain(f.quantity), f.tag])).toEqual([
      [4, 'buy', '7', '142.857', 'mean-reversion-entry'],
      [6, 'sell', '9.5', '142.857', 'mean-reversion-exit'],
    ]);
    expect(r.closedTrades.map((t) => plain(t.netPnl))).toEqual(['357.1425']);
    expect(r.notes.map((n) => [n.index, n.text])).toEqual([[3, 'z-score -1.41 at or below -1: buying'], [5, 'z-score 1.22 back to 0: selling']]);
  });

  it('does not buy when the close is not far enough below the mean', () => {
    const r = unwrap(run({ period: 3, entryZ: 1.5 }));
    expect(r.fills, 'z = −1.414 is not at or below −1.5').toEqual([]);
  });

  it('exits later with a higher exit z-score', () => {
    // exitZ 1.5: c5's z of 1.22 is not enough; c6 (window 8, 9, 9.5, mean 8.833, sd 0.6236, z = 1.069) neither.
    const r = unwrap(run({ period: 3, entryZ: 1, exitZ: 1.5 }));
    expect(r.fills.map((f) => f.side)).toEqual(['buy']);
    expect(plain(r.position)).toBe('142.857');
  });
});
