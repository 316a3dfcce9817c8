// Where market data comes from, chosen once by `MIKEY_MARKET`:
//   sim  — the simulated market for everything (offline, deterministic from MIKEY_SIM_SEED);
//   live — Pyth Hermes for oracle prices, the ccxt venue (MIKEY_EXCHANGE) for tickers, books,
//          candles, funding and instruments;
//   auto — probe Hermes and the venue once (≤ 2 s) and use live when both answer, else sim,
//          logging which and why.
// ccxt and the Pyth client load only when live sources are asked for (the simulated market needs neither).
import type { CcxtMarketData, CcxtMarketDataOptions } from '../../adapters/ccxt/index.js';
import type { PythPriceFeed, PythPriceFeedOptions } from '../../adapters/pyth/index.js';
import { SimMarket, type SimTimers } from '../../adapters/sim-market/index.js';
import type { Clock, MarketDataSource, PriceFeed, PriceQuote, Unsubscribe } from '../../domain/ports.js';
import type { Logger } from '../../log.js';
import { CcxtTickerFeed, type CcxtTickerFeedOptions } from './venue-feed.js';

export const ResolvedMarketMode = { live: 'live', sim: 'sim' } as const;
export type ResolvedMarketMode = (typeof ResolvedMarketMode)[keyof typeof ResolvedMarketMode];

/** The adapters one MIKEY process reads market data through. */
export interface MarketSources {
  mode: ResolvedMarketMode;
  /** True for the simulated market: every price shown from it is labelled "simulated". */
  simulated: boolean;
  /** Venue name candles, books and tickers are stored under ("sim", "binance" …). */
  exchange: string;
  /** Candles, books, funding, instruments. */
  data: MarketDataSource;
  /** Prices fills use: venue tickers (live) or the simulated market. */
  venueFeed: PriceFeed;
  /** Oracle prices for the cross-check: Pyth (live) or the simulated market with a synthetic confidence. */
  oracleFeed: PriceFeed;
  /** One line for logs and `mikey` output. */
  description: string;
  close(): Promise<void>;
}

/**
 * The simulated market as an oracle: the mid price with a confidence of half the simulated spread,
 * so the oracle cross-check has a band to work with offline.
 */
export class SimOracleFeed implements PriceFeed {
  readonly name = 'sim-oracle';
  constructor(private readonly sim: SimMarket) {}

  async getQuote(symbol: string): Promise<PriceQuote> {
    return withSimConfidence(await this.sim.getQuote(symbol));
  }

  async getQuotes(symbols: readonly string[]): Promise<PriceQuote[]> {
    return (await this.sim.getQuotes(symbols)).map(withSimConfidence);
  }

  subscribe(symbols: readonly string[], onQuote: (q: PriceQuote) => void): Unsubscribe {
    return this.sim.subscribe(symbols, (q) => onQuote(withSimConfidence(q)));
  }
}

function withSimConfidence(q: PriceQuote): PriceQuote {
  const confidence = q.bid && q.ask ? q.ask.minus(q.bid).div(2) : q.price.mul(0);
  return { ...q, confidence, note: 'simulated oracle: confidence is half the simulated spread' };
}

export interface SimSourcesOptions {
  seed: number;
  clock: Clock;
  timers?: SimTimers;
  quoteIntervalMs?: number;
  /** An existing simulated market (tests that also read it directly). */
  sim?: SimMarket;
}

export function simSources(opts: SimSourcesOptions): MarketSources {
  const sim =
    opts.sim ??
    new SimMarket({
      seed: opts.seed,
      clock: opts.clock,
      ...(opts.timers ? { timers: opts.timers } : {}),
      ...(opts.quoteIntervalMs ? { quoteIntervalMs: opts.quoteIntervalMs } : {}),
    });
  return {
    mode: 'sim',
    simulated: true,
    exchange: sim.name,
    data: sim,
    venueFeed: sim,
    oracleFeed: new SimOracleFeed(sim),
    description: `simulated market (seed ${opts.seed})`,
    close: async () => undefined,
  };
}

export interface LiveSourcesOptions {
  oracle: PythPriceFeed;
  venue: CcxtMarketData;
  tickers?: CcxtTickerFeedOptions;
}

