// get-leaderboard: the community's opted-in members ranked by return % over a period, with Sharpe and
// max drawdown — percentages only, never balances, so it is safe to answer in a group. Read-only.
import { z } from 'zod';
import { defineTool, READ_ONLY } from '../../mcp/tool.js';
import { leaderboardShape } from '../../services/community/schemas.js';
import { leaderboardText } from './format.js';

export const getLeaderboard = defineTool({
  name: 'get-leaderboard',
  title: 'Community leaderboard',
  description:
    'Ranks the members of this group or server who joined its leaderboard by return % over 7d, 30d (default), 90d or all time, with Sharpe ratio and max drawdown. Percentages only, never balances. ' +
    'Outside a group, name the community as "telegram:<id>" or "discord:<id>" (one whose leaderboard you joined). Example: {"period":"7d"}.',
  permission: 'read:portfolio',
  input: leaderboardShape,
  output: {
    community: z.string().describe('platform:id of the community'),
    period: z.string().describe('7d, 30d, 90d or all'),
    rows: z.array(z.object({ rank: z.number(), name: z.string(), returnPercent: z.string() }).passthrough()).describe('Members, best first'),
  },
  annotations: READ_ONLY,
  async run(ctx, args) {
    const v = await ctx.services.community.leaderboard(ctx.actor, ctx.community, args);
    return { text: leaderboardText(v), data: { community: v.community, period: v.period, rows: v.rows } as never };
  },
});
