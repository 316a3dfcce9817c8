// Per-user notification preferences, one mode per kind: `on` (a normal push), `silent` (delivered
// without a sound: Telegram disable_notification, Discord suppress-notifications) or `off` (not
// sent). No row means `on`.
import { and, eq, sql } from 'drizzle-orm';
import type { Db, Executor } from '../db/client.js';
import { notificationPreferences, NotificationMode } from '../db/schema/index.js';
import { withTransaction } from '../db/tx.js';
import { NotificationKind } from '../domain/ports.js';
import type { Actor } from './actor.js';
import { writeAudit } from './audit.js';
import { requireRole } from './authorize.js';
import { invalidInput } from './errors.js';

export { NotificationMode };
export const DEFAULT_NOTIFICATION_MODE: NotificationMode = 'on';

const KINDS = Object.values(NotificationKind) as string[];
const MODES = Object.values(NotificationMode) as string[];

export function isNotificationKind(kind: string): kind is NotificationKind {
  return KINDS.includes(kind);
}

export function isNotificationMode(mode: string): mode is NotificationMode {
  return MODES.includes(mode);
}

/** Every kind with its mode (defaults filled in). */
export async function getNotificationPreferences(ex: Executor, userId: string): Promise<Record<NotificationKind, NotificationMode>> {
  const rows = await ex.select().from(notificationPreferences).where(eq(notificationPreferences.userId, userId));
  const out = Object.fromEntries(KINDS.map((k) => [k, DEFAULT_NOTIFICATION_MODE])) as Record<NotificationKind, NotificationMode>;
  for (const r of rows) if (isNotificationKind(r.kind)) out[r.kind] = r.mode;
  return out;
}

export async function getNotificationMode(ex: Executor, userId: string, kind: NotificationKind): Promise<NotificationMode> {
  const [row] = await ex
    .select({ mode: notificationPreferences.mode })
    .from(notificationPreferences)
    .where(and(eq(notificationPreferences.userId, userId), eq(notificationPreferences.kind, kind)));
  return row?.mode ?? DEFAULT_NOTIFICATION_MODE;
}

/** Sets one kind's mode for the acting user (audited). Unknown kinds or modes are refused. */
export async function setNotificationPreference(db: Db, actor: Actor, kind: string, mode: string): Promise<void> {
  await requireRole(db, actor, 'trader');
  if (!isNotificationKind(kind)) throw invalidInput(`"${kind.slice(0, 40)}" is not a notification kind`, `use one of ${KINDS.join(', ')}`);
  if (!isNotificationMode(mode)) throw invalidInput(`"${mode.slice(0, 40)}" is not a notification mode`, `use one of ${MODES.join(', ')}`);
  await withTransaction(db, async (tx) => {
    const old = await getNotificationMode(tx, actor.userId, kind);
    await tx
      .insert(notificationPreferences)
      .values({ userId: actor.userId, kind, mode })
      .onConflictDoUpdate({ target: [notificationPreferences.userId, notificationPreferences.kind], set: { mode, updatedAt: sql`now()` } });
    await writeAudit(tx, actor, { action: 'notification_preference.set', entityType: 'notification_preference', entityId: `${actor.userId}:${kind}`, oldValue: { mode: old }, newValue: { mode } });
  });
}
