import { describe, expect, it } from 'vitest';
import { runBacktest } from '../../../src/domain/backtest/backtest.js';
import { dec } from '../../../src/domain/money.js';
import { parseStrategyParams } from '../../../src/domain/strategy/kernel.js';
import { momentumStrategy } from '../../../src/domain/strategy/momentum.js';
import type { Candle } from '../../../src/domain/ports.js';
import { candles, plain, TST_USDT } from './fixtures.js';
import { unwrap } from '../trading-fixtures.js';

// EMA 2 (k = 2/3, seeded at c1 with the average of c0–c1), EMA 3 (k = 1/2, seeded at c2), ATR 2
// (Wilder, first value at c2 = average of the true ranges of c1 and c2). No fees or slippage; 1000 cash.
//        O   H   L   C    EMA2     EMA3     spread   TR  ATR
// c0    10  11   9  10      –        –        –       –   –
// c1    10  11   9  10     10        –        –       2   –
// c2    10  11   9  10     10       10        0       2   2
// c3    10  14  10  13     12       11.5     +0.5     4   3    crossed up → buy with all the cash
// c4    13  15  12  14     13.333   12.75    +0.583   3   3    bought 1000 / 13 = 76.923 at 13; stop 14 − 1 × 3 = 11
// c5    14  16  13  15     14.444   13.875   +0.569   3   3    stop raised to 15 − 3 = 12
const rising: ReadonlyArray<readonly [number, number, number, number]> = [
  [10, 11, 9, 10], [10, 11, 9, 10], [10, 11, 9, 10], [10, 14, 10, 13], [13, 15, 12, 14], [14, 16, 13, 15],
];

function run(series: Candle[], atrMultiplier: number): ReturnType<typeof runBacktest> {
  const params = unwrap(parseStrategyParams(momentumStrategy, { fast: 2, slow: 3, atrPeriod: 2, atrMultiplier }));
  return runBacktest({ market: TST_USDT, initialCash: dec(1000), feeBps: 0, slippageBps: 0, strategy: momentumStrategy, params, candles: series });
}

describe('momentum strategy', () => {
  it('enters on the EMA cross, trails an ATR stop upwards, and is stopped out', () => {
    // c6 opens 15 and trades down to 11: the stop at 12 fills at 12. 76.923 × (12 − 13) = −76.923.
    const r = unwrap(run(candles([...rising, [15, 15, 11, 11.5]]), 1));
    expect(r.fills.map((f) => [f.index, f.side, f.type, plain(f.price), plain(f.quantity), f.tag])).toEqual([
      [4, 'buy', 'market', '13', '76.923', 'momentum-entry'],
      [6, 'sell', 'stop', '12', '76.923', 'momentum-stop'],
    ]);
    expect(r.notes.map((n) => [n.index, n.text])).toEqual([
      [3, 'EMA 2 crossed above EMA 3: buying'],
      [4, 'stop set to 11'],
      [5, 'stop raised to 12'],
    ]);
    expect(r.closedTrades.map((t) => plain(t.netPnl))).toEqual(['-76.923']);
    expect(r.openOrders, 'nothing left working').toEqual([]);
  });

  it('exits at market on the cross back down, cancelling its stop first', () => {
    // c6 closes 12.6 (low 12.5, above the stop): EMA2 = 12.6 × 2/3 + 14.444 / 3 = 13.215,
    // EMA3 = 12.6 / 2 + 13.875 / 2 = 13.2375: crossed down → cancel the stop, sell at c7's open 12.5.
    // Had the stop at 12 stayed, it would have filled first on c7 (low 12) and the market sell been refused.
    const r = unwrap(run(candles([...rising, [15, 15, 12.5, 12.6], [12.5, 13, 12, 12.2]]), 1));
    expect(r.fills.map((f) => [f.index, f.side, f.type, plain(f.price), f.tag])).toEqual([
      [4, 'buy', 'market', '13', 'momentum-entry'],
      [7, 'sell', 'market', '12.5', 'momentum-exit'],
    ]);
    expect(r.rejections).toEqual([]);
    expect(r.notes.at(-1)?.text).toBe('EMA 2 crossed below EMA 3: selling');
  });

  it('places no stop below zero (a wide multiple on a cheap market) and still exits on the cross', () => {
    const r = unwrap(run(candles([...rising, [15, 15, 11, 11.5], [11, 12, 10, 11]]), 10));
    expect(r.fills.map((f) => [f.index, f.side, f.type, plain(f.price)])).toEqual([[4, 'buy', 'market', '13'], [7, 'sell', 'market', '11']]);
    expect(r.notes.some((n) => n.text.startsWith('stop')), 'close − 10 × ATR is below zero every time').toBe(false);
  });
});
