// The fake OKX v5 server driven by the real ccxt `okx` client with API key, secret and passphrase.
import { AuthenticationError, InsufficientFunds, InvalidNonce, InvalidOrder, OrderNotFound, RequestTimeout, type Exchange } from 'ccxt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCcxtExchange } from '../../src/adapters/ccxt/ccxt-market-data.js';
import { startOkxFake, type OkxFakeExchange } from './okx-server.js';

const KEY = 'okx-key-A';
const SECRET = 'okx-secret-A';
const PASSPHRASE = 'okx-pass-A';

let fake: OkxFakeExchange;
let ex: Exchange;

function client(secret = SECRET, passphrase = PASSPHRASE): Exchange {
  const e = createCcxtExchange({ exchangeId: 'okx', apiBaseUrl: fake.url });
  e.apiKey = KEY;
  e.secret = secret;
  e.password = passphrase;
  e.options['fetchMarkets'] = { types: ['spot', 'swap'] };
  return e;
}

function idOf(order: { id?: string | undefined }): string {
  if (order.id === undefined) throw new Error('the venue answered without an order id');
  return order.id;
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the venue to refuse');
}

beforeEach(async () => {
  fake = await startOkxFake({ accounts: [{ apiKey: KEY, secret: SECRET, passphrase: PASSPHRASE, balances: { USDT: '10000', BTC: '0.5' } }] });
  ex = client();
});

afterEach(async () => {
  await fake.close();
});

