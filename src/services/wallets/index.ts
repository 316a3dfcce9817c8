// Wallet intelligence services: watches (wallet-service), EVM and Hyperliquid ingestion, text.
export * from './evm-ingestion.js';
export * from './event-store.js';
export * from './format.js';
export * from './hyperliquid-ingestion.js';
export * from './json-rpc.js';
export * from './usd-prices.js';
export * from './wallet-service.js';
export * from './whale-pushes.js';
export * from './whale-moves.js';
