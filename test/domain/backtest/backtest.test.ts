import { describe, expect, it } from 'vitest';
import { runBacktest, type BacktestResult } from '../../../src/domain/backtest/backtest.js';
import { dec } from '../../../src/domain/money.js';
import { annualisedSharpe, equityReturns, periodsPerYear } from '../../../src/domain/backtest/metrics.js';
import { maxDrawdown } from '../../../src/domain/risk.js';
import { parseStrategyParams } from '../../../src/domain/strategy/kernel.js';
import { momentumStrategy } from '../../../src/domain/strategy/momentum.js';
import { candles, closesToCandles, plain, scripted, TST_USDT } from '../strategy/fixtures.js';
import { expectDec, unwrap } from '../trading-fixtures.js';

const BASE = { market: TST_USDT, initialCash: dec(1000), feeBps: 10, slippageBps: 20 };

describe('runBacktest: a hand-computed run', () => {
  // Six hourly candles; the script buys 2 at market on candle 1's close and sells 2 on candle 3's.
  // Fee 10 bps, slippage 20 bps, tick 0.01, cash 1000.
  // c2: buy fills at c2's open 102 × 1.002 = 102.204 → tick up → 102.21; notional 204.42, fee 0.20442;
  //     cash 1000 − 204.42 − 0.20442 = 795.37558; equity at close 105: 795.37558 + 210 = 1005.37558.
  // c3: equity at close 104: 795.37558 + 208 = 1003.37558 (a drawdown of 2 from 1005.37558).
  // c4: sell fills at c4's open 109 × 0.998 = 108.782 → tick down → 108.78; notional 217.56, fee 0.21756;
  //     cash 795.37558 + 217.56 − 0.21756 = 1012.71802; flat from here.
  // Round trip: 217.56 − 0.21756 − (204.42 + 0.20442) = 12.71802, a win.
  // Buy-and-hold: c0's open 100 × 1.002 = 100.2; quantity 1000 / (100.2 × 1.001) = 9.97006… → 9.970;
  //     notional 998.994, fee 0.998994, cash left 0.007006; at the last close 101.5: 0.007006 + 1011.955 = 1011.962006.
  const series = candles([
    [100, 101, 99, 100],
    [100, 103, 99, 102],
    [102, 106, 101, 105],
    [105, 110, 103, 104],
    [109, 109, 100, 101],
    [101, 102, 100, 101.5],
  ]);
  const script = scripted(({ candles: window }) => {
    if (window.length === 2) return { orders: [{ side: 'buy', type: 'market', quantity: dec(2), tag: 'in' }] };
    if (window.length === 4) return { orders: [{ side: 'sell', type: 'market', quantity: dec(2), tag: 'out' }] };
    return {};
  });
  const result = unwrap(runBacktest({ ...BASE, strategy: script, params: {}, candles: series }));

  it('fills the buy at the next open plus slippage and the sell likewise, with fees', () => {
    expect(result.fills.map((f) => [f.index, f.side, plain(f.price), plain(f.quantity), plain(f.fee), f.liquidity, f.tag])).toEqual([
      [2, 'buy', '102.21', '2', '0.20442', 'taker', 'in'],
      [4, 'sell', '108.78', '2', '0.21756', 'taker', 'out'],
    ]);
  });

  it('marks equity at every close', () => {
    expect(result.equity.toArray().map(plain), 'equity per candle').toEqual(['1000', '1000', '1005.37558', '1003.37558', '1012.71802', '1012.71802']);
    expectDec(result.cash, '1012.71802', 'cash after the round trip');
    expectDec(result.position, '0', 'flat at the end');
  });

  it('reports P&L, return, fees, win rate and drawdown', () => {
    const m = result.metrics;
    expectDec(m.totalPnl, '12.71802', 'total P&L');
    expectDec(m.returnPct, '1.271802', 'return in percent');
    expectDec(m.fees, '0.42198', 'fees paid');
    expect(m.trades, 'two fills').toBe(2);
    expect(m.roundTrips, 'one sell').toBe(1);
    expect(m.winRate, 'the one round trip won').toBe(1);
    expectDec(result.closedTrades[0]!.netPnl, '12.71802', 'net P&L of the round trip');
    expectDec(m.maxDrawdown, '2', 'from 1005.37558 down to 1003.37558');
    expect(m.maxDrawdownFraction).toBeCloseTo(2 / 1005.37558, 12);
  });

  it('shows buy-and-hold over the same window', () => {
    const b = result.buyAndHold;
    expectDec(b.entryPrice, '100.2', 'first open plus slippage');
    expectDec(b.quantity, '9.97', 'all the cash, fee included, rounded down to the step');
    expectDec(b.fee, '0.998994', 'taker fee on 998.994');
    expectDec(b.finalEquity, '1011.962006', 'marked at the last close');
    expectDec(b.pnl, '11.962006', 'buy-and-hold P&L');
    expectDec(b.returnPct, '1.1962006', 'buy-and-hold return in percent');
  });
});

