import { describe, expect, it } from 'vitest';
import { runBacktest, type BacktestResult } from '../../../src/domain/backtest/backtest.js';
import { dec } from '../../../src/domain/money.js';
import type { Candle } from '../../../src/domain/ports.js';
import { parseStrategyParams } from '../../../src/domain/strategy/kernel.js';
import { liquidationHuntingStrategy, type LiquidationHuntingParams } from '../../../src/domain/strategy/liquidation-hunting.js';
import { candles, plain, TST_USDT } from './fixtures.js';
import { errorOf, unwrap } from '../trading-fixtures.js';

type Row = readonly [open: number, high: number, low: number, close: number, volume: number];

/** Hourly candles from [open, high, low, close, volume] rows. */
function withVolume(rows: readonly Row[]): Candle[] {
  return candles(rows.map(([o, h, l, c]) => [o, h, l, c] as const)).map((c, i) => ({ ...c, volume: dec(rows[i]![4]) }));
}

function params(raw: Record<string, unknown> = {}): LiquidationHuntingParams {
  // Short windows so a handful of candles warm them up: ATR 3, average volume over 3.
  return unwrap(parseStrategyParams(liquidationHuntingStrategy, { atrPeriod: 3, dropAtr: 3, volumePeriod: 3, volumeMultiple: 3, stopBufferPercent: 1, maxHoldCandles: 3, cooldown: 2, ...raw }));
}

function run(rows: readonly Row[], p = params()): BacktestResult {
  return unwrap(runBacktest({ market: TST_USDT, initialCash: dec(1000), feeBps: 0, slippageBps: 0, strategy: liquidationHuntingStrategy, params: p, candles: withVolume(rows) }));
}

// c0–c4 trade 99–101 around 100 on volume 10: every true range is 2, so ATR(3) is 2 and the average
// volume 10. The shock c5 falls from 100 to close 92 (8 > 3 × 2) on volume 40 (≥ 3 × 10), low 90.
const CALM: Row = [100, 101, 99, 100, 10];
const before: Row[] = [CALM, CALM, CALM, CALM, CALM];
const SHOCK: Row = [100, 100, 90, 92, 40];
// Entry at c6's open 92: 1000 / 92 → 10.869. Stop at 90 × 0.99 = 89.1; take-profit 92 + 0.5 × 8 = 96.
const ENTRY: Row = [92, 93, 91, 92, 15];

const fillsOf = (r: BacktestResult): Array<[number, string, string, string, string, string | undefined]> =>
  r.fills.map((f) => [f.index, f.side, f.type, plain(f.price), plain(f.quantity), f.tag]);

describe('liquidation hunting parameters', () => {
  it('fills in defaults', () => {
    const p = unwrap(parseStrategyParams(liquidationHuntingStrategy, {}));
    expect([p.atrPeriod, p.dropAtr, p.volumePeriod, p.volumeMultiple, p.entryDiscountPercent, p.entryWait, plain(p.takeProfitRetrace), plain(p.stopBufferPercent), p.maxHoldCandles, p.cooldown, plain(p.allocation)])
      .toEqual([14, 3, 20, 3, undefined, 3, '0.5', '0.5', 24, 12, '1']);
  });

  it('refuses unknown parameters and out-of-bounds values', () => {
    expect(errorOf(parseStrategyParams(liquidationHuntingStrategy, { oiDrop: 5 })).message).toBe(
      'invalid liquidation_hunting parameters: unknown parameter "oiDrop"; liquidation_hunting takes atrPeriod, dropAtr, volumePeriod, volumeMultiple, entryDiscountPercent, entryWait, takeProfitRetrace, stopBufferPercent, maxHoldCandles, cooldown, allocation',
    );
    expect(errorOf(parseStrategyParams(liquidationHuntingStrategy, { dropAtr: 0 })).message).toMatch(/^invalid liquidation_hunting parameters: dropAtr: dropAtr must be greater than 0;/);
    expect(errorOf(parseStrategyParams(liquidationHuntingStrategy, { takeProfitRetrace: '1.5' })).message).toMatch(/takeProfitRetrace: takeProfitRetrace must be at most 1, got 1.5;/);
    expect(errorOf(parseStrategyParams(liquidationHuntingStrategy, { maxHoldCandles: 0, cooldown: -1 })).message)
      .toMatch(/maxHoldCandles: maxHoldCandles must be at least 1; cooldown: cooldown must be at least 0;/);
    expect(errorOf(parseStrategyParams(liquidationHuntingStrategy, { entryDiscountPercent: 60 })).message).toMatch(/entryDiscountPercent: entryDiscountPercent must be at most 50, got 60;/);
  });
});

