import { defineTool } from '../../mcp/tool.js';
import { closePositionShape } from '../../services/trading/schemas.js';
import { orderContextShape, splitOrderContext } from './order-context.js';
import { explainConfirmation, placeResultOutput, placeResultText } from './order-output.js';

export const closePosition = defineTool({
  name: 'close-position',
  title: 'Close position',
  description:
    'Closes all or part of one position at market (fraction "0.5" = half; never more than held, rounded down to the step). Needs the same confirmation as an order: ' +
    'without a token it returns the card and a token. Example: {"symbol":"ETH/USDT","fraction":"0.5"}.',
  permission: 'write:orders',
  input: { ...closePositionShape, ...orderContextShape },
  output: placeResultOutput,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  async run(ctx, args) {
    try {
      // The context is stored with the close order; the close itself (and so its token) is the rest.
      const { order, context } = splitOrderContext(args);
      const r = await ctx.services.trading.closePosition(ctx.actor, order, context);
      return { text: placeResultText(r), data: r as never };
    } catch (err) {
      return explainConfirmation(err, 'close-position');
    }
  },
});
