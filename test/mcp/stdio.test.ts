// MCP over stdio exactly as Claude Desktop runs it: spawn `mikey mcp` (the README's block) with a
// fresh data directory, list the tools, and trade on paper through the confirmation token.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let client: Client;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mikey-stdio-'));
  client = new Client({ name: 'claude-desktop-like', version: '1' });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [join(import.meta.dirname, '../../bin/mikey.js'), 'mcp'],
      env: { PATH: process.env.PATH ?? '', HOME: dir, MIKEY_DATA_DIR: dir, MIKEY_MARKET: 'sim', LOG_LEVEL: 'warn' },
      stderr: 'pipe',
    }),
  );
}, 120_000);
afterAll(async () => {
  await client?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('mikey mcp (stdio)', () => {
  it('acts as the local owner and lists every tool', async () => {
    const { tools } = await client.listTools();
    expect(tools.length).toBeGreaterThanOrEqual(36);
    const who = await client.callTool({ name: 'whoami', arguments: {} });
    expect((who.structuredContent as { username: string }).username).toBe('owner');
  });

  it('previews, confirms and fills a paper order', async () => {
    const args = { symbol: 'ETH/USDT', side: 'buy', quantity: '0.05' };
    const preview = await client.callTool({ name: 'preview-order', arguments: args });
    const token = (preview.structuredContent as { confirmationToken: string }).confirmationToken;
    const placed = await client.callTool({ name: 'place-order', arguments: { ...args, confirmationToken: token } });
    expect(placed.isError, JSON.stringify(placed.content)).toBeFalsy();
    expect((placed.structuredContent as { order: { status: string } }).order.status).toBe('filled');
  });
});
