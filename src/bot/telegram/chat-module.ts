// Conversation: text from a linked user goes to the handler and the reply comes back — in a private
// chat directly; in a group only what is safe in public (`isPublicRequest`) is answered there, and
// anything else is answered by DM with a short note in the group (reliability 14). Before a private
// request from a group is handled at all, MIKEY makes sure it can DM the person: if Telegram refuses
// (they never started a chat with the bot), nothing is done and the group is told how to fix it.
//
// While the handler works, the chat the answer goes to shows "typing…". Where the whole answer goes
// to a private chat anyway, it is also shown as it is written (one message edited in place); in a
// group it is not, since whether an answer may be shown there is known only once it is complete.
//
// A message from a group carries its community (the group, and whether the sender administers it)
// to the handler whether it is answered in the group or by DM, so "join the competition" asked in
// the group joins that group's competition.
import { Composer, type Context } from 'telegraf';
import type { ChatReply } from '../chat-types.js';
import { guarded } from './boundary.js';
import { chatContext, messageText, senderOf, type SenderState, type TelegramDeps } from './context.js';
import { LiveReply } from './live-reply.js';
import type { ReplyTarget } from './replies.js';
import { startTyping } from './typing.js';

/** Most characters of the person's message quoted back in the DM header. */
const QUOTE_LIMIT = 200;

export function chatModule(deps: TelegramDeps): Composer<Context> {
  const module = new Composer<Context>();
  module.use(
    guarded('chat', deps, async (ctx, next) => {
      const raw = messageText(ctx);
      const sender = senderOf(ctx);
      if (raw === undefined || !sender) return next();
      const user = sender.user;
      if (!user) return; // only the link path is open to unknown senders
      const text = addressedText(ctx, raw, sender.isGroup);
      if (text === undefined || text.trim() === '') return;
      const messageId = ctx.message?.message_id;
      const owner = { fromId: sender.fromId, userId: user.id };

      if (!sender.isGroup) {
        const target: ReplyTarget = { chatId: sender.chatId, isGroup: false, replyTo: undefined };
        const live = new LiveReply(deps.replies, target, { clock: deps.liveClock, logger: deps.logger });
        const reply = await whileTyping(deps, sender.chatId, () => deps.handler.handleText(chatContext(user, sender.chatId, false, messageId), text, { onPartial: live.update }));
        await live.finish(reply, owner);
        return;
      }

      const here: ReplyTarget = { chatId: sender.chatId, isGroup: true, replyTo: messageId };
      const community = await deps.admins.communityOf(sender.chatId, sender.fromId);
      if (deps.handler.isPublicRequest(text)) {
        const reply = await whileTyping(deps, sender.chatId, () => deps.handler.handleText(chatContext(user, sender.chatId, true, messageId, community), text));
        if (reply.visibility === 'public') {
          await deps.replies.deliver(here, reply, owner);
          return;
        }
        await answerPrivately(deps, sender, here, reply, owner, groupTitle(ctx));
        return;
      }

      const dm: ReplyTarget = { chatId: sender.fromId, isGroup: false };
      const header = await deps.replies.sendText(dm, `💬 You asked in ${groupTitle(ctx)}: "${quote(text)}"`);
      if (!header.ok) {
        await deps.replies.sendText(here, cannotDm(sender, header.reason, ctx.botInfo?.username));
        return;
      }
      const live = new LiveReply(deps.replies, dm, { clock: deps.liveClock, logger: deps.logger });
      const reply = await whileTyping(deps, sender.fromId, () => deps.handler.handleText(chatContext(user, sender.fromId, false, messageId, community), text, { onPartial: live.update }));
      const outcome = await live.finish(reply, owner);
      await deps.replies.sendText(here, outcome.ok ? `📬 ${sender.displayName}, I sent you the answer in a private chat.` : cannotDm(sender, outcome.reason, ctx.botInfo?.username));
    }),
  );
  return module;
}

/** Runs `work` with "typing…" shown in `chatId` until it ends (answered or failed). */
export async function whileTyping<T>(deps: Pick<TelegramDeps, 'telegram' | 'liveClock' | 'logger'>, chatId: string, work: () => Promise<T>): Promise<T> {
  const stop = startTyping(deps.telegram, chatId, deps.liveClock, deps.logger);
  try {
    return await work();
  } finally {
    await stop();
  }
}

async function answerPrivately(
  deps: TelegramDeps, sender: SenderState, here: ReplyTarget, reply: ChatReply, owner: { fromId: string; userId: string }, title: string,
): Promise<void> {
  const dm: ReplyTarget = { chatId: sender.fromId, isGroup: false };
  const outcome = await deps.replies.deliver(dm, { ...reply, text: `💬 From ${title}:\n${reply.text}` }, owner);
  await deps.replies.sendText(here, outcome.ok ? `📬 ${sender.displayName}, that's private, so I sent it to you in a private chat.` : cannotDm(sender, outcome.reason, undefined));
}

function cannotDm(sender: SenderState, reason: string, botUsername: string | undefined): string {
  if (reason === 'forbidden' || reason === 'not_found') {
    return `${sender.displayName}, I can't message you privately yet — start a private chat with me first${botUsername ? ` (open @${botUsername} and press Start)` : ''}, then ask again. Nothing was done.`;
  }
  return `${sender.displayName}, I couldn't reach you privately right now; please ask me again in a private chat.`;
}

function groupTitle(ctx: Context): string {
  const chat = ctx.chat;
  return chat && 'title' in chat && chat.title ? `"${chat.title.slice(0, 64)}"` : 'the group';
}

function quote(text: string): string {
  return text.length > QUOTE_LIMIT ? `${text.slice(0, QUOTE_LIMIT)}…` : text;
}

/**
 * The text meant for MIKEY, with the bot's @name taken out; undefined when a group message is not
 * addressed to the bot (a command, a mention, or a reply to one of its messages) or is a command for
 * another bot.
 */
export function addressedText(ctx: Context, text: string, isGroup: boolean): string | undefined {
  const me = ctx.botInfo?.username;
  const command = /^\/(\w+)@(\w+)(.*)$/s.exec(text);
  if (command) {
    if (me && command[2]!.toLowerCase() !== me.toLowerCase()) return undefined;
    return `/${command[1]}${command[3]}`.trim();
  }
  if (text.startsWith('/')) return text.trim();
  if (!isGroup) return text;
  if (me) {
    const mention = new RegExp(`(^|\\s)@${me}\\b`, 'i');
    if (mention.test(text)) return text.replace(mention, ' ').trim();
  }
  const replyTo = ctx.message && 'reply_to_message' in ctx.message ? ctx.message.reply_to_message : undefined;
  if (replyTo?.from && ctx.botInfo && replyTo.from.id === ctx.botInfo.id) return text;
  return undefined;
}
