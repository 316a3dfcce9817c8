// The simulated market adapter.
export * from './sim-market.js';
export { defaultInstruments, toMarketInfo } from './markets.js';
export type { SimInstrument } from './markets.js';
export { FIRST_DAY, LAST_DAY } from './price-path.js';
