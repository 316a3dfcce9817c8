// The platform token's arithmetic and written reward rules, pure: no I/O, no clock (times come in as
// arguments). Amounts are decimals rounded DOWN to the token's 18 places, so a reward or a returned
// principal is never more than the rule gives and the treasury never pays a fraction it does not hold.
//
// Rules (each pays a user at most once per (rule, user, period); the service enforces that):
//   staking_yield     for one UTC day: Σ over the user's stakes of amount × apr × (seconds the stake
//                     was active inside the day / seconds in 365 days), rounded down to 18 places,
//                     then capped at the per-user daily cap. A stake is active from `stakedAt` until
//                     `unstakedAt` (or for ever); stakes in a closed pool keep accruing until unstaked.
//   trading_activity  for one UTC day: the user's filled volume (paper and live) in USD-pegged quotes,
//                     less every round trip: a fill matched (by quantity, oldest first) against an
//                     opposite-side fill of the same user on the same market within the wash window
//                     earns nothing on either leg. reward = min(cap, counted volume × rate), rounded
//                     down to 18 places. Volume in other quotes (ETH/BTC) earns nothing.
//   early unstake     where the pool allows it, the penalty fraction of the principal (rounded down)
//                     goes to the treasury and the rest back to the balance.
import { Decimal } from 'decimal.js';
import { ZERO, minDec, type Dec } from './money.js';

/** Decimal places of a token amount (numeric(38, 18)). */
export const TOKEN_DP = 18;
export const SECONDS_PER_YEAR = 365 * 24 * 60 * 60;
export const DAY_MS = 24 * 60 * 60 * 1000;

export const RewardRule = { stakingYield: 'staking_yield', tradingActivity: 'trading_activity' } as const;
export type RewardRule = (typeof RewardRule)[keyof typeof RewardRule];

/** Rounds a token amount down to 18 places. */
export function floorToken(d: Dec): Dec {
  return d.toDecimalPlaces(TOKEN_DP, Decimal.ROUND_DOWN);
}

/** A UTC day as `YYYY-MM-DD` with its bounds [start, end). */
export interface UtcDay {
  period: string;
  start: Date;
  end: Date;
}

/** Parses `YYYY-MM-DD` (or takes a Date's UTC day); undefined when it is not a real date. */
export function utcDay(day: string | Date): UtcDay | undefined {
  let start: Date;
  if (typeof day === 'string') {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
    start = new Date(`${day}T00:00:00.000Z`);
    if (Number.isNaN(start.getTime()) || start.toISOString().slice(0, 10) !== day) return undefined;
  } else {
    start = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate()));
  }
  return { period: start.toISOString().slice(0, 10), start, end: new Date(start.getTime() + DAY_MS) };
}

/** Milliseconds of [from, to) that fall inside [start, end); 0 when they do not overlap. */
export function overlapMs(from: Date, to: Date | null, start: Date, end: Date): number {
  const a = Math.max(from.getTime(), start.getTime());
  const b = Math.min((to ?? end).getTime(), end.getTime());
  return Math.max(0, b - a);
}

export interface StakeSpan {
  amount: Dec;
  apr: Dec;
  stakedAt: Date;
  unstakedAt: Date | null;
}

/** One stake's yield inside [start, end), unrounded: amount × apr × seconds / a year. */
export function stakeYield(s: StakeSpan, start: Date, end: Date): Dec {
  const ms = overlapMs(s.stakedAt, s.unstakedAt, start, end);
  if (ms === 0 || s.amount.lte(0) || s.apr.lte(0)) return ZERO;
  return s.amount.mul(s.apr).mul(ms).div(1000 * SECONDS_PER_YEAR);
}

/** A user's staking yield for one day: the sum over their stakes, rounded down, capped. */
export function stakingReward(stakes: readonly StakeSpan[], day: UtcDay, cap: Dec): Dec {
  const total = stakes.reduce<Dec>((acc, s) => acc.add(stakeYield(s, day.start, day.end)), ZERO);
  return minDec(cap, floorToken(total));
}

/** What an early unstake returns and what the treasury keeps; penalty is the fraction kept (0..1). */
export function earlyUnstakeSplit(principal: Dec, penalty: Dec): { returned: Dec; penalty: Dec } {
  const kept = floorToken(principal.mul(penalty));
  return { returned: principal.sub(kept), penalty: kept };
}

