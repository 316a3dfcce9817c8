// Linking chat identities to one MIKEY user. The user asks for a short code on a surface they are
// already known on (terminal, MCP, Discord…) and sends it to the bot elsewhere (`/start CODE`).
// Codes are short-lived, single-use, and stored only as a hash.
import { createHash, randomInt } from 'node:crypto';
import { and, eq, gt, isNull } from 'drizzle-orm';
import type { Db, Executor } from '../db/client.js';
import { chatIdentities, linkCodes, users } from '../db/schema/index.js';
import { withTransaction } from '../db/tx.js';
import type { Actor } from './actor.js';
import { newTraceId } from './actor.js';
import { writeAudit } from './audit.js';
import { AppError, ErrorCode, invalidInput } from './errors.js';
import type { User } from './users.js';
import { requireActiveUser } from './authorize.js';

export const ChatPlatform = { telegram: 'telegram', discord: 'discord' } as const;
export type ChatPlatform = (typeof ChatPlatform)[keyof typeof ChatPlatform];

/** Crockford base32 without look-alikes (no I, L, O, U). */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const LINK_CODE_TTL_MS = 10 * 60_000;
const CODE_LENGTH = 8;

function hashCode(code: string): string {
  return createHash('sha256').update(`mikey-link:${code}`).digest('hex');
}

/** Normalises what a person typed: case, spaces, dashes, the optional "MK-" prefix. */
export function normaliseLinkCode(input: string): string {
  const s = input.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  return s.length === CODE_LENGTH + 2 && s.startsWith('MK') ? s.slice(2) : s;
}

export interface IssuedLinkCode {
  /** Shown once, e.g. "MK-7F3K-9Q2B". */
  code: string;
  expiresAt: Date;
}

export async function createLinkCode(db: Db, actor: Actor, now: Date = new Date()): Promise<IssuedLinkCode> {
  await requireActiveUser(db, actor.userId);
  let raw = '';
  for (let i = 0; i < CODE_LENGTH; i++) raw += ALPHABET[randomInt(ALPHABET.length)];
  const expiresAt = new Date(now.getTime() + LINK_CODE_TTL_MS);
  await withTransaction(db, async (tx) => {
    const [row] = await tx.insert(linkCodes).values({ userId: actor.userId, codeHash: hashCode(raw), expiresAt }).returning({ id: linkCodes.id });
    await writeAudit(tx, actor, { action: 'link_code.create', entityType: 'link_code', entityId: String(row!.id), newValue: { expiresAt } });
  });
  return { code: `MK-${raw.slice(0, 4)}-${raw.slice(4)}`, expiresAt };
}

export interface ChatIdentityInput {
  platform: ChatPlatform;
  externalUserId: string;
  username?: string | undefined;
  chatId?: string | undefined;
}

/**
 * Redeems a code for a chat identity, atomically: the code is spent and the identity linked in one
 * transaction, or neither happens. A spent, expired or unknown code is refused with the same care.
 */
export async function redeemLinkCode(db: Db, codeInput: string, identity: ChatIdentityInput, now: Date = new Date()): Promise<User> {
  const code = normaliseLinkCode(codeInput);
  if (code.length !== CODE_LENGTH || [...code].some((c) => !ALPHABET.includes(c))) {
    throw invalidInput('That link code is not valid', 'ask MIKEY for a new code where you are already signed in (e.g. `mikey link` in the terminal)');
  }
  return withTransaction(db, async (tx) => {
    const [spent] = await tx
      .update(linkCodes)
      .set({ usedAt: now, platform: identity.platform })
      .where(and(eq(linkCodes.codeHash, hashCode(code)), isNull(linkCodes.usedAt), gt(linkCodes.expiresAt, now)))
      .returning();
    if (!spent) {
      const [known] = await tx.select().from(linkCodes).where(eq(linkCodes.codeHash, hashCode(code)));
      if (known?.usedAt) throw new AppError(ErrorCode.conflict, 'That link code was already used', 'ask for a new code');
      if (known) throw new AppError(ErrorCode.expired, 'That link code has expired (codes last 10 minutes)', 'ask for a new code');
      throw new AppError(ErrorCode.notFound, 'That link code is not known', 'check the code, or ask for a new one');
    }
    const [existing] = await tx
      .select()
      .from(chatIdentities)
      .where(and(eq(chatIdentities.platform, identity.platform), eq(chatIdentities.externalUserId, identity.externalUserId)));
    if (existing && existing.userId !== spent.userId) {
      throw new AppError(ErrorCode.conflict, `This ${identity.platform} account is already linked to another MIKEY user`, 'unlink it there first');
    }
    if (!existing) {
      await tx.insert(chatIdentities).values({
        userId: spent.userId,
        platform: identity.platform,
        externalUserId: identity.externalUserId,
        username: identity.username ?? null,
        chatId: identity.chatId ?? null,
      });
    }
    await writeAudit(tx, { userId: spent.userId, surface: identity.platform, traceId: newTraceId() }, {
      action: 'identity.link',
      entityType: 'chat_identity',
      entityId: `${identity.platform}:${identity.externalUserId}`,
      newValue: { platform: identity.platform, username: identity.username },
    });
    const [user] = await tx.select().from(users).where(eq(users.id, spent.userId));
    return user!;
  });
}

/** The MIKEY user behind a chat identity, or undefined for an unknown sender. */
export async function findUserByIdentity(ex: Executor, platform: ChatPlatform, externalUserId: string): Promise<User | undefined> {
  const rows = await ex
    .select({ user: users })
    .from(chatIdentities)
    .innerJoin(users, eq(users.id, chatIdentities.userId))
    .where(and(eq(chatIdentities.platform, platform), eq(chatIdentities.externalUserId, externalUserId)));
  const u = rows[0]?.user;
  return u && u.isActive ? u : undefined;
}

export async function listIdentities(ex: Executor, userId: string): Promise<Array<typeof chatIdentities.$inferSelect>> {
  return ex.select().from(chatIdentities).where(eq(chatIdentities.userId, userId));
}
