// Risk: the limits every order is checked against, the kill switches (per portfolio and per user),
// risk metrics (historical VaR, drawdown, exposure, leverage) and risk alerts (a `risk_alerts` row
// and a `risk.alert` event when a limit is breached, a position nears liquidation or trading halts).
import { and, asc, desc, eq, gte, isNull, lt, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { portfolioSnapshots, portfolios, riskAlerts, riskLimits, riskMetrics, users } from '../../db/schema/index.js';
import { withTransaction } from '../../db/tx.js';
import { dec, toPlain, ZERO, type Dec } from '../../domain/money.js';
import { dailyReturns, equityDrawdown, portfolioExposure, type EquitySnapshot } from '../../domain/portfolio-metrics.js';
import { liquidationPrice } from '../../domain/position.js';
import { checkOrderRisk, historicalVaR, type KillSwitchState, type RiskCheck, type RiskLimit, type RiskOrder, type RiskPosition } from '../../domain/risk.js';
import type { Clock, PriceQuote } from '../../domain/ports.js';
import type { Logger } from '../../log.js';
import type { Actor } from '../actor.js';
import { newTraceId } from '../actor.js';
import { writeAudit } from '../audit.js';
import { AppError, ErrorCode, notFound } from '../errors.js';
import type { EventBus } from '../events.js';
import type { MarketCatalog } from '../markets.js';
import type { AccountState, RiskLimitRow } from '../portfolio/account-state.js';
import type { PortfolioService } from '../portfolio/portfolio-service.js';
import { voidTokens } from '../trading/confirmation.js';
import { BOUNDS, decimalProblem, parseInput, requireDecimal, type DecimalBounds } from '../trading/input.js';
import { num, plain, plainRounded, rowToPosition, toDate } from '../trading/rows.js';
import { getRiskLimitsShape, getRiskMetricsShape, haltTradingShape, resumeTradingShape, RISK_LIMIT_TYPES, setRiskLimitShape } from './schemas.js';
import { requireRole } from '../authorize.js';

/** Sane ranges of the numeric limits (symbol lists are checked apart). */
const LIMIT_BOUNDS: Record<Exclude<(typeof RISK_LIMIT_TYPES)[number], 'symbol_allow' | 'symbol_deny'>, DecimalBounds> = {
  daily_loss: BOUNDS.amount,
  position_size: BOUNDS.amount,
  symbol_notional: BOUNDS.amount,
  leverage: BOUNDS.leverage,
  max_open_positions: { min: '1', minInclusive: true, max: '1000', maxDecimals: 0, example: '5' },
};
const LIMIT_HINT: Record<keyof typeof LIMIT_BOUNDS, string> = {
  daily_loss: 'as an amount of quote currency such as "500" (at most 1,000,000,000,000)',
  position_size: 'as an amount of quote currency such as "2000" (at most 1,000,000,000,000)',
  symbol_notional: 'as an amount of quote currency such as "5000" (at most 1,000,000,000,000)',
  leverage: 'from 1 to 200, such as "3"',
  max_open_positions: 'as a whole number from 1 to 1000, such as "5"',
};

export interface RiskServiceDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  events: EventBus;
  markets: MarketCatalog;
  portfolios: PortfolioService;
}

export interface RiskLimitView {
  id: string;
  type: string;
  value: string | null;
  symbols: string[] | null;
  symbol: string | null;
  portfolioId: string | null;
  scope: 'portfolio' | 'all portfolios';
  updatedAt: string;
}

export interface HaltView {
  portfolioId: string | null;
  halted: boolean;
  reason: string | null;
  /** Resting orders that could open or grow a position, cancelled by the halt. */
  cancelledOrders: number;
}

export interface RiskMetricsView {
  portfolioId: string;
  baseCurrency: string;
  equity: string;
  valueAtRisk95: { fraction: number; amount: string } | null;
  valueAtRisk99: { fraction: number; amount: string } | null;
  /** Days of returns behind the VaR figures. */
  returnsObserved: number;
  maxDrawdown: { amount: string; percent: number };
  currentDrawdown: { amount: string; percent: number };
  exposure: { long: string; short: string; gross: string; net: string };
  leverage: number | null;
  marginUsed: string;
  dailyPnl: string;
  positions: Array<{ symbol: string; side: string; notional: string; shareOfEquity: number | null; liquidationPrice: string | null; distanceToLiquidationPercent: number | null }>;
  limits: RiskLimitView[];
  halted: { user: boolean; portfolio: boolean; reason: string | null };
  calculatedAt: string;
}

