// Live trading end to end: the real ccxt client, signing real requests, against the local fake
// Binance (test/fakes/exchange-server.ts) through MIKEY_EXCHANGE_URL. A trader adds keys, creates a
// live portfolio (opening balances from the venue, conservative limits, a paper shadow), places,
// cancels and amends live orders through the trading service with the card and confirmation, and
// the venue's fills arrive by polling, once. Faults: a lost answer, "order does not exist" for a
// while, a fill only in the trade history, a balance the venue changed by itself.
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../../src/db/client.js';
import { orders, portfolios, riskAlerts, trades } from '../../../src/db/schema/index.js';
import { dec } from '../../../src/domain/money.js';
import type { Actor } from '../../../src/services/actor.js';
import { isAppError } from '../../../src/services/errors.js';
import { startFakeExchange, type FakeExchange } from '../../fakes/exchange-server.js';
import type { TestApp } from '../../support/app.js';
import { ledgerOf as ledgerOfApp, placeConfirmed as placeLive, setUpLive, totalsOf } from './live-support.js';

const KEY = 'liveTestKey0123456789abcdef';
const SECRET = 'liveTestSecret0123456789abcdef0123';

let fake: FakeExchange;
let app: TestApp;
let actor: Actor;
let liveId: string;
let shadowId: string;

const placeConfirmed = (input: Record<string, unknown>): ReturnType<typeof placeLive> => placeLive(app, actor, input);
const venueOrdersOf = (clientOrderId: string): number => fake.private.orders(KEY).filter((o) => o.clientOrderId === clientOrderId).length;
const ledgerOf = (portfolioId: string): Promise<Record<string, string>> => ledgerOfApp(app, portfolioId);
const venueTotals = (): Record<string, string> => totalsOf(fake.private.balances(KEY, 'spot'));

beforeAll(async () => {
  fake = await startFakeExchange({ accounts: [{ apiKey: KEY, secret: SECRET, spot: { USDT: '1000', SOL: '2' } }] });
  const s = await setUpLive({ url: fake.url, apiKey: KEY, secret: SECRET });
  ({ app, actor, liveId, shadowId } = s);
  // The venue's SOL price where the simulated market (which prices the card) has it.
  const q = await app.services.market.venueFeed.getQuote('SOL/USDT');
  fake.setPrice('SOLUSDT', dec(q.price).toDecimalPlaces(2).toFixed(2));
}, 60_000);

afterAll(async () => {
  await app?.close();
  await fake?.close();
});

