import { describe, expect, it } from 'vitest';
import { runBacktest } from '../../../src/domain/backtest/backtest.js';
import { dec, type Dec } from '../../../src/domain/money.js';
import type { MarketInfo } from '../../../src/domain/ports.js';
import { parseStrategyParams } from '../../../src/domain/strategy/kernel.js';
import { fundingApr, yieldOptimisationStrategy } from '../../../src/domain/strategy/yield-optimisation.js';
import { candles, HOUR, plain, START, TST_USDT } from './fixtures.js';
import { errorOf, unwrap } from '../trading-fixtures.js';

const TST_PERP: MarketInfo = { ...TST_USDT, symbol: 'TST-PERP', kind: 'perp' };

// Hourly candles from START (00:00), funding every 2 hours (at 02:00, 04:00, 06:00: the closes of
// candles 1, 3 and 5). The series: 0.1% at 02:00 and 04:00, then −0.05% at 06:00.
// APR = rate × (8760 h / 2 h) × 100: 0.1% → 438%, −0.05% → −219%.
// c0: no funding time yet, no rate: nothing. c1 (close 02:00): rate 0.1% = 438% ≥ 10% → enter with
//   q = 1000 × 0.9 / (100 × (1 + 1/1) × 1.01) = 4.4554455 → 4.455 (step 0.001).
// c2 opens at 100: spot buy 4.455 (445.5 + fee 0.4455), perp sell 4.455 (margin 445.5 + fee 0.4455).
//   Cash 1000 − 445.9455 − 445.9455 = 108.109.
// c3 (close 04:00): the short receives 0.001 × 4.455 × 100 = 0.4455 → cash 108.5545.
// c4 closes at 110: equity = 108.5545 + 4.455 × 110 (490.05) + margin 445.5 − 4.455 × 10 (44.55) = 999.5545.
// c5 (close 06:00, 110): rate −0.05%: the short pays 0.0005 × 4.455 × 110 = 0.245025 → cash 108.309475; the
//   rate has flipped → unwind.
// c6 opens at 110: spot sell 4.455 → +490.05 − 0.49005; perp buy 4.455: margin 445.5 back, realised
//   (100 − 110) × 4.455 = −44.55, fee 0.49005. Cash 108.309475 + 489.55995 + 400.45995 = 998.329375.
const series = candles([[100, 100, 100, 100], [100, 100, 100, 100], [100, 100, 100, 100], [100, 100, 100, 100], [100, 110, 100, 110], [110, 110, 110, 110], [110, 110, 110, 110]]);
const perpSeries = series.map((c) => ({ ...c, symbol: TST_PERP.symbol }));
const rate = (at: number): Dec => (at <= START + 4 * HOUR ? dec('0.001') : dec('-0.0005'));

function run(raw: Record<string, unknown>, funding = rate): ReturnType<typeof runBacktest> {
  const params = unwrap(parseStrategyParams(yieldOptimisationStrategy, raw));
  return runBacktest({
    market: TST_USDT, initialCash: dec(1000), feeBps: 10, slippageBps: 0, strategy: yieldOptimisationStrategy, params, candles: series,
    legs: [{ id: 'perp', market: TST_PERP, candles: perpSeries, fundingRate: funding, fundingIntervalMs: 2 * HOUR }],
  });
}

describe('yield optimisation (funding carry)', () => {
  it('annualises a funding rate', () => {
    expect(fundingApr(dec('0.0001'), 8 * HOUR)).toBeCloseTo(10.95, 10);
    expect(fundingApr(dec('0.001'), 2 * HOUR)).toBeCloseTo(438, 10);
  });

  it('holds spot long and perp short while funding pays, and unwinds when it flips', () => {
    const r = unwrap(run({}));
    expect(r.notes.map((n) => [n.index, n.text])).toEqual([
      [1, 'funding 438.00% a year at or above 10%: buying spot, selling the perpetual'],
      [5, 'funding -219.00% a year (shorts pay): unwinding the carry'],
    ]);
    expect(r.fills.map((f) => [f.index, f.leg ?? 'spot', f.side, plain(f.price), plain(f.quantity), plain(f.fee), f.tag])).toEqual([
      [2, 'spot', 'buy', '100', '4.455', '0.4455', 'carry-spot'],
      [2, 'perp', 'sell', '100', '4.455', '0.4455', 'carry-perp'],
      [6, 'spot', 'sell', '110', '4.455', '0.49005', 'carry-unwind-spot'],
      [6, 'perp', 'buy', '110', '4.455', '0.49005', 'carry-unwind-perp'],
    ]);
    expect(r.equity.toArray().map(plain)).toEqual(['1000', '1000', '999.109', '999.5545', '999.5545', '999.309475', '998.329375']);
    expect(plain(r.cash)).toBe('998.329375');
    expect(r.legs!.map((l) => [plain(l.position), plain(l.margin), plain(l.fundingPaid)])).toEqual([['0', '0', '-0.200475']]);
    expect(plain(r.position)).toBe('0');
  });

  it('does not enter below entryApr, and unwinds when funding falls below exitApr', () => {
    expect(unwrap(run({ entryApr: 500, exitApr: 3 })).fills, '438% is below 500%').toEqual([]);
    // Funding 0.1% then 0.0005% (0.000005 × 4380 × 100 = 2.19% a year, below exitApr 3, still positive): unwinds at c5.
    const r = unwrap(run({}, (at) => (at <= START + 4 * HOUR ? dec('0.001') : dec('0.000005'))));
    expect(r.notes.map((n) => [n.index, n.text])).toEqual([
      [1, 'funding 438.00% a year at or above 10%: buying spot, selling the perpetual'],
      [5, 'funding 2.19% a year below 3%: unwinding the carry'],
    ]);
  });

  it('refuses bad parameters', () => {
    expect(errorOf(parseStrategyParams(yieldOptimisationStrategy, { entryApr: 5, exitApr: 5 })).message).toContain('exitApr must be below entryApr');
    expect(errorOf(parseStrategyParams(yieldOptimisationStrategy, { threshold: 5 })).message).toContain('unknown parameter "threshold"');
    expect(errorOf(parseStrategyParams(yieldOptimisationStrategy, { leverage: 20 })).message).toContain('leverage must be at most 10');
  });
});
