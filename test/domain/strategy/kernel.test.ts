import { describe, expect, it } from 'vitest';
import { runBacktest } from '../../../src/domain/backtest/backtest.js';
import { dec } from '../../../src/domain/money.js';
import { CandleWindow, intentProblem, parseStrategyParams, withKnownParamNames, type ClosedCandle } from '../../../src/domain/strategy/kernel.js';
import { STRATEGIES, type Strategy } from '../../../src/domain/strategy/index.js';
import { candles, plain, scripted, TST_USDT } from './fixtures.js';
import { errorOf, unwrap } from '../trading-fixtures.js';

describe('no look-ahead', () => {
  const series = candles([[100, 101, 99, 100], [100, 102, 99, 101], [101, 103, 100, 102], [102, 104, 101, 103]]);

  it('a strategy cannot read the next candle, reach the array, or rewrite history', () => {
    const attempts: string[] = [];
    const seen: Array<[number, string]> = [];
    const peeker = scripted(({ candles: w }) => {
      seen.push([w.length, w.last().openTime.toISOString()]);
      try {
        w.at(w.length);
        attempts.push('read the next candle');
      } catch (e) {
        if (!(e instanceof RangeError)) throw e;
      }
      if (w.ago(0)?.openTime.getTime() !== w.last().openTime.getTime()) attempts.push('ago(0) is not the last closed candle');
      expect(() => w.ago(-1), 'negative ago() would be the future').toThrow(RangeError);
      const raw = w as unknown as Record<string, unknown>;
      if (Object.keys(raw).length > 0 || raw['candles'] !== undefined || JSON.stringify(w) !== '{}') attempts.push('saw the array');
      const last = w.last() as { close: unknown };
      try {
        last.close = dec(1_000_000);
        attempts.push('rewrote a close');
      } catch (e) {
        if (!(e instanceof TypeError)) throw e;
      }
      try {
        (w.last().close as unknown as { d: number[] }).d[0] = 9;
        attempts.push('rewrote a decimal digit');
      } catch (e) {
        if (!(e instanceof TypeError)) throw e;
      }
      w.last().openTime.setTime(0);
      try {
        (w as unknown as { length: number }).length = 99;
        attempts.push('stretched the window');
      } catch (e) {
        if (!(e instanceof TypeError)) throw e;
      }
      expect(w.closes(10).length, 'closes() stops at the last closed candle').toBe(w.length);
      return {};
    });
    unwrap(runBacktest({ market: TST_USDT, initialCash: dec(1000), feeBps: 0, slippageBps: 0, strategy: peeker, params: {}, candles: series }));
    expect(attempts, 'every attempt to see the future or change the past fails').toEqual([]);
    expect(seen, 'called once per closed candle, seeing exactly candles 0..t').toEqual(series.map((c, t) => [t + 1, c.openTime.toISOString()]));
    expect(series.map((c) => [c.openTime.getTime() > 0, c.close.toFixed(), c.close.d[0]]), 'history unchanged').toEqual([
      [true, '100', 100], [true, '101', 101], [true, '102', 102], [true, '103', 103],
    ]);
  });

  it('a window names the range it refuses', () => {
    const w = new CandleWindow(series, 1);
    expect(() => w.at(2)).toThrow('candle 2 is not a closed candle of this window (0..1); a strategy sees closed candles only');
    expect(w.ago(5), 'before the start is simply absent').toBeUndefined();
    expect([...w.closes(5)], 'the closes of candles 0 and 1 only').toEqual([100, 101]);
    expect(() => new CandleWindow(series, 4)).toThrow('lastClosed must be an index of the candle array (0..3), got 4');
  });

  it('a decision on candle t fills at t + 1, never on t itself', () => {
    const script = scripted(({ candles: w }) => (w.length === 1 ? { orders: [{ side: 'buy', type: 'market', quantity: dec(1) }] } : {}));
    const r = unwrap(runBacktest({ market: TST_USDT, initialCash: dec(1000), feeBps: 0, slippageBps: 0, strategy: script, params: {}, candles: series }));
    expect(r.fills.map((f) => [f.index, f.price.toFixed()]), 'decided on c0 close 100, filled at c1 open 100').toEqual([[1, '100']]);
  });

  it('hands out frozen copies that share the frozen decimals', () => {
    const w = new CandleWindow(series, 3);
    const c: ClosedCandle = w.at(0);
    expect(Object.isFrozen(c) && Object.isFrozen(c.close), 'candle and decimals frozen').toBe(true);
    expect(c.close, 'decimals are shared, not copied').toBe(series[0]!.close);
    expect(c.openTime, 'the date is a copy (a Date cannot be frozen)').not.toBe(series[0]!.openTime);
  });
});

