import { describe, expect, it } from 'vitest';
import { runBacktest } from '../../../src/domain/backtest/backtest.js';
import { dec } from '../../../src/domain/money.js';
import { dcaStrategy } from '../../../src/domain/strategy/dca.js';
import { parseStrategyParams } from '../../../src/domain/strategy/kernel.js';
import { candles, plain, TST_USDT } from './fixtures.js';
import { unwrap } from '../trading-fixtures.js';

describe('DCA strategy', () => {
  // 100 USDT every 3 candles, an extra 100 when a close is 10% below the last buy, take profit at 20%
  // over the average cost. No fees or slippage; every buy fills at the next open.
  // c0: scheduled buy. c1: fills at 100 → 1; close 95 is not 10% below 100.
  // c2: close 88 ≤ 90 → dip buy. c3: fills at open 80 → 100 / 80 = 1.25; scheduled buy (index 3).
  // c4: fills at 100 → 1. Holding 3.25 for 300: average 92.3077; target × 1.2 = 110.769; close 110 is short.
  // c5: close 112 ≥ 110.769 → sell all 3.25. c6: sold at open 115 → 373.75; P&L 73.75; scheduled buy (index 6).
  const series = candles([
    [100, 100, 100, 100],
    [100, 100, 94, 95],
    [95, 95, 88, 88],
    [80, 83, 79, 82],
    [100, 110, 100, 110],
    [110, 112, 109, 112],
    [115, 116, 114, 115],
  ]);
  const params = unwrap(parseStrategyParams(dcaStrategy, { quoteAmount: '100', every: 3, dipPercent: 10, takeProfitPercent: 20 }));
  const r = unwrap(runBacktest({ market: TST_USDT, initialCash: dec(1000), feeBps: 0, slippageBps: 0, strategy: dcaStrategy, params, candles: series }));

  it('buys on schedule, buys the dip, and takes profit on the average cost', () => {
    expect(r.fills.map((f) => [f.index, f.side, plain(f.price), plain(f.quantity), f.tag])).toEqual([
      [1, 'buy', '100', '1', 'dca'],
      [3, 'buy', '80', '1.25', 'dca-dip'],
      [4, 'buy', '100', '1', 'dca'],
      [6, 'sell', '115', '3.25', 'dca-take-profit'],
    ]);
    expect(r.closedTrades.map((t) => plain(t.netPnl))).toEqual(['73.75']);
    expect(r.openOrders.map((o) => o.tag), 'the schedule carries on after the take-profit').toEqual(['dca']);
  });

  it('explains the dip buy and the take-profit', () => {
    expect(r.notes.map((n) => [n.index, n.text])).toEqual([
      [2, 'close 88 is 10% or more below the last buy at 100: buying the dip'],
      [5, 'close 112 is at least 20% above the average cost 92.30769231: taking profit'],
    ]);
  });

  it('without dip or take-profit only buys on schedule and spends at most the amount, fee included', () => {
    const plainDca = unwrap(parseStrategyParams(dcaStrategy, { quoteAmount: 100, every: 2 }));
    // Fee 10 bps: 100 / (100 × 1.001) = 0.999000… → 0.999 at 100; cost 99.9 + 0.0999 = 99.9999 ≤ 100.
    const run = unwrap(runBacktest({ market: TST_USDT, initialCash: dec(1000), feeBps: 10, slippageBps: 0, strategy: dcaStrategy, params: plainDca, candles: series }));
    expect(run.fills.map((f) => [f.index, plain(f.price), plain(f.quantity)])).toEqual([[1, '100', '0.999'], [3, '80', '1.248'], [5, '110', '0.908']]);
    expect(run.fills.every((f) => f.notional.add(f.fee).lte(100)), 'each buy spends at most 100 with its fee').toBe(true);
  });

  it('refuses a dip amount without a dip percent', () => {
    const e = parseStrategyParams(dcaStrategy, { quoteAmount: 100, dipQuoteAmount: 50 });
    expect(e.ok ? '' : e.error.message).toMatch(/^invalid dca parameters: dipQuoteAmount: dipQuoteAmount needs dipPercent;/);
  });
});
