// Updates are worked on off the polling loop (a slow answer for one person must not hold up
// everyone else's next getUpdates), but one person's messages in one chat are handled in the order
// they were sent: "buy 1 SOL" is answered before the "yes" that follows it.
import type { Logger } from '../../log.js';

export class KeyedTasks {
  private readonly tails = new Map<string, Promise<void>>();
  private running = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly logger: Logger,
    /** Tasks waiting at once before new ones are dropped (a flood must not exhaust memory). */
    private readonly maxPending = 10_000,
  ) {}

  /** Runs `task` after the previous task with the same key; false when dropped under overload. */
  run(key: string, task: () => Promise<void>): boolean {
    if (this.running >= this.maxPending) {
      this.logger.warn('telegram update dropped: too many updates in progress', { pending: this.running });
      return false;
    }
    this.running++;
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev
      .then(task)
      .catch((err: unknown) => this.logger.error('telegram update task failed', { error: err }))
      .finally(() => {
        this.running--;
        if (this.tails.get(key) === next) this.tails.delete(key);
        if (this.running === 0) {
          const waiters = this.idleWaiters;
          this.idleWaiters = [];
          for (const w of waiters) w();
        }
      });
    this.tails.set(key, next);
    return true;
  }

  /** Resolves when no task is running or waiting. */
  whenIdle(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  get pending(): number {
    return this.running;
  }
}
