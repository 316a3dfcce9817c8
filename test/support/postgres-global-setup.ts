// Creates a fresh template database on TEST_DATABASE_URL's server, migrates it once, and drops it and
// every per-test database of this run afterwards.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../src/db/client.js';
import { migrateDatabase } from '../../src/db/migrate.js';
import './provided.js';

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const adminUrl = process.env.TEST_DATABASE_URL!;
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const template = `mikey_tpl_${runId}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${template}`);
  await admin.end();
  const database = await openDatabase({ url: withDatabase(adminUrl, template), poolMax: 2 });
  await migrateDatabase(database);
  await database.close();
  project.provide('pgTemplateDb', template);
  project.provide('pgAdminUrl', adminUrl);
  project.provide('pgRunId', runId);
  return async () => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    const r = await c.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1 OR datname = $2`, [
      `mikey_t_${runId}_%`,
      template,
    ]);
    for (const { datname } of r.rows) await c.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    await c.end();
  };
}
