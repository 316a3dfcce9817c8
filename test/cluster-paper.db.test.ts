// Several instances on one Postgres (issue 15 §3): the resting paper orders are matched by one
// instance, the holder of the paper book's lease. When it stops renewing (killed, paused) another
// instance takes the book over, fills each order once, and the old holder coming back — even one
// that still believes it holds the lease — fills nothing a second time. Orders placed, cancelled or
// amended through any instance reach the holder.
// Postgres only: on the embedded database there is one process and nothing to share.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualPriceFeed } from '../src/adapters/manual-price-feed.js';
import { PaperBroker } from '../src/adapters/paper-broker/index.js';
import { openApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openDatabase, queryRows, type Database } from '../src/db/client.js';
import { createLogger } from '../src/log.js';
import { actorFor, type Actor } from '../src/services/actor.js';
import { PgEventBridge } from '../src/services/cluster/event-bridge.js';
import { LeaseJob, LeaseManager } from '../src/services/cluster/leases.js';
import { EventBus } from '../src/services/events.js';
import { DbMarketCatalog } from '../src/services/markets.js';
import { createTradingLayer, type TradingLayer } from '../src/services/trading/index.js';
import { ManualTimer } from '../src/services/trading/ports.js';
import { createUser } from '../src/services/users.js';
import { createTestDatabase, testDbKind } from './support/db.js';
import { SkewClock, until } from './support/cluster.js';
import { checkBooks, PRICES } from './services/trading/harness.js';

/** Renewals are driven by the test: the lease timers never fire within it. */
const LEASE = { ttlMs: 3_600_000, renewMs: 1_000_000 };
const SYNC_MS = 5_000;

interface Instance {
  name: string;
  database: Database;
  leases: LeaseManager;
  layer: TradingLayer;
  paper: PaperBroker;
  timer: ManualTimer;
  bridge: PgEventBridge | undefined;
  events: EventBus;
  /** One engine tick and everything it started. */
  step(): Promise<void>;
  close(): Promise<void>;
}