describe('runBacktest: limits, stops, sizing and refusals', () => {
  it('rests a limit below the market and fills it at its own price (maker) when the low reaches it', () => {
    // Decided on c0's close: buy limit 95 for 190 USDT, fee included at the higher of the two rates
    // (taker 10 bps): 190 / (95 × 1.001) = 1.998… → 1.998. c1's low 96 does not reach it; c2's low 94 does.
    const series = candles([[100, 101, 99, 100], [100, 101, 96, 97], [97, 98, 94, 96]]);
    const script = scripted(({ candles: w }) => (w.length === 1 ? { orders: [{ side: 'buy', type: 'limit', price: dec(95), quoteAmount: dec(190) }] } : {}));
    const r = unwrap(runBacktest({ ...BASE, makerFeeBps: 2, strategy: script, params: {}, candles: series }));
    expect(r.fills.map((f) => [f.index, plain(f.price), plain(f.quantity), f.liquidity])).toEqual([[2, '95', '1.998', 'maker']]);
    expectDec(r.fills[0]!.fee, '0.037962', 'maker fee 2 bps of 189.81');
  });

  it('fills a limit that the next open already crosses at that open, as a taker', () => {
    const series = candles([[100, 101, 99, 100], [98, 99, 97, 98]]);
    const script = scripted(({ candles: w }) => (w.length === 1 ? { orders: [{ side: 'buy', type: 'limit', price: dec(99), quantity: dec(1) }] } : {}));
    const r = unwrap(runBacktest({ ...BASE, strategy: script, params: {}, candles: series }));
    expect(r.fills.map((f) => [plain(f.price), f.liquidity])).toEqual([['98', 'taker']]);
  });

  it('fires a stop at its trigger, or at the open when the candle gaps through it, with slippage', () => {
    // Holding 1 bought at c1's open 100 (no slippage, no fee for clarity); stop sell at 95.
    // Case A: c2 opens 97 and trades down to 94: fills at the trigger 95.
    // Case B: c2 opens 90, below the trigger: fills at the open 90.
    for (const [open, expected] of [[97, '95'], [90, '90']] as const) {
      const series = candles([[100, 100, 100, 100], [100, 101, 99, 100], [open, 98, 88, 92]]);
      const script = scripted(({ candles: w }) => {
        if (w.length === 1) return { orders: [{ side: 'buy', type: 'market', quantity: dec(1) }] };
        if (w.length === 2) return { orders: [{ side: 'sell', type: 'stop', triggerPrice: dec(95), quantity: dec(1), tag: 'stop' }] };
        return {};
      });
      const r = unwrap(runBacktest({ ...BASE, feeBps: 0, slippageBps: 0, strategy: script, params: {}, candles: series }));
      expect(r.fills.map((f) => [f.index, f.side, plain(f.price)]), `open ${open}`).toEqual([[1, 'buy', '100'], [2, 'sell', expected]]);
    }
  });

  it('refuses a buy the cash cannot pay and a sell of more than is held, and keeps orders decided on the last candle open', () => {
    const series = candles([[100, 100, 100, 100], [100, 100, 100, 100], [100, 100, 100, 100]]);
    const script = scripted(({ candles: w }) => {
      if (w.length === 1) return { orders: [{ side: 'buy', type: 'market', quantity: dec(20), tag: 'too-big' }, { side: 'sell', type: 'market', quantity: dec(1), tag: 'naked' }] };
      if (w.length === 3) return { orders: [{ side: 'buy', type: 'limit', price: dec(50), quantity: dec(1), tag: 'late' }] };
      return {};
    });
    const r = unwrap(runBacktest({ ...BASE, feeBps: 0, slippageBps: 0, strategy: script, params: {}, candles: series }));
    expect(r.fills, 'nothing fills').toEqual([]);
    expect(r.rejections.map((x) => [x.index, x.tag, x.reason])).toEqual([
      [1, 'too-big', 'not enough cash: 2000 USDT needed, 1000 free'],
      [1, 'naked', 'sells 1 TST but holds 0'],
    ]);
    expect(r.openOrders.map((o) => o.tag), 'decided on the last close, never met a candle').toEqual(['late']);
  });

  it('rounds a base quantity down to the step and refuses what ends below the market minimum', () => {
    const series = candles([[100, 100, 100, 100], [100, 100, 100, 100]]);
    const script = scripted(({ candles: w }) => (w.length === 1
      ? { orders: [{ side: 'buy', type: 'market', quantity: dec('0.0009'), tag: 'dust' }, { side: 'buy', type: 'market', quantity: dec('0.0259'), tag: 'ok' }] }
      : {}));
    const r = unwrap(runBacktest({ ...BASE, feeBps: 0, slippageBps: 0, strategy: script, params: {}, candles: series }));
    expect(r.rejections.map((x) => [x.tag, x.reason])).toEqual([['dust', '0 TST at 100 is below the market minimum (0.001 TST, 1 USDT)']]);
    expect(r.fills.map((f) => [f.tag, plain(f.quantity)]), '0.0259 → 0.025 on a 0.001 step').toEqual([['ok', '0.025']]);
  });

  it('refuses a malformed intent with the reason, and a cancel by tag removes a working order', () => {
    const series = candles([[100, 100, 100, 100], [100, 100, 100, 100], [100, 100, 40, 100]]);
    const script = scripted(({ candles: w }) => {
      if (w.length === 1) return { orders: [{ side: 'buy', type: 'limit', quantity: dec(1), tag: 'no-price' }, { side: 'buy', type: 'limit', price: dec(50), quantity: dec(1), tag: 'bid' }] };
      if (w.length === 2) return { cancelTags: ['bid'] };
      return {};
    });
    const r = unwrap(runBacktest({ ...BASE, strategy: script, params: {}, candles: series }));
    expect(r.rejections.map((x) => x.reason)).toEqual(['order no-price: a limit order needs a price above zero']);
    expect(r.fills, 'the cancelled bid at 50 does not fill when c2 trades down to 40').toEqual([]);
  });

  it('refuses to run without candles or with candles out of order', () => {
    const none = runBacktest({ ...BASE, strategy: scripted(() => ({})), params: {}, candles: [] });
    expect(none.ok ? '' : none.error.message).toBe('cannot run the backtest: there are no candles to run over; load or backfill candles for the window first');
    const series = candles([[1, 1, 1, 1], [1, 1, 1, 1]]);
    const swapped = [series[1]!, series[0]!];
    const bad = runBacktest({ ...BASE, strategy: scripted(() => ({})), params: {}, candles: swapped });
    expect(bad.ok ? '' : bad.error.message).toMatch(/^cannot run the backtest: candles must be in time order without repeats: candle 1/);
  });
});

