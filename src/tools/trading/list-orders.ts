import { z } from 'zod';
import { defineTool, READ_ONLY } from '../../mcp/tool.js';
import { listOrdersShape } from '../../services/trading/schemas.js';
import { ordersTable } from '../format.js';

export const listOrders = defineTool({
  name: 'list-orders',
  title: 'List orders',
  description: 'Your orders, newest first: open ones by default, or filled, cancelled, or all; optionally for one symbol or portfolio. Example: {"status":"open"}.',
  permission: 'read:portfolio',
  input: listOrdersShape,
  output: {
    portfolioId: z.string().describe('Portfolio listed'),
    orders: z.array(z.object({ id: z.string(), symbol: z.string(), status: z.string() }).passthrough()).describe('Orders'),
  },
  annotations: READ_ONLY,
  async run(ctx, args) {
    const r = await ctx.services.trading.getOrders(ctx.actor, args);
    return { text: `${r.orders.length} ${args.status === 'all' ? '' : args.status + ' '}order(s):\n${ordersTable(r.orders)}`, data: r as never };
  },
});
