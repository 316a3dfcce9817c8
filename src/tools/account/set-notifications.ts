import { z } from 'zod';
import { getNotificationPreferences, setNotificationPreference } from '../../services/notification-preferences.js';
import { defineTool } from '../../mcp/tool.js';
import { invalidInput } from '../../services/errors.js';
import { tableBlock } from '../format.js';

const KINDS = ['alert', 'fill', 'stop', 'take_profit', 'liquidation', 'risk', 'report', 'whale'] as const;

export const setNotifications = defineTool({
  name: 'set-notifications',
  title: 'Set notifications',
  description:
    'How each kind of push reaches you in Telegram/Discord: on (normal), silent (no sound), or off. Kinds: alert, fill, stop, take_profit, liquidation, risk, report, whale (a watched wallet moved). ' +
    'Without arguments it shows the current settings. Example: {"kind":"fill","mode":"silent"}.',
  permission: 'read:portfolio',
  input: {
    kind: z.enum(KINDS).optional().describe(`Which pushes: ${KINDS.join(', ')}`),
    mode: z.enum(['on', 'silent', 'off']).optional().describe('on, silent or off'),
  },
  output: { preferences: z.record(z.string()).describe('Mode per kind') },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run(ctx, args) {
    if (args.kind && args.mode) await setNotificationPreference(ctx.services.db, ctx.actor, args.kind, args.mode);
    else if (args.kind || args.mode) {
      throw invalidInput('give both kind and mode, or neither to see the settings', 'e.g. {"kind":"fill","mode":"silent"}');
    }
    const prefs = await getNotificationPreferences(ctx.services.db, ctx.actor.userId);
    return { text: tableBlock(['push', 'mode'], Object.entries(prefs).map(([k, m]) => [k, m])), data: { preferences: prefs } };
  },
});
