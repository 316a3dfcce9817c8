// get-token-history: the caller's platform-token ledger entries, newest first — grants, stakes,
// unstakes, rewards, claims — each with the account it moved. Read-only.
import { z } from 'zod';
import { defineTool, READ_ONLY } from '../../mcp/tool.js';
import { historyShape } from '../../services/token/schemas.js';
import { historyText } from './format.js';

export const getTokenHistory = defineTool({
  name: 'get-token-history',
  title: 'Get platform-token history',
  description: 'Your platform-token movements, newest first: grants, stakes, unstakes, rewards and claims, with the account each changed (balance, staked, claimable). Example: {"limit":20}.',
  permission: 'read:portfolio',
  input: historyShape,
  output: { token: z.string().describe('Token symbol'), entries: z.array(z.object({ at: z.string(), type: z.string(), account: z.string(), amount: z.string() }).passthrough()).describe('Ledger entries, newest first') },
  annotations: READ_ONLY,
  async run(ctx, args) {
    const entries = await ctx.services.tokens.history(ctx.actor, args);
    const token = ctx.services.tokens.token;
    return { text: historyText(token, entries), data: { token, entries } as never };
  },
});
