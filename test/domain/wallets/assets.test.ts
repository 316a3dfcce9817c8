// One table of what an on-chain token counts as, for whale alerts, market bias and whale following.
import { describe, expect, it } from 'vitest';
import { tickersOf, underlyingAsset } from '../../../src/domain/wallets/assets.js';

describe('underlyingAsset and tickersOf', () => {
  it('unwraps wrapped and staked tokens and applies market aliases', () => {
    expect(['weth', 'stETH', 'WSTETH', ' eth '].map(underlyingAsset)).toEqual(['ETH', 'ETH', 'ETH', 'ETH']);
    expect(['WBTC', 'cbBTC', 'XBT'].map(underlyingAsset)).toEqual(['BTC', 'BTC', 'BTC']);
    expect(underlyingAsset('MATIC')).toBe('POL');
    expect(underlyingAsset('sol')).toBe('SOL');
  });

  it('lists every ticker that counts as an asset, from the asset or any of its forms', () => {
    expect(tickersOf('ETH')).toEqual(['ETH', 'STETH', 'WETH', 'WSTETH']);
    expect(tickersOf('wbtc')).toEqual(['BTC', 'CBBTC', 'WBTC', 'XBT']);
    expect(tickersOf('SOL')).toEqual(['SOL']);
  });
});
