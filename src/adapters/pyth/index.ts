// Pyth Hermes adapter: oracle prices (`PriceFeed`) with batching, streaming, rate limiting and feed lookup.
export { PythError, PythErrorCode, PythRateLimitError, isPythError } from './errors.js';
export {
  PYTH_CRYPTO_USD_FEEDS,
  USD_STABLECOIN_QUOTES,
  PythFeedRegistry,
  pickUsdFeed,
  pythTargetForSymbol,
  type PythFeedRef,
  type PythSymbolTarget,
} from './feed-registry.js';
export {
  mapHermesPriceUpdate,
  normalizeFeedId,
  parseHermesPriceUpdates,
  scaledDecimal,
  toPythQuote,
  type PythFeedId,
  type PythPrice,
  type PythQuote,
  type PythQuoteTarget,
} from './hermes-mapper.js';
export { HermesPriceStream, reconnectDelayMs, type HermesStreamOptions } from './hermes-stream.js';
export { HERMES_PUBLIC_LIMIT, RequestBudget, type RequestBudgetOptions } from './request-budget.js';
export {
  DEFAULT_HERMES_URL,
  PythPriceFeed,
  pythOptionsFromConfig,
  type PythPriceFeedOptions,
  type PythQuoteOutcome,
  type PythSubscribeOptions,
} from './pyth-price-feed.js';
