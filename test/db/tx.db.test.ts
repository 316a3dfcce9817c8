import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
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
});
