// One-account throughput (issue 15 §2). 200 market buys from one account at once, through the whole
// order path on Postgres (validate → price guard → risk → reserve → paper fill → settle), in orders/s;
// beside a bare reference measured in the same run: the same 200 orders as bare SQL through the raw
// driver and the same pool, one transaction per order that takes the same row lock first
// (`select … for update` on the account's USDT and BTC balance rows) and then writes the order, the
// trade, the ledger entries, the balances, the position and an audit row. The bare side decides
// nothing, so the ratio is how much of the convoy on the balance rows is SQL and how much is ours.
// Postgres only: PGlite has one connection, so nothing there runs concurrently.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { ManualPriceFeed } from '../src/adapters/manual-price-feed.js';
import { PaperBroker } from '../src/adapters/paper-broker/index.js';
import { systemClock } from '../src/adapters/system-clock.js';
import { openDatabase, type Database } from '../src/db/client.js';
import { migrateDatabase } from '../src/db/migrate.js';
import { createLogger } from '../src/log.js';
import { actorFor, type Actor } from '../src/services/actor.js';
import { EventBus } from '../src/services/events.js';
import { DbMarketCatalog } from '../src/services/markets.js';
import { PortfolioService } from '../src/services/portfolio/portfolio-service.js';
import { RiskService } from '../src/services/risk/risk-service.js';
import { PriceGuard } from '../src/services/trading/price-guard.js';
import { TradingService } from '../src/services/trading/trading-service.js';
import { createUser } from '../src/services/users.js';
import { higherIsBetter, type BenchFigure, type BenchModule } from './lib.js';

const ORDERS = 200;
const ROUNDS = 3;
/** The pool both sides share (the app's default is 10; MIKEY_DB_POOL_MAX raises it). */
const POOL_MAX = 20;

async function account(database: Database, portfolio: PortfolioService, tag: string): Promise<{ actor: Actor; portfolioId: string }> {
  const u = await createUser(database.db, { username: `tp_${tag}_${randomUUID().slice(0, 8)}` });
  const actor = actorFor(u.id, 'terminal');
  const p = await portfolio.createPortfolio(actor, { name: 'throughput', startingCash: '1000000000', autoConfirm: true });
  return { actor, portfolioId: p.id };
}

/** One market buy of 0.001 BTC at 65000 as bare SQL: lock the balance rows, then write what the order writes. */
async function bareOrder(pool: pg.Pool, userId: string, portfolioId: string, positionId: string): Promise<void> {
  const orderId = randomUUID();
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    const locked = await c.query<{ asset: string; free: string; locked: string }>(
      `select asset, free::text as free, locked::text as locked from balances where portfolio_id = $1 and asset in ('BTC', 'USDT') order by asset for update`,
      [portfolioId],
    );
    if (locked.rows.length !== 2) throw new Error('bench setup: the account needs its BTC and USDT rows');
    await c.query(
      `insert into orders (id, user_id, portfolio_id, client_order_id, symbol, side, order_type, status, time_in_force, quantity, filled_quantity, average_fill_price, fee, fee_asset, reserved_amount, leverage, position_id)
       values ($1, $2, $3, $4, 'BTC/USDT', 'buy', 'market', 'filled', 'ioc', 0.001, 0.001, 65000, 0.065, 'USDT', 0, 1, $5)`,
      [orderId, userId, portfolioId, `bare${orderId.replaceAll('-', '')}`, positionId],
    );
    await c.query(
      `insert into trades (order_id, portfolio_id, user_id, exchange_trade_id, symbol, side, quantity, price, quote_quantity, fee, fee_asset, liquidity)
       values ($1, $2, $3, $4, 'BTC/USDT', 'buy', 0.001, 65000, 65, 0.065, 'USDT', 'taker')`,
      [orderId, portfolioId, userId, `bare-${orderId}-1`],
    );
    const bs = await c.query<{ asset: string; free: string; locked: string }>(
      `update balances b set free = b.free + v.df, updated_at = now() from (values ('USDT', -65.065::numeric), ('BTC', 0.001::numeric)) as v(asset, df)
       where b.portfolio_id = $1 and b.asset = v.asset returning b.asset, b.free::text as free, b.locked::text as locked`,
      [portfolioId],
    );
    const usdt = bs.rows.find((r) => r.asset === 'USDT')!;
    const btc = bs.rows.find((r) => r.asset === 'BTC')!;
    await c.query(
      `insert into ledger_entries (portfolio_id, asset, free_delta, locked_delta, free_after, locked_after, reason, ref_type, ref_id) values
       ($1, 'USDT', -65, 0, $2, $3, 'trade_debit', 'order', $6), ($1, 'BTC', 0.001, 0, $4, $5, 'trade_credit', 'order', $6),
       ($1, 'USDT', -0.065, 0, $2, $3, 'fee', 'order', $6)`,
      [portfolioId, usdt.free, usdt.locked, btc.free, btc.locked, orderId],
    );
    await c.query(`update positions set quantity = quantity + 0.001, fees_paid = fees_paid + 0.065, updated_at = now() where id = $1`, [positionId]);
    await c.query(`insert into audit_logs (trace_id, actor_user_id, actor_type, action, entity_type, entity_id, new_value) values ($1, $2, 'user', 'order.fill', 'order', $3, $4)`, [
      randomUUID(), userId, orderId, JSON.stringify({ symbol: 'BTC/USDT', side: 'buy', quantity: '0.001', price: '65000' }),
    ]);
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
}

