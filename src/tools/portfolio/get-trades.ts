import { z } from 'zod';
import { defineTool, READ_ONLY } from '../../mcp/tool.js';
import { getTradesShape } from '../../services/trading/schemas.js';
import { tradesTable } from '../format.js';

export const getTrades = defineTool({
  name: 'get-trades',
  title: 'Get trades (fills)',
  description: 'Your fills, newest first, with price, fee and realised P&L; optionally for one symbol or since a date. Example: {"symbol":"BTC/USDT","limit":20}.',
  permission: 'read:portfolio',
  input: getTradesShape,
  output: {
    portfolioId: z.string().describe('Portfolio id'),
    trades: z.array(z.object({ id: z.string(), symbol: z.string(), price: z.string() }).passthrough()).describe('Fills'),
  },
  annotations: READ_ONLY,
  async run(ctx, args) {
    const r = await ctx.services.trading.getTrades(ctx.actor, args);
    return { text: tradesTable(r.trades), data: r as never };
  },
});
