// Fault injection on a live spot portfolio, through the trading service (card, confirmation), the real
// ccxt client and the fake Binance: a 5xx, 429/418 with Retry-After, -2010, -1006, partial fills over
// several polls, "order does not exist" for a while, a fill only in the trade history; then a seeded
// run of orders with random faults. Whatever happens: one venue order per client id, each venue trade
// applied once, the ledger equal to the venue's balances. The app runs on a manual clock, so grace
// periods and Retry-After pass when the test says so (no waiting).
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { queryRows } from '../../../src/db/client.js';
import { dec } from '../../../src/domain/money.js';
import { isAppError } from '../../../src/services/errors.js';
import { BINANCE_418, BINANCE_429, startFakeExchange, type FakeExchange } from '../../fakes/exchange-server.js';
import { ManualClock } from './harness.js';
import { ledgerOf, orderRow, placeConfirmed, settle, setUpLive, totalsOf, tradeCount, type LiveSetup } from './live-support.js';

const KEY = 'faultsKey0123456789abcdefgh';
const SECRET = 'faultsSecret0123456789abcdef0123';
const ORDER = '/api/v3/order';

let fake: FakeExchange;
let s: LiveSetup;
const clock = new ManualClock(Date.now());

const venueTotals = (): Record<string, string> => totalsOf(fake.private.balances(KEY, 'spot'));
const venueOrdersOf = (cid: string): number => fake.private.orders(KEY).filter((o) => o.clientOrderId === cid).length;
const submitsOf = (cid: string): number => fake.requestsTo(ORDER).filter((r) => r.method === 'POST' && r.body?.['newClientOrderId'] === cid).length;
/** Places a confirmed order; a venue refusal (the service throws it) comes back as the stored order. */
async function place(input: Record<string, unknown>): Promise<{ order: { id: string; status: string }; refusal?: string }> {
  clock.advance(1_000);
  await matchVenueToMarket();
  try {
    const r = await placeConfirmed(s.app, s.actor, { portfolioId: s.liveId, symbol: 'SOL/USDT', ...input });
    return { order: { id: r.order.id, status: r.order.status } };
  } catch (err) {
    if (!isAppError(err)) throw err;
    const [last] = await queryRows<{ id: string; status: string }>(s.app.database.db, sql`select id, status::text as status from orders where portfolio_id = ${s.liveId} order by created_at desc limit 1`);
    if (!last) throw err;
    return { order: last, refusal: err.message };
  }
}
const limitBelow = async (f: string): Promise<string> => dec((await s.app.services.market.venueFeed.getQuote('SOL/USDT')).price).mul(f).toDecimalPlaces(2).toFixed(2);

/**
 * The app prices a market buy (and its protection limit, 50 bps above) from the simulated market,
 * which moves as the manual clock does; the fake venue's price is set by hand. Each order first
 * brings the venue to the market's price, so a buy is never refused only because the two drifted
 * apart over the simulated minutes the tests before it advanced.
 */
async function matchVenueToMarket(): Promise<void> {
  const q = await s.app.services.market.venueFeed.getQuote('SOL/USDT');
  fake.setPrice('SOLUSDT', dec(q.price).toDecimalPlaces(2).toFixed(2));
}

/** Past every grace period and ban (the broker's 30 s lookup grace, the core's 120 s, Retry-After). */
const later = (ms = 150_000): void => clock.advance(ms);

beforeAll(async () => {
  fake = await startFakeExchange({ accounts: [{ apiKey: KEY, secret: SECRET, spot: { USDT: '5000', SOL: '10' } }] });
  s = await setUpLive({ url: fake.url, apiKey: KEY, secret: SECRET, clock, username: 'faults' });
  await matchVenueToMarket();
  await s.app.services.risk.setRiskLimit(s.actor, { type: 'position_size', value: '1000', portfolioId: s.liveId });
}, 60_000);

beforeEach(() => {
  fake.clearInjected();
  later();
});

afterAll(async () => {
  await s?.app.close();
  await fake?.close();
});

