import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MARKETS, editDistance, findMarket, maintenanceMarginRateOf, maxLeverageOf, parseSymbol, resolveMarket, suggestMarkets,
} from '../../src/domain/market.js';
import { dec, isMultipleOf } from '../../src/domain/money.js';
import { errorOf, unwrap } from './trading-fixtures.js';

describe('resolveMarket: every common spelling finds one canonical market', () => {
  it.each([
    ['BTC/USDT', 'BTC/USDT'],
    ['btc/usdt', 'BTC/USDT'],
    ['BTCUSDT', 'BTC/USDT'],
    ['btc-usdt', 'BTC/USDT'],
    ['BTC_USDT', 'BTC/USDT'],
    [' BTC ', 'BTC/USDT'],
    ['BTC', 'BTC/USDT'],
    ['eth', 'ETH/USDT'],
    ['ETHBTC', 'ETH/BTC'],
    ['eth/btc', 'ETH/BTC'],
    ['BTC-PERP', 'BTC-PERP'],
    ['sol-perp', 'SOL-PERP'],
    ['SOL-PERP', 'SOL-PERP'],
    ['BTCUSDT-PERP', 'BTC-PERP'],
    ['BTC-USDT-PERP', 'BTC-PERP'],
    ['BTC/USDT:USDT', 'BTC-PERP'],
    ['eth/usdt:usdt', 'ETH-PERP'],
    ['BTC-USDT-SWAP', 'BTC-PERP'],
    ['MATIC', 'POL/USDT'],
    ['MATIC/USDT', 'POL/USDT'],
    ['XBTUSDT', 'BTC/USDT'],
  ])('%s → %s', (input, expected) => {
    const m = unwrap(resolveMarket(input, DEFAULT_MARKETS), `${input} must resolve`);
    expect(m.symbol, `${input} must resolve to ${expected}`).toBe(expected);
  });

  it('honours a different default quote', () => {
    const markets = [...DEFAULT_MARKETS, { ...DEFAULT_MARKETS[0]!, symbol: 'BTC/USDC', quote: 'USDC' }];
    expect(unwrap(resolveMarket('BTC', markets, { defaultQuote: 'USDC' })).symbol, 'BTC with USDC default').toBe('BTC/USDC');
    expect(unwrap(resolveMarket('BTCUSDC', markets)).symbol, 'USDC suffix is known from the list').toBe('BTC/USDC');
  });

  it('does not confuse a perp with spot: SOL-PERP is not SOL/USDT', () => {
    expect(unwrap(resolveMarket('SOL-PERP', DEFAULT_MARKETS)).kind, 'SOL-PERP is a perpetual').toBe('perp');
    expect(unwrap(resolveMarket('SOL', DEFAULT_MARKETS)).kind, 'bare SOL means spot').toBe('spot');
  });

  it('refuses a perp that is not listed, pointing at the spot market', () => {
    const e = errorOf(resolveMarket('DOGE-PERP', DEFAULT_MARKETS), 'no DOGE perpetual is listed');
    expect(e.code).toBe('unknown_symbol');
    expect(e.message, 'the DOGE spot market is suggested').toMatch(/^unknown symbol DOGE-PERP; did you mean .*DOGE\/USDT/);
  });
});

describe('resolveMarket: unknown symbols say what was meant', () => {
  it('SOLUSD → did you mean SOL/USDT', () => {
    const e = errorOf(resolveMarket('SOLUSD', DEFAULT_MARKETS));
    expect(e.code).toBe('unknown_symbol');
    expect(e.message, 'the closest market comes first').toMatch(/^unknown symbol SOLUSD; did you mean SOL\/USDT/);
  });

  it('BTCUSDX → BTC/USDT; ETHH → ETH markets', () => {
    expect(errorOf(resolveMarket('BTCUSDX', DEFAULT_MARKETS)).message).toMatch(/did you mean BTC\/USDT/);
    expect(errorOf(resolveMarket('ETHH', DEFAULT_MARKETS)).message).toMatch(/did you mean .*ETH/);
  });

  it('a symbol unlike anything listed names some markets to look at', () => {
    const e = errorOf(resolveMarket('QQQQQQQQQQ', DEFAULT_MARKETS));
    expect(e.code).toBe('unknown_symbol');
    expect(e.message, 'no guess, but a pointer to what exists').toMatch(/unknown symbol QQQQQQQQQQ; list the markets .* BTC\/USDT/);
  });

  it.each([
    ['', /symbol is empty/],
    ['x'.repeat(41), /longer than 40/],
    ['BTC<script>', /only letters, digits/],
    ["BTC'; DROP TABLE", /only letters, digits/],
    ['A/B/C', /cannot read/],
  ])('refuses malformed symbol %j without echoing junk', (input, message) => {
    const e = errorOf(resolveMarket(input, DEFAULT_MARKETS));
    expect(e.code).toBe('invalid_symbol');
    expect(e.message).toMatch(message);
    expect(e.message, 'never echoes markup').not.toContain('<script>');
  });
});

