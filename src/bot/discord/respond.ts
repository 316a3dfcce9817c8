// Answering a slash command through the ChatHandler: acknowledge at once (deferReply, ephemeral for
// private commands — Discord allows 3 s for the first response), then let the handler work, then
// edit the deferred reply and follow up with the rest (more text, charts, the trade card). A command
// used in a server carries its community (the server; Manage Server = admin), ephemeral or not.
import { MessageFlags, type ChatInputCommandInteraction, type InteractionEditReplyOptions, type InteractionReplyOptions } from 'discord.js';
import type { ChatContext, ChatReply } from '../chat-types.js';
import type { User } from '../../services/users.js';
import { replyForPeople } from '../person-text.js';
import { mayTrade, userForPrivateRequest, linkedUser } from './authorise.js';
import { interactionCommunity } from './community.js';
import type { DiscordDeps } from './context.js';
import { LINK_FIRST } from './context.js';
import { LiveEdit } from './live-edit.js';
import { NO_MENTIONS, attachmentsOf, cardButtons, cardContent, splitDiscordText } from './render.js';

export type Access = 'public' | 'private';

export interface RequestSpec {
  access: Access;
  /** Trading commands: the trader role applies in servers. */
  trading?: boolean;
  /** The message the handler reads, or a reason the options were refused. */
  text: string | { error: string };
}

const ephemeral = { flags: MessageFlags.Ephemeral } as const;

/** Refusal or early answer, ephemeral. */
export async function replyPrivately(interaction: ChatInputCommandInteraction, content: string): Promise<void> {
  if (interaction.deferred || interaction.replied) await interaction.followUp({ content, allowedMentions: NO_MENTIONS, ...ephemeral });
  else await interaction.reply({ content, allowedMentions: NO_MENTIONS, ...ephemeral });
}

export async function answerThroughHandler(interaction: ChatInputCommandInteraction, deps: DiscordDeps, spec: RequestSpec): Promise<void> {
  const limit = deps.services.rateLimiter.take(`discord:${interaction.channelId}:${interaction.user.id}`, deps.inboundPerMinute);
  if (!limit.allowed) return replyPrivately(interaction, `You're going a bit fast — please wait ${limit.retryAfterSeconds} s and try again.`);
  if (typeof spec.text !== 'string') return replyPrivately(interaction, spec.text.error);
  const isPrivate = spec.access === 'private';
  let user: User | undefined;
  if (isPrivate) {
    user = await userForPrivateRequest(interaction, deps);
    if (!user) return replyPrivately(interaction, LINK_FIRST);
    if (spec.trading && !mayTrade(interaction, deps.config)) {
      return replyPrivately(interaction, 'Trading in this server needs the trader role. Ask a moderator for it, or trade with me in a DM.');
    }
  }
  await interaction.deferReply(isPrivate ? ephemeral : {});
  user ??= (await linkedUser(interaction, deps)) ?? (await deps.guestUser());
  const community = interactionCommunity(interaction);
  const ctx: ChatContext = {
    platform: 'discord',
    user,
    chatId: interaction.channelId ?? `dm:${interaction.user.id}`,
    isGroup: interaction.inGuild() && !isPrivate,
    messageId: interaction.id,
    ...(community ? { community } : {}),
  };
  // The deferred reply already shows "MIKEY is thinking…". An ephemeral one is seen only by the asker,
  // so the answer can grow in it as it is written; a public one waits for the whole answer (its
  // visibility is known only then).
  const live = isPrivate ? new LiveEdit(interaction, deps.liveClock, deps.logger) : undefined;
  let reply: ChatReply;
  try {
    reply = await deps.handler.handleText(ctx, spec.text, live ? { onPartial: live.update } : undefined);
  } finally {
    await live?.finish();
  }
  if (!isPrivate && reply.visibility === 'private') {
    await interaction.editReply({ content: "That answer is private, so I've shown it only to you.", allowedMentions: NO_MENTIONS });
    await sendReply(interaction, reply, deps, { deferredEphemeral: false, forceEphemeral: true, ownerId: interaction.user.id, userId: user.id });
    return;
  }
  await sendReply(interaction, reply, deps, { deferredEphemeral: isPrivate, forceEphemeral: false, ownerId: interaction.user.id, userId: user.id });
}

interface SendOptions {
  /** The deferred reply is ephemeral (so editing it keeps the answer private). */
  deferredEphemeral: boolean;
  /** Everything goes out as ephemeral follow-ups, the deferred reply is left alone. */
  forceEphemeral: boolean;
  ownerId: string;
  userId: string;
}

/** Delivers a reply to a deferred interaction: first message by editReply, the rest as follow-ups. */
export async function sendReply(
  interaction: Pick<ChatInputCommandInteraction, 'editReply' | 'followUp' | 'channelId'>,
  raw: ChatReply,
  deps: Pick<DiscordDeps, 'confirmations' | 'services'>,
  opts: SendOptions,
): Promise<void> {
  const reply = replyForPeople(raw);
  const texts = splitDiscordText(reply.text);
  const files = attachmentsOf(reply.images);
  const privateFlag = opts.forceEphemeral || opts.deferredEphemeral ? ephemeral : {};
  const messages: Array<InteractionReplyOptions & InteractionEditReplyOptions> = texts.map((content) => ({ content, allowedMentions: NO_MENTIONS }));
  if (files.length > 0) {
    if (messages.length === 0) messages.push({ files, allowedMentions: NO_MENTIONS });
    else messages[messages.length - 1]!.files = files;
  }
  if (reply.confirmation) {
    const c = reply.confirmation;
    const pending = deps.confirmations.register({
      token: c.token, ownerExternalId: opts.ownerId, userId: opts.userId, chatId: interaction.channelId ?? `dm:${opts.ownerId}`, expiresAt: c.expiresAt,
    });
    messages.push({ content: cardContent(c, deps.services.clock.now()), components: [cardButtons(pending.id)], allowedMentions: NO_MENTIONS });
  }
  if (messages.length === 0) messages.push({ content: '(no answer)', allowedMentions: NO_MENTIONS });
  let first = true;
  for (const m of messages) {
    if (first && !opts.forceEphemeral) await interaction.editReply(m);
    else await interaction.followUp({ ...m, ...privateFlag });
    first = false;
  }
}
