// Push notifications: the Notifier port for Telegram and Discord, per-user preferences per kind,
// and the subscription that turns domain events into pushes.
import type { Executor } from '../../db/client.js';
import type { Logger } from '../../log.js';
import type { DiscordDm } from '../discord/index.js';
import type { TelegramReplies } from '../telegram/replies.js';
import { DiscordNotifier } from './discord-notifier.js';
import { MultiNotifier, type PushChannel } from './multi-notifier.js';
import { TelegramNotifier } from './telegram-notifier.js';

export { DiscordNotifier, MultiNotifier, TelegramNotifier };
export type { MultiNotifierOptions, NotifyResult, PushChannel, PushOutcome } from './multi-notifier.js';
export { notificationFor } from './events-to-notifications.js';
export { subscribeNotifications, type SubscribeOptions } from './subscribe.js';
export {
  deliverAnnouncement, discordCommunityChannel, subscribeCommunityAnnouncements, telegramCommunityChannel,
  type AnnouncementOutcome, type CommunityAnnouncement, type CommunityChannel,
} from './community-announcements.js';
export {
  DEFAULT_NOTIFICATION_MODE, NotificationMode, getNotificationMode, getNotificationPreferences, isNotificationKind, isNotificationMode,
  setNotificationPreference,
} from '../../services/notification-preferences.js';

/**
 * The notifier `serve` wires to the event bus: one channel per running surface, each pushing through
 * its surface's rate-limited sender. Pass the surfaces `startTelegram` / `startDiscord` returned.
 */
export function createChatNotifier(opts: {
  db: Executor;
  logger: Logger;
  telegram?: { bot: { replies: TelegramReplies } } | undefined;
  discord?: { dm: DiscordDm } | undefined;
}): MultiNotifier {
  const channels: PushChannel[] = [];
  if (opts.telegram) channels.push(new TelegramNotifier(opts.telegram.bot.replies));
  if (opts.discord) channels.push(new DiscordNotifier(opts.discord.dm));
  return new MultiNotifier({ db: opts.db, logger: opts.logger, channels });
}
