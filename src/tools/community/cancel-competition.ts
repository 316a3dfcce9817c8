// cancel-competition: a community admin (or a MIKEY admin) cancels a competition before it finishes;
// its portfolios take no more orders and no prize is paid.
import { z } from 'zod';
import { defineTool } from '../../mcp/tool.js';
import { requiredCompetitionShape } from '../../services/community/schemas.js';

export const cancelCompetition = defineTool({
  name: 'cancel-competition',
  title: 'Cancel a competition',
  description:
    'Group admins only: cancels a scheduled or running competition of this group or server (by name or id prefix). Its portfolios take no more orders and no prize is paid. Example: {"competition":"December Cup"}.',
  permission: 'write:orders',
  input: requiredCompetitionShape,
  output: { competition: z.object({ id: z.string(), name: z.string(), status: z.string() }).passthrough().describe('The cancelled competition') },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  async run(ctx, args) {
    const c = await ctx.services.community.cancelCompetition(ctx.actor, ctx.community, args);
    return { text: `Cancelled the competition "${c.name}" (${c.id}): its ${c.entrants} entrant portfolio${c.entrants === 1 ? '' : 's'} take no more orders and no prize is paid.`, data: { competition: c } as never };
  },
});
