// MCP figures. (1) A no-op tool over Streamable HTTP through MIKEY's server — API-key check with usage
// recording, rate limit, per-session identity, logging — beside a bare SDK McpServer with one echo
// tool over the same transport, same client, same run (target ≥ 0.8×). (2) The in-process
// get-portfolio tool call with 100 open positions and 10,000 trades (p50/p99), beside the service
// call it wraps.
import { mkdtemp, rm } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { sql } from 'drizzle-orm';
import { openApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';
import { dec } from '../src/domain/money.js';
import { startMcpHttpServer } from '../src/mcp/http.js';
import { connectInProcess } from '../src/mcp/in-process.js';
import { defineTool, READ_ONLY } from '../src/mcp/tool.js';
import { actorFor } from '../src/services/actor.js';
import { createApiKey } from '../src/services/api-keys.js';
import { createUser } from '../src/services/users.js';
import { CATALOGUE } from '../src/tools/index.js';
import { higherIsBetter, lowerIsBetter, percentile, timeRuns, type BenchFigure, type BenchModule } from './lib.js';

const ping = defineTool({
  name: 'ping',
  title: 'Ping',
  description: 'Does nothing and answers pong; measures the cost of the MCP path itself.',
  permission: 'read:market',
  input: {},
  annotations: READ_ONLY,
  async run() {
    return { text: 'pong' };
  },
});

async function bareServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const http = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
      const id = req.headers['mcp-session-id'];
      if (typeof id === 'string' && sessions.has(id)) return sessions.get(id)!.handleRequest(req, res, body);
      const server = new McpServer({ name: 'bare', version: '1' });
      server.registerTool('echo', { description: 'echo', inputSchema: {} }, async () => ({ content: [{ type: 'text', text: 'pong' }] }));
      const t: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: (sid) => void sessions.set(sid, t) });
      await server.connect(t);
      await t.handleRequest(req, res, body);
    })();
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    close: async () => {
      for (const t of sessions.values()) await t.close();
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}

async function callsPerSecond(url: string, tool: string, headers: Record<string, string>, n: number): Promise<number> {
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  for (let i = 0; i < 100; i++) await client.callTool({ name: tool, arguments: {} });
  const t = performance.now();
  for (let i = 0; i < n; i++) await client.callTool({ name: tool, arguments: {} });
  const s = (performance.now() - t) / 1000;
  await client.close();
  return n / s;
}

const bench: BenchModule = async (ctx) => {
  const figures: BenchFigure[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'mikey-bench-mcp-'));
  const config = loadConfig({ MIKEY_DATA_DIR: dir, MIKEY_MARKET: 'sim', LOG_LEVEL: 'error', MIKEY_SECRET_KEY: 'ab'.repeat(32) });
  const database = ctx.postgresUrl ? undefined : await openDatabase({});
  const app = await openApp({ config, ...(database ? { database } : {}) });
  try {
    const user = await createUser(app.database.db, { username: 'bench' });
    const { key } = await createApiKey(app.database.db, actorFor(user.id, 'cli'), { userId: user.id, permissions: ['read:market', 'read:portfolio'], ratePerMinute: 100_000, expiresInMs: null });
    const ours = await startMcpHttpServer(app.services, { tools: [...CATALOGUE.tools, ping], resources: CATALOGUE.resources }, { host: '127.0.0.1', port: 0 });
    const bare = await bareServer();
    // Interleave runs so both see the same machine state; best of three each.
    const o: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < 3; r++) {
      b.push(await callsPerSecond(bare.url, 'echo', {}, 1500));
      o.push(await callsPerSecond(ours.url, 'ping', { authorization: `Bearer ${key}` }, 1500));
    }
    figures.push(higherIsBetter(`mcp.http_noop_tool.${app.database.kind}`, Math.max(...o), 'calls/s', Math.max(...b), 'MIKEY server (auth + usage + rate limit + identity) vs bare SDK McpServer echo, same transport, best of 3'));
    await ours.close();
    await bare.close();

    // get-portfolio with 100 open positions and 10,000 trades.
    const extra = Array.from({ length: 100 }, (_, i) => ({
      symbol: `T${String(i).padStart(3, '0')}/USDT`, base: `T${String(i).padStart(3, '0')}`, quote: 'USDT', kind: 'spot' as const, exchange: app.services.market.catalog.list()[0]!.exchange,
      tickSize: dec('0.01'), stepSize: dec('0.001'), minQty: dec('0.001'), minNotional: dec('5'),
    }));
    await app.services.market.catalog.upsert?.(extra);
    const pf = await app.services.portfolio.ensureDefaultPortfolio(user.id);
    const db = app.database.db;
    await db.execute(sql`insert into positions (user_id, portfolio_id, symbol, kind, side, status, quantity, entry_price, leverage, realized_pnl, fees_paid, opened_at)
      select ${user.id}::uuid, ${pf.id}::uuid, 'T' || lpad(g::text, 3, '0') || '/USDT', 'spot', 'long', 'open', 10, 95, 1, 0, 0.95, now() - interval '2 days' from generate_series(0, 99) g`);
    await db.execute(sql`insert into orders (id, user_id, portfolio_id, client_order_id, symbol, side, order_type, status, quantity, filled_quantity, average_fill_price, leverage)
      select md5('mcp-bench-' || g)::uuid, ${user.id}::uuid, ${pf.id}::uuid, 'mcp-bench-' || g, 'T' || lpad((g % 100)::text, 3, '0') || '/USDT', 'buy', 'market', 'filled', 1, 1, 95, 1 from generate_series(0, 999) g`);
    await db.execute(sql`insert into trades (order_id, portfolio_id, user_id, exchange_trade_id, symbol, side, quantity, price, quote_quantity, fee, fee_asset, executed_at)
      select md5('mcp-bench-' || (g / 10))::uuid, ${pf.id}::uuid, ${user.id}::uuid, 'mcp-bench-t-' || g, 'T' || lpad(((g / 10) % 100)::text, 3, '0') || '/USDT', 'buy', 0.1, 95, 9.5, 0.0095, 'USDT', now() - (g || ' minutes')::interval from generate_series(0, 9999) g`);
    const { client, close } = await connectInProcess(app.services, { actor: { userId: user.id, surface: 'mcp-stdio' }, permissions: 'all' }, CATALOGUE);
    const check = await client.callTool({ name: 'get-portfolio', arguments: {} });
    const open = (check.structuredContent as { openPositions?: number }).openPositions;
    if (open !== 100) throw new Error(`bench setup: expected 100 open positions, got ${open}`);
    for (let i = 0; i < 10; i++) await client.callTool({ name: 'get-portfolio', arguments: {} });
    const tool = await timeRuns(200, () => client.callTool({ name: 'get-portfolio', arguments: {} }));
    const actor = actorFor(user.id, 'mcp-stdio');
    const svc = await timeRuns(200, () => app.services.portfolio.getPortfolio(actor, {}));
    figures.push(lowerIsBetter(`mcp.get_portfolio_p50.${app.database.kind}`, percentile(tool, 50), 'ms', percentile(svc, 50), 'in-process tool call vs the service call it wraps; 100 open positions, 10,000 trades'));
    figures.push(lowerIsBetter(`mcp.get_portfolio_p99.${app.database.kind}`, percentile(tool, 99), 'ms', percentile(svc, 99), 'same, p99'));
    await close();
  } finally {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  }
  return figures;
};
export default bench;
