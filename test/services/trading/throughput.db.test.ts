// One-account throughput (issue 15 §2) without giving up reliability 4: a fill of a plain spot order
// works out its ledger on balances read without a lock and takes the balance rows' lock only in the
// statement that writes, which re-checks them as they are then. These tests interleave another
// writer between the read and the write by holding a row lock from a second connection and waiting
// (a bounded loop on pg_stat_activity, no clock) until the fill is parked on it — so each outcome is
// forced, not hoped for. Postgres only where two connections are needed; the exact-count race runs on
// both (PGlite serialises it).
import { eq, sql } from 'drizzle-orm';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orders } from '../../../src/db/schema/index.js';
import type { BrokerFill } from '../../../src/domain/broker.js';
import { dec } from '../../../src/domain/money.js';
import type { Actor } from '../../../src/services/actor.js';
import { AppError } from '../../../src/services/errors.js';
import { applyVenueUpdate, type ApplyResult } from '../../../src/services/trading/executions.js';
import { testDbKind } from '../../support/db.js';
import { checkBooks, count, createHarness, rows, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ poolMax: 50 });
  h.setPrices();
});
afterAll(async () => h?.close());

const pgOnly = it.runIf(testDbKind === 'postgres');

async function usdt(pid: string): Promise<{ free: string; locked: string }> {
  const [b] = await rows<{ free: string; locked: string }>(h.database, sql`select free::text as free, locked::text as locked from balances where portfolio_id = ${pid} and asset = 'USDT'`);
  return { free: dec(b!.free).toFixed(), locked: dec(b!.locked).toFixed() };
}

