// `npx mikey discord register`: puts MIKEY's slash commands on Discord — to one server when
// DISCORD_GUILD_ID is set (instant), otherwise globally (Discord may take a while to show them).
// DISCORD_API_ROOT points the REST client elsewhere (tests use a local server).
import { REST, Routes } from 'discord.js';
import type { Config } from '../../config.js';
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
    throw new Error('Discord registration needs DISCORD_TOKEN and DISCORD_APP_ID (from the Discord developer portal)');
  }
  const route = config.DISCORD_GUILD_ID
    ? Routes.applicationGuildCommands(config.DISCORD_APP_ID, config.DISCORD_GUILD_ID)
    : Routes.applicationCommands(config.DISCORD_APP_ID);
  const body = DISCORD_COMMANDS.map((c) => c.data.toJSON());
  const result = (await discordRest(config).put(route, { body })) as Array<{ name: string }>;
  return { scope: config.DISCORD_GUILD_ID ? 'guild' : 'global', route, names: result.map((c) => c.name) };
}
