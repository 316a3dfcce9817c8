import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { D, dec, type Dec } from '../../src/domain/money.js';
import { checkQuoteFreshness, crossCheckOracle, PriceRefusal, type OracleReference } from '../../src/domain/oracle-check.js';

const NOW = new Date('2025-01-02T12:00:00Z');
const secondsAgo = (s: number): Date => new Date(NOW.getTime() - s * 1000);

const quote = (over: Partial<{ price: Dec; confidence: Dec; publishTime: Date; symbol: string }> = {}) => ({
  symbol: 'BTC/USD',
  price: dec('65000'),
  confidence: dec('30'),
  publishTime: secondsAgo(5),
  ...over,
});

describe('checkQuoteFreshness', () => {
  const limits = { maxAgeMs: 60_000, maxFutureMs: 2_000, maxConfidenceRatio: 0.01 };

  it('accepts a fresh, tight, positive price', () => {
    expect(checkQuoteFreshness(quote(), NOW, limits)).toEqual({ ok: true, value: undefined });
  });

  it('refuses a stale price and says how old it is', () => {
    const r = checkQuoteFreshness(quote({ publishTime: secondsAgo(93.6) }), NOW, limits);
    expect(r).toMatchObject({ ok: false, error: { code: PriceRefusal.stale, message: 'BTC/USD price is 93 s old (limit 60 s)' } });
  });

  it('accepts a price exactly at the limit', () => {
    expect(checkQuoteFreshness(quote({ publishTime: secondsAgo(60) }), NOW, limits).ok).toBe(true);
  });

  it('refuses a price from the future beyond the skew allowance', () => {
    const r = checkQuoteFreshness(quote({ publishTime: secondsAgo(-12) }), NOW, limits);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe(PriceRefusal.future);
      expect(r.error.message).toBe('BTC/USD price is from the future: published 12 s ahead of now (limit 2 s); check the clock');
    }
    expect(checkQuoteFreshness(quote({ publishTime: secondsAgo(-1.5) }), NOW, limits).ok, 'within the skew allowance').toBe(true);
  });

  it('refuses a confidence interval wider than the limit, in percent', () => {
    const r = checkQuoteFreshness(quote({ price: dec('100'), confidence: dec('2.1') }), NOW, limits);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe(PriceRefusal.wideConfidence);
      expect(r.error.message).toBe('BTC/USD confidence ±2.1% is wider than the 1% limit');
    }
    const tiny = checkQuoteFreshness(quote({ price: dec('100'), confidence: dec('0.004') }), NOW, { ...limits, maxConfidenceRatio: dec('0.00001') });
    if (!tiny.ok) expect(tiny.error.message).toBe('BTC/USD confidence ±0.004% is wider than the 0.001% limit');
    else throw new Error('a 0.004% interval must fail a 0.001% limit');
  });

  it('ignores confidence when the quote has none or no limit is set', () => {
    expect(checkQuoteFreshness({ symbol: 'BTC/USDT', price: dec('65000'), publishTime: NOW }, NOW, limits).ok).toBe(true);
    expect(checkQuoteFreshness(quote({ confidence: dec('50000') }), NOW, { maxAgeMs: 60_000 }).ok).toBe(true);
  });

  it('refuses a non-positive price', () => {
    const r = checkQuoteFreshness(quote({ price: dec('0') }), NOW, limits);
    expect(r).toMatchObject({ ok: false, error: { code: PriceRefusal.notPositive, message: 'BTC/USD price is not positive (0)' } });
  });

  it('refuses nonsense limits loudly', () => {
    expect(() => checkQuoteFreshness(quote(), NOW, { maxAgeMs: 0 })).toThrow(/maxAgeMs/);
    expect(() => checkQuoteFreshness(quote(), NOW, { maxAgeMs: 1000, maxConfidenceRatio: -1 })).toThrow(/maxConfidenceRatio/);
  });

  it('passes exactly when age, skew and confidence are all within limits (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -10_000, max: 120_000 }),
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.integer({ min: 0, max: 500_000 }),
        (ageMs, priceCents, confCents) => {
          const q = { symbol: 'X/USD', price: new D(priceCents).div(100), confidence: new D(confCents).div(100), publishTime: new Date(NOW.getTime() - ageMs) };
          const r = checkQuoteFreshness(q, NOW, limits);
          const expected = ageMs <= 60_000 && -ageMs <= 2_000 && new D(confCents).div(priceCents).lte(0.01);
          return r.ok === expected;
        },
      ),
    );
  });
});

