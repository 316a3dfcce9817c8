// The fake Binance's private endpoints driven by the real ccxt `binance` client with API keys:
// what the live broker's tests rely on (signatures, orders, fills, positions, fault injection).
import { AuthenticationError, DDoSProtection, ExchangeNotAvailable, InsufficientFunds, InvalidNonce, InvalidOrder, OperationFailed, OrderNotFound, RequestTimeout, type Exchange } from 'ccxt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCcxtExchange } from '../../src/adapters/ccxt/ccxt-market-data.js';
import { startFakeExchange, type FakeExchange } from './exchange-server.js';

const KEY = 'test-key-A';
const SECRET = 'test-secret-A';

let fake: FakeExchange;
let ex: Exchange;

function client(apiKey = KEY, secret = SECRET): Exchange {
  const e = createCcxtExchange({ apiBaseUrl: fake.url });
  e.apiKey = apiKey;
  e.secret = secret;
  return e;
}

/** The venue's order id; every accepted order has one. */
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
  fake = await startFakeExchange({
    accounts: [{ apiKey: KEY, secret: SECRET, spot: { USDT: '10000', BTC: '0.5', ETH: '2' }, futures: { USDT: '5000' } }],
  });
  ex = client();
});

afterEach(async () => {
  await fake.close();
});

