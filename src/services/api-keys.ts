// API keys for MCP over HTTP. The key is shown once; only its SHA-256 is stored. A key carries
// 256 random bits, so a fast hash is the right tool (a slow password hash would add milliseconds to
// every request and protect nothing more). Verification and usage recording are one UPDATE … RETURNING
// on the unique hash index in the happy path.
import { createHash, randomBytes } from 'node:crypto';
import { desc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db, Executor } from '../db/client.js';
import { apiKeys, users } from '../db/schema/index.js';
import { withTransaction } from '../db/tx.js';
import type { Actor } from './actor.js';
import { writeAudit } from './audit.js';
import { isAdmin, requireRole } from './authorize.js';
import { AppError, ErrorCode, invalidInput, notFound } from './errors.js';
import { ALL_PERMISSIONS, Permission } from './permission.js';

export { ALL_PERMISSIONS, Permission } from './permission.js';

export type ApiKeyRow = typeof apiKeys.$inferSelect;

const KEY_PREFIX = 'mk_live_';

/** The exact shape `createApiKey` issues: prefix, 8 hex characters, 32 random bytes in base64url. */
const KEY_SHAPE = /^mk_live_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/;

/** True when `presented` could be a MIKEY API key at all; anything else is refused without a lookup. */
export function isWellFormedApiKey(presented: string): boolean {
  return KEY_SHAPE.test(presented);
}

export function hashApiKey(plaintext: string): string {
  return createHash('sha256').update(plaintext).digest('hex');
}

/** "90d", "12h", "30m", "1y", or "never". */
export function parseDuration(text: string): number | null {
  if (text === 'never') return null;
  const m = /^(\d{1,5})\s*(m|h|d|w|y)$/.exec(text.trim());
  if (!m) throw invalidInput(`"${text}" is not a duration`, 'use a number and a unit: 30m, 12h, 90d, 4w, 1y, or "never"');
  const n = Number(m[1]);
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 }[m[2] as 'm' | 'h' | 'd' | 'w' | 'y'];
  if (n <= 0) throw invalidInput('the duration must be positive');
  return n * unit;
}

export const createApiKeyInput = z.object({
  userId: z.string().uuid(),
  name: z.string().trim().min(1, 'give the key a name').max(64, 'the name is at most 64 characters').default('api key'),
  permissions: z
    .array(z.enum(ALL_PERMISSIONS as [Permission, ...Permission[]], { errorMap: () => ({ message: `permissions must be among ${ALL_PERMISSIONS.join(', ')}` }) }))
    .min(1, 'give at least one permission, e.g. read:market')
    .transform((p) => [...new Set(p)]),
  ratePerMinute: z.number().int('the rate must be a whole number').min(1, 'the rate must be at least 1 request a minute').max(100_000, 'the rate must be at most 100000 requests a minute'),
  expiresInMs: z.number().int().positive().nullable(),
});
export type CreateApiKeyInput = z.input<typeof createApiKeyInput>;

export interface IssuedApiKey {
  /** The full key: shown once, never stored. */
  key: string;
  row: ApiKeyRow;
}

export async function createApiKey(db: Db, actor: Actor, input: CreateApiKeyInput, now: Date = new Date()): Promise<IssuedApiKey> {
  await requireRole(db, actor, input.userId === actor.userId ? 'trader' : 'admin');
  const parsed = createApiKeyInput.safeParse(input);
  if (!parsed.success) throw invalidInput(parsed.error.issues.map((i) => i.message).join('; '));
  const v = parsed.data;
  const prefix = randomBytes(4).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const key = `${KEY_PREFIX}${prefix}_${secret}`;
  const row = await withTransaction(db, async (tx) => {
    const [u] = await tx.select({ id: users.id }).from(users).where(eq(users.id, v.userId));
    if (!u) throw notFound('user');
    const [r] = await tx
      .insert(apiKeys)
      .values({
        userId: v.userId,
        name: v.name,
        keyPrefix: `${KEY_PREFIX}${prefix}`,
        keyHash: hashApiKey(key),
        permissions: v.permissions,
        rateLimitPerMinute: v.ratePerMinute,
        expiresAt: v.expiresInMs === null ? null : new Date(now.getTime() + v.expiresInMs),
      })
      .returning();
    await writeAudit(tx, actor, {
      action: 'api_key.create',
      entityType: 'api_key',
      entityId: r!.id,
      newValue: { name: r!.name, permissions: r!.permissions, rate: r!.rateLimitPerMinute, expiresAt: r!.expiresAt },
    });
    return r!;
  });
  return { key, row };
}

export interface VerifiedKey {
  key: ApiKeyRow;
  userId: string;
}

