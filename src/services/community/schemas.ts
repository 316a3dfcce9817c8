// Input shapes of the community service (leaderboards and paper competitions): every name through
// the plain-text field, cash and prizes through the shared decimal field, so bad input is refused
// before anything is written.
import { z } from 'zod';
import { LEADERBOARD_PERIODS } from '../../domain/community.js';
import { TOKEN_AMOUNT } from '../token/schemas.js';
import { BOUNDS, decimalField, symbolField, textField, type DecimalBounds } from '../trading/input.js';

const PRIZE_POOL: DecimalBounds = { ...TOKEN_AMOUNT, min: '0', minInclusive: true, example: '1000' };
const SHARE: DecimalBounds = { min: '0', minInclusive: true, max: '1', maxDecimals: 10, example: '0.5' };
export const COMPETITION_STATUSES = ['scheduled', 'running', 'finished', 'cancelled'] as const;
export type CompetitionStatus = (typeof COMPETITION_STATUSES)[number];

const competitionRef = textField('competition', 64).describe('Competition: its name or the first characters of its id');

export const joinLeaderboardShape = {
  includeLive: z.boolean().optional().describe('Also rank your live portfolios (paper ones always count); default false, or what you chose before'),
};

export const leaderboardShape = {
  period: z
    .enum(LEADERBOARD_PERIODS as unknown as ['7d', '30d', '90d', 'all'], { errorMap: () => ({ message: 'period must be one of 7d, 30d, 90d or all' }) })
    .default('30d')
    .describe('Period to rank over: 7d, 30d (default), 90d or all'),
  community: textField('community', 80)
    .optional()
    .describe('Outside a group: the community as "telegram:<group chat id>" or "discord:<server id>" (one you joined the leaderboard of)'),
};

export const createCompetitionShape = {
  name: textField('name', 64, { min: 1, required: 'name is required: give the competition a name' }).describe('Competition name, unique in this community, e.g. "December Cup"'),
  startsAt: z.string().trim().max(40, 'startsAt is at most 40 characters').optional().describe('When it starts: an ISO date-time such as "2026-12-07T00:00:00Z", or "now" (default)'),
  durationDays: z
    .number({ invalid_type_error: 'durationDays must be a whole number of days such as 7' })
    .int('durationDays must be a whole number of days')
    .min(1, 'durationDays is at least 1')
    .max(90, 'durationDays is at most 90')
    .optional()
    .describe('Length in days, 1 to 90 (default 7); or give endsAt instead'),
  endsAt: z.string().trim().max(40, 'endsAt is at most 40 characters').optional().describe('When it ends: an ISO date-time (instead of durationDays)'),
  startingCash: decimalField('Cash each entrant\'s fresh paper portfolio starts with', BOUNDS.amount).default('10000'),
  quoteAsset: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z0-9]{2,10}$/, 'quoteAsset must be an asset code such as USDT')
    .default('USDT')
    .describe('Currency of the starting cash and of the valuation (default USDT)'),
  markets: z.array(symbolField('A market entrants may trade, e.g. "BTC/USDT"')).max(50, 'markets lists at most 50 markets').default([]).describe('Markets that may be traded; empty (default) = any market'),
  prizePool: decimalField('Platform tokens paid to the winners from the treasury (0 = no prize)', PRIZE_POOL).default('0'),
  prizeSplit: z
    .array(decimalField('Share of the pool for this rank, a fraction', SHARE))
    .max(20, 'prizeSplit has at most 20 shares')
    .default(['1'])
    .describe('Shares of the pool by rank as fractions summing to at most 1, e.g. [0.5, 0.3, 0.2]; default [1] (all to the winner)'),
};

export const competitionShape = { competition: competitionRef.optional() };

export const requiredCompetitionShape = {
  competition: textField('competition', 64, { min: 1, required: 'competition is required: give its name or id' }).describe('Competition: its name or the first characters of its id'),
};

export const listCompetitionsShape = {
  status: z
    .enum(COMPETITION_STATUSES, { errorMap: () => ({ message: 'status must be one of scheduled, running, finished or cancelled' }) })
    .optional()
    .describe('Only competitions in this state (default: all)'),
};
