// A whole trading stack on a test database: a manual clock, a manual price feed (and oracle), the
// paper broker, the portfolio, risk and trading services and the engine on a hand-stepped timer.
// `restart()` builds a fresh stack (new broker memory, new services) on the same database — what a
// process restart looks like. `checkBooks()` asserts the money invariants after any scenario.
import { sql } from 'drizzle-orm';
import { expect } from 'vitest';
import { ManualPriceFeed } from '../../../src/adapters/manual-price-feed.js';
import { PaperBroker, type PaperBrokerFaults } from '../../../src/adapters/paper-broker/index.js';
import { queryRows, type Database } from '../../../src/db/client.js';
import { DEFAULT_MARKETS } from '../../../src/domain/market.js';
import type { SlippageModel } from '../../../src/domain/matching.js';
import { dec, ZERO } from '../../../src/domain/money.js';
import type { Clock } from '../../../src/domain/ports.js';
import { createLogger, type Logger } from '../../../src/log.js';
import { actorFor, type Actor } from '../../../src/services/actor.js';
import { EventBus, type MikeyEvent } from '../../../src/services/events.js';
import { DbMarketCatalog, type MarketCatalog } from '../../../src/services/markets.js';
import { PortfolioService } from '../../../src/services/portfolio/portfolio-service.js';
import { RiskService } from '../../../src/services/risk/risk-service.js';
import { TradingEngine } from '../../../src/services/trading/engine.js';
import { ManualTimer } from '../../../src/services/trading/ports.js';
import { PriceGuard, type OracleMode } from '../../../src/services/trading/price-guard.js';
import { TradingService, type OrderStep, type TradingSettings } from '../../../src/services/trading/trading-service.js';
import { createUser } from '../../../src/services/users.js';
import { createTestDatabase } from '../../support/db.js';

