// Backtests: a strategy over a candle array, in memory, with the same kernel as paper and live.
export * from './backtest.js';
export * from './metrics.js';
export * from './walk-forward.js';
export * from './sweep.js';
