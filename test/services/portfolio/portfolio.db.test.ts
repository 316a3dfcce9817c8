// Portfolios: the default paper portfolio, creating paper portfolios, valuations, ownership, daily
// snapshots (one per day, idempotent) and performance on a known scenario.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dec } from '../../../src/domain/money.js';
import { dailyReturns, sharpeRatio } from '../../../src/domain/portfolio-metrics.js';
import type { Actor } from '../../../src/services/actor.js';
import { checkBooks, count, createHarness, rows, snapshotState, type Harness } from '../trading/harness.js';
import { failure } from '../../support/errors.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  h.setPrices();
});
afterAll(async () => h?.close());

async function trade(a: Actor, pid: string, symbol: string, side: 'buy' | 'sell', quantity: string): Promise<void> {
  const r = await h.trading.placeOrder(a, { symbol, side, quantity, portfolioId: pid });
  expect(r.order.status).toBe('filled');
}

describe('portfolios', () => {
  it('gives every user a default paper portfolio with 10,000 USDT on first use', async () => {
    const a = await h.user();
    const list = await h.portfolio.listPortfolios(a);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ name: 'Paper', mode: 'paper', isDefault: true, baseCurrency: 'USDT', initialCapital: '10000', autoConfirm: false });
    const v = await h.portfolio.getPortfolio(a);
    expect(v.value).toBe('10000');
    expect(v.cash).toBe('10000');
    expect(await count(h.database, 'ledger_entries', `portfolio_id = '${list[0]!.id}' and reason = 'deposit'`)).toBe(1);
  });

  it('creates paper portfolios with a deposit, refusing bad names and amounts without a trace', async () => {
    const a = await h.user();
    const p = await h.portfolio.createPortfolio(a, { name: 'Swing', startingCash: '2500.5', autoConfirm: true });
    expect(p).toMatchObject({ name: 'Swing', initialCapital: '2500.5', autoConfirm: true, mode: 'paper', accountType: 'margin' });
    const before = await snapshotState(h.database);
    for (const [input, msg] of [
      [{ name: 'Swing' }, /already have a portfolio named "Swing"/],
      [{ name: 'x', startingCash: '-5' }, /must not be negative/],
      [{ name: 'x', startingCash: '1e400' }, /too large/],
      [{ name: 'x', startingCash: '1.123456789' }, /more than 8 decimals/],
      [{ name: 'x', baseCurrency: 'USD' }, /no market is quoted in USD/],
      [{ name: '' }, /give the portfolio a name/],
      [{ name: 'x'.repeat(65) }, /at most 64 characters/],
      [{ name: 'x', userId: 'someone' }, /unknown argument userId/],
    ] as const) {
      const e = await failure(h.portfolio.createPortfolio(a, input));
      expect(e.message).toMatch(msg);
    }
    expect(await snapshotState(h.database), 'refused requests change nothing').toBe(before);
    await checkBooks(h.database);
  });

  it('values a portfolio: cash, holdings, unrealised and realised P&L, fees', async () => {
    const a = await h.user();
    const pid = (await h.portfolio.createPortfolio(a, { name: 'v', autoConfirm: true })).id;
    await trade(a, pid, 'SOL/USDT', 'buy', '10');
    h.feed.set('SOL/USDT', '160', { bid: '160', ask: '160' });
    await trade(a, pid, 'SOL/USDT', 'sell', '4');
    h.feed.set('SOL/USDT', '170', { bid: '170', ask: '170' });
    const v = await h.portfolio.getPortfolio(a, { portfolioId: pid });
    // Cash: 10000 − 1500 − 1.5 + 640 − 0.64 = 9137.86; 6 SOL at 170 = 1020.
    expect(v.cash).toBe('9137.86');
    expect(v.holdingsValue).toBe('1020');
    expect(v.value).toBe('10157.86');
    expect(v.unrealizedPnl, '6 × (170 − 150)').toBe('120');
    expect(v.realizedPnl, '4 × (160 − 150)').toBe('40');
    expect(v.fees).toBe('2.14');
    expect(v.totalPnl).toBe('157.86');
    expect(v.positions[0]).toMatchObject({ symbol: 'SOL/USDT', quantity: '6', markPrice: '170', unrealizedPnl: '120' });
    h.setPrices();
  });

  it('answers "not found" for another user\'s portfolio everywhere', async () => {
    const a = await h.user();
    const b = await h.user();
    const pb = (await h.portfolio.createPortfolio(b, { name: 'b' })).id;
    for (const call of [
      () => h.portfolio.getPortfolio(a, { portfolioId: pb }),
      () => h.portfolio.getBalances(a, { portfolioId: pb }),
      () => h.portfolio.getPositions(a, { portfolioId: pb }),
      () => h.portfolio.getPerformance(a, { portfolioId: pb }),
      () => h.portfolio.getEquitySeries(a, { portfolioId: pb }),
      () => h.trading.getOrders(a, { portfolioId: pb }),
      () => h.risk.getRiskMetrics(a, { portfolioId: pb }),
    ]) {
      const e = await failure(call());
      expect(e.code).toBe('not_found');
      expect(e.message).toBe('portfolio not found');
    }
  });
});

