// `mikey mcp`: MCP over stdio for Claude Desktop / Claude Code on the trader's machine. The acting
// user is the local owner (or MIKEY_USER). stdout carries the protocol; logs go to stderr.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { App } from '../app.js';
import { CATALOGUE } from '../tools/index.js';
import { ensureLocalOwner } from '../services/users.js';
import { createMcpServer } from './server.js';

export async function runStdio(app: App): Promise<void> {
  const owner = await ensureLocalOwner(app.database.db, app.config.MIKEY_USER);
  const server = createMcpServer(app.services, { actor: { userId: owner.id, surface: 'mcp-stdio' }, permissions: 'all' }, CATALOGUE);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await server.connect(transport);
  app.logger.info('MIKEY MCP server on stdio', { user: owner.username });
  await closed;
  await server.close();
}
