// MCP transports and identity: in-process, Streamable HTTP with API keys, permissions, rate limits
// and per-key session isolation.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeys } from '../../src/db/schema/index.js';
import { connectInProcess } from '../../src/mcp/in-process.js';
import { KEY_CACHE_MS, startMcpHttpServer, type McpHttpServer } from '../../src/mcp/http.js';
import { actorFor } from '../../src/services/actor.js';
import { createApiKey, revokeApiKey, type Permission } from '../../src/services/api-keys.js';
import { createUser, type User } from '../../src/services/users.js';
import { CATALOGUE } from '../../src/tools/index.js';
import { createTestApp, type TestApp } from '../support/app.js';

let app: TestApp;
let http: McpHttpServer;
let alice: User;
let bob: User;

async function key(user: User, permissions: Permission[], rate = 1000, expiresInMs: number | null = null, at?: Date): Promise<string> {
  return (await createApiKey(app.database.db, actorFor(user.id, 'cli'), { userId: user.id, permissions, ratePerMinute: rate, expiresInMs }, at)).key;
}

async function httpClient(apiKey: string): Promise<Client> {
  const client = new Client({ name: 'test', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(http.url), { requestInit: { headers: { authorization: `Bearer ${apiKey}` } } }));
  return client;
}

beforeAll(async () => {
  app = await createTestApp();
  alice = await createUser(app.database.db, { username: 'alice' });
  bob = await createUser(app.database.db, { username: 'bob' });
  http = await startMcpHttpServer(app.services, CATALOGUE, { host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await http?.close();
  await app?.close();
});

describe('MCP in process', () => {
  it('lists tools with titles, schemas and annotations, and answers whoami for the bound identity', async () => {
    const { client, close } = await connectInProcess(app.services, { actor: { userId: alice.id, surface: 'mcp-stdio' }, permissions: 'all' }, CATALOGUE);
    const { tools } = await client.listTools();
    for (const t of tools) {
      expect(t.title ?? t.annotations?.title, `${t.name} has a title`).toBeTruthy();
      expect(t.description!.length, `${t.name} has a description for a model`).toBeGreaterThan(40);
      expect(t.annotations?.readOnlyHint, `${t.name} declares readOnlyHint`).toBeTypeOf('boolean');
      expect(t.annotations?.openWorldHint, `${t.name} declares openWorldHint`).toBeTypeOf('boolean');
      for (const [field, schema] of Object.entries((t.inputSchema.properties ?? {}) as Record<string, { description?: string }>)) {
        expect(schema.description, `${t.name}.${field} is described`).toBeTruthy();
      }
    }
    const r = await client.callTool({ name: 'whoami', arguments: {} });
    expect(r.isError).toBeFalsy();
    expect((r.structuredContent as { username: string }).username).toBe('alice');
    await close();
  });

  it('offers the prompts', async () => {
    const { client, close } = await connectInProcess(app.services, { actor: { userId: alice.id, surface: 'mcp-stdio' }, permissions: 'all' }, CATALOGUE);
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name).sort()).toEqual(['analyze-symbol', 'daily-briefing', 'review-risk']);
    const p = await client.getPrompt({ name: 'analyze-symbol', arguments: { symbol: 'SOL/USDT', timeframe: '1h' } });
    expect(JSON.stringify(p.messages)).toContain('SOL/USDT');
    await close();
  });
});

