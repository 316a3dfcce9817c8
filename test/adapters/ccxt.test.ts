import ccxt, {
  AccountSuspended,
  AuthenticationError,
  BadRequest,
  BadResponse,
  BadSymbol,
  DDoSProtection,
  ExchangeError,
  ExchangeNotAvailable,
  InsufficientFunds,
  InvalidOrder,
  NetworkError,
  NotSupported,
  NullResponse,
  OnMaintenance,
  OrderNotFound,
  PermissionDenied,
  RateLimitExceeded,
  RequestTimeout,
  functions,
} from 'ccxt';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CcxtMarketData,
  CcxtPrecisionMode,
  CcxtVenueError,
  ccxtOptionsFromConfig,
  ccxtSymbolFor,
  classifyCcxtError,
  decimalFromCcxt,
  mapCcxtMarket,
  type CcxtMarketDataOptions,
} from '../../src/adapters/ccxt/index.js';
import { D } from '../../src/domain/money.js';
import { BINANCE_418, BINANCE_429, startFakeExchange, type FakeExchange } from '../fakes/exchange-server.js';

const NOW = Date.UTC(2025, 0, 10, 12, 34, 56);
const HOUR = 3_600_000;
const clock = { now: () => new Date(NOW) };

async function venueError(p: Promise<unknown>): Promise<CcxtVenueError> {
  try {
    await p;
  } catch (err) {
    expect(err, 'adapter errors are classified CcxtVenueErrors').toBeInstanceOf(CcxtVenueError);
    return err as CcxtVenueError;
  }
  throw new Error('expected a rejection');
}

// ---------------------------------------------------------------------------------------------
// Pure parts
// ---------------------------------------------------------------------------------------------

