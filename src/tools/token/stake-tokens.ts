// stake-tokens: moves platform tokens from the caller's balance into a staking pool, where they earn
// the pool's yield daily until unstaked. Changes only the caller's token holdings (never funds), but
// it does lock them, so it needs a key that may act for the user (write:orders — the permission for
// moving what the user holds; there is no narrower one).
import { z } from 'zod';
import { defineTool } from '../../mcp/tool.js';
import { stakeShape } from '../../services/token/schemas.js';
import { grouped } from '../format.js';

export const stakeTokens = defineTool({
  name: 'stake-tokens',
  title: 'Stake platform tokens',
  description:
    'Stakes platform tokens from your balance into a pool (by name or id prefix; list-staking-pools shows them). They earn the pool\'s APR daily as rewards; a pool with a lock-up returns them after it ends (or earlier less its penalty, where allowed). ' +
    'Example: {"pool":"flex","amount":"100"}.',
  permission: 'write:orders',
  input: stakeShape,
  output: { stake: z.object({ id: z.string(), pool: z.string(), amount: z.string(), unlocksAt: z.string().nullable() }).passthrough().describe('The new stake') },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run(ctx, args) {
    const stake = await ctx.services.tokens.stake(ctx.actor, args);
    const token = ctx.services.tokens.token;
    const unlock = stake.unlocksAt === null ? 'You can unstake it any time.' : `It unlocks on ${stake.unlocksAt.slice(0, 16).replace('T', ' ')} UTC.`;
    return { text: `Staked ${grouped(stake.amount)} ${token} in pool "${stake.pool}" (stake ${stake.id}). ${unlock} Yield is credited daily; claim-rewards moves it to your balance.`, data: { stake } as never };
  },
});
