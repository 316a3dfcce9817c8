// Parsing untrusted service input: zod first (types, lengths, enums), then decimals through the
// domain's `parseAmount` (NaN, Infinity, 1e400, zero, negatives refused with the field's name).
import { z } from 'zod';
import type { Market } from '../../domain/market.js';
import { D, MAX_PRICE, MAX_PRICE_DECIMALS, parseAmount, type Dec } from '../../domain/money.js';
import { checkPriceOnTick } from '../../domain/order.js';
import { AppError, ErrorCode } from '../errors.js';

/** Parses `input` with `z.object(shape).strict()`, turning every problem into one `invalid_input`. */
export function parseInput<S extends z.ZodRawShape>(shape: S, input: unknown, what: string): z.output<z.ZodObject<S>> {
  const parsed = z.object(shape).strict().safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => {
    const field = i.path.length > 0 ? i.path.join('.') : what;
    if (i.code === 'unrecognized_keys') return `unknown argument${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => k.slice(0, 40)).join(', ')}`;
    if (i.code === 'invalid_type' && i.received === 'undefined') return `${field} is required`;
    // Shared fields word their messages without the field's name ("must be at most 1"): put it in front.
    return /^(must|is|has|needs) /.test(i.message) ? `${field} ${i.message}` : `${field}: ${i.message}`;
  });
  throw new AppError(ErrorCode.invalidInput, `invalid ${what}: ${problems.join('; ')}`, 'fix the arguments named above and try again', { issues: problems });
}

/** A decimal argument: a string or a finite number; refused with a message naming the field. */
export function decimalArg(value: string | number | undefined, field: string, opts: { allowZero?: boolean } = {}): Dec | undefined {
  if (value === undefined) return undefined;
  const r = parseAmount(typeof value === 'number' ? value : value.trim(), field, opts);
  if (!r.ok) throw new AppError(ErrorCode.invalidInput, r.error, `give ${field} as a positive decimal string such as "0.5"`);
  return r.value;
}

export function requireDecimal(value: string | number | undefined, field: string, opts: { allowZero?: boolean } = {}): Dec {
  const d = decimalArg(value, field, opts);
  if (d === undefined) throw new AppError(ErrorCode.invalidInput, `${field} is required`, `give ${field} as a decimal string`);
  return d;
}

/** Refuses a price off the market's tick, naming the field. */
export function requireOnTick(price: Dec, market: Market, field: string): void {
  const t = checkPriceOnTick(price, market, field);
  if (!t.ok) throw new AppError(ErrorCode.invalidInput, t.error.message, 'round the price to the tick');
}

// ---- Shared zod fields for untrusted arguments: every tool and service builds its schemas from
// these, so each numeric input has sane bounds and each text input refuses control characters,
// with one wording of what was wrong and how to fix it.

/** What a decimal argument may be: strictly above (or at least) `min`, at most `max`, at most `maxDecimals` places. */
export interface DecimalBounds {
  /** Lower bound; exclusive unless `minInclusive`. Default 0 (exclusive: greater than zero). */
  min?: string;
  minInclusive?: boolean;
  /** Upper bound (inclusive unless `maxExclusive`). */
  max: string;
  maxExclusive?: boolean;
  /** Most decimal places accepted. */
  maxDecimals: number;
  /** A valid example, shown in the message. */
  example: string;
}

/** The bounds of each kind of number MIKEY takes. */
export const BOUNDS = {
  /** A price in quote currency: limit, trigger, stop-loss, take-profit. */
  price: { max: MAX_PRICE.toFixed(), maxDecimals: MAX_PRICE_DECIMALS, example: '142.5' },
  /** A size in the base asset. */
  quantity: { max: '1000000000000', maxDecimals: 12, example: '0.5' },
  /** An amount of quote currency or cash. */
  amount: { max: '1000000000000', maxDecimals: 8, example: '100' },
  /** Leverage of a perpetual (the market's own cap is checked on the order). */
  leverage: { min: '1', minInclusive: true, max: '200', maxDecimals: 2, example: '5' },
  /** A share of a position: 0.01% up to the whole. */
  fraction: { min: '0.0001', minInclusive: true, max: '1', maxDecimals: 8, example: '0.5' },
  /** A percentage distance (trailing stops). */
  percent: { max: '100', maxExclusive: true, maxDecimals: 4, example: '2' },
} as const satisfies Record<string, DecimalBounds>;

