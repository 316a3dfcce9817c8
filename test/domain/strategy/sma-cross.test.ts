import { describe, expect, it } from 'vitest';
import { runBacktest } from '../../../src/domain/backtest/backtest.js';
import { dec } from '../../../src/domain/money.js';
import { parseStrategyParams } from '../../../src/domain/strategy/kernel.js';
import { smaCrossStrategy } from '../../../src/domain/strategy/sma-cross.js';
import { closesToCandles, plain, TST_USDT } from './fixtures.js';
import { errorOf, unwrap } from '../trading-fixtures.js';

describe('smaCrossStrategy', () => {
  it('buys on the cross up and sells everything on the cross down (hand-computed, SMA 2 over SMA 3)', () => {
    // Closes 10 10 10 12 14 12 8 8. c2: fast 10 = slow 10 (first spread, never a cross). c3: fast 11 >
    // slow 10.667 → cross up → buy at c4's open 12: 1000 / 12 → 83.333 for 999.996. c4, c5: still above.
    // c6: fast 10 < slow 11.333 → cross down → sell 83.333 at c7's open 8 = 666.664; cash 666.668.
    const params = unwrap(parseStrategyParams(smaCrossStrategy, { fast: 2, slow: 3 }));
    const r = unwrap(runBacktest({ market: TST_USDT, initialCash: dec(1000), feeBps: 0, slippageBps: 0, strategy: smaCrossStrategy, params, candles: closesToCandles([10, 10, 10, 12, 14, 12, 8, 8]) }));
    expect(r.fills.map((f) => [f.index, f.side, plain(f.price), plain(f.quantity), f.tag])).toEqual([
      [4, 'buy', '12', '83.333', 'sma-entry'],
      [7, 'sell', '8', '83.333', 'sma-exit'],
    ]);
    expect(plain(r.cash), 'cash after the round trip').toBe('666.668');
  });

  it('refuses a fast period not below the slow one and unknown parameters', () => {
    expect(errorOf(parseStrategyParams(smaCrossStrategy, { fast: 50, slow: 50 })).message).toMatch(/slow: slow must be longer than fast/);
    expect(errorOf(parseStrategyParams(smaCrossStrategy, { fast: 5, window: 3 })).message).toMatch(/unknown parameter "window"; sma_cross takes fast, slow, allocation/);
    const defaults = unwrap(parseStrategyParams(smaCrossStrategy, {}));
    expect([defaults.fast, defaults.slow, plain(defaults.allocation)]).toEqual([10, 50, '1']);
  });
});
