// Helpers of the tests that run several instances on one Postgres (test/cluster*.db.test.ts).
import type { Clock } from '../../src/domain/ports.js';

/** Real time plus an offset the test moves forward: past a lease's expiry, a slice's due time, a book re-read. */
export class SkewClock implements Clock {
  offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
}

/** Waits for `cond`, checking every 100 ms at most `tries` times; fails with `what` if it never holds. */
export async function until(what: string, cond: () => boolean | Promise<boolean>, tries = 600): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting: ${what}`);
}
