// Unauthenticated floods stop before the database: a burst of wrong keys from one address gets at
// most AUTH_FAILURES_PER_MINUTE key lookups a minute, then 429 with Retry-After and no lookup at all;
// keys that are not even shaped like MIKEY keys never reach the database; another address and a
// real user's key keep working.
import { request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/client.js';
import { AUTH_FAILURES_PER_MINUTE, KEY_CACHE_MS, startMcpHttpServer, type McpHttpServer } from '../../src/mcp/http.js';
import { actorFor } from '../../src/services/actor.js';
import { createApiKey } from '../../src/services/api-keys.js';
import { createUser } from '../../src/services/users.js';
import { CATALOGUE } from '../../src/tools/index.js';
import { createTestApp, type TestApp } from '../support/app.js';

// A clock the test moves: past the key cache, well inside the failure window.
let nowMs = Date.parse('2026-03-02T10:00:00Z');
const clock = { now: () => new Date(nowMs) };

let app: TestApp;
let http: McpHttpServer;
let lookups = 0;
let validKey: string;

/** The database as the HTTP server sees it, counting every SELECT (an API-key lookup is one). */
function countingDb(db: Db): Db {
  return new Proxy(db, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (prop === 'select' && typeof v === 'function') {
        return (...args: unknown[]) => {
          lookups++;
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

function post(key: string, localAddress = '127.0.0.1'): Promise<{ status: number; retryAfter: string | undefined }> {
  const url = new URL(http.url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', localAddress, agent: false,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }));
  });
}

/** `n` requests, `concurrency` at a time, as a flood would send them. */
async function flood(n: number, concurrency: number, key: (i: number) => string, localAddress?: string): Promise<Array<{ status: number; retryAfter: string | undefined }>> {
  const results: Array<{ status: number; retryAfter: string | undefined }> = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        results.push(await post(key(i), localAddress));
      }
    }),
  );
  return results;
}

const wellFormedWrongKey = (): string => `mk_live_${randomBytes(4).toString('hex')}_${randomBytes(32).toString('base64url')}`;

beforeAll(async () => {
  app = await createTestApp({}, { clock });
  const alice = await createUser(app.database.db, { username: 'alice' });
  validKey = (await createApiKey(app.database.db, actorFor(alice.id, 'cli'), { userId: alice.id, permissions: ['read:portfolio'], ratePerMinute: 100_000, expiresInMs: null }, clock.now())).key;
  http = await startMcpHttpServer({ ...app.services, db: countingDb(app.services.db) }, CATALOGUE, { host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await http?.close();
  await app?.close();
});

describe('failed authentication is limited per client address before any database work', () => {
  it('a flood of wrong keys from one address reaches the database at most AUTH_FAILURES_PER_MINUTE times, and a real user keeps working', async () => {
    // The real user connects before the flood.
    const client = new Client({ name: 'real-user', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(http.url), { requestInit: { headers: { authorization: `Bearer ${validKey}` } } }));
    expect((await client.callTool({ name: 'get-portfolio', arguments: {} })).isError).toBeFalsy();

    lookups = 0;
    const results = await flood(400, 40, wellFormedWrongKey);
    const refused = results.filter((r) => r.status === 429);
    expect(lookups, 'the database saw at most the allowed number of key lookups').toBeLessThanOrEqual(AUTH_FAILURES_PER_MINUTE);
    expect(results.filter((r) => r.status === 401).length, 'the allowed attempts were answered 401').toBe(lookups);
    expect(refused.length, 'every other attempt was answered 429').toBe(400 - lookups);
    expect(Number(refused[0]!.retryAfter), 'with a Retry-After in seconds').toBeGreaterThanOrEqual(1);

    // Past the key cache (so the real key is looked up again), within the failure window.
    nowMs += KEY_CACHE_MS + 1000;
    const before = lookups;
    const r = await client.callTool({ name: 'get-portfolio', arguments: {} });
    expect(r.isError, 'the real user\'s key still works from the flooded address').toBeFalsy();
    expect(lookups - before, 'its lookup went to the database').toBeGreaterThanOrEqual(1);
    expect((await post(wellFormedWrongKey())).status, 'while wrong keys from that address are still refused').toBe(429);
    await client.close();

    // Another address has its own allowance.
    expect((await post(wellFormedWrongKey(), '127.0.0.2')).status, 'another address is not blocked').toBe(401);

    // After the window the address may try again.
    nowMs += 61_000;
    expect((await post(wellFormedWrongKey())).status).toBe(401);
  });

  it('refuses keys that are not shaped like MIKEY keys without asking the database', async () => {
    lookups = 0;
    const results = await flood(100, 20, (i) => (i % 2 ? 'nonsense' : `mk_live_${'x'.repeat(i)}`), '127.0.0.3');
    expect(lookups, 'no lookup for a malformed key').toBe(0);
    expect(results.every((r) => r.status === 401 || r.status === 429), 'each is refused').toBe(true);
    expect(results.filter((r) => r.status === 429).length, 'and a flood of them is limited too').toBeGreaterThan(0);
  });
});
