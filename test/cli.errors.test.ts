// What the CLI prints when something is wrong must say what is wrong and what to do: no raw SQL, no
// "Unexpected error", no zod jargon, and no silent simulated history.
import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../src/cli.js';
import { candles } from '../src/db/schema/index.js';
import { createTestApp, type TestApp } from './support/app.js';

function capture(): { out: { log: (s: string) => void; error: (s: string) => void }; logs: string[]; errors: string[] } {
  const logs: string[] = [];
  const errors: string[] = [];
  return { out: { log: (s) => logs.push(s), error: (s) => errors.push(s) }, logs, errors };
}

async function cli(app: TestApp, ...argv: string[]): Promise<{ code: number; text: string; errors: string }> {
  const c = capture();
  const code = await runCommand(app, argv, c.out);
  return { code, text: c.logs.join('\n'), errors: c.errors.join('\n') };
}

describe('discord register', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('without a token names the missing variables and where to get them', async () => {
    const r = await cli(app, 'discord', 'register');
    expect(r.code).toBe(1);
    expect(r.errors).toMatch(/^Discord registration needs DISCORD_TOKEN and DISCORD_APP_ID; DISCORD_TOKEN and DISCORD_APP_ID are not set\. .*developer portal/);
    expect(r.errors).not.toMatch(/Unexpected error/);
  });

  it('offline says Discord cannot be reached and what to check', async () => {
    const offline = { ...app, config: { ...app.config, DISCORD_TOKEN: 'offline-test-token', DISCORD_APP_ID: '123456789012345678', DISCORD_API_ROOT: 'http://127.0.0.1:1/api' } };
    const c = capture();
    const code = await runCommand(offline, ['discord', 'register'], c.out);
    const errors = c.errors.join('\n');
    expect(code).toBe(1);
    expect(errors).toMatch(/^Cannot reach Discord at http:\/\/127\.0\.0\.1:1\/api \((connect )?ECONNREFUSED[^)]*\); check the network connection \(or DISCORD_API_ROOT\) and run it again\.$/);
    expect(errors).not.toContain('offline-test-token');
  });
});

describe('data backfill when MIKEY_MARKET=auto finds no network', () => {
  let app: TestApp;
  beforeAll(async () => {
    // Hermes at an address nothing listens on: the auto probe falls back to the simulated market.
    app = await createTestApp({ MIKEY_MARKET: 'auto', PYTH_HERMES_URL: 'http://127.0.0.1:1' });
  });
  afterAll(async () => {
    await app?.close();
  });
  const stored = async (): Promise<number> => (await app.database.db.select({ n: count() }).from(candles))[0]!.n;

  it('refuses to store simulated candles without --simulated, and says so', async () => {
    const before = await stored();
    const r = await cli(app, 'data', 'backfill', 'BTC/USDT', '1d', '--since', '2025-01-01');
    expect(r.code, 'a refusal, not success').toBe(1);
    expect(r.errors).toMatch(/Live market data is not reachable .* simulated, not real prices\. Nothing was stored; .*add --simulated/);
    expect(await stored(), 'nothing was stored').toBe(before);
  });

  it('stores them with --simulated, labelled as simulated', async () => {
    const r = await cli(app, 'data', 'backfill', 'BTC/USDT', '1d', '--since', '2025-01-01', '--simulated');
    expect(r.code, r.errors).toBe(0);
    expect(r.text).toMatch(/Simulated market data, not real prices\./);
    expect(await stored()).toBeGreaterThan(0);
  });
});

describe('user role / disable / enable', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp();
    // The local owner is created as an admin on first use.
    expect((await cli(app, 'user', 'list')).code, 'the local owner exists').toBe(0);
    expect((await cli(app, 'user', 'create', '--username', 'carol')).code, 'a trader to change').toBe(0);
  });
  afterAll(async () => {
    await app?.close();
  });
  const carol = async (): Promise<{ role: string; isActive: boolean }> => {
    const { findUser } = await import('../src/services/users.js');
    return findUser(app.database.db, 'carol');
  };

  it('changes a role, refuses a role that does not exist, and changes nothing then', async () => {
    const r = await cli(app, 'user', 'role', 'carol', 'viewer');
    expect(r.code, r.errors).toBe(0);
    expect(r.text).toBe('User carol now has the role viewer; it applies from their next request.');
    expect((await carol()).role).toBe('viewer');
    const bad = await cli(app, 'user', 'role', 'carol', 'superuser');
    expect(bad.code).toBe(1);
    expect(bad.errors).toMatch(/"superuser" is not a role.*admin, trader or viewer/);
    expect((await carol()).role, 'a refused change leaves the role as it was').toBe('viewer');
  });

  it('disables and enables a user, and needs the user named', async () => {
    expect((await cli(app, 'user', 'disable', 'carol')).text).toMatch(/^User carol is disabled: refused on every surface/);
    expect((await carol()).isActive).toBe(false);
    expect((await cli(app, 'user', 'enable', 'carol')).text).toBe('User carol is enabled again.');
    expect((await carol()).isActive).toBe(true);
    const missing = await cli(app, 'user', 'disable');
    expect(missing.code).toBe(2);
    expect(missing.errors).toMatch(/user disable needs the user/);
    const unknown = await cli(app, 'user', 'disable', 'nobody-here');
    expect(unknown.code).toBe(1);
    expect(unknown.errors).toMatch(/user "nobody-here" not found/i);
  });
});
