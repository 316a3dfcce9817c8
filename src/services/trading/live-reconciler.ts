// Keeping live portfolios equal to their venue (reliability 2, 10 for live). At start-up and every
// few minutes, per live portfolio:
//   1. orders: our open orders are polled at the venue (fills applied once by trade id); ours the
//      venue no longer lists as open are looked up one by one and settled by what it says; open
//      orders at the venue that MIKEY did not place are reported, never touched;
//   2. balances: when no order of the account is in flight or of unknown outcome, each asset's total
//      (free + locked) is compared with the venue's; a difference the venue proves is booked as a
//      reconciliation entry (so the ledger still explains every change) and reported as a risk alert.
// Anything it cannot settle is left as it is and reported: a risk alert with the difference.
import { and, eq, inArray, not, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { orders, portfolios, positions } from '../../db/schema/index.js';
import { withTransaction } from '../../db/tx.js';
import { deposit, withdraw } from '../../domain/ledger.js';
import { dec, toPlain, ZERO, type Dec } from '../../domain/money.js';
import type { Clock } from '../../domain/ports.js';
import type { Logger } from '../../log.js';
import { newTraceId } from '../actor.js';
import type { EventBus } from '../events.js';
import type { RiskService } from '../risk/risk-service.js';
import type { BrokerRouter } from './broker-router.js';
import { engineWorkedSql, OPEN_STATUSES, type ExecutionCore } from './execution-core.js';
import { commitLedger, lockBalances } from './ledger-store.js';
import { q18 } from './rows.js';

export interface LiveReconcilerDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  events: EventBus;
  router: BrokerRouter;
  core: ExecutionCore;
  risk: Pick<RiskService, 'raiseAlert'>;
  /** Waits until execution reports received so far are applied. */
  idle(): Promise<void>;
}

export interface ReconcileReport {
  portfolioId: string;
  /** Orders settled by a lookup (filled, cancelled or found missing at the venue). */
  ordersSettled: number;
  /** Open orders at the venue that MIKEY did not place. */
  foreignOrders: string[];
  /** Balances booked to match the venue: asset → signed change. */
  adjusted: Record<string, string>;
  /** Balance differences left alone (orders in flight, or a change the ledger cannot take). */
  unresolved: Record<string, string>;
  /** Perpetual positions whose size differs from the venue's: "BTC-PERP: MIKEY long 0.02, venue none". */
  positionDifferences: string[];
  /** The venue could not be asked. */
  error?: string;
}

export class LiveReconciler {
  constructor(private readonly deps: LiveReconcilerDeps) {}

  /** Every active live portfolio, one after the other. */
  async reconcileAll(): Promise<ReconcileReport[]> {
    const live = await this.deps.db.select({ id: portfolios.id }).from(portfolios).where(and(eq(portfolios.tradingMode, 'live'), eq(portfolios.isActive, true)));
    const out: ReconcileReport[] = [];
    for (const p of live) out.push(await this.reconcile(p.id));
    return out;
  }

