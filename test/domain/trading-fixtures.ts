// Shared fixtures for the trading-domain tests: markets, quotes and decimal arbitraries.
import fc from 'fast-check';
import { expect } from 'vitest';
import { D, dec, type Dec } from '../../src/domain/money.js';
import { DEFAULT_MARKETS, type Market } from '../../src/domain/market.js';
import type { PriceQuote } from '../../src/domain/ports.js';

export function market(symbol: string): Market {
  const m = DEFAULT_MARKETS.find((x) => x.symbol === symbol);
  if (!m) throw new Error(`fixture market ${symbol} missing from DEFAULT_MARKETS`);
  return m;
}

export const BTC_USDT = market('BTC/USDT');
export const SOL_USDT = market('SOL/USDT');
export const BTC_PERP = market('BTC-PERP');
export const SOL_PERP = market('SOL-PERP');

export const T0 = new Date('2025-03-07T12:00:00.000Z');

export function quote(symbol: string, price: string, opts: { bid?: string; ask?: string; at?: Date; simulated?: boolean } = {}): PriceQuote {
  return {
    symbol,
    price: dec(price),
    ...(opts.bid ? { bid: dec(opts.bid) } : {}),
    ...(opts.ask ? { ask: dec(opts.ask) } : {}),
    publishTime: opts.at ?? T0,
    source: opts.simulated ? 'sim' : 'exchange',
    simulated: opts.simulated ?? false,
  };
}

/** A decimal with `scale` fractional digits, between min and max units of 10^-scale. */
export function decimalArb(minUnits: bigint, maxUnits: bigint, scale: number): fc.Arbitrary<Dec> {
  const div = new D(10).pow(scale);
  return fc.bigInt({ min: minUnits, max: maxUnits }).map((u) => new D(u.toString()).div(div));
}

/** A positive multiple of `step`, between 1 and maxSteps steps. */
export function stepMultipleArb(step: Dec, maxSteps: number): fc.Arbitrary<Dec> {
  return fc.integer({ min: 1, max: maxSteps }).map((n) => step.mul(n));
}

/** Asserts decimal equality by value ("1.50" equals "1.5"), showing both in the failure. */
export function expectDec(actual: Dec | null | undefined, expected: Dec | string, why: string): void {
  expect(actual, `${why} (value missing)`).toBeDefined();
  expect(actual, `${why} (value missing)`).not.toBeNull();
  expect(actual!.toFixed(), why).toBe(dec(expected).toFixed());
}

/** Unwraps an ok result, failing the test with the error message otherwise. */
export function unwrap<T>(r: { ok: true; value: T } | { ok: false; error: { code: string; message: string } }, why = 'expected ok'): T {
  if (!r.ok) expect.fail(`${why}: got ${r.error.code}: ${r.error.message}`);
  return r.value;
}

/** Returns the error of a failed result, failing the test if it succeeded. */
export function errorOf<T>(r: { ok: true; value: T } | { ok: false; error: { code: string; message: string } }, why = 'expected an error'): { code: string; message: string } {
  if (r.ok) expect.fail(`${why}: it succeeded`);
  return r.error;
}