describe('ccxt error classification', () => {
  const cases: Array<[Error, string, string]> = [
    [new RequestTimeout('binance GET https://api.binance.com/api/v3/depth?symbol=BTCUSDT request timed out (10000 ms)'), 'retryable', 'timeout'],
    [new RateLimitExceeded('binance {"code":-1003,"msg":"Too much request weight used"}'), 'retryable', 'rate_limited'],
    [new DDoSProtection('binance 429 Too Many Requests'), 'retryable', 'rate_limited'],
    [new OnMaintenance('binance system maintenance'), 'retryable', 'maintenance'],
    [new ExchangeNotAvailable('binance GET https://api.binance.com/api/v3/time 503 Service Unavailable'), 'retryable', 'exchange_unavailable'],
    [new NetworkError('binance GET https://api.binance.com/api/v3/time fetch failed: ECONNRESET'), 'retryable', 'network'],
    [new NullResponse('binance fetchTicker() returned empty response'), 'retryable', 'bad_response'],
    [new BadResponse('binance sent garbage'), 'retryable', 'bad_response'],
    [new InsufficientFunds('binance {"code":-2019,"msg":"Margin is insufficient."}'), 'rejected', 'insufficient_funds'],
    [new OrderNotFound('binance {"code":-2011,"msg":"Unknown order sent."}'), 'rejected', 'order_not_found'],
    [new InvalidOrder('binance {"code":-2010,"msg":"Filter failure: LOT_SIZE"}'), 'rejected', 'invalid_order'],
    [new BadSymbol('binance {"code":-1121,"msg":"Invalid symbol."}'), 'rejected', 'bad_symbol'],
    [new BadRequest('binance {"code":-1100,"msg":"Illegal characters found in parameter \'price\'"}'), 'rejected', 'bad_request'],
    [new PermissionDenied('binance {"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}'), 'rejected', 'permission_denied'],
    [new AccountSuspended('binance account suspended'), 'rejected', 'account_suspended'],
    [new AuthenticationError('binance {"code":-2014,"msg":"API-key format invalid."}'), 'rejected', 'authentication'],
    [new NotSupported('binance fetchFundingRate() supports linear and inverse contracts only'), 'rejected', 'not_supported'],
    [new ExchangeError('binance {"code":-9999,"msg":"Something new"}'), 'unknown', 'unknown'],
    [new Error('boom'), 'unknown', 'unknown'],
  ];

  it.each(cases)('%s → %s / %s', (err, kind, reason) => {
    const c = classifyCcxtError(err, { exchange: 'binance', action: 'place the order' });
    expect(c.kind).toBe(kind);
    expect(c.reason).toBe(reason);
    expect(c.retryable).toBe(kind === 'retryable');
    expect(c.outcomeUnknown, 'only a venue rejection proves nothing happened').toBe(kind !== 'rejected');
    expect(c.userMessage).not.toMatch(/https?:\/\//);
  });

  it('a timeout while placing an order is an unknown outcome, never a failure', () => {
    const c = classifyCcxtError(new RequestTimeout('binance POST https://api.binance.com/api/v3/order timed out'), { exchange: 'binance', action: 'place the order' });
    expect(c).toMatchObject({ kind: 'retryable', reason: 'timeout', outcomeUnknown: true });
    expect(c.userMessage).toBe('binance did not answer in time while trying to place the order');
  });

  it('quotes the venue’s own message for rejections, scrubbed of URLs and keys', () => {
    const c = classifyCcxtError(
      new InsufficientFunds('binance {"code":-2010,"msg":"Account has insufficient balance for requested action. see https://x.example/?signature=abc&apiKey=KEY123"}'),
      { exchange: 'binance' },
    );
    expect(c.venueCode).toBe('-2010');
    expect(c.userMessage).toMatch(/^binance rejected it: not enough funds in the account \(binance says: Account has insufficient balance for requested action/);
    expect(c.userMessage).not.toMatch(/signature=abc|KEY123|https:/);
  });

  it('rate limits suggest how long to wait', () => {
    expect(classifyCcxtError(new DDoSProtection('x')).retryAfterMs).toBe(60_000);
    expect(classifyCcxtError(new RateLimitExceeded('x')).retryAfterMs).toBe(10_000);
  });

  it('recognises ccxt errors from another copy of ccxt by class name', () => {
    class InsufficientFunds extends Error {}
    class NetworkError extends Error {}
    expect(classifyCcxtError(new InsufficientFunds('x')).reason).toBe('insufficient_funds');
    expect(classifyCcxtError(new NetworkError('x')).kind).toBe('retryable');
  });

  it('never throws on odd input', () => {
    expect(classifyCcxtError('a string').kind).toBe('unknown');
    expect(classifyCcxtError(undefined).kind).toBe('unknown');
  });
});

describe('ccxt number → decimal', () => {
  it('round-trips every decimal of up to 15 significant digits exactly (the stated precision caveat)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 999_999_999_999_999n }), fc.integer({ min: 0, max: 12 }), (digits, scale) => {
        const s = new D(digits.toString()).div(new D(10).pow(scale)).toFixed();
        const viaNumber = decimalFromCcxt(Number(s));
        return viaNumber !== undefined && viaNumber.eq(new D(s));
      }),
      { numRuns: 1_000 },
    );
  });

  it('prefers strings, refuses non-finite values', () => {
    expect(decimalFromCcxt('0.00000001')?.toFixed()).toBe('0.00000001');
    expect(decimalFromCcxt(1e-7)?.toFixed()).toBe('0.0000001');
    expect(decimalFromCcxt(Number.NaN)).toBeUndefined();
    expect(decimalFromCcxt(Infinity)).toBeUndefined();
    expect(decimalFromCcxt('abc')).toBeUndefined();
    expect(decimalFromCcxt(null)).toBeUndefined();
  });
});