describe('fake Binance, signed spot endpoints through ccxt', () => {
  it('fetches the spot balance, with the used weight header on the answer', async () => {
    const balance = await ex.fetchBalance();
    expect(balance['USDT']?.free, 'starting free USDT').toBe(10000);
    expect(balance['BTC']?.total, 'starting BTC').toBe(0.5);
    const last = fake.requestsTo('/api/v3/account').at(-1)!;
    expect(last.headers['x-mbx-apikey'], 'ccxt sends the key header').toBe(KEY);
    // ccxt capitalises header names: X-Mbx-Used-Weight-1m.
    const headers = (ex.last_response_headers ?? {}) as Record<string, string>;
    const used = Object.entries(headers).find(([k]) => k.toLowerCase() === 'x-mbx-used-weight-1m')?.[1];
    expect(Number(used), 'weight header counts this minute').toBe(fake.usedWeight('spot'));
    fake.setUsedWeight(5990);
    await ex.fetchBalance();
    const after = Object.entries((ex.last_response_headers ?? {}) as Record<string, string>).find(([k]) => k.toLowerCase() === 'x-mbx-used-weight-1m')?.[1];
    expect(after, 'account costs 20 on top of the set weight').toBe('6010');
  });

  it('fills a market buy at once and reports fills with trade id and commission', async () => {
    const order = await ex.createOrder('BTC/USDT', 'market', 'buy', 0.01, undefined, { newClientOrderId: 'mkt-1' });
    expect(order.status).toBe('closed');
    expect(order.clientOrderId).toBe('mkt-1');
    expect(order.filled).toBe(0.01);
    expect(order.trades.length, 'FULL response carries fills').toBe(1);
    expect(order.trades[0]?.id).toBeDefined();
    expect(order.fee?.currency ?? order.trades[0]?.fee?.currency).toBe('BTC');
    const bal = fake.private.balances(KEY, 'spot');
    expect(bal['USDT']?.free, '0.01 × 65000 spent').toBe('9350');
    expect(bal['BTC']?.free, 'bought 0.01 less 0.1 % fee').toBe('0.50999');
  });

  it('rests a limit order, fills it partly then fully, and myTrades shows both fills', async () => {
    const placed = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.02, 60000, { newClientOrderId: 'lim-1' });
    expect(placed.status).toBe('open');
    expect(fake.private.balances(KEY, 'spot')['USDT'], 'funds locked for the resting order').toEqual({ asset: 'USDT', free: '8800', locked: '1200' });
    fake.fill('lim-1', { quantity: '0.005' });
    const partial = await ex.fetchOrder(idOf(placed), 'BTC/USDT');
    expect(partial.status).toBe('open');
    expect(partial.filled).toBe(0.005);
    fake.setPrice('BTCUSDT', '59990.00');
    const done = await ex.fetchOrder('', 'BTC/USDT', { origClientOrderId: 'lim-1' });
    expect(done.status, 'price crossing the limit fills the rest').toBe('closed');
    expect(done.filled).toBe(0.02);
    const trades = await ex.fetchMyTrades('BTC/USDT');
    expect(trades.map((t) => t.amount)).toEqual([0.005, 0.015]);
    expect(trades.every((t) => t.takerOrMaker === 'maker' && t.price === 60000)).toBe(true);
    expect(Number(trades[1]!.id)).toBeGreaterThan(Number(trades[0]!.id));
    expect(fake.private.balances(KEY, 'spot')['USDT'], 'nothing left locked').toEqual({ asset: 'USDT', free: '8800', locked: '0' });
  });

  it('cancels an open order, then -2011 on a second cancel and -2013 for an unknown order', async () => {
    const placed = await ex.createOrder('ETH/USDT', 'limit', 'sell', 0.1, 4000, { newClientOrderId: 'c-1', timeInForce: 'GTC' });
    await ex.cancelOrder(idOf(placed), 'ETH/USDT');
    expect((await ex.fetchOrder(idOf(placed), 'ETH/USDT')).status).toBe('canceled');
    expect(await ex.fetchOpenOrders('ETH/USDT')).toEqual([]);
    const again = await rejection(ex.cancelOrder(idOf(placed), 'ETH/USDT'));
    expect(again).toBeInstanceOf(OrderNotFound);
    expect(again.message).toContain('-2011');
    const unknown = await rejection(ex.fetchOrder('', 'BTC/USDT', { origClientOrderId: 'never-sent' }));
    expect(unknown).toBeInstanceOf(OrderNotFound);
    expect(unknown.message).toContain('-2013');
  });

  it('refuses a client id reused while its order is open, allows it once final, and finds the newest', async () => {
    await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 50000, { newClientOrderId: 'dup-1' });
    const dup = await rejection(ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 50000, { newClientOrderId: 'dup-1' }));
    expect(dup).toBeInstanceOf(InvalidOrder);
    expect(dup.message).toContain('Duplicate order sent.');
    await ex.cancelOrder('', 'BTC/USDT', { origClientOrderId: 'dup-1' });
    const second = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.002, 50000, { newClientOrderId: 'dup-1' });
    const found = await ex.fetchOrder('', 'BTC/USDT', { origClientOrderId: 'dup-1' });
    expect(found.id).toBe(second.id);
    expect(fake.private.orders(KEY).filter((o) => o.clientOrderId === 'dup-1').length).toBe(2);
    const bad = await rejection(ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 50000, { newClientOrderId: 'has space' }));
    expect(bad.message).toContain('-1100');
  });

  it('refuses insufficient balance (-2010) and filter failures (-1013)', async () => {
    const poor = await rejection(ex.createOrder('BTC/USDT', 'market', 'buy', 1));
    expect(poor).toBeInstanceOf(InsufficientFunds);
    const tiny = await rejection(ex.createOrder('DOGE/USDT', 'limit', 'buy', 2, 0.1));
    expect(tiny.message).toContain('Filter failure: NOTIONAL');
    expect(fake.private.orders(KEY)).toEqual([]);
  });

  it('refuses a bad signature, an unknown key and a stale timestamp', async () => {
    const wrongSecret = client(KEY, 'not-the-secret');
    const badSig = await rejection(wrongSecret.fetchBalance());
    expect(badSig).toBeInstanceOf(AuthenticationError);
    expect(badSig.message).toContain('-1022');
    const unknownKey = await rejection(client('nobody', 'x').fetchBalance());
    expect(unknownKey.message).toContain('-2015');
    expect(fake.requests.filter((r) => r.status === 401).length, 'the unknown key is refused with HTTP 401').toBeGreaterThan(0);
    const stale = client();
    stale.options['timeDifference'] = 120_000; // ccxt stamps requests two minutes in the past
    const old = await rejection(stale.fetchBalance());
    expect(old).toBeInstanceOf(InvalidNonce);
    expect(old.message).toContain('-1021');
  });

  it('a lost answer leaves an order the venue holds, found later by origClientOrderId', async () => {
    await ex.loadMarkets();
    fake.loseResponses({ method: 'POST', path: '/api/v3/order' });
    ex.timeout = 300; // the answer never comes, whatever the timeout: only how long the test waits
    const lostErr = await rejection(ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 50000, { newClientOrderId: 'lost-1' }));
    ex.timeout = 10_000;
    expect(lostErr).toBeInstanceOf(RequestTimeout);
    expect(fake.requestsTo('/api/v3/order').at(-1)?.lost).toBe(true);
    const found = await ex.fetchOrder('', 'BTC/USDT', { origClientOrderId: 'lost-1' });
    expect(found.status).toBe('open');
    expect(fake.private.orders(KEY).filter((o) => o.clientOrderId === 'lost-1').length, 'exactly one venue order').toBe(1);
  });

  it('hides an order from lookups for a while, and -1006 is an OperationFailed', async () => {
    fake.hideOrder('hid-1', 2);
    const placed = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 50000, { newClientOrderId: 'hid-1' });
    expect(await rejection(ex.fetchOrder(idOf(placed), 'BTC/USDT'))).toBeInstanceOf(OrderNotFound);
    expect(await ex.fetchOpenOrders('BTC/USDT'), 'second hidden lookup').toEqual([]);
    expect((await ex.fetchOpenOrders('BTC/USDT')).map((o) => o.clientOrderId)).toEqual(['hid-1']);
    fake.hideOrder('ghost-1', Infinity);
    const ghost = await ex.createOrder('BTC/USDT', 'market', 'buy', 0.001, undefined, { newClientOrderId: 'ghost-1' });
    expect(await rejection(ex.fetchOrder('', 'BTC/USDT', { origClientOrderId: 'ghost-1' }))).toBeInstanceOf(OrderNotFound);
    expect((await ex.fetchOrders('BTC/USDT')).map((o) => o.clientOrderId), 'allOrders leaves it out too').toEqual(['hid-1']);
    expect((await ex.fetchMyTrades('BTC/USDT')).map((t) => t.order), 'only myTrades shows it').toEqual([ghost.id]);
    fake.failWith(-1006, 'An unexpected response was received from the message bus. Execution status unknown.', { path: '/api/v3/order', method: 'POST' });
    expect(await rejection(ex.createOrder('BTC/USDT', 'market', 'buy', 0.001, undefined, { newClientOrderId: 'unk-1' }))).toBeInstanceOf(OperationFailed);
    expect(fake.private.orders(KEY).some((o) => o.clientOrderId === 'unk-1'), 'refused before processing: no order').toBe(false);
    fake.failWith(-1006, 'An unexpected response was received from the message bus. Execution status unknown.', { path: '/api/v3/order', method: 'POST', afterProcessing: true });
    expect(await rejection(ex.createOrder('BTC/USDT', 'market', 'buy', 0.001, undefined, { newClientOrderId: 'unk-2' }))).toBeInstanceOf(OperationFailed);
    expect((await ex.fetchOrder('', 'BTC/USDT', { origClientOrderId: 'unk-2' })).status, 'afterProcessing: the venue filled it anyway').toBe('closed');
    expect(fake.requestsTo('/api/v3/order').filter((r) => r.method === 'POST').map((r) => r.status)).toEqual([200, 200, 500, 500]);
  });
});

