// start-bot: the owner's standing approval of a bot's card (strategy, market, limits), and the start.
// `approve: true` is required; from then on the bot places orders within its limits without asking
// each time, until paused or stopped.
import { z } from 'zod';
import { defineTool } from '../../mcp/tool.js';
import { approveBotShape } from '../../services/bots/bot-service.js';
import { cardLines } from './format.js';

export const startBot = defineTool({
  name: 'start-bot',
  title: 'Approve and start a bot',
  description:
    'Approves a bot\'s card (its strategy, market, portfolio and limits per order and per day) and starts it: it then places orders within those limits on each closed candle without asking each time. ' +
    'A bot on a live portfolio cannot be approved here: its owner types its name back at the terminal (npx mikey bot approve-live BOT). ' +
    'approve must be true. Stopping a bot withdraws the approval. Example: {"botId":"3f2a9c1e","approve":true}.',
  permission: 'write:orders',
  input: approveBotShape,
  output: { bot: z.object({ id: z.string(), status: z.string(), approvedAt: z.string().nullable() }).passthrough().describe('The bot, now running') },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run(ctx, args) {
    const r = await ctx.services.bots.approveAndStart(ctx.actor, args);
    return { text: [r.message, 'Approved card:', cardLines(r.card)].join('\n'), data: { bot: r.bot } as never };
  },
});
