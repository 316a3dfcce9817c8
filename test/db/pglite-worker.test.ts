// PGlite in a worker thread (src/db/pglite-worker.ts, pglite-thread.ts), as `mikey mcp` and `mikey
// chat` open it: the app's drizzle queries, transactions that commit, roll back and wait for each
// other, Postgres's errors with their SQLSTATE, and what the thread refuses.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, queryRows, type Database } from '../../src/db/client.js';
import { openEmbedded } from '../../src/db/embedded.js';
import { migrateDatabase } from '../../src/db/migrate.js';
import { PgliteWorkerClient } from '../../src/db/pglite-worker.js';
import { users } from '../../src/db/schema/index.js';
import { isUniqueViolation, sqlState } from '../../src/db/tx.js';

let dataDir: string;
let database: Database;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mikey-thread-'));
  const opened = await openEmbedded(dataDir, { thread: true });
  expect(opened.instance).toBeInstanceOf(PgliteWorkerClient);
  database = await openDatabase({ pglite: opened.instance });
  const close = database.close;
  database.close = async () => {
    await close();
    await opened.release();
  };
  await migrateDatabase(database);
  await database.pglite!.exec('create table if not exists thread_counter (id int primary key, n int not null); insert into thread_counter values (1, 0) on conflict do nothing');
}, 120_000);

afterAll(async () => {
  await database?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('PGlite in a worker thread', () => {
  it('runs the app schema through drizzle: rows in, rows out, timestamps as dates, numeric as text', async () => {
    const [inserted] = await database.db.insert(users).values({ username: 'thread-alice', displayName: 'Alice' }).returning();
    expect(inserted!.username).toBe('thread-alice');
    expect(inserted!.createdAt).toBeInstanceOf(Date);
    const [found] = await database.db.select().from(users).where(eq(users.id, inserted!.id));
    expect(found!.displayName).toBe('Alice');
    expect(found!.createdAt.getTime()).toBe(inserted!.createdAt.getTime());
    const rows = await queryRows<{ n: string; j: { a: number[] } }>(database.db, sql`select 12345.678901234567890::numeric(38, 18) as n, '{"a":[1,2]}'::jsonb as j`);
    expect(rows[0]!.n).toBe('12345.678901234567890000');
    expect(rows[0]!.j).toEqual({ a: [1, 2] });
  });

  it('commits a transaction, and rolls back one whose callback throws, nested savepoints included', async () => {
    await database.db.transaction(async (tx) => {
      await tx.insert(users).values({ username: 'thread-bob' });
      await tx.transaction(async (inner) => {
        await inner.insert(users).values({ username: 'thread-carol' });
      });
    });
    await expect(
      database.db.transaction(async (tx) => {
        await tx.insert(users).values({ username: 'thread-dave' });
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    await database.db.transaction(async (tx) => {
      await tx.insert(users).values({ username: 'thread-erin' });
      await tx
        .transaction(async (inner) => {
          await inner.insert(users).values({ username: 'thread-frank' });
          throw new Error('not frank');
        })
        .catch(() => undefined);
    });
    const names = (await database.db.select({ u: users.username }).from(users)).map((r) => r.u).filter((u) => u?.startsWith('thread-'));
    expect(names.sort()).toEqual(['thread-alice', 'thread-bob', 'thread-carol', 'thread-erin']);
  });

  it('runs transactions one at a time: 20 concurrent read-modify-writes lose no update', async () => {
    const before = Number((await database.pglite!.query<{ n: number }>('select n from thread_counter where id = 1')).rows[0]!.n);
    await Promise.all(
      Array.from({ length: 20 }, () =>
        database.pglite!.transaction(async (tx) => {
          const n = (await tx.query<{ n: number }>('select n from thread_counter where id = 1')).rows[0]!.n;
          await new Promise((resolve) => setTimeout(resolve, 1));
          await tx.query('update thread_counter set n = $1 where id = 1', [n + 1]);
        }),
      ),
    );
    const after = (await database.pglite!.query<{ n: number }>('select n from thread_counter where id = 1')).rows[0]!.n;
    expect(after).toBe(before + 20);
  });

  it("answers Postgres's errors with their SQLSTATE and constraint, and the connection goes on working", async () => {
    const [row] = await database.db.select({ id: users.id }).from(users).limit(1);
    const dup = await database.db
      .insert(users)
      .values({ id: row!.id, username: 'thread-dup' })
      .then(() => undefined, (e: unknown) => e);
    expect(isUniqueViolation(dup)).toBe(true);
    expect(sqlState(dup)).toBe('23505');
    const bad = await database.pglite!.query('select * from no_such_table').then(() => undefined, (e: unknown) => e);
    expect(sqlState(bad)).toBe('42P01');
    expect((bad as Error).message).toMatch(/no_such_table/);
    expect((await database.pglite!.query<{ one: number }>('select 1 as one')).rows[0]!.one).toBe(1);
  });

  it('refuses a parser it cannot carry across threads, saying why', async () => {
    await expect(database.pglite!.query('select 1', [], { parsers: { 23: (v: string) => Number(v) * 2 } })).rejects.toThrow(/only parsers that keep the text/);
  });

  it('reports a directory it cannot open, and a closed client refuses calls', async () => {
    const file = join(dataDir, 'not-a-dir');
    await writeFile(file, 'x');
    await expect(PgliteWorkerClient.open(join(file, 'pgdata'))).rejects.toBeInstanceOf(Error);
    const other = await mkdtemp(join(tmpdir(), 'mikey-thread-2-'));
    try {
      const client = await PgliteWorkerClient.open(join(other, 'pgdata'));
      expect((await client.query<{ n: number }>('select 41 + 1 as n')).rows[0]!.n).toBe(42);
      await client.close();
      expect(client.closed).toBe(true);
      await expect(client.query('select 1')).rejects.toThrow(/closed/);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});