export function liveSources(opts: LiveSourcesOptions): MarketSources {
  const tickerFeed = new CcxtTickerFeed(opts.venue, opts.tickers);
  return {
    mode: 'live',
    simulated: false,
    exchange: opts.venue.name,
    data: opts.venue,
    venueFeed: tickerFeed,
    oracleFeed: opts.oracle,
    description: `Pyth Hermes oracle + ${opts.venue.name} via ccxt`,
    close: async () => {
      tickerFeed.close();
      opts.oracle.close();
      await opts.venue.close().catch(() => undefined);
    },
  };
}

export interface ProbeResult {
  ok: boolean;
  /** Why live data is not usable, naming which side failed. */
  reason?: string;
}

async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms);
    timer.unref();
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/**
 * Asks Hermes for one price and the venue for its server time, both at once, each within
 * `timeoutMs`. Clients are short-lived and closed afterwards so nothing outlives the probe.
 */
export async function probeLive(opts: { pyth: PythPriceFeedOptions; ccxt: CcxtMarketDataOptions; timeoutMs?: number }): Promise<ProbeResult> {
  const timeoutMs = Math.min(opts.timeoutMs ?? 2_000, 2_000);
  const [{ PythPriceFeed }, { createCcxtExchange }] = await Promise.all([import('../../adapters/pyth/index.js'), import('../../adapters/ccxt/index.js')]);
  const pyth = new PythPriceFeed({ ...opts.pyth, timeoutMs });
  const exchangeId = opts.ccxt.exchangeId ?? 'the exchange';
  let exchange: ReturnType<typeof createCcxtExchange> | undefined;
  try {
    const [oracle, venue] = await Promise.allSettled([
      within(timeoutMs, 'Pyth Hermes', pyth.getQuote('BTC/USD')),
      (async () => {
        exchange = createCcxtExchange({ ...opts.ccxt, timeoutMs });
        return within(timeoutMs, exchangeId, exchange.fetchTime());
      })(),
    ]);
    const reasons: string[] = [];
    if (oracle.status === 'rejected') reasons.push(`Pyth Hermes: ${messageOf(oracle.reason)}`);
    if (venue.status === 'rejected') reasons.push(`${exchangeId}: ${messageOf(venue.reason)}`);
    return reasons.length === 0 ? { ok: true } : { ok: false, reason: reasons.join('; ') };
  } finally {
    pyth.close();
    await exchange?.close().catch(() => undefined);
  }
}

function messageOf(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  // ccxt puts URLs in messages; keep only the gist.
  return m.replace(/\bhttps?:\/\/\S+/g, '[url]').slice(0, 160);
}

export interface ConfiguredSourcesOptions {
  mode: 'live' | 'sim' | 'auto';
  seed: number;
  clock: Clock;
  logger?: Logger;
  pyth: PythPriceFeedOptions;
  ccxt: CcxtMarketDataOptions;
  probeTimeoutMs?: number;
}

/** Builds the sources `MIKEY_MARKET` asks for; `auto` probes first and logs the choice. */
export async function createConfiguredSources(opts: ConfiguredSourcesOptions): Promise<MarketSources> {
  const sim = (): MarketSources => simSources({ seed: opts.seed, clock: opts.clock });
  if (opts.mode === 'sim') return sim();
  const [{ PythPriceFeed }, { CcxtMarketData }] = await Promise.all([import('../../adapters/pyth/index.js'), import('../../adapters/ccxt/index.js')]);
  const live = (): MarketSources =>
    liveSources({
      oracle: new PythPriceFeed({ ...opts.pyth, clock: opts.clock, ...(opts.logger ? { logger: opts.logger } : {}) }),
      venue: new CcxtMarketData({ ...opts.ccxt, clock: opts.clock }),
      tickers: { clock: opts.clock, ...(opts.logger ? { logger: opts.logger } : {}) },
    });
  if (opts.mode === 'live') return live();
  const probe = await probeLive({ pyth: opts.pyth, ccxt: opts.ccxt, ...(opts.probeTimeoutMs ? { timeoutMs: opts.probeTimeoutMs } : {}) });
  if (probe.ok) {
    opts.logger?.info('MIKEY_MARKET=auto: live market data reachable; using Pyth Hermes and the exchange');
    return live();
  }
  opts.logger?.warn('MIKEY_MARKET=auto: live market data not reachable; using the simulated market (prices are labelled simulated)', {
    reason: probe.reason,
  });
  return sim();
}
