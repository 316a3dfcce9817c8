// Authorisation, first in the chain: every update is mapped to a linked MIKEY user before any
// feature sees it (reliability 13). An unknown sender causes no side effect — no database write, no
// tool call — and is told at most once, in a private chat, how to link; in groups they get nothing.
// The only ways in are a link code (`/start CODE`, `/link CODE`) or sign-up allowed by config.
import type { Context, MiddlewareFn } from 'telegraf';
import { findUserByIdentity, signUpChatUser, signupAllowed } from '../identity.js';
import { HOW_TO_LINK, displayNameOf, isGroupChat, messageText, setSender, type TelegramDeps } from './context.js';

/** `/start CODE` or `/link CODE`: the link path, open to unknown senders in private chats. */
export const LINK_WITH_CODE = /^\/(?:start|link)(?:@\w+)?\s+\S/i;
const BARE_START = /^\/start(?:@\w+)?$/i;

export function authorise(deps: TelegramDeps): MiddlewareFn<Context> {
  const warnedUntil = new Map<string, number>();
  return async (ctx, next) => {
    const from = ctx.from;
    if (!from || from.is_bot) return; // channel posts and other bots are not people
    const chat = ctx.chat;
    if (!chat) return; // inline queries and the like: not handled
    const text = messageText(ctx);
    if (text === undefined && !ctx.callbackQuery) return; // stickers, photos, joins: nothing to do
    const fromId = String(from.id);
    const chatId = String(chat.id);
    const isGroup = isGroupChat(chat.type);
    const base = { fromId, chatId, isGroup, displayName: displayNameOf(from) };
    const target = { chatId, isGroup, replyTo: ctx.message?.message_id };

    const decision = deps.services.rateLimiter.take(`telegram:${chatId}:${fromId}`, deps.inboundPerMinute);
    const user = await findUserByIdentity(deps.services.db, 'telegram', fromId);

    if (!decision.allowed) {
      if (ctx.callbackQuery) {
        await ctx.answerCbQuery(`You're going a bit fast — try again in ${decision.retryAfterSeconds} s.`);
        return;
      }
      const key = `${chatId}:${fromId}`;
      const now = Date.now();
      if (user && (warnedUntil.get(key) ?? 0) < now) {
        if (warnedUntil.size > 10_000) warnedUntil.clear();
        warnedUntil.set(key, now + decision.retryAfterSeconds * 1000);
        await deps.replies.sendText(target, `You're sending messages faster than I can take them (${deps.inboundPerMinute} a minute). Please wait ${decision.retryAfterSeconds} s and try again.`);
      }
      return;
    }

    if (user) {
      setSender(ctx, { ...base, user });
      return next();
    }

    // An unknown sender from here on.
    if (isGroup) return;
    if (ctx.callbackQuery) {
      await ctx.answerCbQuery('Link your Telegram account to MIKEY first: send me /start CODE.');
      return;
    }
    if (text !== undefined && LINK_WITH_CODE.test(text.trim())) {
      setSender(ctx, { ...base, user: undefined });
      return next();
    }
    if (signupAllowed(deps.config, 'telegram', fromId)) {
      const created = await signUpChatUser(deps.services.db, {
        platform: 'telegram', externalUserId: fromId, username: from.username, displayName: from.first_name, chatId,
      });
      deps.logger.info('telegram sign-up', { userId: created.id, mode: deps.config.MIKEY_SIGNUP });
      setSender(ctx, { ...base, user: created });
      await deps.replies.sendText(target, `Welcome to MIKEY! Your account is ready and starts on paper trading — no real money moves until you opt in. Try /price SOL or /help.`);
      if (text !== undefined && BARE_START.test(text.trim())) return;
      return next();
    }
    if (deps.toldUnknown.add(fromId)) await deps.replies.sendText(target, HOW_TO_LINK);
  };
}
