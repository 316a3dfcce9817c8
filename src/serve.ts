// `mikey serve`: every configured surface in one process — MCP over Streamable HTTP, Telegram,
// Discord, push notifications and the schedulers (alerts, resting orders, snapshots, reports) —
// with graceful shutdown on SIGINT/SIGTERM: stop taking work, finish what is in flight, drain the
// outbound queues, close the database.
//
// A surface that cannot start stops the start: what was already started is closed again and the
// error names the surface and the cause. With MIKEY_DEGRADED_OK=true the other surfaces run
// instead, and /healthz and /readyz name the one that is down.
//
// Several instances on one Postgres: the schedulers run where their lease is (app.cluster), events
// cross instances over LISTEN/NOTIFY, and the chat pushes of events are sent by the one instance
// holding the `chat.pushes` lease among those running a chat surface. /readyz answers 503 while this
// instance cannot renew its leases or has lost its LISTEN connection. Stopping releases the leases
// (app.close), so the other instances take the jobs over at their next renewal.
import type { App } from './app.js';
import { createChatHandler } from './bot/agent/chat-handler.js';
import { createChatNotifier, discordCommunityChannel, subscribeCommunityAnnouncements, subscribeNotifications, telegramCommunityChannel } from './bot/notify/index.js';
import { UpdateClaims } from './services/cluster/update-claims.js';
import type { Notifier } from './domain/ports.js';
import { scrub } from './log.js';
import { LeaseJob } from './services/cluster/leases.js';
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

/** What keeps this instance from doing its share with the others (named by /healthz and /readyz). */
export function clusterProblems(app: App): SurfaceFailure[] {
  const { leases, events } = app.cluster.status();
  const out: SurfaceFailure[] = [];
  if (!leases.connected) out.push({ surface: 'cluster leases', reason: `the last lease renewal failed (${scrub(leases.error ?? 'no answer').slice(0, 160)}); scheduled jobs here stop until the database answers` });
  if (events && !events.connected) out.push({ surface: 'cluster events', reason: `not listening for other instances' events (${scrub(events.error ?? 'not connected').slice(0, 160)}); reconnecting` });
  return out;
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
    const mcp = await startMcpHttpServer(app.services, CATALOGUE, { degraded: () => [...degraded, ...clusterProblems(app)] });
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
    // Every instance hears every event (its own and relayed ones); one of those with a chat surface
    // pushes them. The alert engine pushes its own triggers (skipped here) where the alerts lease is.
    if (tg || dc) app.cluster.leases.want(LeaseJob.chatPushes);
    const pushes: Notifier = { notify: (n) => (app.cluster.leases.holds(LeaseJob.chatPushes) ? notifier.notify(n) : Promise.resolve()) };
    const unsubscribe = subscribeNotifications(app.services.events, pushes, { db: app.services.db, logger: app.logger, skip: ['alert.triggered'] });
    // A community's competition pushes go to its group chat: sent by whichever instance running that
    // platform first claims the push's key in the database (src/bot/notify/community-announcements.ts).
    const communityChannels = [...(tg ? [telegramCommunityChannel(tg.bot.replies)] : []), ...(dc ? [discordCommunityChannel(dc.client, dc.sender)] : [])];
    const unsubscribeCommunity = subscribeCommunityAnnouncements(app.services.events, { channels: communityChannels, claims: new UpdateClaims(app.services.db, app.services.clock), logger: app.logger });
    stops.push(async () => {
      unsubscribeCommunity();
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
