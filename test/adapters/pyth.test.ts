import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  PYTH_CRYPTO_USD_FEEDS,
  PythError,
  PythPriceFeed,
  PythRateLimitError,
  RequestBudget,
  pythOptionsFromConfig,
  pythTargetForSymbol,
  reconnectDelayMs,
  scaledDecimal,
  type PythPriceFeedOptions,
  type PythQuote,
} from '../../src/adapters/pyth/index.js';
import { D } from '../../src/domain/money.js';
import { createLogger } from '../../src/log.js';
import { FAKE_FEEDS, startFakeHermes, type FakeHermes } from '../fakes/hermes-server.js';

const LATEST = '/v2/updates/price/latest';
const SEARCH = '/v2/price_feeds';
const STREAM = '/v2/updates/price/stream';
const API_KEY = 'pk_live_SECRET_abc123XYZ';

/** A clock tests move by hand; shared by the fake server's publish times and the adapter. */
function manualClock(start = Date.UTC(2025, 0, 2, 12, 0, 0)) {
  let t = start;
  return { now: () => new Date(t), ms: () => t, advance: (ms: number) => (t += ms) };
}

async function waitFor(cond: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

// ---------------------------------------------------------------------------------------------
// Pure parts
// ---------------------------------------------------------------------------------------------

describe('Hermes price decimals', () => {
  it('turns integer strings and exponents into exact decimals', () => {
    expect(scaledDecimal('6512345678', -8).toFixed()).toBe('65.12345678');
    expect(scaledDecimal('-15', -1).toFixed()).toBe('-1.5');
    expect(scaledDecimal('42', 3).toFixed()).toBe('42000');
    expect(scaledDecimal('9223372036854775807', -18).toFixed()).toBe('9.223372036854775807');
  });

  it('is exact for any i64 price and exponent (property)', () => {
    // Oracle: place the decimal point by string manipulation, independent of decimal.js' parser.
    const byHand = (digits: string, expo: number): string => {
      const neg = digits.startsWith('-');
      const abs = neg ? digits.slice(1) : digits;
      if (expo >= 0) return new D(`${digits}${'0'.repeat(expo)}`).toFixed();
      const padded = abs.padStart(-expo + 1, '0');
      const cut = padded.length + expo;
      return new D(`${neg ? '-' : ''}${padded.slice(0, cut)}.${padded.slice(cut)}`).toFixed();
    };
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.integer({ min: -18, max: 4 }), (price, expo) => {
        const s = price.toString();
        return scaledDecimal(s, expo).toFixed() === byHand(s, expo);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses non-integer input', () => {
    expect(() => scaledDecimal('1.5', -2)).toThrow(/not an integer/);
  });
});

describe('symbol → Pyth feed mapping', () => {
  it.each([
    ['BTC/USDT', 'BTC/USDT', 'BTC', true],
    ['btc/usdt', 'BTC/USDT', 'BTC', true],
    ['BTCUSDT', 'BTC/USDT', 'BTC', true],
    ['BTC-PERP', 'BTC-PERP', 'BTC', true],
    ['BTC/USDT:USDT', 'BTC-PERP', 'BTC', true],
    ['BTC', 'BTC/USD', 'BTC', false],
    ['BTC/USD', 'BTC/USD', 'BTC', false],
    ['MATIC/USDT', 'MATIC/USDT', 'POL', true],
  ])('%s → %s on the %s/USD feed', (input, symbol, base, assumes) => {
    const r = pythTargetForSymbol(input);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.symbol).toBe(symbol);
    expect(r.value.base).toBe(base);
    expect(r.value.assumption !== undefined, 'a stablecoin quote states the USD ≈ stablecoin assumption').toBe(assumes);
    if (assumes) expect(r.value.assumption).toMatch(/assumes 1 USDT = 1 USD/);
  });

  it('refuses quotes Pyth does not price', () => {
    const r = pythTargetForSymbol('ETH/BTC');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/Pyth gives prices in USD; ETH\/BTC is quoted in BTC/);
  });

  it('has a well-formed, unique id for each built-in asset', () => {
    const ids = Object.values(PYTH_CRYPTO_USD_FEEDS);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(ids).size).toBe(ids.length);
    for (const base of ['BTC', 'ETH', 'SOL', 'BNB', 'XRP', 'DOGE', 'ADA', 'AVAX', 'LINK', 'DOT', 'LTC', 'POL', 'ARB', 'OP', 'SUI', 'APT', 'TON', 'NEAR', 'ATOM', 'UNI']) {
      expect(PYTH_CRYPTO_USD_FEEDS[base], `${base} must be in the built-in table`).toBeDefined();
    }
  });

  it('reads PYTH_HERMES_URL and PYTH_API_KEY', () => {
    expect(pythOptionsFromConfig({ PYTH_HERMES_URL: 'https://h.example', PYTH_API_KEY: 'k' })).toEqual({ baseUrl: 'https://h.example', apiKey: 'k' });
    expect(pythOptionsFromConfig({})).toEqual({ baseUrl: 'https://hermes.pyth.network' });
  });
});

