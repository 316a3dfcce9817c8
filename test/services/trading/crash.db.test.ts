// A process killed at any point of order handling restarts into a state that matches what was
// committed; resting orders, trailing references, triggered stop-limits and TWAP schedules resume;
// nothing is lost or doubled (reliability 10). A venue that does not answer leaves the order pending,
// settled by looking it up — never resubmitted blindly, never marked failed (reliability 2).
//
// A "kill" is an exception thrown at the named step: everything the request had not committed is
// rolled back, and the old stack is abandoned (its timers and subscriptions stop; unless the venue
// outlives the process, its memory is gone). The restart is a fresh stack on the same database.
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import type { Actor } from '../../../src/services/actor.js';
import type { OrderStep } from '../../../src/services/trading/trading-service.js';
import { checkBooks, count, createHarness, rows, type Harness } from './harness.js';

let open: Harness[] = [];
afterEach(async () => {
  const last = open[open.length - 1];
  open = [];
  await last?.close();
});

class Killed extends Error {}

async function start(opts: Parameters<typeof createHarness>[0] = {}): Promise<Harness> {
  const h = await createHarness(opts);
  open.push(h);
  h.setPrices();
  return h;
}

async function restart(h: Harness, opts: Parameters<Harness['restart']>[0] = {}): Promise<Harness> {
  const next = await h.restart(opts);
  open.push(next);
  await next.broker.idle();
  await next.trading.idle();
  return next;
}

async function autoPortfolio(h: Harness, a: Actor): Promise<string> {
  return (await h.portfolio.createPortfolio(a, { name: 'auto', autoConfirm: true })).id;
}

async function orderState(h: Harness, pid: string): Promise<Array<{ status: string; filled: string }>> {
  return rows(h.database, sql`select status::text as status, filled_quantity::text as filled from orders where portfolio_id = ${pid} order by created_at`);
}

describe('kill and restart at each step of a market order', () => {
  const steps: Array<OrderStep | 'fill transaction'> = ['stored', 'submitted', 'fill transaction', 'applied'];
  for (const step of steps) {
    for (const venueSurvives of [false, true]) {
      it(`killed at "${step}" (${venueSurvives ? 'the venue kept the order' : 'the venue lost its memory too'}): one order, one fill, books balanced`, async () => {
        let armed = true;
        const kill = (at: string) => (): void => {
          if (armed && at === step) {
            armed = false;
            throw new Killed(`killed at ${at}`);
          }
        };
        const h = await start({
          hooks: {
            afterStep: (s) => kill(s)(),
            beforeFillCommit: () => kill('fill transaction')(),
          },
        });
        const a = await h.user();
        const pid = await autoPortfolio(h, a);
        const req = { symbol: 'SOL/USDT', side: 'buy', quantity: '2', clientOrderId: `crash-${step.replace(/ /g, "-")}-${venueSurvives}`, portfolioId: pid } as const;
        const first = await h.trading.placeOrder(a, req).then(
          () => 'returned',
          (e: unknown) => (e instanceof Killed ? 'killed' : e),
        );
        expect(first, 'the request died at the step').toBe('killed');
        const h2 = await restart(h, { keepBroker: venueSurvives });
        // The client retries the same request after the crash.
        const retry = await h2.trading.placeOrder(a, req);
        expect(retry.order.status, 'recovery settled the order').toBe('filled');
        expect(await count(h2.database, 'orders', `portfolio_id = '${pid}'`), 'one order').toBe(1);
        expect(await count(h2.database, 'trades', `portfolio_id = '${pid}'`), 'one fill').toBe(1);
        const pos = (await h2.portfolio.getPositions(a, { portfolioId: pid })).positions;
        expect(pos.map((p) => p.quantity)).toEqual(['2']);
        const bal = await h2.portfolio.getBalances(a, { portfolioId: pid });
        expect(bal.balances.find((b) => b.asset === 'USDT')!.locked, 'no reservation left behind').toBe('0');
        await checkBooks(h2.database, `after a kill at ${step}`);
      });
    }
  }

  it('a kill before the order was stored leaves nothing; the retry places it once', async () => {
    const h = await start();
    const a = await h.user();
    const pid = await autoPortfolio(h, a);
    const req = { symbol: 'SOL/USDT', side: 'buy', quantity: '1', clientOrderId: 'crash-early', portfolioId: pid } as const;
    // The venue is unreachable before anything is stored: the price fetch fails.
    h.feed.clear('SOL/USDT');
    const err = await h.trading.placeOrder(a, req).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('unavailable');
    expect(await count(h.database, 'orders', `portfolio_id = '${pid}'`)).toBe(0);
    const h2 = await restart(h);
    h2.setPrices();
    const r = await h2.trading.placeOrder(a, req);
    expect(r.order.status).toBe('filled');
    expect(await count(h2.database, 'orders', `portfolio_id = '${pid}'`)).toBe(1);
  });
});

