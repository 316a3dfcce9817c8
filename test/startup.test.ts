// Fast start: bin/mikey.js runs the compiled dist/ only while it is current (else the sources
// through tsx), and `mikey help` and configuration errors, run from the compiled JavaScript, load
// none of the heavy modules (exchange, chat, chart, model and database clients); `mikey mcp` answers
// the handshake from the build's record.
import { execFile, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleDist } from '../bin/bundle.js';
import { STAMP_FILE, distState } from '../bin/dist-state.js';
import { loadHandshake, recordedAnswer } from '../src/mcp/fast-front.js';
import { writeHandshake } from '../src/mcp/handshake.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');
const HOUR = 3_600_000;

async function stamp(root: string, sourcesNewestMs: number): Promise<void> {
  await mkdir(join(root, 'dist'), { recursive: true });
  await writeFile(join(root, 'dist', STAMP_FILE), JSON.stringify({ sourcesNewestMs }));
}

/** Sets the mtime of each path (files and directories) to `ms`. */
async function age(ms: number, ...paths: string[]): Promise<void> {
  for (const p of paths) await utimes(p, ms / 1000, ms / 1000);
}

describe('bin/mikey.js: dist/ while current, the sources otherwise', () => {
  let root: string;
  const built = Date.now() - HOUR;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mikey-stale-'));
    await cp(join(ROOT, 'bin'), join(root, 'bin'), { recursive: true });
    await writeFile(join(root, 'package.json'), JSON.stringify({ type: 'module' }));
    await symlink(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
    await mkdir(join(root, 'src', 'db'), { recursive: true });
    await writeFile(join(root, 'src', 'cli-entry.ts'), "export async function run(argv: string[]): Promise<void> { process.stdout.write(`sources ${argv.join(' ')}`); }\n");
    await writeFile(join(root, 'src', 'db', 'schema.ts'), 'export {};\n');
    await mkdir(join(root, 'dist'), { recursive: true });
    await writeFile(join(root, 'dist', 'cli-entry.js'), "export async function run(argv) { process.stdout.write(`dist ${argv.join(' ')}`); }\n");
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });
  const srcPaths = (): string[] => [join(root, 'src', 'cli-entry.ts'), join(root, 'src', 'db', 'schema.ts'), join(root, 'src', 'db'), join(root, 'src')];
  const mikey = async (...args: string[]): Promise<string> => (await run(process.execPath, [join(root, 'bin', 'mikey.js'), ...args], { timeout: 60_000 })).stdout;

  it('runs the sources when dist/ was never built (a fresh clone)', async () => {
    await rm(join(root, 'dist', STAMP_FILE), { force: true });
    expect(distState(root), 'no build stamp: not current').toEqual({ current: false, reason: 'dist/ has not been built (npm run build)' });
    expect(await mikey('help'), 'a clone without a build still works, from src/ through tsx').toBe('sources help');
  });

  it('runs dist/ when nothing under src/ is newer than the build', async () => {
    await age(built, ...srcPaths());
    await stamp(root, built);
    expect(distState(root).current, 'all sources as old as the build: current').toBe(true);
    expect(await mikey('help'), 'a current build is what runs').toBe('dist help');
  });

  it('falls back to the sources when a file was edited, added or removed since the build', async () => {
    await age(built, ...srcPaths());
    await stamp(root, built);
    await age(built + 1000, join(root, 'src', 'db', 'schema.ts'));
    expect(distState(root), 'an edited file makes dist/ stale').toEqual({ current: false, reason: 'src/ changed since dist/ was built' });
    expect(await mikey('x'), 'an edit since the build runs the sources').toBe('sources x');

    await age(built, ...srcPaths());
    expect(distState(root).current, 'back to the build time: current again').toBe(true);
    await writeFile(join(root, 'src', 'db', 'added.ts'), 'export {};\n');
    await age(built, join(root, 'src', 'db', 'added.ts'));
    expect(distState(root).current, 'a file added since the build (its directory changed) makes dist/ stale').toBe(false);

    await age(built, ...srcPaths());
    expect(distState(root).current, 'current again').toBe(true);
    await unlink(join(root, 'src', 'db', 'added.ts'));
    expect(distState(root).current, 'a file removed since the build makes dist/ stale').toBe(false);
  });
});

