// The ledger in the database. Balances change only here, and only together with the ledger entries
// that explain them (reliability 7): the rows of the assets involved are locked (`FOR UPDATE`, in
// asset order so two writers never deadlock), the domain computes the entries and refuses anything
// that would take a balance below zero, and one statement writes the new balances and the entries
// with their after-values. The database's CHECK constraints back this up.
import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Executor } from '../../db/client.js';
import { balances as balancesTable } from '../../db/schema/index.js';
import { applyEntries, type Balances, type LedgerEntry } from '../../domain/ledger.js';
import { dec, ZERO } from '../../domain/money.js';
import { AppError, ErrorCode } from '../errors.js';
import { MONEY_DP } from './rows.js';

export interface LedgerRef {
  refType: string;
  refId: string;
  traceId: string | null;
  at: Date;
}

/** Locks (creating when missing) the balance rows of `assets` and returns them. */
export async function lockBalances(tx: Executor, portfolioId: string, assets: readonly string[]): Promise<Balances> {
  const wanted = [...new Set(assets)].sort();
  if (wanted.length === 0) return {};
  const read = (): Promise<Array<{ asset: string; free: string; locked: string }>> =>
    queryRows(
      tx,
      sql`select asset, free::text as free, locked::text as locked from balances
          where portfolio_id = ${portfolioId}::uuid and asset in ${wanted} order by asset for update`,
    );
  let rows = await read();
  if (rows.length < wanted.length) {
    const have = new Set(rows.map((r) => r.asset));
    await tx
      .insert(balancesTable)
      .values(wanted.filter((a) => !have.has(a)).map((asset) => ({ portfolioId, asset })))
      .onConflictDoNothing();
    rows = await read();
  }
  const out: Record<string, { asset: string; free: ReturnType<typeof dec>; locked: ReturnType<typeof dec> }> = {};
  for (const r of rows) out[r.asset] = { asset: r.asset, free: dec(r.free), locked: dec(r.locked) };
  for (const a of wanted) out[a] ??= { asset: a, free: ZERO, locked: ZERO };
  return out;
}

/** Thrown when entries would overdraw a balance; `message` is the domain's, with the numbers. */
export function insufficient(message: string, details?: Record<string, unknown>): AppError {
  return new AppError(ErrorCode.rejected, message, 'reduce the size, or free funds by cancelling open orders', { reason: 'insufficient_funds', ...details });
}

/**
 * The ledger write for `entries` on the locked `before` balances, as CTE parts (`ledger_balances`,
 * `ledger_entries_ins`) to run in one statement, possibly with other writes. Refuses (throws) if a
 * balance would go below zero. Every delta must already be exact at 18 decimals.
 */
export function ledgerParts(portfolioId: string, before: Balances, entries: readonly LedgerEntry[], ref: LedgerRef): { parts: SQL[]; after: Balances } {
  const real = entries.filter((e) => !e.freeDelta.isZero() || !e.lockedDelta.isZero());
  if (real.length === 0) return { parts: [], after: before };
  for (const e of real) {
    if (e.freeDelta.decimalPlaces() > MONEY_DP || e.lockedDelta.decimalPlaces() > MONEY_DP) {
      throw new Error(`ledger entry for ${e.asset} has more than ${MONEY_DP} decimals (${e.freeDelta.toFixed()} / ${e.lockedDelta.toFixed()})`);
    }
  }
  const applied = applyEntries(before, real);
  if (!applied.ok) throw insufficient(applied.error.message, applied.error.details);
  const running: Record<string, { free: ReturnType<typeof dec>; locked: ReturnType<typeof dec> }> = {};
  for (const [a, b] of Object.entries(before)) running[a] = { free: b.free, locked: b.locked };
  const at = ref.at.toISOString();
  const entryValues = real.map((e) => {
    const b = running[e.asset] ?? { free: ZERO, locked: ZERO };
    const next = { free: b.free.add(e.freeDelta), locked: b.locked.add(e.lockedDelta) };
    running[e.asset] = next;
    return sql`(${portfolioId}::uuid, ${e.asset}, ${e.freeDelta.toFixed()}::numeric, ${e.lockedDelta.toFixed()}::numeric,
      ${next.free.toFixed()}::numeric, ${next.locked.toFixed()}::numeric, ${e.reason}, ${ref.refType}, ${e.ref ?? ref.refId},
      ${ref.traceId}, ${at}::timestamptz)`;
  });
  const changed = [...new Set(real.map((e) => e.asset))];
  const balanceValues = changed.map((a) => {
    const b = applied.value[a]!;
    return sql`(${a}, ${b.free.toFixed()}::numeric, ${b.locked.toFixed()}::numeric)`;
  });
  return {
    after: applied.value,
    parts: [
      sql`ledger_balances as (
        update balances b set free = v.free, locked = v.locked, updated_at = ${at}::timestamptz
        from (values ${sql.join(balanceValues, sql`, `)}) as v(asset, free, locked)
        where b.portfolio_id = ${portfolioId}::uuid and b.asset = v.asset returning 1)`,
      sql`ledger_entries_ins as (
        insert into ledger_entries (portfolio_id, asset, free_delta, locked_delta, free_after, locked_after, reason, ref_type, ref_id, trace_id, created_at)
        values ${sql.join(entryValues, sql`, `)} returning 1)`,
    ],
  };
}

