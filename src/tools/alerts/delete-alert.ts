import { defineTool, untrusted } from '../../mcp/tool.js';
import { idOrPrefixField } from '../../services/id-prefix.js';
import { alertRuleOutput } from './create-alert.js';

export const deleteAlert = defineTool({
  name: 'delete-alert',
  title: 'Delete alert',
  description: 'Deletes one of your alerts; it stops firing. Another user\'s alert id is "not found". The id may be shortened to its first characters as list-alerts shows them. Example: {"alertId":"5aa9af53"}.',
  permission: 'write:alerts',
  input: { alertId: idOrPrefixField('alert', 'list-alerts') },
  output: alertRuleOutput,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  async run(ctx, args) {
    const r = await ctx.services.alerts.deleteAlert(ctx.actor, args.alertId);
    return { text: `Deleted alert ${untrusted('alert title', r.title)}.`, data: r };
  },
});
