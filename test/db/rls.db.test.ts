// Row-level security (drizzle/0010_row_level_security.sql, src/db/rls.ts): two traders with real
// orders, fills, positions, balances and alerts; inside one trader's scope deliberately unfiltered
// queries see only that trader's rows and cannot touch the other's; outside a scope nothing changes;
// the scope's role and setting never outlive its transaction on a pooled connection; every table
// with a user_id column carries a forced policy.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, type Database, type Executor } from '../../src/db/client.js';
import { alerts } from '../../src/db/schema/index.js';
import { ACTING_ROLE, withActingUser } from '../../src/db/rls.js';
import { sqlState } from '../../src/db/tx.js';
import { actorFor, type Actor } from '../../src/services/actor.js';
import { createUser, type User } from '../../src/services/users.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { createTestDatabase } from '../support/db.js';

let app: TestApp;
let alice: User;
let bob: User;
let actorA: Actor;
let actorB: Actor;

async function trade(actor: Actor, input: Record<string, unknown>): Promise<void> {
  const preview = await app.services.trading.previewOrder(actor, input);
  await app.services.trading.placeOrder(actor, { ...input, confirmationToken: preview.confirmationToken! });
}

/** Each trader: a filled spot buy (order, fill, position, balances, ledger), a resting limit, an alert rule and a fired alert. */
async function buildState(user: User, actor: Actor): Promise<void> {
  await trade(actor, { symbol: 'SOL/USDT', side: 'buy', quoteQuantity: '300' });
  const [btc] = await app.services.market.getPrices(['BTC/USDT']);
  const farBelow = (Number(btc!.price) * 0.5).toFixed(2);
  await trade(actor, { symbol: 'BTC/USDT', side: 'buy', type: 'limit', quantity: '0.001', price: farBelow });
  const rule = await app.services.alerts.createAlert(actor, { title: `${user.username} dip`, condition: { type: 'price_below', symbol: 'SOL/USDT', price: '1' } });
  await app.database.db.insert(alerts).values({ userId: user.id, ruleId: rule.id, title: `${user.username} fired`, message: 'SOL fell', category: 'price' });
}

beforeAll(async () => {
  app = await createTestApp({ MIKEY_MARKET: 'sim' });
  await app.startBackground();
  alice = await createUser(app.database.db, { username: 'rls-alice' });
  bob = await createUser(app.database.db, { username: 'rls-bob' });
  actorA = actorFor(alice.id, 'terminal');
  actorB = actorFor(bob.id, 'terminal');
  await buildState(alice, actorA);
  await buildState(bob, actorB);
});
afterAll(async () => {
  await app?.close();
});

/** Ids of `relation`, read with no filter at all. */
async function allIds(ex: Executor, relation: string): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(ex, sql.raw(`select id::text as id from ${relation}`));
  return rows.map((r) => r.id).sort();
}

/** Ids of `relation` owned by `userId`, read outside any scope (as a system job reads). */
async function ownedIds(relation: string, owner: string, userId: string): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(app.database.db, sql.raw(`select id::text as id from ${relation} x where ${owner.replaceAll('$USER', `'${userId}'::uuid`)}`));
  return rows.map((r) => r.id).sort();
}

const VIA_PORTFOLIO = 'exists (select 1 from portfolios p where p.id = x.portfolio_id and p.user_id = $USER)';
/** Relations a user owns, and how to tell their owner outside a scope. */
const OWNED: Array<[relation: string, owner: string]> = [
  ['users', 'x.id = $USER'],
  ['portfolios', 'x.user_id = $USER'],
  ['orders', 'x.user_id = $USER'],
  ['trades', 'x.user_id = $USER'],
  ['positions', 'x.user_id = $USER'],
  ['balances', VIA_PORTFOLIO],
  ['ledger_entries', VIA_PORTFOLIO],
  ['alert_rules', 'x.user_id = $USER'],
  ['alerts', 'x.user_id = $USER'],
  ['confirmation_tokens', 'x.user_id = $USER'],
  ['active_positions_view', 'x.user_id = $USER'],
];

