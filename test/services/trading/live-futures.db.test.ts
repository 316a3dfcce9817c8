// USDⓈ-M futures on a live portfolio, end to end: an exchange account of type futures, the fake
// Binance's futures wallet, a leveraged ETH-PERP market order through the trading service (card,
// confirmation), the leverage set at the venue before the order, the position visible on both sides,
// then a reduce-only close. The ledger and the venue's wallet agree after each step.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../../src/db/client.js';
import { dec } from '../../../src/domain/money.js';
import { createCcxtExchange } from '../../../src/adapters/ccxt/index.js';
import { startFakeExchange, type FakeExchange } from '../../fakes/exchange-server.js';
import { ledgerOf, orderRow, placeConfirmed, setUpLive, totalsOf, tradeCount, type LiveSetup } from './live-support.js';

const KEY = 'futuresKey0123456789abcdefgh';
const SECRET = 'futuresSecret0123456789abcdef012';

let fake: FakeExchange;
let s: LiveSetup;

const venueWallet = (): Record<string, string> => totalsOf(fake.private.balances(KEY, 'futures'));

beforeAll(async () => {
  fake = await startFakeExchange({ accounts: [{ apiKey: KEY, secret: SECRET, futures: { USDT: '1000' } }] });
  s = await setUpLive({ url: fake.url, apiKey: KEY, secret: SECRET, accountType: 'futures', username: 'perptrader' });
  const q = await s.app.services.market.venueFeed.getQuote('ETH-PERP');
  fake.setPrice('ETHUSDT', dec(q.price).toDecimalPlaces(2).toFixed(2), 'perp');
}, 60_000);

afterAll(async () => {
  await s?.app.close();
  await fake?.close();
});

