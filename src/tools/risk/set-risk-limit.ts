import { z } from 'zod';
import { defineTool } from '../../mcp/tool.js';
import { setRiskLimitShape } from '../../services/risk/schemas.js';

export const setRiskLimit = defineTool({
  name: 'set-risk-limit',
  title: 'Set risk limit',
  description:
    'Sets or replaces one risk limit, enforced before every order: daily_loss, position_size, symbol_notional (with symbol), leverage, max_open_positions, symbol_allow or symbol_deny (comma-separated symbols). ' +
    'Value "off" removes it. Example: {"type":"daily_loss","value":"200"}.',
  permission: 'write:orders',
  input: setRiskLimitShape,
  output: { type: z.string().describe('Limit type'), removed: z.boolean().optional().describe('True when the limit was removed') },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run(ctx, args) {
    const r = await ctx.services.risk.setRiskLimit(ctx.actor, args);
    const text = 'removed' in r ? `Removed the ${r.type} limit${r.symbol ? ` for ${r.symbol}` : ''}.` : `Set ${r.type}${r.symbol ? ` for ${r.symbol}` : ''} to ${r.value ?? r.symbols?.join(', ')} (${r.scope}).`;
    return { text, data: r };
  },
});