describe('ccxt market → MarketInfo (precision modes)', () => {
  const base = {
    id: 'BTCUSDT', symbol: 'BTC/USDT', base: 'BTC', quote: 'USDT', type: 'spot', spot: true, active: true,
    limits: { amount: { min: 0.001, max: 100 }, cost: { min: 10 } }, info: {},
  };

  it('matches ccxt’s own precision-mode constants', () => {
    expect(CcxtPrecisionMode.tickSize).toBe(functions.TICK_SIZE);
    expect(CcxtPrecisionMode.decimalPlaces).toBe(functions.DECIMAL_PLACES);
    expect(CcxtPrecisionMode.significantDigits).toBe(functions.SIGNIFICANT_DIGITS);
  });

  it('TICK_SIZE: the precision is the increment', () => {
    const m = mapCcxtMarket({ ...base, precision: { price: 0.1, amount: 0.001 } }, { exchange: 'x', precisionMode: CcxtPrecisionMode.tickSize });
    expect([m?.tickSize.toFixed(), m?.stepSize.toFixed(), m?.minQty.toFixed(), m?.maxQty?.toFixed(), m?.minNotional.toFixed()]).toEqual(['0.1', '0.001', '0.001', '100', '10']);
  });

  it('DECIMAL_PLACES: the precision is a count of decimals', () => {
    const m = mapCcxtMarket({ ...base, precision: { price: 2, amount: 5 } }, { exchange: 'x', precisionMode: CcxtPrecisionMode.decimalPlaces });
    expect([m?.tickSize.toFixed(), m?.stepSize.toFixed()]).toEqual(['0.01', '0.00001']);
  });

  it('SIGNIFICANT_DIGITS: no fixed increment (0 = unconstrained)', () => {
    const m = mapCcxtMarket({ ...base, precision: { price: 5, amount: 5 } }, { exchange: 'x', precisionMode: CcxtPrecisionMode.significantDigits });
    expect(m?.tickSize.isZero()).toBe(true);
    expect(m?.stepSize.isZero()).toBe(true);
  });

  it('skips markets MIKEY does not trade', () => {
    const opts = { exchange: 'x', precisionMode: CcxtPrecisionMode.tickSize };
    expect(mapCcxtMarket({ ...base, active: false, precision: {} }, opts)).toBeUndefined();
    expect(mapCcxtMarket({ ...base, symbol: 'BTC/USD:BTC', type: 'swap', spot: false, swap: true, inverse: true, linear: false, settle: 'BTC', precision: {} }, opts)).toBeUndefined();
    expect(mapCcxtMarket({ ...base, symbol: 'BTC/USDT:USDT-250328', type: 'future', spot: false, future: true, linear: true, settle: 'USDT', precision: {} }, opts)).toBeUndefined();
    expect(mapCcxtMarket({ ...base, symbol: 'BTC/USDT:USDT', type: 'swap', spot: false, swap: true, linear: true, settle: 'USDT', precision: {} }, opts)?.symbol).toBe('BTC-PERP');
  });

  it('maps canonical symbols to ccxt', () => {
    expect(ccxtSymbolFor('BTC-PERP')).toBe('BTC/USDT:USDT');
    expect(ccxtSymbolFor('sol-perp', 'USDC')).toBe('SOL/USDC:USDC');
    expect(ccxtSymbolFor('ETH/USDT')).toBe('ETH/USDT');
    expect(ccxtOptionsFromConfig({ MIKEY_EXCHANGE: 'okx' })).toEqual({ exchangeId: 'okx' });
  });
});

// ---------------------------------------------------------------------------------------------
// The real ccxt client against the fake Binance
// ---------------------------------------------------------------------------------------------

