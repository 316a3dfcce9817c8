import { z } from 'zod';
import { defineTool } from '../../mcp/tool.js';
import { setStopLossShape } from '../../services/trading/schemas.js';

const exitOutput = {
  position: z.object({ id: z.string(), symbol: z.string() }).passthrough().describe('The position'),
  exitOrders: z.array(z.object({}).passthrough()).describe('Its resting exit orders'),
  message: z.string().describe('What changed'),
};

export const setStopLoss = defineTool({
  name: 'set-stop-loss',
  title: 'Set stop-loss',
  description: 'Sets, moves or removes ("off") the stop-loss of an open position; it rests as a stop order sized to the position. Example: {"symbol":"SOL/USDT","price":"128"}.',
  permission: 'write:orders',
  input: setStopLossShape,
  output: exitOutput,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  async run(ctx, args) {
    const r = await ctx.services.trading.setStopLoss(ctx.actor, args);
    return { text: r.message, data: r as never };
  },
});

export { exitOutput };
