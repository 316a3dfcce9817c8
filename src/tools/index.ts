// The catalogue: every MIKEY capability as an MCP tool or resource. One file per tool under
// src/tools/<area>/; this list is the single place they are gathered (docs/tools.md is the contract).
import type { McpCatalogue } from '../mcp/server.js';
import type { ToolSpec } from '../mcp/tool.js';
import { explainOrder } from './account/explain-order.js';
import { listExchangeAccounts } from './account/list-exchange-accounts.js';
import { whoami } from './account/whoami.js';
import { setNotifications } from './account/set-notifications.js';
import { createAlert } from './alerts/create-alert.js';
import { deleteAlert } from './alerts/delete-alert.js';
import { listAlerts } from './alerts/list-alerts.js';
import { analyzeMarket } from './analysis/analyze-market.js';
import { getChart } from './analysis/get-chart.js';
import { getIndicators } from './analysis/get-indicators.js';
import { listAnalyses } from './analysis/list-analyses.js';
import { getCandles } from './market/get-candles.js';
import { getFundingRate } from './market/get-funding-rate.js';
import { getOrderBook } from './market/get-order-book.js';
import { getPrice } from './market/get-price.js';
import { searchMarkets } from './market/search-markets.js';
import { createPaperPortfolio } from './portfolio/create-paper-portfolio.js';
import { getBalances } from './portfolio/get-balances.js';
import { getPerformance } from './portfolio/get-performance.js';
import { getPortfolio } from './portfolio/get-portfolio.js';
import { getPositions } from './portfolio/get-positions.js';
import { getTrades } from './portfolio/get-trades.js';
import { listPortfolios } from './portfolio/list-portfolios.js';
import { RESOURCES } from './resources.js';
import { getReport } from './reports/get-report.js';
import { setReportSchedule } from './reports/set-report-schedule.js';
import { getRiskLimits } from './risk/get-risk-limits.js';
import { getRiskMetrics } from './risk/get-risk-metrics.js';
import { haltTrading } from './risk/halt-trading.js';
import { resumeTrading } from './risk/resume-trading.js';
import { setRiskLimit } from './risk/set-risk-limit.js';
import { amendOrder } from './trading/amend-order.js';
import { cancelOrder } from './trading/cancel-order.js';
import { closeAllPositions } from './trading/close-all-positions.js';
import { closePosition } from './trading/close-position.js';
import { getOrder } from './trading/get-order.js';
import { getShadow } from './trading/get-shadow.js';
import { listOrders } from './trading/list-orders.js';
import { placeOrder } from './trading/place-order.js';
import { previewOrder } from './trading/preview-order.js';
import { setStopLoss } from './trading/set-stop-loss.js';
import { setTakeProfits } from './trading/set-take-profits.js';
import { backtestStrategy } from './strategy/backtest-strategy.js';
import { compareBacktests, getBacktest, listBacktests } from './strategy/backtests.js';
import { sweepStrategy } from './strategy/sweep-strategy.js';
import { getModelScorecard } from './predict/get-model-scorecard.js';
import { getPrediction } from './predict/get-prediction.js';
import { listPredictions } from './predict/list-predictions.js';
import { retrainModel } from './predict/retrain-model.js';
import { claimRewards } from './token/claim-rewards.js';
import { closeStakingPool } from './token/close-staking-pool.js';
import { createStakingPool } from './token/create-staking-pool.js';
import { getTokenBalance } from './token/get-token-balance.js';
import { getTokenHistory } from './token/get-token-history.js';
import { grantTokens } from './token/grant-tokens.js';
import { listStakingPools } from './token/list-staking-pools.js';
import { mintTokens } from './token/mint-tokens.js';
import { stakeTokens } from './token/stake-tokens.js';
import { unstakeTokens } from './token/unstake-tokens.js';
import { cancelCompetition } from './community/cancel-competition.js';
import { createCompetition } from './community/create-competition.js';
import { getCompetition } from './community/get-competition.js';
import { getLeaderboard } from './community/get-leaderboard.js';
import { joinCompetition } from './community/join-competition.js';
import { joinLeaderboard } from './community/join-leaderboard.js';
import { leaveLeaderboard } from './community/leave-leaderboard.js';
import { listCompetitions } from './community/list-competitions.js';
import { createBot } from './bots/create-bot.js';
import { getWalletCard, listWatchedWallets, unwatchWallet, watchWallet } from './wallets/wallet-tools.js';
import { getMarketBias } from './wallets/get-market-bias.js';
import { followCommunityWallet, listCommunityWallets, shareWallet, unshareWallet } from './wallets/community-wallet-tools.js';
import { getBot } from './bots/get-bot.js';
import { getStrategyLeaderboard } from './bots/get-strategy-leaderboard.js';
import { listBots } from './bots/list-bots.js';
import { pauseBot } from './bots/pause-bot.js';
import { resumeBot } from './bots/resume-bot.js';
import { startBot } from './bots/start-bot.js';
import { stopBot } from './bots/stop-bot.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a heterogeneous list of typed tools
export const TOOLS: ReadonlyArray<ToolSpec<any, any>> = [
  getPrice, getCandles, getOrderBook, searchMarkets, getFundingRate,
  getIndicators, analyzeMarket, getChart, listAnalyses, backtestStrategy, sweepStrategy, listBacktests, getBacktest, compareBacktests,
  getPrediction, listPredictions, getModelScorecard, retrainModel,
  previewOrder, placeOrder, cancelOrder, amendOrder, listOrders, getOrder, closePosition, closeAllPositions, setStopLoss, setTakeProfits, getShadow,
  getPortfolio, getBalances, getPositions, getTrades, getPerformance, listPortfolios, createPaperPortfolio,
  getRiskLimits, setRiskLimit, getRiskMetrics, haltTrading, resumeTrading,
  createAlert, listAlerts, deleteAlert,
  whoami, explainOrder, listExchangeAccounts,
  getReport, setReportSchedule, setNotifications,
  getTokenBalance, listStakingPools, stakeTokens, unstakeTokens, claimRewards, getTokenHistory, mintTokens, grantTokens, createStakingPool, closeStakingPool,
  joinLeaderboard, leaveLeaderboard, getLeaderboard, createCompetition, joinCompetition, getCompetition, listCompetitions, cancelCompetition,
  createBot, startBot, pauseBot, resumeBot, stopBot, listBots, getBot, getStrategyLeaderboard,
  watchWallet, unwatchWallet, listWatchedWallets, getWalletCard, getMarketBias, shareWallet, unshareWallet, listCommunityWallets, followCommunityWallet,
];

export const CATALOGUE: McpCatalogue = { tools: TOOLS, resources: RESOURCES };
