// Price guards for trading (reliability 11 and 12): a quote older than its limit, from the future,
// or with too wide a confidence is refused for fills and risk checks, with the reason; before a fill
// the venue price is cross-checked against the oracle and blocked (or flagged) outside the band.
// Used by the trading service for previews and by the paper broker before every fill.
import { checkQuoteFreshness, crossCheckOracle, type OracleCheckResult } from '../../domain/oracle-check.js';
import type { Dec } from '../../domain/money.js';
import type { Clock, MarketInfo, PriceFeed, PriceQuote } from '../../domain/ports.js';
import { AppError, ErrorCode } from '../errors.js';
import type { MarketCatalog } from '../markets.js';

export const OracleMode = { block: 'block', flag: 'flag', off: 'off' } as const;
export type OracleMode = (typeof OracleMode)[keyof typeof OracleMode];

export interface PriceGuardOptions {
  clock: Clock;
  markets?: MarketCatalog;
  /** Oldest usable quote (ms); a market's own `staleness_threshold_seconds` overrides it. Default 60 s. */
  maxQuoteAgeMs?: number;
  /** How far in the future a publish time may be (clock skew). Default 2 s. */
  maxFutureMs?: number;
  /** Widest acceptable confidence as a fraction of the price. Default 0.02 (±2%). */
  maxConfidenceRatio?: number;
  oracle?: PriceFeed;
  oracleMode?: OracleMode;
  /** Band half-width in multiples of the oracle confidence. Default 3. */
  oracleK?: number;
  /** Minimum band half-width in bps of the oracle price. Default 50. */
  oracleMinBandBps?: number;
}

export type Verdict = { ok: true; notes?: string[] } | { ok: false; code: string; message: string };

export interface OracleVerdict {
  status: 'ok' | 'blocked' | 'flagged' | 'skipped';
  message: string;
  result?: OracleCheckResult;
}

export class PriceGuard {
  readonly maxQuoteAgeMs: number;
  readonly oracleMode: OracleMode;

  constructor(private readonly opts: PriceGuardOptions) {
    this.maxQuoteAgeMs = opts.maxQuoteAgeMs ?? 60_000;
    this.oracleMode = opts.oracle ? (opts.oracleMode ?? 'block') : 'off';
  }

  private limitsFor(symbol: string): { maxAgeMs: number; maxFutureMs: number; maxConfidenceRatio: number } {
    return {
      maxAgeMs: this.opts.markets?.stalenessLimitMs(symbol) ?? this.maxQuoteAgeMs,
      maxFutureMs: this.opts.maxFutureMs ?? 2_000,
      maxConfidenceRatio: this.opts.maxConfidenceRatio ?? 0.02,
    };
  }

  /** Whether `quote` may be used now. */
  check(quote: PriceQuote): Verdict {
    const r = checkQuoteFreshness(quote, this.opts.clock.now(), this.limitsFor(quote.symbol));
    return r.ok ? { ok: true } : { ok: false, code: r.error.code, message: r.error.message };
  }

  /** Throws `stale_price` naming why a quote cannot be used. */
  assertUsable(quote: PriceQuote): void {
    const v = this.check(quote);
    if (!v.ok) {
      throw new AppError(ErrorCode.stalePrice, `cannot trade on this price: ${v.message}`, 'wait for a fresh price and try again', { reason: v.code, symbol: quote.symbol });
    }
  }

  /** The venue price against the oracle (skipped without an oracle, or when it has no usable price). */
  async oracleCheck(symbol: string, venuePrice: Dec): Promise<OracleVerdict> {
    const oracle = this.opts.oracle;
    if (!oracle || this.oracleMode === 'off') return { status: 'skipped', message: 'oracle check is off' };
    let oq: PriceQuote;
    try {
      oq = await oracle.getQuote(symbol);
    } catch (err) {
      return { status: 'skipped', message: `no oracle price for ${symbol} (${(err as Error).message.slice(0, 120)}); not cross-checked` };
    }
    const fresh = this.check(oq);
    if (!fresh.ok) return { status: 'skipped', message: `oracle price unusable (${fresh.message}); not cross-checked` };
    const result = crossCheckOracle(symbol, venuePrice, { symbol: oq.symbol, price: oq.price, confidence: oq.confidence ?? oq.price.mul(0) }, {
      confidenceMultiple: this.opts.oracleK ?? 3,
      minBandBps: this.opts.oracleMinBandBps ?? 50,
      mode: this.oracleMode === 'flag' ? 'flag' : 'block',
    });
    return { status: result.status, message: result.message, result };
  }

  // The paper broker's guard interface.
  checkQuote(quote: PriceQuote, _market: MarketInfo): Verdict {
    return this.check(quote);
  }

  async beforeFill(quote: PriceQuote, market: MarketInfo, price: Dec): Promise<Verdict> {
    const fresh = this.check(quote);
    if (!fresh.ok) return fresh;
    const o = await this.oracleCheck(market.symbol, price);
    if (o.status === 'blocked') return { ok: false, code: 'oracle_divergence', message: o.message };
    if (o.status === 'flagged') return { ok: true, notes: [o.message] };
    return { ok: true };
  }
}
