// leave-leaderboard: takes the caller off the leaderboard of the group or server the message came from.
import { z } from 'zod';
import { defineTool } from '../../mcp/tool.js';

export const leaveLeaderboard = defineTool({
  name: 'leave-leaderboard',
  title: 'Leave the community leaderboard',
  description: 'In a Telegram group or Discord server: takes you off its leaderboard (nothing else changes). Example: {}.',
  permission: 'read:portfolio',
  input: {},
  output: { community: z.string().describe('platform:id of the community') },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run(ctx) {
    const r = await ctx.services.community.leaveLeaderboard(ctx.actor, ctx.community);
    return { text: 'You left this community\'s leaderboard. "/leaderboard join" puts you back.', data: r };
  },
});
