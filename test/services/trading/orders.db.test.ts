// Orders through the trading service: confirmation tokens (reliability 15), replays (reliability 1),
// bad input (reliability 20), ownership (reliability 17), the order types on the paper venue,
// cancel, amend and the explain trail.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dec } from '../../../src/domain/money.js';
import type { Actor } from '../../../src/services/actor.js';
import { checkBooks, count, createHarness, rows, snapshotState, type Harness } from './harness.js';
import { failure } from '../../support/errors.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  h.setPrices();
});
afterAll(async () => h?.close());

async function autoPortfolio(a: Actor, name = 'auto', cash = '10000'): Promise<string> {
  return (await h.portfolio.createPortfolio(a, { name, startingCash: cash, autoConfirm: true })).id;
}

async function settle(): Promise<void> {
  await h.broker.idle();
  await h.trading.idle();
}

describe('confirmation tokens (reliability 15)', () => {
  const order = { symbol: 'ETH/USDT', side: 'buy', type: 'limit', price: '3000', quantity: '0.5' } as const;

  it('places nothing without a token and returns the card with a fresh token', async () => {
    const a = await h.user();
    await h.portfolio.ensureDefaultPortfolio(a.userId);
    const before = await count(h.database, 'orders', `user_id = '${a.userId}'`);
    const err = await failure(h.trading.placeOrder(a, order));
    expect(err.code).toBe('confirmation_required');
    const d = err.details as { card: { symbol: string; notional: string; allowed: boolean }; confirmationToken: string; expiresAt: string };
    expect(d.card.symbol).toBe('ETH/USDT');
    expect(d.card.notional, 'the card shows the order value').toBe('1500');
    expect(d.confirmationToken).toMatch(/^ct_/);
    expect(await count(h.database, 'orders', `user_id = '${a.userId}'`), 'no order without a token').toBe(before);
    const stored = await rows<{ token_hash: string }>(h.database, sql`select token_hash from confirmation_tokens where user_id = ${a.userId}`);
    expect(stored.every((r) => r.token_hash !== d.confirmationToken && /^[0-9a-f]{64}$/.test(r.token_hash)), 'only the hash of a token is stored').toBe(true);
  });

  it('executes with the token for exactly these parameters, once', async () => {
    const a = await h.user();
    const preview = await h.trading.previewOrder(a, order);
    expect(preview.requiresConfirmation).toBe(true);
    const placed = await h.trading.placeOrder(a, { ...order, confirmationToken: preview.confirmationToken! });
    expect(placed.order.status).toBe('open');
    const reused = await failure(h.trading.placeOrder(a, { ...order, confirmationToken: preview.confirmationToken! }));
    expect(reused.code).toBe('confirmation_required');
    expect(reused.message, 'a used token is refused with the reason').toMatch(/already used/);
    expect(await count(h.database, 'orders', `user_id = '${a.userId}'`), 'a reused token places nothing').toBe(1);
    await checkBooks(h.database);
  });

  it('refuses a token issued for other parameters and does not spend it', async () => {
    const a = await h.user();
    const preview = await h.trading.previewOrder(a, order);
    for (const other of [{ quantity: '0.6' }, { price: '2999' }, { postOnly: true }, { symbol: 'ETH-PERP' }]) {
      const err = await failure(h.trading.placeOrder(a, { ...order, ...other, confirmationToken: preview.confirmationToken! }));
      expect(err.code, `changed ${JSON.stringify(other)}`).toBe('confirmation_required');
      if (!('symbol' in other)) expect(err.message).toMatch(/different order parameters/);
    }
    expect(await count(h.database, 'orders', `user_id = '${a.userId}'`), 'nothing placed with a mismatched token').toBe(0);
    const ok = await h.trading.placeOrder(a, { ...order, confirmationToken: preview.confirmationToken! });
    expect(ok.order.status, 'the refused attempts did not spend the token').toBe('open');
  });

  it('refuses a token presented by another user or for another portfolio', async () => {
    const a = await h.user();
    const b = await h.user();
    const preview = await h.trading.previewOrder(a, order);
    const err = await failure(h.trading.placeOrder(b, { ...order, confirmationToken: preview.confirmationToken! }));
    expect(err.code).toBe('confirmation_required');
    expect(err.message, 'another user learns nothing about the token').toMatch(/not valid/);
    const other = (await h.portfolio.createPortfolio(a, { name: 'second' })).id;
    const err2 = await failure(h.trading.placeOrder(a, { ...order, portfolioId: other, confirmationToken: preview.confirmationToken! }));
    expect(err2.message).toMatch(/different portfolio/);
    expect(await count(h.database, 'orders', `user_id in ('${a.userId}', '${b.userId}')`)).toBe(0);
  });

  it('refuses an expired token', async () => {
    const a = await h.user();
    const preview = await h.trading.previewOrder(a, order);
    h.clock.advance(121_000);
    h.setPrices();
    const err = await failure(h.trading.placeOrder(a, { ...order, confirmationToken: preview.confirmationToken! }));
    expect(err.code).toBe('confirmation_required');
    expect(err.message).toMatch(/expired/);
    expect(await count(h.database, 'orders', `user_id = '${a.userId}'`)).toBe(0);
  });

  it('binds a quote-sized order to its quote amount, so a moved price does not void the card', async () => {
    const a = await h.user();
    const req = { symbol: 'SOL/USDT', side: 'buy', quoteQuantity: '100' } as const;
    const preview = await h.trading.previewOrder(a, req);
    expect(preview.card.quantity).toBe('0.666');
    h.feed.set('SOL/USDT', '125', { bid: '125', ask: '125' });
    const r = await h.trading.placeOrder(a, { ...req, confirmationToken: preview.confirmationToken! });
    expect(r.order.status).toBe('filled');
    expect(r.order.quantity, 'sized at the price when executed, rounded down to the step').toBe('0.8');
    h.setPrices();
    await checkBooks(h.database);
  });

  it('skips the token on a paper portfolio set to auto-confirm', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(a);
    const preview = await h.trading.previewOrder(a, { ...order, portfolioId: pid });
    expect(preview.requiresConfirmation).toBe(false);
    const r = await h.trading.placeOrder(a, { ...order, portfolioId: pid });
    expect(r.order.status).toBe('open');
  });
});