/** Cancels resting orders that would open or grow positions (wired to the trading service). */
export type OpeningOrderCanceller = (actor: Actor, portfolioIds: readonly string[]) => Promise<number>;

/** How close to its liquidation price (percent of the mark) a position must be to raise an alert. */
export const LIQUIDATION_NEAR_PERCENT = 10;

function limitView(r: typeof riskLimits.$inferSelect): RiskLimitView {
  return {
    id: r.id,
    type: r.limitType,
    value: plain(r.value),
    symbols: r.valueText ? r.valueText.split(',') : null,
    symbol: r.symbol,
    portfolioId: r.portfolioId,
    scope: r.portfolioId ? 'portfolio' : 'all portfolios',
    updatedAt: toDate(r.updatedAt).toISOString(),
  };
}

export function toDomainLimits(rows: readonly RiskLimitRow[]): RiskLimit[] {
  const out: RiskLimit[] = [];
  for (const r of rows) {
    const value = r.value === null ? undefined : dec(r.value);
    switch (r.limitType) {
      case 'daily_loss':
        if (value) out.push({ type: 'daily_loss', maxLoss: value });
        break;
      case 'position_size':
        if (value) out.push({ type: 'position_size', ...(r.symbol ? { symbol: r.symbol } : {}), maxNotional: value });
        break;
      case 'symbol_notional':
        if (value && r.symbol) out.push({ type: 'symbol_notional', symbol: r.symbol, maxNotional: value });
        break;
      case 'leverage':
        if (value) out.push({ type: 'leverage', maxLeverage: value });
        break;
      case 'max_open_positions':
        if (value) out.push({ type: 'max_open_positions', max: value.toNumber() });
        break;
      case 'symbol_allow':
        if (r.valueText) out.push({ type: 'symbol_allow_list', symbols: r.valueText.split(',') });
        break;
      case 'symbol_deny':
        if (r.valueText) out.push({ type: 'symbol_deny_list', symbols: r.valueText.split(',') });
        break;
    }
  }
  return out;
}

function startOfUtcDay(d: Date): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
}

export class RiskService {
  private cancelOpeningOrders: OpeningOrderCanceller | undefined;

  constructor(private readonly deps: RiskServiceDeps) {}

  /** Wires the trading service's canceller (the trading service is built after this one). */
  setOpeningOrderCanceller(fn: OpeningOrderCanceller): void {
    this.cancelOpeningOrders = fn;
  }

  // ---------------------------------------------------------------------------------------------
  // Limits