describe('liquidation hunting', () => {
  it('buys after a high-volume shock and takes profit on a partial rebound', () => {
    const r = run([...before, SHOCK, ENTRY, [92, 96.5, 91.5, 96, 12]]);
    expect(fillsOf(r)).toEqual([
      [6, 'buy', 'market', '92', '10.869', 'lh-entry'],
      [7, 'sell', 'limit', '96', '10.869', 'lh-take-profit'],
    ]);
    expect(r.closedTrades.map((t) => plain(t.netPnl)), '10.869 × (96 − 92)').toEqual(['43.476']);
    expect(r.notes.map((n) => [n.index, n.text])).toEqual([
      [5, 'shock: close fell 8 (4.0 ATR) on 4.0× the average volume: buying at market'],
      [6, 'bought 10.869 at 92; take-profit 96, stop 89.1, time stop after 3 candles'],
      [7, 'take-profit at 96; ignoring shocks for 2 candles'],
    ]);
    expect(r.openOrders, 'the stop is cancelled once the take-profit sold').toEqual([]);
  });

  it('is stopped out below the shock low when the fall goes on', () => {
    const r = run([...before, SHOCK, ENTRY, [92, 93, 88, 88.5, 30]]);
    expect(fillsOf(r).at(-1)).toEqual([7, 'sell', 'stop', '89.1', '10.869', 'lh-stop']);
    expect(r.closedTrades.map((t) => plain(t.netPnl)), '10.869 × (89.1 − 92)').toEqual(['-31.5201']);
    expect(r.notes.at(-1)?.text).toBe('stopped out at 89.1; ignoring shocks for 2 candles');
    expect(r.rejections, 'the take-profit was not reached, so nothing was refused').toEqual([]);
  });

  it('sells at market after maxHoldCandles when neither exit is reached', () => {
    const flat: Row = [92, 93, 91, 92, 10];
    const r = run([...before, SHOCK, ENTRY, flat, flat, flat, [92.5, 93, 92, 92.5, 10]]);
    // Filled on c6; on c9's close it has held 3 candles: sells at c10's open 92.5.
    expect(fillsOf(r).at(-1)).toEqual([10, 'sell', 'market', '92.5', '10.869', 'lh-time-stop']);
    expect(r.notes.filter((n) => n.index >= 9).map((n) => [n.index, n.text])).toEqual([
      [9, 'held 3 candles without an exit: selling at market'],
      [10, 'time stop at 92.5; ignoring shocks for 2 candles'],
    ]);
    expect(r.openOrders).toEqual([]);
  });

  it('does not buy a large fall on ordinary volume, nor a volume spike without a fall', () => {
    const quietFall = run([...before, [100, 100, 90, 92, 29], ENTRY]);
    expect(quietFall.fills, 'volume 29 is under 3 × 10').toEqual([]);
    const smallFall = run([...before, [100, 100, 93, 94.5, 40], ENTRY]);
    expect(smallFall.fills, 'a fall of 5.5 is under 3 ATRs (6)').toEqual([]);
    const spikeUp = run([...before, [100, 110, 99, 108, 100], ENTRY]);
    expect(spikeUp.fills, 'ten times the volume, but the price rose').toEqual([]);
    expect([quietFall, smallFall, spikeUp].every((r) => r.notes.length === 0)).toBe(true);
  });

  it('waits for its ATR and volume windows before judging a shock', () => {
    // The same shock as the fifth candle: ATR(3) is not defined until four candles have closed before it.
    const r = run([CALM, CALM, CALM, SHOCK, ENTRY]);
    expect(r.fills).toEqual([]);
  });

  it('with an entry discount bids below the shock close and cancels the bid when it does not fill', () => {
    const p = params({ entryDiscountPercent: 1, entryWait: 2 });
    // Bid 92 × 0.99 = 91.08; c6 trades down to 91: filled at the limit, 1000 / 91.08 → 10.979.
    const filled = run([...before, SHOCK, ENTRY], p);
    expect(fillsOf(filled)).toEqual([[6, 'buy', 'limit', '91.08', '10.979', 'lh-entry']]);
    expect(filled.notes[0]?.text).toBe('shock: close fell 8 (4.0 ATR) on 4.0× the average volume: bidding 91.08');
    // The market bounces at once and never comes back to 91.08: cancelled on c7's close (2 candles on).
    const missed = run([...before, SHOCK, [93, 95, 92.5, 94, 15], [94, 95, 93, 94, 10], [94, 95, 93, 94, 10]], p);
    expect(missed.fills).toEqual([]);
    expect(missed.notes.at(-1)).toMatchObject({ index: 7, text: 'entry not filled within 2 candles: cancelled' });
    expect(missed.openOrders).toEqual([]);
  });

  it('ignores shocks during the cool-down after an exit', () => {
    // Take-profit on c7; a second, bigger shock on c9 (within the 2-candle cool-down, c8–c9).
    const rows: Row[] = [...before, SHOCK, ENTRY, [92, 96.5, 91.5, 96, 12], [96, 97, 95, 96, 10], [96, 96, 70, 72, 500], [72, 75, 71, 74, 50]];
    const cooling = run(rows);
    expect(cooling.fills.map((f) => f.tag), 'only the first trade').toEqual(['lh-entry', 'lh-take-profit']);
    const noCooldown = run(rows, params({ cooldown: 0 }));
    expect(noCooldown.fills.map((f) => [f.index, f.tag]), 'without a cool-down the second shock is bought at c10').toEqual([
      [6, 'lh-entry'], [7, 'lh-take-profit'], [10, 'lh-entry'],
    ]);
  });

  it('holds one position at a time: a second shock while holding is not bought', () => {
    // Stop 50% under the low and take-profit at the full retrace, so the position is still held on c7:
    // c7 falls 20 (ATR before it (4.667 × 2 + 2) / 3 = 3.778, 3 ATRs = 11.33) on 500 (≥ 3 × 21.67), a shock.
    const r = run([...before, SHOCK, ENTRY, [92, 92, 70, 72, 500], [72, 73, 71, 72, 20]], params({ stopBufferPercent: 50, takeProfitRetrace: 1 }));
    expect(fillsOf(r)).toEqual([[6, 'buy', 'market', '92', '10.869', 'lh-entry']]);
    expect(r.notes.filter((n) => n.text.startsWith('shock')).map((n) => n.index), 'only the first shock is acted on').toEqual([5]);
    expect(r.openOrders.map((o) => [o.tag, plain(o.triggerPrice ?? o.price!)])).toEqual([['lh-stop', '45'], ['lh-take-profit', '100']]);
  });
});