describe('MCP over Streamable HTTP', () => {
  it('refuses a request without a key, with 401 and how to get one', async () => {
    const r = await fetch(http.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toMatch(/Bearer/);
    expect(await r.text()).toMatch(/mikey apikey create/);
  });

  it('acts as the key\'s user, never as an argument says, and records usage', async () => {
    const k = await key(alice, ['read:market']);
    const client = await httpClient(k);
    const r = await client.callTool({ name: 'whoami', arguments: { userId: bob.id } });
    expect((r.structuredContent as { userId: string }).userId, 'identity comes from the key').toBe(alice.id);
    expect((r.structuredContent as { permissions: string[] }).permissions).toEqual(['read:market']);
    await client.close();
    await http.flushUsage();
    const rows = await app.database.db.select().from(apiKeys).where(eq(apiKeys.userId, alice.id));
    expect(rows.some((row) => Number(row.totalRequests) >= 2 && row.lastUsedAt), 'usage recorded on the key').toBe(true);
  });

  it('refuses expired and revoked keys', async () => {
    const expired = await key(alice, ['read:market'], 100, 1000, new Date(Date.now() - 60_000));
    await expect(httpClient(expired)).rejects.toThrow(/expired/i);
    const k = await key(alice, ['read:market']);
    const client = await httpClient(k);
    const row = (await app.database.db.select().from(apiKeys).where(eq(apiKeys.userId, alice.id))).at(-1)!;
    const all = await app.database.db.select().from(apiKeys);
    const mine = all.find((x) => x.keyPrefix === k.split('_').slice(0, 3).join('_')) ?? row;
    await revokeApiKey(app.database.db, actorFor(alice.id, 'cli'), mine.id);
    // A verified key is trusted for KEY_CACHE_MS; past that the revocation holds.
    await new Promise((r) => setTimeout(r, KEY_CACHE_MS + 100));
    await expect(client.callTool({ name: 'whoami', arguments: {} })).rejects.toThrow(/revoked|401/i);
  });

  it('answers 429 with Retry-After once the per-minute rate is used up', async () => {
    const k = await key(bob, ['read:market'], 5);
    const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 8; i++) {
      const r = await fetch(http.url, {
        method: 'POST',
        headers: { authorization: `Bearer ${k}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify(init),
      });
      statuses.push(r.status);
      if (r.status === 429) retryAfter = r.headers.get('retry-after');
      await r.body?.cancel();
    }
    expect(statuses.slice(0, 5).every((s) => s === 200), `first five allowed: ${statuses.join(',')}`).toBe(true);
    expect(statuses.slice(5), 'the rest refused').toEqual([429, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  });

  it('holds the rate limit under concurrent load', async () => {
    const k = await key(bob, ['read:market'], 20);
    const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
    const results = await Promise.all(
      Array.from({ length: 60 }, async () => {
        const r = await fetch(http.url, {
          method: 'POST',
          headers: { authorization: `Bearer ${k}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
          body: JSON.stringify(init),
        });
        await r.body?.cancel();
        return r.status;
      }),
    );
    expect(results.filter((s) => s === 200).length, 'exactly the burst of 20 got through').toBe(20);
    expect(results.filter((s) => s === 429).length).toBe(40);
  });

  it('isolates sessions per key: another key cannot use my session id', async () => {
    const ka = await key(alice, ['read:market']);
    const kb = await key(bob, ['read:market']);
    const transport = new StreamableHTTPClientTransport(new URL(http.url), { requestInit: { headers: { authorization: `Bearer ${ka}` } } });
    const client = new Client({ name: 'a', version: '1' });
    await client.connect(transport);
    const sessionId = transport.sessionId!;
    const r = await fetch(http.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${kb}`, 'mcp-session-id': sessionId, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'whoami', arguments: {} } }),
    });
    expect(r.status, 'a foreign session id is not found').toBe(404);
    await client.close();
  });

  it('rejects malformed bodies without a crash', async () => {
    const k = await key(alice, ['read:market']);
    const r = await fetch(http.url, { method: 'POST', headers: { authorization: `Bearer ${k}`, 'content-type': 'application/json' }, body: '{not json' });
    expect(r.status).toBe(400);
    const big = await fetch(http.url, { method: 'POST', headers: { authorization: `Bearer ${k}`, 'content-type': 'application/json' }, body: 'x'.repeat(1_100_000) });
    expect(big.status).toBe(413);
  });
});
