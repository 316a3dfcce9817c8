// The run table: every fill of a stored backtest kept in order with the backtest, read back a page at
// a time by its owner (id or prefix), invisible to anyone else.
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/client.js';
import { backtestFills } from '../../../src/db/schema/index.js';
import type { Actor } from '../../../src/services/actor.js';
import { BacktestService } from '../../../src/services/backtest/backtest-service.js';
import type { MarketService } from '../../../src/services/market-data/market-service.js';
import { createTestDatabase } from '../../support/db.js';
import { T0, manualClock, newActor, rejection, simMarketService } from '../market/support.js';

let database: Database;
const clock = manualClock(T0);
let market: MarketService;
let service: BacktestService;
let alice: Actor;
let bob: Actor;

beforeAll(async () => {
  database = await createTestDatabase();
  ({ market } = await simMarketService(database, clock));
  service = new BacktestService({ db: database.db, market, clock });
  alice = await newActor(database, 'alice');
  bob = await newActor(database, 'bob');
});
afterAll(async () => {
  await market?.close();
  await database?.close();
});

describe('the backtest run table', () => {
  it('stores every fill in order and pages through them for the owner', async () => {
    const run = await service.runBacktest(alice, { strategy: 'sma_cross', symbol: 'BTC/USDT', timeframe: '1h', days: 30, params: { fast: 5, slow: 20 } });
    expect(run.trades).toBeGreaterThan(4);
    const [{ n }] = (await database.db.select({ n: count() }).from(backtestFills).where(eq(backtestFills.strategyId, run.id))) as [{ n: number }];
    expect(Number(n)).toBe(run.trades);

    const first = await service.getBacktest(alice, { backtestId: run.id.slice(0, 8), limit: 2 });
    expect(first.fillCount).toBe(run.trades);
    expect(first.fills.map((f) => f.seq)).toEqual([1, 2]);
    expect({ at: first.fills[0]!.at, side: first.fills[0]!.side, type: first.fills[0]!.type, price: first.fills[0]!.price, quantity: first.fills[0]!.quantity, fee: first.fills[0]!.fee, tag: first.fills[0]!.tag }).toEqual(run.firstFill);
    expect(first.returnPct).toBe(run.returnPct);
    expect(first.buyAndHoldReturnPct).toBe(run.buyAndHold.returnPct);

    const rest = await service.getBacktest(alice, { backtestId: run.id, offset: run.trades - 1, limit: 50 });
    expect(rest.fills).toHaveLength(1);
    const last = rest.fills[0]!;
    expect({ at: last.at, side: last.side, type: last.type, price: last.price, quantity: last.quantity, fee: last.fee, tag: last.tag }).toEqual(run.lastFill);
    // Sides alternate for a long-only cross: buy, sell, buy …
    const all = await service.getBacktest(alice, { backtestId: run.id, limit: 500 });
    all.fills.forEach((f, i) => expect(f.side).toBe(i % 2 === 0 ? 'buy' : 'sell'));
  });

  it('another user\'s backtest is not found, and bad input is refused', async () => {
    const run = await service.runBacktest(alice, { strategy: 'sma_cross', symbol: 'BTC/USDT', timeframe: '1h', days: 10, params: { fast: 5, slow: 20 } });
    const theirs = await rejection(service.getBacktest(bob, { backtestId: run.id }));
    expect(theirs.message).toBe('backtest not found');
    const short = await rejection(service.getBacktest(alice, { backtestId: 'ab' }));
    expect(short.message).toMatch(/at least 4 characters/);
    const big = await rejection(service.getBacktest(alice, { backtestId: run.id, limit: 501 }));
    expect(big.message).toMatch(/at most 500/);
  });
});
