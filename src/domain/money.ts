// Money, prices and quantities: one decimal type for the whole code base. A JavaScript `number`
// never carries money; values enter as strings (from Postgres `numeric`, JSON, user input) and
// leave as strings.
// Named import: under NodeNext the default import is typed as the CommonJS module object, which left
// `Dec` silently `any`; the named export is the same constructor at runtime and is properly typed.
import { Decimal } from 'decimal.js';

/** The decimal type: 60 significant digits, banker's rounding for arithmetic, plain notation. */
export const D = Decimal.clone({ precision: 60, rounding: Decimal.ROUND_HALF_EVEN, toExpNeg: -40, toExpPos: 60 });
export type Dec = InstanceType<typeof D>;

export const ZERO: Dec = new D(0);
export const ONE: Dec = new D(1);

/** The largest magnitude any amount may have; bigger inputs (1e400, overflowed JSON) are refused. */
export const MAX_AMOUNT: Dec = new D('1e18');

/** The highest price any order, exit or alert may name (in quote currency); anything above is a typo. */
export const MAX_PRICE: Dec = new D('1e9');

/** The most decimal places a price may carry. */
export const MAX_PRICE_DECIMALS = 12;

export type DecimalInput = string | number | bigint | Dec;

/** Converts a trusted value (already validated) to a decimal. Throws on garbage. */
export function dec(value: DecimalInput): Dec {
  if (typeof value === 'bigint') return new D(value.toString());
  const d = new D(value);
  if (!d.isFinite()) throw new RangeError(`not a finite decimal: ${String(value)}`);
  return d;
}

export type ParseAmountResult = { ok: true; value: Dec } | { ok: false; error: string };

/**
 * Parses an untrusted amount (user input, tool argument). Accepts decimal strings and finite numbers;
 * refuses NaN, Infinity, exponents beyond `MAX_AMOUNT`, and, unless allowed, zero and negatives.
 */
export function parseAmount(
  input: unknown,
  field: string,
  opts: { allowZero?: boolean; allowNegative?: boolean } = {},
): ParseAmountResult {
  let d: Dec;
  try {
    if (typeof input === 'number') {
      if (!Number.isFinite(input)) return { ok: false, error: `${field} must be a finite number, got ${String(input)}` };
      d = new D(input);
    } else if (typeof input === 'string') {
      const s = input.trim();
      if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) {
        return { ok: false, error: `${field} must be a decimal number like "1.5", got "${s.slice(0, 40)}"` };
      }
      d = new D(s);
    } else {
      return { ok: false, error: `${field} must be a number or a decimal string` };
    }
  } catch {
    return { ok: false, error: `${field} is not a valid number` };
  }
  if (!d.isFinite()) return { ok: false, error: `${field} must be finite` };
  if (d.abs().gt(MAX_AMOUNT)) return { ok: false, error: `${field} is too large (at most ${MAX_AMOUNT.toString()})` };
  if (!opts.allowNegative && d.isNeg() && !d.isZero()) return { ok: false, error: `${field} must not be negative` };
  if (!opts.allowZero && d.isZero()) return { ok: false, error: `${field} must be greater than zero` };
  return { ok: true, value: d };
}

/** Rounds a quantity down to a multiple of `step` (never sell more than is held). */
export function roundDownToStep(qty: Dec, step: Dec): Dec {
  if (step.lte(0)) return qty;
  return qty.div(step).floor().mul(step);
}

/** Rounds a price to the nearest multiple of `tick`. */
export function roundToTick(price: Dec, tick: Dec): Dec {
  if (tick.lte(0)) return price;
  return price.div(tick).toDecimalPlaces(0, Decimal.ROUND_HALF_UP).mul(tick);
}

/** Decimal places a step size implies (0.001 → 3). */
export function decimalsOf(step: Dec): number {
  return Math.max(0, step.decimalPlaces());
}

/** Canonical string for storage and hashing: no exponent, no trailing zeros. */
export function toPlain(d: Dec): string {
  return d.toFixed();
}

// ---- Helpers added with the trading domain (orders, matching, ledger). ----

/** True when `value` is an exact multiple of `step` (a step of zero or less accepts anything). */
export function isMultipleOf(value: Dec, step: Dec): boolean {
  if (step.lte(0)) return true;
  return value.mod(step).isZero();
}

/** Rounds a quantity up to a multiple of `step` (used only for amounts we must cover, never to sell). */
export function roundUpToStep(qty: Dec, step: Dec): Dec {
  if (step.lte(0)) return qty;
  return qty.div(step).ceil().mul(step);
}

export function minDec(a: Dec, b: Dec): Dec {
  return a.lte(b) ? a : b;
}

export function maxDec(a: Dec, b: Dec): Dec {
  return a.gte(b) ? a : b;
}

export function sumDec(values: readonly Dec[]): Dec {
  return values.reduce<Dec>((acc, v) => acc.add(v), ZERO);
}

/** One basis point is 1/10,000. `fromBps(25)` is 0.0025. */
export function fromBps(bps: Dec | number): Dec {
  return new D(bps).div(10_000);
}
