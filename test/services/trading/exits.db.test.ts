// Exits attached to positions: a stop-loss and several take-profits set at entry or later; when one
// fills the others resize or cancel; closing (part of) a position and the panic button.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dec } from '../../../src/domain/money.js';
import type { Actor } from '../../../src/services/actor.js';
import { AppError } from '../../../src/services/errors.js';
import { checkBooks, count, createHarness, rows, snapshotState, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  h.setPrices();
});
afterAll(async () => h?.close());

async function autoPortfolio(a: Actor): Promise<string> {
  return (await h.portfolio.createPortfolio(a, { name: 'auto', autoConfirm: true })).id;
}

async function move(symbol: string, price: string): Promise<void> {
  h.feed.set(symbol, price, { bid: price, ask: price });
  await h.broker.idle();
  await h.trading.idle();
  await h.broker.idle();
  await h.trading.idle();
}

async function exitOrders(positionId: string): Promise<Array<{ role: string; status: string; quantity: string; reserved: string; stop: string }>> {
  const r = await rows<{ role: string; status: string; quantity: string; reserved: string; stop: string }>(
    h.database,
    sql`select algo_params->>'role' as role, status::text as status, quantity::text as quantity, reserved_amount::text as reserved, stop_price::text as stop
        from orders where position_id = ${positionId} and algo_params->>'role' in ('stop_loss', 'take_profit') order by algo_params->>'role', created_at, stop_price`,
  );
  return r.map((x) => ({ ...x, quantity: dec(x.quantity).toFixed(), reserved: dec(x.reserved).toFixed(), stop: dec(x.stop).toFixed() }));
}

describe('exits attached at entry', () => {
  it('places a stop-loss and two take-profits; the first target resizes the stop, the stop cancels the rest', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(a);
    const r = await h.trading.placeOrder(a, {
      symbol: 'SOL/USDT', side: 'buy', quantity: '2', stopLoss: '140', takeProfits: [{ price: '160', fraction: '0.5' }, { price: '170', fraction: '0.5' }], portfolioId: pid,
    });
    expect(r.order.status).toBe('filled');
    const pos = (await h.portfolio.getPositions(a, { portfolioId: pid })).positions[0]!;
    expect(pos.stopLoss).toBe('140');
    expect(pos.takeProfits?.map((t) => t.price)).toEqual(['160', '170']);
    let ex = await exitOrders(pos.id);
    expect(ex.map((e) => [e.role, e.status, e.quantity])).toEqual([
      ['stop_loss', 'open', '2'],
      ['take_profit', 'open', '1'],
      ['take_profit', 'open', '1'],
    ]);
    const bal = await h.portfolio.getBalances(a, { portfolioId: pid });
    expect(bal.balances.find((b) => b.asset === 'SOL'), 'the stop holds the whole position; the targets share it').toMatchObject({ free: '0', locked: '2' });
    await checkBooks(h.database, 'after the exits were placed');

    await move('SOL/USDT', '161');
    ex = await exitOrders(pos.id);
    expect(ex.map((e) => [e.role, e.status, e.quantity])).toEqual([
      ['stop_loss', 'open', '1'],
      ['take_profit', 'filled', '1'],
      ['take_profit', 'open', '1'],
    ]);
    expect((await h.portfolio.getPositions(a, { portfolioId: pid })).positions[0]!.quantity).toBe('1');
    await checkBooks(h.database, 'after the first target');

    await move('SOL/USDT', '139');
    ex = await exitOrders(pos.id);
    expect(ex.map((e) => [e.role, e.status])).toEqual([
      ['stop_loss', 'filled'],
      ['take_profit', 'filled'],
      ['take_profit', 'cancelled'],
    ]);
    const closed = (await h.portfolio.getPositions(a, { portfolioId: pid, status: 'closed' })).positions[0]!;
    expect(closed.realizedPnl, '+11 on the first half, -11 on the second').toBe('0');
    expect(closed.exitPrice).toBe('150');
    expect(h.seen.some((e) => e.type === 'position.changed' && e.reason === 'stop')).toBe(true);
    expect(h.seen.some((e) => e.type === 'position.changed' && e.reason === 'take_profit')).toBe(true);
    h.setPrices();
    await checkBooks(h.database, 'after the stop');
  });

  it('refuses exits on the wrong side and exits on a reduce-only order', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(a);
    const wrongTp = await h.trading.placeOrder(a, { symbol: 'SOL/USDT', side: 'buy', quantity: '1', takeProfits: [{ price: '140' }], portfolioId: pid }).catch((e: unknown) => e);
    expect((wrongTp as AppError).message).toMatch(/take-profit for a long must be above/);
    const sum = await h.trading.placeOrder(a, { symbol: 'SOL/USDT', side: 'buy', quantity: '1', takeProfits: [{ price: '160', fraction: '0.7' }, { price: '170', fraction: '0.7' }], portfolioId: pid }).catch((e: unknown) => e);
    expect((sum as AppError).message).toMatch(/add up to 1.4/);
    expect(await count(h.database, 'orders', `portfolio_id = '${pid}'`)).toBe(0);
  });
});

