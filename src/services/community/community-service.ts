// Communities (issue 14 part 2): leaderboards of the members who opt in, and paper competitions run by
// a community admin. A community is a Telegram group or a Discord server, named by its platform and
// the platform's id; chat surfaces pass it in (ToolContext.community), MIKEY keeps no other record.
//
// Leaderboards rank opted-in members by return % over 7/30/90 days or all time, with Sharpe and max
// drawdown (src/domain/community.ts has the arithmetic), from their paper portfolios — and live ones
// only when the member said `includeLive`. Competition portfolios, paper shadows of live portfolios
// and inactive portfolios never count. Only percentages leave this service, never balances.
//
// Competitions: a community admin (or a MIKEY admin) creates one with a window, starting cash, allowed
// markets and a token prize. Joining gives the entrant a FRESH paper portfolio named after the
// competition, funded with the starting cash (portfolio, deposit and entry in one transaction, so a
// second join — even a concurrent one — leaves nothing behind). Orders on it count only inside the
// window and on the allowed markets (competition-guard.ts, called from the order path).
// The scheduler (competition-scheduler.ts) moves scheduled → running → finished and pushes; finishing
// cancels the entrants' working orders, values every entry at market prices, ranks them, stores the results on the entries once (the row
// lock and the status make a second, concurrent or later finish a no-op) and pays prizes through the
// token service, once per (competition_prize, user, competition id).
//
// Prize pool and the treasury: creating a competition with a prize checks that the treasury holds the
// pool on top of the pools of every other scheduled or running competition (so promises never exceed
// what is there), but reserves nothing — the schema has no reserved account, and the supply equation
// stays balances + staked + claimable + treasury. Should the treasury be short at the end (an admin
// granted tokens away meanwhile), the winners it cannot cover are paid by a later run once it is funded.
import { and, asc, desc, eq, inArray, isNull, ne, or, sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../db/client.js';
import {
  communityMembers,
  communityWallets,
  competitionEntries,
  competitions,
  orders,
  portfolioSnapshots,
  portfolios,
  tokenTreasury,
  users,
  type Competition,
  type CompetitionEntry,
} from '../../db/schema/index.js';
import { isUniqueViolation, withTransaction } from '../../db/tx.js';
import {
  competitionRanks,
  dailyValues,
  memberPerformance,
  prizeShares,
  returnPercent,
  splitProblems,
  type LeaderboardPeriod,
} from '../../domain/community.js';
import { deposit } from '../../domain/ledger.js';
import { dec, toPlain, ZERO, type Dec } from '../../domain/money.js';
import type { Clock } from '../../domain/ports.js';
import { DAY_MS } from '../../domain/token.js';
import type { Logger } from '../../log.js';
import { newTraceId, type Actor } from '../actor.js';
import { writeAudit } from '../audit.js';
import { requireActiveUser, requireRole } from '../authorize.js';
import { AppError, ErrorCode, notFound } from '../errors.js';
import type { EventBus } from '../events.js';
import { isFullUuid, shortId } from '../id-prefix.js';
import type { MarketCatalog } from '../markets.js';
import type { PortfolioService } from '../portfolio/portfolio-service.js';
import { PAPER_ACCOUNT_TYPE } from '../portfolio/portfolio-service.js';
import type { AccrualReport, PrizeAward, TokenService } from '../token/token-service.js';
import type { TradingService } from '../trading/trading-service.js';
import { commitLedger, lockBalances } from '../trading/ledger-store.js';
import { parseInput } from '../trading/input.js';
import { q18 } from '../trading/rows.js';
import {
  competitionShape,
  createCompetitionShape,
  joinLeaderboardShape,
  leaderboardShape,
  listCompetitionsShape,
  requiredCompetitionShape,
  type CompetitionStatus,
} from './schemas.js';

/** The community a call comes from: a Telegram group or a Discord server (ToolContext.community fits). */
export interface CommunityScope {
  platform: 'telegram' | 'discord';
  communityId: string;
  /** Where public answers and pushes go. */
  chatId?: string;
  /** The caller administers the group or server. */
  isAdmin?: boolean;
}

export interface CommunityServiceDeps {
  db: Db;
  clock: Clock;
  logger?: Logger;
  events?: EventBus;
  portfolios: PortfolioService;
  tokens: TokenService;
  markets: MarketCatalog;
  /** Cancels the entrants' working orders when a competition ends (so none fills after the end). */
  trading?: Pick<TradingService, 'cancelOrder'>;
}

export interface LeaderboardRow {
  rank: number;
  name: string;
  /** Return over the period, percent with two decimals. */
  returnPercent: string;
  sharpe: string | null;
  /** Max drawdown, percent with two decimals (≥ 0). */
  maxDrawdownPercent: string;
  days: number;
  you: boolean;
}
export interface LeaderboardView {
  community: string;
  period: LeaderboardPeriod;
  members: number;
  rows: LeaderboardRow[];
}

export interface CompetitionView {
  id: string;
  name: string;
  status: CompetitionStatus;
  community: string;
  startsAt: string;
  endsAt: string;
  startingCash: string;
  quoteAsset: string;
  /** Empty = any market. */
  markets: string[];
  prizePool: string;
  prizeSplit: string[];
  token: string;
  entrants: number;
}
export interface StandingRow {
  rank: number;
  name: string;
  /** Percent with two decimals. */
  returnPercent: string;
  /** Tokens won (finished competitions), else null. */
  prize: string | null;
  you: boolean;
}
export interface StandingsView {
  competition: CompetitionView;
  /** final = stored results of a finished competition; live = valued now at market prices. */
  basis: 'final' | 'live' | 'none';
  rows: StandingRow[];
}
export interface JoinView {
  competition: CompetitionView;
  portfolio: { id: string; name: string };
}

export interface FinishReport {
  competition: string;
  /** This call wrote the results (false: already finished by an earlier or concurrent run). */
  finished: boolean;
  entrants: number;
}

export interface Announcement {
  platform: 'telegram' | 'discord';
  chatId: string;
  text: string;
  key: string;
}

// The outer row's columns inside a correlated subquery, qualified by table (drizzle leaves a lone
// table's columns unqualified, which the subquery would read as its own).
const OUTER_PORTFOLIO_ID = sql.raw('"portfolios"."id"');
const OUTER_COMPETITION = { id: sql.raw('"competitions"."id"'), platform: sql.raw('"competitions"."platform"'), communityId: sql.raw('"competitions"."community_id"') };

const pct2 = (d: Dec): string => d.toDecimalPlaces(2).toFixed(2);
const show = (d: Dec | string): string => {
  const x = typeof d === 'string' ? dec(d) : d;
  return x.isZero() ? '0' : x.toFixed();
};
const communityKey = (c: { platform: string; communityId: string }): string => `${c.platform}:${c.communityId}`;
const utcDate = (d: Date): string => d.toISOString().slice(0, 10);
const minute = (d: Date): string => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

export class CommunityService {
  constructor(private readonly deps: CommunityServiceDeps) {}

  // ---- Leaderboards --------------------------------------------------------------------------

  /** Opts the caller in to the community's leaderboard (again: updates includeLive when given). */
  async joinLeaderboard(actor: Actor, community: CommunityScope | undefined, input: unknown = {}): Promise<{ community: string; includeLive: boolean; rejoined: boolean }> {
    const v = parseInput(joinLeaderboardShape, input, 'leaderboard opt-in');
    await requireRole(this.deps.db, actor, 'trader');
    const c = requireGroup(community, 'join a leaderboard');
    return withTransaction(this.deps.db, async (tx) => {
      const [before] = await tx
        .select()
        .from(communityMembers)
        .where(and(eq(communityMembers.platform, c.platform), eq(communityMembers.communityId, c.communityId), eq(communityMembers.userId, actor.userId)))
        .for('update');
      const includeLive = v.includeLive ?? before?.includeLive ?? false;
      await tx
        .insert(communityMembers)
        .values({ platform: c.platform, communityId: c.communityId, userId: actor.userId, includeLive, joinedAt: this.deps.clock.now() })
        .onConflictDoUpdate({ target: [communityMembers.platform, communityMembers.communityId, communityMembers.userId], set: { includeLive } });
      await writeAudit(tx, actor, {
        action: 'community.leaderboard.join',
        entityType: 'community',
        entityId: communityKey(c),
        ...(before ? { oldValue: { includeLive: before.includeLive } } : {}),
        newValue: { includeLive },
      });
      return { community: communityKey(c), includeLive, rejoined: before !== undefined };
    });
  }

  /** Takes the caller off the community's leaderboard. */
  async leaveLeaderboard(actor: Actor, community: CommunityScope | undefined): Promise<{ community: string }> {
    await requireRole(this.deps.db, actor, 'trader');
    const c = requireGroup(community, 'leave a leaderboard');
    return withTransaction(this.deps.db, async (tx) => {
      const gone = await tx
        .delete(communityMembers)
        .where(and(eq(communityMembers.platform, c.platform), eq(communityMembers.communityId, c.communityId), eq(communityMembers.userId, actor.userId)))
        .returning({ id: communityMembers.id });
      if (gone.length === 0) throw new AppError(ErrorCode.rejected, 'You are not on this community\'s leaderboard: nothing was changed', 'say "/leaderboard join" in the group to be added');
      // A member who leaves takes the wallets they shared with the community along (community-watchlist.ts).
      await tx.delete(communityWallets).where(and(eq(communityWallets.platform, c.platform), eq(communityWallets.communityId, c.communityId), eq(communityWallets.sharedBy, actor.userId)));
      await writeAudit(tx, actor, { action: 'community.leaderboard.leave', entityType: 'community', entityId: communityKey(c) });
      return { community: communityKey(c) };
    });
  }

  /** Opted-in members ranked by return % over the period (percentages only). */
  async leaderboard(actor: Actor, community: CommunityScope | undefined, input: unknown = {}): Promise<LeaderboardView> {
    const v = parseInput(leaderboardShape, input, 'leaderboard request');
    await requireActiveUser(this.deps.db, actor.userId);
    const c = community ?? (await this.namedCommunity(actor, v.community));
    const members = await this.deps.db
      .select({ userId: communityMembers.userId, includeLive: communityMembers.includeLive, username: users.username, displayName: users.displayName, active: users.isActive })
      .from(communityMembers)
      .innerJoin(users, eq(users.id, communityMembers.userId))
      .where(and(eq(communityMembers.platform, c.platform), eq(communityMembers.communityId, c.communityId)));
    const ranked = members.filter((m) => m.active);
    const now = this.deps.clock.now();
    const today = utcDate(now);
    const perf = [];
    for (const m of ranked) {
      const series = await this.memberSeries(m.userId, m.includeLive, today);
      perf.push({ m, p: memberPerformance(series, today, v.period) });
    }
    const ranks = competitionRanks(perf.map((x) => x.p.returnPercent));
    const rows: LeaderboardRow[] = perf
      .map((x, i) => ({
        rank: ranks[i]!,
        name: displayName(x.m, x.m.userId),
        returnPercent: pct2(x.p.returnPercent),
        sharpe: x.p.sharpe === null ? null : x.p.sharpe.toFixed(2),
        maxDrawdownPercent: pct2(x.p.maxDrawdownPercent),
        days: x.p.steps,
        you: x.m.userId === actor.userId,
      }))
      .sort((a, b) => a.rank - b.rank || a.name.localeCompare(b.name));
    return { community: communityKey(c), period: v.period, members: rows.length, rows };
  }

  /** A member's ranked portfolios as daily values: starting capital, snapshots, value now. */
  private async memberSeries(userId: string, includeLive: boolean, today: string): Promise<Array<Map<string, Dec>>> {
    const owned = await this.deps.db
      .select({ id: portfolios.id, createdAt: portfolios.createdAt, initialCapital: portfolios.initialCapital })
      .from(portfolios)
      .where(
        and(
          eq(portfolios.userId, userId),
          eq(portfolios.isActive, true),
          isNull(portfolios.shadowOf),
          includeLive ? undefined : eq(portfolios.tradingMode, 'paper'),
          sql`not exists (select 1 from competition_entries e where e.portfolio_id = ${OUTER_PORTFOLIO_ID})`,
        ),
      )
      .orderBy(asc(portfolios.createdAt));
    if (owned.length === 0) return [];
    const snaps = await this.deps.db
      .select({ portfolioId: portfolioSnapshots.portfolioId, day: portfolioSnapshots.snapshotDate, value: portfolioSnapshots.totalValue })
      .from(portfolioSnapshots)
      .where(inArray(portfolioSnapshots.portfolioId, owned.map((p) => p.id)))
      .orderBy(asc(portfolioSnapshots.snapshotDate));
    const out: Array<Map<string, Dec>> = [];
    for (const p of owned) {
      const pairs: Array<[string, Dec]> = [[utcDate(new Date(p.createdAt)), dec(p.initialCapital)]];
      for (const s of snaps) if (s.portfolioId === p.id) pairs.push([String(s.day).slice(0, 10), dec(s.value)]);
      const nowValue = await this.valueNow(userId, p.id);
      if (nowValue) pairs.push([today, nowValue]);
      out.push(dailyValues(pairs.filter(([d]) => d <= today)));
    }
    return out;
  }

  /** A portfolio's equity at current market prices; undefined when it cannot be valued now. */
  private async valueNow(userId: string, portfolioId: string): Promise<Dec | undefined> {
    try {
      const state = await this.deps.portfolios.accountState(userId, portfolioId);
      return (await this.deps.portfolios.value(state)).equity;
    } catch (err) {
      this.deps.logger?.warn('community: a portfolio could not be valued', { portfolioId, error: err });
      return undefined;
    }
  }

  /** Over MCP or in a private chat: the community named "telegram:<id>" / "discord:<id>" the caller is a member of. */
  private async namedCommunity(actor: Actor, name: string | undefined): Promise<CommunityScope> {
    const mine = await this.deps.db.select({ platform: communityMembers.platform, communityId: communityMembers.communityId }).from(communityMembers).where(eq(communityMembers.userId, actor.userId));
    const list = mine.map(communityKey);
    if (!name) {
      if (mine.length === 1) return { platform: mine[0]!.platform as CommunityScope['platform'], communityId: mine[0]!.communityId };
      throw new AppError(
        ErrorCode.invalidInput,
        mine.length === 0 ? 'Outside a group, say which community: you have joined no community leaderboard yet' : 'Outside a group, say which community you mean',
        mine.length === 0 ? 'ask in the group ("/leaderboard join" there), or give community as "telegram:<id>" or "discord:<id>"' : `give community as one of ${list.join(', ')}`,
      );
    }
    const m = /^(telegram|discord):(-?[0-9A-Za-z_-]{1,40})$/.exec(name.trim());
    if (!m) throw new AppError(ErrorCode.invalidInput, `community "${name.slice(0, 40)}" is not written "telegram:<id>" or "discord:<id>"`, list.length ? `yours: ${list.join(', ')}` : 'ask in the group instead');
    const c = { platform: m[1] as CommunityScope['platform'], communityId: m[2]! };
    if (!list.includes(communityKey(c))) {
      throw new AppError(ErrorCode.forbidden, `You are not a member of the leaderboard of ${communityKey(c)}`, list.length ? `yours: ${list.join(', ')}` : 'say "/leaderboard join" in that group first');
    }
    return c;
  }

  // ---- Competitions --------------------------------------------------------------------------

  /** Creates a competition in the caller's community; the caller administers it (or is a MIKEY admin). */
  async createCompetition(actor: Actor, community: CommunityScope | undefined, input: unknown): Promise<CompetitionView> {
    const v = parseInput(createCompetitionShape, input, 'competition');
    await requireRole(this.deps.db, actor, 'trader');
    const c = requireGroup(community, 'create a competition');
    await this.requireCommunityAdmin(actor, c, 'create a competition');
    const now = this.deps.clock.now();
    const startsAt = parseWhen(v.startsAt, 'startsAt', now) ?? now;
    if (startsAt.getTime() < now.getTime() - 60_000) {
      throw new AppError(ErrorCode.invalidInput, `startsAt ${minute(startsAt)} is in the past`, 'give a later time, or "now"');
    }
    if (v.durationDays !== undefined && v.endsAt !== undefined) throw new AppError(ErrorCode.invalidInput, 'give durationDays or endsAt, not both', 'e.g. durationDays 7');
    const endsAt = parseWhen(v.endsAt, 'endsAt', now) ?? new Date(startsAt.getTime() + (v.durationDays ?? 7) * DAY_MS);
    if (endsAt.getTime() <= startsAt.getTime()) throw new AppError(ErrorCode.invalidInput, `endsAt ${minute(endsAt)} is not after startsAt ${minute(startsAt)}`, 'end it later');
    if (endsAt.getTime() - startsAt.getTime() > 90 * DAY_MS) throw new AppError(ErrorCode.invalidInput, 'a competition lasts at most 90 days', 'end it sooner');
    const cash = dec(v.startingCash);
    if (cash.lte(0)) throw new AppError(ErrorCode.invalidInput, 'startingCash must be above zero', 'e.g. "10000"');
    if (!this.deps.markets.list().some((m) => m.quote === v.quoteAsset)) {
      const quotes = [...new Set(this.deps.markets.list().map((m) => m.quote))].join(', ');
      throw new AppError(ErrorCode.invalidInput, `no market is quoted in ${v.quoteAsset}, so entrants could not trade`, `use one of ${quotes}`);
    }
    const markets = [...new Set(v.markets.map((s) => this.deps.markets.resolve(s).symbol))];
    const wrongQuote = markets.filter((s) => this.deps.markets.find(s)?.quote !== v.quoteAsset);
    if (wrongQuote.length > 0) throw new AppError(ErrorCode.invalidInput, `${wrongQuote.join(', ')} ${wrongQuote.length === 1 ? 'is' : 'are'} not quoted in ${v.quoteAsset}`, `allow only ${v.quoteAsset} markets`);
    const pool = dec(v.prizePool);
    const split = v.prizeSplit.map((x) => dec(x));
    const problems = splitProblems(split);
    if (problems.length > 0) throw new AppError(ErrorCode.invalidInput, problems.join('; '), 'e.g. prizeSplit [0.5, 0.3, 0.2]');
    try {
      return await withTransaction(this.deps.db, async (tx) => {
        // Names are told apart without case ("winter cup" is "Winter Cup"); the unique key backs the exact spelling.
        const [same] = await tx
          .select({ id: competitions.id })
          .from(competitions)
          .where(and(eq(competitions.platform, c.platform), eq(competitions.communityId, c.communityId), sql`lower(${competitions.name}) = lower(${v.name})`));
        if (same) throw new AppError(ErrorCode.conflict, `This community already has a competition named "${v.name}"`, 'choose another name');
        if (pool.gt(0)) {
          // Lock the treasury row so two creations cannot both promise the same tokens.
          await tx.insert(tokenTreasury).values({ token: this.deps.tokens.token }).onConflictDoNothing();
          const [t] = await tx.select({ treasury: tokenTreasury.treasury }).from(tokenTreasury).where(eq(tokenTreasury.token, this.deps.tokens.token)).for('update');
          const [committed] = await queryRows<{ total: string }>(tx, sql`select coalesce(sum(prize_pool), 0)::text as total from competitions where status in ('scheduled', 'running')`);
          const available = dec(t!.treasury).sub(dec(committed!.total));
          if (available.lt(pool)) {
            throw new AppError(
              ErrorCode.rejected,
              `The treasury can promise ${show(available.gt(0) ? available : ZERO)} ${this.deps.tokens.token} (it holds ${show(t!.treasury)}, ${show(committed!.total)} of it promised to other competitions), less than the prize pool of ${show(pool)}: nothing was created`,
              'lower prizePool, or ask a MIKEY admin to mint more tokens first',
            );
          }
        }
        const [row] = await tx
          .insert(competitions)
          .values({
            platform: c.platform,
            communityId: c.communityId,
            announceChatId: c.chatId ?? c.communityId,
            name: v.name,
            createdBy: actor.userId,
            startsAt,
            endsAt,
            startingCash: toPlain(cash),
            quoteAsset: v.quoteAsset,
            markets,
            prizePool: toPlain(pool),
            prizeSplit: split.map(toPlain),
            status: startsAt.getTime() <= now.getTime() ? 'running' : 'scheduled',
          })
          .returning();
        await writeAudit(tx, actor, { action: 'community.competition.create', entityType: 'competition', entityId: row!.id, newValue: { community: communityKey(c), name: v.name, startsAt: startsAt.toISOString(), endsAt: endsAt.toISOString(), prizePool: toPlain(pool) } });
        return this.view(row!, 0);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new AppError(ErrorCode.conflict, `This community already has a competition named "${v.name}"`, 'choose another name');
      throw err;
    }
  }

  /** Enters the caller: a fresh paper portfolio with the starting cash, and the entry, in one transaction. */
  async joinCompetition(actor: Actor, community: CommunityScope | undefined, input: unknown = {}): Promise<JoinView> {
    const v = parseInput(competitionShape, input, 'competition');
    await requireRole(this.deps.db, actor, 'trader');
    const comp = await this.findCompetition(actor, community, v.competition, { open: true });
    if (comp.status === 'finished' || comp.status === 'cancelled' || comp.endsAt.getTime() <= this.deps.clock.now().getTime()) {
      throw new AppError(ErrorCode.rejected, `The competition "${comp.name}" is ${comp.status === 'cancelled' ? 'cancelled' : 'over'}: nobody can join it now`, 'list-competitions shows the ones you can join');
    }
    const now = this.deps.clock.now();
    try {
      const portfolio = await withTransaction(this.deps.db, async (tx) => {
        const [already] = await tx.select({ id: competitionEntries.id }).from(competitionEntries).where(and(eq(competitionEntries.competitionId, comp.id), eq(competitionEntries.userId, actor.userId)));
        if (already) throw alreadyJoined(comp.name);
        const taken = new Set((await tx.select({ name: portfolios.name }).from(portfolios).where(eq(portfolios.userId, actor.userId))).map((r) => r.name));
        const base = comp.name.slice(0, 48);
        const name = [base, `${base} (competition)`, `${base} ${shortId(comp.id)}`].find((n) => !taken.has(n)) ?? `${base} ${shortId(comp.id)} ${Date.now() % 10000}`;
        const [p] = await tx
          .insert(portfolios)
          .values({
            userId: actor.userId,
            name,
            tradingMode: 'paper',
            accountType: PAPER_ACCOUNT_TYPE,
            exchange: 'paper',
            baseCurrency: comp.quoteAsset,
            initialCapital: comp.startingCash,
            currentValue: comp.startingCash,
            cashBalance: comp.startingCash,
            createdAt: now,
            updatedAt: now,
          })
          .returning();
        const before = await lockBalances(tx, p!.id, [comp.quoteAsset]);
        const change = deposit(before, comp.quoteAsset, q18(dec(comp.startingCash)), p!.id);
        if (!change.ok) throw new AppError(ErrorCode.invalidInput, change.error.message);
        await commitLedger(tx, p!.id, before, change.value.entries, { refType: 'competition', refId: comp.id, traceId: actor.traceId, at: now });
        await tx.insert(competitionEntries).values({ competitionId: comp.id, userId: actor.userId, portfolioId: p!.id, joinedAt: now });
        await writeAudit(tx, actor, { action: 'community.competition.join', entityType: 'competition', entityId: comp.id, newValue: { portfolio: p!.id, name, startingCash: comp.startingCash, quoteAsset: comp.quoteAsset } });
        return p!;
      });
      this.deps.events?.emit({ type: 'balance.changed', userId: actor.userId, portfolioId: portfolio.id });
      return { competition: this.view(comp, await this.entrantCount(comp.id)), portfolio: { id: shortId(portfolio.id), name: portfolio.name } };
    } catch (err) {
      if (isUniqueViolation(err)) throw alreadyJoined(comp.name);
      throw err;
    }
  }

  /** A competition with its standings: final results once finished, else valued now at market prices. */
  async getCompetition(actor: Actor, community: CommunityScope | undefined, input: unknown = {}): Promise<StandingsView> {
    const v = parseInput(competitionShape, input, 'competition');
    await requireActiveUser(this.deps.db, actor.userId);
    const comp = await this.findCompetition(actor, community, v.competition, { open: false });
    const rows = await this.standings(comp, actor.userId);
    return { competition: this.view(comp, rows.length), basis: comp.status === 'finished' ? 'final' : comp.status === 'running' ? 'live' : 'none', rows };
  }

  /** Competitions of the community (in a group) or of the caller's communities and entries (elsewhere), newest first. */
  async listCompetitions(actor: Actor, community: CommunityScope | undefined, input: unknown = {}): Promise<CompetitionView[]> {
    const v = parseInput(listCompetitionsShape, input, 'competition list');
    await requireActiveUser(this.deps.db, actor.userId);
    const rows = await this.deps.db
      .select({ c: competitions, entrants: sql<number>`(select count(*)::int from competition_entries e where e.competition_id = ${OUTER_COMPETITION.id})` })
      .from(competitions)
      .where(and(this.scopeWhere(actor, community), v.status ? eq(competitions.status, v.status) : undefined))
      .orderBy(desc(competitions.startsAt))
      .limit(50);
    return rows.map((r) => this.view(r.c, Number(r.entrants)));
  }

  /** Cancels a competition before it finishes (community admin or MIKEY admin); no prize is paid. */
  async cancelCompetition(actor: Actor, community: CommunityScope | undefined, input: unknown): Promise<CompetitionView> {
    const v = parseInput(requiredCompetitionShape, input, 'competition');
    await requireRole(this.deps.db, actor, 'trader');
    const comp = await this.findCompetition(actor, community, v.competition, { open: false });
    await this.requireCommunityAdmin(actor, { platform: comp.platform as CommunityScope['platform'], communityId: comp.communityId, isAdmin: sameCommunity(community, comp) && community?.isAdmin === true }, 'cancel a competition');
    return withTransaction(this.deps.db, async (tx) => {
      const [row] = await tx.select().from(competitions).where(eq(competitions.id, comp.id)).for('update');
      if (row!.status === 'finished' || row!.status === 'cancelled') {
        throw new AppError(ErrorCode.conflict, `The competition "${row!.name}" is already ${row!.status}: nothing was changed`, '"/competition" (get-competition) shows it');
      }
      const [done] = await tx.update(competitions).set({ status: 'cancelled', updatedAt: this.deps.clock.now() }).where(eq(competitions.id, comp.id)).returning();
      await writeAudit(tx, actor, { action: 'community.competition.cancel', entityType: 'competition', entityId: comp.id, oldValue: { status: row!.status }, newValue: { status: 'cancelled' } });
      const [n] = await queryRows<{ n: number }>(tx, sql`select count(*)::int as n from competition_entries where competition_id = ${comp.id}`);
      return this.view(done!, Number(n!.n));
    });
  }

  // ---- The scheduler's work ------------------------------------------------------------------

  /** Scheduled competitions whose start has come run now; returns their ids. */
  async startDue(): Promise<string[]> {
    const now = this.deps.clock.now();
    const rows = await this.deps.db
      .update(competitions)
      .set({ status: 'running', updatedAt: now })
      .where(and(eq(competitions.status, 'scheduled'), sql`${competitions.startsAt} <= ${now.toISOString()}::timestamptz`, sql`${competitions.endsAt} > ${now.toISOString()}::timestamptz`))
      .returning({ id: competitions.id });
    return rows.map((r) => r.id);
  }

  /** Ids of competitions whose window has ended and that are not finished yet. */
  async dueToFinish(): Promise<string[]> {
    const now = this.deps.clock.now();
    const rows = await this.deps.db
      .select({ id: competitions.id })
      .from(competitions)
      .where(and(inArray(competitions.status, ['scheduled', 'running']), sql`${competitions.endsAt} <= ${now.toISOString()}::timestamptz`))
      .orderBy(asc(competitions.endsAt));
    return rows.map((r) => r.id);
  }

  /**
   * Finishes one competition: every entry valued at market prices, ranked, prizes split; the results
   * are written once under the competition's row lock (a second or concurrent call finds it finished
   * and writes nothing). Prizes are paid separately by `payPrizes`.
   */
  async finish(competitionId: string): Promise<FinishReport> {
    const [peek] = await this.deps.db.select().from(competitions).where(eq(competitions.id, competitionId));
    if (!peek) throw notFound('competition');
    if (peek.status === 'finished' || peek.status === 'cancelled') return { competition: peek.name, finished: false, entrants: 0 };
    const entries = await this.deps.db.select().from(competitionEntries).where(eq(competitionEntries.competitionId, competitionId)).orderBy(asc(competitionEntries.joinedAt), asc(competitionEntries.id));
    await this.cancelWorkingOrders(entries);
    const start = dec(peek.startingCash);
    // Valued before the transaction (prices are outside the database); the orders after the end are refused.
    const finals: Dec[] = [];
    for (const e of entries) finals.push((await this.valueNow(e.userId, e.portfolioId)) ?? start);
    const ranks = competitionRanks(finals);
    const prizes = prizeShares(dec(peek.prizePool), peek.prizeSplit.map((s) => dec(s)), ranks);
    return withTransaction(this.deps.db, async (tx) => {
      const [row] = await tx.select().from(competitions).where(eq(competitions.id, competitionId)).for('update');
      if (!row || row.status === 'finished' || row.status === 'cancelled') return { competition: peek.name, finished: false, entrants: entries.length };
      for (let i = 0; i < entries.length; i++) {
        await tx
          .update(competitionEntries)
          .set({ finalValue: toPlain(q18(finals[i]!)), returnPercent: returnPercent(start, finals[i]!).toDecimalPlaces(10).toFixed(), rank: ranks[i]!, prize: toPlain(prizes[i]!) })
          .where(eq(competitionEntries.id, entries[i]!.id));
      }
      const now = this.deps.clock.now();
      await tx.update(competitions).set({ status: 'finished', finishedAt: now, updatedAt: now }).where(eq(competitions.id, competitionId));
      await writeAudit(tx, { system: true, traceId: newTraceId() }, {
        action: 'community.competition.finish',
        entityType: 'competition',
        entityId: competitionId,
        newValue: { entrants: entries.length, prizes: prizes.filter((p) => p.gt(0)).length },
      });
      return { competition: peek.name, finished: true, entrants: entries.length };
    });
  }

  /** Pays a finished competition's prizes (once per winner, whoever calls and however often). */
  async payPrizes(competitionId: string): Promise<AccrualReport | null> {
    const [comp] = await this.deps.db.select().from(competitions).where(eq(competitions.id, competitionId));
    if (!comp || comp.status !== 'finished' || dec(comp.prizePool).isZero()) return null;
    const winners = await this.deps.db
      .select({ e: competitionEntries })
      .from(competitionEntries)
      .where(and(eq(competitionEntries.competitionId, competitionId), sql`${competitionEntries.prize} > 0`))
      .orderBy(asc(competitionEntries.rank), asc(competitionEntries.userId));
    if (winners.length === 0) return null;
    const awards: PrizeAward[] = winners.map(({ e }) => ({
      userId: e.userId,
      amount: dec(e.prize!),
      entryId: e.id,
      description: `competition prize: "${comp.name}", rank ${e.rank ?? '?'}`,
    }));
    return this.deps.tokens.payCompetitionPrizes(competitionId, awards);
  }

  /** Finished competitions some winner of which is not paid yet (the treasury was short). */
  async unpaidPrizes(): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(
      this.deps.db,
      sql`select distinct c.id::text as id from competitions c join competition_entries e on e.competition_id = c.id
          where c.status = 'finished' and e.prize > 0
            and not exists (select 1 from reward_logs r where r.rule = 'competition_prize' and r.period = c.id::text and r.user_id = e.user_id)`,
    );
    return rows.map((r) => r.id);
  }

  /**
   * The pushes due now, each claimed once through its marker on the competition row (an UPDATE that
   * only one caller's WHERE still matches): start, the day's standings, the end with results. The
   * caller emits what it claimed; a claim lost to a crash before the emit is not retried (at most once).
   */
  async claimAnnouncements(): Promise<Announcement[]> {
    const now = this.deps.clock.now();
    const at = now.toISOString();
    const today = utcDate(now);
    const out: Announcement[] = [];
    const started = await this.deps.db
      .update(competitions)
      .set({ startPushedAt: now, standingsPushedOn: today })
      .where(and(eq(competitions.status, 'running'), isNull(competitions.startPushedAt), sql`${competitions.endsAt} > ${at}::timestamptz`))
      .returning();
    for (const c of started) out.push({ ...this.target(c), key: `competition:${c.id}:start`, text: startText(c, this.deps.tokens.token) });
    const daily = await this.deps.db
      .update(competitions)
      .set({ standingsPushedOn: today })
      .where(
        and(
          eq(competitions.status, 'running'),
          sql`${competitions.startPushedAt} is not null`,
          sql`${competitions.endsAt} > ${at}::timestamptz`,
          or(isNull(competitions.standingsPushedOn), ne(competitions.standingsPushedOn, today)),
        ),
      )
      .returning();
    for (const c of daily) {
      const rows = await this.standings(c, undefined);
      out.push({ ...this.target(c), key: `competition:${c.id}:standings:${today}`, text: standingsText(c, rows, `Standings of "${c.name}" on ${today} (ends ${minute(c.endsAt)}):`) });
    }
    const ended = await this.deps.db
      .update(competitions)
      .set({ endPushedAt: now })
      .where(and(eq(competitions.status, 'finished'), isNull(competitions.endPushedAt)))
      .returning();
    for (const c of ended) {
      const rows = await this.standings(c, undefined);
      const token = this.deps.tokens.token;
      const prizes = rows.some((r) => r.prize !== null && dec(r.prize).gt(0)) ? ` Prizes in ${token} are credited as rewards; "claim my rewards" moves them to your balance.` : '';
      out.push({ ...this.target(c), key: `competition:${c.id}:end`, text: `${standingsText(c, rows, `"${c.name}" has ended. Final results:`, token)}${prizes}` });
    }
    return out;
  }

  // ---- Internals ---------------------------------------------------------------------------

  /** The entrants' resting orders are cancelled at the end: nothing placed inside the window fills after it. */
  private async cancelWorkingOrders(entries: readonly CompetitionEntry[]): Promise<void> {
    if (!this.deps.trading || entries.length === 0) return;
    const open = await this.deps.db
      .select({ id: orders.id, userId: orders.userId })
      .from(orders)
      .where(and(inArray(orders.portfolioId, entries.map((e) => e.portfolioId)), inArray(orders.status, ['pending', 'open', 'partially_filled'])));
    for (const o of open) {
      try {
        await this.deps.trading.cancelOrder({ userId: o.userId, surface: 'system', traceId: newTraceId() }, o.id);
      } catch (err) {
        this.deps.logger?.warn('community: a competition order could not be cancelled at the end', { orderId: o.id, error: err });
      }
    }
  }

  private target(c: Competition): { platform: 'telegram' | 'discord'; chatId: string } {
    return { platform: c.platform as 'telegram' | 'discord', chatId: c.announceChatId };
  }

  private async requireCommunityAdmin(actor: Actor, c: CommunityScope, what: string): Promise<void> {
    const me = await requireRole(this.deps.db, actor, 'trader');
    if (c.isAdmin === true || me.role === 'admin') return;
    throw new AppError(ErrorCode.forbidden, `Only an admin of this group (or a MIKEY admin) can ${what}: nothing was changed`, 'ask an admin of the group');
  }

  /** Which competitions a caller sees: the community's (in a group), else those of communities they joined, entered or created. */
  private scopeWhere(actor: Actor, community: CommunityScope | undefined) {
    if (community) return and(eq(competitions.platform, community.platform), eq(competitions.communityId, community.communityId));
    return or(
      eq(competitions.createdBy, actor.userId),
      sql`exists (select 1 from competition_entries e where e.competition_id = ${OUTER_COMPETITION.id} and e.user_id = ${actor.userId})`,
      sql`exists (select 1 from community_members m where m.platform = ${OUTER_COMPETITION.platform} and m.community_id = ${OUTER_COMPETITION.communityId} and m.user_id = ${actor.userId})`,
    );
  }

  /** A competition by name or id prefix in scope; without one, the community's single open competition. */
  private async findCompetition(actor: Actor, community: CommunityScope | undefined, ref: string | undefined, opts: { open: boolean }): Promise<Competition> {
    const scope = this.scopeWhere(actor, community);
    const q = ref?.trim();
    if (!q) {
      const open = await this.deps.db
        .select()
        .from(competitions)
        .where(and(scope, inArray(competitions.status, ['scheduled', 'running'])))
        .orderBy(asc(competitions.startsAt))
        .limit(5);
      if (open.length === 1) return open[0]!;
      if (open.length === 0) {
        if (!opts.open) {
          const [last] = await this.deps.db.select().from(competitions).where(scope).orderBy(desc(competitions.endsAt)).limit(1);
          if (last) return last;
        }
        throw new AppError(ErrorCode.notFound, 'There is no scheduled or running competition here', 'list-competitions shows them; an admin of the group can create one');
      }
      throw new AppError(ErrorCode.invalidInput, `There are ${open.length} open competitions here: say which one (${open.map((c) => `"${c.name}"`).join(', ')})`, 'give its name');
    }
    const byName = await this.deps.db.select().from(competitions).where(and(scope, sql`lower(${competitions.name}) = lower(${q})`)).limit(3);
    if (byName.length === 1) return byName[0]!;
    if (byName.length > 1) throw new AppError(ErrorCode.invalidInput, `"${q}" names competitions in ${byName.length} communities`, `give the id instead (${byName.map((c) => shortId(c.id)).join(', ')})`);
    if (/^[0-9a-f-]{4,36}$/i.test(q)) {
      const byId = await this.deps.db
        .select()
        .from(competitions)
        .where(and(scope, isFullUuid(q) ? eq(competitions.id, q.toLowerCase()) : sql`${competitions.id}::text like ${`${q.toLowerCase()}%`}`))
        .limit(2);
      if (byId.length > 1) throw new AppError(ErrorCode.invalidInput, `"${q}" matches more than one competition`, 'give more characters of its id, or its name');
      if (byId.length === 1) return byId[0]!;
    }
    throw notFound(`Competition "${q}"`, 'list-competitions shows the competitions here by name');
  }

  private async entrantCount(competitionId: string): Promise<number> {
    const [n] = await queryRows<{ n: number }>(this.deps.db, sql`select count(*)::int as n from competition_entries where competition_id = ${competitionId}`);
    return Number(n!.n);
  }

  /** Ranked standings: stored results once finished, else each entry valued now. */
  private async standings(comp: Competition, viewer: string | undefined): Promise<StandingRow[]> {
    const rows = await this.deps.db
      .select({ e: competitionEntries, username: users.username, displayName: users.displayName })
      .from(competitionEntries)
      .innerJoin(users, eq(users.id, competitionEntries.userId))
      .where(eq(competitionEntries.competitionId, comp.id))
      .orderBy(asc(competitionEntries.joinedAt), asc(competitionEntries.id));
    if (rows.length === 0) return [];
    const start = dec(comp.startingCash);
    let results: Array<{ e: CompetitionEntry; name: string; ret: Dec; rank: number; prize: string | null }>;
    if (comp.status === 'finished') {
      results = rows.map((r) => ({ e: r.e, name: displayName(r, r.e.userId), ret: dec(r.e.returnPercent ?? '0'), rank: r.e.rank ?? rows.length, prize: r.e.prize === null ? null : show(r.e.prize) }));
    } else {
      const values: Dec[] = [];
      for (const r of rows) values.push(comp.status === 'running' ? ((await this.valueNow(r.e.userId, r.e.portfolioId)) ?? start) : start);
      const ranks = competitionRanks(values);
      results = rows.map((r, i) => ({ e: r.e, name: displayName(r, r.e.userId), ret: returnPercent(start, values[i]!), rank: ranks[i]!, prize: null }));
    }
    return results
      .sort((a, b) => a.rank - b.rank || a.name.localeCompare(b.name))
      .map((r) => ({ rank: r.rank, name: r.name, returnPercent: pct2(r.ret), prize: r.prize, you: r.e.userId === viewer }));
  }

  private view(c: Competition, entrants: number): CompetitionView {
    return {
      id: shortId(c.id),
      name: c.name,
      status: c.status as CompetitionStatus,
      community: communityKey(c),
      startsAt: c.startsAt.toISOString(),
      endsAt: c.endsAt.toISOString(),
      startingCash: show(c.startingCash),
      quoteAsset: c.quoteAsset,
      markets: c.markets,
      prizePool: show(c.prizePool),
      prizeSplit: c.prizeSplit.map((s) => show(s)),
      token: this.deps.tokens.token,
      entrants,
    };
  }
}

function requireGroup(community: CommunityScope | undefined, what: string): CommunityScope {
  if (!community) throw new AppError(ErrorCode.invalidInput, `To ${what}, ask in the group (Telegram) or server (Discord) it belongs to`, 'this works only in a group chat, not in a private chat or over MCP');
  return community;
}

function sameCommunity(a: CommunityScope | undefined, c: Competition): boolean {
  return a !== undefined && a.platform === c.platform && a.communityId === c.communityId;
}

function alreadyJoined(name: string): AppError {
  return new AppError(ErrorCode.conflict, `You have already joined the competition "${name}": nothing was changed`, '"standings" shows them; trade in your competition portfolio by naming it');
}

/** How a member is named in a community's lists: display name, else username, else a short id (32 characters at most). */
export function displayName(u: { displayName: string | null; username: string | null }, userId: string): string {
  return (u.displayName?.trim() || u.username?.trim() || `member ${shortId(userId)}`).slice(0, 32);
}

/** "now", an ISO date-time, or undefined when not given. */
function parseWhen(s: string | undefined, field: string, now: Date): Date | undefined {
  if (s === undefined || s === '') return undefined;
  if (s.toLowerCase() === 'now') return now;
  const t = Date.parse(s);
  if (!/^\d{4}-\d{2}-\d{2}/.test(s) || Number.isNaN(t)) {
    throw new AppError(ErrorCode.invalidInput, `${field} "${s.slice(0, 40)}" is not a date-time`, `write it like "2026-12-07T18:00:00Z"${field === 'startsAt' ? ', or "now"' : ''}`);
  }
  return new Date(t);
}

/** The window and prize of a competition in one line. */
export function competitionSummary(c: Pick<Competition, 'startsAt' | 'endsAt' | 'startingCash' | 'quoteAsset' | 'markets' | 'prizePool' | 'prizeSplit'>, token: string): string {
  const markets = c.markets.length === 0 ? 'any market' : c.markets.join(', ');
  const prize = dec(c.prizePool).isZero() ? 'no prize' : `prize ${show(c.prizePool)} ${token} split ${c.prizeSplit.map((s) => `${pct2(dec(s).mul(100)).replace(/\.00$/, '')}%`).join(' / ')}`;
  return `${minute(c.startsAt)} → ${minute(c.endsAt)}, ${show(c.startingCash)} ${c.quoteAsset} to start, ${markets}, ${prize}`;
}

function startText(c: Competition, token: string): string {
  return `The competition "${c.name}" has started: ${competitionSummary(c, token)}. Join with /join (or "join the competition"); only trades inside the window count.`;
}

function standingsText(c: Competition, rows: readonly StandingRow[], title: string, token?: string): string {
  if (rows.length === 0) return `${title} nobody entered.`;
  const top = rows.slice(0, 10).map((r) => `${r.rank}. ${r.name} ${r.returnPercent.startsWith('-') ? '' : '+'}${r.returnPercent}%${token && r.prize && dec(r.prize).gt(0) ? ` (${r.prize} ${token})` : ''}`);
  const more = rows.length > 10 ? [`… and ${rows.length - 10} more`] : [];
  return [title, ...top, ...more].join('\n');
}
