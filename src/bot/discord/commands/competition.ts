// /competition standings|list|join|start|cancel — this server's paper competitions. Standings and the
// list are public (handles and percentages only); joining, starting and cancelling are answered
// ephemerally (the entrant's portfolio is their own; starting and cancelling need Manage Server,
// which the tools check). The group hears a start from the competition's own push.
import { SlashCommandBuilder, type ChatInputCommandInteraction, type SlashCommandStringOption } from 'discord.js';
import type { DiscordDeps } from '../context.js';
import { answerThroughHandler } from '../respond.js';
import { checkAmount, checkSymbol, type Checked } from './options.js';

/** Longest competition name (the tools' own limit is checked there too). */
const MAX_NAME = 64;
const STATUSES = ['scheduled', 'running', 'finished', 'cancelled'] as const;

const nameOption = (required: boolean, what: string) => (o: SlashCommandStringOption): SlashCommandStringOption =>
  o.setName('name').setDescription(what).setRequired(required).setMaxLength(MAX_NAME);

export const data = new SlashCommandBuilder()
  .setName('competition')
  .setDescription("This server's paper trading competitions")
  .addSubcommand((s) => s.setName('standings').setDescription('Standings: rank, member, return % (default: the current one)').addStringOption(nameOption(false, 'Competition name or id prefix')))
  .addSubcommand((s) =>
    s
      .setName('list')
      .setDescription("This server's competitions")
      .addStringOption((o) => o.setName('status').setDescription('Only these').setRequired(false).addChoices(...STATUSES.map((v) => ({ name: v, value: v })))),
  )
  .addSubcommand((s) => s.setName('join').setDescription('Join with a fresh paper portfolio (default: the current one)').addStringOption(nameOption(false, 'Competition name or id prefix')))
  .addSubcommand((s) =>
    s
      .setName('start')
      .setDescription('Start a competition (Manage Server)')
      .addStringOption(nameOption(true, 'Its name'))
      .addIntegerOption((o) => o.setName('days').setDescription('How long, in days (default 7)').setRequired(false).setMinValue(1).setMaxValue(90))
      .addStringOption((o) => o.setName('cash').setDescription('Starting cash in USDT (default 10000)').setRequired(false).setMaxLength(24))
      .addStringOption((o) => o.setName('prize').setDescription('Prize pool in platform tokens (default none)').setRequired(false).setMaxLength(24))
      .addStringOption((o) => o.setName('markets').setDescription('Allowed markets, e.g. "BTC ETH" (default any)').setRequired(false).setMaxLength(200)),
  )
  .addSubcommand((s) => s.setName('cancel').setDescription('Cancel a competition before it ends (Manage Server)').addStringOption(nameOption(true, 'Competition name or id prefix')));

function checkName(raw: string | null): Checked {
  if (raw === null) return '';
  const name = raw.trim().replace(/\s+/g, ' ');
  if (name === '' || name.length > MAX_NAME || name.includes('"')) return { error: `A competition name is 1–${MAX_NAME} characters without double quotes (got "${raw.slice(0, MAX_NAME)}").` };
  return `"${name}"`;
}

export interface StartOptions {
  name: string | null;
  days: number | null;
  cash: string | null;
  prize: string | null;
  markets: string | null;
}

/** The subcommand as the phrase the understanding reads ("/competition join "Dec sprint"", "/competition start "X" for 7 days …"). */
export function competitionText(sub: string, name: string | null, status: string | null, start?: StartOptions): Checked {
  const quoted = checkName(name);
  if (typeof quoted !== 'string') return quoted;
  switch (sub) {
    case 'standings':
      return quoted ? `/competition standings ${quoted}` : '/competition';
    case 'list':
      if (status !== null && !(STATUSES as readonly string[]).includes(status)) return { error: 'Status must be scheduled, running, finished or cancelled.' };
      return status ? `/competitions ${status}` : '/competitions';
    case 'join':
      return quoted ? `/competition join ${quoted}` : '/competition join';
    case 'cancel':
      return quoted ? `/competition cancel ${quoted}` : { error: 'Name the competition to cancel.' };
    case 'start': {
      if (!quoted || !start) return { error: 'A competition needs a name.' };
      const parts = [`/competition start ${quoted}`];
      if (start.days !== null) {
        if (!Number.isInteger(start.days) || start.days < 1 || start.days > 90) return { error: 'Days must be a whole number from 1 to 90.' };
        parts.push(`for ${start.days} days`);
      }
      if (start.cash !== null) {
        const cash = checkAmount(start.cash.replace(/^\$/, ''), 'Starting cash');
        if (typeof cash !== 'string') return cash;
        parts.push(`with ${cash} USDT`);
      }
      if (start.prize !== null) {
        const prize = checkAmount(start.prize.replace(/^\$/, ''), 'The prize');
        if (typeof prize !== 'string') return prize;
        parts.push(`prize ${prize} tokens`);
      }
      if (start.markets !== null && start.markets.trim() !== '') {
        const symbols: string[] = [];
        for (const raw of start.markets.split(/[\s,]+/).filter(Boolean)) {
          const s = checkSymbol(raw);
          if (typeof s !== 'string') return s;
          symbols.push(s);
        }
        parts.push(`markets ${symbols.join(' ')}`);
      }
      return parts.join(', ');
    }
    default:
      return { error: `Unknown /competition ${sub.slice(0, 20)}.` };
  }
}

export async function execute(interaction: ChatInputCommandInteraction, deps: DiscordDeps): Promise<void> {
  const sub = interaction.options.getSubcommand();
  const o = interaction.options;
  const text = competitionText(sub, o.getString('name'), o.getString('status'), {
    name: o.getString('name'), days: o.getInteger('days'), cash: o.getString('cash'), prize: o.getString('prize'), markets: o.getString('markets'),
  });
  await answerThroughHandler(interaction, deps, { access: sub === 'standings' || sub === 'list' ? 'public' : 'private', text });
}
