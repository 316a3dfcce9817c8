import { defineTool } from '../../mcp/tool.js';
import { setTakeProfitsShape } from '../../services/trading/schemas.js';
import { exitOutput } from './set-stop-loss.js';

export const setTakeProfits = defineTool({
  name: 'set-take-profits',
  title: 'Set take-profits',
  description:
    'Replaces the take-profit targets of an open position: each target closes a share of it at a price; when one fills the others resize to what remains. An empty list removes them. ' +
    'Example: {"symbol":"ETH/USDT","targets":[{"price":"3800","fraction":"0.5"},{"price":"4200","fraction":"0.5"}]}.',
  permission: 'write:orders',
  input: setTakeProfitsShape,
  output: exitOutput,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  async run(ctx, args) {
    const r = await ctx.services.trading.setTakeProfits(ctx.actor, args);
    return { text: r.message, data: r as never };
  },
});