  async setRiskLimit(actor: Actor, input: unknown): Promise<RiskLimitView | { removed: true; type: string; symbol: string | null; portfolioId: string | null }> {
    await requireRole(this.deps.db, actor, 'trader');
    const v = parseInput(setRiskLimitShape, input, 'risk limit');
    const portfolioId = v.portfolioId ? (await this.deps.portfolios.resolvePortfolio(actor.userId, v.portfolioId)).id : null;
    const symbol = v.symbol ? this.deps.markets.resolve(v.symbol).symbol : null;
    if (v.type === 'symbol_notional' && !symbol) {
      throw new AppError(ErrorCode.invalidInput, 'a symbol_notional limit needs a symbol', 'add symbol, e.g. "BTC/USDT"');
    }
    if (symbol && !['position_size', 'symbol_notional'].includes(v.type)) {
      throw new AppError(ErrorCode.invalidInput, `a ${v.type} limit applies to all markets and takes no symbol`, 'drop symbol');
    }
    const raw = typeof v.value === 'number' ? String(v.value) : v.value;
    const off = /^(off|none|remove|delete)$/i.test(raw.trim());
    let value: string | null = null;
    let valueText: string | null = null;
    if (!off) {
      if (v.type === 'symbol_allow' || v.type === 'symbol_deny') valueText = this.symbolList(raw);
      else {
        const bounds = LIMIT_BOUNDS[v.type];
        const problem = decimalProblem(v.value, bounds);
        if (problem) throw new AppError(ErrorCode.invalidInput, `a ${v.type} limit ${problem}`, `give value ${LIMIT_HINT[v.type]}, or "off" to remove the limit`);
        const d = requireDecimal(v.value, 'value');
        if (v.type === 'max_open_positions' && !d.isInteger()) throw new AppError(ErrorCode.invalidInput, 'max_open_positions takes a whole number', 'use e.g. "5"');
        value = toPlain(d);
      }
    }
    const scope = and(
      eq(riskLimits.userId, actor.userId),
      eq(riskLimits.limitType, v.type),
      eq(riskLimits.isActive, true),
      portfolioId ? eq(riskLimits.portfolioId, portfolioId) : isNull(riskLimits.portfolioId),
      symbol ? eq(riskLimits.symbol, symbol) : isNull(riskLimits.symbol),
    );
    const result = await withTransaction(this.deps.db, async (tx) => {
      const [existing] = await tx.select().from(riskLimits).where(scope).for('update');
      if (off) {
        if (!existing) throw notFound(`${v.type} limit${symbol ? ` for ${symbol}` : ''}`, 'get-risk-limits shows your limits');
        await tx.update(riskLimits).set({ isActive: false }).where(eq(riskLimits.id, existing.id));
        await writeAudit(tx, actor, { action: 'risk_limit.remove', entityType: 'risk_limit', entityId: existing.id, oldValue: limitView(existing) });
        return { removed: true as const, type: v.type, symbol, portfolioId };
      }
      const [row] = existing
        ? await tx.update(riskLimits).set({ value, valueText }).where(eq(riskLimits.id, existing.id)).returning()
        : await tx.insert(riskLimits).values({ userId: actor.userId, portfolioId, limitType: v.type, symbol, value, valueText }).returning();
      await writeAudit(tx, actor, {
        action: 'risk_limit.set',
        entityType: 'risk_limit',
        entityId: row!.id,
        ...(existing ? { oldValue: limitView(existing) } : {}),
        newValue: limitView(row!),
      });
      return limitView(row!);
    });
    return result;
  }

  private symbolList(raw: string): string {
    const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
    if (items.length === 0) throw new AppError(ErrorCode.invalidInput, 'give at least one symbol', 'e.g. "BTC/USDT,SOL"');
    if (items.length > 100) throw new AppError(ErrorCode.invalidInput, 'at most 100 symbols in a list');
    const out = items.map((s) => {
      const m = this.deps.markets.find(s);
      if (m && s.toUpperCase() !== m.base.toUpperCase()) return m.symbol;
      if (/^[A-Za-z0-9]{1,15}$/.test(s) && this.deps.markets.list().some((x) => x.base.toUpperCase() === s.toUpperCase())) return s.toUpperCase();
      return this.deps.markets.resolve(s).symbol;
    });
    return [...new Set(out)].join(',');
  }

  async getRiskLimits(actor: Actor, input: unknown = {}): Promise<{ portfolioId: string | null; limits: RiskLimitView[] }> {
    const v = parseInput(getRiskLimitsShape, input, 'risk limits request');
    const portfolioId = v.portfolioId ? (await this.deps.portfolios.resolvePortfolio(actor.userId, v.portfolioId)).id : null;
    const rows = await this.deps.db
      .select()
      .from(riskLimits)
      .where(and(eq(riskLimits.userId, actor.userId), eq(riskLimits.isActive, true)))
      .orderBy(asc(riskLimits.createdAt));
    const applies = rows.filter((r) => !portfolioId || r.portfolioId === null || r.portfolioId === portfolioId);
    return { portfolioId, limits: applies.map(limitView) };
  }

  // ---------------------------------------------------------------------------------------------
  // Pre-trade checks

  killSwitch(state: AccountState): KillSwitchState {
    return {
      user: { halted: state.userHalt.halted, ...(state.userHalt.reason ? { reason: state.userHalt.reason } : {}) },
      account: { halted: state.portfolio.tradingHalted, ...(state.portfolio.haltedReason ? { reason: state.portfolio.haltedReason } : {}) },
    };
  }

  riskPositions(state: AccountState, quotes: ReadonlyMap<string, PriceQuote>): RiskPosition[] {
    return state.positions.map((p) => ({
      symbol: p.symbol,
      side: p.side,
      quantity: dec(p.quantity),
      markPrice: quotes.get(p.symbol)?.price ?? dec(p.markPrice ?? p.entryPrice),
    }));
  }

