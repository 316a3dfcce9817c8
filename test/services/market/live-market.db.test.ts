// Live mode end to end on loopback: the real Pyth client against the local Hermes, the real ccxt
// against the local Binance, through the market service into the database.
import { and, count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CcxtMarketData } from '../../../src/adapters/ccxt/index.js';
import { PythPriceFeed } from '../../../src/adapters/pyth/index.js';
import type { Database } from '../../../src/db/client.js';
import { candles, markets, orderBookSnapshots, priceTicks, tickers } from '../../../src/db/schema/index.js';
import { createLogger } from '../../../src/log.js';
import { MarketService } from '../../../src/services/market-data/market-service.js';
import { createConfiguredSources, liveSources, probeLive } from '../../../src/services/market-data/sources.js';
import { DbMarketCatalog } from '../../../src/services/markets.js';
import { startFakeExchange, type FakeExchange } from '../../fakes/exchange-server.js';
import { FAKE_FEEDS, startFakeHermes, type FakeHermes } from '../../fakes/hermes-server.js';
import { createTestDatabase } from '../../support/db.js';
import { HOUR, manualClock, rejection, type ManualClock } from './support.js';

const NOW = Date.UTC(2025, 0, 10, 12, 34, 56);

let database: Database;
let hermes: FakeHermes;
let exchange: FakeExchange;
let clock: ManualClock;
let market: MarketService;

beforeAll(async () => {
  clock = manualClock(NOW);
  database = await createTestDatabase();
  hermes = await startFakeHermes({ now: () => clock.ms });
  exchange = await startFakeExchange({ now: () => clock.ms, klinesFrom: NOW - 60 * 86_400_000 });
  const sources = liveSources({
    oracle: new PythPriceFeed({ baseUrl: hermes.url, clock, timeoutMs: 2_000 }),
    venue: new CcxtMarketData({ apiBaseUrl: exchange.url, rateLimitMs: 1, timeoutMs: 2_000, clock }),
    tickers: { clock },
  });
  market = new MarketService({
    database,
    catalog: await DbMarketCatalog.load(database.db, { exchange: 'binance' }),
    catalogLoader: (ex) => DbMarketCatalog.load(database.db, { exchange: ex }),
    sources,
    configuredMode: 'live',
    clock,
  });
});
afterAll(async () => {
  await market?.close();
  await hermes?.close();
  await exchange?.close();
  await database?.close();
});

