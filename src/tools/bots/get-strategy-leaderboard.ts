// get-strategy-leaderboard: bots and backtests ranked by Sharpe, max drawdown or P&L — the caller's
// own, or (in a group) the bots of members who joined its leaderboard, percentages only. Read-only.
import { z } from 'zod';
import { defineTool, READ_ONLY } from '../../mcp/tool.js';
import { strategyLeaderboardShape } from '../../services/bots/leaderboard.js';
import { strategyLeaderboardText } from './format.js';

export const getStrategyLeaderboard = defineTool({
  name: 'get-strategy-leaderboard',
  title: 'Leaderboard of strategies',
  description:
    'Ranks your bots (forward runs: out of sample) and stored backtests by Sharpe ratio (default), max drawdown or P&L; in a group, scope "community" ranks the bots of members who joined its leaderboard, percentages only. ' +
    'Example: {"sortBy":"drawdown"} or {"scope":"community"}.',
  permission: 'read:portfolio',
  input: strategyLeaderboardShape,
  output: {
    scope: z.string().describe('mine or community'),
    sortBy: z.string().describe('sharpe, drawdown or pnl'),
    rows: z.array(z.object({ rank: z.number(), kind: z.string(), shortId: z.string(), name: z.string() }).passthrough()).describe('Bots and backtests, best first'),
  },
  annotations: READ_ONLY,
  async run(ctx, args) {
    const v = await ctx.services.bots.leaderboard(ctx.actor, ctx.community, args);
    return { text: strategyLeaderboardText(v), data: { scope: v.scope, sortBy: v.sortBy, community: v.community, total: v.total, rows: v.rows } as never };
  },
});
