// Portfolio metrics: what the account is worth, what it made, and how well it trades.
//
// Terms:
// - Value = cash (the quote asset, free + locked) + other assets at their price + perpetual
//   unrealised P&L (perp margin already sits in locked cash).
// - Net P&L of a closed trade = realised − fees + funding (see position.ts).
// - Periods are UTC: day "2025-03-07", ISO week "2025-W10" (weeks start Monday), month "2025-03".
// - Sharpe ratio = mean(daily excess return) / sample standard deviation × √365 (crypto trades every
//   day of the year). Statistics are plain numbers; money stays decimal.
import { ZERO, type Dec } from './money.js';
import type { Balances } from './ledger.js';
import { liquidationPrice, unrealisedPnl, type ClosedPosition, type Position, type PositionSide } from './position.js';
import { exposure, maxDrawdown, type Drawdown, type Exposure } from './risk.js';

export interface PositionValuation {
  symbol: string;
  side: PositionSide;
  quantity: Dec;
  entryPrice: Dec;
  markPrice: Dec | null;
  /** Market value (quantity × mark); null without a mark. */
  value: Dec | null;
  unrealisedPnl: Dec | null;
  liquidationPrice: Dec | null;
}

export interface Valuation {
  quoteAsset: string;
  value: Dec;
  cash: Dec;
  /** Non-quote assets (spot holdings) at their price. */
  holdingsValue: Dec;
  unrealisedPnl: Dec;
  /** Gross realised P&L of closed trades plus the realised part of open positions. */
  realisedPnl: Dec;
  fees: Dec;
  funding: Dec;
  /** realisedPnl − fees + funding. */
  netRealisedPnl: Dec;
  positions: PositionValuation[];
  /** Assets or symbols without a price; they are left out of value and unrealised P&L. */
  missingPrices: string[];
}

/**
 * Values an account. `assetPrices` gives each non-quote asset's price in the quote asset (for
 * balances); `markPrices` gives each position's mark by canonical symbol.
 */
export function valuePortfolio(args: {
  balances: Balances;
  positions: readonly Position[];
  closed?: readonly ClosedPosition[];
  assetPrices: Readonly<Record<string, Dec>>;
  markPrices: Readonly<Record<string, Dec>>;
  quoteAsset?: string;
}): Valuation {
  const quoteAsset = args.quoteAsset ?? 'USDT';
  const missing = new Set<string>();
  let cash = ZERO;
  let holdingsValue = ZERO;
  for (const b of Object.values(args.balances)) {
    const total = b.free.add(b.locked);
    if (b.asset === quoteAsset) {
      cash = cash.add(total);
      continue;
    }
    if (total.isZero()) continue;
    const price = args.assetPrices[b.asset];
    if (price === undefined) missing.add(b.asset);
    else holdingsValue = holdingsValue.add(total.mul(price));
  }

  let unrealised = ZERO;
  let perpUnrealised = ZERO;
  let realised = ZERO;
  let fees = ZERO;
  let funding = ZERO;
  const positions: PositionValuation[] = [];
  for (const p of args.positions) {
    realised = realised.add(p.realisedPnl);
    fees = fees.add(p.fees);
    funding = funding.add(p.funding);
    const mark = args.markPrices[p.symbol];
    if (mark === undefined) missing.add(p.symbol);
    const u = mark === undefined ? null : unrealisedPnl(p, mark);
    if (u) {
      unrealised = unrealised.add(u);
      if (p.kind === 'perp') perpUnrealised = perpUnrealised.add(u);
    }
    positions.push({
      symbol: p.symbol,
      side: p.side,
      quantity: p.quantity,
      entryPrice: p.entryPrice,
      markPrice: mark ?? null,
      value: mark === undefined ? null : p.quantity.mul(mark),
      unrealisedPnl: u,
      liquidationPrice: liquidationPrice(p),
    });
  }
  for (const c of args.closed ?? []) {
    realised = realised.add(c.realisedPnl);
    fees = fees.add(c.fees);
    funding = funding.add(c.funding);
  }
  return {
    quoteAsset,
    value: cash.add(holdingsValue).add(perpUnrealised),
    cash,
    holdingsValue,
    unrealisedPnl: unrealised,
    realisedPnl: realised,
    fees,
    funding,
    netRealisedPnl: realised.sub(fees).add(funding),
    positions,
    missingPrices: [...missing].sort(),
  };
}

// ---------------------------------------------------------------------------------------------------
// P&L over time

