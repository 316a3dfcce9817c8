// Which Pyth feed prices which symbol. Common assets come from a built-in table of Crypto.X/USD feed
// ids; anything else is looked up once through Hermes' feed search and cached.
//
// Symbol mapping: "BTC/USDT", "BTC-PERP", "BTCUSDT", "BTC/USD" and "BTC" all map to Crypto.BTC/USD.
// Pyth prices crypto in USD; a USDT (or other USD stablecoin) quote is answered with the USD price
// under the stated assumption that the stablecoin trades at 1 USD (the quote carries the sentence).
import { ASSET_ALIASES, DEFAULT_QUOTE, parseSymbol } from '../../domain/market.js';
import type { Clock } from '../../domain/ports.js';
import type { Result } from '../../domain/result.js';
import { PythError, PythErrorCode } from './errors.js';
import { normalizeFeedId, type PythFeedId } from './hermes-mapper.js';
import { HermesPriceFeedMetadataSchema, type HermesPriceFeedMetadata } from './hermes-schema.js';

/**
 * Pyth mainnet (stable) Crypto.<BASE>/USD feed ids. Each id was cross-checked in at least two
 * independent public sources (Pyth's published id list as mirrored in public repositories, and
 * projects consuming the feeds); none could be checked live against Hermes from this machine.
 * MATIC resolves to POL through the domain's asset aliases (Polygon renamed MATIC to POL; Pyth's
 * Crypto.POL/USD is the maintained feed).
 */
export const PYTH_CRYPTO_USD_FEEDS: Readonly<Record<string, PythFeedId>> = {
  BTC: 'e62df6c8b4a85fe1a67db44dc12de5db330f7ac66b72dc658afedf0f4a415b43',
  ETH: 'ff61491a931112ddf1bd8147cd1b641375f79f5825126d665480874634fd0ace',
  SOL: 'ef0d8b6fda2ceba41da15d4095d1da392a0d2f8ed0c6c7bc0f4cfac8c280b56d',
  BNB: '2f95862b045670cd22bee3114c39763a4a08beeb663b145d283c31d7d1101c4f',
  XRP: 'ec5d399846a9209f3fe5881d70aae9268c94339ff9817e8d18ff19fa05eea1c8',
  DOGE: 'dcef50dd0a4cd2dcc17e45df1676dcb336a11a61c69df7a0299b0150c672d25c',
  ADA: '2a01deaec9e51a579277b34b122399984d0bbf57e2458a7e42fecd2829867a0d',
  AVAX: '93da3352f9f1d105fdfe4971cfa80e9dd777bfc5d0f683ebb6e1294b92137bb7',
  LINK: '8ac0c70fff57e9aefdf5edf44b51d62c2d433653cbb2cf5cc06bb115af04d221',
  DOT: 'ca3eed9b267293f6595901c734c7525ce8ef49adafe8284606ceb307afa2ca5b',
  LTC: '6e3f3fa8253588df9326580180233eb791e03b443a3ba7a1d892e73874e19a54',
  POL: 'ffd11c5a1cfd42f80afb2df4d9f264c15f956d68153335374ec10722edd70472',
  ARB: '3fa4252848f9f0a1480be62745a4629d9eb1322aebab8a791e344b3b9c1adcf5',
  OP: '385f64d993f7b77d8182ed5003d97c60aa3361f3cecfe711544d2d59165e9bdf',
  SUI: '23d7315113f5b1d3ba7a83604c44b94d79f4fd69af77f804fc7f920a6dc65744',
  APT: '03ae4db29ed4ae33d323568895aa00337e658e348b37509f5372ae51f0af00d5',
  TON: '8963217838ab4cf5cadc172203c1f0b763fbaa45f346d8ee50ba994bbcac3026',
  NEAR: 'c415de8d2eba7db216527dff4b60e8f3a5311c740dadb233e13e12547e226750',
  ATOM: 'b00b60f88b03a6a625a8d1c048c3f66653edf217439983d037e7222c4e612819',
  UNI: '78d185a741d07edb3412b09008b7c5cfb9bbbd7d568bf00ba737b456ba171501',
  USDT: '2b89b9dc8fdf9f34709a5b106b472f0f39bb6ca9ce04b0fd7f2e971688e2e53b',
  USDC: 'eaa020c61cc479712813461ce153894a96a6c00b21ed0cfc2798d1f9a9e9c94a',
};

