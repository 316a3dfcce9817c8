// list-staking-pools: the staking pools of the platform token — rate, lock-up, early-exit rule,
// minimum and room left — so a person can choose where to stake. Read-only.
import { z } from 'zod';
import { defineTool, READ_ONLY } from '../../mcp/tool.js';
import { poolsTable } from './format.js';

export const listStakingPools = defineTool({
  name: 'list-staking-pools',
  title: 'List staking pools',
  description:
    'The platform token\'s staking pools: APR, lock-up days, early-unstake penalty (or none allowed), minimum stake, staked so far and capacity. ' +
    'Closed pools are left out unless includeClosed is true. Example: {} or {"includeClosed":true}.',
  permission: 'read:market',
  input: { includeClosed: z.boolean().default(false).describe('Also list pools closed to new stakes (their stakes keep earning)') },
  output: { token: z.string().describe('Token symbol'), pools: z.array(z.object({ id: z.string(), name: z.string(), apr: z.string() }).passthrough()).describe('Pools by name') },
  annotations: READ_ONLY,
  async run(ctx, args) {
    const pools = await ctx.services.tokens.listPools(ctx.actor, { includeClosed: args.includeClosed });
    const token = ctx.services.tokens.token;
    const text =
      pools.length === 0
        ? `No ${args.includeClosed ? '' : 'open '}${token} staking pools yet. An admin opens one with create-staking-pool.`
        : [poolsTable(pools), `${pools.length} pool${pools.length === 1 ? '' : 's'}. APR is yearly; yield is paid daily into your rewards (claim-rewards moves it to your balance).`].join('\n');
    return { text, data: { token, pools } as never };
  },
});
