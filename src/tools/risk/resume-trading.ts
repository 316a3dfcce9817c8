import { defineTool } from '../../mcp/tool.js';
import { resumeTradingShape } from '../../services/risk/schemas.js';
import { haltOutput } from './halt-trading.js';

export const resumeTrading = defineTool({
  name: 'resume-trading',
  title: 'Resume trading',
  description: 'Lifts the kill switch on one portfolio, or the account-wide one when no portfolioId is given. Example: {}.',
  permission: 'write:orders',
  input: resumeTradingShape,
  output: haltOutput,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run(ctx, args) {
    const r = await ctx.services.risk.resumeTrading(ctx.actor, args);
    return { text: `Trading resumed ${r.portfolioId ? 'on this portfolio' : 'on your accounts'}.`, data: r };
  },
});