describe('replays (reliability 1)', () => {
  it('replaying a request 50 times gives one order and one fill', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(a);
    const req = { symbol: 'BTC/USDT', side: 'buy', quantity: '0.01', clientOrderId: 'replay-seq-1', portfolioId: pid } as const;
    const results = [];
    for (let i = 0; i < 50; i++) results.push(await h.trading.placeOrder(a, req));
    expect(new Set(results.map((r) => r.order.id)).size, 'every replay returns the same order').toBe(1);
    expect(results.slice(1).every((r) => r.replayed)).toBe(true);
    expect(await count(h.database, 'orders', `portfolio_id = '${pid}'`)).toBe(1);
    expect(await count(h.database, 'trades', `portfolio_id = '${pid}'`), 'at most the order quantity in fills').toBe(1);
    await checkBooks(h.database);
  });

  it('50 concurrent replays give one order', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(a);
    const req = { symbol: 'SOL/USDT', side: 'buy', quantity: '1', clientOrderId: 'replay-par-1', portfolioId: pid } as const;
    const results = await Promise.all(Array.from({ length: 50 }, () => h.trading.placeOrder(a, req)));
    expect(new Set(results.map((r) => r.order.id)).size).toBe(1);
    expect(await count(h.database, 'orders', `portfolio_id = '${pid}'`)).toBe(1);
    expect(await count(h.database, 'trades', `portfolio_id = '${pid}'`)).toBe(1);
    const bal = await h.portfolio.getBalances(a, { portfolioId: pid });
    expect(bal.balances.find((b) => b.asset === 'SOL')?.total, 'one SOL bought, not fifty').toBe('1');
    await checkBooks(h.database);
  });

  it('a replay with a confirmation token returns the order it created', async () => {
    const a = await h.user();
    const req = { symbol: 'SOL/USDT', side: 'buy', quantity: '1', clientOrderId: 'replay-token-1' } as const;
    const p = await h.trading.previewOrder(a, req);
    const first = await h.trading.placeOrder(a, { ...req, confirmationToken: p.confirmationToken! });
    const again = await h.trading.placeOrder(a, { ...req, confirmationToken: p.confirmationToken! });
    expect(again.order.id).toBe(first.order.id);
    expect(again.replayed).toBe(true);
  });

  it('refuses a client order id reused for a different order, or by another user', async () => {
    const a = await h.user();
    const b = await h.user();
    const pid = await autoPortfolio(a);
    await h.trading.placeOrder(a, { symbol: 'SOL/USDT', side: 'buy', quantity: '1', clientOrderId: 'reuse-1', portfolioId: pid });
    const err = await failure(h.trading.placeOrder(a, { symbol: 'SOL/USDT', side: 'buy', quantity: '2', clientOrderId: 'reuse-1', portfolioId: pid }));
    expect(err.code).toBe('conflict');
    expect(err.message).toMatch(/different order/);
    const pidB = await autoPortfolio(b);
    const err2 = await failure(h.trading.placeOrder(b, { symbol: 'SOL/USDT', side: 'buy', quantity: '1', clientOrderId: 'reuse-1', portfolioId: pidB }));
    expect(err2.code).toBe('conflict');
    expect(await count(h.database, 'orders', `portfolio_id = '${pidB}'`)).toBe(0);
  });
});

