// Start-up, measured as a person meets it: child processes of `bin/mikey.js`, from spawn to the
// answer, each beside a bare reference measured in the same run (issue 15's targets):
//   mikey help                        ≤ 3 × bare `node -e 0`
//   MCP initialize answered           ≤ 0.5 s
//   first MCP tool result (whoami)    ≤ bare PGlite open + 0.5 s
//   terminal prompt, existing data    ≤ bare PGlite open + 1 s
//   terminal prompt, fresh data dir   ≤ bare PGlite open + 2 s
//   on Postgres (BENCH_DATABASE_URL or TEST_DATABASE_URL as DATABASE_URL): first MCP tool result
//   and terminal prompt ≤ 1 s each (initialize and tools/list never touch the database)
// "Bare PGlite open" is a child process that imports PGlite, opens the same existing data directory
// and answers `SELECT 1`. Each reference is the target itself, so a ratio ≥ 1 means the target is
// met. Runs a private build of the current sources (bin/build.js --out-dir), as `npm install` makes it
// (so the bundle, dist/bundle/, when the build makes one).
import { spawn, spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { distState } from '../bin/dist-state.js';
import { lowerIsBetter, percentile, type BenchContext, type BenchFigure } from './lib.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNS = 5;
const SLOW_RUNS = 3;

interface Spawned {
  /** Milliseconds from spawn until `until` first holds for the output so far. */
  waitFor(until: (stdout: string) => boolean, timeoutMs?: number): Promise<number>;
  write(line: string): void;
  /** Ends stdin and waits for the exit (killed after 30 s). */
  finish(): Promise<void>;
}

function start(args: string[], env: NodeJS.ProcessEnv): Spawned {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters: Array<{ until: (s: string) => boolean; resolve: (ms: number) => void }> = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    const now = performance.now() - t0;
    for (const w of waiters.splice(0)) {
      if (w.until(out)) w.resolve(now);
      else waiters.push(w);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    waitFor: (until, timeoutMs = 120_000) =>
      new Promise<number>((resolve, reject) => {
        if (until(out)) return resolve(performance.now() - t0);
        const timer = setTimeout(() => reject(new Error(`no answer from ${args.join(' ')} in ${timeoutMs} ms; stderr: ${err.slice(-500)}`)), timeoutMs);
        waiters.push({
          until,
          resolve: (ms) => {
            clearTimeout(timer);
            resolve(ms);
          },
        });
        void exited.then(() => reject(new Error(`${args.join(' ')} exited before answering; stderr: ${err.slice(-500)}`)));
      }),
    write: (line) => child.stdin.write(line + '\n'),
    finish: async () => {
      child.stdin.end();
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

const rpc = (id: number, method: string, params: Record<string, unknown> = {}): string => JSON.stringify({ jsonrpc: '2.0', id, method, params });
const answered = (id: number) => (out: string): boolean => out.split('\n').some((l) => l.includes(`"id":${id}`) && l.includes('"jsonrpc"'));

export default async function bench(ctx: BenchContext): Promise<BenchFigure[]> {
  // A private build of the current sources, as `npm install` makes it (compiled code and schema
  // snapshot), so that edits to src/ during the run cannot send bin/mikey.js back to the sources.
  const scratch = await mkdtemp(join(tmpdir(), 'mikey-bench-startup-'));
  const root = join(scratch, 'mikey');
  await mkdir(root);
  await cp(join(ROOT, 'bin'), join(root, 'bin'), { recursive: true });
  await cp(join(ROOT, 'package.json'), join(root, 'package.json'));
  await symlink(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  await symlink(join(ROOT, 'drizzle'), join(root, 'drizzle'), 'dir');
  const built = spawnSync(process.execPath, [join(ROOT, 'bin', 'build.js'), '--out-dir', join(root, 'dist')], { stdio: 'inherit' });
  if (built.status !== 0) throw new Error('the build (bin/build.js) failed');
  if (!distState(root).current) throw new Error('the private build is not current');
  const MIKEY = join(root, 'bin', 'mikey.js');
  const from = 'from dist/';
  const envFor = (dataDir: string): NodeJS.ProcessEnv => ({ PATH: process.env.PATH ?? '', HOME: scratch, MIKEY_DATA_DIR: dataDir, MIKEY_MARKET: 'sim', LOG_LEVEL: 'error' });
  const median = (xs: number[]): number => percentile(xs, 50);
  try {
    // References.
    const bareNode: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const p = start(['-e', 'process.stdout.write("ok")'], envFor(scratch));
      bareNode.push(await p.waitFor((o) => o.includes('ok')));
      await p.finish();
    }

    // Terminal prompt on fresh data directories; the first one is the existing directory afterwards.
    const chatReady = (o: string): boolean => o.includes('Type "exit" to leave.');
    const fresh: number[] = [];
    const existingDir = join(scratch, 'existing');
    for (let i = 0; i < SLOW_RUNS; i++) {
      const p = start([MIKEY, 'chat'], envFor(i === 0 ? existingDir : join(scratch, `fresh-${i}`)));
      fresh.push(await p.waitFor(chatReady));
      await p.finish();
    }

    const barePglite: number[] = [];
    const pgliteOpen = `const { PGlite } = await import('@electric-sql/pglite'); const db = await PGlite.create(${JSON.stringify(join(existingDir, 'pgdata'))}); await db.query('select 1'); process.stdout.write('open'); await db.close();`;
    for (let i = 0; i < SLOW_RUNS; i++) {
      const p = start(['--input-type=module', '-e', pgliteOpen], envFor(scratch));
      barePglite.push(await p.waitFor((o) => o.includes('open')));
      await p.finish();
    }

    const help: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const p = start([MIKEY, 'help'], envFor(existingDir));
      help.push(await p.waitFor((o) => o.includes('Usage: mikey')));
      await p.finish();
    }

    const existing: number[] = [];
    for (let i = 0; i < SLOW_RUNS; i++) {
      const p = start([MIKEY, 'chat'], envFor(existingDir));
      existing.push(await p.waitFor(chatReady));
      await p.finish();
    }

    const initialize: number[] = [];
    const listed: number[] = [];
    const firstTool: number[] = [];
    for (let i = 0; i < SLOW_RUNS; i++) {
      const p = start([MIKEY, 'mcp'], envFor(existingDir));
      p.write(rpc(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } }));
      initialize.push(await p.waitFor(answered(1)));
      p.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
      p.write(rpc(2, 'tools/list'));
      listed.push(await p.waitFor(answered(2)));
      p.write(rpc(3, 'tools/call', { name: 'whoami', arguments: {} }));
      firstTool.push(await p.waitFor(answered(3)));
      await p.finish();
    }

    // On Postgres (DATABASE_URL): every start-up ≤ 1 s. The database is already migrated after the
    // first run, as it is for a person's second start.
    const onPostgres: { firstTool: number[]; chat: number[] } = { firstTool: [], chat: [] };
    if (ctx.postgresUrl) {
      const pgEnv = { ...envFor(join(scratch, 'unused')), DATABASE_URL: ctx.postgresUrl };
      for (let i = 0; i <= SLOW_RUNS; i++) {
        const p = start([MIKEY, 'mcp'], pgEnv);
        p.write(rpc(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } }));
        p.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
        p.write(rpc(3, 'tools/call', { name: 'whoami', arguments: {} }));
        const ms = await p.waitFor(answered(3));
        if (i > 0) onPostgres.firstTool.push(ms); // the first run migrates
        await p.finish();
      }
      for (let i = 0; i < SLOW_RUNS; i++) {
        const p = start([MIKEY, 'chat'], pgEnv);
        onPostgres.chat.push(await p.waitFor(chatReady));
        await p.finish();
      }
    } else ctx.log('no BENCH_DATABASE_URL/TEST_DATABASE_URL: Postgres start-up figures skipped');

    const node0 = median(bareNode);
    const pg = median(barePglite);
    const show = (name: string, xs: number[]): void => ctx.log(`${name}: median ${median(xs).toFixed(0)} ms (runs ${xs.map((x) => x.toFixed(0)).join(', ')})`);
    show('bare node -e 0', bareNode);
    show('bare PGlite open (existing data dir)', barePglite);
    show('mikey help', help);
    show('mcp initialize answered', initialize);
    show('mcp tools/list answered', listed);
    show('mcp first tool result', firstTool);
    show('chat prompt, existing data dir', existing);
    show('chat prompt, fresh data dir', fresh);
    if (ctx.postgresUrl) {
      show('mcp first tool result, Postgres', onPostgres.firstTool);
      show('chat prompt, Postgres', onPostgres.chat);
    }
    const note = (ref: string, n: number): string => `median of ${n}, ${from}; reference = ${ref}`;
    return [
      lowerIsBetter('startup.help', median(help), 'ms', 3 * node0, note(`3 × bare node -e 0 (${node0.toFixed(0)} ms)`, RUNS)),
      lowerIsBetter('startup.mcp.initialize', median(initialize), 'ms', 500, note('0.5 s target', SLOW_RUNS)),
      lowerIsBetter('startup.mcp.tools-list', median(listed), 'ms', 500, note('0.5 s (same as initialize)', SLOW_RUNS)),
      lowerIsBetter('startup.mcp.first-tool', median(firstTool), 'ms', pg + 500, note(`bare PGlite open (${pg.toFixed(0)} ms) + 0.5 s`, SLOW_RUNS)),
      lowerIsBetter('startup.chat.existing', median(existing), 'ms', pg + 1000, note(`bare PGlite open (${pg.toFixed(0)} ms) + 1 s`, SLOW_RUNS)),
      lowerIsBetter('startup.chat.fresh', median(fresh), 'ms', pg + 2000, note(`bare PGlite open (${pg.toFixed(0)} ms) + 2 s`, SLOW_RUNS)),
      ...(ctx.postgresUrl
        ? [
            lowerIsBetter('startup.postgres.mcp.first-tool', median(onPostgres.firstTool), 'ms', 1000, note('1 s target on Postgres (DATABASE_URL, migrated)', SLOW_RUNS)),
            lowerIsBetter('startup.postgres.chat', median(onPostgres.chat), 'ms', 1000, note('1 s target on Postgres (DATABASE_URL, migrated)', SLOW_RUNS)),
          ]
        : []),
    ];
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
