// The paper broker against the manual price feed: idempotent submission, market and limit matching,
// books, protection prices, resting orders on pushed quotes, triggers and trailing stops, the price
// guard, restore after a restart, and injected venue timeouts.
import { describe, expect, it } from 'vitest';
import { ManualFeedError, ManualPriceFeed } from '../../src/adapters/manual-price-feed.js';
import { PaperBroker, type PaperBrokerOptions } from '../../src/adapters/paper-broker/index.js';
import type { BrokerOrderRequest } from '../../src/domain/broker.js';
import { DEFAULT_MARKETS } from '../../src/domain/market.js';
import { DEFAULT_SLIPPAGE } from '../../src/domain/matching.js';
import { dec, ZERO } from '../../src/domain/money.js';
import type { Clock } from '../../src/domain/ports.js';
import { StaticMarketCatalog } from '../../src/services/markets.js';
import { PriceGuard } from '../../src/services/trading/price-guard.js';
import type { ExecutionReport } from '../../src/services/trading/ports.js';

const T0 = Date.parse('2025-03-07T12:00:00Z');
const clock: Clock & { t: number } = { t: T0, now: () => new Date(clock.t) };
const markets = new StaticMarketCatalog(DEFAULT_MARKETS);
const noSlip = { halfSpreadBps: ZERO, slippageBps: ZERO, impactBps: ZERO, impactNotional: dec(1), maxBps: ZERO };

function setup(more: Partial<PaperBrokerOptions> = {}): { feed: ManualPriceFeed; broker: PaperBroker; reports: ExecutionReport[] } {
  clock.t = T0;
  const feed = new ManualPriceFeed({ clock, source: 'exchange', simulated: false });
  feed.set('SOL/USDT', '150', { bid: '149.9', ask: '150.1' });
  feed.set('ETH/USDT', '3200', { bid: '3200', ask: '3200' });
  const broker = new PaperBroker({ feed, markets, clock, slippage: noSlip, books: feed, ...more });
  const reports: ExecutionReport[] = [];
  broker.onExecution((r) => reports.push(r));
  return { feed, broker, reports };
}

let seq = 0;
function req(over: Partial<BrokerOrderRequest> = {}): BrokerOrderRequest {
  return {
    clientOrderId: `c-${++seq}`, accountId: 'acct', symbol: 'SOL/USDT', side: 'buy', type: 'market', quantity: dec('2'),
    timeInForce: 'ioc', postOnly: false, reduceOnly: false, ...over,
  };
}

describe('submission', () => {
  it('fills a market order at the touch and is idempotent by client order id', async () => {
    const { broker } = setup();
    const r = req();
    const first = await broker.submit(r);
    expect(first.status).toBe('accepted');
    if (first.status !== 'accepted') return;
    expect(first.order.status).toBe('filled');
    expect(first.fills.map((f) => [f.price.toFixed(), f.quantity.toFixed(), f.fee.toFixed(), f.tradeId])).toEqual([['150.1', '2', '0.3002', `paper-${r.clientOrderId}-1`]]);
    const again = await broker.submit(r);
    expect(again.status === 'accepted' && again.fills.length, 'the second submit reports the first order').toBe(1);
    expect(await broker.fetchFills({ accountId: 'acct', clientOrderId: r.clientOrderId })).toHaveLength(1);
  });

  it('applies the slippage model against the trader, rounded to the tick', async () => {
    const { broker } = setup({ slippage: DEFAULT_SLIPPAGE });
    const out = await broker.submit(req({ quantity: dec('10') }));
    expect(out.status === 'accepted' && out.fills[0]!.price.gt(dec('150.1'))).toBe(true);
  });

  it('never fills a market buy above its protection price', async () => {
    const { broker } = setup();
    const out = await broker.submit(req({ price: dec('150') }));
    expect(out.status).toBe('accepted');
    if (out.status !== 'accepted') return;
    expect(out.order.status).toBe('cancelled');
    expect(out.fills).toEqual([]);
  });

  it('walks a book: ioc keeps what is there, fok takes all or nothing', async () => {
    const { broker, feed } = setup();
    feed.setOrderBook('ETH/USDT', { bids: [['3199', '5']], asks: [['3200', '0.5'], ['3201', '0.5'], ['3300', '10']] });
    const ioc = await broker.submit(req({ symbol: 'ETH/USDT', type: 'limit', price: dec('3201'), quantity: dec('2'), timeInForce: 'ioc' }));
    expect(ioc.status === 'accepted' && [ioc.order.status, ioc.order.filledQuantity.toFixed()]).toEqual(['cancelled', '1']);
    const fok = await broker.submit(req({ symbol: 'ETH/USDT', type: 'limit', price: dec('3201'), quantity: dec('2'), timeInForce: 'fok' }));
    expect(fok.status === 'accepted' && [fok.order.status, fok.fills.length]).toEqual(['cancelled', 0]);
    const gtc = await broker.submit(req({ symbol: 'ETH/USDT', type: 'limit', price: dec('3201'), quantity: dec('2'), timeInForce: 'gtc' }));
    expect(gtc.status === 'accepted' && [gtc.order.status, gtc.order.filledQuantity.toFixed()], 'gtc: fills what is there, rests the rest').toEqual(['partially_filled', '1']);
  });

  it('rejects a post-only order that would cross, and an order on an unknown market', async () => {
    const { broker } = setup();
    const po = await broker.submit(req({ type: 'limit', price: dec('151'), timeInForce: 'gtc', postOnly: true }));
    expect(po.status === 'rejected' && po.code).toBe('post_only_would_cross');
    const bad = await broker.submit(req({ symbol: 'NOPE/USDT' }));
    expect(bad.status === 'rejected' && bad.code).toBe('invalid_order');
  });

  it('charges each account its own fees', async () => {
    const { broker } = setup();
    broker.setAccountFees('vip', { makerRate: dec('0'), takerRate: dec('0.0002') });
    const out = await broker.submit(req({ accountId: 'vip' }));
    expect(out.status === 'accepted' && out.fills[0]!.fee.toFixed()).toBe('0.06004');
  });
});