describe('resting work survives a restart', () => {
  it('a resting limit order fills after a restart on a venue that forgot it', async () => {
    const h = await start();
    const a = await h.user();
    const pid = await autoPortfolio(h, a);
    const r = await h.trading.placeOrder(a, { symbol: 'ETH/USDT', side: 'buy', type: 'limit', price: '3100', quantity: '1', portfolioId: pid });
    const h2 = await restart(h);
    expect(h2.broker.restingOrders().map((o) => o.clientOrderId), 'handed back to the venue').toEqual([r.order.clientOrderId]);
    h2.feed.set('ETH/USDT', '3090', { bid: '3090', ask: '3090' });
    await h2.step();
    expect((await h2.trading.getOrder(a, r.order.id)).order.status).toBe('filled');
    await checkBooks(h2.database);
  });

  it('a trailing stop keeps its high-water mark across a restart', async () => {
    const h = await start();
    const a = await h.user();
    const pid = await autoPortfolio(h, a);
    await h.trading.placeOrder(a, { symbol: 'SOL/USDT', side: 'buy', quantity: '1', portfolioId: pid });
    const t = await h.trading.placeOrder(a, { symbol: 'SOL/USDT', side: 'sell', type: 'trailing_stop', trailingPercent: '5', quantity: '1', portfolioId: pid });
    h.feed.set('SOL/USDT', '200', { bid: '200', ask: '200' });
    await h.step();
    expect((await h.trading.getOrder(a, t.order.id)).order.trailReferencePrice).toBe('200');
    const h2 = await restart(h);
    // 189 is 5.5% under the stored high of 200: it fires. (A venue starting afresh at 189 would not.)
    h2.feed.set('SOL/USDT', '189', { bid: '189', ask: '189' });
    await h2.step();
    const o = await h2.trading.getOrder(a, t.order.id);
    expect(o.order.status).toBe('filled');
    expect(o.fills[0]!.price).toBe('189');
    await checkBooks(h2.database);
  });

  it('a triggered stop-limit stays armed across a restart', async () => {
    const h = await start();
    const a = await h.user();
    const pid = await autoPortfolio(h, a);
    const r = await h.trading.placeOrder(a, { symbol: 'ETH/USDT', side: 'buy', type: 'stop_limit', stopPrice: '3300', price: '3310', quantity: '0.5', portfolioId: pid });
    h.feed.set('ETH/USDT', '3305', { bid: '3320', ask: '3320' });
    await h.step();
    expect((await h.trading.getOrder(a, r.order.id)).order.status).toBe('open');
    const h2 = await restart(h);
    // Back under the trigger but under the limit: armed before the crash, it fills now.
    h2.feed.set('ETH/USDT', '3290', { bid: '3290', ask: '3290' });
    await h2.step();
    expect((await h2.trading.getOrder(a, r.order.id)).order.status).toBe('filled');
    await checkBooks(h2.database);
  });

  it('a TWAP resumes its schedule after a crash without doubling a slice', async () => {
    const h = await start({
      hooks: {
        afterStep: () => undefined,
      },
    });
    const a = await h.user();
    const pid = await autoPortfolio(h, a);
    const r = await h.trading.placeOrder(a, { symbol: 'SOL/USDT', side: 'buy', type: 'twap', quantity: '4', slices: 4, durationMinutes: 4, portfolioId: pid });
    h.clock.advance(60_000);
    h.setPrices();
    await h.step();
    expect((await h.trading.getOrder(a, r.order.id)).children).toHaveLength(2);
    // The process dies; two slices fall due while it is down.
    h.clock.advance(120_000);
    const h2 = await restart(h);
    h2.setPrices();
    await h2.step();
    const o = await h2.trading.getOrder(a, r.order.id);
    expect(o.children.map((c) => c.clientOrderId)).toEqual([0, 1, 2, 3].map((i) => `${r.order.clientOrderId}:${i}`));
    expect(o.order.status).toBe('filled');
    expect(o.order.filledQuantity).toBe('4');
    expect(await count(h2.database, 'trades', `portfolio_id = '${pid}'`)).toBe(4);
    await checkBooks(h2.database);
  });
});