describe('snapshots and performance', () => {
  it('writes one snapshot per portfolio per day however often it runs', async () => {
    const a = await h.user();
    const pid = (await h.portfolio.createPortfolio(a, { name: 's', autoConfirm: true })).id;
    await h.portfolio.takeDailySnapshots();
    await trade(a, pid, 'SOL/USDT', 'buy', '1');
    await h.portfolio.takeDailySnapshots();
    await h.portfolio.takeDailySnapshots();
    const snaps = await rows<{ n: string | number; v: string }>(h.database, sql`select count(*) as n, max(total_value)::text as v from portfolio_snapshots where portfolio_id = ${pid}`);
    expect(Number(snaps[0]!.n), 'one row for the day').toBe(1);
    expect(dec(snaps[0]!.v).toFixed(), 'the last write of the day stands').toBe('9999.85');
    h.clock.advance(86_400_000);
    h.setPrices();
    await h.portfolio.takeDailySnapshots();
    expect(await count(h.database, 'portfolio_snapshots', `portfolio_id = '${pid}'`)).toBe(2);
    const [p] = await rows<{ current_value: string; daily_pnl: string }>(h.database, sql`select current_value::text, daily_pnl::text from portfolios where id = ${pid}`);
    expect(dec(p!.current_value).toFixed(), 'the cached value on the portfolio row').toBe('9999.85');
    expect(dec(p!.daily_pnl).toFixed()).toBe('0');
  });

  it('reports performance on a known scenario: P&L, win rate, profit factor, Sharpe, drawdown, fees, per pair', async () => {
    const fresh = await createHarness();
    try {
      const t = fresh;
      t.clock.set('2025-06-02T10:00:00Z');
      t.setPrices({ 'SOL/USDT': '100', 'ETH/USDT': '3000' });
      const a = await t.user();
      const pid = (await t.portfolio.createPortfolio(a, { name: 'perf', autoConfirm: true })).id;
      const fill = async (symbol: string, side: 'buy' | 'sell', quantity: string): Promise<void> => {
        const r = await t.trading.placeOrder(a, { symbol, side, quantity, portfolioId: pid });
        expect(r.order.status).toBe('filled');
      };
      await fill('SOL/USDT', 'buy', '10');
      t.clock.set('2025-06-02T23:00:00Z');
      t.setPrices({ 'SOL/USDT': '100', 'ETH/USDT': '3000' });
      await t.portfolio.takeDailySnapshots();
      t.clock.set('2025-06-03T10:00:00Z');
      t.setPrices({ 'SOL/USDT': '110', 'ETH/USDT': '3000' });
      await fill('SOL/USDT', 'sell', '10');
      t.clock.set('2025-06-03T23:00:00Z');
      t.setPrices({ 'SOL/USDT': '110', 'ETH/USDT': '3000' });
      await t.portfolio.takeDailySnapshots();
      t.clock.set('2025-06-04T10:00:00Z');
      t.setPrices({ 'SOL/USDT': '110', 'ETH/USDT': '3000' });
      await fill('ETH/USDT', 'buy', '1');
      t.setPrices({ 'SOL/USDT': '110', 'ETH/USDT': '2900' });
      await fill('ETH/USDT', 'sell', '1');
      t.clock.set('2025-06-04T23:00:00Z');
      t.setPrices({ 'SOL/USDT': '110', 'ETH/USDT': '2900' });
      await t.portfolio.takeDailySnapshots();

      const perf = await t.portfolio.getPerformance(a, { period: 'all', portfolioId: pid });
      expect(perf.equityStart).toBe('10000');
      expect(perf.equityEnd, '10000 + 100 − 100 − fees 8').toBe('9992');
      expect(perf.pnl).toBe('-8');
      expect(perf.realizedPnl, 'gross: +100 on SOL, −100 on ETH').toBe('0');
      expect(perf.fees).toBe('8');
      expect(perf.closedTrades).toBe(2);
      expect(perf.wins).toBe(1);
      expect(perf.losses).toBe(1);
      expect(perf.winRate).toBe(0.5);
      expect(perf.profitFactor, 'net win 97.9 / net loss 105.9').toBeCloseTo(97.9 / 105.9, 10);
      expect(perf.largestWin).toBe('97.9');
      expect(perf.largestLoss).toBe('105.9');
      expect(perf.byPair).toEqual([
        { symbol: 'SOL/USDT', pnl: '97.9', trades: 1, wins: 1 },
        { symbol: 'ETH/USDT', pnl: '-105.9', trades: 1, wins: 0 },
      ]);
      expect(perf.byDay.map((d) => [d.period, d.pnl])).toEqual([
        ['2025-06-03', '97.9'],
        ['2025-06-04', '-105.9'],
      ]);
      expect(perf.maxDrawdown.amount, 'from the 10097.9 peak to 9992').toBe('105.9');
      expect(perf.maxDrawdown.percent).toBeCloseTo((105.9 / 10097.9) * 100, 3);
      const expected = sharpeRatio(
        dailyReturns([
          { at: new Date('2025-06-02T10:00:00Z'), equity: dec('10000') },
          { at: new Date('2025-06-02T23:00:00Z'), equity: dec('9999') },
          { at: new Date('2025-06-03T23:00:00Z'), equity: dec('10097.9') },
          { at: new Date('2025-06-04T23:00:00Z'), equity: dec('9992') },
        ]),
      );
      expect(perf.sharpeRatio).toBeCloseTo(expected!, 10);
      const week = await t.portfolio.getPerformance(a, { portfolioId: pid });
      expect(week.period).toBe('week');
      const day = await t.portfolio.getPerformance(a, { period: 'day', portfolioId: pid });
      expect(day.closedTrades, 'only the ETH round trip closed in the last 24 h').toBe(1);
      const eq = await t.portfolio.getEquitySeries(a, { portfolioId: pid });
      expect(eq.points.map((p) => [p.date, p.value])).toEqual([
        ['2025-06-02', '9999'],
        ['2025-06-03', '10097.9'],
        ['2025-06-04', '9992'],
        ['2025-06-04', '9992'],
      ]);
      await checkBooks(t.database);
    } finally {
      await fresh.close();
    }
  });
});
