import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/client.js';
import { candles, markets, orderBookSnapshots, priceTicks, tickers } from '../../../src/db/schema/index.js';
import { simSources } from '../../../src/services/market-data/sources.js';
import type { MarketService } from '../../../src/services/market-data/market-service.js';
import { createTestDatabase } from '../../support/db.js';
import { FlakySource, HOUR, MINUTE, T0, manualClock, rejection, simMarketService, type ManualClock } from './support.js';
import { SimMarket } from '../../../src/adapters/sim-market/index.js';

let database: Database;
let clock: ManualClock;
let market: MarketService;
let sim: SimMarket;

async function rows(table: typeof candles | typeof tickers | typeof orderBookSnapshots | typeof priceTicks): Promise<number> {
  const [r] = await database.db.select({ n: count() }).from(table);
  return r!.n;
}

beforeAll(async () => {
  database = await createTestDatabase();
  clock = manualClock(T0);
  ({ market, sim } = await simMarketService(database, clock));
});
afterAll(async () => {
  await market?.close();
  await database?.close();
});

describe('prices (simulated market)', () => {
  it('gives oracle and venue prices with age, freshness and the simulated label, and upserts tickers', async () => {
    const views = await market.getPrices(['btc/usdt', 'SOL-PERP', 'BTC/USDT']);
    expect(views.map((v) => v.symbol), 'spellings resolve to canonical symbols, duplicates once').toEqual(['BTC/USDT', 'SOL-PERP']);
    const btc = views[0]!;
    const expected = sim.quoteAt('BTC/USDT', new Date(T0));
    expect(btc).toMatchObject({ simulated: true, fresh: true, priceSource: 'venue', price: expected.price.toFixed(), kind: 'spot' });
    expect(btc.notes.join(' ')).toMatch(/simulated/);
    expect(btc.venue).toMatchObject({ source: 'sim', exchange: 'sim', bid: expected.bid!.toFixed(), ask: expected.ask!.toFixed(), ageMs: 0, fresh: true });
    expect(btc.oracle).toMatchObject({ source: 'sim', price: expected.price.toFixed(), fresh: true });
    expect((btc.oracle as { confidence: string }).confidence, 'the simulated oracle has a confidence band (half the spread)').toBe(
      expected.ask!.minus(expected.bid!).div(2).toFixed(),
    );
    const stored = await database.db.select().from(tickers).where(eq(tickers.exchange, 'sim'));
    expect(stored.map((t) => t.symbol).sort()).toEqual(['BTC/USDT', 'SOL-PERP']);
    expect(stored.find((t) => t.symbol === 'BTC/USDT')!.bid).toMatch(new RegExp(`^${expected.bid!.toFixed().replace('.', '\\.')}`));
    expect(await rows(priceTicks), 'simulated prices are not Pyth ticks').toBe(0);

    clock.advance(5_000);
    await market.getPrices(['BTC/USDT']);
    expect((await database.db.select().from(tickers).where(eq(tickers.symbol, 'BTC/USDT')))[0]!.updatedAt.getTime(), 'the ticker row is updated in place').toBe(T0 + 5_000);
    expect(await rows(tickers)).toBe(2);
  });

  it('refuses an unknown symbol naming the closest market, and stores nothing', async () => {
    const before = await rows(tickers);
    const e = await rejection(market.getPrices(['BTC/USDT', 'SOLUSD']));
    expect(e.code).toBe('invalid_input');
    expect(e.message).toMatch(/unknown symbol SOLUSD; did you mean SOL\/USDT/);
    expect(await rows(tickers)).toBe(before);
    for (const bad of [[], Array.from({ length: 21 }, () => 'BTC/USDT'), ['x'.repeat(200)], ["BTC'; DROP TABLE candles;--"]]) {
      expect((await rejection(market.getPrices(bad))).code).toBe('invalid_input');
    }
  });

  it('hands the trading services usable quotes, refusing nothing that is fresh', async () => {
    const q = await market.getUsableQuote('ETH/USDT', 'venue');
    expect(q).toMatchObject({ symbol: 'ETH/USDT', simulated: true });
    const o = await market.oracleFeed.getQuote('ETH/USDT');
    expect(o.confidence?.gt(0)).toBe(true);
  });
});

