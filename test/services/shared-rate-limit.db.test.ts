// Per-key and per-chat rate limits hold across instances on one database (issue 15 §3): two
// limiters, as two instances would have, share their counts through `rate_limit_windows`. Time is a
// number the test moves; every sync is called by the test, so nothing depends on machine speed.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { queryRows } from '../../src/db/client.js';
import { createLogger } from '../../src/log.js';
import { SharedRateLimits } from '../../src/services/cluster/shared-rate-limit.js';
import { RateLimiter } from '../../src/services/rate-limit.js';
import { createTestDatabase } from '../support/db.js';

let database: Database;
let now: number;
const warnings: string[] = [];
const logger = createLogger('warn', (line) => warnings.push(line));

interface Instance {
  limiter: RateLimiter;
  sync(): Promise<void>;
  take(key: string, perMinute: number): boolean;
}

function instance(): Instance {
  const limiter = new RateLimiter(() => now);
  const shared = new SharedRateLimits({ db: database.db, limiter, logger, now: () => now });
  return { limiter, sync: () => shared.sync(), take: (key, perMinute) => limiter.take(key, perMinute).allowed };
}

/** How many of `n` attempts were let through. */
function takeMany(i: Instance, key: string, perMinute: number, n: number): number {
  let allowed = 0;
  for (let k = 0; k < n; k++) if (i.take(key, perMinute)) allowed++;
  return allowed;
}

async function used(key: string): Promise<number[]> {
  const rows = await queryRows<{ used: number }>(database.db, sql`select used from rate_limit_windows where key = ${key} order by window_start`);
  return rows.map((r) => Number(r.used));
}

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database?.close();
});

let test = 0;
beforeEach(() => {
  // The start of a minute window, an hour apart per test: no test sees another's counts.
  now = Date.UTC(2026, 11, 6, 12 + test++, 0, 0);
  warnings.length = 0;
});

describe('rate limits shared across instances', () => {
  it('a key gets its limit once over two instances, not once on each', async () => {
    const a = instance();
    const b = instance();
    expect(takeMany(a, 'apikey:k1', 10, 6)).toBe(6);
    await a.sync();
    await b.sync();
    expect(takeMany(b, 'apikey:k1', 10, 6), 'b lets through only what a left').toBe(4);
    const refused = b.limiter.take('apikey:k1', 10);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    await b.sync();
    await a.sync();
    expect(a.take('apikey:k1', 10), 'a has learnt what b let through').toBe(false);
    expect(await used('apikey:k1'), 'ten requests in the window, over both').toEqual([10]);
  });

  it('keys are apart: one chat user at the limit leaves another alone', async () => {
    const a = instance();
    const b = instance();
    expect(takeMany(a, 'telegram:1:1', 3, 3)).toBe(3);
    await a.sync();
    await b.sync();
    expect(b.take('telegram:1:1', 3)).toBe(false);
    expect(takeMany(b, 'telegram:1:2', 3, 3)).toBe(3);
  });

  it('what the others took is not lost in a bucket that had refilled to the top', async () => {
    const a = instance();
    const b = instance();
    expect(b.take('apikey:k2', 10)).toBe(true);
    now += 5 * 60_000; // b's bucket is full again, and its counted window is old
    expect(takeMany(a, 'apikey:k2', 10, 9)).toBe(9);
    await a.sync();
    await b.sync();
    expect(takeMany(b, 'apikey:k2', 10, 5), 'one left of ten').toBe(1);
  });

  it('a refunded request is not counted', async () => {
    const a = instance();
    expect(takeMany(a, 'apikey:k3', 10, 3)).toBe(3);
    a.limiter.refund('apikey:k3');
    await a.sync();
    expect(await used('apikey:k3')).toEqual([2]);
    await a.sync();
    expect(await used('apikey:k3'), 'a second sync adds nothing').toEqual([2]);
  });

  it('each sync adds only what is new, window by window', async () => {
    const a = instance();
    expect(takeMany(a, 'apikey:k4', 100, 4)).toBe(4);
    await a.sync();
    expect(takeMany(a, 'apikey:k4', 100, 3)).toBe(3);
    now += 60_000;
    expect(takeMany(a, 'apikey:k4', 100, 2)).toBe(2);
    await a.sync();
    expect(await used('apikey:k4'), 'seven in the first window, two in the next').toEqual([7, 2]);
  });

  it('a sync that cannot write keeps its counts for the next one: nothing lost, nothing doubled', async () => {
    const a = instance();
    const b = instance();
    expect(takeMany(a, 'apikey:k5', 10, 4)).toBe(4);
    await database.db.execute(sql`alter table rate_limit_windows rename to rate_limit_windows_away`);
    try {
      await a.sync();
    } finally {
      await database.db.execute(sql`alter table rate_limit_windows_away rename to rate_limit_windows`);
    }
    expect(warnings.join('\n')).toContain('rate limits not shared this time; kept for the next sync');
    expect(await used('apikey:k5'), 'nothing written by the failed sync').toEqual([]);
    expect(takeMany(a, 'apikey:k5', 10, 2)).toBe(2);
    await a.sync();
    expect(await used('apikey:k5'), 'the kept four and the new two').toEqual([6]);
    await b.sync();
    expect(takeMany(b, 'apikey:k5', 10, 10)).toBe(4);
  });

  it('windows older than three minutes are pruned', async () => {
    const a = instance();
    expect(takeMany(a, 'apikey:k6', 10, 1)).toBe(1);
    await a.sync();
    now += 5 * 60_000;
    expect(takeMany(a, 'apikey:k6', 10, 1)).toBe(1);
    await a.sync();
    expect(await used('apikey:k6')).toEqual([1]);
    const [old] = await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from rate_limit_windows where window_start < ${new Date(now - 3 * 60_000).toISOString()}::timestamptz`);
    expect(Number(old!.n)).toBe(0);
  });
});
