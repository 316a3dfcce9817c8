// `mikey exchange add|list|test|remove`. Secrets come from a hidden prompt or ONE JSON object on
// stdin, never from argv. While another process holds the embedded database (here: this test, as a
// `serve`-like holder with its command socket), a child `mikey exchange add` reads the secrets itself
// and sends them to the holder in the request's private input; the holder checks the key with the
// fake Binance through the real ccxt client and stores it sealed. The key and secret never appear in
// the database row, the holder's log lines, or anything either process prints.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, type App } from '../src/app.js';
import { UsageError } from '../src/cli-types.js';
import { main, startCommandSocket } from '../src/cli.js';
import { loadConfig } from '../src/config.js';
import { sendControlRequest, type ControlServer } from '../src/control/socket.js';
import { auditLogs, exchangeCredentials } from '../src/db/schema/index.js';
import { ccxtCredentialValidator, parseAddArgs, promptSecrets, readSecretsFromStream } from '../src/exchange-commands.js';
import { createLogger } from '../src/log.js';
import { actorFor } from '../src/services/actor.js';
import { AppError } from '../src/services/errors.js';
import { addExchangeAccount, listExchangeAccounts } from '../src/services/exchange-accounts.js';
import { createUser, type User } from '../src/services/users.js';
import { startFakeExchange, type FakeExchange } from './fakes/exchange-server.js';

const SECRET_KEY = 'ef'.repeat(32);
const CAROL = { apiKey: 'carolKey-0123456789abcdef', secret: 'carolSecret-canary-fedcba9876543210' };
const DAVE = { apiKey: 'daveKey-0123456789abcdef', secret: 'daveSecret-canary-0123' };
const SECRETS = [CAROL.apiKey, CAROL.secret, DAVE.apiKey, DAVE.secret, 'argvSecret-canary', 'stdinGarbage-canary'];

let dataDir: string;
let holder: App;
let socket: ControlServer | undefined;
let fake: FakeExchange;
let carol: User;
let dave: User;
const holderLog: string[] = [];
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

/** `mikey …` in a child process (bin/mikey.js) with `input` on its stdin (not a terminal). */
function child(args: string[], input: string, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = execFile(
      process.execPath,
      ['bin/mikey.js', ...args],
      { env: { ...process.env, MIKEY_DATA_DIR: dataDir, MIKEY_USER: 'carol', LOG_LEVEL: 'error', ...env }, timeout: 120_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
    );
    p.stdin!.end(input);
  });
}

function expectNoSecret(what: string, text: string): void {
  for (const s of SECRETS) expect(text, `${what} never contains a key or secret`).not.toContain(s);
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mikey-exchange-'));
  fake = await startFakeExchange({ accounts: [{ ...CAROL, spot: { USDT: '1000' } }, { ...DAVE, spot: { USDT: '5' } }] });
  const env = { MIKEY_DATA_DIR: dataDir, MIKEY_MARKET: 'sim', LOG_LEVEL: 'debug', MIKEY_SECRET_KEY: SECRET_KEY, MIKEY_EXCHANGE_URL: fake.url };
  holder = await openApp({ config: loadConfig({ ...env, MIKEY_USER: undefined }), logger: createLogger('debug', (l) => holderLog.push(l)) });
  socket = await startCommandSocket(holder);
  carol = await createUser(holder.database.db, { username: 'carol' });
  dave = await createUser(holder.database.db, { username: 'dave' });
  Object.assign(process.env, env, { MIKEY_USER: 'carol', LOG_LEVEL: 'error' });
  process.exitCode = 0;
}, 120_000);