describe('single faults', () => {
  it('a 5xx after the venue took the order: unknown, settled by the lookup, sent once', async () => {
    fake.injectFailure({ status: 503, body: 'Service Unavailable', path: ORDER, method: 'POST', afterProcessing: true });
    const r = await place({ side: 'buy', type: 'market', quantity: '0.2' });
    // A 5xx is no answer: the broker looks the order up by client id at once (or the reconciler does).
    expect(['pending', 'filled']).toContain(r.order.status);
    await settle(s.app, 1);
    const row = await orderRow(s.app, r.order.id);
    expect(row.status).toBe('filled');
    expect(venueOrdersOf(row.clientOrderId)).toBe(1);
    expect(submitsOf(row.clientOrderId), 'never resubmitted').toBe(1);
    expect(await tradeCount(s.app, r.order.id)).toBe(1);
    expect(await ledgerOf(s.app, s.liveId)).toEqual(venueTotals());
  });

  it('a 5xx before the venue took the order: unknown until the venue has no record past the grace period, then not placed; never resubmitted', async () => {
    const before = await ledgerOf(s.app, s.liveId);
    fake.injectFailure({ status: 502, body: 'Bad Gateway', path: ORDER, method: 'POST' });
    const r = await place({ side: 'buy', type: 'market', quantity: '0.2' });
    expect(r.order.status).toBe('pending');
    await settle(s.app, 2);
    const row = await orderRow(s.app, r.order.id);
    expect(row.status, 'the venue not showing it yet proves nothing').toBe('pending');
    later();
    await settle(s.app, 1);
    const after = await orderRow(s.app, r.order.id);
    expect(['rejected', 'failed', 'cancelled', 'expired']).toContain(after.status);
    expect(venueOrdersOf(row.clientOrderId)).toBe(0);
    expect(submitsOf(row.clientOrderId), 'never resubmitted').toBe(1);
    expect(await ledgerOf(s.app, s.liveId), 'the reservation is released').toEqual(before);
    expect(await ledgerOf(s.app, s.liveId)).toEqual(venueTotals());
  });

  it('-1006 (execution status unknown) is an unknown outcome, settled by the lookup', async () => {
    fake.failWith(-1006, 'An unexpected response was received from the message bus. Execution status unknown.', { path: ORDER, method: 'POST', afterProcessing: true });
    const r = await place({ side: 'sell', type: 'market', quantity: '0.1' });
    expect(r.refusal, 'not taken as a rejection').toBeUndefined();
    expect(['pending', 'filled']).toContain(r.order.status);
    await settle(s.app, 1);
    const row = await orderRow(s.app, r.order.id);
    expect(row.status).toBe('filled');
    expect(venueOrdersOf(row.clientOrderId)).toBe(1);
    expect(submitsOf(row.clientOrderId)).toBe(1);
    expect(await tradeCount(s.app, r.order.id)).toBe(1);
    expect(await ledgerOf(s.app, s.liveId)).toEqual(venueTotals());
  });

  it('-2010 insufficient balance: rejected, nothing booked, the reservation released', async () => {
    const before = await ledgerOf(s.app, s.liveId);
    fake.failWith(-2010, 'Account has insufficient balance for requested action.', { path: ORDER, method: 'POST' });
    const r = await place({ side: 'buy', type: 'market', quantity: '0.2' });
    expect(r.refusal).toMatch(/insufficient|not enough funds/i);
    expect(r.order.status).toBe('rejected');
    expect(await tradeCount(s.app, r.order.id)).toBe(0);
    const [locked] = await queryRows<{ l: string }>(s.app.database.db, sql`select coalesce(sum(locked), 0)::text as l from balances where portfolio_id = ${s.liveId}`);
    expect(dec(locked!.l).isZero(), 'nothing left reserved').toBe(true);
    expect(await ledgerOf(s.app, s.liveId)).toEqual(before);
    expect(await ledgerOf(s.app, s.liveId)).toEqual(venueTotals());
  });

  it('429 with Retry-After: the venue said no; nothing at all reaches the venue until Retry-After has passed', async () => {
    fake.injectFailure({ ...BINANCE_429, path: ORDER, method: 'POST' });
    const r = await place({ side: 'buy', type: 'market', quantity: '0.1' });
    expect(r.refusal).toMatch(/refusing requests/);
    expect(r.order.status, 'Binance refuses with its own code before matching: rejected').toBe('rejected');
    const row = await orderRow(s.app, r.order.id);
    expect(venueOrdersOf(row.clientOrderId)).toBe(0);
    const seen = fake.requests.length;
    // During the ban: an order, a poll and a reconciliation send nothing.
    clock.advance(10_000);
    const during = await place({ side: 'buy', type: 'market', quantity: '0.1' });
    await settle(s.app, 1);
    expect(fake.requests.length, 'no request during the ban').toBe(seen);
    expect(['rejected', 'pending']).toContain(during.order.status);
    const duringRow = await orderRow(s.app, during.order.id);
    expect(venueOrdersOf(duringRow.clientOrderId)).toBe(0);
    // After Retry-After (30 s): trading resumes, nothing was sent blindly in between.
    clock.advance(21_000);
    const after = await place({ side: 'buy', type: 'market', quantity: '0.1' });
    expect(after.order.status).toBe('filled');
    later();
    await settle(s.app, 1);
    expect(submitsOf(duringRow.clientOrderId), 'the order refused during the ban was never sent').toBe(0);
    expect(await ledgerOf(s.app, s.liveId)).toEqual(venueTotals());
  });

  it('418 (banned) with Retry-After 120 s: nothing, not even a cancel, is sent until the ban ends', async () => {
    const resting = await place({ side: 'buy', type: 'limit', quantity: '0.1', price: await limitBelow('0.8') });
    expect(resting.order.status).toBe('open');
    fake.injectFailure({ ...BINANCE_418, path: ORDER, method: 'POST' });
    const r = await place({ side: 'buy', type: 'market', quantity: '0.1' });
    expect(r.order.status).toBe('rejected');
    const seen = fake.requests.length;
    clock.advance(60_000);
    const during = await place({ side: 'buy', type: 'market', quantity: '0.1' });
    const cancel = await s.app.services.trading.cancelOrder(s.actor, resting.order.id).then(
      (c) => c.order.status,
      (e: unknown) => `refused: ${(e as Error).message}`,
    );
    await settle(s.app, 1);
    expect(fake.requests.length, 'no request during the ban').toBe(seen);
    expect(cancel, 'a cancel not sent is not a cancelled order').not.toBe('cancelled');
    expect(['rejected', 'pending']).toContain(during.order.status);
    clock.advance(61_000);
    const c = await s.app.services.trading.cancelOrder(s.actor, resting.order.id);
    expect(c.order.status).toBe('cancelled');
    later();
    await settle(s.app, 1);
    expect(await ledgerOf(s.app, s.liveId)).toEqual(venueTotals());
  });

  it('partial fills over several polls are applied once each', async () => {
    const r = await place({ side: 'buy', type: 'limit', quantity: '0.5', price: await limitBelow('0.9') });
    const row = await orderRow(s.app, r.order.id);
    for (const q of ['0.1', '0.15', '0.05']) {
      fake.fill(row.clientOrderId, { quantity: q });
      await settle(s.app, 2);
    }
    let now = await orderRow(s.app, r.order.id);
    expect(now.status).toBe('partially_filled');
    expect(now.filled).toBe('0.3');
    expect(await tradeCount(s.app, r.order.id)).toBe(3);
    fake.fill(row.clientOrderId);
    await settle(s.app, 2);
    now = await orderRow(s.app, r.order.id);
    expect(now.status).toBe('filled');
    expect(await tradeCount(s.app, r.order.id)).toBe(4);
    expect(await ledgerOf(s.app, s.liveId)).toEqual(venueTotals());
  });

  it('"order does not exist" for several lookups after acceptance: stays pending, then settles; never resubmitted', async () => {
    fake.loseResponses({ path: ORDER, method: 'POST', count: 1 });
    // The answer is lost and so is the first lookup's, so the order is pending when the hiding starts.
    fake.loseResponses({ path: ORDER, method: 'GET', count: 1 });
    const r = await place({ side: 'buy', type: 'market', quantity: '0.2' });
    expect(r.order.status).toBe('pending');
    const row = await orderRow(s.app, r.order.id);
    fake.hideOrder(row.clientOrderId, 4);
    // Not past the grace period: what the venue says is "not yet", not "never".
    for (let i = 0; i < 3; i++) {
      await s.app.services.trading.reconcilePending(0);
      await s.app.services.trading.idle();
    }
    const mid = await orderRow(s.app, r.order.id);
    expect(mid.status, '"does not exist" right after sending is not believed').toBe('pending');
    await settle(s.app, 3);
    const now = await orderRow(s.app, r.order.id);
    expect(now.status).toBe('filled');
    expect(venueOrdersOf(row.clientOrderId)).toBe(1);
    expect(submitsOf(row.clientOrderId), 'never resubmitted').toBe(1);
    expect(await tradeCount(s.app, r.order.id)).toBe(1);
    expect(await ledgerOf(s.app, s.liveId)).toEqual(venueTotals());
  });

  it('a resting order hidden from lookups after acceptance stays pending (not rejected, not resent), then settles open', async () => {
    fake.loseResponses({ path: ORDER, method: 'POST', count: 1 });
    fake.loseResponses({ path: ORDER, method: 'GET', count: 1 });
    const r = await place({ side: 'buy', type: 'limit', quantity: '0.1', price: await limitBelow('0.85') });
    expect(r.order.status).toBe('pending');
    const row = await orderRow(s.app, r.order.id);
    fake.hideOrder(row.clientOrderId, 4);
    for (let i = 0; i < 2; i++) {
      await s.app.services.trading.reconcilePending(0);
      await s.app.services.trading.idle();
      expect((await orderRow(s.app, r.order.id)).status).toBe('pending');
    }
    await settle(s.app, 4);
    expect((await orderRow(s.app, r.order.id)).status).toBe('open');
    expect(submitsOf(row.clientOrderId)).toBe(1);
    await s.app.services.trading.cancelOrder(s.actor, r.order.id);
    expect(await ledgerOf(s.app, s.liveId)).toEqual(venueTotals());
  });

  it('a fill the venue shows only in its trade history is found and applied once', async () => {
    const r = await place({ side: 'buy', type: 'limit', quantity: '0.2', price: await limitBelow('0.9') });
    const row = await orderRow(s.app, r.order.id);
    fake.fill(row.clientOrderId);
    fake.hideOrder(row.clientOrderId, Number.POSITIVE_INFINITY);
    later();
    await settle(s.app, 2);
    await s.app.services.live.reconciler.reconcileAll();
    await s.app.services.trading.idle();
    const now = await orderRow(s.app, r.order.id);
    expect(now.status).toBe('filled');
    expect(await tradeCount(s.app, r.order.id)).toBe(1);
    expect(await ledgerOf(s.app, s.liveId)).toEqual(venueTotals());
  });
});

