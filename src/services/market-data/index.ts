// Market data services: prices, candles (store + fast ingest + backfill), books, funding, markets.
export * from './market-service.js';
export * from './candle-store.js';
export * from './backfill.js';
export * from './progress.js';
export * from './retention.js';
export * from './sources.js';
export * from './timeframes.js';
export * from './views.js';
export { MarketDataRecorder } from './recorder.js';
export { CcxtTickerFeed } from './venue-feed.js';
export { toMarketError } from './source-errors.js';
export { createMarketLayer, type MarketLayer, type MarketLayerOptions } from './layer.js';
