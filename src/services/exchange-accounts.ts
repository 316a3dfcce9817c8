// Exchange accounts: a user's API keys on one venue (a ccxt exchange id), live or testnet, for spot,
// margin or futures. Keys are checked with the venue by ONE signed request before anything is stored:
// keys the venue refuses are never stored, and neither are keys that could not be checked because
// the venue did not answer. Stored keys are sealed (credentials.ts); nothing here ever puts a key or
// secret into an error, the audit trail or a listing. The check itself is a `CredentialValidator`
// passed in by the surface (the CLI wires the ccxt one), so the services never load ccxt.
//
// Secrets enter only through the CLI (hidden prompt or stdin, reliability 29); no tool adds keys.
import { randomUUID } from 'node:crypto';
import { and, asc, count, eq, notInArray } from 'drizzle-orm';
import { z } from 'zod';
import type { Db, Executor } from '../db/client.js';
import { ACCOUNT_TYPES, type AccountType } from '../db/schema/enums.js';
import { exchangeCredentials, orders, portfolios, positions } from '../db/schema/index.js';
import { withTransaction } from '../db/tx.js';
import { TERMINAL_STATUSES } from '../domain/order.js';
import type { Actor } from './actor.js';
import { writeAudit } from './audit.js';
import { requireRole } from './authorize.js';
import { openExchangeSecrets, sealExchangeSecrets, type ExchangeSecrets } from './credentials.js';
import { AppError, ErrorCode, invalidInput, notFound } from './errors.js';
import { resolveIdPrefix, shortId } from './id-prefix.js';
import type { SecretKey } from './secret-box.js';
import { hasControlCharacters, textField } from './trading/input.js';

export type { ExchangeSecrets } from './credentials.js';

/** What a validator is asked: check these keys with one signed request. */
export interface CredentialCheckRequest {
  exchangeId: string;
  credentials: ExchangeSecrets;
  /** The venue's testnet (ccxt `setSandboxMode`). */
  sandbox: boolean;
  /** Replaces the scheme and host of every REST endpoint (`MIKEY_EXCHANGE_URL`); the wiring sets it. */
  apiBaseUrl?: string;
  /** What the person said the keys trade; the validator may find out itself. */
  accountType?: AccountType;
}

/**
 * A validator's verdict. `ok: false` with `unreachable` means the venue did not answer (network,
 * timeout, maintenance, rate limit): it says nothing about the keys. Otherwise the venue refused them.
 * `reason` is clean text for a person (the venue's own words where it gave them), never a secret.
 */
export type CredentialCheck =
  | { ok: true; accountType?: AccountType; balances?: ExchangeBalance[] }
  | { ok: false; reason: string; unreachable?: boolean };

/** A balance the venue reported during the check (decimal strings). */
export interface ExchangeBalance {
  asset: string;
  free: string;
  locked: string;
}

/** Checks keys with the venue by one signed call (`fetchBalance`). Throws AppError for a request it cannot make at all. */
export type CredentialValidator = (request: CredentialCheckRequest) => Promise<CredentialCheck>;

/** One stored exchange account as every surface shows it: never a key or a secret. */
export interface ExchangeAccountSummary {
  id: string;
  exchange: string;
  label: string;
  sandbox: boolean;
  accountType: AccountType;
  isValid: boolean;
  isActive: boolean;
  lastCheckedAt: Date | null;
  /** Why the last check failed (clean text), or null. */
  lastError: string | null;
  /** The live portfolio these keys trade for, when attached. */
  portfolio: { id: string; name: string; mode: string } | null;
  createdAt: Date;
}

/** A secret field: one line of printable characters, trimmed (a pasted key often ends with a newline). */
function secretField(what: string, max: number): z.ZodEffects<z.ZodString, string, string> {
  return z
    .string({ required_error: `${what} is required`, invalid_type_error: `${what} must be text` })
    .trim()
    .min(1, `${what} is empty`)
    .max(max, `${what} is longer than ${max} characters; check what was pasted`)
    .refine((s) => !hasControlCharacters(s) && !/\s/.test(s), `${what} must be one line without spaces or control characters; check what was pasted`);
}

