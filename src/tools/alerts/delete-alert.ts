import { z } from 'zod';
import { defineTool, untrusted } from '../../mcp/tool.js';
import { alertRuleOutput } from './create-alert.js';

export const deleteAlert = defineTool({
  name: 'delete-alert',
  title: 'Delete alert',
  description: 'Deletes one of your alerts; it stops firing. Another user\'s alert id is "not found". Example: {"alertId":"…"}.',
  permission: 'write:alerts',
  input: { alertId: z.string().uuid('alertId must be an alert id (UUID); list-alerts shows yours').describe('Alert id') },
  output: alertRuleOutput,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  async run(ctx, args) {
    const r = await ctx.services.alerts.deleteAlert(ctx.actor, args.alertId);
    return { text: `Deleted alert ${untrusted('alert title', r.title)}.`, data: r };
  },
});
