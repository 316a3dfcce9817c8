// Several `mikey serve` instances on one Postgres (issue 15 §3): job leases, events across
// instances, and three instances under load (alert rules, TWAP orders, a remote MCP client's orders)
// with one of them killed (kill -9) mid-run.
// Postgres only: on the embedded database there is one process and nothing to share.
import { randomUUID } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openDatabase, queryRows, type Database } from '../src/db/client.js';
import { conditionFingerprint, parseAlertCondition } from '../src/domain/alert-conditions.js';
import { createLogger } from '../src/log.js';
import { startMcpHttpServer, type McpHttpServer } from '../src/mcp/http.js';
import { createApiKey } from '../src/services/api-keys.js';
import { LeaseJob } from '../src/services/cluster/leases.js';
import { CLAIM_RETENTION_MS, UpdateClaims } from '../src/services/cluster/update-claims.js';
import { startServe } from '../src/serve.js';
import { encodeEnvelope, MAX_PAYLOAD_BYTES } from '../src/services/cluster/event-bridge.js';
import type { MikeyEvent } from '../src/services/events.js';
import { newActor } from './services/market/support.js';
import { createTestDatabase, testDbKind } from './support/db.js';
import { SkewClock, until } from './support/cluster.js';
import { CATALOGUE } from '../src/tools/index.js';

const SECRET = 'ab'.repeat(32);
const APP_JOBS = [LeaseJob.tradingTick, LeaseJob.paperBook, LeaseJob.tradingHousekeeping, LeaseJob.liveReconcile, LeaseJob.alerts, LeaseJob.reports, LeaseJob.predictions, LeaseJob.tokenRewards, LeaseJob.competitions, LeaseJob.bots, LeaseJob.walletIngestion];

interface Shared {
  owner: Database;
  url: string;
  dirs: string[];
  apps: App[];
}

async function openInstance(s: Shared, name: string, clock: SkewClock, lease: { ttlMs: number; renewMs: number }): Promise<App> {
  const dataDir = await mkdtemp(join(tmpdir(), 'mikey-cluster-'));
  s.dirs.push(dataDir);
  const config = loadConfig({ MIKEY_DATA_DIR: dataDir, MIKEY_MARKET: 'sim', LOG_LEVEL: 'warn', MIKEY_SECRET_KEY: SECRET, MIKEY_HTTP_PORT: '0' });
  const database = await openDatabase({ url: s.url, poolMax: 6 });
  const app = await openApp({
    config,
    database,
    clock,
    logger: createLogger('warn', () => undefined),
    cluster: { instanceId: name, leaseTtlMs: lease.ttlMs, leaseRenewMs: lease.renewMs, leaseNow: () => clock.now() },
  });
  s.apps.push(app);
  return app;
}

async function leaseHolders(db: Database): Promise<Record<string, string>> {
  const rows = await queryRows<{ name: string; holder: string }>(db.db, sql`select name, holder from cluster_leases`);
  return Object.fromEntries(rows.map((r) => [r.name, r.holder]));
}

