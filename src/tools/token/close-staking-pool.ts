// close-staking-pool (admin): closes a pool to new stakes. Stakes already in it keep earning until
// their owners unstake. Audited.
import { z } from 'zod';
import { defineTool } from '../../mcp/tool.js';
import { poolShape } from '../../services/token/schemas.js';

export const closeStakingPool = defineTool({
  name: 'close-staking-pool',
  title: 'Close a staking pool (admin)',
  description: 'Admin only: closes a staking pool (name or id prefix) to new stakes; stakes already in it keep earning until their owners unstake. Example: {"pool":"flex"}.',
  permission: 'admin',
  input: poolShape,
  output: { pool: z.object({ id: z.string(), name: z.string(), active: z.boolean() }).passthrough().describe('The closed pool') },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  async run(ctx, args) {
    const pool = await ctx.services.tokens.closePool(ctx.actor, args);
    return { text: `Pool "${pool.name}" is closed to new stakes; its ${pool.totalStaked} ${pool.token} staked keep earning until unstaked.`, data: { pool } as never };
  },
});
