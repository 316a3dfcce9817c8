// Technical indicators: batch forms over arrays (typed-array outputs, NaN during warm-up) and
// streaming forms (`update` returns undefined during warm-up). See each file for its conventions.
export * from './types.js';
export * from './moving-averages.js';
export * from './rsi.js';
export * from './macd.js';
export * from './bollinger.js';
export * from './atr.js';
export * from './adx.js';
export * from './stochastic.js';
export * from './volume.js';
export * from './series.js';
export * from './snapshot.js';
