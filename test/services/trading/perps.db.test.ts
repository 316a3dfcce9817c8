// Perpetuals on the paper venue: leverage, isolated margin, liquidation prices on the right side of
// entry for any leverage (reliability 8), partial closes and flips, liquidation when the mark crosses,
// and funding every 8 hours, booked once per interval.
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dec } from '../../../src/domain/money.js';
import type { Actor } from '../../../src/services/actor.js';
import { AppError } from '../../../src/services/errors.js';
import { checkBooks, createHarness, rows, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  h.setPrices();
});
afterAll(async () => h?.close());

async function autoPortfolio(a: Actor, accountType?: string, cash = '100000'): Promise<string> {
  return (await h.portfolio.createPortfolio(a, { name: `auto-${Math.random()}`, startingCash: cash, autoConfirm: true, ...(accountType ? { accountType } : {}) })).id;
}

async function move(symbol: string, price: string): Promise<void> {
  h.feed.set(symbol, price, { bid: price, ask: price });
  await h.step();
}

describe('margin and liquidation prices (reliability 8)', () => {
  it('long liquidation < entry < short liquidation for any leverage above 1', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(a);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 100 }), fc.integer({ min: 2, max: 50 }), async (lev, steps) => {
        const qty = dec('0.001').mul(steps).toFixed();
        const long = await h.trading.placeOrder(a, { symbol: 'ETH-PERP', side: 'buy', quantity: qty, leverage: String(lev), portfolioId: pid });
        const lp = (await h.portfolio.getPositions(a, { portfolioId: pid, symbol: 'ETH-PERP' })).positions[0]!;
        expect(dec(lp.liquidationPrice!).lt(dec(lp.entryPrice)), `long at ${lev}x: liquidation ${lp.liquidationPrice} below entry ${lp.entryPrice}`).toBe(true);
        expect(long.card?.liquidationPrice, 'the card showed where it liquidates').not.toBeNull();
        await h.trading.closePosition(a, { symbol: 'ETH-PERP', portfolioId: pid });
        await h.trading.placeOrder(a, { symbol: 'ETH-PERP', side: 'sell', quantity: qty, leverage: String(lev), portfolioId: pid });
        const sp = (await h.portfolio.getPositions(a, { portfolioId: pid, symbol: 'ETH-PERP' })).positions[0]!;
        expect(sp.side).toBe('short');
        expect(dec(sp.liquidationPrice!).gt(dec(sp.entryPrice)), `short at ${lev}x: liquidation ${sp.liquidationPrice} above entry ${sp.entryPrice}`).toBe(true);
        await h.trading.closePosition(a, { symbol: 'ETH-PERP', portfolioId: pid });
      }),
      { numRuns: 12 },
    );
    await checkBooks(h.database, 'after opening and closing at many leverages');
  });

  it('locks margin, settles P&L and fees on close, and follows the position through a partial close and a flip', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(a, undefined, '10000');
    await h.trading.placeOrder(a, { symbol: 'ETH-PERP', side: 'buy', quantity: '1', leverage: '5', portfolioId: pid });
    let pos = (await h.portfolio.getPositions(a, { portfolioId: pid })).positions[0]!;
    expect(pos.margin, 'entry notional / leverage').toBe('640');
    expect(pos.liquidationPrice, '3200 × (1 − 1/5 + 0.005)').toBe('2576');
    let bal = (await h.portfolio.getBalances(a, { portfolioId: pid })).balances[0]!;
    expect(bal).toMatchObject({ free: '9356.8', locked: '640' });
    await move('ETH-PERP', '3300');
    await h.trading.closePosition(a, { symbol: 'ETH-PERP', fraction: '0.5', portfolioId: pid });
    pos = (await h.portfolio.getPositions(a, { portfolioId: pid })).positions[0]!;
    expect(pos.quantity).toBe('0.5');
    expect(pos.margin, 'half the margin released').toBe('320');
    expect(pos.liquidationPrice, 'isolated: the liquidation price follows entry and leverage').toBe('2576');
    expect(pos.realizedPnl).toBe('50');
    // Selling 1.5 closes the 0.5 long and opens a 1.0 short at 3300.
    await h.trading.placeOrder(a, { symbol: 'ETH-PERP', side: 'sell', quantity: '1.5', leverage: '5', portfolioId: pid });
    pos = (await h.portfolio.getPositions(a, { portfolioId: pid })).positions[0]!;
    expect(pos.side).toBe('short');
    expect(pos.quantity).toBe('1');
    expect(pos.entryPrice).toBe('3300');
    expect(pos.margin).toBe('660');
    expect(pos.liquidationPrice, '3300 × (1 + 1/5 − 0.005)').toBe('3943.5');
    const closed = (await h.portfolio.getPositions(a, { portfolioId: pid, status: 'closed' })).positions[0]!;
    expect(closed.realizedPnl).toBe('100');
    bal = (await h.portfolio.getBalances(a, { portfolioId: pid })).balances[0]!;
    expect(bal.locked).toBe('660');
    // 10000 − fees (3.2 + 1.65 + 4.95) + 100 realised − 660 margin of the short.
    expect(bal.free).toBe('9430.2');
    h.setPrices();
    await checkBooks(h.database);
  });

  it('refuses perpetuals on a spot account and spot pairs on a futures account', async () => {
    const a = await h.user();
    const spot = await autoPortfolio(a, 'spot');
    const fut = await autoPortfolio(a, 'futures');
    const e1 = await h.trading.placeOrder(a, { symbol: 'BTC-PERP', side: 'buy', quantity: '0.01', portfolioId: spot }).catch((e: unknown) => e);
    expect((e1 as AppError).message).toMatch(/is a spot account; BTC-PERP is a perpetual/);
    const e2 = await h.trading.placeOrder(a, { symbol: 'BTC/USDT', side: 'buy', quantity: '0.01', portfolioId: fut }).catch((e: unknown) => e);
    expect((e2 as AppError).message).toMatch(/is a futures account/);
  });
});

