// The live broker against the fake Binance (test/fakes/exchange-server.ts) with the real ccxt client:
// orders, fills, cancel, amend by cancel-replace, precision, unknown outcomes settled by lookup (0
// duplicate venue orders), rejections, rate limits and backoff, futures, and no secret in any text.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CcxtBroker, validateExchangeCredentials, type VenueCallRecord } from '../../src/adapters/ccxt/ccxt-broker.js';
import type { BrokerOrderRequest, SubmitOutcome } from '../../src/domain/broker.js';
import { D, type Dec } from '../../src/domain/money.js';
import type { Logger } from '../../src/log.js';
import type { ExecutionReport } from '../../src/services/trading/ports.js';
import { startFakeExchange, type FakeExchange } from '../fakes/exchange-server.js';

const KEY = 'mikeyTestKey0000000000000000000000000000000000000000000000000001';
const SECRET = 'mikeyTestSecret000000000000000000000000000000000000000000000002';
const ACCOUNT = 'portfolio-1';

class ManualClock {
  constructor(public t: number) {}
  now(): Date {
    return new Date(this.t);
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

let fake: FakeExchange;
let clock: ManualClock;
let records: VenueCallRecord[];
let logLines: string[];
let outputs: unknown[];
let brokers: CcxtBroker[];

const logger: Logger = {
  debug: (msg, fields) => void logLines.push(JSON.stringify({ msg, fields })),
  info: (msg, fields) => void logLines.push(JSON.stringify({ msg, fields })),
  warn: (msg, fields) => void logLines.push(JSON.stringify({ msg, fields })),
  error: (msg, fields) => void logLines.push(JSON.stringify({ msg, fields })),
  child: () => logger,
};

function makeBroker(extra: Partial<ConstructorParameters<typeof CcxtBroker>[0]> = {}): CcxtBroker {
  const b = new CcxtBroker({
    accountId: ACCOUNT,
    exchangeId: 'binance',
    credentials: { apiKey: KEY, secret: SECRET },
    sandbox: false,
    apiBaseUrl: fake.url,
    clock,
    logger,
    onVenueCall: (r) => records.push(r),
    ...extra,
  });
  brokers.push(b);
  return b;
}

function order(over: Partial<BrokerOrderRequest> & { clientOrderId: string }): BrokerOrderRequest {
  return { accountId: ACCOUNT, symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: new D('0.01'), timeInForce: 'gtc', postOnly: false, reduceOnly: false, ...over };
}

/** Keeps everything the broker said, for the secrets check. */
function seen<T>(x: T): T {
  outputs.push(x);
  return x;
}

function accepted(o: SubmitOutcome): Extract<SubmitOutcome, { status: 'accepted' }> {
  if (o.status !== 'accepted') throw new Error(`expected accepted, got ${o.status}: ${'reason' in o ? o.reason : ''}`);
  return o;
}

function venueOrders(cid: string) {
  return fake.private.orders(KEY).filter((o) => o.clientOrderId === cid);
}

function posts(path: string) {
  return fake.requests.filter((r) => r.path === path && r.method === 'POST');
}

beforeEach(async () => {
  fake = await startFakeExchange({
    accounts: [{ apiKey: KEY, secret: SECRET, spot: { USDT: '10000', BTC: '0.5' }, futures: { USDT: '10000' } }],
  });
  clock = new ManualClock(Date.now());
  records = [];
  logLines = [];
  outputs = [];
  brokers = [];
});

afterEach(async () => {
  for (const b of brokers) await b.close();
  await fake.close();
});

describe('CcxtBroker on Binance spot', () => {
  it('sends a market buy with our client id and returns the order with its fills', async () => {
    const broker = makeBroker();
    const out = accepted(seen(await broker.submit(order({ clientOrderId: 'mkt-1' }))));
    expect(out.order.status, 'a market order fills at once').toBe('filled');
    expect(out.order.clientOrderId).toBe('mkt-1');
    expect(out.order.filledQuantity.toFixed()).toBe('0.01');
    expect(out.order.averageFillPrice?.toFixed(), 'filled at the fake market price').toBe('65000');
    expect(out.fills, 'the FULL answer carries the fill').toHaveLength(1);
    const f = out.fills[0]!;
    expect(f.tradeId, 'trade id names venue, family, market, venue trade id and side').toMatch(/^binance:spot:BTCUSDT:\d+:b$/);
    expect(f.fee.toFixed(), '0.1 % of the bought BTC').toBe('0.00001');
    expect(f.feeAsset).toBe('BTC');
    expect(f.liquidity).toBe('taker');
    expect(f.price.toFixed()).toBe('65000');
    const sent = posts('/api/v3/order');
    expect(sent, 'one order request').toHaveLength(1);
    expect(sent[0]!.body?.['newClientOrderId'], 'the client order id is the venue client id').toBe('mkt-1');
    expect(venueOrders('mkt-1'), 'exactly one venue order').toHaveLength(1);
    const rec = records.find((r) => r.method === 'createOrder');
    expect(rec, 'the request is recorded for the audit trail').toMatchObject({ ok: true, outcome: 'ok', symbol: 'BTC/USDT', clientOrderId: 'mkt-1' });
    expect(rec?.usedWeight, 'used weight read from the answer headers').toBeGreaterThan(0);
  });

  it('rests a limit order; polling reports the partial fill and the final fill exactly once each', async () => {
    const broker = makeBroker();
    const reports: ExecutionReport[] = [];
    broker.onExecution((r) => reports.push(r));
    const out = accepted(seen(await broker.submit(order({ clientOrderId: 'lim-1', type: 'limit', price: new D('60000'), quantity: new D('0.02') }))));
    expect(out.order.status).toBe('open');
    expect(out.fills).toHaveLength(0);
    const ref = { accountId: ACCOUNT, clientOrderId: 'lim-1', symbol: 'BTC/USDT' };

    await broker.poll([ref]);
    expect(reports, 'nothing happened yet: nothing reported').toHaveLength(0);

    fake.fill('lim-1', { quantity: '0.005' });
    await broker.poll([ref]);
    await broker.poll([ref]);
    expect(reports, 'the partial fill is reported once over two polls').toHaveLength(1);
    expect(reports[0]!.event).toBe('fill');
    expect(reports[0]!.order.status).toBe('partially_filled');
    expect(reports[0]!.fills.map((f) => f.quantity.toFixed())).toEqual(['0.005']);
    expect(reports[0]!.fills[0]!.liquidity, 'a resting order fills as maker').toBe('maker');

    fake.fill('lim-1');
    await broker.poll([ref]);
    await broker.poll([ref]);
    expect(reports, 'the final fill is reported once more').toHaveLength(2);
    expect(reports[1]!.order.status).toBe('filled');
    expect(reports[1]!.fills.map((f) => f.quantity.toFixed())).toEqual(['0.015']);
    const ids = reports.flatMap((r) => r.fills.map((f) => f.tradeId));
    expect(new Set(ids).size, 'no trade id twice').toBe(2);
    seen(reports);
  });

  it('a later poll (another process) reports an order closed at the venue, once', async () => {
    const broker = makeBroker();
    const reports: ExecutionReport[] = [];
    broker.onExecution((r) => reports.push(r));
    accepted(await broker.submit(order({ clientOrderId: 'ioc-1', type: 'limit', price: new D('60000'), timeInForce: 'gtc' })));
    // Cancelled through another session: the polling broker learns it from the venue.
    await broker.cancel({ accountId: ACCOUNT, clientOrderId: 'ioc-1', symbol: 'BTC/USDT' });
    const other = makeBroker();
    other.onExecution((r) => reports.push(r));
    await other.poll([{ accountId: ACCOUNT, clientOrderId: 'ioc-1', symbol: 'BTC/USDT' }]);
    await other.poll([{ accountId: ACCOUNT, clientOrderId: 'ioc-1', symbol: 'BTC/USDT' }]);
    expect(reports.map((r) => r.event), 'the end is reported once').toEqual(['cancelled']);
  });

  it('cancels by client id, and tells not found and already final apart', async () => {
    const broker = makeBroker();
    accepted(await broker.submit(order({ clientOrderId: 'can-1', type: 'limit', price: new D('60000') })));
    const c = seen(await broker.cancel({ accountId: ACCOUNT, clientOrderId: 'can-1', symbol: 'BTC/USDT' }));
    expect(c.status).toBe('cancelled');
    if (c.status === 'cancelled') expect(c.order.clientOrderId, "the order's id, not the cancel request's").toBe('can-1');
    expect(venueOrders('can-1')[0]?.status).toBe('CANCELED');
    const del = fake.requests.filter((r) => r.path === '/api/v3/order' && r.method === 'DELETE');
    expect(del.at(-1)?.query['origClientOrderId'] ?? del.at(-1)?.body?.['origClientOrderId'], 'cancelled by client id').toBe('can-1');

    const again = seen(await broker.cancel({ accountId: ACCOUNT, clientOrderId: 'can-1', symbol: 'BTC/USDT' }));
    expect(again.status, 'cancelling twice: already final (-2011 then lookup)').toBe('already_final');

    const never = seen(await broker.cancel({ accountId: ACCOUNT, clientOrderId: 'never-sent', symbol: 'BTC/USDT' }));
    expect(never.status, 'an id the venue never saw').toBe('not_found');

    accepted(await broker.submit(order({ clientOrderId: 'can-2' })));
    const filled = seen(await broker.cancel({ accountId: ACCOUNT, clientOrderId: 'can-2', symbol: 'BTC/USDT' }));
    expect(filled.status).toBe('already_final');
    if (filled.status === 'already_final') expect(filled.order.status).toBe('filled');
  });

  it('amends by cancel-replace under the same client id, keeping the fills before the cancel', async () => {
    const broker = makeBroker();
    accepted(await broker.submit(order({ clientOrderId: 'amd-1', type: 'limit', price: new D('60000'), quantity: new D('0.02') })));
    fake.fill('amd-1', { quantity: '0.005' });
    const ref = { accountId: ACCOUNT, clientOrderId: 'amd-1', symbol: 'BTC/USDT' };
    const a = seen(await broker.amend(ref, { price: new D('61000') }));
    expect(a.status).toBe('amended');
    if (a.status !== 'amended') return;
    expect(a.order.quantity.toFixed(), 'total quantity unchanged').toBe('0.02');
    expect(a.order.filledQuantity.toFixed(), 'the fill before the cancel still counts').toBe('0.005');
    expect(a.order.price?.toFixed()).toBe('61000');
    const list = venueOrders('amd-1');
    expect(list.map((o) => [o.status, o.origQty, o.executedQty, o.price]), 'old order cancelled, remainder re-placed under the same id').toEqual([
      ['CANCELED', '0.02', '0.005', '60000'],
      ['NEW', '0.015', '0', '61000'],
    ]);

    fake.fill('amd-1');
    const found = seen(await broker.fetchOrder(ref));
    expect(found.status).toBe('found');
    if (found.status === 'found') {
      expect(found.order.status).toBe('filled');
      expect(found.order.filledQuantity.toFixed(), 'both venue orders counted').toBe('0.02');
    }
    const fills = seen(await broker.fetchFills({ accountId: ACCOUNT, clientOrderId: 'amd-1', symbol: 'BTC/USDT' }));
    expect(fills.map((f) => f.quantity.toFixed()).sort(), 'fills of both venue orders').toEqual(['0.005', '0.015']);

    const late = seen(await broker.amend(ref, { price: new D('62000') }));
    expect(late.status === 'rejected' && late.code, 'a filled order cannot change').toBe('already_filled');
  });

  it('an amend whose replacement the venue refuses leaves the cancelled original, its fill counted once', async () => {
    const broker = makeBroker();
    accepted(await broker.submit(order({ clientOrderId: 'amd-2', type: 'limit', price: new D('60000'), quantity: new D('0.02') })));
    fake.fill('amd-2', { quantity: '0.005' });
    fake.failWith(-2010, 'Account has insufficient balance for requested action.', { path: '/api/v3/order', method: 'POST' });
    const ref = { accountId: ACCOUNT, clientOrderId: 'amd-2', symbol: 'BTC/USDT' };
    const a = seen(await broker.amend(ref, { price: new D('61000') }));
    expect(a.status === 'rejected' && a.code).toBe('insufficient_funds');
    if (a.status === 'rejected') expect(a.reason).toMatch(/cancelled but its replacement was refused/);
    const found = seen(await broker.fetchOrder(ref));
    expect(found.status === 'found' && [found.order.status, found.order.quantity.toFixed(), found.order.filledQuantity.toFixed()], 'the original, not double counted').toEqual(['cancelled', '0.02', '0.005']);
  });

  it('refuses an order for another portfolio without sending it', async () => {
    const broker = makeBroker();
    const out = seen(await broker.submit({ ...order({ clientOrderId: 'acc-1' }), accountId: 'someone-else' }));
    expect(out.status === 'rejected' && out.code).toBe('wrong_account');
    expect(posts('/api/v3/order')).toHaveLength(0);
  });

  it('rounds quantities down to the step and refuses one that rounds to nothing, without sending it', async () => {
    const broker = makeBroker();
    accepted(await broker.submit(order({ clientOrderId: 'prc-1', type: 'limit', price: new D('60000'), quantity: new D('0.0123456789') })));
    expect(posts('/api/v3/order').at(-1)?.body?.['quantity'], 'truncated to 0.00001, not rounded up').toBe('0.01234');
    const before = posts('/api/v3/order').length;
    const tiny = seen(await broker.submit(order({ clientOrderId: 'prc-2', quantity: new D('0.000009') })));
    expect(tiny.status === 'rejected' && tiny.code).toBe('invalid_order');
    expect(posts('/api/v3/order').length, 'nothing sent').toBe(before);
  });

  it('a lost answer is unknown; the lookup by client id finds the order and nothing is sent twice', async () => {
    const broker = makeBroker({ timeoutMs: 1_500 });
    fake.loseResponses({ path: '/api/v3/order', method: 'POST' });
    const out = seen(await broker.submit(order({ clientOrderId: 'lost-1' })));
    expect(out.status, 'a timeout is never a rejection').toBe('unknown');
    const found = seen(await broker.fetchOrder({ accountId: ACCOUNT, clientOrderId: 'lost-1', symbol: 'BTC/USDT' }));
    expect(found.status).toBe('found');
    if (found.status === 'found') expect(found.order.status).toBe('filled');
    const fills = seen(await broker.fetchFills({ accountId: ACCOUNT, clientOrderId: 'lost-1', symbol: 'BTC/USDT' }));
    expect(fills, 'its fill is found too').toHaveLength(1);
    // Submitting the same id again reports the same order (reliability 1).
    const again = accepted(seen(await broker.submit(order({ clientOrderId: 'lost-1' }))));
    expect(again.order.filledQuantity.toFixed()).toBe('0.01');
    expect(venueOrders('lost-1'), '0 duplicate venue orders').toHaveLength(1);
    expect(posts('/api/v3/order'), 'sent once').toHaveLength(1);
  });

  it('-1006 (execution status unknown) is unknown; "does not exist" is believed only after the grace period', async () => {
    const broker = makeBroker({ lookupGraceMs: 30_000 });
    fake.failWith(-1006, 'An unexpected response was received from the message bus. Execution status unknown.', { path: '/api/v3/order', method: 'POST' });
    const out = seen(await broker.submit(order({ clientOrderId: 'st-1' })));
    expect(out.status).toBe('unknown');
    const ref = { accountId: ACCOUNT, clientOrderId: 'st-1', symbol: 'BTC/USDT' };
    const early = seen(await broker.fetchOrder(ref));
    expect(early.status, 'just sent: the venue may not show it yet').toBe('unknown');
    clock.advance(31_000);
    const late = seen(await broker.fetchOrder(ref));
    expect(late.status, 'the venue never saw it').toBe('not_found');
    accepted(await broker.submit(order({ clientOrderId: 'st-1' })));
    expect(venueOrders('st-1'), 'one order after the resubmit').toHaveLength(1);
  });

  it('-2010 insufficient balance is rejected, and nothing exists at the venue', async () => {
    const broker = makeBroker();
    const out = seen(await broker.submit(order({ clientOrderId: 'ins-1', quantity: new D('1') })));
    expect(out.status).toBe('rejected');
    if (out.status === 'rejected') {
      expect(out.code).toBe('insufficient_funds');
      expect(out.reason).toMatch(/insufficient balance/i);
    }
    expect(venueOrders('ins-1')).toHaveLength(0);
    expect(records.find((r) => r.method === 'createOrder'), 'venue code recorded').toMatchObject({ ok: false, outcome: 'rejected', venueCode: '-2010', errorClass: 'InsufficientFunds' });
  });

  it('a post-only order that would cross is rejected as such', async () => {
    const broker = makeBroker();
    const out = seen(await broker.submit(order({ clientOrderId: 'po-1', type: 'limit', price: new D('70000'), postOnly: true })));
    expect(out.status === 'rejected' && out.code).toBe('post_only_would_cross');
    expect(posts('/api/v3/order').at(-1)?.body?.['type'], 'spot post-only is LIMIT_MAKER').toBe('LIMIT_MAKER');
  });

  it('a 5xx is unknown', async () => {
    const broker = makeBroker();
    await broker.fetchBalances(); // markets loaded first: the failure hits the order request
    fake.injectFailure({ status: 503, body: '<html><body>503 Service Unavailable</body></html>', path: '/api/v3/order', method: 'POST', headers: { 'content-type': 'text/html' } });
    const out = seen(await broker.submit(order({ clientOrderId: '5xx-1' })));
    expect(out.status).toBe('unknown');
  });

  it("a 429 with the venue's code is a rejection; MIKEY then sends nothing until Retry-After has passed", async () => {
    const broker = makeBroker();
    await broker.fetchBalances();
    fake.failWith(-1003, 'Too much request weight used; current limit is 6000 request weight per 1 MINUTE.', { path: '/api/v3/order', method: 'POST', status: 429 });
    // failWith has no headers: inject the same with Retry-After.
    fake.clearInjected();
    fake.injectFailure({ status: 429, code: -1003, msg: 'Too much request weight used; current limit is 6000 request weight per 1 MINUTE.', path: '/api/v3/order', method: 'POST', headers: { 'retry-after': '30' } });
    const out = seen(await broker.submit(order({ clientOrderId: 'rl-1' })));
    expect(out.status === 'rejected' && out.code, 'the venue refused before processing').toBe('rate_limited');
    const sentBefore = fake.requests.length;
    const held = seen(await broker.submit(order({ clientOrderId: 'rl-2' })));
    expect(held.status === 'rejected' && held.code).toBe('rate_limited');
    const read = seen(await broker.fetchOrder({ accountId: ACCOUNT, clientOrderId: 'rl-2', symbol: 'BTC/USDT' }));
    expect(read.status, 'reads fail retryably during the wait').toBe('unknown');
    const cancel = seen(await broker.cancel({ accountId: ACCOUNT, clientOrderId: 'rl-2', symbol: 'BTC/USDT' }));
    expect(cancel.status, 'even a cancel waits after a 429').toBe('unknown');
    expect(fake.requests.length, 'nothing reached the venue during Retry-After').toBe(sentBefore);
    expect(records.filter((r) => r.outcome === 'not_sent').length, 'held-back requests are recorded').toBe(3);
    clock.advance(31_000);
    accepted(await broker.submit(order({ clientOrderId: 'rl-3' })));
  });

  it('a 418 ban holds everything back for its Retry-After', async () => {
    const broker = makeBroker();
    await broker.fetchBalances();
    fake.injectFailure({ status: 418, code: -1003, msg: 'Way too much request weight used; IP banned until 1735689600000.', path: '/api/v3/order', method: 'POST', headers: { 'retry-after': '120' } });
    const out = seen(await broker.submit(order({ clientOrderId: 'ban-1' })));
    expect(out.status === 'rejected' && out.code).toBe('rate_limited');
    clock.advance(60_000);
    const held = seen(await broker.submit(order({ clientOrderId: 'ban-2' })));
    expect(held.status === 'rejected' && held.reason, 'still banned after a minute').toMatch(/banned/);
    clock.advance(61_000);
    accepted(await broker.submit(order({ clientOrderId: 'ban-3' })));
    expect(venueOrders('ban-2'), 'the held order never reached the venue').toHaveLength(0);
  });

  it('a 429 without the venue code (not the venue speaking) is unknown', async () => {
    const broker = makeBroker();
    await broker.fetchBalances();
    fake.injectFailure({ status: 429, body: '<html>Too Many Requests</html>', path: '/api/v3/order', method: 'POST', headers: { 'retry-after': '5', 'content-type': 'text/html' } });
    const out = seen(await broker.submit(order({ clientOrderId: 'rl-9' })));
    expect(out.status).toBe('unknown');
  });

  it('backs off at 80 % of the weight limit: new orders wait, cancels still go, the next minute frees it', async () => {
    const broker = makeBroker();
    accepted(await broker.submit(order({ clientOrderId: 'w-1', type: 'limit', price: new D('60000') })));
    expect(broker.weightLimit('spot'), 'limit read from exchangeInfo rateLimits').toBe(6000);
    fake.setUsedWeight(4900, 'spot');
    await broker.fetchBalances();
    expect(broker.usedWeight('spot'), 'weight from the answer header').toBeGreaterThanOrEqual(4900);
    const held = seen(await broker.submit(order({ clientOrderId: 'w-2' })));
    expect(held.status === 'rejected' && held.code).toBe('rate_limited');
    if (held.status === 'rejected') expect(held.reason).toMatch(/request weight/);
    expect(venueOrders('w-2')).toHaveLength(0);
    const c = seen(await broker.cancel({ accountId: ACCOUNT, clientOrderId: 'w-1', symbol: 'BTC/USDT' }));
    expect(c.status, 'a cancel is let through').toBe('cancelled');
    clock.advance(60_000);
    expect(broker.usedWeight('spot'), 'a new minute').toBe(0);
  });

  it('finds an order visible only in myTrades through its fills, and looks past a lookup that lags', async () => {
    const broker = makeBroker();
    accepted(await broker.submit(order({ clientOrderId: 'hid-1', type: 'limit', price: new D('60000') })));
    fake.fill('hid-1');
    fake.hideOrder('hid-1', Infinity);
    const ref = { accountId: ACCOUNT, clientOrderId: 'hid-1', symbol: 'BTC/USDT' };
    const fills = seen(await broker.fetchFills({ accountId: ACCOUNT, clientOrderId: 'hid-1', symbol: 'BTC/USDT' }));
    expect(fills.map((f) => f.quantity.toFixed()), 'the fill is found in myTrades').toEqual(['0.01']);
    const found = seen(await broker.fetchOrder(ref));
    expect(found.status === 'found' && found.order.status, 'a complete fill proves the order filled').toBe('filled');

    accepted(await broker.submit(order({ clientOrderId: 'hid-2', type: 'limit', price: new D('60000') })));
    fake.hideOrder('hid-2', 2); // GET order and openOrders miss it, allOrders shows it
    const lag = seen(await broker.fetchOrder({ accountId: ACCOUNT, clientOrderId: 'hid-2', symbol: 'BTC/USDT' }));
    expect(lag.status === 'found' && lag.order.status).toBe('open');
  });

  it('looks an order up without its symbol among the markets this session traded', async () => {
    const broker = makeBroker();
    accepted(await broker.submit(order({ clientOrderId: 'ns-1', type: 'limit', price: new D('60000') })));
    const known = seen(await broker.fetchOrder({ accountId: ACCOUNT, clientOrderId: 'ns-1' }));
    expect(known.status === 'found' && known.order.symbol).toBe('BTC/USDT');
    const stranger = seen(await broker.fetchOrder({ accountId: ACCOUNT, clientOrderId: 'ns-unknown' }));
    expect(stranger.status, 'not proof it does not exist: other markets were not searched').toBe('unknown');
    if (stranger.status === 'unknown') expect(stranger.reason).toMatch(/no market was given/);
  });

  it('refuses a spot trailing stop as not native, sending nothing', async () => {
    const broker = makeBroker();
    const out = seen(await broker.submit(order({ clientOrderId: 'tr-1', side: 'sell', type: 'trailing_stop', trailing: { kind: 'percent', percent: new D('2') } })));
    expect(out.status === 'rejected' && out.code).toBe('not_native');
    if (out.status === 'rejected') expect(out.reason).toMatch(/MIKEY must work it itself/);
    expect(posts('/api/v3/order')).toHaveLength(0);
  });

  it('says without sending anything that a spot trailing stop is not native, and why in plain words', async () => {
    const broker = makeBroker();
    const before = fake.requests.filter((r) => r.method !== 'GET').length;
    const trail = order({ clientOrderId: 'nat-1', side: 'sell', type: 'trailing_stop', trailing: { kind: 'percent', percent: new D('2') } });
    expect(await broker.nativeSupport(trail)).toEqual({ native: false, reason: 'Binance spot has no native trailing stop' });
    expect(await broker.nativeSupport(order({ clientOrderId: 'nat-2', type: 'limit', price: new D('60000') }))).toEqual({ native: true });
    expect(fake.requests.filter((r) => r.method !== 'GET').length, 'nothing but reads').toBe(before);
  });

  it('reads balances and open orders, and the kill switch cancels what is open', async () => {
    const broker = makeBroker();
    const bal = seen(await broker.fetchBalances());
    expect(bal.get('USDT')?.free.toFixed()).toBe('10000');
    expect(bal.get('BTC')?.free.toFixed()).toBe('0.5');
    accepted(await broker.submit(order({ clientOrderId: 'k-1', type: 'limit', price: new D('60000') })));
    accepted(await broker.submit(order({ clientOrderId: 'k-2', type: 'limit', price: new D('59000') })));
    const locked = await broker.fetchBalances();
    expect(locked.get('USDT')?.locked.toFixed(), 'funds locked by the two orders').toBe('1190');
    const open = seen(await broker.fetchOpenOrders('BTC/USDT'));
    expect(open.map((o) => o.clientOrderId).sort()).toEqual(['k-1', 'k-2']);
    const all = await broker.fetchOpenOrders();
    expect(all.map((o) => o.clientOrderId).sort(), 'all markets').toEqual(['k-1', 'k-2']);
    const killed = seen(await broker.cancelAllOpen(['BTC/USDT']));
    expect(killed.cancelled.map((o) => o.clientOrderId).sort(), 'what the venue confirmed').toEqual(['k-1', 'k-2']);
    expect(killed.failed).toEqual([]);
    expect(await broker.fetchOpenOrders('BTC/USDT')).toEqual([]);
  });
});

describe('CcxtBroker on Binance USDⓈ-M futures', () => {
  it('sets leverage once before the first order, opens, reduces only, and reads the position', async () => {
    const broker = makeBroker({ accountType: 'futures' });
    const open = accepted(seen(await broker.submit(order({ clientOrderId: 'f-1', symbol: 'BTC-PERP', quantity: new D('0.01'), leverage: new D('3') }))));
    expect(open.order.status).toBe('filled');
    expect(open.order.symbol).toBe('BTC-PERP');
    expect(open.fills, 'fills loaded from userTrades').toHaveLength(1);
    expect(open.fills[0]!.tradeId).toMatch(/^binance:usdm:BTCUSDT:\d+:b$/);
    expect(open.fills[0]!.feeAsset).toBe('USDT');
    const lev = posts('/fapi/v1/leverage');
    expect(lev.map((r) => r.body?.['leverage'] ?? r.query['leverage']), 'leverage set before the order').toEqual(['3']);
    accepted(await broker.submit(order({ clientOrderId: 'f-2', symbol: 'BTC-PERP', quantity: new D('0.01'), leverage: new D('3') })));
    expect(posts('/fapi/v1/leverage'), 'same leverage: not set again').toHaveLength(1);

    const reduce = accepted(seen(await broker.submit(order({ clientOrderId: 'f-3', symbol: 'BTC-PERP', side: 'sell', quantity: new D('0.005'), reduceOnly: true }))));
    expect(reduce.order.status).toBe('filled');
    expect(posts('/fapi/v1/order').at(-1)?.body?.['reduceOnly'] ?? posts('/fapi/v1/order').at(-1)?.query['reduceOnly'], 'sent reduce-only').toBe('true');

    const positions = seen(await broker.fetchPositions());
    expect(positions.map((p) => [p.symbol, p.side, p.quantity.toFixed()])).toEqual([['BTC-PERP', 'long', '0.015']]);
    const bal = await broker.fetchBalances();
    expect(bal.get('USDT')?.free.gt(0)).toBe(true);
  });

  it('a reduce-only order with nothing to reduce is rejected by the venue', async () => {
    const broker = makeBroker({ accountType: 'futures' });
    const out = seen(await broker.submit(order({ clientOrderId: 'f-9', symbol: 'BTC-PERP', side: 'sell', quantity: new D('0.01'), reduceOnly: true })));
    expect(out.status === 'rejected' && out.code, '-2022 through the futures error table, even behind MIKEY_EXCHANGE_URL').toBe('invalid_order');
    const big = seen(await broker.submit(order({ clientOrderId: 'f-10', symbol: 'BTC-PERP', quantity: new D('10'), leverage: new D('3') })));
    expect(big.status === 'rejected' && big.code, '-2019 margin is insufficient').toBe('insufficient_funds');
  });

  it('places a stop-market as a conditional order, finds it and cancels it by client id', async () => {
    const broker = makeBroker({ accountType: 'futures' });
    const out = accepted(seen(await broker.submit(order({ clientOrderId: 'fs-1', symbol: 'BTC-PERP', side: 'sell', type: 'stop', triggerPrice: new D('60000'), quantity: new D('0.01') }))));
    expect(out.order.status).toBe('open');
    expect(out.order.type).toBe('stop');
    expect(posts('/fapi/v1/algoOrder').at(-1)?.body?.['clientAlgoId'], 'our id as the algo client id').toBe('fs-1');
    const found = seen(await broker.fetchOrder({ accountId: ACCOUNT, clientOrderId: 'fs-1', symbol: 'BTC-PERP' }));
    expect(found.status === 'found' && found.order.triggerPrice?.toFixed()).toBe('60000');
    const c = seen(await broker.cancel({ accountId: ACCOUNT, clientOrderId: 'fs-1', symbol: 'BTC-PERP' }));
    expect(c.status).toBe('cancelled');
  });

  it('lists conditional orders with the open ones, and a fresh process can kill them', async () => {
    const broker = makeBroker({ accountType: 'futures' });
    accepted(await broker.submit(order({ clientOrderId: 'fk-1', symbol: 'BTC-PERP', side: 'sell', type: 'stop', triggerPrice: new D('60000'), quantity: new D('0.01') })));
    accepted(await broker.submit(order({ clientOrderId: 'fk-2', symbol: 'BTC-PERP', type: 'limit', price: new D('60000.0'), quantity: new D('0.01') })));
    const fresh = makeBroker({ accountType: 'futures' });
    const open = seen(await fresh.fetchOpenOrders());
    expect(open.map((o) => [o.clientOrderId, o.symbol, o.status]).sort()).toEqual([
      ['fk-1', 'BTC-PERP', 'open'],
      ['fk-2', 'BTC-PERP', 'open'],
    ]);
    const killed = seen(await fresh.cancelAllOpen(['BTC-PERP']));
    expect(killed.cancelled.map((o) => o.clientOrderId).sort(), 'both confirmed by the venue').toEqual(['fk-1', 'fk-2']);
    expect(killed.failed).toEqual([]);
    expect(await fresh.fetchOpenOrders('BTC-PERP')).toEqual([]);
  });

  it('a triggered stop is followed to its actual order; the poll reports its fill once', async () => {
    const broker = makeBroker({ accountType: 'futures' });
    const reports: ExecutionReport[] = [];
    broker.onExecution((r) => reports.push(r));
    accepted(await broker.submit(order({ clientOrderId: 'fs-2', symbol: 'BTC-PERP', side: 'sell', type: 'stop', triggerPrice: new D('60000'), quantity: new D('0.01') })));
    const ref = { accountId: ACCOUNT, clientOrderId: 'fs-2', symbol: 'BTC-PERP' };
    await broker.poll([ref]);
    expect(reports, 'not triggered yet').toHaveLength(0);
    fake.setPrice('BTCUSDT', '59000.0', 'perp');
    await broker.poll([ref]);
    await broker.poll([ref]);
    expect(reports.map((r) => [r.event, r.order.status, r.order.clientOrderId, r.order.type]), 'one report, under our id').toEqual([['fill', 'filled', 'fs-2', 'stop']]);
    expect(reports[0]!.fills.map((f) => [f.quantity.toFixed(), f.side, f.clientOrderId])).toEqual([['0.01', 'sell', 'fs-2']]);
    const fills = await broker.fetchFills({ accountId: ACCOUNT, clientOrderId: 'fs-2', symbol: 'BTC-PERP' });
    expect(fills.map((f) => f.tradeId), 'fetchFills finds the same fill').toEqual(reports[0]!.fills.map((f) => f.tradeId));
  });

  it('cancels a triggered stop-limit by cancelling the order it placed', async () => {
    const broker = makeBroker({ accountType: 'futures' });
    accepted(await broker.submit(order({ clientOrderId: 'fsl-1', symbol: 'BTC-PERP', side: 'sell', type: 'stop_limit', triggerPrice: new D('60000'), price: new D('61000'), quantity: new D('0.01') })));
    fake.setPrice('BTCUSDT', '59000.0', 'perp');
    const ref = { accountId: ACCOUNT, clientOrderId: 'fsl-1', symbol: 'BTC-PERP' };
    const working = seen(await broker.fetchOrder(ref));
    expect(working.status === 'found' && [working.order.status, working.order.type, working.order.price?.toFixed()], 'triggered: its limit order rests').toEqual(['open', 'stop_limit', '61000']);
    const c = seen(await broker.cancel(ref));
    expect(c.status).toBe('cancelled');
    expect(fake.private.orders(KEY).filter((o) => o.clientOrderId === 'fsl-1' && o.algoId === undefined).map((o) => o.status)).toEqual(['CANCELED']);
  });

  it('says a futures trailing stop is native by a percent of 0.1–10 in steps of 0.1, and not by an amount or another percent', async () => {
    const broker = makeBroker({ accountType: 'futures' });
    const trail = (trailing: { kind: 'percent'; percent: Dec } | { kind: 'amount'; amount: Dec }): ReturnType<typeof order> =>
      order({ clientOrderId: 'nat-f', symbol: 'BTC-PERP', side: 'sell', type: 'trailing_stop', trailing, quantity: new D('0.01') });
    expect(await broker.nativeSupport(trail({ kind: 'percent', percent: new D('1.5') }))).toEqual({ native: true });
    expect(await broker.nativeSupport(trail({ kind: 'amount', amount: new D('100') }))).toEqual({ native: false, reason: 'Binance futures trails only by a percentage, not by a price amount' });
    expect(await broker.nativeSupport(trail({ kind: 'percent', percent: new D('0.25') }))).toEqual({ native: false, reason: 'Binance futures trails only by 0.1–10% in steps of 0.1, not by 0.25%' });
    expect(await broker.nativeSupport(trail({ kind: 'percent', percent: new D('12') }))).toEqual({ native: false, reason: 'Binance futures trails only by 0.1–10% in steps of 0.1, not by 12%' });
  });

  it('places a trailing stop natively with a callback rate', async () => {
    const broker = makeBroker({ accountType: 'futures' });
    accepted(await broker.submit(order({ clientOrderId: 'ft-0', symbol: 'BTC-PERP', quantity: new D('0.01') })));
    const out = accepted(seen(await broker.submit(order({ clientOrderId: 'ft-1', symbol: 'BTC-PERP', side: 'sell', type: 'trailing_stop', trailing: { kind: 'percent', percent: new D('1.5') }, quantity: new D('0.01'), reduceOnly: true }))));
    expect(out.order.status).toBe('open');
    const body = posts('/fapi/v1/algoOrder').at(-1)?.body ?? {};
    expect([body['type'], body['callbackRate']]).toEqual(['TRAILING_STOP_MARKET', '1.5']);
  });
});

describe('secrets and credentials', () => {
  it('never puts the API key or secret in a result, a record or a log line', async () => {
    const broker = makeBroker({ timeoutMs: 1_500 });
    fake.loseResponses({ path: '/api/v3/order', method: 'POST' });
    seen(await broker.submit(order({ clientOrderId: 'sec-1' })));
    fake.failWith(-1022, 'Signature for this request is not valid.', { path: '/api/v3/order', method: 'GET' });
    seen(await broker.fetchOrder({ accountId: ACCOUNT, clientOrderId: 'sec-1', symbol: 'BTC/USDT' }));
    seen(await broker.submit(order({ clientOrderId: 'sec-2', quantity: new D('5') })));
    await expect(broker.fetchFills({ accountId: ACCOUNT })).rejects.toThrow(/symbol/);
    const bad = await validateExchangeCredentials({ exchangeId: 'binance', credentials: { apiKey: KEY, secret: `${SECRET}x` }, sandbox: false, apiBaseUrl: fake.url });
    seen(bad);
    const text = JSON.stringify([outputs, records, logLines]);
    expect(records.length, 'there were requests to check').toBeGreaterThan(3);
    expect(text.includes(KEY), 'the API key never appears').toBe(false);
    expect(text.includes(SECRET), 'the secret never appears').toBe(false);
    expect(text).not.toMatch(/signature=/);
  });

  it('validates credentials with one signed balance request', async () => {
    const good = await validateExchangeCredentials({ exchangeId: 'binance', credentials: { apiKey: KEY, secret: SECRET }, sandbox: false, apiBaseUrl: fake.url });
    expect(good.ok).toBe(true);
    if (good.ok) {
      expect(good.accountType).toBe('spot');
      expect(good.balances.map((b) => [b.asset, b.free.toFixed()])).toEqual([
        ['BTC', '0.5'],
        ['USDT', '10000'],
      ]);
    }
    const futures = await validateExchangeCredentials({ exchangeId: 'binance', credentials: { apiKey: KEY, secret: SECRET }, sandbox: false, apiBaseUrl: fake.url, accountType: 'futures' });
    expect(futures.ok && futures.balances.find((b) => b.asset === 'USDT')?.free.toFixed()).toBe('10000');
    const down = await validateExchangeCredentials({ exchangeId: 'binance', credentials: { apiKey: KEY, secret: SECRET }, sandbox: false, apiBaseUrl: 'http://127.0.0.1:1' });
    expect(!down.ok && down.retryable, 'an unreachable venue: try again, the key may be fine').toBe(true);
    const wrong = await validateExchangeCredentials({ exchangeId: 'binance', credentials: { apiKey: 'nope-not-a-key', secret: SECRET }, sandbox: false, apiBaseUrl: fake.url });
    expect(wrong.ok).toBe(false);
    if (!wrong.ok) {
      expect(wrong.retryable, 'the venue refused the key').toBe(false);
      expect(wrong.reason).toMatch(/API key/);
    }
  });
});
