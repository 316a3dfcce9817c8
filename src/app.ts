// The composition root: config → logger → database (migrated) → secret key → services → surfaces.
// Plain constructor arguments; no DI framework. Surfaces (CLI, MCP, chat) take an `App`.
import { loadConfig, modelEndpoint, secretValues, type Config } from './config.js';
import { openDatabase, type Database } from './db/client.js';
import { migrateDatabase, type MigrateResult } from './db/migrate.js';
import { createLogger, registerSecret, type Logger } from './log.js';
import { assertSecretKeyMatches } from './services/credentials.js';
import { loadSecretKey, type SecretKey } from './services/secret-box.js';
import { EventBus } from './services/events.js';
import type { Services } from './services/index.js';
import { RateLimiter } from './services/rate-limit.js';
import { type Clock } from './domain/ports.js';
import { systemClock } from './adapters/system-clock.js';
import { createMarketLayer } from './services/market-data/layer.js';
import { delegatingCatalog } from './services/markets.js';
import { createTradingLayer } from './services/trading/index.js';
import { dec } from './domain/money.js';
import { ReportService } from './services/reports/report-service.js';
import { BacktestService } from './services/backtest/backtest-service.js';
import { PredictionService } from './services/predict/prediction-service.js';
import { PredictionScheduler } from './services/predict/prediction-scheduler.js';
import { TokenService } from './services/token/token-service.js';
import { RewardScheduler } from './services/token/reward-scheduler.js';
import { CommunityService } from './services/community/community-service.js';
import { CompetitionScheduler } from './services/community/competition-scheduler.js';
import { BotService } from './services/bots/bot-service.js';
import { BotRunner } from './services/bots/bot-runner.js';
import { BotScheduler } from './services/bots/bot-scheduler.js';
import { HyperliquidInfoClient } from './adapters/hyperliquid/info-client.js';
import { WalletService } from './services/wallets/wallet-service.js';
import { HyperliquidIngestion } from './services/wallets/hyperliquid-ingestion.js';
import { ModelAnalyst } from './services/wallets/model-analysis.js';
import { CandleUsdPrices, type UsdPriceAt } from './services/wallets/usd-prices.js';
import { lazyRunner, WalletIngestionScheduler } from './services/wallets/ingestion-scheduler.js';
import { WhalePushes } from './services/wallets/whale-pushes.js';
import { BiasService } from './services/wallets/bias-service.js';
import { WalletScoring } from './services/wallets/evm-scoring.js';
import { liveVenueOpener, type LiveVenueBuildOptions } from './services/trading/live-venues.js';
import type { LiveVenue } from './services/trading/ports.js';
import { LeaseJob, LeaseManager, newInstanceId, type LeaseStatus } from './services/cluster/leases.js';
import { PgEventBridge, type EventBridgeStatus } from './services/cluster/event-bridge.js';
import { SharedRateLimits } from './services/cluster/shared-rate-limit.js';

/** Several instances on one Postgres: the job leases and the event bridge of this instance. */
export interface AppCluster {
  instanceId: string;
  leases: LeaseManager;
  /** The LISTEN/NOTIFY bridge (Postgres only). */
  events: PgEventBridge | undefined;
  /** Rate-limit counts shared with the other instances (Postgres only; synced once started). */
  rateLimits: SharedRateLimits | undefined;
  status(): { leases: LeaseStatus; events: EventBridgeStatus | undefined };
}

export interface App {
  config: Config;
  logger: Logger;
  database: Database;
  secretKey: SecretKey;
  migration: MigrateResult;
  services: Services;
  cluster: AppCluster;
  /**
   * Starts background work (market-data sources and metadata, the alert engine, retention).
   * Long-running surfaces (serve, chat, mcp) call it; one-shot CLI commands do not. Idempotent;
   * stopped by `close()`.
   */
  startBackground(): Promise<void>;
  /** Registers a cleanup to run (in reverse order) when the app closes. */
  onClose(fn: () => Promise<void>): void;
  close(): Promise<void>;
}

export interface OpenAppOptions {
  config?: Config;
  logger?: Logger;
  /** An already-open database (tests). */
  database?: Database;
  clock?: Clock;
  /** Lease settings (tests: short leases, a clock to move past an expiry, a known instance id). */
  cluster?: { instanceId?: string; leaseTtlMs?: number; leaseRenewMs?: number; leaseNow?: () => Date };
}