export class ManualClock implements Clock {
  constructor(private t: number = Date.parse('2025-03-07T12:00:00.000Z')) {}
  now(): Date {
    return new Date(this.t);
  }
  set(d: Date | string): void {
    this.t = new Date(d).getTime();
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export const ZERO_SLIPPAGE: SlippageModel = { halfSpreadBps: ZERO, slippageBps: ZERO, impactBps: ZERO, impactNotional: dec(1), maxBps: ZERO };

export interface HarnessOptions {
  database?: Database;
  clock?: ManualClock;
  feed?: ManualPriceFeed;
  oracle?: ManualPriceFeed;
  oracleMode?: OracleMode;
  slippage?: SlippageModel;
  faults?: PaperBrokerFaults;
  settings?: TradingSettings;
  hooks?: { afterStep?(step: OrderStep, info: { orderId: string; clientOrderId: string }): void | Promise<void>; beforeFillCommit?(orderId: string): void | Promise<void> };
  poolMax?: number;
  maxQuoteAgeMs?: number;
  /** Start the engine (recovery, execution reports) at once. Default true. */
  startEngine?: boolean;
  /** Use this venue instead of a new paper broker (a venue that outlived the process). */
  broker?: PaperBroker;
}

export interface Harness {
  database: Database;
  clock: ManualClock;
  feed: ManualPriceFeed;
  oracle: ManualPriceFeed | undefined;
  markets: MarketCatalog;
  broker: PaperBroker;
  guard: PriceGuard;
  portfolio: PortfolioService;
  risk: RiskService;
  trading: TradingService;
  engine: TradingEngine;
  timer: ManualTimer;
  events: EventBus;
  seen: MikeyEvent[];
  logger: Logger;
  logLines: string[];
  /** A new user and an actor for them. */
  user(name?: string): Promise<Actor>;
  /** Standard prices for the default markets (BTC 65000, ETH 3200, SOL 150 …). */
  setPrices(overrides?: Record<string, string>): void;
  /** Runs the engine's periodic work once and waits for everything it started. */
  step(): Promise<void>;
  /** A new stack on the same database (the process restarted); this one is stopped without cleanup. */
  restart(opts?: Omit<HarnessOptions, 'database' | 'clock' | 'feed'> & { keepBroker?: boolean }): Promise<Harness>;
  close(): Promise<void>;
}

export const PRICES: Record<string, string> = {
  'BTC/USDT': '65000',
  'ETH/USDT': '3200',
  'SOL/USDT': '150',
  'BNB/USDT': '600',
  'XRP/USDT': '2.2',
  'DOGE/USDT': '0.18',
  'ETH/BTC': '0.05',
  'BTC-PERP': '65000',
  'ETH-PERP': '3200',
  'SOL-PERP': '150',
};

let userSeq = 0;

export async function createHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const database = opts.database ?? (await createTestDatabase({ poolMax: opts.poolMax ?? 20 }));
  const clock = opts.clock ?? new ManualClock();
  const feed = opts.feed ?? new ManualPriceFeed({ clock, source: 'exchange', simulated: false });
  const logLines: string[] = [];
  const logger = createLogger('warn', (l) => logLines.push(l));
  const events = new EventBus(logger);
  const seen: MikeyEvent[] = [];
  events.on((e) => {
    seen.push(e);
  });
  const markets = await DbMarketCatalog.load(database.db, { exchange: 'sim' });
  const guard = new PriceGuard({
    clock,
    markets,
    maxQuoteAgeMs: opts.maxQuoteAgeMs ?? 60_000,
    ...(opts.oracle ? { oracle: opts.oracle, oracleMode: opts.oracleMode ?? 'block' } : {}),
  });
  const slippage = opts.slippage ?? ZERO_SLIPPAGE;
  const broker = opts.broker ?? new PaperBroker({ feed, markets, clock, guard, slippage, logger, books: feed, ...(opts.faults ? { faults: opts.faults } : {}) });
  const portfolio = new PortfolioService({ db: database.db, clock, logger, events, prices: feed, markets });
  const risk = new RiskService({ db: database.db, clock, logger, events, markets, portfolios: portfolio });
  const trading = new TradingService({
    db: database.db,
    clock,
    logger,
    events,
    markets,
    prices: feed,
    broker,
    portfolios: portfolio,
    risk,
    guard,
    slippage,
    ...(opts.settings ? { settings: opts.settings } : {}),
    ...(opts.hooks ? { hooks: opts.hooks } : {}),
  });
  risk.setOpeningOrderCanceller((a, ids) => trading.cancelOpeningOrders(a, ids));
  const timer = new ManualTimer();
  const engine = new TradingEngine({ db: database.db, trading, broker, prices: feed, portfolios: portfolio, risk, events, clock, logger, timer, housekeepingIntervalMs: null });
  let closed = false;
  if (opts.startEngine !== false) await engine.start();
  const h: Harness = {
    database,
    clock,
    feed,
    oracle: opts.oracle,
    markets,
    broker,
    guard,
    portfolio,
    risk,
    trading,
    engine,
    timer,
    events,
    seen,
    logger,
    logLines,
    async user(name) {
      const u = await createUser(database.db, { username: `${name ?? 'trader'}_${++userSeq}_${Math.floor(Math.random() * 1e6)}` });
      return actorFor(u.id, 'mcp-stdio');
    },
    setPrices(overrides = {}) {
      for (const [s, p] of Object.entries({ ...PRICES, ...overrides })) feed.set(s, p, { bid: p, ask: p });
      if (opts.oracle) for (const [s, p] of Object.entries({ ...PRICES, ...overrides })) opts.oracle.set(s, p, { confidence: dec(p).mul('0.001').toFixed() });
    },
    async step() {
      await timer.fire();
      await broker.idle();
      await trading.idle();
    },
    async restart(more = {}) {
      // The old process is gone: its timers and subscriptions stop, and (unless the venue outlives
      // it) the venue's memory with it.
      await engine.stop().catch(() => undefined);
      if (!more.keepBroker) broker.close();
      closed = true;
      const { keepBroker, ...rest } = more;
      return createHarness({ ...opts, faults: undefined, hooks: undefined, ...rest, database, clock, feed, startEngine: rest.startEngine ?? true, ...(keepBroker ? { broker } : {}) });
    },
    async close() {
      if (!closed) {
        await engine.stop();
        broker.close();
      }
      await database.close();
    },
  };
  return h;
}

/** Rows of a raw query (numerics as strings). */
export async function rows<T extends Record<string, unknown>>(db: Database, q: ReturnType<typeof sql>): Promise<T[]> {
  return queryRows<T>(db.db, q);
}

/**
 * The books balance: for every balance, the ledger entries sum to it and the last entry's
 * after-values equal it (reliability 7); locked funds equal what open orders reserve plus perpetual
 * margin; every order's filled quantity is the sum of its fills and never above its quantity.
 */
export async function checkBooks(db: Database, why = 'after the scenario'): Promise<void> {
  const sums = await rows<{ portfolio_id: string; asset: string; free: string; locked: string; sf: string | null; sl: string | null; fa: string | null; la: string | null }>(
    db,
    sql`select b.portfolio_id, b.asset, b.free::text as free, b.locked::text as locked,
          (select sum(free_delta)::text from ledger_entries l where l.portfolio_id = b.portfolio_id and l.asset = b.asset) as sf,
          (select sum(locked_delta)::text from ledger_entries l where l.portfolio_id = b.portfolio_id and l.asset = b.asset) as sl,
          (select free_after::text from ledger_entries l where l.portfolio_id = b.portfolio_id and l.asset = b.asset order by id desc limit 1) as fa,
          (select locked_after::text from ledger_entries l where l.portfolio_id = b.portfolio_id and l.asset = b.asset order by id desc limit 1) as la
        from balances b`,
  );
  for (const r of sums) {
    const where = `${r.asset} of portfolio ${r.portfolio_id.slice(0, 8)} ${why}`;
    expect(dec(r.sf ?? '0').toFixed(), `ledger free deltas must sum to the free balance of ${where}`).toBe(dec(r.free).toFixed());
    expect(dec(r.sl ?? '0').toFixed(), `ledger locked deltas must sum to the locked balance of ${where}`).toBe(dec(r.locked).toFixed());
    if (r.fa !== null) {
      expect(dec(r.fa).toFixed(), `the last entry's free_after must equal the free balance of ${where}`).toBe(dec(r.free).toFixed());
      expect(dec(r.la!).toFixed(), `the last entry's locked_after must equal the locked balance of ${where}`).toBe(dec(r.locked).toFixed());
    }
    expect(dec(r.free).isNeg(), `free balance of ${where} is never negative`).toBe(false);
  }
  const locks = await rows<{ portfolio_id: string; asset: string; locked: string; reserved: string | null; margin: string | null }>(
    db,
    sql`select b.portfolio_id, b.asset, b.locked::text as locked,
          (select sum(o.reserved_amount)::text from orders o where o.portfolio_id = b.portfolio_id and o.reserved_asset = b.asset and o.status in ('pending', 'open', 'partially_filled')) as reserved,
          (select sum(x.margin)::text from positions x join portfolios p on p.id = x.portfolio_id
             where x.portfolio_id = b.portfolio_id and x.status = 'open' and x.kind = 'perp' and p.base_currency = b.asset) as margin
        from balances b`,
  );
  for (const r of locks) {
    const held = dec(r.reserved ?? '0').add(dec(r.margin ?? '0'));
    expect(held.toFixed(), `locked ${r.asset} of portfolio ${r.portfolio_id.slice(0, 8)} must equal open orders' reservations plus perpetual margin ${why}`).toBe(dec(r.locked).toFixed());
  }
  const terminalReserved = await rows<{ id: string; reserved: string }>(
    db,
    sql`select id, reserved_amount::text as reserved from orders where status in ('filled', 'cancelled', 'rejected', 'expired') and reserved_amount <> 0`,
  );
  expect(terminalReserved, `finished orders hold no reservation ${why}`).toEqual([]);
  const fills = await rows<{ id: string; filled: string; quantity: string; sum: string | null; children: string | null; type: string }>(
    db,
    sql`select o.id, o.filled_quantity::text as filled, o.quantity::text as quantity, o.order_type::text as type,
          (select sum(t.quantity)::text from trades t where t.order_id = o.id) as sum,
          (select sum(t.quantity)::text from trades t join orders c on c.id = t.order_id where c.parent_order_id = o.id) as children
        from orders o`,
  );
  for (const f of fills) {
    const booked = f.type === 'twap' || f.type === 'vwap' ? dec(f.children ?? '0') : dec(f.sum ?? '0');
    expect(booked.toFixed(), `order ${f.id.slice(0, 8)}: filled quantity equals the sum of its fills ${why}`).toBe(dec(f.filled).toFixed());
    expect(dec(f.filled).lte(dec(f.quantity)), `order ${f.id.slice(0, 8)} never fills above its quantity ${why}`).toBe(true);
  }
}

/** Count rows of a table. */
export async function count(db: Database, table: string, where = 'true'): Promise<number> {
  const r = await rows<{ n: string | number }>(db, sql.raw(`select count(*) as n from ${table} where ${where}`));
  return Number(r[0]!.n);
}

/** The state a bad request must not change: counts of every trading table and all balances. */
export async function snapshotState(db: Database): Promise<string> {
  const tables = ['orders', 'trades', 'positions', 'ledger_entries', 'confirmation_tokens', 'risk_limits', 'portfolios'];
  const counts = await Promise.all(tables.map(async (t) => `${t}=${await count(db, t)}`));
  const bal = await rows<{ b: string }>(db, sql`select string_agg(portfolio_id || ':' || asset || ':' || free::text || ':' || locked::text, ',' order by portfolio_id, asset) as b from balances`);
  return `${counts.join(' ')} | ${bal[0]?.b ?? ''}`;
}

export { DEFAULT_MARKETS };
