// Chart images (PNG) for chat: candlesticks with overlays, and portfolio equity curves.
export * from './render.js';
export * from './candlestick-chart.js';
export * from './equity-chart.js';
export * from './backtest-chart.js';
