// kill -9 between send and answer, for live: a child process places a confirmed live order against
// the fake Binance, which takes the order and withholds the answer; the child is killed with SIGKILL
// while it waits. A new app on the same database (Postgres, or the embedded database's data directory)
// starts, recovers and reconciles: the order is settled from the venue — one venue order, filled once,
// never sent again — and the ledger equals the venue.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { openApp, type App } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import { queryRows } from '../../../src/db/client.js';
import { dec } from '../../../src/domain/money.js';
import { startFakeExchange, type FakeExchange } from '../../fakes/exchange-server.js';
import { testDbKind } from '../../support/db.js';
import { withDatabase } from '../../support/postgres-global-setup.js';
import { enrolLive, ledgerOf, orderRow, totalsOf, tradeCount } from './live-support.js';

const KEY = 'crashKey0123456789abcdefghij';
const SECRET = 'crashSecret0123456789abcdef01234';
const ORDER = '/api/v3/order';
const CHILD = fileURLToPath(new URL('./live-crash-child.ts', import.meta.url));

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

/** The database both processes share: a fresh Postgres database, or an embedded data directory. */
async function sharedDatabase(): Promise<{ env: Record<string, string> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'mikey-live-crash-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  if (testDbKind !== 'postgres') return { env: { MIKEY_DATA_DIR: dataDir } };
  const adminUrl = inject('pgAdminUrl');
  const name = `mikey_crash_${inject('pgRunId')}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${inject('pgTemplateDb')}`);
  await admin.end();
  cleanups.push(async () => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  });
  return { env: { MIKEY_DATA_DIR: dataDir, DATABASE_URL: withDatabase(adminUrl, name) } };
}

function appEnv(base: Record<string, string>, fake: FakeExchange, timeoutMs: string): Record<string, string> {
  return { ...base, MIKEY_MARKET: 'sim', LOG_LEVEL: 'error', MIKEY_SECRET_KEY: 'ab'.repeat(32), MIKEY_EXCHANGE_URL: fake.url, MIKEY_EXCHANGE_TIMEOUT_MS: timeoutMs };
}

async function open(env: Record<string, string>): Promise<App> {
  const app = await openApp({ config: loadConfig(env) });
  cleanups.push(() => app.close());
  return app;
}

describe(`kill -9 between send and answer (${testDbKind})`, () => {
  it('the restarted app settles the order from the venue: one venue order, filled once', async () => {
    const fake = await startFakeExchange({ accounts: [{ apiKey: KEY, secret: SECRET, spot: { USDT: '1000', SOL: '1' } }] });
    cleanups.push(() => fake.close());
    const db = await sharedDatabase();

    // 1. Set up the trader and the live portfolio, then close (the child needs the embedded database).
    const first = await open(appEnv(db.env, fake, '400'));
    const q = await first.services.market.venueFeed.getQuote('SOL/USDT');
    fake.setPrice('SOLUSDT', dec(q.price).toDecimalPlaces(2).toFixed(2));
    const live = await enrolLive(first, { apiKey: KEY, secret: SECRET, username: 'crashtrader' });
    await first.close();

    // 2. The child sends the order; the venue takes it and never answers; the child is killed.
    fake.loseResponses({ path: ORDER, method: 'POST', count: 1 });
    const childEnv: Record<string, string | undefined> = { ...process.env, ...appEnv(db.env, fake, '60000'), CRASH_USER_ID: live.userId, CRASH_PORTFOLIO_ID: live.liveId };
    if (!db.env.DATABASE_URL) delete childEnv.DATABASE_URL;
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { env: childEnv, cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    let sent = false;
    for (let i = 0; i < 1200 && !sent && child.exitCode === null; i++) {
      sent = fake.requestsTo(ORDER).some((r) => r.method === 'POST' && r.lost === true);
      if (!sent) await new Promise((r) => setTimeout(r, 50));
    }
    expect(sent, `the child sent the order (its output: ${out.slice(0, 2000)})`).toBe(true);
    child.kill('SIGKILL');
    const end = await exited;
    expect(end.signal).toBe('SIGKILL');
    expect(out, 'the child never saw an answer').not.toContain('answered');
    const venueOrders = fake.private.orders(KEY);
    expect(venueOrders).toHaveLength(1);
    const cid = venueOrders[0]!.clientOrderId;

    // 3. A new app on the same database: recovery, then the reconciler.
    const second = await open(appEnv(db.env, fake, '400'));
    second.services.live.router.onExecution((r) => void second.services.trading.handleExecution(r));
    const [before] = await queryRows<{ id: string; status: string }>(second.database.db, sql`select id, status::text as status from orders where client_order_id = ${cid}`);
    expect(before, 'the order was stored before it was sent').toBeDefined();
    expect(before!.status, 'the crash left it unsettled').toBe('pending');
    await second.services.trading.recover();
    await second.services.trading.idle();
    const [report] = await second.services.live.reconciler.reconcileAll();
    await second.services.trading.idle();

    const row = await orderRow(second, before!.id);
    expect(row.status).toBe('filled');
    expect(fake.private.orders(KEY).filter((o) => o.clientOrderId === cid), 'one venue order').toHaveLength(1);
    expect(fake.requestsTo(ORDER).filter((r) => r.method === 'POST'), 'never sent again').toHaveLength(1);
    expect(await tradeCount(second, before!.id), 'filled once').toBe(1);
    expect(report!.adjusted, 'nothing to correct').toEqual({});
    expect(await ledgerOf(second, live.liveId)).toEqual(totalsOf(fake.private.balances(KEY, 'spot')));
  }, 120_000);
});
