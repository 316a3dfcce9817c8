// Shared pieces of `npm run bench`. Each `bench/*.bench.ts` exports a default `BenchModule`; every
// figure is printed beside a reference measured in the same run, as a ratio where higher is better
// (for "lower is better" figures the module computes ratio = reference / value).
import pg from 'pg';
import { openDatabase, type Database } from '../src/db/client.js';
import { migrateDatabase } from '../src/db/migrate.js';

export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
  reference: number;
  ratio: number;
  note?: string;
}

/** Where a set of figures was measured: a figure means little without the machine behind it. */
export interface BenchMachine {
  cores: number;
  memoryGiB: number;
  cpuModel: string;
  node: string;
  os: string;
  /** Whether the Postgres half of the benchmarks ran. */
  postgres: string;
  /** How the machine fields were obtained, when not measured by the run itself. */
  note?: string;
}

/**
 * Where figures go, relative to bench/: a run writes `local` (git-ignored, this machine's); the
 * committed `reference` figures are only ever replaced by hand, with the machine they came from.
 */
export const RESULTS_FILES = { local: 'results/local.json', reference: 'results/reference.json' } as const;

/** bench/results/local.json (a local run, git-ignored) and bench/results/reference.json (committed). */
export interface BenchResultsFile {
  /** ISO time of the run the figures come from. */
  date: string;
  machine: BenchMachine;
  figures: Record<string, Omit<BenchFigure, 'name'>>;
}

export interface BenchContext {
  /** Postgres URL for the Postgres half of a benchmark, when one is configured. */
  postgresUrl: string | undefined;
  log(message: string): void;
}

export type BenchModule = (ctx: BenchContext) => Promise<BenchFigure[]>;

/** Runs `fn` `n` times and returns each run's milliseconds. */
export async function timeRuns(n: number, fn: (i: number) => unknown): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    out.push(performance.now() - t);
  }
  return out;
}

/** Milliseconds for one call of `fn`. */
export async function timeOnce(fn: () => unknown): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const s = [...samples].sort((a, b) => a - b);
  const idx = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[idx]!;
}

export function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** A "higher is better" figure (throughput). */
export function higherIsBetter(name: string, value: number, unit: string, reference: number, note?: string): BenchFigure {
  return { name, value: round(value), unit, reference: round(reference), ratio: round(value / reference), ...(note ? { note } : {}) };
}

/** A "lower is better" figure (latency): ratio = reference / value, so ≥ 1 means at least as fast. */
export function lowerIsBetter(name: string, value: number, unit: string, reference: number, note?: string): BenchFigure {
  return { name, value: round(value), unit, reference: round(reference), ratio: round(reference / value), ...(note ? { note } : {}) };
}

/**
 * A migrated scratch database `<prefix>_<time>` on the Postgres server at `adminUrl` (the benches'
 * BENCH_DATABASE_URL/TEST_DATABASE_URL), so a bench never writes into the database it was given;
 * `close` closes it and drops it.
 */
export async function scratchPostgres(adminUrl: string, prefix: string, poolMax = 4): Promise<{ database: Database; close(): Promise<void> }> {
  const name = `${prefix}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const drop = async (): Promise<void> => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  };
  let database: Database | undefined;
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    database = await openDatabase({ url: url.toString(), poolMax });
    await migrateDatabase(database);
  } catch (err) {
    await database?.close();
    await drop();
    throw err;
  }
  const opened = database;
  return {
    database: opened,
    close: async () => {
      await opened.close();
      await drop();
    },
  };
}