describe('fake Binance, signed USDⓈ-M endpoints through ccxt', () => {
  it('opens a position with a market order, visible in fetchPositions and the futures balance', async () => {
    await ex.setLeverage(5, 'BTC/USDT:USDT');
    const order = await ex.createOrder('BTC/USDT:USDT', 'market', 'buy', 0.01, undefined, { newClientOrderId: 'f-1' });
    expect(order.status).toBe('closed');
    const positions = await ex.fetchPositions(['BTC/USDT:USDT']);
    expect(positions.length).toBe(1);
    expect(positions[0]?.side).toBe('long');
    expect(positions[0]?.contracts).toBe(0.01);
    expect(positions[0]?.entryPrice).toBe(65010);
    expect(fake.private.positions(KEY)[0]?.leverage).toBe(5);
    const balance = await ex.fetchBalance({ type: 'future' });
    expect(balance['USDT']?.total, 'wallet less the 0.05 % taker fee').toBeCloseTo(5000 - 0.32505, 6);
    const trades = await ex.fetchMyTrades('BTC/USDT:USDT');
    expect(trades.map((t) => t.order)).toEqual([order.id]);
  });

  it('closes with a reduce-only limit filled by hand, realising the PnL', async () => {
    await ex.createOrder('ETH/USDT:USDT', 'market', 'sell', 0.1, undefined, { newClientOrderId: 'f-open' });
    const close = await ex.createOrder('ETH/USDT:USDT', 'limit', 'buy', 0.1, 3300, { newClientOrderId: 'f-close', reduceOnly: true });
    expect(close.status).toBe('open');
    fake.fill('f-close');
    expect(fake.private.positions(KEY)).toEqual([]);
    const realised = fake.private.trades(KEY).find((t) => t.clientOrderId === 'f-close')!.realizedPnl;
    expect(realised, '(3451 − 3300) × 0.1').toBe('15.1');
    const refused = await rejection(ex.createOrder('ETH/USDT:USDT', 'market', 'buy', 0.1, undefined, { reduceOnly: true }));
    expect(refused.message).toContain('-2022');
  });

  it('places a stop-market through the algo endpoint and triggers it when the price crosses', async () => {
    await ex.createOrder('BTC/USDT:USDT', 'market', 'buy', 0.01, undefined, { newClientOrderId: 'f-long' });
    const stop = await ex.createOrder('BTC/USDT:USDT', 'market', 'sell', 0.01, undefined, { stopLossPrice: 60000, reduceOnly: true, clientOrderId: 'f-stop' });
    expect(stop.status).toBe('open');
    expect(fake.requestsTo('/fapi/v1/algoOrder').length).toBe(1);
    expect((await ex.fetchOpenOrders('BTC/USDT:USDT', undefined, undefined, { trigger: true })).map((o) => o.clientOrderId)).toEqual(['f-stop']);
    fake.setPrice('BTCUSDT', '59990.0', 'perp');
    expect(fake.private.positions(KEY)).toEqual([]);
    const after = await ex.fetchOrder(idOf(stop), 'BTC/USDT:USDT', { trigger: true });
    expect(after.status).toBe('closed');
    await ex.setMarginMode('isolated', 'BTC/USDT:USDT');
    expect((await ex.fetchPositions(['BTC/USDT:USDT'])).length).toBe(0);
  });
});

