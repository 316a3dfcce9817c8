// stop-bot: stops a bot, withdraws its approval and cancels its working orders; starting it again needs a new approval.
import { z } from 'zod';
import { defineTool } from '../../mcp/tool.js';
import { botIdShape } from '../../services/bots/bot-service.js';

export const stopBot = defineTool({
  name: 'stop-bot',
  title: 'Stop a bot',
  description: 'Stops one of your bots and cancels its working orders; its approval is withdrawn, so starting it again needs start-bot with approve: true. Example: {"botId":"3f2a9c1e"}.',
  permission: 'write:orders',
  input: botIdShape,
  output: { bot: z.object({ id: z.string(), status: z.string() }).passthrough().describe('The bot after the change'), cancelledOrders: z.number().describe('Working orders cancelled') },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  async run(ctx, args) {
    const r = await ctx.services.bots.stop(ctx.actor, args);
    return { text: r.message, data: { bot: r.bot, cancelledOrders: r.cancelledOrders } as never };
  },
});