/** A fill as the trading-activity rule sees it. */
export interface Fill {
  symbol: string;
  side: 'buy' | 'sell';
  quantity: Dec;
  quoteQuantity: Dec;
  executedAt: Date;
}

const USD_QUOTES = new Set(['USDT', 'USDC', 'USD', 'BUSD', 'DAI', 'FDUSD', 'TUSD']);

/** True when a market's volume counts: a USD-pegged quote (`X/USDT`) or a perpetual (`X-PERP`, USD-margined). */
export function countsAsUsdVolume(symbol: string): boolean {
  const s = symbol.toUpperCase();
  if (s.endsWith('-PERP')) return true;
  const quote = s.split('/')[1]?.split(':')[0];
  return quote !== undefined && USD_QUOTES.has(quote);
}

export interface ActivityVolume {
  /** Volume that earns (quote value of the unmatched part of fills inside the day). */
  counted: Dec;
  /** Volume inside the day that was part of a round trip. */
  washed: Dec;
}

/**
 * One user's counted volume for a day. `fills` may include fills up to `windowMs` before and after
 * the day (they take part in matching but their own volume does not count), so a round trip across
 * midnight earns nothing. Fills are matched per market in time order: each takes quantity first from
 * the oldest unmatched opposite-side fill at most `windowMs` older.
 */
export function activityVolume(fills: readonly Fill[], day: UtcDay, windowMs: number): ActivityVolume {
  const ordered = fills.filter((f) => countsAsUsdVolume(f.symbol) && f.quantity.gt(0)).sort((a, b) => a.executedAt.getTime() - b.executedAt.getTime());
  const left = ordered.map((f) => f.quantity);
  const bySymbol = new Map<string, number[]>();
  for (let i = 0; i < ordered.length; i++) {
    const f = ordered[i]!;
    const at = f.executedAt.getTime();
    const earlier = bySymbol.get(f.symbol) ?? [];
    // Oldest first, only those still inside the window and with quantity left.
    for (const j of earlier) {
      if (left[i]!.isZero()) break;
      const o = ordered[j]!;
      if (o.side === f.side || left[j]!.isZero() || at - o.executedAt.getTime() > windowMs) continue;
      const take = minDec(left[j]!, left[i]!);
      left[j] = left[j]!.sub(take);
      left[i] = left[i]!.sub(take);
    }
    bySymbol.set(
      f.symbol,
      [...earlier, i].filter((j) => !left[j]!.isZero() && at - ordered[j]!.executedAt.getTime() <= windowMs),
    );
  }
  let counted = ZERO;
  let washed = ZERO;
  ordered.forEach((f, i) => {
    const at = f.executedAt.getTime();
    if (at < day.start.getTime() || at >= day.end.getTime()) return;
    const earning = f.quoteQuantity.mul(left[i]!).div(f.quantity);
    counted = counted.add(earning);
    washed = washed.add(f.quoteQuantity.sub(earning));
  });
  return { counted, washed };
}

/** The trading-activity reward: min(cap, counted volume × rate), rounded down. */
export function tradingReward(countedVolume: Dec, rate: Dec, cap: Dec): Dec {
  if (countedVolume.lte(0)) return ZERO;
  return minDec(cap, floorToken(countedVolume.mul(rate)));
}

/**
 * Pays candidates in order while the treasury holds enough; the rest are skipped (paid by a later run
 * once the treasury is funded). Never takes the treasury below zero. `strict` (prizes, in rank order):
 * once one candidate does not fit, nobody after it is paid either, so a lower rank is never paid
 * before a higher one.
 */
export function payWithinTreasury<T extends { amount: Dec }>(candidates: readonly T[], treasury: Dec, opts: { strict?: boolean } = {}): { pay: T[]; skip: T[]; total: Dec } {
  const pay: T[] = [];
  const skip: T[] = [];
  let left = treasury;
  let total = ZERO;
  for (const c of candidates) {
    if (c.amount.lte(left) && !(opts.strict && skip.length > 0)) {
      pay.push(c);
      left = left.sub(c.amount);
      total = total.add(c.amount);
    } else {
      skip.push(c);
    }
  }
  return { pay, skip, total };
}
