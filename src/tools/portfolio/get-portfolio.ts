import { z } from 'zod';
import { defineTool, READ_ONLY } from '../../mcp/tool.js';
import { getPortfolioShape } from '../../services/portfolio/schemas.js';
import { grouped, positionsTable, signed, SIMULATED_NOTE } from '../format.js';

export const getPortfolio = defineTool({
  name: 'get-portfolio',
  title: 'Get portfolio',
  description:
    'Your portfolio now: total value, cash (free/locked), positions value, realised and unrealised P&L, fees, open positions and orders; says whether it is paper or live and whether prices are simulated. Example: {}.',
  permission: 'read:portfolio',
  input: getPortfolioShape,
  output: {
    id: z.string().describe('Portfolio id'),
    name: z.string().describe('Portfolio name'),
    mode: z.string().describe('paper or live'),
    value: z.string().describe('Total value in the base currency'),
    cash: z.string().describe('Cash in the base currency'),
    unrealizedPnl: z.string().describe('Unrealised P&L'),
    realizedPnl: z.string().describe('Realised P&L'),
    positions: z.array(z.object({}).passthrough()).describe('Open positions'),
  },
  annotations: READ_ONLY,
  async run(ctx, args) {
    const p = await ctx.services.portfolio.getPortfolio(ctx.actor, args);
    const text = [
      `${p.mode === 'live' ? '🔴 LIVE' : '📝 PAPER'} "${p.name}": ${grouped(p.value, 2)} ${p.baseCurrency}${p.halted ? ' — TRADING HALTED' : ''}`,
      `Cash ${grouped(p.cash, 2)} (free ${grouped(p.cashFree, 2)}, locked ${grouped(p.cashLocked, 2)}) · positions ${grouped(p.positionsValue, 2)} · holdings ${grouped(p.holdingsValue, 2)}`,
      `P&L total ${signed(p.totalPnl)}${p.totalPnlPercent ? ` (${signed(p.totalPnlPercent)}%)` : ''} · unrealised ${signed(p.unrealizedPnl)} · realised ${signed(p.realizedPnl)} · fees ${grouped(p.fees, 2)}`,
      `${p.openPositions} open position(s), ${p.openOrders} open order(s)`,
      ...(p.positions.length ? [positionsTable(p.positions)] : []),
      ...(p.simulatedPrices ? [SIMULATED_NOTE] : []),
      ...(p.missingPrices.length ? [`No fresh price for ${p.missingPrices.join(', ')}: valued at entry.`] : []),
    ].join('\n');
    return { text, data: p as never };
  },
});
