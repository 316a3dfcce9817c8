// Fills: the same fill applied twice changes nothing (reliability 3); a partially filled order that
// is cancelled leaves a position equal to its fills, and no exit can sell more than is held
// (reliability 5, 6).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dec } from '../../../src/domain/money.js';
import { AppError } from '../../../src/services/errors.js';
import { applyVenueUpdate } from '../../../src/services/trading/executions.js';
import type { Actor } from '../../../src/services/actor.js';
import { checkBooks, count, createHarness, snapshotState, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  h.setPrices();
});
afterAll(async () => h?.close());

async function autoPortfolio(a: Actor): Promise<string> {
  return (await h.portfolio.createPortfolio(a, { name: 'auto', autoConfirm: true })).id;
}

describe('the same fill twice (reliability 3)', () => {
  it('re-delivered execution reports book a fill once', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(a);
    const r = await h.trading.placeOrder(a, { symbol: 'ETH/USDT', side: 'buy', type: 'limit', price: '3100', quantity: '1', portfolioId: pid });
    const reports: Parameters<typeof h.trading.handleExecution>[0][] = [];
    const off = h.broker.onExecution((rep) => reports.push(rep));
    h.feed.set('ETH/USDT', '3050', { bid: '3050', ask: '3050' });
    await h.broker.idle();
    await h.trading.idle();
    off();
    expect(reports).toHaveLength(1);
    const after = await snapshotState(h.database);
    // The venue says it again, five times at once, and once more later.
    await Promise.all(Array.from({ length: 5 }, () => h.trading.handleExecution(reports[0]!)));
    await h.trading.handleExecution(reports[0]!);
    expect(await snapshotState(h.database), 'a fill already booked changes nothing').toBe(after);
    expect(await count(h.database, 'trades', `order_id = '${r.order.id}'`)).toBe(1);
    const pos = await h.portfolio.getPositions(a, { portfolioId: pid });
    expect(pos.positions[0]!.quantity).toBe('1');
    h.setPrices();
    await checkBooks(h.database);
  });

  it('applying a fill directly twice changes nothing', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(a);
    const r = await h.trading.placeOrder(a, { symbol: 'SOL/USDT', side: 'buy', quantity: '2', portfolioId: pid });
    const fill = { tradeId: r.fills[0]!.tradeId, clientOrderId: r.order.clientOrderId, venueOrderId: 'x', symbol: 'SOL/USDT', side: 'buy' as const, quantity: dec('2'), price: dec('150'), fee: dec('0.3'), feeAsset: 'USDT', liquidity: 'taker' as const, at: h.clock.now() };
    const before = await snapshotState(h.database);
    const ctx = { db: h.database.db, markets: h.markets, clock: h.clock, logger: h.logger };
    const again = await applyVenueUpdate(ctx, { system: true, traceId: 't' }, r.order.id, { fills: [fill] });
    expect(again.trades).toHaveLength(0);
    expect(await snapshotState(h.database)).toBe(before);
    await checkBooks(h.database);
  });
});

describe('cancel after a partial fill (reliability 5)', () => {
  it('keeps exactly the fills, releases the rest, and never sells more than is held', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(a);
    h.feed.setOrderBook('BNB/USDT', { bids: [['599', '10']], asks: [['600', '1'], ['601', '1.5'], ['650', '10']] });
    try {
      const r = await h.trading.placeOrder(a, { symbol: 'BNB/USDT', side: 'buy', type: 'limit', price: '601', quantity: '5', portfolioId: pid });
      expect(r.order.status, 'what the book had within the limit filled; the rest rests').toBe('partially_filled');
      expect(r.order.filledQuantity).toBe('2.5');
      const c = await h.trading.cancelOrder(a, r.order.id);
      expect(c.order.status).toBe('cancelled');
      expect(c.order.filledQuantity).toBe('2.5');
      expect(c.message, 'a partial cancel says what filled and that the rest was cancelled').toMatch(/^2\.5 of 5 BNB filled at [\d.]+; the rest was cancelled/);
      const rest = await h.trading.placeOrder(a, { symbol: 'BNB/USDT', side: 'buy', type: 'limit', price: '500', quantity: '1', portfolioId: pid });
      const untouched = await h.trading.cancelOrder(a, rest.order.id);
      expect(untouched.message, 'an unfilled cancel does not talk of "the rest"').toMatch(/^limit buy 1 BNB cancelled, nothing filled/);
      const fills = (await h.trading.getOrder(a, r.order.id)).fills;
      const sum = fills.reduce((s, f) => s.add(dec(f.quantity)), dec(0));
      const pos = (await h.portfolio.getPositions(a, { portfolioId: pid })).positions[0]!;
      expect(pos.quantity, 'the position is the sum of the fills').toBe(sum.toFixed());
      const fees = fills.reduce((s, f) => s.add(dec(f.fee)), dec(0));
      expect(pos.fees, 'and carries their fees').toBe(fees.toFixed());
      const bal = await h.portfolio.getBalances(a, { portfolioId: pid });
      expect(bal.balances.find((b) => b.asset === 'BNB')!.total).toBe('2.5');
      const usdt = bal.balances.find((b) => b.asset === 'USDT')!;
      expect(usdt.locked, 'nothing stays reserved for the cancelled rest').toBe('0');
      const cost = fills.reduce((s, f) => s.add(dec(f.quoteQuantity)).add(dec(f.fee)), dec(0));
      expect(usdt.free, 'cash is down exactly by what was bought and its fees').toBe(dec('10000').sub(cost).toFixed());
    } finally {
      h.feed.clearOrderBook('BNB/USDT');
    }
    const over = await h.trading.placeOrder(a, { symbol: 'BNB/USDT', side: 'sell', quantity: '3', portfolioId: pid }).catch((e: unknown) => e);
    expect(over, 'selling more than is held is refused').toBeInstanceOf(AppError);
    expect((over as AppError).message).toMatch(/BNB/);
    const close = await h.trading.closePosition(a, { symbol: 'BNB/USDT', portfolioId: pid });
    expect(close.order.status).toBe('filled');
    expect(close.order.quantity, 'a close sells exactly what is held').toBe('2.5');
    const bal = await h.portfolio.getBalances(a, { portfolioId: pid });
    expect(bal.balances.find((b) => b.asset === 'BNB'), 'nothing left and nothing short').toBeUndefined();
    expect((await h.portfolio.getPositions(a, { portfolioId: pid })).positions).toHaveLength(0);
    h.setPrices();
    await checkBooks(h.database);
  });

  it('a sale of everything never exceeds the holding, whatever fraction is asked', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(a);
    await h.trading.placeOrder(a, { symbol: 'SOL/USDT', side: 'buy', quantity: '1.337', portfolioId: pid });
    const half = await h.trading.closePosition(a, { symbol: 'SOL/USDT', portfolioId: pid, fraction: '0.5' });
    expect(half.order.quantity, 'half of 1.337 rounded down to the step').toBe('0.668');
    const rest = await h.trading.closePosition(a, { symbol: 'SOL/USDT', portfolioId: pid });
    expect(rest.order.quantity).toBe('0.669');
    const closed = (await h.portfolio.getPositions(a, { portfolioId: pid, status: 'closed' })).positions[0]!;
    expect(closed.status).toBe('closed');
    expect(closed.quantity).toBe('0');
    expect(closed.exitPrice).toBe('150');
    await checkBooks(h.database);
  });
});
