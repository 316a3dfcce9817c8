// Portfolios (accounts): creating paper portfolios with their starting deposit, the default paper
// portfolio every user gets on first use, valuations (value, cash, P&L, fees), balances, positions,
// performance over a period, daily snapshots and the equity series behind the equity chart.
// Every lookup is scoped to the acting user: another user's portfolio id answers "not found".
import { and, asc, desc, eq, gte, inArray, lt, ne, sql } from 'drizzle-orm';
import { z } from 'zod';
import { queryRows, type Db, type Executor } from '../../db/client.js';
import { portfolioSnapshots, portfolios, positions, type Portfolio } from '../../db/schema/index.js';
import { withActingUser } from '../../db/rls.js';
import { isUniqueViolation, withTransaction } from '../../db/tx.js';
import { deposit } from '../../domain/ledger.js';
import type { Market } from '../../domain/market.js';
import { dec, toPlain, ZERO, type Dec } from '../../domain/money.js';
import {
  dailyReturns,
  equityDrawdown,
  pnlByPeriod,
  pnlBySymbol,
  sharpeRatio,
  tradeStats,
  valuePortfolio,
  type ClosedTrade,
  type EquitySnapshot,
  type Valuation,
} from '../../domain/portfolio-metrics.js';
import type { ClosedPosition } from '../../domain/position.js';
import type { Clock, PriceFeed, PriceQuote } from '../../domain/ports.js';
import type { Logger } from '../../log.js';
import type { Actor } from '../actor.js';
import { newTraceId } from '../actor.js';
import { writeAudit } from '../audit.js';
import { AppError, ErrorCode, notFound } from '../errors.js';
import { resolveIdPrefix } from '../id-prefix.js';
import type { EventBus } from '../events.js';
import type { MarketCatalog } from '../markets.js';
import { commitLedger, lockBalances } from '../trading/ledger-store.js';
import { decimalArg, parseInput } from '../trading/input.js';
import { iso, num, plain, plainRounded, positionView, q18, rowToPosition, toDate, type PositionRow, type PositionView } from '../trading/rows.js';
import { loadAccountState, type AccountState } from './account-state.js';
import { requireRole } from '../authorize.js';
import {
  createPaperPortfolioShape,
  getBalancesShape,
  getEquitySeriesShape,
  getPerformanceShape,
  getPortfolioShape,
  getPositionsShape,
} from './schemas.js';

export const DEFAULT_PORTFOLIO_NAME = 'Paper';
export const DEFAULT_STARTING_CASH = '10000';
export const DEFAULT_BASE_CURRENCY = 'USDT';
/** Paper portfolios are unified accounts: spot pairs and perpetuals (account type `margin`). */
export const PAPER_ACCOUNT_TYPE = 'margin';
const MAX_STARTING_CASH = dec('1000000000000');

/** Service-level extra of `createPortfolio` (not a tool argument): which markets the account trades. */
const createAccountTypeField = z
  .enum(['spot', 'margin', 'futures'])
  .default(PAPER_ACCOUNT_TYPE)
  .describe('spot (spot pairs only), futures (perpetuals only) or margin (both; default)');

export interface PortfolioServiceDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  events: EventBus;
  prices: PriceFeed;
  markets: MarketCatalog;
}

export interface PortfolioSummary {
  id: string;
  name: string;
  mode: 'paper' | 'live';
  accountType: string;
  exchange: string;
  baseCurrency: string;
  isDefault: boolean;
  autoConfirm: boolean;
  halted: boolean;
  haltedReason: string | null;
  initialCapital: string;
  makerFeeRate: string;
  takerFeeRate: string;
  createdAt: string;
  /** A paper shadow's live portfolio; null otherwise. */
  shadowOf: string | null;
}

export interface AccountValuation {
  valuation: Valuation;
  quotes: Map<string, PriceQuote>;
  equity: Dec;
  simulatedPrices: boolean;
  /** Publish time of the oldest price used. */
  pricesAsOf: Date | null;
}

export interface PortfolioView extends PortfolioSummary {
  value: string;
  cash: string;
  cashFree: string;
  cashLocked: string;
  holdingsValue: string;
  positionsValue: string;
  unrealizedPnl: string;
  realizedPnl: string;
  fees: string;
  funding: string;
  netRealizedPnl: string;
  totalPnl: string;
  totalPnlPercent: string | null;
  openPositions: number;
  openOrders: number;
  simulatedPrices: boolean;
  missingPrices: string[];
  pricesAsOf: string | null;
  positions: PositionView[];
}