describe('bad input (reliability 20)', () => {
  it('refuses each bad request with a clear error and changes nothing', async () => {
    const a = await h.user();
    const b = await h.user();
    const pid = await autoPortfolio(a);
    await h.trading.placeOrder(a, { symbol: 'SOL/USDT', side: 'buy', quantity: '1', portfolioId: pid });
    const pidB = await autoPortfolio(b, 'b');
    const foreign = await h.trading.placeOrder(b, { symbol: 'ETH/USDT', side: 'buy', type: 'limit', price: '3000', quantity: '0.1', portfolioId: pidB });
    const base = { symbol: 'SOL/USDT', side: 'buy', portfolioId: pid };
    const cases: Array<[string, unknown, RegExp]> = [
      ['zero size', { ...base, quantity: '0' }, /quantity must be greater than zero/],
      ['negative size', { ...base, quantity: '-1' }, /must not be negative/],
      ['NaN', { ...base, quantity: 'NaN' }, /decimal number/],
      ['NaN as a number', { ...base, quantity: Number.NaN }, /finite/],
      ['1e400', { ...base, quantity: '1e400' }, /too large/],
      ['1e400 as a number (Infinity)', { ...base, quantity: Number('1e400') }, /finite/],
      ['more decimals than the step', { ...base, quantity: '0.0001' }, /more decimals than the step 0.001/],
      ['unknown symbol', { ...base, symbol: 'SOLUSD' }, /unknown symbol SOLUSD; did you mean SOL\/USDT/],
      ['leverage over the limit', { ...base, symbol: 'SOL-PERP', quantity: '1', leverage: '51' }, /above the maximum 50x/],
      ['leverage on spot', { ...base, quantity: '1', leverage: '3' }, /spot market and takes no leverage/],
      ['price on a market order', { ...base, quantity: '1', price: '150' }, /market order takes no price/],
      ['a stop without a trigger', { ...base, type: 'stop', quantity: '1' }, /needs a stopPrice/],
      ['a limit without a price', { ...base, type: 'limit', quantity: '1' }, /needs a price/],
      ['price off the tick', { ...base, type: 'limit', quantity: '1', price: '150.005' }, /not a multiple of the tick 0.01/],
      ['both sizes', { ...base, quantity: '1', quoteQuantity: '100' }, /not both/],
      ['no size', { ...base }, /give a size/],
      ['below the minimum order value', { ...base, quantity: '0.01' }, /below the minimum 5 USDT/],
      ['wrong type', { ...base, quantity: { $gt: 1 } }, /quantity/],
      ['oversized string', { ...base, symbol: 'X'.repeat(500), quantity: '1' }, /at most 40 characters/],
      ['injection string', { ...base, symbol: "SOL'; drop table orders;--", quantity: '1' }, /symbol/],
      ['unknown argument', { ...base, quantity: '1', userId: b.userId }, /unknown argument userId/],
      ['bad side', { ...base, side: 'hold', quantity: '1' }, /side/],
      ['stop-loss on the wrong side', { ...base, quantity: '1', stopLoss: '160' }, /stop loss for a long must be below/],
      ['another user portfolio', { ...base, quantity: '1', portfolioId: pidB }, /portfolio not found/],
      ['a malformed portfolio id', { ...base, quantity: '1', portfolioId: 'abc' }, /portfolioId needs at least 4 characters of the portfolio id/],
      ['twap without duration', { ...base, type: 'twap', quantity: '1', slices: 4 }, /needs both slices and durationMinutes/],
      ['insufficient funds', { ...base, quantity: '1000' }, /funds: this needs .* USDT free/],
    ];
    const before = await snapshotState(h.database);
    for (const [name, input, message] of cases) {
      const err = await failure(h.trading.placeOrder(a, input));
      expect(['invalid_input', 'not_found', 'rejected'], `${name}: code`).toContain(err.code);
      expect(err.message, `${name}: the message says what is wrong`).toMatch(message);
      expect(err.message.length, `${name}: the message is not a dump`).toBeLessThan(600);
      if (err.code === 'rejected') {
        const card = await h.trading.previewOrder(a, input);
        expect(card.card.allowed, `${name}: the preview card shows the refusal`).toBe(false);
        expect(card.confirmationToken, `${name}: nothing to confirm`).toBeNull();
      } else {
        const previewErr = await failure(h.trading.previewOrder(a, input));
        expect(previewErr.code, `${name}: preview refuses too`).toBe(err.code);
      }
    }
    const others = [
      ['another user order id (cancel)', () => h.trading.cancelOrder(a, foreign.order.id), /order not found/],
      ['another user order id (get)', () => h.trading.getOrder(a, foreign.order.id), /order not found/],
      ['another user order id (explain)', () => h.trading.explainOrder(a, foreign.order.id), /order not found/],
      ['another user order id (amend)', () => h.trading.amendOrder(a, foreign.order.id, { price: '2900' }), /order not found/],
      ['a malformed order id', () => h.trading.cancelOrder(a, "1' or '1'='1"), /orderId must be an order id/],
      ['an unknown order id', () => h.trading.getOrder(a, '00000000-0000-4000-8000-000000000000'), /order not found/],
      ['close a position not held', () => h.trading.closePosition(a, { symbol: 'ETH/USDT', portfolioId: pid }), /not found/],
      ['close with a fraction above 1', () => h.trading.closePosition(a, { symbol: 'SOL/USDT', portfolioId: pid, fraction: '1.5' }), /at most 1/],
    ] as const;
    for (const [name, call, message] of others) {
      const err = await failure(call());
      expect(err.message, name).toMatch(message);
    }
    // Preview issues tokens only for valid orders: nothing above may have changed a single row.
    expect(await snapshotState(h.database), 'bad requests change nothing').toBe(before);
    await checkBooks(h.database);
  });
});

