// One Broker for the trading services, two kinds of venue behind it: paper portfolios trade on the
// simulator, live portfolios on their exchange account (a `LiveVenue`, opened on first use). The
// services never ask which; the router looks the portfolio's mode up once (it never changes).
//
// Resting paper orders are swept on every engine tick; live orders are polled at the venue no more
// often than `pollIntervalMs` per account, so the venue's request budget goes to trading.
import { and, eq, inArray, not } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { orders, portfolios } from '../../db/schema/index.js';
import type {
  AmendOutcome,
  Broker,
  BrokerFill,
  BrokerOrderRef,
  BrokerOrderRequest,
  CancelOutcome,
  FetchFillsQuery,
  FetchOrderOutcome,
  OrderAmendment,
  SubmitOutcome,
} from '../../domain/broker.js';
import type { Clock } from '../../domain/ports.js';
import { engineWorkedSql } from './execution-core.js';
import type { Logger } from '../../log.js';
import { isExecutionStream, isRestorableBroker, type ExecutionReport, type ExecutionStream, type LiveVenue, type NativeSupport, type RestingOrderSnapshot, type RestorableBroker } from './ports.js';

/** Opens (or returns the open) venue of a live portfolio; throws a clean AppError when it cannot. */
export type LiveVenueOpener = (accountId: string) => Promise<LiveVenue>;

export interface BrokerRouterOptions {
  db: Db;
  clock: Clock;
  logger: Logger;
  paper: Broker;
  /** Absent: no live trading in this process (a live order is refused, never sent to paper). */
  openLive?: LiveVenueOpener;
  /** Least time between two polls of one live account's open orders. Default 5 s. */
  pollIntervalMs?: number;
}

type Listener = (report: ExecutionReport) => void;

export class BrokerRouter implements Broker, ExecutionStream, RestorableBroker {
  readonly name = 'router';
  readonly live = false;
  private readonly modes = new Map<string, 'paper' | 'live'>();
  private readonly listeners = new Set<Listener>();
  private readonly venues = new Map<string, LiveVenue>();
  private readonly lastPoll = new Map<string, number>();
  private readonly unsubscribePaper: (() => void) | undefined;

  constructor(private readonly opts: BrokerRouterOptions) {
    const paper = opts.paper;
    this.unsubscribePaper = isExecutionStream(paper) ? paper.onExecution((r) => this.emit(r)) : undefined;
  }

  /** Whether the account is a live portfolio (looked up once). */
  async isLive(accountId: string): Promise<boolean> {
    let mode = this.modes.get(accountId);
    if (!mode) {
      const [p] = await this.opts.db.select({ mode: portfolios.tradingMode }).from(portfolios).where(eq(portfolios.id, accountId));
      mode = p?.mode === 'live' ? 'live' : 'paper';
      if (p) this.modes.set(accountId, mode);
    }
    return mode === 'live';
  }

  /** The live venue of an account (opened and subscribed on first use). */
  async venueOf(accountId: string): Promise<LiveVenue> {
    const open = this.venues.get(accountId);
    if (open) return open;
    if (!this.opts.openLive) throw new Error('live trading is not available in this process');
    const venue = await this.opts.openLive(accountId);
    if (!this.venues.has(accountId)) {
      this.venues.set(accountId, venue);
      venue.onExecution((r) => this.emit(r));
    }
    return this.venues.get(accountId)!;
  }

  /** Forgets an account's open venue (its keys were removed or replaced). */
  async forget(accountId: string): Promise<void> {
    const v = this.venues.get(accountId);
    this.venues.delete(accountId);
    await v?.close?.();
  }

  private async route(accountId: string): Promise<Broker> {
    return (await this.isLive(accountId)) ? this.venueOf(accountId) : this.opts.paper;
  }

  private emit(report: ExecutionReport): void {
    for (const l of this.listeners) l(report);
  }

  onExecution(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Whether the account's venue takes this request natively; sends nothing. Paper trades everything
   * natively (the simulator), and so does a live venue that cannot say or cannot be opened now (its
   * submit then answers for itself).
   */
  async nativeSupport(req: BrokerOrderRequest): Promise<NativeSupport> {
    try {
      if (!(await this.isLive(req.accountId))) return { native: true };
      const venue = await this.venueOf(req.accountId);
      return venue.nativeSupport ? await venue.nativeSupport(req) : { native: true };
    } catch (err) {
      this.opts.logger.warn('could not ask the venue whether it takes an order natively', { accountId: req.accountId, error: err });
      return { native: true };
    }
  }

  async submit(order: BrokerOrderRequest): Promise<SubmitOutcome> {
    let broker: Broker;
    try {
      broker = await this.route(order.accountId);
    } catch (err) {
      // Nothing was sent: the venue could not even be opened (keys gone, not decryptable).
      return { status: 'rejected', clientOrderId: order.clientOrderId, code: 'venue_unavailable', reason: (err as Error).message };
    }
    return broker.submit(order);
  }

  async cancel(ref: BrokerOrderRef): Promise<CancelOutcome> {
    return (await this.route(ref.accountId)).cancel(ref);
  }

  async amend(ref: BrokerOrderRef, changes: OrderAmendment): Promise<AmendOutcome> {
    return (await this.route(ref.accountId)).amend(ref, changes);
  }

  async fetchOrder(ref: BrokerOrderRef): Promise<FetchOrderOutcome> {
    return (await this.route(ref.accountId)).fetchOrder(ref);
  }

  async fetchFills(query: FetchFillsQuery): Promise<BrokerFill[]> {
    return (await this.route(query.accountId)).fetchFills(query);
  }

  /** Only the simulator keeps resting orders in memory; recovery hands it the paper ones. */
  restore(snapshots: readonly RestingOrderSnapshot[]): void {
    if (isRestorableBroker(this.opts.paper)) this.opts.paper.restore(snapshots);
  }

  /** The paper sweep on every tick; live accounts' open orders polled when their interval has passed. */
  async sweep(): Promise<void> {
    if (isRestorableBroker(this.opts.paper)) await this.opts.paper.sweep();
    await this.pollLive();
  }

  /** Polls the open orders of every live account due for it (all of them when `force`). */
  async pollLive(force = false): Promise<void> {
    if (!this.opts.openLive) return;
    const rows = await this.opts.db
      .select({ accountId: orders.portfolioId, clientOrderId: orders.clientOrderId, symbol: orders.symbol })
      .from(orders)
      .innerJoin(portfolios, and(eq(portfolios.id, orders.portfolioId), eq(portfolios.tradingMode, 'live')))
      .where(and(inArray(orders.status, ['open', 'partially_filled']), not(engineWorkedSql)));
    const byAccount = new Map<string, BrokerOrderRef[]>();
    for (const r of rows) byAccount.set(r.accountId, [...(byAccount.get(r.accountId) ?? []), r]);
    const now = this.opts.clock.now().getTime();
    const every = this.opts.pollIntervalMs ?? 5_000;
    for (const [accountId, refs] of byAccount) {
      if (!force && now - (this.lastPoll.get(accountId) ?? -Infinity) < every) continue;
      this.lastPoll.set(accountId, now);
      try {
        await (await this.venueOf(accountId)).poll(refs);
      } catch (err) {
        this.opts.logger.warn('live poll failed', { accountId, error: err });
      }
    }
  }

  async close(): Promise<void> {
    this.unsubscribePaper?.();
    for (const id of [...this.venues.keys()]) await this.forget(id);
  }
}
