// Community ranking and prize arithmetic (issue 14 part 2), pure: no I/O, no clock (days and values
// come in as arguments). Money and returns are decimals; only the Sharpe ratio, a statistic, is a
// plain number.
//
// Leaderboard performance of a member over a period (all their ranked portfolios together):
//   - Each portfolio is a series of daily values (`YYYY-MM-DD` → value): its starting capital on the
//     day it was created, then its daily snapshots, then its value now on today's day (a later value
//     on the same day replaces an earlier one). A day with no value carries the last known one.
//   - The period starts at the end of day `from` (today − 7/30/90 days; for `all` the first day any
//     portfolio has a value). Steps run from `from` through every later day with a value, to today.
//   - A step's return is Σ(value now − value before) / Σ value before over the portfolios that had a
//     value at the step's start (time-weighted: a portfolio created in the period joins from its first
//     value, so its deposit is never a gain). A step where no portfolio had a positive value yet is skipped.
//   - return % = (Π(1 + step return) − 1) × 100. Sharpe = the steps' returns through
//     `sharpeRatio` (mean / sample deviation × √365; null with fewer than two steps or no variation).
//     Max drawdown % = largest fall of the growth index Π(1 + r) from its running peak, as a positive
//     percentage of that peak (0 when it never fell).
// Competition ranking: entrants ordered by final value (all start with the same cash, so this is the
//   order of return %), highest first. Equal values share a rank and the next rank skips ("1, 2, 2, 4").
// Prize split: rank position p (1-based) earns `split[p − 1]` of the pool (nothing past the split).
//   Entrants tied on a rank share the positions they occupy equally: two tied for 1st under
//   [0.5, 0.3, 0.2] each receive (0.5 + 0.3) / 2 of the pool. Every prize is rounded DOWN to the token's
//   18 places; what the rounding and an unfilled split leave (fewer entrants than shares, a split
//   summing below 1) is never paid and stays in the treasury.
import { Decimal } from 'decimal.js';
import { dec, ONE, ZERO, type Dec } from './money.js';
import { sharpeRatio } from './portfolio-metrics.js';
import { DAY_MS, TOKEN_DP } from './token.js';

export const LeaderboardPeriod = { week: '7d', month: '30d', quarter: '90d', all: 'all' } as const;
export type LeaderboardPeriod = (typeof LeaderboardPeriod)[keyof typeof LeaderboardPeriod];
export const LEADERBOARD_PERIODS: readonly LeaderboardPeriod[] = ['7d', '30d', '90d', 'all'];

const PERIOD_DAYS: Record<Exclude<LeaderboardPeriod, 'all'>, number> = { '7d': 7, '30d': 30, '90d': 90 };

/** One portfolio's values by UTC day (`YYYY-MM-DD`). */
export type DailyValues = ReadonlyMap<string, Dec>;

export interface Performance {
  /** Return over the period in percent (full precision; round for display). */
  returnPercent: Dec;
  /** Annualised Sharpe ratio of the step returns; null with fewer than two steps or no variation. */
  sharpe: number | null;
  /** Largest peak-to-trough fall of the growth index, in percent of the peak (≥ 0). */
  maxDrawdownPercent: Dec;
  /** Steps (days) the figures rest on; 0 = no history in the period. */
  steps: number;
}

