// Input pieces shared by a user's own watches (wallet-service.ts) and the wallets shared with a
// community (community-watchlist.ts): the chain, a label, tags, a community's name, and the parse
// that turns a zod failure into a clear invalid-input error. No imports of either service, so the
// two can use it without a module cycle.
import { z } from 'zod';
import { parseAddress, type Address } from '../../domain/wallets/address.js';
import { invalidInput } from '../errors.js';

export const MAX_LABEL_LENGTH = 40;
export const MAX_TAGS = 10;
export const MAX_TAG_LENGTH = 24;

export const chainSchema = z.enum(['ethereum', 'hyperliquid'], {
  errorMap: () => ({ message: 'chain must be ethereum or hyperliquid' }),
});

export const labelSchema = z
  .string()
  .trim()
  .min(1, 'label must not be empty')
  .max(MAX_LABEL_LENGTH, `label must be at most ${String(MAX_LABEL_LENGTH)} characters`)
  .regex(/^[^\p{Cc}<>]+$/u, 'label must be plain text (no control characters or < >)');

export const tagsSchema = z
  .array(
    z
      .string()
      .trim()
      .min(1, 'a tag must not be empty')
      .max(MAX_TAG_LENGTH, `a tag must be at most ${String(MAX_TAG_LENGTH)} characters`)
      .regex(/^[\p{L}\p{N} _.-]+$/u, 'a tag may hold letters, digits, spaces, _ . - only'),
  )
  .max(MAX_TAGS, `at most ${String(MAX_TAGS)} tags`);

/** A wallet named by its address (any case) or a label. */
export const walletRefSchema = z.string().trim().min(1, 'name the wallet by its address or your label for it').max(100, 'wallet reference is too long');

/** "telegram:<id>" or "discord:<id>": a community named outside its group (over MCP, in a private chat). */
export const communityNameSchema = z
  .string()
  .trim()
  .max(60, 'community is too long')
  .regex(/^(telegram|discord):-?[0-9A-Za-z_-]{1,40}$/, 'community is written "telegram:<id>" or "discord:<id>"');

function zodMessage(err: z.ZodError): string {
  return err.issues
    .slice(0, 3)
    .map((i) => (i.path.length > 0 && !i.message.startsWith(String(i.path[0])) ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}

export function parseOrThrow<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, input: unknown, hint: string): T {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw invalidInput(zodMessage(parsed.error), hint);
  return parsed.data;
}

export function toAddress(input: string): Address {
  const parsed = parseAddress(input);
  if (!parsed.ok) throw invalidInput(parsed.error.message, 'give the wallet as 0x followed by 40 hex digits, e.g. 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed');
  return parsed.value;
}
