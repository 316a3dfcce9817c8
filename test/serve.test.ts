// `mikey serve` never runs half-alive: a surface that cannot start stops the whole start (and closes
// what had started), or, with MIKEY_DEGRADED_OK=true, runs without it while /healthz and /readyz say
// which surface is down. /readyz also checks that the database answers.
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startServe, SurfaceStartError, type RunningServer } from '../src/serve.js';
import { createTestApp, type TestApp } from './support/app.js';

// Nothing listens on port 1: Telegram's getMe fails with "connection refused".
const DEAD_TELEGRAM = { TELEGRAM_BOT_TOKEN: '123456789:AAdeadDeadDeadDeadDeadDeadDeadDead00', TELEGRAM_API_ROOT: 'http://127.0.0.1:1' };

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

let app: TestApp | undefined;
let server: RunningServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
  await app?.close();
  app = undefined;
});

async function get(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(url);
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

describe('mikey serve start-up', () => {
  it('stops with a message naming the surface and the cause when Telegram cannot start, and leaves nothing listening', async () => {
    const port = await freePort();
    app = await createTestApp({ ...DEAD_TELEGRAM, MIKEY_HTTP_PORT: String(port) });
    let err: unknown;
    try {
      server = await startServe(app);
    } catch (e) {
      err = e;
    }
    expect(err, 'the start fails').toBeInstanceOf(SurfaceStartError);
    expect((err as Error).message).toMatch(/^Telegram could not start: Telegram did not accept the bot token \(getMe failed: .*\)\. Check TELEGRAM_BOT_TOKEN and TELEGRAM_API_ROOT\. MIKEY stopped$/);
    expect((err as Error).message, 'the token is never echoed').not.toContain(DEAD_TELEGRAM.TELEGRAM_BOT_TOKEN);
    const probe = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      () => 'answered',
      () => 'refused',
    );
    expect(probe, 'the MCP listener that had started is closed again').toBe('refused');
  });

  it('with MIKEY_DEGRADED_OK=true serves without Telegram and says so on /healthz and /readyz', async () => {
    app = await createTestApp({ ...DEAD_TELEGRAM, MIKEY_HTTP_PORT: '0', MIKEY_DEGRADED_OK: 'true' });
    server = await startServe(app);
    expect(server.degraded.map((d) => d.surface)).toEqual(['telegram']);
    expect(server.surfaces.join('\n')).toMatch(/Telegram: NOT RUNNING \(Telegram did not accept the bot token/);
    const base = server.mcpUrl.replace(/\/mcp$/, '');
    const health = await get(`${base}/healthz`);
    expect(health.status, 'alive').toBe(200);
    expect(health.body).toMatchObject({ ok: true, status: 'degraded', failed: [{ surface: 'telegram' }] });
    const ready = await get(`${base}/readyz`);
    expect(ready.status, 'not ready while a configured surface is down').toBe(503);
    expect(ready.body).toMatchObject({ ready: false, notReady: [{ name: 'telegram' }] });
    expect(JSON.stringify(ready.body), 'the database answers, so it is not named').not.toContain('database');
  });
});

describe('/readyz', () => {
  it('is ready when the database answers and every surface runs, and names the database when it does not', async () => {
    app = await createTestApp({ MIKEY_HTTP_PORT: '0' });
    server = await startServe(app);
    const base = server.mcpUrl.replace(/\/mcp$/, '');
    const ready = await get(`${base}/readyz`);
    expect(ready).toEqual({ status: 200, body: { ready: true, notReady: [] } });
    expect((await get(`${base}/healthz`)).body).toEqual({ ok: true, status: 'ok' });
    // The database goes away under a running server; readiness is re-checked after its 1 s cache.
    await app.database.close();
    let after = await get(`${base}/readyz`);
    for (let i = 0; i < 50 && after.status === 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = await get(`${base}/readyz`);
    }
    expect(after.status, 'not ready without a database').toBe(503);
    expect(after.body).toMatchObject({ ready: false, notReady: [{ name: 'database' }] });
  });
});