/** Quote currencies answered with the USD feed, under the stated 1:1 assumption. */
export const USD_STABLECOIN_QUOTES: readonly string[] = ['USDT', 'USDC', 'FDUSD', 'BUSD', 'DAI', 'TUSD', 'USDP'];

/** What a symbol asks Pyth for. */
export interface PythSymbolTarget {
  /** Canonical form of the request: "BTC/USDT", "BTC-PERP", or "BTC/USD" for a bare "BTC". */
  symbol: string;
  /** Pyth base asset after aliases (MATIC → POL). */
  base: string;
  /** The quote the caller wanted. */
  quote: string;
  /** The sentence stating the USD ≈ stablecoin assumption, when one is made. */
  assumption?: string;
}

export interface PythSymbolError {
  code: typeof PythErrorCode.invalidInput;
  message: string;
}

/** Maps a symbol spelling to the Pyth USD feed it needs. Pure. */
export function pythTargetForSymbol(input: string): Result<PythSymbolTarget, PythSymbolError> {
  const parsed = parseSymbol(input, ['USD', ...USD_STABLECOIN_QUOTES]);
  if (!parsed.ok) return { ok: false, error: { code: PythErrorCode.invalidInput, message: parsed.error.message } };
  const { kind } = parsed.value;
  const requestedBase = parsed.value.base;
  if (!/^[A-Z0-9]{1,20}$/.test(requestedBase)) {
    return { ok: false, error: { code: PythErrorCode.invalidInput, message: `cannot read "${input.trim().slice(0, 40)}" as a market; write it as BTC/USDT or BTC-PERP` } };
  }
  const base = ASSET_ALIASES[requestedBase] ?? requestedBase;
  let quote = parsed.value.quote;
  let symbol: string;
  if (kind === 'perp') {
    quote = quote ?? DEFAULT_QUOTE;
    symbol = `${requestedBase}-PERP`;
  } else {
    quote = quote ?? 'USD';
    symbol = `${requestedBase}/${quote}`;
  }
  if (quote !== 'USD' && !USD_STABLECOIN_QUOTES.includes(quote)) {
    return {
      ok: false,
      error: {
        code: PythErrorCode.invalidInput,
        message: `Pyth gives prices in USD; ${symbol} is quoted in ${quote}. Ask for ${requestedBase}/USDT or ${requestedBase}/USD instead`,
      },
    };
  }
  const target: PythSymbolTarget = { symbol, base, quote };
  if (quote !== 'USD') {
    target.assumption = `Pyth prices ${base} in USD; this ${symbol} price assumes 1 ${quote} = 1 USD (a stablecoin can trade off its peg)`;
  }
  return { ok: true, value: target };
}

/** A resolved feed. */
export interface PythFeedRef {
  base: string;
  feedId: PythFeedId;
  feedSymbol: string;
  origin: 'builtin' | 'configured' | 'search';
}

export interface PythFeedRegistryOptions {
  /** Extra or overriding feeds, base → feed id (hex, 0x optional). */
  feeds?: Readonly<Record<string, string>>;
  /** How long a search result stays cached. Default 24 h. */
  searchTtlMs?: number;
  /** How long "no such feed" stays cached. Default 10 min. */
  notFoundTtlMs?: number;
  clock: Clock;
}

/** Looks up feeds via `/v2/price_feeds?query=<base>&asset_type=crypto`; provided by the adapter. */
export type PythFeedSearch = (base: string) => Promise<unknown[]>;

interface CacheEntry {
  ref?: PythFeedRef;
  expiresAt: number;
}

/** Base asset → feed, from the built-in table, configuration, or a cached Hermes search. */
export class PythFeedRegistry {
  private readonly fixed = new Map<string, PythFeedRef>();
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inflight = new Map<string, Promise<PythFeedRef>>();
  private readonly searchTtlMs: number;
  private readonly notFoundTtlMs: number;

