// Backtests of the strategy kernel over the candle store, stored as the user's backtest strategies.
export * from './backtest-service.js';