describe('runBacktest: win rate over several round trips', () => {
  it('counts each sell against the average cost: two wins and a loss give 2/3', () => {
    // No fees or slippage. Buy 1 at 100, sell at 110 (+10); buy 1 at 110, sell at 105 (−5); buy at 105, sell at 120 (+15).
    const opens = [100, 100, 110, 110, 105, 105, 120, 120];
    const series = candles(opens.map((o) => [o, o, o, o] as const));
    const script = scripted(({ candles: w }) => {
      const i = w.length - 1;
      if (i >= 6) return {};
      return { orders: [{ side: i % 2 === 0 ? 'buy' : 'sell', type: 'market', quantity: dec(1) }] };
    });
    const r = unwrap(runBacktest({ ...BASE, feeBps: 0, slippageBps: 0, strategy: script, params: {}, candles: series }));
    expect(r.closedTrades.map((t) => plain(t.netPnl))).toEqual(['10', '-5', '15']);
    expect(r.metrics.winRate).toBeCloseTo(2 / 3, 12);
    expectDec(r.metrics.totalPnl, '20', '10 − 5 + 15');
  });
});

describe('runBacktest: determinism', () => {
  it('gives the same fills, equity and metrics for the same input', () => {
    // A deterministic zig-zag with drift (a linear congruential generator, fixed seed).
    let seed = 42;
    const closes: number[] = [];
    let price = 100;
    for (let i = 0; i < 400; i++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      price = Math.max(10, price + ((seed / 2 ** 31) - 0.48) * 4);
      closes.push(Math.round(price * 100) / 100);
    }
    const series = closesToCandles(closes, 0.8);
    const params = unwrap(parseStrategyParams(momentumStrategy, { fast: 5, slow: 20, atrPeriod: 10, atrMultiplier: 2 }));
    const run = (): BacktestResult => unwrap(runBacktest({ ...BASE, strategy: momentumStrategy, params, candles: series }));
    const show = (r: BacktestResult): unknown => ({
      fills: r.fills.map((f) => [f.index, f.side, plain(f.price), plain(f.quantity), plain(f.fee)]),
      equity: r.equity.toArray().map(plain),
      pnl: plain(r.metrics.totalPnl),
      sharpe: r.metrics.sharpe,
    });
    const first = run();
    expect(first.fills.length, 'the run trades at all (a run with no fills would prove nothing)').toBeGreaterThan(4);
    expect(show(run())).toEqual(show(first));
  });
});

