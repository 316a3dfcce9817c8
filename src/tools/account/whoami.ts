import { z } from 'zod';
import { listIdentities } from '../../services/link-codes.js';
import { getUser } from '../../services/users.js';
import { defineTool, READ_ONLY } from '../../mcp/tool.js';

export const whoami = defineTool({
  name: 'whoami',
  title: 'Who am I',
  description:
    'Shows the MIKEY user this session acts as: username, role, linked Telegram/Discord identities, and the permissions of the API key in use (over HTTP). Use it to check which account trades will affect before trading.',
  permission: null,
  input: {},
  output: {
    userId: z.string().describe('MIKEY user id'),
    username: z.string().nullable().describe('Username'),
    role: z.string().describe('admin, trader or viewer'),
    surface: z.string().describe('How this session is connected (mcp-stdio, mcp-http, telegram, …)'),
    permissions: z.array(z.string()).describe('Permissions of this session'),
    linkedIdentities: z.array(z.object({ platform: z.string(), username: z.string().nullable() })).describe('Linked chat identities'),
  },
  annotations: READ_ONLY,
  async run(ctx) {
    const user = await getUser(ctx.services.db, ctx.actor.userId);
    const ids = await listIdentities(ctx.services.db, user.id);
    const permissions = ctx.permissions === 'all' ? ['all (local owner)'] : [...ctx.permissions];
    const linked = ids.map((i) => ({ platform: i.platform, username: i.username ?? null }));
    return {
      text: `You are ${user.username ?? user.id} (${user.role}) via ${ctx.actor.surface}. Permissions: ${permissions.join(', ')}.${linked.length ? ` Linked: ${linked.map((l) => `${l.platform}${l.username ? ` @${l.username}` : ''}`).join(', ')}.` : ''}`,
      data: { userId: user.id, username: user.username ?? null, role: user.role, surface: ctx.actor.surface, permissions, linkedIdentities: linked },
    };
  },
});
