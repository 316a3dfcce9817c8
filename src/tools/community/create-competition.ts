// create-competition: a community admin (or a MIKEY admin) starts a paper competition in the group:
// its window, starting cash, allowed markets and a prize in platform tokens (checked against what the
// treasury can promise). Entrants join with join-competition.
import { z } from 'zod';
import { defineTool } from '../../mcp/tool.js';
import { createCompetitionShape } from '../../services/community/schemas.js';
import { competitionLine } from './format.js';

export const createCompetition = defineTool({
  name: 'create-competition',
  title: 'Create a paper competition',
  description:
    'Group admins only: creates a paper trading competition in this Telegram group or Discord server. Each entrant gets a fresh paper portfolio with startingCash of quoteAsset; only trades inside the window and on the allowed markets count. ' +
    'The prize pool (platform tokens from the treasury) is split by rank with prizeSplit and paid once at the end. Example: {"name":"December Cup","durationDays":7,"markets":["BTC/USDT","ETH/USDT"],"prizePool":"1000","prizeSplit":[0.5,0.3,0.2]}.',
  permission: 'write:orders',
  input: createCompetitionShape,
  output: { competition: z.object({ id: z.string(), name: z.string(), status: z.string() }).passthrough().describe('The new competition') },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run(ctx, args) {
    const c = await ctx.services.community.createCompetition(ctx.actor, ctx.community, args);
    const when = c.status === 'running' ? 'It is running now' : 'It starts on schedule';
    return { text: `Created ${competitionLine(c)}. ${when}; members join with /join (or "join the competition").`, data: { competition: c } as never };
  },
});
