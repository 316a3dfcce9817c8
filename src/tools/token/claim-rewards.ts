// claim-rewards: moves every reward credited to the caller (staking yield, trading activity) into
// their spendable token balance.
import { z } from 'zod';
import { defineTool } from '../../mcp/tool.js';
import { grouped } from '../format.js';

export const claimRewards = defineTool({
  name: 'claim-rewards',
  title: 'Claim platform-token rewards',
  description:
    'Moves all your credited platform-token rewards (daily staking yield and trading-activity rewards) into your balance, where you can stake them. Example: {}.',
  permission: 'write:orders',
  input: {},
  output: { token: z.string().describe('Token symbol'), amount: z.string().describe('Tokens claimed'), balance: z.string().describe('Balance after the claim'), transfer: z.string().describe('Transfer id (short)') },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run(ctx) {
    const c = await ctx.services.tokens.claim(ctx.actor);
    return { text: `Claimed ${grouped(c.amount)} ${c.token} of rewards; your balance is now ${grouped(c.balance)} ${c.token}.`, data: c };
  },
});