describe('row-level security keyed by the acting user', () => {
  it('a deliberately unfiltered select inside a user scope returns exactly that user\'s rows', async () => {
    for (const [relation, owner] of OWNED) {
      const mine = await ownedIds(relation, owner, alice.id);
      const theirs = await ownedIds(relation, owner, bob.id);
      expect(mine.length, `alice has ${relation} rows to see`).toBeGreaterThan(0);
      expect(theirs.length, `bob has ${relation} rows to hide`).toBeGreaterThan(0);
      const seenByAlice = await withActingUser(app.database.db, alice.id, (tx) => allIds(tx, relation));
      expect(seenByAlice, `select * from ${relation} in alice's scope shows her rows and none of bob's`).toEqual(mine);
      const seenByBob = await withActingUser(app.database.db, bob.id, (tx) => allIds(tx, relation));
      expect(seenByBob, `select * from ${relation} in bob's scope shows his rows and none of alice's`).toEqual(theirs);
    }
  });

  it('outside a scope (system jobs) every row stays visible', async () => {
    for (const [relation, owner] of OWNED) {
      const everyone = await allIds(app.database.db, relation);
      for (const id of [...(await ownedIds(relation, owner, alice.id)), ...(await ownedIds(relation, owner, bob.id))]) {
        expect(everyone, `an unscoped read of ${relation} sees both users' rows`).toContain(id);
      }
    }
  });

  it('a scope runs as the acting role with the setting, even on a superuser connection', async () => {
    const [inside] = await withActingUser(app.database.db, alice.id, (tx) =>
      queryRows<{ who: string; acting: string }>(tx, sql`select current_user::text as who, current_setting('mikey.user_id', true) as acting`),
    );
    expect(inside, 'the superuser test connection switched to the role that RLS applies to').toEqual({ who: ACTING_ROLE, acting: alice.id });
  });

  it('updates and deletes of another user\'s rows touch nothing', async () => {
    const bobOrders = await ownedIds('orders', 'x.user_id = $USER', bob.id);
    const bobPositions = await ownedIds('positions', 'x.user_id = $USER', bob.id);
    const bobBalances = await queryRows<{ id: string; free: string }>(app.database.db, sql`select b.id::text as id, b.free::text as free from balances b join portfolios p on p.id = b.portfolio_id where p.user_id = ${bob.id}::uuid order by b.id`);
    const touched = await withActingUser(app.database.db, alice.id, async (tx) => {
      const orders = await queryRows<{ id: string }>(tx, sql`update orders set reject_reason = 'hijacked' where user_id = ${bob.id}::uuid returning id`);
      const balances = await queryRows<{ id: string }>(tx, sql`update balances set free = free + 1000000 returning portfolio_id`);
      const positions = await queryRows<{ id: string }>(tx, sql`delete from positions where user_id = ${bob.id}::uuid returning id`);
      const rules = await queryRows<{ id: string }>(tx, sql`delete from alert_rules where user_id = ${bob.id}::uuid returning id`);
      return { orders, balances, positions, rules };
    });
    expect(touched.orders, 'an update naming bob\'s orders in alice\'s scope matches none').toEqual([]);
    expect(touched.positions, 'a delete of bob\'s positions in alice\'s scope matches none').toEqual([]);
    expect(touched.rules, 'a delete of bob\'s alert rules in alice\'s scope matches none').toEqual([]);
    const aliceBalances = await queryRows<{ n: string }>(app.database.db, sql`select count(*)::text as n from balances b join portfolios p on p.id = b.portfolio_id where p.user_id = ${alice.id}::uuid`);
    expect(touched.balances.length, 'an unfiltered update of balances in alice\'s scope reached only her balances').toBe(Number(aliceBalances[0]!.n));
    expect(await ownedIds('orders', 'x.user_id = $USER', bob.id), 'bob\'s orders are still there').toEqual(bobOrders);
    expect(await ownedIds('positions', 'x.user_id = $USER', bob.id), 'bob\'s positions are still there').toEqual(bobPositions);
    expect(
      await queryRows(app.database.db, sql`select b.id::text as id, b.free::text as free from balances b join portfolios p on p.id = b.portfolio_id where p.user_id = ${bob.id}::uuid order by b.id`),
      'bob\'s balances did not move',
    ).toEqual(bobBalances);
    const hijacked = await queryRows(app.database.db, sql`select id from orders where reject_reason = 'hijacked'`);
    expect(hijacked, 'no order of bob\'s carries the hijacker\'s reject reason').toEqual([]);
  });

  it('inserting a row for another user, or handing a row over to them, is refused', async () => {
    const [bobPortfolio] = await queryRows<{ id: string }>(app.database.db, sql`select id::text as id from portfolios where user_id = ${bob.id}::uuid limit 1`);
    const attempts: Array<[what: string, run: (tx: Executor) => Promise<unknown>]> = [
      ['an alert for bob', (tx) => tx.execute(sql`insert into alerts (user_id, title, message) values (${bob.id}::uuid, 'spoofed', 'spoofed')`)],
      ['a balance in bob\'s portfolio', (tx) => tx.execute(sql`insert into balances (portfolio_id, asset, free, locked) values (${bobPortfolio!.id}::uuid, 'SPOOF', 1, 0)`)],
      ['a portfolio for bob', (tx) => tx.execute(sql`insert into portfolios (user_id, name, base_currency) values (${bob.id}::uuid, 'spoofed', 'USDT')`)],
      ['alice\'s alert handed to bob', (tx) => tx.execute(sql`update alerts set user_id = ${bob.id}::uuid where user_id = ${alice.id}::uuid`)],
    ];
    for (const [what, run] of attempts) {
      const err = await withActingUser(app.database.db, alice.id, run).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(sqlState(err), `${what} in alice's scope violates the row-level security policy`).toBe('42501');
    }
    const spoofed = await queryRows(app.database.db, sql`select id from alerts where title = 'spoofed' union all select id from balances where asset = 'SPOOF' union all select id from portfolios where name = 'spoofed'`);
    expect(spoofed, 'nothing of the refused writes was stored').toEqual([]);
    const aliceAlerts = await ownedIds('alerts', 'x.user_id = $USER', alice.id);
    expect(aliceAlerts.length, 'alice still owns her alert').toBeGreaterThan(0);
  });

  it('the scoped service reads return the acting user\'s rows', async () => {
    const unscoped = async (q: ReturnType<typeof sql>): Promise<string[]> => (await queryRows<{ id: string }>(app.database.db, q)).map((r) => r.id).sort();
    for (const [user, actor] of [[alice, actorA], [bob, actorB]] as const) {
      const portfolios = await app.services.portfolio.listPortfolios(actor);
      expect(portfolios.map((p) => p.id).sort(), 'list-portfolios').toEqual(await unscoped(sql`select id::text as id from portfolios where user_id = ${user.id}::uuid`));
      const orders = await app.services.trading.getOrders(actor, { status: 'all' });
      expect(orders.orders.map((o) => o.id).sort(), 'list-orders').toEqual(await unscoped(sql`select id::text as id from orders where user_id = ${user.id}::uuid`));
      const trades = await app.services.trading.getTrades(actor, {});
      expect(trades.trades.map((t) => t.id).sort(), 'get-trades').toEqual(await unscoped(sql`select id::text as id from trades where user_id = ${user.id}::uuid`));
      const positions = await app.services.portfolio.getPositions(actor, {});
      expect(positions.positions.map((p) => p.id).sort(), 'get-positions').toEqual(
        await unscoped(sql`select id::text as id from positions where user_id = ${user.id}::uuid and status = 'open'`),
      );
      const balances = await app.services.portfolio.getBalances(actor, {});
      expect(balances.balances.map((b) => b.asset).sort(), 'get-balances').toEqual(['SOL', 'USDT']);
      const portfolio = await app.services.portfolio.getPortfolio(actor, {});
      expect([portfolio.id, portfolio.openPositions, portfolio.openOrders], 'get-portfolio').toEqual([positions.portfolioId, 1, 1]);
    }
  });

  it('those service reads run under the policies: with the policies shut they see nothing', async () => {
    const shut = ['portfolios', 'orders', 'trades', 'positions'];
    const policies = async (using: 'false' | 'mikey_row_visible("user_id")'): Promise<void> => {
      for (const t of shut) await app.database.db.execute(sql.raw(`alter policy "${t}_owner" on "${t}" using (${using})`));
    };
    await policies('false');
    try {
      expect(await app.services.portfolio.listPortfolios(actorA), 'list-portfolios').toEqual([]);
      expect((await app.services.trading.getOrders(actorA, { status: 'all' })).orders, 'list-orders').toEqual([]);
      expect((await app.services.trading.getTrades(actorA, {})).trades, 'get-trades').toEqual([]);
      expect((await app.services.portfolio.getPositions(actorA, {})).positions, 'get-positions').toEqual([]);
      const portfolio = await app.services.portfolio.getPortfolio(actorA, {}).catch((e: unknown) => e);
      expect((portfolio as Error).message, 'get-portfolio loads the account in the scope, so the shut portfolio is not found').toMatch(/not found/);
      const unscoped = await queryRows<{ n: string }>(app.database.db, sql`select count(*)::text as n from orders where user_id = ${alice.id}::uuid`);
      expect(Number(unscoped[0]!.n), 'unscoped reads (superuser) are not subject to the policies').toBeGreaterThan(0);
    } finally {
      await policies('mikey_row_visible("user_id")');
    }
    expect((await app.services.trading.getOrders(actorA, { status: 'all' })).orders.length, 'the restored policy lets her orders through again').toBeGreaterThan(0);
  });

  it('every table with a user_id column forces row-level security and has an owner policy', async () => {
    const rows = await queryRows<{ table: string; rls: boolean; forced: boolean; policies: string[] }>(
      app.database.db,
      sql`select c.relname as table, c.relrowsecurity as rls, c.relforcerowsecurity as forced,
            coalesce(array_agg(p.polname::text) filter (where p.polname is not null), '{}') as policies
          from pg_class c
          join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
          left join pg_policy p on p.polrelid = c.oid
          where c.relkind in ('r', 'p')
            and (exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'user_id' and not a.attisdropped)
                 or c.relname in ('users', 'balances', 'ledger_entries', 'portfolio_snapshots', 'conversation_messages', 'bot_performance', 'backtest_fills'))
          group by 1, 2, 3 order by 1`,
    );
    expect(rows.length, 'the user-owned tables were found').toBeGreaterThan(30);
    const unprotected = rows.filter((r) => !r.rls || !r.forced || r.policies.length === 0).map((r) => r.table);
    expect(unprotected, 'tables with a user_id column but without a forced RLS policy (see drizzle/0010_row_level_security.sql)').toEqual([]);
    const grants = await queryRows<{ table: string }>(
      app.database.db,
      sql`select c.relname as table from pg_class c join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
          where c.relkind in ('r', 'p', 'v') and not has_table_privilege(${ACTING_ROLE}, c.oid, 'SELECT, INSERT, UPDATE, DELETE')`,
    );
    expect(grants, 'the acting role may reach every table (the policies decide the rows)').toEqual([]);
  });
});