  /** Every pre-trade check for `order` on this account (kill switches and each applicable limit). */
  async checkOrder(state: AccountState, order: RiskOrder, opts: { equity: Dec | null; quotes: ReadonlyMap<string, PriceQuote>; now: Date }): Promise<RiskCheck[]> {
    const limits = toDomainLimits(state.limits);
    const dailyPnl = limits.some((l) => l.type === 'daily_loss') && opts.equity ? await this.dailyPnl(state, opts.equity, opts.now) : ZERO;
    return checkOrderRisk({
      order,
      limits,
      killSwitch: this.killSwitch(state),
      positions: this.riskPositions(state, opts.quotes),
      dailyPnl,
      ...(opts.equity ? { equity: opts.equity } : {}),
    });
  }

  /**
   * Today's P&L (UTC): equity now against the last snapshot before today; for a portfolio created
   * today, against its starting capital; without either, the P&L realised today (less fees).
   */
  async dailyPnl(state: AccountState, equity: Dec, now: Date): Promise<Dec> {
    const today = startOfUtcDay(now);
    const [prev] = await this.deps.db
      .select({ totalValue: portfolioSnapshots.totalValue })
      .from(portfolioSnapshots)
      .where(and(eq(portfolioSnapshots.portfolioId, state.portfolio.id), lt(portfolioSnapshots.snapshotDate, today.toISOString().slice(0, 10))))
      .orderBy(desc(portfolioSnapshots.snapshotDate))
      .limit(1);
    if (prev) return equity.sub(dec(prev.totalValue));
    if (toDate(state.portfolio.createdAt) >= today) return equity.sub(num(state.portfolio.initialCapital));
    const rows = await this.deps.db.execute(
      sql`select coalesce(sum(coalesce(realized_pnl, 0) - fee), 0)::text as pnl from trades where portfolio_id = ${state.portfolio.id} and executed_at >= ${today.toISOString()}::timestamptz`,
    );
    const pnl = (rows as { rows: Array<{ pnl: string }> }).rows[0]?.pnl ?? '0';
    return dec(pnl);
  }

  // ---------------------------------------------------------------------------------------------
  // Kill switches

  async haltTrading(actor: Actor, input: unknown = {}): Promise<HaltView> {
    await requireRole(this.deps.db, actor, 'trader');
    const v = parseInput(haltTradingShape, input, 'halt request');
    const now = this.deps.clock.now();
    const reason = v.reason ?? null;
    let portfolioIds: string[];
    let haltedId: string | null = null;
    if (v.portfolioId) {
      const p = await this.deps.portfolios.resolvePortfolio(actor.userId, v.portfolioId);
      portfolioIds = [p.id];
      haltedId = p.id;
      await withTransaction(this.deps.db, async (tx) => {
        await tx.update(portfolios).set({ tradingHalted: true, haltedReason: reason, haltedAt: now }).where(eq(portfolios.id, p.id));
        const voidedTokens = await voidTokens(tx, { userId: actor.userId, portfolioId: p.id, now });
        await writeAudit(tx, actor, { action: 'trading.halt', entityType: 'portfolio', entityId: p.id, oldValue: { halted: p.tradingHalted }, newValue: { halted: true, reason, voidedTokens } });
      });
    } else {
      portfolioIds = await this.deps.portfolios.portfolioIds(actor.userId);
      const killSwitch = { halted: true, reason: reason ?? undefined, at: now.toISOString() };
      await withTransaction(this.deps.db, async (tx) => {
        await tx
          .update(users)
          .set({ tradingPreferences: sql`${users.tradingPreferences} || jsonb_build_object('killSwitch', ${JSON.stringify(killSwitch)}::jsonb)` })
          .where(eq(users.id, actor.userId));
        const voidedTokens = await voidTokens(tx, { userId: actor.userId, now });
        await writeAudit(tx, actor, { action: 'trading.halt', entityType: 'user', entityId: actor.userId, newValue: { halted: true, reason, scope: 'all portfolios', voidedTokens } });
      });
    }
    const cancelled = this.cancelOpeningOrders ? await this.cancelOpeningOrders(actor, portfolioIds) : 0;
    this.deps.events.emit({ type: 'trading.halted', userId: actor.userId, portfolioId: haltedId, halted: true, reason });
    await this.raiseAlert({
      userId: actor.userId,
      portfolioId: haltedId,
      type: 'kill_switch',
      severity: 'high',
      message: `Trading halted${v.portfolioId ? ' on this portfolio' : ' on all your portfolios'}${reason ? `: ${reason}` : ''}`,
      data: { reason, cancelledOrders: cancelled },
      dedupe: false,
    });
    return { portfolioId: haltedId, halted: true, reason, cancelledOrders: cancelled };
  }

