// The trading engine: the moving parts around the trading service. On start it recovers (resting
// orders handed back to a simulated venue, pending orders settled by lookup), then it applies the
// venue's execution reports as they come, watches perpetual marks for liquidations, and on a timer
// sweeps resting orders, releases TWAP/VWAP slices, works emulated trailing stops, books funding at each interval boundary,
// reconciles orders with an unknown outcome, writes marks, daily snapshots and risk metrics.
// All state lives in the database; the engine holds only caches it can rebuild, so a process killed
// at any point restarts into what was committed (reliability 10).
//
// Several instances on one Postgres (src/services/cluster/leases.ts): the tick's shared work (slices,
// funding, pending orders, liquidations), housekeeping and the live reconciler run only on the
// instance holding that job's lease; the others skip them. Each step is also safe to repeat by
// construction (slice client order id `<parent>:<i>`, funding reference per (position, interval),
// liquidation client order id `liq-<position>`), so a lease handed over mid-step costs no double.
// Resting paper orders are matched by one instance, the holder of the paper book's lease
// (LeaseJob.paperBook): when it takes the lease it reads every resting paper order from the database
// into its simulated venue (`PaperBook.sync(full)`), and while it holds it re-reads what the others
// placed, amended or cancelled (on their `order.*` events, and every `paperBookSyncMs`). The other
// instances' venues take orders (an arriving order fills what it can at once) and leave the resting
// ones to the holder. A killed holder's book is taken over within the lease's takeover time (ttl +
// renewal, 20 s by default) plus one tick. A holder whose lease ran out stops matching at once (its
// own clock); a fill it was already making carries the trade id the new holder's would have, so one
// of the two is booked (unique trade id, no fill on an ended order).
// On the embedded database (one process) the venue matches everything, always, as before.
import { and, eq, isNotNull } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { positions } from '../../db/schema/index.js';
import type { Broker } from '../../domain/broker.js';
import { dec, type Dec } from '../../domain/money.js';
import type { Clock, PriceFeed, PriceQuote, Unsubscribe } from '../../domain/ports.js';
import type { Logger } from '../../log.js';
import { LeaseJob, LeaseManager, soleInstance, type LeaseGate } from '../cluster/leases.js';
import type { EventBus } from '../events.js';
import type { PortfolioService } from '../portfolio/portfolio-service.js';
import type { RiskService } from '../risk/risk-service.js';
import { isExecutionStream, isRestorableBroker, realTimer, type Timer } from './ports.js';
import type { PaperBook } from './recovery.js';
import type { TradingService } from './trading-service.js';

export interface TradingEngineOptions {
  db: Db;
  trading: TradingService;
  broker: Broker;
  prices: PriceFeed;
  portfolios: PortfolioService;
  risk: RiskService;
  events: EventBus;
  clock: Clock;
  logger: Logger;
  timer?: Timer;
  /** Resting-order sweep, slices, funding, reconciliation. Default 1 s. */
  sweepIntervalMs?: number;
  /** Marks, daily snapshots and the risk sweep. Default 5 min; null disables. */
  housekeepingIntervalMs?: number | null;
  fundingIntervalMs?: number;
  /** Compares live portfolios with their venues (at start and every `liveReconcileIntervalMs`). */
  liveReconcile?: () => Promise<unknown>;
  /** Default 3 min. */
  liveReconcileIntervalMs?: number;
  /** Which of the shared jobs this instance may run now (several instances). Default: all. */
  leases?: LeaseGate;
  /** The simulated venue's book (several instances: matched by the paper book's lease holder only). */
  paperBook?: PaperBook;
  /** How often the paper book's holder re-reads the stored book besides on other instances' order events. Default 5 s. */
  paperBookSyncMs?: number;
}

interface LiquidationBand {
  /** Highest liquidation price of a long: a mark at or below it liquidates something. */
  longAt: Dec | null;
  /** Lowest liquidation price of a short. */
  shortAt: Dec | null;
}

export class TradingEngine {
  private readonly unsubscribers: Array<() => void> = [];
  private readonly watches = new Map<string, Unsubscribe>();
  private bands = new Map<string, LiquidationBand>();
  private bandsDirty = true;
  private lastFundingInterval: number | undefined;
  private started = false;
  private ticking: Promise<void> | undefined;
  private reconciling: Promise<void> | undefined;

