import { z } from 'zod';
import { defineTool, READ_ONLY } from '../../mcp/tool.js';
import { getPositionsShape } from '../../services/portfolio/schemas.js';
import { positionsTable } from '../format.js';

export const getPositions = defineTool({
  name: 'get-positions',
  title: 'Get positions',
  description:
    'Your positions (open by default, or closed): side, size, entry, mark, unrealised P&L, leverage, margin, liquidation price, stop-loss and take-profits; closed ones with exit price, realised P&L, fees, funding, drawdown, holding time. Example: {"status":"open"}.',
  permission: 'read:portfolio',
  input: getPositionsShape,
  output: {
    portfolioId: z.string().describe('Portfolio id'),
    positions: z.array(z.object({ id: z.string(), symbol: z.string(), side: z.string(), quantity: z.string() }).passthrough()).describe('Positions'),
  },
  annotations: READ_ONLY,
  async run(ctx, args) {
    const r = await ctx.services.portfolio.getPositions(ctx.actor, args);
    return { text: positionsTable(r.positions), data: r as never };
  },
});