export const exchangeSecretsInput = z
  .object({
    apiKey: secretField('the API key', 512),
    secret: secretField('the API secret', 4096),
    password: z
      .string({ invalid_type_error: 'the passphrase must be text' })
      .max(512, 'the passphrase is longer than 512 characters')
      .refine((s) => !hasControlCharacters(s), 'the passphrase must be one line without control characters')
      .optional()
      .transform((s) => (s === undefined || s === '' ? undefined : s)),
  })
  .strict('only apiKey, secret and password are read');

export const addExchangeAccountInput = z.object({
  exchange: z
    .string({ required_error: 'the exchange is required (a ccxt exchange id such as binance or okx)' })
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9]{2,32}$/, 'the exchange must be a ccxt exchange id such as binance or okx'),
  label: textField('the label', 64).optional(),
  sandbox: z.boolean().default(false),
  accountType: z.enum(ACCOUNT_TYPES, { errorMap: () => ({ message: `the account type must be one of ${ACCOUNT_TYPES.join(', ')}` }) }).optional(),
});
export type AddExchangeAccountInput = z.input<typeof addExchangeAccountInput>;

/** The venue's name as people write it, for messages ("Binance testnet"). */
export function venueName(exchange: string, sandbox = false): string {
  const known: Record<string, string> = {
    binance: 'Binance', binanceusdm: 'Binance USDⓈ-M', binancecoinm: 'Binance COIN-M', okx: 'OKX', bybit: 'Bybit', kraken: 'Kraken',
    krakenfutures: 'Kraken Futures', coinbase: 'Coinbase', kucoin: 'KuCoin', kucoinfutures: 'KuCoin Futures', hyperliquid: 'Hyperliquid',
    bitget: 'Bitget', gate: 'Gate', mexc: 'MEXC', htx: 'HTX', bitmex: 'BitMEX', deribit: 'Deribit',
  };
  const name = known[exchange] ?? exchange.charAt(0).toUpperCase() + exchange.slice(1);
  return sandbox ? `${name} testnet` : name;
}

function issues(err: z.ZodError): string {
  return err.issues.map((i) => i.message).join('; ');
}

/** Parses secrets, naming what is wrong without ever repeating what was given. */
export function parseExchangeSecrets(value: unknown): ExchangeSecrets {
  const parsed = exchangeSecretsInput.safeParse(value);
  if (!parsed.success) throw invalidInput(issues(parsed.error), 'give {"apiKey": "…", "secret": "…"} and "password" only where the exchange issued a passphrase');
  return parsed.data;
}

/** Removes any of the secrets from text that will be stored or shown (a venue may echo a key back). */
function withoutSecrets(text: string, secrets: ExchangeSecrets): string {
  let out = text;
  for (const s of [secrets.apiKey, secrets.secret, secrets.password]) {
    if (s && s.length >= 4) out = out.split(s).join('[redacted]');
  }
  return out.replace(/\s+/g, ' ').trim().slice(0, 500);
}

/**
 * The sentence a person reads when the venue refused the keys: the venue's own words where the
 * validator quotes them ("… (binance says: Invalid API-key, IP, or permissions for action.)").
 */
function refusalText(exchange: string, sandbox: boolean, reason: string): string {
  const venue = venueName(exchange, sandbox);
  const quoted = /\b[\w .-]{1,40} says: (.+?)\)?\s*$/.exec(reason)?.[1];
  const why = (quoted ?? reason).replace(/[.\s]+$/, '');
  if (quoted) return `${venue} refused the key: ${why}`;
  return new RegExp(`^${exchange}\\b`, 'i').test(why) ? `${venue}${why.slice(exchange.length)}` : `${venue} refused the key: ${why}`;
}

const REFUSED_HINT = 'check the key, its permissions and its IP whitelist (a testnet key needs --sandbox, a live key must not have it)';