export const Period = { day: 'day', week: 'week', month: 'month' } as const;
export type Period = (typeof Period)[keyof typeof Period];

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** The UTC bucket a time falls in: "2025-03-07", "2025-W10" (ISO week), "2025-03". */
export function periodKey(at: Date, period: Period): string {
  const y = at.getUTCFullYear();
  const m = at.getUTCMonth() + 1;
  if (period === 'day') return `${y}-${pad(m)}-${pad(at.getUTCDate())}`;
  if (period === 'month') return `${y}-${pad(m)}`;
  // ISO week: the week with the year's first Thursday is week 1; weeks start on Monday.
  const d = new Date(Date.UTC(y, at.getUTCMonth(), at.getUTCDate()));
  const dayOfWeek = d.getUTCDay() === 0 ? 7 : d.getUTCDay();
  d.setUTCDate(d.getUTCDate() + 4 - dayOfWeek);
  const isoYear = d.getUTCFullYear();
  const week = Math.ceil(((d.getTime() - Date.UTC(isoYear, 0, 1)) / 86_400_000 + 1) / 7);
  return `${isoYear}-W${pad(week)}`;
}

/** A finished trade as metrics see it; `ClosedPosition` fits. */
export interface ClosedTrade {
  symbol: string;
  closedAt: Date;
  netPnl: Dec;
  fees?: Dec;
}

export interface PnlBucket {
  period: string;
  pnl: Dec;
  fees: Dec;
  trades: number;
}

/** Net P&L of closed trades by UTC period of their close, oldest first. */
export function pnlByPeriod(trades: readonly ClosedTrade[], period: Period): PnlBucket[] {
  const buckets = new Map<string, PnlBucket>();
  for (const t of trades) {
    const key = periodKey(t.closedAt, period);
    const b = buckets.get(key) ?? { period: key, pnl: ZERO, fees: ZERO, trades: 0 };
    buckets.set(key, { period: key, pnl: b.pnl.add(t.netPnl), fees: b.fees.add(t.fees ?? ZERO), trades: b.trades + 1 });
  }
  return [...buckets.values()].sort((a, b) => a.period.localeCompare(b.period));
}

export interface EquitySnapshot {
  at: Date;
  equity: Dec;
  /** Deposits minus withdrawals since the previous snapshot; they are not P&L. */
  netDeposits?: Dec;
}

/**
 * P&L by UTC period from equity snapshots: each period's last equity minus the previous period's
 * last equity (the period's first snapshot for the first period), less deposits made in the period.
 */
export function pnlByPeriodFromSnapshots(snapshots: readonly EquitySnapshot[], period: Period): Array<{ period: string; pnl: Dec }> {
  const sorted = [...snapshots].sort((a, b) => a.at.getTime() - b.at.getTime());
  const out: Array<{ period: string; pnl: Dec }> = [];
  let previousClose: Dec | undefined;
  let current: { period: string; open: Dec; close: Dec; deposits: Dec } | undefined;
  const flush = (): void => {
    if (!current) return;
    out.push({ period: current.period, pnl: current.close.sub(current.open).sub(current.deposits) });
    previousClose = current.close;
  };
  for (const s of sorted) {
    const key = periodKey(s.at, period);
    if (!current || current.period !== key) {
      flush();
      const firstEver = previousClose === undefined;
      current = { period: key, open: previousClose ?? s.equity, close: s.equity, deposits: firstEver ? ZERO : (s.netDeposits ?? ZERO) };
      continue;
    }
    current.close = s.equity;
    current.deposits = current.deposits.add(s.netDeposits ?? ZERO);
  }
  flush();
  return out;
}

export interface SymbolPnl {
  symbol: string;
  pnl: Dec;
  trades: number;
  wins: number;
}

/** Net P&L per pair, best first. */
export function pnlBySymbol(trades: readonly ClosedTrade[]): SymbolPnl[] {
  const by = new Map<string, SymbolPnl>();
  for (const t of trades) {
    const s = by.get(t.symbol) ?? { symbol: t.symbol, pnl: ZERO, trades: 0, wins: 0 };
    by.set(t.symbol, { symbol: t.symbol, pnl: s.pnl.add(t.netPnl), trades: s.trades + 1, wins: s.wins + (t.netPnl.gt(0) ? 1 : 0) });
  }
  return [...by.values()].sort((a, b) => b.pnl.comparedTo(a.pnl) || a.symbol.localeCompare(b.symbol));
}

// ---------------------------------------------------------------------------------------------------
// Trade statistics