export async function openApp(opts: OpenAppOptions = {}): Promise<App> {
  const config = opts.config ?? loadConfig();
  for (const s of secretValues(config)) registerSecret(s);
  const logger = opts.logger ?? createLogger(config.LOG_LEVEL);
  const database =
    opts.database ??
    (await openDatabase({ url: config.DATABASE_URL, dataDir: config.dataDir, poolMax: config.MIKEY_DB_POOL_MAX, logger }));
  const closers: Array<() => Promise<void>> = [];
  try {
    const migration = await migrateDatabase(database, logger);
    const secretKey = await loadSecretKey(config.MIKEY_SECRET_KEY, config.dataDir);
    registerSecret(secretKey.key.toString('hex'));
    await assertSecretKeyMatches(database.db, secretKey);
    logger.debug('database ready', { kind: database.kind, location: database.location, timescale: migration.timescale });
    const clock = opts.clock ?? systemClock;
    const instanceId = opts.cluster?.instanceId ?? newInstanceId();
    const events = new EventBus(logger, { origin: instanceId });
    // Stopped last (closers run in reverse): jobs drain first, then the leases are released and the
    // last events relayed, so another instance takes over only what this one has finished.
    const leases = new LeaseManager({
      database,
      logger: logger.child({ component: 'cluster' }),
      instanceId,
      ...(opts.cluster?.leaseTtlMs !== undefined ? { ttlMs: opts.cluster.leaseTtlMs } : {}),
      ...(opts.cluster?.leaseRenewMs !== undefined ? { renewMs: opts.cluster.leaseRenewMs } : {}),
      ...(opts.cluster?.leaseNow ? { now: opts.cluster.leaseNow } : {}),
    });
    leases.want(LeaseJob.tradingTick, LeaseJob.paperBook, LeaseJob.tradingHousekeeping, LeaseJob.liveReconcile, LeaseJob.alerts, LeaseJob.reports, LeaseJob.predictions, LeaseJob.tokenRewards, LeaseJob.competitions, LeaseJob.bots, LeaseJob.walletIngestion);
    closers.push(() => leases.stop());
    const pool = database.kind === 'postgres' ? database.pool : undefined;
    const connectionString = pool?.options.connectionString;
    const bridge = pool && connectionString ? new PgEventBridge({ connectionString, pool, events, logger: logger.child({ component: 'cluster' }) }) : undefined;
    bridge?.startRelay();
    if (bridge) closers.push(() => bridge.stop());
    // The live venue adapter (ccxt, signed requests); loaded when a live portfolio first trades.
    const buildLiveVenue = async (o: LiveVenueBuildOptions): Promise<LiveVenue> => {
      const { CcxtBroker } = await import('./adapters/ccxt/ccxt-broker.js');
      return new CcxtBroker({
        ...o,
        // The adapter's record of each request, in the terms the audit trail keeps (never a secret).
        onVenueCall: (r) =>
          o.onVenueCall({
            method: r.method,
            ...(r.symbol ? { symbol: r.symbol } : {}),
            ...(r.clientOrderId ? { clientOrderId: r.clientOrderId } : {}),
            ok: r.ok,
            sent: { method: r.method, ...(r.symbol ? { symbol: r.symbol } : {}), ...(r.clientOrderId ? { clientOrderId: r.clientOrderId } : {}) },
            answer: {
              kind: r.outcome,
              ...(r.httpStatus !== undefined ? { httpStatus: r.httpStatus } : {}),
              ...(r.venueCode ? { venueCode: r.venueCode } : {}),
              ...(r.errorClass ? { errorClass: r.errorClass } : {}),
              ...(r.message ? { message: r.message } : {}),
            },
            ...(r.usedWeight !== undefined ? { usedWeight: r.usedWeight } : {}),
            at: r.at,
          }),
        accountType: o.accountType === 'futures' ? 'futures' : 'spot',
        timeoutMs: config.MIKEY_EXCHANGE_TIMEOUT_MS,
        clock,
        logger: logger.child({ component: 'live-broker', exchange: o.exchangeId }),
      });
    };
    const apiBaseUrl = config.MIKEY_EXCHANGE_URL;
    const openLive = liveVenueOpener({ db: database.db, clock, logger, secretKey, ...(apiBaseUrl ? { apiBaseUrl } : {}), build: buildLiveVenue });
    const marketLayer = await createMarketLayer({ config, database, clock, logger, events, timescale: migration.timescale });
    closers.push(() => marketLayer.close());
    const market = marketLayer.market;
    const tradingLayer = createTradingLayer({
      db: database.db,
      clock,
      logger,
      events,
      markets: delegatingCatalog(() => market.catalog),
      venueFeed: market.venueFeed,
      oracleFeed: market.oracleFeed,
      oracleMode: config.MIKEY_ORACLE_MODE,
      // The rate the source says was paid at that funding time (a late run, after a restart, still
      // books what was due then); the current rate where the source keeps no history.
      fundingRate: async (symbol, at) => (await market.fundingPaidAt(symbol, at).catch(() => null)) ?? dec((await market.getFundingRate(symbol)).rate),
      livePollIntervalMs: config.MIKEY_LIVE_POLL_MS,
      openLive,
    });
    closers.push(() => tradingLayer.close());
    tradingLayer.engine.useLeases(leases);
    marketLayer.alertEngine.useLeases(leases);
    // Per-key and per-chat limits hold across the instances sharing a Postgres.
    const rateLimiter = new RateLimiter();
    const sharedLimits = database.kind === 'postgres' ? new SharedRateLimits({ db: database.db, limiter: rateLimiter, logger: logger.child({ component: 'cluster' }) }) : undefined;
    if (sharedLimits) closers.push(() => sharedLimits.stop());
    const hyperliquid = new HyperliquidInfoClient({ baseUrl: config.MIKEY_HYPERLIQUID_URL, timeoutMs: config.MIKEY_EXCHANGE_TIMEOUT_MS });
    // USD values of on-chain events from the candle store of the market source in use.
    const usdPrices: UsdPriceAt = {
      usdPrice: async (asset, at) => new CandleUsdPrices(marketLayer.market.store, (await marketLayer.market.ready()).exchange).usdPrice(asset, at),
    };
    const tokens = new TokenService({ db: database.db, clock, token: config.MIKEY_TOKEN_SYMBOL, logger: logger.child({ component: 'token' }) });
    const services: Services = {
      config,
      db: database.db,
      clock,
      logger,
      events,
      rateLimiter,
      secretKey,
      market: marketLayer.market,
      analysis: marketLayer.analysis,
      alerts: marketLayer.alerts,
      trading: tradingLayer.trading,
      portfolio: tradingLayer.portfolio,
      risk: tradingLayer.risk,
      live: { build: buildLiveVenue, ...(apiBaseUrl ? { apiBaseUrl } : {}), router: tradingLayer.router, reconciler: tradingLayer.reconciler, recorded: () => openLive.recorded() },
      reports: new ReportService({
        db: database.db,
        clock,
        logger,
        config,
        portfolio: tradingLayer.portfolio,
        trading: tradingLayer.trading,
        market: marketLayer.market,
        notifier: marketLayer.alerts.notifier,
        // Read at report time, when `services` (built in this literal) holds the prediction service.
        predictions: { scorecard: (input) => services.predictions.scorecard(input) },
      }),
      backtest: new BacktestService({ db: database.db, market: marketLayer.market, clock }),
      predictions: new PredictionService({ db: database.db, market: marketLayer.market, clock, logger: logger.child({ component: 'predictions' }) }),
      tokens,
      community: new CommunityService({ db: database.db, clock, logger: logger.child({ component: 'community' }), events, portfolios: tradingLayer.portfolio, tokens, markets: delegatingCatalog(() => market.catalog), trading: tradingLayer.trading }),
      wallets: new WalletService({ db: database.db, hyperliquid, clock }),
      walletBias: new BiasService({ db: database.db, clock, markets: marketLayer.market }),
      bots: new BotService({ db: database.db, clock, logger: logger.child({ component: 'bots' }), market: marketLayer.market, portfolios: tradingLayer.portfolio, trading: tradingLayer.trading }),
    };
    const predictionScheduler = new PredictionScheduler({
      predictions: services.predictions,
      markets: config.MIKEY_PREDICT,
      gate: leases,
      clock,
      logger: logger.child({ component: 'predictions' }),
    });
    closers.push(() => predictionScheduler.stop());
    const competitionScheduler = new CompetitionScheduler({ community: services.community, events, gate: leases, logger: logger.child({ component: 'community' }) });
    closers.push(() => competitionScheduler.stop());
    const rewardScheduler = new RewardScheduler({ tokens: services.tokens, gate: leases, clock, logger: logger.child({ component: 'token' }) });
    closers.push(() => rewardScheduler.stop());
    const agentModel = modelEndpoint(config);
    const botRunner = new BotRunner({
      db: database.db, clock, logger: logger.child({ component: 'bots' }), market: marketLayer.market, portfolios: tradingLayer.portfolio, trading: tradingLayer.trading,
      ...(agentModel ? { agentModel: { apiKey: agentModel.apiKey, baseURL: agentModel.baseURL, model: config.MIKEY_MODEL } } : {}),
    });
    const botScheduler = new BotScheduler({ runner: botRunner, gate: leases, logger: logger.child({ component: 'bots' }) });
    closers.push(() => botScheduler.stop());
    // New events' analyses by the model when one is configured (a few per run; the rules otherwise).
    const walletModel = modelEndpoint(config);
    const walletAnalyst = (): ModelAnalyst | undefined =>
      walletModel ? new ModelAnalyst({ apiKey: walletModel.apiKey, baseURL: walletModel.baseURL, model: config.MIKEY_MODEL, logger: logger.child({ component: 'wallets' }) }) : undefined;
    const walletScheduler = new WalletIngestionScheduler({
      // Loaded on its first run: its log decoding (viem) is not worth a slower start for everyone.
      evm: config.MIKEY_EVM_RPC_URL ? lazyRunner(async () => {
        const { EvmIngestion } = await import('./services/wallets/evm-ingestion.js');
        return new EvmIngestion({ db: database.db, rpcUrl: config.MIKEY_EVM_RPC_URL!, confirmations: config.MIKEY_EVM_CONFIRMATIONS, prices: usdPrices, clock, analyst: walletAnalyst() });
      }) : undefined,
      hyperliquid: new HyperliquidIngestion({ db: database.db, client: hyperliquid, prices: usdPrices, clock, analyst: walletAnalyst() }),
      // Then the EVM wallets' credibility and the market bias of assets with recent whale events.
      scoring: new WalletScoring({ db: database.db, prices: usdPrices, clock }),
      bias: services.walletBias,
      // Each watcher's push of a new whale move, through the alerts' notifier hub (whale-pushes.ts).
      whalePushes: new WhalePushes({ db: database.db, notifier: marketLayer.alerts.notifier, events, clock, logger: logger.child({ component: 'wallets' }) }),
      gate: leases,
      logger: logger.child({ component: 'wallets' }),
    });
    closers.push(() => walletScheduler.stop());
    let reportTimer: NodeJS.Timeout | undefined;
    let closing = false;
    closers.push(async () => clearInterval(reportTimer));
    return {
      config,
      logger,
      database,
      secretKey,
      migration,
      services,
      cluster: {
        instanceId,
        leases,
        events: bridge,
        rateLimits: sharedLimits,
        status: () => ({ leases: leases.status(), events: bridge?.status() }),
      },
      startBackground: async () => {
        try {
          // Leases first: the schedulers started next ask them before each run.
          await leases.start();
          await bridge?.start();
          sharedLimits?.start();
          await marketLayer.startBackground();
          await tradingLayer.engine.start();
          // Scheduled reports: checked every minute on the instance holding the lease; each
          // (user, type, period) is written once whatever runs it (unique key).
          reportTimer ??= setInterval(() => {
            if (!leases.holds(LeaseJob.reports)) return;
            services.reports.runDue().catch((err: unknown) => logger.error('scheduled reports failed', { error: err }));
          }, 60_000).unref();
          predictionScheduler.start();
          rewardScheduler.start();
          competitionScheduler.start();
          botScheduler.start();
          walletScheduler.start();
        } catch (err) {
          // A session that ended at once closes the app under a start still going: not a failure.
          if (closing) return logger.debug('background start cut short by close', { error: err });
          throw err;
        }
      },
      onClose: (fn) => closers.push(fn),
      close: async () => {
        closing = true;
        for (const c of closers.reverse()) await c();
        await database.close();
      },
    };
  } catch (err) {
    if (!opts.database) await database.close();
    throw err;
  }
}