describe('runBacktest: streamed metrics', () => {
  it('equal the batch metrics over the equity curve it returns', () => {
    let seed = 7;
    const closes: number[] = [];
    let price = 100;
    for (let i = 0; i < 600; i++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      price = Math.max(10, price + ((seed / 2 ** 31) - 0.5) * 3);
      closes.push(Math.round(price * 100) / 100);
    }
    const series = closesToCandles(closes, 0.8);
    const params = unwrap(parseStrategyParams(momentumStrategy, { fast: 5, slow: 20, atrPeriod: 10, atrMultiplier: 2 }));
    const r = unwrap(runBacktest({ ...BASE, strategy: momentumStrategy, params, candles: series }));
    expect(r.fills.length, 'the run trades').toBeGreaterThan(4);
    expect(r.equity).toHaveLength(series.length);
    const curve = [BASE.initialCash, ...r.equity.toArray()];
    const batch = maxDrawdown(curve);
    expect(plain(r.metrics.maxDrawdown)).toBe(plain(batch.amount));
    expect(r.metrics.maxDrawdownFraction).toBe(batch.fraction);
    expect(batch.amount.gt(0)).toBe(true);
    expect(plain(r.metrics.finalEquity)).toBe(plain(r.equity.last()!));
    // Returns are taken from numbers marked without decimals: equal to the decimal curve's to 12 places.
    const sharpe = annualisedSharpe(equityReturns(curve), periodsPerYear(3_600_000));
    expect(r.metrics.sharpe).not.toBeNull();
    expect(r.metrics.sharpe!).toBeCloseTo(sharpe!, 12);
    // The curve is the cash and position after each fill, marked at each close.
    let cash = BASE.initialCash;
    let position = dec(0);
    const byCandle = new Map<number, typeof r.fills>();
    for (const f of r.fills) byCandle.set(f.index, [...(byCandle.get(f.index) ?? []), f]);
    const marked = series.map((c, t) => {
      for (const f of byCandle.get(t) ?? []) {
        cash = f.side === 'buy' ? cash.sub(f.notional).sub(f.fee) : cash.add(f.notional).sub(f.fee);
        position = f.side === 'buy' ? position.add(f.quantity) : position.sub(f.quantity);
      }
      return plain(cash.add(position.mul(c.close)));
    });
    expect(r.equity.toArray().map(plain)).toEqual(marked);
  });
});

describe('runBacktest: closes given as numbers', () => {
  it('gives the same run as converting them itself, and ignores an array of the wrong length', () => {
    const series = closesToCandles([100, 101, 103, 99, 97, 102, 108, 104, 101, 99, 103, 107, 111, 106, 102, 98, 95, 99, 104, 109], 0.8);
    const params = unwrap(parseStrategyParams(momentumStrategy, { fast: 2, slow: 5, atrPeriod: 3, atrMultiplier: 2 }));
    const show = (r: BacktestResult): string => JSON.stringify({ fills: r.fills.map((f) => [f.index, f.side, plain(f.price), plain(f.quantity)]), equity: r.equity.toArray().map(plain), sharpe: r.metrics.sharpe, dd: plain(r.metrics.maxDrawdown) });
    const plainRun = unwrap(runBacktest({ ...BASE, strategy: momentumStrategy, params, candles: series }));
    const closeNumbers = Float64Array.from(series, (c) => c.close.toNumber());
    const given = unwrap(runBacktest({ ...BASE, strategy: momentumStrategy, params, candles: series, closeNumbers }));
    const wrong = unwrap(runBacktest({ ...BASE, strategy: momentumStrategy, params, candles: series, closeNumbers: closeNumbers.subarray(1) }));
    expect(plainRun.fills.length, 'the run trades').toBeGreaterThan(0);
    expect(show(given)).toBe(show(plainRun));
    expect(show(wrong)).toBe(show(plainRun));
  });
});