export interface TradeStats {
  trades: number;
  wins: number;
  losses: number;
  /** Trades with exactly zero net P&L: neither wins nor losses. */
  breakeven: number;
  /** wins / trades; null with no trades. */
  winRate: number | null;
  grossProfit: Dec;
  /** Sum of losses as a positive amount. */
  grossLoss: Dec;
  /** grossProfit / grossLoss; null when there are no losses (undefined ratio). */
  profitFactor: number | null;
  averageWin: Dec | null;
  /** Average loss as a positive amount. */
  averageLoss: Dec | null;
  /** Average net P&L per trade. */
  expectancy: Dec | null;
  largestWin: Dec | null;
  largestLoss: Dec | null;
}

export function tradeStats(trades: readonly { netPnl: Dec }[]): TradeStats {
  let wins = 0;
  let losses = 0;
  let grossProfit = ZERO;
  let grossLoss = ZERO;
  let total = ZERO;
  let largestWin: Dec | null = null;
  let largestLoss: Dec | null = null;
  for (const { netPnl } of trades) {
    total = total.add(netPnl);
    if (netPnl.gt(0)) {
      wins++;
      grossProfit = grossProfit.add(netPnl);
      if (!largestWin || netPnl.gt(largestWin)) largestWin = netPnl;
    } else if (netPnl.lt(0)) {
      losses++;
      grossLoss = grossLoss.add(netPnl.neg());
      if (!largestLoss || netPnl.neg().gt(largestLoss)) largestLoss = netPnl.neg();
    }
  }
  const n = trades.length;
  return {
    trades: n,
    wins,
    losses,
    breakeven: n - wins - losses,
    winRate: n > 0 ? wins / n : null,
    grossProfit,
    grossLoss,
    profitFactor: grossLoss.gt(0) ? grossProfit.div(grossLoss).toNumber() : null,
    averageWin: wins > 0 ? grossProfit.div(wins) : null,
    averageLoss: losses > 0 ? grossLoss.div(losses) : null,
    expectancy: n > 0 ? total.div(n) : null,
    largestWin,
    largestLoss,
  };
}

/** Days per year used to annualise daily statistics: crypto markets never close. */
export const TRADING_DAYS_PER_YEAR = 365;

/** Daily returns from equity snapshots: last equity of each UTC day vs the previous day's last. */
export function dailyReturns(snapshots: readonly EquitySnapshot[]): number[] {
  const sorted = [...snapshots].sort((a, b) => a.at.getTime() - b.at.getTime());
  // Last equity of each UTC day, and the deposits made during it (not part of the return).
  const days = new Map<string, { equity: Dec; deposits: Dec }>();
  for (const s of sorted) {
    const key = periodKey(s.at, 'day');
    const d = days.get(key);
    days.set(key, { equity: s.equity, deposits: (d?.deposits ?? ZERO).add(s.netDeposits ?? ZERO) });
  }
  const list = [...days.values()];
  const out: number[] = [];
  for (let i = 1; i < list.length; i++) {
    const prev = list[i - 1]!;
    const cur = list[i]!;
    if (prev.equity.lte(0)) continue;
    out.push(cur.equity.sub(cur.deposits).div(prev.equity).sub(1).toNumber());
  }
  return out;
}

/** Annualised Sharpe ratio from daily returns (see header); null with fewer than 2 returns or no variation. */
export function sharpeRatio(returns: readonly number[], riskFreeDaily = 0): number | null {
  const xs = returns.filter((r) => Number.isFinite(r)).map((r) => r - riskFreeDaily);
  if (xs.length < 2) return null;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
  const sd = Math.sqrt(variance);
  if (!(sd > 1e-15)) return null;
  return (mean / sd) * Math.sqrt(TRADING_DAYS_PER_YEAR);
}

/** Max drawdown of an equity series with the dates of its peak and trough. */
export function equityDrawdown(snapshots: readonly EquitySnapshot[]): Drawdown & { peakAt: Date | null; troughAt: Date | null } {
  const sorted = [...snapshots].sort((a, b) => a.at.getTime() - b.at.getTime());
  const dd = maxDrawdown(sorted.map((s) => s.equity));
  const has = dd.amount.gt(0);
  return { ...dd, peakAt: has ? sorted[dd.peakIndex]?.at ?? null : null, troughAt: has ? sorted[dd.troughIndex]?.at ?? null : null };
}

/** Exposure of open positions at their marks (positions without a mark are left out). */
export function portfolioExposure(positions: readonly Position[], markPrices: Readonly<Record<string, Dec>>, equity?: Dec): Exposure {
  const priced = positions.flatMap((p) => {
    const mark = markPrices[p.symbol];
    return mark === undefined ? [] : [{ symbol: p.symbol, side: p.side, quantity: p.quantity, markPrice: mark }];
  });
  return exposure(priced, equity);
}
