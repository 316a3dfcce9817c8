// pause-bot: pauses a running bot: it decides nothing until resumed; its working orders stay.
import { z } from 'zod';
import { defineTool } from '../../mcp/tool.js';
import { botIdShape } from '../../services/bots/bot-service.js';

export const pauseBot = defineTool({
  name: 'pause-bot',
  title: 'Pause a bot',
  description: 'Pauses one of your running bots (id or first characters; list-bots shows them): it decides nothing until resumed, and its working orders stay. Example: {"botId":"3f2a9c1e"}.',
  permission: 'write:orders',
  input: botIdShape,
  output: { bot: z.object({ id: z.string(), status: z.string() }).passthrough().describe('The bot after the change') },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run(ctx, args) {
    const r = await ctx.services.bots.pause(ctx.actor, args);
    return { text: r.message, data: { bot: r.bot } as never };
  },
});
