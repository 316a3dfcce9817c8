import { defineTool } from '../../mcp/tool.js';
import { isAppError, ErrorCode } from '../../services/errors.js';
import { placeOrderShape } from '../../services/trading/schemas.js';
import type { CardView } from '../../services/trading/rows.js';
import { cardText } from '../format.js';
import { orderContextShape, splitOrderContext } from './order-context.js';
import { explainConfirmation, placeResultOutput, placeResultText } from './order-output.js';

export const placeOrder = defineTool({
  name: 'place-order',
  title: 'Place order',
  description:
    'Places an order that moves money. It executes only with a valid confirmationToken from preview-order for exactly these arguments (server-enforced); ' +
    'without one it returns an error carrying the trade card and a fresh token — show the card to the person and call again with the token only after they agree. ' +
    'Paper portfolios whose owner enabled auto-confirm skip the token. Repeating a request with the same clientOrderId never places a second order. ' +
    'Pass reason (why: the person\'s request or your own reasoning) so explain-order can answer "why did you buy …?" later. ' +
    'Example: {"symbol":"SOL/USDT","side":"buy","quoteQuantity":"100","confirmationToken":"…","reason":"the person asked for $100 of SOL"}.',
  permission: 'write:orders',
  input: { ...placeOrderShape, ...orderContextShape },
  output: placeResultOutput,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  async run(ctx, all) {
    // The context is stored with the order; the order itself (and so its token) is the rest.
    const { order: args, context } = splitOrderContext(all);
    try {
      const r = await ctx.services.trading.placeOrder(ctx.actor, args, context);
      return { text: placeResultText(r), data: r as never };
    } catch (err) {
      // Where the client can ask its user (MCP elicitation), ask there; the token stays the rule.
      if (!args.confirmationToken && ctx.confirm && isAppError(err) && err.code === ErrorCode.confirmationRequired && err.details) {
        const d = err.details as { card?: CardView; confirmationToken?: string };
        if (d.card && d.confirmationToken) {
          const answer = await ctx.confirm(`Confirm this order?\n${cardText(d.card)}`).catch(() => undefined);
          if (answer === 'accept') {
            const r = await ctx.services.trading.placeOrder(ctx.actor, { ...args, confirmationToken: d.confirmationToken }, context);
            return { text: placeResultText(r), data: r as never };
          }
        }
      }
      return explainConfirmation(err, 'place-order');
    }
  },
});
