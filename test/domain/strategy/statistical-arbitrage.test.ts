import { describe, expect, it } from 'vitest';
import { runBacktest, type BacktestLeg } from '../../../src/domain/backtest/backtest.js';
import { dec } from '../../../src/domain/money.js';
import type { Candle, MarketInfo } from '../../../src/domain/ports.js';
import { parseStrategyParams } from '../../../src/domain/strategy/kernel.js';
import { pairFit, statisticalArbitrageStrategy } from '../../../src/domain/strategy/statistical-arbitrage.js';
import { HOUR, plain, START, TST_USDT } from './fixtures.js';
import { errorOf, unwrap } from '../trading-fixtures.js';

const perp = (base: string): MarketInfo => ({
  symbol: `${base}-PERP`, base, quote: 'USDT', kind: 'perp', exchange: 'sim',
  tickSize: dec('0.01'), stepSize: dec('0.001'), minQty: dec('0.001'), minNotional: dec('1'),
});
const A_PERP = perp('AAA');
const B_PERP = perp('BBB');

/** Hourly candles from [open, close] rows (high/low = max/min ± 0.5), the first at START + 5h: candle 10 closes at 16:00, a funding time. */
function series(rows: ReadonlyArray<readonly [number, number]>, symbol: string): Candle[] {
  return rows.map(([o, c], i) => ({
    symbol, exchange: 'sim', timeframe: '1h', openTime: new Date(START + (i + 5) * HOUR),
    open: dec(o), high: dec(Math.max(o, c) + 0.5), low: dec(Math.min(o, c) - 0.5), close: dec(c), volume: dec(1),
  }));
}

// Lookback 10. B alternates 100, 110; A is 2 × B (200, 220) except its 10th close, 231.
// With x = ln B − ln 100 ∈ {0, d} (d = ln 1.1 = 0.0953102) and y = ln A − ln 200, the OLS line passes
// through the two group means: at x = 0 five y's of 0 (residuals 0); at x = d four y's of d and one of
// e = ln 1.155 = 0.1441003, mean (4d + e)/5. So β = (4d + e)/(5d) = 1 + δ/(5d) with δ = e − d = ln 1.05
// = 0.0487902: β = 1.1023819 (1.1024 to size with). Residuals: five 0, four −δ/5, one +4δ/5;
// Σ s² = 0.8 δ², σ = √(0.08) δ = 0.2828427 δ, z(last) = 0.8 δ / 0.2828427 δ = 2√2 = 2.83 ≥ entryZ 2:
// A is rich → sell A, buy B at candle 10's open.
// Sizes (cash 1000, allocation 0.5, leverage 1): M = 500; N_a = 500 / 2.1024 = 237.82344, N_b = 1.1024 × N_a
// = 262.17656. Candle 10 opens A 230, B 110: q_a = 237.82344 / 230 = 1.034 (step 0.001), notional 237.82,
// fee 0.1% = 0.23782, margin 237.82; q_b = 262.17656 / 110 = 2.383, notional 262.13, fee 0.26213.
// Cash 1000 − 237.82 − 0.23782 − 262.13 − 0.26213 = 499.55005.
// Funding at 16:00 (candle 10's close, 1 bp): a pays 0.0001 × (−1.034) × 220 = −0.022748 (receives),
// b pays 0.0001 × 2.383 × 110 = 0.026213 → cash 499.546585.
// Candle 10 closes A 220, B 110. Window: B = 110,100,110,100,110,100,110,100,110,110; A = 2B except 231 at
// the 9th. Group x = d: six y's, five d and one e, mean (5d + e)/6; last residual d − mean = −δ/6; Σ s² =
// 5δ²/36 + 25δ²/36 = (5/6)δ², σ = δ/√12, z = −(δ/6)·√12/δ = −1/√3 = −0.58 ≤ exitZ 0.5 → close both.
// Candle 11 opens A 221, B 111: buy 1.034 A at 221, realised (230 − 221) × 1.034 = 9.306, fee 0.228514;
// sell 2.383 B at 111, realised (111 − 110) × 2.383 = 2.383, fee 0.264513.
// Cash 499.546585 + 237.82 + 9.306 − 0.228514 + 262.13 + 2.383 − 0.264513 = 1010.692558.
const B_ROWS: Array<[number, number]> = [[100, 100], [100, 110], [110, 100], [100, 110], [110, 100], [100, 110], [110, 100], [100, 110], [110, 100], [100, 110], [110, 110], [111, 111]];
const A_CLOSES = [200, 220, 200, 220, 200, 220, 200, 220, 200, 231, 220, 221];
const A_ROWS: Array<[number, number]> = A_CLOSES.map((c, i) => [i === 10 ? 230 : i === 11 ? 221 : i === 0 ? c : A_CLOSES[i - 1]!, c]);
const aCandles = series(A_ROWS, A_PERP.symbol);
const bCandles = series(B_ROWS, B_PERP.symbol);
const primary = series(A_ROWS, TST_USDT.symbol);
const legs: BacktestLeg[] = [{ id: 'a', market: A_PERP, candles: aCandles }, { id: 'b', market: B_PERP, candles: bCandles }];

