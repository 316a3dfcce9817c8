// The outbound sender: every bot reply and push goes through one queue that keeps to the platform's
// limits (Telegram: about 1 message/s per chat, 20/min per group, 30/s overall) and never loses or
// duplicates a message on a rate limit (reliability 19).
//
// Invariants:
// - Per chat, messages leave in the order they were queued, one at a time: the next one starts only
//   after the previous one was delivered or dropped.
// - A 429 means "not delivered": the same message is retried after `retry_after`, still at the head
//   of its chat, so nothing is lost and nothing is sent twice.
// - Other transient failures (5xx, network) are retried a bounded number of times with backoff;
//   permanent ones (403 blocked, 400 chat not found) drop that message with a log line.
// - `send()` never rejects: it resolves with a `Delivery` saying what happened.
// - Chats take turns (round robin), so one busy chat cannot starve the others under the global limit.
// - Limits are kept as the server sees them: a request reaches Telegram at some moment between being
//   sent and being answered, so it counts against a window from when it is sent until one window
//   length after its answer. Latency jitter can then never squeeze more than the limit into one of
//   Telegram's windows (the price: a window per request is a little longer than the window itself).
import type { Logger } from '../../log.js';
import { systemSenderClock, type SenderClock } from './clock.js';

export interface OutboundLimits {
  /** Minimum gap between two messages to the same chat, in ms. */
  perChatIntervalMs: number;
  /** Most messages to one group chat in any 60 s window. */
  perGroupPerMinute: number;
  /** Most messages overall in any 1 s window. */
  globalPerSecond: number;
}

/** Telegram's documented broadcast limits. */
export const TELEGRAM_LIMITS: OutboundLimits = Object.freeze({ perChatIntervalMs: 1000, perGroupPerMinute: 20, globalPerSecond: 30 });

/** Discord: 5 messages per 5 s per channel, 50 requests per second per bot. */
export const DISCORD_LIMITS: OutboundLimits = Object.freeze({ perChatIntervalMs: 1000, perGroupPerMinute: 60, globalPerSecond: 50 });

export const PermanentReason = { forbidden: 'forbidden', notFound: 'not_found', rejected: 'rejected' } as const;
export type PermanentReason = (typeof PermanentReason)[keyof typeof PermanentReason];

/** How one failed attempt should be treated. Each platform supplies its classifier. */
export type SendErrorClass =
  | { kind: 'rate_limited'; retryAfterMs: number }
  | { kind: 'transient' }
  | { kind: 'permanent'; reason: PermanentReason };

export type ErrorClassifier = (err: unknown) => SendErrorClass;

export type DeliveryFailure = PermanentReason | 'gave_up' | 'closed' | 'overloaded';

export type Delivery<T> =
  | { ok: true; value: T; attempts: number }
  | { ok: false; reason: DeliveryFailure; error?: unknown; attempts: number };

export interface SendTarget {
  /** The platform chat the message goes to (the unit of ordering and per-chat limits). */
  chatId: string;
  /** Group chats have the per-minute limit on top of the per-chat interval. */
  group?: boolean;
  /** Short description for log lines ("reply", "push:fill"); never message content. */
  label?: string;
}

export interface OutboundSenderOptions {
  classify: ErrorClassifier;
  limits?: OutboundLimits;
  clock?: SenderClock;
  logger?: Logger;
  /** Retries after 5xx / network errors before a message is dropped. Default 5. */
  maxTransientRetries?: number;
  /** 429 answers tolerated for one message before it is dropped. Default 50. */
  maxRateLimitRetries?: number;
  /** First transient backoff in ms, doubled each time up to `backoffMaxMs`. Default 500 / 30 000. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Requests in flight at once. Default: the global per-second limit. */
  maxInFlight?: number;
  /** Messages waiting at once before new ones are refused as `overloaded`. Default 100 000. */
  maxQueued?: number;
}

