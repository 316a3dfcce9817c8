// Long-running surfaces register their CLI commands here (chat, mcp, serve, data, discord). Each
// command loads its surface when it runs, so that `mikey <one command>` never loads the others
// (discord.js, telegraf, the MCP HTTP server, the chat agent).
import type { App } from './app.js';
import type { Command, Out } from './cli-types.js';
import type { Config } from './config.js';
import { registerBotCommands } from './bot-commands.js';
import { registerExchangeCommands } from './exchange-commands.js';
import { registerPortfolioCommands } from './portfolio-commands.js';
import { createLogger } from './log.js';

/**
 * A command that opens the app itself, so it can answer before the database is open (MCP over
 * stdio answers the handshake at once). `open` opens the app once, as the CLI would; the CLI
 * closes it after the command returns.
 */
export type OpeningCommand = (ctx: { config: Config; open: () => Promise<App> }, args: string[], out: Out) => Promise<number>;

export function registerSurfaceCommands(register: (name: string, cmd: Command) => void, registerOpening?: (name: string, cmd: OpeningCommand) => void): void {
  registerExchangeCommands(register, registerOpening);
  registerPortfolioCommands(register, registerOpening);
  registerBotCommands(register, registerOpening);
  register('mcp', async (app) => {
    const { runStdio } = await import('./mcp/stdio.js');
    // In the background: the MCP handshake must not wait for the market probe or metadata.
    app.startBackground().catch((err: unknown) => app.logger.error('background start failed', { error: err }));
    await runStdio(app);
    return 0;
  });
  registerOpening?.('mcp', async ({ config, open }) => {
    const logger = createLogger(config.LOG_LEVEL);
    if (!config.DATABASE_URL) {
      // Another MIKEY process (`serve`, say) holds the embedded database: the session runs inside it.
      const [{ bridgeSession }, { stdioStreams }] = await Promise.all([import('./control/sessions.js'), import('./mcp/stdio-streams.js')]);
      const { input, output } = stdioStreams();
      const bridge = await bridgeSession({ kind: 'mcp', dataDir: config.dataDir, user: config.MIKEY_USER, input, output });
      if (bridge.bridged) {
        logger.info('MIKEY MCP session ended (it ran in the MIKEY process that holds the database)');
        return 0;
      }
    }
    const { serveStdio } = await import('./mcp/stdio.js');
    await serveStdio({
      logger,
      open,
      // Market data, the alert engine and the rest start once the calls that waited are under way.
      ready: (app) => {
        app.startBackground().catch((err: unknown) => app.logger.error('background start failed', { error: err }));
      },
    });
    return 0;
  });
  register('data backfill', async (app, args, out) => {
    const { makeBackfillCommand } = await import('./services/market-data/backfill-command.js');
    return makeBackfillCommand()(app, args, out);
  });
  register('serve', async (app, _args, out) => {
    const { runServe } = await import('./serve.js');
    await runServe(app, out.log);
    return 0;
  });
  register('chat', async (app) => {
    const { runChatCommand } = await import('./bot/terminal/run-chat.js');
    await runChatCommand(app);
    return 0;
  });
  register('discord register', async (app, _args, out) => {
    // Loaded on demand: discord.js is only needed by this command and `serve`.
    const { registerDiscordCommands } = await import('./bot/discord/register.js');
    const r = await registerDiscordCommands(app.config);
    out.log(`Registered ${r.names.length} Discord slash commands ${r.scope === 'guild' ? `in server ${app.config.DISCORD_GUILD_ID}` : 'globally (Discord can take up to an hour to show them)'}: ${r.names.map((n) => `/${n}`).join(' ')}`);
    return 0;
  });
}
