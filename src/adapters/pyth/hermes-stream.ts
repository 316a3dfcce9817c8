// One live SSE subscription to Hermes' /v2/updates/price/stream, kept alive across drops.
//
// Hermes ends every stream after 24 h, proxies drop idle connections, and the server sometimes sends
// an `error` event. Whatever ends a connection, we close it and open a new one after an exponential
// backoff with jitter (bounded, reset by the first price that arrives), taking a request-budget slot
// for each connect and never connecting during a 429 lockout. `eventsource`'s own automatic retry is
// bypassed: we close the source on its first error so only this scheduler decides when to reconnect.
import type { HermesClient } from '@pythnetwork/hermes-client';
import { PythError, PythErrorCode } from './errors.js';
import { parseHermesPriceUpdates, type PythFeedId, type PythPrice } from './hermes-mapper.js';
import type { RequestBudget } from './request-budget.js';

/** The EventSource the Hermes client returns (typed from the client, so no direct dependency). */
export type HermesEventSource = Awaited<ReturnType<HermesClient['getPriceUpdatesStream']>>;

export interface HermesStreamOptions {
  /** First reconnect delay (before jitter). Default 500 ms. */
  initialBackoffMs?: number;
  /** Longest reconnect delay. Default 30 000 ms. */
  maxBackoffMs?: number;
  /** Reconnect attempts without a single price in between before giving up. Default 50. */
  maxConsecutiveFailures?: number;
  /** A connection that delivers nothing for this long is treated as dead. Default 60 000 ms. */
  idleTimeoutMs?: number;
  /** Source of jitter in [0, 1). Default Math.random. */
  random?: () => number;
}

/**
 * Delay before reconnect attempt `failures` (1-based): exponential from `initialMs`, capped at
 * `maxMs`, with "equal jitter" — half fixed, half random — so clients dropped together do not
 * reconnect together, and the delay never collapses to zero.
 */
export function reconnectDelayMs(failures: number, opts: { initialMs: number; maxMs: number; random: () => number }): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  const cap = Math.min(opts.maxMs, opts.initialMs * 2 ** exponent);
  const r = Math.min(Math.max(opts.random(), 0), 1);
  return Math.round(cap / 2 + (cap / 2) * r);
}

export interface HermesStreamDeps {
  /** Opens a new SSE connection for the subscription's feeds. */
  open: () => Promise<HermesEventSource>;
  budget: RequestBudget;
  onPrices: (prices: Map<PythFeedId, PythPrice>) => void;
  /** Called once when the stream gives up (too many consecutive failures). */
  onGiveUp: (err: PythError) => void;
  /** Every reconnect, for logging. `reason` is safe to log. */
  onReconnect?: (info: { failures: number; delayMs: number; reason: string }) => void;
}

interface StreamErrorEvent {
  type: string;
  code?: unknown;
  message?: unknown;
  data?: unknown;
}

export class HermesPriceStream {
  private stopped = false;
  private generation = 0;
  private failures = 0;
  private source: HermesEventSource | undefined;
  private timer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private lastActivity = 0;
  private connectCount = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly maxFailures: number;
  private readonly idleMs: number;
  private readonly random: () => number;

  constructor(
    private readonly deps: HermesStreamDeps,
    opts: HermesStreamOptions = {},
  ) {
    this.initialMs = opts.initialBackoffMs ?? 500;
    this.maxMs = opts.maxBackoffMs ?? 30_000;
    this.maxFailures = opts.maxConsecutiveFailures ?? 50;
    this.idleMs = opts.idleTimeoutMs ?? 60_000;
    this.random = opts.random ?? Math.random;
  }

  /** How many connections this stream has opened (first connect included). */
  get connections(): number {
    return this.connectCount;
  }

  start(): void {
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.teardown();
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.connect();
    }, Math.max(0, delayMs));
    this.timer.unref();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const wait = this.deps.budget.tryTake();
    if (wait > 0) {
      // Budget spent or locked out after a 429: come back when a slot frees, plus jitter.
      this.schedule(wait + Math.round(this.random() * 250));
      return;
    }
    const gen = ++this.generation;
    let source: HermesEventSource;
    try {
      source = await this.deps.open();
    } catch (err) {
      this.fail(gen, err instanceof Error ? err.name : 'open failed');
      return;
    }
    if (this.stopped || gen !== this.generation) {
      source.close();
      return;
    }
    this.connectCount++;
    this.source = source;
    this.lastActivity = performance.now();
    source.addEventListener('open', () => {
      if (gen === this.generation) this.lastActivity = performance.now();
    });
    source.addEventListener('message', (ev: { data?: unknown }) => {
      if (gen !== this.generation) return;
      this.lastActivity = performance.now();
      this.onMessage(ev.data);
    });
    // Transport errors (ErrorEvent with `code` for non-200 answers) and Hermes' own `event: error`
    // messages both arrive as "error"; either way this connection is finished.
    source.addEventListener('error', (ev: StreamErrorEvent) => {
      if (gen !== this.generation) return;
      if (ev.code === 429) this.deps.budget.noteRateLimited();
      const reason = typeof ev.code === 'number' ? `HTTP ${ev.code}` : typeof ev.data === 'string' ? 'Hermes sent an error event' : 'connection closed';
      this.fail(gen, reason);
    });
    this.startWatchdog(gen);
  }

  private onMessage(data: unknown): void {
    if (typeof data !== 'string') return;
    let body: unknown;
    try {
      body = JSON.parse(data);
    } catch {
      return; // a garbled event is skipped; the next one replaces it within a second
    }
    let prices: Map<PythFeedId, PythPrice>;
    try {
      prices = parseHermesPriceUpdates(body);
    } catch {
      return;
    }
    if (prices.size === 0) return;
    this.failures = 0;
    this.deps.onPrices(prices);
  }

  private startWatchdog(gen: number): void {
    if (this.watchdog) clearInterval(this.watchdog);
    const every = Math.max(50, Math.floor(this.idleMs / 4));
    this.watchdog = setInterval(() => {
      if (gen !== this.generation) return;
      if (performance.now() - this.lastActivity > this.idleMs) this.fail(gen, `no data for ${Math.round(this.idleMs / 1000)} s`);
    }, every);
    this.watchdog.unref();
  }

  private teardown(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
    const s = this.source;
    this.source = undefined;
    // Closed in a microtask: when this runs inside eventsource's error dispatch, eventsource arms its
    // own 3-s retry timer right after the dispatch returns; closing afterwards clears that timer too.
    if (s) queueMicrotask(() => s.close());
  }

  private fail(gen: number, reason: string): void {
    if (gen !== this.generation || this.stopped) return;
    this.generation++; // later events of the dead connection are ignored
    this.teardown();
    this.failures++;
    if (this.failures > this.maxFailures) {
      this.stopped = true;
      this.deps.onGiveUp(
        new PythError(
          PythErrorCode.unavailable,
          `Pyth price stream stopped after ${this.maxFailures} reconnects without a price (last: ${reason})`,
          'subscribe again later',
        ),
      );
      return;
    }
    const backoff = reconnectDelayMs(this.failures, { initialMs: this.initialMs, maxMs: this.maxMs, random: this.random });
    const delayMs = Math.max(backoff, this.deps.budget.lockoutRemainingMs());
    this.deps.onReconnect?.({ failures: this.failures, delayMs, reason });
    this.schedule(delayMs);
  }
}
