// The backtester's legs: perpetual shorts with margin, funding and liquidation; leg candles a strategy
// cannot see ahead of; and single-market strategies unchanged by the leg machinery.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runBacktest } from '../../../src/domain/backtest/backtest.js';
import { dec, type Dec } from '../../../src/domain/money.js';
import type { MarketInfo } from '../../../src/domain/ports.js';
import { parseStrategyParams, STRATEGIES, type LegSpec, type Strategy, type StrategyDecision, type StrategyInput } from '../../../src/domain/strategy/index.js';
import { candles, closesToCandles, plain, TST_USDT } from '../strategy/fixtures.js';
import { unwrap } from '../trading-fixtures.js';

const TST_PERP: MarketInfo = { ...TST_USDT, symbol: 'TST-PERP', kind: 'perp' };

function withLegs(legs: LegSpec[], decide: (input: StrategyInput<Record<string, never>, null>) => StrategyDecision): Strategy<Record<string, never>, null> {
  return { kind: 'scripted', summary: 'test script', params: z.object({}).strict(), legs: () => legs, init: () => null, onCandle: decide };
}

describe('perpetual legs', () => {
  // Leverage 2, 1 short at 100 (margin 50, fee 0.1% = 0.1; cash 949.9). c1 high 120: 50 − 20 = 30 > 0.
  // c2 high 151: 50 + (−1) × (151 − 100) = −1 ≤ 0 → liquidated at the bankruptcy price 100 − 50 / (−1) = 150;
  // the margin is lost, no fee. Equity after: 949.9. No funding time falls in 00:00–03:00 (8-hour funding).
  const series = candles([[100, 100, 100, 100], [100, 120, 99, 110], [110, 151, 109, 140], [140, 141, 139, 140]]);
  const perp = series.map((c) => ({ ...c, symbol: TST_PERP.symbol }));

  it('liquidates a short whose margin the candle\'s high wipes out, at its bankruptcy price', () => {
    const script = withLegs([{ id: 'p', asset: null, kind: 'perp', leverage: 2 }], ({ candles: w, legs }) => {
      expect(legs!['p']!.kind).toBe('perp');
      return w.length === 1 ? { orders: [{ leg: 'p', side: 'sell', type: 'market', quantity: dec(1), tag: 'short' }] } : {};
    });
    const r = unwrap(runBacktest({ market: TST_USDT, initialCash: dec(1000), feeBps: 10, slippageBps: 0, strategy: script, params: {}, candles: series, legs: [{ id: 'p', market: TST_PERP, candles: perp }] }));
    expect(r.fills.map((f) => [f.index, f.leg, f.side, plain(f.price), plain(f.quantity), plain(f.fee), f.tag])).toEqual([
      [1, 'p', 'sell', '100', '1', '0.1', 'short'],
      [2, 'p', 'buy', '150', '1', '0', 'liquidation'],
    ]);
    // c1 close 110: 949.9 + 50 − 10 = 989.9.
    expect(r.equity.toArray().map(plain)).toEqual(['1000', '989.9', '949.9', '949.9']);
    expect(r.closedTrades.map((t) => plain(t.netPnl))).toEqual(['-50']);
    expect(r.legs!.map((l) => [plain(l.position), plain(l.margin), l.liquidations])).toEqual([['0', '0', 1]]);
    expect(r.notes.map((n) => n.text)).toEqual(['p leg liquidated: 1 TST at 150, margin 50 lost']);
  });

  it('shows each leg\'s position, entry, margin and funding, turns a long into a short through zero, and refuses an unknown leg', () => {
    // Funding every hour at 1 bp. c0 decides a long of 2; c1 fills at 100 (margin 200, fee 0.2), funding at
    // 02:00 (c1's close 100): the long pays 0.0001 × 2 × 100 = 0.02. c1 decides a sell of 5: c2 fills at 100,
    // closing 2 (realised 0, fee share 0.2) and opening a short of 3 (margin 300); fee 0.5 in all.
    const seen: string[] = [];
    const script = withLegs([{ id: 'p', asset: null, kind: 'perp', funding: true }], ({ candles: w, legs }) => {
      const p = legs!['p']!;
      seen.push(`${w.length - 1}: ${plain(p.position)} @ ${p.entryPrice === null ? '-' : plain(p.entryPrice)} margin ${plain(p.margin)} funding ${plain(p.fundingPaid)} rate ${p.fundingRate === null || p.fundingRate === undefined ? '-' : plain(p.fundingRate)}`);
      if (w.length === 1) return { orders: [{ leg: 'p', side: 'buy', type: 'market', quantity: dec(2) }, { leg: 'nope', side: 'buy', type: 'market', quantity: dec(1), tag: 'x' }] };
      if (w.length === 2) return { orders: [{ leg: 'p', side: 'sell', type: 'market', quantity: dec(5) }] };
      return {};
    });
    const flat = candles([[100, 100, 100, 100], [100, 100, 100, 100], [100, 100, 100, 100]]);
    const r = unwrap(runBacktest({
      market: TST_USDT, initialCash: dec(1000), feeBps: 10, slippageBps: 0, strategy: script, params: {}, candles: flat,
      legs: [{ id: 'p', market: TST_PERP, candles: flat, fundingRate: (): Dec => dec('0.0001'), fundingIntervalMs: 3_600_000 }],
    }));
    expect(seen).toEqual([
      '0: 0 @ - margin 0 funding 0 rate 0.0001',
      '1: 2 @ 100 margin 200 funding 0.02 rate 0.0001',
      // c2 (03:00): the short of 3 receives 0.0001 × 3 × 100 = 0.03.
      '2: -3 @ 100 margin 300 funding -0.01 rate 0.0001',
    ]);
    expect(r.rejections.map((x) => x.reason)).toEqual(['order x: no leg "nope"; the strategy declares p']);
    // Cash: 1000 − 200 − 0.2 − 0.02 + 200 (released) − 300 − 0.5 + 0.03 = 699.31; equity + margin 300.
    expect(plain(r.cash)).toBe('699.31');
    expect(plain(r.metrics.finalEquity)).toBe('999.31');
  });
});