describe('the request budget', () => {
  it('a poll of many resting orders costs one open-orders list per market, and a lookup only for the order that changed', async () => {
    const price = await limitBelow('0.7');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await place({ side: 'buy', type: 'limit', quantity: '0.1', price })).order.id);
    const asked = (from: number, path: string): number => fake.requests.slice(from).filter((r) => r.path === path && r.method === 'GET').length;
    let from = fake.requests.length;
    await s.app.services.live.router.pollLive(true);
    await s.app.services.trading.idle();
    expect(asked(from, '/api/v3/openOrders'), 'one list').toBe(1);
    expect(asked(from, ORDER), 'no lookup of an order the list shows unchanged').toBe(0);
    const changed = await orderRow(s.app, ids[2]!);
    fake.fill(changed.clientOrderId, { quantity: '0.02' });
    from = fake.requests.length;
    await s.app.services.live.router.pollLive(true);
    await s.app.services.trading.idle();
    expect(asked(from, '/api/v3/openOrders')).toBe(1);
    expect(asked(from, ORDER), 'only the order with a new fill is looked up').toBe(1);
    expect((await orderRow(s.app, ids[2]!)).filled).toBe('0.02');
    for (const id of ids) await s.app.services.trading.cancelOrder(s.actor, id);
    expect(await ledgerOf(s.app, s.liveId)).toEqual(venueTotals());
  });
});