describe('exits set on an open position', () => {
  it('sets, moves and removes a stop; sets and replaces targets', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(a);
    await h.trading.placeOrder(a, { symbol: 'ETH/USDT', side: 'buy', quantity: '1', portfolioId: pid });
    const wrong = await h.trading.setStopLoss(a, { symbol: 'ETH/USDT', price: '3300', portfolioId: pid }).catch((e: unknown) => e);
    expect((wrong as AppError).message).toMatch(/must be below the current price 3200/);
    const s1 = await h.trading.setStopLoss(a, { symbol: 'ETH/USDT', price: '3000', portfolioId: pid });
    expect(s1.exitOrders.map((o) => [o.exitRole, o.stopPrice, o.quantity])).toEqual([['stop_loss', '3000', '1']]);
    const s2 = await h.trading.setStopLoss(a, { symbol: 'ETH/USDT', price: '3100', portfolioId: pid });
    expect(s2.exitOrders.map((o) => o.stopPrice), 'the stop is moved, not doubled').toEqual(['3100']);
    const t1 = await h.trading.setTakeProfits(a, { symbol: 'ETH/USDT', targets: [{ price: '3400' }, { price: '3600' }, { price: '3800' }], portfolioId: pid });
    expect(t1.exitOrders.filter((o) => o.exitRole === 'take_profit').map((o) => o.quantity), 'an even split; the last takes the remainder').toEqual(['0.3333', '0.3333', '0.3334']);
    const t2 = await h.trading.setTakeProfits(a, { symbol: 'ETH/USDT', targets: [{ price: '3500', fraction: '1' }], portfolioId: pid });
    expect(t2.exitOrders.filter((o) => o.exitRole === 'take_profit').map((o) => [o.stopPrice, o.quantity])).toEqual([['3500', '1']]);
    const off = await h.trading.setStopLoss(a, { symbol: 'ETH/USDT', price: 'off', portfolioId: pid });
    expect(off.exitOrders.map((o) => o.exitRole)).toEqual(['take_profit']);
    const bal = await h.portfolio.getBalances(a, { portfolioId: pid });
    expect(bal.balances.find((b) => b.asset === 'ETH'), 'without a stop the target holds its own quantity').toMatchObject({ free: '0', locked: '1' });
    await h.trading.setTakeProfits(a, { symbol: 'ETH/USDT', targets: [], portfolioId: pid });
    const none = await h.portfolio.getBalances(a, { portfolioId: pid });
    expect(none.balances.find((b) => b.asset === 'ETH')).toMatchObject({ free: '1', locked: '0' });
    await checkBooks(h.database);
  });

  it('a partial close resizes the exits; a full close cancels them', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(a);
    await h.trading.placeOrder(a, { symbol: 'SOL/USDT', side: 'buy', quantity: '4', stopLoss: '140', takeProfits: [{ price: '160', fraction: '0.5' }, { price: '170', fraction: '0.5' }], portfolioId: pid });
    const pos = (await h.portfolio.getPositions(a, { portfolioId: pid })).positions[0]!;
    await h.trading.closePosition(a, { symbol: 'SOL/USDT', fraction: '0.75', portfolioId: pid });
    let ex = await exitOrders(pos.id);
    expect(ex.filter((e) => e.status === 'open').map((e) => [e.role, e.quantity]), 'stop covers what is left; the farther target is trimmed first').toEqual([
      ['stop_loss', '1'],
      ['take_profit', '1'],
    ]);
    await checkBooks(h.database, 'after a partial close');
    await h.trading.closePosition(a, { symbol: 'SOL/USDT', portfolioId: pid });
    ex = await exitOrders(pos.id);
    expect(ex.filter((e) => e.status === 'open')).toEqual([]);
    expect((await h.portfolio.getBalances(a, { portfolioId: pid })).balances.find((b) => b.asset === 'SOL')).toBeUndefined();
    await checkBooks(h.database, 'after the full close');
  });

  it('perpetual exits reserve nothing and close the position', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(a);
    await h.trading.placeOrder(a, { symbol: 'ETH-PERP', side: 'sell', quantity: '1', leverage: '5', stopLoss: '3300', takeProfits: [{ price: '3000' }], portfolioId: pid });
    const pos = (await h.portfolio.getPositions(a, { portfolioId: pid })).positions[0]!;
    expect(pos.side).toBe('short');
    const ex = await exitOrders(pos.id);
    expect(ex.map((e) => [e.role, e.reserved])).toEqual([
      ['stop_loss', '0'],
      ['take_profit', '0'],
    ]);
    await move('ETH-PERP', '2990');
    const closed = (await h.portfolio.getPositions(a, { portfolioId: pid, status: 'closed' })).positions[0]!;
    expect(closed.realizedPnl, 'short from 3200, covered at 2990').toBe('210');
    expect((await exitOrders(pos.id)).map((e) => e.status)).toEqual(['cancelled', 'filled']);
    h.setPrices();
    await checkBooks(h.database);
  });
});

