// /help — public: what MIKEY can do.
import { SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import type { DiscordDeps } from '../context.js';
import { answerThroughHandler } from '../respond.js';

export const data = new SlashCommandBuilder().setName('help').setDescription('What MIKEY can do');

export async function execute(interaction: ChatInputCommandInteraction, deps: DiscordDeps): Promise<void> {
  await answerThroughHandler(interaction, deps, { access: 'public', text: '/help' });
}