describe('order types on the paper venue', () => {
  it('rests a limit order and fills it at its price when the market trades through', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(a);
    const r = await h.trading.placeOrder(a, { symbol: 'ETH/USDT', side: 'buy', type: 'limit', price: '3100', quantity: '1', portfolioId: pid });
    expect(r.order.status).toBe('open');
    expect(r.order.reservedAmount, 'the limit value plus the taker fee is held').toBe('3103.1');
    h.feed.set('ETH/USDT', '3090', { bid: '3089', ask: '3090' });
    await settle();
    const o = await h.trading.getOrder(a, r.order.id);
    expect(o.order.status).toBe('filled');
    expect(o.fills[0]!.price, 'a resting limit fills at its own price').toBe('3100');
    expect(o.fills[0]!.liquidity).toBe('maker');
    h.setPrices();
    await checkBooks(h.database);
  });

  it('refuses a post-only order that would cross', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(a);
    const err = await failure(h.trading.placeOrder(a, { symbol: 'ETH/USDT', side: 'buy', type: 'limit', price: '3300', quantity: '1', postOnly: true, portfolioId: pid }));
    expect(err.code).toBe('rejected');
    expect(err.message).toMatch(/post-only buy at 3300 would trade at once/);
    const [o] = (await h.trading.getOrders(a, { status: 'cancelled', portfolioId: pid })).orders;
    expect(o!.status).toBe('rejected');
    await checkBooks(h.database);
  });

  it('triggers a stop, a take-profit and a trailing stop on price updates', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(a);
    await h.trading.placeOrder(a, { symbol: 'SOL/USDT', side: 'buy', quantity: '3', portfolioId: pid });
    const stop = await h.trading.placeOrder(a, { symbol: 'SOL/USDT', side: 'sell', type: 'stop', stopPrice: '140', quantity: '1', portfolioId: pid });
    const tp = await h.trading.placeOrder(a, { symbol: 'SOL/USDT', side: 'sell', type: 'take_profit', stopPrice: '170', quantity: '1', portfolioId: pid });
    const trail = await h.trading.placeOrder(a, { symbol: 'SOL/USDT', side: 'sell', type: 'trailing_stop', trailingPercent: '5', quantity: '1', portfolioId: pid });
    expect([stop.order.status, tp.order.status, trail.order.status]).toEqual(['open', 'open', 'open']);
    h.feed.set('SOL/USDT', '175', { bid: '175', ask: '175' });
    await settle();
    expect((await h.trading.getOrder(a, tp.order.id)).order.status, 'take-profit fires above its trigger').toBe('filled');
    expect((await h.trading.getOrder(a, trail.order.id)).order.trailReferencePrice, 'the trailing reference follows the high and is stored').toBe('175');
    h.feed.set('SOL/USDT', '166', { bid: '166', ask: '166' });
    await settle();
    const tr = await h.trading.getOrder(a, trail.order.id);
    expect(tr.order.status, 'the trailing stop fires 5% under the high').toBe('filled');
    expect(tr.fills[0]!.price).toBe('166');
    h.feed.set('SOL/USDT', '139', { bid: '139', ask: '139' });
    await settle();
    expect((await h.trading.getOrder(a, stop.order.id)).order.status).toBe('filled');
    const pos = await h.portfolio.getPositions(a, { status: 'closed', portfolioId: pid });
    expect(pos.positions).toHaveLength(1);
    h.setPrices();
    await checkBooks(h.database);
  });

  it('arms a stop-limit on its trigger and fills at its limit', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(a);
    const r = await h.trading.placeOrder(a, { symbol: 'ETH/USDT', side: 'buy', type: 'stop_limit', stopPrice: '3300', price: '3310', quantity: '0.5', portfolioId: pid });
    h.feed.set('ETH/USDT', '3305', { bid: '3320', ask: '3320' });
    await settle();
    let o = await h.trading.getOrder(a, r.order.id);
    expect(o.order.status, 'triggered, but the ask is above the limit: it rests').toBe('open');
    h.feed.set('ETH/USDT', '3308', { bid: '3307', ask: '3308' });
    await settle();
    o = await h.trading.getOrder(a, r.order.id);
    expect(o.order.status).toBe('filled');
    expect(o.fills[0]!.price).toBe('3310');
    h.setPrices();
    await checkBooks(h.database);
  });

  it('walks an order book, partially fills an ioc and kills a fok', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(a);
    h.feed.setOrderBook('BNB/USDT', { bids: [['599', '10']], asks: [['600', '1'], ['601', '1'], ['602', '5']] });
    try {
      const ioc = await h.trading.placeOrder(a, { symbol: 'BNB/USDT', side: 'buy', type: 'limit', price: '601', quantity: '3', timeInForce: 'ioc', portfolioId: pid });
      expect(ioc.order.status, 'ioc: what the book has within the limit, the rest cancelled').toBe('cancelled');
      expect(ioc.order.filledQuantity).toBe('2');
      expect(ioc.fills.map((f) => f.price)).toEqual(['600', '601']);
      const fok = await h.trading.placeOrder(a, { symbol: 'BNB/USDT', side: 'buy', type: 'limit', price: '601', quantity: '3', timeInForce: 'fok', portfolioId: pid });
      expect(fok.order.status).toBe('cancelled');
      expect(fok.order.filledQuantity, 'fok: nothing when not all is there').toBe('0');
      const mkt = await h.trading.placeOrder(a, { symbol: 'BNB/USDT', side: 'buy', quantity: '4', portfolioId: pid });
      expect(mkt.fills.map((f) => [f.price, f.quantity])).toEqual([['600', '1'], ['601', '1'], ['602', '2']]);
      // A market buy never fills beyond its protection price (the estimate plus the 50 bps buffer it reserved for).
      h.feed.setOrderBook('BNB/USDT', { bids: [['599', '10']], asks: [['600', '1'], ['700', '10']] });
      const thin = await h.trading.placeOrder(a, { symbol: 'BNB/USDT', side: 'buy', quantity: '2', portfolioId: pid });
      expect(thin.order.status).toBe('cancelled');
      expect(thin.order.filledQuantity, 'the level beyond the protection price is not taken').toBe('1');
    } finally {
      h.feed.clearOrderBook('BNB/USDT');
    }
    await checkBooks(h.database);
  });

  it('works a TWAP in slices on the clock and finishes filled', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(a);
    const r = await h.trading.placeOrder(a, { symbol: 'SOL/USDT', side: 'buy', type: 'twap', quantity: '4', slices: 4, durationMinutes: 4, portfolioId: pid });
    expect(r.order.algo).toEqual({ slices: 4, released: 1, nextSliceAt: expect.any(String) });
    for (let i = 0; i < 3; i++) {
      h.clock.advance(60_000);
      h.setPrices({ 'SOL/USDT': String(150 + i) });
      await h.step();
    }
    const o = await h.trading.getOrder(a, r.order.id);
    expect(o.order.status).toBe('filled');
    expect(o.children).toHaveLength(4);
    expect(o.fills.map((f) => f.price)).toEqual(['150', '150', '151', '152']);
    expect(o.order.averageFillPrice).toBe('150.75');
    h.setPrices();
    await checkBooks(h.database);
  });
});

