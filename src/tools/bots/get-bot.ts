// get-bot: one of the caller's bots in full — its card, progress, working orders and latest
// performance. Read-only.
import { z } from 'zod';
import { defineTool, READ_ONLY } from '../../mcp/tool.js';
import { botIdShape } from '../../services/bots/bot-service.js';
import { botDetailText } from './format.js';

export const getBot = defineTool({
  name: 'get-bot',
  title: 'Get a bot',
  description: 'One of your bots (id or first characters): its approved card, status, candles decided, working orders and latest performance. Example: {"botId":"3f2a9c1e"}.',
  permission: 'read:portfolio',
  input: botIdShape,
  output: { bot: z.object({ id: z.string(), status: z.string(), card: z.object({ lines: z.array(z.string()) }).passthrough() }).passthrough().describe('The bot with its card, progress, orders and performance') },
  annotations: READ_ONLY,
  async run(ctx, args) {
    const bot = await ctx.services.bots.get(ctx.actor, args);
    return { text: botDetailText(bot), data: { bot } as never };
  },
});
