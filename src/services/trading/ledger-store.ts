// The ledger in the database. Balances change only here, and only together with the ledger entries
// that explain them (reliability 7): the rows of the assets involved are locked (`FOR UPDATE`, in
// asset order so two writers never deadlock), the domain computes the entries and refuses anything
// that would take a balance below zero, and one statement writes the new balances and the entries
// with their after-values. The database's CHECK constraints back this up.
import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Executor } from '../../db/client.js';
import { balances as balancesTable } from '../../db/schema/index.js';
import { applyEntries, type Balances, type LedgerEntry } from '../../domain/ledger.js';
import { dec, minDec, ZERO, type Dec } from '../../domain/money.js';
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

/**
 * The ledger write for entries worked out on balances read without a lock (optimistic): the rows of
 * the assets are locked here, in asset order, only for this statement and the commit after it; each
 * balance moves by the sum of its entries' deltas only if no entry would take it below zero on the
 * balance as it is now (the re-check under the lock), and each entry records the amounts after it,
 * from the locked row. `checkSql` counts the balances that moved: fewer than `expected` means the
 * re-check failed (or a balance row does not exist yet), and the caller rolls the statement back and
 * works the change out again under the lock. Entries with no change are left out, as in `ledgerParts`.
 */
export function optimisticLedgerParts(portfolioId: string, entries: readonly LedgerEntry[], ref: LedgerRef): { parts: SQL[]; checkSql: SQL; expected: number } {
  const real = entries.filter((e) => !e.freeDelta.isZero() || !e.lockedDelta.isZero());
  if (real.length === 0) return { parts: [], checkSql: sql`0`, expected: 0 };
  for (const e of real) {
    if (e.freeDelta.decimalPlaces() > MONEY_DP || e.lockedDelta.decimalPlaces() > MONEY_DP) {
      throw new Error(`ledger entry for ${e.asset} has more than ${MONEY_DP} decimals (${e.freeDelta.toFixed()} / ${e.lockedDelta.toFixed()})`);
    }
  }
  // Per asset: the total move and the lowest point the running balance reaches on the way (every
  // intermediate after-value must stay at or above zero, as the entries are recorded one by one).
  const perAsset = new Map<string, { df: Dec; dl: Dec; minF: Dec; minL: Dec }>();
  for (const e of real) {
    const a = perAsset.get(e.asset) ?? { df: ZERO, dl: ZERO, minF: ZERO, minL: ZERO };
    const df = a.df.add(e.freeDelta);
    const dl = a.dl.add(e.lockedDelta);
    perAsset.set(e.asset, { df, dl, minF: minDec(a.minF, df), minL: minDec(a.minL, dl) });
  }
  // Each entry's after-value is the new balance less what the entries after it (same asset) moved.
  const rest = new Map<string, { f: Dec; l: Dec }>();
  const entryValues: SQL[] = [];
  for (let i = real.length - 1; i >= 0; i--) {
    const e = real[i]!;
    const r = rest.get(e.asset) ?? { f: ZERO, l: ZERO };
    entryValues.unshift(
      sql`(${i}::int, ${e.asset}, ${e.freeDelta.toFixed()}::numeric, ${e.lockedDelta.toFixed()}::numeric, ${r.f.toFixed()}::numeric, ${r.l.toFixed()}::numeric, ${e.reason}, ${e.ref ?? ref.refId})`,
    );
    rest.set(e.asset, { f: r.f.add(e.freeDelta), l: r.l.add(e.lockedDelta) });
  }
  const assets = [...perAsset.keys()].sort();
  const moves = assets.map((a) => {
    const m = perAsset.get(a)!;
    return sql`(${a}, ${m.df.toFixed()}::numeric, ${m.dl.toFixed()}::numeric, ${m.minF.toFixed()}::numeric, ${m.minL.toFixed()}::numeric)`;
  });
  const at = ref.at.toISOString();
  return {
    expected: assets.length,
    checkSql: sql`(select count(*) from opt_balances)`,
    parts: [
      sql`opt_locked as (select asset from balances where portfolio_id = ${portfolioId}::uuid and asset in ${assets} order by asset for update)`,
      sql`opt_balances as (
        update balances b set free = b.free + v.df, locked = b.locked + v.dl, updated_at = ${at}::timestamptz
        from (values ${sql.join(moves, sql`, `)}) as v(asset, df, dl, min_f, min_l)
        where b.portfolio_id = ${portfolioId}::uuid and b.asset = v.asset and b.asset in (select asset from opt_locked)
          and b.free + v.min_f >= 0 and b.locked + v.min_l >= 0
        returning b.asset, b.free, b.locked)`,
      sql`opt_entries as (
        insert into ledger_entries (portfolio_id, asset, free_delta, locked_delta, free_after, locked_after, reason, ref_type, ref_id, trace_id, created_at)
        select ${portfolioId}::uuid, e.asset, e.df, e.dl, g.free - e.rest_f, g.locked - e.rest_l, e.reason, ${ref.refType}, e.ref, ${ref.traceId}, ${at}::timestamptz
        from (values ${sql.join(entryValues, sql`, `)}) as e(ord, asset, df, dl, rest_f, rest_l, reason, ref)
        join opt_balances g on g.asset = e.asset order by e.ord returning 1)`,
    ],
  };
}
