import { z } from 'zod';
import { defineTool, untrusted } from '../../mcp/tool.js';
import { haltTradingShape } from '../../services/risk/schemas.js';

export const haltOutput = {
  portfolioId: z.string().nullable().describe('Portfolio (null = every account of yours)'),
  halted: z.boolean().describe('Whether trading is now halted'),
  reason: z.string().nullable().describe('Why (user-written text)'),
  cancelledOrders: z.number().describe('Opening orders cancelled'),
};

export const haltTrading = defineTool({
  name: 'halt-trading',
  title: 'Halt trading (kill switch)',
  description:
    'The kill switch: stops new opening orders on one portfolio, or on every account of yours when no portfolioId is given, and cancels resting opening orders. Closing and reducing stay possible. Example: {"reason":"too volatile"}.',
  permission: 'write:orders',
  input: haltTradingShape,
  output: haltOutput,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  async run(ctx, args) {
    const r = await ctx.services.risk.haltTrading(ctx.actor, args);
    return { text: `Trading halted ${r.portfolioId ? 'on this portfolio' : 'on all your accounts'}${r.reason ? ` (reason: ${untrusted('halt reason', r.reason)})` : ''}; ${r.cancelledOrders} opening order(s) cancelled. Closing positions is still allowed.`, data: r };
  },
});
