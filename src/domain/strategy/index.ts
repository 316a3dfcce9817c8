// Strategies by kind. Each is a pure module: parameters (zod), state, and one decision per closed candle.
export * from './kernel.js';
export { gridStrategy, gridParams, type GridParams, type GridState } from './grid.js';
export { dcaStrategy, dcaParams, type DcaParams, type DcaState } from './dca.js';
export { momentumStrategy, momentumParams, type MomentumParams, type MomentumState } from './momentum.js';
export { meanReversionStrategy, meanReversionParams, type MeanReversionParams, type MeanReversionState } from './mean-reversion.js';
export { smaCrossStrategy, smaCrossParams, type SmaCrossParams, type SmaCrossState } from './sma-cross.js';
export { marketMakingStrategy, marketMakingParams, type MarketMakingParams, type MarketMakingState } from './market-making.js';
export { liquidationHuntingStrategy, liquidationHuntingParams, type LiquidationHuntingParams, type LiquidationHuntingState } from './liquidation-hunting.js';
export { predictionFollowingStrategy, predictionFollowingParams, type PredictionFollowingParams, type PredictionFollowingState } from './prediction-following.js';
export { whaleFollowingStrategy, whaleFollowingParams, weightedFlow, type WhaleFollowingParams, type WhaleFollowingState } from './whale-following.js';
export { statisticalArbitrageStrategy, statisticalArbitrageParams, pairFit, type StatisticalArbitrageParams, type StatisticalArbitrageState } from './statistical-arbitrage.js';
export { yieldOptimisationStrategy, yieldOptimisationParams, fundingApr, type YieldOptimisationParams, type YieldOptimisationState } from './yield-optimisation.js';
export { agentStrategy, agentParams, AgentSource, AGENT_ANALYSIS_CANDLES, rulesDecision, shortText, type AgentParams, type AgentState, type RulesDecision } from './agent.js';
import { dcaStrategy } from './dca.js';
import { gridStrategy } from './grid.js';
import { liquidationHuntingStrategy } from './liquidation-hunting.js';
import { marketMakingStrategy } from './market-making.js';
import { meanReversionStrategy } from './mean-reversion.js';
import { momentumStrategy } from './momentum.js';
import { smaCrossStrategy } from './sma-cross.js';
import { predictionFollowingStrategy } from './prediction-following.js';
import { whaleFollowingStrategy } from './whale-following.js';
import { agentStrategy } from './agent.js';
import { statisticalArbitrageStrategy } from './statistical-arbitrage.js';
import { yieldOptimisationStrategy } from './yield-optimisation.js';

// New kinds go at the end: the order is the order users see in "must be one of ...".
export const STRATEGIES = {
  grid: gridStrategy,
  dca: dcaStrategy,
  momentum: momentumStrategy,
  mean_reversion: meanReversionStrategy,
  sma_cross: smaCrossStrategy,
  market_making: marketMakingStrategy,
  liquidation_hunting: liquidationHuntingStrategy,
  prediction_following: predictionFollowingStrategy,
  whale_following: whaleFollowingStrategy,
  agent: agentStrategy,
  statistical_arbitrage: statisticalArbitrageStrategy,
  yield_optimisation: yieldOptimisationStrategy,
} as const;
export type StrategyKind = keyof typeof STRATEGIES;