describe('reconnect backoff', () => {
  it('grows exponentially, stays within [cap/2, cap] and never exceeds the maximum (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (failures, r) => {
        const d = reconnectDelayMs(failures, { initialMs: 500, maxMs: 30_000, random: () => r });
        const cap = Math.min(30_000, 500 * 2 ** Math.min(failures - 1, 30));
        return d >= Math.floor(cap / 2) && d <= cap && d <= 30_000;
      }),
    );
  });
});

describe('request budget', () => {
  it('never admits more than `limit` requests in any window (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2_000 }), { minLength: 1, maxLength: 200 }), (gaps) => {
        const clock = manualClock();
        const budget = new RequestBudget({ limit: 5, windowMs: 1_000, clock });
        const sent: number[] = [];
        for (const gap of gaps) {
          clock.advance(gap);
          if (budget.tryTake() === 0) sent.push(clock.ms());
        }
        return sent.every((t) => sent.filter((s) => s > t - 1_000 && s <= t).length <= 5);
      }),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Against the fake Hermes server
// ---------------------------------------------------------------------------------------------

describe('PythPriceFeed against a local Hermes', () => {
  let hermes: FakeHermes;
  const clock = manualClock();
  const feeds: PythPriceFeed[] = [];
  const feed = (opts: PythPriceFeedOptions = {}): PythPriceFeed => {
    const f = new PythPriceFeed({ baseUrl: hermes.url, clock, timeoutMs: 2_000, ...opts });
    feeds.push(f);
    return f;
  };

  beforeAll(async () => {
    hermes = await startFakeHermes({ now: () => clock.ms(), streamIntervalMs: 20 });
  });
  afterEach(() => {
    for (const f of feeds.splice(0)) f.close();
    hermes.setStaleness(0);
    hermes.endStreamsAfter(undefined);
    hermes.clearInjected();
    hermes.dropStreams();
  });
  afterAll(async () => {
    await hermes.close();
  });

  it('batches concurrent getQuote calls into one request with every feed id once', async () => {
    const f = feed();
    const before = hermes.requestsTo(LATEST).length;
    const quotes = await Promise.all(['BTC/USDT', 'ETH/USDT', 'SOL-PERP', 'BTC', 'BTC-PERP'].map((s) => f.getQuote(s)));
    const calls = hermes.requestsTo(LATEST).slice(before);
    expect(calls, 'five concurrent quotes must cost one Hermes request').toHaveLength(1);
    expect(new Set(calls[0]!.ids)).toEqual(new Set([FAKE_FEEDS.BTC, FAKE_FEEDS.ETH, FAKE_FEEDS.SOL]));
    expect(calls[0]!.ids, 'each feed id is requested once').toHaveLength(3);
    expect(calls[0]!.query['parsed']).toEqual(['true']);
    expect(quotes.map((q) => q.symbol)).toEqual(['BTC/USDT', 'ETH/USDT', 'SOL-PERP', 'BTC/USD', 'BTC-PERP']);
  });

  it('getQuotes uses one request too and keeps the order asked', async () => {
    const f = feed();
    const before = hermes.requestsTo(LATEST).length;
    const quotes = await f.getQuotes(['SOL/USDT', 'ETH/USDT', 'BTC/USDT']);
    expect(hermes.requestsTo(LATEST).length - before).toBe(1);
    expect(quotes.map((q) => q.symbol)).toEqual(['SOL/USDT', 'ETH/USDT', 'BTC/USDT']);
  });

  it('converts price, confidence, EMA and publish time exactly and labels the source', async () => {
    const q: PythQuote = await feed().getQuote('BTC/USDT');
    expect(q.price.toFixed()).toBe('65123.45678');
    expect(q.confidence.toFixed()).toBe('32.01234567');
    expect(q.emaPrice.toFixed()).toBe('65100');
    expect(q.emaConfidence.toFixed()).toBe('30');
    expect(q.publishTime.getTime()).toBe(Math.floor(clock.ms() / 1000) * 1000);
    expect(q.source).toBe('pyth');
    expect(q.simulated).toBe(false);
    expect(q.feedId).toBe(FAKE_FEEDS.BTC);
    expect(q.feedSymbol).toBe('Crypto.BTC/USD');
    expect(q.assumption, 'a USDT quote carries the USD ≈ USDT assumption').toMatch(/assumes 1 USDT = 1 USD/);
    const plain = await feed().getQuote('BTC');
    expect(plain.assumption, 'a USD quote needs no assumption').toBeUndefined();
  });

  it('sends the API key as a bearer token on every request, and nothing without a key', async () => {
    const withKey = feed({ apiKey: API_KEY });
    const before = hermes.requests.length;
    await withKey.getQuote('ETH/USDT');
    await withKey.getQuote('MIKEY/USDT'); // feed search + latest
    const sent = hermes.requests.slice(before);
    expect(sent.length).toBeGreaterThanOrEqual(2);
    for (const r of sent) expect(r.headers['authorization'], `${r.path} must carry the key`).toBe(`Bearer ${API_KEY}`);

    const n = hermes.requests.length;
    await feed().getQuote('ETH/USDT');
    expect(hermes.requests.slice(n).every((r) => r.headers['authorization'] === undefined)).toBe(true);
  });

  it('never puts the key, the header or the base URL in an error, even when the server echoes them', async () => {
    const f = feed({ apiKey: API_KEY });
    hermes.failNext(500, { body: `upstream failed; got Authorization: Bearer ${API_KEY} for ${hermes.url}/v2` });
    const e1 = await rejection(f.getQuote('BTC/USDT'));
    expect(e1).toBeInstanceOf(PythError);
    expect(e1.message).toMatch(/Pyth Hermes answered HTTP 500/);
    expect(e1.message).not.toContain(API_KEY);
    expect(e1.message).not.toContain(hermes.url);

    hermes.failNext(401, { body: `bad key ${API_KEY}` });
    const e2 = await rejection(f.getQuote('BTC/USDT'));
    expect(e2.message).toMatch(/refused the request \(HTTP 401\)/);
    expect((e2 as PythError).hint).toMatch(/PYTH_API_KEY/);
    expect(JSON.stringify(e2)).not.toContain(API_KEY);

    hermes.delayNext(600, { path: LATEST });
    const slow = feed({ apiKey: API_KEY, timeoutMs: 150 });
    const e3 = await rejection(slow.getQuote('BTC/USDT'));
    expect(e3.message).toMatch(/did not answer within 0.15 s/);

    const dead = new PythPriceFeed({ baseUrl: 'http://127.0.0.1:1/secret-path-token', apiKey: API_KEY, clock });
    const e4 = await rejection(dead.getQuote('BTC/USDT'));
    expect(e4.message).toMatch(/cannot reach Pyth Hermes/);
    for (const e of [e1, e2, e3, e4]) {
      expect(`${e.message} ${(e as PythError).hint ?? ''} ${JSON.stringify((e as PythError).details ?? {})}`).not.toMatch(/SECRET|secret-path-token|Bearer/);
    }
  });

  it('keeps the key out of log lines', async () => {
    const lines: string[] = [];
    const logger = createLogger('debug', (l) => lines.push(l));
    const f = feed({ apiKey: API_KEY, logger, stream: { initialBackoffMs: 10, maxBackoffMs: 20, random: () => 0 } });
    hermes.failNext(500, { path: STREAM, body: `echo ${API_KEY}` });
    const got: PythQuote[] = [];
    const stop = f.subscribe(['BTC/USDT'], (q) => got.push(q));
    await waitFor(() => got.length > 0, 'a quote after the failed connect');
    stop();
    expect(lines.length, 'the reconnect is logged').toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain(API_KEY);
  });

  it('on 429 locks out for the lockout period without sending anything, then resumes', async () => {
    const f = feed({ rateLimit: { lockoutMs: 60_000 } });
    hermes.failNext(429, { path: LATEST });
    const e = await rejection(f.getQuote('BTC/USDT'));
    expect(e).toBeInstanceOf(PythRateLimitError);
    expect(e.message).toMatch(/^Pyth rate limit hit; retrying after 60 s/);
    expect((e as PythRateLimitError).retryAfterMs).toBe(60_000);

    const before = hermes.requests.length;
    clock.advance(30_000);
    for (const s of ['BTC/USDT', 'ETH/USDT', 'SOL-PERP']) {
      const again = await rejection(f.getQuote(s));
      expect(again.message).toMatch(/Pyth rate limit hit; retrying after 30 s/);
    }
    await expect(f.getQuotes(['BTC', 'ETH'])).rejects.toThrow(/rate limit/);
    await expect(f.searchFeeds('doge')).rejects.toThrow(/rate limit/);
    expect(hermes.requests.length - before, 'nothing may reach Hermes during the lockout').toBe(0);

    clock.advance(30_001);
    await expect(f.getQuote('BTC/USDT')).resolves.toMatchObject({ symbol: 'BTC/USDT' });
    expect(hermes.requests.length - before).toBe(1);
  });

  it('stops at the first 429 from a server enforcing the public limit instead of hammering it', async () => {
    const limited = await startFakeHermes({ now: () => clock.ms(), rateLimit: { limit: 3, windowMs: 10_000, lockoutMs: 60_000 } });
    try {
      const f = new PythPriceFeed({ baseUrl: limited.url, clock, rateLimit: { limit: 30 } });
      const results: string[] = [];
      for (let i = 0; i < 10; i++) {
        try {
          await f.getQuote('BTC/USDT');
          results.push('ok');
        } catch (err) {
          results.push(err instanceof PythRateLimitError ? '429' : 'other');
        }
      }
      expect(results).toEqual(['ok', 'ok', 'ok', '429', '429', '429', '429', '429', '429', '429']);
      expect(limited.requests.length, 'after the first 429 no request is sent').toBe(4);
      f.close();
    } finally {
      await limited.close();
    }
  });

  it('spends at most the configured budget per window', async () => {
    const f = feed({ rateLimit: { limit: 3, windowMs: 10_000, maxWaitMs: 0 } });
    const before = hermes.requestsTo(LATEST).length;
    for (let i = 0; i < 3; i++) await f.getQuote('ETH/USDT');
    const e = await rejection(f.getQuote('ETH/USDT'));
    expect(e.message).toMatch(/Pyth request budget used up \(3 requests per 10 s\)/);
    expect(hermes.requestsTo(LATEST).length - before).toBe(3);
    clock.advance(10_001);
    await expect(f.getQuote('ETH/USDT')).resolves.toBeDefined();
  });

  it('refuses stale, future and wide-confidence prices with the reason', async () => {
    clock.advance((1_000 - (clock.ms() % 1_000)) % 1_000); // publish times are whole seconds
    const f = feed({ freshness: { maxAgeMs: 60_000, maxFutureMs: 2_000, maxConfidenceRatio: 0.01 } });
    await expect(f.getQuote('BTC/USDT')).resolves.toBeDefined();

    hermes.setStaleness(93);
    const stale = await rejection(f.getQuote('BTC/USDT'));
    expect(stale.message).toBe('BTC/USDT price is 93 s old (limit 60 s)');
    expect((stale as PythError).code).toBe('stale_price');

    hermes.setStaleness(-30);
    await expect(f.getQuote('BTC/USDT')).rejects.toThrow(/BTC\/USDT price is from the future: published 30 s ahead of now \(limit 2 s\)/);

    hermes.setStaleness(0);
    hermes.setFeed('BTC', { conf: '136759259238' }); // 1367.59 on 65123.46 = 2.1%
    try {
      await expect(f.getQuote('BTC/USDT')).rejects.toThrow('BTC/USDT confidence ±2.1% is wider than the 1% limit');
    } finally {
      hermes.setFeed('BTC', { conf: '3201234567' });
    }
  });

  it('looks up unknown assets through feed search once, and caches misses too', async () => {
    const f = feed();
    const searches = () => hermes.requestsTo(SEARCH);
    const before = searches().length;
    const q = await f.getQuote('MIKEY/USDT');
    expect(q.price.toFixed()).toBe('1.23456');
    expect(q.feedId).toBe(FAKE_FEEDS.MIKEY);
    const s = searches().slice(before);
    expect(s).toHaveLength(1);
    expect(s[0]!.query['query']).toEqual(['MIKEY']);
    expect(s[0]!.query['asset_type']).toEqual(['crypto']);
    await f.getQuote('MIKEY');
    await f.getQuote('MIKEY-PERP');
    expect(searches().length - before, 'the search result is cached').toBe(1);

    const miss = await rejection(f.getQuote('NOPE/USDT'));
    expect((miss as PythError).code).toBe('not_found');
    expect(miss.message).toBe('Pyth has no NOPE/USD price feed');
    await expect(f.getQuote('NOPE')).rejects.toThrow(/no NOPE\/USD/);
    expect(searches().length - before, 'a miss is cached as well').toBe(2);
  });

  it('concurrent look-ups of one unknown asset share one search', async () => {
    const f = feed();
    const before = hermes.requestsTo(SEARCH).length;
    hermes.addFeed({ id: '2'.repeat(64), base: 'ZED', price: '100', conf: '1', expo: -2 });
    await Promise.all([f.getQuote('ZED/USDT'), f.getQuote('ZED'), f.getQuote('ZED-PERP')]);
    expect(hermes.requestsTo(SEARCH).length - before).toBe(1);
  });

  it('a feed Hermes does not know fails alone; the rest of the batch is priced', async () => {
    const f = feed({ feeds: { GHOST: '3'.repeat(64) } });
    const [ghost, btc] = await f.getQuotesSettled(['GHOST/USDT', 'BTC/USDT']);
    expect(ghost?.ok).toBe(false);
    if (ghost && !ghost.ok) expect(ghost.error.message).toMatch(/Pyth returned no price for feed 0x3333/);
    expect(btc?.ok).toBe(true);
    await expect(f.getQuotes(['GHOST/USDT', 'BTC/USDT'])).rejects.toThrow(/no price/);
  });

  it('refuses symbols it cannot price without calling Hermes', async () => {
    const f = feed();
    const before = hermes.requests.length;
    await expect(f.getQuote('ETH/BTC')).rejects.toThrow(/Pyth gives prices in USD/);
    await expect(f.getQuote('')).rejects.toThrow(/symbol is empty/);
    expect(hermes.requests.length).toBe(before);
  });

  // --- streaming ---------------------------------------------------------------------------

  const fastStream = { initialBackoffMs: 20, maxBackoffMs: 100, random: () => 0.5, idleTimeoutMs: 2_000 };

  it('streams quotes for every subscribed symbol over one SSE connection', async () => {
    const f = feed({ apiKey: API_KEY, stream: fastStream });
    const before = hermes.requestsTo(STREAM).length;
    const got: PythQuote[] = [];
    const stop = f.subscribe(['BTC/USDT', 'ETH/USDT', 'BTC-PERP'], (q) => got.push(q));
    await waitFor(() => new Set(got.map((q) => q.symbol)).size === 3, 'quotes for all three symbols');
    stop();
    const conns = hermes.requestsTo(STREAM).slice(before);
    expect(conns).toHaveLength(1);
    expect(new Set(conns[0]!.ids)).toEqual(new Set([FAKE_FEEDS.BTC, FAKE_FEEDS.ETH]));
    expect(conns[0]!.headers['authorization']).toBe(`Bearer ${API_KEY}`);
    const btc = got.find((q) => q.symbol === 'BTC/USDT')!;
    expect(btc.price.toFixed()).toBe('65123.45678');
    expect(btc.source).toBe('pyth');
  });

  it('reconnects with backoff after the server drops the stream, and quotes keep coming', async () => {
    const f = feed({ stream: fastStream });
    const before = hermes.requestsTo(STREAM).length;
    const got: PythQuote[] = [];
    const stop = f.subscribe(['SOL/USDT'], (q) => got.push(q));
    await waitFor(() => got.length > 0, 'first quote');
    expect(hermes.dropStreams()).toBe(1);
    const afterDrop = got.length;
    await waitFor(() => hermes.requestsTo(STREAM).length - before >= 2, 'a second connection');
    await waitFor(() => got.length > afterDrop + 2, 'quotes after the reconnect');
    stop();
  });

  it('reconnects when Hermes ends the stream (its 24-hour limit) or sends an error event', async () => {
    const f = feed({ stream: fastStream });
    const before = hermes.requestsTo(STREAM).length;
    const got: PythQuote[] = [];
    hermes.endStreamsAfter(2);
    const stop = f.subscribe(['ETH/USDT'], (q) => got.push(q));
    await waitFor(() => hermes.requestsTo(STREAM).length - before >= 3, 'three connections after graceful ends');
    hermes.endStreamsAfter(undefined);
    await waitFor(() => hermes.openStreams() === 1, 'a steady connection');
    const conns = hermes.requestsTo(STREAM).length;
    hermes.sendStreamError();
    await waitFor(() => hermes.requestsTo(STREAM).length > conns, 'a reconnect after the error event');
    const n = got.length;
    await waitFor(() => got.length > n, 'quotes after the error event');
    stop();
    await waitFor(() => hermes.openStreams() === 0, 'the stream closed on unsubscribe');
    const settled = hermes.requestsTo(STREAM).length;
    await new Promise((r) => setTimeout(r, 200));
    expect(hermes.requestsTo(STREAM).length, 'no reconnects after unsubscribe').toBe(settled);
  });

  it('a 429 on connect holds the reconnect for the lockout', async () => {
    const real = { now: () => new Date() };
    const f = new PythPriceFeed({ baseUrl: hermes.url, clock: real, rateLimit: { lockoutMs: 400 }, stream: fastStream });
    feeds.push(f);
    const before = hermes.requestsTo(STREAM).length;
    hermes.failNext(429, { path: STREAM });
    const got: PythQuote[] = [];
    const stop = f.subscribe(['BTC/USDT'], (q) => got.push(q));
    await waitFor(() => got.length > 0, 'a quote after the lockout');
    stop();
    const conns = hermes.requestsTo(STREAM).slice(before);
    expect(conns.length, 'one refused connect, one after the lockout').toBe(2);
    expect(conns[1]!.receivedAt - conns[0]!.receivedAt, 'the retry waits out the 400 ms lockout').toBeGreaterThanOrEqual(390);
    await expect(f.getQuote('BTC/USDT')).resolves.toBeDefined();
  });

  it('gives up after too many failed reconnects and says so', async () => {
    const f = feed({ stream: { ...fastStream, maxConsecutiveFailures: 2 } });
    hermes.failNext(503, { path: STREAM, count: 3 });
    const errors: PythError[] = [];
    f.subscribe(['BTC/USDT'], () => undefined, { onError: (e) => errors.push(e) });
    await waitFor(() => errors.length > 0, 'the give-up error');
    expect(errors[0]!.message).toMatch(/Pyth price stream stopped after 2 reconnects without a price \(last: HTTP 503\)/);
    expect(hermes.openStreams()).toBe(0);
  });

  it('reports an unknown symbol to the subscriber instead of throwing', async () => {
    const f = feed();
    const errors: PythError[] = [];
    f.subscribe(['ETH/BTC'], () => undefined, { onError: (e) => errors.push(e) });
    await waitFor(() => errors.length > 0, 'the error');
    expect(errors[0]!.message).toMatch(/Pyth gives prices in USD/);
  });
});