describe('perpetual margin', () => {
  it('refuses an opening the cash cannot margin, and names the leg', () => {
    // 20 short at 100, leverage 1: margin 2000 + fee 2 against 1000 of cash.
    const script = withLegs([{ id: 'p', asset: null, kind: 'perp' }], ({ candles: w }) => (w.length === 1 ? { orders: [{ leg: 'p', side: 'sell', type: 'market', quantity: dec(20), tag: 'big' }] } : {}));
    const flat = candles([[100, 100, 100, 100], [100, 100, 100, 100]]);
    const r = unwrap(runBacktest({ market: TST_USDT, initialCash: dec(1000), feeBps: 10, slippageBps: 0, strategy: script, params: {}, candles: flat, legs: [{ id: 'p', market: TST_PERP, candles: flat }] }));
    expect(r.fills).toEqual([]);
    expect(r.rejections.map((x) => [x.index, x.tag, x.reason])).toEqual([[1, 'big', 'not enough cash for the p leg: 2002 USDT margin and fee needed, 1000 free']]);
  });
});

describe('leg candles and no look-ahead', () => {
  it('a strategy sees each leg\'s candles 0..t only, and cannot reach candle t + 1', () => {
    const a = closesToCandles([10, 11, 12, 13]);
    const b = closesToCandles([20, 21, 22, 23]).map((c) => ({ ...c, symbol: TST_PERP.symbol }));
    const tries: string[] = [];
    const peeker = withLegs([{ id: 'b', asset: 'B', kind: 'perp' }], ({ candles: w, legCandles }) => {
      const lb = legCandles!['b']!;
      expect(lb.length).toBe(w.length);
      expect(plain(lb.last().close)).toBe(String(20 + w.length - 1));
      try {
        lb.at(w.length);
        tries.push('saw the future');
      } catch (err) {
        tries.push((err as Error).message.split(';')[0]!);
      }
      expect(lb.ago(0)!.openTime.getTime()).toBe(w.last().openTime.getTime());
      return {};
    });
    unwrap(runBacktest({ market: TST_USDT, initialCash: dec(1000), feeBps: 0, slippageBps: 0, strategy: peeker, params: {}, candles: a, legs: [{ id: 'b', market: TST_PERP, candles: b }] }));
    expect(tries).toEqual(Array.from({ length: 4 }, (_, t) => `candle ${t + 1} is not a closed candle of this window (0..${t})`));
  });
});

describe('single-market strategies are unchanged by legs', () => {
  // The figures each gave on this series from the backtester before it had legs (commit ecaeaa9):
  // final equity, fills, fees, rejections and the sum of the equity curve.
  const rows = Array.from({ length: 80 }, (_, i) => Number((100 + 6 * Math.sin(i / 3) + i * 0.05 - (i === 40 ? 12 : 0) - (i > 60 ? (i - 60) * 0.8 : 0)).toFixed(2)));
  const series = candles(rows.map((c, i) => {
    const open = i === 0 ? c : rows[i - 1]!;
    return [open, Math.max(open, c) + 0.5, Math.min(open, c) - 0.5, c] as const;
  })).map((c, i) => ({ ...c, volume: dec(i === 40 ? 100 : 10) }));
  const cases: Array<[keyof typeof STRATEGIES, Record<string, unknown>, string]> = [
    ['grid', { lower: 90, upper: 110, levels: 5, quotePerLevel: 100 }, '["1012.402965",14,"1.423775",0,"80506.601905"]'],
    ['dca', { quoteAmount: 50, every: 5, dipPercent: 3, takeProfitPercent: 3 }, '["1025.50029725",28,"1.98265275",0,"80987.1778241"]'],
    ['momentum', { fast: 3, slow: 6, atrPeriod: 3, atrMultiplier: 1 }, '["1115.01756948",9,"9.48993052",0,"84232.6282651"]'],
    ['mean_reversion', { period: 5, entryZ: 1 }, '["743.92308522",10,"8.91055478",0,"70301.37849634"]'],
    ['sma_cross', { fast: 2, slow: 5 }, '["1169.33923765",9,"9.61553235",0,"85956.94953705"]'],
    ['market_making', { orderSize: 100, maxInventory: 400, spreadBps: 100 }, '["987.47503524403458",108,"9.88203358170542",3,"79607.60036815534379"]'],
    ['liquidation_hunting', { atrPeriod: 3, volumePeriod: 3, maxHoldCandles: 3, cooldown: 2 }, '["1137.71589917",2,"2.13767083",0,"85372.05882983"]'],
  ];
  it.each(cases)('%s gives the figures it gave before legs', (kind, raw, expected) => {
    const strategy = STRATEGIES[kind] as Strategy<unknown, unknown>;
    expect(strategy.legs).toBeUndefined();
    const params = unwrap(parseStrategyParams(strategy, raw));
    const r = unwrap(runBacktest({ market: TST_USDT, initialCash: dec(1000), feeBps: 10, slippageBps: 5, strategy, params, candles: series }));
    expect(r.legs).toBeUndefined();
    expect(JSON.stringify([r.metrics.finalEquity.toFixed(), r.fills.length, r.metrics.fees.toFixed(), r.rejections.length, r.equity.toArray().reduce((a, e) => a.add(e), dec(0)).toFixed()])).toBe(expected);
  });
});
