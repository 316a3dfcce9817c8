// zod building blocks for strategy parameters: decimals (money, prices) and plain numbers with bounds.
import { z } from 'zod';
import { dec, parseAmount, type Dec } from '../money.js';

/**
 * A decimal parameter (string like "0.5" or a number), strictly above `above` (default 0) and at most
 * `max`. Money and prices are decimals, never floats.
 */
export function decimalParam(name: string, opts: { max: string; above?: string; describe: string }): z.ZodType<Dec, z.ZodTypeDef, unknown> {
  const above = dec(opts.above ?? '0');
  const max = dec(opts.max);
  return z
    .union([z.string(), z.number()], { errorMap: () => ({ message: `${name} must be a number or a decimal string such as "100"` }) })
    .transform((raw, ctx): Dec => {
      const parsed = parseAmount(raw, name, { allowZero: true, allowNegative: true });
      if (!parsed.ok) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: parsed.error });
        return z.NEVER;
      }
      const v = parsed.value;
      if (v.lte(above)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${name} must be greater than ${above.toFixed()}, got ${v.toFixed()}` });
      else if (v.gt(max)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${name} must be at most ${max.toFixed()}, got ${v.toFixed()}` });
      return v;
    })
    .describe(opts.describe);
}

/** A whole number of candles (or levels) from `min` to `max`. */
export function countParam(name: string, min: number, max: number, describe: string): z.ZodNumber {
  return z
    .number({ invalid_type_error: `${name} must be a whole number`, required_error: `${name} is required` })
    .int(`${name} must be a whole number`)
    .min(min, `${name} must be at least ${min}`)
    .max(max, `${name} must be at most ${max}`)
    .describe(describe);
}

/** A plain number (a statistic such as a z-score or an ATR multiple) in (above, max]. */
export function ratioParam(name: string, above: number, max: number, describe: string): z.ZodNumber {
  return z
    .number({ invalid_type_error: `${name} must be a number`, required_error: `${name} is required` })
    .gt(above, `${name} must be greater than ${above}`)
    .max(max, `${name} must be at most ${max}`)
    .describe(describe);
}
