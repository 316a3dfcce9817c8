// Client-side rate limiting for Hermes. The public endpoint allows 30 requests per 10 s per IP and
// answers 429 for the next 60 s to anyone above it, so every request (latest prices, feed search,
// stream connects) first takes a slot here.
//
// A sliding-window log, not a refilling token bucket: a bucket of 30 refilling 3/s admits up to ~60
// requests in some 10-s window (a full burst, then the refill), which a sliding-window server limit
// would punish. Keeping the send times of the last `limit` requests admits at most `limit` in ANY
// window of `windowMs`, which is what Hermes counts.
import type { Clock } from '../../domain/ports.js';
import { PythRateLimitError } from './errors.js';

export interface RequestBudgetOptions {
  /** Requests allowed per window. Default 25 (Hermes allows 30; the margin absorbs clock and network jitter). */
  limit?: number;
  /** Window length. Default 10 000 ms. */
  windowMs?: number;
  /** How long a 429 locks us out (Hermes: 60 s). Default 60 000 ms. */
  lockoutMs?: number;
  /** Longest a caller waits for a free slot before getting a rate-limit error. Default 3 000 ms. */
  maxWaitMs?: number;
  clock: Clock;
}

export const HERMES_PUBLIC_LIMIT = { limit: 30, windowMs: 10_000, lockoutMs: 60_000 } as const;

/** The send times of recent requests and a lockout after a 429; shared by every call of one feed. */
export class RequestBudget {
  readonly limit: number;
  readonly windowMs: number;
  readonly lockoutMs: number;
  readonly maxWaitMs: number;
  private readonly sent: number[] = [];
  private lockedUntil = 0;

  constructor(private readonly opts: RequestBudgetOptions) {
    this.limit = opts.limit ?? 25;
    this.windowMs = opts.windowMs ?? 10_000;
    this.lockoutMs = opts.lockoutMs ?? HERMES_PUBLIC_LIMIT.lockoutMs;
    this.maxWaitMs = opts.maxWaitMs ?? 3_000;
    if (!Number.isInteger(this.limit) || this.limit < 1) throw new RangeError('rate limit must be a whole number of requests ≥ 1');
    if (!(this.windowMs > 0)) throw new RangeError('rate-limit window must be > 0 ms');
  }

  private now(): number {
    return this.opts.clock.now().getTime();
  }

  /** Milliseconds left in a 429 lockout (0 when none). */
  lockoutRemainingMs(): number {
    return Math.max(0, this.lockedUntil - this.now());
  }

  /** Records a 429: nothing is sent until the lockout has passed. */
  noteRateLimited(retryAfterMs?: number): PythRateLimitError {
    const ms = retryAfterMs !== undefined && retryAfterMs > 0 ? retryAfterMs : this.lockoutMs;
    this.lockedUntil = Math.max(this.lockedUntil, this.now() + ms);
    return this.lockoutError();
  }

  private lockoutError(): PythRateLimitError {
    const remaining = this.lockoutRemainingMs();
    const at = new Date(this.lockedUntil);
    return new PythRateLimitError(
      `Pyth rate limit hit; retrying after ${Math.ceil(remaining / 1000)} s (at ${at.toISOString()}). No requests are sent to Hermes until then`,
      remaining,
      at,
    );
  }

  /** Milliseconds until a slot frees (0 = a request may go now). */
  private waitForSlotMs(now: number): number {
    while (this.sent.length > 0 && (this.sent[0] ?? 0) <= now - this.windowMs) this.sent.shift();
    if (this.sent.length < this.limit) return 0;
    return (this.sent[0] ?? now) + this.windowMs - now;
  }

  /**
   * Takes a slot without waiting: 0 when taken, else the milliseconds to wait (a lockout counts).
   * Used by the stream's reconnect scheduler.
   */
  tryTake(): number {
    const now = this.now();
    const locked = this.lockedUntil - now;
    if (locked > 0) return locked;
    const wait = this.waitForSlotMs(now);
    if (wait > 0) return wait;
    this.sent.push(now);
    return 0;
  }

  /**
   * Takes a slot, waiting up to `maxWaitMs` for one. During a 429 lockout it refuses at once (never
   * queues requests to fire the moment the lockout ends).
   */
  async take(sleep: (ms: number) => Promise<void>): Promise<void> {
    const deadline = this.now() + this.maxWaitMs;
    // Also bounded in real time, so a clock that does not move (tests) cannot keep us here.
    const realDeadline = performance.now() + this.maxWaitMs + 1_000;
    for (let attempt = 0; attempt < 1_000 && performance.now() <= realDeadline; attempt++) {
      if (this.lockoutRemainingMs() > 0) throw this.lockoutError();
      const wait = this.tryTake();
      if (wait === 0) return;
      if (this.now() + wait > deadline) {
        const at = new Date(this.now() + wait);
        throw new PythRateLimitError(
          `Pyth request budget used up (${this.limit} requests per ${this.windowMs / 1000} s); retrying after ${Math.ceil(wait / 1000)} s`,
          wait,
          at,
        );
      }
      await sleep(Math.max(1, wait));
    }
    throw new PythRateLimitError('Pyth request budget: gave up waiting for a slot', this.windowMs, new Date(this.now() + this.windowMs));
  }
}
