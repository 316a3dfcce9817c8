// Ids a person can type back: tables show the first 8 characters of a UUID, so every lookup by id
// (orders, positions, alerts, portfolios) accepts a full UUID or an unambiguous prefix of one of the
// CALLER'S OWN ids. Ownership is filtered first, then the prefix matched, so another user's ids are
// never matched, counted or named: an id that is not one of yours is simply "not found".
import { and, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import type { Executor } from '../db/client.js';
import { AppError, ErrorCode, notFound } from './errors.js';

/** Fewest characters of an id accepted as a prefix. */
export const MIN_ID_PREFIX = 4;

const FULL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PREFIX = /^[0-9a-f][0-9a-f-]*$/;

/** True for a complete UUID (any case). */
export function isFullUuid(id: string): boolean {
  return FULL_UUID.test(id.trim().toLowerCase());
}

/**
 * The zod field for an id argument: a full UUID or a prefix of at least `MIN_ID_PREFIX` hex
 * characters (as the tables show them), any case.
 */
export function idOrPrefixField(noun: string, listedBy: string): z.ZodString {
  return z
    .string()
    .trim()
    .min(MIN_ID_PREFIX, `needs at least ${MIN_ID_PREFIX} characters of the ${noun} id; ${listedBy} shows yours`)
    .max(36, `is at most 36 characters (the length of a whole id)`)
    .regex(/^[0-9a-fA-F][0-9a-fA-F-]*$/, `must be ${/^[aeiou]/.test(noun) ? 'an' : 'a'} ${noun} id or its first characters (hex digits such as "630a8f0b"); ${listedBy} shows yours`)
    .describe(`${noun[0]!.toUpperCase()}${noun.slice(1)} id: the full UUID or its first ${MIN_ID_PREFIX}+ characters as shown in tables (e.g. "630a8f0b")`);
}

/** The short form tables show. */
export function shortId(id: string): string {
  return id.slice(0, 8);
}

/**
 * Resolves `input` (a full id or a prefix) to the full id of one row of `table` that `owned`
 * selects. A full UUID is returned as given: the caller's lookup checks ownership. No match → "<noun> not found"; several → an invalid-input error listing them (short
 * ids, all the caller's own) so the person can say which.
 */
export async function resolveIdPrefix(
  ex: Executor,
  args: { table: PgTable; id: PgColumn; owned: SQL | undefined; input: string; noun: string; listedBy: string },
): Promise<string> {
  const input = args.input.trim().toLowerCase();
  const hint = `${args.listedBy} shows yours`;
  if (!PREFIX.test(input) || input.length < MIN_ID_PREFIX || input.length > 36) throw notFound(args.noun, hint);
  // A whole id goes straight to the caller's own ownership-checked lookup.
  if (FULL_UUID.test(input)) return input;
  const rows = (await ex
    .select({ id: args.id })
    .from(args.table)
    .where(and(args.owned, sql`${args.id}::text like ${`${input}%`}`))
    .orderBy(args.id)
    .limit(6)) as Array<{ id: string }>;
  if (rows.length === 0) throw notFound(args.noun, hint);
  if (rows.length > 1) {
    const shown = rows.slice(0, 5).map((r) => r.id.slice(0, Math.max(8, input.length + 2)));
    throw new AppError(
      ErrorCode.invalidInput,
      `"${input}" matches ${rows.length > 5 ? 'more than 5' : rows.length} of your ${args.noun}s: ${shown.join(', ')}${rows.length > 5 ? ', …' : ''}`,
      `give more characters of the ${args.noun} id so only one matches`,
      { candidates: shown },
    );
  }
  return rows[0]!.id;
}
