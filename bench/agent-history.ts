// `npx tsx bench/agent-history.ts`: where the agent's per-round overhead goes when history and
// usage are stored on PGlite (issue 16 "Measured": bring the PGlite figure within 2× of the
// in-memory one). Runs the same turns as chat.bench.ts (model → get-price → model, scripted server
// with no think time) with persistence on and off, and times the store's own calls.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { openApp } from '../src/app.js';
import { ConversationStore, createBrain } from '../src/bot/agent/index.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';
import type { McpCatalogue } from '../src/mcp/server.js';
import { defineTool, READ_ONLY } from '../src/mcp/tool.js';
import { silentLogger } from '../src/log.js';
import { createUser } from '../src/services/users.js';
import { startMessagesApiServer, textReply, toolUseReply } from '../test/fakes/messages-api-server.js';
import { percentile } from './lib.js';

const tools: McpCatalogue = {
  tools: [
    defineTool({
      name: 'get-price',
      title: 'Get price',
      description: 'Latest price.',
      permission: 'read:market',
      input: { symbols: z.array(z.string()).min(1).max(20).describe('Symbols') },
      annotations: READ_ONLY,
      async run(_ctx, args) {
        return { text: args.symbols.map((s) => `${s} 142.35 (simulated)`).join('\n') };
      },
    }),
  ],
  resources: [],
};

const storeMs: Record<string, number[]> = {};
for (const name of ['open', 'load', 'append', 'recordUsage'] as const) {
  const original = ConversationStore.prototype[name] as (...a: unknown[]) => Promise<unknown>;
  (ConversationStore.prototype as unknown as Record<string, unknown>)[name] = async function (this: unknown, ...args: unknown[]) {
    const t = performance.now();
    try {
      return await original.apply(this, args);
    } finally {
      (storeMs[name] ??= []).push(performance.now() - t);
    }
  };
}

const api = await startMessagesApiServer((req) => {
  const msgs = req.body.messages as Array<{ content: unknown }>;
  const last = msgs[msgs.length - 1]!;
  const isToolResult = Array.isArray(last.content) && (last.content as Array<{ type: string }>).some((b) => b.type === 'tool_result');
  return isToolResult ? textReply('SOL/USDT 142.35 (simulated).') : toolUseReply([{ name: 'get-price', input: { symbols: ['SOL/USDT'] } }]);
});
const dataDir = await mkdtemp(join(tmpdir(), 'mikey-agent-history-'));
const config = loadConfig({ MIKEY_DATA_DIR: dataDir, MIKEY_MARKET: 'sim', LOG_LEVEL: 'silent', MIKEY_SECRET_KEY: 'ab'.repeat(32) });
const app = await openApp({ config, database: await openDatabase({}), logger: silentLogger });
try {
  const user = await createUser(app.database.db, { username: 'bench_history' });
  for (const [label, persist] of [['pglite', true], ['memory', false], ['pglite', true], ['memory', false]] as const) {
    for (const k of Object.keys(storeMs)) storeMs[k] = [];
    const brain = await createBrain(config, app.services, {
      identity: { actor: { userId: user.id, surface: 'terminal' }, permissions: 'all' },
      conversation: { platform: 'terminal', chatId: `history-${label}` },
      catalogue: tools,
      anthropic: { apiKey: 'sk-bench-not-a-key', baseURL: api.url },
      persist,
    });
    const perRound: number[] = [];
    for (let i = 0; i < 230; i++) {
      api.requests.length = 0;
      const t = performance.now();
      await brain.runTurn({ userText: `what's SOL doing? (${i})` });
      const total = performance.now() - t;
      const server = api.requests.reduce((s, q) => s + q.serverMs, 0);
      if (i >= 30) perRound.push((total - server) / api.requests.length);
    }
    await brain.close();
    const store = Object.entries(storeMs).filter(([, v]) => v.length).map(([k, v]) => `${k} p50 ${percentile(v, 50).toFixed(2)} ms ×${v.length}`).join(', ');
    console.log(`${label}: overhead per round p50 ${percentile(perRound, 50).toFixed(3)} ms, p99 ${percentile(perRound, 99).toFixed(3)} ms${store ? `; store: ${store}` : ''}`);
  }
} finally {
  await app.close();
  await api.close();
  await rm(dataDir, { recursive: true, force: true });
}
