import { z } from 'zod';
import { defineTool } from '../../mcp/tool.js';
import { previewOrderShape } from '../../services/trading/schemas.js';
import { cardText } from '../format.js';

export const previewOrder = defineTool({
  name: 'preview-order',
  title: 'Preview order (trade card)',
  description:
    'Builds the trade card for an order without placing it: notional, estimated fee, leverage, margin, liquidation price, share of equity, and every risk check; ' +
    'returns a confirmationToken bound to these exact parameters and the account (single use, expires in minutes). ' +
    'Always call this first, show the card to the person, and call place-order with the token only after they agree. Sizes and prices are decimal strings. ' +
    'Examples: {"symbol":"SOL/USDT","side":"buy","quoteQuantity":"100"}; {"symbol":"BTC-PERP","side":"sell","quantity":"0.01","leverage":"5","stopLoss":"72000"}.',
  permission: 'write:orders',
  input: previewOrderShape,
  output: {
    card: z.object({ symbol: z.string(), side: z.string(), notional: z.string(), allowed: z.boolean() }).passthrough().describe('The trade card'),
    confirmationToken: z.string().nullable().describe('Token for place-order; null when a risk check failed'),
    expiresAt: z.string().nullable().describe('When the token expires'),
    requiresConfirmation: z.boolean().describe('False when the paper portfolio auto-confirms'),
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run(ctx, args) {
    const r = await ctx.services.trading.previewOrder(ctx.actor, args);
    const text = [
      cardText(r.card),
      r.confirmationToken
        ? `To execute, call place-order with the same arguments and confirmationToken "${r.confirmationToken}" (valid until ${r.expiresAt}) once the person agrees.`
        : 'No confirmation token: fix the failed checks first.',
    ].join('\n');
    return { text, data: { card: r.card as never, confirmationToken: r.confirmationToken, expiresAt: r.expiresAt, requiresConfirmation: r.requiresConfirmation } };
  },
});
