// An unauthenticated flood beside a real user: the user's get-portfolio p50 over Streamable HTTP
// while 40 clients at a time send random (well-formed) API keys from the same address, beside the
// same user's p50 with no flood, same server, same run (ratio = quiet / during; 1 means the flood
// costs the user nothing). Failed authentications are limited per address before any database work,
// so the flood's cost is parsing and a 429, not a key lookup.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { openApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';
import { startMcpHttpServer } from '../src/mcp/http.js';
import { actorFor } from '../src/services/actor.js';
import { createApiKey } from '../src/services/api-keys.js';
import { createUser } from '../src/services/users.js';
import { CATALOGUE } from '../src/tools/index.js';
import { lowerIsBetter, percentile, timeRuns, type BenchFigure, type BenchModule } from './lib.js';

const FLOOD_CONCURRENCY = 40;
const CALLS = 200;

const bench: BenchModule = async (ctx) => {
  const figures: BenchFigure[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'mikey-bench-flood-'));
  const config = loadConfig({ MIKEY_DATA_DIR: dir, MIKEY_MARKET: 'sim', LOG_LEVEL: 'error', MIKEY_SECRET_KEY: 'ab'.repeat(32), ...(ctx.postgresUrl ? { DATABASE_URL: ctx.postgresUrl } : {}) });
  const database = ctx.postgresUrl ? undefined : await openDatabase({});
  const app = await openApp({ config, ...(database ? { database } : {}) });
  const agent = new Agent({ keepAlive: true, maxSockets: FLOOD_CONCURRENCY });
  try {
    const user = await createUser(app.database.db, { username: `flood-bench-${randomBytes(3).toString('hex')}` });
    const { key } = await createApiKey(app.database.db, actorFor(user.id, 'cli'), { userId: user.id, permissions: ['read:portfolio'], ratePerMinute: 100_000, expiresInMs: null });
    const server = await startMcpHttpServer(app.services, CATALOGUE, { host: '127.0.0.1', port: 0 });
    const url = new URL(server.url);
    const client = new Client({ name: 'real-user', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
    const call = (): Promise<unknown> => client.callTool({ name: 'get-portfolio', arguments: {} });
    for (let i = 0; i < 20; i++) await call();
    const quiet = await timeRuns(CALLS, call);

    let running = true;
    const statuses = new Map<number, number>();
    const attack = (): Promise<void> =>
      new Promise((resolve) => {
        const bogus = `mk_live_${randomBytes(4).toString('hex')}_${randomBytes(32).toString('base64url')}`;
        const req = request(
          { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent,
            headers: { authorization: `Bearer ${bogus}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' } },
          (res) => {
            statuses.set(res.statusCode ?? 0, (statuses.get(res.statusCode ?? 0) ?? 0) + 1);
            res.resume();
            res.on('end', () => resolve());
          },
        );
        req.on('error', () => resolve());
        req.end('{"jsonrpc":"2.0","id":1,"method":"tools/list"}');
      });
    const flood = Array.from({ length: FLOOD_CONCURRENCY }, async () => {
      while (running) await attack();
    });
    const during = await timeRuns(CALLS, call);
    running = false;
    await Promise.all(flood);
    const sent = [...statuses.values()].reduce((a, b) => a + b, 0);
    const note = `get-portfolio over HTTP during a flood of ${sent} random-key requests (${FLOOD_CONCURRENCY} at a time, same address: ${statuses.get(429) ?? 0}× 429, ${statuses.get(401) ?? 0}× 401) vs no flood`;
    ctx.log(note);
    figures.push(lowerIsBetter(`mcp.get_portfolio_p50_during_auth_flood.${app.database.kind}`, percentile(during, 50), 'ms', percentile(quiet, 50), note));
    await client.close();
    await server.close();
  } finally {
    agent.destroy();
    await app.close();
    await rm(dir, { recursive: true, force: true });
  }
  return figures;
};
export default bench;