async function rate(fn: (i: number) => Promise<unknown>): Promise<number> {
  const t = performance.now();
  const settled = await Promise.allSettled(Array.from({ length: ORDERS }, (_, i) => fn(i)));
  const ms = performance.now() - t;
  const failed = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed.length > 0) throw new Error(`${failed.length} of ${ORDERS} orders failed; first: ${String(failed[0]!.reason)}`);
  return (ORDERS / ms) * 1000;
}

const bench: BenchModule = async (ctx) => {
  if (!ctx.postgresUrl) {
    ctx.log('no BENCH_DATABASE_URL/TEST_DATABASE_URL: one-account throughput needs Postgres, skipped');
    return [];
  }
  const name = `mikey_bench_throughput_${Date.now()}`;
  const admin = new pg.Client({ connectionString: ctx.postgresUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(ctx.postgresUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ url: url.toString(), poolMax: POOL_MAX });
  try {
    await migrateDatabase(database);
    const logger = createLogger('error');
    const events = new EventBus(logger);
    const markets = await DbMarketCatalog.load(database.db, { exchange: 'sim' });
    const feed = new ManualPriceFeed({ source: 'exchange', simulated: false });
    const guard = new PriceGuard({ clock: systemClock, markets, maxQuoteAgeMs: 3_600_000 });
    const broker = new PaperBroker({ feed, markets, guard, logger });
    const portfolio = new PortfolioService({ db: database.db, clock: systemClock, logger, events, prices: feed, markets });
    const risk = new RiskService({ db: database.db, clock: systemClock, logger, events, markets, portfolios: portfolio });
    const trading = new TradingService({ db: database.db, clock: systemClock, logger, events, markets, prices: feed, broker, portfolios: portfolio, risk, guard });
    feed.set('BTC/USDT', '65000', { bid: '65000', ask: '65000' });
    const buy = (a: { actor: Actor; portfolioId: string }) => trading.placeOrder(a.actor, { symbol: 'BTC/USDT', side: 'buy', quantity: '0.001', portfolioId: a.portfolioId });

    // Bare account: one real order creates its BTC balance row and the position the bare SQL updates.
    const bareAcct = await account(database, portfolio, 'bare');
    await buy(bareAcct);
    const pos = await database.pool!.query<{ id: string }>(`select id from positions where portfolio_id = $1 and status = 'open'`, [bareAcct.portfolioId]);
    const positionId = pos.rows[0]!.id;
    // Warm both paths (connections, plans, the paper broker's fee cache).
    const ours = await account(database, portfolio, 'ours');
    for (let i = 0; i < 20; i++) {
      await buy(ours);
      await bareOrder(database.pool!, bareAcct.actor.userId, bareAcct.portfolioId, positionId);
    }
    // Alternate rounds so drift (table growth, other load on the machine) hits both alike; best of each.
    const r = { ours: [] as number[], bare: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      r.ours.push(await rate(() => buy(ours)));
      r.bare.push(await rate(() => bareOrder(database.pool!, bareAcct.actor.userId, bareAcct.portfolioId, positionId)));
    }
    const o = Math.max(...r.ours);
    const b = Math.max(...r.bare);
    ctx.log(`postgres ${ORDERS} concurrent buys, one account: ${o.toFixed(1)} orders/s (bare SQL ${b.toFixed(1)}, ratio ${(o / b).toFixed(2)}); rounds ours ${r.ours.map((x) => x.toFixed(0)).join('/')} bare ${r.bare.map((x) => x.toFixed(0)).join('/')}`);
    const figures: BenchFigure[] = [
      higherIsBetter(
        'trading.one_account.concurrent200.postgres',
        o,
        'orders/s',
        b,
        `${ORDERS} market buys at once from one account, pool ${POOL_MAX}, vs bare SQL of the same rows under the same balance-row lock (one transaction per order), best of ${ROUNDS} alternating rounds; target ratio ≥ 0.33`,
      ),
    ];
    return figures;
  } finally {
    await database.close();
    await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
    await admin.end();
  }
};
export default bench;
