// get-token-balance: the caller's platform-token holdings — available, staked, rewards to claim — and
// each active stake with when it unlocks. Read-only.
import { z } from 'zod';
import { defineTool, READ_ONLY } from '../../mcp/tool.js';
import { balanceText } from './format.js';

export const getTokenBalance = defineTool({
  name: 'get-token-balance',
  title: 'Get platform-token balance',
  description:
    'Your platform-token holdings: available balance, staked, rewards waiting to be claimed, lifetime rewards, and each active stake (pool, amount, unlock date). ' +
    'The token is off-chain and never convertible to exchange funds. Example: {}.',
  permission: 'read:portfolio',
  input: {},
  output: {
    token: z.string().describe('Token symbol'),
    balance: z.string().describe('Available to stake'),
    staked: z.string().describe('Locked in stakes'),
    claimable: z.string().describe('Rewards waiting for claim-rewards'),
    lifetimeRewards: z.string().describe('Every reward ever credited'),
    stakes: z.array(z.object({ id: z.string(), pool: z.string(), amount: z.string() }).passthrough()).describe('Active stakes, newest first'),
  },
  annotations: READ_ONLY,
  async run(ctx) {
    const b = await ctx.services.tokens.balance(ctx.actor);
    return { text: balanceText(b), data: b as never };
  },
});
