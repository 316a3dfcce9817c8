// The error boundary every Telegram module runs inside: a failure is logged with the module's name
// and the person gets "something went wrong, nothing was changed" — the bot itself keeps running.
import { Composer, type Context, type Middleware, type MiddlewareFn } from 'telegraf';
import { SOMETHING_WENT_WRONG, senderOf, type TelegramDeps } from './context.js';

export function guarded(name: string, deps: Pick<TelegramDeps, 'logger' | 'replies'>, mw: Middleware<Context>): MiddlewareFn<Context> {
  const fn = Composer.unwrap(mw);
  return async (ctx, next) => {
    try {
      await fn(ctx, next);
    } catch (err) {
      deps.logger.error('telegram module failed', { module: name, updateId: ctx.update.update_id, error: err });
      await apologise(ctx, deps).catch((e: unknown) => deps.logger.warn('telegram apology failed', { module: name, error: e }));
    }
  };
}

async function apologise(ctx: Context, deps: Pick<TelegramDeps, 'replies'>): Promise<void> {
  if (ctx.callbackQuery) {
    await ctx.answerCbQuery(SOMETHING_WENT_WRONG, { show_alert: true });
    return;
  }
  const sender = senderOf(ctx);
  // Unknown senders in groups get nothing at all, not even an apology.
  if (!sender || (sender.isGroup && !sender.user)) return;
  await deps.replies.sendText({ chatId: sender.chatId, isGroup: sender.isGroup, replyTo: ctx.message?.message_id }, SOMETHING_WENT_WRONG);
}
