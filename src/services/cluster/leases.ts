// Postgres leases: several `mikey serve` processes on one Postgres run each periodic job on one
// instance at a time. A lease (a row of `cluster_leases`) names a job and the instance that may run
// it until `expires_at`. The holder renews every `renewMs` (default 5 s) for `ttlMs` more (default
// 15 s); once a holder stops renewing (killed, cut off from the database), any instance takes the
// lease over at its next renewal after the expiry — within ttlMs + renewMs of the last renewal. A
// graceful stop releases the leases at once, so another instance takes them at its next renewal.
//
// A holder stops considering a lease held as soon as ttlMs have passed since the renewal it last
// sent succeeded was sent (its own clock), so two instances believe they hold the same lease only
// for work already in progress when the lease ran out. Every job is also safe to run twice by
// construction (unique keys: one alert per crossing, one slice per index, one report per period, one
// funding entry per interval); the lease is about not doing the work N times, not about correctness.
//
// On the embedded database (PGlite) there is one process: every lease is held, nothing is stored.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { queryRows } from '../../db/client.js';
import type { Logger } from '../../log.js';

/** The jobs that run on one instance at a time. */
export const LeaseJob = {
  /** The trading engine's tick: TWAP/VWAP slices, funding, pending orders, liquidations. */
  tradingTick: 'trading.tick',
  /** Matching the resting paper orders (the simulated venue's book): one instance holds the whole book. */
  paperBook: 'trading.paper-book',
  /** Marks, daily snapshots and the risk sweep. */
  tradingHousekeeping: 'trading.housekeeping',
  /** Live portfolios compared with their venues. */
  liveReconcile: 'trading.live-reconcile',
  /** The alert engine's evaluations (price stream and sweeps) and re-deliveries. */
  alerts: 'alerts',
  /** Scheduled reports. */
  reports: 'reports',
  /** Scheduled predictions and their scoring. */
  predictions: 'predictions',
  /** Platform-token rewards: staking yield and trading-activity rewards for each elapsed UTC day. */
  tokenRewards: 'token.rewards',
  /** Community competitions: start, finish (results and prizes once), pushes. */
  competitions: 'community.competitions',
  /** Bots: each running bot decides its newly closed candles. */
  bots: 'bots',
  /** Watched wallets' on-chain events (EVM blocks, Hyperliquid fills). */
  walletIngestion: 'wallets.ingestion',
  /** Time-series retention. */
  retention: 'retention',
  /** Chat pushes of domain events (fills, closes, risk alerts): one instance sends each. */
  chatPushes: 'chat.pushes',
} as const;
export type LeaseJob = (typeof LeaseJob)[keyof typeof LeaseJob];

/** What the schedulers ask: may this instance run `job` now? */
export interface LeaseGate {
  holds(job: LeaseJob): boolean;
}

/** Every job held: the embedded database (one process) and tests of one app. */
export const soleInstance: LeaseGate = { holds: () => true };

export interface LeaseStatus {
  mode: 'embedded' | 'postgres';
  instanceId: string;
  /** The last renewal reached the database (always true on the embedded database). */
  connected: boolean;
  /** Why the last renewal failed, when it did. */
  error?: string;
  held: LeaseJob[];
}

export interface LeaseManagerOptions {
  database: Database;
  logger?: Logger;
  /** This instance's name in `cluster_leases.holder`. Default host:pid:random. */
  instanceId?: string;
  /** How long a lease lasts after each renewal. Default 15 s. */
  ttlMs?: number;
  /** How often the holder renews (and others try to take over). Default 5 s; must be < ttlMs / 2. */
  renewMs?: number;
  /**
   * The clock leases are stamped and compared with (tests: a clock they can move past an expiry).
   * Default: the database's clock, one clock for every instance whatever their own clocks say.
   */
  now?: () => Date;
}

interface Held {
  token: number;
  /** Local deadline: when the lease stops being held if no renewal succeeds (ms, local clock). */
  until: number;
}

export function newInstanceId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

export class LeaseManager implements LeaseGate {
  readonly instanceId: string;
  readonly ttlMs: number;
  readonly renewMs: number;
  private readonly wanted = new Set<LeaseJob>();
  private readonly held = new Map<LeaseJob, Held>();
  private readonly listeners = new Set<(job: LeaseJob, held: boolean) => void>();
  private timer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> | undefined;
  private connected = true;
  private lastError: string | undefined;
  private started = false;
  private stopped = false;

  constructor(private readonly opts: LeaseManagerOptions) {
    this.instanceId = opts.instanceId ?? newInstanceId();
    this.ttlMs = opts.ttlMs ?? 15_000;
    this.renewMs = opts.renewMs ?? 5_000;
    if (!(this.renewMs > 0 && this.renewMs * 2 < this.ttlMs)) {
      throw new RangeError(`lease renewal every ${this.renewMs} ms must be more than 0 and less than half the lease time (${this.ttlMs} ms)`);
    }
  }

  get embedded(): boolean {
    return this.opts.database.kind !== 'postgres';
  }

  /** Asks for `jobs`' leases from the next renewal on (a surface that only some instances run). */
  want(...jobs: LeaseJob[]): void {
    for (const j of jobs) this.wanted.add(j);
    if (this.started && !this.embedded) void this.renew();
  }

