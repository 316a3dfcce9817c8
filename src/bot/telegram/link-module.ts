// Linking: `/start CODE` (also the deep link t.me/<bot>?start=CODE) and `/link CODE` redeem a
// one-time code from `mikey link`, atomically and once. Codes are secrets, so they are redeemed only
// in a private chat; every refusal says what was wrong and what to do.
import { Composer, type Context } from 'telegraf';
import { isAppError } from '../../services/errors.js';
import { redeemLinkCode } from '../../services/link-codes.js';
import { guarded } from './boundary.js';
import { HOW_TO_LINK, messageText, senderOf, type TelegramDeps } from './context.js';

const LINK = /^\/(start|link)(?:@(\w+))?(?:\s+([\s\S]*))?$/i;

export function linkModule(deps: TelegramDeps): Composer<Context> {
  const module = new Composer<Context>();
  module.use(
    guarded('link', deps, async (ctx, next) => {
      const text = messageText(ctx)?.trim();
      const m = text === undefined ? null : LINK.exec(text);
      const sender = senderOf(ctx);
      if (!m || !sender) return next();
      const [, command, addressedTo, rest] = m;
      if (addressedTo && ctx.botInfo && addressedTo.toLowerCase() !== ctx.botInfo.username.toLowerCase()) return; // for another bot
      const code = rest?.trim() ?? '';
      const target = { chatId: sender.chatId, isGroup: sender.isGroup, replyTo: ctx.message?.message_id };
      if (code === '') {
        if (command?.toLowerCase() === 'start' && sender.user) return next(); // the handler greets linked users
        if (!sender.user) {
          if (deps.toldUnknown.add(sender.fromId)) await deps.replies.sendText(target, HOW_TO_LINK);
          return;
        }
        await deps.replies.sendText(target, 'Send /link CODE with a code from `mikey link` (run it where you already use MIKEY, e.g. the terminal). Codes work once and last 10 minutes.');
        return;
      }
      if (sender.isGroup) {
        // Only linked senders reach this in a group (authorisation drops unknown ones).
        await deps.replies.sendText(target, 'Link codes are secret: send it to me in a private chat, not here. If others saw it, run `mikey link` again for a fresh one.');
        return;
      }
      const attempt = deps.services.rateLimiter.take(`telegram-link:${sender.fromId}`, deps.linkAttemptsPerMinute);
      if (!attempt.allowed) {
        await deps.replies.sendText(target, `Too many link attempts. Please wait ${attempt.retryAfterSeconds} s and try again.`);
        return;
      }
      const from = ctx.from!;
      try {
        const user = await redeemLinkCode(deps.services.db, code.slice(0, 64), {
          platform: 'telegram', externalUserId: sender.fromId, username: from.username, chatId: sender.chatId,
        });
        deps.logger.info('telegram identity linked', { userId: user.id });
        await deps.replies.sendText(target, `✅ Linked. This Telegram account now acts as MIKEY user ${user.username ?? user.displayName ?? user.id}. Try /price SOL, /portfolio or /help.`);
      } catch (err) {
        if (!isAppError(err)) throw err;
        await deps.replies.sendText(target, `❌ ${err.message}.${err.hint ? ` ${capitalise(err.hint)}.` : ''}`);
      }
    }),
  );
  return module;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