  async resumeTrading(actor: Actor, input: unknown = {}): Promise<HaltView> {
    await requireRole(this.deps.db, actor, 'trader');
    const v = parseInput(resumeTradingShape, input, 'resume request');
    let resumedId: string | null = null;
    if (v.portfolioId) {
      const p = await this.deps.portfolios.resolvePortfolio(actor.userId, v.portfolioId);
      resumedId = p.id;
      await withTransaction(this.deps.db, async (tx) => {
        await tx.update(portfolios).set({ tradingHalted: false, haltedReason: null, haltedAt: null }).where(eq(portfolios.id, p.id));
        await writeAudit(tx, actor, { action: 'trading.resume', entityType: 'portfolio', entityId: p.id, oldValue: { halted: p.tradingHalted, reason: p.haltedReason }, newValue: { halted: false } });
      });
    } else {
      await withTransaction(this.deps.db, async (tx) => {
        await tx
          .update(users)
          .set({ tradingPreferences: sql`${users.tradingPreferences} - 'killSwitch'` })
          .where(eq(users.id, actor.userId));
        await tx.update(portfolios).set({ tradingHalted: false, haltedReason: null, haltedAt: null }).where(eq(portfolios.userId, actor.userId));
        await writeAudit(tx, actor, { action: 'trading.resume', entityType: 'user', entityId: actor.userId, newValue: { halted: false, scope: 'all portfolios' } });
      });
    }
    this.deps.events.emit({ type: 'trading.halted', userId: actor.userId, portfolioId: resumedId, halted: false, reason: null });
    return { portfolioId: resumedId, halted: false, reason: null, cancelledOrders: 0 };
  }

  // ---------------------------------------------------------------------------------------------
  // Metrics

  async getRiskMetrics(actor: Actor, input: unknown = {}): Promise<RiskMetricsView> {
    const v = parseInput(getRiskMetricsShape, input, 'risk metrics request');
    const state = await this.deps.portfolios.accountState(actor.userId, v.portfolioId);
    return this.metrics(state, this.deps.clock.now());
  }