describe('CcxtMarketData against a local Binance', () => {
  let fx: FakeExchange;
  const adapters: CcxtMarketData[] = [];
  const md = (opts: CcxtMarketDataOptions = {}): CcxtMarketData => {
    const a = new CcxtMarketData({ apiBaseUrl: fx.url, rateLimitMs: 1, timeoutMs: 2_000, clock, ...opts });
    adapters.push(a);
    return a;
  };

  beforeAll(async () => {
    fx = await startFakeExchange({ now: () => NOW, klinesFrom: NOW - 60 * 86_400_000 });
  });
  afterEach(async () => {
    fx.clearInjected();
    for (const a of adapters.splice(0)) await a.close();
  });
  afterAll(async () => {
    await fx.close();
  });

  it('is the ccxt binance client with rate limiting on and hosts pointed at the fake', () => {
    const a = md();
    expect(a.name).toBe('binance');
    expect(a.simulated).toBe(false);
    expect(a.exchange.enableRateLimit).toBe(true);
    const api = a.exchange.urls['api'] as Record<string, string>;
    expect(api['public']).toBe(`${fx.url}/api/v3`);
    expect(api['fapiPublic']).toBe(`${fx.url}/fapi/v1`);
  });

  it('maps market metadata exactly from Binance’s filters and loads it once', async () => {
    const a = md();
    const before = fx.requests.length;
    const markets = await a.listMarkets();
    const sent = fx.requests.slice(before).map((r) => r.path);
    expect(sent.sort(), 'spot and USDⓈ-M only; no private or coin-margined calls').toEqual(['/api/v3/exchangeInfo', '/fapi/v1/exchangeInfo']);

    const btc = markets.find((m) => m.symbol === 'BTC/USDT')!;
    expect(btc).toMatchObject({ base: 'BTC', quote: 'USDT', kind: 'spot', exchange: 'binance' });
    expect([btc.tickSize, btc.stepSize, btc.minQty, btc.maxQty, btc.minNotional].map((d) => d?.toFixed())).toEqual(['0.01', '0.00001', '0.00001', '9000', '5']);

    const perp = markets.find((m) => m.symbol === 'BTC-PERP')!;
    expect(perp).toMatchObject({ base: 'BTC', quote: 'USDT', kind: 'perp' });
    expect([perp.tickSize, perp.stepSize, perp.minQty, perp.maxQty, perp.minNotional].map((d) => d?.toFixed())).toEqual(['0.1', '0.001', '0.001', '1000', '100']);

    expect(markets.find((m) => m.symbol === 'DOGE/USDT')?.tickSize.toFixed()).toBe('0.00001');
    expect(markets.map((m) => m.symbol)).toContain('ETH/BTC');

    const n = fx.requests.length;
    await a.listMarkets();
    await a.getMarket('btcusdt');
    expect(fx.requests.length, 'markets are cached').toBe(n);
  });

  it('resolves every accepted spelling and suggests markets for unknown ones', async () => {
    const a = md();
    for (const [input, expected] of [
      ['BTC/USDT', 'BTC/USDT'], ['btcusdt', 'BTC/USDT'], ['BTC', 'BTC/USDT'], ['btc-perp', 'BTC-PERP'], ['BTC/USDT:USDT', 'BTC-PERP'], ['ETHBTC', 'ETH/BTC'],
    ]) {
      expect((await a.getMarket(input!)).symbol, input).toBe(expected);
    }
    const e = await venueError(a.getMarket('SOLUSD'));
    expect(e.classification).toMatchObject({ kind: 'rejected', reason: 'bad_symbol' });
    expect(e.message).toMatch(/unknown symbol SOLUSD; did you mean SOL\/USDT/);
  });

  it('returns the order book best first with exact decimals', async () => {
    const a = md();
    const ob = await a.getOrderBook('BTC/USDT', 5);
    expect(ob).toMatchObject({ symbol: 'BTC/USDT', exchange: 'binance' });
    expect(ob.bids.map(([p]) => p.toFixed())).toEqual(['64999.99', '64999.98', '64999.97', '64999.96', '64999.95']);
    expect(ob.asks.map(([p]) => p.toFixed())).toEqual(['65000.01', '65000.02', '65000.03', '65000.04', '65000.05']);
    expect(ob.bids[0]![1].toFixed()).toBe('0.0001');
    expect(ob.bids[0]![0].lt(ob.asks[0]![0]), 'best bid below best ask').toBe(true);
    expect(fx.requestsTo('/api/v3/depth').at(-1)?.query).toEqual({ symbol: 'BTCUSDT', limit: '5' });
  });

  it('asks a USDⓈ-M book for an allowed depth and trims it', async () => {
    const a = md();
    const ob = await a.getOrderBook('BTC-PERP', 7);
    expect(fx.requestsTo('/fapi/v1/depth').at(-1)?.query['limit'], 'Binance futures only accept 5, 10, 20, 50, 100, 500, 1000').toBe('10');
    expect(ob.bids).toHaveLength(7);
    expect(ob.asks).toHaveLength(7);
    expect(ob.bids.map(([p]) => p.toFixed()).slice(0, 2)).toEqual(['65009.9', '65009.8']);
    expect(ob.timestamp.getTime()).toBe(NOW - 2);
  });

  it('gives tickers with bid and ask, batched per market kind', async () => {
    const a = md();
    const spot = await a.getTicker('ETH/USDT');
    expect([spot.bid?.toFixed(), spot.ask?.toFixed(), spot.last?.toFixed(), spot.price.toFixed()]).toEqual(['3450.11', '3450.13', '3450.12', '3450.12']);
    expect(spot).toMatchObject({ source: 'exchange', simulated: false, exchange: 'binance', symbol: 'ETH/USDT' });

    const before = fx.requests.length;
    const quotes = await a.getTickers(['BTC/USDT', 'SOL/USDT', 'ETH-PERP']);
    expect(quotes.map((q) => q.symbol)).toEqual(['BTC/USDT', 'SOL/USDT', 'ETH-PERP']);
    const perp = quotes[2]!;
    expect([perp.bid?.toFixed(), perp.ask?.toFixed(), perp.last?.toFixed()], 'futures tickers take bid/ask from the book ticker').toEqual(['3450.99', '3451.01', '3451']);
    const paths = fx.requests.slice(before).map((r) => r.path).sort();
    expect(paths).toEqual(['/api/v3/ticker/24hr', '/fapi/v1/ticker/24hr', '/fapi/v1/ticker/bookTicker']);
  });

  it('pages OHLCV forward across requests without gaps or duplicates', async () => {
    const a = md({ candlePageSize: 100 });
    const since = new Date(NOW - 300 * HOUR);
    const before = fx.requestsTo('/api/v3/klines').length;
    const candles = await a.getCandles('BTC/USDT', '1h', { since, limit: 250 });
    const calls = fx.requestsTo('/api/v3/klines').slice(before);
    expect(calls, '250 bars at 100 per page').toHaveLength(3);
    expect(calls.map((c) => Number(c.query['limit']))).toEqual([100, 100, 50]);
    expect(candles).toHaveLength(250);
    const firstOpen = Math.ceil(since.getTime() / HOUR) * HOUR;
    expect(candles[0]!.openTime.getTime()).toBe(firstOpen);
    for (let i = 1; i < candles.length; i++) {
      expect(candles[i]!.openTime.getTime() - candles[i - 1]!.openTime.getTime(), `bar ${i} follows bar ${i - 1} by one hour`).toBe(HOUR);
    }
    expect(Number(calls[1]!.query['startTime'])).toBe(firstOpen + 100 * HOUR);
    const c0 = candles[0]!;
    expect(c0).toMatchObject({ symbol: 'BTC/USDT', exchange: 'binance', timeframe: '1h' });
    expect(c0.high.gte(D.max(c0.open, c0.close)) && c0.low.lte(D.min(c0.open, c0.close))).toBe(true);
  });

  it('fetches the latest bars when no start is given, paging back when more than a page is wanted', async () => {
    const a = md({ candlePageSize: 100 });
    const latest = await a.getCandles('ETH/USDT', '1h', { limit: 30 });
    expect(latest).toHaveLength(30);
    expect(latest.at(-1)!.openTime.getTime(), 'ends at the bar now forming').toBe(Math.floor(NOW / HOUR) * HOUR);

    const before = fx.requestsTo('/api/v3/klines').length;
    const many = await a.getCandles('ETH/USDT', '1h', { limit: 240 });
    expect(many).toHaveLength(240);
    expect(many.at(-1)!.openTime.getTime()).toBe(Math.floor(NOW / HOUR) * HOUR);
    expect(fx.requestsTo('/api/v3/klines').length - before).toBe(3);
  });

  it('stops paging at the present and within the page budget', async () => {
    const a = md({ candlePageSize: 100, maxCandlePages: 2 });
    let before = fx.requestsTo('/api/v3/klines').length;
    const recent = await a.getCandles('BTC/USDT', '1h', { since: new Date(NOW - 5 * HOUR), limit: 1_000 });
    expect(recent.map((c) => new Date(c.openTime).getUTCHours()), 'the bars opening after `since`, up to the one forming now').toEqual([8, 9, 10, 11, 12]);
    expect(fx.requestsTo('/api/v3/klines').length - before, 'a short page means the present was reached').toBe(1);

    before = fx.requestsTo('/api/v3/klines').length;
    const capped = await a.getCandles('BTC/USDT', '1h', { since: new Date(NOW - 1_000 * HOUR), limit: 1_000 });
    expect(capped).toHaveLength(200);
    expect(fx.requestsTo('/api/v3/klines').length - before, 'never more than maxCandlePages requests').toBe(2);
  });

  it('pages perpetual candles from the futures API', async () => {
    const a = md({ candlePageSize: 50 });
    const candles = await a.getCandles('BTC-PERP', '15m', { since: new Date(NOW - 100 * 900_000), limit: 80 });
    expect(candles).toHaveLength(80);
    expect(candles[0]!.symbol).toBe('BTC-PERP');
    expect(fx.requestsTo('/fapi/v1/klines').length).toBeGreaterThanOrEqual(2);
  });

  it('reads funding rates for perpetuals exactly and refuses spot', async () => {
    const a = md();
    const btc = await a.getFundingRate('BTC-PERP');
    expect(btc.rate.toFixed()).toBe('0.0001');
    expect(btc.intervalHours).toBe(8);
    expect(btc.nextFundingTime?.getTime()).toBe(Math.ceil(NOW / (8 * HOUR)) * 8 * HOUR);
    expect(btc.timestamp.getTime()).toBe(NOW);
    expect((await a.getFundingRate('ETH-PERP')).rate.toFixed()).toBe('-0.00003125');
    expect(fx.requestsTo('/fapi/v1/premiumIndex').at(-1)?.query).toEqual({ symbol: 'ETHUSDT' });

    const e = await venueError(a.getFundingRate('BTC/USDT'));
    expect(e.message).toBe('funding applies to perpetuals; BTC/USDT is spot (ask for BTC-PERP)');
  });

  it('reads the funding history of a perpetual over a window, in pages, with the venue\'s exact rates', async () => {
    const a = md();
    const EIGHT = 8 * HOUR;
    const to = new Date(Math.floor(NOW / EIGHT) * EIGHT);
    const from = new Date(to.getTime() - 1_100 * EIGHT);
    const before = fx.requestsTo('/fapi/v1/fundingRate').length;
    const h = await a.getFundingHistory('ETH-PERP', from, to);
    expect(h).toHaveLength(1_100);
    expect(h[0]!.at.getTime(), 'the first payment after the window opens').toBe(from.getTime() + EIGHT);
    expect(h.at(-1)!.at.getTime(), 'the last at the window\'s end').toBe(to.getTime());
    expect(h.every((p, i) => i === 0 || p.at.getTime() - h[i - 1]!.at.getTime() === EIGHT), 'every 8 hours, none twice').toBe(true);
    expect(new Set(h.map((p) => p.rate.toFixed())), 'the venue\'s text, exact').toEqual(new Set(['-0.00003125']));
    const asked = fx.requestsTo('/fapi/v1/fundingRate').slice(before);
    expect(asked.map((r) => r.query['symbol']), 'two pages of at most 1000').toEqual(['ETHUSDT', 'ETHUSDT']);
    expect(asked[0]!.query).toMatchObject({ startTime: String(from.getTime() + 1), limit: '1000', endTime: String(to.getTime()) });
    const e = await venueError(a.getFundingHistory('BTC/USDT', from, to));
    expect(e.message).toBe('funding applies to perpetuals; BTC/USDT is spot');
  });

  // --- failures, classified --------------------------------------------------------------------

  it('429 and 418 are retryable rate limits', async () => {
    const a = md();
    await a.listMarkets();
    fx.failNext({ ...BINANCE_429, path: '/api/v3/depth' });
    const e429 = await venueError(a.getOrderBook('BTC/USDT'));
    expect(e429.classification).toMatchObject({ kind: 'retryable', reason: 'rate_limited', outcomeUnknown: true });
    expect(e429.message).toMatch(/^binance is refusing requests for now .* while trying to load the order book for BTC\/USDT/);
    expect(e429.message).not.toContain(fx.url);

    fx.failNext({ ...BINANCE_418, path: '/api/v3/depth' });
    expect((await venueError(a.getOrderBook('BTC/USDT'))).classification.reason).toBe('rate_limited');
  });

  it('Binance {code,msg} rejections map to their ccxt classes', async () => {
    const a = md();
    await a.listMarkets();
    fx.failNext({ status: 400, code: -1121, msg: 'Invalid symbol.', path: '/api/v3/depth' });
    const bad = await venueError(a.getOrderBook('BTC/USDT'));
    expect(bad.classification).toMatchObject({ kind: 'rejected', reason: 'bad_symbol', venueCode: '-1121', venueMessage: 'Invalid symbol.', outcomeUnknown: false });
    expect(bad.message).toBe('binance does not list this market (binance says: Invalid symbol.)');

    fx.failNext({ status: 400, code: -2010, msg: 'Account has insufficient balance for requested action.', path: '/api/v3/ticker/24hr' });
    expect((await venueError(a.getTicker('BTC/USDT'))).classification).toMatchObject({ kind: 'rejected', reason: 'insufficient_funds' });

    fx.failNext({ status: 400, code: -2010, msg: 'NEW_ORDER_REJECTED', path: '/api/v3/ticker/24hr' });
    expect((await venueError(a.getTicker('BTC/USDT'))).classification).toMatchObject({ kind: 'rejected', reason: 'invalid_order', venueCode: '-2010' });

    fx.failNext({ status: 401, code: -2015, msg: 'Invalid API-key, IP, or permissions for action.', path: '/api/v3/ticker/24hr' });
    expect((await venueError(a.getTicker('BTC/USDT'))).classification).toMatchObject({ kind: 'rejected' });

    fx.failNext({ status: 400, code: -9999, msg: 'Something Binance added last week.', path: '/fapi/v1/premiumIndex' });
    expect((await venueError(a.getFundingRate('BTC-PERP'))).classification, 'an unmapped code is unknown').toMatchObject({ kind: 'unknown', reason: 'unknown', outcomeUnknown: true });
  });

  it('5xx and HTML error pages are retryable "not available"', async () => {
    const a = md();
    await a.listMarkets();
    fx.failNext({ status: 503, body: '<html><body>Service Unavailable</body></html>', path: '/api/v3/klines' });
    const e = await venueError(a.getCandles('BTC/USDT', '1h', { limit: 10 }));
    expect(e.classification).toMatchObject({ kind: 'retryable', reason: 'exchange_unavailable' });
  });

  it('a timeout is retryable with an unknown outcome', async () => {
    const a = md({ timeoutMs: 250 });
    await a.listMarkets();
    fx.delayNext(1_500, { path: '/api/v3/depth' });
    const started = Date.now();
    const e = await venueError(a.getOrderBook('BTC/USDT'));
    expect(Date.now() - started, 'gave up at the timeout, not after the answer').toBeLessThan(1_400);
    expect(e.classification).toMatchObject({ kind: 'retryable', reason: 'timeout', outcomeUnknown: true, errorName: 'RequestTimeout' });
    expect(e.message).toBe('binance did not answer in time while trying to load the order book for BTC/USDT');
  });

  it('an unreachable venue is a retryable network error', async () => {
    const a = new CcxtMarketData({ apiBaseUrl: 'http://127.0.0.1:1', rateLimitMs: 1, timeoutMs: 1_000 });
    const e = await venueError(a.listMarkets());
    expect(e.classification).toMatchObject({ kind: 'retryable', reason: 'network' });
    expect(e.message).toBe('cannot reach binance to load the list of markets');
  });

  it('refuses an exchange id ccxt does not know', () => {
    expect(() => new CcxtMarketData({ exchangeId: 'nosuchexchange' })).toThrow(/ccxt does not know the exchange "nosuchexchange"/);
    expect(ccxt.exchanges).toContain('binance');
  });

  it('keeps ccxt’s rate limiter between requests', async () => {
    const a = md({ rateLimitMs: 60 });
    await a.listMarkets();
    const started = Date.now();
    for (let i = 0; i < 5; i++) await a.getOrderBook('ETH/USDT', 5);
    expect(Date.now() - started, 'five weighted requests at 60 ms per unit take at least 4 × 60 ms').toBeGreaterThanOrEqual(4 * 60 - 5);
  });
});
