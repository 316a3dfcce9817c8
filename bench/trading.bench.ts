// Trading figures. Paper market orders through the whole path — validate → risk → transaction
// (order, reservation, ledger, audit) → paper fill → transaction (trade, order, ledger, position,
// audit) — sequential and 8-way concurrent, on PGlite and on Postgres, in orders/s; each beside a bare
// loop of the minimal SQL the same orders need (the same inserts and updates in the same two
// transactions, through the raw driver, no domain logic) measured in the same run. Also getPortfolio
// latency with 100 open positions and 10,000 trades, beside the plain reads it needs.
import { randomUUID } from 'node:crypto';
import type { PgliteClient } from '../src/db/pglite-worker.js';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { ManualPriceFeed } from '../src/adapters/manual-price-feed.js';
import { PaperBroker } from '../src/adapters/paper-broker/index.js';
import { openDatabase, type Database } from '../src/db/client.js';
import { migrateDatabase } from '../src/db/migrate.js';
import { DEFAULT_MARKETS, type Market } from '../src/domain/market.js';
import { dec } from '../src/domain/money.js';
import { systemClock } from '../src/adapters/system-clock.js';
import { createLogger } from '../src/log.js';
import { actorFor, type Actor } from '../src/services/actor.js';
import { EventBus } from '../src/services/events.js';
import { DbMarketCatalog, StaticMarketCatalog, type MarketCatalog } from '../src/services/markets.js';
import { PortfolioService } from '../src/services/portfolio/portfolio-service.js';
import { RiskService } from '../src/services/risk/risk-service.js';
import { PriceGuard } from '../src/services/trading/price-guard.js';
import { TradingService } from '../src/services/trading/trading-service.js';
import { createUser } from '../src/services/users.js';
import { higherIsBetter, lowerIsBetter, percentile, timeRuns, type BenchFigure, type BenchModule, scratchPostgres } from './lib.js';

const SEQ_ORDERS = 300;
const CONC_WORKERS = 8;
const CONC_ORDERS_EACH = 50;
const ROUNDS = 5;

interface Stack {
  trading: TradingService;
  portfolio: PortfolioService;
  feed: ManualPriceFeed;
  markets: MarketCatalog;
}

function buildStack(database: Database, markets: MarketCatalog): Stack {
  const logger = createLogger('error');
  const events = new EventBus(logger);
  const feed = new ManualPriceFeed({ source: 'exchange', simulated: false });
  const guard = new PriceGuard({ clock: systemClock, markets, maxQuoteAgeMs: 3_600_000 });
  const broker = new PaperBroker({ feed, markets, guard, logger });
  const portfolio = new PortfolioService({ db: database.db, clock: systemClock, logger, events, prices: feed, markets });
  const risk = new RiskService({ db: database.db, clock: systemClock, logger, events, markets, portfolios: portfolio });
  const trading = new TradingService({ db: database.db, clock: systemClock, logger, events, markets, prices: feed, broker, portfolios: portfolio, risk, guard });
  for (const m of markets.list()) feed.set(m.symbol, m.base === 'BTC' ? '65000' : '100', { bid: m.base === 'BTC' ? '65000' : '100', ask: m.base === 'BTC' ? '65000' : '100' });
  return { trading, portfolio, feed, markets };
}

async function newAccount(database: Database, s: Stack, tag: string): Promise<{ actor: Actor; portfolioId: string }> {
  const u = await createUser(database.db, { username: `bench_${tag}_${randomUUID().slice(0, 8)}` });
  const actor = actorFor(u.id, 'terminal');
  const p = await s.portfolio.createPortfolio(actor, { name: 'bench', startingCash: '1000000000', autoConfirm: true });
  return { actor, portfolioId: p.id };
}

// ---------------------------------------------------------------------------------------------
// The bare reference: the same rows written by the raw driver.

