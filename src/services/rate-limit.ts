// Token buckets for per-key and per-chat-user rate limits (reliability 19). Decisions are local and
// synchronous; buckets are bounded in number and idle ones are evicted. Behind several instances on
// one Postgres the limits hold across them: each instance counts what it let through per one-minute
// window, and a sync (src/services/cluster/shared-rate-limit.ts) shares those counts and takes what
// the other instances let through out of the local buckets.
export interface RateDecision {
  allowed: boolean;
  /** Seconds until one request is allowed again (for Retry-After). */
  retryAfterSeconds: number;
  remaining: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
  capacity: number;
  perMs: number;
}

/** What one instance let through under one key in one window, not yet shared. */
export interface RateCount {
  key: string;
  /** Start of the one-minute window, ms since the epoch. */
  windowStart: number;
  count: number;
}

export const RATE_WINDOW_MS = 60_000;

export const rateWindowOf = (ms: number): number => Math.floor(ms / RATE_WINDOW_MS) * RATE_WINDOW_MS;

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  /** Counted here and not yet shared: window → key → requests. */
  private unshared = new Map<number, Map<string, number>>();
  /** Shared by this instance: window → key → requests. */
  private readonly shared = new Map<number, Map<string, number>>();
  /** What the other instances had let through, as last learnt: key → window and requests. */
  private readonly others = new Map<string, { windowStart: number; used: number }>();
  constructor(
    private readonly now: () => number = () => Date.now(),
    private readonly maxBuckets = 100_000,
  ) {}

  /** Takes one token from `key`'s bucket of `perMinute` requests a minute (burst = perMinute). */
  take(key: string, perMinute: number): RateDecision {
    const t = this.now();
    let b = this.buckets.get(key);
    if (!b || b.capacity !== perMinute) {
      if (!b && this.buckets.size >= this.maxBuckets) this.evict(t);
      // A bucket new here starts without what other instances took under the key this window.
      const seen = this.others.get(key);
      const taken = seen && seen.windowStart === rateWindowOf(t) ? seen.used : 0;
      b = { tokens: Math.max(0, perMinute - taken), updatedAt: t, capacity: perMinute, perMs: perMinute / 60_000 };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(b.capacity, b.tokens + (t - b.updatedAt) * b.perMs);
      b.updatedAt = t;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      this.count(key, rateWindowOf(t), 1);
      return { allowed: true, retryAfterSeconds: 0, remaining: Math.floor(b.tokens) };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / b.perMs / 1000)), remaining: 0 };
  }

  /** Gives back one token taken by `take` (the request it reserved for turned out not to count). */
  refund(key: string): void {
    const b = this.buckets.get(key);
    if (b) b.tokens = Math.min(b.capacity, b.tokens + 1);
    this.count(key, rateWindowOf(this.now()), -1);
  }

  private count(key: string, windowStart: number, n: number): void {
    let w = this.unshared.get(windowStart);
    if (!w) this.unshared.set(windowStart, (w = new Map()));
    w.set(key, (w.get(key) ?? 0) + n);
  }

  /** Takes the counts not yet shared (a sync writes them to the shared store). */
  drainUnshared(): RateCount[] {
    const out: RateCount[] = [];
    for (const [windowStart, keys] of this.unshared) {
      let mine = this.shared.get(windowStart);
      if (!mine) this.shared.set(windowStart, (mine = new Map()));
      for (const [key, count] of keys) {
        if (count === 0) continue;
        out.push({ key, windowStart, count });
        mine.set(key, (mine.get(key) ?? 0) + count);
      }
    }
    this.unshared = new Map();
    return out;
  }

  /** Puts back counts a sync could not write: the next sync writes them. */
  restoreUnshared(counts: readonly RateCount[]): void {
    for (const c of counts) {
      const mine = this.shared.get(c.windowStart);
      mine?.set(c.key, (mine.get(c.key) ?? 0) - c.count);
      this.count(c.key, c.windowStart, c.count);
    }
  }

  /**
   * The totals of window `windowStart` over every instance (this one's shared counts included): what
   * the others let through since the last look is taken out of the local buckets, down to at most
   * one minute's worth of debt.
   */
  applyShared(windowStart: number, totals: ReadonlyMap<string, number>): void {
    const mine = this.shared.get(windowStart);
    for (const [key, total] of totals) {
      const others = total - (mine?.get(key) ?? 0);
      const seen = this.others.get(key);
      const before = seen && seen.windowStart === windowStart ? seen.used : 0;
      if (others <= before) continue;
      this.others.set(key, { windowStart, used: others });
      const b = this.buckets.get(key);
      if (b) {
        // Refilled up to now first, so what the others took is not lost in a full bucket's cap.
        const t = this.now();
        b.tokens = Math.max(-b.capacity, Math.min(b.capacity, b.tokens + (t - b.updatedAt) * b.perMs) - (others - before));
        b.updatedAt = t;
      }
    }
    // Only the current window and the one before matter from here on.
    for (const w of this.shared.keys()) if (w < windowStart - RATE_WINDOW_MS) this.shared.delete(w);
    for (const [key, seen] of this.others) if (seen.windowStart < windowStart) this.others.delete(key);
  }

  private evict(t: number): void {
    for (const [k, b] of this.buckets) {
      if (t - b.updatedAt > 120_000) this.buckets.delete(k);
    }
    if (this.buckets.size >= this.maxBuckets) {
      const first = this.buckets.keys().next().value;
      if (first !== undefined) this.buckets.delete(first);
    }
  }
}
