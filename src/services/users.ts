// Users and the local owner. The embedded default has one person at the keyboard: the "owner"
// account, created on first run, which the terminal and MCP-over-stdio act as (or MIKEY_USER).
import { eq, or } from 'drizzle-orm';
import { z } from 'zod';
import type { Db, Executor } from '../db/client.js';
import { users } from '../db/schema/index.js';
import { withTransaction } from '../db/tx.js';
import type { Actor } from './actor.js';
import { newTraceId } from './actor.js';
import { writeAudit } from './audit.js';
import { AppError, ErrorCode, invalidInput, notFound } from './errors.js';

export type User = typeof users.$inferSelect;

export const UserRole = { admin: 'admin', trader: 'trader', viewer: 'viewer' } as const;
export type UserRole = (typeof UserRole)[keyof typeof UserRole];

export const createUserInput = z.object({
  username: z
    .string()
    .trim()
    .min(2, 'username needs at least 2 characters')
    .max(64, 'username is at most 64 characters')
    .regex(/^[A-Za-z0-9_.-]+$/, 'username may use letters, digits, "_", "." and "-"'),
  email: z.string().trim().email('email is not a valid address').max(254).optional(),
  displayName: z.string().trim().max(100).optional(),
  role: z.enum(['admin', 'trader', 'viewer']).default('trader'),
});
export type CreateUserInput = z.input<typeof createUserInput>;

export async function createUser(db: Db, input: CreateUserInput, actor?: Actor): Promise<User> {
  const parsed = createUserInput.safeParse(input);
  if (!parsed.success) throw invalidInput(parsed.error.issues.map((i) => i.message).join('; '));
  const v = parsed.data;
  return withTransaction(db, async (tx) => {
    const clash = await tx
      .select({ id: users.id, username: users.username, email: users.email })
      .from(users)
      .where(v.email ? or(eq(users.username, v.username), eq(users.email, v.email)) : eq(users.username, v.username));
    if (clash.length > 0) {
      const which = clash[0]!.username === v.username ? `username "${v.username}"` : `email "${v.email}"`;
      throw new AppError(ErrorCode.conflict, `A user with ${which} already exists`, 'choose another one');
    }
    const [row] = await tx
      .insert(users)
      .values({ username: v.username, email: v.email ?? null, displayName: v.displayName ?? v.username, role: v.role })
      .returning();
    await writeAudit(tx, actor ?? { system: true, traceId: newTraceId() }, {
      action: 'user.create',
      entityType: 'user',
      entityId: row!.id,
      newValue: { username: row!.username, role: row!.role },
    });
    return row!;
  });
}

export async function getUser(ex: Executor, userId: string): Promise<User> {
  const [row] = await ex.select().from(users).where(eq(users.id, userId));
  if (!row) throw notFound('user');
  return row;
}

/** Finds a user by id, username or email (for operator commands such as `mikey apikey create --user`). */
export async function findUser(ex: Executor, ref: string): Promise<User> {
  const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(ref);
  const [row] = await ex
    .select()
    .from(users)
    .where(isUuid ? eq(users.id, ref) : or(eq(users.username, ref), eq(users.email, ref)));
  if (!row) throw notFound(`user "${ref}"`, 'give a user id, username or email (mikey user list shows them)');
  return row;
}

export const OWNER_USERNAME = 'owner';

/**
 * The local owner: `MIKEY_USER` when set (must exist), otherwise the `owner` account, created as
 * an admin on first run.
 */
export async function ensureLocalOwner(db: Db, configuredUser?: string): Promise<User> {
  if (configuredUser) return findUser(db, configuredUser);
  const [existing] = await db.select().from(users).where(eq(users.username, OWNER_USERNAME));
  if (existing) return existing;
  try {
    return await createUser(db, { username: OWNER_USERNAME, displayName: 'Owner', role: 'admin' });
  } catch (err) {
    // Two processes starting at once: the other one created it.
    const [row] = await db.select().from(users).where(eq(users.username, OWNER_USERNAME));
    if (row) return row;
    throw err;
  }
}

export async function listUsers(ex: Executor): Promise<User[]> {
  return ex.select().from(users).orderBy(users.createdAt);
}
