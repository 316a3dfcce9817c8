// Confirmation tokens (reliability 15): 128 random bits shown once; only their SHA-256 is stored with
// the hash of the exact parameters they approve, the account, the user and the card. Spending is one
// conditional UPDATE, so a token is used at most once; a token for other parameters, another account
// or another user matches no row and is therefore refused without being spent.
import { createHash, randomBytes } from 'node:crypto';
import { and, eq, gt, isNull, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { confirmationTokens } from '../../db/schema/index.js';

/** How long a card may be approved for. */
export const CONFIRMATION_TTL_MS = 120_000;

const PREFIX = 'ct_';

/** SHA-256 of a UTF-8 string, hex: what a token, or the canonical parameters a token approves, is stored as. */
export function sha256(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

export function hashToken(token: string): string {
  return sha256(token);
}

/** Whether an order (or the panic button) on this portfolio needs the user's confirmation: always live, paper unless its owner set auto-confirm. */
export function needsConfirmation(portfolio: { tradingMode: string; autoConfirm: boolean }): boolean {
  return portfolio.tradingMode === 'live' || !portfolio.autoConfirm;
}

export async function issueToken(
  ex: Executor,
  args: { userId: string; portfolioId: string; paramsHash: string; card: Record<string, unknown>; now: Date; ttlMs?: number },
): Promise<{ token: string; expiresAt: Date; id: string }> {
  const token = `${PREFIX}${randomBytes(16).toString('base64url')}`;
  const expiresAt = new Date(args.now.getTime() + (args.ttlMs ?? CONFIRMATION_TTL_MS));
  const [row] = await ex
    .insert(confirmationTokens)
    .values({ userId: args.userId, portfolioId: args.portfolioId, tokenHash: hashToken(token), paramsHash: args.paramsHash, card: args.card, expiresAt, createdAt: args.now })
    .returning({ id: confirmationTokens.id });
  return { token, expiresAt, id: row!.id };
}

export type SpendRefusal = 'unknown' | 'used' | 'expired' | 'voided' | 'other_params' | 'other_account';

export type SpendResult = { ok: true; id: string } | { ok: false; why: SpendRefusal; usedForOrderId: string | null };

/**
 * Spends `token` for exactly (user, portfolio, params) at `now`, linking it to `orderId`. A refusal
 * says why; a token presented by someone else is reported as unknown (its existence is not revealed).
 */
export async function spendToken(
  ex: Executor,
  args: { token: string; userId: string; portfolioId: string; paramsHash: string; now: Date; orderId?: string },
): Promise<SpendResult> {
  if (!args.token.startsWith(PREFIX) || args.token.length > 100) return { ok: false, why: 'unknown', usedForOrderId: null };
  const hash = hashToken(args.token);
  const [spent] = await ex
    .update(confirmationTokens)
    .set({ usedAt: args.now, ...(args.orderId ? { orderId: args.orderId } : {}) })
    .where(
      and(
        eq(confirmationTokens.tokenHash, hash),
        eq(confirmationTokens.userId, args.userId),
        eq(confirmationTokens.portfolioId, args.portfolioId),
        eq(confirmationTokens.paramsHash, args.paramsHash),
        isNull(confirmationTokens.usedAt),
        gt(confirmationTokens.expiresAt, args.now),
      ),
    )
    .returning({ id: confirmationTokens.id });
  if (spent) return { ok: true, id: spent.id };
  const [t] = await ex.select().from(confirmationTokens).where(eq(confirmationTokens.tokenHash, hash));
  if (!t || t.userId !== args.userId) return { ok: false, why: 'unknown', usedForOrderId: null };
  if (t.usedAt) return { ok: false, why: 'used', usedForOrderId: t.orderId };
  if (isVoided(t)) return { ok: false, why: 'voided', usedForOrderId: null };
  if (t.expiresAt <= args.now) return { ok: false, why: 'expired', usedForOrderId: null };
  if (t.portfolioId !== args.portfolioId) return { ok: false, why: 'other_account', usedForOrderId: null };
  return { ok: false, why: 'other_params', usedForOrderId: null };
}

/** A `spent` CTE part that spends the token (and links it to `orderId`) or matches nothing. */
export function spendTokenSql(args: { token: string; userId: string; portfolioId: string; paramsHash: string; now: Date; orderId: string }): SQL {
  const at = args.now.toISOString();
  return sql`spent as (update confirmation_tokens set used_at = ${at}::timestamptz, order_id = ${args.orderId}::uuid
    where token_hash = ${hashToken(args.token)} and user_id = ${args.userId}::uuid and portfolio_id = ${args.portfolioId}::uuid
      and params_hash = ${args.paramsHash} and used_at is null and expires_at > ${at}::timestamptz returning id)`;
}

/** Why a token could not be spent (read after the attempt was rolled back). */
export async function tokenRefusal(ex: Executor, args: { token: string; userId: string; portfolioId: string; now: Date }): Promise<{ why: SpendRefusal; usedForOrderId: string | null }> {
  if (!args.token.startsWith(PREFIX) || args.token.length > 100) return { why: 'unknown', usedForOrderId: null };
  const [t] = await ex.select().from(confirmationTokens).where(eq(confirmationTokens.tokenHash, hashToken(args.token)));
  if (!t || t.userId !== args.userId) return { why: 'unknown', usedForOrderId: null };
  if (t.usedAt) return { why: 'used', usedForOrderId: t.orderId };
  if (isVoided(t)) return { why: 'voided', usedForOrderId: null };
  if (t.expiresAt <= args.now) return { why: 'expired', usedForOrderId: null };
  if (t.portfolioId !== args.portfolioId) return { why: 'other_account', usedForOrderId: null };
  return { why: 'other_params', usedForOrderId: null };
}

/**
 * Voids every outstanding token of `userId` (or of one of their portfolios): a halt must not leave
 * an approval behind that executes after trading resumes. A voided token expires at the moment it
 * was issued, which no issued token otherwise does, so a refusal can say why. Run it in the halt's
 * transaction. Returns how many were voided.
 */
export async function voidTokens(ex: Executor, args: { userId: string; portfolioId?: string; now: Date }): Promise<number> {
  const rows = await ex
    .update(confirmationTokens)
    .set({ expiresAt: sql`${confirmationTokens.createdAt}` })
    .where(
      and(
        eq(confirmationTokens.userId, args.userId),
        args.portfolioId ? eq(confirmationTokens.portfolioId, args.portfolioId) : undefined,
        isNull(confirmationTokens.usedAt),
        gt(confirmationTokens.expiresAt, args.now),
      ),
    )
    .returning({ id: confirmationTokens.id });
  return rows.length;
}

function isVoided(t: { expiresAt: Date; createdAt: Date }): boolean {
  return t.expiresAt.getTime() <= t.createdAt.getTime();
}

export function refusalMessage(why: SpendRefusal): string {
  switch (why) {
    case 'unknown':
      return 'the confirmation token is not valid';
    case 'used':
      return 'the confirmation token was already used';
    case 'expired':
      return 'the confirmation token has expired (tokens last 2 minutes)';
    case 'voided':
      return 'the confirmation token was voided because trading was halted after it was issued; preview the order again';
    case 'other_params':
      return 'the confirmation token was issued for different order parameters';
    case 'other_account':
      return 'the confirmation token was issued for a different portfolio';
  }
}