/** mulberry32: a small seeded generator, so a failing run can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FAULTS = ['none', 'lost', '5xx-after', '5xx-before', '-1006', '-2010', 'hidden', 'partial', '429'] as const;

describe('a seeded run of orders with random faults', () => {
  it('30 orders: 0 duplicate venue orders, 0 fills applied twice, ledger equal to the venue after reconciliation', async () => {
    const rnd = seeded(20261206);
    const counts: Record<string, number> = {};
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const fault = FAULTS[Math.floor(rnd() * FAULTS.length)]!;
      counts[fault] = (counts[fault] ?? 0) + 1;
      const side = rnd() < 0.5 ? 'buy' : 'sell';
      const quantity = (0.05 + Math.floor(rnd() * 10) / 100).toFixed(2);
      switch (fault) {
        case 'lost':
          fake.loseResponses({ path: ORDER, method: 'POST', count: 1 });
          break;
        case '5xx-after':
          fake.injectFailure({ status: 500, body: 'Internal Server Error', path: ORDER, method: 'POST', afterProcessing: true });
          break;
        case '5xx-before':
          fake.injectFailure({ status: 503, body: 'Service Unavailable', path: ORDER, method: 'POST' });
          break;
        case '-1006':
          fake.failWith(-1006, 'Execution status unknown.', { path: ORDER, method: 'POST', afterProcessing: true });
          break;
        case '-2010':
          fake.failWith(-2010, 'Account has insufficient balance for requested action.', { path: ORDER, method: 'POST' });
          break;
        case '429':
          fake.injectFailure({ ...BINANCE_429, path: ORDER, method: 'POST' });
          break;
        case 'hidden':
          fake.loseResponses({ path: ORDER, method: 'POST', count: 1 });
          fake.loseResponses({ path: ORDER, method: 'GET', count: 1 });
          break;
        default:
          break;
      }
      const resting = fault === 'partial' || (fault === 'hidden' && rnd() < 0.5);
      const price = resting ? await limitBelow(side === 'buy' ? '0.9' : '1.1') : undefined;
      const r = await place({ side, type: resting ? 'limit' : 'market', quantity, ...(price ? { price } : {}) });
      ids.push(r.order.id);
      const row = await orderRow(s.app, r.order.id);
      if (fault === 'hidden') fake.hideOrder(row.clientOrderId, 1 + Math.floor(rnd() * 4));
      if (r.refusal && !['-2010', '429'].includes(fault)) throw new Error(`order ${i} (${fault}) refused: ${r.refusal}`);
      if (fault === 'partial' && venueOrdersOf(row.clientOrderId) === 1) {
        fake.fill(row.clientOrderId, { quantity: '0.02' });
        await settle(s.app, 1);
        if (rnd() < 0.5) fake.fill(row.clientOrderId);
      }
      await settle(s.app, 1);
      if (fault === '429') clock.advance(31_000);
    }
    fake.clearInjected();
    later();
    await settle(s.app, 3);
    // Orders still resting are cancelled, so the run ends flat.
    for (const id of ids) {
      const o = await orderRow(s.app, id);
      if (o.status === 'open' || o.status === 'partially_filled') await s.app.services.trading.cancelOrder(s.actor, id);
    }
    await settle(s.app, 1);
    const [report] = await s.app.services.live.reconciler.reconcileAll();

    const byCid = new Map<string, number>();
    for (const o of fake.private.orders(KEY)) byCid.set(o.clientOrderId, (byCid.get(o.clientOrderId) ?? 0) + 1);
    const duplicates = [...byCid.values()].filter((n) => n > 1).length;
    const tradeRows = await queryRows<{ t: string; n: number }>(s.app.database.db, sql`select exchange_trade_id as t, count(*)::int as n from trades where portfolio_id = ${s.liveId} group by 1`);
    const twice = tradeRows.filter((r) => r.n > 1).length;
    const unsettled = (await Promise.all(ids.map((id) => orderRow(s.app, id)))).filter((o) => ['pending', 'open', 'partially_filled'].includes(o.status)).length;
    // Every venue trade of this account applied exactly once.
    expect(tradeRows.length, 'every venue trade is in the ledger').toBe(fake.private.trades(KEY).length);
    console.info(`faults injected: ${JSON.stringify(counts)}; venue orders ${fake.private.orders(KEY).length}, venue trades ${fake.private.trades(KEY).length}`);
    expect(duplicates, 'duplicate venue orders per client id').toBe(0);
    expect(twice, 'fills applied twice').toBe(0);
    expect(unsettled, 'orders left unsettled').toBe(0);
    expect(report!.adjusted, 'the ledger needed no correction: nothing doubled or lost').toEqual({});
    expect(report!.unresolved).toEqual({});
    expect(await ledgerOf(s.app, s.liveId)).toEqual(venueTotals());
  }, 120_000);
});