  async reconcile(portfolioId: string): Promise<ReconcileReport> {
    const report: ReconcileReport = { portfolioId, ordersSettled: 0, foreignOrders: [], adjusted: {}, unresolved: {}, positionDifferences: [] };
    const [p] = await this.deps.db.select().from(portfolios).where(eq(portfolios.id, portfolioId));
    if (!p) return report;
    const system = { system: true as const, traceId: newTraceId() };
    try {
      const venue = await this.deps.router.venueOf(portfolioId);
      // 1. Orders.
      const ours = await this.deps.db
        .select()
        .from(orders)
        .where(and(eq(orders.portfolioId, portfolioId), inArray(orders.status, [...OPEN_STATUSES]), not(engineWorkedSql)));
      const working = ours.filter((o) => o.status !== 'pending');
      if (working.length > 0) await venue.poll(working.map((o) => ({ accountId: portfolioId, clientOrderId: o.clientOrderId, symbol: o.symbol })));
      await this.deps.idle();
      const venueOpen = await venue.fetchOpenOrders();
      const openAtVenue = new Set(venueOpen.map((o) => o.clientOrderId));
      const known = new Set(
        (venueOpen.length > 0
          ? await this.deps.db.select({ c: orders.clientOrderId }).from(orders).where(and(eq(orders.portfolioId, portfolioId), inArray(orders.clientOrderId, venueOpen.map((o) => o.clientOrderId))))
          : []
        ).map((r) => r.c),
      );
      report.foreignOrders = venueOpen.filter((o) => !known.has(o.clientOrderId)).map((o) => `${o.side} ${toPlain(o.quantity)} ${o.symbol} (${o.venueOrderId})`);
      for (const o of ours) {
        if (this.deps.core.inFlight.has(o.id) || openAtVenue.has(o.clientOrderId)) continue;
        const [now] = await this.deps.db.select().from(orders).where(eq(orders.id, o.id));
        if (!now || !OPEN_STATUSES.includes(now.status as (typeof OPEN_STATUSES)[number])) continue;
        const r = await this.deps.core.reconcile(system, now, { resubmitIfMissing: false });
        if (r.order.status !== now.status) report.ordersSettled++;
      }
      // 2. Balances, only when nothing of the account is moving.
      const stillOpen = await this.deps.db
        .select({ id: orders.id, status: orders.status })
        .from(orders)
        .where(and(eq(orders.portfolioId, portfolioId), inArray(orders.status, [...OPEN_STATUSES])));
      const settled = !stillOpen.some((o) => o.status === 'pending' || this.deps.core.inFlight.has(o.id));
      const theirs = await venue.fetchBalances();
      const mine = await this.balancesOf(portfolioId);
      const assets = new Set([...theirs.keys(), ...mine.keys()].map((a) => a.toUpperCase()));
      const diffs = new Map<string, Dec>();
      for (const a of assets) {
        const t = theirs.get(a) ?? theirs.get(a.toLowerCase());
        const venueTotal = t ? t.free.add(t.locked) : ZERO;
        const m = mine.get(a);
        const ourTotal = m ? m.free.add(m.locked) : ZERO;
        const d = q18(venueTotal.sub(ourTotal));
        if (!d.isZero()) diffs.set(a, d);
      }
      if (diffs.size > 0) {
        if (settled) await this.book(portfolioId, diffs, report, system.traceId);
        else for (const [a, d] of diffs) report.unresolved[a] = toPlain(d);
      }
      // 3. Perpetual positions: a difference is reported, never booked (only fills move positions).
      if (settled && p.accountType !== 'spot' && venue.fetchPositions) report.positionDifferences = await this.comparePositions(portfolioId, await venue.fetchPositions());
    } catch (err) {
      report.error = (err as Error).message;
      this.deps.logger.warn('live reconciliation failed', { portfolioId, error: err });
    }
    await this.alert(p.userId, p.name, report);
    return report;
  }

  private async comparePositions(portfolioId: string, theirs: ReadonlyArray<{ symbol: string; side: 'long' | 'short'; quantity: Dec }>): Promise<string[]> {
    const ours = await this.deps.db
      .select({ symbol: positions.symbol, side: positions.side, quantity: positions.quantity })
      .from(positions)
      .where(and(eq(positions.portfolioId, portfolioId), eq(positions.status, 'open'), eq(positions.kind, 'perp')));
    const signed = (side: string, q: Dec): Dec => (side === 'short' ? q.neg() : q);
    const mine = new Map(ours.map((r) => [r.symbol, signed(r.side, dec(r.quantity))]));
    const venue = new Map(theirs.map((r) => [r.symbol, signed(r.side, r.quantity)]));
    const describe = (v: Dec | undefined): string => (!v || v.isZero() ? 'none' : `${v.gt(0) ? 'long' : 'short'} ${toPlain(v.abs())}`);
    const out: string[] = [];
    for (const symbol of new Set([...mine.keys(), ...venue.keys()])) {
      const a = mine.get(symbol) ?? ZERO;
      const b = venue.get(symbol) ?? ZERO;
      if (!a.eq(b)) out.push(`${symbol}: MIKEY ${describe(a)}, exchange ${describe(b)}`);
    }
    return out.sort();
  }

