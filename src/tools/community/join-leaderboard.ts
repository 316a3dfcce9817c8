// join-leaderboard: opts the caller in to the leaderboard of the group or server the message came
// from (paper portfolios always; live ones only with includeLive). Again: updates includeLive.
import { z } from 'zod';
import { defineTool } from '../../mcp/tool.js';
import { joinLeaderboardShape } from '../../services/community/schemas.js';

export const joinLeaderboard = defineTool({
  name: 'join-leaderboard',
  title: 'Join the community leaderboard',
  description:
    'In a Telegram group or Discord server: puts you on its leaderboard, ranked by return %, Sharpe and max drawdown of your paper portfolios (live ones too with includeLive). ' +
    'Only percentages are shown, never balances; competition portfolios never count. Calling it again updates includeLive. Example: {} or {"includeLive":true}.',
  permission: 'read:portfolio',
  input: joinLeaderboardShape,
  output: { community: z.string().describe('platform:id of the community'), includeLive: z.boolean().describe('Live portfolios are ranked too'), rejoined: z.boolean().describe('You were on it already') },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run(ctx, args) {
    const r = await ctx.services.community.joinLeaderboard(ctx.actor, ctx.community, args);
    const what = r.includeLive ? 'your paper and live portfolios' : 'your paper portfolios';
    return {
      text: r.rejoined
        ? `You are on this community's leaderboard; it now ranks ${what}.`
        : `You joined this community's leaderboard: it ranks ${what} by return (percentages only, never balances). "/leaderboard leave" takes you off.`,
      data: r,
    };
  },
});