describe('resting orders on pushed prices', () => {
  it('fills a resting limit at its own price as maker when the market trades through', async () => {
    const { broker, feed, reports } = setup();
    const r = req({ type: 'limit', price: dec('145'), timeInForce: 'gtc' });
    const out = await broker.submit(r);
    expect(out.status === 'accepted' && out.order.status).toBe('open');
    expect(feed.subscriberCount, 'subscribed while something rests').toBe(1);
    feed.set('SOL/USDT', '144', { bid: '143.9', ask: '144.1' });
    await broker.idle();
    expect(reports).toHaveLength(1);
    expect(reports[0]!.event).toBe('fill');
    expect(reports[0]!.fills.map((f) => [f.price.toFixed(), f.liquidity])).toEqual([['145', 'maker']]);
    expect(feed.subscriberCount, 'unsubscribed once nothing rests').toBe(0);
  });

  it('triggers stops and take-profits, arms stop-limits and trails', async () => {
    const { broker, feed, reports } = setup();
    await broker.submit(req({ type: 'stop', side: 'sell', triggerPrice: dec('140'), quantity: dec('1'), timeInForce: 'gtc' }));
    await broker.submit(req({ type: 'take_profit', side: 'sell', triggerPrice: dec('160'), quantity: dec('1'), timeInForce: 'gtc' }));
    await broker.submit(req({ type: 'stop_limit', side: 'buy', triggerPrice: dec('155'), price: dec('156'), quantity: dec('1'), timeInForce: 'gtc' }));
    await broker.submit(req({ type: 'trailing_stop', side: 'sell', trailing: { kind: 'amount', amount: dec('5') }, quantity: dec('1'), timeInForce: 'gtc' }));
    feed.set('SOL/USDT', '158', { bid: '157.9', ask: '158.1' });
    await broker.idle();
    const events = reports.map((r) => [r.order.type, r.event]);
    expect(events).toContainEqual(['stop_limit', 'triggered']);
    expect(events).toContainEqual(['trailing_stop', 'trail_moved']);
    expect(reports.find((r) => r.order.type === 'trailing_stop')!.trailReference!.toFixed()).toBe('158');
    reports.length = 0;
    feed.set('SOL/USDT', '161', { bid: '161', ask: '161' });
    await broker.idle();
    expect(reports.find((r) => r.order.type === 'take_profit')?.event).toBe('fill');
    reports.length = 0;
    feed.set('SOL/USDT', '155.5', { bid: '155.5', ask: '155.5' });
    await broker.idle();
    const fired = reports.map((r) => [r.order.type, r.event]);
    expect(fired, 'the trailing stop fires 5 under the 161 high; the armed stop-limit fills under its limit').toEqual(
      expect.arrayContaining([['stop_limit', 'fill'], ['trailing_stop', 'fill']]),
    );
    reports.length = 0;
    feed.set('SOL/USDT', '139', { bid: '139', ask: '139' });
    await broker.idle();
    expect(reports.map((r) => [r.order.type, r.event])).toEqual([['stop', 'fill']]);
  });

  it('a triggered stop whose fill would pass its protection price expires with the reason', async () => {
    const { broker, feed, reports } = setup();
    await broker.submit(req({ type: 'stop', side: 'buy', triggerPrice: dec('155'), price: dec('156'), quantity: dec('1'), timeInForce: 'gtc' }));
    feed.set('SOL/USDT', '170', { bid: '170', ask: '170' });
    await broker.idle();
    expect(reports[0]!.event).toBe('expired');
    expect(reports[0]!.reason).toMatch(/beyond the protection price 156/);
  });

  it('fills nothing on a price the guard refuses, and rejects a market order on it', async () => {
    const guard = new PriceGuard({ clock, maxQuoteAgeMs: 60_000 });
    const { broker, feed, reports } = setup({ guard });
    await broker.submit(req({ type: 'limit', price: dec('145'), timeInForce: 'gtc' }));
    feed.set('SOL/USDT', '140', { bid: '140', ask: '140', publishTime: new Date(T0 - 600_000) });
    await broker.idle();
    expect(reports).toEqual([]);
    const mkt = await broker.submit(req());
    expect(mkt.status === 'rejected' && [mkt.code, mkt.reason]).toEqual(['stale_price', 'SOL/USDT price is 600 s old (limit 60 s)']);
    feed.set('SOL/USDT', '140', { bid: '140', ask: '140' });
    await broker.idle();
    expect(reports.map((r) => r.event)).toEqual(['fill']);
  });

  it('cancels and amends resting orders; an amended price that crosses fills', async () => {
    const { broker, reports } = setup();
    const a = req({ type: 'limit', price: dec('140'), timeInForce: 'gtc' });
    const b = req({ type: 'limit', price: dec('140'), timeInForce: 'gtc' });
    await broker.submit(a);
    await broker.submit(b);
    expect((await broker.cancel({ accountId: 'acct', clientOrderId: a.clientOrderId })).status).toBe('cancelled');
    expect((await broker.cancel({ accountId: 'acct', clientOrderId: a.clientOrderId })).status).toBe('already_final');
    expect((await broker.cancel({ accountId: 'other', clientOrderId: b.clientOrderId })).status, 'another account cannot touch it').toBe('not_found');
    const m = await broker.amend({ accountId: 'acct', clientOrderId: b.clientOrderId }, { price: dec('151') });
    expect(m.status).toBe('amended');
    await broker.idle();
    expect(reports.map((r) => [r.order.clientOrderId, r.event])).toEqual([[b.clientOrderId, 'fill']]);
  });
});

