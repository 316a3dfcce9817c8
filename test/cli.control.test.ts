// The README's operator steps while `serve` holds the embedded database: `link`, `user` and `apikey`
// run through the holder's command socket (in this process via `main()`, and from a real child
// process via bin/mikey.js) and their results land in the holder's database. What nothing can serve
// is refused clearly.
import { execFile } from 'node:child_process';
import { createConnection } from 'node:net';
import { sql } from 'drizzle-orm';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, type App } from '../src/app.js';
import { main, startCommandSocket } from '../src/cli.js';
import { loadConfig } from '../src/config.js';
import { controlSocketPath, forwardedInput, startControlServer, type ControlServer } from '../src/control/socket.js';
import { queryRows } from '../src/db/client.js';
import { createLogger } from '../src/log.js';
import { listApiKeys } from '../src/services/api-keys.js';
import { findUser, listUsers } from '../src/services/users.js';

const run = promisify(execFile);
const SECRET = 'cd'.repeat(32);

let dataDir: string;
let holder: App;
let socket: ControlServer | undefined;
const savedEnv = { ...process.env };

function capture(): { out: { log: (s: string) => void; error: (s: string) => void }; text: () => string; errors: () => string } {
  const logs: string[] = [];
  const errors: string[] = [];
  return { out: { log: (s) => logs.push(s), error: (s) => errors.push(s) }, text: () => logs.join('\n'), errors: () => errors.join('\n') };
}

async function cli(...argv: string[]): Promise<{ code: number; text: string; errors: string }> {
  const c = capture();
  const code = await main(argv, c.out);
  return { code, text: c.text(), errors: c.errors() };
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mikey-cli-'));
  // A socket file left by a holder that died: the new holder must take its place.
  await writeFile(controlSocketPath(dataDir), 'stale');
  const env = { MIKEY_DATA_DIR: dataDir, MIKEY_MARKET: 'sim', LOG_LEVEL: 'error', MIKEY_SECRET_KEY: SECRET };
  // A serve-like holder: the embedded database on disk in dataDir, answering on its command socket.
  holder = await openApp({ config: loadConfig({ ...env, MIKEY_USER: undefined }), logger: createLogger('error', () => undefined) });
  socket = await startCommandSocket(holder);
  Object.assign(process.env, env, { MIKEY_USER: 'dave' });
  process.exitCode = 0;
});

