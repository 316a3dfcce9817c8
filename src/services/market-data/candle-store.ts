// The candle store: OHLCV bars keyed by (symbol, exchange, timeframe, open_time), written through a
// fast, idempotent ingest path and read back as decimals.
//
// Idempotence. A bar is stored once per open time. A bar that was still forming when stored has
// `close_time` NULL; a complete bar has `close_time = open_time + timeframe`. Re-ingest is
// `ON CONFLICT … DO UPDATE … WHERE candles.close_time IS NULL`: complete bars are never rewritten
// (no dead tuples on a re-run), forming bars are refreshed until they close.
//
// Fast path.
//   Postgres, large batches: COPY (pg-copy-streams, text format, formatted while the server loads
//     the previous chunk). Bars outside the span already stored for their series cannot conflict and
//     are COPied straight into `candles` (measured close to raw COPY); bars inside it are merged:
//     COPY into a session temp table and one `INSERT … SELECT … ON CONFLICT` (a few times slower, so
//     only the overlap pays for it). A concurrent writer that got there first (unique violation)
//     sends the whole batch through the merge.
//   Postgres small batches and PGlite: multi-row INSERT from `unnest` of one array per column, so a
//     statement carries 12 parameters whatever its size (no 65 535-parameter limit), 5 000 rows each.
// Every ingest call is one transaction: a failing batch stores nothing.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { and, asc, desc, eq, gte, lte, sql, type SQL } from 'drizzle-orm';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Database } from '../../db/client.js';
import { queryRows } from '../../db/client.js';
import { candles as candlesTable } from '../../db/schema/index.js';
import { sqlState } from '../../db/tx.js';
import { D, type Dec } from '../../domain/money.js';
import { TIMEFRAME_MS, type Candle, type Timeframe } from '../../domain/ports.js';
import { isTimeframe } from './timeframes.js';

export interface CandleKey {
  symbol: string;
  exchange: string;
  timeframe: Timeframe;
}

/** A stored candle; `complete` is false while the bar was still forming when last written. */
export interface StoredCandle extends Candle {
  complete: boolean;
}

export const IngestPath = { copy: 'copy', copyMerge: 'copy-merge', insert: 'insert', none: 'none' } as const;
export type IngestPath = (typeof IngestPath)[keyof typeof IngestPath];

export interface IngestResult {
  /** Candles handed in. */
  received: number;
  /** Rows inserted or refreshed (a forming bar updated counts; an existing complete bar does not). */
  written: number;
  /** Candles refused as impossible (high < low, negative volume, non-finite …). */
  skipped: number;
  path: IngestPath;
}

export interface CandleStoreOptions {
  /** Batches up to this size use the INSERT path on Postgres too. Default 5 000. */
  copyThreshold?: number;
  /** Rows per INSERT statement. Default 5 000. */
  insertChunk?: number;
}

const COLUMNS = ['symbol', 'exchange', 'timeframe', 'open_time', 'close_time', 'open', 'high', 'low', 'close', 'volume', 'vwap', 'trade_count'] as const;
const COLUMN_LIST = `(${COLUMNS.join(', ')})`;
const TEMP_TABLE = 'mikey_candle_ingest';
const CONFLICT = `ON CONFLICT (symbol, exchange, timeframe, open_time) DO UPDATE SET
  close_time = excluded.close_time, open = excluded.open, high = excluded.high, low = excluded.low,
  close = excluded.close, volume = excluded.volume, vwap = excluded.vwap, trade_count = excluded.trade_count
  WHERE candles.close_time IS NULL`;
const UNNEST_INSERT = `INSERT INTO candles ${COLUMN_LIST}
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::numeric[],
    $7::numeric[], $8::numeric[], $9::numeric[], $10::numeric[], $11::numeric[], $12::int[])
  ${CONFLICT}`;
const MERGE_FROM_TEMP = `INSERT INTO candles ${COLUMN_LIST} SELECT ${COLUMNS.join(', ')} FROM ${TEMP_TABLE} ${CONFLICT}`;
const CREATE_TEMP = `CREATE TEMP TABLE IF NOT EXISTS ${TEMP_TABLE} (symbol text, exchange text, timeframe text,
  open_time timestamptz, close_time timestamptz, open numeric, high numeric, low numeric, close numeric,
  volume numeric, vwap numeric, trade_count integer) ON COMMIT DELETE ROWS`;

