// The simulated market's instruments: spot pairs against USDT and USDT-margined perpetuals, with
// base prices near real-world levels, volatility, liquidity and exchange filters.
import type { MarketInfo } from '../../domain/ports.js';
import { dec } from '../../domain/money.js';

export interface SimInstrument {
  symbol: string;
  base: string;
  quote: string;
  kind: 'spot' | 'perp';
  /** Long-run price level the path reverts to. */
  basePrice: number;
  /** Typical daily log-return standard deviation. */
  dailyVolatility: number;
  /** Typical traded value per day, in the quote currency. */
  dailyQuoteVolume: number;
  /** Correlation of its returns with the market factor. */
  marketBeta: number;
  /** Typical quoted spread in basis points. */
  spreadBps: number;
  /** Value resting at the best bid/ask level, in the quote currency. */
  topOfBookValue: number;
  tickSize: string;
  stepSize: string;
  minQty: string;
  minNotional: string;
  maxLeverage?: number;
}

type Row = [base: string, price: number, vol: number, volume: number, beta: number, spreadBps: number, tick: string, step: string];

// base, price, daily vol, daily quote volume, beta, spread (bps), tick, step
const SPOT: Row[] = [
  ['BTC', 85_000, 0.03, 1.5e9, 0.9, 0.3, '0.1', '0.00001'],
  ['ETH', 3_200, 0.038, 8e8, 0.8, 0.5, '0.01', '0.0001'],
  ['SOL', 150, 0.05, 3e8, 0.7, 1, '0.01', '0.001'],
  ['BNB', 600, 0.03, 1.5e8, 0.7, 1, '0.01', '0.001'],
  ['XRP', 2.2, 0.05, 2e8, 0.6, 1.5, '0.0001', '0.1'],
  ['ADA', 0.7, 0.05, 8e7, 0.65, 2, '0.0001', '0.1'],
  ['DOGE', 0.18, 0.06, 1.5e8, 0.6, 2, '0.00001', '1'],
  ['AVAX', 25, 0.055, 5e7, 0.7, 2, '0.01', '0.01'],
  ['DOT', 5, 0.05, 3e7, 0.7, 3, '0.001', '0.01'],
  ['LINK', 15, 0.05, 5e7, 0.7, 2, '0.001', '0.01'],
  ['LTC', 85, 0.045, 4e7, 0.7, 2, '0.01', '0.001'],
  ['TRX', 0.25, 0.03, 4e7, 0.5, 3, '0.00001', '0.1'],
  ['ATOM', 5, 0.05, 2e7, 0.65, 3, '0.001', '0.01'],
  ['NEAR', 3, 0.055, 3e7, 0.65, 3, '0.001', '0.1'],
  ['UNI', 8, 0.055, 2e7, 0.65, 3, '0.001', '0.01'],
  ['APT', 6, 0.06, 2e7, 0.65, 4, '0.001', '0.01'],
  ['ARB', 0.5, 0.06, 2e7, 0.65, 4, '0.0001', '0.1'],
  ['OP', 0.8, 0.06, 2e7, 0.65, 4, '0.0001', '0.1'],
  ['SUI', 3, 0.065, 6e7, 0.6, 3, '0.0001', '0.1'],
  ['TON', 3.5, 0.045, 2e7, 0.5, 4, '0.001', '0.01'],
  ['BCH', 400, 0.045, 3e7, 0.7, 3, '0.1', '0.001'],
  ['XLM', 0.3, 0.045, 2e7, 0.6, 4, '0.00001', '1'],
  ['FIL', 3, 0.055, 1.5e7, 0.65, 5, '0.001', '0.01'],
  ['INJ', 15, 0.065, 1.5e7, 0.6, 5, '0.001', '0.01'],
  ['SHIB', 0.000015, 0.06, 3e7, 0.55, 5, '0.00000001', '1000'],
  ['PEPE', 0.00001, 0.08, 8e7, 0.5, 5, '0.000000001', '1000'],
];

const PERPS: Array<[base: string, leverage: number]> = [
  ['BTC', 100], ['ETH', 100], ['SOL', 50], ['BNB', 50], ['XRP', 50], ['DOGE', 50], ['AVAX', 25], ['LINK', 25], ['SUI', 25],
];

function minNotionalOf(kind: 'spot' | 'perp'): string {
  return kind === 'spot' ? '5' : '10';
}

/** The default instrument list: 26 spot pairs and 9 perpetuals. */
export function defaultInstruments(): SimInstrument[] {
  const spot: SimInstrument[] = SPOT.map(([base, price, vol, volume, beta, spreadBps, tick, step]) => ({
    symbol: `${base}/USDT`, base, quote: 'USDT', kind: 'spot', basePrice: price, dailyVolatility: vol, dailyQuoteVolume: volume,
    marketBeta: beta, spreadBps, topOfBookValue: Math.max(5_000, volume / 3_000), tickSize: tick, stepSize: step, minQty: step,
    minNotional: minNotionalOf('spot'),
  }));
  const perps: SimInstrument[] = PERPS.map(([base, leverage]) => {
    const s = spot.find((m) => m.base === base)!;
    return {
      ...s, symbol: `${base}-PERP`, kind: 'perp', dailyQuoteVolume: s.dailyQuoteVolume * 2.5, spreadBps: s.spreadBps * 0.8,
      topOfBookValue: s.topOfBookValue * 2, minNotional: minNotionalOf('perp'), maxLeverage: leverage,
    };
  });
  return [...spot, ...perps];
}

/** The ports' view of an instrument. */
export function toMarketInfo(m: SimInstrument, exchange: string): MarketInfo {
  return {
    symbol: m.symbol,
    base: m.base,
    quote: m.quote,
    kind: m.kind,
    exchange,
    tickSize: dec(m.tickSize),
    stepSize: dec(m.stepSize),
    minQty: dec(m.minQty),
    minNotional: dec(m.minNotional),
    ...(m.maxLeverage === undefined ? {} : { maxLeverage: m.maxLeverage }),
  };
}
