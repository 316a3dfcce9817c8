import { z } from 'zod';
import { defineTool, READ_ONLY } from '../../mcp/tool.js';
import { listPortfoliosShape } from '../../services/portfolio/schemas.js';
import { grouped, tableBlock } from '../format.js';

export const listPortfolios = defineTool({
  name: 'list-portfolios',
  title: 'List portfolios',
  description: 'Your portfolios (accounts): name, paper or live, exchange, base currency, default, auto-confirm, halted. Use a portfolioId from here in other tools. Example: {}.',
  permission: 'read:portfolio',
  input: listPortfoliosShape,
  output: { portfolios: z.array(z.object({ id: z.string(), name: z.string(), mode: z.string() }).passthrough()).describe('Your portfolios') },
  annotations: READ_ONLY,
  async run(ctx) {
    const portfolios = await ctx.services.portfolio.listPortfolios(ctx.actor);
    const text = tableBlock(
      ['id', 'name', 'mode', 'exchange', 'capital', 'default', 'auto-confirm', 'halted'],
      portfolios.map((p) => [p.id.slice(0, 8), p.name, p.mode, p.exchange, `${grouped(p.initialCapital, 2)} ${p.baseCurrency}`, p.isDefault ? 'yes' : '', p.autoConfirm ? 'yes' : '', p.halted ? 'HALTED' : '']),
    );
    return { text, data: { portfolios } as never };
  },
});
