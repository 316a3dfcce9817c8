// Alert conditions: schema and messages, descriptions, requirements, and the evaluator's crossing
// semantics (one crossing fires once, with one deterministic key).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  MAX_CONDITION_LEAVES, bollingerKey, conditionDepth, conditionFingerprint, conditionRequirements, countLeaves,
  describeCondition, evaluateCondition, formatDecimal, indicatorKey, indicatorReadings, initialConditionState,
  parseAlertCondition,
} from '../../src/domain/alert-conditions.js';
import type { AlertCondition, ConditionInputs, ConditionState } from '../../src/domain/alert-conditions.js';
import { bollingerBands, macd, rsi } from '../../src/domain/indicators/index.js';
import { dec } from '../../src/domain/money.js';

function parse(input: unknown): AlertCondition {
  const r = parseAlertCondition(input);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

function errorOf(input: unknown): string {
  const r = parseAlertCondition(input);
  expect(r.ok, 'expected the input to be refused').toBe(false);
  return r.ok ? '' : r.error;
}

const above = (price: string, symbol = 'BTC/USDT'): unknown => ({ type: 'price_above', symbol, price });
const T0 = Date.UTC(2025, 5, 1, 12);
const at = (minutes: number): Date => new Date(T0 + minutes * 60_000);

describe('condition schema', () => {
  it('parses a combined condition, normalising symbols and filling defaults', () => {
    const c = parse({ type: 'all', conditions: [above('70000', ' btc/usdt '), { type: 'rsi_below', symbol: 'BTC/USDT', timeframe: '1h', value: 30 }] });
    expect(c).toEqual({
      type: 'all',
      conditions: [
        { type: 'price_above', symbol: 'BTC/USDT', price: '70000' },
        { type: 'rsi_below', symbol: 'BTC/USDT', timeframe: '1h', period: 14, value: 30 },
      ],
    });
    expect(parse({ type: 'band_touch', symbol: 'SOL-PERP', timeframe: '4h', band: 'lower' })).toEqual({ type: 'band_touch', symbol: 'SOL-PERP', timeframe: '4h', band: 'lower', period: 20, stdDev: 2 });
  });

  it('explains what is wrong, field by field', () => {
    expect(errorOf({ type: 'price_above', symbol: 'BTC/USDT', price: 70000 })).toBe('price: price must be a decimal string like "70000" (not a number, to keep it exact)');
    expect(errorOf({ type: 'price_above', symbol: 'BTC/USDT', price: '-5' })).toMatch(/^price: price must be a plain decimal string/);
    expect(errorOf({ type: 'price_below', symbol: 'BTC/USDT', price: '0' })).toBe('price: price must be greater than zero');
    expect(errorOf({ type: 'price_below', symbol: 'BTC USDT', price: '1' })).toBe('symbol: symbol must look like "BTC/USDT" or "SOL-PERP"');
    expect(errorOf({ type: 'volume_spike' })).toBe('type: type must be one of price_above, price_below, percent_move, rsi_above, rsi_below, macd_cross, band_touch, whale_move, all');
    expect(errorOf({ type: 'rsi_above', symbol: 'BTC/USDT', timeframe: '2h', value: 120 })).toBe('timeframe: timeframe must be one of 1m, 5m, 15m, 30m, 1h, 4h, 1d, 1w; value: RSI value must be below 100');
    expect(errorOf({ type: 'percent_move', symbol: 'ETH/USDT', percent: 100, windowMinutes: 60, direction: 'down' })).toBe('percent: a fall of 100% or more cannot happen; use a smaller percent');
    expect(errorOf({ type: 'percent_move', symbol: 'ETH/USDT', percent: 5, windowMinutes: 1.5, direction: 'up' })).toBe('windowMinutes: windowMinutes must be a whole number of minutes');
    expect(errorOf({ type: 'macd_cross', symbol: 'ETH/USDT', timeframe: '4h', direction: 'up' })).toBe('direction: direction must be bullish or bearish');
    expect(errorOf({ type: 'all', conditions: [] })).toBe('conditions: all needs at least one condition');
    expect(errorOf({ type: 'all', conditions: [above('1'), { type: 'price_above', symbol: 'BTC/USDT' }] })).toBe('conditions.1.price: price is required, as a decimal string like "70000"');
    expect(errorOf({ ...(above('1') as object), note: 'x' })).toBe("Unrecognized key(s) in object: 'note'");
  });

  it('allows three levels and eight leaves, and refuses more', () => {
    const three = parse({ type: 'all', conditions: [{ type: 'all', conditions: [above('1'), above('2')] }, above('3')] });
    expect(conditionDepth(three)).toBe(3);
    expect(errorOf({ type: 'all', conditions: [{ type: 'all', conditions: [{ type: 'all', conditions: [above('1')] }] }] }))
      .toBe('conditions are nested too deeply: at most 3 levels (an "all" inside an "all" holding conditions)');
    const eight = parse({ type: 'all', conditions: Array.from({ length: 4 }, (_, i) => ({ type: 'all', conditions: [above(String(i + 1)), above(String(i + 10))] })) });
    expect(countLeaves(eight)).toBe(MAX_CONDITION_LEAVES);
    expect(errorOf({ type: 'all', conditions: Array.from({ length: 5 }, () => ({ type: 'all', conditions: [above('1'), above('2')] })) }))
      .toBe('too many conditions: 10, at most 8 in one alert');
    expect(errorOf({ type: 'all', conditions: Array.from({ length: 9 }, () => above('1')) })).toBe('conditions: all takes at most 8 conditions');
  });

  it('refuses absurdly deep input without overflowing the stack', () => {
    let deep: unknown = above('1');
    for (let i = 0; i < 100_000; i++) deep = { type: 'all', conditions: [deep] };
    expect(errorOf(deep)).toMatch(/nested too deeply/);
  });
});

describe('descriptions', () => {
  it('reads like a sentence', () => {
    expect(describeCondition(parse({ type: 'all', conditions: [above('70000'), { type: 'rsi_below', symbol: 'BTC/USDT', timeframe: '1h', value: 30 }] })))
      .toBe('BTC/USDT above 70,000 and RSI(14, 1h) under 30');
    expect(describeCondition(parse({ type: 'percent_move', symbol: 'ETH/USDT', percent: 5, windowMinutes: 60, direction: 'up' }))).toBe('ETH/USDT up 5% within 1 hour');
    expect(describeCondition(parse({ type: 'percent_move', symbol: 'ETH/USDT', percent: 2.5, windowMinutes: 90, direction: 'either' }))).toBe('ETH/USDT moves 2.5% either way within 90 minutes');
    expect(describeCondition(parse({ type: 'macd_cross', symbol: 'SOL/USDT', timeframe: '4h', direction: 'bearish' }))).toBe('SOL/USDT MACD(12, 26, 9, 4h) crosses below its signal line');
    expect(describeCondition(parse({
      type: 'all',
      conditions: [
        { type: 'price_below', symbol: 'ETH/USDT', price: '2950.5' },
        { type: 'all', conditions: [{ type: 'band_touch', symbol: 'SOL/USDT', timeframe: '1h', band: 'lower' }, { type: 'rsi_above', symbol: 'SOL/USDT', timeframe: '1d', value: 55, period: 7 }] },
        { type: 'price_above', symbol: 'PEPE/USDT', price: '0.00001234' },
      ],
    }))).toBe('ETH/USDT below 2,950.5, (SOL/USDT touches the lower Bollinger band (20, 2, 1h) and RSI(7, 1d) over 55) and PEPE/USDT above 0.00001234');
    expect(formatDecimal('1234567.000100')).toBe('1,234,567.000100');
  });
});

describe('requirements', () => {
  it('lists prices, history, indicators and candles, deduplicated', () => {
    const c = parse({
      type: 'all',
      conditions: [
        above('70000'),
        { type: 'percent_move', symbol: 'BTC/USDT', percent: 3, windowMinutes: 30, direction: 'up' },
        { type: 'percent_move', symbol: 'BTC/USDT', percent: 5, windowMinutes: 240, direction: 'down' },
        { type: 'rsi_below', symbol: 'BTC/USDT', timeframe: '1h', value: 30 },
        { type: 'rsi_above', symbol: 'BTC/USDT', timeframe: '1h', value: 20 },
        { type: 'macd_cross', symbol: 'ETH/USDT', timeframe: '4h', direction: 'bullish' },
        { type: 'band_touch', symbol: 'ETH/USDT', timeframe: '4h', band: 'upper' },
      ],
    });
    expect(conditionRequirements(c)).toEqual({
      prices: ['BTC/USDT', 'ETH/USDT'],
      priceHistory: [{ symbol: 'BTC/USDT', windowMinutes: 240 }],
      indicators: [
        { symbol: 'BTC/USDT', timeframe: '1h', indicator: 'rsi', period: 14 },
        { symbol: 'ETH/USDT', timeframe: '4h', indicator: 'bollinger', period: 20, stdDev: 2 },
        { symbol: 'ETH/USDT', timeframe: '4h', indicator: 'macd' },
      ],
      candles: [
        { symbol: 'BTC/USDT', timeframe: '1h', count: 250 },
        { symbol: 'ETH/USDT', timeframe: '4h', count: 300 },
      ],
    });
  });

  it('computes the readings it asks for from closes', () => {
    const closes = Array.from({ length: 300 }, (_, i) => 100 + 10 * Math.sin(i / 9) + i * 0.05);
    const c = parse({ type: 'all', conditions: [{ type: 'rsi_below', symbol: 'X/USDT', timeframe: '1h', value: 30, period: 9 }, { type: 'macd_cross', symbol: 'X/USDT', timeframe: '1h', direction: 'bullish' }, { type: 'band_touch', symbol: 'X/USDT', timeframe: '1h', band: 'upper', period: 10, stdDev: 1.5 }] });
    const readings = indicatorReadings(closes, conditionRequirements(c).indicators);
    expect(readings.close).toBe(closes[299]);
    expect(readings.rsi?.[9]).toBe(rsi(closes, 9)[299]);
    expect(readings.macd?.signal).toBe(macd(closes).signal[299]);
    expect(readings.bollinger?.[bollingerKey(10, 1.5)]?.upper).toBe(bollingerBands(closes, { period: 10, stdDev: 1.5 }).upper[299]);
    expect(indicatorReadings(closes.slice(0, 5), conditionRequirements(c).indicators), 'too little history gives no readings').toEqual({ close: closes[4] });
  });
});

/** Runs a sequence of evaluations, threading the state; returns each evaluation. */
function run(condition: AlertCondition, steps: Array<Omit<ConditionInputs, 'now'>>, start?: ConditionState): ReturnType<typeof evaluateCondition>[] {
  let state = start;
  return steps.map((inputs, i) => {
    const e = evaluateCondition(condition, { ...inputs, now: at(i) }, state);
    state = e.state;
    return e;
  });
}

const prices = (btc: string | undefined): Omit<ConditionInputs, 'now'> => ({ prices: btc === undefined ? {} : { 'BTC/USDT': btc } });

describe('crossing semantics', () => {
  const condition = parse(above('70000'));

  it('fires once per crossing, not while the condition stays true', () => {
    const results = run(condition, ['69000', '70000', '70000.01', '72000', '71000', '69999', '70500'].map(prices));
    expect(results.map((r) => r.met)).toEqual([false, false, true, false, false, false, true]);
    expect(results.map((r) => r.holds)).toEqual([false, false, true, true, true, false, true]);
    const keys = results.filter((r) => r.met).map((r) => r.triggerKey);
    expect(new Set(keys).size, 'two crossings, two keys').toBe(2);
    expect(results[2]!.detail).toBe('BTC/USDT above 70,000 — BTC/USDT at 70,000.01');
    expect(results[0]!.triggerKey).toBeUndefined();
  });

  it('does not fire on the first evaluation, even when already true (baseline)', () => {
    expect(run(condition, ['71000', '72000'].map(prices)).map((r) => r.met)).toEqual([false, false]);
    const fromFalse: ConditionState = { ...initialConditionState(condition), holds: false, since: at(-5).toISOString() };
    expect(run(condition, ['71000'].map(prices), fromFalse)[0]!.met, 'a stored "false" state does fire').toBe(true);
  });

  it('neither fires nor forgets during a data gap', () => {
    const results = run(condition, ['69000', undefined, '71000', undefined, '72000'].map(prices));
    expect(results.map((r) => r.met)).toEqual([false, false, true, false, false]);
    expect(results[1]!.holds).toBeNull();
    expect(results[1]!.missing).toEqual(['latest price of BTC/USDT']);
    expect(results[1]!.state.holds, 'the gap keeps the last known truth').toBe(false);
  });

  it('gives the same key to the same crossing seen by two sweeps', () => {
    const [first] = run(condition, [prices('69000')]);
    const a = evaluateCondition(condition, { now: at(10), prices: { 'BTC/USDT': '70100' } }, first!.state);
    const b = evaluateCondition(condition, { now: at(11), prices: { 'BTC/USDT': dec('70200') } }, first!.state);
    expect(a.met && b.met).toBe(true);
    expect(a.triggerKey).toBe(b.triggerKey);
    expect(a.triggerKey).toBe(`${conditionFingerprint(condition)}:${at(0).toISOString()}`);
  });

  it('starts afresh when the condition changes', () => {
    const [first] = run(condition, [prices('69000')]);
    const edited = parse(above('68000'));
    const e = evaluateCondition(edited, { now: at(1), prices: { 'BTC/USDT': '69500' } }, first!.state);
    expect(e.met, 'the old state belongs to another condition').toBe(false);
    expect(e.state.fingerprint).toBe(conditionFingerprint(edited));
  });

  it('fires an AND on the edge of the combination', () => {
    const both = parse({ type: 'all', conditions: [above('70000'), { type: 'rsi_below', symbol: 'BTC/USDT', timeframe: '1h', value: 30 }] });
    const step = (price: string, rsiValue: number | undefined): Omit<ConditionInputs, 'now'> => ({
      prices: { 'BTC/USDT': price },
      indicators: rsiValue === undefined ? {} : { [indicatorKey('BTC/USDT', '1h')]: { rsi: { 14: rsiValue } } },
    });
    const results = run(both, [step('69000', 25), step('71000', 35), step('71000', 25), step('72000', 20), step('69000', undefined), step('71000', 29)]);
    expect(results.map((r) => r.met)).toEqual([false, false, true, false, false, true]);
    expect(results[4]!.holds, 'a false leaf decides even with another leaf unknown').toBe(false);
    expect(results[2]!.description).toBe('BTC/USDT above 70,000 and RSI(14, 1h) under 30');
    expect(results[2]!.detail).toBe('BTC/USDT above 70,000 and RSI(14, 1h) under 30 — BTC/USDT at 71,000; BTC/USDT RSI(14, 1h) 25.0');
  });

  it('measures percent moves from the price one window ago', () => {
    const c = parse({ type: 'percent_move', symbol: 'ETH/USDT', percent: 5, windowMinutes: 60, direction: 'either' });
    const history = [
      { time: at(-120), price: '3000' },
      { time: at(-61), price: '3100' },
      { time: at(-30), price: '3300' },
    ];
    const now = at(0);
    const check = (price: string, previous?: ConditionState): ReturnType<typeof evaluateCondition> =>
      evaluateCondition(c, { now, prices: { 'ETH/USDT': price }, history: { 'ETH/USDT': history } }, previous);
    expect(check('3254').holds, '+4.97% from 3100').toBe(false);
    expect(check('3255').holds, '+5% exactly').toBe(true);
    expect(check('2945').holds, '-5% exactly').toBe(true);
    expect(check('3255').detail).toBe('ETH/USDT moves 5% either way within 1 hour — ETH/USDT +5% in 1 hour');
    const stale = evaluateCondition(c, { now, prices: { 'ETH/USDT': '3255' }, history: { 'ETH/USDT': history.slice(0, 1) } });
    expect(stale.holds, 'a price from two hours ago does not stand for one hour ago').toBeNull();
    expect(stale.missing).toEqual(['ETH/USDT price history back 1 hour']);
    const up = parse({ type: 'percent_move', symbol: 'ETH/USDT', percent: 5, windowMinutes: 60, direction: 'up' });
    expect(evaluateCondition(up, { now, prices: { 'ETH/USDT': '2900' }, history: { 'ETH/USDT': history } }).holds, 'a fall is not a rise').toBe(false);
  });

  it('reads RSI, MACD and Bollinger readings per symbol and timeframe', () => {
    const key = indicatorKey('SOL/USDT', '4h');
    const inputs = (readings: object, price?: string): ConditionInputs => ({ now: at(0), prices: price ? { 'SOL/USDT': price } : {}, indicators: { [key]: readings } });
    const bullish = parse({ type: 'macd_cross', symbol: 'SOL/USDT', timeframe: '4h', direction: 'bullish' });
    expect(evaluateCondition(bullish, inputs({ macd: { macd: 1.2, signal: 1.1, histogram: 0.1 } })).holds).toBe(true);
    expect(evaluateCondition(bullish, inputs({ macd: { macd: 1.0, signal: 1.1, histogram: -0.1 } })).holds).toBe(false);
    expect(evaluateCondition(bullish, inputs({ macd: { macd: 1.0, signal: 1.1, histogram: -0.1 } }, '150')).holds, 'price does not matter').toBe(false);
    expect(evaluateCondition(bullish, inputs({})).missing).toEqual(['MACD of SOL/USDT 4h']);
    const touch = parse({ type: 'band_touch', symbol: 'SOL/USDT', timeframe: '4h', band: 'upper' });
    const bands = { bollinger: { [bollingerKey(20, 2)]: { upper: 160, middle: 150, lower: 140 } }, close: 155 };
    expect(evaluateCondition(touch, inputs(bands)).holds, 'the close is inside the band').toBe(false);
    expect(evaluateCondition(touch, inputs(bands, '160')).holds, 'the live price reaches the band').toBe(true);
    const overbought = parse({ type: 'rsi_above', symbol: 'SOL/USDT', timeframe: '4h', value: 70, period: 7 });
    expect(evaluateCondition(overbought, inputs({ rsi: { 7: 71 } })).holds).toBe(true);
    expect(evaluateCondition(overbought, inputs({ rsi: { 14: 90 } })).holds, 'another period is not this one').toBeNull();
  });

  it('fires exactly on the false→true edges of any price path (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.integer({ min: 68_000, max: 72_000 }), { nil: undefined }), { maxLength: 60 }), (path) => {
        const results = run(condition, path.map((p) => prices(p === undefined ? undefined : String(p))));
        let known: boolean | null = null;
        let expectedFires = 0;
        path.forEach((p, i) => {
          if (p === undefined) return;
          const holds = p > 70_000;
          const fires = known === false && holds;
          if (fires) expectedFires++;
          expect(results[i]!.met, `step ${i}`).toBe(fires);
          known = holds;
        });
        const keys = results.filter((r) => r.met).map((r) => r.triggerKey);
        expect(keys.length).toBe(expectedFires);
        expect(new Set(keys).size, 'every crossing has its own key').toBe(keys.length);
      }),
    );
  });
});
