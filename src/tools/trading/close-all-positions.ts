import { z } from 'zod';
import { defineTool } from '../../mcp/tool.js';
import { closeAllPositionsShape } from '../../services/trading/schemas.js';
import { orderContextShape, splitOrderContext } from './order-context.js';
import { explainConfirmation } from './order-output.js';

export const closeAllPositions = defineTool({
  name: 'close-all-positions',
  title: 'Close all positions (panic)',
  description:
    'Closes every open position of a portfolio at market and cancels its open orders. Needs confirmation like an order: without a token it returns the card and a token. Example: {}.',
  permission: 'write:orders',
  input: { ...closeAllPositionsShape, ...orderContextShape },
  output: {
    portfolioId: z.string().describe('Portfolio closed'),
    closed: z.array(z.object({}).passthrough()).describe('One result per closed position'),
    failed: z.array(z.object({ symbol: z.string(), error: z.string() })).describe('Positions that could not be closed, with why'),
    cancelledOrders: z.number().describe('Open orders cancelled'),
    message: z.string().describe('Summary'),
  },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  async run(ctx, args) {
    try {
      // The context is stored with the close order; the close itself (and so its token) is the rest.
      const { order, context } = splitOrderContext(args);
      const r = await ctx.services.trading.closeAllPositions(ctx.actor, order, context);
      const text = [r.message, ...r.closed.map((c) => `✓ ${c.message}`), ...r.failed.map((f) => `✗ ${f.symbol}: ${f.error}`)].join('\n');
      return { text, data: r as never };
    } catch (err) {
      return explainConfirmation(err, 'close-all-positions');
    }
  },
});
