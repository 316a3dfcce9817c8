// Risk: limits and the pre-trade checks that enforce them (a refusal names every failed check with
// its numbers), kill switches per portfolio and per user (reducing orders still allowed), risk
// metrics and risk alerts.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dec } from '../../../src/domain/money.js';
import type { Actor } from '../../../src/services/actor.js';
import { checkBooks, count, createHarness, rows, snapshotState, type Harness } from '../trading/harness.js';
import { failure } from '../../support/errors.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  h.setPrices();
});
afterAll(async () => h?.close());

async function autoPortfolio(a: Actor, name = 'auto'): Promise<string> {
  return (await h.portfolio.createPortfolio(a, { name, autoConfirm: true })).id;
}

describe('limits', () => {
  it('sets, replaces, lists and removes limits; refuses bad ones without a trace', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(a);
    const l1 = await h.risk.setRiskLimit(a, { type: 'position_size', value: '500' });
    expect(l1).toMatchObject({ type: 'position_size', value: '500', scope: 'all portfolios' });
    await h.risk.setRiskLimit(a, { type: 'position_size', value: '800' });
    // A base asset (doge) blocks every DOGE market; a pair blocks that pair.
    await h.risk.setRiskLimit(a, { type: 'symbol_deny', value: 'doge, XRP/USDT', portfolioId: pid });
    const list = await h.risk.getRiskLimits(a, { portfolioId: pid });
    expect(list.limits.map((l) => [l.type, l.value ?? l.symbols?.join(',')])).toEqual([
      ['position_size', '800'],
      ['symbol_deny', 'DOGE,XRP/USDT'],
    ]);
    const before = await snapshotState(h.database);
    for (const [input, msg] of [
      [{ type: 'symbol_notional', value: '100' }, /needs a symbol/],
      [{ type: 'leverage', value: '0.5' }, /at least 1/],
      [{ type: 'max_open_positions', value: '2.5' }, /whole number/],
      [{ type: 'daily_loss', value: '-5' }, /must not be negative/],
      [{ type: 'daily_loss', value: 'NaN' }, /decimal/],
      [{ type: 'symbol_allow', value: 'NOPE/USDT' }, /unknown symbol/],
      [{ type: 'volatility', value: '1' }, /type/],
      [{ type: 'daily_loss', value: '5', portfolioId: '00000000-0000-4000-8000-000000000000' }, /portfolio not found/],
    ] as const) {
      const e = await failure(h.risk.setRiskLimit(a, input));
      expect(e.message).toMatch(msg);
    }
    expect(await snapshotState(h.database)).toBe(before);
    const removed = await h.risk.setRiskLimit(a, { type: 'position_size', value: 'off' });
    expect(removed).toMatchObject({ removed: true });
    expect((await h.risk.getRiskLimits(a, {})).limits.map((l) => l.type)).toEqual(['symbol_deny']);
  });

  it('refuses an order that breaks limits, naming each failed check with its numbers', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(a);
    await h.risk.setRiskLimit(a, { type: 'position_size', value: '500', portfolioId: pid });
    await h.risk.setRiskLimit(a, { type: 'symbol_deny', value: 'ETH', portfolioId: pid });
    const e = await failure(h.trading.placeOrder(a, { symbol: 'ETH/USDT', side: 'buy', quantity: '1', portfolioId: pid }));
    expect(e.code).toBe('rejected');
    expect(e.message).toMatch(/refused by 2 checks/);
    expect(e.message).toMatch(/order value 3200 USDT is above the 500 USDT limit/);
    expect(e.message).toMatch(/ETH\/USDT is on your blocked list/);
    const ok = await h.trading.placeOrder(a, { symbol: 'SOL/USDT', side: 'buy', quantity: '3', portfolioId: pid });
    expect(ok.order.status).toBe('filled');
    await h.risk.setRiskLimit(a, { type: 'max_open_positions', value: '1', portfolioId: pid });
    const e2 = await failure(h.trading.placeOrder(a, { symbol: 'BNB/USDT', side: 'buy', quantity: '0.1', portfolioId: pid }));
    expect(e2.message).toMatch(/1 positions are open, the limit is 1/);
    await h.risk.setRiskLimit(a, { type: 'leverage', value: '3', portfolioId: pid });
    const e3 = await failure(h.trading.placeOrder(a, { symbol: 'SOL-PERP', side: 'buy', quantity: '0.1', leverage: '5', portfolioId: pid }));
    expect(e3.message).toMatch(/leverage 5x is above your 3x limit/);
    const card = await h.trading.previewOrder(a, { symbol: 'SOL-PERP', side: 'buy', quantity: '0.1', leverage: '5', portfolioId: pid });
    expect(card.card.allowed).toBe(false);
    expect(card.card.warnings.some((w) => w.startsWith('blocked by leverage'))).toBe(true);
  });

  it('stops new positions once the daily loss limit is reached, but lets the trader get out', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(a);
    await h.risk.setRiskLimit(a, { type: 'daily_loss', value: '50', portfolioId: pid });
    await h.trading.placeOrder(a, { symbol: 'SOL/USDT', side: 'buy', quantity: '10', portfolioId: pid });
    h.feed.set('SOL/USDT', '143', { bid: '143', ask: '143' });
    const e = await failure(h.trading.placeOrder(a, { symbol: 'ETH/USDT', side: 'buy', quantity: '0.01', portfolioId: pid }));
    expect(e.message).toMatch(/today's loss 71.5 USDT has reached the 50 USDT daily loss limit/);
    const out = await h.trading.closePosition(a, { symbol: 'SOL/USDT', portfolioId: pid });
    expect(out.order.status, 'a reducing order passes the daily-loss check').toBe('filled');
    await h.risk.sweep();
    await h.risk.sweep();
    const alerts = (await h.risk.listAlerts(a)).filter((x) => x.type === 'daily_loss');
    expect(alerts, 'one alert for the breach, not one per sweep').toHaveLength(1);
    expect(alerts[0]!.message).toMatch(/daily loss limit/);
    expect(h.seen.some((x) => x.type === 'risk.alert' && x.userId === a.userId)).toBe(true);
    h.setPrices();
  });
});

