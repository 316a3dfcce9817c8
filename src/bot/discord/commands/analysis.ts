// /analysis symbol [timeframe] — public: a technical summary shown in the channel.
import { SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import type { DiscordDeps } from '../context.js';
import { answerThroughHandler } from '../respond.js';
import { checkTimeframe, commandText, symbolArg, symbolOption, timeframeOption } from './options.js';

export const data = new SlashCommandBuilder()
  .setName('analysis')
  .setDescription('Technical analysis of a market')
  .addStringOption(symbolOption)
  .addStringOption(timeframeOption);

export async function execute(interaction: ChatInputCommandInteraction, deps: DiscordDeps): Promise<void> {
  const text = commandText('analysis', symbolArg(interaction), checkTimeframe(interaction.options.getString('timeframe')));
  await answerThroughHandler(interaction, deps, { access: 'public', text });
}
