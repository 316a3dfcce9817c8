import { describe, expect, it } from 'vitest';
import { runBacktest } from '../../../src/domain/backtest/backtest.js';
import { dec, type Dec } from '../../../src/domain/money.js';
import { CandleWindow, parseStrategyParams, type FillView, type OpenOrderView, type StrategyDecision } from '../../../src/domain/strategy/kernel.js';
import { marketMakingStrategy, type MarketMakingParams } from '../../../src/domain/strategy/market-making.js';
import { candles, closesToCandles, plain, TST_USDT } from './fixtures.js';
import { errorOf, unwrap } from '../trading-fixtures.js';

function params(raw: Record<string, unknown>): MarketMakingParams {
  return unwrap(parseStrategyParams(marketMakingStrategy, raw));
}

/** One decision on a window of candles closing at `closes`, holding `position` with `cash` free. */
function decide(
  p: MarketMakingParams,
  closes: number[],
  book: { position?: number; cash?: number; averageCost?: number; openOrders?: OpenOrderView[]; newFills?: FillView[] } = {},
): StrategyDecision {
  const series = closesToCandles(closes);
  const state = marketMakingStrategy.init(p);
  let decision: StrategyDecision = {};
  for (let t = 0; t < series.length; t++) {
    const position = dec(book.position ?? 0);
    decision = marketMakingStrategy.onCandle({
      params: p,
      state,
      candles: new CandleWindow(series, t),
      portfolio: {
        cash: dec(book.cash ?? 10_000),
        position,
        averageCost: position.gt(0) ? dec(book.averageCost ?? closes[0]!) : null,
        openOrders: book.openOrders ?? [],
        newFills: book.newFills ?? [],
      },
    });
  }
  return decision;
}

const quotes = (d: StrategyDecision): Array<[string | undefined, string, string]> =>
  (d.orders ?? []).map((o) => [o.tag, plain(o.price!), o.quoteAmount !== undefined ? `quote ${plain(o.quoteAmount)}` : `base ${plain(o.quantity!)}`]);

const working = (tag: string, side: 'buy' | 'sell', price: string, size: { quoteAmount?: Dec; quantity?: Dec }): OpenOrderView =>
  ({ id: `o-${tag}`, side, type: 'limit', price: dec(price), tag, ...size });

describe('market making parameters', () => {
  it('fills in defaults and takes decimals for money', () => {
    const p = params({ orderSize: '100' });
    expect([plain(p.orderSize), p.maxInventory, p.spreadBps, p.skewBps, p.reference, p.emaPeriod, p.requoteBps, p.stopLossPercent, p.stopCooldown])
      .toEqual(['100', undefined, 50, 25, 'close', 20, 10, undefined, 10]);
  });

  it('refuses unknown parameters, out-of-bounds values and a missing order size', () => {
    expect(errorOf(parseStrategyParams(marketMakingStrategy, { orderSize: 100, spread: 20 })).message).toBe(
      'invalid market_making parameters: unknown parameter "spread"; market_making takes orderSize, maxInventory, spreadBps, skewBps, reference, emaPeriod, requoteBps, stopLossPercent, stopCooldown',
    );
    expect(errorOf(parseStrategyParams(marketMakingStrategy, { orderSize: 100, spreadBps: 6000 })).message).toMatch(/^invalid market_making parameters: spreadBps: spreadBps must be at most 5000;/);
    expect(errorOf(parseStrategyParams(marketMakingStrategy, { orderSize: 100, skewBps: -1 })).message).toMatch(/skewBps: skewBps must be at least 0;/);
    expect(errorOf(parseStrategyParams(marketMakingStrategy, { orderSize: 100, reference: 'vwap' })).message).toMatch(/reference: reference must be "close" or "ema";/);
    expect(errorOf(parseStrategyParams(marketMakingStrategy, { orderSize: 100, stopLossPercent: 100 })).message).toMatch(/stopLossPercent: stopLossPercent must be at most 99, got 100;/);
    expect(errorOf(parseStrategyParams(marketMakingStrategy, { orderSize: '0' })).message).toMatch(/orderSize: orderSize must be greater than 0, got 0;/);
    expect(errorOf(parseStrategyParams(marketMakingStrategy, {})).message).toMatch(/^invalid market_making parameters: orderSize: /);
  });
});