describe('worked orders', () => {
  it('cancelling a TWAP midway keeps its fills and releases the rest of its reservation', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(a);
    const r = await h.trading.placeOrder(a, { symbol: 'SOL/USDT', side: 'buy', type: 'twap', quantity: '4', slices: 4, durationMinutes: 60, portfolioId: pid });
    expect(r.order.filledQuantity).toBe('1');
    const c = await h.trading.cancelOrder(a, r.order.id);
    expect(c.order.status).toBe('cancelled');
    expect(c.order.filledQuantity).toBe('1');
    h.clock.advance(3_600_000);
    h.setPrices();
    await h.step();
    const o = await h.trading.getOrder(a, r.order.id);
    expect(o.children, 'no slice after the cancel').toHaveLength(1);
    const bal = await h.portfolio.getBalances(a, { portfolioId: pid });
    expect(bal.balances.find((b) => b.asset === 'USDT')!.locked).toBe('0');
    await checkBooks(h.database);
  });

  it('weights VWAP slices towards the open and the close', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(a);
    const r = await h.trading.placeOrder(a, { symbol: 'SOL/USDT', side: 'buy', type: 'vwap', quantity: '10', slices: 5, durationMinutes: 5, portfolioId: pid });
    for (let i = 0; i < 5; i++) {
      h.clock.advance(60_000);
      h.setPrices();
      await h.step();
    }
    const o = await h.trading.getOrder(a, r.order.id);
    expect(o.order.status).toBe('filled');
    const sizes = o.children.map((c) => Number(c.quantity));
    expect(sizes.reduce((x, y) => x + y, 0)).toBe(10);
    expect(sizes[0]! > sizes[2]! && sizes[4]! > sizes[2]!, `U-shaped: ${sizes.join(', ')}`).toBe(true);
    await checkBooks(h.database);
  });
});

