// create-staking-pool (admin): opens a staking pool with its rate, lock-up, minimum, capacity and
// early-exit rule. Audited.
import { z } from 'zod';
import { defineTool } from '../../mcp/tool.js';
import { createPoolShape } from '../../services/token/schemas.js';
import { poolsTable } from './format.js';

export const createStakingPool = defineTool({
  name: 'create-staking-pool',
  title: 'Create a staking pool (admin)',
  description:
    'Admin only: opens a platform-token staking pool. apr is a yearly fraction (0.12 = 12 %), paid daily; lockDays 0 = flexible; earlyUnstakePenalty (0–1) allows exit before the lock-up ends at that cost (omit to forbid); capacity caps the pool. ' +
    'Example: {"name":"90-day","apr":"0.12","lockDays":90,"minStake":"100","earlyUnstakePenalty":"0.1"}.',
  permission: 'admin',
  input: createPoolShape,
  output: { pool: z.object({ id: z.string(), name: z.string(), apr: z.string() }).passthrough().describe('The new pool') },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run(ctx, args) {
    const pool = await ctx.services.tokens.createPool(ctx.actor, args);
    return { text: [`Pool "${pool.name}" is open for ${pool.token} stakes:`, poolsTable([pool])].join('\n'), data: { pool } as never };
  },
});