describe('live market data against local Hermes and Binance servers', () => {
  it('loads the venue’s markets into the table and resolves symbols against them', async () => {
    const r = await market.loadMarkets();
    expect(r).toMatchObject({ exchange: 'binance', simulated: false, listed: 7, written: 7 });
    const rows = await database.db.select().from(markets).where(eq(markets.exchange, 'binance'));
    const perp = rows.find((m) => m.symbol === 'BTC-PERP')!;
    expect(perp).toMatchObject({ kind: 'perp', baseAsset: 'BTC', quoteAsset: 'USDT' });
    expect(Number(perp.tickSize)).toBe(0.1);
    expect(Number(perp.minQty)).toBe(0.001);
    const doge = rows.find((m) => m.symbol === 'DOGE/USDT')!;
    expect(Number(doge.stepSize)).toBe(1);
    expect(market.resolveSymbol('ethbtc').exchange, 'the catalog now serves the venue’s markets').toBe('binance');
    expect((await market.loadMarkets()).written, 'an upsert, not duplicates').toBe(7);
    expect((await database.db.select({ n: count() }).from(markets).where(eq(markets.exchange, 'binance')))[0]!.n).toBe(7);
  });

  it('prices from Pyth and the venue: exact decimals, ages, verdicts; tickers upserted and Pyth ticks stored', async () => {
    const [btc, eth] = await market.getPrices(['BTC/USDT', 'ETH-PERP']);
    expect(btc).toMatchObject({ symbol: 'BTC/USDT', simulated: false, fresh: true, priceSource: 'venue' });
    expect(btc!.oracle).toMatchObject({ source: 'pyth', price: '65123.45678', confidence: '32.01234567', feedSymbol: 'Crypto.BTC/USD', fresh: true, ageMs: 0 });
    expect((btc!.oracle as { assumption?: string }).assumption).toMatch(/USDT/);
    expect(btc!.venue).toMatchObject({ source: 'exchange', exchange: 'binance', fresh: true });
    const venue = btc!.venue as { bid: string; ask: string; price: string };
    expect(Number(venue.bid)).toBeLessThan(Number(venue.ask));
    expect(Number(venue.price)).toBeCloseTo(65_000, -1);
    expect(eth!.oracle).toMatchObject({ price: '3456.78901234' });
    expect(btc!.notes.join(' ')).not.toMatch(/simulated/);

    const storedTickers = await database.db.select().from(tickers).where(eq(tickers.exchange, 'binance'));
    expect(storedTickers.map((t) => t.symbol).sort()).toEqual(['BTC/USDT', 'ETH-PERP']);
    const ticks = await database.db.select().from(priceTicks);
    const btcTick = ticks.find((t) => t.feedId === FAKE_FEEDS.BTC)!;
    expect(btcTick).toBeDefined();
    expect(Number(btcTick.price)).toBe(65123.45678);
    expect(btcTick.exponent, 'the raw integers can be rebuilt from the stored decimals').toBe(-8);
    expect(btcTick.publishTime.getTime()).toBe(Math.floor(NOW / 1000) * 1000);

    await market.getPrices(['BTC/USDT']);
    expect((await database.db.select({ n: count() }).from(priceTicks).where(eq(priceTicks.feedId, FAKE_FEEDS.BTC)))[0]!.n, 'the same tick is stored once').toBe(1);
  });

  it('refuses a stale oracle price with the reason, and still shows the venue price', async () => {
    hermes.setStaleness(120);
    try {
      const [btc] = await market.getPrices(['BTC/USDT']);
      expect(btc!.oracle).toMatchObject({ fresh: false, refusal: { code: 'stale_price' } });
      expect((btc!.oracle as { refusal: { message: string } }).refusal.message).toMatch(/BTC\/USDT price is 120 s old \(limit 60 s\)/);
      expect(btc!.notes.join(' ')).toMatch(/oracle price refused: .*120 s old/);
      expect(btc).toMatchObject({ fresh: true, priceSource: 'venue' });
      const e = await rejection(market.getUsableQuote('BTC/USDT', 'oracle'));
      expect(e.code).toBe('stale_price');
      expect(e.message).toMatch(/120 s old \(limit 60 s\)/);
    } finally {
      hermes.setStaleness(0);
    }
    hermes.setFeed('BTC', { conf: '136759259238' });
    try {
      const e = await rejection(market.getUsableQuote('BTC/USDT', 'oracle'));
      expect(e.message).toMatch(/confidence ±2.1% is wider than the 2% limit/);
    } finally {
      hermes.setFeed('BTC', { conf: '3201234567' });
    }
  });

  it('reports a symbol the oracle has no feed for, without losing the venue price', async () => {
    const [doge] = await market.getPrices(['DOGE/USDT']);
    expect(doge!.oracle).toMatchObject({ error: { code: 'not_found' } });
    expect(doge!.venue).toMatchObject({ fresh: true, exchange: 'binance' });
    expect(doge!.price).toBe((doge!.venue as { price: string }).price);
  });

  it('fetches candles from the venue into the store and serves them from there', async () => {
    const before = exchange.requestsTo('/api/v3/klines').length;
    const series = await market.getCandles('BTC/USDT', '1h', { limit: 48 });
    expect(series).toMatchObject({ exchange: 'binance', simulated: false, timeframe: '1h' });
    expect(series.candles).toHaveLength(48);
    expect(series.candles.at(-1)!.openTime).toBe(new Date(Math.floor(NOW / HOUR) * HOUR).toISOString());
    expect(series.candles.at(-1)!.complete).toBe(false);
    const [n] = await database.db
      .select({ n: count() })
      .from(candles)
      .where(and(eq(candles.exchange, 'binance'), eq(candles.symbol, 'BTC/USDT'), eq(candles.timeframe, '1h')));
    expect(n!.n).toBe(48);
    const since = new Date(NOW - 30 * HOUR);
    const requests = exchange.requestsTo('/api/v3/klines').length;
    expect(requests).toBeGreaterThan(before);
    await market.getCandles('BTC/USDT', '1h', { since, limit: 10 });
    expect(exchange.requestsTo('/api/v3/klines').length, 'stored complete bars are not fetched again').toBe(requests);
  });

  it('stores order books and reads funding from the venue', async () => {
    const book = await market.getOrderBook('BTC-PERP', 5);
    expect(book).toMatchObject({ symbol: 'BTC-PERP', exchange: 'binance', simulated: false });
    expect(book.bids).toHaveLength(5);
    expect((await database.db.select({ n: count() }).from(orderBookSnapshots).where(eq(orderBookSnapshots.id, book.snapshotId)))[0]!.n).toBe(1);
    const funding = await market.getFundingRate('BTC-PERP');
    expect(funding).toMatchObject({ symbol: 'BTC-PERP', rate: '0.0001', ratePercent: '0.01', simulated: false });
    const e = await rejection(market.getFundingRate('SOL-PERP'));
    expect(e.code).toBe('invalid_input');
    expect(e.message).toMatch(/unknown symbol SOL-PERP/);
  });
});

describe('choosing the sources', () => {
  it('probes Hermes and the exchange and names what failed', async () => {
    expect(await probeLive({ pyth: { baseUrl: hermes.url }, ccxt: { apiBaseUrl: exchange.url } })).toEqual({ ok: true });
    const started = Date.now();
    const dead = await probeLive({ pyth: { baseUrl: 'http://127.0.0.1:1' }, ccxt: { apiBaseUrl: 'http://127.0.0.1:1', exchangeId: 'binance' } });
    expect(Date.now() - started, 'the probe never takes longer than 2 s').toBeLessThan(2_500);
    expect(dead.ok).toBe(false);
    expect(dead.reason).toMatch(/Pyth Hermes: .*; binance: /);
  });

  it('auto falls back to the simulated market when the network is not there, and logs it', async () => {
    const lines: string[] = [];
    const logger = createLogger('info', (l) => lines.push(l));
    const s = await createConfiguredSources({
      mode: 'auto',
      seed: 1,
      clock,
      logger,
      pyth: { baseUrl: 'http://127.0.0.1:1' },
      ccxt: { apiBaseUrl: 'http://127.0.0.1:1' },
      probeTimeoutMs: 500,
    });
    expect(s).toMatchObject({ mode: 'sim', simulated: true, exchange: 'sim' });
    expect(lines.join('\n')).toMatch(/MIKEY_MARKET=auto: live market data not reachable; using the simulated market/);
    const live = await createConfiguredSources({ mode: 'auto', seed: 1, clock, logger, pyth: { baseUrl: hermes.url }, ccxt: { apiBaseUrl: exchange.url } });
    expect(live).toMatchObject({ mode: 'live', simulated: false, exchange: 'binance' });
    await live.close();
  });
});
