import { z } from 'zod';
import { defineTool } from '../../mcp/tool.js';
import { createPaperPortfolioShape } from '../../services/portfolio/schemas.js';
import { grouped } from '../format.js';

export const createPaperPortfolio = defineTool({
  name: 'create-paper-portfolio',
  title: 'Create paper portfolio',
  description:
    'Creates a new paper (simulated money) portfolio with starting cash, e.g. to test a strategy apart from your main one. autoConfirm lets orders on it execute without the confirmation step (paper only). ' +
    'Example: {"name":"Scalping test","startingCash":"5000"}.',
  permission: 'write:orders',
  input: createPaperPortfolioShape,
  output: { id: z.string().describe('New portfolio id'), name: z.string().describe('Name'), mode: z.string().describe('paper'), initialCapital: z.string().describe('Starting cash') },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run(ctx, args) {
    const p = await ctx.services.portfolio.createPortfolio(ctx.actor, args);
    return { text: `Created paper portfolio "${p.name}" with ${grouped(p.initialCapital, 2)} ${p.baseCurrency} (id ${p.id}).${p.autoConfirm ? ' Orders on it auto-confirm.' : ''}`, data: p };
  },
});
