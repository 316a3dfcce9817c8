// The shadow compares fees in the quote currency, whatever asset the venue took them in.
import { describe, expect, it } from 'vitest';
import { symbolAssets } from '../../../src/domain/market.js';
import { feeInQuote } from '../../../src/services/trading/shadow.js';

const order = (symbol: string, fee: string, feeAsset: string | null, averageFillPrice: string | null = '150'): Parameters<typeof feeInQuote>[0] => ({ symbol, fee, feeAsset, averageFillPrice });

describe('fees in the quote currency', () => {
  it('keeps a quote fee, values a base fee at the fill price, and leaves a third asset unvalued', () => {
    expect(feeInQuote(order('SOL/USDT', '0.15', 'USDT'))?.toFixed()).toBe('0.15');
    expect(feeInQuote(order('SOL/USDT', '0.001', 'SOL'))?.toFixed()).toBe('0.15');
    expect(feeInQuote(order('SOL/USDT', '0.0004', 'BNB'))).toBeUndefined();
    expect(feeInQuote(order('SOL/USDT', '0.001', 'SOL', null)), 'a base fee without a fill price cannot be valued').toBeUndefined();
  });

  it('a perpetual\'s fee in its settlement currency counts as it is', () => {
    expect(feeInQuote(order('SOL-PERP', '0.06', 'USDT'))?.toFixed()).toBe('0.06');
  });

  it('reads the assets of canonical symbols', () => {
    expect(symbolAssets('SOL/USDT')).toEqual({ base: 'SOL', quote: 'USDT' });
    expect(symbolAssets('BTC-PERP')).toEqual({ base: 'BTC', quote: 'USDT' });
    expect(symbolAssets('ETH/BTC')).toEqual({ base: 'ETH', quote: 'BTC' });
  });
});
