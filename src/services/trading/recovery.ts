// Keeping MIKEY's orders in line with the venue outside any request: execution reports the venue
// pushes as resting orders fill, trigger, trail or expire; after a start or a crash, the resting
// orders handed back to a simulated venue and every order left `pending` settled by looking it up
// (reliability 2, 10). The venue's word is applied through the execution core.
import { and, asc, eq, inArray, lte, not, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { orders } from '../../db/schema/index.js';
import type { PaperBroker } from '../../adapters/paper-broker/index.js';
import type { Broker } from '../../domain/broker.js';
import { dec } from '../../domain/money.js';
import { isTerminalStatus } from '../../domain/order.js';
import type { Clock } from '../../domain/ports.js';
import type { Logger } from '../../log.js';
import { newTraceId } from '../actor.js';
import { engineWorkedSql, type ExecutionCore } from './execution-core.js';
import { isRestorableBroker, type ExecutionReport, type RestingOrderSnapshot } from './ports.js';
import { q18, toDate } from './rows.js';

export interface RecoveryDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  broker: Broker;
  core: ExecutionCore;
}

export class Recovery {
  /** Execution reports received and not yet applied. */
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly deps: RecoveryDeps) {}

  /** Applies a report pushed by the venue (resting orders filling, triggering, trailing, expiring). */
  handleExecution(report: ExecutionReport): Promise<void> {
    const p = this.handle(report).catch((err: unknown) => this.deps.logger.error('execution report failed', { clientOrderId: report.order.clientOrderId, error: err }));
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
    return p;
  }

  private async handle(report: ExecutionReport): Promise<void> {
    const [row] = await this.deps.db.select().from(orders).where(and(eq(orders.clientOrderId, report.order.clientOrderId), eq(orders.portfolioId, report.accountId)));
    if (!row) {
      this.deps.logger.warn('execution report for an unknown order', { clientOrderId: report.order.clientOrderId });
      return;
    }
    if (report.event === 'trail_moved' && report.fills.length === 0 && report.trailReference) {
      // Only while the order rests: a venue that no longer matches it must not move an ended order's trail.
      await this.deps.db
        .update(orders)
        .set({ trailReferencePrice: q18(report.trailReference).toFixed() })
        .where(and(eq(orders.id, row.id), inArray(orders.status, ['open', 'partially_filled'])));
      return;
    }
    await this.deps.core.apply(
      { system: true, traceId: newTraceId() },
      row.id,
      {
        venueOrder: report.order,
        fills: report.fills,
        event: report.event,
        ...(report.trailReference ? { trailReference: report.trailReference } : {}),
        ...(report.reason ? { reason: report.reason } : {}),
        ...(report.notes ? { notes: report.notes } : {}),
      },
      { row },
    );
  }

  /** Resolves when every execution report received so far has been applied. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /**
   * After a start or a crash: hands a simulated venue the resting orders it held, then settles every
   * order left `pending` (sent or about to be sent when the process stopped) by looking it up.
   */
  async recover(): Promise<{ restored: number; reconciled: number }> {
    let restored = 0;
    const { broker, core } = this.deps;
    if (isRestorableBroker(broker)) {
      const snapshots = await restingPaperOrders(this.deps.db, core);
      broker.restore(snapshots);
      restored = snapshots.length;
    }
    // Nothing of this process is in flight yet: every pending order is settled now.
    const reconciled = await this.reconcilePending(0);
    return { restored, reconciled };
  }

  /**
   * Orders stuck in `pending` (unknown outcome) that no request of this process is working on and
   * that are at least `minAgeMs` old (another process may still be placing a younger one).
   */
  async reconcilePending(minAgeMs = 5_000): Promise<number> {
    const cutoff = new Date(this.deps.clock.now().getTime() - minAgeMs);
    const rows = await this.deps.db
      .select()
      .from(orders)
      .where(and(eq(orders.status, 'pending'), not(engineWorkedSql), lte(orders.createdAt, cutoff)))
      .orderBy(asc(orders.createdAt))
      .limit(200);
    let n = 0;
    for (const r of rows) {
      if (this.deps.core.inFlight.has(r.id)) continue;
      try {
        const res = await this.deps.core.reconcile({ system: true, traceId: newTraceId() }, r, { resubmitIfMissing: true });
        if (res.order.status !== 'pending') n++;
      } catch (err) {
        this.deps.logger.warn('reconcile failed', { orderId: r.id, error: err });
      }
    }
    return n;
  }
}

