// Hyperliquid adapter: the public info API (accounts, positions, fills, mid prices).
export * from './errors.js';
export * from './info-client.js';
export * from './info-schema.js';
