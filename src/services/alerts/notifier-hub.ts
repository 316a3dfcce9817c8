// The app's `Notifier`: a fan-out to every registered chat notifier (Telegram, Discord, terminal).
// Surfaces register theirs at start-up; with none registered a notification is logged, so alerts
// still fire (and are recorded) on a headless server. Delivery fails only when every target failed.
import type { Notification, Notifier } from '../../domain/ports.js';
import type { Logger } from '../../log.js';

export class NotifierHub implements Notifier {
  private readonly targets = new Set<Notifier>();

  constructor(private readonly logger?: Logger) {}

  /** Adds a target; returns the function that removes it. */
  register(target: Notifier): () => void {
    this.targets.add(target);
    return () => {
      this.targets.delete(target);
    };
  }

  get size(): number {
    return this.targets.size;
  }

  async notify(n: Notification): Promise<void> {
    if (this.targets.size === 0) {
      this.logger?.info('notification (no chat notifier registered)', { userId: n.userId, kind: n.kind, title: n.title });
      return;
    }
    const results = await Promise.allSettled([...this.targets].map((t) => t.notify(n)));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    for (const f of failed) this.logger?.warn('a notifier failed', { error: f.reason, kind: n.kind });
    if (failed.length === results.length) throw failed[0]!.reason;
  }
}
