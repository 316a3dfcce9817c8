// `npm run bench [filter]`: runs every bench/*.bench.ts (or those whose name contains the filter),
// prints a table, and merges the figures into bench/results/local.json (git-ignored) together with
// the machine and date they came from. The committed figures live in bench/results/reference.json,
// which a run never touches: figures from one machine are not comparable with another's.
import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { cpus, totalmem, platform, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { RESULTS_FILES, type BenchFigure, type BenchMachine, type BenchModule, type BenchResultsFile } from './lib.js';

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv[3] ?? process.env.BENCH_FILTER ?? '';
const files = (await readdir(here)).filter((f) => f.endsWith('.bench.ts') && f.includes(filter)).sort();
const postgresUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
const resultsFile = join(here, RESULTS_FILES.local);
const results: Record<string, Omit<BenchFigure, 'name'>> = await readFile(resultsFile, 'utf8')
  .then((t) => (JSON.parse(t) as Partial<BenchResultsFile>).figures ?? {})
  .catch(() => ({}));

const all: BenchFigure[] = [];
for (const f of files) {
  console.log(`\n▶ ${f}`);
  const mod = (await import(pathToFileURL(join(here, f)).href)) as { default: BenchModule };
  const figures = await mod.default({ postgresUrl, log: (m) => console.log(`  ${m}`) });
  for (const fig of figures) {
    const { name, ...rest } = fig;
    results[name] = rest;
    all.push(fig);
  }
}

const rows = all.map((f) => [f.name, `${f.value} ${f.unit}`, `${f.reference} ${f.unit}`, `${f.ratio}×`, f.note ?? '']);
const head = ['figure', 'value', 'reference', 'ratio', 'note'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
console.log('\n' + line(head));
console.log(widths.map((w) => '─'.repeat(w)).join('  '));
for (const r of rows) console.log(line(r));
await mkdir(dirname(resultsFile), { recursive: true });
const file: BenchResultsFile = { date: new Date().toISOString(), machine: thisMachine(), figures: results };
await writeFile(resultsFile, JSON.stringify(file, null, 2) + '\n');
console.log(`\nwrote ${resultsFile}`);
process.exit(0);

function thisMachine(): BenchMachine {
  const cpu = cpus();
  return {
    cores: cpu.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    node: process.version,
    os: `${platform()} ${release()}`,
    postgres: postgresUrl ? 'configured' : 'not configured (Postgres figures skipped)',
  };
}
