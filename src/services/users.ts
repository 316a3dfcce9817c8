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
import { disabledUserError, requireRole } from './authorize.js';
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

/**
 * Creates a user. With an actor (a person asking), that person must be an admin; without one it is
 * the operator's own bootstrap (`mikey user create` on the machine, the first-run owner, sign-up).
 */
export async function createUser(db: Db, input: CreateUserInput, actor?: Actor): Promise<User> {
  if (actor) await requireRole(db, actor, 'admin');
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
 * an admin on first run. The terminal, MCP over stdio and the CLI act as this user, so a disabled
 * one is refused here, where those surfaces authenticate.
 */
export async function ensureLocalOwner(db: Db, configuredUser?: string): Promise<User> {
  if (configuredUser) return active(await findUser(db, configuredUser));
  const [existing] = await db.select().from(users).where(eq(users.username, OWNER_USERNAME));
  if (existing) return active(existing);
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

function active(user: User): User {
  if (!user.isActive) throw disabledUserError(user.username);
  return user;
}

/** An admin changes another user's role (audited). An admin cannot demote itself: someone must stay able to undo it. */
export async function setUserRole(db: Db, actor: Actor, ref: string, role: string): Promise<User> {
  await requireRole(db, actor, 'admin');
  const parsed = createUserInput.shape.role.safeParse(role);
  if (!parsed.success) throw invalidInput(`"${role.slice(0, 20)}" is not a role`, 'use admin, trader or viewer');
  return withTransaction(db, async (tx) => {
    const target = await findUser(tx, ref);
    if (target.id === actor.userId && parsed.data !== 'admin') throw invalidInput('an admin cannot take its own admin role away', 'ask another admin to do it');
    const [row] = await tx.update(users).set({ role: parsed.data }).where(eq(users.id, target.id)).returning();
    await writeAudit(tx, actor, { action: 'user.role', entityType: 'user', entityId: target.id, oldValue: { role: target.role }, newValue: { role: row!.role } });
    return row!;
  });
}

/** An admin enables or disables another user (audited). A disabled user is refused on every surface. */
export async function setUserActive(db: Db, actor: Actor, ref: string, isActive: boolean): Promise<User> {
  const me = await requireRole(db, actor, 'admin');
  return withTransaction(db, async (tx) => {
    const target = await findUser(tx, ref);
    if (target.id === me.userId && !isActive) throw invalidInput('an admin cannot disable itself', 'ask another admin to do it');
    const [row] = await tx.update(users).set({ isActive }).where(eq(users.id, target.id)).returning();
    await writeAudit(tx, actor, { action: isActive ? 'user.enable' : 'user.disable', entityType: 'user', entityId: target.id, oldValue: { isActive: target.isActive }, newValue: { isActive } });
    return row!;
  });
}