describe.skipIf(testDbKind !== 'postgres')('resting paper orders over several instances', () => {
  let owner: Database;
  let url = '';
  const open: Instance[] = [];
  const databases: Database[] = [];
  const clock = new SkewClock();
  // One market: every instance's venue sees the same prices.
  const feed = new ManualPriceFeed({ clock, source: 'exchange', simulated: false });
  const setPrices = (overrides: Record<string, string> = {}): void => {
    for (const [s, p] of Object.entries({ ...PRICES, ...overrides })) feed.set(s, p, { bid: p, ask: p });
  };
  let userSeq = 0;

  // Each test on a database of its own: nothing resting from an earlier one.
  beforeEach(async () => {
    owner = await createTestDatabase();
    databases.push(owner);
    url = owner.pool!.options.connectionString!;
  });
  afterAll(async () => {
    for (const x of open.splice(0).reverse()) await x.close().catch(() => undefined);
    for (const d of databases) await d.close();
  });

  async function openInstance(name: string, opts: { bridge?: boolean } = {}): Promise<Instance> {
    const database = await openDatabase({ url, poolMax: 6 });
    const logger = createLogger('warn', () => undefined);
    const events = new EventBus(logger, { origin: name });
    const markets = await DbMarketCatalog.load(database.db, { exchange: 'sim' });
    const timer = new ManualTimer();
    const bridge = opts.bridge ? new PgEventBridge({ connectionString: url, pool: database.pool!, events, logger }) : undefined;
    if (bridge) {
      bridge.startRelay();
      await bridge.start();
    }
    const layer = createTradingLayer({ db: database.db, clock, logger, events, markets, venueFeed: feed, timer });
    const leases = new LeaseManager({ database, instanceId: name, ttlMs: LEASE.ttlMs, renewMs: LEASE.renewMs, now: () => clock.now() });
    leases.want(LeaseJob.tradingTick, LeaseJob.paperBook);
    layer.engine.useLeases(leases);
    await leases.start();
    await layer.engine.start();
    const paper = layer.paper;
    if (!(paper instanceof PaperBroker)) throw new Error('the trading layer has no paper venue');
    const x: Instance = {
      name,
      database,
      leases,
      layer,
      paper,
      timer,
      bridge,
      events,
      async step() {
        await timer.fire();
        await paper.idle();
        await layer.trading.idle();
      },
      async close() {
        await layer.close();
        await leases.stop();
        await bridge?.stop();
        await database.close();
      },
    };
    open.push(x);
    return x;
  }

  async function trader(x: Instance): Promise<{ actor: Actor; pid: string }> {
    const u = await createUser(x.database.db, { username: `paper_${++userSeq}_${Math.floor(Math.random() * 1e6)}` });
    const actor = actorFor(u.id, 'mcp-stdio');
    const pid = (await x.layer.portfolio.createPortfolio(actor, { name: 'cluster', startingCash: '100000', autoConfirm: true })).id;
    return { actor, pid };
  }

  /** Moves the market and waits until every instance's venue and services have dealt with it. */
  async function move(prices: Record<string, string>, ...xs: Instance[]): Promise<void> {
    setPrices(prices);
    for (const x of xs) {
      await x.paper.idle();
      await x.layer.trading.idle();
    }
  }

  async function tradesOf(orderId: string): Promise<Array<{ id: string; price: string; quantity: string }>> {
    return queryRows(owner.db, sql`select exchange_trade_id as id, trim_scale(price)::text as price, trim_scale(quantity)::text as quantity from trades where order_id = ${orderId}::uuid`);
  }

  async function statusOf(orderId: string): Promise<string> {
    const [r] = await queryRows<{ status: string }>(owner.db, sql`select status::text as status from orders where id = ${orderId}::uuid`);
    return r!.status;
  }

  const held = (x: Instance): string[] =>
    x.paper
      .restingOrders()
      .map((o) => o.clientOrderId)
      .sort();

  it('the holder stops renewing: another instance takes its resting orders over and fills each once; the old holder coming back fills nothing again', async () => {
    setPrices();
    const a = await openInstance('paper-a');
    const b = await openInstance('paper-b');
    expect(a.layer.engine.matchesPaperBook(), 'the first instance holds the book').toBe(true);
    expect(b.layer.engine.matchesPaperBook(), 'the second only takes orders').toBe(false);

    const t = await trader(a);
    const viaA = await a.layer.trading.placeOrder(t.actor, { symbol: 'ETH/USDT', side: 'buy', type: 'limit', price: '3100', quantity: '1', portfolioId: t.pid });
    const viaB = await b.layer.trading.placeOrder(t.actor, { symbol: 'ETH/USDT', side: 'buy', type: 'limit', price: '3050', quantity: '0.5', portfolioId: t.pid });
    // A trailing stop protecting a position, its high-water mark moved by the holder.
    await a.layer.trading.placeOrder(t.actor, { symbol: 'SOL/USDT', side: 'buy', quantity: '1', portfolioId: t.pid });
    const trail = await a.layer.trading.placeOrder(t.actor, { symbol: 'SOL/USDT', side: 'sell', type: 'trailing_stop', trailingPercent: '5', quantity: '1', portfolioId: t.pid });
    expect([viaA, viaB, trail].map((r) => r.order.status), 'all resting').toEqual(['open', 'open', 'open']);

    // The holder reads in what another instance placed at its next re-read of the book.
    clock.offsetMs += SYNC_MS;
    setPrices();
    await a.step();
    expect(held(a), 'the holder has every resting order').toEqual([viaA.order.clientOrderId, viaB.order.clientOrderId, trail.order.clientOrderId].sort());
    await move({ 'SOL/USDT': '200' }, a, b);
    const [ref] = await queryRows<{ r: string }>(owner.db, sql`select trim_scale(trail_reference_price)::text as r from orders where id = ${trail.order.id}::uuid`);
    expect(ref!.r, 'the holder moved the trail').toBe('200');
    // A price that crosses nothing yet; the second instance matches nothing of its own.
    await b.step();
    expect(await tradesOf(viaB.order.id), 'the instance that placed it does not fill it').toEqual([]);

    // The holder renews a last time and stops (killed, or paused). Until its lease runs out nobody takes the book.
    await a.leases.renew();
    clock.offsetMs += LEASE.ttlMs - 1_000;
    setPrices({ 'SOL/USDT': '200' });
    await b.leases.renew();
    expect(b.leases.holds(LeaseJob.paperBook), 'not before the expiry').toBe(false);
    clock.offsetMs += 2_000;
    setPrices({ 'SOL/USDT': '200' });
    expect(a.layer.engine.matchesPaperBook(), 'the old holder knows its lease ran out').toBe(false);
    await b.leases.renew();
    expect(b.leases.holds(LeaseJob.paperBook), 'taken over after the expiry').toBe(true);
    expect(b.layer.engine.matchesPaperBook(), 'not before the book is read').toBe(false);
    await b.step();
    expect(b.layer.engine.matchesPaperBook(), 'the new holder matches once it has read the book').toBe(true);
    expect(held(b)).toEqual([viaA.order.clientOrderId, viaB.order.clientOrderId, trail.order.clientOrderId].sort());

    // The market crosses every order: the new holder fills each once (the trail from the stored high of 200).
    await move({ 'ETH/USDT': '3000', 'SOL/USDT': '189' }, a, b);
    await b.step();
    for (const o of [viaA, viaB, trail]) expect(await statusOf(o.order.id), `${o.order.type} filled`).toBe('filled');
    expect((await tradesOf(viaA.order.id)).map((r) => [r.quantity, r.price])).toEqual([['1', '3100']]);
    expect((await tradesOf(viaB.order.id)).map((r) => [r.quantity, r.price])).toEqual([['0.5', '3050']]);
    // From the stored high of 200 the stop is at 190; a venue starting afresh at 189 would not fire.
    const trailFills = await tradesOf(trail.order.id);
    expect(trailFills, 'the trail fired from the stored high, once').toHaveLength(1);
    expect(Number(trailFills[0]!.price), 'at the market under its stop, less slippage').toBeLessThanOrEqual(189);
    await checkBooks(owner, 'after the takeover');

    // The old holder comes back: its next renewal finds the lease taken, and it matches nothing.
    await a.leases.renew();
    expect(a.leases.holds(LeaseJob.paperBook)).toBe(false);
    await move({ 'ETH/USDT': '2990', 'SOL/USDT': '185' }, a, b);
    await a.step();
    // Worse: a split brain in which it still believes it holds the book. Its stale copies fill, and
    // the booking keeps the first fill of each order only.
    a.paper.useMatchingGate(() => true);
    expect(held(a).length, 'the old holder still has its stale copies').toBe(3);
    await move({ 'ETH/USDT': '2980', 'SOL/USDT': '180' }, a, b);
    expect(held(a), 'and it did fill them in its memory').toEqual([]);
    for (const o of [viaA, viaB, trail]) expect(await tradesOf(o.order.id), `${o.order.type}: still one trade`).toHaveLength(1);
    const [n] = await queryRows<{ n: string }>(owner.db, sql`select count(*)::text as n from trades where portfolio_id = ${t.pid}::uuid`);
    expect(n!.n, 'one market buy, three resting orders: four trades').toBe('4');
    await checkBooks(owner, 'after the old holder came back');
    for (const x of [a, b]) {
      open.splice(open.indexOf(x), 1);
      await x.close();
    }
  }, 120_000);

  it('an order held by one instance is cancelled or amended through another', async () => {
    setPrices();
    const a = await openInstance('edit-a');
    const b = await openInstance('edit-b');
    const t = await trader(a);
    const gone = await a.layer.trading.placeOrder(t.actor, { symbol: 'ETH/USDT', side: 'buy', type: 'limit', price: '3100', quantity: '1', portfolioId: t.pid });
    const moved = await a.layer.trading.placeOrder(t.actor, { symbol: 'ETH/USDT', side: 'buy', type: 'limit', price: '3000', quantity: '1', portfolioId: t.pid });
    expect(held(b), 'the other instance has never seen them').toEqual([]);

    const c = await b.layer.trading.cancelOrder(t.actor, gone.order.id);
    expect(c.order.status).toBe('cancelled');
    const [why] = await queryRows<{ reason: string | null }>(owner.db, sql`select reject_reason as reason from orders where id = ${gone.order.id}::uuid`);
    expect(why!.reason ?? '', 'cancelled as asked, not as a lost order').not.toContain('no such order');
    await b.layer.trading.amendOrder(t.actor, moved.order.id, { price: '3150' });

    // The holder learns both at its next read of the book.
    clock.offsetMs += SYNC_MS;
    setPrices();
    await a.step();
    expect(held(a), 'the cancelled order left the holder').toEqual([moved.order.clientOrderId]);
    await move({ 'ETH/USDT': '3140' }, a, b);
    await a.step();
    expect(await statusOf(gone.order.id), 'a cancelled order stays cancelled').toBe('cancelled');
    expect(await tradesOf(gone.order.id)).toEqual([]);
    expect((await tradesOf(moved.order.id)).map((r) => r.price), 'filled at the amended price').toEqual(['3150']);
    await checkBooks(owner, 'after a cancel and an amend through another instance');
    for (const x of [a, b]) {
      open.splice(open.indexOf(x), 1);
      await x.close();
    }
  }, 120_000);

  it('one instance alone matches at once, as on the embedded database', async () => {
    setPrices();
    const a = await openInstance('solo-a');
    const t = await trader(a);
    const r = await a.layer.trading.placeOrder(t.actor, { symbol: 'BTC/USDT', side: 'buy', type: 'limit', price: '64000', quantity: '0.01', portfolioId: t.pid });
    expect(r.order.status).toBe('open');
    await move({ 'BTC/USDT': '63900' }, a);
    expect(await statusOf(r.order.id), 'filled on the pushed price, no tick needed').toBe('filled');
    await checkBooks(owner, 'with one instance');
    open.splice(open.indexOf(a), 1);
    await a.close();
  }, 60_000);

  it('an order placed through another instance rests until the holder reads it in, told over NOTIFY at its next tick', async () => {
    setPrices();
    const a = await openInstance('notify-a', { bridge: true });
    const b = await openInstance('notify-b', { bridge: true });
    const t = await trader(b);
    const heard: string[] = [];
    a.events.on((e, meta) => {
      if (!meta.local && e.type === 'order.updated') heard.push(`${e.orderId}:${e.status}`);
    });
    const r = await b.layer.trading.placeOrder(t.actor, { symbol: 'ETH/USDT', side: 'buy', type: 'limit', price: '3100', quantity: '1', portfolioId: t.pid });
    expect(r.order.status).toBe('open');
    // The market crosses before the holder knows of the order: the instance that took it does not fill it.
    await move({ 'ETH/USDT': '3090' }, a, b);
    await b.step();
    expect(await statusOf(r.order.id), 'only the holder matches').toBe('open');
    await until('the holder hears of the order', () => heard.includes(`${r.order.id}:open`));
    // No re-read is due by the clock: the event asks for it, and the tick's sweep fills it at once.
    await a.step();
    expect(await statusOf(r.order.id), 'filled by the holder').toBe('filled');
    expect(await tradesOf(r.order.id)).toHaveLength(1);
    await checkBooks(owner, 'after an order placed through another instance');
    for (const x of [a, b]) {
      open.splice(open.indexOf(x), 1);
      await x.close();
    }
  }, 60_000);

  it('a `mikey serve` holding the paper book is killed with kill -9: another instance fills its resting order once', async () => {
    const SECRET = 'ab'.repeat(32);
    const dirs: string[] = [];
    const apps: App[] = [];
    const childDir = await mkdtemp(join(tmpdir(), 'mikey-paper-child-'));
    dirs.push(childDir);
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: url, MIKEY_HTTP_PORT: '0', MIKEY_MARKET: 'sim', MIKEY_SECRET_KEY: SECRET, MIKEY_DATA_DIR: childDir, LOG_LEVEL: 'info' };
    for (const k of ['TELEGRAM_BOT_TOKEN', 'DISCORD_TOKEN', 'DISCORD_APP_ID', 'ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL', 'MIKEY_TEST_DB']) delete env[k];
    const child: ChildProcess = spawn(process.execPath, [join(import.meta.dirname, '..', 'bin', 'mikey.js'), 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let childOut = '';
    child.stdout!.on('data', (d: Buffer) => void (childOut += d.toString()));
    child.stderr!.on('data', (d: Buffer) => void (childOut += d.toString()));
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const appClock = new SkewClock();
    const openOne = async (name: string): Promise<App> => {
      const dataDir = await mkdtemp(join(tmpdir(), 'mikey-paper-'));
      dirs.push(dataDir);
      const config = loadConfig({ MIKEY_DATA_DIR: dataDir, MIKEY_MARKET: 'sim', LOG_LEVEL: 'warn', MIKEY_SECRET_KEY: SECRET, MIKEY_HTTP_PORT: '0' });
      const app = await openApp({
        config,
        database: await openDatabase({ url, poolMax: 6 }),
        clock: appClock,
        logger: createLogger('warn', () => undefined),
        cluster: { instanceId: name, leaseTtlMs: 15_000, leaseRenewMs: 1_000, leaseNow: () => appClock.now() },
      });
      apps.push(app);
      return app;
    };
    const holderOfBook = async (): Promise<string | undefined> =>
      (await queryRows<{ holder: string }>(owner.db, sql`select holder from cluster_leases where name = ${LeaseJob.paperBook}`))[0]?.holder;
    try {
      await until(`the child holds the paper book (output: ${childOut.slice(-500)})`, async () => (await holderOfBook())?.includes(`:${child.pid}:`) === true, 1_800);
      const a = await openOne('kill-a');
      const b = await openOne('kill-b');
      await a.startBackground();
      await b.startBackground();
      expect([a, b].some((x) => x.cluster.leases.holds(LeaseJob.paperBook)), 'the book stays with the child').toBe(false);

      const u = await createUser(a.database.db, { username: `killed_${Math.floor(Math.random() * 1e6)}` });
      const actor = actorFor(u.id, 'terminal');
      const pid = (await a.services.portfolio.createPortfolio(actor, { name: 'cluster', startingCash: '100000', autoConfirm: true })).id;
      const price = (await a.services.market.venueFeed.getQuote('SOL/USDT')).price;
      const low = price.div(2).toDecimalPlaces(2).toFixed();
      // Far above the market whatever it does meanwhile: an amend to it crosses at once.
      const high = price.mul(2).toDecimalPlaces(2).toFixed();
      const held = await a.services.trading.placeOrder(actor, { symbol: 'SOL/USDT', side: 'buy', type: 'limit', price: low, quantity: '1', portfolioId: pid });
      const first = await b.services.trading.placeOrder(actor, { symbol: 'SOL/USDT', side: 'buy', type: 'limit', price: low, quantity: '1', portfolioId: pid });
      expect([held.order.status, first.order.status]).toEqual(['open', 'open']);
      // The child matches: an order amended (through b) to cross is filled by it, a and b holding no book.
      await b.services.trading.amendOrder(actor, first.order.id, { price: high });
      await until('the child fills the amended order', async () => (await statusOf(first.order.id)) === 'filled');
      expect([a, b].some((x) => x.cluster.leases.holds(LeaseJob.paperBook)), 'still the child').toBe(false);

      child.kill('SIGKILL');
      await exited;
      // Past the killed instance's lease expiry.
      appClock.offsetMs += 60_000;
      await until('a or b takes the book over', () => a.cluster.leases.holds(LeaseJob.paperBook) || b.cluster.leases.holds(LeaseJob.paperBook));
      expect(a.cluster.leases.holds(LeaseJob.paperBook) && b.cluster.leases.holds(LeaseJob.paperBook), 'one holder').toBe(false);
      await a.services.trading.amendOrder(actor, held.order.id, { price: high });
      await until('the new holder fills the order the child held', async () => (await statusOf(held.order.id)) === 'filled');
      for (const o of [first, held]) expect(await tradesOf(o.order.id), 'one trade each').toHaveLength(1);
      expect(['kill-a', 'kill-b'], 'the book is with a live instance').toContain(await holderOfBook());
      await checkBooks(owner, 'after the kill');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      for (const x of apps.reverse()) await x.close().catch(() => undefined);
      for (const d of dirs) await rm(d, { recursive: true, force: true });
    }
  }, 600_000);
});
