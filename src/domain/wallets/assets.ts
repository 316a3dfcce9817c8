// Which asset an on-chain token counts as: wrapped and staked forms count as what they wrap (a WETH
// swap is an ETH move), and the market aliases (XBT → BTC, MATIC → POL) apply. One table for whale
// alerts, market bias and the whale-following signals, so a move counts the same everywhere.
// Counting is not pricing: wstETH counts as ETH here but is not priced as one ETH (usd-prices.ts).
import { ASSET_ALIASES } from '../market.js';

/** Wrapped, bridged and staked tokens → the asset they follow. */
export const WRAPPED_ASSETS: Readonly<Record<string, string>> = { WETH: 'ETH', STETH: 'ETH', WSTETH: 'ETH', WBTC: 'BTC', CBBTC: 'BTC' };

/** The asset a ticker counts as, upper case: WETH → ETH, WBTC → BTC, XBT → BTC; others as they are. */
export function underlyingAsset(symbol: string): string {
  const s = symbol.trim().toUpperCase();
  const unwrapped = WRAPPED_ASSETS[s] ?? s;
  return ASSET_ALIASES[unwrapped] ?? unwrapped;
}

/** Every ticker that counts as `asset`, itself included, sorted. */
export function tickersOf(asset: string): string[] {
  const target = underlyingAsset(asset);
  const names = new Set([target]);
  for (const k of [...Object.keys(WRAPPED_ASSETS), ...Object.keys(ASSET_ALIASES)]) if (underlyingAsset(k) === target) names.add(k);
  return [...names].sort();
}
