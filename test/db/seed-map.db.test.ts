// The unified schema accounts for every column of every seed document: each seed column is mapped to
// a real column of a freshly migrated database, or dropped with a reason.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, type Database } from '../../src/db/client.js';
import { createTestDatabase } from '../support/db.js';

const SEEDS = join(import.meta.dirname, '../../docs/seeds');
type Target = string | { dropped: string };
type SeedMap = Record<string, Record<string, Record<string, Target>>>;

/** Columns of every `CREATE TABLE` block in a seed's SQL. */
export function sqlColumns(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const re = /CREATE TABLE\s+(?:IF NOT EXISTS\s+)?([a-z_]+)\s*\(([\s\S]*?)\n\s*\)\s*;/gi;
  for (const m of text.matchAll(re)) {
    const cols: string[] = [];
    for (const raw of m[2]!.split('\n')) {
      const line = raw.trim().replace(/^```sql/, '');
      const c = /^([a-z_][a-z0-9_]*)\s+[A-Za-z]/i.exec(line);
      if (!c) continue;
      const word = c[1]!.toUpperCase();
      if (['PRIMARY', 'UNIQUE', 'CONSTRAINT', 'FOREIGN', 'CHECK', 'INDEX', 'EXCLUDE', 'LIKE'].includes(word)) continue;
      cols.push(c[1]!);
    }
    if (cols.length) out.set(m[1]!, cols);
  }
  return out;
}

let database: Database;
let map: SeedMap;
let seedFiles: string[];

beforeAll(async () => {
  database = await createTestDatabase();
  map = JSON.parse(await readFile(join(import.meta.dirname, '../../docs/seed-map.json'), 'utf8'));
  seedFiles = (await readdir(SEEDS)).filter((f) => /^\d{3}_.*\.txt$/.test(f)).sort();
});
afterAll(async () => {
  await database?.close();
});

describe('docs/seed-map.json', () => {
  it('covers all five seed documents', () => {
    expect(seedFiles).toHaveLength(5);
    for (const f of seedFiles) expect(Object.keys(map), `seed ${f} missing from the map`).toContain(f);
  });

  it('maps every column of every SQL table in the seeds', async () => {
    const missing: string[] = [];
    for (const f of seedFiles) {
      const tables = sqlColumns(await readFile(join(SEEDS, f), 'utf8'));
      for (const [table, cols] of tables) {
        for (const c of cols) if (!map[f]?.[table]?.[c]) missing.push(`${f} ${table}.${c}`);
      }
    }
    expect(missing, `seed columns without a mapping:\n${missing.join('\n')}`).toEqual([]);
  });

  it('maps every attribute the documented seeds (000 prose, 001 tables) list for their models', async () => {
    const missing: string[] = [];
    for (const f of seedFiles.filter((x) => x.startsWith('000') || x.startsWith('001'))) {
      const text = await readFile(join(SEEDS, f), 'utf8');
      const mapped = new Set(Object.values(map[f] ?? {}).flatMap((t) => Object.keys(t)));
      for (const m of text.matchAll(/^- `([a-z_][a-z0-9_]*)`\s*:/gm)) if (!mapped.has(m[1]!)) missing.push(`${f} ${m[1]}`);
      for (const m of text.matchAll(/^\|\s*([a-z_][a-z0-9_]*)\s*\|\s*[A-Z]/gm)) if (!mapped.has(m[1]!)) missing.push(`${f} ${m[1]}`);
    }
    expect(missing, `documented attributes without a mapping:\n${missing.join('\n')}`).toEqual([]);
  });

  it('every mapped target exists in a freshly migrated database; every drop has a reason', async () => {
    const rows = await queryRows<{ table_name: string; column_name: string }>(
      database.db,
      sql`SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'`,
    );
    const existing = new Set(rows.map((x) => `${x.table_name}.${x.column_name}`));
    const bad: string[] = [];
    let mapped = 0;
    let dropped = 0;
    for (const [file, tables] of Object.entries(map)) {
      for (const [table, cols] of Object.entries(tables)) {
        for (const [col, target] of Object.entries(cols)) {
          if (typeof target === 'string') {
            mapped++;
            if (!existing.has(target)) bad.push(`${file} ${table}.${col} → ${target} (no such column)`);
          } else {
            dropped++;
            if (!target.dropped || target.dropped.trim().length < 10) bad.push(`${file} ${table}.${col} dropped without a reason`);
          }
        }
      }
    }
    expect(bad, bad.join('\n')).toEqual([]);
    expect(mapped, 'the map must actually map columns').toBeGreaterThan(300);
    expect(dropped / (mapped + dropped), 'drops should be rare').toBeLessThan(0.1);
  });

  it('the seeds\' views exist: active positions and daily performance', async () => {
    const views = (await queryRows<{ table_name: string }>(database.db, sql`SELECT table_name FROM information_schema.views WHERE table_schema = 'public'`)).map(
      (x) => x.table_name,
    );
    expect(views).toContain('active_positions_view');
    expect(views.some((v) => v.includes('daily') && v.includes('performance')), `views: ${views.join(', ')}`).toBe(true);
    await database.db.execute(sql`SELECT * FROM active_positions_view LIMIT 1`);
  });
});
