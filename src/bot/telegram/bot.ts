// The Telegram bot: telegraf with MIKEY's middleware chain. Order matters:
//   1. repeated updates dropped (each update_id once),
//   2. work moved off the polling loop, serialised per chat user,
//   3. authorisation (sender → linked MIKEY user, rate limit, unknown senders stopped here),
//   4. feature modules, each in its own error boundary: link, trade-card buttons, conversation.
import { Telegraf, type Context } from 'telegraf';
import type { Config } from '../../config.js';
import type { Logger } from '../../log.js';
import type { Services } from '../../services/index.js';
import type { ChatHandler } from '../chat-types.js';
import type { ConfirmationButtons } from '../confirmation-buttons.js';
import { systemSenderClock, type OutboundSender, type SenderClock } from '../outbound/index.js';
import { authorise } from './authorise.js';
import { guarded } from './boundary.js';
import { BoundedSet } from './bounded-set.js';
import { chatModule } from './chat-module.js';
import { TelegramChatAdmins } from './community.js';
import { confirmModule } from './confirm-module.js';
import type { TelegramDeps } from './context.js';
import { KeyedTasks } from './keyed-tasks.js';
import { linkModule } from './link-module.js';
import { TelegramReplies } from './replies.js';
import { UpdateGuard, claimAcrossInstances, dropRepeatedUpdates } from './update-guard.js';
import { UpdateClaims } from '../../services/cluster/update-claims.js';

export interface TelegramBotInput {
  services: Services;
  handler: ChatHandler;
  config: Config;
  token: string;
  /** Bot API base URL (TELEGRAM_API_ROOT); default https://api.telegram.org. */
  apiRoot?: string | undefined;
  sender: OutboundSender;
  confirmations: ConfirmationButtons;
  logger: Logger;
  inboundPerMinute?: number;
  linkAttemptsPerMinute?: number;
  /** Time for "typing…" and streamed edits (tests drive it by hand); default real time. */
  liveClock?: SenderClock;
  /** Webhook mode: claim each update in the database, so one instance of several handles it. */
  sharedClaims?: boolean;
}

export interface TelegramBot {
  bot: Telegraf<Context>;
  deps: TelegramDeps;
  replies: TelegramReplies;
  /** Resolves when every update received so far has been handled. */
  whenIdle(): Promise<void>;
  /** Updates received (each delivery counted) and how many were repeats of one already seen. */
  stats(): { updates: number; repeated: number; inProgress: number };
}

export function createTelegramBot(input: TelegramBotInput): TelegramBot {
  const { services, logger } = input;
  const bot = new Telegraf<Context>(input.token, {
    telegram: { ...(input.apiRoot ? { apiRoot: input.apiRoot } : {}), webhookReply: false },
  });
  const replies = new TelegramReplies(bot.telegram, input.sender, input.confirmations, () => services.clock.now(), logger);
  const deps: TelegramDeps = {
    services,
    handler: input.handler,
    config: input.config,
    logger,
    confirmations: input.confirmations,
    replies,
    telegram: bot.telegram,
    inboundPerMinute: input.inboundPerMinute ?? 20,
    linkAttemptsPerMinute: input.linkAttemptsPerMinute ?? 5,
    toldUnknown: new BoundedSet<string>(50_000),
    botUsername: () => bot.botInfo?.username,
    liveClock: input.liveClock ?? systemSenderClock,
    admins: new TelegramChatAdmins(bot.telegram, () => services.clock.now(), logger),
  };
  const tasks = new KeyedTasks(logger);
  const guard = new UpdateGuard();

  bot.use(dropRepeatedUpdates(guard, logger));
  bot.use((ctx, next) => {
    tasks.run(`${ctx.chat?.id ?? '-'}:${ctx.from?.id ?? '-'}`, () => next());
    return Promise.resolve();
  });
  bot.use(guarded('authorise', deps, authorise(deps)));
  if (input.sharedClaims) bot.use(claimAcrossInstances(new UpdateClaims(services.db, services.clock), () => `telegram:${bot.botInfo?.id ?? 'bot'}`, logger));
  bot.use(linkModule(deps));
  bot.use(confirmModule(deps));
  bot.use(chatModule(deps));
  bot.catch((err, ctx) => {
    logger.error('telegram update failed outside every module', { updateId: ctx.update.update_id, error: err });
  });
  return {
    bot, deps, replies,
    whenIdle: () => tasks.whenIdle(),
    stats: () => ({ ...guard.counts, inProgress: tasks.pending }),
  };
}