describe('market making quotes', () => {
  // Mid 100, spread 100 bps (50 each side), skew 100 bps at full inventory, max inventory 1000.
  const p = params({ orderSize: 100, maxInventory: 1000, spreadBps: 100, skewBps: 100 });

  it('bids below the mid when flat and has nothing to offer', () => {
    expect(quotes(decide(p, [100]))).toEqual([['mm-bid', '99.5', 'quote 100']]);
  });

  it('quotes both sides around the mid when holding, both shifted down by the inventory skew', () => {
    // Holding 5 = 500 of 1000: skew 50 bps → bid 100 × (1 − 1%) = 99, ask 100 × (1 + 0.5% − 0.5%) = 100.
    expect(quotes(decide(p, [100], { position: 5 }))).toEqual([['mm-bid', '99', 'quote 100'], ['mm-ask', '100', 'quote 100']]);
    // Holding 1 = 100: skew 10 bps → bid 99.4, ask 100.4.
    expect(quotes(decide(p, [100], { position: 1 }))).toEqual([['mm-bid', '99.4', 'quote 100'], ['mm-ask', '100.4', 'quote 100']]);
    // Holding 0.5 is worth 50 at the ask, less than the order size: the ask sells what is held.
    expect(quotes(decide(p, [100], { position: 0.5 }))).toEqual([['mm-bid', '99.45', 'quote 100'], ['mm-ask', '100.45', 'base 0.5']]);
  });

  it('buys less near the maximum and stops buying at it', () => {
    // 9.5 × 100 = 950: room for 50; skew 95 bps → bid 98.55, ask 99.55.
    expect(quotes(decide(p, [100], { position: 9.5 }))).toEqual([['mm-bid', '98.55', 'quote 50'], ['mm-ask', '99.55', 'quote 100']]);
    const full = decide(p, [100], { position: 10 });
    expect(quotes(full), 'at 1000 only the ask, 50 bps below the mid').toEqual([['mm-ask', '99.5', 'quote 100']]);
    expect(full.notes).toEqual(['inventory 1000 is at the maximum 1000: not buying until some is sold']);
    expect(quotes(decide(p, [100], { position: 12 })), 'above the maximum (the price rose) the skew stays at its cap').toEqual([['mm-ask', '99.5', 'quote 100']]);
  });

  it('never bids more than the free cash', () => {
    expect(quotes(decide(p, [100], { cash: 40 }))).toEqual([['mm-bid', '99.5', 'quote 40']]);
    expect(decide(p, [100], { cash: 0 }).orders, 'no cash, nothing held: no quote').toEqual([]);
  });

  it('keeps a quote that moved less than requoteBps and replaces one that moved more', () => {
    const bid = working('mm-bid', 'buy', '99.5', { quoteAmount: dec(100) });
    // Close 100.05 → bid 99.54975: moved 0.04975, under 10 bps of 99.5 (0.0995): kept, nothing sent.
    expect(decide(p, [100.05], { openOrders: [bid] })).toEqual({ orders: [], notes: [] });
    // Close 100.2 → bid 99.699: moved 0.199 > 0.0995: cancelled and placed again.
    const moved = decide(p, [100.2], { openOrders: [bid] });
    expect(moved.cancelTags).toEqual(['mm-bid']);
    expect(quotes(moved)).toEqual([['mm-bid', '99.699', 'quote 100']]);
    // A fill since the last candle redoes every quote, even one that did not move.
    const fill: FillView = { orderId: 'o-x', side: 'sell', price: dec('100.5'), quantity: dec(1), fee: dec(0), tag: 'mm-ask' };
    expect(decide(p, [100], { openOrders: [bid], newFills: [fill] }).cancelTags).toEqual(['mm-bid']);
  });

  it('quotes around an EMA of the closes once it has its period', () => {
    const ema = params({ orderSize: 100, spreadBps: 100, reference: 'ema', emaPeriod: 3 });
    expect(decide(ema, [100, 104]), 'two closes: no EMA(3) yet, no quotes').toEqual({});
    // EMA(3) seeded with (100 + 104 + 102) / 3 = 102 → bid 101.49; then 102 × 0.5 + 106 × 0.5 = 104 → bid 103.48.
    expect(quotes(decide(ema, [100, 104, 102]))).toEqual([['mm-bid', '101.49', 'quote 100']]);
    expect(quotes(decide(ema, [100, 104, 102, 106]))).toEqual([['mm-bid', '103.48', 'quote 100']]);
  });
});

