// An audit row as a statement that can run inside a combined write (one round trip for several
// writes). The row is exactly what `writeAudit` (services/audit.ts) writes: same actor mapping, same
// redaction; use `writeAudit` wherever a separate statement is fine.
import type { Executor } from '../../db/client.js';
import { auditLogs } from '../../db/schema/index.js';
import { redact } from '../../log.js';
import type { AuditChange } from '../audit.js';
import type { AuditActor } from './executions.js';

const toJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)));

export function auditRow(actor: AuditActor, change: AuditChange, at?: Date): typeof auditLogs.$inferInsert {
  const isSystem = 'system' in actor;
  return {
    traceId: actor.traceId,
    actorUserId: isSystem ? null : actor.userId,
    actorType: isSystem ? 'system' : actor.apiKeyId ? 'api_key' : actor.surface === 'agent' ? 'agent' : 'user',
    action: change.action,
    entityType: change.entityType,
    entityId: change.entityId,
    oldValue: change.oldValue === undefined ? null : redact(toJson(change.oldValue)),
    newValue: change.newValue === undefined ? null : redact(toJson(change.newValue)),
    metadata: {
      ...(isSystem ? {} : { surface: actor.surface, ...(actor.apiKeyId ? { apiKeyId: actor.apiKeyId } : {}) }),
      ...(change.metadata ? (redact(toJson(change.metadata)) as object) : {}),
    },
    ...(at ? { createdAt: at } : {}),
  };
}

/** The insert of one or more audit rows, unexecuted (embed it in a `with` statement). */
export function auditInsert(ex: Executor, rows: Array<typeof auditLogs.$inferInsert>): ReturnType<ReturnType<Executor['insert']>['values']> {
  return ex.insert(auditLogs).values(rows);
}
