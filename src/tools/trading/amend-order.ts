import { z } from 'zod';
import { defineTool } from '../../mcp/tool.js';
import { amendOrderShape } from '../../services/trading/schemas.js';
import { orderLine } from '../format.js';

export const amendOrder = defineTool({
  name: 'amend-order',
  title: 'Amend order',
  description:
    'Changes the limit price, trigger price or (down only) the quantity of one of your resting orders. Risk checks run again. Example: {"orderId":"…","price":"142.5"}.',
  permission: 'write:orders',
  input: amendOrderShape,
  output: {
    order: z.object({ id: z.string(), status: z.string() }).passthrough().describe('The order after the change'),
    message: z.string().describe('What changed'),
  },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  async run(ctx, args) {
    const { orderId, ...changes } = args;
    const r = await ctx.services.trading.amendOrder(ctx.actor, orderId, changes);
    return { text: `${r.message}\n${orderLine(r.order)}`, data: r as never };
  },
});