describe('restart and venue failures', () => {
  it('restores resting orders and numbers new fills after those already booked', async () => {
    const { broker, feed, reports } = setup();
    const r = req({ type: 'limit', price: dec('145'), quantity: dec('3'), timeInForce: 'gtc', clientOrderId: 'restored-1' });
    broker.restore([{ request: r, filledQuantity: dec('1'), averageFillPrice: dec('145'), fillCount: 1, triggered: false, createdAt: new Date(T0) }]);
    expect(broker.restingOrders().map((o) => [o.clientOrderId, o.status, o.filledQuantity.toFixed()])).toEqual([['restored-1', 'partially_filled', '1']]);
    feed.set('SOL/USDT', '144', { bid: '144', ask: '144' });
    await broker.idle();
    expect(reports[0]!.fills.map((f) => [f.tradeId, f.quantity.toFixed()])).toEqual([['paper-restored-1-2', '2']]);
    expect(reports[0]!.order.status).toBe('filled');
  });

  it('reports timeouts as unknown outcomes; the order is found (or not) by lookup', async () => {
    let mode: 'timeout_before' | 'timeout_after' | undefined = 'timeout_after';
    let lookup: 'timeout' | undefined = 'timeout';
    const { broker } = setup({ faults: { submit: () => mode, fetchOrder: () => lookup } });
    const a = req();
    expect((await broker.submit(a)).status).toBe('unknown');
    expect((await broker.fetchOrder({ accountId: 'acct', clientOrderId: a.clientOrderId })).status).toBe('unknown');
    lookup = undefined;
    const found = await broker.fetchOrder({ accountId: 'acct', clientOrderId: a.clientOrderId });
    expect(found.status === 'found' && found.order.status, 'the venue executed it despite the timeout').toBe('filled');
    mode = 'timeout_before';
    const b = req();
    expect((await broker.submit(b)).status).toBe('unknown');
    expect((await broker.fetchOrder({ accountId: 'acct', clientOrderId: b.clientOrderId })).status, 'the venue never saw it').toBe('not_found');
  });
});

describe('the manual price feed', () => {
  it('fails for a symbol without a price, pushes updates to subscribers, and stops on unsubscribe', async () => {
    const feed = new ManualPriceFeed({ clock });
    await expect(feed.getQuote('BTC/USDT')).rejects.toBeInstanceOf(ManualFeedError);
    const seen: string[] = [];
    const off = feed.subscribe(['btc/usdt'], (q) => seen.push(q.price.toFixed()));
    feed.set('BTC/USDT', '65000', { confidence: '10' });
    feed.set('ETH/USDT', '3000');
    off();
    feed.set('BTC/USDT', '66000');
    expect(seen).toEqual(['65000']);
    const q = await feed.getQuote('BTC/USDT');
    expect([q.price.toFixed(), q.simulated, q.source, q.publishTime.getTime()]).toEqual(['66000', true, 'sim', clock.now().getTime()]);
  });
});
