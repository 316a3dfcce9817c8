// /link code — links this Discord account to a MIKEY user with a one-time code from `mikey link`.
// Always answered ephemerally: the code and the result are nobody else's business.
import { MessageFlags, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import { isAppError } from '../../../services/errors.js';
import { redeemLinkCode } from '../../../services/link-codes.js';
import type { DiscordDeps } from '../context.js';
import { NO_MENTIONS } from '../render.js';

export const data = new SlashCommandBuilder()
  .setName('link')
  .setDescription('Link this Discord account to your MIKEY user (code from `mikey link`)')
  .addStringOption((o) => o.setName('code').setDescription('The code, e.g. MK-7F3K-9Q2B').setRequired(true).setMaxLength(32));

const LINK_ATTEMPTS_PER_MINUTE = 5;

export async function execute(interaction: ChatInputCommandInteraction, deps: DiscordDeps): Promise<void> {
  const say = (content: string): Promise<unknown> => interaction.editReply({ content, allowedMentions: NO_MENTIONS });
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const attempt = deps.services.rateLimiter.take(`discord-link:${interaction.user.id}`, LINK_ATTEMPTS_PER_MINUTE);
  if (!attempt.allowed) {
    await say(`Too many link attempts. Please wait ${attempt.retryAfterSeconds} s and try again.`);
    return;
  }
  try {
    // Pushes go by DM to the user id, so no channel is stored (a server channel is not private).
    const user = await redeemLinkCode(deps.services.db, interaction.options.getString('code', true).slice(0, 64), {
      platform: 'discord', externalUserId: interaction.user.id, username: interaction.user.username,
    });
    deps.logger.info('discord identity linked', { userId: user.id });
    await say(`✅ Linked. This Discord account now acts as MIKEY user ${user.username ?? user.id}. Try /portfolio or /trade — answers to you stay private.`);
  } catch (err) {
    if (!isAppError(err)) throw err;
    await say(`❌ ${err.message}.${err.hint ? ` ${err.hint.charAt(0).toUpperCase()}${err.hint.slice(1)}.` : ''}`);
  }
}