/** Names we write into COPY text unescaped: no tab, newline or backslash can occur. */
const SAFE_NAME = /^[A-Za-z0-9/:._ -]{1,64}$/;
const MAX_INT = 2_147_483_647;
const COPY_CHUNK_ROWS = 500;
const DAY_MS = 86_400_000;

/** Positive (or, with `allowZero`, non-negative) and below 1e20: fits numeric(38, 18). */
function plausible(d: Dec | undefined, allowZero: boolean): boolean {
  // `e` is the decimal exponent of the leading digit; `d` is null for NaN and ±Infinity.
  return d !== undefined && d.isFinite() && d.s === 1 && d.e < 20 && (allowZero || !d.isZero());
}

const safeNames = new Map<string, boolean>();
function safeName(name: string): boolean {
  let ok = safeNames.get(name);
  if (ok === undefined) {
    ok = SAFE_NAME.test(name);
    if (safeNames.size < 10_000) safeNames.set(name, ok);
  }
  return ok;
}

/** False when the candle is impossible (it would fail the table's checks or types). */
function writable(c: Candle): boolean {
  return (
    Number.isFinite(c.openTime.getTime()) &&
    isTimeframe(c.timeframe) &&
    safeName(c.symbol) &&
    safeName(c.exchange) &&
    plausible(c.open, false) &&
    plausible(c.high, false) &&
    plausible(c.low, false) &&
    plausible(c.close, false) &&
    plausible(c.volume, true) &&
    c.high.gte(c.low)
  );
}

let cachedDay = Number.NaN;
let cachedDayText = '';
const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** ISO-8601 UTC text of an instant (what `toISOString` gives, a few times faster for runs of bars). */
function isoUtc(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  if (day !== cachedDay || !cachedDayText) {
    cachedDay = day;
    cachedDayText = new Date(day * DAY_MS).toISOString().slice(0, 11);
  }
  let rest = ms - day * DAY_MS;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const sec = Math.floor(rest / 1000);
  const milli = rest - sec * 1000;
  const frac = milli === 0 ? '' : `.${String(milli).padStart(3, '0')}`;
  return `${cachedDayText}${pad2(h)}:${pad2(m)}:${pad2(sec)}${frac}Z`;
}

/** close_time: the end of the bar when it has ended by `nowMs`, else null (still forming). */
function closeTimeOf(c: Candle, nowMs: number): number | null {
  const close = c.openTime.getTime() + TIMEFRAME_MS[c.timeframe];
  return close <= nowMs ? close : null;
}

function tradeCountOf(c: Candle): number | null {
  const n = c.tradeCount;
  return n !== undefined && Number.isInteger(n) && n >= 0 && n <= MAX_INT ? n : null;
}

function vwapOf(c: Candle): string | null {
  return c.vwap && plausible(c.vwap, false) ? c.vwap.toFixed() : null;
}

function copyLine(c: Candle, nowMs: number): string {
  const open = c.openTime.getTime();
  const close = closeTimeOf(c, nowMs);
  const tc = tradeCountOf(c);
  return `${c.symbol}\t${c.exchange}\t${c.timeframe}\t${isoUtc(open)}\t${close === null ? '\\N' : isoUtc(close)}\t${c.open.toFixed()}\t${c.high.toFixed()}\t${c.low.toFixed()}\t${c.close.toFixed()}\t${c.volume.toFixed()}\t${vwapOf(c) ?? '\\N'}\t${tc === null ? '\\N' : tc}\n`;
}

function unnestParams(rows: readonly Candle[], nowMs: number): unknown[] {
  const cols: unknown[][] = Array.from({ length: 12 }, () => new Array<unknown>(rows.length));
  rows.forEach((c, i) => {
    const close = closeTimeOf(c, nowMs);
    cols[0]![i] = c.symbol;
    cols[1]![i] = c.exchange;
    cols[2]![i] = c.timeframe;
    cols[3]![i] = isoUtc(c.openTime.getTime());
    cols[4]![i] = close === null ? null : isoUtc(close);
    cols[5]![i] = c.open.toFixed();
    cols[6]![i] = c.high.toFixed();
    cols[7]![i] = c.low.toFixed();
    cols[8]![i] = c.close.toFixed();
    cols[9]![i] = c.volume.toFixed();
    cols[10]![i] = vwapOf(c);
    cols[11]![i] = tradeCountOf(c);
  });
  return cols;
}

