// Trade-card buttons on Discord. Honoured once, only for the person the card was for, only before it
// expires; a press by anyone else is refused ephemerally and changes nothing.
import { MessageFlags, type ButtonInteraction } from 'discord.js';
import { decodeButtonData } from '../confirmation-buttons.js';
import { linkedUser } from './authorise.js';
import type { DiscordDeps } from './context.js';
import { NO_MENTIONS } from './render.js';
import { sendReply } from './respond.js';

const ephemeral = { flags: MessageFlags.Ephemeral } as const;

export async function answerButton(interaction: ButtonInteraction, deps: DiscordDeps): Promise<void> {
  const parsed = decodeButtonData(interaction.customId);
  const say = (content: string): Promise<unknown> => interaction.reply({ content, allowedMentions: NO_MENTIONS, ...ephemeral });
  if (!parsed) {
    await say('This button is not active any more.');
    return;
  }
  const claim = deps.confirmations.claim(parsed.id, interaction.user.id, parsed.answer);
  switch (claim.kind) {
    case 'foreign':
      await say('This trade card is not yours — only the person who asked for it can confirm or cancel it.');
      return;
    case 'unknown':
    case 'expired':
      await interaction.update({ components: [] });
      await interaction.followUp({ content: 'This trade card expired; nothing was done. Ask again for a fresh one.', allowedMentions: NO_MENTIONS, ...ephemeral });
      return;
    case 'answered':
      await say(`Already ${claim.pending.answeredWith === 'yes' ? 'confirmed' : 'cancelled'} — nothing more was done.`);
      return;
    case 'ok':
      break;
  }
  const { pending } = claim;
  // Acknowledge within Discord's 3 s and take the buttons off before anything runs.
  await interaction.update({ components: [] });
  const user = await linkedUser(interaction, deps);
  if (!user || user.id !== pending.userId) {
    await interaction.followUp({ content: 'This Discord account is no longer linked to the MIKEY user the card was for; nothing was done.', ...ephemeral });
    return;
  }
  const ctx = { platform: 'discord' as const, user, chatId: pending.chatId, isGroup: false, messageId: interaction.id };
  const reply = await deps.handler.handleConfirmation(ctx, pending.token, parsed.answer);
  await sendReply(interaction, reply, deps, { deferredEphemeral: true, forceEphemeral: true, ownerId: interaction.user.id, userId: user.id });
}
