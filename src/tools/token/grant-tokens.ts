// grant-tokens (admin): moves tokens from the treasury to a user's balance; refused when the treasury
// holds less. Audited with its reason.
import { z } from 'zod';
import { defineTool } from '../../mcp/tool.js';
import { grantShape } from '../../services/token/schemas.js';
import { grouped } from '../format.js';

export const grantTokens = defineTool({
  name: 'grant-tokens',
  title: 'Grant platform tokens (admin)',
  description: 'Admin only: moves platform tokens from the treasury to a user\'s balance (by user id, username or email), with an optional reason kept in the audit trail. Example: {"user":"alice","amount":"500","reason":"contest prize"}.',
  permission: 'admin',
  input: grantShape,
  output: { token: z.string(), amount: z.string(), user: z.string(), treasury: z.string().describe('Treasury after the grant'), transfer: z.string() },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run(ctx, args) {
    const g = await ctx.services.tokens.grant(ctx.actor, args);
    return { text: `Granted ${grouped(g.amount)} ${g.token} to ${g.user}; the treasury holds ${grouped(g.treasury)} ${g.token}.`, data: g };
  },
});