describe.skipIf(testDbKind !== 'postgres')('several instances on one Postgres', () => {
  const s: Shared = { owner: undefined as unknown as Database, url: '', dirs: [], apps: [] };

  beforeAll(async () => {
    s.owner = await createTestDatabase();
    s.url = s.owner.pool!.options.connectionString!;
  });
  afterAll(async () => {
    for (const a of s.apps.splice(0).reverse()) await a.close().catch(() => undefined);
    for (const d of s.dirs) await rm(d, { recursive: true, force: true });
    await s.owner?.close();
  });

  it('each job runs on one instance; a released lease is taken at once, an expired one at the next renewal', async () => {
    await s.owner.db.execute(sql`delete from cluster_leases`);
    const clock = new SkewClock();
    // Renewals are driven by the test: the timers never fire within it.
    const lease = { ttlMs: 3_600_000, renewMs: 1_000_000 };
    const [a, b, c] = [await openInstance(s, 'lease-a', clock, lease), await openInstance(s, 'lease-b', clock, lease), await openInstance(s, 'lease-c', clock, lease)];
    try {
      for (const x of [a, b, c]) await x.cluster.leases.start();
      for (const j of APP_JOBS) {
        expect([a, b, c].filter((x) => x.cluster.leases.holds(j)).map((x) => x.cluster.instanceId), `one holder of ${j}`).toEqual(['lease-a']);
      }
      expect(Object.values(await leaseHolders(s.owner))).toEqual(APP_JOBS.map(() => 'lease-a'));
      expect(a.cluster.status().leases.connected).toBe(true);

      // A graceful stop releases: the next renewal of another instance takes every job.
      await a.cluster.leases.stop();
      expect(APP_JOBS.some((j) => a.cluster.leases.holds(j)), 'a stopped instance holds nothing').toBe(false);
      await c.cluster.leases.renew();
      await b.cluster.leases.renew();
      for (const j of APP_JOBS) expect(c.cluster.leases.holds(j), `c took ${j}`).toBe(true);
      for (const j of APP_JOBS) expect(b.cluster.leases.holds(j), `b waits for ${j}`).toBe(false);

      // c stops renewing (as if killed): until the lease runs out nobody takes it; then b does.
      clock.offsetMs += lease.ttlMs - 1_000;
      await b.cluster.leases.renew();
      expect(APP_JOBS.filter((j) => b.cluster.leases.holds(j)), 'not before expiry').toEqual([]);
      clock.offsetMs += 2_000;
      expect(APP_JOBS.filter((j) => c.cluster.leases.holds(j)), 'c knows its leases ran out').toEqual([]);
      await b.cluster.leases.renew();
      for (const j of APP_JOBS) expect(b.cluster.leases.holds(j), `b took ${j} over`).toBe(true);
      const tokens = await queryRows<{ token: string }>(s.owner.db, sql`select token::text as token from cluster_leases where name = ${LeaseJob.alerts}`);
      expect(tokens[0]!.token, 'a, c, b: three holders').toBe('3');
      // c comes back: it renews nothing (b holds), and does not believe it holds anything.
      await c.cluster.leases.renew();
      expect(APP_JOBS.filter((j) => c.cluster.leases.holds(j))).toEqual([]);
    } finally {
      for (const x of [a, b, c]) {
        s.apps.splice(s.apps.indexOf(x), 1);
        await x.close();
      }
    }
  });

  it('an event published on one instance is delivered once on every instance, never twice on its own', async () => {
    const clock = new SkewClock();
    const lease = { ttlMs: 3_600_000, renewMs: 1_000_000 };
    const apps = [await openInstance(s, 'ev-a', clock, lease), await openInstance(s, 'ev-b', clock, lease), await openInstance(s, 'ev-c', clock, lease)];
    try {
      const got = apps.map(() => [] as Array<{ e: MikeyEvent; local: boolean }>);
      apps.forEach((x, i) => x.services.events.on((e, meta) => void got[i]!.push({ e, local: meta.local })));
      for (const x of apps) await x.cluster.events!.start();
      const [a, b] = apps as [App, App, App];
      a.services.events.emit({ type: 'balance.changed', userId: 'u1', portfolioId: 'p1' });
      b.services.events.emit({ type: 'risk.alert', userId: 'u2', portfolioId: 'p2', severity: 'warning', message: 'x'.repeat(20_000) });
      await a.cluster.events!.flushed();
      await b.cluster.events!.flushed();
      // Every instance hears both notifications (its own too) before the counts are read.
      for (const x of apps) await until('both events heard', () => x.cluster.events!.status().heard >= 2);
      for (const [i, list] of got.entries()) {
        expect(list.map((g) => g.e.type).sort(), `instance ${i}: each event once`).toEqual(['balance.changed', 'risk.alert']);
      }
      expect(got[0]!.find((g) => g.e.type === 'balance.changed')!.local).toBe(true);
      expect(got[2]!.every((g) => !g.local)).toBe(true);
      const big = got[2]!.find((g) => g.e.type === 'risk.alert')!.e as Extract<MikeyEvent, { type: 'risk.alert' }>;
      expect(big.message.length, 'a long message is shortened to fit NOTIFY').toBeLessThan(MAX_PAYLOAD_BYTES);
      expect(big.message.startsWith('xxxx')).toBe(true);
      // A repeat of an event already delivered (or one's own) is dropped.
      const again = { id: 'repeat-1', origin: 'ev-b', event: { type: 'balance.changed', userId: 'u3', portfolioId: 'p3' } as MikeyEvent };
      expect(apps[2]!.services.events.receive(again)).toBe(true);
      expect(apps[2]!.services.events.receive(again)).toBe(false);
      expect(apps[1]!.services.events.receive({ ...again, id: 'own-1' }), 'own event').toBe(false);
      expect(apps.every((x) => x.cluster.status().events?.connected)).toBe(true);
    } finally {
      for (const x of apps) {
        s.apps.splice(s.apps.indexOf(x), 1);
        await x.close();
      }
    }
  });

  it('a burst of events reaches the other instances whole and in the order it was published', async () => {
    const clock = new SkewClock();
    const lease = { ttlMs: 3_600_000, renewMs: 1_000_000 };
    const [a, b] = [await openInstance(s, 'burst-a', clock, lease), await openInstance(s, 'burst-b', clock, lease)];
    try {
      const heard: string[] = [];
      b.services.events.on((e, meta) => {
        if (!meta.local && e.type === 'balance.changed') heard.push(e.portfolioId);
      });
      for (const x of [a, b]) await x.cluster.events!.start();
      const ids = Array.from({ length: 250 }, (_, i) => `burst-${i}`);
      for (const id of ids) a.services.events.emit({ type: 'balance.changed', userId: 'u', portfolioId: id });
      await a.cluster.events!.flushed();
      expect(a.cluster.events!.status().sent).toBe(250);
      await until('the burst heard', () => heard.length >= 250);
      expect(heard, 'each event once, in order').toEqual(ids);
    } finally {
      for (const x of [a, b]) {
        s.apps.splice(s.apps.indexOf(x), 1);
        await x.close();
      }
    }
  });

  it('/readyz names a lost LISTEN connection until it is back', async () => {
    const clock = new SkewClock();
    const app = await openInstance(s, 'ready-a', clock, { ttlMs: 3_600_000, renewMs: 1_000_000 });
    const server = await startServe(app);
    try {
      const readyz = async (): Promise<{ status: number; body: { notReady?: Array<{ name: string }> } }> => {
        const r = await fetch(new URL('/readyz', server.mcpUrl));
        return { status: r.status, body: (await r.json()) as { notReady?: Array<{ name: string }> } };
      };
      await until('ready', async () => (await readyz()).status === 200 && app.cluster.status().events?.connected === true);
      expect(app.cluster.leases.holds(LeaseJob.alerts)).toBe(true);
      // The server keeps dropping the LISTEN connection (a restart, a proxy timeout): every
      // reconnection is terminated again until /readyz (computed at most once a second) says so.
      let gap: Awaited<ReturnType<typeof readyz>> | undefined;
      await until('not ready while not listening', async () => {
        await s.owner.db.execute(sql`select pg_terminate_backend(pid) from pg_stat_activity where query like 'LISTEN%' and datname = current_database()`);
        gap = await readyz();
        return gap.status === 503;
      });
      expect((gap!.body.notReady ?? []).map((n) => n.name)).toContain('cluster events');
      await until('ready again once reconnected', async () => (await readyz()).status === 200);
    } finally {
      await server.stop();
      s.apps.splice(s.apps.indexOf(app), 1);
      await app.close();
    }
  });

  it('an API key\'s rate limit holds over two instances, not once on each', async () => {
    const clock = new SkewClock();
    const lease = { ttlMs: 3_600_000, renewMs: 1_000_000 };
    const [a, b] = [await openInstance(s, 'rate-a', clock, lease), await openInstance(s, 'rate-b', clock, lease)];
    try {
      const key = `apikey:${randomUUID()}`;
      const takeMany = (x: App, n: number): number => Array.from({ length: n }).filter(() => x.services.rateLimiter.take(key, 5).allowed).length;
      expect(takeMany(a, 3)).toBe(3);
      await a.cluster.rateLimits!.sync();
      await b.cluster.rateLimits!.sync();
      expect(takeMany(b, 5), 'b lets through what a left of five').toBe(2);
      await b.cluster.rateLimits!.sync();
      await a.cluster.rateLimits!.sync();
      expect(takeMany(a, 1), 'and a knows').toBe(0);
    } finally {
      for (const x of [a, b]) {
        s.apps.splice(s.apps.indexOf(x), 1);
        await x.close();
      }
    }
  });

  it('a chat update is claimed by one instance only', async () => {
    const clock = new SkewClock();
    const dbs = [await openDatabase({ url: s.url, poolMax: 4 }), await openDatabase({ url: s.url, poolMax: 4 }), await openDatabase({ url: s.url, poolMax: 4 })];
    try {
      const claims = dbs.map((d) => new UpdateClaims(d.db, clock));
      const ids = Array.from({ length: 50 }, (_, i) => 1000 + i);
      const results = await Promise.all(ids.flatMap((id) => claims.map(async (c) => ({ id, first: await c.claim('telegram:42', id) }))));
      for (const id of ids) expect(results.filter((r) => r.id === id && r.first), `update ${id} taken once`).toHaveLength(1);
      expect(await claims[0]!.claim('telegram:43', 1000), 'another bot has its own ids').toBe(true);
      clock.offsetMs += CLAIM_RETENTION_MS + 1;
      await claims[1]!.prune('telegram:42');
      expect(await claims[2]!.claim('telegram:42', 1000), 'pruned after the retention').toBe(true);
    } finally {
      for (const d of dbs) await d.close();
    }
  });

  it('encodes every event under the NOTIFY limit', () => {
    const e = encodeEnvelope({ id: 'i', origin: 'o', event: { type: 'alert.triggered', userId: 'u', alertId: 'a', ruleId: null, title: 't'.repeat(9000), message: 'm'.repeat(9000), severity: 'info', symbol: null } });
    expect(Buffer.byteLength(e!)).toBeLessThan(MAX_PAYLOAD_BYTES);
  });

  it('three instances, one killed with kill -9 mid-run: no alert fired twice, no slice made twice, no remote MCP order doubled or lost, its jobs taken over', async () => {
    await s.owner.db.execute(sql`delete from cluster_leases`);
    const childDir = await mkdtemp(join(tmpdir(), 'mikey-cluster-child-'));
    s.dirs.push(childDir);
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: s.url, MIKEY_HTTP_PORT: '0', MIKEY_MARKET: 'sim', MIKEY_SECRET_KEY: SECRET, MIKEY_DATA_DIR: childDir, LOG_LEVEL: process.env.CLUSTER_TEST_LOG ? 'debug' : 'info' };
    for (const k of ['TELEGRAM_BOT_TOKEN', 'DISCORD_TOKEN', 'DISCORD_APP_ID', 'ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL', 'MIKEY_TEST_DB']) delete env[k];
    const child: ChildProcess = spawn(process.execPath, [join(import.meta.dirname, '..', 'bin', 'mikey.js'), 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let childOut = '';
    child.stdout!.on('data', (d: Buffer) => void (childOut += d.toString()));
    child.stderr!.on('data', (d: Buffer) => void (childOut += d.toString()));
    if (process.env.CLUSTER_TEST_LOG) {
      const log = createWriteStream(process.env.CLUSTER_TEST_LOG);
      child.stdout!.pipe(log);
      child.stderr!.pipe(log);
    }
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    let bHttp: McpHttpServer | undefined;
    const clients: Client[] = [];
    try {
      const childMark = `:${child.pid}:`;
      // The child starts first and takes every job.
      await until(
        `the child holds every lease (output: ${childOut.slice(-500)})`,
        async () => {
          const h = await leaseHolders(s.owner);
          return APP_JOBS.every((j) => h[j]?.includes(childMark));
        },
        1_800,
      );
      const clock = new SkewClock();
      const lease = { ttlMs: 15_000, renewMs: 1_000 };
      const a = await openInstance(s, 'run-a', clock, lease);
      const b = await openInstance(s, 'run-b', clock, lease);
      await a.startBackground();
      await b.startBackground();
      for (const j of APP_JOBS) expect([a, b].some((x) => x.cluster.leases.holds(j)), `${j} stays with the child`).toBe(false);

      // Load: TWAP orders (first slice at once by the placing instance, the rest by the tick's
      // lease holder) and alert rules that cross at their first evaluation.
      const traders = [await newActor(a.database, 'twap'), await newActor(b.database, 'twap')];
      const parents: string[] = [];
      for (const [i, t] of traders.entries()) {
        const x = i === 0 ? a : b;
        const pid = (await x.services.portfolio.createPortfolio(t, { name: 'cluster', startingCash: '100000', autoConfirm: true })).id;
        for (let k = 0; k < 3; k++) {
          const r = await x.services.trading.placeOrder(t, { symbol: 'SOL/USDT', side: 'buy', type: 'twap', quantity: '4', slices: 4, durationMinutes: 1, portfolioId: pid });
          parents.push(r.order.id);
        }
      }
      const watcher = await newActor(a.database, 'alerts');
      const rules: string[] = [];
      // A rule fires on a false→true edge only. Each new rule's stored crossing state says "the price
      // was below" (as if the last evaluation had seen it there), so the live price crosses it.
      const condition = { type: 'price_above', symbol: 'BTC/USDT', price: '1' };
      const parsed = parseAlertCondition(condition);
      if (!parsed.ok) throw new Error('unreadable test condition');
      const below = { fingerprint: conditionFingerprint(parsed.value), holds: false, since: clock.now().toISOString() };
      const addRules = async (x: App, n: number): Promise<void> => {
        const batch: string[] = [];
        for (let k = 0; k < n; k++) batch.push((await x.services.alerts.createAlert(watcher, { condition })).id);
        await s.owner.db.execute(sql`update alert_rules set last_state = ${JSON.stringify(below)}::jsonb where id in ${sql.raw(`('${batch.join("','")}')`)}`);
        rules.push(...batch);
        // Every engine re-reads the rules (here and, over NOTIFY, on the other instances).
        x.services.events.emit({ type: 'alert.rules.changed', userId: watcher.userId });
      };
      await addRules(a, 10);
      await addRules(b, 10);
      const released = async (): Promise<number[]> =>
        (await queryRows<{ n: number }>(s.owner.db, sql`select (algo_params->>'released')::int as n from orders where id in ${sql.raw(`('${parents.join("','")}')`)}`)).map((r) => Number(r.n));
      const fired = async (): Promise<number> => Number((await queryRows<{ n: string }>(s.owner.db, sql`select count(distinct rule_id)::text as n from alerts where rule_id in ${sql.raw(`('${rules.join("','")}')`)}`))[0]!.n);
      // The child works: it fires the rules (heard of over NOTIFY or found by its sweep) and releases a
      // second slice (a and b hold no lease, so any slice after the first is the child's).
      await until('the child fires the first rules', async () => (await fired()) === 20, 900);
      await until('the child releases a slice', async () => (await released()).some((n) => n >= 2), 1_800);
      for (const j of APP_JOBS) expect([a, b].some((x) => x.cluster.leases.holds(j)), `${j} still with the child`).toBe(false);

      // A remote MCP client (an API key) sends 30 market buys, each with its own clientOrderId, to the
      // child's HTTP endpoint at once; the child is killed after the first answers. Every call left
      // without an answer is sent again, with the same clientOrderId, to instance b's endpoint (as a
      // client behind a load balancer would): each order must exist once, none lost.
      const childUrl = /MCP over HTTP at (http:\/\/\S+\/mcp)/.exec(childOut)?.[1];
      expect(childUrl, `the child names its MCP endpoint (output: ${childOut.slice(-500)})`).toBeTruthy();
      const remote = await newActor(a.database, 'mcp');
      const remotePortfolio = (await a.services.portfolio.createPortfolio(remote, { name: 'remote', startingCash: '100000', autoConfirm: true })).id;
      const key = (await createApiKey(a.database.db, remote, { userId: remote.userId, permissions: ['read:market', 'read:portfolio', 'write:orders'], ratePerMinute: 10_000, expiresInMs: null })).key;
      bHttp = await startMcpHttpServer(b.services, CATALOGUE, { port: 0, oauth: false });
      const connect = async (url: string): Promise<Client> => {
        const c = new Client({ name: 'cluster-test', version: '1' });
        await c.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
        clients.push(c);
        return c;
      };
      const orderIds = Array.from({ length: 30 }, (_, i) => `remote-${i}`);
      const buy = (c: Client, clientOrderId: string) =>
        c.callTool({ name: 'place-order', arguments: { portfolioId: remotePortfolio, symbol: 'SOL/USDT', side: 'buy', type: 'market', quantity: '0.1', clientOrderId } });
      const viaChild = await connect(childUrl!);
      let answered = 0;
      const sent = orderIds.map((id) =>
        buy(viaChild, id).then(
          (r) => {
            answered++;
            return { id, ok: r.isError !== true };
          },
          () => ({ id, ok: false }),
        ),
      );
      await until('the child answers the first remote orders', () => answered >= 3);

      child.kill('SIGKILL');
      await exited;
      const outcomes = await Promise.all(sent);
      const viaB = await connect(bHttp.url);
      const resent = outcomes.filter((o) => !o.ok).map((o) => o.id);
      for (const id of resent) {
        const r = await buy(viaB, id);
        expect(r.isError, `resent ${id} through b: ${JSON.stringify(r.content)}`).not.toBe(true);
      }
      const remoteOrders = await queryRows<{ cid: string; n: string }>(s.owner.db, sql`select client_order_id as cid, count(*)::text as n from orders where portfolio_id = ${remotePortfolio} group by 1`);
      expect(remoteOrders.filter((r) => r.n !== '1'), 'no remote order placed twice').toEqual([]);
      expect(remoteOrders.map((r) => r.cid).sort(), `every remote order placed (${resent.length} of 30 resent after the kill)`).toEqual([...orderIds].sort());
      const remoteFills = await queryRows<{ n: string; q: string }>(s.owner.db, sql`select count(*)::text as n, coalesce(sum(quantity), 0)::text as q from trades where portfolio_id = ${remotePortfolio}`);
      expect(remoteFills[0], 'each remote order filled once').toMatchObject({ n: '30' });
      expect(Number(remoteFills[0]!.q)).toBe(3);
      await addRules(b, 10);
      // Past the killed instance's lease expiry, and past every slice's due time.
      clock.offsetMs += 120_000;
      await until('a or b takes every job over', () => APP_JOBS.every((j) => a.cluster.leases.holds(j) || b.cluster.leases.holds(j)));
      for (const j of APP_JOBS) expect(a.cluster.leases.holds(j) && b.cluster.leases.holds(j), `${j}: one holder`).toBe(false);
      await until('every TWAP order is done', async () => {
        const r = await queryRows<{ n: string }>(s.owner.db, sql`select count(*)::text as n from orders where id in ${sql.raw(`('${parents.join("','")}')`)} and status = 'filled'`);
        return Number(r[0]!.n) === parents.length;
      });
      await until('the rules created after the kill fire', async () => (await fired()) === rules.length);

      const perRule = await queryRows<{ rule_id: string; n: string }>(s.owner.db, sql`select rule_id, count(*)::text as n from alerts where rule_id in ${sql.raw(`('${rules.join("','")}')`)} group by rule_id`);
      expect(perRule.filter((r) => r.n !== '1'), 'no alert fired twice').toEqual([]);
      expect(perRule).toHaveLength(rules.length);
      const audits = await queryRows<{ n: string }>(s.owner.db, sql`select count(*)::text as n from audit_logs where action = 'alert.triggered' and entity_id in ${sql.raw(`('${rules.join("','")}')`)}`);
      expect(audits[0]!.n, 'one trigger recorded per rule').toBe(String(rules.length));
      const slices = await queryRows<{ parent: string; slice: number; n: string }>(
        s.owner.db,
        sql`select parent_order_id as parent, (algo_params->>'slice')::int as slice, count(*)::text as n from orders where parent_order_id in ${sql.raw(`('${parents.join("','")}')`)} group by 1, 2`,
      );
      expect(slices.filter((r) => r.n !== '1'), 'no slice made twice').toEqual([]);
      expect(slices, 'four slices per order').toHaveLength(parents.length * 4);
      const fills = await queryRows<{ filled: string }>(s.owner.db, sql`select coalesce(sum(t.quantity), 0)::text as filled from trades t join orders o on o.id = t.order_id where o.parent_order_id in ${sql.raw(`('${parents.join("','")}')`)}`);
      expect(Number(fills[0]!.filled), 'fills add up to the orders, not more').toBe(4 * parents.length);
      const h = await leaseHolders(s.owner);
      expect(APP_JOBS.filter((j) => !['run-a', 'run-b'].includes(h[j]!)), 'every job with a live instance').toEqual([]);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      for (const c of clients) await c.close().catch(() => undefined);
      await bHttp?.close();
    }
  }, 600_000);
});