  constructor(
    private readonly search: PythFeedSearch,
    private readonly opts: PythFeedRegistryOptions,
  ) {
    this.searchTtlMs = opts.searchTtlMs ?? 24 * 60 * 60_000;
    this.notFoundTtlMs = opts.notFoundTtlMs ?? 10 * 60_000;
    for (const [base, id] of Object.entries(PYTH_CRYPTO_USD_FEEDS)) {
      this.fixed.set(base, { base, feedId: id, feedSymbol: `Crypto.${base}/USD`, origin: 'builtin' });
    }
    for (const [rawBase, rawId] of Object.entries(opts.feeds ?? {})) {
      const base = rawBase.toUpperCase();
      const id = normalizeFeedId(rawId);
      if (id === undefined) throw new RangeError(`Pyth feed id for ${base} must be 64 hex characters`);
      this.fixed.set(base, { base, feedId: id, feedSymbol: `Crypto.${base}/USD`, origin: 'configured' });
    }
  }

  /** The feed known without a network call, if any. */
  known(base: string): PythFeedRef | undefined {
    const fixed = this.fixed.get(base);
    if (fixed) return fixed;
    const cached = this.cache.get(base);
    if (cached?.ref && cached.expiresAt > this.opts.clock.now().getTime()) return cached.ref;
    return undefined;
  }

  /** Resolves a base asset to its Crypto.<BASE>/USD feed; searches Hermes once per base and caches. */
  async resolve(base: string): Promise<PythFeedRef> {
    const fixed = this.fixed.get(base);
    if (fixed) return fixed;
    const now = this.opts.clock.now().getTime();
    const cached = this.cache.get(base);
    if (cached && cached.expiresAt > now) {
      if (cached.ref) return cached.ref;
      throw notFound(base);
    }
    const running = this.inflight.get(base);
    if (running) return running;
    const lookup = this.lookup(base).finally(() => this.inflight.delete(base));
    this.inflight.set(base, lookup);
    return lookup;
  }

  private async lookup(base: string): Promise<PythFeedRef> {
    const rows = await this.search(base);
    const feeds: HermesPriceFeedMetadata[] = [];
    for (const row of rows) {
      const parsed = HermesPriceFeedMetadataSchema.safeParse(row);
      if (parsed.success) feeds.push(parsed.data);
    }
    const ref = pickUsdFeed(base, feeds);
    const now = this.opts.clock.now().getTime();
    if (!ref) {
      this.cache.set(base, { expiresAt: now + this.notFoundTtlMs });
      throw notFound(base);
    }
    this.cache.set(base, { ref, expiresAt: now + this.searchTtlMs });
    return ref;
  }
}

function attr(feed: HermesPriceFeedMetadata, name: string): string | undefined {
  const v = feed.attributes[name];
  return typeof v === 'string' ? v : undefined;
}

/** The Crypto.<BASE>/USD feed among search results: the exact symbol first, else base + USD quote. */
export function pickUsdFeed(base: string, feeds: readonly HermesPriceFeedMetadata[]): PythFeedRef | undefined {
  const wantedSymbol = `CRYPTO.${base}/USD`;
  const crypto = feeds.filter((f) => (attr(f, 'asset_type') ?? '').toLowerCase() === 'crypto');
  const exact = crypto.find((f) => (attr(f, 'symbol') ?? '').toUpperCase() === wantedSymbol);
  const loose = exact ?? crypto.find((f) => (attr(f, 'base') ?? '').toUpperCase() === base && (attr(f, 'quote_currency') ?? '').toUpperCase() === 'USD');
  if (!loose) return undefined;
  const feedId = normalizeFeedId(loose.id);
  if (feedId === undefined) return undefined;
  return { base, feedId, feedSymbol: attr(loose, 'symbol') ?? `Crypto.${base}/USD`, origin: 'search' };
}

function notFound(base: string): PythError {
  return new PythError(PythErrorCode.notFound, `Pyth has no ${base}/USD price feed`, 'check the asset name; Pyth lists its feeds at https://pyth.network/price-feeds', { base });
}
