// Strategies by kind. Each is a pure module: parameters (zod), state, and one decision per closed candle.
export * from './kernel.js';
export { gridStrategy, gridParams, type GridParams, type GridState } from './grid.js';
export { dcaStrategy, dcaParams, type DcaParams, type DcaState } from './dca.js';
export { momentumStrategy, momentumParams, type MomentumParams, type MomentumState } from './momentum.js';
export { meanReversionStrategy, meanReversionParams, type MeanReversionParams, type MeanReversionState } from './mean-reversion.js';
export { smaCrossStrategy, smaCrossParams, type SmaCrossParams, type SmaCrossState } from './sma-cross.js';
import { dcaStrategy } from './dca.js';
import { gridStrategy } from './grid.js';
import { meanReversionStrategy } from './mean-reversion.js';
import { momentumStrategy } from './momentum.js';

export const STRATEGIES = {
  grid: gridStrategy,
  dca: dcaStrategy,
  momentum: momentumStrategy,
  mean_reversion: meanReversionStrategy,
} as const;
export type StrategyKind = keyof typeof STRATEGIES;