const seriesOf = (c: Candle): string => `${c.symbol}|${c.exchange}|${c.timeframe}`;

/**
 * The writable candles, one per (series, open time) — the last one wins — and how many were refused.
 * The common case (each series in ascending time order) needs no map.
 */
function prepare(candles: readonly Candle[]): { rows: Candle[]; skipped: number } {
  const rows: Candle[] = [];
  let skipped = 0;
  let ordered = true;
  const lastTime = new Map<string, number>();
  let prev: Candle | undefined;
  let prevSeriesLast = Number.NEGATIVE_INFINITY;
  for (const c of candles) {
    if (!writable(c)) {
      skipped++;
      continue;
    }
    const t = c.openTime.getTime();
    if (ordered) {
      if (prev && prev.symbol === c.symbol && prev.exchange === c.exchange && prev.timeframe === c.timeframe) {
        if (t <= prevSeriesLast) ordered = false;
      } else {
        if (prev) lastTime.set(seriesOf(prev), prevSeriesLast);
        const seen = lastTime.get(seriesOf(c));
        if (seen !== undefined && t <= seen) ordered = false;
      }
      prevSeriesLast = t;
      prev = c;
    }
    rows.push(c);
  }
  if (ordered) return { rows, skipped };
  const byKey = new Map<string, Candle>();
  for (const c of rows) byKey.set(`${seriesOf(c)}|${c.openTime.getTime()}`, c);
  return { rows: [...byKey.values()], skipped };
}

type CandleRow = typeof candlesTable.$inferSelect;

function fromRow(r: CandleRow): StoredCandle {
  const c: StoredCandle = {
    symbol: r.symbol,
    exchange: r.exchange,
    timeframe: r.timeframe as Timeframe,
    openTime: r.openTime,
    open: new D(r.open),
    high: new D(r.high),
    low: new D(r.low),
    close: new D(r.close),
    volume: new D(r.volume),
    complete: r.closeTime !== null,
  };
  if (r.vwap !== null) c.vwap = new D(r.vwap);
  if (r.tradeCount !== null) c.tradeCount = r.tradeCount;
  return c;
}

export class CandleStore {
  private readonly copyThreshold: number;
  private readonly insertChunk: number;

  constructor(
    private readonly database: Database,
    opts: CandleStoreOptions = {},
  ) {
    this.copyThreshold = opts.copyThreshold ?? 5_000;
    this.insertChunk = opts.insertChunk ?? 5_000;
  }

  /**
   * Stores `candles` in one transaction. Bars whose period has ended by `now` are stored complete;
   * the others as forming (refreshed by later ingests). Duplicates within the batch: the last wins.
   */
  async ingest(candles: readonly Candle[], opts: { now: Date }): Promise<IngestResult> {
    const nowMs = opts.now.getTime();
    const { rows, skipped } = prepare(candles);
    const base = { received: candles.length, skipped };
    if (rows.length === 0) return { ...base, written: 0, path: 'none' };
    if (this.database.kind === 'postgres' && rows.length > this.copyThreshold) {
      const { written, path } = await this.ingestWithCopy(rows, nowMs);
      return { ...base, written, path };
    }
    return { ...base, written: await this.ingestWithInsert(rows, nowMs), path: 'insert' };
  }

  /** Stored candles with open time in [from, to], oldest first, at most `limit` (the oldest ones). */
  async range(key: CandleKey, from: Date, to: Date, limit = 10_000): Promise<StoredCandle[]> {
    const rows = await this.database.db
      .select()
      .from(candlesTable)
      .where(and(this.keyFilter(key), gte(candlesTable.openTime, from), lte(candlesTable.openTime, to)))
      .orderBy(asc(candlesTable.openTime))
      .limit(limit);
    return rows.map(fromRow);
  }

  /** The newest `limit` stored candles at or before `to`, oldest first. */
  async latest(key: CandleKey, limit: number, to?: Date): Promise<StoredCandle[]> {
    const rows = await this.database.db
      .select()
      .from(candlesTable)
      .where(to ? and(this.keyFilter(key), lte(candlesTable.openTime, to)) : this.keyFilter(key))
      .orderBy(desc(candlesTable.openTime))
      .limit(limit);
    return rows.map(fromRow).reverse();
  }

