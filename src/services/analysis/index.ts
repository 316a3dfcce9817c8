// Analysis: stored technical summaries, indicator readings and charts.
export * from './analysis-service.js';
export * from './indicators.js';
