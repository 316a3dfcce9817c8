import { eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { queryRows, type Database } from '../../src/db/client.js';
import { users } from '../../src/db/schema/index.js';
import { withTransaction } from '../../src/db/tx.js';
import { createTestDatabase, testDbKind } from '../support/db.js';

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

describe('transactions with bounded retry (reliability 9)', () => {
  it('retries a serialization failure and the retry never inserts twice', async () => {
    let attempts = 0;
    await withTransaction(database.db, async (tx) => {
      attempts++;
      await tx.insert(users).values({ username: 'retry-once', role: 'trader' });
      if (attempts === 1) throw Object.assign(new Error('could not serialize access'), { code: '40001' });
    });
    const rows = await database.db.select().from(users).where(eq(users.username, 'retry-once'));
    expect(attempts, 'the callback ran again after the serialization failure').toBe(2);
    expect(rows, 'the first attempt was rolled back, so exactly one row exists').toHaveLength(1);
  });

  it('gives up after the bounded number of attempts and leaves nothing behind', async () => {
    let attempts = 0;
    await expect(
      withTransaction(
        database.db,
        async (tx) => {
          attempts++;
          await tx.insert(users).values({ username: 'always-deadlocked', role: 'trader' });
          throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
        },
        { maxAttempts: 3 },
      ),
    ).rejects.toThrow(/deadlock/);
    expect(attempts).toBe(3);
    expect(await database.db.select().from(users).where(eq(users.username, 'always-deadlocked'))).toHaveLength(0);
  });

  it('does not retry other errors', async () => {
    let attempts = 0;
    await expect(
      withTransaction(database.db, async () => {
        attempts++;
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(attempts).toBe(1);
  });

  it.runIf(testDbKind === 'postgres')('real serializable conflicts between concurrent writers all commit after retries', async () => {
    await database.db.insert(users).values({ username: 'counter', role: 'trader', tradingPreferences: { n: 0 } });
    let retries = 0;
    const bump = (): Promise<void> =>
      withTransaction(
        database.db,
        async (tx) => {
          const [u] = await tx.select().from(users).where(eq(users.username, 'counter'));
          const n = (u!.tradingPreferences as { n: number }).n;
          await tx.update(users).set({ tradingPreferences: { n: n + 1 } }).where(eq(users.username, 'counter'));
        },
        { isolationLevel: 'serializable', maxAttempts: 30, onRetry: () => retries++ },
      );
    await Promise.all(Array.from({ length: 8 }, bump));
    const [u] = await database.db.select().from(users).where(eq(users.username, 'counter'));
    expect((u!.tradingPreferences as { n: number }).n, 'every increment landed exactly once').toBe(8);
    expect(retries, 'concurrent serializable read-modify-write must have conflicted').toBeGreaterThan(0);
    await database.db.execute(sql`SELECT 1`);
  });

  // A burst larger than the pool waits for a connection however long the work ahead of it takes:
  // no deadline a slow or loaded machine could trip. The wait is made long without depending on the
  // machine: the first transactions block on a row lock the test holds, and the clock is moved on a
  // minute while they wait (pool and gate timers are what a slow machine would run into).
  it.runIf(testDbKind === 'postgres')('a burst larger than the pool queues without a deadline and every transaction commits', async () => {
    const small = await createTestDatabase({ poolMax: 4 });
    const pool = small.pool!;
    const blocker = new pg.Client({ connectionString: (pool.options as { connectionString: string }).connectionString });
    await blocker.connect();
    try {
      await small.db.execute(sql`CREATE TABLE burst (id int PRIMARY KEY, n int NOT NULL)`);
      await small.db.execute(sql`INSERT INTO burst VALUES (1, 0)`);
      // Every pooled connection opened before the clock is frozen, so none is mid-handshake then.
      await Promise.all(Array.from({ length: 4 }, () => small.db.execute(sql`SELECT pg_sleep(0)`)));
      await blocker.query('BEGIN');
      await blocker.query('SELECT n FROM burst WHERE id = 1 FOR UPDATE');
      // Timers are frozen before the burst starts, so every deadline the burst sets is one the test moves.
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const N = 12;
      const burst = Array.from({ length: N }, () =>
        withTransaction(small.db, async (tx) => {
          await tx.execute(sql`UPDATE burst SET n = n + 1 WHERE id = 1`);
          // Work inside a transaction that needs a second connection (a plain read on the pool).
          await small.db.execute(sql`SELECT 1`);
        }),
      );
      const outcomes = Promise.allSettled(burst);
      // Wait until the transactions the pool admits are parked on the lock (the rest wait for a connection).
      for (;;) {
        const r = await blocker.query<{ waiting: string }>(`SELECT count(*)::text AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
        if (Number(r.rows[0]!.waiting) >= 1) break;
        await new Promise((res) => setImmediate(res));
      }
      try {
        await vi.advanceTimersByTimeAsync(60_000);
      } finally {
        vi.useRealTimers();
      }
      await blocker.query('COMMIT');
      const settled = await outcomes;
      const failed = settled.filter((o): o is PromiseRejectedResult => o.status === 'rejected').map((o) => String((o.reason as Error).message));
      expect(failed, 'waiting for a connection or a gate slot must not time out, however long the work ahead takes').toEqual([]);
      const [row] = await queryRows<{ n: number }>(small.db, sql`SELECT n FROM burst WHERE id = 1`);
      expect(row!.n, 'every transaction of the burst committed exactly once').toBe(N);
    } finally {
      vi.useRealTimers();
      await blocker.end().catch(() => undefined);
      await small.close();
    }
  });

  it.runIf(testDbKind === 'postgres')('a transaction opened inside another one does not wait for its parent\'s gate slot', async () => {
    const tiny = await createTestDatabase({ poolMax: 3 }); // the gate admits one transaction at a time
    try {
      // Were it to queue, it would wait forever for the slot its own parent holds (the test times out).
      const inner = await withTransaction(tiny.db, async () => withTransaction(tiny.db, async (tx) => queryRows<{ one: number }>(tx, sql`SELECT 1 AS one`)));
      expect(inner, 'the nested transaction ran while its parent held the only slot').toEqual([{ one: 1 }]);
    } finally {
      await tiny.close();
    }
  });
});