afterAll(async () => {
  process.env = savedEnv;
  process.exitCode = 0;
  await socket?.close();
  await holder?.close();
  await fake?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('reading the secrets', () => {
  it('refuses API keys and secrets on the command line, without repeating them', () => {
    for (const argv of [
      ['--exchange', 'binance', '--api-key', 'argvSecret-canary'],
      ['--exchange', 'binance', '--secret=argvSecret-canary'],
      ['--exchange', 'binance', '--apiKey', 'argvSecret-canary'],
      ['--exchange', 'binance', '--password', 'argvSecret-canary'],
      ['--exchange', 'binance', 'argvSecret-canary'],
      ['--exchange', 'binance', '--api-secret', 'argvSecret-canary'],
    ]) {
      let err: unknown;
      try {
        parseAddArgs(argv);
      } catch (e) {
        err = e;
      }
      expect(err, argv.join(' ')).toBeInstanceOf(UsageError);
      const message = (err as Error).message;
      expect(message, 'it says how to give them instead').toMatch(/hidden prompt.*JSON object/);
      expect(message, 'the refusal never repeats the argument').not.toContain('argvSecret-canary');
    }
    expect(() => parseAddArgs(['--exchange', 'binance', '--account-type', 'options'])).toThrow(/--account-type must be spot or futures/);
    expect(() => parseAddArgs(['--exchange', 'binance', '--verbose'])).toThrow(/has no option "--verbose"; it takes --exchange/);
    expect(() => parseAddArgs(['--exchange', 'binance', '--xK9/argvSecret-canary+=='])).toThrow(/^exchange add has no option; it takes/);
    expect(() => parseAddArgs(['--label', 'x'])).toThrow(/needs --exchange/);
    expect(parseAddArgs(['--exchange', 'okx', '--sandbox', '--label=main', '--account-type', 'futures', '--user', 'bob'])).toEqual({
      exchange: 'okx', sandbox: true, label: 'main', accountType: 'futures', user: 'bob',
    });
  });

  it('reads ONE JSON object from stdin and refuses anything else without quoting it', async () => {
    expect(await readSecretsFromStream(Readable.from([`{"apiKey": "${CAROL.apiKey}", `, `"secret": "${CAROL.secret}"}\n`]))).toEqual({ apiKey: CAROL.apiKey, secret: CAROL.secret });
    expect(await readSecretsFromStream(Readable.from([JSON.stringify({ apiKey: 'k1234567', secret: 's1234567', password: 'pass phrase' })]))).toEqual({ apiKey: 'k1234567', secret: 's1234567', password: 'pass phrase' });
    expect(await readSecretsFromStream(Readable.from([JSON.stringify({ apiKey: 'k1234567', secret: 's1234567', password: '' })])), 'an empty passphrase is none').toEqual({ apiKey: 'k1234567', secret: 's1234567' });
    const cases: Array<[string, RegExp]> = [
      ['stdinGarbage-canary', /standard input is not a JSON object/],
      ['{"apiKey": "stdinGarbage-canary"', /standard input is not a JSON object/],
      ['["stdinGarbage-canary"]', /ONE JSON object/],
      ['{"apiKey": "stdinGarbage-canary"}', /the API secret is required/],
      ['{"apiKey": "k1234567", "secret": "s1234567", "stdinGarbage-canary": 1}', /only apiKey, secret and password/],
      ['', /found nothing on standard input/],
      [`{"apiKey": "${'stdinGarbage-canary'.repeat(1000)}"}`, /more than 16 KiB/],
    ];
    for (const [input, message] of cases) {
      const err = await readSecretsFromStream(Readable.from([input])).then(() => undefined, (e: unknown) => e as Error);
      expect(err, input.slice(0, 40)).toBeDefined();
      expect(err!.message).toMatch(message);
      expect(`${err!.message} ${(err as AppError).hint ?? ''}`, 'the refusal never quotes standard input').not.toContain('canary');
    }
  });

  it('prompts without echo on a terminal: raw mode while typing, nothing typed written back', async () => {
    const input = Object.assign(new PassThrough(), { rawModes: [] as boolean[], setRawMode(mode: boolean) { input.rawModes.push(mode); return input; } });
    const written: string[] = [];
    const pending = promptSecrets(input, { write: (s: string) => written.push(s) }, 'Binance testnet');
    // A paste of the key, the secret typed with one correction, and Enter for no passphrase.
    input.write(`${CAROL.apiKey}\r${CAROL.secret}x`);
    input.write('\u007f\r');
    input.write('\r');
    expect(await pending).toEqual({ apiKey: CAROL.apiKey, secret: CAROL.secret });
    expect(input.rawModes, 'raw mode on while typing, off after').toEqual([true, false]);
    expect(written.join(''), 'the prompts name what is asked').toMatch(/Binance testnet API key \(hidden\): \nBinance testnet API secret \(hidden\): \nPassphrase/);
    expectNoSecret('what the prompt wrote', written.join(''));

    const cancelled = Object.assign(new PassThrough(), { setRawMode: () => cancelled });
    const p2 = promptSecrets(cancelled, { write: () => true }, 'Binance');
    cancelled.write('half-typed\u0003');
    await expect(p2).rejects.toThrow(/cancelled: nothing was stored/);
  });
});

describe('mikey exchange add on its own', () => {
  it('opens the embedded database itself when nobody holds it; the plaintext is in no file of the data directory', async () => {
    const own = await mkdtemp(join(tmpdir(), 'mikey-exchange-own-'));
    try {
      const keys = { apiKey: DAVE.apiKey, secret: DAVE.secret };
      const env = { MIKEY_DATA_DIR: own, MIKEY_USER: '', MIKEY_SECRET_KEY: SECRET_KEY, MIKEY_EXCHANGE_URL: fake.url, MIKEY_MARKET: 'sim' };
      const r = await child(['exchange', 'add', '--exchange', 'binance', '--label', 'own'], JSON.stringify(keys), env);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/^Added Binance account [0-9a-f]{8} \("own", spot\): Binance accepted the key with a signed balance request \(it holds 5 USDT\)\.[\s\S]*This is a LIVE key/);
      const files = (await readdir(own, { recursive: true, withFileTypes: true })).filter((f) => f.isFile());
      expect(files.length, 'the database is on disk').toBeGreaterThan(10);
      for (const f of files) {
        const bytes = await readFile(join(f.parentPath, f.name));
        for (const s of [DAVE.apiKey, DAVE.secret]) expect(bytes.includes(Buffer.from(s)), `${f.name} holds no plaintext key or secret`).toBe(false);
      }
    } finally {
      await rm(own, { recursive: true, force: true });
    }
  }, 240_000);
});

describe('mikey exchange … while another process holds the embedded database', () => {
  let carolId: string;

  it('lists through the holder', async () => {
    const r = await cli('exchange', 'list');
    expect(r.errors).toBe('');
    expect(r.text).toBe('carol has no exchange accounts yet. Add one (testnet first) with: mikey exchange add --exchange binance --sandbox');
  });

  it('adds a key from a child process: secrets read from its stdin, sent to the holder, checked with the venue, stored sealed', async () => {
    const r = await child(['exchange', 'add', '--exchange', 'binance', '--sandbox', '--label', 'main'], JSON.stringify(CAROL));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Added Binance testnet account [0-9a-f]{8} \("main", spot\): Binance testnet accepted the key with a signed balance request \(it holds 1,000 USDT\)\.\nThe key and secret are stored encrypted/);
    const rows = await holder.database.db.select().from(exchangeCredentials).where(eq(exchangeCredentials.userId, carol.id));
    expect(rows.map((x) => [x.label, x.sandbox, x.isValid]), 'the account landed in the holder\'s database').toEqual([['main', true, true]]);
    carolId = rows[0]!.id;
    expect(fake.requests.filter((q) => q.path === '/api/v3/account' && q.headers['x-mbx-apikey'] === CAROL.apiKey), 'one signed call with carol\'s key').toHaveLength(1);
    expectNoSecret('the stored row', JSON.stringify(rows));
    expectNoSecret('the child\'s output', r.stdout + r.stderr);
    expectNoSecret('the holder\'s log', holderLog.join('\n'));
    expectNoSecret('the audit trail', JSON.stringify(await holder.database.db.select().from(auditLogs)));
  }, 120_000);

  it('refuses a key the venue rejects, in the child, and stores nothing', async () => {
    const r = await child(['exchange', 'add', '--exchange', 'binance', '--sandbox'], JSON.stringify({ apiKey: 'unknownKey-0001', secret: 'stdinGarbage-canary' }));
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      'Binance testnet refused the key: Invalid API-key, IP, or permissions for action. Nothing was stored. Check the key, its permissions and its IP whitelist (a testnet key needs --sandbox, a live key must not have it).',
    );
    expect((await listExchangeAccounts(holder.database.db, carol.id)).length, 'nothing stored').toBe(1);
    expectNoSecret('the refusal', r.stdout + r.stderr + holderLog.join('\n'));
  }, 120_000);

  it('refuses secrets in argv in the child before anything is read, sent or stored', async () => {
    const r = await child(['exchange', 'add', '--exchange', 'binance', '--api-key', 'argvSecret-canary'], '');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/never reads an API key, secret or passphrase from the command line/);
    expectNoSecret('the refusal', r.stdout + r.stderr);
  }, 120_000);

  it('lists, tests and removes by short id through the holder', async () => {
    const short = carolId.slice(0, 8);
    const listed = await cli('exchange', 'list');
    expect(listed.code, listed.errors).toBe(0);
    expect(listed.text).toMatch(new RegExp(`^id\\s+exchange\\s+label\\s+network\\s+type\\s+valid\\s+last checked\\s+portfolio\\n─[─ ]+\\n${short}\\s+binance\\s+main\\s+testnet\\s+spot\\s+yes\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC\\s+none$`));
    const tested = await cli('exchange', 'test', short);
    expect(tested.errors).toBe('');
    expect(tested.text).toBe(`Binance testnet accepted the key of exchange account ${short} ("main"); it is valid.`);
    const removed = await cli('exchange', 'remove', short);
    expect(removed.code, removed.errors).toBe(0);
    expect(removed.text).toBe(`Removed Binance testnet account ${short} ("main", spot); its key and secret are deleted from MIKEY (revoke the key at the exchange too if you no longer use it).`);
    expect(await listExchangeAccounts(holder.database.db, carol.id)).toEqual([]);
  });

  it('another user\'s account is "not found"; another user\'s list needs an admin', async () => {
    const validate = await ccxtCredentialValidator({ MIKEY_EXCHANGE_URL: fake.url });
    const daves = await addExchangeAccount(holder.database.db, holder.services.secretKey, actorFor(dave.id, 'cli'), { exchange: 'binance' }, DAVE, validate);
    for (const verb of ['test', 'remove']) {
      for (const ref of [daves.id, daves.id.slice(0, 8)]) {
        const r = await cli('exchange', verb, ref);
        expect(r.code, `${verb} ${ref}`).toBe(1);
        expect(r.errors).toBe('exchange account not found; mikey exchange list shows yours.');
      }
    }
    const r = await cli('exchange', 'list', '--user', 'dave');
    expect(r.code).toBe(1);
    expect(r.errors).toMatch(/^The exchange accounts of dave belong to that user; you act as carol \(trader\), so nothing was done; run it as that user/);
    expect((await listExchangeAccounts(holder.database.db, dave.id)).length, 'dave\'s account is untouched').toBe(1);
  });

  it('the holder never reads its own stdin for a forwarded add: without the secrets in the request it refuses', async () => {
    const c = capture();
    const code = await sendControlRequest(dataDir, { argv: ['exchange', 'add', '--exchange', 'binance'], user: 'carol' }, c.out);
    expect(code).toBe(2);
    expect(c.errors()).toMatch(/reached this MIKEY process without the API key and secret/);
    const big = capture();
    const tooBig = await sendControlRequest(dataDir, { argv: ['exchange', 'add', '--exchange', 'binance'], user: 'carol', input: 'x'.repeat(17 * 1024) }, big.out);
    expect([tooBig, big.errors()], 'an oversized private input is refused').toEqual([2, 'the private input is larger than 16 KiB']);
    expect((await listExchangeAccounts(holder.database.db, carol.id)).length).toBe(0);
  });
});