describe('cancel, amend, lists and the explain trail', () => {
  it('cancels a resting order and releases its reservation', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(a);
    const r = await h.trading.placeOrder(a, { symbol: 'ETH/USDT', side: 'buy', type: 'limit', price: '3000', quantity: '1', portfolioId: pid });
    const before = await h.portfolio.getBalances(a, { portfolioId: pid });
    expect(before.balances[0]!.locked).toBe('3003');
    const c = await h.trading.cancelOrder(a, r.order.id);
    expect(c.order.status).toBe('cancelled');
    const after = await h.portfolio.getBalances(a, { portfolioId: pid });
    expect(after.balances[0]!.locked).toBe('0');
    expect(after.balances[0]!.free).toBe('10000');
    const again = await failure(h.trading.cancelOrder(a, r.order.id));
    expect(again.code).toBe('conflict');
    await checkBooks(h.database);
  });

  it('amends price and lowers quantity, adjusting the reservation; never raises it', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(a);
    const r = await h.trading.placeOrder(a, { symbol: 'ETH/USDT', side: 'buy', type: 'limit', price: '3000', quantity: '2', portfolioId: pid });
    const m = await h.trading.amendOrder(a, r.order.id, { price: '3050', quantity: '1' });
    expect(m.order.price).toBe('3050');
    expect(m.order.quantity).toBe('1');
    expect(m.order.reservedAmount).toBe('3053.05');
    const up = await failure(h.trading.amendOrder(a, r.order.id, { quantity: '5' }));
    expect(up.message).toMatch(/can only be lowered/);
    h.feed.set('ETH/USDT', '3040', { bid: '3040', ask: '3040' });
    await settle();
    expect((await h.trading.getOrder(a, r.order.id)).order.status, 'the amended price is the one that fills').toBe('filled');
    h.setPrices();
    await checkBooks(h.database);
  });

  it('lists orders and trades of the portfolio, newest first', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(a);
    await h.trading.placeOrder(a, { symbol: 'SOL/USDT', side: 'buy', quantity: '1', portfolioId: pid });
    await h.trading.placeOrder(a, { symbol: 'ETH/USDT', side: 'buy', type: 'limit', price: '3000', quantity: '0.1', portfolioId: pid });
    expect((await h.trading.getOrders(a, { portfolioId: pid })).orders.map((o) => o.symbol)).toEqual(['ETH/USDT']);
    expect((await h.trading.getOrders(a, { portfolioId: pid, status: 'all' })).orders).toHaveLength(2);
    expect((await h.trading.getOrders(a, { portfolioId: pid, status: 'filled', symbol: 'sol' })).orders).toHaveLength(1);
    const t = await h.trading.getTrades(a, { portfolioId: pid });
    expect(t.trades).toHaveLength(1);
    expect(t.trades[0]!.symbol).toBe('SOL/USDT');
  });

  it('explains an order: request, card, risk checks, confirmation, fills, timeline', async () => {
    const a = await h.user();
    const req = { symbol: 'ETH/USDT', side: 'buy', quantity: '0.1' } as const;
    const p = await h.trading.previewOrder(a, req);
    const r = await h.trading.placeOrder(a, { ...req, confirmationToken: p.confirmationToken! }, { reason: 'breakout above 3,150', analysisId: 'an-1' });
    const x = await h.trading.explainOrder(a, r.order.id);
    expect(x.summary).toMatch(/Buy 0.1 ETH\/USDT \(market\)/);
    expect(x.summary).toMatch(/because: breakout above 3,150/);
    expect(x.summary).toMatch(/confirmed by the user on a trade card/);
    expect(x.card?.notional).toBe('320');
    expect(x.riskChecks.map((c) => c.name)).toEqual(expect.arrayContaining(['kill_switch_user', 'kill_switch_account', 'funds']));
    expect(x.confirmation.method).toBe('token');
    expect(x.context).toEqual({ reason: 'breakout above 3,150', analysisId: 'an-1' });
    expect(x.fills).toHaveLength(1);
    expect(x.timeline.map((t) => t.action)).toEqual(['order.place', 'order.fill']);
    expect(JSON.stringify(x), 'the trail never carries the token').not.toContain(p.confirmationToken!);
  });

  it('publishes events after commit', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(a);
    h.seen.length = 0;
    await h.trading.placeOrder(a, { symbol: 'SOL/USDT', side: 'buy', quantity: '1', portfolioId: pid });
    const types = h.seen.filter((e) => 'portfolioId' in e && e.portfolioId === pid).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['order.filled', 'order.updated', 'position.changed', 'balance.changed']));
    const filled = h.seen.find((e) => e.type === 'order.filled');
    expect(filled && 'quantity' in filled ? dec(filled.quantity).toFixed() : null).toBe('1');
  });
});