  private async balancesOf(portfolioId: string): Promise<Map<string, { free: Dec; locked: Dec }>> {
    return withTransaction(this.deps.db, async (tx) => {
      const rows = await tx.execute(sql`select asset from balances where portfolio_id = ${portfolioId}`);
      const assets = (rows as { rows: Array<{ asset: string }> }).rows.map((r) => r.asset);
      const b = await lockBalances(tx, portfolioId, assets);
      return new Map(Object.entries(b).map(([a, v]) => [a, { free: v.free, locked: v.locked }]));
    });
  }

  /** Books what the venue proves: a deposit where it holds more, a withdrawal (from free) where less. */
  private async book(portfolioId: string, diffs: Map<string, Dec>, report: ReconcileReport, traceId: string): Promise<void> {
    const at = this.deps.clock.now();
    await withTransaction(this.deps.db, async (tx) => {
      let before = await lockBalances(tx, portfolioId, [...diffs.keys()]);
      for (const [asset, d] of diffs) {
        const change = d.gt(0) ? deposit(before, asset, d, portfolioId) : withdraw(before, asset, d.neg(), portfolioId);
        if (!change.ok) {
          report.unresolved[asset] = toPlain(d);
          continue;
        }
        before = await commitLedger(tx, portfolioId, before, change.value.entries, { refType: 'reconciliation', refId: portfolioId, traceId, at });
        report.adjusted[asset] = toPlain(d);
      }
    });
    const [p] = await this.deps.db.select({ userId: portfolios.userId }).from(portfolios).where(eq(portfolios.id, portfolioId));
    if (p && Object.keys(report.adjusted).length > 0) this.deps.events.emit({ type: 'balance.changed', userId: p.userId, portfolioId });
  }

  private async alert(userId: string, name: string, r: ReconcileReport): Promise<void> {
    const parts: string[] = [];
    const list = (m: Record<string, string>): string => Object.entries(m).map(([a, d]) => `${d.startsWith('-') ? '' : '+'}${d} ${a}`).join(', ');
    if (Object.keys(r.adjusted).length > 0) parts.push(`balances corrected to the exchange's: ${list(r.adjusted)}`);
    if (Object.keys(r.unresolved).length > 0) parts.push(`balances differ from the exchange's and were left alone: ${list(r.unresolved)}`);
    if (r.positionDifferences.length > 0) parts.push(`positions differ from the exchange's and were left alone: ${r.positionDifferences.slice(0, 5).join('; ')}`);
    if (r.foreignOrders.length > 0) parts.push(`${r.foreignOrders.length} open order(s) on the exchange that MIKEY did not place: ${r.foreignOrders.slice(0, 5).join('; ')}`);
    if (r.error) parts.push(`the exchange could not be checked: ${r.error.slice(0, 200)}`);
    if (parts.length === 0) return;
    await this.deps.risk.raiseAlert({
      userId,
      portfolioId: r.portfolioId,
      type: 'reconciliation',
      severity: Object.keys(r.unresolved).length > 0 || r.positionDifferences.length > 0 || r.error ? 'high' : 'medium',
      message: `LIVE "${name}": ${parts.join('; ')}`,
      data: { adjusted: r.adjusted, unresolved: r.unresolved, foreignOrders: r.foreignOrders, positionDifferences: r.positionDifferences, ...(r.error ? { error: r.error.slice(0, 200) } : {}) },
    });
  }
}
