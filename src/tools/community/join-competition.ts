// join-competition: enters the caller in a competition of this community (default: its one scheduled
// or running competition) with a fresh paper portfolio funded with the starting cash.
import { z } from 'zod';
import { defineTool } from '../../mcp/tool.js';
import { competitionShape } from '../../services/community/schemas.js';
import { grouped } from '../format.js';

export const joinCompetition = defineTool({
  name: 'join-competition',
  title: 'Join a paper competition',
  description:
    'Enters you in a competition of this group or server (by name or id prefix; default: its one scheduled or running competition). You get a fresh paper portfolio named after it with the starting cash; trade there with its portfolioId. ' +
    'Only trades inside the window and on the allowed markets count. Example: {} or {"competition":"December Cup"}.',
  permission: 'write:orders',
  input: competitionShape,
  output: {
    competition: z.object({ id: z.string(), name: z.string() }).passthrough().describe('The competition'),
    portfolio: z.object({ id: z.string(), name: z.string() }).describe('Your competition portfolio'),
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run(ctx, args) {
    const r = await ctx.services.community.joinCompetition(ctx.actor, ctx.community, args);
    const c = r.competition;
    const markets = c.markets.length === 0 ? 'any market' : c.markets.join(', ');
    return {
      text:
        `You joined "${c.name}". Your competition portfolio is "${r.portfolio.name}" (${r.portfolio.id}) with ${grouped(c.startingCash)} ${c.quoteAsset}; ` +
        `trades there count from ${c.startsAt.slice(0, 16).replace('T', ' ')} to ${c.endsAt.slice(0, 16).replace('T', ' ')} UTC on ${markets}.`,
      data: r as never,
    };
  },
});
