// The simulated market: reproducible from its seed, candles that aggregate exactly across timeframes
// and contain every quote, realistic levels, clustering, seasonality, books, funding, subscriptions.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  SimMarket, SimMarketRequestError, UnknownSymbolError, candleOpenTime, nodeTimers,
} from '../../src/adapters/sim-market/index.js';
import type { SimTimers } from '../../src/adapters/sim-market/index.js';
import type { Dec } from '../../src/domain/money.js';
import { D, ZERO } from '../../src/domain/money.js';
import type { Candle, Clock, PriceQuote, Timeframe } from '../../src/domain/ports.js';
import { TIMEFRAME_MS } from '../../src/domain/ports.js';

const NOW = new Date(Date.UTC(2025, 5, 18, 14, 27, 33, 250)); // a Wednesday afternoon
const fixedClock = (at: Date): Clock => ({ now: () => at });

function market(seed = 7, now = NOW): SimMarket {
  return new SimMarket({ seed, clock: fixedClock(now) });
}

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** The candle made by aggregating `parts` (oldest first), as the higher timeframe should be. */
function aggregate(parts: Candle[]): { open: Dec; high: Dec; low: Dec; close: Dec; volume: Dec; tradeCount: number } {
  return {
    open: parts[0]!.open,
    high: parts.reduce((m, c) => (c.high.gt(m) ? c.high : m), parts[0]!.high),
    low: parts.reduce((m, c) => (c.low.lt(m) ? c.low : m), parts[0]!.low),
    close: parts[parts.length - 1]!.close,
    volume: parts.reduce((s, c) => s.plus(c.volume), ZERO),
    tradeCount: parts.reduce((s, c) => s + (c.tradeCount ?? 0), 0),
  };
}

function expectSameBar(actual: Candle, expected: ReturnType<typeof aggregate>, label: string): void {
  expect(actual.open.toFixed(), `${label} open`).toBe(expected.open.toFixed());
  expect(actual.high.toFixed(), `${label} high`).toBe(expected.high.toFixed());
  expect(actual.low.toFixed(), `${label} low`).toBe(expected.low.toFixed());
  expect(actual.close.toFixed(), `${label} close`).toBe(expected.close.toFixed());
  expect(actual.volume.toFixed(), `${label} volume`).toBe(expected.volume.toFixed());
  expect(actual.tradeCount, `${label} trades`).toBe(expected.tradeCount);
}

function isMultipleOf(x: Dec, step: Dec): boolean {
  return x.mod(step).isZero();
}

describe('instruments', () => {
  it('lists many spot pairs and perpetuals with exchange filters', async () => {
    const markets = await market().listMarkets();
    expect(markets.length, 'at least 20 symbols').toBeGreaterThanOrEqual(20);
    expect(new Set(markets.map((m) => m.symbol)).size, 'symbols are unique').toBe(markets.length);
    for (const m of markets) {
      expect(m.exchange).toBe('sim');
      expect(m.tickSize.gt(0) && m.stepSize.gt(0) && m.minNotional.gt(0) && m.minQty.gt(0), `${m.symbol} filters`).toBe(true);
      expect(m.symbol).toBe(m.kind === 'spot' ? `${m.base}/${m.quote}` : `${m.base}-PERP`);
    }
    const perps = markets.filter((m) => m.kind === 'perp');
    expect(perps.map((m) => m.symbol)).toEqual(expect.arrayContaining(['BTC-PERP', 'ETH-PERP', 'SOL-PERP']));
    expect(perps.every((m) => (m.maxLeverage ?? 0) > 1), 'perps carry a max leverage').toBe(true);
  });

  it('names unknown symbols and suggests the listed one', async () => {
    const m = market();
    await expect(m.getQuote('SOLUSD')).rejects.toThrow('unknown symbol SOLUSD; did you mean SOL/USDT?');
    await expect(m.getQuote('eth-usdt')).rejects.toThrow('did you mean ETH/USDT?');
    await expect(m.getQuote('BTCPERP')).rejects.toThrow('did you mean BTC-PERP?');
    await expect(m.getQuote('NOPE/USDT')).rejects.toBeInstanceOf(UnknownSymbolError);
    expect((await m.getQuote(' btc/usdt ')).symbol, 'case and spaces do not matter').toBe('BTC/USDT');
  });
});

