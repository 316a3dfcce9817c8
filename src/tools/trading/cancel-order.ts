import { defineTool } from '../../mcp/tool.js';
import { cancelOrderShape } from '../../services/trading/schemas.js';
import { z } from 'zod';
import { orderLine } from '../format.js';

export const cancelOrder = defineTool({
  name: 'cancel-order',
  title: 'Cancel order',
  description:
    'Cancels one of your open orders (and releases its reserved funds). A partially filled order keeps its fills. Cancelling an order that is already done changes nothing. Example: {"orderId":"…"}.',
  permission: 'write:orders',
  input: cancelOrderShape,
  output: {
    order: z.object({ id: z.string(), status: z.string() }).passthrough().describe('The order after cancelling'),
    fills: z.array(z.object({}).passthrough()).describe('Fills it had'),
    message: z.string().describe('What happened'),
  },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  async run(ctx, args) {
    const r = await ctx.services.trading.cancelOrder(ctx.actor, args.orderId);
    return { text: `${r.message}\n${orderLine(r.order)}`, data: r as never };
  },
});
