// The paper venue shared by several instances: it matches only while its gate says so, takes the
// stored book in (whole for a new holder; otherwise orders it lacks and amends made elsewhere), drops
// orders that ended elsewhere, and finds an order it never took when asked to cancel or amend it.
import { describe, expect, it } from 'vitest';
import { ManualPriceFeed } from '../../src/adapters/manual-price-feed.js';
import { PaperBroker } from '../../src/adapters/paper-broker/index.js';
import type { BrokerOrderRequest } from '../../src/domain/broker.js';
import { DEFAULT_MARKETS } from '../../src/domain/market.js';
import { dec, ZERO } from '../../src/domain/money.js';
import type { Clock } from '../../src/domain/ports.js';
import { StaticMarketCatalog } from '../../src/services/markets.js';
import type { ExecutionReport, RestingOrderSnapshot } from '../../src/services/trading/ports.js';

const T0 = Date.parse('2025-03-07T12:00:00Z');
const clock: Clock = { now: () => new Date(T0) };
const markets = new StaticMarketCatalog(DEFAULT_MARKETS);
const noSlip = { halfSpreadBps: ZERO, slippageBps: ZERO, impactBps: ZERO, impactNotional: dec(1), maxBps: ZERO };

function setup(): { feed: ManualPriceFeed; broker: PaperBroker; reports: ExecutionReport[] } {
  const feed = new ManualPriceFeed({ clock, source: 'exchange', simulated: false });
  feed.set('ETH/USDT', '3200', { bid: '3200', ask: '3200' });
  const broker = new PaperBroker({ feed, markets, clock, slippage: noSlip });
  const reports: ExecutionReport[] = [];
  broker.onExecution((r) => reports.push(r));
  return { feed, broker, reports };
}

let seq = 0;
function limit(price: string, over: Partial<BrokerOrderRequest> = {}): BrokerOrderRequest {
  return { clientOrderId: `b-${++seq}`, accountId: 'acct', symbol: 'ETH/USDT', side: 'buy', type: 'limit', price: dec(price), quantity: dec('1'), timeInForce: 'gtc', postOnly: false, reduceOnly: false, ...over };
}

function stored(request: BrokerOrderRequest, over: Partial<RestingOrderSnapshot> = {}): RestingOrderSnapshot {
  return { request, filledQuantity: ZERO, fillCount: 0, triggered: false, createdAt: new Date(T0), ...over };
}

describe('a paper venue shared by several instances', () => {
  it('takes orders but matches resting ones only while its gate is open', async () => {
    const { feed, broker, reports } = setup();
    let holds = false;
    broker.useMatchingGate(() => holds);
    const market = await broker.submit({ ...limit('0'), type: 'market', price: undefined, timeInForce: 'ioc' });
    expect(market.status === 'accepted' && market.order.status, 'a market order fills on arrival anyway').toBe('filled');
    const r = limit('3100');
    await broker.submit(r);
    feed.set('ETH/USDT', '3000', { bid: '3000', ask: '3000' });
    await broker.sweep();
    await broker.idle();
    expect(reports, 'nothing matched while the gate is shut').toEqual([]);
    holds = true;
    await broker.sweep();
    await broker.idle();
    expect(reports.map((x) => [x.order.clientOrderId, x.event, x.fills[0]?.tradeId])).toEqual([[r.clientOrderId, 'fill', `paper-${r.clientOrderId}-1`]]);
  });

  it('syncs with the stored book: orders it lacks, amends made elsewhere, orders ended elsewhere', async () => {
    const { broker } = setup();
    const mine = limit('3100');
    await broker.submit(mine);
    const placing = limit('3000');
    await broker.submit(placing);
    const elsewhere = limit('3050');
    const absent = broker.syncBook([stored({ ...mine, price: dec('3150') }), stored(elsewhere)], { replace: false });
    expect(absent.map((a) => a.clientOrderId), 'resting here, not stored as resting').toEqual([placing.clientOrderId]);
    const view = new Map(broker.restingOrders().map((o) => [o.clientOrderId, o]));
    expect(view.get(mine.clientOrderId)!.price!.toFixed(), 'an amend made through another instance').toBe('3150');
    expect(view.has(elsewhere.clientOrderId), 'an order another instance placed').toBe(true);
    broker.endOrders([{ accountId: 'acct', clientOrderId: mine.clientOrderId }]);
    expect(broker.restingOrders().map((o) => o.clientOrderId).sort()).toEqual([placing.clientOrderId, elsewhere.clientOrderId].sort());
  });

  it('a new holder replaces what it remembers with the stored book, numbering the next fill after those booked', async () => {
    const { feed, broker, reports } = setup();
    const r = limit('3100', { quantity: dec('2') });
    await broker.submit(r);
    broker.syncBook([stored(r, { filledQuantity: dec('1'), averageFillPrice: dec('3100'), fillCount: 1 })], { replace: true });
    feed.set('ETH/USDT', '3000', { bid: '3000', ask: '3000' });
    await broker.idle();
    expect(reports.map((x) => [x.fills[0]?.tradeId, x.fills[0]?.quantity.toFixed()]), 'the remaining one, as the second fill').toEqual([[`paper-${r.clientOrderId}-2`, '1']]);
  });

  it('finds an order it never took when asked to cancel or amend it', async () => {
    const { broker } = setup();
    const other = limit('3100');
    const asked: string[] = [];
    broker.useOrderSource(async (ref) => {
      asked.push(ref.clientOrderId);
      return ref.clientOrderId === other.clientOrderId ? stored(other) : undefined;
    });
    const amended = await broker.amend({ accountId: 'acct', clientOrderId: other.clientOrderId }, { price: dec('3120') });
    expect(amended.status === 'amended' && amended.order.price!.toFixed()).toBe('3120');
    const cancelled = await broker.cancel({ accountId: 'acct', clientOrderId: other.clientOrderId });
    expect(cancelled.status).toBe('cancelled');
    expect(asked, 'looked up once, then held').toEqual([other.clientOrderId]);
    expect((await broker.cancel({ accountId: 'acct', clientOrderId: 'nobody' })).status).toBe('not_found');
    expect((await broker.cancel({ accountId: 'someone-else', clientOrderId: other.clientOrderId })).status, 'another account never sees it').toBe('not_found');
  });
});