describe('liquidation and funding', () => {
  it('liquidates when the mark crosses the liquidation price; the margin is lost', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(a, undefined, '10000');
    await h.trading.placeOrder(a, { symbol: 'SOL-PERP', side: 'buy', quantity: '10', leverage: '10', portfolioId: pid });
    const pos = (await h.portfolio.getPositions(a, { portfolioId: pid })).positions[0]!;
    expect(pos.liquidationPrice, '150 × (1 − 0.1 + 0.01)').toBe('136.5');
    h.seen.length = 0;
    await move('SOL-PERP', '137');
    expect((await h.portfolio.getPositions(a, { portfolioId: pid })).positions, 'above the liquidation price nothing happens').toHaveLength(1);
    await move('SOL-PERP', '136');
    const [liq] = (await h.portfolio.getPositions(a, { portfolioId: pid, status: 'closed' })).positions;
    expect(liq?.status).toBe('liquidated');
    expect(liq?.exitPrice).toBe('136.5');
    const bal = (await h.portfolio.getBalances(a, { portfolioId: pid })).balances[0]!;
    expect(bal.free, '10000 − 1.5 opening fee − 150 margin').toBe('9848.5');
    expect(bal.locked).toBe('0');
    expect(h.seen.some((e) => e.type === 'position.changed' && e.reason === 'liquidation')).toBe(true);
    const alerts = await h.risk.listAlerts(a);
    expect(alerts.some((x) => x.type === 'liquidation')).toBe(true);
    h.setPrices();
    await checkBooks(h.database, 'after a liquidation');
  });

  it('books funding once per 8-hour interval for positions open at the boundary', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(a, undefined, '10000');
    h.clock.set('2025-03-08T07:30:00.000Z');
    h.setPrices();
    await h.trading.placeOrder(a, { symbol: 'BTC-PERP', side: 'buy', quantity: '0.1', leverage: '2', portfolioId: pid });
    const before = (await h.portfolio.getBalances(a, { portfolioId: pid })).balances[0]!;
    await h.step();
    expect((await h.portfolio.getBalances(a, { portfolioId: pid })).balances[0]!.free, 'opened after the last boundary: nothing yet').toBe(before.free);
    h.clock.set('2025-03-08T08:00:05.000Z');
    h.setPrices();
    await h.step();
    await h.step();
    await h.trading.runFunding();
    const after = (await h.portfolio.getBalances(a, { portfolioId: pid })).balances[0]!;
    // Long pays 0.01% of 0.1 × 65000 = 0.65 at the 08:00 boundary, exactly once.
    expect(dec(before.free).sub(dec(after.free)).toFixed()).toBe('0.65');
    const pos = (await h.portfolio.getPositions(a, { portfolioId: pid })).positions[0]!;
    expect(pos.fundingPaid).toBe('0.65');
    const n = await rows<{ n: string | number }>(h.database, sql`select count(*) as n from ledger_entries where portfolio_id = ${pid} and reason = 'funding'`);
    expect(Number(n[0]!.n)).toBe(1);
    await checkBooks(h.database, 'after funding');
  });

  it('charges the rate paid at the boundary it books, asked once per market, even when it runs hours late', async () => {
    const asked: Array<[string, string]> = [];
    const paidAt = (at: Date): string => (at.getUTCHours() === 8 ? '0.0003' : '0.0009');
    const late = await createHarness({
      settings: {
        fundingRate: (symbol, at) => {
          asked.push([symbol, at.toISOString()]);
          return dec(paidAt(at));
        },
      },
    });
    try {
      const a = await late.user();
      const b = await late.user();
      const pids = [];
      for (const who of [a, b]) pids.push((await late.portfolio.createPortfolio(who, { name: 'perps', startingCash: '10000', autoConfirm: true })).id);
      late.clock.set('2025-03-08T07:30:00.000Z');
      late.setPrices();
      await late.trading.placeOrder(a, { symbol: 'BTC-PERP', side: 'buy', quantity: '0.1', leverage: '2', portfolioId: pids[0]! });
      await late.trading.placeOrder(b, { symbol: 'BTC-PERP', side: 'sell', quantity: '0.2', leverage: '2', portfolioId: pids[1]! });
      // The process was down over 08:00 and runs funding at 11:59, nearer the next boundary.
      late.clock.set('2025-03-08T11:59:00.000Z');
      late.setPrices();
      await late.trading.runFunding();
      expect(asked, 'one rate for BTC-PERP, the one paid at 08:00').toEqual([['BTC-PERP', '2025-03-08T08:00:00.000Z']]);
      const [pa, pb] = [(await late.portfolio.getPositions(a, { portfolioId: pids[0]! })).positions[0]!, (await late.portfolio.getPositions(b, { portfolioId: pids[1]! })).positions[0]!];
      // 0.03% of 0.1 × 65000 = 1.95 paid by the long; 0.03% of 0.2 × 65000 = 3.9 received by the short.
      expect([pa.fundingPaid, pb.fundingPaid]).toEqual(['1.95', '-3.9']);
      await checkBooks(late.database, 'after late funding');
    } finally {
      await late.close();
    }
  });
});
