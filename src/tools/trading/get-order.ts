import { z } from 'zod';
import { defineTool, READ_ONLY } from '../../mcp/tool.js';
import { getOrderShape } from '../../services/trading/schemas.js';
import { orderLine, tradesTable } from '../format.js';

export const getOrder = defineTool({
  name: 'get-order',
  title: 'Get order',
  description: 'One of your orders with its fills and (for TWAP/VWAP or attached exits) its child orders. Another user\'s order id is "not found". Example: {"orderId":"…"}.',
  permission: 'read:portfolio',
  input: getOrderShape,
  output: {
    order: z.object({ id: z.string(), status: z.string() }).passthrough().describe('The order'),
    fills: z.array(z.object({}).passthrough()).describe('Its fills'),
    children: z.array(z.object({}).passthrough()).describe('Child orders'),
  },
  annotations: READ_ONLY,
  async run(ctx, args) {
    const r = await ctx.services.trading.getOrder(ctx.actor, args.orderId);
    const text = [orderLine(r.order), r.fills.length ? tradesTable(r.fills) : 'No fills.', ...(r.children.length ? [`${r.children.length} child order(s).`] : [])].join('\n');
    return { text, data: r as never };
  },
});
