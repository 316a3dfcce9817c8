// The Discord surface: `startDiscord` logs the client in (when DISCORD_TOKEN and DISCORD_APP_ID are
// set), routes interactions and messages (DMs, and channel messages that mention the bot), and
// returns what `serve` needs: stop, and DMs for pushes through the rate-limited sender.
import { Client, Events, GatewayIntentBits, MessageFlags, Partials, type Interaction, type Message, type MessageCreateOptions } from 'discord.js';
import type { Config } from '../../config.js';
import { DEFAULT_MARKETS } from '../../domain/market.js';
import type { MarketInfo } from '../../domain/ports.js';
import type { Services } from '../../services/index.js';
import type { ChatHandler } from '../chat-types.js';
import { ConfirmationButtons } from '../confirmation-buttons.js';
import { ensureGuestUser } from '../identity.js';
import { DISCORD_LIMITS, OutboundSender, classifyDiscordError, systemSenderClock, type Delivery, type SenderClock } from '../outbound/index.js';
import { SOMETHING_WENT_WRONG, type DiscordDeps } from './context.js';
import { answerMessage } from './messages.js';
import { NO_MENTIONS } from './render.js';
import { routeInteraction } from './router.js';

export { DISCORD_COMMANDS, PRIVATE_COMMANDS, PUBLIC_COMMANDS, type DiscordCommandModule } from './commands/index.js';
export { registerDiscordCommands, type DiscordRegistration } from './register.js';
export { symbolChoices } from './autocomplete.js';
export { splitDiscordText } from './render.js';
export type { DiscordDeps } from './context.js';

export interface StartDiscordOptions {
  /** The market list for symbol autocomplete (e.g. the catalog's `list`); default: the built-in markets. */
  markets?: () => readonly MarketInfo[];
  sender?: OutboundSender;
  senderClock?: SenderClock;
  confirmations?: ConfirmationButtons;
  /** Connect to the gateway (default true). Tests drive interactions without a gateway. */
  login?: boolean;
  inboundPerMinute?: number;
  /** Time for "typing…" repeats and streamed edits (default real time; tests use a manual clock). */
  liveClock?: SenderClock;
}

/** A direct message to a Discord user, sent through the rate-limited sender. */
export interface DiscordDm {
  send(userId: string, message: Pick<MessageCreateOptions, 'content' | 'files'>, opts?: { silent?: boolean; label?: string }): Promise<Delivery<unknown>>;
}

export interface DiscordSurface {
  client: Client;
  deps: DiscordDeps;
  sender: OutboundSender;
  dm: DiscordDm;
  /** Resolves when every interaction received so far has been handled. */
  whenIdle(): Promise<void>;
  stop(): Promise<void>;
}

/** The gateway shards this process runs (DISCORD_SHARDS); none set: discord.js's single shard. */
export function discordShardOptions(config: Pick<Config, 'DISCORD_SHARDS'>): { shards?: 'auto' | number[]; shardCount?: number } {
  const s = config.DISCORD_SHARDS;
  if (!s) return {};
  if (s === 'auto') return { shards: 'auto' };
  return { shards: s.ids, shardCount: s.count };
}

export function discordEnabled(config: Pick<Config, 'DISCORD_TOKEN' | 'DISCORD_APP_ID'>): boolean {
  return Boolean(config.DISCORD_TOKEN && config.DISCORD_APP_ID);
}

export async function startDiscord(services: Services, handler: ChatHandler, config: Config = services.config, opts: StartDiscordOptions = {}): Promise<DiscordSurface> {
  const token = config.DISCORD_TOKEN;
  if (!token || !config.DISCORD_APP_ID) throw new Error('Discord is off: set DISCORD_TOKEN and DISCORD_APP_ID to start it');
  const logger = services.logger.child({ surface: 'discord' });
  const client = new Client({
    // Guild and DM messages (not privileged): a channel message's text arrives only when it mentions
    // the bot, a DM's always. DM channels are not cached before their first message: partials.
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.DirectMessages],
    partials: [Partials.Channel],
    ...discordShardOptions(config),
    ...(config.DISCORD_API_ROOT ? { rest: { api: config.DISCORD_API_ROOT.replace(/\/+$/, '') } } : {}),
  });
  client.rest.setToken(token);
  const sender =
    opts.sender ?? new OutboundSender({ classify: classifyDiscordError, limits: DISCORD_LIMITS, logger, ...(opts.senderClock ? { clock: opts.senderClock } : {}) });
  const deps: DiscordDeps = {
    services,
    handler,
    config,
    logger,
    confirmations: opts.confirmations ?? new ConfirmationButtons({ now: () => services.clock.now() }),
    markets: opts.markets ?? (() => DEFAULT_MARKETS),
    guestUser: () => ensureGuestUser(services.db),
    inboundPerMinute: opts.inboundPerMinute ?? 20,
    sender,
    liveClock: opts.liveClock ?? systemSenderClock,
    // The bot user's id is the application's id; before the gateway is ready only the latter is known.
    botUserId: () => client.user?.id ?? config.DISCORD_APP_ID,
    toldUnknown: new Set<string>(),
  };

  let inFlight = 0;
  let idleWaiters: Array<() => void> = [];
  const track = (work: Promise<void>, what: string): void => {
    inFlight++;
    work
      .catch((err: unknown) => logger.error(`discord ${what} failed outside every module`, { error: err }))
      .finally(() => {
        inFlight--;
        if (inFlight === 0) {
          const waiters = idleWaiters;
          idleWaiters = [];
          for (const w of waiters) w();
        }
      });
  };
  const onInteraction = (interaction: Interaction): void => track(routeInteraction(interaction, deps), 'interaction');
  const onMessage = (message: Message): void => track(messageBoundary(message, deps), 'message');
  client.on(Events.InteractionCreate, onInteraction);
  client.on(Events.MessageCreate, onMessage);
  client.on(Events.Error, (err) => logger.error('discord client error', { error: err }));

  if (opts.login !== false) {
    await client.login(token);
    logger.info('discord connected', { user: client.user?.tag });
  }

  const dm: DiscordDm = {
    send: (userId, message, o = {}) =>
      sender.send({ chatId: `dm:${userId}`, label: o.label ?? 'dm' }, async () => {
        // Before the gateway is ready the client does not know its own user: fetch the channel.
        const channel = await client.users.createDM(userId, { force: client.user === null });
        return channel.send({
          ...message,
          allowedMentions: NO_MENTIONS,
          ...(o.silent ? { flags: MessageFlags.SuppressNotifications } : {}),
        });
      }),
  };

  const whenIdle = (): Promise<void> => (inFlight === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve)));
  let stopped = false;
  return {
    client,
    deps,
    sender,
    dm,
    whenIdle,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      client.off(Events.InteractionCreate, onInteraction);
      client.off(Events.MessageCreate, onMessage);
      await whenIdle();
      if (!opts.sender) await sender.close(10_000);
      await client.destroy();
      logger.info('discord stopped');
    },
  };
}

/** The error boundary of message answers: logged, and the person told nothing was changed. */
async function messageBoundary(message: Message, deps: DiscordDeps): Promise<void> {
  try {
    await answerMessage(message, deps);
  } catch (err) {
    deps.logger.error('discord message failed', { messageId: message.id, error: err });
    if (!message.channel.isSendable()) return;
    const channel = message.channel;
    await deps.sender
      .send({ chatId: `channel:${message.channelId}`, label: 'apology' }, (): Promise<unknown> => channel.send({ content: SOMETHING_WENT_WRONG, allowedMentions: NO_MENTIONS }))
      .catch(() => undefined);
  }
}