describe('symbol helpers', () => {
  it('parseSymbol splits the longest known quote off the end', () => {
    expect(unwrap(parseSymbol('ETHUSDT', ['USD', 'USDT', 'BTC']))).toEqual({ base: 'ETH', quote: 'USDT', kind: 'spot' });
    expect(unwrap(parseSymbol('BTC', ['USDT'])), 'no quote given').toEqual({ base: 'BTC', kind: 'spot' });
    expect(unwrap(parseSymbol('BTC/USDT:USDT', ['USDT'])), 'ccxt perp').toEqual({ base: 'BTC', quote: 'USDT', kind: 'perp' });
  });

  it('editDistance is the Levenshtein distance', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('SOLUSD', 'SOLUSDT')).toBe(1);
  });

  it('suggestMarkets limits and orders suggestions', () => {
    const s = suggestMarkets('SOL', DEFAULT_MARKETS);
    expect(s.length, 'at most 3').toBeLessThanOrEqual(3);
    expect(s, 'both SOL markets are exact base matches').toEqual(expect.arrayContaining(['SOL/USDT', 'SOL-PERP']));
  });

  it('findMarket is exact, case-insensitive, never guesses', () => {
    expect(findMarket('btc/usdt', DEFAULT_MARKETS)?.symbol).toBe('BTC/USDT');
    expect(findMarket('BTCUSDT', DEFAULT_MARKETS), 'no spelling variants in exact lookup').toBeUndefined();
  });
});

describe('default market list', () => {
  it('lists the majors as spot vs USDT and BTC/ETH/SOL perpetuals', () => {
    for (const base of ['BTC', 'ETH', 'SOL', 'BNB', 'XRP', 'DOGE', 'ADA', 'AVAX', 'LINK', 'DOT', 'POL', 'LTC']) {
      expect(findMarket(`${base}/USDT`, DEFAULT_MARKETS), `${base}/USDT listed`).toBeDefined();
    }
    for (const s of ['BTC-PERP', 'ETH-PERP', 'SOL-PERP']) expect(findMarket(s, DEFAULT_MARKETS)?.kind, `${s} is a perp`).toBe('perp');
  });

  it('every market is self-consistent', () => {
    const symbols = new Set<string>();
    for (const m of DEFAULT_MARKETS) {
      expect(symbols.has(m.symbol), `${m.symbol} listed once`).toBe(false);
      symbols.add(m.symbol);
      expect(m.tickSize.gt(0) && m.stepSize.gt(0), `${m.symbol} tick and step positive`).toBe(true);
      expect(isMultipleOf(m.minQty, m.stepSize), `${m.symbol} minQty on the step`).toBe(true);
      expect(m.maxQty === undefined || m.maxQty.gt(m.minQty), `${m.symbol} maxQty above minQty`).toBe(true);
      expect(m.minNotional.gt(0), `${m.symbol} has a minimum order value`).toBe(true);
      expect(unwrap(resolveMarket(m.symbol, DEFAULT_MARKETS)).symbol, 'canonical symbol resolves to itself').toBe(m.symbol);
      if (m.kind === 'perp') {
        const mmr = maintenanceMarginRateOf(m);
        expect(mmr.mul(maxLeverageOf(m)).lt(1), `${m.symbol}: max leverage must leave liquidation away from entry`).toBe(true);
      } else {
        expect(maxLeverageOf(m), `${m.symbol} spot has no leverage`).toBe(1);
      }
    }
  });

  it('a perp without stated leverage or mmr gets conservative defaults', () => {
    const bare = { ...DEFAULT_MARKETS[0]!, symbol: 'X-PERP', kind: 'perp' as const };
    expect(maxLeverageOf(bare), 'unstated leverage is 1x').toBe(1);
    expect(maintenanceMarginRateOf(bare).eq(dec('0.005')), 'default mmr 0.5%').toBe(true);
  });
});
