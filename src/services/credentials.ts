// Exchange credentials (for live accounts): sealed with the secret box, bound to their row id and
// field. Plaintext leaves this module only towards a live broker adapter; listings show labels only.
// Adding keys a person typed goes through exchange-accounts.ts, which checks them with the venue
// first; `addExchangeCredentials` here stores without a check (the row says is_valid = false).
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db, Executor } from '../db/client.js';
import { exchangeCredentials } from '../db/schema/index.js';
import { withTransaction } from '../db/tx.js';
import type { Actor } from './actor.js';
import { writeAudit } from './audit.js';
import { invalidInput, notFound } from './errors.js';
import { open, seal, type SecretKey } from './secret-box.js';
import { requireRole } from './authorize.js';

const aad = (id: string, field: 'api_key' | 'api_secret' | 'passphrase'): string => `exchange_credentials:${id}:${field}`;

/** An exchange's API secrets as ccxt names them (`password` is OKX's and KuCoin's passphrase). */
export interface ExchangeSecrets {
  apiKey: string;
  secret: string;
  password?: string;
}

/** The ciphertext columns of row `id`, each sealed to that row and field. */
export function sealExchangeSecrets(key: SecretKey, id: string, secrets: ExchangeSecrets): { apiKeyCiphertext: string; apiSecretCiphertext: string; passphraseCiphertext: string | null } {
  return {
    apiKeyCiphertext: seal(key, secrets.apiKey, aad(id, 'api_key')),
    apiSecretCiphertext: seal(key, secrets.secret, aad(id, 'api_secret')),
    passphraseCiphertext: secrets.password ? seal(key, secrets.password, aad(id, 'passphrase')) : null,
  };
}

/** Opens a row's secrets (a wrong key or an altered row: one clear error, see secret-box.ts). */
export function openExchangeSecrets(key: SecretKey, row: Pick<typeof exchangeCredentials.$inferSelect, 'id' | 'apiKeyCiphertext' | 'apiSecretCiphertext' | 'passphraseCiphertext'>): ExchangeSecrets {
  return {
    apiKey: open(key, row.apiKeyCiphertext, aad(row.id, 'api_key')),
    secret: open(key, row.apiSecretCiphertext, aad(row.id, 'api_secret')),
    ...(row.passphraseCiphertext ? { password: open(key, row.passphraseCiphertext, aad(row.id, 'passphrase')) } : {}),
  };
}

export const addCredentialsInput = z.object({
  exchange: z.string().trim().toLowerCase().regex(/^[a-z0-9]{2,32}$/, 'exchange must be a ccxt id such as binance'),
  label: z.string().trim().min(1).max(64).default('default'),
  apiKey: z.string().min(8, 'the API key looks too short').max(512),
  apiSecret: z.string().min(8, 'the API secret looks too short').max(2048),
  passphrase: z.string().max(512).optional(),
  portfolioId: z.string().uuid().optional(),
});
export type AddCredentialsInput = z.input<typeof addCredentialsInput>;

export interface CredentialSummary {
  id: string;
  exchange: string;
  label: string;
  portfolioId: string | null;
  createdAt: Date;
}

export interface DecryptedCredentials {
  apiKey: string;
  apiSecret: string;
  passphrase?: string;
}

export async function addExchangeCredentials(db: Db, key: SecretKey, actor: Actor, input: AddCredentialsInput): Promise<CredentialSummary> {
  await requireRole(db, actor, 'trader');
  const parsed = addCredentialsInput.safeParse(input);
  if (!parsed.success) throw invalidInput(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const v = parsed.data;
  const id = randomUUID();
  return withTransaction(db, async (tx) => {
    const [row] = await tx
      .insert(exchangeCredentials)
      .values({
        id,
        userId: actor.userId,
        portfolioId: v.portfolioId ?? null,
        exchange: v.exchange,
        label: v.label,
        apiKeyCiphertext: seal(key, v.apiKey, aad(id, 'api_key')),
        apiSecretCiphertext: seal(key, v.apiSecret, aad(id, 'api_secret')),
        passphraseCiphertext: v.passphrase ? seal(key, v.passphrase, aad(id, 'passphrase')) : null,
        keyVersion: 1,
      })
      .returning();
    await writeAudit(tx, actor, { action: 'credentials.add', entityType: 'exchange_credentials', entityId: id, newValue: { exchange: v.exchange, label: v.label } });
    return summarise(row!);
  });
}

function summarise(r: typeof exchangeCredentials.$inferSelect): CredentialSummary {
  return { id: r.id, exchange: r.exchange, label: r.label ?? 'default', portfolioId: r.portfolioId ?? null, createdAt: r.createdAt };
}

export async function listExchangeCredentials(ex: Executor, userId: string): Promise<CredentialSummary[]> {
  const rows = await ex.select().from(exchangeCredentials).where(eq(exchangeCredentials.userId, userId));
  return rows.map(summarise);
}

/** For a live broker only. Ownership is checked; another user's id is "not found". */
export async function decryptExchangeCredentials(ex: Executor, key: SecretKey, userId: string, id: string): Promise<DecryptedCredentials> {
  const [r] = await ex.select().from(exchangeCredentials).where(and(eq(exchangeCredentials.id, id), eq(exchangeCredentials.userId, userId)));
  if (!r) throw notFound('exchange credentials');
  return {
    apiKey: open(key, r.apiKeyCiphertext, aad(r.id, 'api_key')),
    apiSecret: open(key, r.apiSecretCiphertext, aad(r.id, 'api_secret')),
    ...(r.passphraseCiphertext ? { passphrase: open(key, r.passphraseCiphertext, aad(r.id, 'passphrase')) } : {}),
  };
}

export async function deleteExchangeCredentials(db: Db, actor: Actor, id: string): Promise<void> {
  await requireRole(db, actor, 'trader');
  await withTransaction(db, async (tx) => {
    const [r] = await tx.delete(exchangeCredentials).where(and(eq(exchangeCredentials.id, id), eq(exchangeCredentials.userId, actor.userId))).returning();
    if (!r) throw notFound('exchange credentials');
    await writeAudit(tx, actor, { action: 'credentials.delete', entityType: 'exchange_credentials', entityId: id, oldValue: { exchange: r.exchange, label: r.label } });
  });
}

/**
 * Start-up check: when credentials exist, the configured key must open one of them; otherwise MIKEY
 * refuses to start rather than fail later in the middle of a live order.
 */
export async function assertSecretKeyMatches(ex: Executor, key: SecretKey): Promise<void> {
  const [r] = await ex.select().from(exchangeCredentials).limit(1);
  if (r) open(key, r.apiKeyCiphertext, aad(r.id, 'api_key'));
}
