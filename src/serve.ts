// `mikey serve`: every configured surface in one process — MCP over Streamable HTTP, Telegram,
// Discord, push notifications and the schedulers (alerts, resting orders, snapshots, reports) —
// with graceful shutdown on SIGINT/SIGTERM: stop taking work, finish what is in flight, drain the
// outbound queues, close the database.
//
// A surface that cannot start stops the start: what was already started is closed again and the
// error names the surface and the cause. With MIKEY_DEGRADED_OK=true the other surfaces run
// instead, and /healthz and /readyz name the one that is down.
import type { App } from './app.js';
import { createChatHandler } from './bot/agent/chat-handler.js';
import { createChatNotifier, subscribeNotifications } from './bot/notify/index.js';
import { scrub } from './log.js';
import { startMcpHttpServer, type SurfaceFailure } from './mcp/http.js';
import { AppError, ErrorCode } from './services/errors.js';
import { CATALOGUE } from './tools/index.js';

export type { SurfaceFailure } from './mcp/http.js';

export interface RunningServer {
  surfaces: string[];
  /** Surfaces that could not start (only with MIKEY_DEGRADED_OK=true; otherwise the start fails). */
  degraded: SurfaceFailure[];
  mcpUrl: string;
  stop(): Promise<void>;
}

/** A surface could not start; everything started before it has been stopped again. */
export class SurfaceStartError extends AppError {
  constructor(
    readonly surface: string,
    readonly reason: string,
  ) {
    super(ErrorCode.unavailable, `${surface} could not start: ${reason.replace(/\.$/, '')}. MIKEY stopped`, 'fix that and start again, or set MIKEY_DEGRADED_OK=true to serve without it');
  }
}

function reasonOf(err: unknown): string {
  return scrub(err instanceof Error ? err.message : String(err));
}

/** `telegram` passes options to the Telegram surface (tests: a faster sender clock). */
export async function startServe(app: App, opts: { telegram?: Record<string, unknown> } = {}): Promise<RunningServer> {
  const surfaces: string[] = [];
  const degraded: SurfaceFailure[] = [];
  const stops: Array<() => Promise<void>> = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const s of stops.reverse()) await s().catch((err: unknown) => app.logger.error('shutdown step failed', { error: err }));
  };
  /** Starts one chat surface; a failure stops the start, or (degraded mode) is recorded and reported. */
  const startSurface = async <T>(name: string, start: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await start();
    } catch (err) {
      const reason = reasonOf(err);
      if (!app.config.MIKEY_DEGRADED_OK) throw new SurfaceStartError(name, reason);
      degraded.push({ surface: name.toLowerCase(), reason });
      surfaces.push(`${name}: NOT RUNNING (${reason})`);
      app.logger.error('surface could not start; serving without it (MIKEY_DEGRADED_OK=true)', { surface: name, reason });
      return undefined;
    }
  };

  try {
    await app.startBackground();
    const mcp = await startMcpHttpServer(app.services, CATALOGUE, { degraded: () => degraded });
    stops.push(() => mcp.close());
    surfaces.push(`MCP over HTTP at ${mcp.url}`);

    const handler = createChatHandler(app.config, app.services);
    stops.push(() => handler.close());
    const { telegramEnabled, startTelegram } = await import('./bot/telegram/index.js');
    const tg = telegramEnabled(app.config) ? await startSurface('Telegram', () => startTelegram(app.services, handler, app.config, opts.telegram)) : undefined;
    if (tg) {
      stops.push(() => tg.stop());
      surfaces.push(`Telegram @${tg.username} (${tg.mode})`);
    }
    let dc: Awaited<ReturnType<(typeof import('./bot/discord/index.js'))['startDiscord']>> | undefined;
    if (app.config.DISCORD_TOKEN && app.config.DISCORD_APP_ID) {
      const { startDiscord } = await import('./bot/discord/index.js');
      dc = await startSurface('Discord', () => startDiscord(app.services, handler, app.config));
      if (dc) {
        const discord = dc;
        stops.push(() => discord.stop());
        surfaces.push('Discord');
      }
    }
    const notifier = createChatNotifier({ db: app.services.db, logger: app.logger, ...(tg ? { telegram: tg } : {}), ...(dc ? { discord: dc } : {}) });
    const unregister = app.services.alerts.notifier.register(notifier);
    const unsubscribe = subscribeNotifications(app.services.events, notifier, { db: app.services.db, logger: app.logger, skip: ['alert.triggered'] });
    stops.push(async () => {
      unsubscribe();
      unregister();
    });
    app.logger.info('MIKEY serving', { surfaces, ...(degraded.length ? { degraded } : {}) });
    return { surfaces, degraded, mcpUrl: mcp.url, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Runs until SIGINT/SIGTERM, then shuts down gracefully. */
export async function runServe(app: App, out: (line: string) => void): Promise<void> {
  const server = await startServe(app);
  const state = server.degraded.length ? `MIKEY is serving DEGRADED (${server.degraded.map((d) => d.surface).join(', ')} not running; /readyz answers 503):` : 'MIKEY is serving:';
  out(`${state}\n${server.surfaces.map((s) => `  • ${s}`).join('\n')}\nCtrl-C to stop.`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  out('Shutting down: finishing work in flight…');
  await server.stop();
}
