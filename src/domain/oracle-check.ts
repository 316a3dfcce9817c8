// Price guards (reliability 11 and 12). Pure: the time and the settings come in as arguments.
//
// 1. `checkQuoteFreshness` — is a price usable at all? A price older than its staleness limit,
//    published in the future, not positive, or with a confidence interval wider than a share of
//    the price is refused for fills, risk checks and alerts, with a message naming why.
// 2. `crossCheckOracle` — does the venue agree with the oracle? Before a fill the venue price must
//    lie within the oracle's band: k × confidence, widened to a minimum in basis points. Outside
//    the band the trade is blocked or, by setting, flagged.
import { D, type Dec } from './money.js';
import type { PriceQuote } from './ports.js';
import type { Result } from './result.js';

// ---------------------------------------------------------------------------------------------
// Freshness and confidence
// ---------------------------------------------------------------------------------------------

/** Why a price was refused. Stable strings: surfaces and tests branch on them. */
export const PriceRefusal = {
  stale: 'stale_price',
  future: 'future_price',
  wideConfidence: 'wide_confidence',
  notPositive: 'non_positive_price',
} as const;
export type PriceRefusal = (typeof PriceRefusal)[keyof typeof PriceRefusal];

export interface PriceRefusalError {
  code: PriceRefusal;
  message: string;
  details: Record<string, unknown>;
}

export interface QuoteFreshnessLimits {
  /** Oldest acceptable publish time, as an age in milliseconds (must be > 0). */
  maxAgeMs: number;
  /** How far ahead of `now` a publish time may be (clock skew allowance). Default 2 000 ms. */
  maxFutureMs?: number;
  /**
   * Widest acceptable confidence interval as a fraction of the price (0.01 = ±1%). Unset: no
   * confidence limit. A quote without a confidence passes this check (exchange quotes have none).
   */
  maxConfidenceRatio?: number | Dec;
}

export const DEFAULT_MAX_FUTURE_MS = 2_000;

/** The fields of a quote the freshness check reads. */
export type CheckableQuote = Pick<PriceQuote, 'symbol' | 'price' | 'publishTime'> & { confidence?: Dec | undefined };

/**
 * Checks that `quote` may be used at `now`: not older than `maxAgeMs`, not from the future beyond
 * `maxFutureMs`, price positive, confidence within `maxConfidenceRatio` of the price.
 * Messages read like "BTC/USD price is 93 s old (limit 60 s)".
 */
export function checkQuoteFreshness(quote: CheckableQuote, now: Date, limits: QuoteFreshnessLimits): Result<void, PriceRefusalError> {
  if (!(limits.maxAgeMs > 0) || !Number.isFinite(limits.maxAgeMs)) throw new RangeError('maxAgeMs must be a positive number of milliseconds');
  const maxFutureMs = limits.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS;
  if (!(maxFutureMs >= 0) || !Number.isFinite(maxFutureMs)) throw new RangeError('maxFutureMs must be zero or a positive number of milliseconds');
  const confidenceLimit = limits.maxConfidenceRatio === undefined ? undefined : new D(limits.maxConfidenceRatio);
  if (confidenceLimit !== undefined && (!confidenceLimit.isFinite() || confidenceLimit.lt(0))) {
    throw new RangeError('maxConfidenceRatio must be a fraction ≥ 0 (0.01 = 1%)');
  }

  const symbol = quote.symbol;
  const publishedMs = quote.publishTime.getTime();
  if (Number.isNaN(publishedMs)) {
    return refuse(PriceRefusal.stale, `${symbol} price has no valid publish time`, { symbol });
  }
  const ageMs = now.getTime() - publishedMs;
  if (ageMs > limits.maxAgeMs) {
    return refuse(
      PriceRefusal.stale,
      `${symbol} price is ${formatSeconds(ageMs, 'floor')} s old (limit ${formatSeconds(limits.maxAgeMs)} s)`,
      { symbol, ageMs, maxAgeMs: limits.maxAgeMs, publishTime: quote.publishTime.toISOString() },
    );
  }
  if (-ageMs > maxFutureMs) {
    return refuse(
      PriceRefusal.future,
      `${symbol} price is from the future: published ${formatSeconds(-ageMs, 'floor')} s ahead of now (limit ${formatSeconds(maxFutureMs)} s); check the clock`,
      { symbol, aheadMs: -ageMs, maxFutureMs, publishTime: quote.publishTime.toISOString() },
    );
  }
  if (!quote.price.isFinite() || quote.price.lte(0)) {
    return refuse(PriceRefusal.notPositive, `${symbol} price is not positive (${quote.price.toFixed()})`, { symbol, price: quote.price.toFixed() });
  }
  if (confidenceLimit !== undefined && quote.confidence !== undefined) {
    const limit = confidenceLimit;
    const ratio = quote.confidence.abs().div(quote.price);
    if (ratio.gt(limit)) {
      return refuse(
        PriceRefusal.wideConfidence,
        `${symbol} confidence ±${formatPercent(ratio)}% is wider than the ${formatPercent(limit)}% limit`,
        { symbol, confidence: quote.confidence.toFixed(), price: quote.price.toFixed(), ratio: ratio.toFixed(), maxConfidenceRatio: limit.toFixed() },
      );
    }
  }
  return { ok: true, value: undefined };
}

