import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  D, dec, fromBps, isMultipleOf, maxDec, minDec, parseAmount, roundDownToStep, roundToTick, roundUpToStep, sumDec, toPlain,
} from '../../src/domain/money.js';
import { decimalArb } from './trading-fixtures.js';

const amount = decimalArb(-(10n ** 20n), 10n ** 20n, 8);
const positive = decimalArb(1n, 10n ** 20n, 8);
const steps = fc.constantFrom('1', '0.1', '0.01', '0.001', '0.00001', '0.5', '0.25', '5', '0.0005').map((s) => dec(s));

describe('money: the decimal type', () => {
  it('is a real decimal: 0.1 + 0.2 is exactly 0.3', () => {
    expect(toPlain(dec('0.1').add(dec('0.2'))), 'decimal arithmetic must not show float error').toBe('0.3');
  });

  it('round-trips through its canonical string', () => {
    fc.assert(fc.property(amount, (a) => {
      expect(dec(toPlain(a)).eq(a), `toPlain(${a.toString()}) must parse back to the same value`).toBe(true);
      expect(toPlain(a), 'canonical strings never use exponent notation').not.toMatch(/e/i);
    }));
  });

  it('(a + b) − b == a for any amounts', () => {
    fc.assert(fc.property(amount, amount, (a, b) => {
      expect(a.add(b).sub(b).eq(a), `(${toPlain(a)} + ${toPlain(b)}) − ${toPlain(b)} must equal ${toPlain(a)}`).toBe(true);
    }));
  });

  it('parses what it prints through parseAmount', () => {
    fc.assert(fc.property(positive, (a) => {
      const p = parseAmount(toPlain(a), 'x');
      expect(p.ok && p.value.eq(a), `parseAmount(${toPlain(a)}) must give the value back`).toBe(true);
    }));
  });
});

describe('money: rounding to step and tick', () => {
  it('roundDownToStep never exceeds the input, is a step multiple, and is within one step', () => {
    fc.assert(fc.property(decimalArb(0n, 10n ** 15n, 9), steps, (q, step) => {
      const r = roundDownToStep(q, step);
      expect(r.lte(q), `round down of ${toPlain(q)} to ${toPlain(step)} gave ${toPlain(r)}, more than the input`).toBe(true);
      expect(isMultipleOf(r, step), `${toPlain(r)} must be a multiple of ${toPlain(step)}`).toBe(true);
      expect(q.sub(r).lt(step), `${toPlain(r)} must be within one step of ${toPlain(q)}`).toBe(true);
    }));
  });

  it('roundUpToStep never goes below the input and is a step multiple', () => {
    fc.assert(fc.property(decimalArb(0n, 10n ** 15n, 9), steps, (q, step) => {
      const r = roundUpToStep(q, step);
      expect(r.gte(q), `round up of ${toPlain(q)} gave ${toPlain(r)}, less than the input`).toBe(true);
      expect(isMultipleOf(r, step), `${toPlain(r)} must be a multiple of ${toPlain(step)}`).toBe(true);
    }));
  });

  it('rounds known values the trader expects', () => {
    expect(toPlain(roundDownToStep(dec('0.12345'), dec('0.001'))), 'down to 3 decimals').toBe('0.123');
    expect(toPlain(roundDownToStep(dec('0.9999'), dec('0.001'))), 'down, never up').toBe('0.999');
    expect(toPlain(roundToTick(dec('100.005'), dec('0.01'))), 'half up to the tick').toBe('100.01');
    expect(toPlain(roundUpToStep(dec('0.0331'), dec('0.001'))), 'up to 3 decimals').toBe('0.034');
  });

  it('isMultipleOf tells step multiples apart', () => {
    expect(isMultipleOf(dec('0.123'), dec('0.001')), '0.123 is on a 0.001 step').toBe(true);
    expect(isMultipleOf(dec('0.1235'), dec('0.001')), '0.1235 is off a 0.001 step').toBe(false);
    expect(isMultipleOf(dec('7.5'), dec('2.5')), '7.5 is 3 × 2.5').toBe(true);
    expect(isMultipleOf(dec('7'), dec('2.5')), '7 is not a multiple of 2.5').toBe(false);
  });

  it('helpers: min, max, sum, bps', () => {
    expect(toPlain(minDec(dec(2), dec(3))), 'min').toBe('2');
    expect(toPlain(maxDec(dec(2), dec(3))), 'max').toBe('3');
    expect(toPlain(sumDec([dec('0.1'), dec('0.2'), dec('0.3')])), 'sum is exact').toBe('0.6');
    expect(toPlain(sumDec([])), 'sum of nothing is zero').toBe('0');
    expect(toPlain(fromBps(25)), '25 bps').toBe('0.0025');
  });
});

describe('money: parseAmount refuses bad input', () => {
  it.each([
    ['0', /must be greater than zero/],
    ['-1', /must not be negative/],
    ['NaN', /must be a decimal number/],
    ['Infinity', /must be a decimal number/],
    ['1e400', /too large/],
    ['abc', /must be a decimal number/],
    ['', /must be a decimal number/],
    ['1,5', /must be a decimal number/],
  ])('refuses %s', (input, message) => {
    const p = parseAmount(input, 'quantity');
    expect(p.ok, `"${input}" must be refused`).toBe(false);
    if (!p.ok) expect(p.error).toMatch(message);
  });

  it('refuses non-finite numbers and non-strings', () => {
    expect(parseAmount(Number.NaN, 'q').ok, 'NaN number').toBe(false);
    expect(parseAmount(Number.POSITIVE_INFINITY, 'q').ok, 'Infinity number').toBe(false);
    expect(parseAmount({}, 'q').ok, 'an object').toBe(false);
    expect(parseAmount(null, 'q').ok, 'null').toBe(false);
  });

  it('keeps full precision beyond float range', () => {
    const p = parseAmount('0.123456789012345678901234567', 'q');
    expect(p.ok && toPlain(p.value), 'no float rounding on the way in').toBe('0.123456789012345678901234567');
    expect(new D('1').div(3).toString().length, 'the decimal type carries many digits').toBeGreaterThan(40);
  });
});