  async count(key: CandleKey, from?: Date, to?: Date): Promise<number> {
    const conds: SQL[] = [this.keyFilter(key)];
    if (from) conds.push(gte(candlesTable.openTime, from));
    if (to) conds.push(lte(candlesTable.openTime, to));
    const [row] = await this.database.db
      .select({ n: sql<number>`count(*)::int` })
      .from(candlesTable)
      .where(and(...conds));
    return row?.n ?? 0;
  }

  /**
   * Where filling from `from` should start: `from` itself when nothing is stored at or after it, or
   * when the stored run starts later; otherwise just after the first hole in the stored run, or the
   * newest stored bar (again, when it was stored while forming; the next one when it is complete).
   */
  async resumePoint(key: CandleKey, from: Date): Promise<Date> {
    const tf = TIMEFRAME_MS[key.timeframe];
    const [first] = await this.database.db
      .select({ openTime: candlesTable.openTime })
      .from(candlesTable)
      .where(and(this.keyFilter(key), gte(candlesTable.openTime, from)))
      .orderBy(asc(candlesTable.openTime))
      .limit(1);
    if (!first || first.openTime.getTime() >= from.getTime() + tf) return from;
    const gap = await queryRows<{ open_time: Date | string }>(
      this.database.db,
      sql`SELECT open_time FROM (
            SELECT open_time, lead(open_time) OVER (ORDER BY open_time) AS next_open
            FROM candles
            WHERE symbol = ${key.symbol} AND exchange = ${key.exchange} AND timeframe = ${key.timeframe} AND open_time >= ${from}
          ) s
          WHERE next_open > open_time + make_interval(secs => ${tf / 1000})
          ORDER BY open_time LIMIT 1`,
    );
    if (gap[0]) return new Date(new Date(gap[0].open_time).getTime() + tf);
    const [newest] = await this.database.db
      .select({ openTime: candlesTable.openTime, closeTime: candlesTable.closeTime })
      .from(candlesTable)
      .where(and(this.keyFilter(key), gte(candlesTable.openTime, from)))
      .orderBy(desc(candlesTable.openTime))
      .limit(1);
    if (!newest) return from;
    return newest.closeTime === null ? newest.openTime : new Date(newest.openTime.getTime() + tf);
  }

  private keyFilter(key: CandleKey): SQL {
    return and(eq(candlesTable.symbol, key.symbol), eq(candlesTable.exchange, key.exchange), eq(candlesTable.timeframe, key.timeframe))!;
  }

  private async ingestWithInsert(rows: readonly Candle[], nowMs: number): Promise<number> {
    const chunks: Candle[][] = [];
    for (let i = 0; i < rows.length; i += this.insertChunk) chunks.push(rows.slice(i, i + this.insertChunk));
    if (this.database.kind === 'pglite') {
      const pgl = this.database.pglite!;
      if (chunks.length === 1) return (await pgl.query(UNNEST_INSERT, unnestParams(chunks[0]!, nowMs))).affectedRows ?? 0;
      return pgl.transaction(async (tx) => {
        let written = 0;
        for (const chunk of chunks) written += (await tx.query(UNNEST_INSERT, unnestParams(chunk, nowMs))).affectedRows ?? 0;
        return written;
      });
    }
    const pool = this.database.pool!;
    if (chunks.length === 1) return (await pool.query(UNNEST_INSERT, unnestParams(chunks[0]!, nowMs))).rowCount ?? 0;
    return this.inTransaction(async (client) => {
      let written = 0;
      for (const chunk of chunks) written += (await client.query(UNNEST_INSERT, unnestParams(chunk, nowMs))).rowCount ?? 0;
      return written;
    });
  }

