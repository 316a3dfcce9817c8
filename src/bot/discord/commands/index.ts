// Every slash command, one module each (builder + execute).
import type { ChatInputCommandInteraction, RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';
import type { DiscordDeps } from '../context.js';
import * as alerts from './alerts.js';
import * as analysis from './analysis.js';
import * as chart from './chart.js';
import * as competition from './competition.js';
import * as help from './help.js';
import * as leaderboard from './leaderboard.js';
import * as link from './link.js';
import * as orders from './orders.js';
import * as portfolio from './portfolio.js';
import * as positions from './positions.js';
import * as price from './price.js';
import * as trade from './trade.js';

export interface DiscordCommandModule {
  data: { name: string; toJSON(): RESTPostAPIChatInputApplicationCommandsJSONBody };
  execute(interaction: ChatInputCommandInteraction, deps: DiscordDeps): Promise<void>;
}

export const DISCORD_COMMANDS: readonly DiscordCommandModule[] = Object.freeze([price, analysis, chart, help, link, portfolio, positions, orders, trade, alerts, leaderboard, competition]);

export const PUBLIC_COMMANDS = Object.freeze(['price', 'analysis', 'chart', 'help', 'link']);
export const PRIVATE_COMMANDS = Object.freeze(['portfolio', 'positions', 'orders', 'trade', 'alerts']);
/** A community's own: showing is public (percentages only), joining, starting and cancelling ephemeral. */
export const COMMUNITY_COMMANDS = Object.freeze(['leaderboard', 'competition']);

export function commandByName(name: string): DiscordCommandModule | undefined {
  return DISCORD_COMMANDS.find((c) => c.data.name === name);
}