describe('a venue that does not answer (reliability 2)', () => {
  it('a timeout after the venue executed is settled by lookup: one order at the venue, one fill', async () => {
    let faults = 1;
    const h = await start({ faults: { submit: () => (faults-- > 0 ? 'timeout_after' : undefined) } });
    const a = await h.user();
    const pid = await autoPortfolio(h, a);
    const r = await h.trading.placeOrder(a, { symbol: 'SOL/USDT', side: 'buy', quantity: '1', portfolioId: pid });
    expect(r.order.status).toBe('filled');
    expect(await h.broker.fetchFills({ accountId: pid }), 'the venue executed it once').toHaveLength(1);
    expect(await count(h.database, 'trades', `portfolio_id = '${pid}'`)).toBe(1);
    await checkBooks(h.database);
  });

  it('while the lookup fails too the order stays pending — not failed, not resent — and is settled later', async () => {
    let submitFaults = 1;
    let lookupFaults = 1;
    const h = await start({
      faults: {
        submit: () => (submitFaults-- > 0 ? 'timeout_after' : undefined),
        fetchOrder: () => (lookupFaults-- > 0 ? 'timeout' : undefined),
      },
    });
    const a = await h.user();
    const pid = await autoPortfolio(h, a);
    const r = await h.trading.placeOrder(a, { symbol: 'SOL/USDT', side: 'buy', quantity: '1', portfolioId: pid });
    expect(r.order.status).toBe('pending');
    expect(r.outcomeUnknown).toBe(true);
    expect(r.message).toMatch(/do not place it again/);
    expect(await orderState(h, pid)).toEqual([{ status: 'pending', filled: '0.000000000000000000' }]);
    await h.step();
    expect((await h.trading.getOrder(a, r.order.id)).order.status, 'a younger pending order may still be in flight elsewhere: left alone').toBe('pending');
    h.clock.advance(10_000);
    h.setPrices();
    await h.step();
    expect((await h.trading.getOrder(a, r.order.id)).order.status).toBe('filled');
    expect(await h.broker.fetchFills({ accountId: pid }), 'never sent twice').toHaveLength(1);
    expect(await count(h.database, 'trades', `portfolio_id = '${pid}'`)).toBe(1);
    await checkBooks(h.database);
  });

  it('a timeout before the venue saw the order: the lookup says not found, and only then is it sent', async () => {
    let faults = 1;
    const h = await start({ faults: { submit: () => (faults-- > 0 ? 'timeout_before' : undefined) } });
    const a = await h.user();
    const pid = await autoPortfolio(h, a);
    const r = await h.trading.placeOrder(a, { symbol: 'SOL/USDT', side: 'buy', quantity: '1', portfolioId: pid });
    expect(r.order.status).toBe('filled');
    expect(await h.broker.fetchFills({ accountId: pid })).toHaveLength(1);
    await checkBooks(h.database);
  });
});
