// A whole MIKEY app on a fresh test database, with a temporary data directory and silent logs.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { Clock } from '../../src/domain/ports.js';
import { createLogger, type Logger } from '../../src/log.js';
import { createTestDatabase } from './db.js';

export interface TestApp extends App {
  dataDir: string;
  logLines: string[];
}

export async function createTestApp(env: Record<string, string> = {}, opts: { clock?: Clock; logger?: Logger } = {}): Promise<TestApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'mikey-app-'));
  const config = loadConfig({ MIKEY_DATA_DIR: dataDir, MIKEY_MARKET: 'sim', LOG_LEVEL: 'warn', MIKEY_SECRET_KEY: 'ab'.repeat(32), ...env });
  const database = await createTestDatabase();
  const logLines: string[] = [];
  const logger = opts.logger ?? createLogger('debug', (l) => logLines.push(l));
  const app = await openApp({ config, database, logger, ...(opts.clock ? { clock: opts.clock } : {}) });
  const close = app.close;
  return Object.assign(app, {
    dataDir,
    logLines,
    close: async () => {
      await close();
      await rm(dataDir, { recursive: true, force: true });
    },
  });
}
