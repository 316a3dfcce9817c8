// unstake-tokens: ends one of the caller's stakes. After the lock-up the principal returns whole;
// before it only where the pool allows, less its penalty (kept by the treasury) — the text says which.
import { z } from 'zod';
import { defineTool } from '../../mcp/tool.js';
import { unstakeShape } from '../../services/token/schemas.js';
import { grouped } from '../format.js';

export const unstakeTokens = defineTool({
  name: 'unstake-tokens',
  title: 'Unstake platform tokens',
  description:
    'Ends one of your stakes (its id or first characters; get-token-balance lists them) and returns the principal to your balance. ' +
    'Before the lock-up ends this works only in pools that allow early exit, and the pool\'s penalty share is kept. Example: {"stake":"3f2a9c1e"}.',
  permission: 'write:orders',
  input: unstakeShape,
  output: { unstake: z.object({ id: z.string(), returned: z.string(), penalty: z.string(), early: z.boolean() }).passthrough().describe('The ended stake and what came back') },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  async run(ctx, args) {
    const u = await ctx.services.tokens.unstake(ctx.actor, args);
    const token = ctx.services.tokens.token;
    const penalty = u.early ? ` Early exit: ${grouped(u.penalty)} ${token} penalty kept by the treasury.` : '';
    return { text: `Unstaked ${grouped(u.amount)} ${token} from pool "${u.pool}" (stake ${u.id}): ${grouped(u.returned)} ${token} back in your balance.${penalty}`, data: { unstake: u } as never };
  },
});