interface RawSession {
  tx<T>(fn: (q: (text: string, params: unknown[]) => Promise<Array<Record<string, unknown>>>) => Promise<T>): Promise<T>;
}

function pgliteSession(p: PgliteClient): RawSession {
  return {
    tx: (fn) => p.transaction((t) => fn(async (text, params) => (await t.query<Record<string, unknown>>(text, params)).rows)),
  };
}

function pgSession(pool: pg.Pool): RawSession {
  return {
    async tx(fn) {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        const r = await fn(async (text, params) => (await c.query(text, params)).rows);
        await c.query('COMMIT');
        return r;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        c.release();
      }
    },
  };
}

/** One market buy of 0.001 BTC at 65000, written as bare SQL: what the service writes, without deciding anything. */
async function bareOrder(session: RawSession, userId: string, portfolioId: string, positionId: string): Promise<void> {
  const orderId = randomUUID();
  const reserve = '65.39';
  await session.tx(async (q) => {
    await q(
      `insert into orders (id, user_id, portfolio_id, client_order_id, symbol, side, order_type, status, time_in_force, quantity, reserved_asset, reserved_amount, leverage)
       values ($1, $2, $3, $4, 'BTC/USDT', 'buy', 'market', 'pending', 'ioc', 0.001, 'USDT', $5, 1)`,
      [orderId, userId, portfolioId, `bare-${orderId}`, reserve],
    );
    const [b] = await q(`update balances set free = free - $1, locked = locked + $1 where portfolio_id = $2 and asset = 'USDT' returning free, locked`, [reserve, portfolioId]);
    await q(
      `insert into ledger_entries (portfolio_id, asset, free_delta, locked_delta, free_after, locked_after, reason, ref_type, ref_id) values ($1, 'USDT', -$2::numeric, $2, $3, $4, 'reserve', 'order', $5)`,
      [portfolioId, reserve, b!.free, b!.locked, orderId],
    );
    await q(`insert into audit_logs (trace_id, actor_user_id, actor_type, action, entity_type, entity_id, new_value) values ($1, $2, 'user', 'order.place', 'order', $3, $4)`, [
      randomUUID(), userId, orderId, JSON.stringify({ symbol: 'BTC/USDT', side: 'buy', quantity: '0.001' }),
    ]);
  });
  await session.tx(async (q) => {
    await q(
      `insert into trades (order_id, portfolio_id, user_id, exchange_trade_id, symbol, side, quantity, price, quote_quantity, fee, fee_asset, liquidity)
       values ($1, $2, $3, $4, 'BTC/USDT', 'buy', 0.001, 65000, 65, 0.065, 'USDT', 'taker')`,
      [orderId, portfolioId, userId, `bare-${orderId}-1`],
    );
    await q(`update orders set status = 'filled', filled_quantity = 0.001, average_fill_price = 65000, fee = 0.065, reserved_amount = 0, position_id = $2 where id = $1`, [orderId, positionId]);
    const bs = await q(
      `update balances b set free = b.free + v.df, locked = b.locked + v.dl from (values ('USDT', 0.325::numeric, -65.39::numeric), ('BTC', 0.001::numeric, 0::numeric)) as v(asset, df, dl)
       where b.portfolio_id = $1 and b.asset = v.asset returning b.asset, b.free, b.locked`,
      [portfolioId],
    );
    const usdt = bs.find((r) => r.asset === 'USDT')!;
    const btc = bs.find((r) => r.asset === 'BTC')!;
    await q(
      `insert into ledger_entries (portfolio_id, asset, free_delta, locked_delta, free_after, locked_after, reason, ref_type, ref_id) values
       ($1, 'USDT', 0, -65, $2, $3, 'trade_debit', 'order', $6), ($1, 'BTC', 0.001, 0, $4, $5, 'trade_credit', 'order', $6),
       ($1, 'USDT', 0, -0.065, $2, $3, 'fee', 'order', $6), ($1, 'USDT', 0.325, -0.325, $2, $3, 'release', 'order', $6)`,
      [portfolioId, usdt.free, usdt.locked, btc.free, btc.locked, orderId],
    );
    await q(`update positions set quantity = quantity + 0.001, fees_paid = fees_paid + 0.065, updated_at = now() where id = $1`, [positionId]);
    await q(`insert into audit_logs (trace_id, actor_user_id, actor_type, action, entity_type, entity_id, new_value) values ($1, $2, 'system', 'order.fill', 'order', $3, $4)`, [
      randomUUID(), userId, orderId, JSON.stringify({ status: 'filled', fills: [{ quantity: '0.001', price: '65000' }] }),
    ]);
  });
}