describe('kill switches', () => {
  it('halts one portfolio: opening orders refused and resting ones cancelled, reducing orders allowed; resume lifts it', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(a);
    await h.trading.placeOrder(a, { symbol: 'SOL/USDT', side: 'buy', quantity: '2', portfolioId: pid });
    const resting = await h.trading.placeOrder(a, { symbol: 'ETH/USDT', side: 'buy', type: 'limit', price: '3000', quantity: '0.5', portfolioId: pid });
    const halt = await h.risk.haltTrading(a, { portfolioId: pid, reason: 'tilted' });
    expect(halt).toMatchObject({ halted: true, reason: 'tilted', cancelledOrders: 1 });
    expect((await h.trading.getOrder(a, resting.order.id)).order.status).toBe('cancelled');
    const e = await failure(h.trading.placeOrder(a, { symbol: 'SOL/USDT', side: 'buy', quantity: '1', portfolioId: pid }));
    expect(e.message).toMatch(/account trading is halted \(tilted\)/);
    expect(e.hint).toMatch(/resume-trading/);
    const out = await h.trading.closePosition(a, { symbol: 'SOL/USDT', fraction: '0.5', portfolioId: pid });
    expect(out.order.status, 'a halt never traps a position').toBe('filled');
    const other = await autoPortfolio(a, 'other');
    expect((await h.trading.placeOrder(a, { symbol: 'SOL/USDT', side: 'buy', quantity: '1', portfolioId: other })).order.status, 'other portfolios trade on').toBe('filled');
    await h.risk.resumeTrading(a, { portfolioId: pid });
    expect((await h.trading.placeOrder(a, { symbol: 'SOL/USDT', side: 'buy', quantity: '1', portfolioId: pid })).order.status).toBe('filled');
    expect((await h.risk.listAlerts(a)).some((x) => x.type === 'kill_switch')).toBe(true);
    await checkBooks(h.database);
  });

  it('halts every portfolio of the user, even one created later, until resumed', async () => {
    const a = await h.user();
    const p1 = await autoPortfolio(a, 'one');
    await h.risk.haltTrading(a, { reason: 'vacation' });
    const p2 = await autoPortfolio(a, 'two');
    for (const pid of [p1, p2]) {
      const e = await failure(h.trading.placeOrder(a, { symbol: 'SOL/USDT', side: 'buy', quantity: '1', portfolioId: pid }));
      expect(e.message).toMatch(/user trading is halted \(vacation\)/);
    }
    expect(h.seen.some((x) => x.type === 'trading.halted' && x.userId === a.userId && x.halted)).toBe(true);
    await h.risk.resumeTrading(a, {});
    expect((await h.trading.placeOrder(a, { symbol: 'SOL/USDT', side: 'buy', quantity: '1', portfolioId: p2 })).order.status).toBe('filled');
    const audit = await rows<{ action: string }>(h.database, sql`select action from audit_logs where actor_user_id = ${a.userId} and action like 'trading.%' order by created_at`);
    expect(audit.map((r) => r.action)).toEqual(['trading.halt', 'trading.resume']);
  });
});