/** Why `value` is not an acceptable decimal within `bounds` (a phrase without the field's name), or undefined when it is. */
export function decimalProblem(value: unknown, bounds: DecimalBounds): string | undefined {
  const example = `such as "${bounds.example}"`;
  if (typeof value === 'string') {
    const s = value.trim();
    if (s === '') return `is empty; give a number ${example}`;
    if (/^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$/.test(s)) return `must be written without thousands separators: "${s.replace(/,/g, '')}" rather than "${s}"`;
  } else if (typeof value !== 'number') {
    return `must be a decimal string ${example}`;
  }
  const r = parseAmount(typeof value === 'string' ? value.trim() : value, 'value', { allowZero: true, allowNegative: true });
  if (!r.ok) return r.error.replace(/^value /, '');
  const d = r.value;
  const min = new D(bounds.min ?? 0);
  const max = new D(bounds.max);
  const fmt = (x: Dec): string => {
    const [int, frac] = x.toFixed().split('.');
    return `${int!.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${frac ? `.${frac}` : ''}`;
  };
  if (d.isNeg() && !d.isZero() && min.gte(0)) return 'must not be negative';
  if (bounds.minInclusive ? d.lt(min) : d.lte(min)) return min.isZero() ? 'must be greater than zero' : `must be at least ${fmt(min)}${bounds.minInclusive ? '' : ' (exclusive)'}`;
  if (bounds.maxExclusive ? d.gte(max) : d.gt(max)) return `must be ${bounds.maxExclusive ? 'below' : 'at most'} ${fmt(max)}`;
  if (d.decimalPlaces() > bounds.maxDecimals) return bounds.maxDecimals === 0 ? 'must be a whole number' : `has more than ${bounds.maxDecimals} decimals; round it`;
  return undefined;
}

/** A decimal argument as a string ("0.5") or a finite number, within `bounds`. */
export function decimalField(what: string, bounds: DecimalBounds = { max: '1000000000000000000', maxDecimals: 18, example: '0.5' }): z.ZodEffects<z.ZodUnion<[z.ZodString, z.ZodNumber]>> {
  return z
    .union([z.string().max(64, 'is too long (at most 64 characters)'), z.number()], {
      errorMap: (issue, ctx) => ({ message: issue.code === 'invalid_union' ? `must be a decimal string such as "${bounds.example}" (or a finite number)` : ctx.defaultError }),
    })
    .superRefine((v, ctx) => {
      const problem = decimalProblem(v, bounds);
      if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
    })
    .describe(`${what}, as a decimal string such as "${bounds.example}"`);
}

// eslint-disable-next-line no-control-regex -- the point is to find control characters
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** True when `s` holds a control character (NUL, line breaks, escapes…). */
export function hasControlCharacters(s: string): boolean {
  return CONTROL.test(s);
}

/** Free text a person writes (names, titles, reasons): trimmed, at most `max` characters, one line, no control characters. */
export function textField(what: string, max: number, opts: { min?: number; required?: string } = {}): z.ZodEffects<z.ZodString> {
  const base = z.string().trim().max(max, `${what} is at most ${max} characters`);
  return (opts.min ? base.min(opts.min, opts.required ?? `${what} is required`) : base).refine((s) => !hasControlCharacters(s), {
    message: `${what} must be plain text on one line (no control characters such as NUL or line breaks)`,
  });
}

/** A market symbol in any spelling people use ("BTC/USDT", "sol", "ETH-PERP"); at most 40 characters, no control characters. */
export function symbolField(description = 'Market, e.g. "BTC/USDT", "SOL-PERP", "ethusdt" or "BTC" (= BTC/USDT)'): z.ZodEffects<z.ZodString> {
  return z
    .string()
    .trim()
    .min(1, 'symbol is required')
    .max(40, 'symbol is at most 40 characters')
    .refine((s) => !hasControlCharacters(s), 'symbol must be a market such as "BTC/USDT" (no control characters)')
    .describe(description);
}
