// Static checks of the seed map and the schema, without a database: every attribute of every seed
// table or model (SQL, markdown and prose alike) has an entry under its own table in
// docs/seed-map.json, every target is a real column of the drizzle schema, and the time-series
// tables obey TimescaleDB's rules (time column in every unique key, no foreign key into them).
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { is } from 'drizzle-orm';
import { toSnakeCase } from 'drizzle-orm/casing';
import { PgTable, getTableConfig } from 'drizzle-orm/pg-core';
import { beforeAll, describe, expect, it } from 'vitest';
import * as schema from '../../src/db/schema/index.js';
import { TIME_SERIES_TABLES } from '../../src/db/schema/time-series.js';

const SEEDS = join(import.meta.dirname, '../../docs/seeds');
type Target = string | { dropped: string };
type SeedMap = Record<string, Record<string, Record<string, Target>>>;
/** seed table/model → its columns/attributes, in document order. */
type SeedTables = Map<string, string[]>;

function add(out: SeedTables, table: string, column: string): void {
  const cols = out.get(table) ?? [];
  if (!cols.includes(column)) cols.push(column);
  out.set(table, cols);
}

/** `CREATE TABLE` blocks (incl. `LIKE other INCLUDING ALL`) and `ALTER TABLE … ADD COLUMN`. */
export function parseSqlSeed(text: string): SeedTables {
  const out: SeedTables = new Map();
  const body = text.replace(/```sql/g, '\n');
  for (const m of body.matchAll(/CREATE TABLE\s+(?:IF NOT EXISTS\s+)?([a-z_]+)\s*\(\s*LIKE\s+([a-z_]+)/gi)) {
    for (const c of out.get(m[2]!) ?? []) add(out, m[1]!, c);
  }
  for (const m of body.matchAll(/CREATE TABLE\s+(?:IF NOT EXISTS\s+)?([a-z_]+)\s*\(([\s\S]*?)\n\s*\)\s*;/gi)) {
    for (const raw of m[2]!.split('\n')) {
      const c = /^\s*([a-z_][a-z0-9_]*)\s+[A-Za-z]/i.exec(raw);
      if (!c) continue;
      if (['PRIMARY', 'UNIQUE', 'CONSTRAINT', 'FOREIGN', 'CHECK', 'INDEX', 'EXCLUDE', 'LIKE'].includes(c[1]!.toUpperCase())) continue;
      add(out, m[1]!, c[1]!);
    }
  }
  // LIKE copies are resolved after their source is known.
  for (const m of body.matchAll(/CREATE TABLE\s+(?:IF NOT EXISTS\s+)?([a-z_]+)\s*\(\s*LIKE\s+([a-z_]+)/gi)) {
    for (const c of out.get(m[2]!) ?? []) add(out, m[1]!, c);
  }
  for (const m of body.matchAll(/ALTER TABLE\s+([a-z_]+)\s+ADD COLUMN\s+(?:IF NOT EXISTS\s+)?([a-z_][a-z0-9_]*)/gi)) add(out, m[1]!, m[2]!);
  return out;
}

/** Seed 001: each `**Table**: \`name\`` followed by a markdown column table. */
export function parseMarkdownTables(text: string): SeedTables {
  const out: SeedTables = new Map();
  const sections = text.split(/\*\*Table\*\*:\s*`/).slice(1);
  for (const s of sections) {
    const name = /^([a-z_]+)`/.exec(s)![1]!;
    const until = s.search(/\n\*\*(?!Table)|\n###/);
    for (const m of s.slice(0, until < 0 ? undefined : until).matchAll(/^\|\s*([a-z_][a-z0-9_]*)\s*\|\s*[A-Z]/gm)) add(out, name, m[1]!);
  }
  return out;
}

/** Seed 000: `## Name Model` followed by `- \`attribute\`: …` lines. */
export function parseProseModels(text: string): SeedTables {
  const out: SeedTables = new Map();
  for (const s of text.split(/^## /m).slice(1)) {
    const name = /^(\w+) Model/.exec(s)?.[1];
    if (!name) continue;
    for (const m of s.matchAll(/^- `([A-Za-z_][A-Za-z0-9_]*)`\s*:/gm)) add(out, name, m[1]!);
  }
  return out;
}

/** Seed 003: entity keys (`table` table, PK: `x`), relationship columns `table.column`, and its column table. */
export function parseRelationshipPlan(text: string): SeedTables {
  const out: SeedTables = new Map();
  for (const m of text.matchAll(/\(`([a-z_]+)` table[^,]*, (?:PK|FK): `([A-Za-z_]+)`(?: \[\+ `([A-Za-z_]+)`)?/g)) {
    add(out, m[1]!, m[2]!);
    if (m[3]) add(out, m[1]!, m[3]);
  }
  for (const m of text.matchAll(/`([a-z_]+)\.([A-Za-z_]+)`/g)) add(out, m[1]!, m[2]!);
  const implied = text.split(/## Implied Entity: Exchange Accounts/)[1] ?? '';
  for (const m of implied.matchAll(/^\|\s*`([a-z_]+)`\s*\|/gm)) add(out, 'exchange_accounts', m[1]!);
  return out;
}

function parseSeed(file: string, text: string): SeedTables {
  if (file.startsWith('000')) return parseProseModels(text);
  if (file.startsWith('001')) return parseMarkdownTables(text);
  if (file.startsWith('003')) return parseRelationshipPlan(text);
  return parseSqlSeed(text);
}

const ALL_TABLES: PgTable[] = Object.values(schema as Record<string, unknown>).filter((v): v is PgTable => is(v, PgTable));

/** SQL table name → SQL column names, from the drizzle schema (snake_case casing applied). */
function schemaColumns(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const table of ALL_TABLES) {
    const cfg = getTableConfig(table);
    out.set(cfg.name, new Set(cfg.columns.map((c) => (c.keyAsName ? toSnakeCase(c.name) : c.name))));
  }
  return out;
}

let map: SeedMap;
const seeds = new Map<string, SeedTables>();

beforeAll(async () => {
  map = JSON.parse(await readFile(join(import.meta.dirname, '../../docs/seed-map.json'), 'utf8')) as SeedMap;
  for (const f of (await readdir(SEEDS)).filter((x) => /^\d{3}_.*\.txt$/.test(x)).sort()) {
    seeds.set(f, parseSeed(f, await readFile(join(SEEDS, f), 'utf8')));
  }
});

describe('seed parsing', () => {
  it('finds the tables and models each seed describes', () => {
    const names = (prefix: string): string[] => [...([...seeds].find(([f]) => f.startsWith(prefix))?.[1].keys() ?? [])].sort();
    expect(names('000')).toEqual(['AIAnalysis', 'MarketData', 'Portfolio', 'TradingOrder', 'TradingPosition', 'User']);
    expect(names('001')).toHaveLength(10);
    expect(names('002'), 'seed 002 declares 22 tables').toHaveLength(22);
    expect(names('003')).toEqual(
      ['bot_performance', 'exchange_accounts', 'market_pairs', 'reward_transaction_logs', 'staking_pools', 'trading_bots', 'user_stakes', 'user_token_balances', 'users'].sort(),
    );
    expect(names('004')).toContain('positions_archive');
    const seed004 = [...seeds].find(([f]) => f.startsWith('004'))![1];
    expect(seed004.get('event_analysis'), 'the ALTER TABLE … ADD COLUMN embedding counts').toContain('embedding');
    expect(seed004.get('positions_archive'), 'LIKE positions copies its columns').toEqual(seed004.get('positions'));
  });
});

describe('docs/seed-map.json', () => {
  it('has exactly the five seed files as keys', () => {
    expect(Object.keys(map).sort()).toEqual([...seeds.keys()]);
  });

  it('maps every attribute under its own seed table', () => {
    const missing: string[] = [];
    let total = 0;
    for (const [file, tables] of seeds) {
      for (const [table, cols] of tables) {
        for (const c of cols) {
          total++;
          if (map[file]?.[table]?.[c] === undefined) missing.push(`${file} ${table}.${c}`);
        }
      }
    }
    expect(missing, `unmapped seed attributes:\n${missing.join('\n')}`).toEqual([]);
    expect(total, 'the parsers must have found the seeds').toBeGreaterThan(500);
  });

  it('names no seed table or column that the seeds do not have', () => {
    const extra: string[] = [];
    for (const [file, tables] of Object.entries(map)) {
      for (const [table, cols] of Object.entries(tables)) {
        for (const c of Object.keys(cols)) if (!seeds.get(file)?.get(table)?.includes(c)) extra.push(`${file} ${table}.${c}`);
      }
    }
    expect(extra, `map entries without a seed attribute:\n${extra.join('\n')}`).toEqual([]);
  });

  it('targets real table.column names of the schema, and every drop gives a reason', () => {
    const columns = schemaColumns();
    const bad: string[] = [];
    for (const [file, tables] of Object.entries(map)) {
      for (const [table, cols] of Object.entries(tables)) {
        for (const [col, target] of Object.entries(cols)) {
          if (typeof target === 'string') {
            const [t, c, ...rest] = target.split('.');
            if (rest.length || !t || !c || !columns.get(t)?.has(c)) bad.push(`${file} ${table}.${col} → ${target}`);
          } else if (!target.dropped || target.dropped.trim().length < 20) {
            bad.push(`${file} ${table}.${col} dropped without a real reason`);
          }
        }
      }
    }
    expect(bad, bad.join('\n')).toEqual([]);
  });

  it('drops only surrogate ids of time-series rows', () => {
    const drops = Object.entries(map).flatMap(([f, tables]) =>
      Object.entries(tables).flatMap(([t, cols]) => Object.entries(cols).filter(([, v]) => typeof v !== 'string').map(([c]) => `${f.slice(0, 3)} ${t}.${c}`)),
    );
    expect(drops.sort()).toEqual(['000 MarketData.id', '001 price_data.id', '002 market_data_ohlcv.id']);
  });
});

describe('time-series tables', () => {
  const tables = new Map(ALL_TABLES.map((t) => [getTableConfig(t).name, getTableConfig(t)] as const));
  const sqlName = (c: { name: string; keyAsName: boolean }): string => (c.keyAsName ? toSnakeCase(c.name) : c.name);

  it.each(TIME_SERIES_TABLES.map((t) => [t.table, t] as const))('%s: every unique key includes its time column', (name, ts) => {
    const cfg = tables.get(name);
    expect(cfg, `${name} is in the schema`).toBeDefined();
    expect(cfg!.columns.map(sqlName), `${name} has ${ts.timeColumn}`).toContain(ts.timeColumn);
    const keys: string[][] = [
      ...cfg!.primaryKeys.map((pk) => pk.columns.map(sqlName)),
      ...cfg!.columns.filter((c) => c.primary).map((c) => [sqlName(c)]),
      ...cfg!.columns.filter((c) => c.isUnique).map((c) => [sqlName(c)]),
      ...cfg!.uniqueConstraints.map((u) => u.columns.map(sqlName)),
      ...cfg!.indexes.filter((i) => i.config.unique).map((i) => i.config.columns.map((c) => sqlName(c as { name: string; keyAsName: boolean }))),
    ];
    expect(keys.length, `${name} has a primary key`).toBeGreaterThan(0);
    for (const k of keys) expect(k, `unique key (${k.join(', ')}) of ${name} must include ${ts.timeColumn}`).toContain(ts.timeColumn);
  });

  it('no foreign key points into a time-series table (hypertables cannot be referenced before TimescaleDB 2.16)', () => {
    const ts = new Set<string>(TIME_SERIES_TABLES.map((t) => t.table));
    const into: string[] = [];
    for (const [name, cfg] of tables) {
      for (const fk of cfg.foreignKeys) {
        const target = getTableConfig(fk.reference().foreignTable).name;
        if (ts.has(target)) into.push(`${name} → ${target}`);
      }
    }
    expect(into).toEqual([]);
  });
});
