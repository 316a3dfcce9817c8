// Candle backfill: pages through a source from `since` to now, storing each page in its own
// transaction. Resumable: it starts where the stored run from `since` ends (after its first hole,
// or at the newest stored bar), so a run stopped by a failure or Ctrl-C continues without
// duplicates or gaps. A page that fails to load stores nothing; transient failures (network, rate
// limit) are retried with backoff before giving up.
import type { Candle, Clock, MarketDataSource, Timeframe } from '../../domain/ports.js';
import { TIMEFRAME_MS } from '../../domain/ports.js';
import { AppError } from '../errors.js';
import type { CandleKey, CandleStore } from './candle-store.js';
import { isTransientMarketError, toMarketError } from './source-errors.js';
import { alignOpenTime, alignOpenTimeUp } from './timeframes.js';

export interface BackfillProgress {
  symbol: string;
  timeframe: Timeframe;
  from: Date;
  to: Date;
  /** Open time the next page starts at. */
  cursor: Date;
  /** Candles received from the source so far in this run. */
  fetched: number;
  /** Rows inserted (or forming bars refreshed) so far in this run. */
  written: number;
  pages: number;
  /** 0–100 over the whole range from `since`. */
  percent: number;
  /** Candles per second over this run. */
  rate: number;
  /** Estimated milliseconds left, when a rate is known. */
  etaMs: number | null;
  done: boolean;
}

export interface BackfillResult {
  symbol: string;
  exchange: string;
  timeframe: Timeframe;
  simulated: boolean;
  from: Date;
  to: Date;
  /** Where this run started (later than `from` when it resumed). */
  resumedFrom: Date;
  fetched: number;
  written: number;
  pages: number;
  durationMs: number;
}

export interface BackfillRunOptions {
  onProgress?: (p: BackfillProgress) => void;
  signal?: AbortSignal;
  /** Candles per source request (at most 1 000). */
  pageSize?: number;
  /** Retries of a transient page failure. Default 3. */
  maxRetries?: number;
  /** Waits between retries (tests replace it). */
  sleep?: (ms: number) => Promise<void>;
}

export interface BackfillDeps {
  store: CandleStore;
  source: MarketDataSource;
  exchange: string;
  simulated: boolean;
  clock: Clock;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runBackfill(
  deps: BackfillDeps,
  req: { symbol: string; timeframe: Timeframe; since: Date },
  opts: BackfillRunOptions = {},
): Promise<BackfillResult> {
  const { store, source, clock } = deps;
  const tf = TIMEFRAME_MS[req.timeframe];
  const key: CandleKey = { symbol: req.symbol, exchange: deps.exchange, timeframe: req.timeframe };
  const pageSize = Math.min(Math.max(Math.floor(opts.pageSize ?? 1_000), 1), 1_000);
  const maxRetries = opts.maxRetries ?? 3;
  const sleep = opts.sleep ?? defaultSleep;
  const started = performance.now();
  const first = new Date(alignOpenTimeUp(req.since.getTime(), req.timeframe));
  const endMs = alignOpenTime(clock.now().getTime(), req.timeframe);
  const to = new Date(endMs);
  const span = Math.max(1, endMs - first.getTime() + tf);

  let cursor = (await store.resumePoint(key, first)).getTime();
  const resumedFrom = new Date(cursor);
  let fetched = 0;
  let written = 0;
  let pages = 0;
  const report = (done: boolean): void => {
    if (!opts.onProgress) return;
    const elapsed = (performance.now() - started) / 1000;
    const rate = elapsed > 0 ? fetched / elapsed : 0;
    const remaining = Math.max(0, (endMs - cursor) / tf + 1);
    opts.onProgress({
      symbol: req.symbol,
      timeframe: req.timeframe,
      from: first,
      to,
      cursor: new Date(cursor),
      fetched,
      written,
      pages,
      percent: done ? 100 : Math.min(100, Math.max(0, ((cursor - first.getTime()) / span) * 100)),
      rate,
      etaMs: done ? 0 : rate > 0 ? (remaining / rate) * 1000 : null,
      done,
    });
  };
  report(false);

  while (cursor <= endMs) {
    if (opts.signal?.aborted) throw stopped(req, cursor, written, 'stopped by request');
    const from = cursor;
    let page: Candle[] | undefined;
    for (let attempt = 0; page === undefined; attempt++) {
      try {
        page = await source.getCandles(req.symbol, req.timeframe, { since: new Date(from), limit: pageSize });
      } catch (err) {
        if (attempt < maxRetries && isTransientMarketError(err)) {
          await sleep(1_000 * 2 ** attempt);
          continue;
        }
        const e = toMarketError(err, `load ${req.timeframe} candles for ${req.symbol}`);
        throw stopped(req, from, written, e.message, e);
      }
    }
    const usable = page.filter((c) => c.openTime.getTime() >= from && c.openTime.getTime() <= endMs);
    if (usable.length === 0) break; // the source has nothing from here on
    const result = await store.ingest(usable, { now: clock.now() });
    fetched += usable.length;
    written += result.written;
    pages++;
    cursor = usable[usable.length - 1]!.openTime.getTime() + tf;
    // Already-stored bars in this page: jump over the stored run instead of paging through it.
    if (result.written < usable.length && cursor <= endMs) cursor = Math.max(cursor, (await store.resumePoint(key, new Date(cursor))).getTime());
    report(false);
  }
  report(true);
  return {
    symbol: req.symbol,
    exchange: deps.exchange,
    timeframe: req.timeframe,
    simulated: deps.simulated,
    from: first,
    to,
    resumedFrom,
    fetched,
    written,
    pages,
    durationMs: performance.now() - started,
  };
}

function stopped(req: { symbol: string; timeframe: Timeframe }, cursorMs: number, written: number, why: string, cause?: AppError): AppError {
  return new AppError(
    cause?.code ?? 'unavailable',
    `backfill of ${req.symbol} ${req.timeframe} stopped at ${new Date(cursorMs).toISOString()}: ${why}`,
    `${written} candles were stored in this run; run the same command again to resume from there`,
    { symbol: req.symbol, timeframe: req.timeframe, resumeFrom: new Date(cursorMs).toISOString(), written, ...(cause?.details ?? {}) },
  );
}
