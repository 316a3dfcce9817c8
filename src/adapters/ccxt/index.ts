// ccxt adapter: venue market data (`MarketDataSource`), the live broker (`CcxtBroker`) and the shared ccxt error classification.
export {
  CcxtFailureKind,
  CcxtFailureReason,
  CcxtVenueError,
  classifyCcxtError,
  isCcxtVenueError,
  scrubVenueText,
  toVenueError,
  type CcxtErrorClassification,
  type CcxtErrorContext,
} from './errors.js';
export {
  CcxtPrecisionMode,
  decimalFromCcxt,
  incrementFromPrecision,
  mapCcxtFundingRate,
  mapCcxtMarket,
  mapCcxtOhlcv,
  mapCcxtOrderBook,
  mapCcxtTicker,
  type ExchangeQuote,
  type MapMarketOptions,
} from './ccxt-mapper.js';
export { canonicalFromCcxtMarket, ccxtSymbolFor, DEFAULT_PERP_QUOTE } from './symbols.js';
export {
  CcxtMarketData,
  ccxtOptionsFromConfig,
  createCcxtExchange,
  DEFAULT_EXCHANGE,
  type CcxtMarketDataOptions,
} from './ccxt-market-data.js';
export {
  CcxtBroker,
  validateExchangeCredentials,
  type CancelAllResult,
  type CcxtBrokerOptions,
  type ExchangeCredentials,
  type ValidateCredentialsOptions,
  type ValidateCredentialsResult,
  type VenueCallRecord,
  type VenuePosition,
} from './ccxt-broker.js';
export { RateBudget, type RequestFamily, type RequestPurpose } from './rate-budget.js';
