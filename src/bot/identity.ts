// Who a chat sender is. A Telegram or Discord account acts as the MIKEY user it is linked to; an
// unknown sender is nobody — unless sign-up is configured (`MIKEY_SIGNUP=open`, or `allowlist` with
// the sender's id in `MIKEY_ALLOWLIST`), in which case a user is created and linked on first contact.
import { and, eq } from 'drizzle-orm';
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import { chatIdentities, users } from '../db/schema/index.js';
import { isUniqueViolation, withTransaction } from '../db/tx.js';
import { newTraceId } from '../services/actor.js';
import { writeAudit } from '../services/audit.js';
import { invalidInput } from '../services/errors.js';
import { findUserByIdentity, type ChatPlatform } from '../services/link-codes.js';
import { createUser, createUserInput, type User } from '../services/users.js';

export { findUserByIdentity };

export interface SignupIdentity {
  platform: ChatPlatform;
  externalUserId: string;
  /** Platform handle, stored on the identity (untrusted, display only). */
  username?: string | undefined;
  /** Display name for the new user (untrusted, display only). */
  displayName?: string | undefined;
  /** The private chat pushes go to, when known. */
  chatId?: string | undefined;
}

/**
 * Whether an unknown sender may become a user without a link code. Allowlist entries are platform
 * user ids, optionally prefixed with the platform (`telegram:123`, `discord:456`).
 */
export function signupAllowed(config: Pick<Config, 'MIKEY_SIGNUP' | 'MIKEY_ALLOWLIST'>, platform: ChatPlatform, externalUserId: string): boolean {
  if (config.MIKEY_SIGNUP === 'open') return true;
  if (config.MIKEY_SIGNUP !== 'allowlist') return false;
  return config.MIKEY_ALLOWLIST.some((entry) => entry === externalUserId || entry === `${platform}:${externalUserId}`);
}

const PLATFORM_PREFIX: Record<ChatPlatform, string> = { telegram: 'tg', discord: 'dc' };

/**
 * Creates a user for a chat identity and links it, in one transaction: a crash can never leave a
 * user without its identity or the other way round. If the identity is already linked (a second
 * message raced the first), that user is returned and nothing is created. The username is
 * `tg_<id>` / `dc_<id>` (a suffix is added if that is taken); validation and the audit action are
 * those of `createUser`, which cannot be used directly because it opens its own transaction.
 */
export async function signUpChatUser(db: Db, identity: SignupIdentity): Promise<User> {
  if (!/^\d{1,25}$/.test(identity.externalUserId)) throw invalidInput('chat user id must be numeric');
  const base = `${PLATFORM_PREFIX[identity.platform]}_${identity.externalUserId}`;
  const displayName = sanitiseDisplayName(identity.displayName) ?? identity.username ?? base;
  const existing = await findUserByIdentity(db, identity.platform, identity.externalUserId);
  if (existing) return existing;
  return withTransaction(db, async (tx) => {
    const [linked] = await tx
      .select({ user: users })
      .from(chatIdentities)
      .innerJoin(users, eq(users.id, chatIdentities.userId))
      .where(and(eq(chatIdentities.platform, identity.platform), eq(chatIdentities.externalUserId, identity.externalUserId)));
    if (linked) return linked.user;
    let username = base;
    for (let i = 2; ; i++) {
      const [taken] = await tx.select({ id: users.id }).from(users).where(eq(users.username, username));
      if (!taken) break;
      username = `${base}_${i}`;
    }
    const parsed = createUserInput.safeParse({ username, displayName, role: 'trader' });
    if (!parsed.success) throw invalidInput(parsed.error.issues.map((i) => i.message).join('; '));
    const v = parsed.data;
    const [user] = await tx.insert(users).values({ username: v.username, displayName: v.displayName ?? v.username, role: v.role }).returning();
    const inserted = await tx
      .insert(chatIdentities)
      .values({
        userId: user!.id,
        platform: identity.platform,
        externalUserId: identity.externalUserId,
        username: identity.username ?? null,
        chatId: identity.chatId ?? null,
      })
      .onConflictDoNothing()
      .returning({ id: chatIdentities.id });
    if (inserted.length === 0) {
      // Linked by a concurrent sign-up between our read and insert: roll back ours, use theirs.
      throw new SignupRace();
    }
    const actor = { userId: user!.id, surface: identity.platform, traceId: newTraceId() };
    await writeAudit(tx, actor, { action: 'user.create', entityType: 'user', entityId: user!.id, newValue: { username: user!.username, role: user!.role }, metadata: { signup: true } });
    await writeAudit(tx, actor, {
      action: 'identity.link',
      entityType: 'chat_identity',
      entityId: `${identity.platform}:${identity.externalUserId}`,
      newValue: { platform: identity.platform, username: identity.username, signup: true },
    });
    return user!;
  }).catch(async (err: unknown) => {
    if (err instanceof SignupRace || isUniqueViolation(err)) {
      const user = await findUserByIdentity(db, identity.platform, identity.externalUserId);
      if (user) return user;
    }
    throw err;
  });
}

class SignupRace extends Error {
  override readonly name = 'SignupRace';
}

function sanitiseDisplayName(name: string | undefined): string | undefined {
  if (!name) return undefined;
  // eslint-disable-next-line no-control-regex
  const clean = name.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 100);
  return clean === '' ? undefined : clean;
}

export const GUEST_USERNAME = 'guest';

let guestCache: { db: Db; user: User } | undefined;

/**
 * The shared read-only account public requests run as when the person asking is not linked (Discord
 * `/price`, `/analysis`, `/chart`, `/help` are for anyone). A viewer: it holds nothing, and only
 * requests the handler calls public ever run as it.
 */
export async function ensureGuestUser(db: Db): Promise<User> {
  if (guestCache?.db === db) return guestCache.user;
  const find = async (): Promise<User | undefined> => (await db.select().from(users).where(eq(users.username, GUEST_USERNAME)))[0];
  let user = await find();
  if (!user) {
    try {
      user = await createUser(db, { username: GUEST_USERNAME, displayName: 'Guest (public requests)', role: 'viewer' });
    } catch (err) {
      // Created concurrently by another request: use that one.
      user = await find();
      if (!user) throw err;
    }
  }
  guestCache = { db, user };
  return user;
}
