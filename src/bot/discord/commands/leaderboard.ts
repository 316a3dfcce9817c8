// /leaderboard [action] [period] [live] — this server's leaderboard: members who opted in, ranked by
// return over the period, in percentages only (public: shown in the channel). Joining and leaving
// are the person's own and answered ephemerally.
import { SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import type { DiscordDeps } from '../context.js';
import { answerThroughHandler } from '../respond.js';
import type { Checked } from './options.js';

const ACTIONS = ['show', 'join', 'leave'] as const;
const PERIODS = ['7d', '30d', '90d', 'all'] as const;

export const data = new SlashCommandBuilder()
  .setName('leaderboard')
  .setDescription("This server's leaderboard (percentages only), or join / leave it")
  .addStringOption((o) =>
    o
      .setName('action')
      .setDescription('show (default), join or leave')
      .setRequired(false)
      .addChoices({ name: 'show', value: 'show' }, { name: 'join', value: 'join' }, { name: 'leave', value: 'leave' }),
  )
  .addStringOption((o) =>
    o
      .setName('period')
      .setDescription('Ranking window (default 30d)')
      .setRequired(false)
      .addChoices(...PERIODS.map((p) => ({ name: p === 'all' ? 'all time' : p, value: p }))),
  )
  .addBooleanOption((o) => o.setName('live').setDescription('When joining: rank your live account too (default: paper only)').setRequired(false));

/** The command as the phrase the understanding reads: "/leaderboard 7d", "/leaderboard join live". */
export function leaderboardText(action: string, period: string | null, live: boolean | null): Checked {
  if (!(ACTIONS as readonly string[]).includes(action)) return { error: 'Action must be show, join or leave.' };
  if (period !== null && !(PERIODS as readonly string[]).includes(period)) return { error: 'Period must be 7d, 30d, 90d or all.' };
  if (action === 'join') return live === null ? '/leaderboard join' : `/leaderboard join ${live ? 'live' : 'paper only'}`;
  if (action === 'leave') return '/leaderboard leave';
  return period ? `/leaderboard ${period}` : '/leaderboard';
}

export async function execute(interaction: ChatInputCommandInteraction, deps: DiscordDeps): Promise<void> {
  const action = interaction.options.getString('action') ?? 'show';
  const text = leaderboardText(action, interaction.options.getString('period'), interaction.options.getBoolean('live'));
  await answerThroughHandler(interaction, deps, { access: action === 'show' ? 'public' : 'private', text });
}
