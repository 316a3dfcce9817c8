// Messages to MIKEY outside slash commands: a DM, or a message in a server channel that mentions the
// bot (the only channel messages whose text Discord gives a bot without the privileged Message
// Content intent). The rules of the slash commands hold: a DM is answered for the linked user (or
// one signed up when MIKEY_SIGNUP allows); in a server, a public request (price, analysis, chart,
// help) is answered in the channel when its answer is public, and anything private goes to the
// person by DM with a short note in the channel (reliability 14); unknown people get nothing in a
// server and, once, how to link in a DM (reliability 13). While the handler works, the channel the
// person wrote in shows "MIKEY is typing…" (channel.sendTyping), sent before the work starts.
// A server message carries its community (the server, Manage Server = admin) wherever it is answered.
import type { Message, MessageCreateOptions } from 'discord.js';
import type { User } from '../../services/users.js';
import type { ChatContext, ChatReply } from '../chat-types.js';
import { findUserByIdentity, signUpChatUser, signupAllowed } from '../identity.js';
import type { Delivery } from '../outbound/index.js';
import { replyForPeople } from '../person-text.js';
import { messageCommunity } from './community.js';
import { LINK_FIRST, type DiscordDeps } from './context.js';
import { NO_MENTIONS, attachmentsOf, cardButtons, cardContent, splitDiscordText } from './render.js';
import { whileTyping } from './typing.js';

/** Longest message text handed to the handler (Discord's own limit for a message). */
const MAX_TEXT = 2000;
/** Most unknown people remembered as "told how to link" before the memory starts over. */
const MAX_TOLD = 50_000;

type Send = (message: MessageCreateOptions, label: string) => Promise<Delivery<unknown>>;

/** The text addressed to MIKEY, or undefined when the message is not for it. */
export function addressedText(message: Pick<Message, 'content' | 'inGuild' | 'mentions'>, botUserId: string | undefined): string | undefined {
  let text = message.content ?? '';
  if (message.inGuild()) {
    if (!botUserId || !message.mentions.users.has(botUserId)) return undefined;
    text = text.replace(new RegExp(`<@!?${botUserId}>`, 'g'), ' ');
  }
  text = text.trim();
  return text === '' ? undefined : text.slice(0, MAX_TEXT);
}

