import { z } from 'zod';
import { defineTool } from '../../mcp/tool.js';

export const setReportSchedule = defineTool({
  name: 'set-report-schedule',
  title: 'Set report schedule',
  description: 'Chooses which scheduled reports MIKEY pushes to your chats: off, 4h (every four hours), daily (default), or both. Example: {"schedule":"both"}.',
  permission: 'read:portfolio',
  input: { schedule: z.enum(['off', '4h', 'daily', 'both']).describe('off, 4h, daily or both') },
  output: { schedule: z.string().describe('The schedule now in force') },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run(ctx, args) {
    await ctx.services.reports.setSchedule(ctx.actor, args.schedule);
    const words = { off: 'No scheduled reports.', '4h': 'A report every 4 hours.', daily: 'A daily report.', both: 'A report every 4 hours and a daily one.' } as const;
    return { text: words[args.schedule], data: { schedule: args.schedule } };
  },
});
