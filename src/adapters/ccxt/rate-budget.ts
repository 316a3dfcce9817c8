// The venue's request-weight budget, as the venue reports it, so MIKEY backs off before it is banned.
//
// Binance counts request weight per IP per minute and returns the running total with every answer
// (`X-MBX-USED-WEIGHT-1M`); spot and USDⓈ-M futures count separately (6 000 and 2 400 a minute by
// default; the real limits are in each API's exchangeInfo `rateLimits`, read when seen). A 429 means
// "slow down" (with Retry-After), a 418 that the IP is banned for Retry-After seconds.
//
// Rules:
// - Past `backoffRatio` (0.8) of a family's limit, new orders and reads on that family wait for the
//   next minute window; a cancel is still allowed (it reduces risk and the last 20% are kept for it).
// - After a 429 or 418, nothing at all is sent (cancels included) until Retry-After has passed.
// All times come from the injected clock.
import type { Clock } from '../../domain/ports.js';

export const RequestFamily = { spot: 'spot', futures: 'futures', other: 'other' } as const;
export type RequestFamily = (typeof RequestFamily)[keyof typeof RequestFamily];

/** What a request is for: the backoff lets a cancel through when an order or a read would wait. */
export const RequestPurpose = { order: 'order', cancel: 'cancel', read: 'read' } as const;
export type RequestPurpose = (typeof RequestPurpose)[keyof typeof RequestPurpose];

export const DEFAULT_WEIGHT_LIMITS: Readonly<Record<RequestFamily, number>> = { spot: 6_000, futures: 2_400, other: 6_000 };

const MINUTE = 60_000;

export type BudgetVerdict = { ok: true } | { ok: false; untilMs: number; reason: string };

/** A response's place in the budget: which API family, from the request's path. */
export function familyOfUrl(url: string): RequestFamily {
  let path = url;
  try {
    path = new URL(url).pathname;
  } catch {
    // a relative path already
  }
  if (/^\/(fapi|dapi)\//.test(path)) return 'futures';
  if (/^\/(api|sapi)\//.test(path)) return 'spot';
  return 'other';
}

function headerValue(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === wanted) return Array.isArray(v) ? String(v[0]) : typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
  }
  return undefined;
}

/** Used weight this minute from Binance's headers (`X-MBX-USED-WEIGHT-1M`, or the older `X-MBX-USED-WEIGHT`). */
export function usedWeightFromHeaders(headers: Record<string, unknown> | undefined): number | undefined {
  const v = headerValue(headers, 'x-mbx-used-weight-1m') ?? headerValue(headers, 'x-mbx-used-weight');
  if (v === undefined || !/^\d+$/.test(v.trim())) return undefined;
  return Number(v.trim());
}

/** Retry-After in ms (seconds form only, as Binance sends it); undefined when absent or unreadable. */
export function retryAfterMsFromHeaders(headers: Record<string, unknown> | undefined): number | undefined {
  const v = headerValue(headers, 'retry-after');
  if (v === undefined || !/^\d+$/.test(v.trim())) return undefined;
  return Math.min(Number(v.trim()), 24 * 3600) * 1000;
}

/** The minute REQUEST_WEIGHT limit from an exchangeInfo body, if it states one. */
export function weightLimitFromExchangeInfo(body: unknown): number | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const limits = (body as { rateLimits?: unknown }).rateLimits;
  if (!Array.isArray(limits)) return undefined;
  for (const l of limits) {
    const r = l as { rateLimitType?: unknown; interval?: unknown; intervalNum?: unknown; limit?: unknown };
    if (r.rateLimitType === 'REQUEST_WEIGHT' && r.interval === 'MINUTE' && (r.intervalNum === 1 || r.intervalNum === undefined) && typeof r.limit === 'number' && r.limit > 0) return r.limit;
  }
  return undefined;
}

export class RateBudget {
  private readonly limits: Record<RequestFamily, number>;
  private readonly used = new Map<RequestFamily, { weight: number; windowEnd: number }>();
  private bannedUntil = 0;
  private banReason = '';

  constructor(
    private readonly clock: Clock,
    private readonly backoffRatio = 0.8,
    limits: Partial<Record<RequestFamily, number>> = {},
  ) {
    this.limits = { ...DEFAULT_WEIGHT_LIMITS, ...limits };
  }

  private now(): number {
    return this.clock.now().getTime();
  }

  setLimit(family: RequestFamily, limit: number): void {
    if (limit > 0) this.limits[family] = limit;
  }

  limitOf(family: RequestFamily): number {
    return this.limits[family];
  }

  /** Records the used weight a response reported (the count is per calendar minute). */
  recordWeight(family: RequestFamily, weight: number): void {
    const now = this.now();
    this.used.set(family, { weight, windowEnd: Math.floor(now / MINUTE) * MINUTE + MINUTE });
  }

  /** Used weight in the current minute window (0 once the window the last report belongs to has passed). */
  usedWeight(family: RequestFamily = 'spot'): number {
    const u = this.used.get(family);
    if (!u || this.now() >= u.windowEnd) return 0;
    return u.weight;
  }

  /** A 429 or 418: nothing is sent until `retryAfterMs` has passed. */
  recordRefusal(status: 429 | 418, retryAfterMs: number | undefined): void {
    const wait = retryAfterMs ?? (status === 418 ? 120_000 : 60_000);
    const until = this.now() + wait;
    if (until > this.bannedUntil) {
      this.bannedUntil = until;
      this.banReason = status === 418 ? 'the venue has banned this IP for sending too many requests' : 'the venue answered 429 (too many requests)';
    }
  }

  /** Whether a request may be sent now. */
  check(family: RequestFamily, purpose: RequestPurpose): BudgetVerdict {
    const now = this.now();
    if (now < this.bannedUntil) {
      return { ok: false, untilMs: this.bannedUntil, reason: `${this.banReason}; MIKEY sends nothing until ${new Date(this.bannedUntil).toISOString()}` };
    }
    if (purpose === 'cancel') return { ok: true };
    const u = this.used.get(family);
    if (u && now < u.windowEnd && u.weight >= this.limits[family] * this.backoffRatio) {
      return {
        ok: false,
        untilMs: u.windowEnd,
        reason: `MIKEY has used ${u.weight} of the venue's ${this.limits[family]} request weight this minute and holds back until ${new Date(u.windowEnd).toISOString()} so the venue does not ban it`,
      };
    }
    return { ok: true };
  }
}