export interface OutboundStats {
  queued: number;
  inFlight: number;
  delivered: number;
  dropped: number;
  attempts: number;
  rateLimited: number;
  transientRetries: number;
}

interface Job {
  op: () => Promise<unknown>;
  resolve: (d: Delivery<unknown>) => void;
  label: string;
  attempts: number;
  rateLimited: number;
  transient: number;
}

interface ChatState {
  id: string;
  group: boolean;
  queue: Job[];
  busy: boolean;
  /** When recent attempts were answered, oldest first (bounded by the group limit). */
  doneAt: number[];
  /** No attempt before this time (429 retry_after or transient backoff). */
  blockedUntil: number;
}

const GROUP_WINDOW_MS = 60_000;
const GLOBAL_WINDOW_MS = 1000;

export class OutboundSender {
  private readonly limits: OutboundLimits;
  private readonly clock: SenderClock;
  private readonly classify: ErrorClassifier;
  private readonly logger: Logger | undefined;
  private readonly maxTransientRetries: number;
  private readonly maxRateLimitRetries: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly maxInFlight: number;
  private readonly maxQueued: number;

  /** Every chat with history or work; pruned when idle past the group window. */
  private readonly chats = new Map<string, ChatState>();
  /** Chats with queued messages, in round-robin order (served ones move to the back). */
  private readonly ready = new Map<string, ChatState>();
  /** When recent attempts were answered, oldest first (within the last global window). */
  private readonly globalDoneAt: number[] = [];
  private queued = 0;
  private inFlight = 0;
  private closed = false;
  private pumpScheduled = false;
  private timer: { at: number; cancel: () => void } | undefined;
  private idleWaiters: Array<() => void> = [];
  private lastPrune = 0;
  private readonly counters = { delivered: 0, dropped: 0, attempts: 0, rateLimited: 0, transientRetries: 0 };