export interface BalanceView {
  asset: string;
  free: string;
  locked: string;
  total: string;
  /** Value in the portfolio's base currency, when a price is known. */
  value: string | null;
}

export interface PerformanceView {
  portfolioId: string;
  period: 'day' | 'week' | 'month' | 'all';
  from: string;
  to: string;
  equityStart: string;
  equityEnd: string;
  /** Change in equity over the window, less deposits made in it. */
  pnl: string;
  returnPercent: string | null;
  realizedPnl: string;
  fees: string;
  funding: string;
  unrealizedPnl: string;
  closedTrades: number;
  wins: number;
  losses: number;
  winRate: number | null;
  profitFactor: number | null;
  averageWin: string | null;
  averageLoss: string | null;
  expectancy: string | null;
  largestWin: string | null;
  largestLoss: string | null;
  sharpeRatio: number | null;
  maxDrawdown: { amount: string; percent: number; peakAt: string | null; troughAt: string | null };
  byPair: Array<{ symbol: string; pnl: string; trades: number; wins: number }>;
  byDay: Array<{ period: string; pnl: string; fees: string; trades: number }>;
}

export interface EquityPoint {
  date: string;
  at: string;
  value: string;
  cash: string;
  totalPnl: string;
  dailyPnl: string;
}

const PERIOD_MS = { day: 86_400_000, week: 7 * 86_400_000, month: 30 * 86_400_000 } as const;

function summary(p: Portfolio): PortfolioSummary {
  return {
    id: p.id,
    name: p.name,
    mode: p.tradingMode,
    accountType: p.accountType,
    exchange: p.exchange,
    baseCurrency: p.baseCurrency,
    isDefault: p.isDefault,
    autoConfirm: p.autoConfirm,
    halted: p.tradingHalted,
    haltedReason: p.haltedReason,
    initialCapital: plain(p.initialCapital)!,
    makerFeeRate: plain(p.makerFeeRate)!,
    takerFeeRate: plain(p.takerFeeRate)!,
    createdAt: iso(p.createdAt)!,
    shadowOf: p.shadowOf ?? null,
  };
}

function utcDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export class PortfolioService {
  private readonly defaults = new Map<string, string>();

  constructor(private readonly deps: PortfolioServiceDeps) {}

  // ---------------------------------------------------------------------------------------------
  // Accounts

  async listPortfolios(actor: Actor): Promise<PortfolioSummary[]> {
    await this.ensureDefaultPortfolio(actor.userId);
    const rows = await withActingUser(this.deps.db, actor.userId, (tx) =>
      tx.select().from(portfolios).where(eq(portfolios.userId, actor.userId)).orderBy(desc(portfolios.isDefault), asc(portfolios.createdAt)),
    );
    return rows.map(summary);
  }

  /** Creates a paper portfolio funded with `startingCash` (one deposit ledger entry). */
  async createPortfolio(actor: Actor, input: unknown): Promise<PortfolioSummary> {
    await requireRole(this.deps.db, actor, 'trader');
    const v = parseInput({ ...createPaperPortfolioShape, accountType: createAccountTypeField }, input, 'portfolio');
    const cash = decimalArg(v.startingCash, 'startingCash', { allowZero: true })!;
    if (cash.gt(MAX_STARTING_CASH)) throw new AppError(ErrorCode.invalidInput, `startingCash is too large (at most ${toPlain(MAX_STARTING_CASH)})`);
    if (cash.decimalPlaces() > 8) throw new AppError(ErrorCode.invalidInput, 'startingCash has more than 8 decimals', 'round it, e.g. "10000"');
    if (!this.deps.markets.list().some((m) => m.quote === v.baseCurrency)) {
      const quotes = [...new Set(this.deps.markets.list().map((m) => m.quote))].join(', ');
      throw new AppError(ErrorCode.invalidInput, `no market is quoted in ${v.baseCurrency}, so a portfolio in it could not trade`, `use one of ${quotes}`);
    }
    await this.ensureDefaultPortfolio(actor.userId);
    const now = this.deps.clock.now();
    try {
      const row = await withTransaction(this.deps.db, async (tx) => {
        const [p] = await tx
          .insert(portfolios)
          .values({
            userId: actor.userId,
            name: v.name,
            tradingMode: 'paper',
            accountType: v.accountType,
            exchange: 'paper',
            baseCurrency: v.baseCurrency,
            initialCapital: toPlain(cash),
            autoConfirm: v.autoConfirm,
            currentValue: toPlain(cash),
            cashBalance: toPlain(cash),
            createdAt: now,
            updatedAt: now,
          })
          .returning();
        await this.fund(tx, p!, cash, actor.traceId, now);
        await writeAudit(tx, actor, {
          action: 'portfolio.create',
          entityType: 'portfolio',
          entityId: p!.id,
          newValue: { name: p!.name, mode: 'paper', startingCash: toPlain(cash), baseCurrency: v.baseCurrency, autoConfirm: v.autoConfirm, accountType: v.accountType },
        });
        return p!;
      });
      this.deps.events.emit({ type: 'balance.changed', userId: actor.userId, portfolioId: row.id });
      return summary(row);
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new AppError(ErrorCode.conflict, `you already have a portfolio named "${v.name}"`, 'choose another name');
      }
      throw err;
    }
  }

  private async fund(tx: Executor, p: Portfolio, cash: Dec, traceId: string, at: Date): Promise<void> {
    if (cash.lte(0)) return;
    const before = await lockBalances(tx, p.id, [p.baseCurrency]);
    const change = deposit(before, p.baseCurrency, q18(cash), p.id);
    if (!change.ok) throw new AppError(ErrorCode.invalidInput, change.error.message);
    await commitLedger(tx, p.id, before, change.value.entries, { refType: 'portfolio', refId: p.id, traceId, at });
  }

  /**
   * The user's default paper portfolio ("Paper", 10,000 USDT), created on first use. Race-safe: the
   * one-default-per-user unique index lets exactly one concurrent caller create it (and fund it).
   */
  async ensureDefaultPortfolio(userId: string): Promise<Portfolio> {
    const cachedId = this.defaults.get(userId);
    if (cachedId) {
      const [row] = await this.deps.db.select().from(portfolios).where(and(eq(portfolios.id, cachedId), eq(portfolios.userId, userId)));
      if (row) return row;
    }
    const find = async (): Promise<Portfolio | undefined> =>
      (await this.deps.db.select().from(portfolios).where(and(eq(portfolios.userId, userId), eq(portfolios.isDefault, true))))[0];
    let row = await find();
    for (const name of [DEFAULT_PORTFOLIO_NAME, `${DEFAULT_PORTFOLIO_NAME} (default)`]) {
      if (row) break;
      const traceId = newTraceId();
      const now = this.deps.clock.now();
      const created = await withTransaction(this.deps.db, async (tx) => {
        const [p] = await tx
          .insert(portfolios)
          .values({
            userId,
            name,
            tradingMode: 'paper',
            accountType: PAPER_ACCOUNT_TYPE,
            exchange: 'paper',
            baseCurrency: DEFAULT_BASE_CURRENCY,
            initialCapital: DEFAULT_STARTING_CASH,
            isDefault: true,
            currentValue: DEFAULT_STARTING_CASH,
            cashBalance: DEFAULT_STARTING_CASH,
            createdAt: now,
            updatedAt: now,
          })
          .onConflictDoNothing()
          .returning();
        if (!p) return undefined;
        await this.fund(tx, p, dec(DEFAULT_STARTING_CASH), traceId, now);
        await writeAudit(tx, { userId, surface: 'system', traceId }, {
          action: 'portfolio.create',
          entityType: 'portfolio',
          entityId: p.id,
          newValue: { name, mode: 'paper', startingCash: DEFAULT_STARTING_CASH, baseCurrency: DEFAULT_BASE_CURRENCY, default: true },
        });
        return p;
      });
      row = created ?? (await find());
    }
    if (!row) throw new AppError(ErrorCode.conflict, 'could not create your default paper portfolio', 'try again');
    this.defaults.set(userId, row.id);
    return row;
  }

  /** The full id of the user's portfolio named by its id or an unambiguous prefix of it ("not found" otherwise). */
  private portfolioIdOf(userId: string, idOrPrefix: string, ex: Executor = this.deps.db): Promise<string> {
    return resolveIdPrefix(ex, { table: portfolios, id: portfolios.id, owned: eq(portfolios.userId, userId), input: idOrPrefix, noun: 'portfolio', listedBy: 'list-portfolios' });
  }

  /** The portfolio `portfolioId` if the user owns it ("not found" otherwise), or the default one. */
  async resolvePortfolio(userId: string, portfolioIdOrPrefix?: string): Promise<Portfolio> {
    if (!portfolioIdOrPrefix) return this.ensureDefaultPortfolio(userId);
    const portfolioId = await this.portfolioIdOf(userId, portfolioIdOrPrefix);
    const [row] = await this.deps.db.select().from(portfolios).where(and(eq(portfolios.id, portfolioId), eq(portfolios.userId, userId)));
    if (!row) throw notFound('portfolio', 'list-portfolios shows your portfolios');
    return row;
  }

  /**
   * The account state of the user's portfolio (default when none given); "not found" for another
   * user's. `actingUser` loads it inside the user's row-level-security scope (src/db/rls.ts).
   */
  async accountState(userId: string, portfolioId?: string, opts: { totals?: boolean; ex?: Executor; actingUser?: boolean } = {}): Promise<AccountState> {
    const id = portfolioId ? await this.portfolioIdOf(userId, portfolioId, opts.ex) : (this.defaults.get(userId) ?? (await this.ensureDefaultPortfolio(userId)).id);
    const load = (ex: Executor): Promise<AccountState | undefined> => loadAccountState(ex, userId, id, { totals: opts.totals ?? true });
    const state = opts.ex ? await load(opts.ex) : opts.actingUser ? await withActingUser(this.deps.db, userId, load) : await load(this.deps.db);
    if (!state) throw notFound('portfolio', 'list-portfolios shows your portfolios');
    return state;
  }

  // ---------------------------------------------------------------------------------------------
  // Valuation

  /** Latest quotes of `symbols`; symbols without a price are left out. */
  async quotes(symbols: Iterable<string>): Promise<Map<string, PriceQuote>> {
    const list = [...new Set(symbols)];
    const out = new Map<string, PriceQuote>();
    const settled = await Promise.allSettled(list.map((s) => this.deps.prices.getQuote(s)));
    settled.forEach((r, i) => {
      if (r.status === 'fulfilled') out.set(list[i]!, r.value);
    });
    return out;
  }

  private market(symbol: string): Market | undefined {
    return this.deps.markets.find(symbol);
  }

  /** Values an account at current prices (quotes may be passed in when already fetched). */
  async value(state: AccountState, known?: Map<string, PriceQuote>): Promise<AccountValuation> {
    const quoteAsset = state.portfolio.baseCurrency;
    const assetSymbols = new Map<string, string>();
    for (const b of Object.values(state.balances)) {
      if (b.asset === quoteAsset || (b.free.isZero() && b.locked.isZero())) continue;
      const m = this.market(`${b.asset}/${quoteAsset}`);
      if (m) assetSymbols.set(b.asset, m.symbol);
    }
    const needed = new Set<string>([...assetSymbols.values(), ...state.positions.map((p) => p.symbol)]);
    const quotes = new Map<string, PriceQuote>();
    const missing: string[] = [];
    for (const s of needed) {
      const q = known?.get(s);
      if (q) quotes.set(s, q);
      else missing.push(s);
    }
    if (missing.length > 0) for (const [s, q] of await this.quotes(missing)) quotes.set(s, q);
    const assetPrices: Record<string, Dec> = {};
    for (const [asset, symbol] of assetSymbols) {
      const q = quotes.get(symbol);
      if (q) assetPrices[asset] = q.price;
    }
    const markPrices: Record<string, Dec> = {};
    const domainPositions = [];
    for (const p of state.positions) {
      const m = this.market(p.symbol);
      if (!m) continue;
      const q = quotes.get(p.symbol);
      if (q) markPrices[p.symbol] = q.price;
      domainPositions.push(rowToPosition(p, m));
    }
    const closed: ClosedPosition[] = state.closedTotals.count > 0
      ? [{
          symbol: '*', kind: 'spot', side: 'long', quantity: ZERO, entryPrice: ZERO, exitPrice: ZERO, leverage: ZERO,
          realisedPnl: state.closedTotals.realizedPnl, fees: state.closedTotals.fees, funding: state.closedTotals.fundingPaid.neg(),
          netPnl: ZERO, maxDrawdown: ZERO, riskConsumed: ZERO, openedAt: new Date(0), closedAt: new Date(0), holdingMs: 0,
        }]
      : [];
    const valuation = valuePortfolio({ balances: state.balances, positions: domainPositions, closed, assetPrices, markPrices, quoteAsset });
    let oldest: Date | null = null;
    for (const q of quotes.values()) if (!oldest || q.publishTime < oldest) oldest = q.publishTime;
    return {
      valuation,
      quotes,
      equity: valuation.value,
      simulatedPrices: [...quotes.values()].some((q) => q.simulated),
      pricesAsOf: oldest,
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Reads

  async getPortfolio(actor: Actor, input: unknown = {}): Promise<PortfolioView> {
    const v = parseInput(getPortfolioShape, input, 'portfolio request');
    const state = await this.accountState(actor.userId, v.portfolioId, { actingUser: true });
    const { valuation, quotes, simulatedPrices, pricesAsOf } = await this.value(state);
    const p = state.portfolio;
    const quoteBal = state.balances[p.baseCurrency];
    const positionsValue = valuation.positions.reduce<Dec>((a, x) => a.add(x.value ?? ZERO), ZERO);
    const initial = num(p.initialCapital);
    const totalPnl = valuation.value.sub(initial);
    return {
      ...summary(p),
      value: plainRounded(valuation.value, 8)!,
      cash: plainRounded(valuation.cash, 8)!,
      cashFree: plainRounded(quoteBal?.free ?? ZERO, 8)!,
      cashLocked: plainRounded(quoteBal?.locked ?? ZERO, 8)!,
      holdingsValue: plainRounded(valuation.holdingsValue, 8)!,
      positionsValue: plainRounded(positionsValue, 8)!,
      unrealizedPnl: plainRounded(valuation.unrealisedPnl, 8)!,
      realizedPnl: plainRounded(valuation.realisedPnl, 8)!,
      fees: plainRounded(valuation.fees, 8)!,
      funding: plainRounded(valuation.funding, 8)!,
      netRealizedPnl: plainRounded(valuation.netRealisedPnl, 8)!,
      totalPnl: plainRounded(totalPnl, 8)!,
      totalPnlPercent: initial.gt(0) ? plainRounded(totalPnl.div(initial).mul(100), 4) : null,
      openPositions: state.positions.length,
      openOrders: state.openOrders,
      simulatedPrices,
      missingPrices: valuation.missingPrices,
      pricesAsOf: pricesAsOf ? pricesAsOf.toISOString() : null,
      positions: state.positions.map((x) => positionView(x, quotes.get(x.symbol)?.price)),
    };
  }

  async getBalances(actor: Actor, input: unknown = {}): Promise<{ portfolioId: string; baseCurrency: string; balances: BalanceView[] }> {
    const v = parseInput(getBalancesShape, input, 'balances request');
    const state = await this.accountState(actor.userId, v.portfolioId, { actingUser: true });
    const { quotes } = await this.value(state);
    const base = state.portfolio.baseCurrency;
    const out: BalanceView[] = Object.values(state.balances)
      .filter((b) => !b.free.isZero() || !b.locked.isZero() || b.asset === base)
      .sort((a, b) => (a.asset === base ? -1 : b.asset === base ? 1 : a.asset.localeCompare(b.asset)))
      .map((b) => {
        const total = b.free.add(b.locked);
        let value: Dec | null = null;
        if (b.asset === base) value = total;
        else {
          const m = this.market(`${b.asset}/${base}`);
          const q = m ? quotes.get(m.symbol) : undefined;
          if (q) value = total.mul(q.price);
        }
        return { asset: b.asset, free: plain(b.free)!, locked: plain(b.locked)!, total: plain(total)!, value: value ? plainRounded(value, 8) : null };
      });
    return { portfolioId: state.portfolio.id, baseCurrency: base, balances: out };
  }

  async getPositions(actor: Actor, input: unknown = {}): Promise<{ portfolioId: string; positions: PositionView[] }> {
    const v = parseInput(getPositionsShape, input, 'positions request');
    const p = await this.resolvePortfolio(actor.userId, v.portfolioId);
    const symbol = v.symbol ? this.deps.markets.resolve(v.symbol).symbol : undefined;
    const where = and(
      eq(positions.portfolioId, p.id),
      eq(positions.userId, actor.userId),
      v.status === 'open' ? eq(positions.status, 'open') : ne(positions.status, 'open'),
      symbol ? eq(positions.symbol, symbol) : undefined,
    );
    const rows = await withActingUser(this.deps.db, actor.userId, (tx) =>
      tx
        .select()
        .from(positions)
        .where(where)
        .orderBy(v.status === 'open' ? asc(positions.openedAt) : desc(positions.closedAt))
        .limit(500),
    );
    const quotes = v.status === 'open' ? await this.quotes(rows.map((r) => r.symbol)) : new Map<string, PriceQuote>();
    return { portfolioId: p.id, positions: rows.map((r) => positionView(r, quotes.get(r.symbol)?.price)) };
  }

  // ---------------------------------------------------------------------------------------------
  // Performance

  async getPerformance(actor: Actor, input: unknown = {}): Promise<PerformanceView> {
    const v = parseInput(getPerformanceShape, input, 'performance request');
    const state = await this.accountState(actor.userId, v.portfolioId);
    const p = state.portfolio;
    const now = this.deps.clock.now();
    const created = toDate(p.createdAt);
    const from = v.period === 'all' ? created : new Date(Math.max(created.getTime(), now.getTime() - PERIOD_MS[v.period]));
    const { valuation, equity } = await this.value(state);

    const closedRows = await this.deps.db
      .select()
      .from(positions)
      .where(and(eq(positions.portfolioId, p.id), ne(positions.status, 'open'), gte(positions.closedAt, from)))
      .orderBy(asc(positions.closedAt));
    const closed: Array<ClosedTrade & { fees: Dec }> = closedRows.map((r) => {
      const fees = num(r.feesPaid);
      return { symbol: r.symbol, closedAt: r.closedAt!, netPnl: num(r.realizedPnl).sub(fees).sub(num(r.fundingPaid)), fees };
    });
    const stats = tradeStats(closed);

    const [agg] = await queryRows<{ realized: string | null; fees: string | null }>(
      this.deps.db,
      sql`select sum(realized_pnl)::text as realized, sum(fee)::text as fees from trades
          where portfolio_id = ${p.id} and executed_at >= ${from.toISOString()}::timestamptz`,
    );
    const [fund] = await queryRows<{ funding: string | null }>(
      this.deps.db,
      sql`select sum(free_delta + locked_delta)::text as funding from ledger_entries
          where portfolio_id = ${p.id} and reason = 'funding' and created_at >= ${from.toISOString()}::timestamptz`,
    );
    const realized = num(agg?.realized);
    const fees = num(agg?.fees);
    const funding = num(fund?.funding);

    const snaps = await this.snapshots(p.id);
    const series: EquitySnapshot[] = [
      { at: created, equity: num(p.initialCapital) },
      ...snaps.filter((s) => s.at > created && s.at < now).map((s) => ({ at: s.at, equity: s.equity })),
      { at: now, equity },
    ];
    const inWindow = series.filter((s) => s.at >= from);
    const before = [...series].reverse().find((s) => s.at <= from) ?? series[0]!;
    const window = inWindow[0]?.at.getTime() === before.at.getTime() ? inWindow : [before, ...inWindow];
    const equityStart = window[0]!.equity;
    const pnl = equity.sub(equityStart);
    const dd = equityDrawdown(window);
    const sharpe = sharpeRatio(dailyReturns(window));

    return {
      portfolioId: p.id,
      period: v.period,
      from: from.toISOString(),
      to: now.toISOString(),
      equityStart: plainRounded(equityStart, 8)!,
      equityEnd: plainRounded(equity, 8)!,
      pnl: plainRounded(pnl, 8)!,
      returnPercent: equityStart.gt(0) ? plainRounded(pnl.div(equityStart).mul(100), 4) : null,
      realizedPnl: plainRounded(realized, 8)!,
      fees: plainRounded(fees, 8)!,
      funding: plainRounded(funding, 8)!,
      unrealizedPnl: plainRounded(valuation.unrealisedPnl, 8)!,
      closedTrades: stats.trades,
      wins: stats.wins,
      losses: stats.losses,
      winRate: stats.winRate,
      profitFactor: stats.profitFactor,
      averageWin: stats.averageWin ? plainRounded(stats.averageWin, 8) : null,
      averageLoss: stats.averageLoss ? plainRounded(stats.averageLoss, 8) : null,
      expectancy: stats.expectancy ? plainRounded(stats.expectancy, 8) : null,
      largestWin: stats.largestWin ? plainRounded(stats.largestWin, 8) : null,
      largestLoss: stats.largestLoss ? plainRounded(stats.largestLoss, 8) : null,
      sharpeRatio: sharpe,
      maxDrawdown: {
        amount: plainRounded(dd.amount, 8)!,
        percent: Math.round(dd.fraction * 1_000_000) / 10_000,
        peakAt: dd.peakAt ? dd.peakAt.toISOString() : null,
        troughAt: dd.troughAt ? dd.troughAt.toISOString() : null,
      },
      byPair: pnlBySymbol(closed).map((s) => ({ symbol: s.symbol, pnl: plainRounded(s.pnl, 8)!, trades: s.trades, wins: s.wins })),
      byDay: pnlByPeriod(closed, 'day').map((b) => ({ period: b.period, pnl: plainRounded(b.pnl, 8)!, fees: plainRounded(b.fees, 8)!, trades: b.trades })),
    };
  }

  private async snapshots(portfolioId: string): Promise<Array<{ date: string; at: Date; equity: Dec; row: typeof portfolioSnapshots.$inferSelect }>> {
    const rows = await this.deps.db.select().from(portfolioSnapshots).where(eq(portfolioSnapshots.portfolioId, portfolioId)).orderBy(asc(portfolioSnapshots.snapshotDate));
    return rows.map((r) => ({ date: r.snapshotDate, at: toDate(r.snapshotAt), equity: dec(r.totalValue), row: r }));
  }

  // ---------------------------------------------------------------------------------------------
  // Snapshots and the equity series

  /**
   * Writes today's snapshot of every active portfolio (UTC day of `now`). Idempotent: one row per
   * portfolio per day; a later run the same day overwrites it. Also refreshes each portfolio's cached
   * metrics (value, cash, P&L, Sharpe, drawdown, win rate).
   */
  async takeDailySnapshots(now: Date = this.deps.clock.now()): Promise<{ written: number }> {
    const all = await this.deps.db.select({ id: portfolios.id, userId: portfolios.userId }).from(portfolios).where(eq(portfolios.isActive, true));
    let written = 0;
    for (const { id, userId } of all) {
      try {
        await this.snapshotOne(userId, id, now);
        written++;
      } catch (err) {
        this.deps.logger.warn('daily snapshot failed', { portfolioId: id, error: err });
      }
    }
    return { written };
  }

  private async snapshotOne(userId: string, portfolioId: string, now: Date): Promise<void> {
    const state = await this.accountState(userId, portfolioId);
    const p = state.portfolio;
    const { valuation, equity } = await this.value(state);
    const date = utcDate(now);
    const [prev] = await this.deps.db
      .select()
      .from(portfolioSnapshots)
      .where(and(eq(portfolioSnapshots.portfolioId, portfolioId), lt(portfolioSnapshots.snapshotDate, date)))
      .orderBy(desc(portfolioSnapshots.snapshotDate))
      .limit(1);
    const initial = num(p.initialCapital);
    const dailyPnl = equity.sub(prev ? dec(prev.totalValue) : initial);
    const positionsValue = valuation.positions.reduce<Dec>((a, x) => a.add(x.value ?? ZERO), ZERO);
    const marginUsed = state.positions.reduce<Dec>((a, x) => a.add(num(x.margin)), ZERO);
    const quoteBal = state.balances[p.baseCurrency];
    const values = {
      portfolioId,
      snapshotDate: date,
      snapshotAt: now,
      totalValue: q18(equity).toFixed(),
      cash: q18(quoteBal?.free ?? ZERO).toFixed(),
      positionsValue: q18(positionsValue).toFixed(),
      marginUsed: q18(marginUsed).toFixed(),
      realizedPnl: q18(valuation.netRealisedPnl).toFixed(),
      unrealizedPnl: q18(valuation.unrealisedPnl).toFixed(),
      totalPnl: q18(equity.sub(initial)).toFixed(),
      dailyPnl: q18(dailyPnl).toFixed(),
      fees: q18(valuation.fees).toFixed(),
      positionsCount: state.positions.length,
    };
    const { portfolioId: _pid, snapshotDate: _d, ...updatable } = values;
    await this.deps.db
      .insert(portfolioSnapshots)
      .values(values)
      .onConflictDoUpdate({ target: [portfolioSnapshots.portfolioId, portfolioSnapshots.snapshotDate], set: updatable });

    // Cached metrics on the portfolio row (seed 001).
    const snaps = await this.snapshots(portfolioId);
    const series: EquitySnapshot[] = [{ at: toDate(p.createdAt), equity: initial }, ...snaps.map((s) => ({ at: s.at, equity: s.equity }))];
    const sharpe = sharpeRatio(dailyReturns(series));
    const dd = equityDrawdown(series);
    const closed = await this.deps.db
      .select({ realized: positions.realizedPnl, fees: positions.feesPaid, funding: positions.fundingPaid })
      .from(positions)
      .where(and(eq(positions.portfolioId, portfolioId), ne(positions.status, 'open')));
    const stats = tradeStats(closed.map((c) => ({ netPnl: num(c.realized).sub(num(c.fees)).sub(num(c.funding)) })));
    await this.deps.db
      .update(portfolios)
      .set({
        currentValue: values.totalValue,
        cashBalance: values.cash,
        totalPnl: values.totalPnl,
        totalPnlPercent: initial.gt(0) ? equity.sub(initial).div(initial).mul(100).toDecimalPlaces(10).toFixed() : '0',
        dailyPnl: values.dailyPnl,
        sharpeRatio: sharpe === null ? null : sharpe.toFixed(10),
        maxDrawdown: (-dd.fraction * 100).toFixed(10),
        winRate: stats.winRate === null ? null : (stats.winRate * 100).toFixed(10),
      })
      .where(eq(portfolios.id, portfolioId));
  }

  /** The equity series for an equity chart: one point per daily snapshot, then now. */
  async getEquitySeries(actor: Actor, input: unknown = {}): Promise<{ portfolioId: string; baseCurrency: string; points: EquityPoint[] }> {
    const v = parseInput(getEquitySeriesShape, input, 'equity request');
    const state = await this.accountState(actor.userId, v.portfolioId);
    const p = state.portfolio;
    const snaps = await this.snapshots(p.id);
    const { equity } = await this.value(state);
    const now = this.deps.clock.now();
    const initial = num(p.initialCapital);
    const points: EquityPoint[] = snaps.map((s) => ({
      date: s.date,
      at: s.at.toISOString(),
      value: plainRounded(s.equity, 8)!,
      cash: plainRounded(num(s.row.cash), 8)!,
      totalPnl: plainRounded(num(s.row.totalPnl), 8)!,
      dailyPnl: plainRounded(num(s.row.dailyPnl), 8)!,
    }));
    const last = snaps[snaps.length - 1];
    points.push({
      date: utcDate(now),
      at: now.toISOString(),
      value: plainRounded(equity, 8)!,
      cash: plainRounded(state.balances[p.baseCurrency]?.free ?? ZERO, 8)!,
      totalPnl: plainRounded(equity.sub(initial), 8)!,
      dailyPnl: plainRounded(equity.sub(last && last.date !== utcDate(now) ? last.equity : initial), 8)!,
    });
    return { portfolioId: p.id, baseCurrency: p.baseCurrency, points };
  }

  /** Ids of the user's portfolios (for user-wide operations). */
  async portfolioIds(userId: string): Promise<string[]> {
    const rows = await this.deps.db.select({ id: portfolios.id }).from(portfolios).where(eq(portfolios.userId, userId));
    return rows.map((r) => r.id);
  }

  /** Positions of several portfolios, open, for sweeps. */
  async openPositionsBySymbol(symbols: readonly string[]): Promise<PositionRow[]> {
    if (symbols.length === 0) return [];
    return this.deps.db.select().from(positions).where(and(eq(positions.status, 'open'), inArray(positions.symbol, [...symbols])));
  }
}

