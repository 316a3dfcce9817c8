// Row-level security scopes (drizzle/0010_row_level_security.sql). Every user-owned table has a
// policy that, while a transaction names an acting user, lets it see and write only that user's rows:
// a query in the scope that forgets its user_id filter still returns the user's own rows and nothing
// else. Outside a scope (system jobs, sweeps, migrations) every row stays visible.
import { sql } from 'drizzle-orm';
import type { Db, Tx } from './client.js';
import { withTransaction } from './tx.js';

/** The role a scoped transaction runs as when the login itself would bypass row-level security. */
export const ACTING_ROLE = 'mikey_acting_user';

/**
 * Runs `fn` in a transaction whose rows are limited to `userId`'s: the setting `mikey.user_id` and,
 * for a login that bypasses RLS (a superuser such as `postgres`, as on PGlite and in CI), the role
 * `mikey_acting_user`. Both are set with `is_local`, so they end with the transaction (commit or
 * rollback) and the pooled connection goes back to the pool as it came. A login subject to RLS (a
 * table owner, where the tables force it) keeps its role: the policies apply to it already.
 * Retries on serialization failure like `withTransaction`, so `fn` must be safe to run again.
 */
export async function withActingUser<T>(db: Db, userId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  if (!UUID.test(userId)) throw new TypeError('withActingUser needs the acting user\'s id (a uuid)');
  return withTransaction(db, async (tx) => {
    await tx.execute(sql`select set_config('mikey.user_id', ${userId}, true),
      set_config('role', case when (select r.rolsuper or r.rolbypassrls from pg_roles r where r.rolname = current_user) then ${ACTING_ROLE} else 'none' end, true)`);
    return fn(tx);
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