describe('strategy parameters', () => {
  it('refuses unknown parameters and says which ones it takes', () => {
    const e = errorOf(parseStrategyParams(STRATEGIES.grid, { lower: 60000, upper: 80000, quotePerLevel: 100, levles: 5 }));
    expect(e.message).toBe('invalid grid parameters: unknown parameter "levles"; grid takes lower, upper, levels, quotePerLevel');
  });

  it('matches parameter names as a person types them (case, "_", "-", spaces) and leaves the rest to be refused', () => {
    const momentum = STRATEGIES.momentum as Strategy<unknown, unknown>;
    expect(withKnownParamNames(momentum, { FAST: 5, slow: 30, atr_multiplier: 2, 'ATR period': 10, entryz: 1 })).toEqual({ fast: 5, slow: 30, atrMultiplier: 2, atrPeriod: 10, entryz: 1 });
    // Given twice, the other spelling stays as typed, and the strategy refuses it.
    const twice = withKnownParamNames(momentum, { fast: 5, FAST: 8 });
    expect(twice).toEqual({ fast: 5, FAST: 8 });
    expect(errorOf(parseStrategyParams(momentum, twice)).message).toMatch(/FAST/);
  });

  it('refuses out-of-bounds values with the bound in the message', () => {
    expect(errorOf(parseStrategyParams(STRATEGIES.grid, { lower: 60000, upper: 80000, quotePerLevel: 100, levels: 500 })).message)
      .toMatch(/^invalid grid parameters: levels: levels must be at most 200;/);
    expect(errorOf(parseStrategyParams(STRATEGIES.grid, { lower: 80000, upper: 60000, quotePerLevel: 100 })).message)
      .toMatch(/^invalid grid parameters: upper: upper must be above lower;/);
    expect(errorOf(parseStrategyParams(STRATEGIES.dca, { quoteAmount: '-5' })).message)
      .toMatch(/^invalid dca parameters: quoteAmount: quoteAmount must be greater than 0, got -5;/);
    expect(errorOf(parseStrategyParams(STRATEGIES.momentum, { fast: 30, slow: 20 })).message)
      .toMatch(/^invalid momentum parameters: slow: slow must be longer than fast;/);
    expect(errorOf(parseStrategyParams(STRATEGIES.mean_reversion, { entryZ: 9, period: 1 })).message)
      .toMatch(/^invalid mean_reversion parameters: period: period must be at least 2; entryZ: entryZ must be at most 5;/);
    expect(errorOf(parseStrategyParams(STRATEGIES.dca, {})).message, 'a required parameter').toMatch(/^invalid dca parameters: quoteAmount: /);
  });

  it('fills in defaults and turns money into decimals', () => {
    const p = unwrap(parseStrategyParams(STRATEGIES.momentum, {}));
    expect([p.fast, p.slow, p.atrPeriod, p.atrMultiplier, p.allocation.toFixed()]).toEqual([12, 26, 14, 3, '1']);
    const g = unwrap(parseStrategyParams(STRATEGIES.grid, { lower: '60000', upper: 80000, quotePerLevel: '250.5' }));
    expect([g.lower.toFixed(), g.upper.toFixed(), g.levels, g.quotePerLevel.toFixed()]).toEqual(['60000', '80000', 10, '250.5']);
    expect(Object.isFrozen(g), 'parameters are frozen').toBe(true);
  });
});

