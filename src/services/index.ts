// The application services every surface calls. Built once by the composition root (app.ts); MCP
// tools, chat commands and schedulers receive this object and never reach around it.
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import type { Clock } from '../domain/ports.js';
import type { Logger } from '../log.js';
import type { EventBus } from './events.js';
import type { RateLimiter } from './rate-limit.js';
import type { SecretKey } from './secret-box.js';

export interface Services {
  config: Config;
  db: Db;
  clock: Clock;
  logger: Logger;
  events: EventBus;
  rateLimiter: RateLimiter;
  secretKey: SecretKey;
}
