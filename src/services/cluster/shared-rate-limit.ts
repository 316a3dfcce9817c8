// Rate limits that hold across instances on one Postgres (issue 15 §3, reliability 19): every
// instance decides locally and at once (no query on a request's path, so one busy API key is not a
// hot row), and every `everyMs` (1 s) it adds what it let through to `rate_limit_windows` and reads
// the window's totals, which take what the others let through out of its own buckets. Across N
// instances a key gets its limit plus at most what N instances let through in one sync interval.
// A failed sync keeps the counts for the next one: nothing is lost or counted twice.
import { eq, lt, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { rateLimitWindows } from '../../db/schema/index.js';
import type { Logger } from '../../log.js';
import { RATE_WINDOW_MS, rateWindowOf, type RateLimiter } from '../rate-limit.js';

/** Windows kept before they are pruned. */
const KEEP_MS = 3 * RATE_WINDOW_MS;

export interface SharedRateLimitsOptions {
  db: Db;
  limiter: RateLimiter;
  logger: Logger;
  /** Time between two syncs. Default 1 s. */
  everyMs?: number;
  /** The limiter's clock (ms). Default Date.now. */
  now?: () => number;
}

export class SharedRateLimits {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private lastPrune = Number.NEGATIVE_INFINITY;
  private readonly now: () => number;

  constructor(private readonly opts: SharedRateLimitsOptions) {
    this.now = opts.now ?? (() => Date.now());
  }

  start(): void {
    this.timer ??= setInterval(() => void this.sync(), this.opts.everyMs ?? 1_000).unref();
  }

  async stop(): Promise<void> {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    // What this instance let through last still counts for the others.
    await this.sync();
  }

  /** One sync: writes this instance's new counts, then reads the current window's totals. One at a time. */
  sync(): Promise<void> {
    this.running ??= this.syncOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async syncOnce(): Promise<void> {
    const { db, limiter, logger } = this.opts;
    const counts = limiter.drainUnshared();
    if (counts.length > 0) {
      // Sorted: two instances lock the same rows in the same order.
      const rows = counts.map((c) => ({ key: c.key, windowStart: new Date(c.windowStart), used: c.count })).sort((a, b) => a.windowStart.getTime() - b.windowStart.getTime() || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      try {
        await db
          .insert(rateLimitWindows)
          .values(rows)
          .onConflictDoUpdate({ target: [rateLimitWindows.key, rateLimitWindows.windowStart], set: { used: sql`${rateLimitWindows.used} + excluded.used` } });
      } catch (err) {
        limiter.restoreUnshared(counts);
        logger.warn('rate limits not shared this time; kept for the next sync', { error: err });
        return;
      }
    }
    try {
      const windowStart = rateWindowOf(this.now());
      const totals = await db.select({ key: rateLimitWindows.key, used: rateLimitWindows.used }).from(rateLimitWindows).where(eq(rateLimitWindows.windowStart, new Date(windowStart)));
      limiter.applyShared(windowStart, new Map(totals.map((r) => [r.key, r.used])));
      if (windowStart - this.lastPrune >= RATE_WINDOW_MS) {
        this.lastPrune = windowStart;
        await db.delete(rateLimitWindows).where(lt(rateLimitWindows.windowStart, new Date(windowStart - KEEP_MS)));
      }
    } catch (err) {
      logger.warn('rate limits of the other instances not read this time', { error: err });
    }
  }
}