describe('a scope never outlives its transaction', () => {
  let one: Database;
  beforeAll(async () => {
    // One pooled connection on Postgres: the query after the scope provably runs where the scope ran.
    one = await createTestDatabase({ poolMax: 1 });
  });
  afterAll(async () => one?.close());

  const session = async (): Promise<{ pid: number; who: string; acting: string | null }> => {
    const [r] = await queryRows<{ pid: number; who: string; acting: string | null }>(
      one.db,
      sql`select pg_backend_pid() as pid, current_user::text as who, current_setting('mikey.user_id', true) as acting`,
    );
    return r!;
  };

  it('after a committed or a failed scope the same connection has its own role and no acting user', async () => {
    const before = await session();
    const userId = '00000000-0000-4000-8000-00000000000a';
    const inside = await withActingUser(one.db, userId, async (tx) => (await queryRows<{ pid: number }>(tx, sql`select pg_backend_pid() as pid`))[0]!.pid);
    expect(inside, 'the scope ran on the only pooled connection').toBe(before.pid);
    const afterCommit = await session();
    expect(afterCommit.pid, 'the unscoped query ran on the same connection').toBe(before.pid);
    expect(afterCommit.who, 'the role ended with the committed transaction').toBe(before.who);
    expect(afterCommit.who).not.toBe(ACTING_ROLE);
    expect(afterCommit.acting ?? '', 'the acting user ended with the committed transaction').toBe('');

    const failed = await withActingUser(one.db, userId, async (tx) => {
      await tx.execute(sql`select 1`);
      throw new Error('scope failed');
    }).catch((e: unknown) => e);
    expect((failed as Error).message).toBe('scope failed');
    const afterRollback = await session();
    expect(afterRollback, 'the role and setting ended with the rolled back transaction').toEqual({ ...before, acting: afterRollback.acting });
    expect(afterRollback.acting ?? '', 'no acting user after a failed scope').toBe('');
  });

  it('refuses a user id that is not a uuid', async () => {
    await expect(withActingUser(one.db, "x' or true --", async () => 1)).rejects.toThrow(/uuid/);
  });
});
