import { z } from 'zod';
import { defineTool, READ_ONLY, untrusted } from '../../mcp/tool.js';
import { tableBlock } from '../format.js';

export const listAlerts = defineTool({
  name: 'list-alerts',
  title: 'List alerts',
  description: 'Your alerts (active by default, or all) and, with includeFired, the recent firings. Titles are user-written text. Example: {"includeFired":true}.',
  permission: 'read:portfolio',
  input: {
    status: z.enum(['active', 'all']).default('active').describe('active (default) or all'),
    includeFired: z.boolean().default(false).describe('Also list recent firings'),
  },
  output: {
    rules: z.array(z.object({ id: z.string(), title: z.string(), status: z.string() }).passthrough()).describe('Alert rules'),
    fired: z.array(z.object({}).passthrough()).optional().describe('Recent firings'),
    untrustedFields: z.array(z.string()).describe('Fields holding user-written text'),
  },
  annotations: READ_ONLY,
  async run(ctx, args) {
    const r = await ctx.services.alerts.listAlerts(ctx.actor, { status: args.status, includeFired: args.includeFired });
    const lines = [
      r.rules.length
        ? tableBlock(['id', 'title', 'condition', 'mode', 'status', 'fired'], r.rules.map((a) => [a.id.slice(0, 8), untrusted('alert title', a.title), a.description, a.mode, a.status, String(a.triggerCount)]))
        : 'No alerts. Create one with create-alert.',
    ];
    if (r.fired?.length) lines.push('Recent firings:', ...r.fired.slice(0, 20).map((f) => `${f.createdAt.slice(0, 16).replace('T', ' ')} ${untrusted('alert message', f.title + ': ' + f.message)}`));
    return { text: lines.join('\n'), data: { ...r, untrustedFields: ['rules[].title', 'fired[].title', 'fired[].message'] } as never };
  },
});