describe('mikey help and configuration errors from the compiled JavaScript', () => {
  // Packages a command may load only where it uses them.
  const HEAVY = ['ccxt', 'discord.js', 'telegraf', 'echarts', '@resvg/resvg-js', '@anthropic-ai/sdk', '@pythnetwork/hermes-client', '@electric-sql/pglite', 'pg', 'drizzle-orm', 'tsx'];
  let root: string;
  let hook: string;

  beforeAll(async () => {
    // A build of the current sources with the real build configuration, in a directory of its own.
    root = await mkdtemp(join(tmpdir(), 'mikey-dist-'));
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    await run(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(root, 'dist')], { cwd: ROOT, timeout: 600_000 });
    await cp(join(ROOT, 'bin'), join(root, 'bin'), { recursive: true });
    await cp(join(ROOT, 'package.json'), join(root, 'package.json'));
    await symlink(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
    await stamp(root, Date.now()); // no src/ here: the build is current
    // A module resolve hook that writes down every module the process loads.
    hook = join(root, 'record-modules.mjs');
    await writeFile(
      join(root, 'record-hook.mjs'),
      "import { appendFileSync } from 'node:fs';\nexport async function resolve(specifier, context, next) {\n  const r = await next(specifier, context);\n  appendFileSync(process.env.MODULE_LOG, r.url + '\\n');\n  return r;\n}\n",
    );
    await writeFile(hook, "import { register } from 'node:module';\nregister('./record-hook.mjs', import.meta.url);\n");
  }, 600_000);
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function loaded(args: string[], env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string; code: number; modules: string[] }> {
    const log = join(root, `modules-${args.join('-')}.log`);
    await writeFile(log, '');
    const r = await run(process.execPath, ['--import', hook, join(root, 'bin', 'mikey.js'), ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: root, MIKEY_DATA_DIR: join(root, 'data'), MODULE_LOG: log, ...env },
      timeout: 60_000,
    }).then(
      (ok) => ({ ...ok, code: 0 }),
      (err: { stdout: string; stderr: string; code: number }) => ({ stdout: err.stdout, stderr: err.stderr, code: err.code }),
    );
    return { ...r, modules: (await readFile(log, 'utf8')).split('\n').filter(Boolean) };
  }
  const packagesIn = (modules: string[], names: string[]): string[] => names.filter((n) => modules.some((m) => m.includes(`/node_modules/${n}/`)));

  const MCP_INIT = { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'claude-desktop-like', version: '1' } };
  /**
   * `mikey mcp` as Claude Desktop runs it: initialize, initialized, tools/list, then `calls` (ids 3,
   * 4, …), each awaited in turn; stdin is closed after the last answer.
   */
  async function mcpSession(dataDir: string, calls: Array<{ method: string; params: Record<string, unknown> }>): Promise<{ received: Array<{ id?: unknown; result?: unknown }>; stderr: string; code: number | null; modules: string[] }> {
    const log = join(root, `modules-mcp-${dataDir}.log`);
    await writeFile(log, '');
    const child = spawn(process.execPath, ['--import', hook, join(root, 'bin', 'mikey.js'), 'mcp'], {
      env: { PATH: process.env.PATH ?? '', HOME: root, MIKEY_DATA_DIR: join(root, dataDir), MIKEY_MARKET: 'sim', MODULE_LOG: log },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const received: Array<{ id?: unknown; result?: unknown }> = [];
    const lastId = 2 + calls.length;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const done = new Promise<void>((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString('utf8');
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const m = JSON.parse(buf.slice(0, i)) as { id?: unknown };
          buf = buf.slice(i + 1);
          received.push(m);
          if (m.id === lastId) resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`mikey mcp exited (${code}) before answering: ${stderr}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const send = (m: Record<string, unknown>): boolean => child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...m })}\n`);
    send({ id: 1, method: 'initialize', params: MCP_INIT });
    send({ method: 'notifications/initialized' });
    send({ id: 2, method: 'tools/list' });
    calls.forEach((c, i) => send({ id: 3 + i, ...c }));
    await done;
    child.stdin.end();
    const code = await exited;
    return { received, stderr, code, modules: (await readFile(log, 'utf8')).split('\n').filter(Boolean) };
  }

  it('mikey help runs from dist/ and loads no heavy module', async () => {
    const r = await loaded(['help']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout, 'the help text').toContain('Usage: mikey <command>');
    expect(r.modules.some((m) => m.includes(`${root}/dist/cli-entry.js`)), 'the compiled entry ran').toBe(true);
    expect(r.modules.filter((m) => m.endsWith('.ts')), 'no TypeScript source was loaded').toEqual([]);
    expect(packagesIn(r.modules, HEAVY), 'help needs none of these').toEqual([]);
    expect(r.modules.some((m) => m.includes('/dist/cli.js')), 'help does not even load the command table').toBe(false);
  });

  it('mikey mcp answers the handshake from the build\'s record and tool calls from the real server, each once', async () => {
    // What the build adds (bin/build.js): the record, written by the same code this build compiled.
    await writeHandshake(join(root, 'dist'));
    await cp(join(ROOT, 'drizzle'), join(root, 'drizzle'), { recursive: true });
    const { received, stderr, code, modules } = await mcpSession('data-mcp', [{ method: 'tools/call', params: { name: 'whoami', arguments: {} } }]);
    expect(code, stderr).toBe(0);
    expect(received.map((m) => m.id), 'each request answered once, the handshake first').toEqual([1, 2, 3]);
    const record = loadHandshake(join(root, 'dist', 'mcp-handshake.json'))!;
    expect(received[0]!.result).toEqual(recordedAnswer(record, { id: 1, method: 'initialize', params: MCP_INIT }));
    expect(received[1]!.result).toEqual(record.lists['tools/list']);
    expect(JSON.stringify(received[2]!.result), 'the real server answered the tool call').toContain('owner');
    expect(modules.some((m) => m.endsWith('/dist/mcp/fast-front.js')), 'the fast front ran').toBe(true);
  }, 120_000);

  it('a configuration error is reported without loading the app, the surfaces or their clients', async () => {
    const r = await loaded(['chat'], { MIKEY_MARKET: 'bogus' });
    expect(r.code, 'a bad configuration exits 1').toBe(1);
    expect(r.stderr, 'the error names the variable').toContain('MIKEY_MARKET');
    expect(r.modules.some((m) => m.includes('/dist/app.js')), 'the app is not opened').toBe(false);
    expect(packagesIn(r.modules, ['ccxt', 'discord.js', 'telegraf', 'echarts', '@resvg/resvg-js', '@anthropic-ai/sdk', '@pythnetwork/hermes-client', 'tsx']), 'none of the surfaces\' clients load').toEqual([]);
  });

  // The build's last step (bin/bundle.js): the same compiled code bundled into dist/bundle/, which
  // bin/mikey.js prefers. These run after the tests above, on the same build with the bundle added.
  describe('bundled (dist/bundle/)', () => {
    /** Text of the bundle's files among `modules`: esbuild names each bundled package's files in a comment. */
    const bundledText = async (modules: string[]): Promise<string> => {
      const files = modules.filter((m) => m.includes(`${root}/dist/bundle/`)).map((m) => new URL(m).pathname);
      return (await Promise.all(files.map((f) => readFile(f, 'utf8')))).join('\n');
    };
    beforeAll(async () => {
      await bundleDist(join(root, 'dist'));
    }, 300_000);

    it('mikey help runs from the bundle and loads neither the database code nor the heavy clients', async () => {
      const r = await loaded(['help']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('Usage: mikey <command>');
      expect(r.modules.some((m) => m.endsWith(`${root}/dist/bundle/cli-entry.js`)), 'the bundled entry ran').toBe(true);
      expect(r.modules.filter((m) => m.includes(`${root}/dist/`) && !m.includes('/dist/bundle/')), 'no unbundled module').toEqual([]);
      expect(packagesIn(r.modules, HEAVY), 'help needs none of these').toEqual([]);
      const text = await bundledText(r.modules);
      expect(text, 'the bundled entry was read').toContain('Usage: mikey');
      expect(text.includes('node_modules/drizzle-orm/'), 'no drizzle in what help loads').toBe(false);
      expect(text.includes('node_modules/zod/'), 'no zod in what help loads').toBe(false);
    });

    it('mikey mcp answers from the bundle, with the database in its bundled thread and a sweep on bundled workers', async () => {
      const sweep = { strategy: 'sma_cross', symbol: 'ETH/USDT', timeframe: '1h', days: 20, grid: { fast: [5, 10], slow: [20, 40] }, folds: 2 };
      const { received, stderr, code, modules } = await mcpSession('data-bundle', [
        { method: 'tools/call', params: { name: 'whoami', arguments: {} } },
        { method: 'tools/call', params: { name: 'sweep-strategy', arguments: sweep } },
      ]);
      expect(code, stderr).toBe(0);
      expect(received.map((m) => m.id), 'each request answered once').toEqual([1, 2, 3, 4]);
      expect(JSON.stringify(received[2]!.result), 'whoami answered by the real server').toContain('owner');
      const swept = received[3]!.result as { isError?: boolean; content: Array<{ type: string; text?: string }> };
      const sweptText = swept.content.filter((c) => c.type === 'text').map((c) => c.text).join('\n');
      expect(swept.isError, sweptText).toBeFalsy();
      expect(sweptText, 'the sweep reports its out-of-sample result').toMatch(/out of sample/i);
      expect(modules.some((m) => m.endsWith(`${root}/dist/bundle/cli-entry.js`)), 'the bundled entry ran').toBe(true);
      expect(modules.filter((m) => m.includes(`${root}/dist/`) && !m.includes('/dist/bundle/')), 'no unbundled module').toEqual([]);
      expect(packagesIn(modules, ['drizzle-orm', 'zod', '@modelcontextprotocol/sdk']), 'these come from the bundle').toEqual([]);
      expect(packagesIn(modules, ['@electric-sql/pglite']), 'PGlite stays a package of its own').toEqual(['@electric-sql/pglite']);
    }, 180_000);
  });
});