describe('candles from the store', () => {
  it('fetches a missing range once, stores it, and serves it from the store afterwards', async () => {
    const db2 = await createTestDatabase();
    const c2 = manualClock(T0);
    const s = new SimMarket({ seed: 7, clock: c2 });
    const flaky = new FlakySource(s);
    const { market: m } = await simMarketService(db2, c2, { sources: { ...simSources({ seed: 7, clock: c2, sim: s }), data: flaky } });
    try {
      const since = new Date(T0 - 3 * 24 * HOUR);
      const first = await m.getCandles('ETH/USDT', '1h', { since, limit: 24 });
      expect(first).toMatchObject({ symbol: 'ETH/USDT', exchange: 'sim', timeframe: '1h', simulated: true });
      expect(first.candles).toHaveLength(24);
      expect(first.candles[0]!.openTime).toBe(new Date(Math.ceil(since.getTime() / HOUR) * HOUR).toISOString());
      expect(first.candles.every((c) => c.complete)).toBe(true);
      const direct = s.candlesAt('ETH/USDT', '1h', { since, limit: 24 }, new Date(T0));
      expect(first.candles.map((c) => c.close)).toEqual(direct.map((c) => c.close.toFixed()));
      expect(flaky.calls).toBe(1);
      const again = await m.getCandles('ETH/USDT', '1h', { since, limit: 24 });
      expect(again.candles).toEqual(first.candles);
      expect(flaky.calls, 'a complete stored range is not fetched again').toBe(1);

      // Latest bars: the forming one is stored as such and refreshed once its hour is over.
      const latest = await m.getCandles('ETH/USDT', '1h', { limit: 5 });
      expect(latest.candles).toHaveLength(5);
      expect(latest.candles.at(-1)!.complete, 'the current hour is still forming').toBe(false);
      c2.advance(HOUR);
      const later = await m.getCandles('ETH/USDT', '1h', { limit: 5 });
      const closedNow = later.candles.at(-2)!;
      expect(closedNow.openTime).toBe(latest.candles.at(-1)!.openTime);
      expect(closedNow.complete).toBe(true);
      expect(closedNow.close, 'the closed bar has its final close').toBe(
        s.candlesAt('ETH/USDT', '1h', { since: new Date(closedNow.openTime), limit: 1 }, new Date(c2.ms))[0]!.close.toFixed(),
      );
      const [n] = await db2.db.select({ n: count() }).from(candles).where(eq(candles.symbol, 'ETH/USDT'));
      expect(n!.n, 'no duplicate rows for re-fetched bars').toBe(24 + 6);
    } finally {
      await m.close();
      await db2.close();
    }
  });

  it('refuses bad requests before storing anything', async () => {
    const before = await rows(candles);
    const cases: Array<[Promise<unknown>, RegExp]> = [
      [market.getCandles('BTC/USDT', '2h'), /unsupported timeframe "2h"/],
      [market.getCandles('BTC/USDT', '1h', { since: new Date(T0 + 86_400_000) }), /in the future/],
      [market.getCandles('BTC/USDT', '1h', { since: 'not a date' }), /cannot read since/],
      [market.getCandles('BTC/USDT', '1h', { limit: 0 }), /limit must be/],
      [market.getCandles('BTC/USDT', '1h', { limit: 1001 }), /limit must be/],
      [market.getCandles('NOPE/USDT', '1h'), /unknown symbol/],
    ];
    for (const [p, message] of cases) {
      const e = await rejection(p);
      expect(e.code).toBe('invalid_input');
      expect(e.message).toMatch(message);
    }
    const e = await rejection(market.getCandles('POL/USDT', '1h'));
    expect(e.code, 'a catalog market the simulated market does not simulate has no data').toBe('not_found');
    expect(e.message).toMatch(/no data for POL\/USDT/);
    expect(await rows(candles)).toBe(before);
  });
});

