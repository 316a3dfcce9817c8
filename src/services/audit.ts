// The audit log: every state change writes one row (actor, action, entity, old/new value, trace id)
// in the same transaction as the change, so the trail can never disagree with the data.
import { and, asc, eq } from 'drizzle-orm';
import type { Executor } from '../db/client.js';
import { auditLogs } from '../db/schema/index.js';
import { redact } from '../log.js';
import type { Actor } from './actor.js';

export interface AuditChange {
  action: string;
  entityType: string;
  entityId: string;
  oldValue?: unknown;
  newValue?: unknown;
  metadata?: Record<string, unknown>;
}

/** Records a change. Values pass through the log redactor: no secret is ever stored in the trail. */
export async function writeAudit(ex: Executor, actor: Actor | { system: true; traceId: string }, change: AuditChange): Promise<void> {
  const isSystem = 'system' in actor;
  await ex.insert(auditLogs).values({
    traceId: actor.traceId,
    actorUserId: isSystem ? null : actor.userId,
    actorType: isSystem ? 'system' : actor.apiKeyId ? 'api_key' : actor.surface === 'agent' ? 'agent' : 'user',
    action: change.action,
    entityType: change.entityType,
    entityId: change.entityId,
    oldValue: change.oldValue === undefined ? null : (redact(toJson(change.oldValue))),
    newValue: change.newValue === undefined ? null : (redact(toJson(change.newValue))),
    metadata: {
      ...(isSystem ? {} : { surface: actor.surface, ...(actor.apiKeyId ? { apiKeyId: actor.apiKeyId } : {}) }),
      ...(change.metadata ? (redact(toJson(change.metadata)) as object) : {}),
    },
  });
}

/** Decimals, Dates and bigints become JSON-safe strings. */
function toJson(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)));
}

export type AuditRow = typeof auditLogs.$inferSelect;

/** The trail of one entity, oldest first. */
export async function auditTrail(ex: Executor, entityType: string, entityId: string): Promise<AuditRow[]> {
  return ex
    .select()
    .from(auditLogs)
    .where(and(eq(auditLogs.entityType, entityType), eq(auditLogs.entityId, entityId)))
    .orderBy(asc(auditLogs.createdAt), asc(auditLogs.id));
}

/** Every row of one trace (one request), oldest first. */
export async function auditByTrace(ex: Executor, traceId: string): Promise<AuditRow[]> {
  return ex.select().from(auditLogs).where(eq(auditLogs.traceId, traceId)).orderBy(asc(auditLogs.createdAt), asc(auditLogs.id));
}