async function runCheck(validate: CredentialValidator, req: CredentialCheckRequest): Promise<CredentialCheck> {
  const verdict = await validate(req);
  if (verdict.ok) return verdict;
  return { ok: false, reason: withoutSecrets(verdict.reason || 'no reason given', req.credentials), ...(verdict.unreachable ? { unreachable: true } : {}) };
}

function summarise(r: typeof exchangeCredentials.$inferSelect, p: { id: string; name: string; mode: string } | null): ExchangeAccountSummary {
  return {
    id: r.id,
    exchange: r.exchange,
    label: r.label ?? 'default',
    sandbox: r.sandbox,
    accountType: r.accountType,
    isValid: r.isValid,
    isActive: r.isActive,
    lastCheckedAt: r.lastCheckedAt ?? null,
    lastError: r.lastError ?? null,
    portfolio: p,
    createdAt: r.createdAt,
  };
}

/** A stored account and the balances the venue showed when its key was checked. */
export interface AddedExchangeAccount extends ExchangeAccountSummary {
  balances: ExchangeBalance[];
}

/**
 * Checks the keys with the venue, then stores them sealed, valid, with the account type the check
 * found. A refusal or an unanswered check stores nothing and says which it was.
 */
export async function addExchangeAccount(
  db: Db,
  key: SecretKey,
  actor: Actor,
  input: AddExchangeAccountInput,
  secretsInput: ExchangeSecrets,
  validate: CredentialValidator,
  opts: { now?: () => Date } = {},
): Promise<AddedExchangeAccount> {
  await requireRole(db, actor, 'trader');
  const parsed = addExchangeAccountInput.safeParse(input);
  if (!parsed.success) throw invalidInput(issues(parsed.error));
  const v = parsed.data;
  const secrets = parseExchangeSecrets(secretsInput);
  const venue = venueName(v.exchange, v.sandbox);

  // The same key twice would be two accounts trading one venue account: say where it already is.
  const mine = await db.select().from(exchangeCredentials).where(and(eq(exchangeCredentials.userId, actor.userId), eq(exchangeCredentials.exchange, v.exchange)));
  for (const row of mine) {
    let stored: string | undefined;
    try {
      stored = openExchangeSecrets(key, row).apiKey;
    } catch {
      continue;
    }
    if (stored === secrets.apiKey) {
      throw new AppError(ErrorCode.conflict, `This ${venueName(v.exchange)} API key is already stored as exchange account ${shortId(row.id)} ("${row.label ?? 'default'}")`, `use that account (mikey exchange test ${shortId(row.id)} checks it again), or remove it first`);
    }
  }

  const verdict = await runCheck(validate, { exchangeId: v.exchange, credentials: secrets, sandbox: v.sandbox, ...(v.accountType ? { accountType: v.accountType } : {}) });
  if (!verdict.ok) {
    if (verdict.unreachable) {
      throw new AppError(ErrorCode.unavailable, `${venue} could not be reached to check the key (${verdict.reason.replace(/[.\s]+$/, '')}). Nothing was stored.`, 'try again when the venue answers (check the network, or MIKEY_EXCHANGE_URL if set)');
    }
    throw new AppError(ErrorCode.rejected, `${refusalText(v.exchange, v.sandbox, verdict.reason)}. Nothing was stored.`, REFUSED_HINT);
  }

  const id = randomUUID();
  const now = (opts.now ?? (() => new Date()))();
  const accountType = verdict.accountType ?? v.accountType ?? 'spot';
  const label = v.label || 'default';
  return withTransaction(db, async (tx) => {
    const [row] = await tx
      .insert(exchangeCredentials)
      .values({
        id,
        userId: actor.userId,
        exchange: v.exchange,
        label,
        ...sealExchangeSecrets(key, id, secrets),
        keyVersion: 1,
        isValid: true,
        sandbox: v.sandbox,
        accountType,
        lastCheckedAt: now,
        lastError: null,
      })
      .returning();
    await writeAudit(tx, actor, {
      action: 'exchange_account.add',
      entityType: 'exchange_credentials',
      entityId: id,
      newValue: { exchange: v.exchange, label, sandbox: v.sandbox, accountType, isValid: true, checkedAt: now.toISOString() },
    });
    return { ...summarise(row!, null), balances: verdict.balances ?? [] };
  });
}