async function bareAccount(database: Database, s: Stack, session: RawSession, tag: string): Promise<{ userId: string; portfolioId: string; positionId: string }> {
  const { actor, portfolioId } = await newAccount(database, s, tag);
  // One real order creates the BTC balance row and the position the bare loop then updates.
  await s.trading.placeOrder(actor, { symbol: 'BTC/USDT', side: 'buy', quantity: '0.001', portfolioId });
  const [pos] = await session.tx((q) => q(`select id from positions where portfolio_id = $1 and status = 'open'`, [portfolioId]));
  return { userId: actor.userId, portfolioId, positionId: String(pos!.id) };
}

async function throughput(label: string, database: Database, session: RawSession, log: (m: string) => void): Promise<BenchFigure[]> {
  const markets = await DbMarketCatalog.load(database.db, { exchange: 'sim' });
  const s = buildStack(database, markets);
  const figures: BenchFigure[] = [];

  // Sequential.
  const acct = await newAccount(database, s, 'seq');
  const bare = await bareAccount(database, s, session, 'bare');
  for (let i = 0; i < 30; i++) {
    await s.trading.placeOrder(acct.actor, { symbol: 'BTC/USDT', side: 'buy', quantity: '0.001', portfolioId: acct.portfolioId });
    await bareOrder(session, bare.userId, bare.portfolioId, bare.positionId);
  }
  // Alternate rounds of ours and bare so drift (caches, table growth, other load on the machine) hits
  // both alike; report the best round of each.
  const seqRounds = { ours: [] as number[], bare: [] as number[] };
  const perRound = SEQ_ORDERS / ROUNDS;
  for (let round = 0; round < ROUNDS; round++) {
    let t = performance.now();
    for (let i = 0; i < perRound; i++) await s.trading.placeOrder(acct.actor, { symbol: 'BTC/USDT', side: 'buy', quantity: '0.001', portfolioId: acct.portfolioId });
    seqRounds.ours.push((perRound / (performance.now() - t)) * 1000);
    t = performance.now();
    for (let i = 0; i < perRound; i++) await bareOrder(session, bare.userId, bare.portfolioId, bare.positionId);
    seqRounds.bare.push((perRound / (performance.now() - t)) * 1000);
  }
  const oursRate = Math.max(...seqRounds.ours);
  const bareRate = Math.max(...seqRounds.bare);
  log(`${label} sequential: ${oursRate.toFixed(1)} orders/s (bare SQL ${bareRate.toFixed(1)}); rounds ours ${seqRounds.ours.map((x) => x.toFixed(0)).join('/')} bare ${seqRounds.bare.map((x) => x.toFixed(0)).join('/')}`);
  figures.push(higherIsBetter(`trading.paper_orders.sequential.${label}`, oursRate, 'orders/s', bareRate, `full path vs the bare SQL of the same rows (raw driver), best of ${ROUNDS} alternating rounds`));

  // 8-way concurrent, one account per worker.
  const ours = await Promise.all(Array.from({ length: CONC_WORKERS }, (_, i) => newAccount(database, s, `c${i}`)));
  const bares = await Promise.all(Array.from({ length: CONC_WORKERS }, (_, i) => bareAccount(database, s, session, `cb${i}`)));
  const concRounds = { ours: [] as number[], bare: [] as number[] };
  const each = CONC_ORDERS_EACH / ROUNDS;
  const n = CONC_WORKERS * each;
  for (let round = 0; round < ROUNDS; round++) {
    let t = performance.now();
    await Promise.all(
      ours.map(async (a) => {
        for (let i = 0; i < each; i++) await s.trading.placeOrder(a.actor, { symbol: 'BTC/USDT', side: 'buy', quantity: '0.001', portfolioId: a.portfolioId });
      }),
    );
    concRounds.ours.push((n / (performance.now() - t)) * 1000);
    t = performance.now();
    await Promise.all(
      bares.map(async (b) => {
        for (let i = 0; i < each; i++) await bareOrder(session, b.userId, b.portfolioId, b.positionId);
      }),
    );
    concRounds.bare.push((n / (performance.now() - t)) * 1000);
  }
  const oc = Math.max(...concRounds.ours);
  const bc = Math.max(...concRounds.bare);
  log(`${label} 8-way: ${oc.toFixed(1)} orders/s (bare SQL ${bc.toFixed(1)}); rounds ours ${concRounds.ours.map((x) => x.toFixed(0)).join('/')} bare ${concRounds.bare.map((x) => x.toFixed(0)).join('/')}`);
  figures.push(higherIsBetter(`trading.paper_orders.concurrent8.${label}`, oc, 'orders/s', bc, `8 accounts in parallel vs the bare SQL of the same rows, best of ${ROUNDS} alternating rounds`));
  return figures;
}

