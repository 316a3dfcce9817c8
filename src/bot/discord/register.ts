// `npx mikey discord register`: puts MIKEY's slash commands on Discord — to one server when
// DISCORD_GUILD_ID is set (instant), otherwise globally (Discord may take a while to show them).
// DISCORD_API_ROOT points the REST client elsewhere (tests use a local server).
import { DiscordAPIError, HTTPError, REST, Routes } from 'discord.js';
import { ConfigError, type Config } from '../../config.js';
import { scrub } from '../../log.js';
import { AppError, ErrorCode } from '../../services/errors.js';
import { DISCORD_COMMANDS } from './commands/index.js';

export interface DiscordRegistration {
  scope: 'guild' | 'global';
  route: string;
  names: string[];
}

export type DiscordRegisterConfig = Pick<Config, 'DISCORD_TOKEN' | 'DISCORD_APP_ID' | 'DISCORD_GUILD_ID' | 'DISCORD_API_ROOT'>;

export function discordRest(config: Pick<Config, 'DISCORD_TOKEN' | 'DISCORD_API_ROOT'>): REST {
  const rest = new REST({ version: '10', ...(config.DISCORD_API_ROOT ? { api: config.DISCORD_API_ROOT.replace(/\/+$/, '') } : {}) });
  if (config.DISCORD_TOKEN) rest.setToken(config.DISCORD_TOKEN);
  return rest;
}

export async function registerDiscordCommands(config: DiscordRegisterConfig): Promise<DiscordRegistration> {
  if (!config.DISCORD_TOKEN || !config.DISCORD_APP_ID) {
    const missing = [config.DISCORD_TOKEN ? '' : 'DISCORD_TOKEN', config.DISCORD_APP_ID ? '' : 'DISCORD_APP_ID'].filter(Boolean).join(' and ');
    throw new ConfigError(
      `Discord registration needs DISCORD_TOKEN and DISCORD_APP_ID; ${missing} ${missing.includes(' and ') ? 'are' : 'is'} not set. ` +
        'Copy them from the Discord developer portal (https://discord.com/developers/applications: Bot → token, General Information → application id) and run it again.',
    );
  }
  const route = config.DISCORD_GUILD_ID
    ? Routes.applicationGuildCommands(config.DISCORD_APP_ID, config.DISCORD_GUILD_ID)
    : Routes.applicationCommands(config.DISCORD_APP_ID);
  const body = DISCORD_COMMANDS.map((c) => c.data.toJSON());
  let result: Array<{ name: string }>;
  try {
    result = (await discordRest(config).put(route, { body })) as Array<{ name: string }>;
  } catch (err) {
    throw explainDiscordFailure(err, config.DISCORD_API_ROOT ?? 'https://discord.com/api');
  }
  return { scope: config.DISCORD_GUILD_ID ? 'guild' : 'global', route, names: result.map((c) => c.name) };
}

/** What went wrong talking to Discord, in words an operator can act on. */
function explainDiscordFailure(err: unknown, root: string): AppError {
  if (err instanceof DiscordAPIError) {
    if (err.status === 401) return new AppError(ErrorCode.rejected, 'Discord refused DISCORD_TOKEN (401 Unauthorized)', 'copy the bot token again from the developer portal (Bot → Reset Token)');
    if (err.status === 403 || err.status === 404) {
      return new AppError(ErrorCode.rejected, `Discord refused the registration (${err.status}: ${scrub(err.message)})`, 'check DISCORD_APP_ID and DISCORD_GUILD_ID, and that the bot was invited to that server');
    }
    return new AppError(ErrorCode.rejected, `Discord refused the registration (${err.status}: ${scrub(err.message)})`);
  }
  if (err instanceof HTTPError) return new AppError(ErrorCode.unavailable, `Discord answered ${err.status} ${scrub(err.message)}`, 'try again in a minute');
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  const why = e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
  return new AppError(ErrorCode.unavailable, `Cannot reach Discord at ${root} (${scrub(why)})`, 'check the network connection (or DISCORD_API_ROOT) and run it again');
}
