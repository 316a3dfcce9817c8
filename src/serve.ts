// `mikey serve`: every configured surface in one process — MCP over Streamable HTTP, Telegram,
// Discord, push notifications and the schedulers (alerts, resting orders, snapshots, reports) —
// with graceful shutdown on SIGINT/SIGTERM: stop taking work, finish what is in flight, drain the
// outbound queues, close the database.
import type { App } from './app.js';
import { createChatHandler } from './bot/agent/chat-handler.js';
import { createChatNotifier, subscribeNotifications } from './bot/notify/index.js';
import { startMcpHttpServer } from './mcp/http.js';
import { CATALOGUE } from './tools/index.js';

export interface RunningServer {
  surfaces: string[];
  mcpUrl: string;
  stop(): Promise<void>;
}

/** `telegram` passes options to the Telegram surface (tests: a faster sender clock). */
export async function startServe(app: App, opts: { telegram?: Record<string, unknown> } = {}): Promise<RunningServer> {
  await app.startBackground();
  const surfaces: string[] = [];
  const stops: Array<() => Promise<void>> = [];
  const mcp = await startMcpHttpServer(app.services, CATALOGUE);
  stops.push(() => mcp.close());
  surfaces.push(`MCP over HTTP at ${mcp.url}`);

  const handler = createChatHandler(app.config, app.services);
  stops.push(() => handler.close());
  const { telegramEnabled, startTelegram } = await import('./bot/telegram/index.js');
  const tg = telegramEnabled(app.config) ? await startTelegram(app.services, handler, app.config, opts.telegram) : undefined;
  if (tg) {
    stops.push(() => tg.stop());
    surfaces.push(`Telegram @${tg.username} (${tg.mode})`);
  }
  let dc: Awaited<ReturnType<(typeof import('./bot/discord/index.js'))['startDiscord']>> | undefined;
  if (app.config.DISCORD_TOKEN && app.config.DISCORD_APP_ID) {
    const { startDiscord } = await import('./bot/discord/index.js');
    dc = await startDiscord(app.services, handler, app.config);
    stops.push(() => dc!.stop());
    surfaces.push('Discord');
  }
  const notifier = createChatNotifier({ db: app.services.db, logger: app.logger, ...(tg ? { telegram: tg } : {}), ...(dc ? { discord: dc } : {}) });
  const unregister = app.services.alerts.notifier.register(notifier);
  const unsubscribe = subscribeNotifications(app.services.events, notifier, { db: app.services.db, logger: app.logger, skip: ['alert.triggered'] });
  stops.push(async () => {
    unsubscribe();
    unregister();
  });
  app.logger.info('MIKEY serving', { surfaces });
  let stopped = false;
  return {
    surfaces,
    mcpUrl: mcp.url,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      for (const s of stops.reverse()) await s().catch((err: unknown) => app.logger.error('shutdown step failed', { error: err }));
    },
  };
}

/** Runs until SIGINT/SIGTERM, then shuts down gracefully. */
export async function runServe(app: App, out: (line: string) => void): Promise<void> {
  const server = await startServe(app);
  out(`MIKEY is serving:\n${server.surfaces.map((s) => `  • ${s}`).join('\n')}\nCtrl-C to stop.`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  out('Shutting down: finishing work in flight…');
  await server.stop();
}
