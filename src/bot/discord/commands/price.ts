// /price symbol — public: anyone may ask, the answer is shown in the channel.
import { SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import type { DiscordDeps } from '../context.js';
import { answerThroughHandler } from '../respond.js';
import { commandText, symbolArg, symbolOption } from './options.js';

export const data = new SlashCommandBuilder().setName('price').setDescription('Price of a market').addStringOption(symbolOption);

export async function execute(interaction: ChatInputCommandInteraction, deps: DiscordDeps): Promise<void> {
  await answerThroughHandler(interaction, deps, { access: 'public', text: commandText('price', symbolArg(interaction)) });
}
