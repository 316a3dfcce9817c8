// Builds the trading, portfolio and risk services, the paper broker and the trading engine for the
// composition root (app.ts). The engine (recovery, execution reports, timers) starts with the app's
// background work; one-shot CLI commands use the services without it.
import { PaperBroker } from '../../adapters/paper-broker/index.js';
import type { Db } from '../../db/client.js';
import type { Broker } from '../../domain/broker.js';
import { dec, type Dec } from '../../domain/money.js';
import type { Clock, PriceFeed } from '../../domain/ports.js';
import type { Logger } from '../../log.js';
import type { EventBus } from '../events.js';
import type { MarketCatalog } from '../markets.js';
import { PortfolioService } from '../portfolio/portfolio-service.js';
import { RiskService } from '../risk/risk-service.js';
import { TradingEngine } from './engine.js';
import { PriceGuard, type OracleMode } from './price-guard.js';
import type { Timer } from './ports.js';
import { TradingService, type TradingSettings } from './trading-service.js';
import { BrokerRouter, type LiveVenueOpener } from './broker-router.js';
import { LiveReconciler } from './live-reconciler.js';
import { PaperBook } from './recovery.js';

export { TradingService } from './trading-service.js';
export { TradingEngine } from './engine.js';
export { PriceGuard } from './price-guard.js';
export * from './schemas.js';

export interface TradingLayerOptions {
  db: Db;
  clock: Clock;
  logger: Logger;
  events: EventBus;
  markets: MarketCatalog;
  /** Venue prices: fills, valuations, previews. */
  venueFeed: PriceFeed;
  /** Oracle prices for the cross-check before fills (reliability 12). */
  oracleFeed?: PriceFeed;
  oracleMode?: OracleMode;
  /** A broker to use instead of the paper broker (tests). */
  broker?: Broker;
  /** Opens a live portfolio's venue; absent, live portfolios cannot trade in this process. */
  openLive?: LiveVenueOpener;
  /** Least time between two polls of a live account's open orders. Default 5 s. */
  livePollIntervalMs?: number;
  /** The rate paid at funding time `at` (see TradingSettings.fundingRate). */
  fundingRate?: (symbol: string, at: Date) => Promise<Dec>;
  settings?: TradingSettings;
  timer?: Timer;
}

export interface TradingLayer {
  portfolio: PortfolioService;
  risk: RiskService;
  trading: TradingService;
  engine: TradingEngine;
  broker: Broker;
  /** Paper and live venues behind `broker`. */
  router: BrokerRouter;
  /** The simulated venue of paper portfolios (behind `router`). */
  paper: Broker;
  /** Live portfolios against their venues (the engine runs it at start and on a timer). */
  reconciler: LiveReconciler;
  guard: PriceGuard;
  close(): Promise<void>;
}

export function createTradingLayer(opts: TradingLayerOptions): TradingLayer {
  const { db, clock, logger, events, markets } = opts;
  const guard = new PriceGuard({
    clock,
    markets,
    ...(opts.oracleFeed ? { oracle: opts.oracleFeed, oracleMode: opts.oracleMode ?? 'block' } : {}),
  });
  const paper = opts.broker ?? new PaperBroker({ feed: opts.venueFeed, markets, clock, guard, logger: logger.child({ component: 'paper-broker' }) });
  const router = new BrokerRouter({
    db,
    clock,
    logger: logger.child({ component: 'broker' }),
    paper,
    ...(opts.openLive ? { openLive: opts.openLive } : {}),
    ...(opts.livePollIntervalMs !== undefined ? { pollIntervalMs: opts.livePollIntervalMs } : {}),
  });
  const broker: Broker = router;
  const portfolio = new PortfolioService({ db, clock, logger, events, prices: opts.venueFeed, markets });
  const risk = new RiskService({ db, clock, logger, events, markets, portfolios: portfolio });
  const fundingRate = opts.fundingRate;
  const trading = new TradingService({
    db,
    clock,
    logger,
    events,
    markets,
    prices: opts.venueFeed,
    broker,
    isLive: (accountId) => router.isLive(accountId),
    portfolios: portfolio,
    risk,
    guard,
    settings: {
      ...opts.settings,
      ...(fundingRate
        ? {
            fundingRate: async (symbol: string, at: Date): Promise<Dec> => {
              try {
                return await fundingRate(symbol, at);
              } catch {
                return dec('0.0001');
              }
            },
          }
        : {}),
    },
  });
  risk.setOpeningOrderCanceller((actor, ids) => trading.cancelOpeningOrders(actor, ids));
  const reconciler = new LiveReconciler({ db, clock, logger: logger.child({ component: 'live-reconciler' }), events, router, core: trading.core, risk, idle: () => trading.idle() });
  // Several instances: the resting paper orders are matched by one of them (engine.ts).
  const paperBook = paper instanceof PaperBroker ? new PaperBook({ db, logger: logger.child({ component: 'paper-book' }), core: trading.core, paper }) : undefined;
  const engine = new TradingEngine({
    db,
    trading,
    ...(paperBook ? { paperBook } : {}),
    broker,
    prices: opts.venueFeed,
    portfolios: portfolio,
    risk,
    events,
    clock,
    logger,
    ...(opts.openLive ? { liveReconcile: () => reconciler.reconcileAll() } : {}),
    ...(opts.timer ? { timer: opts.timer } : {}),
  });
  return {
    portfolio,
    risk,
    trading,
    engine,
    broker,
    router,
    paper,
    reconciler,
    guard,
    close: async () => {
      await engine.stop();
      await router.close();
      if (paper instanceof PaperBroker) paper.close();
    },
  };
}