async function attachedPortfolios(ex: Executor, userId: string): Promise<Map<string, { id: string; name: string; mode: string }>> {
  const rows = await ex.select({ id: portfolios.id, name: portfolios.name, mode: portfolios.tradingMode }).from(portfolios).where(eq(portfolios.userId, userId));
  return new Map(rows.map((p) => [p.id, p]));
}

/** The user's exchange accounts, oldest first, with the portfolio each trades for. */
export async function listExchangeAccounts(ex: Executor, userId: string): Promise<ExchangeAccountSummary[]> {
  const rows = await ex.select().from(exchangeCredentials).where(eq(exchangeCredentials.userId, userId)).orderBy(asc(exchangeCredentials.createdAt), asc(exchangeCredentials.id));
  const owned = rows.some((r) => r.portfolioId) ? await attachedPortfolios(ex, userId) : new Map<string, { id: string; name: string; mode: string }>();
  return rows.map((r) => summarise(r, r.portfolioId ? (owned.get(r.portfolioId) ?? null) : null));
}

/** A full id or a prefix of one of the actor's own accounts; anything else is "exchange account not found". */
async function resolveAccount(ex: Executor, userId: string, ref: string): Promise<typeof exchangeCredentials.$inferSelect> {
  const id = await resolveIdPrefix(ex, {
    table: exchangeCredentials,
    id: exchangeCredentials.id,
    owned: eq(exchangeCredentials.userId, userId),
    input: ref,
    noun: 'exchange account',
    listedBy: 'mikey exchange list',
  });
  const [row] = await ex.select().from(exchangeCredentials).where(and(eq(exchangeCredentials.id, id), eq(exchangeCredentials.userId, userId)));
  if (!row) throw notFound('exchange account', 'mikey exchange list shows yours');
  return row;
}

export interface ExchangeAccountCheck {
  account: ExchangeAccountSummary;
  /** valid: the venue accepted the keys; refused: it said no; unreachable: it did not answer. */
  outcome: 'valid' | 'refused' | 'unreachable';
  /** What a person reads about the outcome (clean text). */
  message: string;
}

/**
 * Checks stored keys with the venue again and records the verdict (is_valid, last checked, last
 * error). A venue that does not answer proves nothing: is_valid stays as it was, the error is noted.
 */
export async function testExchangeAccount(
  db: Db,
  key: SecretKey,
  actor: Actor,
  ref: string,
  validate: CredentialValidator,
  opts: { now?: () => Date } = {},
): Promise<ExchangeAccountCheck> {
  await requireRole(db, actor, 'trader');
  const row = await resolveAccount(db, actor.userId, ref);
  const secrets = openExchangeSecrets(key, row);
  const verdict = await runCheck(validate, { exchangeId: row.exchange, credentials: secrets, sandbox: row.sandbox, accountType: row.accountType });
  const now = (opts.now ?? (() => new Date()))();
  const venue = venueName(row.exchange, row.sandbox);
  const outcome: ExchangeAccountCheck['outcome'] = verdict.ok ? 'valid' : verdict.unreachable ? 'unreachable' : 'refused';
  const lastError = verdict.ok ? null : verdict.unreachable ? `${venue} could not be reached: ${verdict.reason.replace(/[.\s]+$/, '')}` : refusalText(row.exchange, row.sandbox, verdict.reason);
  const isValid = outcome === 'valid' ? true : outcome === 'refused' ? false : row.isValid;
  const updated = await withTransaction(db, async (tx) => {
    const [u] = await tx
      .update(exchangeCredentials)
      .set({ isValid, lastCheckedAt: now, lastError })
      .where(and(eq(exchangeCredentials.id, row.id), eq(exchangeCredentials.userId, actor.userId)))
      .returning();
    if (!u) throw notFound('exchange account', 'mikey exchange list shows yours');
    await writeAudit(tx, actor, {
      action: 'exchange_account.test',
      entityType: 'exchange_credentials',
      entityId: row.id,
      oldValue: { isValid: row.isValid, lastError: row.lastError },
      newValue: { isValid, outcome, lastError, checkedAt: now.toISOString() },
    });
    return u;
  });
  const portfolio = updated.portfolioId ? ((await attachedPortfolios(db, actor.userId)).get(updated.portfolioId) ?? null) : null;
  const message =
    outcome === 'valid'
      ? `${venue} accepted the key of exchange account ${shortId(row.id)} ("${updated.label ?? 'default'}"); it is valid.`
      : outcome === 'refused'
        ? `${lastError}. Exchange account ${shortId(row.id)} is marked invalid. ${REFUSED_HINT.charAt(0).toUpperCase()}${REFUSED_HINT.slice(1)}.`
        : `${lastError}. Nothing is known about the key; exchange account ${shortId(row.id)} stays ${row.isValid ? 'valid' : 'invalid'} until a check gets an answer.`;
  return { account: summarise(updated, portfolio), outcome, message };
}