describe('fake OKX v5 through ccxt okx', () => {
  it('loads spot and swap instruments and fetches the trading balance', async () => {
    await ex.loadMarkets();
    expect(ex.market('BTC/USDT').id).toBe('BTC-USDT');
    expect(ex.market('BTC/USDT:USDT').contractSize).toBe(0.01);
    const balance = await ex.fetchBalance();
    expect(balance['USDT']?.free).toBe(10000);
    expect(balance['BTC']?.total).toBe(0.5);
    const signed = fake.requestsTo('/api/v5/account/balance')[0]!;
    expect(signed.headers['ok-access-passphrase']).toBe(PASSPHRASE);
  });

  it('fills a market buy, and a resting limit fills partly then fully, with fills carrying trade ids and fees', async () => {
    const market = await ex.createOrder('BTC/USDT', 'market', 'buy', 0.01, undefined, { clientOrderId: 'mkt1' });
    const filled = await ex.fetchOrder(idOf(market), 'BTC/USDT');
    expect([filled.status, filled.filled, filled.average, filled.clientOrderId]).toEqual(['closed', 0.01, 65000, 'mkt1']);
    expect(fake.private.balances(KEY)['BTC']?.free, '0.01 less the 0.1 % fee').toBe('0.50999');

    const limit = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.02, 60000, { clientOrderId: 'lim1' });
    expect(fake.private.balances(KEY)['USDT']).toEqual({ free: '8150', frozen: '1200' });
    fake.fill('lim1', { quantity: '0.005' });
    const partial = await ex.fetchOrder(idOf(limit), 'BTC/USDT');
    expect([partial.status, partial.filled]).toEqual(['open', 0.005]);
    expect((await ex.fetchOpenOrders('BTC/USDT')).map((o) => o.clientOrderId)).toEqual(['lim1']);
    fake.setPrice('BTC-USDT', '59900.0');
    const done = await ex.fetchOrder('', 'BTC/USDT', { clientOrderId: 'lim1' });
    expect([done.status, done.filled]).toEqual(['closed', 0.02]);
    const trades = await ex.fetchMyTrades('BTC/USDT');
    expect(trades.map((t) => [t.order, t.amount, t.takerOrMaker])).toEqual([
      [idOf(market), 0.01, 'taker'],
      [idOf(limit), 0.005, 'maker'],
      [idOf(limit), 0.015, 'maker'],
    ]);
    expect(trades[0]?.fee?.currency).toBe('BTC');
  });

  it('cancels, then refuses a second cancel and an unknown lookup; refuses duplicates and insufficient balance', async () => {
    const placed = await ex.createOrder('BTC/USDT', 'limit', 'sell', 0.1, 70000, { clientOrderId: 'c1' });
    const dup = await rejection(ex.createOrder('BTC/USDT', 'limit', 'sell', 0.1, 70000, { clientOrderId: 'c1' }));
    expect(dup).toBeInstanceOf(InvalidOrder);
    await ex.cancelOrder(idOf(placed), 'BTC/USDT');
    expect((await ex.fetchOrder(idOf(placed), 'BTC/USDT')).status).toBe('canceled');
    expect(await rejection(ex.cancelOrder(idOf(placed), 'BTC/USDT'))).toBeInstanceOf(OrderNotFound);
    expect(await rejection(ex.fetchOrder('', 'BTC/USDT', { clientOrderId: 'nothere' }))).toBeInstanceOf(OrderNotFound);
    expect(await rejection(ex.createOrder('BTC/USDT', 'market', 'buy', 1))).toBeInstanceOf(InsufficientFunds);
    expect(fake.private.orders(KEY).map((o) => o.clOrdId)).toEqual(['c1']);
  });

  it('refuses a bad signature, a wrong passphrase and a stale timestamp', async () => {
    expect(await rejection(client('wrong').fetchBalance())).toBeInstanceOf(AuthenticationError);
    expect(await rejection(client(SECRET, 'wrong').fetchBalance())).toBeInstanceOf(AuthenticationError);
    const stale = client();
    stale.options['timeDifference'] = 60_000;
    expect(await rejection(stale.fetchBalance())).toBeInstanceOf(InvalidNonce);
    expect(fake.requests.filter((r) => r.status === 401).length).toBeGreaterThanOrEqual(3);
  });

  it('a lost answer leaves an order found later by clientOrderId; a hidden order shows only in fills', async () => {
    await ex.loadMarkets();
    fake.loseResponses({ method: 'POST', path: '/api/v5/trade/batch-orders' }); // ccxt's createOrder path
    ex.timeout = 300; // the answer never comes, whatever the timeout
    expect(await rejection(ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 50000, { clientOrderId: 'lost1' }))).toBeInstanceOf(RequestTimeout);
    ex.timeout = 10_000;
    expect((await ex.fetchOrder('', 'BTC/USDT', { clientOrderId: 'lost1' })).status).toBe('open');

    fake.hideOrder('ghost1', Infinity);
    await ex.createOrder('BTC/USDT', 'market', 'buy', 0.001, undefined, { clientOrderId: 'ghost1' });
    expect(await rejection(ex.fetchOrder('', 'BTC/USDT', { clientOrderId: 'ghost1' }))).toBeInstanceOf(OrderNotFound);
    expect((await ex.fetchMyTrades('BTC/USDT')).length).toBe(1);
  });

  it('trades a swap in contracts: leverage, a market buy opens a position, a reduce-only limit closes it with PnL', async () => {
    await ex.setLeverage(5, 'BTC/USDT:USDT', { marginMode: 'cross' });
    const open = await ex.createOrder('BTC/USDT:USDT', 'market', 'buy', 2, undefined, { clientOrderId: 'swap1' });
    const positions = await ex.fetchPositions(['BTC/USDT:USDT']);
    expect(positions.map((p) => [p.side, p.contracts, p.entryPrice, p.leverage])).toEqual([['long', 2, 65010, 5]]);
    expect((await ex.fetchOrder(idOf(open), 'BTC/USDT:USDT')).status).toBe('closed');
    await ex.createOrder('BTC/USDT:USDT', 'limit', 'sell', 2, 66000, { clientOrderId: 'swap2', reduceOnly: true });
    fake.setPrice('BTC-USDT-SWAP', '66000.0');
    expect(fake.private.positions(KEY)).toEqual([]);
    const closing = fake.private.fills(KEY).at(-1)!;
    expect([closing.clOrdId, closing.fillPnl], '(66000 − 65010) × 2 contracts × 0.01 BTC').toEqual(['swap2', '19.8']);
    const refused = await rejection(ex.createOrder('BTC/USDT:USDT', 'market', 'sell', 1, undefined, { reduceOnly: true }));
    expect(refused.message).toContain('51169');
  });
});