describe('books, funding and markets', () => {
  it('stores every order book it returns as a snapshot', async () => {
    const book = await market.getOrderBook('BTC/USDT', 5);
    expect(book.bids).toHaveLength(5);
    expect(book.asks).toHaveLength(5);
    expect(book.simulated).toBe(true);
    expect(Number(book.bestAsk) > Number(book.bestBid)).toBe(true);
    const [row] = await database.db.select().from(orderBookSnapshots).where(eq(orderBookSnapshots.id, book.snapshotId));
    expect(row!.bids).toEqual(book.bids);
    expect(row!.capturedAt.getTime()).toBe(clock.ms);
    for (const depth of [0, 101, 2.5]) expect((await rejection(market.getOrderBook('BTC/USDT', depth))).code).toBe('invalid_input');
  });

  it('gives funding for perpetuals and names the perpetual when asked about spot', async () => {
    const f = await market.getFundingRate('btc-perp');
    expect(f).toMatchObject({ symbol: 'BTC-PERP', simulated: true, intervalHours: 8 });
    expect(Math.abs(Number(f.rate))).toBeLessThan(0.01);
    const e = await rejection(market.getFundingRate('BTC/USDT'));
    expect(e.code).toBe('invalid_input');
    expect(`${e.message} ${e.hint}`).toMatch(/spot market.*BTC-PERP/);
  });

  it('gives the rate paid at a past funding time from the history, within a minute of it', async () => {
    const eight = new Date(Math.floor(T0 / (8 * HOUR)) * 8 * HOUR);
    const paid = await market.fundingPaidAt('BTC-PERP', eight);
    // The rate of the interval that ended at that funding time (shown during it), not today's.
    expect(paid?.toFixed()).toBe(sim.fundingRateAt('BTC-PERP', new Date(eight.getTime() - 1)).rate.toFixed());
    const before = new Date(eight.getTime() - 8 * HOUR);
    expect((await market.fundingPaidAt('BTC-PERP', before))?.toFixed(), 'the one before').toBe(sim.fundingRateAt('BTC-PERP', new Date(before.getTime() - 1)).rate.toFixed());
    expect(paid?.toFixed(), 'the two intervals paid different rates').not.toBe((await market.fundingPaidAt('BTC-PERP', before))?.toFixed());
    expect((await market.fundingPaidAt('BTC-PERP', new Date(eight.getTime() + 7)))?.toFixed(), 'stamped 7 ms late').toBe(paid?.toFixed());
    expect(await market.fundingPaidAt('BTC-PERP', new Date(eight.getTime() + 4 * HOUR)), 'no funding time there').toBeNull();
    expect((await rejection(market.fundingPaidAt('BTC/USDT', eight))).code).toBe('invalid_input');
  });

  it('searches markets by asset, best match first', () => {
    const sol = market.searchMarkets('sol');
    expect(sol.slice(0, 2).map((m) => m.symbol)).toEqual(['SOL/USDT', 'SOL-PERP']);
    expect(market.searchMarkets('sol', 'perp').map((m) => m.symbol)).toEqual(['SOL-PERP']);
    expect(market.searchMarkets('BTCUSDT')[0]!.symbol).toBe('BTC/USDT');
    expect(() => market.searchMarkets('')).toThrow(/query/);
  });

  it('adds the simulated market’s instruments without changing rules already stored', async () => {
    const [btcBefore] = await database.db.select().from(markets).where(eq(markets.symbol, 'BTC/USDT'));
    const r = await market.loadMarkets();
    expect(r).toMatchObject({ exchange: 'sim', simulated: true });
    expect(r.listed).toBe(35);
    expect(r.written, 'only the instruments missing from the table').toBeGreaterThan(0);
    const [btcAfter] = await database.db.select().from(markets).where(eq(markets.symbol, 'BTC/USDT'));
    expect(btcAfter!.tickSize).toBe(btcBefore!.tickSize);
    expect(market.resolveSymbol('shib').symbol, 'the catalog now knows the added markets').toBe('SHIB/USDT');
    expect((await market.loadMarkets()).written, 'idempotent').toBe(0);
  });

  it('reports its mode', async () => {
    expect(market.mode).toBe('sim');
    expect(market.simulated).toBe(true);
    expect(await market.ready()).toMatchObject({ mode: 'sim', exchange: 'sim' });
    // Candle store reads are plain decimals.
    const c = await market.loadCandles('BTC/USDT', '1m', { limit: 3 });
    expect(c.candles.at(-1)!.openTime.getTime()).toBe(Math.floor(clock.ms / MINUTE) * MINUTE);
  });
});