describe('a live portfolio', () => {
  it('opens with the venue balances, conservative limits and a funded paper shadow', async () => {
    const [p] = await app.database.db.select().from(portfolios).where(eq(portfolios.id, liveId));
    expect(p!.tradingMode).toBe('live');
    expect(p!.autoConfirm).toBe(false);
    expect(await ledgerOf(liveId)).toEqual({ USDT: '1000', SOL: '2' });
    expect(await ledgerOf(shadowId)).toEqual({ USDT: '1000', SOL: '2' });
    const limits = await app.services.risk.getRiskLimits(actor, { portfolioId: liveId });
    expect(JSON.stringify(limits)).toMatch(/position_size/);
    expect(JSON.stringify(limits)).toMatch(/leverage/);
  });

  it('sells coins the account held before MIKEY traded them: the venue sells, the ledger follows, no profit or loss on coins of unknown cost', async () => {
    const r = await placeConfirmed({ portfolioId: liveId, symbol: 'SOL/USDT', side: 'sell', type: 'market', quantity: '0.3' });
    expect(r.order.status).toBe('filled');
    expect(await ledgerOf(liveId), 'the ledger equals the venue after the sale').toEqual(venueTotals());
    expect(dec((await ledgerOf(liveId)).SOL!).toFixed()).toBe('1.7');
    const [closed] = await queryRows<{ status: string; quantity: string; realized_pnl: string; entry_price: string; exit_price: string }>(
      app.database.db,
      sql`select status, quantity::text, realized_pnl::text, entry_price::text, exit_price::text from positions where portfolio_id = ${liveId} and symbol = 'SOL/USDT'`,
    );
    expect(closed?.status, 'the sale is on record as a closed position').toBe('closed');
    expect(dec(closed!.realized_pnl).toFixed(), 'booked at the sale price: no profit or loss').toBe('0');
    expect(dec(closed!.entry_price).eq(dec(closed!.exit_price))).toBe(true);
    const [audit] = await queryRows<{ metadata: unknown }>(app.database.db, sql`select metadata from audit_logs where entity_id = ${r.order.id} and metadata::text like '%held before MIKEY%'`);
    expect(audit, 'the note says why').toBeDefined();
  });

  it('refuses an order past its starting limit of 100 USDT per position', async () => {
    const sent = fake.private.orders(KEY).length;
    await expect(app.services.trading.placeOrder(actor, { portfolioId: liveId, symbol: 'SOL/USDT', side: 'buy', type: 'market', quantity: '5' })).rejects.toThrow(/position/i);
    expect(fake.private.orders(KEY), 'nothing sent').toHaveLength(sent);
  });

  it('places a market buy after confirmation: one venue order with our client id, the fill booked once, the shadow follows', async () => {
    const r = await placeConfirmed({ portfolioId: liveId, symbol: 'SOL/USDT', side: 'buy', type: 'market', quantity: '0.5' });
    expect(r.order.status).toBe('filled');
    const [row] = await app.database.db.select().from(orders).where(eq(orders.id, r.order.id));
    expect(venueOrdersOf(row!.clientOrderId)).toBe(1);
    expect(row!.clientOrderId.length).toBeLessThanOrEqual(36);
    expect(await app.database.db.select().from(trades).where(eq(trades.orderId, r.order.id))).toHaveLength(1);
    expect(await ledgerOf(liveId), 'the ledger equals the venue after the fill').toEqual(venueTotals());
    await app.services.trading.idle();
    const [twin] = await app.database.db.select().from(orders).where(and(eq(orders.portfolioId, shadowId), eq(orders.clientOrderId, `sh${r.order.id.replaceAll('-', '')}`)));
    expect(twin?.status, 'the paper shadow received the same order').toBe('filled');
    const shadow = await app.services.trading.getShadow(actor, {});
    expect(shadow.totals.orders).toBeGreaterThanOrEqual(1);
    expect(shadow.pairs[0]!.shadow).not.toBeNull();
  });

  it('polls a resting limit order: a partial then the rest, each fill applied once', async () => {
    const price = dec((await app.services.market.venueFeed.getQuote('SOL/USDT')).price).mul('0.9').toDecimalPlaces(2).toFixed(2);
    const r = await placeConfirmed({ portfolioId: liveId, symbol: 'SOL/USDT', side: 'buy', type: 'limit', quantity: '0.4', price });
    expect(r.order.status).toBe('open');
    const [row] = await app.database.db.select().from(orders).where(eq(orders.id, r.order.id));
    fake.fill(row!.clientOrderId, { quantity: '0.1' });
    await app.services.live.router.pollLive(true);
    await app.services.trading.idle();
    await app.services.live.router.pollLive(true);
    await app.services.trading.idle();
    let [now] = await app.database.db.select().from(orders).where(eq(orders.id, r.order.id));
    expect(now!.status).toBe('partially_filled');
    expect(dec(now!.filledQuantity).toFixed()).toBe('0.1');
    fake.fill(row!.clientOrderId);
    await app.services.live.router.pollLive(true);
    await app.services.trading.idle();
    [now] = await app.database.db.select().from(orders).where(eq(orders.id, r.order.id));
    expect(now!.status).toBe('filled');
    expect(await app.database.db.select().from(trades).where(eq(trades.orderId, r.order.id))).toHaveLength(2);
    expect(await ledgerOf(liveId)).toEqual(venueTotals());
  });

  it('cancels a resting order at the venue', async () => {
    const price = dec((await app.services.market.venueFeed.getQuote('SOL/USDT')).price).mul('0.8').toDecimalPlaces(2).toFixed(2);
    const r = await placeConfirmed({ portfolioId: liveId, symbol: 'SOL/USDT', side: 'buy', type: 'limit', quantity: '0.2', price });
    const c = await app.services.trading.cancelOrder(actor, r.order.id);
    expect(c.order.status).toBe('cancelled');
    const [row] = await app.database.db.select().from(orders).where(eq(orders.id, r.order.id));
    expect(fake.private.orders(KEY).find((o) => o.clientOrderId === row!.clientOrderId)?.status).toMatch(/CANCEL/i);
    expect(await ledgerOf(liveId)).toEqual(venueTotals());
  });

  it('amends a resting order at the venue by cancel-replace under the same client id', async () => {
    const price = dec((await app.services.market.venueFeed.getQuote('SOL/USDT')).price).mul('0.8').toDecimalPlaces(2);
    const r = await placeConfirmed({ portfolioId: liveId, symbol: 'SOL/USDT', side: 'buy', type: 'limit', quantity: '0.2', price: price.toFixed(2) });
    const [row] = await app.database.db.select().from(orders).where(eq(orders.id, r.order.id));
    const lower = price.mul('0.95').toDecimalPlaces(2).toFixed(2);
    const a = await app.services.trading.amendOrder(actor, r.order.id, { price: lower });
    expect(a.order.status).toBe('open');
    const atVenue = fake.private.orders(KEY).filter((o) => o.clientOrderId === row!.clientOrderId);
    expect(atVenue.filter((o) => /NEW|PARTIALLY/.test(o.status)), 'one working order at the venue').toHaveLength(1);
    expect(dec(atVenue.find((o) => /NEW/.test(o.status))!.price).toFixed(2)).toBe(lower);
    await app.services.trading.cancelOrder(actor, r.order.id);
    expect(fake.private.orders(KEY).filter((o) => o.clientOrderId === row!.clientOrderId && /NEW|PARTIALLY/.test(o.status))).toHaveLength(0);
    expect(await ledgerOf(liveId)).toEqual(venueTotals());
  });

  it('closes the SOL position at the venue, selling what the account holds after fees', async () => {
    let token: string | undefined;
    try {
      await app.services.trading.closePosition(actor, { symbol: 'SOL/USDT', portfolioId: liveId });
    } catch (err) {
      if (!isAppError(err) || err.code !== 'confirmation_required') throw err;
      token = (err.details as { confirmationToken: string }).confirmationToken;
    }
    expect(token, 'closing a live position asks for confirmation').toBeTruthy();
    const r = await app.services.trading.closePosition(actor, { symbol: 'SOL/USDT', portfolioId: liveId, confirmationToken: token });
    expect(r.order.status, r.message).toBe('filled');
    expect(await ledgerOf(liveId)).toEqual(venueTotals());
  });

  it('closes a position that is the whole holding although the venue took its fee from it', async () => {
    const eth = dec((await app.services.market.venueFeed.getQuote('ETH/USDT')).price);
    fake.setPrice('ETHUSDT', eth.toDecimalPlaces(2).toFixed(2));
    const buy = await placeConfirmed({ portfolioId: liveId, symbol: 'ETH/USDT', side: 'buy', type: 'market', quantity: '0.02' });
    expect(buy.order.status).toBe('filled');
    expect(dec(venueTotals().ETH!).lt('0.02'), 'the fee came out of the ETH').toBe(true);
    let token: string | undefined;
    try {
      await app.services.trading.closePosition(actor, { symbol: 'ETH/USDT', portfolioId: liveId });
    } catch (err) {
      if (!isAppError(err) || err.code !== 'confirmation_required') throw err;
      token = (err.details as { confirmationToken: string }).confirmationToken;
    }
    const r = await app.services.trading.closePosition(actor, { symbol: 'ETH/USDT', portfolioId: liveId, confirmationToken: token });
    expect(r.order.status, r.message).toBe('filled');
    expect(await ledgerOf(liveId)).toEqual(venueTotals());
  });

  it('a lost answer leaves the order unknown; the lookup by client id settles it, never a second venue order', async () => {
    fake.loseResponses({ path: '/api/v3/order', method: 'POST', count: 1 });
    const r = await placeConfirmed({ portfolioId: liveId, symbol: 'SOL/USDT', side: 'buy', type: 'market', quantity: '0.3' });
    const [row] = await app.database.db.select().from(orders).where(eq(orders.id, r.order.id));
    await app.services.trading.reconcilePending(0);
    await app.services.trading.idle();
    const [now] = await app.database.db.select().from(orders).where(eq(orders.id, r.order.id));
    expect(now!.status).toBe('filled');
    expect(venueOrdersOf(row!.clientOrderId), 'never sent twice').toBe(1);
    expect(await app.database.db.select().from(trades).where(eq(trades.orderId, r.order.id))).toHaveLength(1);
    expect(await ledgerOf(liveId)).toEqual(venueTotals());
  });

  it('an order the venue hides from lookups but shows in its trade history is booked from the trades', async () => {
    fake.loseResponses({ path: '/api/v3/order', method: 'POST', count: 1 });
    const r = await placeConfirmed({ portfolioId: liveId, symbol: 'SOL/USDT', side: 'sell', type: 'market', quantity: '0.2' });
    const [row] = await app.database.db.select().from(orders).where(eq(orders.id, r.order.id));
    fake.hideOrder(row!.clientOrderId, Number.POSITIVE_INFINITY);
    await app.services.trading.reconcilePending(0);
    await app.services.trading.idle();
    const [now] = await app.database.db.select().from(orders).where(eq(orders.id, r.order.id));
    expect(now!.status).toBe('filled');
    expect(venueOrdersOf(row!.clientOrderId)).toBe(1);
    expect(await app.database.db.select().from(trades).where(eq(trades.orderId, r.order.id))).toHaveLength(1);
    expect(await ledgerOf(liveId)).toEqual(venueTotals());
  });

  it('the reconciler books a balance the venue changed by itself and raises a risk alert', async () => {
    const before = await ledgerOf(liveId);
    fake.setBalance(KEY, 'spot', 'USDT', dec(before.USDT!).add(25).toFixed());
    const [report] = await app.services.live.reconciler.reconcileAll();
    expect(report!.adjusted).toEqual({ USDT: '25' });
    expect(await ledgerOf(liveId)).toEqual(venueTotals());
    const alerts = await app.database.db.select().from(riskAlerts).where(eq(riskAlerts.portfolioId, liveId));
    expect(alerts.some((a) => /corrected to the exchange/.test(a.message))).toBe(true);
    const [again] = await app.services.live.reconciler.reconcileAll();
    expect(again!.adjusted, 'nothing left to correct').toEqual({});
  });

  it('the kill switch cancels resting live orders at the venue', async () => {
    const price = dec((await app.services.market.venueFeed.getQuote('SOL/USDT')).price).mul('0.8').toDecimalPlaces(2).toFixed(2);
    const r = await placeConfirmed({ portfolioId: liveId, symbol: 'SOL/USDT', side: 'buy', type: 'limit', quantity: '0.2', price });
    const [row] = await app.database.db.select().from(orders).where(eq(orders.id, r.order.id));
    const h = await app.services.risk.haltTrading(actor, { portfolioId: liveId, reason: 'test' });
    expect(h.cancelledOrders).toBeGreaterThanOrEqual(1);
    expect(fake.private.orders(KEY).find((o) => o.clientOrderId === row!.clientOrderId)?.status).toMatch(/CANCEL/i);
    await app.services.risk.resumeTrading(actor, { portfolioId: liveId });
  });

  it('every venue request of an order is in its audit trail, without a secret', async () => {
    const [o] = await app.database.db.select().from(orders).where(eq(orders.portfolioId, liveId)).limit(1);
    await app.services.live.recorded();
    const e = await app.services.trading.explainOrder(actor, o!.id);
    const sent = e.timeline.find((t) => t.action === 'venue.createOrder');
    expect(sent, 'what was sent and what the venue said').toBeTruthy();
    expect(sent!.detail).toMatchObject({ exchange: 'binance', ok: true, sent: { method: 'createOrder', symbol: 'SOL/USDT' }, answer: { kind: 'ok' } });
    const all = JSON.stringify(await queryRows(app.database.db, sql`select * from audit_logs`));
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain(KEY);
    expect(app.logLines.join('\n')).not.toContain(SECRET);
  });
});