/**
 * Deletes an exchange account (audited). Refused while it trades for a live portfolio that still has
 * open orders or open positions: those would be left at the venue with no keys to manage them.
 */
export async function removeExchangeAccount(db: Db, actor: Actor, ref: string): Promise<ExchangeAccountSummary> {
  await requireRole(db, actor, 'trader');
  const resolved = await resolveAccount(db, actor.userId, ref);
  return withTransaction(db, async (tx) => {
    const [row] = await tx
      .select()
      .from(exchangeCredentials)
      .where(and(eq(exchangeCredentials.id, resolved.id), eq(exchangeCredentials.userId, actor.userId)))
      .for('update');
    if (!row) throw notFound('exchange account', 'mikey exchange list shows yours');
    let portfolio: { id: string; name: string; mode: string } | null = null;
    if (row.portfolioId) {
      // Locked, so no order is placed on the portfolio between the count and the delete.
      const [p] = await tx
        .select({ id: portfolios.id, name: portfolios.name, mode: portfolios.tradingMode })
        .from(portfolios)
        .where(and(eq(portfolios.id, row.portfolioId), eq(portfolios.userId, actor.userId)))
        .for('update');
      portfolio = p ?? null;
      if (p && p.mode === 'live') {
        const [o] = await tx.select({ n: count() }).from(orders).where(and(eq(orders.portfolioId, p.id), notInArray(orders.status, [...TERMINAL_STATUSES])));
        const [q] = await tx.select({ n: count() }).from(positions).where(and(eq(positions.portfolioId, p.id), eq(positions.status, 'open')));
        const openOrders = Number(o?.n ?? 0);
        const openPositions = Number(q?.n ?? 0);
        if (openOrders > 0 || openPositions > 0) {
          const what = [openOrders ? `${openOrders} open order${openOrders === 1 ? '' : 's'}` : '', openPositions ? `${openPositions} open position${openPositions === 1 ? '' : 's'}` : ''].filter(Boolean).join(' and ');
          throw new AppError(
            ErrorCode.conflict,
            `Exchange account ${shortId(row.id)} trades for the live portfolio "${p.name}", which has ${what}: without its keys MIKEY could not manage them, so nothing was removed`,
            'cancel the orders and close the positions first (cancel-order, close-all-positions), then remove it again',
          );
        }
      }
    }
    await tx.delete(exchangeCredentials).where(eq(exchangeCredentials.id, row.id));
    await writeAudit(tx, actor, {
      action: 'exchange_account.remove',
      entityType: 'exchange_credentials',
      entityId: row.id,
      oldValue: { exchange: row.exchange, label: row.label, sandbox: row.sandbox, accountType: row.accountType, isValid: row.isValid, portfolioId: row.portfolioId },
    });
    return summarise(row, portfolio);
  });
}
