// Many concurrent buys from one account never take cash below zero or reserve more than is free
// (reliability 4). On Postgres 200 buys race through a pool of 20 connections; PGlite has one
// connection and serialises them, so it runs a smaller batch of the same test. Requests queue on the
// balance row's lock and for a connection without any deadline (test/db/tx.db.test.ts proves the
// wait has none), so a slow or loaded machine makes this test slower, never red.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dec } from '../../../src/domain/money.js';
import { AppError } from '../../../src/services/errors.js';
import { testDbKind } from '../../support/db.js';
import { checkBooks, count, createHarness, rows, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ poolMax: 50 });
  h.setPrices();
});
afterAll(async () => h?.close());

const N = testDbKind === 'postgres' ? 200 : 60;

describe('concurrent buys (reliability 4)', () => {
  it(`${N} parallel market buys never overspend`, async () => {
    const a = await h.user();
    // Enough cash for about half of them: each holds 65 USDT × 1.005 + fee while it works.
    const cash = String(65 * (N / 2));
    const pid = (await h.portfolio.createPortfolio(a, { name: 'race', startingCash: cash, autoConfirm: true })).id;
    const results = await Promise.allSettled(
      Array.from({ length: N }, () => h.trading.placeOrder(a, { symbol: 'BTC/USDT', side: 'buy', quantity: '0.001', portfolioId: pid })),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    for (const r of refused) {
      expect(r.reason, 'a refusal is an expected error, not a crash').toBeInstanceOf(AppError);
      expect((r.reason as AppError).code).toBe('rejected');
      expect((r.reason as AppError).message, 'the refusal says funds are short, with the numbers').toMatch(/USDT/);
    }
    expect(ok.length, 'some buys go through').toBeGreaterThan(N / 4);
    expect(refused.length, 'the rest are refused for funds').toBeGreaterThan(0);
    expect(ok.every((r) => r.status === 'fulfilled' && r.value.order.status === 'filled'), 'every accepted buy filled').toBe(true);

    const [bal] = await rows<{ free: string; locked: string }>(h.database, sql`select free::text as free, locked::text as locked from balances where portfolio_id = ${pid} and asset = 'USDT'`);
    expect(dec(bal!.free).gte(0), 'cash never below zero').toBe(true);
    expect(dec(bal!.locked).toFixed(), 'nothing left reserved once every order finished').toBe('0');
    const spent = dec(cash).sub(dec(bal!.free));
    const perBuy = dec('65').add(dec('0.065'));
    expect(spent.toFixed(), 'cash spent is exactly the filled buys and their fees').toBe(perBuy.mul(ok.length).toFixed());
    const [btc] = await rows<{ free: string }>(h.database, sql`select free::text as free from balances where portfolio_id = ${pid} and asset = 'BTC'`);
    expect(dec(btc!.free).toFixed(), 'BTC bought is exactly the filled buys').toBe(dec('0.001').mul(ok.length).toFixed());
    expect(await count(h.database, 'orders', `portfolio_id = '${pid}'`), 'refused buys left no order behind').toBe(ok.length);
    expect(await count(h.database, 'positions', `portfolio_id = '${pid}' and status = 'open'`), 'one position, however many fills raced').toBe(1);
    await checkBooks(h.database, `after ${N} concurrent buys`);
    const q = await h.portfolio.getPositions(a, { portfolioId: pid });
    expect(q.positions[0]!.quantity).toBe(dec('0.001').mul(ok.length).toFixed());
  }, 300_000);

  it('creates one default portfolio however many requests race for it', async () => {
    const a = await h.user();
    const ps = await Promise.all(Array.from({ length: 20 }, () => h.portfolio.ensureDefaultPortfolio(a.userId)));
    expect(new Set(ps.map((p) => p.id)).size).toBe(1);
    expect(await count(h.database, 'portfolios', `user_id = '${a.userId}'`)).toBe(1);
    expect(await count(h.database, 'ledger_entries', `portfolio_id = '${ps[0]!.id}'`), 'funded once').toBe(1);
    const v = await h.portfolio.getPortfolio(a, {});
    expect(v.value).toBe('10000');
    expect(v.name).toBe('Paper');
  });
});