/**
 * The resting orders of paper portfolios as stored (all of them, or those of `only`), as a simulated
 * venue takes them back: the request, what is filled, the fills booked so far (the venue numbers its
 * next trade id after them), a stop-limit's trigger, a trailing stop's reference.
 */
export async function restingPaperOrders(db: Db, core: ExecutionCore, only?: { accountId: string; clientOrderId: string }, feesKnown?: Set<string>): Promise<RestingOrderSnapshot[]> {
  const one = only ? sql`and orders.portfolio_id = ${only.accountId}::uuid and orders.client_order_id = ${only.clientOrderId}` : sql``;
  const rows = await db.execute(sql`
    select orders.id, orders.portfolio_id,
      (select count(*) from trades t where t.order_id = orders.id) as fill_count
    from orders join portfolios p on p.id = orders.portfolio_id
    where orders.status in ('open', 'partially_filled') and not ${engineWorkedSql} and p.trading_mode = 'paper' ${one}`);
  const list = (rows as { rows: Array<{ id: string; portfolio_id: string; fill_count: string | number }> }).rows;
  const byId = new Map(list.map((r) => [r.id, Number(r.fill_count)]));
  const full = list.length > 0 ? await db.select().from(orders).where(inArray(orders.id, list.map((r) => r.id))) : [];
  for (const pid of new Set(full.map((r) => r.portfolioId))) {
    if (feesKnown?.has(pid)) continue;
    await core.setFees(pid);
    feesKnown?.add(pid);
  }
  return full.map((r) => ({
    request: core.brokerRequest(r),
    filledQuantity: dec(r.filledQuantity),
    ...(r.averageFillPrice ? { averageFillPrice: dec(r.averageFillPrice) } : {}),
    fillCount: byId.get(r.id) ?? 0,
    triggered: Boolean((r.algoParams as { triggeredAt?: string } | null)?.triggeredAt),
    ...(r.trailReferencePrice ? { trailReference: dec(r.trailReferencePrice) } : {}),
    createdAt: toDate(r.createdAt),
  }));
}

export interface PaperBookDeps {
  db: Db;
  logger: Logger;
  core: ExecutionCore;
  paper: PaperBroker;
}

/**
 * Several instances on one Postgres: the resting paper orders are matched by one instance, the
 * holder of the paper book's lease (the engine decides when). This keeps that instance's simulated
 * venue in line with the database — the whole book when it takes the lease over, then what the
 * others placed, amended or cancelled — and lets every instance's venue find a resting order it did
 * not take itself (a cancel or amend through another instance).
 */
export class PaperBook {
  /** Portfolios whose fee rates the venue has been told since the last full read. */
  private readonly feesKnown = new Set<string>();

  constructor(private readonly deps: PaperBookDeps) {}

  /** Turns the venue into one that matches only when `matching()` says so and looks up what it does not hold. */
  attach(matching: () => boolean): void {
    this.deps.paper.useMatchingGate(matching);
    this.deps.paper.useOrderSource(async (ref) => (await restingPaperOrders(this.deps.db, this.deps.core, { accountId: ref.accountId, clientOrderId: ref.clientOrderId }))[0]);
  }

  /**
   * Reads the stored book into the venue (`full`: the venue's memory is replaced, for a new holder).
   * Orders resting in the venue that the database shows ended are dropped; those it shows `pending`
   * (being placed right now) stay.
   */
  async sync(full: boolean): Promise<{ resting: number; ended: number }> {
    if (full) this.feesKnown.clear();
    const open = await restingPaperOrders(this.deps.db, this.deps.core, undefined, this.feesKnown);
    const absent = this.deps.paper.syncBook(open, { replace: full });
    let ended = 0;
    if (absent.length > 0) {
      const rows = await this.deps.db
        .select({ portfolioId: orders.portfolioId, clientOrderId: orders.clientOrderId, status: orders.status })
        .from(orders)
        .where(inArray(orders.clientOrderId, absent.map((a) => a.clientOrderId)));
      const done = new Set(rows.filter((r) => isTerminalStatus(r.status)).map((r) => `${r.portfolioId}/${r.clientOrderId}`));
      const gone = absent.filter((a) => done.has(`${a.accountId}/${a.clientOrderId}`));
      this.deps.paper.endOrders(gone);
      ended = gone.length;
    }
    if (full) this.deps.logger.info('paper book taken over', { resting: open.length });
    return { resting: open.length, ended };
  }
}
