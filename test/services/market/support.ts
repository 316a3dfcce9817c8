// Shared pieces of the market-data, analysis and alert service tests: a hand-driven clock, a market
// service on the simulated market, a recording notifier, and a data source that fails on demand.
import type { Database } from '../../../src/db/client.js';
import { SimMarket } from '../../../src/adapters/sim-market/index.js';
import type { Candle, Clock, MarketDataSource, Notification, Notifier, Timeframe } from '../../../src/domain/ports.js';
import { MarketService, type MarketServiceOptions } from '../../../src/services/market-data/market-service.js';
import { simSources, type MarketSources } from '../../../src/services/market-data/sources.js';
import { DbMarketCatalog } from '../../../src/services/markets.js';
import { createUser } from '../../../src/services/users.js';
import { actorFor, type Actor } from '../../../src/services/actor.js';

export interface ManualClock extends Clock {
  ms: number;
  set(ms: number): void;
  advance(ms: number): void;
}

export function manualClock(start: number): ManualClock {
  const c: ManualClock = {
    ms: start,
    now: () => new Date(c.ms),
    set: (ms) => {
      c.ms = ms;
    },
    advance: (ms) => {
      c.ms += ms;
    },
  };
  return c;
}

/** 2025-03-03 12:34:56 UTC, a Monday. */
export const T0 = Date.UTC(2025, 2, 3, 12, 34, 56);
export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** Timers that never fire on their own (subscriptions are driven by hand). */
export const idleTimers = { setInterval: (): unknown => 0, clearInterval: (): void => undefined };

export async function simMarketService(
  database: Database,
  clock: Clock,
  extra: Partial<MarketServiceOptions> & { sources?: MarketSources } = {},
): Promise<{ market: MarketService; sim: SimMarket }> {
  const sim = new SimMarket({ seed: 7, clock, timers: idleTimers });
  const catalog = await DbMarketCatalog.load(database.db, { exchange: 'sim' });
  const market = new MarketService({
    database,
    catalog,
    configuredMode: 'sim',
    clock,
    sources: extra.sources ?? simSources({ seed: 7, clock, sim }),
    ...extra,
  });
  return { market, sim };
}

/** A notifier that keeps what it was given (and can be told to fail). */
export class RecordingNotifier implements Notifier {
  readonly sent: Notification[] = [];
  failNext = 0;
  async notify(n: Notification): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('chat delivery failed');
    }
    this.sent.push(n);
  }
}

/** A data source delegating to `inner`, whose `getCandles` fails on chosen calls. */
export class FlakySource implements MarketDataSource {
  readonly name: string;
  readonly simulated: boolean;
  calls = 0;
  failOn = new Set<number>();
  failure: () => Error = () => new Error('boom');

  constructor(private readonly inner: MarketDataSource) {
    this.name = inner.name;
    this.simulated = inner.simulated;
  }

  listMarkets(): ReturnType<MarketDataSource['listMarkets']> {
    return this.inner.listMarkets();
  }

  getOrderBook(symbol: string, depth?: number): ReturnType<MarketDataSource['getOrderBook']> {
    return this.inner.getOrderBook(symbol, depth);
  }

  getFundingRate(symbol: string): ReturnType<MarketDataSource['getFundingRate']> {
    return this.inner.getFundingRate(symbol);
  }

  async getCandles(symbol: string, timeframe: Timeframe, opts: { since?: Date; limit?: number }): Promise<Candle[]> {
    this.calls++;
    if (this.failOn.has(this.calls)) throw this.failure();
    return this.inner.getCandles(symbol, timeframe, opts);
  }
}

let userSeq = 0;
export async function newActor(database: Database, name = 'trader'): Promise<Actor> {
  const u = await createUser(database.db, { username: `${name}${++userSeq}${Math.floor(Math.random() * 1e6)}` });
  return actorFor(u.id, 'terminal');
}

export async function rejection(p: Promise<unknown>): Promise<Error & { code?: string; hint?: string; details?: Record<string, unknown> }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}