/**
 * Checks a presented key with one indexed read (key and user together). Refusals say why (unknown,
 * revoked, expired, disabled user) without echoing the key. Usage is recorded separately by a
 * `UsageRecorder`, batched, so the write does not sit on every request's path.
 */
export async function verifyApiKey(ex: Executor, presented: string, now: Date = new Date()): Promise<VerifiedKey> {
  if (!isWellFormedApiKey(presented)) {
    throw new AppError(ErrorCode.forbidden, 'Invalid API key', 'send Authorization: Bearer mk_live_… with a key from `mikey apikey create`');
  }
  const [found] = await ex
    .select({ key: apiKeys, isActive: users.isActive })
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.userId))
    .where(eq(apiKeys.keyHash, hashApiKey(presented)));
  if (!found) throw new AppError(ErrorCode.forbidden, 'Invalid API key', 'check the key; it is shown once when created');
  const { key } = found;
  if (key.revokedAt) throw new AppError(ErrorCode.forbidden, 'This API key was revoked', 'create a new key with `mikey apikey create`');
  if (key.expiresAt && key.expiresAt <= now) throw new AppError(ErrorCode.expired, 'This API key has expired', 'create a new key with `mikey apikey create`');
  if (!found.isActive) throw new AppError(ErrorCode.forbidden, 'The user behind this API key is disabled');
  return { key, userId: key.userId };
}

/**
 * Records API-key usage (`last_used_at`, `total_requests`) in batches: one UPDATE per key per flush
 * instead of one per request. `flush()` runs on a timer and on shutdown, so counts are never lost on
 * a clean stop; a crash loses at most the last interval's counts (usage statistics, not money).
 */
export class UsageRecorder {
  private pending = new Map<string, { count: number; lastUsedAt: Date }>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Executor,
    intervalMs = 1000,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {
    this.timer = setInterval(() => {
      this.flush().catch(this.onError);
    }, intervalMs);
    this.timer.unref();
  }

  record(keyId: string, at: Date): void {
    const p = this.pending.get(keyId);
    if (p) {
      p.count++;
      if (at > p.lastUsedAt) p.lastUsedAt = at;
    } else this.pending.set(keyId, { count: 1, lastUsedAt: at });
  }

  /** Writes what has accumulated; concurrent calls run one after another. */
  async flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.pending.size === 0) return;
      const batch = this.pending;
      this.pending = new Map();
      for (const [id, u] of batch) {
        await this.db
          .update(apiKeys)
          .set({ totalRequests: sql`${apiKeys.totalRequests} + ${u.count}`, lastUsedAt: sql`greatest(${apiKeys.lastUsedAt}, ${u.lastUsedAt.toISOString()}::timestamptz)` })
          .where(eq(apiKeys.id, id));
      }
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}

export function hasPermission(key: Pick<ApiKeyRow, 'permissions'>, needed: Permission): boolean {
  return key.permissions.includes(needed) || key.permissions.includes(Permission.admin);
}

export async function listApiKeys(ex: Executor, userId: string): Promise<ApiKeyRow[]> {
  return ex.select().from(apiKeys).where(eq(apiKeys.userId, userId)).orderBy(desc(apiKeys.createdAt));
}

export type RevokedApiKey = ApiKeyRow & {
  /** True when the key had been revoked before this call; nothing changed then. */
  alreadyRevoked: boolean;
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Revokes one of the actor's keys (admins may revoke any). Revoking a revoked key changes nothing. */
export async function revokeApiKey(db: Db, actor: Actor, keyId: string, opts: { asAdmin?: boolean } = {}): Promise<RevokedApiKey> {
  if (!isAdmin(await requireRole(db, actor, 'trader'))) opts = { ...opts, asAdmin: false };
  const unknown = (): AppError => notFound(`API key ${keyId.length > 40 ? `${keyId.slice(0, 40)}…` : keyId}`, 'see mikey apikey list for the ids');
  // Not an id at all: answered as unknown without asking the database (which would reject the cast).
  if (!UUID.test(keyId)) throw unknown();
  return withTransaction(db, async (tx) => {
    const [row] = await tx.select().from(apiKeys).where(eq(apiKeys.id, keyId));
    if (!row || (!opts.asAdmin && row.userId !== actor.userId)) throw unknown();
    if (row.revokedAt) return { ...row, alreadyRevoked: true };
    const [updated] = await tx.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, keyId)).returning();
    await writeAudit(tx, actor, { action: 'api_key.revoke', entityType: 'api_key', entityId: keyId, oldValue: { revokedAt: null }, newValue: { revokedAt: updated!.revokedAt } });
    return { ...updated!, alreadyRevoked: false };
  });
}
