// Wires the event bus to a notifier: fills, alert triggers, risk alerts and stop / take-profit /
// liquidation closes become pushes. Runs in the bus's error boundary; returns the unsubscribe.
import type { Executor } from '../../db/client.js';
import type { Notifier } from '../../domain/ports.js';
import type { Logger } from '../../log.js';
import type { EventBus, MikeyEventType } from '../../services/events.js';
import { notificationFor } from './events-to-notifications.js';

export interface SubscribeOptions {
  db: Executor;
  logger?: Logger;
  /**
   * Event types delivered by another path. The alert engine pushes its own triggers through the
   * notifier hub (claiming `is_sent` first), so `serve` skips `alert.triggered` here to avoid a double push.
   */
  skip?: ReadonlyArray<MikeyEventType>;
}

export function subscribeNotifications(events: EventBus, notifier: Notifier, opts: SubscribeOptions): () => void {
  const skip = new Set(opts.skip ?? []);
  return events.on(async (event) => {
    if (skip.has(event.type)) return;
    const n = await notificationFor(opts.db, event);
    if (!n) return;
    await notifier.notify(n);
    opts.logger?.debug('push sent', { kind: n.kind, userId: n.userId });
  });
}
