// The composition root: config → logger → database (migrated) → secret key → services → surfaces.
// Plain constructor arguments; no DI framework. Surfaces (CLI, MCP, chat) take an `App`.
import { loadConfig, secretValues, type Config } from './config.js';
import { openDatabase, type Database } from './db/client.js';
import { migrateDatabase, type MigrateResult } from './db/migrate.js';
import { createLogger, registerSecret, type Logger } from './log.js';
import { assertSecretKeyMatches } from './services/credentials.js';
import { loadSecretKey, type SecretKey } from './services/secret-box.js';
import { EventBus } from './services/events.js';
import type { Services } from './services/index.js';
import { RateLimiter } from './services/rate-limit.js';
import { systemClock, type Clock } from './domain/ports.js';

export interface App {
  config: Config;
  logger: Logger;
  database: Database;
  secretKey: SecretKey;
  migration: MigrateResult;
  services: Services;
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
    const services: Services = {
      config,
      db: database.db,
      clock: opts.clock ?? systemClock,
      logger,
      events: new EventBus(logger),
      rateLimiter: new RateLimiter(),
      secretKey,
    };
    return {
      config,
      logger,
      database,
      secretKey,
      migration,
      services,
      onClose: (fn) => closers.push(fn),
      close: async () => {
        for (const c of closers.reverse()) await c();
        await database.close();
      },
    };
  } catch (err) {
    if (!opts.database) await database.close();
    throw err;
  }
}
