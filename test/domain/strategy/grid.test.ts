import { describe, expect, it } from 'vitest';
import { runBacktest } from '../../../src/domain/backtest/backtest.js';
import { dec } from '../../../src/domain/money.js';
import { gridStrategy } from '../../../src/domain/strategy/grid.js';
import { parseStrategyParams } from '../../../src/domain/strategy/kernel.js';
import { candles, plain, TST_USDT } from './fixtures.js';
import { expectDec, unwrap } from '../trading-fixtures.js';

describe('grid strategy', () => {
  // Levels 90, 100, 110 (lower 90, upper 110, 3 levels); 900 USDT per level; no fees or slippage.
  // c0 close 100: buy limit at 90 (the only level below the price; 110 only ever sells).
  // c1 low 95: nothing. c2 low 89: the buy fills at 90, 900 / 90 = 10; sell 10 at 100 goes out.
  // c3 high 101: the sell fills at 100 (+100); close 99 > 90, so the buy at 90 is re-armed.
  // c4 low 88: bought again at 90. Cash 10000 − 900 + 1000 − 900 = 9200, holding 10; equity at 89: 10090.
  const series = candles([
    [100, 101, 99, 100],
    [100, 100, 95, 96],
    [96, 97, 89, 92],
    [92, 101, 91, 99],
    [99, 99, 88, 89],
  ]);
  const params = unwrap(parseStrategyParams(gridStrategy, { lower: 90, upper: 110, levels: 3, quotePerLevel: 900 }));
  const r = unwrap(runBacktest({ market: TST_USDT, initialCash: dec(10_000), feeBps: 0, slippageBps: 0, strategy: gridStrategy, params, candles: series }));

  it('spaces the levels evenly from lower to upper', () => {
    expect(gridStrategy.init(params).prices.map(plain)).toEqual(['90', '100', '110']);
    const five = unwrap(parseStrategyParams(gridStrategy, { lower: 60000, upper: 80000, levels: 5, quotePerLevel: 100 }));
    expect(gridStrategy.init(five).prices.map(plain)).toEqual(['60000', '65000', '70000', '75000', '80000']);
  });

  it('buys below, sells one level up, and re-arms the buy after the sell', () => {
    expect(r.fills.map((f) => [f.index, f.side, plain(f.price), plain(f.quantity), f.liquidity, f.tag])).toEqual([
      [2, 'buy', '90', '10', 'maker', 'grid-buy-0'],
      [3, 'sell', '100', '10', 'maker', 'grid-sell-0'],
      [4, 'buy', '90', '10', 'maker', 'grid-buy-0'],
    ]);
    expect(r.openOrders.map((o) => [o.tag, o.side, plain(o.price!)]), 'after the second buy its sell is working').toEqual([['grid-sell-0', 'sell', '100']]);
  });

  it('books each grid step as a round trip', () => {
    expect(r.closedTrades.map((t) => plain(t.netPnl))).toEqual(['100']);
    expectDec(r.cash, '9200', 'cash after buy, sell, buy');
    expectDec(r.equity.at(4), '10090', '9200 + 10 × 89');
    expect(r.notes.map((n) => [n.index, n.text])).toEqual([
      [2, 'bought 10 at level 90; selling it at 100'],
      [3, 'sold 10 at 100; buy at 90 re-armed'],
      [4, 'bought 10 at level 90; selling it at 100'],
    ]);
  });
});