describe('quotes', () => {
  it('are labelled simulated, on the tick, with bid ≤ price < ask', async () => {
    const m = market();
    const markets = await m.listMarkets();
    const quotes = await m.getQuotes(markets.map((x) => x.symbol));
    for (const [i, q] of quotes.entries()) {
      const info = markets[i]!;
      expect(q.source).toBe('sim');
      expect(q.simulated).toBe(true);
      expect(q.publishTime.getTime()).toBe(NOW.getTime());
      expect(isMultipleOf(q.price, info.tickSize) && isMultipleOf(q.bid!, info.tickSize) && isMultipleOf(q.ask!, info.tickSize), `${q.symbol} on the tick`).toBe(true);
      expect(q.bid!.lte(q.price) && q.price.lt(q.ask!), `${q.symbol}: ${q.bid} ≤ ${q.price} < ${q.ask}`).toBe(true);
    }
  });

  it('start near real-world levels and stay there for years', () => {
    const m = market(11);
    const ranges: Record<string, [number, number]> = { 'BTC/USDT': [45_000, 170_000], 'ETH/USDT': [1_500, 7_000], 'SOL/USDT': [50, 450], 'XRP/USDT': [0.7, 7] };
    for (let month = 0; month < 12 * 8; month += 5) {
      const at = new Date(Date.UTC(2019, month, 1));
      for (const [symbol, [lo, hi]] of Object.entries(ranges)) {
        const p = m.priceAt(symbol, at).toNumber();
        expect(p, `${symbol} on ${at.toISOString()}`).toBeGreaterThan(lo);
        expect(p).toBeLessThan(hi);
      }
    }
  });

  it('are a pure function of (seed, symbol, time)', () => {
    const a = market(5);
    const b = market(5, new Date(Date.UTC(2031, 0, 1)));
    const other = market(6);
    const times = [Date.UTC(2021, 3, 4, 5, 6, 7, 8), NOW.getTime(), Date.UTC(2024, 1, 29, 23, 59, 59, 999)];
    for (const t of times) {
      const at = new Date(t);
      expect(a.quoteAt('ETH/USDT', at), 'same seed, other clock').toEqual(b.quoteAt('ETH/USDT', at));
      expect(a.priceAt('ETH/USDT', at).eq(other.priceAt('ETH/USDT', at)), 'another seed is another market').toBe(false);
    }
    // Order of computation does not matter either (caches are memoisation only).
    const fresh = market(5);
    const later = fresh.priceAt('SOL/USDT', new Date(times[2]!));
    const earlier = fresh.priceAt('SOL/USDT', new Date(times[0]!));
    expect([earlier.toFixed(), later.toFixed()]).toEqual([a.priceAt('SOL/USDT', new Date(times[0]!)).toFixed(), a.priceAt('SOL/USDT', new Date(times[2]!)).toFixed()]);
  });

  it('spread wider on thin markets than on BTC', () => {
    const m = market();
    const relativeSpread = (q: PriceQuote): number => q.ask!.minus(q.bid!).div(q.price).toNumber();
    const samples = Array.from({ length: 20 }, (_, i) => new Date(NOW.getTime() - i * 7 * MINUTE));
    const avg = (symbol: string): number => samples.reduce((s, at) => s + relativeSpread(m.quoteAt(symbol, at)), 0) / samples.length;
    expect(avg('BTC/USDT')).toBeLessThan(avg('INJ/USDT'));
    expect(avg('ETH/USDT')).toBeLessThan(avg('PEPE/USDT'));
  });

  it('move together across the market (BTC and ETH hourly returns correlate)', () => {
    const m = market(3);
    const closes = (s: string): number[] => m.candlesAt(s, '1h', { limit: 500 }, NOW).map((c) => Math.log(c.close.toNumber()));
    const returns = (xs: number[]): number[] => xs.slice(1).map((x, i) => x - xs[i]!);
    const a = returns(closes('BTC/USDT'));
    const b = returns(closes('ETH/USDT'));
    const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
    const ma = mean(a);
    const mb = mean(b);
    const cov = a.reduce((s, x, i) => s + (x - ma) * (b[i]! - mb), 0);
    const corr = cov / Math.sqrt(a.reduce((s, x) => s + (x - ma) ** 2, 0) * b.reduce((s, x) => s + (x - mb) ** 2, 0));
    expect(corr).toBeGreaterThan(0.4);
  });
});

