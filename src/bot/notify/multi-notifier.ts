// The Notifier port for chat: for each notification, the user's preference for that kind decides
// whether it goes (on / silent / off), and every linked chat identity with a channel gets it. A user
// with no linked chat is dropped quietly; a failed delivery is logged, never thrown at the caller.
import { eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { users, type ChatIdentity } from '../../db/schema/index.js';
import type { Notification, Notifier } from '../../domain/ports.js';
import type { Logger } from '../../log.js';
import { listIdentities, type ChatPlatform } from '../../services/link-codes.js';
import type { DeliveryFailure } from '../outbound/index.js';
import { getNotificationMode } from '../../services/notification-preferences.js';

export type PushOutcome = { ok: true } | { ok: false; reason: DeliveryFailure | 'no_chat' };

/** Delivers a notification to one linked identity on one platform. */
export interface PushChannel {
  readonly platform: ChatPlatform;
  deliver(identity: ChatIdentity, n: Notification, opts: { silent: boolean }): Promise<PushOutcome>;
}

export interface MultiNotifierOptions {
  db: Executor;
  channels: readonly PushChannel[];
  logger: Logger;
}

export interface NotifyResult {
  mode: 'on' | 'silent' | 'off';
  /** One entry per identity a push was attempted for. */
  deliveries: Array<{ platform: string; outcome: PushOutcome }>;
}

export class MultiNotifier implements Notifier {
  private readonly channels: Map<string, PushChannel>;
  constructor(private readonly opts: MultiNotifierOptions) {
    this.channels = new Map(opts.channels.map((c) => [c.platform, c]));
  }

  async notify(n: Notification): Promise<void> {
    await this.send(n);
  }

  /** Like `notify`, reporting what happened (tests, diagnostics). Never throws. */
  async send(n: Notification): Promise<NotifyResult> {
    try {
      const mode = await getNotificationMode(this.opts.db, n.userId, n.kind);
      if (mode === 'off') return { mode, deliveries: [] };
      const [user] = await this.opts.db.select({ isActive: users.isActive }).from(users).where(eq(users.id, n.userId));
      if (!user?.isActive) return { mode, deliveries: [] };
      const identities = (await listIdentities(this.opts.db, n.userId)).filter((i) => this.channels.has(i.platform));
      if (identities.length === 0) {
        this.opts.logger.debug('push dropped: no linked chat', { userId: n.userId, kind: n.kind });
        return { mode, deliveries: [] };
      }
      const deliveries = await Promise.all(
        identities.map(async (identity) => {
          const channel = this.channels.get(identity.platform)!;
          let outcome: PushOutcome;
          try {
            outcome = await channel.deliver(identity, n, { silent: mode === 'silent' });
          } catch (err) {
            this.opts.logger.error('push failed', { userId: n.userId, kind: n.kind, platform: identity.platform, error: err });
            outcome = { ok: false, reason: 'rejected' };
          }
          if (!outcome.ok) this.opts.logger.warn('push not delivered', { userId: n.userId, kind: n.kind, platform: identity.platform, reason: outcome.reason });
          return { platform: identity.platform, outcome };
        }),
      );
      return { mode, deliveries };
    } catch (err) {
      this.opts.logger.error('push failed before delivery', { userId: n.userId, kind: n.kind, error: err });
      return { mode: 'on', deliveries: [] };
    }
  }
}