  private leases: LeaseGate;
  /** Ticks that ran the shared work here, and ticks that left it to the lease holder. */
  readonly counts = { ticks: 0, skipped: 0 };
  /** Several instances share the paper book: it is matched here only while `bookReady` and the lease is held. */
  private sharedBook = false;
  /** The stored book has been read in since the paper book's lease was last taken. */
  private bookReady = false;
  /** Bumped whenever the paper book's lease is taken or lost: a read begun before belongs to an old tenure. */
  private bookTenure = 0;
  private bookWanted = false;
  private lastBookSync = 0;
  private unwatchLease: (() => void) | undefined;

  constructor(private readonly opts: TradingEngineOptions) {
    this.leases = opts.leases ?? soleInstance;
  }

  /** Sets the lease gate (the composition root, once the cluster leases exist). */
  useLeases(leases: LeaseGate): void {
    this.leases = leases;
    const book = this.opts.paperBook;
    if (!book || !(leases instanceof LeaseManager) || leases.embedded) return;
    this.sharedBook = true;
    this.unwatchLease?.();
    this.unwatchLease = leases.onChange((job) => {
      if (job !== LeaseJob.paperBook) return;
      this.bookTenure++;
      this.bookReady = false;
    });
    if (this.started) this.attachBook();
  }

  /** From the start on, the venue matches only as the paper book's holder (without the engine, as before). */
  private attachBook(): void {
    this.opts.paperBook?.attach(() => this.bookReady && this.leases.holds(LeaseJob.paperBook));
  }

  /** Whether this instance matches the resting paper orders now. */
  matchesPaperBook(): boolean {
    return this.sharedBook ? this.bookReady && this.leases.holds(LeaseJob.paperBook) : true;
  }

  async start(): Promise<{ restored: number; reconciled: number }> {
    if (this.started) return { restored: 0, reconciled: 0 };
    this.started = true;
    const { broker, trading } = this.opts;
    if (isExecutionStream(broker)) {
      this.unsubscribers.push(broker.onExecution((r) => void trading.handleExecution(r)));
    }
    this.unsubscribers.push(
      this.opts.events.on((e, meta) => {
        if (e.type === 'position.changed') this.bandsDirty = true;
        // Another instance placed, filled, amended or ended an order: the book's holder reads it in.
        if (!meta.local && (e.type === 'order.updated' || e.type === 'order.filled')) this.bookWanted = true;
      }),
    );
    if (this.sharedBook) this.attachBook();
    const tenure = this.bookTenure;
    const recovered = await trading.recover();
    // Recovery read the whole stored book into the venue: as good as a full read, if the lease is still the same.
    if (this.sharedBook && tenure === this.bookTenure && this.leases.holds(LeaseJob.paperBook)) {
      this.bookReady = true;
      this.lastBookSync = this.opts.clock.now().getTime();
    }
    await this.refreshBands();
    const timer = this.opts.timer ?? realTimer;
    this.unsubscribers.push(timer.every(this.opts.sweepIntervalMs ?? 1_000, () => this.tick()));
    const reconcileLive = this.opts.liveReconcile;
    if (reconcileLive) {
      const run = async (): Promise<void> => {
        if (!this.leases.holds(LeaseJob.liveReconcile)) return;
        try {
          await reconcileLive();
        } catch (err) {
          this.opts.logger.error('engine: live reconciliation failed', { error: err });
        }
      };
      // At start-up without holding the start (a venue may be slow); then on the timer.
      this.reconciling = run();
      this.unsubscribers.push(timer.every(this.opts.liveReconcileIntervalMs ?? 180_000, run));
    }
    if (this.opts.housekeepingIntervalMs !== null) {
      this.unsubscribers.push(timer.every(this.opts.housekeepingIntervalMs ?? 300_000, () => this.housekeeping()));
    }
    return recovered;
  }

  /** Stops timers and subscriptions and waits for work in progress. */
  async stop(): Promise<void> {
    for (const u of this.unsubscribers.splice(0)) u();
    this.bookReady = false;
    for (const u of this.watches.values()) u();
    this.watches.clear();
    await this.ticking;
    await this.reconciling;
    await this.opts.trading.idle();
    this.started = false;
  }