// ---------------------------------------------------------------------------------------------
// getPortfolio with 100 open positions and 10,000 trades.

async function portfolioLatency(label: string, database: Database, session: RawSession, log: (m: string) => void): Promise<BenchFigure[]> {
  const extra: Market[] = Array.from({ length: 100 }, (_, i) => ({
    symbol: `T${String(i).padStart(3, '0')}/USDT`, base: `T${String(i).padStart(3, '0')}`, quote: 'USDT', kind: 'spot' as const, exchange: 'bench',
    tickSize: dec('0.01'), stepSize: dec('0.001'), minQty: dec('0.001'), minNotional: dec('5'),
  }));
  const markets = new StaticMarketCatalog([...DEFAULT_MARKETS, ...extra]);
  const s = buildStack(database, markets);
  const { actor, portfolioId } = await newAccount(database, s, 'pf');
  const uid = actor.userId;
  await database.db.execute(sql`
    insert into balances (portfolio_id, asset, free, locked)
      select ${portfolioId}::uuid, 'T' || lpad(g::text, 3, '0'), 10, 0 from generate_series(0, 99) g;
    `);
  await database.db.execute(sql`
    insert into positions (user_id, portfolio_id, symbol, kind, side, status, quantity, entry_price, leverage, realized_pnl, fees_paid, opened_at)
      select ${uid}::uuid, ${portfolioId}::uuid, 'T' || lpad(g::text, 3, '0') || '/USDT', 'spot', 'long', 'open', 10, 95, 1, 0, 0.95, now() - interval '2 days'
      from generate_series(0, 99) g;
    `);
  await database.db.execute(sql`
    insert into positions (user_id, portfolio_id, symbol, kind, side, status, quantity, entry_price, exit_price, leverage, realized_pnl, fees_paid, opened_at, closed_at)
      select ${uid}::uuid, ${portfolioId}::uuid, 'T' || lpad((g % 100)::text, 3, '0') || '/USDT', 'spot', 'long', 'closed', 0, 90, 95, 1, 5, 0.2, now() - interval '5 days', now() - interval '3 days'
      from generate_series(0, 499) g;
    `);
  await database.db.execute(sql`
    insert into orders (id, user_id, portfolio_id, client_order_id, symbol, side, order_type, status, quantity, filled_quantity, average_fill_price, leverage)
      select md5('bench-order-' || g || ${portfolioId})::uuid, ${uid}::uuid, ${portfolioId}::uuid, 'bench-' || ${portfolioId} || '-' || g,
             'T' || lpad((g % 100)::text, 3, '0') || '/USDT', 'buy', 'market', 'filled', 1, 1, 95, 1
      from generate_series(0, 999) g;
    `);
  await database.db.execute(sql`
    insert into trades (order_id, portfolio_id, user_id, exchange_trade_id, symbol, side, quantity, price, quote_quantity, fee, fee_asset, executed_at)
      select md5('bench-order-' || (g / 10) || ${portfolioId})::uuid, ${portfolioId}::uuid, ${uid}::uuid, 'bench-t-' || ${portfolioId} || '-' || g,
             'T' || lpad(((g / 10) % 100)::text, 3, '0') || '/USDT', 'buy', 0.1, 95, 9.5, 0.0095, 'USDT', now() - (g || ' minutes')::interval
      from generate_series(0, 9999) g;
    `);
  await database.db.execute(sql`analyze`);
  for (let i = 0; i < 20; i++) await s.portfolio.getPortfolio(actor, { portfolioId });
  const check = await s.portfolio.getPortfolio(actor, { portfolioId });
  if (check.openPositions !== 100) throw new Error(`bench setup: expected 100 open positions, got ${check.openPositions}`);
  const ours = await timeRuns(300, () => s.portfolio.getPortfolio(actor, { portfolioId }));
  const bare = await timeRuns(300, () =>
    session.tx(async (q) => {
      await q(`select * from portfolios where id = $1 and user_id = $2`, [portfolioId, uid]);
      await q(`select asset, free, locked from balances where portfolio_id = $1`, [portfolioId]);
      await q(`select * from positions where portfolio_id = $1 and status = 'open'`, [portfolioId]);
      await q(`select sum(realized_pnl), sum(fees_paid), sum(funding_paid), count(*) from positions where portfolio_id = $1 and status <> 'open'`, [portfolioId]);
      await q(`select count(*) from orders where portfolio_id = $1 and status in ('pending', 'open', 'partially_filled')`, [portfolioId]);
    }),
  );
  log(`${label} getPortfolio: p50 ${percentile(ours, 50).toFixed(2)} ms, p99 ${percentile(ours, 99).toFixed(2)} ms (bare reads p50 ${percentile(bare, 50).toFixed(2)}, p99 ${percentile(bare, 99).toFixed(2)})`);
  const note = '100 open positions, 500 closed, 10,000 trades; reference: the plain reads it needs (portfolio, balances, open positions, closed totals, open orders)';
  return [
    lowerIsBetter(`trading.get_portfolio.p50.${label}`, percentile(ours, 50), 'ms', percentile(bare, 50), note),
    lowerIsBetter(`trading.get_portfolio.p99.${label}`, percentile(ours, 99), 'ms', percentile(bare, 99), note),
  ];
}

const bench: BenchModule = async (ctx) => {
  const figures: BenchFigure[] = [];

  const lite = await openDatabase({});
  await migrateDatabase(lite);
  const liteSession = pgliteSession(lite.pglite!);
  figures.push(...(await throughput('pglite', lite, liteSession, ctx.log)));
  figures.push(...(await portfolioLatency('pglite', lite, liteSession, ctx.log)));
  await lite.close();

  if (ctx.postgresUrl) {
    const scratch = await scratchPostgres(ctx.postgresUrl, 'mikey_bench_trading', 16);
    const database = scratch.database;
    try {
      const session = pgSession(database.pool!);
      figures.push(...(await throughput('postgres', database, session, ctx.log)));
      figures.push(...(await portfolioLatency('postgres', database, session, ctx.log)));
    } finally {
      await scratch.close();
    }
  } else {
    ctx.log('no BENCH_DATABASE_URL/TEST_DATABASE_URL: Postgres figures skipped');
  }
  return figures;
};
export default bench;