  holds(job: LeaseJob): boolean {
    if (this.embedded) return !this.stopped;
    const h = this.held.get(job);
    return h !== undefined && this.localNow() < h.until;
  }

  /** Called with (job, true) when a lease is taken and (job, false) when it is lost or released. */
  onChange(listener: (job: LeaseJob, held: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  status(): LeaseStatus {
    if (this.embedded) return { mode: 'embedded', instanceId: this.instanceId, connected: true, held: this.stopped ? [] : [...this.wanted] };
    return {
      mode: 'postgres',
      instanceId: this.instanceId,
      connected: this.connected,
      ...(this.lastError ? { error: this.lastError } : {}),
      held: [...this.wanted].filter((j) => this.holds(j)),
    };
  }

  /** Takes what it can now, then renews every `renewMs` (unref'd: it never keeps a process alive). */
  async start(): Promise<void> {
    if (this.started || this.stopped) return;
    this.started = true;
    if (this.embedded) {
      for (const j of this.wanted) this.emit(j, true);
      return;
    }
    await this.renew();
    this.timer = setInterval(() => void this.renew(), this.renewMs);
    this.timer.unref();
  }

  /** One round: renew the leases held, take those free or expired. Rounds never overlap. */
  renew(): Promise<void> {
    if (this.embedded || this.stopped) return Promise.resolve();
    this.renewing ??= this.renewOnce().finally(() => {
      this.renewing = undefined;
    });
    return this.renewing;
  }

  private async renewOnce(): Promise<void> {
    const sentAt = this.localNow();
    const jobs = [...this.wanted];
    if (jobs.length === 0) return;
    let won: Map<string, number>;
    try {
      const now = this.nowSql();
      const rows = await queryRows<{ name: string; token: string | number }>(
        this.opts.database.db,
        sql`INSERT INTO cluster_leases (name, holder, token, acquired_at, expires_at)
            SELECT j, ${this.instanceId}, 1, ${now}, ${now} + ${this.ttlMs}::float8 * interval '1 millisecond'
            FROM unnest(ARRAY[${sql.join(
              jobs.map((j) => sql`${j}`),
              sql`, `,
            )}]::text[]) AS j
            ON CONFLICT (name) DO UPDATE SET
              holder = EXCLUDED.holder,
              token = CASE WHEN cluster_leases.holder = EXCLUDED.holder THEN cluster_leases.token ELSE cluster_leases.token + 1 END,
              acquired_at = CASE WHEN cluster_leases.holder = EXCLUDED.holder THEN cluster_leases.acquired_at ELSE EXCLUDED.acquired_at END,
              expires_at = EXCLUDED.expires_at
            WHERE cluster_leases.holder = EXCLUDED.holder OR cluster_leases.expires_at <= EXCLUDED.acquired_at
            RETURNING name, token`,
      );
      won = new Map(rows.map((r) => [r.name, Number(r.token)]));
      if (!this.connected) this.opts.logger?.info('cluster leases: database reachable again');
      this.connected = true;
      this.lastError = undefined;
    } catch (err) {
      // Nothing renewed: what is held runs out at its local deadline; nothing new is taken.
      const message = err instanceof Error ? err.message : String(err);
      if (this.connected) this.opts.logger?.warn('cluster leases: renewal failed; jobs stop when their leases run out', { error: message });
      this.connected = false;
      this.lastError = message;
      for (const j of jobs) if (!this.holds(j) && this.held.delete(j)) this.emit(j, false);
      return;
    }
    if (this.stopped) return;
    for (const j of jobs) {
      const token = won.get(j);
      const before = this.held.get(j);
      if (token === undefined) {
        if (before && this.held.delete(j)) this.emit(j, false);
        continue;
      }
      const broken = before !== undefined && (before.token !== token || this.localNow() >= before.until);
      this.held.set(j, { token, until: sentAt + this.ttlMs });
      if (!before || broken) {
        this.opts.logger?.info('cluster lease taken', { job: j, instance: this.instanceId });
        this.emit(j, true);
      }
    }
  }

  /** Stops renewing and releases every lease held, so another instance takes them at once. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.embedded) {
      for (const j of this.wanted) this.emit(j, false);
      return;
    }
    await this.renewing?.catch(() => undefined);
    const jobs = [...this.held.keys()];
    this.held.clear();
    for (const j of jobs) this.emit(j, false);
    if (jobs.length === 0) return;
    try {
      await this.opts.database.db.execute(
        sql`UPDATE cluster_leases SET expires_at = '-infinity' WHERE holder = ${this.instanceId} AND name IN (${sql.join(
          jobs.map((j) => sql`${j}`),
          sql`, `,
        )})`,
      );
      this.opts.logger?.info('cluster leases released', { jobs, instance: this.instanceId });
    } catch (err) {
      this.opts.logger?.warn('cluster leases: could not release; they run out on their own', { error: err instanceof Error ? err.message : String(err) });
    }
  }

  private nowSql(): SQL {
    return this.opts.now ? sql`${this.opts.now().toISOString()}::timestamptz` : sql`clock_timestamp()`;
  }

  private localNow(): number {
    return this.opts.now ? this.opts.now().getTime() : performance.now();
  }

  private emit(job: LeaseJob, held: boolean): void {
    for (const l of this.listeners) {
      try {
        l(job, held);
      } catch (err) {
        this.opts.logger?.error('cluster lease listener failed', { job, error: err });
      }
    }
  }
}
