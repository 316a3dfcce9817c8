// Retention of the time-series tables. With TimescaleDB the migrator adds a retention policy per
// table and the database drops old chunks itself. Without it, `runRetention` deletes rows older than
// each table's retention (TIME_SERIES_TABLES), in bounded batches so a large first run does not
// hold long locks, and `RetentionJob` runs it on a schedule.
import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { queryRows } from '../../db/client.js';
import { TIME_SERIES_TABLES, type TimeSeriesTable } from '../../db/schema/time-series.js';
import type { Logger } from '../../log.js';

const DAY_MS = 86_400_000;

/** "730 days" → milliseconds. Only day and hour units are used in TIME_SERIES_TABLES. */
export function retentionMs(interval: string): number {
  const m = /^\s*(\d+)\s*(day|days|hour|hours)\s*$/i.exec(interval);
  if (!m) throw new RangeError(`cannot read retention interval "${interval}"; write it as "N days"`);
  const n = Number(m[1]);
  return m[2]!.toLowerCase().startsWith('day') ? n * DAY_MS : n * 3_600_000;
}

export interface RetentionOutcome {
  table: string;
  cutoff: Date;
  deleted: number;
}

export interface RetentionOptions {
  tables?: readonly TimeSeriesTable[];
  /** Rows per DELETE statement. Default 50 000. */
  batchSize?: number;
}

/** Deletes rows older than each table's retention as of `now`. Returns what went per table. */
export async function runRetention(database: Database, now: Date, opts: RetentionOptions = {}): Promise<RetentionOutcome[]> {
  const tables = opts.tables ?? TIME_SERIES_TABLES;
  const batch = opts.batchSize ?? 50_000;
  const out: RetentionOutcome[] = [];
  for (const t of tables) {
    if (!t.retention) continue;
    const cutoff = new Date(now.getTime() - retentionMs(t.retention));
    let deleted = 0;
    for (;;) {
      // Table and column names come from the constant list above, never from input.
      const rows = await queryRows<{ n: number }>(
        database.db,
        sql`WITH doomed AS (
              SELECT ctid FROM ${sql.identifier(t.table)} WHERE ${sql.identifier(t.timeColumn)} < ${cutoff} LIMIT ${batch}
            ), gone AS (
              DELETE FROM ${sql.identifier(t.table)} WHERE ctid IN (SELECT ctid FROM doomed) RETURNING 1
            )
            SELECT count(*)::int AS n FROM gone`,
      );
      const n = Number(rows[0]?.n ?? 0);
      deleted += n;
      if (n < batch) break;
    }
    out.push({ table: t.table, cutoff, deleted });
  }
  return out;
}

export interface RetentionJobOptions {
  database: Database;
  /** True when TimescaleDB policies do the work (the job then does nothing). */
  timescale: boolean;
  now: () => Date;
  logger?: Logger;
  /** Default every 6 hours; the first run 1 minute after start. */
  intervalMs?: number;
  firstRunAfterMs?: number;
}

/** Runs `runRetention` periodically (unref'd timers: it never keeps a process alive). */
export class RetentionJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(private readonly opts: RetentionJobOptions) {}

  start(): void {
    if (this.opts.timescale || this.timer) return;
    const schedule = (ms: number): void => {
      this.timer = setTimeout(() => {
        this.running = this.runOnce().finally(() => {
          this.running = undefined;
          if (this.timer) schedule(this.opts.intervalMs ?? 6 * 3_600_000);
        });
      }, ms);
      this.timer.unref();
    };
    schedule(this.opts.firstRunAfterMs ?? 60_000);
  }

  async runOnce(): Promise<RetentionOutcome[]> {
    if (this.opts.timescale) return [];
    try {
      const outcomes = await runRetention(this.opts.database, this.opts.now());
      const deleted = outcomes.filter((o) => o.deleted > 0);
      if (deleted.length > 0) this.opts.logger?.info('retention deleted old rows', { tables: Object.fromEntries(deleted.map((o) => [o.table, o.deleted])) });
      return outcomes;
    } catch (err) {
      this.opts.logger?.warn('retention run failed; will try again at the next interval', { error: err });
      return [];
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