afterAll(async () => {
  process.env = savedEnv;
  process.exitCode = 0;
  await socket?.close();
  await holder?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('mikey commands while another process holds the embedded database', () => {
  it('listens on an owner-only socket in the data directory, replacing a stale one', async () => {
    expect(socket, 'the holder answers on a command socket').toBeDefined();
    const st = await stat(controlSocketPath(dataDir));
    expect(st.isSocket(), 'the stale file was replaced by a live socket').toBe(true);
    expect(st.mode & 0o777, 'only the owner may connect').toBe(0o600);
  });

  it('creates and lists users, issues, lists and revokes API keys, and issues link codes through the holder', async () => {
    const created = await cli('user', 'create', '--username', 'dave');
    expect(created.errors, 'no refusal').toBe('');
    expect(created.code).toBe(0);
    expect(created.text).toMatch(/^Created user dave \([0-9a-f-]{36}\), role trader\.$/);
    const dave = await findUser(holder.database.db, 'dave');
    expect(dave.username, 'the user landed in the holder\'s database').toBe('dave');

    const users = await cli('user', 'list');
    expect(users.code).toBe(0);
    expect(users.text).toContain('dave');

    const issued = await cli('apikey', 'create', '--user', 'dave', '--permissions', 'read:market', '--name', 'laptop');
    expect(issued.code, issued.errors).toBe(0);
    expect(issued.text).toMatch(/mk_live_[0-9a-f]{8}_/);
    const keys = await listApiKeys(holder.database.db, dave.id);
    expect(keys.map((k) => k.name), 'the key landed in the holder\'s database').toEqual(['laptop']);

    const listed = await cli('apikey', 'list', '--user', 'dave');
    expect(listed.text).toContain(keys[0]!.id);

    // MIKEY_USER of the caller (dave), not of the holder (unset: the local owner).
    const link = await cli('link');
    expect(link.code, link.errors).toBe(0);
    expect(link.text).toMatch(/^Link code for dave: MK-[0-9A-Z]{4}-[0-9A-Z]{4}/);

    const revoked = await cli('apikey', 'revoke', keys[0]!.id);
    expect(revoked.text).toBe(`Revoked API key ${keys[0]!.id} (laptop).`);
    const again = await cli('apikey', 'revoke', keys[0]!.id);
    expect(again.code).toBe(0);
    expect(again.text, 'a second revoke says when it was revoked, not "Revoked" again').toMatch(
      new RegExp(`^API key ${keys[0]!.id} \\(laptop\\) was already revoked at \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z; nothing changed\\.$`),
    );
    const nonsense = await cli('apikey', 'revoke', 'nonsense');
    expect(nonsense.code).toBe(1);
    expect(nonsense.errors).toBe('API key nonsense not found; see mikey apikey list for the ids.');
  });

  it('runs from a separate process through bin/mikey.js', async () => {
    const env = { ...process.env, MIKEY_USER: '' };
    const { stdout } = await run(process.execPath, ['bin/mikey.js', 'user', 'create', '--username', 'erin', '--role', 'viewer'], { env, timeout: 60_000 });
    expect(stdout).toMatch(/Created user erin \([0-9a-f-]{36}\), role viewer\./);
    const all = await listUsers(holder.database.db);
    expect(all.find((u) => u.username === 'erin')?.role, 'the child\'s user landed in the holder\'s database').toBe('viewer');
  });

  it('refuses what the holder cannot serve, naming the holder', async () => {
    const r = await cli('serve');
    expect(r.code, 'a second serve cannot run while the database is held').toBe(1);
    expect(r.errors).toMatch(new RegExp(`Another MIKEY process \\(pid ${process.pid}\\) is using the embedded database in ${dataDir}`));
  });

  it('reports the holder\'s migrations and backfills candles through it, progress included, into its database', async () => {
    const migrated = await cli('db', 'migrate');
    expect([migrated.code, migrated.errors]).toEqual([0, '']);
    expect(migrated.text).toMatch(/^Database ready \(pglite: .*pgdata\); migrations applied\./);

    const since = new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10);
    const filled = await cli('data', 'backfill', 'BTC/USDT', '1h', '--since', since);
    expect(filled.code, filled.errors).toBe(0);
    expect(filled.errors, 'the progress came back as lines').toMatch(/^Backfilling BTC\/USDT 1h from /);
    expect(filled.errors).toMatch(/100(\.0)?%/);
    const m = /^BTC\/USDT 1h on sim: (\d+) candles stored/.exec(filled.text);
    expect(m, filled.text).not.toBeNull();
    const [row] = await queryRows<{ n: number }>(holder.database.db, sql`select count(*)::int as n from candles where symbol = 'BTC/USDT' and timeframe = '1h'`);
    expect(row!.n, 'the candles landed in the holder\'s database').toBeGreaterThanOrEqual(Number(m![1]));
    expect(Number(m![1]), 'three days and more of hours').toBeGreaterThanOrEqual(48);

    const bad = await cli('data', 'backfill', 'BTC/USDT');
    expect(bad.code).toBe(2);
    expect(bad.errors).toMatch(/data backfill needs SYMBOL TIMEFRAME --since YYYY-MM-DD/);
  });

  it('tells a forwarded command when its caller has gone, so long work stops', async () => {
    const other = await mkdtemp(join(tmpdir(), 'mikey-cli-'));
    let sawAbort!: (why: string) => void;
    const aborted = new Promise<string>((resolve) => (sawAbort = resolve));
    const server = await startControlServer({
      dataDir: other,
      logger: createLogger('error', () => undefined),
      run: async (_request, out) => {
        const run = forwardedInput(out)!;
        out.log('started');
        await new Promise<void>((resolve) => run.signal.addEventListener('abort', () => resolve(), { once: true }));
        sawAbort('aborted');
        return 0;
      },
    });
    try {
      const client = createConnection(controlSocketPath(other));
      client.setEncoding('utf8');
      client.on('error', () => undefined);
      client.write(JSON.stringify({ argv: ['data', 'backfill', 'BTC/USDT', '1m', '--since', '2020-01-01'] }) + '\n');
      // Once the command has started, the caller goes away (Ctrl-C in its terminal).
      await new Promise<void>((resolve) => client.on('data', (d: string) => d.includes('started') && resolve()));
      client.destroy();
      expect(await aborted).toBe('aborted');
    } finally {
      await server?.close();
      await rm(other, { recursive: true, force: true });
    }
  });

  it('refuses clearly when the holder does not answer', async () => {
    const other = await mkdtemp(join(tmpdir(), 'mikey-cli-'));
    try {
      // A live process (our parent) holds the lock and has no command socket.
      await writeFile(join(other, 'mikey.lock'), String(process.ppid));
      process.env.MIKEY_DATA_DIR = other;
      const r = await cli('user', 'list');
      expect(r.code).toBe(1);
      expect(r.errors).toMatch(/Another MIKEY process \(pid \d+\) is using the embedded database/);
      expect(r.errors).toMatch(/does not answer commands \(it has no command socket\)/);
    } finally {
      process.env.MIKEY_DATA_DIR = dataDir;
      await rm(other, { recursive: true, force: true });
    }
  });
});
