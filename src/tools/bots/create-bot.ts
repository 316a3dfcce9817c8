// create-bot: creates a bot — a strategy that will trade one spot market on one of the caller's
// portfolios — stopped, and shows the card of its limits for the owner to approve with start-bot.
// Creating places nothing. With `fromBacktest` (an id prefix or "last") it takes strategy, parameters,
// market and timeframe from one of the caller's stored backtests and says what it copied.
import { z } from 'zod';
import { defineTool } from '../../mcp/tool.js';
import { createBotShape } from '../../services/bots/bot-service.js';
import { cardLines } from './format.js';

const botOut = z.object({ id: z.string(), shortId: z.string(), name: z.string(), status: z.string() }).passthrough();

export const createBot = defineTool({
  name: 'create-bot',
  title: 'Create a bot (stopped)',
  description:
    'Creates a bot that runs a strategy on a spot market in one of your portfolios (paper by default; on a live one it is approved at the terminal, not with start-bot), with limits per order and per UTC day in the quote currency. It is created stopped: read its card, then start it with start-bot (approve: true). ' +
    'Only strategies whose state can be saved exactly can run as bots. Example: {"name":"BTC dca","strategy":"dca","symbol":"BTC/USDT","timeframe":"1h","params":{"quoteAmount":"100","every":24},"limits":{"maxOrderNotional":"100","maxDailyNotional":"1000"}}. ' +
    'From a backtest: {"fromBacktest":"1a2b3c4d","limits":{...}} (or "last" for your most recent) copies its strategy, parameters, market and timeframe; other arguments override them.',
  permission: 'write:orders',
  input: createBotShape,
  output: {
    bot: botOut.describe('The new bot (stopped)'),
    card: z.object({ lines: z.array(z.string()) }).passthrough().describe('What the bot may do once approved'),
    copiedFrom: z.object({ backtestId: z.string(), shortId: z.string(), changed: z.array(z.string()) }).passthrough().nullable().describe('The backtest the bot was created from and what was copied; null without fromBacktest'),
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run(ctx, args) {
    const r = await ctx.services.bots.create(ctx.actor, args);
    return {
      text: [
        r.message,
        cardLines(r.card),
        r.card.tradingMode === 'live'
          ? `Nothing trades yet. Its approval is typed at the terminal, where you type its name back: npx mikey bot approve-live ${r.bot.shortId}`
          : `Nothing trades yet. To approve this card and start it: start-bot with botId ${r.bot.shortId} and approve: true.`,
      ].join('\n'),
      data: { bot: r.bot, card: r.card, copiedFrom: r.copiedFrom } as never,
    };
  },
});