describe('candles', () => {
  const m = market(21);

  it('aggregate exactly: 1h = 60 × 1m, 4h = 4 × 1h, 1d = 24 × 1h, 1w = 7 × 1d, and 5m/15m/30m', () => {
    const dayStart = Date.UTC(2025, 5, 10);
    const minutes = m.candlesAt('BTC/USDT', '1m', { since: new Date(dayStart), limit: 1000 }, NOW)
      .concat(m.candlesAt('BTC/USDT', '1m', { since: new Date(dayStart + 1000 * MINUTE), limit: 440 }, NOW));
    expect(minutes.length).toBe(1440);
    const hours = m.candlesAt('BTC/USDT', '1h', { since: new Date(dayStart), limit: 24 }, NOW);
    hours.forEach((h, i) => expectSameBar(h, aggregate(minutes.slice(i * 60, i * 60 + 60)), `hour ${i}`));
    for (const [tf, size] of [['5m', 5], ['15m', 15], ['30m', 30]] as const) {
      const bars = m.candlesAt('BTC/USDT', tf, { since: new Date(dayStart), limit: 1440 / size }, NOW);
      bars.forEach((b, i) => expectSameBar(b, aggregate(minutes.slice(i * size, (i + 1) * size)), `${tf} ${i}`));
    }
    const fourHours = m.candlesAt('BTC/USDT', '4h', { since: new Date(dayStart), limit: 6 }, NOW);
    fourHours.forEach((b, i) => expectSameBar(b, aggregate(hours.slice(i * 4, i * 4 + 4)), `4h ${i}`));
    const [day] = m.candlesAt('BTC/USDT', '1d', { since: new Date(dayStart), limit: 1 }, NOW);
    expectSameBar(day!, aggregate(hours), 'day');
    const weekStart = Date.UTC(2025, 5, 2); // a Monday
    const [week] = m.candlesAt('BTC/USDT', '1w', { since: new Date(weekStart), limit: 1 }, NOW);
    expect(week!.openTime.getTime()).toBe(weekStart);
    expectSameBar(week!, aggregate(m.candlesAt('BTC/USDT', '1d', { since: new Date(weekStart), limit: 7 }, NOW)), 'week');
  });

  it('chain: every candle opens at the previous close, with low ≤ open, close ≤ high', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Timeframe>('1m', '5m', '1h', '4h', '1d'),
        fc.constantFrom('BTC/USDT', 'PEPE/USDT', 'SOL-PERP', 'XRP/USDT'),
        fc.integer({ min: Date.UTC(2019, 0, 1), max: Date.UTC(2025, 3, 1) }),
        (tf, symbol, since) => {
          const candles = m.candlesAt(symbol, tf, { since: new Date(since), limit: 30 }, NOW);
          expect(candles.length).toBe(30);
          candles.forEach((c, i) => {
            expect(c.low.lte(c.open) && c.low.lte(c.close) && c.high.gte(c.open) && c.high.gte(c.close), `${symbol} ${tf} #${i} OHLC`).toBe(true);
            expect(c.volume.gte(0)).toBe(true);
            if (c.vwap) expect(c.vwap.gte(c.low) && c.vwap.lte(c.high), 'vwap inside the range').toBe(true);
            if (i > 0) {
              expect(c.open.eq(candles[i - 1]!.close), `${symbol} ${tf} #${i} opens at the last close`).toBe(true);
              expect(c.openTime.getTime() - candles[i - 1]!.openTime.getTime()).toBe(TIMEFRAME_MS[tf]);
            }
          });
          expect(candles[0]!.openTime.getTime() >= since && candles[0]!.openTime.getTime() - since < TIMEFRAME_MS[tf], 'the first candle opens at or after since').toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('contain every quote of their minute', () => {
    const start = Date.UTC(2025, 4, 20, 9, 13);
    const minutes = m.candlesAt('ETH/USDT', '1m', { since: new Date(start), limit: 30 }, NOW);
    for (const [index, c] of minutes.entries()) {
      const t0 = c.openTime.getTime();
      // Every 10 ms for the first few minutes (fine enough to land on the turning points), 250 ms after.
      const stepMs = index < 4 ? 10 : 250;
      expect(m.priceAt('ETH/USDT', new Date(t0)).eq(c.open), 'the first quote is the open').toBe(true);
      expect(m.priceAt('ETH/USDT', new Date(t0 + MINUTE)).eq(c.close), 'the next minute starts at the close').toBe(true);
      let high = c.open;
      let low = c.open;
      for (let ms = 0; ms < MINUTE; ms += stepMs) {
        const p = m.priceAt('ETH/USDT', new Date(t0 + ms));
        expect(p.gte(c.low) && p.lte(c.high), `quote ${p} at +${ms} ms inside [${c.low}, ${c.high}]`).toBe(true);
        if (p.gt(high)) high = p;
        if (p.lt(low)) low = p;
      }
      if (stepMs === 10) expect(high.eq(c.high) && low.eq(c.low), `the extremes ${c.high}/${c.low} are traded (saw ${high}/${low})`).toBe(true);
    }
  });

  it('end with the forming candle, holding the ticks up to now only', () => {
    const now = NOW.getTime();
    const latest = m.candlesAt('BTC/USDT', '1h', { limit: 5 }, NOW);
    expect(latest.length).toBe(5);
    const forming = latest[4]!;
    expect(forming.openTime.getTime()).toBe(candleOpenTime(now, '1h'));
    expect(forming.close.eq(m.priceAt('BTC/USDT', NOW)), 'its close is the price now').toBe(true);
    const complete = m.candlesAt('BTC/USDT', '1h', { since: forming.openTime, limit: 1 }, new Date(forming.openTime.getTime() + HOUR));
    expect(complete[0]!.open.eq(forming.open)).toBe(true);
    expect(complete[0]!.high.gte(forming.high) && complete[0]!.low.lte(forming.low), 'the hour only widens as it goes on').toBe(true);
    expect(complete[0]!.volume.gt(forming.volume)).toBe(true);
    const minutesSoFar = m.candlesAt('BTC/USDT', '1m', { since: forming.openTime, limit: 60 }, NOW);
    expect(minutesSoFar.length, 'minutes 0..27 of the hour, the 28th forming').toBe(28);
    expectSameBar(forming, aggregate(minutesSoFar), 'forming hour');
    expect(m.candlesAt('BTC/USDT', '1h', { since: new Date(now + HOUR), limit: 5 }, NOW), 'nothing from the future').toEqual([]);
  });

  it('go back in time with `since`, and get the same history at any later time', async () => {
    const since = new Date(NOW.getTime() - 30 * DAY);
    const earlier = await market(21).getCandles('SOL/USDT', '4h', { since, limit: 12 });
    const later = market(21, new Date(NOW.getTime() + 90 * DAY)).candlesAt('SOL/USDT', '4h', { since, limit: 12 }, new Date(NOW.getTime() + 90 * DAY));
    expect(earlier).toEqual(later);
    expect(earlier[0]!.openTime.getTime()).toBe(candleOpenTime(since.getTime(), '4h') + 4 * HOUR);
  });

  it('open weekly candles on Mondays and daily ones at midnight UTC', () => {
    for (const c of m.candlesAt('BTC/USDT', '1w', { limit: 10 }, NOW)) {
      expect(c.openTime.getUTCDay(), 'Monday').toBe(1);
      expect(c.openTime.getUTCHours()).toBe(0);
    }
    expect(m.candlesAt('BTC/USDT', '1d', { limit: 3 }, NOW).map((c) => c.openTime.toISOString().slice(11))).toEqual(['00:00:00.000Z', '00:00:00.000Z', '00:00:00.000Z']);
  });

  it('refuse impossible requests with a reason', async () => {
    const sim = market();
    await expect(sim.getCandles('BTC/USDT', '1h', { limit: 5000 })).rejects.toThrow('limit must be a whole number from 1 to 1000, got 5000');
    await expect(sim.getCandles('BTC/USDT', '1h', { limit: 0 })).rejects.toBeInstanceOf(SimMarketRequestError);
    const early = sim.candlesAt('BTC/USDT', '1d', { since: new Date(Date.UTC(1990, 0, 1)), limit: 3 }, NOW);
    expect(early[0]!.openTime.toISOString(), 'history starts in 2000').toBe('2000-01-01T00:00:00.000Z');
  });
});

describe('statistics of the path', () => {
  const m = market(99);
  const minutes = m.candlesAt('BTC/USDT', '1m', { since: new Date(Date.UTC(2025, 2, 3)), limit: 1000 }, NOW)
    .concat(m.candlesAt('BTC/USDT', '1m', { since: new Date(Date.UTC(2025, 2, 3) + 1000 * MINUTE), limit: 1000 }, NOW))
    .concat(m.candlesAt('BTC/USDT', '1m', { since: new Date(Date.UTC(2025, 2, 3) + 2000 * MINUTE), limit: 1000 }, NOW));
  const returns = minutes.slice(1).map((c, i) => Math.log(c.close.toNumber() / minutes[i]!.close.toNumber()));

  it('has fat tails and volatility clustering (GARCH-like)', () => {
    const n = returns.length;
    const mean = returns.reduce((s, r) => s + r, 0) / n;
    const variance = returns.reduce((s, r) => s + (r - mean) ** 2, 0) / n;
    const kurtosis = returns.reduce((s, r) => s + (r - mean) ** 4, 0) / n / variance ** 2;
    expect(kurtosis, 'fatter tails than a normal (3)').toBeGreaterThan(3.5);
    const squares = returns.map((r) => r * r);
    const sq = squares.reduce((s, x) => s + x, 0) / n;
    const autocorrelation = (lag: number): number => {
      let num = 0;
      let den = 0;
      for (let i = 0; i < n; i++) {
        den += (squares[i]! - sq) ** 2;
        if (i >= lag) num += (squares[i]! - sq) * (squares[i - lag]! - sq);
      }
      return num / den;
    };
    const lags = [1, 2, 5, 10, 20];
    const average = lags.reduce((s, l) => s + autocorrelation(l), 0) / lags.length;
    expect(average, 'large moves follow large moves').toBeGreaterThan(0.05);
  });

  it('has a daily volatility like a large-cap coin', () => {
    const days = m.candlesAt('BTC/USDT', '1d', { limit: 365 }, NOW).map((c) => c.close.toNumber());
    const r = days.slice(1).map((c, i) => Math.log(c / days[i]!));
    const sd = Math.sqrt(r.reduce((s, x) => s + x * x, 0) / r.length);
    expect(sd).toBeGreaterThan(0.015);
    expect(sd).toBeLessThan(0.05);
  });

  it('trades more in the European/US afternoon than in the Asian night, and less at weekends', () => {
    const hours = m.candlesAt('ETH/USDT', '1h', { since: new Date(Date.UTC(2025, 3, 7)), limit: 24 * 28 }, NOW);
    const byHour = (h: number): number => hours.filter((c) => c.openTime.getUTCHours() === h).reduce((s, c) => s + c.volume.toNumber(), 0);
    expect(byHour(15), '15:00 UTC vs 03:00 UTC').toBeGreaterThan(byHour(3) * 2);
    const isWeekend = (c: Candle): boolean => [0, 6].includes(c.openTime.getUTCDay());
    const avg = (cs: Candle[]): number => cs.reduce((s, c) => s + c.volume.toNumber(), 0) / cs.length;
    expect(avg(hours.filter(isWeekend))).toBeLessThan(avg(hours.filter((c) => !isWeekend(c))));
  });
});

describe('order books', () => {
  it('are ordered, on the tick and step, and thin away from the mid', async () => {
    const sim = market();
    const info = (await sim.listMarkets()).find((x) => x.symbol === 'ETH/USDT')!;
    const book = await sim.getOrderBook('ETH/USDT', 40);
    expect(book.bids.length).toBe(40);
    expect(book.asks.length).toBe(40);
    expect(book.bids[0]![0].lt(book.asks[0]![0]), 'best bid below best ask').toBe(true);
    const quote = await sim.getQuote('ETH/USDT');
    expect(book.bids[0]![0].eq(quote.bid!) && book.asks[0]![0].eq(quote.ask!), 'the top of book is the quote').toBe(true);
    book.bids.forEach(([p], i) => i > 0 && expect(p.lt(book.bids[i - 1]![0]), 'bids descend').toBe(true));
    book.asks.forEach(([p], i) => i > 0 && expect(p.gt(book.asks[i - 1]![0]), 'asks ascend').toBe(true));
    for (const [p, size] of [...book.bids, ...book.asks]) {
      expect(isMultipleOf(p, info.tickSize) && isMultipleOf(size, info.stepSize) && size.gte(info.minQty), `level ${p} × ${size}`).toBe(true);
    }
    const sum = (levels: Array<[Dec, Dec]>): Dec => levels.reduce((s, [, q]) => s.plus(q), new D(0));
    expect(sum(book.bids.slice(0, 10)).gt(sum(book.bids.slice(30))), 'bids thin out').toBe(true);
    expect(sum(book.asks.slice(0, 10)).gt(sum(book.asks.slice(30))), 'asks thin out').toBe(true);
    await expect(sim.getOrderBook('ETH/USDT', 0)).rejects.toThrow('depth must be a whole number from 1 to 500, got 0');
  });
});

describe('funding', () => {
  it('gives perpetuals an 8-hour rate within ±0.75% and refuses spot pairs', async () => {
    const sim = market();
    for (const symbol of ['BTC-PERP', 'ETH-PERP', 'SOL-PERP']) {
      const f = await sim.getFundingRate(symbol);
      expect(f.intervalHours).toBe(8);
      expect(f.rate.abs().lte('0.0075'), `${symbol} rate ${f.rate}`).toBe(true);
      expect(f.nextFundingTime!.getTime()).toBe(Date.UTC(2025, 5, 18, 16));
      expect(f.timestamp.getTime()).toBe(NOW.getTime());
    }
    const rates = Array.from({ length: 30 }, (_, i) => sim.fundingRateAt('BTC-PERP', new Date(NOW.getTime() - i * 8 * HOUR)).rate.toNumber());
    expect(new Set(rates).size, 'the rate changes from one interval to the next').toBeGreaterThan(10);
    await expect(sim.getFundingRate('BTC/USDT')).rejects.toThrow('BTC/USDT is a spot market; funding applies to perpetuals like BTC-PERP');
  });

  it('keeps a funding history: each payment every 8 hours is the rate its interval showed', async () => {
    const sim = market();
    const to = new Date(Date.UTC(2025, 5, 18, 8));
    const from = new Date(to.getTime() - 5 * 8 * HOUR - 1);
    const h = await sim.getFundingHistory('ETH-PERP', from, to);
    expect(h.map((p) => p.at.toISOString())).toEqual(['2025-06-16T16:00:00.000Z', '2025-06-17T00:00:00.000Z', '2025-06-17T08:00:00.000Z', '2025-06-17T16:00:00.000Z', '2025-06-18T00:00:00.000Z', '2025-06-18T08:00:00.000Z']);
    for (const p of h) {
      const shown = sim.fundingRateAt('ETH-PERP', new Date(p.at.getTime() - HOUR));
      expect(p.rate.toFixed(), 'what getFundingRate showed an hour before the payment').toBe(shown.rate.toFixed());
      expect(shown.nextFundingTime!.getTime()).toBe(p.at.getTime());
    }
    await expect(sim.getFundingHistory('ETH/USDT', from, to)).rejects.toThrow('funding applies to perpetuals');
  });

  it('prices perpetuals close to spot', () => {
    const sim = market();
    const spot = sim.priceAt('BTC/USDT', NOW).toNumber();
    const perp = sim.priceAt('BTC-PERP', NOW).toNumber();
    expect(Math.abs(perp / spot - 1)).toBeLessThan(0.003);
  });
});

describe('subscriptions', () => {
  /** Timers driven by hand: `fire()` runs every active interval callback once. */
  function manualTimers(): SimTimers & { fire(): void; active(): number; intervals: number[] } {
    const callbacks = new Map<number, () => void>();
    const intervals: number[] = [];
    let next = 1;
    return {
      intervals,
      setInterval(callback, ms) {
        intervals.push(ms);
        callbacks.set(next, callback);
        return next++;
      },
      clearInterval(handle) {
        callbacks.delete(handle as number);
      },
      fire() {
        for (const cb of [...callbacks.values()]) cb();
      },
      active: () => callbacks.size,
    };
  }

  it('emits a quote per symbol per interval at the clock’s time, until unsubscribed', () => {
    let now = NOW.getTime();
    const timers = manualTimers();
    const sim = new SimMarket({ seed: 7, clock: { now: () => new Date(now) }, timers, quoteIntervalMs: 250 });
    const received: PriceQuote[] = [];
    const stop = sim.subscribe(['BTC/USDT', 'sol/usdt'], (q) => received.push(q));
    expect(timers.intervals).toEqual([250]);
    expect(received, 'nothing before the first interval').toEqual([]);
    timers.fire();
    now += 250;
    timers.fire();
    expect(received.map((q) => q.symbol)).toEqual(['BTC/USDT', 'SOL/USDT', 'BTC/USDT', 'SOL/USDT']);
    expect(received[2]!.publishTime.getTime() - received[0]!.publishTime.getTime()).toBe(250);
    expect(received[2]).toEqual(sim.quoteAt('BTC/USDT', new Date(now)));
    stop();
    stop();
    expect(timers.active(), 'unsubscribe clears the interval').toBe(0);
    timers.fire();
    expect(received.length).toBe(4);
  });

  it('refuses unknown symbols up front and survives a throwing subscriber', () => {
    const timers = manualTimers();
    const errors: unknown[] = [];
    const sim = new SimMarket({ seed: 7, clock: fixedClock(NOW), timers, onSubscriberError: (e) => errors.push(e) });
    expect(() => sim.subscribe(['BTC/USDT', 'BTCUSD'], () => undefined)).toThrow('did you mean BTC/USDT?');
    let calls = 0;
    sim.subscribe(['BTC/USDT', 'ETH/USDT'], () => {
      calls++;
      throw new Error('subscriber bug');
    });
    timers.fire();
    expect(calls, 'the second symbol is still delivered').toBe(2);
    expect(errors.length).toBe(2);
  });

  it('uses unref’d timers by default so a subscription never keeps the process alive', () => {
    const handle = nodeTimers.setInterval(() => undefined, 1_000) as ReturnType<typeof setInterval>;
    expect(handle.hasRef()).toBe(false);
    nodeTimers.clearInterval(handle);
  });
});