describe('fake Binance, order kinds, amendments and injected faults', () => {
  it('expires an IOC limit that cannot fill, and triggers a spot stop-loss-limit when the price falls', async () => {
    const ioc = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 60000, { timeInForce: 'IOC', newClientOrderId: 'ioc-1' });
    expect(ioc.status).toBe('expired');
    expect(fake.private.balances(KEY, 'spot')['USDT']?.locked, 'an expired order unlocks its funds').toBe('0');
    const stop = await ex.createOrder('BTC/USDT', 'limit', 'sell', 0.1, 63900, { stopLossPrice: 64000, newClientOrderId: 'sl-1' });
    expect(stop.status).toBe('open');
    expect(fake.private.orders(KEY).find((o) => o.clientOrderId === 'sl-1')?.type).toBe('STOP_LOSS_LIMIT');
    const tooLate = await rejection(ex.createOrder('BTC/USDT', 'limit', 'sell', 0.1, 66000, { stopLossPrice: 66000 }));
    expect(tooLate.message).toContain('Stop price would trigger immediately.');
    fake.setPrice('BTCUSDT', '64100.00');
    expect((await ex.fetchOrder(idOf(stop), 'BTC/USDT')).status, 'above the trigger nothing happens').toBe('open');
    fake.setPrice('BTCUSDT', '63950.00');
    const done = await ex.fetchOrder(idOf(stop), 'BTC/USDT');
    expect(done.status).toBe('closed');
    expect(done.average, 'triggered and marketable: takes at the market price').toBe(63950);
  });

  it('amends a spot order by cancel-replace and a futures order in place, and cancels all', async () => {
    const first = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 50000, { newClientOrderId: 'amend-1' });
    const edited = await ex.editOrder(idOf(first), 'BTC/USDT', 'limit', 'buy', 0.002, 51000, { newClientOrderId: 'amend-2' });
    expect(edited.clientOrderId).toBe('amend-2');
    expect(fake.private.orders(KEY).map((o) => [o.clientOrderId, o.status])).toEqual([
      ['amend-1', 'CANCELED'],
      ['amend-2', 'NEW'],
    ]);
    const gone = await rejection(ex.editOrder(idOf(first), 'BTC/USDT', 'limit', 'buy', 0.002, 52000));
    expect(gone.message).toContain('cancel-replace failed');

    const f = await ex.createOrder('ETH/USDT:USDT', 'limit', 'buy', 0.1, 3000, { newClientOrderId: 'famend-1' });
    const moved = await ex.editOrder(idOf(f), 'ETH/USDT:USDT', 'limit', 'buy', 0.2, 3100);
    expect([moved.id, moved.amount, moved.price]).toEqual([idOf(f), 0.2, 3100]);

    await ex.cancelAllOrders('BTC/USDT');
    await ex.cancelAllOrders('ETH/USDT:USDT');
    expect(fake.private.orders(KEY).filter((o) => o.status === 'NEW')).toEqual([]);
  });

  it('runs a trailing stop on futures: activates, follows the high, triggers on the pullback', async () => {
    await ex.createOrder('BTC/USDT:USDT', 'market', 'buy', 0.01);
    const trail = await ex.createOrder('BTC/USDT:USDT', 'market', 'sell', 0.01, undefined, { trailingPercent: 1, reduceOnly: true, clientOrderId: 'trail-1' });
    expect(fake.private.orders(KEY).find((o) => o.clientOrderId === 'trail-1')?.type).toBe('TRAILING_STOP_MARKET');
    fake.setPrice('BTCUSDT', '70000.0', 'perp');
    fake.setPrice('BTCUSDT', '69400.0', 'perp');
    expect(fake.private.positions(KEY).length, '0.86 % below the high: still open').toBe(1);
    fake.setPrice('BTCUSDT', '69300.0', 'perp');
    expect(fake.private.positions(KEY), '1 % below 70 000 closes').toEqual([]);
    expect((await ex.fetchOrder(idOf(trail), 'BTC/USDT:USDT', { trigger: true })).status).toBe('closed');
    const closing = fake.private.trades(KEY).at(-1)!;
    expect([closing.clientOrderId, closing.price, closing.realizedPnl]).toEqual(['trail-1', '69300', '42.9']);
  });

  it('429 with Retry-After, 5xx and 418 reach ccxt as the venue sends them, with the weight header', async () => {
    await ex.loadMarkets();
    fake.injectFailure({ status: 429, code: -1003, msg: 'Too much request weight used.', path: '/api/v3/order', method: 'POST', headers: { 'retry-after': '7' } });
    const limited = await rejection(ex.createOrder('BTC/USDT', 'market', 'buy', 0.001));
    expect(limited).toBeInstanceOf(DDoSProtection);
    const retryAfter = Object.entries((ex.last_response_headers ?? {}) as Record<string, string>).find(([k]) => k.toLowerCase() === 'retry-after')?.[1];
    expect(retryAfter).toBe('7');
    fake.injectFailure({ status: 503, body: 'Service Unavailable', path: '/fapi/v3/account' });
    expect(await rejection(ex.fetchBalance({ type: 'future' }))).toBeInstanceOf(ExchangeNotAvailable);
    expect(fake.private.orders(KEY), 'refused requests create nothing').toEqual([]);
    const futuresWeight = fake.requestsTo('/fapi/v3/account').length;
    expect(futuresWeight).toBe(1);
  });

  it('refuses recvWindow above 60000 and a request without a key header', async () => {
    const wide = await rejection(ex.fetchBalance({ recvWindow: 70_000 }));
    expect(wide.message).toContain('-1131');
    const res = await fetch(`${fake.url}/api/v3/account?timestamp=${Date.now()}&signature=00`);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ code: -2014, msg: 'API-key format invalid.' });
  });

  it('keeps accounts apart and accepts accounts added later', async () => {
    fake.addAccount({ apiKey: 'test-key-B', secret: 'test-secret-B', spot: { USDT: '100' } });
    const other = client('test-key-B', 'test-secret-B');
    await other.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 50000, { newClientOrderId: 'same-id' });
    await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.001, 50000, { newClientOrderId: 'same-id' });
    expect(fake.private.orders('test-key-B').length).toBe(1);
    expect((await other.fetchOpenOrders('BTC/USDT')).length).toBe(1);
    expect(fake.private.balances('test-key-B', 'spot')['USDT']).toEqual({ asset: 'USDT', free: '50', locked: '50' });
  });
});
