// list-competitions: the competitions of this group or server (elsewhere: of your communities and
// entries), newest first, optionally by status. Read-only.
import { z } from 'zod';
import { defineTool, READ_ONLY } from '../../mcp/tool.js';
import { listCompetitionsShape } from '../../services/community/schemas.js';
import { competitionsTable } from './format.js';

export const listCompetitions = defineTool({
  name: 'list-competitions',
  title: 'List competitions',
  description:
    'Paper competitions of this group or server (outside a group: of the communities you joined, entered or created), newest first, with status, window, entrants and prize. ' +
    'Example: {} or {"status":"running"}.',
  permission: 'read:portfolio',
  input: listCompetitionsShape,
  output: { competitions: z.array(z.object({ id: z.string(), name: z.string(), status: z.string() }).passthrough()).describe('Competitions, newest first') },
  annotations: READ_ONLY,
  async run(ctx, args) {
    const list = await ctx.services.community.listCompetitions(ctx.actor, ctx.community, args);
    const what = (n: number): string => `${args.status ? `${args.status} ` : ''}competition${n === 1 ? '' : 's'}`;
    const text = list.length === 0 ? `No ${what(2)} here yet. A group admin starts one: start a competition "Name" for 7 days with 10000 USDT.` : [competitionsTable(list), `${list.length} ${what(list.length)}.`].join('\n');
    return { text, data: { competitions: list } as never };
  },
});
