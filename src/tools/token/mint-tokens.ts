// mint-tokens (admin): adds tokens to the supply and the treasury. The only operation that changes
// total supply; audited.
import { z } from 'zod';
import { defineTool } from '../../mcp/tool.js';
import { mintShape } from '../../services/token/schemas.js';
import { grouped } from '../format.js';

export const mintTokens = defineTool({
  name: 'mint-tokens',
  title: 'Mint platform tokens (admin)',
  description: 'Admin only: mints platform tokens into the treasury (total supply grows by the same amount; audited). Grants and rewards are paid from the treasury. Example: {"amount":"1000000"}.',
  permission: 'admin',
  input: mintShape,
  output: { token: z.string(), amount: z.string(), totalSupply: z.string().describe('Supply after the mint'), treasury: z.string().describe('Treasury after the mint'), transfer: z.string() },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run(ctx, args) {
    const m = await ctx.services.tokens.mint(ctx.actor, args);
    return { text: `Minted ${grouped(m.amount)} ${m.token}: total supply ${grouped(m.totalSupply)}, treasury ${grouped(m.treasury)}.`, data: m };
  },
});