  /** One pass of the periodic work. Runs never overlap. */
  tick(): Promise<void> {
    if (this.ticking) return this.ticking;
    this.ticking = this.runTick().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  private async runTick(): Promise<void> {
    const { broker, trading, logger } = this.opts;
    const step = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
      try {
        await fn();
      } catch (err) {
        logger.error(`engine: ${what} failed`, { error: err });
      }
    };
    if (this.sharedBook) await step('paper book', () => this.syncPaperBook());
    if (isRestorableBroker(broker)) await step('sweep', () => broker.sweep());
    await step('executions', () => trading.idle());
    if (!this.leases.holds(LeaseJob.tradingTick)) {
      // Another instance does the shared work; funding is checked again when the lease comes here.
      this.lastFundingInterval = undefined;
      this.counts.skipped++;
      return;
    }
    this.counts.ticks++;
    await step('slices', () => trading.releaseDueSlices());
    await step('emulated orders', () => trading.workEmulatedOrders());
    const interval = this.opts.fundingIntervalMs ?? 8 * 3_600_000;
    const k = Math.floor(this.opts.clock.now().getTime() / interval);
    if (k !== this.lastFundingInterval) {
      await step('funding', () => trading.runFunding());
      this.lastFundingInterval = k;
    }
    await step('reconcile', () => trading.reconcilePending());
    if (this.bandsDirty) await step('liquidation watch', () => this.refreshBands());
    for (const symbol of this.bands.keys()) {
      await step('liquidations', async () => {
        const q = await this.opts.prices.getQuote(symbol).catch(() => undefined);
        if (q) await this.onMark(symbol, q);
      });
    }
    await step('executions', () => trading.idle());
  }

  /** The paper book's holder: the whole stored book on taking the lease, then what changed elsewhere. */
  private async syncPaperBook(): Promise<void> {
    const book = this.opts.paperBook!;
    if (!this.leases.holds(LeaseJob.paperBook)) {
      this.bookReady = false;
      return;
    }
    const now = this.opts.clock.now().getTime();
    const full = !this.bookReady;
    if (!full && !this.bookWanted && now - this.lastBookSync < (this.opts.paperBookSyncMs ?? 5_000)) return;
    const tenure = this.bookTenure;
    this.bookWanted = false;
    await book.sync(full);
    this.lastBookSync = now;
    // Matching starts only on a book read within the tenure it is for.
    if (full && tenure === this.bookTenure) this.bookReady = true;
  }

  /** Marks, daily snapshots (idempotent per day) and the risk sweep. */
  async housekeeping(): Promise<void> {
    if (!this.leases.holds(LeaseJob.tradingHousekeeping)) return;
    try {
      await this.opts.trading.markToMarket();
      await this.opts.portfolios.takeDailySnapshots();
      await this.opts.risk.sweep();
    } catch (err) {
      this.opts.logger.error('engine: housekeeping failed', { error: err });
    }
  }

  private async onMark(symbol: string, q: PriceQuote): Promise<void> {
    const band = this.bands.get(symbol);
    if (!band || !this.leases.holds(LeaseJob.tradingTick)) return;
    const hit = (band.longAt && q.price.lte(band.longAt)) || (band.shortAt && q.price.gte(band.shortAt));
    if (!hit) return;
    const n = await this.opts.trading.checkLiquidations(symbol, q);
    if (n > 0) await this.refreshBands();
  }

  /** Rebuilds the liquidation bands of open paper perpetuals and the price subscriptions behind them. */
  private async refreshBands(): Promise<void> {
    this.bandsDirty = false;
    const rows = await this.opts.db
      .select({ symbol: positions.symbol, side: positions.side, liq: positions.liquidationPrice })
      .from(positions)
      .where(and(eq(positions.status, 'open'), eq(positions.kind, 'perp'), isNotNull(positions.liquidationPrice)));
    const next = new Map<string, LiquidationBand>();
    for (const r of rows) {
      const b = next.get(r.symbol) ?? { longAt: null, shortAt: null };
      const liq = dec(r.liq!);
      if (r.side === 'long') b.longAt = b.longAt && b.longAt.gt(liq) ? b.longAt : liq;
      else b.shortAt = b.shortAt && b.shortAt.lt(liq) ? b.shortAt : liq;
      next.set(r.symbol, b);
    }
    this.bands = next;
    for (const [symbol, unsub] of this.watches) {
      if (!next.has(symbol)) {
        unsub();
        this.watches.delete(symbol);
      }
    }
    if (!this.started) return;
    for (const symbol of next.keys()) {
      if (this.watches.has(symbol)) continue;
      this.watches.set(
        symbol,
        this.opts.prices.subscribe([symbol], (q) => {
          void this.onMark(symbol, q).catch((err: unknown) => this.opts.logger.error('engine: liquidation check failed', { symbol, error: err }));
        }),
      );
    }
  }
}
