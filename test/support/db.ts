// Test databases: `createTestDatabase()` gives a freshly migrated database in a few hundred ms, on
// PGlite or (in the `postgres` project) on the real server, cloned from the run's template.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { inject } from 'vitest';
import { openDatabase, type Database } from '../../src/db/client.js';
import { withDatabase } from './postgres-global-setup.js';
import './provided.js';

export type TestDbKind = 'pglite' | 'postgres';
export const testDbKind: TestDbKind = process.env.MIKEY_TEST_DB === 'postgres' ? 'postgres' : 'pglite';

let templateDump: Blob | undefined;

export async function createTestDatabase(opts: { poolMax?: number } = {}): Promise<Database> {
  if (testDbKind === 'postgres') {
    const adminUrl = inject('pgAdminUrl');
    const name = `mikey_t_${inject('pgRunId')}_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name} TEMPLATE ${inject('pgTemplateDb')}`);
    } finally {
      await admin.end();
    }
    const database = await openDatabase({ url: withDatabase(adminUrl, name), poolMax: opts.poolMax ?? 20 });
    const close = database.close;
    database.close = async () => {
      await close();
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    };
    return database;
  }
  templateDump ??= new Blob([await readFile(inject('pgliteTemplateFile'))]);
  const pglite = await PGlite.create({ loadDataDir: templateDump });
  return openDatabase({ pglite });
}