function run(raw: Record<string, unknown>, over: { legs?: BacktestLeg[]; candles?: Candle[] } = {}): ReturnType<typeof runBacktest> {
  const params = unwrap(parseStrategyParams(statisticalArbitrageStrategy, raw));
  return runBacktest({
    market: TST_USDT, initialCash: dec(1000), feeBps: 10, slippageBps: 0, strategy: statisticalArbitrageStrategy, params,
    candles: over.candles ?? primary, legs: over.legs ?? legs,
  });
}

describe('statistical arbitrage', () => {
  it('fits the hedge ratio by least squares and takes the z-score of the last residual', () => {
    const ln = (xs: number[]): Float64Array => Float64Array.from(xs, (v) => Math.log(v));
    const fit = pairFit(ln(A_CLOSES.slice(0, 10)), ln(B_ROWS.slice(0, 10).map((r) => r[1])))!;
    expect(fit.beta).toBeCloseTo(1.1023819, 6);
    expect(fit.z).toBeCloseTo(2 * Math.SQRT2, 9);
    const next = pairFit(ln(A_CLOSES.slice(1, 11)), ln(B_ROWS.slice(1, 11).map((r) => r[1])))!;
    expect(next.z).toBeCloseTo(-1 / Math.sqrt(3), 9);
    expect(pairFit(ln([1, 2, 3]), ln([5, 5, 5])), 'x without variation').toBeNull();
  });

  it('sells the rich leg and buys the cheap one, then closes both when the spread is back', () => {
    const r = unwrap(run({ pair: 'BBB', lookback: 10 }));
    expect(r.notes.map((n) => [n.index, n.text])).toEqual([
      [9, 'z-score 2.83, hedge ratio 1.1024: selling a, buying b'],
      [10, 'z-score -0.58: back to the fit, closing both legs'],
    ]);
    expect(r.fills.map((f) => [f.index, f.leg, f.side, plain(f.price), plain(f.quantity), plain(f.fee), f.tag])).toEqual([
      [10, 'a', 'sell', '230', '1.034', '0.23782', 'stat-arb-open-a'],
      [10, 'b', 'buy', '110', '2.383', '0.26213', 'stat-arb-open-b'],
      [11, 'a', 'buy', '221', '1.034', '0.228514', 'stat-arb-close-a'],
      [11, 'b', 'sell', '111', '2.383', '0.264513', 'stat-arb-close-b'],
    ]);
    // Equity at candle 10's close: cash 499.546585 + margins 237.82 + 262.13 + a's unrealised (230 − 220) × 1.034 = 10.34.
    expect(plain(r.equity.at(10))).toBe('1009.836585');
    expect(plain(r.cash)).toBe('1010.692558');
    expect(plain(r.metrics.finalEquity)).toBe('1010.692558');
    expect(r.closedTrades.map((t) => plain(t.netPnl)), 'realised P&L less the closing fee').toEqual(['9.077486', '2.118487']);
    expect(r.legs!.map((l) => [l.id, l.symbol, plain(l.position), plain(l.margin), plain(l.fundingPaid), l.liquidations])).toEqual([
      ['a', 'AAA-PERP', '0', '0', '-0.022748', 0],
      ['b', 'BBB-PERP', '0', '0', '0.026213', 0],
    ]);
    // Buy-and-hold stays the primary market's: 1000 / (200 × 1.001) = 4.995 at 200, marked at 221.
    expect(plain(r.buyAndHold.quantity)).toBe('4.995');
  });

  it('stops out when the spread runs on past stopZ', () => {
    // As above, but A closes candle 10 at 260 (f = ln 1.3 = 0.2623643) instead of 220. Window 1..10, group
    // x = d: y = d, d, d, d, e, f; mean m = (4d + e + f)/6 = 0.1312842; residuals −0.0359740 (four),
    // 0.0128161, 0.1310801; Σ s² = 0.0225228 (the x = 0 group is all zero), σ = √(0.0225228/10) = 0.0474582,
    // z = 0.1310801 / 0.0474582 = 2.76 ≥ stopZ 2.7 (entry was at 2.83 ≥ entryZ 2.5) → close both.
    // Candle 11 opens A at 261: the short loses (230 − 261) × 1.034 = −32.054, less the fee 0.269874.
    const closes = A_CLOSES.map((c, i) => (i === 10 ? 260 : i === 11 ? 261 : c));
    const rows: Array<[number, number]> = closes.map((c, i) => [i === 10 ? 230 : i === 11 ? 261 : i === 0 ? c : closes[i - 1]!, c]);
    const r = unwrap(run({ pair: 'BBB', lookback: 10, entryZ: 2.5, stopZ: 2.7 }, {
      candles: series(rows, TST_USDT.symbol), legs: [{ id: 'a', market: A_PERP, candles: series(rows, A_PERP.symbol) }, legs[1]!],
    }));
    expect(r.notes.map((n) => [n.index, n.text])).toEqual([
      [9, 'z-score 2.83, hedge ratio 1.1024: selling a, buying b'],
      [10, 'z-score 2.76: past the stop at 2.7, closing both legs at a loss'],
    ]);
    expect(r.fills.filter((f) => f.index === 11).map((f) => [f.leg, f.side, plain(f.price), plain(f.quantity)])).toEqual([['a', 'buy', '261', '1.034'], ['b', 'sell', '111', '2.383']]);
    expect(plain(r.closedTrades[0]!.netPnl)).toBe('-32.323874');
  });

  it('refuses bad parameters', () => {
    expect(errorOf(parseStrategyParams(statisticalArbitrageStrategy, { lookback: 10 })).message).toContain('pair is required');
    expect(errorOf(parseStrategyParams(statisticalArbitrageStrategy, { pair: 'ETH', entryZ: 2, exitZ: 2 })).message).toContain('exitZ must be below entryZ');
    expect(errorOf(parseStrategyParams(statisticalArbitrageStrategy, { pair: 'ETH', stopZ: 1 })).message).toContain('stopZ must be above entryZ');
    expect(errorOf(parseStrategyParams(statisticalArbitrageStrategy, { pair: 'ETH', hedge: 1 })).message).toContain('unknown parameter "hedge"');
    expect(errorOf(parseStrategyParams(statisticalArbitrageStrategy, { pair: 'ETH', lookback: 5 })).message).toContain('lookback must be at least 10');
  });

  it('cannot run without its legs, or with legs whose candles are not the primary\'s', () => {
    expect(errorOf(run({ pair: 'BBB', lookback: 10 }, { legs: [legs[0]!] })).message).toContain('leg "b"');
    const shifted = bCandles.map((c) => ({ ...c, openTime: new Date(c.openTime.getTime() + HOUR) }));
    expect(errorOf(run({ pair: 'BBB', lookback: 10 }, { legs: [legs[0]!, { id: 'b', market: B_PERP, candles: shifted }] })).message).toContain('do not have the primary market\'s candle times');
    expect(errorOf(run({ pair: 'BBB', lookback: 10 }, { legs: [legs[0]!, { id: 'b', market: TST_USDT, candles: bCandles }] })).message).toContain('must be a perp market');
  });

  it('decides the same on candles 0..t whether or not later candles of either leg exist', () => {
    // 60 candles of two related walks: B a sine, A ≈ B^1.2 with a slow wobble, so the spread swings.
    const n = 60;
    const bClose = Array.from({ length: n }, (_, i) => Number((100 + 8 * Math.sin(i / 4)).toFixed(2)));
    const aClose = bClose.map((b, i) => Number((50 * (b / 100) ** 1.2 * (1 + 0.03 * Math.sin(i / 2.3))).toFixed(2)));
    const rows = (cl: number[]): Array<[number, number]> => cl.map((c, i) => [i === 0 ? c : cl[i - 1]!, c]);
    const aS = series(rows(aClose), A_PERP.symbol);
    const bS = series(rows(bClose), B_PERP.symbol);
    const pS = series(rows(aClose), TST_USDT.symbol);
    const runOn = (length: number): string[] => {
      const r = unwrap(run({ pair: 'BBB', lookback: 12, entryZ: 1.2, exitZ: 0.2 }, {
        candles: pS.slice(0, length), legs: [{ id: 'a', market: A_PERP, candles: aS.slice(0, length) }, { id: 'b', market: B_PERP, candles: bS.slice(0, length) }],
      }));
      return [...r.notes.map((x) => `${x.index} ${x.text}`), ...r.fills.map((f) => `${f.index} ${f.leg} ${f.side} ${plain(f.price)} ${plain(f.quantity)}`)];
    };
    const full = runOn(n);
    expect(full.length, 'it trades on this series').toBeGreaterThan(4);
    for (const length of [15, 27, 40, 51]) {
      expect(runOn(length)).toEqual(full.filter((line) => Number(line.split(' ')[0]) < length));
    }
  });
});
