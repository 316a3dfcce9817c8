import { z } from 'zod';
import { defineTool, READ_ONLY } from '../../mcp/tool.js';
import { getPositionsShape } from '../../services/portfolio/schemas.js';
import { openPositionInsights } from '../../services/portfolio/position-insights.js';
import { positionsTable } from '../format.js';
import { positionInsightLines } from './position-insights-text.js';

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
    insights: z
      .array(
        z.object({
          positionId: z.string(),
          symbol: z.string(),
          signalWallet: z.object({ id: z.string(), shortAddress: z.string(), label: z.string().nullable() }).nullable(),
          walletCredibility4h: z.number().nullable(),
          currentBias: z.number().nullable(),
        }),
      )
      .optional()
      .describe('Open positions only: the whale whose move opened a position, its latest 4h credibility (0–10), and the asset\'s latest market bias (−1…1)'),
  },
  annotations: READ_ONLY,
  async run(ctx, args) {
    const r = await ctx.services.portfolio.getPositions(ctx.actor, args);
    if (args.status !== 'open' || r.positions.length === 0) return { text: positionsTable(r.positions), data: r as never };
    const shown = new Set(r.positions.map((p) => p.id));
    const insights = (await openPositionInsights(ctx.services.db, ctx.actor.userId, r.portfolioId)).filter((x) => shown.has(x.positionId));
    const lines = positionInsightLines(insights);
    const text = lines.length > 0 ? [positionsTable(r.positions), 'Whales and bias:', ...lines].join('\n') : positionsTable(r.positions);
    return { text, data: { ...r, insights } as never };
  },
});
