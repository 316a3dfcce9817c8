// Shared pieces of `npm run bench`. Each `bench/*.bench.ts` exports a default `BenchModule`; every
// figure is printed beside a reference measured in the same run, as a ratio where higher is better
// (for "lower is better" figures the module computes ratio = reference / value).
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
