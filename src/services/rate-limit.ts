// Token buckets for per-key and per-chat-user rate limits (reliability 19). In-process: one MIKEY
// process serves a deployment; buckets are bounded in number and idle ones are evicted.
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

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
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
      b = { tokens: perMinute, updatedAt: t, capacity: perMinute, perMs: perMinute / 60_000 };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(b.capacity, b.tokens + (t - b.updatedAt) * b.perMs);
      b.updatedAt = t;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { allowed: true, retryAfterSeconds: 0, remaining: Math.floor(b.tokens) };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / b.perMs / 1000)), remaining: 0 };
  }

  /** Gives back one token taken by `take` (the request it reserved for turned out not to count). */
  refund(key: string): void {
    const b = this.buckets.get(key);
    if (b) b.tokens = Math.min(b.capacity, b.tokens + 1);
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