describe('crossCheckOracle', () => {
  const oracle: OracleReference = { symbol: 'BTC/USD', price: dec('65000'), confidence: dec('20') };

  it('passes a venue price inside k × confidence and names both prices and the band', () => {
    const r = crossCheckOracle('BTC/USDT', dec('65050'), oracle, { confidenceMultiple: 3, mode: 'block' });
    expect(r.status).toBe('ok');
    expect(r.band.toFixed()).toBe('60');
    expect(r.deviation.toFixed()).toBe('50');
    expect(r.message).toBe('BTC/USDT venue price 65050 vs oracle BTC/USD 65000: 50 (7.7 bps) apart, within the band ±60 (3 × confidence 20)');
  });

  it('blocks outside the band in block mode', () => {
    const r = crossCheckOracle('BTC/USDT', dec('64900'), oracle, { confidenceMultiple: 3, mode: 'block' });
    expect(r.status).toBe('blocked');
    expect(r.message).toBe(
      'Blocked: BTC/USDT venue price 64900 vs oracle BTC/USD 65000: 100 (15.4 bps) apart, outside the band ±60 (3 × confidence 20); try again when the venue and oracle agree',
    );
  });

  it('flags instead of blocking in flag mode', () => {
    const r = crossCheckOracle('BTC/USDT', dec('64900'), oracle, { confidenceMultiple: 3, mode: 'flag' });
    expect(r.status).toBe('flagged');
    expect(r.message).toMatch(/^Flagged: .*64900.*65000.*±60.*goes ahead/);
  });

  it('widens a tiny confidence band to the minimum in bps', () => {
    const tight: OracleReference = { symbol: 'BTC/USD', price: dec('65000'), confidence: dec('1') };
    const r = crossCheckOracle('BTC/USDT', dec('65030'), tight, { confidenceMultiple: 3, minBandBps: 10, mode: 'block' });
    expect(r.band.toFixed()).toBe('65');
    expect(r.status).toBe('ok');
    expect(r.message).toContain('±65 (3 × confidence 1, at least 10 bps)');
  });

  it('treats the band edge as inside', () => {
    expect(crossCheckOracle('BTC/USDT', dec('65060'), oracle, { confidenceMultiple: 3, mode: 'block' }).status).toBe('ok');
    expect(crossCheckOracle('BTC/USDT', dec('65060.0001'), oracle, { confidenceMultiple: 3, mode: 'block' }).status).toBe('blocked');
  });

  it('refuses bad settings and prices', () => {
    expect(() => crossCheckOracle('X', dec('1'), oracle, { confidenceMultiple: 0, mode: 'block' })).toThrow(/confidenceMultiple/);
    expect(() => crossCheckOracle('X', dec('1'), oracle, { confidenceMultiple: 1, minBandBps: -1, mode: 'block' })).toThrow(/minBandBps/);
    expect(() => crossCheckOracle('X', dec('0'), oracle, { confidenceMultiple: 1, mode: 'block' })).toThrow(/venue price/);
  });

  const positive = fc.integer({ min: 1, max: 100_000_000 }).map((n) => new D(n).div(100));
  const conf = fc.integer({ min: 0, max: 1_000_000 }).map((n) => new D(n).div(100));

  it('ok exactly when |venue − oracle| ≤ max(k·conf, bps·price); otherwise the mode decides (property)', () => {
    fc.assert(
      fc.property(positive, positive, conf, fc.integer({ min: 1, max: 10 }), fc.integer({ min: 0, max: 500 }), fc.constantFrom<'block' | 'flag'>('block', 'flag'), (venue, price, c, k, bps, mode) => {
        const r = crossCheckOracle('X/USDT', venue, { symbol: 'X/USD', price, confidence: c }, { confidenceMultiple: k, minBandBps: bps, mode });
        const band = D.max(c.mul(k), price.mul(bps).div(10_000));
        const inside = venue.minus(price).abs().lte(band);
        const expected = inside ? 'ok' : mode === 'block' ? 'blocked' : 'flagged';
        return r.status === expected && r.band.eq(band) && r.message.includes(venue.toFixed()) && r.message.includes(price.toFixed());
      }),
    );
  });

  it('is symmetric: a venue price the same distance above or below gets the same verdict (property)', () => {
    fc.assert(
      fc.property(positive, conf, fc.integer({ min: 0, max: 100_000 }), (price, c, offCents) => {
        const off = new D(offCents).div(100);
        fc.pre(price.minus(off).gt(0));
        const s = { confidenceMultiple: 2, mode: 'block' as const };
        const o = { symbol: 'X/USD', price, confidence: c };
        return crossCheckOracle('X', price.plus(off), o, s).status === crossCheckOracle('X', price.minus(off), o, s).status;
      }),
    );
  });
});
