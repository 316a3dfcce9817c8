// Funding of paper perpetual positions: at each interval boundary every position open at it pays or
// receives `rate × mark × quantity`. Booked once per (position, interval) — the ledger entry's
// reference names both, so a second run, another process or a restart books nothing twice
// (reliability 23). A payment due beyond the free balance comes out of the position's margin.
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { positions } from '../../db/schema/index.js';
import { withTransaction } from '../../db/tx.js';
import { applyFundingPayment } from '../../domain/ledger.js';
import { dec, maxDec, ZERO, type Dec } from '../../domain/money.js';
import { fundingPayment } from '../../domain/position.js';
import type { Logger } from '../../log.js';
import { newTraceId } from '../actor.js';
import { writeAudit } from '../audit.js';
import type { EventBus, MikeyEvent } from '../events.js';
import type { MarketCatalog } from '../markets.js';
import type { ExecutionCore } from './execution-core.js';
import { commitLedger, lockBalances } from './ledger-store.js';
import { num, q18 } from './rows.js';

export interface FundingDeps {
  db: Db;
  logger: Logger;
  events: EventBus;
  markets: MarketCatalog;
  core: ExecutionCore;
  /** Funding interval of perpetuals. */
  intervalMs: number;
  /** Funding rate per interval paid at the funding time `at` (fraction). Default 0.0001 (0.01%). */
  rate?: (symbol: string, at: Date) => Promise<Dec> | Dec;
}

export class Funding {
  constructor(private readonly deps: FundingDeps) {}

  /**
   * Books funding for the interval boundary at or before `now`, for every paper perpetual position
   * open at it. Returns how many positions were charged or paid now.
   */
  async run(now: Date): Promise<number> {
    const interval = this.deps.intervalMs;
    const k = Math.floor(now.getTime() / interval);
    const boundary = new Date(k * interval);
    const rows = await this.deps.db
      .select({ id: positions.id, symbol: positions.symbol })
      .from(positions)
      .innerJoin(sql`portfolios p`, sql`p.id = ${positions.portfolioId} and p.trading_mode = 'paper'`)
      .where(and(eq(positions.status, 'open'), eq(positions.kind, 'perp'), sql`${positions.openedAt} <= ${boundary.toISOString()}::timestamptz`));
    let applied = 0;
    // One rate per market for this boundary, however many positions are open in it.
    const rates = new Map<string, Dec>();
    for (const r of rows) {
      const mark = await this.deps.core.markOf(r.symbol);
      if (!mark) continue;
      let rate = rates.get(r.symbol);
      if (rate === undefined) rates.set(r.symbol, (rate = this.deps.rate ? await this.deps.rate(r.symbol, boundary) : dec('0.0001')));
      const refId = `${r.id}:${k}`;
      try {
        const events = await withTransaction(this.deps.db, async (tx) => {
          const [pos] = await tx.select().from(positions).where(and(eq(positions.id, r.id), eq(positions.status, 'open'))).for('update');
          if (!pos) return [];
          const done = await tx.execute(sql`select 1 from ledger_entries where ref_type = 'funding' and ref_id = ${refId} limit 1`);
          if ((done as { rows: unknown[] }).rows.length > 0) return [];
          const market = this.deps.markets.resolve(pos.symbol);
          const payment = q18(fundingPayment(pos.side, dec(pos.quantity), mark, rate));
          if (payment.isZero()) return [];
          const before = await lockBalances(tx, pos.portfolioId, [market.quote]);
          const change = applyFundingPayment(before, market.quote, payment, refId);
          if (!change.ok) throw new Error(change.error.message);
          await commitLedger(tx, pos.portfolioId, before, change.value.entries, { refType: 'funding', refId, traceId: null, at: now });
          const fromMargin = change.value.entries.reduce<Dec>((a, e) => a.add(e.lockedDelta), ZERO).neg();
          await tx
            .update(positions)
            .set({ fundingPaid: q18(num(pos.fundingPaid).sub(payment)).toFixed(), margin: maxDec(num(pos.margin).sub(fromMargin), ZERO).toFixed(), markPrice: mark.toFixed() })
            .where(eq(positions.id, pos.id));
          await writeAudit(tx, { system: true, traceId: newTraceId() }, { action: 'position.funding', entityType: 'position', entityId: pos.id, newValue: { rate: rate.toFixed(), mark: mark.toFixed(), payment: payment.toFixed(), interval: boundary.toISOString() } });
          return [
            { type: 'position.changed', userId: pos.userId, portfolioId: pos.portfolioId, symbol: pos.symbol, reason: 'funding' },
            { type: 'balance.changed', userId: pos.userId, portfolioId: pos.portfolioId },
          ] as MikeyEvent[];
        });
        for (const e of events) this.deps.events.emit(e);
        if (events.length > 0) applied++;
      } catch (err) {
        this.deps.logger.error('funding failed', { positionId: r.id, error: err });
      }
    }
    return applied;
  }
}