describe('market making in a backtest', () => {
  const run = (p: MarketMakingParams, series: ReturnType<typeof candles>, fees: { feeBps: number; makerFeeBps?: number } = { feeBps: 0 }): ReturnType<typeof runBacktest> =>
    runBacktest({ market: TST_USDT, initialCash: dec(1000), slippageBps: 0, strategy: marketMakingStrategy, params: p, candles: series, ...fees });

  // A range: every candle opens and closes at 100 and trades 99–101, so the mid never moves.
  const range = candles([[100, 100.5, 99.5, 100], ...Array.from({ length: 5 }, () => [100, 101, 99, 100] as const)]);

  it('earns the spread on a range-bound series', () => {
    // No skew, spread 100 bps: bid 99.5, ask 100.5 on every candle. No fees.
    // c1: the bid fills at 99.5: 100 / 99.5 → 1.005 (99.9975). c2–c5: the bid buys 1.005 again and the
    // ask sells 100 / 100.5 → 0.995 (99.9975), so cash stays 900.0025 and each sell books
    // 0.995 × (100.5 − 99.5) = 0.995. Position 1.005 + 4 × 0.01 = 1.045; equity 900.0025 + 104.5.
    const r = unwrap(run(params({ orderSize: 100, maxInventory: 1000, spreadBps: 100, skewBps: 0 }), range));
    expect(r.fills.map((f) => [f.index, f.side, plain(f.price), plain(f.quantity), f.liquidity])).toEqual([
      [1, 'buy', '99.5', '1.005', 'maker'],
      ...[2, 3, 4, 5].flatMap((i) => [[i, 'buy', '99.5', '1.005', 'maker'], [i, 'sell', '100.5', '0.995', 'maker']]),
    ]);
    expect(r.closedTrades.map((t) => plain(t.netPnl))).toEqual(['0.995', '0.995', '0.995', '0.995']);
    expect([plain(r.cash), plain(r.position), plain(r.metrics.finalEquity), plain(r.metrics.totalPnl)]).toEqual(['900.0025', '1.045', '1004.5025', '4.5025']);
    expect(r.metrics.totalPnl.gt(r.buyAndHold.pnl), 'buy-and-hold made nothing in the range').toBe(true);
    expect(r.rejections).toEqual([]);
  });

  it('still earns with maker fees under half the spread, and loses when the spread is under twice the fee', () => {
    const wide = unwrap(run(params({ orderSize: 100, maxInventory: 1000, spreadBps: 100 }), range, { feeBps: 10, makerFeeBps: 2 }));
    expect(wide.metrics.trades, 'one buy, then a buy and a sell on each of four candles').toBe(9);
    expect(wide.metrics.fees.gt(0) && wide.metrics.totalPnl.gt(3), `100 bps spread, 2 bps maker fee: P&L ${plain(wide.metrics.totalPnl)}`).toBe(true);
    const narrow = unwrap(run(params({ orderSize: 100, maxInventory: 1000, spreadBps: 2, skewBps: 0 }), range, { feeBps: 10, makerFeeBps: 2 }));
    expect(narrow.metrics.trades).toBe(9);
    expect(narrow.closedTrades.every((t) => t.netPnl.lt(0)), '2 bps of spread against 4 bps of fees per round trip').toBe(true);
    expect(narrow.metrics.totalPnl.lt(0)).toBe(true);
  });

  // The documented loss: a steady fall of 1 a candle; each candle trades its close ± 0.6, so the bid
  // (≈ 0.5 below the previous close) always fills and the ask (≈ 0.5 above it) never does.
  const falling = closesToCandles(Array.from({ length: 12 }, (_, i) => 100 - i), 0.6);

  it('loses on a steady downtrend: it buys to its maximum inventory and never sells', () => {
    const r = unwrap(run(params({ orderSize: 100, maxInventory: 300, spreadBps: 100, skewBps: 0 }), falling));
    // c1 buys 1.005 at 99.5, c2 1.015 at 98.505 (99 × 0.995), c3 1.025 at 97.51 (98 × 0.995). The room
    // left at c3's close 97 is 300 − 3.045 × 97 = 4.635: c4 buys 4.635 / 96.515 → 0.048. From then on it
    // only bids the little room each fall opens under the maximum.
    const buys = r.fills.filter((f) => f.side === 'buy');
    expect(r.fills.every((f) => f.side === 'buy'), 'the ask is never reached').toBe(true);
    expect(buys.slice(0, 4).map((f) => [f.index, plain(f.price), plain(f.quantity)])).toEqual([
      [1, '99.5', '1.005'], [2, '98.505', '1.015'], [3, '97.51', '1.025'], [4, '96.515', '0.048'],
    ]);
    for (const f of buys) {
      const before = buys.filter((b) => b.index < f.index).reduce((a, b) => a.add(b.quantity), dec(0));
      const mid = dec(100 - (f.index - 1));
      expect(before.add(f.quantity).mul(mid).lte(300.5), `inventory after the buy at ${f.index} stays about the 300 maximum`).toBe(true);
    }
    expect(r.metrics.totalPnl.lt(-20), `held about 300 of inventory through an 11% fall: ${plain(r.metrics.totalPnl)}`).toBe(true);
    expect(r.closedTrades).toEqual([]);
  });

  it('with a stop-out it realises the loss, then stays out for the cool-down', () => {
    const r = unwrap(run(params({ orderSize: 100, maxInventory: 300, spreadBps: 100, skewBps: 0, stopLossPercent: 3, stopCooldown: 4 }), falling));
    const stop = r.fills.find((f) => f.tag === 'mm-stop');
    expect(stop, 'the stop-out sold').toBeDefined();
    const stopNote = r.notes.find((n) => n.text.includes('pausing'));
    expect(stopNote?.index, 'decided on the close before the sell').toBe(stop!.index - 1);
    expect(r.closedTrades.length).toBe(1);
    expect(r.closedTrades[0]!.netPnl.lt(0), 'the stop-out sells below the average cost').toBe(true);
    const after = r.fills.filter((f) => f.index > stop!.index);
    expect([stop!.index, stop!.price.lt(r.fills[0]!.price)], 'sold at the open after the close that broke 3% under the cost').toEqual([6, true]);
    expect(after.map((f) => [f.index, f.side]), 'quotes again only after 4 candles of pause: decided on c10, filled on c11').toEqual([[11, 'buy']]);
  });
});
