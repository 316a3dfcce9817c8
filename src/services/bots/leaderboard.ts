// The leaderboard of strategies (issue 11 item 7): a person's bots and backtests ranked by Sharpe
// ratio, max drawdown or P&L, and — for members who joined a community's leaderboard — the
// community's bots ranked the same way with percentages only.
//
// What the figures are:
// - A bot's figures are its forward run: out of sample by construction, since every candle it traded
//   came after its parameters were fixed. From its `bot_performance` rows (the last one of each UTC
//   day, and the latest one): the bot's value is the portfolio's capital at its first recording
//   (equity − the bot's P&L then) plus its P&L since, so return %, Sharpe (daily steps, annualised
//   with √365) and max drawdown are those of the bot's own P&L against the capital it traded with —
//   the same arithmetic as the members' leaderboard (domain/community.ts). Fewer than two daily steps
//   give no Sharpe ("too early").
// - A backtest's figures are what it stored: whole-window Sharpe, max drawdown and P&L. They are in
//   sample when its parameters were chosen by looking at that window; the text says so. A sweep
//   stores its last fold's pick run over that fold's out-of-sample candles as a backtest (its name
//   says "out of sample"), so that row's figures are out of sample.
// - In a community: members who joined its leaderboard, their bots on paper portfolios (live ones
//   too when the member chose `includeLive`); no P&L in money, no balances, no backtests (a stored
//   backtest is easy to cherry-pick; a forward run is not).
// Ordering: Sharpe (highest first), drawdown (smallest first) or P&L (highest first; return % in a
// community). Rows without the figure come last; ties by name.
import { and, asc, desc, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client.js';
import { botPerformance, bots, communityMembers, portfolios, strategies, users } from '../../db/schema/index.js';
import { combinedStepReturns, performanceOf } from '../../domain/community.js';
import { dec, ZERO, type Dec } from '../../domain/money.js';
import type { Actor } from '../actor.js';
import { requireActiveUser } from '../authorize.js';
import { displayName } from '../community/community-service.js';
import { AppError, ErrorCode } from '../errors.js';
import { shortId } from '../id-prefix.js';
import { parseInput } from '../trading/input.js';
import { readBotConfig } from './bot-config.js';

export const STRATEGY_LEADERBOARD_SORTS = ['sharpe', 'drawdown', 'pnl'] as const;
export type StrategyLeaderboardSort = (typeof STRATEGY_LEADERBOARD_SORTS)[number];

export const strategyLeaderboardShape = {
  scope: z
    .enum(['mine', 'community'], { errorMap: () => ({ message: 'scope must be "mine" or "community"' }) })
    .default('mine')
    .describe('"mine" (default): your bots and backtests; "community": the bots of this group\'s leaderboard members, percentages only'),
  sortBy: z
    .enum(STRATEGY_LEADERBOARD_SORTS, { errorMap: () => ({ message: 'sortBy must be one of sharpe, drawdown or pnl' }) })
    .default('sharpe')
    .describe('Rank by sharpe (default, highest first), drawdown (smallest first) or pnl (highest first; return % in a community)'),
  kind: z
    .enum(['all', 'bots', 'backtests'], { errorMap: () => ({ message: 'kind must be one of all, bots or backtests' }) })
    .default('all')
    .describe('With scope "mine": all (default), only bots (forward runs) or only backtests'),
  limit: z
    .number({ invalid_type_error: 'limit must be a whole number such as 10' })
    .int('limit must be a whole number')
    .min(1, 'limit is at least 1')
    .max(50, 'limit is at most 50')
    .default(20)
    .describe('How many rows, 1 to 50 (default 20)'),
};

/** One bot_performance recording, as the forward figures need it. */
export interface PerformancePoint {
  recordedAt: Date;
  totalPnl: Dec;
  equity: Dec | null;
}

export interface ForwardFigures {
  returnPercent: Dec | null;
  sharpe: number | null;
  maxDrawdownPercent: Dec | null;
  totalPnl: Dec;
  /** Daily steps the return, Sharpe and drawdown rest on. */
  days: number;
}

/**
 * A bot's forward figures from its recordings (any order): see the header. Without a recording that
 * has the portfolio's equity there is no capital to measure against, and before a second day there
 * is no step: only the P&L is known.
 */
export function forwardFigures(points: readonly PerformancePoint[]): ForwardFigures {
  const sorted = [...points].sort((a, b) => a.recordedAt.getTime() - b.recordedAt.getTime());
  const last = sorted[sorted.length - 1];
  const totalPnl = last ? last.totalPnl : ZERO;
  const first = sorted.find((p) => p.equity !== null);
  if (!first) return { returnPercent: null, sharpe: null, maxDrawdownPercent: null, totalPnl, days: 0 };
  const capital = first.equity!.sub(first.totalPnl);
  if (capital.lte(0)) return { returnPercent: null, sharpe: null, maxDrawdownPercent: null, totalPnl, days: 0 };
  const byDay = new Map<string, Dec>();
  for (const p of sorted) if (p.recordedAt.getTime() >= first.recordedAt.getTime()) byDay.set(p.recordedAt.toISOString().slice(0, 10), capital.add(p.totalPnl));
  const perf = performanceOf(combinedStepReturns([byDay], null));
  if (perf.steps === 0) return { returnPercent: null, sharpe: null, maxDrawdownPercent: null, totalPnl, days: 0 };
  return { returnPercent: perf.returnPercent, sharpe: perf.sharpe, maxDrawdownPercent: perf.maxDrawdownPercent, totalPnl, days: perf.steps };
}

export interface StrategyRankRow {
  rank: number;
  kind: 'bot' | 'backtest';
  id: string;
  shortId: string;
  name: string;
  strategy: string;
  symbol: string | null;
  returnPercent: string | null;
  sharpe: string | null;
  maxDrawdownPercent: string | null;
  /** In the quote currency; null in a community (no money there). */
  totalPnl: string | null;
  trades: number | null;
  /** Daily steps (bots) — the figures' sample. */
  days: number | null;
  status: string | null;
  /** The member's name (community scope). */
  member: string | null;
  you: boolean;
}

export interface StrategyLeaderboardView {
  scope: 'mine' | 'community';
  sortBy: StrategyLeaderboardSort;
  community: string | null;
  rows: StrategyRankRow[];
  /** Rows before the limit. */
  total: number;
}

/** The community a call comes from (ToolContext.community). */
export interface LeaderboardCommunity {
  platform: 'telegram' | 'discord';
  communityId: string;
}

const pct2 = (d: Dec | null): string | null => (d === null ? null : d.toDecimalPlaces(2).toFixed(2));
const sharpe2 = (s: number | null): string | null => (s === null || !Number.isFinite(s) ? null : s.toFixed(2));

/** Sort key: larger is better; undefined = no figure (last). */
function keyOf(r: StrategyRankRow, sort: StrategyLeaderboardSort, community: boolean): number | undefined {
  const num = (s: string | null): number | undefined => (s === null ? undefined : Number(s));
  if (sort === 'sharpe') return num(r.sharpe);
  if (sort === 'drawdown') {
    const d = num(r.maxDrawdownPercent);
    return d === undefined ? undefined : -d;
  }
  return community ? num(r.returnPercent) : num(r.totalPnl);
}

/** Orders rows and gives ranks (equal keys share one; rows without the figure are unranked at the end). */
export function rankRows(rows: StrategyRankRow[], sort: StrategyLeaderboardSort, community: boolean): StrategyRankRow[] {
  const keyed = rows.map((r) => ({ r, k: keyOf(r, sort, community) }));
  keyed.sort((a, b) => {
    if (a.k === undefined || b.k === undefined) return a.k === undefined ? (b.k === undefined ? a.r.name.localeCompare(b.r.name) : 1) : -1;
    return b.k - a.k || a.r.name.localeCompare(b.r.name);
  });
  return keyed.map(({ r, k }) => ({ ...r, rank: k === undefined ? 0 : 1 + keyed.filter((o) => o.k !== undefined && o.k > k).length }));
}

export class StrategyLeaderboard {
  constructor(private readonly db: Db) {}

  async view(actor: Actor, community: LeaderboardCommunity | undefined, input: unknown = {}): Promise<StrategyLeaderboardView> {
    const v = parseInput(strategyLeaderboardShape, input, 'strategy leaderboard request');
    await requireActiveUser(this.db, actor.userId);
    if (v.scope === 'community') {
      if (!community) {
        throw new AppError(ErrorCode.invalidInput, 'a community leaderboard of strategies is asked for in a group or server where MIKEY is', 'ask in the group, or use scope "mine" for your own bots and backtests');
      }
      const rows = await this.communityRows(actor, community);
      const ranked = rankRows(rows, v.sortBy, true);
      return { scope: 'community', sortBy: v.sortBy, community: `${community.platform}:${community.communityId}`, rows: ranked.slice(0, v.limit), total: ranked.length };
    }
    const rows = [...(v.kind === 'backtests' ? [] : await this.botRows(actor.userId, null)), ...(v.kind === 'bots' ? [] : await this.backtestRows(actor.userId))];
    const ranked = rankRows(rows, v.sortBy, false);
    return { scope: 'mine', sortBy: v.sortBy, community: null, rows: ranked.slice(0, v.limit), total: ranked.length };
  }

  /** The user's bots (on the given portfolios when not null) with their forward figures. */
  private async botRows(userId: string, portfolioIds: readonly string[] | null, member: string | null = null, you = true): Promise<StrategyRankRow[]> {
    if (portfolioIds !== null && portfolioIds.length === 0) return [];
    const owned = await this.db
      .select()
      .from(bots)
      .where(and(eq(bots.userId, userId), portfolioIds === null ? undefined : inArray(bots.portfolioId, [...portfolioIds])))
      .orderBy(asc(bots.createdAt));
    if (owned.length === 0) return [];
    const recordings = await this.db
      .select({ botId: botPerformance.botId, recordedAt: botPerformance.recordedAt, totalPnl: botPerformance.totalPnl, equity: botPerformance.equity, tradeCount: botPerformance.tradeCount })
      .from(botPerformance)
      .where(inArray(botPerformance.botId, owned.map((b) => b.id)))
      .orderBy(asc(botPerformance.recordedAt));
    return owned.map((b) => {
      const mine = recordings.filter((p) => p.botId === b.id);
      const f = forwardFigures(mine.map((p) => ({ recordedAt: p.recordedAt, totalPnl: dec(p.totalPnl), equity: p.equity === null ? null : dec(p.equity) })));
      const config = readBotConfig(b.config);
      return {
        rank: 0,
        kind: 'bot' as const,
        id: b.id,
        shortId: shortId(b.id),
        name: b.name,
        strategy: config.strategy,
        symbol: b.symbol,
        returnPercent: pct2(f.returnPercent),
        sharpe: sharpe2(f.sharpe),
        maxDrawdownPercent: pct2(f.maxDrawdownPercent),
        totalPnl: member === null && mine.length > 0 ? f.totalPnl.toDecimalPlaces(2).toFixed(2) : null,
        trades: mine.length > 0 ? mine[mine.length - 1]!.tradeCount : 0,
        days: f.days,
        status: b.status,
        member,
        you,
      };
    });
  }

  private async backtestRows(userId: string): Promise<StrategyRankRow[]> {
    const rows = await this.db
      .select()
      .from(strategies)
      .where(and(eq(strategies.userId, userId), eq(strategies.isBacktest, true)))
      .orderBy(desc(strategies.createdAt))
      .limit(500);
    return rows.map((s) => {
      const config = s.config as { kind?: unknown; symbol?: unknown };
      const m = (s.performanceMetrics ?? {}) as { returnPct?: unknown; maxDrawdownFraction?: unknown };
      const drawdown = typeof m.maxDrawdownFraction === 'number' && Number.isFinite(m.maxDrawdownFraction) ? dec(m.maxDrawdownFraction).mul(100) : null;
      return {
        rank: 0,
        kind: 'backtest' as const,
        id: s.id,
        shortId: shortId(s.id),
        name: s.name,
        strategy: typeof config.kind === 'string' ? config.kind : s.strategyType,
        symbol: typeof config.symbol === 'string' ? config.symbol : null,
        returnPercent: typeof m.returnPct === 'string' ? pct2(dec(m.returnPct)) : null,
        sharpe: s.sharpeRatio === null ? null : sharpe2(Number(s.sharpeRatio)),
        maxDrawdownPercent: pct2(drawdown),
        totalPnl: dec(s.totalPnl).toDecimalPlaces(2).toFixed(2),
        trades: s.tradeCount,
        days: null,
        status: null,
        member: null,
        you: true,
      };
    });
  }

  /** The bots of the community's leaderboard members, on the portfolios the leaderboard counts. */
  private async communityRows(actor: Actor, c: LeaderboardCommunity): Promise<StrategyRankRow[]> {
    const members = await this.db
      .select({ userId: communityMembers.userId, includeLive: communityMembers.includeLive, username: users.username, displayName: users.displayName, active: users.isActive })
      .from(communityMembers)
      .innerJoin(users, eq(users.id, communityMembers.userId))
      .where(and(eq(communityMembers.platform, c.platform), eq(communityMembers.communityId, c.communityId)));
    const out: StrategyRankRow[] = [];
    for (const m of members.filter((x) => x.active)) {
      const counted = await this.db
        .select({ id: portfolios.id })
        .from(portfolios)
        .where(and(eq(portfolios.userId, m.userId), m.includeLive ? undefined : eq(portfolios.tradingMode, 'paper')));
      out.push(...(await this.botRows(m.userId, counted.map((p) => p.id), displayName(m, m.userId), m.userId === actor.userId)));
    }
    return out;
  }
}