describe('exits attach only to an order that opens or adds to a position', () => {
  const refusal = async (a: Actor, input: Record<string, unknown>): Promise<AppError> => {
    const err = await h.trading.placeOrder(a, input).catch((e: unknown) => e);
    expect(err, `${JSON.stringify(input)} must be refused, not accepted with a stop that is never placed`).toBeInstanceOf(AppError);
    return err as AppError;
  };

  it('refuses a spot sell with a stop-loss or take-profit, at preview and at placement, storing nothing', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(a);
    await h.trading.placeOrder(a, { symbol: 'SOL/USDT', side: 'buy', quantity: '2', portfolioId: pid });
    const before = await snapshotState(h.database);
    for (const exits of [{ stopLoss: '160' }, { takeProfits: [{ price: '140' }] }]) {
      const input = { symbol: 'SOL/USDT', side: 'sell', quantity: '1', portfolioId: pid, ...exits };
      const err = await refusal(a, input);
      expect(err.code, 'a bad order, not a failure').toBe('invalid_input');
      expect(err.message, 'says why the stop cannot go with this order').toMatch(/opens or adds to a position/);
      expect(err.message, 'names the spot sell').toMatch(/spot sell/);
      const preview = await h.trading.previewOrder(a, input).catch((e: unknown) => e);
      expect((preview as AppError).code, 'the card is refused too, so it never shows a stop that would not exist').toBe('invalid_input');
    }
    expect(await snapshotState(h.database), 'a refused order changes nothing').toBe(before);
    const plain = await h.trading.placeOrder(a, { symbol: 'SOL/USDT', side: 'sell', quantity: '1', portfolioId: pid });
    expect(plain.order.status, 'the same sell without exits is fine').toBe('filled');
    await checkBooks(h.database);
  });

  it('refuses exits on a perpetual sell that only reduces a long, keeps them on one that opens or flips to a short', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(a);
    await h.trading.placeOrder(a, { symbol: 'ETH-PERP', side: 'buy', quantity: '1', leverage: '5', portfolioId: pid });
    const err = await refusal(a, { symbol: 'ETH-PERP', side: 'sell', quantity: '0.5', leverage: '5', stopLoss: '3300', portfolioId: pid });
    expect(err.message, 'says why the stop cannot go with this order').toMatch(/opens or adds to a position/);
    const closing = await refusal(a, { symbol: 'ETH-PERP', side: 'sell', quantity: '0.5', reduceOnly: true, leverage: '5', takeProfits: [{ price: '3000' }], portfolioId: pid });
    expect(closing.message, 'a reduce-only order opens nothing either').toMatch(/opens or adds to a position/);

    await h.trading.placeOrder(a, { symbol: 'ETH-PERP', side: 'sell', quantity: '2', leverage: '5', stopLoss: '3300', portfolioId: pid });
    const flipped = (await h.portfolio.getPositions(a, { portfolioId: pid })).positions[0]!;
    expect([flipped.side, flipped.stopLoss], 'a sell that flips the long to a short carries its stop onto the short').toEqual(['short', '3300']);
    expect((await exitOrders(flipped.id)).map((e) => [e.role, e.status]), 'and the stop is a real order').toEqual([['stop_loss', 'open']]);
    await h.trading.closePosition(a, { symbol: 'ETH-PERP', portfolioId: pid });
    await checkBooks(h.database);
  });
});

describe('close all positions (panic)', () => {
  it('needs a confirmation on a portfolio without auto-confirm, then cancels everything and closes everything', async () => {
    const a = await h.user();
    await h.portfolio.ensureDefaultPortfolio(a.userId);
    const place = async (input: Record<string, unknown>): Promise<void> => {
      const p = await h.trading.previewOrder(a, input);
      await h.trading.placeOrder(a, { ...input, confirmationToken: p.confirmationToken! });
    };
    await place({ symbol: 'SOL/USDT', side: 'buy', quantity: '2' });
    await place({ symbol: 'BTC-PERP', side: 'buy', quantity: '0.01', leverage: '10' });
    await place({ symbol: 'ETH/USDT', side: 'buy', type: 'limit', price: '3000', quantity: '0.5' });
    const err = await h.trading.closeAllPositions(a, {}).catch((e: unknown) => e);
    expect((err as AppError).code).toBe('confirmation_required');
    const details = (err as AppError).details as { card: { positions: unknown[]; cancelsOrders: number }; confirmationToken: string };
    expect(details.card.positions).toHaveLength(2);
    expect(details.card.cancelsOrders).toBe(1);
    const r = await h.trading.closeAllPositions(a, { confirmationToken: details.confirmationToken });
    expect(r.closed).toHaveLength(2);
    expect(r.failed).toEqual([]);
    expect(r.cancelledOrders).toBe(1);
    const again = await h.trading.closeAllPositions(a, { confirmationToken: details.confirmationToken }).catch((e: unknown) => e);
    expect((again as AppError).message ?? '', 'nothing left to close').toMatch(/nothing to close|already used/);
    expect((await h.portfolio.getPositions(a, {})).positions).toHaveLength(0);
    expect((await h.trading.getOrders(a, {})).orders).toHaveLength(0);
    await checkBooks(h.database);
  });
});
