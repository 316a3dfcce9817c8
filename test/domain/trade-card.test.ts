import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  buildTradeCard, canonicalConfirmation, confirmationHash, confirmationParamsFor, type ConfirmationParams, type TradeCardInput,
} from '../../src/domain/trade-card.js';
import { checkOrder, type OrderIntent } from '../../src/domain/order.js';
import { DEFAULT_MARKETS } from '../../src/domain/market.js';
import { DEFAULT_PERP_FEES, DEFAULT_SPOT_FEES } from '../../src/domain/matching.js';
import { dec, toPlain } from '../../src/domain/money.js';
import type { RiskCheck } from '../../src/domain/risk.js';
import { expectDec, quote, T0, unwrap } from './trading-fixtures.js';

const PASSING: RiskCheck[] = [{ name: 'kill_switch_user', passed: true, detail: 'user trading is not halted' }];

function order(raw: Record<string, unknown>, ref?: string): OrderIntent {
  return unwrap(checkOrder(raw, DEFAULT_MARKETS, ref ? { referencePrice: dec(ref) } : {}));
}

function card(o: OrderIntent, extra: Partial<TradeCardInput> = {}): ReturnType<typeof buildTradeCard> {
  return buildTradeCard({
    order: o, quote: quote(o.symbol, '60000', { bid: '59999.9', ask: '60000.1' }), now: T0, maxQuoteAgeMs: 30_000,
    fees: o.market.kind === 'perp' ? DEFAULT_PERP_FEES : DEFAULT_SPOT_FEES, equity: dec(10_000), riskChecks: PASSING,
    mode: 'paper', userId: 'u1', accountId: 'a1', ...extra,
  });
}