/** The UTC day `days` before `day` (`YYYY-MM-DD`). */
export function dayBefore(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00.000Z`) - days * DAY_MS).toISOString().slice(0, 10);
}

/** The day the period starts from (its values are the base), or null for `all`. */
export function periodStart(today: string, period: LeaderboardPeriod): string | null {
  return period === 'all' ? null : dayBefore(today, PERIOD_DAYS[period]);
}

/** The value at or before `day` (carried forward), or undefined before the series starts. */
function valueAt(series: DailyValues, sortedDays: readonly string[], day: string): Dec | undefined {
  let found: Dec | undefined;
  for (const d of sortedDays) {
    if (d > day) break;
    found = series.get(d);
  }
  return found;
}

/** The step returns of several portfolios together from the end of day `from` (null = their first day). */
export function combinedStepReturns(portfolios: readonly DailyValues[], from: string | null): Dec[] {
  const days = portfolios.map((p) => [...p.keys()].sort());
  const all = [...new Set(days.flat())].sort();
  if (all.length === 0) return [];
  const start = from ?? all[0]!;
  const points = [start, ...all.filter((d) => d > start)];
  const out: Dec[] = [];
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    let base = ZERO;
    let change = ZERO;
    portfolios.forEach((p, k) => {
      const before = valueAt(p, days[k]!, a);
      if (before === undefined) return;
      const after = valueAt(p, days[k]!, b) ?? before;
      base = base.add(before);
      change = change.add(after.sub(before));
    });
    if (base.gt(0)) out.push(change.div(base));
  }
  return out;
}

/** Return %, Sharpe and max drawdown from step returns (see the header). */
export function performanceOf(steps: readonly Dec[]): Performance {
  let index = ONE;
  let peak = ONE;
  let worst = ZERO;
  for (const r of steps) {
    index = index.mul(ONE.add(r));
    if (index.gt(peak)) peak = index;
    else if (peak.gt(0)) {
      const fall = peak.sub(index).div(peak);
      if (fall.gt(worst)) worst = fall;
    }
  }
  return {
    returnPercent: index.sub(1).mul(100),
    sharpe: sharpeRatio(steps.map((r) => r.toNumber())),
    maxDrawdownPercent: worst.mul(100),
    steps: steps.length,
  };
}

/** A member's performance over a period from their portfolios' daily values. */
export function memberPerformance(portfolios: readonly DailyValues[], today: string, period: LeaderboardPeriod): Performance {
  return performanceOf(combinedStepReturns(portfolios, periodStart(today, period)));
}

/** Competition ranks ("1, 2, 2, 4") of values, highest first; returns each input's rank in input order. */
export function competitionRanks(values: readonly Dec[]): number[] {
  return values.map((v) => 1 + values.filter((o) => o.gt(v)).length);
}

/** Return in percent of `final` over `start` (start > 0). */
export function returnPercent(start: Dec, final: Dec): Dec {
  return final.sub(start).div(start).mul(100);
}

/** Problems with a prize split (each share in [0, 1], at most 20 shares, summing to at most 1); empty when fine. */
export function splitProblems(split: readonly Dec[]): string[] {
  const problems: string[] = [];
  if (split.length === 0) problems.push('prizeSplit needs at least one share');
  if (split.length > 20) problems.push('prizeSplit has at most 20 shares');
  split.forEach((s, i) => {
    if (s.lt(0) || s.gt(1)) problems.push(`prizeSplit share ${i + 1} (${s.toFixed()}) must be between 0 and 1`);
  });
  const total = split.reduce<Dec>((a, s) => a.add(s), ZERO);
  if (total.gt(1)) problems.push(`prizeSplit shares add up to ${total.toFixed()}, more than 1 (the whole pool)`);
  return problems;
}

/**
 * Each entrant's prize for competition ranks `ranks` (as `competitionRanks` gives them): see the
 * header for ties and rounding. The sum never exceeds the pool.
 */
export function prizeShares(pool: Dec, split: readonly Dec[], ranks: readonly number[]): Dec[] {
  const byRank = new Map<number, number>();
  for (const r of ranks) byRank.set(r, (byRank.get(r) ?? 0) + 1);
  return ranks.map((r) => {
    const k = byRank.get(r)!;
    let share = ZERO;
    for (let p = r; p < r + k; p++) share = share.add(split[p - 1] ?? ZERO);
    return pool.mul(share).div(k).toDecimalPlaces(TOKEN_DP, Decimal.ROUND_DOWN);
  });
}

/** Builds a daily-values map from (day, value) pairs in order; a later pair on a day replaces an earlier one. */
export function dailyValues(pairs: Iterable<readonly [string, Dec | string]>): Map<string, Dec> {
  const m = new Map<string, Dec>();
  for (const [d, v] of pairs) m.set(d, typeof v === 'string' ? dec(v) : v);
  return m;
}