  constructor(opts: OutboundSenderOptions) {
    this.limits = opts.limits ?? TELEGRAM_LIMITS;
    this.clock = opts.clock ?? systemSenderClock;
    this.classify = opts.classify;
    this.logger = opts.logger;
    this.maxTransientRetries = opts.maxTransientRetries ?? 5;
    this.maxRateLimitRetries = opts.maxRateLimitRetries ?? 50;
    this.backoffBaseMs = opts.backoffBaseMs ?? 500;
    this.backoffMaxMs = opts.backoffMaxMs ?? 30_000;
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? this.limits.globalPerSecond);
    this.maxQueued = opts.maxQueued ?? 100_000;
  }

  /** Queues one message; resolves when it was delivered or given up on. Never rejects. */
  send<T>(target: SendTarget, op: () => Promise<T>): Promise<Delivery<T>> {
    const label = target.label ?? 'message';
    if (this.closed) return Promise.resolve({ ok: false, reason: 'closed', attempts: 0 });
    if (this.queued >= this.maxQueued) {
      this.logger?.warn('outbound queue full; message refused', { chatId: target.chatId, label, queued: this.queued });
      return Promise.resolve({ ok: false, reason: 'overloaded', attempts: 0 });
    }
    return new Promise<Delivery<T>>((resolve) => {
      const job: Job = { op, resolve: resolve as (d: Delivery<unknown>) => void, label, attempts: 0, rateLimited: 0, transient: 0 };
      let chat = this.chats.get(target.chatId);
      if (!chat) {
        chat = { id: target.chatId, group: target.group ?? false, queue: [], busy: false, doneAt: [], blockedUntil: 0 };
        this.chats.set(chat.id, chat);
      } else if (target.group) {
        chat.group = true;
      }
      chat.queue.push(job);
      this.queued++;
      if (!this.ready.has(chat.id)) this.ready.set(chat.id, chat);
      this.schedulePump();
    });
  }

  /** Resolves once every queued message was delivered or dropped (true), or after `timeoutMs` real ms (false). */
  drain(timeoutMs?: number): Promise<boolean> {
    if (this.isIdle()) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      let timeout: ReturnType<typeof setTimeout> | undefined;
      const done = (): void => {
        if (timeout) clearTimeout(timeout);
        resolve(true);
      };
      this.idleWaiters.push(done);
      if (timeoutMs !== undefined) {
        timeout = setTimeout(() => {
          this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
          resolve(false);
        }, timeoutMs);
      }
    });
  }

  /** Refuses new messages, then drains what is queued. */
  async close(timeoutMs?: number): Promise<boolean> {
    this.closed = true;
    const drained = await this.drain(timeoutMs);
    this.timer?.cancel();
    this.timer = undefined;
    return drained;
  }

  stats(): OutboundStats {
    return { queued: this.queued, inFlight: this.inFlight, ...this.counters };
  }

  private isIdle(): boolean {
    return this.queued === 0 && this.inFlight === 0;
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Starts every message whose chat and the global budget allow it now; arms a timer for the rest. */
  private pump(): void {
    const now = this.clock.now();
    this.trimGlobal(now);
    let wakeAt = Number.POSITIVE_INFINITY;
    for (const chat of [...this.ready.values()]) {
      if (chat.busy) continue;
      const chatReady = this.chatReadyAt(chat, now);
      if (chatReady > now) {
        wakeAt = Math.min(wakeAt, chatReady);
        continue;
      }
      if (this.inFlight >= this.maxInFlight) break; // a completion schedules the next pump
      const globalReady = this.globalReadyAt(now);
      if (globalReady > now) {
        wakeAt = Math.min(wakeAt, globalReady); // Infinity: a completion schedules the next pump
        break;
      }
      this.start(chat);
    }
    if (wakeAt !== Number.POSITIVE_INFINITY) this.armTimer(wakeAt, now);
    if (now - this.lastPrune > GROUP_WINDOW_MS) this.prune(now);
    if (this.isIdle()) this.notifyIdle();
  }

  private chatReadyAt(chat: ChatState, now: number): number {
    let t = Math.max(now, chat.blockedUntil);
    const last = chat.doneAt[chat.doneAt.length - 1];
    if (last !== undefined) t = Math.max(t, last + this.limits.perChatIntervalMs);
    if (chat.group) {
      const n = this.limits.perGroupPerMinute;
      while (chat.doneAt.length > 0 && chat.doneAt[0]! <= now - GROUP_WINDOW_MS) chat.doneAt.shift();
      if (chat.doneAt.length >= n) t = Math.max(t, chat.doneAt[chat.doneAt.length - n]! + GROUP_WINDOW_MS);
    }
    return t;
  }

  /**
   * When one more request fits the global window: requests in flight count fully, answered ones
   * until a window after their answer. Infinity means "when one in flight is answered".
   */
  private globalReadyAt(now: number): number {
    const n = this.limits.globalPerSecond;
    const occupied = this.inFlight + this.globalDoneAt.length;
    if (occupied < n) return now;
    const mustAgeOut = occupied - n + 1;
    if (mustAgeOut > this.globalDoneAt.length) return Number.POSITIVE_INFINITY;
    return Math.max(now, this.globalDoneAt[mustAgeOut - 1]! + GLOBAL_WINDOW_MS);
  }

  private trimGlobal(now: number): void {
    while (this.globalDoneAt.length > 0 && this.globalDoneAt[0]! <= now - GLOBAL_WINDOW_MS) this.globalDoneAt.shift();
  }

  /** An attempt was answered (delivered, refused or rate limited): it counts until a window later. */
  private answered(chat: ChatState): void {
    const now = this.clock.now();
    chat.doneAt.push(now);
    const keep = chat.group ? this.limits.perGroupPerMinute : 1;
    while (chat.doneAt.length > keep) chat.doneAt.shift();
    this.globalDoneAt.push(now);
  }

  private start(chat: ChatState): void {
    const job = chat.queue[0]!;
    chat.busy = true;
    this.inFlight++;
    job.attempts++;
    this.counters.attempts++;
    // Round robin: the chat just served waits behind the others.
    this.ready.delete(chat.id);
    this.ready.set(chat.id, chat);
    // A synchronous throw in `op` becomes a rejection like any other failure.
    const attempt = Promise.resolve().then(() => job.op());
    attempt.then(
      (value) => {
        this.answered(chat);
        this.finish(chat, job, { ok: true, value, attempts: job.attempts });
      },
      (err: unknown) => {
        this.answered(chat);
        this.failed(chat, job, err);
      },
    );
  }

  private failed(chat: ChatState, job: Job, err: unknown): void {
    let cls: SendErrorClass;
    try {
      cls = this.classify(err);
    } catch {
      cls = { kind: 'permanent', reason: 'rejected' };
    }
    const now = this.clock.now();
    if (cls.kind === 'rate_limited') {
      job.rateLimited++;
      this.counters.rateLimited++;
      if (job.rateLimited > this.maxRateLimitRetries) {
        this.logger?.error('outbound message dropped: still rate limited after many retries', { chatId: chat.id, label: job.label, attempts: job.attempts });
        return this.finish(chat, job, { ok: false, reason: 'gave_up', error: err, attempts: job.attempts });
      }
      chat.blockedUntil = Math.max(chat.blockedUntil, now + Math.max(0, cls.retryAfterMs));
      this.logger?.debug('outbound rate limited; will retry', { chatId: chat.id, label: job.label, retryAfterMs: cls.retryAfterMs });
      return this.retry(chat);
    }
    if (cls.kind === 'transient') {
      job.transient++;
      if (job.transient > this.maxTransientRetries) {
        this.logger?.error('outbound message dropped after transient failures', { chatId: chat.id, label: job.label, attempts: job.attempts, error: err });
        return this.finish(chat, job, { ok: false, reason: 'gave_up', error: err, attempts: job.attempts });
      }
      this.counters.transientRetries++;
      const backoff = Math.min(this.backoffMaxMs, this.backoffBaseMs * 2 ** (job.transient - 1));
      chat.blockedUntil = Math.max(chat.blockedUntil, now + backoff);
      this.logger?.warn('outbound transient failure; will retry', { chatId: chat.id, label: job.label, backoffMs: backoff, error: err });
      return this.retry(chat);
    }
    this.logger?.warn('outbound message dropped', { chatId: chat.id, label: job.label, reason: cls.reason, error: err });
    this.finish(chat, job, { ok: false, reason: cls.reason, error: err, attempts: job.attempts });
  }

  /** The message stays at the head of its chat; the chat is free to be picked again when allowed. */
  private retry(chat: ChatState): void {
    chat.busy = false;
    this.inFlight--;
    this.schedulePump();
  }

  private finish(chat: ChatState, job: Job, delivery: Delivery<unknown>): void {
    chat.queue.shift();
    chat.busy = false;
    this.inFlight--;
    this.queued--;
    if (delivery.ok) this.counters.delivered++;
    else this.counters.dropped++;
    if (chat.queue.length === 0) this.ready.delete(chat.id);
    try {
      job.resolve(delivery);
    } finally {
      this.schedulePump();
    }
  }

  private armTimer(at: number, now: number): void {
    if (this.timer && this.timer.at <= at) return;
    this.timer?.cancel();
    const cancel = this.clock.setTimer(at - now, () => {
      if (this.timer?.cancel === cancel) this.timer = undefined;
      this.pump();
    });
    this.timer = { at, cancel };
  }

  private prune(now: number): void {
    this.lastPrune = now;
    for (const [id, chat] of this.chats) {
      const last = chat.doneAt[chat.doneAt.length - 1] ?? 0;
      if (!chat.busy && chat.queue.length === 0 && chat.blockedUntil <= now && now - last > GROUP_WINDOW_MS) this.chats.delete(id);
    }
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