describe('trade card', () => {
  it('a perp market buy: estimated price, notional, fee, margin, liquidation, share of equity', () => {
    const c = card(order({ symbol: 'BTC-PERP', side: 'buy', type: 'market', quantity: '0.1', leverage: '10' }, '60000'));
    expect(c.priceBasis).toBe('market_estimate');
    expect(c.priceUsed.gte(dec('60000.1')), 'a market buy is estimated at or above the ask').toBe(true);
    expectDec(c.notional, c.priceUsed.mul('0.1'), 'quantity × price');
    expectDec(c.estimatedFee, c.notional.mul('0.0005'), 'taker fee');
    expectDec(c.margin, c.notional.div(10), 'notional / leverage');
    expectDec(c.liquidationPrice, c.priceUsed.mul('0.904'), 'price × (1 − 1/10 + 0.004)');
    expect(c.shareOfEquity).toBeCloseTo(c.margin!.add(c.estimatedFee).div(10_000).toNumber(), 12);
    expect(c.allowed).toBe(true);
    expect(c.mode).toBe('paper');
    expect(c.warnings.some((w) => /^leverage 10x: a 9\.6\d?% move against you liquidates the position at/.test(w)), `warnings: ${c.warnings.join(' | ')}`).toBe(true);
  });

  it('a spot limit: its own price, no margin or liquidation', () => {
    const c = card(order({ symbol: 'BTC/USDT', side: 'buy', type: 'limit', price: '59000', quantity: '0.01' }));
    expect(c.priceBasis).toBe('limit');
    expectDec(c.priceUsed, '59000', 'the limit price');
    expectDec(c.notional, '590', '0.01 × 59000');
    expectDec(c.estimatedFee, '0.59', '0.1% taker (conservative: the limit may or may not rest)');
    expect(c.margin).toBeNull();
    expect(c.liquidationPrice).toBeNull();
    expect(c.shareOfEquity, '(590 + 0.59) / 10000').toBeCloseTo(0.059059, 12);
    expect(c.warnings, 'nothing to warn about').toEqual([]);
  });

  it('a post-only limit is estimated at the maker fee', () => {
    const c = card(order({ symbol: 'BTC/USDT', side: 'buy', type: 'limit', price: '59000', quantity: '0.01', postOnly: true }));
    expectDec(c.estimatedFee, '0.59', 'spot maker is also 0.1%');
    const p = card(order({ symbol: 'BTC-PERP', side: 'buy', type: 'limit', price: '59000', quantity: '0.01', postOnly: true }));
    expectDec(p.estimatedFee, '0.118', 'perp maker 0.02% of 590');
  });

  it('a stop is shown at its trigger price', () => {
    const c = card(order({ symbol: 'BTC/USDT', side: 'sell', type: 'stop', triggerPrice: '55000', quantity: '0.01' }));
    expect(c.priceBasis).toBe('trigger');
    expectDec(c.priceUsed, '55000', 'the trigger');
  });

  it('warns about simulated, stale and future prices; stale or future is not allowed', () => {
    const o = order({ symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: '0.01' }, '60000');
    const sim = card(o, { quote: quote('BTC/USDT', '60000', { simulated: true }) });
    expect(sim.simulatedPrice).toBe(true);
    expect(sim.warnings).toContain('price is simulated (sim); this is not a real market price');
    expect(sim.allowed, 'simulated prices are fine for paper').toBe(true);
    const stale = card(o, { quote: quote('BTC/USDT', '60000', { at: new Date(T0.getTime() - 60_000) }) });
    expect(stale.stalePrice).toBe(true);
    expect(stale.allowed).toBe(false);
    expect(stale.warnings).toContain('price is 60s old (limit 30s); refresh the price before confirming');
    const future = card(o, { quote: quote('BTC/USDT', '60000', { at: new Date(T0.getTime() + 10_000) }) });
    expect(future.allowed).toBe(false);
    expect(future.warnings).toContain('price is stamped 10s in the future; the source clock is wrong, refresh before confirming');
  });

  it('a failed risk check blocks the card and is shown with its reason', () => {
    const failed: RiskCheck = { name: 'daily_loss', passed: false, detail: "today's loss 520 USDT has reached the 500 USDT daily loss limit" };
    const c = card(order({ symbol: 'BTC/USDT', side: 'buy', type: 'limit', price: '59000', quantity: '0.01' }), { riskChecks: [...PASSING, failed] });
    expect(c.allowed).toBe(false);
    expect(c.riskChecks).toHaveLength(2);
    expect(c.warnings).toContain(`blocked by daily_loss: ${failed.detail}`);
  });

  it('warns: live mode, marketable limit, stop already triggered, quote sizing, large share', () => {
    const live = card(order({ symbol: 'BTC/USDT', side: 'buy', type: 'limit', price: '59000', quantity: '0.01' }), { mode: 'live' });
    expect(live.warnings[0]).toBe('LIVE order: this trades real funds on the exchange');
    const through = card(order({ symbol: 'BTC/USDT', side: 'buy', type: 'limit', price: '61000', quantity: '0.01' }));
    expect(through.warnings).toContain('limit buy at 61000 is through the market (ask 60000.1); it will fill at once as a taker');
    const stop = card(order({ symbol: 'BTC/USDT', side: 'sell', type: 'stop', triggerPrice: '61000', quantity: '0.01' }));
    expect(stop.warnings).toContain('trigger 61000 is already reached at the current price 60000; it will trigger at once');
    const sized = card(order({ symbol: 'BTC/USDT', side: 'buy', type: 'market', quoteQuantity: '100' }, '60000'));
    expect(sized.warnings).toContain('sized from 100 USDT at 60000: 0.00166 BTC, rounded down to the step 0.00001');
    const big = card(order({ symbol: 'BTC/USDT', side: 'buy', type: 'limit', price: '59000', quantity: '0.1' }));
    expect(big.warnings).toContain('this commits 59% of your equity');
  });
});

