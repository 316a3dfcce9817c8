// Long-running surfaces register their CLI commands here (chat, mcp, serve, data, discord).
import type { Command } from './cli-types.js';
import { runStdio } from './mcp/stdio.js';
import { runChatCommand } from './bot/terminal/run-chat.js';
import { runServe } from './serve.js';
import { makeBackfillCommand } from './services/market-data/backfill-command.js';

export function registerSurfaceCommands(register: (name: string, cmd: Command) => void): void {
  register('mcp', async (app) => {
    // In the background: the MCP handshake must not wait for the market probe or metadata.
    app.startBackground().catch((err: unknown) => app.logger.error('background start failed', { error: err }));
    await runStdio(app);
    return 0;
  });
  register('data backfill', makeBackfillCommand());
  register('serve', async (app, _args, out) => {
    await runServe(app, out.log);
    return 0;
  });
  register('chat', async (app) => {
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
