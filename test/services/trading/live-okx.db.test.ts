// The second venue, with a different wire format: OKX v5 (test/fakes/okx-server.ts) through the real
// ccxt `okx` class, API key + secret + passphrase, MIKEY_EXCHANGE_URL. A live spot portfolio on it
// trades through the trading service exactly as on Binance: card, confirmation, one venue order with
// MIKEY's client id, fills applied once (also when the answer is lost), the ledger equal to the venue.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dec } from '../../../src/domain/money.js';
import { defaultOkxInstruments, startOkxFake, type OkxFakeExchange } from '../../fakes/okx-server.js';
import { ledgerOf, orderRow, placeConfirmed, settle, setUpLive, tradeCount, type LiveSetup } from './live-support.js';

const KEY = 'okxLiveKey0123456789abcdef';
const SECRET = 'okxLiveSecret0123456789abcdef012';
const PASSPHRASE = 'okxLivePass01';

let fake: OkxFakeExchange;
let s: LiveSetup;

function venueTotals(): Record<string, string> {
  const b = fake.private.balances(KEY);
  return Object.fromEntries(
    Object.entries(b)
      .map(([asset, v]) => [asset, dec(v.free).add(dec(v.frozen)).toFixed()] as const)
      .filter(([, t]) => !dec(t).isZero()),
  );
}
const venueOrdersOf = (cid: string): number => fake.private.orders(KEY).filter((o) => o.clOrdId === cid).length;

beforeAll(async () => {
  fake = await startOkxFake({ instruments: defaultOkxInstruments(), accounts: [{ apiKey: KEY, secret: SECRET, passphrase: PASSPHRASE, balances: { USDT: '1000', ETH: '0.1' } }] });
  s = await setUpLive({ url: fake.url, apiKey: KEY, secret: SECRET, password: PASSPHRASE, exchange: 'okx', username: 'okxtrader' });
  const q = await s.app.services.market.venueFeed.getQuote('ETH/USDT');
  fake.setPrice('ETH-USDT', dec(q.price).toDecimalPlaces(2).toFixed(2));
}, 60_000);

afterAll(async () => {
  await s?.app.close();
  await fake?.close();
});

describe('a live spot portfolio on OKX', () => {
  it('opens with the OKX trading balances', async () => {
    expect(await ledgerOf(s.app, s.liveId)).toEqual({ USDT: '1000', ETH: '0.1' });
    expect(fake.requestsTo('/api/v5/account/balance')[0]!.headers['ok-access-passphrase']).toBe(PASSPHRASE);
  });

  it('a confirmed market buy: one OKX order with our client id, the fill booked once', async () => {
    const r = await placeConfirmed(s.app, s.actor, { portfolioId: s.liveId, symbol: 'ETH/USDT', side: 'buy', type: 'market', quantity: '0.02' });
    expect(r.order.status).toBe('filled');
    const row = await orderRow(s.app, r.order.id);
    expect(venueOrdersOf(row.clientOrderId)).toBe(1);
    expect(await tradeCount(s.app, r.order.id)).toBe(1);
    expect(await ledgerOf(s.app, s.liveId)).toEqual(venueTotals());
  });

  it('a resting limit order filled in two parts by polling, each fill once', async () => {
    const price = dec((await s.app.services.market.venueFeed.getQuote('ETH/USDT')).price).mul('0.9').toDecimalPlaces(2).toFixed(2);
    const r = await placeConfirmed(s.app, s.actor, { portfolioId: s.liveId, symbol: 'ETH/USDT', side: 'buy', type: 'limit', quantity: '0.02', price });
    expect(r.order.status).toBe('open');
    const row = await orderRow(s.app, r.order.id);
    fake.fill(row.clientOrderId, { quantity: '0.005' });
    await settle(s.app, 2);
    expect((await orderRow(s.app, r.order.id)).status).toBe('partially_filled');
    fake.fill(row.clientOrderId);
    await settle(s.app, 2);
    expect((await orderRow(s.app, r.order.id)).status).toBe('filled');
    expect(await tradeCount(s.app, r.order.id)).toBe(2);
    expect(await ledgerOf(s.app, s.liveId)).toEqual(venueTotals());
  });

  it('a lost answer is settled by looking the order up, never sent twice', async () => {
    fake.loseResponses({ path: '/api/v5/trade/batch-orders', method: 'POST', count: 1 });
    fake.loseResponses({ path: '/api/v5/trade/order', method: 'POST', count: 1 });
    const r = await placeConfirmed(s.app, s.actor, { portfolioId: s.liveId, symbol: 'ETH/USDT', side: 'sell', type: 'market', quantity: '0.01' });
    await settle(s.app, 2);
    const row = await orderRow(s.app, r.order.id);
    expect(row.status).toBe('filled');
    expect(venueOrdersOf(row.clientOrderId)).toBe(1);
    expect(await tradeCount(s.app, r.order.id)).toBe(1);
    expect(await ledgerOf(s.app, s.liveId)).toEqual(venueTotals());
  });

  it('a cancel at OKX, and the reconciler finds nothing to correct', async () => {
    const price = dec((await s.app.services.market.venueFeed.getQuote('ETH/USDT')).price).mul('0.8').toDecimalPlaces(2).toFixed(2);
    const r = await placeConfirmed(s.app, s.actor, { portfolioId: s.liveId, symbol: 'ETH/USDT', side: 'buy', type: 'limit', quantity: '0.01', price });
    const c = await s.app.services.trading.cancelOrder(s.actor, r.order.id);
    expect(c.order.status).toBe('cancelled');
    const row = await orderRow(s.app, r.order.id);
    expect(fake.private.orders(KEY).find((o) => o.clOrdId === row.clientOrderId)?.state).toBe('canceled');
    const [report] = await s.app.services.live.reconciler.reconcileAll();
    expect(report!.error).toBeUndefined();
    expect(report!.adjusted).toEqual({});
    expect(await ledgerOf(s.app, s.liveId)).toEqual(venueTotals());
  });
});
