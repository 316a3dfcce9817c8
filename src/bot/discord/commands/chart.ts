// /chart symbol [timeframe] — public: a candle chart posted in the channel.
import { SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import type { DiscordDeps } from '../context.js';
import { answerThroughHandler } from '../respond.js';
import { checkTimeframe, commandText, symbolArg, symbolOption, timeframeOption } from './options.js';

export const data = new SlashCommandBuilder()
  .setName('chart')
  .setDescription('Candle chart of a market')
  .addStringOption(symbolOption)
  .addStringOption(timeframeOption);

export async function execute(interaction: ChatInputCommandInteraction, deps: DiscordDeps): Promise<void> {
  const text = commandText('chart', symbolArg(interaction), checkTimeframe(interaction.options.getString('timeframe')));
  await answerThroughHandler(interaction, deps, { access: 'public', text });
}