describe('intent checks', () => {
  it('names what is wrong with a malformed intent', () => {
    expect(intentProblem({ side: 'buy', type: 'market', quantity: dec(1), quoteAmount: dec(5) })).toBe('give exactly one of quantity (base) and quoteAmount (quote)');
    expect(intentProblem({ side: 'buy', type: 'market', quantity: dec(0) })).toBe('the size must be greater than zero, got 0');
    expect(intentProblem({ side: 'sell', type: 'stop', quantity: dec(1) })).toBe('a stop order needs a trigger price above zero');
    expect(intentProblem({ side: 'sell', type: 'market', quantity: dec(1), price: dec(3) })).toBe('a market order takes no price or trigger price');
    expect(intentProblem({ side: 'sell', type: 'limit', quantity: dec(1), price: dec(3) })).toBeNull();
  });
});

describe('registered strategies cannot see the future', () => {
  // 80 hourly candles: a swing of ±6 around a slowly rising line, a high-volume flush of 12 at c40 and a
  // slide after c60, so every kind below trades. Closes to the cent; volume 10, 100 on the flush.
  const rows = Array.from({ length: 80 }, (_, i) => {
    const base = 100 + 6 * Math.sin(i / 3) + i * 0.05 - (i === 40 ? 12 : 0) - (i > 60 ? (i - 60) * 0.8 : 0);
    return Number(base.toFixed(2));
  });
  const series = candles(rows.map((c, i) => {
    const open = i === 0 ? c : rows[i - 1]!;
    return [open, Math.max(open, c) + 0.5, Math.min(open, c) - 0.5, c] as const;
  })).map((c, i) => ({ ...c, volume: dec(i === 40 ? 100 : 10) }));
  const cases: Array<[keyof typeof STRATEGIES, Record<string, unknown>]> = [
    ['grid', { lower: 90, upper: 110, levels: 5, quotePerLevel: 100 }],
    ['dca', { quoteAmount: 50, every: 5, dipPercent: 3, takeProfitPercent: 3 }],
    ['momentum', { fast: 3, slow: 6, atrPeriod: 3, atrMultiplier: 1 }],
    ['mean_reversion', { period: 5, entryZ: 1 }],
    ['sma_cross', { fast: 2, slow: 5 }],
    ['market_making', { orderSize: 100, maxInventory: 400, spreadBps: 100 }],
    ['liquidation_hunting', { atrPeriod: 3, volumePeriod: 3, maxHoldCandles: 3, cooldown: 2 }],
  ];

  it.each(cases)('%s decides the same on candles 0..t whether or not later candles exist', (kind, raw) => {
    const strategy = STRATEGIES[kind] as Strategy<unknown, unknown>;
    const params = unwrap(parseStrategyParams(strategy, raw));
    const runOn = (length: number): { decisions: string[]; fills: string[] } => {
      const decisions: string[] = [];
      const recording: Strategy<unknown, unknown> = {
        ...strategy,
        onCandle: (input) => {
          const d = strategy.onCandle(input);
          const orders = (d.orders ?? []).map((o) => [o.side, o.type, o.tag, ...[o.quantity, o.quoteAmount, o.price, o.triggerPrice].map((v) => (v === undefined ? '' : plain(v)))].join(' '));
          decisions.push(`${input.candles.length - 1}: ${orders.join(', ')} | cancel ${(d.cancelTags ?? []).join(',')} | ${(d.notes ?? []).join('; ')}`);
          return d;
        },
      };
      const r = unwrap(runBacktest({ market: TST_USDT, initialCash: dec(1000), feeBps: 10, slippageBps: 5, strategy: recording, params, candles: series.slice(0, length) }));
      return { decisions, fills: r.fills.map((f) => `${f.index} ${f.side} ${plain(f.price)} ${plain(f.quantity)} ${f.tag ?? ''}`) };
    };
    const full = runOn(series.length);
    expect(full.fills.length, `${kind} trades on this series, so the comparison means something`).toBeGreaterThan(0);
    for (const length of [10, 25, 41, 45, 62]) {
      const prefix = runOn(length);
      expect(prefix.decisions, `${kind}: decisions on candles 0..${length - 1}`).toEqual(full.decisions.slice(0, length));
      expect(prefix.fills, `${kind}: fills on candles 0..${length - 1}`).toEqual(full.fills.filter((f) => Number(f.split(' ')[0]) < length));
    }
  });
});
