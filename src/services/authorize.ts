// Roles, enforced where the work is done: every public service method that changes something calls
// `requireRole` first, whichever surface (MCP stdio or HTTP, terminal, Telegram, Discord, CLI) built
// the actor, so no surface can forget it (reliability 27: a viewer changes nothing; a disabled user
// is refused on every surface).
//
//   viewer  reads: prices, analyses, its own portfolios, orders, reports.
//   trader  also trades and manages its own accounts, alerts, risk limits, reports, notifications
//           and API keys.
//   admin   also manages users and other people's API keys.
//
// Freshness: the role and `is_active` are read from the database on every call (one primary-key
// read), never from the session, so a demotion or a disable takes effect on the very next call on
// every surface — including an MCP-over-stdio session or a chat conversation opened days ago.
import { eq } from 'drizzle-orm';
import type { Executor } from '../db/client.js';
import { users } from '../db/schema/index.js';
import type { Actor } from './actor.js';
import { AppError, ErrorCode } from './errors.js';

const RANK = { viewer: 0, trader: 1, admin: 2 } as const;
export type Role = keyof typeof RANK;

/** Who is acting, as the database says right now. */
export interface Standing {
  userId: string;
  username: string | null;
  role: Role;
}

/** The refusal every surface shows a disabled user. */
export function disabledUserError(username?: string | null): AppError {
  return new AppError(ErrorCode.forbidden, `Your MIKEY user${username ? ` "${username}"` : ''} is disabled`, 'ask an admin of this MIKEY to enable it again');
}

async function standingOf(ex: Executor, userId: string): Promise<Standing> {
  const [row] = await ex.select({ username: users.username, role: users.role, isActive: users.isActive }).from(users).where(eq(users.id, userId));
  if (!row) throw new AppError(ErrorCode.forbidden, 'Your MIKEY user no longer exists', 'ask an admin of this MIKEY for an account');
  if (!row.isActive) throw disabledUserError(row.username);
  return { userId, username: row.username, role: row.role };
}

/** Refuses a user that is disabled or gone (any role may go on). Surfaces call this where they authenticate. */
export async function requireActiveUser(ex: Executor, userId: string): Promise<Standing> {
  return standingOf(ex, userId);
}

/**
 * Refuses the actor unless its user is active and holds at least `needed`. Returns its standing, so
 * a caller can ask for more (an admin acting on someone else's key) without a second read.
 */
export async function requireRole(ex: Executor, actor: Pick<Actor, 'userId'>, needed: Exclude<Role, 'viewer'>): Promise<Standing> {
  const me = await standingOf(ex, actor.userId);
  if (RANK[me.role] >= RANK[needed]) return me;
  if (me.role === 'viewer') {
    throw new AppError(ErrorCode.forbidden, 'Your role is viewer, which can only read: nothing was changed', 'ask an admin of this MIKEY to make you a trader');
  }
  throw new AppError(ErrorCode.forbidden, `This needs the admin role; your role is ${me.role}, so nothing was changed`, 'ask an admin of this MIKEY to do it');
}

/** Whether a standing may act on another user's things (their API keys, their account). */
export function isAdmin(me: Standing): boolean {
  return me.role === 'admin';
}

/**
 * What to tell a person whose user is disabled or gone, or undefined when they may go on. For
 * surfaces that answer in words rather than with an error (chat).
 */
export async function inactiveUserRefusal(ex: Executor, userId: string): Promise<string | undefined> {
  try {
    await standingOf(ex, userId);
    return undefined;
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return `${err.message}; ${err.hint ?? ''}.`.replace(/; \.$/, '.');
  }
}
