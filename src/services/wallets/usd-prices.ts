// USD value of an asset at a past moment, for events' notional: stablecoins count as 1 USD; assets
// that map to a known market (WETH and ETH → ETH/USDT, WBTC → BTC/USDT, …) take the close of the
// stored candle that was open at that moment (1-minute bars first, then 1-hour); anything else has no
// price and the event's notional stays null rather than a guess.
import { D, ONE, type Dec } from '../../domain/money.js';
import type { Timeframe } from '../../domain/ports.js';
import { STABLECOINS } from '../../domain/wallets/classify.js';
import type { CandleStore } from '../market-data/candle-store.js';

export interface UsdPriceAt {
  /** USD per unit of `asset` at `at`, or null when unknown. */
  usdPrice(asset: string, at: Date): Promise<Dec | null>;
}

/** Wrapped and bridged symbols → the market whose price they follow. */
export const DEFAULT_MARKET_FOR_ASSET: Readonly<Record<string, string>> = {
  ETH: 'ETH/USDT',
  WETH: 'ETH/USDT',
  STETH: 'ETH/USDT',
  BTC: 'BTC/USDT',
  WBTC: 'BTC/USDT',
  SOL: 'SOL/USDT',
  LINK: 'LINK/USDT',
  UNI: 'UNI/USDT',
  HYPE: 'HYPE/USDT',
};

const TIMEFRAMES: ReadonlyArray<{ tf: Timeframe; ms: number }> = [
  { tf: '1m', ms: 60_000 },
  { tf: '1h', ms: 3_600_000 },
];

/** Prices from the candle store of one exchange. */
export class CandleUsdPrices implements UsdPriceAt {
  constructor(
    private readonly store: CandleStore,
    private readonly exchange: string,
    private readonly markets: Readonly<Record<string, string>> = DEFAULT_MARKET_FOR_ASSET,
  ) {}

  async usdPrice(asset: string, at: Date): Promise<Dec | null> {
    const symbol = asset.toUpperCase();
    if (STABLECOINS.has(symbol)) return ONE;
    const market = this.markets[symbol];
    if (!market) return null;
    for (const { tf, ms } of TIMEFRAMES) {
      const [bar] = await this.store.latest({ symbol: market, exchange: this.exchange, timeframe: tf }, 1, at);
      // The bar must be the one open at `at`: an older bar is a gap, not a price.
      if (bar && at.getTime() - bar.openTime.getTime() < ms) return new D(bar.close);
    }
    return null;
  }
}

/** Stablecoins only (no candle store configured). */
export const stablecoinPricesOnly: UsdPriceAt = {
  usdPrice: (asset) => Promise.resolve(STABLECOINS.has(asset.toUpperCase()) ? ONE : null),
};

/**
 * `prices` asked at most once per (asset, moment) for the life of the returned object: an ingestion
 * step makes one for its batch, so the events of one block (one timestamp) cost one candle lookup
 * per asset, and a price that is still missing is asked again by the next step.
 */
export function memoizedPrices(prices: UsdPriceAt): UsdPriceAt {
  const seen = new Map<string, Promise<Dec | null>>();
  return {
    usdPrice(asset: string, at: Date): Promise<Dec | null> {
      const key = `${asset.toUpperCase()}|${String(at.getTime())}`;
      let p = seen.get(key);
      if (!p) {
        p = prices.usdPrice(asset, at);
        seen.set(key, p);
      }
      return p;
    },
  };
}
