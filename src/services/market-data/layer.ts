// Builds the market-data, analysis and alert services for the composition root (app.ts), and the
// background work long-running surfaces start: resolving the sources (the `auto` probe), loading
// market metadata, the alert engine and the retention job. One-shot CLI commands never start it.
import type { Config } from '../../config.js';
import type { Database } from '../../db/client.js';
import type { Clock } from '../../domain/ports.js';
import type { Logger } from '../../log.js';
import { AlertEngine } from '../alerts/alert-engine.js';
import { AlertService } from '../alerts/alert-service.js';
import { NotifierHub } from '../alerts/notifier-hub.js';
import { AnalysisService } from '../analysis/analysis-service.js';
import type { EventBus } from '../events.js';
import { DbMarketCatalog, type MarketCatalog } from '../markets.js';
import { MarketService, type FreshnessSettings } from './market-service.js';
import { RetentionJob } from './retention.js';
import type { MarketSources } from './sources.js';

export interface MarketLayer {
  market: MarketService;
  analysis: AnalysisService;
  alerts: AlertService;
  alertEngine: AlertEngine;
  retention: RetentionJob;
  /** The app's notifier: chat surfaces register their Telegram/Discord notifiers here. */
  notifier: NotifierHub;
  /** Resolves the sources, loads market metadata, starts the alert engine and retention. Idempotent. */
  startBackground(): Promise<void>;
  close(): Promise<void>;
}

export interface MarketLayerOptions {
  config: Config;
  database: Database;
  clock: Clock;
  logger: Logger;
  events: EventBus;
  /** TimescaleDB retention policies are in place (the scheduled delete then does nothing). */
  timescale: boolean;
  /** A catalog to share (the trading services'); by default one over the `markets` table. */
  catalog?: MarketCatalog;
  /** Sources to use instead of those MIKEY_MARKET asks for (tests). */
  sources?: MarketSources;
  freshness?: Partial<FreshnessSettings>;
  /** Alert sweep period (default 60 s). */
  alertSweepMs?: number;
}

export async function createMarketLayer(opts: MarketLayerOptions): Promise<MarketLayer> {
  const { config, database, clock, logger, events } = opts;
  const catalogExchange = config.MIKEY_MARKET === 'sim' ? 'sim' : config.MIKEY_EXCHANGE;
  const catalog = opts.catalog ?? (await DbMarketCatalog.load(database.db, { exchange: catalogExchange }));
  const market = new MarketService({
    database,
    catalog,
    configuredMode: config.MIKEY_MARKET,
    clock,
    logger,
    ...(opts.freshness ? { freshness: opts.freshness } : {}),
    // A shared catalog belongs to its owner; only our own one is reloaded for the venue's markets.
    ...(opts.catalog ? {} : { catalogLoader: (exchange: string) => DbMarketCatalog.load(database.db, { exchange }) }),
    sources:
      opts.sources ??
      // The venue and oracle clients (ccxt, Pyth) load when the sources are first needed, not at start.
      (async () => {
        const { createConfiguredSources, simSources } = await import('./sources.js');
        if (config.MIKEY_MARKET === 'sim') return simSources({ seed: config.MIKEY_SIM_SEED, clock });
        const [{ ccxtOptionsFromConfig }, { pythOptionsFromConfig }] = await Promise.all([import('../../adapters/ccxt/index.js'), import('../../adapters/pyth/index.js')]);
        return createConfiguredSources({
          mode: config.MIKEY_MARKET,
          seed: config.MIKEY_SIM_SEED,
          clock,
          logger,
          pyth: pythOptionsFromConfig(config),
          ccxt: ccxtOptionsFromConfig(config),
        });
      }),
  });
  const notifier = new NotifierHub(logger);
  const analysis = new AnalysisService({ db: database.db, market, clock, logger });
  const alerts = new AlertService({ db: database.db, market, events, notifier, clock });
  const alertEngine = new AlertEngine({
    db: database.db,
    market,
    notifier,
    events,
    clock,
    logger: logger.child({ component: 'alerts' }),
    ...(opts.alertSweepMs !== undefined ? { sweepIntervalMs: opts.alertSweepMs } : {}),
  });
  alerts.engine = alertEngine;
  const retention = new RetentionJob({ database, timescale: opts.timescale, now: () => clock.now(), logger });
  let started: Promise<void> | undefined;
  let closed = false;
  return {
    market,
    analysis,
    alerts,
    alertEngine,
    retention,
    notifier,
    startBackground: () => {
      started ??= (async () => {
        const mode = await market.ready();
        logger.info('market data', { mode: mode.mode, sources: mode.description });
        try {
          const loaded = await market.loadMarkets();
          logger.debug('markets loaded', { exchange: loaded.exchange, listed: loaded.listed, written: loaded.written });
        } catch (err) {
          logger.warn('could not load market metadata; using the markets already stored', { error: err instanceof Error ? err.message : String(err) });
        }
        if (closed) return;
        retention.start();
        await alertEngine.start();
      })();
      return started;
    },
    close: async () => {
      closed = true;
      await started?.catch(() => undefined);
      await alertEngine.stop();
      await retention.stop();
      await market.close();
    },
  };
}
