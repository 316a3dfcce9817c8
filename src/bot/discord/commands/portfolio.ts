// /portfolio — private: answered ephemerally, to the linked user only.
import { SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import type { DiscordDeps } from '../context.js';
import { answerThroughHandler } from '../respond.js';

export const data = new SlashCommandBuilder().setName('portfolio').setDescription('Your balances, equity and P&L (only you see it)');

export async function execute(interaction: ChatInputCommandInteraction, deps: DiscordDeps): Promise<void> {
  await answerThroughHandler(interaction, deps, { access: 'private', text: '/portfolio' });
}