/** Applies `entries` to the locked `before` balances: balances and ledger rows in one statement. */
export async function commitLedger(tx: Executor, portfolioId: string, before: Balances, entries: readonly LedgerEntry[], ref: LedgerRef): Promise<Balances> {
  const { parts, after } = ledgerParts(portfolioId, before, entries, ref);
  if (parts.length === 0) return after;
  await tx.execute(sql`with ${sql.join(parts, sql`, `)} select 1`);
  return after;
}

/**
 * A guarded ledger write with one entry per asset, as CTE parts: each balance moves by its delta only
 * if it stays at or above zero (the row lock of the UPDATE serialises concurrent writers), and the
 * entry records the amounts after. `checkSql` counts the balances that moved: fewer than the entries
 * means a refusal, and the caller rolls the whole statement back.
 */
export function guardedLedgerParts(portfolioId: string, entries: readonly LedgerEntry[], ref: LedgerRef): { parts: SQL[]; checkSql: SQL; expected: number } {
  const assets = new Set(entries.map((e) => e.asset));
  if (assets.size !== entries.length) throw new Error('guardedLedgerParts takes one entry per asset');
  for (const e of entries) {
    if (e.freeDelta.decimalPlaces() > MONEY_DP || e.lockedDelta.decimalPlaces() > MONEY_DP) throw new Error(`ledger entry for ${e.asset} has more than ${MONEY_DP} decimals`);
  }
  const at = ref.at.toISOString();
  const values = entries.map((e) => sql`(${e.asset}, ${e.freeDelta.toFixed()}::numeric, ${e.lockedDelta.toFixed()}::numeric, ${e.reason}, ${e.ref ?? ref.refId})`);
  return {
    expected: entries.length,
    checkSql: sql`(select count(*) from guarded_balances)`,
    parts: [
      sql`guarded_values as (select * from (values ${sql.join(values, sql`, `)}) as v(asset, df, dl, reason, ref))`,
      sql`guarded_balances as (
        update balances b set free = b.free + v.df, locked = b.locked + v.dl, updated_at = ${at}::timestamptz
        from guarded_values v
        where b.portfolio_id = ${portfolioId}::uuid and b.asset = v.asset and b.free + v.df >= 0 and b.locked + v.dl >= 0
        returning b.asset, b.free, b.locked)`,
      sql`guarded_entries as (
        insert into ledger_entries (portfolio_id, asset, free_delta, locked_delta, free_after, locked_after, reason, ref_type, ref_id, trace_id, created_at)
        select ${portfolioId}::uuid, g.asset, v.df, v.dl, g.free, g.locked, v.reason, ${ref.refType}, v.ref, ${ref.traceId}, ${at}::timestamptz
        from guarded_balances g join guarded_values v on v.asset = g.asset returning 1)`,
    ],
  };
}
