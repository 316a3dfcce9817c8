// resume-bot: resumes a paused bot under its standing approval; candles missed while paused are skipped, not traded late.
import { z } from 'zod';
import { defineTool } from '../../mcp/tool.js';
import { botIdShape } from '../../services/bots/bot-service.js';

export const resumeBot = defineTool({
  name: 'resume-bot',
  title: 'Resume a bot',
  description: 'Resumes one of your paused bots under the approval it already has; the candles it missed while paused are skipped. Example: {"botId":"3f2a9c1e"}.',
  permission: 'write:orders',
  input: botIdShape,
  output: { bot: z.object({ id: z.string(), status: z.string() }).passthrough().describe('The bot after the change') },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run(ctx, args) {
    const r = await ctx.services.bots.resume(ctx.actor, args);
    return { text: r.message, data: { bot: r.bot } as never };
  },
});
