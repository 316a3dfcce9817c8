// A community's public pushes (a competition's start, daily standings, results) to its group chat:
// the competition scheduler decides each one once and publishes a `community.announcement` event;
// here every instance that runs that platform's surface hears it (its own events, and the others'
// over the event bridge) and the one that first claims its `key` in the database sends it. So the
// group sees it exactly once however many instances run — the same claim-before-send rule as the
// alert engine's is_sent and the webhook update claims. A claimed push that cannot be delivered
// (the bot was removed from the group) is logged, not retried by another instance.
import { createHash } from 'node:crypto';
import type { Client } from 'discord.js';
import type { Logger } from '../../log.js';
import type { UpdateClaims } from '../../services/cluster/update-claims.js';
import type { EventBus, MikeyEvent } from '../../services/events.js';
import type { DeliveryFailure, OutboundSender } from '../outbound/index.js';
import { NO_MENTIONS, splitDiscordText } from '../discord/render.js';
import type { TelegramReplies } from '../telegram/replies.js';

export type CommunityAnnouncement = Extract<MikeyEvent, { type: 'community.announcement' }>;

export type PostOutcome = { ok: true } | { ok: false; reason: DeliveryFailure | 'not_sendable' };

/** Posts public text to one platform's group chats. */
export interface CommunityChannel {
  readonly platform: CommunityAnnouncement['platform'];
  post(chatId: string, text: string): Promise<PostOutcome>;
}

/** Where the claims live: `community-push:<platform>` and a number derived from the key. */
export const CLAIM_SOURCE = 'community-push';

/** The claim id of an announcement key: 48 bits of its SHA-256 (a collision is 1 in 2^48 per pair). */
export function claimIdOf(key: string): number {
  return Number.parseInt(createHash('sha256').update(key).digest('hex').slice(0, 12), 16);
}

export interface CommunityAnnouncementOptions {
  channels: readonly CommunityChannel[];
  claims: Pick<UpdateClaims, 'claim'>;
  logger: Logger;
}

/** What happened to one announcement here (tests and diagnostics). */
export type AnnouncementOutcome = 'sent' | 'claimed_elsewhere' | 'no_channel' | 'failed';

/**
 * Delivers one announcement if this instance can and wins its claim. Never throws.
 */
export async function deliverAnnouncement(event: CommunityAnnouncement, opts: CommunityAnnouncementOptions): Promise<AnnouncementOutcome> {
  const channel = opts.channels.find((c) => c.platform === event.platform);
  if (!channel) return 'no_channel'; // an instance running that platform sends it
  try {
    if (!(await opts.claims.claim(`${CLAIM_SOURCE}:${event.platform}`, claimIdOf(event.key)))) return 'claimed_elsewhere';
    const outcome = await channel.post(event.chatId, event.text);
    if (outcome.ok) return 'sent';
    opts.logger.warn('community announcement not delivered', { platform: event.platform, chatId: event.chatId, key: event.key, reason: outcome.reason });
    return 'failed';
  } catch (err) {
    opts.logger.error('community announcement failed', { platform: event.platform, chatId: event.chatId, key: event.key, error: err });
    return 'failed';
  }
}

/** Subscribes the announcements to the event bus; returns the unsubscribe. */
export function subscribeCommunityAnnouncements(events: EventBus, opts: CommunityAnnouncementOptions & { onOutcome?: (e: CommunityAnnouncement, o: AnnouncementOutcome) => void }): () => void {
  return events.on(async (event) => {
    if (event.type !== 'community.announcement') return;
    const outcome = await deliverAnnouncement(event, opts);
    opts.onOutcome?.(event, outcome);
  });
}

/** Telegram: the group chat itself, through the surface's rate-limited replies (split to fit, cleaned for people). */
export function telegramCommunityChannel(replies: TelegramReplies): CommunityChannel {
  return {
    platform: 'telegram',
    post: async (chatId, text) => {
      const r = await replies.deliver({ chatId, isGroup: true }, { text, visibility: 'public' }, { fromId: '', userId: '' }, { silent: false });
      return r.ok ? { ok: true } : { ok: false, reason: r.reason };
    },
  };
}

/** Discord: the channel the competition was started in, through the surface's rate-limited sender. */
export function discordCommunityChannel(client: Client, sender: OutboundSender): CommunityChannel {
  return {
    platform: 'discord',
    post: async (chatId, text) => {
      const channel = await client.channels.fetch(chatId).catch(() => null);
      if (!channel?.isSendable()) return { ok: false, reason: 'not_sendable' };
      for (const content of splitDiscordText(text)) {
        const r = await sender.send({ chatId: `channel:${chatId}`, group: true, label: 'community' }, (): Promise<unknown> => channel.send({ content, allowedMentions: NO_MENTIONS }));
        if (!r.ok) return { ok: false, reason: r.reason };
      }
      return { ok: true };
    },
  };
}
