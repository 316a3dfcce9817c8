import { z } from 'zod';
import { defineTool, READ_ONLY } from '../../mcp/tool.js';
import { getBalancesShape } from '../../services/portfolio/schemas.js';
import { grouped, tableBlock } from '../format.js';

export const getBalances = defineTool({
  name: 'get-balances',
  title: 'Get balances',
  description: 'Balances per asset in a portfolio: free, locked (reserved by open orders or margin), total and value in the base currency. Example: {}.',
  permission: 'read:portfolio',
  input: getBalancesShape,
  output: {
    portfolioId: z.string().describe('Portfolio id'),
    baseCurrency: z.string().describe('Valuation currency'),
    balances: z.array(z.object({ asset: z.string(), free: z.string(), locked: z.string(), total: z.string() }).passthrough()).describe('One row per asset'),
  },
  annotations: READ_ONLY,
  async run(ctx, args) {
    const r = await ctx.services.portfolio.getBalances(ctx.actor, args);
    const text = r.balances.length
      ? tableBlock(['asset', 'free', 'locked', 'total', `value ${r.baseCurrency}`], r.balances.map((b) => [b.asset, grouped(b.free), grouped(b.locked), grouped(b.total), grouped(b.value, 2)]))
      : 'No balances.';
    return { text, data: r as never };
  },
});