describe('a live USDⓈ-M futures portfolio', () => {
  it('opens with the futures wallet', async () => {
    expect(await ledgerOf(s.app, s.liveId)).toEqual({ USDT: '1000' });
  });

  it('refuses leverage above the live starting limit of 3 before anything is sent', async () => {
    const before = fake.requests.length;
    await expect(placeConfirmed(s.app, s.actor, { portfolioId: s.liveId, symbol: 'ETH-PERP', side: 'buy', type: 'market', quantity: '0.02', leverage: '5' })).rejects.toThrow(/leverage/i);
    expect(fake.requests.slice(before).filter((r) => r.path.startsWith('/fapi/v1/order') || r.path === '/fapi/v1/leverage')).toHaveLength(0);
  });

  let openId = '';
  it('a 3x market buy: leverage set at the venue first, one venue order, the position on both sides', async () => {
    const r = await placeConfirmed(s.app, s.actor, { portfolioId: s.liveId, symbol: 'ETH-PERP', side: 'buy', type: 'market', quantity: '0.02', leverage: '3' });
    openId = r.order.id;
    expect(r.order.status).toBe('filled');
    const lev = fake.requestsTo('/fapi/v1/leverage');
    expect(lev.length, 'leverage set once').toBe(1);
    expect(lev[0]!.body?.['leverage'] ?? lev[0]!.query['leverage']).toBe('3');
    const row = await orderRow(s.app, r.order.id);
    const venueOrders = fake.private.orders(KEY).filter((o) => o.clientOrderId === row.clientOrderId);
    expect(venueOrders).toHaveLength(1);
    expect(venueOrders[0]!.venue).toBe('futures');
    expect(await tradeCount(s.app, r.order.id)).toBe(1);
    const venuePos = fake.private.positions(KEY);
    expect(venuePos.map((p) => [p.symbol, p.positionAmt, p.leverage])).toEqual([['ETHUSDT', '0.02', 3]]);
    const mine = (await s.app.services.portfolio.getPositions(s.actor, { portfolioId: s.liveId })).positions;
    expect(mine.map((p) => [p.symbol, p.side, dec(p.quantity).toFixed()])).toEqual([['ETH-PERP', 'long', '0.02']]);
    expect(dec(mine[0]!.leverage ?? '0').toFixed()).toBe('3');
  });

  it('the ledger holds what the venue holds: the wallet less the fee (margin is locked, not spent)', async () => {
    const ledger = await ledgerOf(s.app, s.liveId);
    expect(ledger).toEqual(venueWallet());
    const [p] = await queryRows<{ locked: string }>(s.app.database.db, sql`select locked::text as locked from balances where portfolio_id = ${s.liveId} and asset = 'USDT'`);
    expect(dec(p!.locked).gt(0), 'the position margin is reserved in the ledger').toBe(true);
    const [report] = await s.app.services.live.reconciler.reconcileAll();
    expect(report!.positionDifferences, 'the position agrees with the venue').toEqual([]);
  });

  it('a reduce-only close after the price moved: sent reduce-only, the position flat on both sides, the realized result equal to the wallet', async () => {
    const moved = dec(fake.private.positions(KEY)[0]!.entryPrice).mul('1.013').toDecimalPlaces(2).toFixed(2);
    fake.setPrice('ETHUSDT', moved, 'perp');
    const r = await placeConfirmed(s.app, s.actor, { portfolioId: s.liveId, symbol: 'ETH-PERP', side: 'sell', type: 'market', quantity: '0.02', reduceOnly: true });
    expect(r.order.status).toBe('filled');
    const row = await orderRow(s.app, r.order.id);
    const sent = fake.requestsTo('/fapi/v1/order').find((q) => q.method === 'POST' && (q.body?.['newClientOrderId'] ?? q.query['newClientOrderId']) === row.clientOrderId);
    expect(sent?.body?.['reduceOnly'] ?? sent?.query['reduceOnly']).toBe('true');
    expect(fake.private.positions(KEY)).toEqual([]);
    expect((await s.app.services.portfolio.getPositions(s.actor, { portfolioId: s.liveId })).positions).toEqual([]);
    expect(openId).not.toBe('');
    const [report] = await s.app.services.live.reconciler.reconcileAll();
    expect(report!.adjusted, 'nothing for the reconciler to correct').toEqual({});
    expect(await ledgerOf(s.app, s.liveId)).toEqual(venueWallet());
  });

  it('a reduce-only order with no position is refused and nothing is booked', async () => {
    const before = await ledgerOf(s.app, s.liveId);
    await expect(placeConfirmed(s.app, s.actor, { portfolioId: s.liveId, symbol: 'ETH-PERP', side: 'sell', type: 'market', quantity: '0.02', reduceOnly: true })).rejects.toThrow();
    expect(await ledgerOf(s.app, s.liveId)).toEqual(before);
  });

  it('a position opened on the exchange behind MIKEY\'s back is reported by the reconciler, never booked', async () => {
    // The owner trades on the exchange's own website: a raw signed client, the same key.
    const raw = createCcxtExchange({ exchangeId: 'binance', apiBaseUrl: fake.url, credentials: { apiKey: KEY, secret: SECRET } });
    raw.options['fetchCurrencies'] = false;
    raw.options['fetchMargins'] = false;
    await raw.createOrder('ETH/USDT:USDT', 'market', 'buy', 0.01);
    const [report] = await s.app.services.live.reconciler.reconcileAll();
    expect(report!.positionDifferences).toEqual(['ETH-PERP: MIKEY none, exchange long 0.01']);
    expect((await s.app.services.portfolio.getPositions(s.actor, { portfolioId: s.liveId })).positions, 'MIKEY books no position it did not trade').toEqual([]);
    const alerts = await queryRows<{ message: string; severity: string }>(s.app.database.db, sql`select message, severity from risk_alerts where portfolio_id = ${s.liveId} order by created_at desc limit 1`);
    expect(alerts[0]!.message).toMatch(/positions differ from the exchange's and were left alone: ETH-PERP: MIKEY none, exchange long 0.01/);
    expect(alerts[0]!.severity).toBe('high');
  });
});