function refuse(code: PriceRefusal, message: string, details: Record<string, unknown>): { ok: false; error: PriceRefusalError } {
  return { ok: false, error: { code, message, details } };
}

// ---------------------------------------------------------------------------------------------
// Venue vs oracle cross-check
// ---------------------------------------------------------------------------------------------

/** What happens when the venue price lies outside the oracle band. */
export const OracleCheckMode = { block: 'block', flag: 'flag' } as const;
export type OracleCheckMode = (typeof OracleCheckMode)[keyof typeof OracleCheckMode];

export const OracleCheckStatus = { ok: 'ok', blocked: 'blocked', flagged: 'flagged' } as const;
export type OracleCheckStatus = (typeof OracleCheckStatus)[keyof typeof OracleCheckStatus];

export interface OracleBandSettings {
  /** Band half-width in multiples of the oracle confidence (k × conf). Must be > 0. */
  confidenceMultiple: number | Dec;
  /** Minimum band half-width in basis points of the oracle price (a floor for tiny confidences). Default 0. */
  minBandBps?: number | Dec;
  mode: OracleCheckMode;
}

export interface OracleReference {
  /** The oracle's symbol, for the message (e.g. "BTC/USD"). */
  symbol: string;
  price: Dec;
  confidence: Dec;
}

export interface OracleCheckResult {
  status: OracleCheckStatus;
  venuePrice: Dec;
  oraclePrice: Dec;
  /** Allowed half-width around the oracle price, in price units. */
  band: Dec;
  /** |venue − oracle|, in price units. */
  deviation: Dec;
  /** Deviation in basis points of the oracle price. */
  deviationBps: Dec;
  /** Names both prices and the band; shown to the person and the model as it is. */
  message: string;
}

/**
 * Compares a venue price with the oracle: within max(k × confidence, minBandBps of the oracle price)
 * is ok; outside is `blocked` (mode 'block') or `flagged` (mode 'flag'). The band edge counts as
 * inside. `venueSymbol` names the market being traded in the message.
 */
export function crossCheckOracle(
  venueSymbol: string,
  venuePrice: Dec,
  oracle: OracleReference,
  settings: OracleBandSettings,
): OracleCheckResult {
  const k = new D(settings.confidenceMultiple);
  if (!k.isFinite() || k.lte(0)) throw new RangeError('confidenceMultiple (k) must be a positive number');
  const minBps = new D(settings.minBandBps ?? 0);
  if (!minBps.isFinite() || minBps.lt(0)) throw new RangeError('minBandBps must be ≥ 0');
  if (!oracle.price.isFinite() || oracle.price.lte(0)) throw new RangeError(`oracle price for ${oracle.symbol} must be positive`);
  if (!venuePrice.isFinite() || venuePrice.lte(0)) throw new RangeError(`venue price for ${venueSymbol} must be positive`);

  const confidenceBand = oracle.confidence.abs().mul(k);
  const floorBand = oracle.price.mul(minBps).div(10_000);
  const band = confidenceBand.gte(floorBand) ? confidenceBand : floorBand;
  const deviation = venuePrice.minus(oracle.price).abs();
  const deviationBps = deviation.div(oracle.price).mul(10_000);

  const bandText = minBps.gt(0)
    ? `±${fmt(band)} (${fmt(k)} × confidence ${fmt(oracle.confidence.abs())}, at least ${fmt(minBps)} bps)`
    : `±${fmt(band)} (${fmt(k)} × confidence ${fmt(oracle.confidence.abs())})`;
  const prices = `${venueSymbol} venue price ${fmt(venuePrice)} vs oracle ${oracle.symbol} ${fmt(oracle.price)}`;
  const away = `${fmt(deviation)} (${fmt(deviationBps.toDecimalPlaces(1))} bps)`;

  const base = { venuePrice, oraclePrice: oracle.price, band, deviation, deviationBps };
  if (deviation.lte(band)) {
    return { ...base, status: OracleCheckStatus.ok, message: `${prices}: ${away} apart, within the band ${bandText}` };
  }
  if (settings.mode === OracleCheckMode.flag) {
    return {
      ...base,
      status: OracleCheckStatus.flagged,
      message: `Flagged: ${prices}: ${away} apart, outside the band ${bandText}; the trade goes ahead because the oracle check is set to flag`,
    };
  }
  return {
    ...base,
    status: OracleCheckStatus.blocked,
    message: `Blocked: ${prices}: ${away} apart, outside the band ${bandText}; try again when the venue and oracle agree`,
  };
}

// ---------------------------------------------------------------------------------------------
// Formatting (messages only; never used for arithmetic)
// ---------------------------------------------------------------------------------------------

function fmt(d: Dec): string {
  return d.toFixed();
}

/** Milliseconds as seconds with at most one decimal ("93", "0.5"). */
function formatSeconds(ms: number, mode: 'floor' | 'plain' = 'plain'): string {
  const s = new D(ms).div(1000);
  const shown = mode === 'floor' && s.gte(1) ? s.floor() : s.toDecimalPlaces(1, D.ROUND_DOWN);
  return shown.toFixed();
}

/** A fraction as a percentage with at most two decimals, trailing zeros dropped (0.021 → "2.1"). */
function formatPercent(fraction: Dec): string {
  const pct = fraction.mul(100);
  const shown = pct.gt(0) && pct.lt(0.01) ? pct.toSignificantDigits(2) : pct.toDecimalPlaces(2);
  return shown.toFixed();
}