describe('metrics and alerts', () => {
  it('computes VaR from daily returns, drawdown, exposure and leverage', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(a);
    const empty = await h.risk.getRiskMetrics(a, { portfolioId: pid });
    expect(empty.valueAtRisk95, 'no history, no VaR').toBeNull();
    await h.trading.placeOrder(a, { symbol: 'BTC-PERP', side: 'buy', quantity: '0.1', leverage: '5', portfolioId: pid });
    const prices = ['65000', '63000', '66000', '60000', '61000', '64000'];
    for (const p of prices) {
      h.clock.advance(86_400_000);
      h.setPrices({ 'BTC-PERP': p });
      await h.portfolio.takeDailySnapshots();
    }
    const m = await h.risk.getRiskMetrics(a, { portfolioId: pid });
    expect(m.returnsObserved).toBeGreaterThanOrEqual(5);
    expect(m.valueAtRisk95?.fraction).toBeGreaterThan(0);
    expect(dec(m.valueAtRisk95!.amount).gt(0)).toBe(true);
    expect(m.exposure.long).toBe('6400');
    expect(m.exposure.short).toBe('0');
    expect(m.leverage).toBeGreaterThan(0.6);
    expect(m.maxDrawdown.amount, 'the worst fall: 66000 → 60000 on 0.1 BTC').toBe('600');
    expect(m.positions[0]).toMatchObject({ symbol: 'BTC-PERP', side: 'long' });
    expect(m.positions[0]!.liquidationPrice).not.toBeNull();
    h.setPrices();
  });

  it('alerts when a position nears liquidation, once a day', async () => {
    const a = await h.user();
    const pid = await autoPortfolio(a);
    await h.trading.placeOrder(a, { symbol: 'SOL-PERP', side: 'buy', quantity: '10', leverage: '20', portfolioId: pid });
    h.feed.set('SOL-PERP', '145', { bid: '145', ask: '145' });
    await h.risk.sweep();
    await h.risk.sweep();
    const alerts = (await h.risk.listAlerts(a)).filter((x) => x.type === 'liquidation_near');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.message).toMatch(/SOL-PERP long is .*% from its liquidation price/);
    expect(await count(h.database, 'risk_metrics', `portfolio_id = '${pid}'`), 'each sweep records the metrics').toBe(2);
    h.setPrices();
  });
});
