// Each chat platform update is handled once across instances: Telegram re-sends a webhook update it
// did not see acknowledged, and behind a load balancer the repeat can reach another instance. The
// first instance to claim (source, update id) handles it; every later claim answers false. The
// process-local guard (src/bot/telegram/update-guard.ts) still answers repeats without a query; this
// is the shared check behind it. Telegram keeps undelivered updates for 24 hours, so claims older
// than a few days are pruned.
import { and, lt, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { claimedUpdates } from '../../db/schema/index.js';
import type { Clock } from '../../domain/ports.js';

export const CLAIM_RETENTION_MS = 3 * 86_400_000;

export class UpdateClaims {
  private lastPrune = 0;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** True for the first claim of `updateId` from `source` (e.g. `telegram:<bot id>`), on any instance. */
  async claim(source: string, updateId: number): Promise<boolean> {
    const now = this.clock.now();
    const rows = await this.db
      .insert(claimedUpdates)
      .values({ source, updateId, claimedAt: now })
      .onConflictDoNothing({ target: [claimedUpdates.source, claimedUpdates.updateId] })
      .returning({ updateId: claimedUpdates.updateId });
    if (now.getTime() - this.lastPrune > 3_600_000) {
      this.lastPrune = now.getTime();
      await this.prune(source, now);
    }
    return rows.length > 0;
  }

  /** Drops claims older than CLAIM_RETENTION_MS. */
  async prune(source: string, now: Date = this.clock.now()): Promise<void> {
    await this.db.delete(claimedUpdates).where(and(eq(claimedUpdates.source, source), lt(claimedUpdates.claimedAt, new Date(now.getTime() - CLAIM_RETENTION_MS))));
  }
}
