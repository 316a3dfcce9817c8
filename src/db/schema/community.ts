// Communities (a Telegram group, a Discord server) where MIKEY is used together: members who opt in
// to the community's leaderboard, and paper competitions run by a community admin (issue 14).
// A community is named by its platform and the platform's own id (Telegram chat id, Discord guild
// id); MIKEY keeps no other record of it. Leaderboards show percentages only, never balances.
import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, pgTable, text, unique, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, money, rate, timestamps, timestamptz } from './columns.js';
import { portfolios } from './accounts.js';
import { users } from './users.js';

/** A member's opt-in to a community's leaderboard. No row: not ranked there. */
export const communityMembers = pgTable(
  'community_members',
  {
    id: id(),
    /** 'telegram' | 'discord'. */
    platform: text().notNull(),
    /** Telegram group chat id or Discord guild id. */
    communityId: text().notNull(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** Live portfolios are ranked too only when the member says so; paper always. */
    includeLive: boolean().notNull().default(false),
    joinedAt: createdAt(),
  },
  (t) => [
    unique('community_members_unique').on(t.platform, t.communityId, t.userId),
    index('community_members_user_idx').on(t.userId),
  ],
);
export type CommunityMember = typeof communityMembers.$inferSelect;
export type NewCommunityMember = typeof communityMembers.$inferInsert;

/**
 * A paper competition in one community: a window, starting cash, allowed markets and a token prize.
 * Status moves scheduled → running → finished (or cancelled); the push markers make the start push,
 * each day's standings and the end push happen once whichever instance runs the job.
 */
export const competitions = pgTable(
  'competitions',
  {
    id: id(),
    platform: text().notNull(),
    communityId: text().notNull(),
    /** Where pushes go: the group's chat id (Telegram) or the channel it was created in (Discord). */
    announceChatId: text().notNull(),
    name: text().notNull(),
    createdBy: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'restrict' }),
    startsAt: timestamptz().notNull(),
    endsAt: timestamptz().notNull(),
    /** Each entrant's fresh portfolio starts with this much of `quoteAsset`. */
    startingCash: money().notNull(),
    quoteAsset: text().notNull().default('USDT'),
    /** Symbols that may be traded (e.g. `BTC/USDT`); empty = any market MIKEY lists. */
    markets: text().array().notNull().default(sql`'{}'::text[]`),
    /** Platform tokens paid out at the end; 0 = no prize. */
    prizePool: money().notNull().default('0'),
    /** Shares of the pool by rank, as fractions summing to at most 1 (e.g. `{0.5,0.3,0.2}`). */
    prizeSplit: rate().array().notNull().default(sql`'{1}'::numeric[]`),
    /** scheduled | running | finished | cancelled. */
    status: text().notNull().default('scheduled'),
    startPushedAt: timestamptz(),
    /** The UTC day whose standings were last pushed (`2026-12-06`). */
    standingsPushedOn: text(),
    finishedAt: timestamptz(),
    endPushedAt: timestamptz(),
    ...timestamps(),
  },
  (t) => [
    unique('competitions_community_name_unique').on(t.platform, t.communityId, t.name),
    index('competitions_status_idx').on(t.status, t.endsAt),
    check('competitions_window', sql`${t.endsAt} > ${t.startsAt}`),
    check('competitions_starting_cash_positive', sql`${t.startingCash} > 0`),
    check('competitions_prize_nonnegative', sql`${t.prizePool} >= 0`),
    check('competitions_status_known', sql`${t.status} in ('scheduled', 'running', 'finished', 'cancelled')`),
  ],
);
export type Competition = typeof competitions.$inferSelect;
export type NewCompetition = typeof competitions.$inferInsert;

/** One entrant of a competition and the fresh paper portfolio it trades in; results set once at the end. */
export const competitionEntries = pgTable(
  'competition_entries',
  {
    id: id(),
    competitionId: uuid()
      .notNull()
      .references(() => competitions.id, { onDelete: 'restrict' }),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'restrict' }),
    portfolioId: uuid()
      .notNull()
      .references(() => portfolios.id, { onDelete: 'restrict' }),
    joinedAt: createdAt(),
    /** Equity at the end, in the quote asset. */
    finalValue: money(),
    /** Return over the window in percent. */
    returnPercent: rate(),
    rank: integer(),
    /** Tokens won (0 when none). */
    prize: money(),
  },
  (t) => [
    unique('competition_entries_user_unique').on(t.competitionId, t.userId),
    unique('competition_entries_portfolio_unique').on(t.portfolioId),
    index('competition_entries_user_idx').on(t.userId),
  ],
);
export type CompetitionEntry = typeof competitionEntries.$inferSelect;
export type NewCompetitionEntry = typeof competitionEntries.$inferInsert;
