// list-bots: the caller's bots with strategy, market, status and limits. Read-only.
import { z } from 'zod';
import { defineTool, READ_ONLY } from '../../mcp/tool.js';
import { botsTable } from './format.js';

export const listBots = defineTool({
  name: 'list-bots',
  title: 'List bots',
  description: 'Your bots, newest first: id, name, strategy, market, timeframe, status (running, paused and why, stopped) and limits per order / per day. Example: {}.',
  permission: 'read:portfolio',
  input: {},
  output: { bots: z.array(z.object({ id: z.string(), shortId: z.string(), name: z.string(), status: z.string() }).passthrough()).describe('Your bots, newest first') },
  annotations: READ_ONLY,
  async run(ctx) {
    const { bots } = await ctx.services.bots.list(ctx.actor);
    const text =
      bots.length === 0
        ? 'You have no bots. create-bot makes one (stopped, with its limits card to approve).'
        : [botsTable(bots), `${bots.length} bot${bots.length === 1 ? '' : 's'}, ${bots.filter((b) => b.status === 'running').length} running.`].join('\n');
    return { text, data: { bots } as never };
  },
});
