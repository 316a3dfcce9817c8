// The Telegram surface: `startTelegram` brings the bot up (long polling by default, a webhook when
// TELEGRAM_WEBHOOK_URL is set), registers the command menu, and returns what `serve` needs to stop it
// gracefully and to push notifications through the same rate-limited sender.
import { randomBytes } from 'node:crypto';
import type { Config } from '../../config.js';
import { registerSecret, scrub } from '../../log.js';
import type { Services } from '../../services/index.js';
import type { ChatHandler } from '../chat-types.js';
import { ConfirmationButtons } from '../confirmation-buttons.js';
import { OutboundSender, TELEGRAM_LIMITS, classifyTelegramError, type SenderClock } from '../outbound/index.js';
import { createTelegramBot, type TelegramBot } from './bot.js';
import { registerTelegramCommands } from './commands.js';
import { startWebhookServer, type WebhookServer } from './webhook.js';

export { createTelegramBot, type TelegramBot, type TelegramBotInput } from './bot.js';
export { TELEGRAM_COMMANDS, registerTelegramCommands } from './commands.js';
export { TelegramReplies, type CardOwner, type ReplyOutcome, type ReplyTarget } from './replies.js';
export { escapeHtml, renderHtmlChunks, TELEGRAM_TEXT_LIMIT } from './render.js';
export { LiveReply, STREAM_EDIT_INTERVAL_MS } from './live-reply.js';
export { TYPING_REPEAT_MS, startTyping } from './typing.js';
export { SECRET_HEADER } from './webhook.js';

export interface StartTelegramOptions {
  /** A shared sender (default: a new one at Telegram's limits). */
  sender?: OutboundSender;
  /** Clock for a new sender (tests run the limits on a faster clock). */
  senderClock?: SenderClock;
  confirmations?: ConfirmationButtons;
  /** Override the mode the config implies. */
  mode?: 'polling' | 'webhook';
  /** Webhook listener; default 0.0.0.0 and TELEGRAM_WEBHOOK_PORT (0 picks a free port). */
  webhookHost?: string;
  webhookPort?: number;
  /** Register the command menu with setMyCommands (default true). */
  registerCommands?: boolean;
  inboundPerMinute?: number;
  linkAttemptsPerMinute?: number;
  /** Time for "typing…" repeats and the pacing of streamed edits (default real time; tests use a manual clock). */
  liveClock?: SenderClock;
}

export interface TelegramSurface {
  mode: 'polling' | 'webhook';
  bot: TelegramBot;
  sender: OutboundSender;
  confirmations: ConfirmationButtons;
  /** The bot's @username as Telegram reports it. */
  username: string;
  /** Port of the webhook listener (webhook mode). */
  webhookPort?: number;
  /** Resolves when every update received so far has been handled and its replies sent. */
  whenIdle(): Promise<void>;
  /** Stops taking updates, finishes the ones in progress, delivers what is queued. */
  stop(): Promise<void>;
}

export function telegramEnabled(config: Pick<Config, 'TELEGRAM_BOT_TOKEN'>): boolean {
  return Boolean(config.TELEGRAM_BOT_TOKEN);
}

export async function startTelegram(services: Services, handler: ChatHandler, config: Config = services.config, opts: StartTelegramOptions = {}): Promise<TelegramSurface> {
  const token = config.TELEGRAM_BOT_TOKEN;
  if (!token) throw new Error('Telegram is off: set TELEGRAM_BOT_TOKEN (the token @BotFather gave you) to start it');
  const logger = services.logger.child({ surface: 'telegram' });
  const sender =
    opts.sender ??
    new OutboundSender({ classify: classifyTelegramError, limits: TELEGRAM_LIMITS, logger, ...(opts.senderClock ? { clock: opts.senderClock } : {}) });
  const confirmations = opts.confirmations ?? new ConfirmationButtons({ now: () => services.clock.now() });
  const mode = opts.mode ?? (config.TELEGRAM_WEBHOOK_URL ? 'webhook' : 'polling');
  const tg = createTelegramBot({
    services, handler, config, token, apiRoot: config.TELEGRAM_API_ROOT, sender, confirmations, logger,
    // Polling has one consumer by Telegram's rules; webhooks may be spread over several instances.
    sharedClaims: mode === 'webhook',
    ...(opts.inboundPerMinute !== undefined ? { inboundPerMinute: opts.inboundPerMinute } : {}),
    ...(opts.linkAttemptsPerMinute !== undefined ? { linkAttemptsPerMinute: opts.linkAttemptsPerMinute } : {}),
    ...(opts.liveClock ? { liveClock: opts.liveClock } : {}),
  });
  const { bot } = tg;

  try {
    bot.botInfo = await bot.telegram.getMe();
  } catch (err) {
    throw new Error(`Telegram did not accept the bot token (getMe failed: ${scrub((err as Error).message)}). Check TELEGRAM_BOT_TOKEN${config.TELEGRAM_API_ROOT ? ' and TELEGRAM_API_ROOT' : ''}.`, { cause: err });
  }
  if (opts.registerCommands !== false) {
    await registerTelegramCommands(bot.telegram).catch((err: unknown) => logger.warn('telegram command menu not registered', { error: err }));
  }

  let webhook: WebhookServer | undefined;
  let polling: Promise<void> | undefined;

  if (mode === 'webhook') {
    const url = config.TELEGRAM_WEBHOOK_URL;
    if (!url) throw new Error('Telegram webhook mode needs TELEGRAM_WEBHOOK_URL (the public https URL Telegram should POST to)');
    // Without a configured secret a random one is used: Telegram learns it from setWebhook.
    const secretToken = config.TELEGRAM_WEBHOOK_SECRET ?? randomBytes(32).toString('hex');
    if (!/^[A-Za-z0-9_-]{1,256}$/.test(secretToken)) throw new Error('TELEGRAM_WEBHOOK_SECRET may use only A-Z, a-z, 0-9, "_" and "-" (1–256 characters)');
    registerSecret(secretToken);
    webhook = await startWebhookServer({
      host: opts.webhookHost ?? '0.0.0.0',
      port: opts.webhookPort ?? config.TELEGRAM_WEBHOOK_PORT,
      path: new URL(url).pathname || '/',
      secretToken,
      logger,
      onUpdate: (update) => {
        bot.handleUpdate(update).catch((err: unknown) => logger.error('telegram update failed', { updateId: update.update_id, error: err }));
      },
    });
    await bot.telegram.setWebhook(url, { secret_token: secretToken, allowed_updates: ['message', 'callback_query'] });
    logger.info('telegram webhook listening', { port: webhook.port, path: new URL(url).pathname });
  } else {
    polling = bot.launch({ allowedUpdates: ['message', 'callback_query'] }).catch((err: unknown) => {
      logger.error('telegram polling stopped', { error: err });
    });
    logger.info('telegram long polling started', { bot: bot.botInfo.username });
  }

  let stopped = false;
  return {
    mode,
    bot: tg,
    sender,
    confirmations,
    username: bot.botInfo.username,
    ...(webhook ? { webhookPort: webhook.port } : {}),
    whenIdle: async () => {
      await tg.whenIdle();
      await sender.drain();
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      if (webhook) await webhook.close();
      if (polling) {
        try {
          bot.stop('shutdown');
        } catch {
          // not running any more
        }
        await polling;
      }
      await tg.whenIdle();
      if (!opts.sender) await sender.close(10_000);
      logger.info('telegram stopped');
    },
  };
}