  /**
   * Postgres, large batches. Bars outside the span already stored for their series cannot conflict
   * and are COPied straight into `candles`; bars inside it go through the merge (a temp table and
   * INSERT … ON CONFLICT, or one INSERT when few). A concurrent writer that stores some of the
   * "fresh" bars first makes the direct COPY fail on the unique key: the batch is then redone
   * entirely through the merge.
   */
  private async ingestWithCopy(rows: readonly Candle[], nowMs: number): Promise<{ written: number; path: IngestPath }> {
    const client = await this.database.pool!.connect();
    try {
      await client.query('BEGIN');
      const { fresh, overlapping } = await this.split(client, rows);
      try {
        if (fresh.length > 0) await copyRows(client, 'candles', fresh, nowMs);
        const merged = overlapping.length > 0 ? await this.merge(client, overlapping, nowMs) : 0;
        await client.query('COMMIT');
        return { written: fresh.length + merged, path: overlapping.length > 0 ? 'copy-merge' : 'copy' };
      } catch (err) {
        if (sqlState(err) !== '23505') throw err;
        await client.query('ROLLBACK');
        await client.query('BEGIN');
      }
      const merged = await this.merge(client, rows, nowMs);
      await client.query('COMMIT');
      return { written: merged, path: 'copy-merge' };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  private async merge(client: pg.PoolClient, rows: readonly Candle[], nowMs: number): Promise<number> {
    if (rows.length <= this.insertChunk) return (await client.query(UNNEST_INSERT, unnestParams(rows, nowMs))).rowCount ?? 0;
    await client.query(CREATE_TEMP);
    await copyRows(client, TEMP_TABLE, rows, nowMs);
    return (await client.query(MERGE_FROM_TEMP)).rowCount ?? 0;
  }

  /** Splits the batch by whether each bar falls inside the span its series already has stored. */
  private async split(client: pg.PoolClient, rows: readonly Candle[]): Promise<{ fresh: readonly Candle[]; overlapping: Candle[] }> {
    interface Series { c: Candle; min: number; max: number; stored?: { min: number; max: number } }
    const ranges = new Map<string, Series>();
    // Runs of one series are the common case: look the series up once per run, not once per bar.
    const seriesAt: Series[] = new Array<Series>(rows.length);
    let current: Series | undefined;
    for (let i = 0; i < rows.length; i++) {
      const c = rows[i]!;
      if (!current || current.c.symbol !== c.symbol || current.c.exchange !== c.exchange || current.c.timeframe !== c.timeframe) {
        const k = seriesOf(c);
        current = ranges.get(k);
        if (!current) {
          current = { c, min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY };
          ranges.set(k, current);
        }
      }
      const t = c.openTime.getTime();
      if (t < current.min) current.min = t;
      if (t > current.max) current.max = t;
      seriesAt[i] = current;
    }
    let anyStored = false;
    for (const g of ranges.values()) {
      const r = await client.query<{ lo: Date | null; hi: Date | null }>(
        'SELECT min(open_time) AS lo, max(open_time) AS hi FROM candles WHERE symbol = $1 AND exchange = $2 AND timeframe = $3 AND open_time BETWEEN $4 AND $5',
        [g.c.symbol, g.c.exchange, g.c.timeframe, new Date(g.min), new Date(g.max)],
      );
      const { lo, hi } = r.rows[0] ?? { lo: null, hi: null };
      if (lo && hi) {
        g.stored = { min: new Date(lo).getTime(), max: new Date(hi).getTime() };
        anyStored = true;
      }
    }
    if (!anyStored) return { fresh: rows, overlapping: [] };
    const fresh: Candle[] = [];
    const overlapping: Candle[] = [];
    for (let i = 0; i < rows.length; i++) {
      const c = rows[i]!;
      const stored = seriesAt[i]!.stored;
      const t = c.openTime.getTime();
      if (stored && t >= stored.min && t <= stored.max) overlapping.push(c);
      else fresh.push(c);
    }
    return { fresh, overlapping };
  }

  private async inTransaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.database.pool!.connect();
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }
}

/**
 * Streams rows as COPY text, 500 rows per chunk, each chunk formatted when the connection asks for
 * more (so the server loads one chunk while the next is formatted) and handed over as a Buffer:
 * small chunks outside the JS heap keep garbage collection cheap while millions of candles are alive.
 */
async function copyRows(client: pg.PoolClient, table: string, rows: readonly Candle[], nowMs: number): Promise<void> {
  const stream = client.query(copyFrom(`COPY ${table} ${COLUMN_LIST} FROM STDIN`));
  function* chunks(): Generator<Buffer> {
    for (let i = 0; i < rows.length; i += COPY_CHUNK_ROWS) {
      let text = '';
      const end = Math.min(rows.length, i + COPY_CHUNK_ROWS);
      for (let j = i; j < end; j++) text += copyLine(rows[j]!, nowMs);
      yield Buffer.from(text, 'latin1');
    }
  }
  await pipeline(Readable.from(chunks(), { objectMode: false, highWaterMark: 256 * 1024 }), stream);
}