export async function answerMessage(message: Message, deps: DiscordDeps): Promise<void> {
  if (message.author.bot || message.system || message.webhookId) return;
  const text = addressedText(message, deps.botUserId());
  if (text === undefined) return;
  const authorId = message.author.id;
  const inGuild = message.inGuild();
  const here: Send = (m, label) =>
    deps.sender.send({ chatId: `channel:${message.channelId}`, group: inGuild, label }, () => message.channel.isSendable() ? message.channel.send(m) : Promise.reject(new Error('channel not sendable')));
  const typingHere = (): Promise<unknown> => (message.channel.isSendable() ? message.channel.sendTyping() : Promise.resolve());

  const limit = deps.services.rateLimiter.take(`discord:${message.channelId}:${authorId}`, deps.inboundPerMinute);
  if (!limit.allowed) {
    await here({ content: `You're going a bit fast — please wait ${limit.retryAfterSeconds} s and try again.`, allowedMentions: NO_MENTIONS }, 'slow-down');
    return;
  }
  const linked = await findUserByIdentity(deps.services.db, 'discord', authorId);

  if (!inGuild) {
    const user = linked ?? (await signUp(message, deps));
    if (!user) {
      if (deps.toldUnknown.size >= MAX_TOLD) deps.toldUnknown.clear();
      if (!deps.toldUnknown.has(authorId)) {
        deps.toldUnknown.add(authorId);
        await here({ content: LINK_FIRST, allowedMentions: NO_MENTIONS }, 'how-to-link');
      }
      return;
    }
    const ctx: ChatContext = { platform: 'discord', user, chatId: message.channelId, isGroup: false, messageId: message.id };
    const reply = await whileTyping(typingHere, deps.liveClock, deps.logger, () => deps.handler.handleText(ctx, text));
    await deliver(here, reply, deps, { ownerId: authorId, userId: user.id, chatId: message.channelId, replyTo: message.id });
    return;
  }

  const toDm: Send = (m, label) =>
    deps.sender.send({ chatId: `dm:${authorId}`, label }, async () => {
      const channel = await message.client.users.createDM(authorId, { force: message.client.user === null });
      return channel.send(m);
    });
  const note = (content: string): Promise<Delivery<unknown>> =>
    here({ content, allowedMentions: NO_MENTIONS, reply: { messageReference: message.id, failIfNotExists: false } }, 'note');

  const community = messageCommunity(message);
  const inCommunity = community ? { community } : {};
  if (deps.handler.isPublicRequest(text)) {
    const user = linked ?? (await deps.guestUser());
    const ctx: ChatContext = { platform: 'discord', user, chatId: message.channelId, isGroup: true, messageId: message.id, ...inCommunity };
    const reply = await whileTyping(typingHere, deps.liveClock, deps.logger, () => deps.handler.handleText(ctx, text));
    if (reply.visibility === 'public') {
      await deliver(here, reply, deps, { ownerId: authorId, userId: user.id, chatId: message.channelId, replyTo: message.id });
      return;
    }
    if (!linked) return; // a guest's private answer is nobody's data
    const sent = await deliver(toDm, reply, deps, { ownerId: authorId, userId: linked.id, chatId: `dm:${authorId}` });
    await note(sent ? "That answer is private, so I've sent it to you in a DM." : "That answer is private and I can't DM you — open your DMs to this server's members, or ask me in a DM.");
    return;
  }
  if (!linked) return; // unknown people get nothing in a server
  const ctx: ChatContext = { platform: 'discord', user: linked, chatId: `dm:${authorId}`, isGroup: false, messageId: message.id, ...inCommunity };
  const reply = await whileTyping(typingHere, deps.liveClock, deps.logger, () => deps.handler.handleText(ctx, text));
  const sent = await deliver(toDm, reply, deps, { ownerId: authorId, userId: linked.id, chatId: `dm:${authorId}` });
  await note(sent ? "That's private, so I've answered you in a DM." : "That's private and I can't DM you — open your DMs to this server's members, or ask me in a DM.");
}

async function signUp(message: Message, deps: DiscordDeps): Promise<User | undefined> {
  if (!signupAllowed(deps.config, 'discord', message.author.id)) return undefined;
  const created = await signUpChatUser(deps.services.db, {
    platform: 'discord', externalUserId: message.author.id, username: message.author.username, displayName: message.author.globalName ?? undefined,
  });
  deps.logger.info('discord sign-up', { userId: created.id, mode: deps.config.MIKEY_SIGNUP });
  return created;
}

/** Sends a reply as channel messages: text (split), charts on the last text, the trade card with buttons. True when all arrived. */
async function deliver(
  send: Send, raw: ChatReply, deps: Pick<DiscordDeps, 'confirmations' | 'services'>,
  opts: { ownerId: string; userId: string; chatId: string; replyTo?: string },
): Promise<boolean> {
  const reply = replyForPeople(raw);
  const messages: MessageCreateOptions[] = splitDiscordText(reply.text).map((content) => ({ content, allowedMentions: NO_MENTIONS }));
  const files = attachmentsOf(reply.images);
  if (files.length > 0) {
    if (messages.length === 0) messages.push({ files, allowedMentions: NO_MENTIONS });
    else messages[messages.length - 1]!.files = files;
  }
  if (reply.confirmation) {
    const c = reply.confirmation;
    const pending = deps.confirmations.register({ token: c.token, ownerExternalId: opts.ownerId, userId: opts.userId, chatId: opts.chatId, expiresAt: c.expiresAt });
    messages.push({ content: cardContent(c, deps.services.clock.now()), components: [cardButtons(pending.id)], allowedMentions: NO_MENTIONS });
  }
  if (messages.length === 0) return true;
  if (opts.replyTo) messages[0] = { ...messages[0], reply: { messageReference: opts.replyTo, failIfNotExists: false } };
  const results = await Promise.all(messages.map((m, i) => send(m, i === 0 ? 'reply' : 'reply-part')));
  return results.every((r) => r.ok);
}