describe('confirmation binding', () => {
  const base: ConfirmationParams = {
    userId: 'u1', accountId: 'a1', mode: 'paper', symbol: 'BTC/USDT', side: 'buy', type: 'limit', quantity: '1.5', price: '60000',
    leverage: '1', reduceOnly: false, postOnly: false, timeInForce: 'gtc',
  };

  it('is a SHA-256 hex over a canonical form', () => {
    expect(confirmationHash(base)).toMatch(/^[0-9a-f]{64}$/);
    expect(confirmationHash(base), 'deterministic').toBe(confirmationHash({ ...base }));
    expect(canonicalConfirmation(base)).toContain('["quantity","1.5"]');
  });

  it('equivalent spellings and explicit defaults hash the same', () => {
    const h = confirmationHash(base);
    expect(confirmationHash({ ...base, quantity: '1.50' }), '1.50 = 1.5').toBe(h);
    expect(confirmationHash({ ...base, quantity: '01.5000' }), '01.5000 = 1.5').toBe(h);
    expect(confirmationHash({ ...base, quantity: '15e-1' }), '15e-1 = 1.5').toBe(h);
    expect(confirmationHash({ ...base, quantity: dec('1.5') }), 'a Decimal and a string agree').toBe(h);
    expect(confirmationHash({ ...base, price: '60000.00' }), 'price trailing zeros').toBe(h);
    expect(confirmationHash({ ...base, symbol: 'btc/usdt' }), 'symbol case').toBe(h);
    const { leverage: _l, reduceOnly: _r, postOnly: _p, timeInForce: _t, ...bare } = base;
    expect(confirmationHash(bare), 'absent leverage is 1x, flags false, limit tif gtc').toBe(h);
  });

  it('any change of parameter changes the hash', () => {
    const variants: Array<[string, ConfirmationParams]> = [
      ['userId', { ...base, userId: 'u2' }],
      ['accountId', { ...base, accountId: 'a2' }],
      ['mode', { ...base, mode: 'live' }],
      ['symbol', { ...base, symbol: 'ETH/USDT' }],
      ['side', { ...base, side: 'sell' }],
      ['type', { ...base, type: 'stop_limit', triggerPrice: '60000' }],
      ['quantity', { ...base, quantity: '1.51' }],
      ['price', { ...base, price: '60000.01' }],
      ['triggerPrice', { ...base, triggerPrice: '59000' }],
      ['trailingAmount', { ...base, trailingAmount: '100' }],
      ['trailingPercent', { ...base, trailingPercent: '1' }],
      ['leverage', { ...base, leverage: '2' }],
      ['reduceOnly', { ...base, reduceOnly: true }],
      ['postOnly', { ...base, postOnly: true }],
      ['timeInForce', { ...base, timeInForce: 'ioc' }],
      ['slices', { ...base, slices: 4, durationMs: 60_000 }],
    ];
    const hashes = new Set([confirmationHash(base)]);
    for (const [field, params] of variants) {
      const h = confirmationHash(params);
      expect(hashes.has(h), `changing ${field} must change the hash`).toBe(false);
      hashes.add(h);
    }
  });

  it('a price moved into another field does not collide (no ambiguous concatenation)', () => {
    const { price: _p, ...noPrice } = base;
    expect(confirmationHash({ ...noPrice, triggerPrice: '60000' }), 'same number, different meaning').not.toBe(confirmationHash(base));
  });

  it('trailing zeros never matter and distinct quantities never collide (property)', () => {
    fc.assert(fc.property(fc.bigInt({ min: 1n, max: 10n ** 15n }), fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 6 }), (units, scale, zeros) => {
      const q = dec(units.toString()).div(dec(10).pow(scale));
      const padded = q.toFixed(scale + zeros);
      expect(confirmationHash({ ...base, quantity: padded }), `${padded} and ${toPlain(q)} are the same quantity`).toBe(confirmationHash({ ...base, quantity: q }));
      expect(confirmationHash({ ...base, quantity: q.add('0.00000001') }), `${toPlain(q)} and ${toPlain(q.add('0.00000001'))} differ`)
        .not.toBe(confirmationHash({ ...base, quantity: q }));
    }));
  });

  it('the trade card carries the binding of its validated order', () => {
    const o = order({ symbol: 'btcusdt', side: 'buy', type: 'limit', price: '59000.00', quantity: '0.0100' });
    const c = card(o);
    expect(c.confirmation.hash).toBe(confirmationHash(confirmationParamsFor(o, { userId: 'u1', accountId: 'a1', mode: 'paper' })));
    expect(c.confirmation.hash, 'the same order typed differently binds the same')
      .toBe(confirmationHash({ userId: 'u1', accountId: 'a1', mode: 'paper', symbol: 'BTC/USDT', side: 'buy', type: 'limit', quantity: '0.01', price: '59000' }));
    expect(card(o, { accountId: 'a2' }).confirmation.hash, 'another account, another hash').not.toBe(c.confirmation.hash);
  });

  it('refuses a non-decimal in the parameters rather than hashing garbage', () => {
    expect(() => confirmationHash({ ...base, quantity: 'abc' })).toThrow();
    expect(() => confirmationHash({ ...base, quantity: 'Infinity' })).toThrow(/not a finite decimal/);
  });
});
