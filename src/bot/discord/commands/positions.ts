// /positions — private: answered ephemerally, to the linked user only.
import { SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import type { DiscordDeps } from '../context.js';
import { answerThroughHandler } from '../respond.js';

export const data = new SlashCommandBuilder().setName('positions').setDescription('Your open positions (only you see them)');

export async function execute(interaction: ChatInputCommandInteraction, deps: DiscordDeps): Promise<void> {
  await answerThroughHandler(interaction, deps, { access: 'private', text: '/positions' });
}
