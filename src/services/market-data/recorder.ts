// Writes what the price feeds see: every Pyth oracle tick into `price_ticks` (batched, idempotent on
// (feed_id, publish_time)) and the latest venue ticker per market into `tickers` (upsert, never
// overwritten by an older observation). Buffered and flushed in one statement per table, at most
// `flushIntervalMs` after the first buffered row or as soon as `maxBuffer` rows wait. A failed write
// is logged and dropped: recording must never break a price read.
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { priceTicks, tickers } from '../../db/schema/index.js';
import type { Dec } from '../../domain/money.js';
import type { PriceFeed, PriceQuote, Unsubscribe } from '../../domain/ports.js';
import type { Logger } from '../../log.js';

type NewTick = typeof priceTicks.$inferInsert;
type NewTicker = typeof tickers.$inferInsert;

/** Fields of a Pyth quote the recorder reads (structural, so the adapter stays an adapter). */
interface OracleFields {
  feedId: string;
  emaPrice?: Dec;
  emaConfidence?: Dec;
}

function isOracleQuote(q: PriceQuote): q is PriceQuote & OracleFields & { confidence: Dec } {
  return q.source === 'pyth' && typeof (q as Partial<OracleFields>).feedId === 'string' && q.confidence !== undefined;
}

/**
 * The exponent that turns every stored decimal of the tick back into an integer (Pyth sends
 * integers × 10^expo; the quote carries the scaled decimals, so the exponent is recovered from
 * their decimal places: −max(dp)). Equal to Hermes' own exponent up to trailing zeros.
 */
export function exponentOf(values: ReadonlyArray<Dec | undefined>): number {
  let dp = 0;
  for (const v of values) if (v) dp = Math.max(dp, v.decimalPlaces());
  return -dp;
}

export interface RecorderOptions {
  logger?: Logger;
  flushIntervalMs?: number;
  maxBuffer?: number;
  /** Venue name for quotes that do not say (the simulated market). */
  defaultExchange: string;
}

export class MarketDataRecorder {
  private ticks = new Map<string, NewTick>();
  private tickerRows = new Map<string, NewTicker>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly flushIntervalMs: number;
  private readonly maxBuffer: number;

  constructor(
    private readonly db: Db,
    private readonly opts: RecorderOptions,
  ) {
    this.flushIntervalMs = opts.flushIntervalMs ?? 1_000;
    this.maxBuffer = opts.maxBuffer ?? 500;
  }

  /** Buffers a Pyth tick; other oracle quotes (simulated) are not ticks and are ignored. */
  recordOracle(q: PriceQuote): void {
    if (this.closed || !isOracleQuote(q)) return;
    const key = `${q.feedId}|${q.publishTime.getTime()}`;
    if (this.ticks.has(key)) return;
    this.ticks.set(key, {
      feedId: q.feedId,
      symbol: q.symbol,
      price: q.price.toFixed(),
      confidence: q.confidence.abs().toFixed(),
      exponent: exponentOf([q.price, q.confidence, q.emaPrice, q.emaConfidence]),
      publishTime: q.publishTime,
      emaPrice: q.emaPrice?.toFixed() ?? null,
      emaConfidence: q.emaConfidence?.toFixed() ?? null,
      source: 'pyth',
    });
    this.schedule();
  }

  /** Buffers the latest ticker of a venue market (a newer observation replaces an older one). */
  recordVenue(q: PriceQuote): void {
    if (this.closed) return;
    const exchange = (q as { exchange?: string }).exchange ?? this.opts.defaultExchange;
    const last = (q as { last?: Dec }).last ?? q.price;
    const key = `${exchange}|${q.symbol}`;
    const existing = this.tickerRows.get(key);
    if (existing && existing.updatedAt && existing.updatedAt > q.publishTime) return;
    this.tickerRows.set(key, {
      symbol: q.symbol,
      exchange,
      last: last.toFixed(),
      bid: q.bid?.toFixed() ?? null,
      ask: q.ask?.toFixed() ?? null,
      updatedAt: q.publishTime,
    });
    this.schedule();
  }

  /** Writes everything buffered; resolves when written (or dropped after a logged failure). */
  async flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writeBuffered());
    return this.flushing;
  }

  /** Flushes and stops accepting rows. */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
    this.closed = true;
  }

  /** A feed that records every quote passing through `feed` with `record`. */
  static recording(feed: PriceFeed, record: (q: PriceQuote) => void): PriceFeed {
    const safe = (q: PriceQuote): void => {
      try {
        record(q);
      } catch {
        // recording is best effort
      }
    };
    return {
      name: feed.name,
      async getQuote(symbol: string): Promise<PriceQuote> {
        const q = await feed.getQuote(symbol);
        safe(q);
        return q;
      },
      async getQuotes(symbols: readonly string[]): Promise<PriceQuote[]> {
        const qs = await feed.getQuotes(symbols);
        qs.forEach(safe);
        return qs;
      },
      subscribe(symbols, onQuote, opts): Unsubscribe {
        return feed.subscribe(
          symbols,
          (q) => {
            safe(q);
            onQuote(q);
          },
          opts,
        );
      },
    };
  }

  private schedule(): void {
    if (this.ticks.size + this.tickerRows.size >= this.maxBuffer) {
      void this.flush();
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.flushIntervalMs);
    this.timer.unref();
  }

  private async writeBuffered(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const ticks = [...this.ticks.values()];
    const rows = [...this.tickerRows.values()];
    this.ticks.clear();
    this.tickerRows.clear();
    if (ticks.length > 0) {
      try {
        await this.db.insert(priceTicks).values(ticks).onConflictDoNothing();
      } catch (err) {
        this.opts.logger?.warn('could not store oracle ticks', { error: err, count: ticks.length });
      }
    }
    if (rows.length > 0) {
      try {
        await this.db
          .insert(tickers)
          .values(rows)
          .onConflictDoUpdate({
            target: [tickers.exchange, tickers.symbol],
            set: {
              last: sql`excluded.last`,
              bid: sql`excluded.bid`,
              ask: sql`excluded.ask`,
              updatedAt: sql`excluded.updated_at`,
            },
            // An older observation never replaces a newer one.
            setWhere: sql`excluded.updated_at >= ${tickers.updatedAt}`,
          });
      } catch (err) {
        this.opts.logger?.warn('could not store tickers', { error: err, count: rows.length });
      }
    }
  }
}
