import { z } from 'zod';
import { defineTool, READ_ONLY } from '../../mcp/tool.js';
import { getShadowShape } from '../../services/trading/schemas.js';
import { renderShadow } from '../../format/shadow.js';

export const getShadow = defineTool({
  name: 'get-shadow',
  title: 'Live against paper shadow',
  description:
    'How a LIVE portfolio did against its paper shadow (a paper twin that receives the same orders): slippage in basis points, fees, missed or partial fills, order by order. Example: {} (your only live portfolio) or {"portfolioId":"3f9a1c2e"}.',
  permission: 'read:portfolio',
  input: getShadowShape,
  output: {
    livePortfolioId: z.string().describe('The live portfolio'),
    shadowPortfolioId: z.string().describe('Its paper shadow'),
    totals: z.object({}).passthrough().describe('Orders compared, missed or partial fills, average slippage (bps), fees live and paper'),
    pairs: z.array(z.object({}).passthrough()).describe('Each live order beside its shadow twin'),
  },
  annotations: READ_ONLY,
  async run(ctx, args) {
    const r = await ctx.services.trading.getShadow(ctx.actor, args);
    const { portfolioName: _name, ...data } = r;
    return { text: renderShadow(r.portfolioName, r), data: data as never };
  },
});