  private async metrics(state: AccountState, now: Date): Promise<RiskMetricsView> {
    const p = state.portfolio;
    const { equity, quotes } = await this.deps.portfolios.value(state);
    const snaps = await this.deps.db
      .select({ at: portfolioSnapshots.snapshotAt, value: portfolioSnapshots.totalValue })
      .from(portfolioSnapshots)
      .where(eq(portfolioSnapshots.portfolioId, p.id))
      .orderBy(asc(portfolioSnapshots.snapshotDate));
    const created = toDate(p.createdAt);
    const series: EquitySnapshot[] = [
      { at: created, equity: num(p.initialCapital) },
      ...snaps.map((s) => ({ at: toDate(s.at), equity: dec(s.value) })).filter((s) => s.at > created && s.at < now),
      { at: now, equity },
    ];
    const returns = dailyReturns(series);
    const var95 = historicalVaR(returns, 0.95);
    const var99 = historicalVaR(returns, 0.99);
    const dd = equityDrawdown(series);
    const peak = series.reduce<Dec>((a, s) => (s.equity.gt(a) ? s.equity : a), ZERO);
    const currentDd = peak.gt(equity) ? peak.sub(equity) : ZERO;
    const domainPositions = state.positions.flatMap((r) => {
      const m = this.deps.markets.find(r.symbol);
      return m ? [rowToPosition(r, m)] : [];
    });
    const marks: Record<string, Dec> = {};
    for (const [s, q] of quotes) marks[s] = q.price;
    const exp = portfolioExposure(domainPositions, marks, equity);
    const marginUsed = state.positions.reduce<Dec>((a, r) => a.add(num(r.margin)), ZERO);
    const dailyPnl = await this.dailyPnl(state, equity, now);
    const positionsOut = domainPositions.map((dp) => {
      const mark = marks[dp.symbol];
      const notional = mark ? dp.quantity.mul(mark) : dp.quantity.mul(dp.entryPrice);
      const liq = liquidationPrice(dp);
      return {
        symbol: dp.symbol,
        side: dp.side,
        notional: plainRounded(notional, 8)!,
        shareOfEquity: equity.gt(0) ? Math.round(notional.div(equity).toNumber() * 10_000) / 10_000 : null,
        liquidationPrice: liq ? plainRounded(liq, 8) : null,
        distanceToLiquidationPercent: liq && mark ? Math.round(liq.sub(mark).abs().div(mark).toNumber() * 1_000_000) / 10_000 : null,
      };
    });
    const limits = state.limits.map((l) => ({
      id: l.id, type: l.limitType, value: plain(l.value), symbols: l.valueText ? l.valueText.split(',') : null, symbol: l.symbol,
      portfolioId: l.portfolioId, scope: l.portfolioId ? ('portfolio' as const) : ('all portfolios' as const), updatedAt: now.toISOString(),
    }));
    return {
      portfolioId: p.id,
      baseCurrency: p.baseCurrency,
      equity: plainRounded(equity, 8)!,
      valueAtRisk95: var95 === null ? null : { fraction: var95, amount: plainRounded(equity.mul(dec(var95)), 8)! },
      valueAtRisk99: var99 === null ? null : { fraction: var99, amount: plainRounded(equity.mul(dec(var99)), 8)! },
      returnsObserved: returns.length,
      maxDrawdown: { amount: plainRounded(dd.amount, 8)!, percent: Math.round(dd.fraction * 1_000_000) / 10_000 },
      currentDrawdown: { amount: plainRounded(currentDd, 8)!, percent: peak.gt(0) ? Math.round(currentDd.div(peak).toNumber() * 1_000_000) / 10_000 : 0 },
      exposure: { long: plainRounded(exp.long, 8)!, short: plainRounded(exp.short, 8)!, gross: plainRounded(exp.gross, 8)!, net: plainRounded(exp.net, 8)! },
      leverage: exp.leverage === null ? null : Math.round(exp.leverage * 10_000) / 10_000,
      marginUsed: plainRounded(marginUsed, 8)!,
      dailyPnl: plainRounded(dailyPnl, 8)!,
      positions: positionsOut,
      limits,
      halted: { user: state.userHalt.halted, portfolio: p.tradingHalted, reason: state.userHalt.reason ?? p.haltedReason ?? null },
      calculatedAt: now.toISOString(),
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Alerts

  /**
   * Writes a risk alert and publishes `risk.alert`. With `dedupe` (default), one alert per
   * (portfolio, type, key) per UTC day: a breach that persists is reported once a day.
   */
  async raiseAlert(a: {
    userId: string;
    portfolioId: string | null;
    type: string;
    severity: 'low' | 'medium' | 'high' | 'critical';
    message: string;
    data?: Record<string, unknown>;
    dedupe?: boolean;
    key?: string;
  }): Promise<boolean> {
    const now = this.deps.clock.now();
    if (a.dedupe !== false) {
      const existing = await this.deps.db
        .select({ id: riskAlerts.id, data: riskAlerts.data })
        .from(riskAlerts)
        .where(
          and(
            eq(riskAlerts.userId, a.userId),
            a.portfolioId ? eq(riskAlerts.portfolioId, a.portfolioId) : isNull(riskAlerts.portfolioId),
            eq(riskAlerts.alertType, a.type),
            gte(riskAlerts.createdAt, startOfUtcDay(now)),
          ),
        );
      if (existing.some((e) => (e.data as { key?: string } | null)?.key === a.key)) return false;
    }
    await this.deps.db.insert(riskAlerts).values({
      userId: a.userId,
      portfolioId: a.portfolioId,
      alertType: a.type,
      severity: a.severity,
      message: a.message,
      data: { ...(a.data ?? {}), ...(a.key ? { key: a.key } : {}) },
      createdAt: now,
    });
    this.deps.events.emit({ type: 'risk.alert', userId: a.userId, portfolioId: a.portfolioId ?? '', severity: a.severity, message: a.message });
    return true;
  }

  /**
   * The periodic risk sweep: records a `risk_metrics` row per portfolio with positions and raises
   * alerts for a reached daily-loss limit, account leverage above its limit and positions within
   * `LIQUIDATION_NEAR_PERCENT` of liquidation.
   */
  async sweep(now: Date = this.deps.clock.now()): Promise<{ alerts: number }> {
    const rows = await this.deps.db.execute(
      sql`select distinct p.id, p.user_id from portfolios p
          where p.is_active and (exists (select 1 from positions x where x.portfolio_id = p.id and x.status = 'open')
             or exists (select 1 from risk_limits l where l.user_id = p.user_id and l.is_active))`,
    );
    let alerts = 0;
    for (const r of (rows as { rows: Array<{ id: string; user_id: string }> }).rows) {
      try {
        const state = await this.deps.portfolios.accountState(r.user_id, r.id);
        const m = await this.metrics(state, now);
        await this.deps.db.insert(riskMetrics).values({
          userId: r.user_id,
          portfolioId: r.id,
          portfolioRisk: m.leverage === null ? null : m.leverage.toFixed(10),
          valueAtRisk: m.valueAtRisk95?.amount ?? null,
          maxDrawdown: (-m.maxDrawdown.percent).toFixed(10),
          positionRisks: Object.fromEntries(m.positions.map((x) => [x.symbol, String(x.shareOfEquity ?? 0)])),
          calculatedAt: now,
        });
        const limits = toDomainLimits(state.limits);
        const loss = dec(m.dailyPnl).neg();
        for (const l of limits) {
          if (l.type === 'daily_loss' && loss.gte(l.maxLoss)) {
            if (await this.raiseAlert({ userId: r.user_id, portfolioId: r.id, type: 'daily_loss', severity: 'high', message: `Today's loss ${plainRounded(loss, 2)} ${m.baseCurrency} has reached your ${toPlain(l.maxLoss)} ${m.baseCurrency} daily loss limit; new positions are blocked until 00:00 UTC`, data: { loss: plain(loss), limit: toPlain(l.maxLoss) } })) alerts++;
          }
          if (l.type === 'leverage' && m.leverage !== null && l.maxLeverage.lt(m.leverage)) {
            if (await this.raiseAlert({ userId: r.user_id, portfolioId: r.id, type: 'leverage_limit', severity: 'medium', message: `Account leverage ${m.leverage}x is above your ${toPlain(l.maxLeverage)}x limit`, data: { leverage: m.leverage, limit: toPlain(l.maxLeverage) } })) alerts++;
          }
        }
        for (const x of m.positions) {
          if (x.distanceToLiquidationPercent !== null && x.distanceToLiquidationPercent <= LIQUIDATION_NEAR_PERCENT) {
            if (await this.raiseAlert({ userId: r.user_id, portfolioId: r.id, type: 'liquidation_near', severity: 'critical', key: x.symbol, message: `${x.symbol} ${x.side} is ${x.distanceToLiquidationPercent}% from its liquidation price ${x.liquidationPrice}`, data: { symbol: x.symbol, liquidationPrice: x.liquidationPrice } })) alerts++;
          }
        }
      } catch (err) {
        this.deps.logger.warn('risk sweep failed for a portfolio', { portfolioId: r.id, error: err });
      }
    }
    return { alerts };
  }

  /** Risk alerts of the user, newest first. */
  async listAlerts(actor: Actor, opts: { limit?: number } = {}): Promise<Array<{ id: string; portfolioId: string | null; type: string; severity: string; message: string; createdAt: string }>> {
    const rows = await this.deps.db
      .select()
      .from(riskAlerts)
      .where(eq(riskAlerts.userId, actor.userId))
      .orderBy(desc(riskAlerts.createdAt))
      .limit(Math.min(200, opts.limit ?? 50));
    return rows.map((r) => ({ id: r.id, portfolioId: r.portfolioId, type: r.alertType, severity: r.severity, message: r.message, createdAt: toDate(r.createdAt).toISOString() }));
  }

  /** A trace id for system-initiated risk actions. */
  static systemTrace(): string {
    return newTraceId();
  }
}
