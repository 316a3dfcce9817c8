// Candle series and a test market for the strategy and backtest tests.
import { dec, type Dec } from '../../../src/domain/money.js';
import type { Candle, MarketInfo } from '../../../src/domain/ports.js';
import type { Strategy, StrategyDecision, StrategyInput } from '../../../src/domain/strategy/kernel.js';
import { z } from 'zod';

/** A spot market with round increments: tick 0.01, step 0.001, minimum order 1 USDT. */
export const TST_USDT: MarketInfo = {
  symbol: 'TST/USDT', base: 'TST', quote: 'USDT', kind: 'spot', exchange: 'sim',
  tickSize: dec('0.01'), stepSize: dec('0.001'), minQty: dec('0.001'), minNotional: dec('1'),
};

export const START = Date.parse('2025-01-01T00:00:00.000Z');
export const HOUR = 3_600_000;

/** Hourly candles from [open, high, low, close] rows, the first at START. */
export function candles(rows: ReadonlyArray<readonly [number | string, number | string, number | string, number | string]>): Candle[] {
  return rows.map(([o, h, l, c], i) => ({
    symbol: TST_USDT.symbol, exchange: 'sim', timeframe: '1h', openTime: new Date(START + i * HOUR),
    open: dec(o), high: dec(h), low: dec(l), close: dec(c), volume: dec(1),
  }));
}

/** Hourly candles whose open is the previous close and whose high/low are close ± `range`. */
export function closesToCandles(closes: readonly number[], range = 1): Candle[] {
  return candles(closes.map((c, i) => [i === 0 ? c : closes[i - 1]!, c + range, c - range, c] as const));
}

/** A strategy that runs `decide` on each candle (no parameters): scripted decisions for backtest tests. */
export function scripted(decide: (input: StrategyInput<Record<string, never>, null>) => StrategyDecision): Strategy<Record<string, never>, null> {
  return { kind: 'scripted', summary: 'test script', params: z.object({}).strict(), init: () => null, onCandle: decide };
}

export function plain(d: Dec): string {
  return d.toFixed();
}
