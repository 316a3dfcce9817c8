// Parsing untrusted service input: zod first (types, lengths, enums), then decimals through the
// domain's `parseAmount` (NaN, Infinity, 1e400, zero, negatives refused with the field's name).
import { z } from 'zod';
import { parseAmount, type Dec } from '../../domain/money.js';
import { AppError, ErrorCode } from '../errors.js';

/** Parses `input` with `z.object(shape).strict()`, turning every problem into one `invalid_input`. */
export function parseInput<S extends z.ZodRawShape>(shape: S, input: unknown, what: string): z.output<z.ZodObject<S>> {
  const parsed = z.object(shape).strict().safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => {
    const field = i.path.length > 0 ? i.path.join('.') : what;
    if (i.code === 'unrecognized_keys') return `unknown argument${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => k.slice(0, 40)).join(', ')}`;
    if (i.code === 'invalid_type' && i.received === 'undefined') return `${field} is required`;
    return `${field}: ${i.message}`;
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