/** Waits until a backend of this database is waiting for a row lock in a statement matching `like`. */
async function parkedOn(like: string): Promise<void> {
  for (let i = 0; i < 6000; i++) {
    const [r] = await rows<{ n: string | number }>(
      h.database,
      sql`select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like ${like}`,
    );
    if (Number(r!.n) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`no statement like ${like} ever waited for a lock`);
}

/** A second connection holding `lockSql`'s row locks until `release()`. */
async function holdLock(lockSql: string, params: unknown[]): Promise<{ release(): Promise<void> }> {
  const c: pg.PoolClient = await h.database.pool!.connect();
  await c.query('BEGIN');
  await c.query(lockSql, params);
  return {
    async release() {
      try {
        await c.query('COMMIT');
      } finally {
        c.release();
      }
    },
  };
}

/**
 * A market buy of 0.1 SOL (15.015 USDT with its fee: it creates the SOL balance row, which a first
 * buy of an asset does the careful way, under the lock), then a resting limit buy of 1 SOL at 100
 * (reserves 100.1), and that order's fill as the venue would report it, at 500: 400.4 USDT more than
 * the reservation, taken from what is free.
 */
async function restingBuy(a: Actor, pid: string): Promise<{ row: typeof orders.$inferSelect; fill: BrokerFill }> {
  await h.trading.placeOrder(a, { symbol: 'SOL/USDT', side: 'buy', quantity: '0.1', portfolioId: pid });
  const r = await h.trading.placeOrder(a, { symbol: 'SOL/USDT', side: 'buy', type: 'limit', price: '100', quantity: '1', portfolioId: pid });
  expect(r.order.status, 'a buy below the market rests').toBe('open');
  const [row] = await h.database.db.select().from(orders).where(eq(orders.id, r.order.id));
  const fill: BrokerFill = {
    tradeId: `t-${r.order.id}`, clientOrderId: r.order.clientOrderId, venueOrderId: 'v1', symbol: 'SOL/USDT', side: 'buy',
    quantity: dec('1'), price: dec('500'), fee: dec('0.5'), feeAsset: 'USDT', liquidity: 'taker', at: h.clock.now(),
  };
  return { row: row!, fill };
}

function applyFill(row: typeof orders.$inferSelect, fill: BrokerFill): Promise<ApplyResult> {
  const ctx = { db: h.database.db, markets: h.markets, clock: h.clock, logger: h.logger };
  return applyVenueUpdate(ctx, { system: true, traceId: 'throughput-test' }, row.id, { fills: [fill], submitted: true }, { row });
}

describe('one-account throughput: balance rows locked only for the ledger write (issue 15)', () => {
  pgOnly('a fill takes the balance rows only in its write, after the order and the position', async () => {
    const a = await h.user();
    const pid = (await h.portfolio.createPortfolio(a, { name: 'lock-order', startingCash: '1000', autoConfirm: true })).id;
    const { row, fill } = await restingBuy(a, pid);
    const held = await holdLock(`select 1 from balances where portfolio_id = $1 and asset = 'USDT' for update`, [pid]);
    let applying: Promise<ApplyResult> | undefined;
    try {
      applying = applyFill(row, fill);
      // The fill read the balances, worked the fill out, and waits on the USDT row in the statement
      // that writes it (the careful way would wait in its first statement, before working anything out).
      await parkedOn('%opt_locked%');
    } finally {
      await held.release();
    }
    const r = await applying;
    expect(r.trades).toHaveLength(1);
    expect(r.order.status).toBe('filled');
    expect(await usdt(pid), '1000 − 15.015 (the first buy) − 500.5').toEqual({ free: '484.485', locked: '0' });
    await checkBooks(h.database, 'after an optimistic fill');
  }, 60_000);

  pgOnly('a balance spent between the read and the write is re-checked under the lock: the fill is refused, nothing overspent', async () => {
    const a = await h.user();
    const pid = (await h.portfolio.createPortfolio(a, { name: 'spent-meanwhile', startingCash: '1000', autoConfirm: true })).id;
    const { row, fill } = await restingBuy(a, pid);
    expect((await usdt(pid)).free, 'enough is free for the fill when it reads the balances').toBe('884.885');
    // Park the fill on its order row; meanwhile another order of the account reserves most of the cash.
    const held = await holdLock(`select 1 from orders where id = $1 for update`, [row.id]);
    const applying = applyFill(row, fill).then(
      (r) => ({ ok: true as const, r }),
      (err: unknown) => ({ ok: false as const, err }),
    );
    try {
      await parkedOn('%for update of o%');
      const other = await h.trading.placeOrder(a, { symbol: 'BTC/USDT', side: 'buy', type: 'limit', price: '64000', quantity: '0.013', portfolioId: pid });
      expect(other.order.status).toBe('open');
    } finally {
      await held.release();
    }
    const out = await applying;
    expect(out.ok, 'the fill cannot be covered any more').toBe(false);
    const msg = out.ok ? '' : (out.err as Error).message;
    expect(msg, 'refused by the ledger with the numbers, not by a database constraint').toMatch(/not enough USDT/);
    expect(msg).not.toMatch(/constraint/i);
    expect(await count(h.database, 'trades', `order_id = '${row.id}'`), 'no trade booked').toBe(0);
    const b = await usdt(pid);
    expect(b.free, 'cash untouched by the refused fill, never below zero').toBe('52.053');
    await checkBooks(h.database, 'after a refused fill');
  }, 60_000);

  pgOnly('a refusal worked out on a stale read is decided again under the lock: funds freed meanwhile let the fill through', async () => {
    const a = await h.user();
    const pid = (await h.portfolio.createPortfolio(a, { name: 'freed-meanwhile', startingCash: '1000', autoConfirm: true })).id;
    const { row, fill } = await restingBuy(a, pid);
    const other = await h.trading.placeOrder(a, { symbol: 'BTC/USDT', side: 'buy', type: 'limit', price: '64000', quantity: '0.013', portfolioId: pid });
    expect((await usdt(pid)).free, 'not enough is free for the fill when it reads the balances').toBe('52.053');
    const held = await holdLock(`select 1 from orders where id = $1 for update`, [row.id]);
    const applying = applyFill(row, fill);
    try {
      await parkedOn('%for update of o%');
      const c = await h.trading.cancelOrder(a, other.order.id);
      expect(c.order.status).toBe('cancelled');
    } finally {
      await held.release();
    }
    const r = await applying;
    expect(r.trades, 'booked: the funds were there when it was decided under the lock').toHaveLength(1);
    expect(r.order.status).toBe('filled');
    expect(await usdt(pid), '1000 − 15.015 (the first buy) − 500.5').toEqual({ free: '484.485', locked: '0' });
    await checkBooks(h.database, 'after a fill decided again under the lock');
  }, 60_000);

  const N = testDbKind === 'postgres' ? 200 : 60;
  it(`${N} parallel market buys with cash for some: exactly as many fill as the cash covers, the rest refused for funds (reliability 4)`, async () => {
    const a = await h.user();
    // Each buy holds 65.325 + 0.1% fee = 65.390325 USDT while it works and spends 65.065. Whatever the
    // interleaving, a refusal means the filled and working buys already number at least
    // ⌈cash / 65.390325⌉ − 1, and all of them fill; no more than ⌊cash / 65.065⌋ can: with cash for
    // half of N both bounds are the same count, so the outcome is exact, not a range.
    const cash = dec(65).mul(N / 2);
    const expected = cash.div('65.065').floor().toNumber();
    expect(cash.div('65.390325').ceil().toNumber() - 1, 'the bounds meet').toBe(expected);
    const pid = (await h.portfolio.createPortfolio(a, { name: 'exact-race', startingCash: cash.toFixed(), autoConfirm: true })).id;
    const results = await Promise.allSettled(Array.from({ length: N }, () => h.trading.placeOrder(a, { symbol: 'BTC/USDT', side: 'buy', quantity: '0.001', portfolioId: pid })));
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    for (const r of refused) {
      expect(r.reason).toBeInstanceOf(AppError);
      expect((r.reason as AppError).code).toBe('rejected');
      expect((r.reason as AppError).details?.reason ?? (r.reason as AppError).message).toMatch(/insufficient_funds|not enough USDT|USDT free/);
    }
    expect(ok.length).toBe(expected);
    expect(refused.length).toBe(N - expected);
    const b = await usdt(pid);
    expect(b.free).toBe(cash.sub(dec('65.065').mul(expected)).toFixed());
    expect(b.locked).toBe('0');
    expect(await count(h.database, 'trades', `portfolio_id = '${pid}'`)).toBe(expected);
    await checkBooks(h.database, `after ${N} concurrent buys`);
  }, 300_000);
});
