// Trade-card buttons. A press is honoured once, only from the person the card was for, only before
// it expires; anything else gets a clear answer and no action (reliability 15, issue "bad input":
// buttons pressed twice or after expiry, a callback from another user).
import { Composer, type Context } from 'telegraf';
import { decodeButtonData } from '../confirmation-buttons.js';
import { guarded } from './boundary.js';
import { whileTyping } from './chat-module.js';
import { chatContext, senderOf, type TelegramDeps } from './context.js';

export function confirmModule(deps: TelegramDeps): Composer<Context> {
  const module = new Composer<Context>();
  module.on(
    'callback_query',
    guarded('confirm', deps, async (ctx) => {
      const query = ctx.callbackQuery;
      const parsed = decodeButtonData(query && 'data' in query ? query.data : undefined);
      const sender = senderOf(ctx);
      if (!parsed || !sender?.user) {
        await ctx.answerCbQuery('This button is not active any more.');
        return;
      }
      const messageId = query?.message?.message_id;
      const closeCard = async (): Promise<void> => {
        if (messageId !== undefined) await deps.replies.removeKeyboard(sender.chatId, sender.isGroup, messageId);
      };
      const claim = deps.confirmations.claim(parsed.id, sender.fromId, parsed.answer);
      switch (claim.kind) {
        case 'foreign':
          await ctx.answerCbQuery('This trade card is not yours — only the person who asked for it can confirm or cancel it.', { show_alert: true });
          return;
        case 'unknown':
          await ctx.answerCbQuery('This trade card is no longer active; nothing was done. Ask again for a fresh one.', { show_alert: true });
          await closeCard();
          return;
        case 'expired':
          await ctx.answerCbQuery('This trade card expired; nothing was done. Ask again for a fresh one.', { show_alert: true });
          await closeCard();
          return;
        case 'answered':
          await ctx.answerCbQuery(`Already ${claim.pending.answeredWith === 'yes' ? 'confirmed' : 'cancelled'} — nothing more was done.`);
          return;
        case 'ok':
          break;
      }
      const { pending } = claim;
      await ctx.answerCbQuery(parsed.answer === 'yes' ? 'Confirming…' : 'Cancelling…');
      const closing = closeCard();
      const user = sender.user;
      const reply = await whileTyping(deps, pending.chatId, () => deps.handler.handleConfirmation(chatContext(user, pending.chatId, sender.isGroup), pending.token, parsed.answer));
      await closing;
      await deps.replies.deliver({ chatId: pending.chatId, isGroup: sender.isGroup }, reply, { fromId: sender.fromId, userId: sender.user.id });
    }),
  );
  return module;
}
