// The application services every surface calls. Built once by the composition root (app.ts); MCP
// tools, chat commands and schedulers receive this object and never reach around it.
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import type { Clock } from '../domain/ports.js';
import type { Logger } from '../log.js';
import type { AlertService } from './alerts/alert-service.js';
import type { AnalysisService } from './analysis/analysis-service.js';
import type { BacktestService } from './backtest/backtest-service.js';
import type { PredictionService } from './predict/prediction-service.js';
import type { WalletService } from './wallets/wallet-service.js';
import type { BiasService } from './wallets/bias-service.js';
import type { TokenService } from './token/token-service.js';
import type { CommunityService } from './community/community-service.js';
import type { BotService } from './bots/bot-service.js';
import type { EventBus } from './events.js';
import type { MarketService } from './market-data/market-service.js';
import type { PortfolioService } from './portfolio/portfolio-service.js';
import type { RiskService } from './risk/risk-service.js';
import type { TradingService } from './trading/trading-service.js';
import type { RateLimiter } from './rate-limit.js';
import type { ReportService } from './reports/report-service.js';
import type { SecretKey } from './secret-box.js';
import type { LiveVenueBuildOptions } from './trading/live-venues.js';
import type { LiveVenue } from './trading/ports.js';
import type { BrokerRouter } from './trading/broker-router.js';
import type { LiveReconciler } from './trading/live-reconciler.js';

export interface Services {
  config: Config;
  db: Db;
  clock: Clock;
  logger: Logger;
  events: EventBus;
  rateLimiter: RateLimiter;
  secretKey: SecretKey;
  /** Prices, candles, books, funding, markets; `venueFeed`/`oracleFeed` for the trading services. */
  market: MarketService;
  /** Technical summaries (stored), indicators, charts. */
  analysis: AnalysisService;
  /** Alert rules; `alerts.notifier` is where chat surfaces register their notifiers. */
  alerts: AlertService;
  /** Orders, fills, positions' exits, closes; confirmation tokens (trading/trading-service.ts). */
  trading: TradingService;
  /** Portfolios, balances, positions, performance, snapshots (portfolio/portfolio-service.ts). */
  portfolio: PortfolioService;
  /** Risk limits, kill switches, risk metrics and alerts (risk/risk-service.ts). */
  risk: RiskService;
  /** Periodic and on-demand reports with MIKEY's scorecard (reports/report-service.ts). */
  reports: ReportService;
  /** Strategy backtests over the candle store, stored as the user's backtest strategies (backtest/backtest-service.ts). */
  backtest: BacktestService;
  /** Scored predictions: models per market and horizon, predictions, scoring, the scorecard (predict/prediction-service.ts). */
  /** Watched wallets: watches per user, cards, on-chain events and scores (wallets/wallet-service.ts). */
  wallets: WalletService;
  /** Market bias per asset and timeframe from credibility-weighted whale events (wallets/bias-service.ts). */
  walletBias: BiasService;
  predictions: PredictionService;
  /** The platform token (off-chain, never convertible to exchange funds): mint, grant, pools, staking, rewards (token/token-service.ts). */
  tokens: TokenService;
  /** Community leaderboards and paper competitions (community/community-service.ts). */
  community: CommunityService;
  /** Bots: strategies running on a paper portfolio under a standing approval of their limits (bots/bot-service.ts). */
  bots: BotService;
  /** Live venues: how an exchange account's adapter is built (ccxt), and the router that holds the open ones. */
  live: {
    build(opts: LiveVenueBuildOptions): Promise<LiveVenue>;
    apiBaseUrl?: string;
    router: BrokerRouter;
    reconciler: LiveReconciler;
    /** Resolves when every venue call so far is in the audit trail. */
    recorded(): Promise<void>;
  };
}
