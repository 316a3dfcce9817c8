// Chat figures. (1) Offline understanding latency per message over the phrasebook (222 phrasings),
// p50 and p99 in µs, beside a trivial `/price/` regex test on the same messages. (2) The agent
// loop's own overhead per tool round — a whole turn (model → get-price through the in-process MCP
// client → model) against the scripted Messages API server with zero think time, minus the time
// the server spent answering, divided by the rounds — beside one bare SDK `messages.create` round
// trip to the same server. Measured with conversation persistence on PGlite and in memory.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { z } from 'zod';
import { openApp } from '../src/app.js';
import { createBrain, type Brain } from '../src/bot/agent/index.js';
import { PHRASEBOOK, understand } from '../src/bot/nlu/index.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';
import type { McpCatalogue } from '../src/mcp/server.js';
import { defineTool, READ_ONLY } from '../src/mcp/tool.js';
import { silentLogger } from '../src/log.js';
import { createUser } from '../src/services/users.js';
import { startMessagesApiServer, textReply, toolUseReply, type MessagesApiServer } from '../test/fakes/messages-api-server.js';
import { lowerIsBetter, percentile, type BenchFigure, type BenchModule } from './lib.js';

let sink = 0;

/** µs per call of `fn(text)` for each message, each sample the mean of `inner` calls; `passes` rounds over all messages. */
function perMessageMicros(messages: readonly string[], fn: (text: string) => unknown, passes: number, inner: number): number[] {
  const samples: number[] = [];
  for (let pass = 0; pass < passes; pass++) {
    for (const m of messages) {
      const t = performance.now();
      for (let i = 0; i < inner; i++) if (fn(m)) sink++;
      samples.push(((performance.now() - t) * 1000) / inner);
    }
  }
  return samples;
}

function nluFigures(ctx: Parameters<BenchModule>[0]): BenchFigure[] {
  const messages = PHRASEBOOK.map((p) => p.text);
  const price = /price/;
  const ours = (t: string): unknown => understand(t).kind === 'tool';
  const bare = (t: string): unknown => price.test(t);
  perMessageMicros(messages, ours, 20, 5);
  perMessageMicros(messages, bare, 20, 5);
  const a = perMessageMicros(messages, ours, 30, 10);
  const b = perMessageMicros(messages, bare, 30, 10);
  ctx.log(`understand(): p50 ${percentile(a, 50).toFixed(2)} µs, p99 ${percentile(a, 99).toFixed(2)} µs over ${messages.length} phrasings; /price/ p50 ${percentile(b, 50).toFixed(3)} µs`);
  const note = `reference: /price/.test on the same ${messages.length} phrasebook messages`;
  return [
    lowerIsBetter('chat.nlu.understand_p50', percentile(a, 50), 'µs', percentile(b, 50), note),
    lowerIsBetter('chat.nlu.understand_p99', percentile(a, 99), 'µs', percentile(b, 99), note),
  ];
}

const benchTools: McpCatalogue = {
  tools: [
    defineTool({
      name: 'get-price',
      title: 'Get price',
      description: 'Latest price for one or more symbols, with source, confidence and whether it is simulated or stale.',
      permission: 'read:market',
      input: { symbols: z.array(z.string()).min(1).max(20).describe('Symbols such as BTC/USDT') },
      output: { prices: z.array(z.object({ symbol: z.string(), price: z.string() })).describe('One entry per symbol') },
      annotations: READ_ONLY,
      async run(_ctx, args) {
        return { text: args.symbols.map((s) => `${s} 142.35 (simulated)`).join('\n'), data: { prices: args.symbols.map((s) => ({ symbol: s, price: '142.35' })) } };
      },
    }),
  ],
  resources: [],
};

async function turnOverhead(brain: Brain, api: MessagesApiServer, turns: number, warmup: number): Promise<number[]> {
  const perRound: number[] = [];
  for (let i = 0; i < warmup + turns; i++) {
    api.requests.length = 0;
    const t = performance.now();
    const r = await brain.runTurn({ userText: `what's SOL doing? (${i})` });
    const total = performance.now() - t;
    if (r.toolCalls.length !== 1 || api.requests.length !== 2) throw new Error(`unexpected turn shape: ${r.toolCalls.length} tools, ${api.requests.length} requests`);
    const server = api.requests.reduce((s, q) => s + q.serverMs, 0);
    if (i >= warmup) perRound.push((total - server) / api.requests.length);
  }
  return perRound;
}

async function agentFigures(ctx: Parameters<BenchModule>[0]): Promise<BenchFigure[]> {
  const api = await startMessagesApiServer((req) => {
    const msgs = req.body.messages as Array<{ content: unknown }>;
    const last = msgs[msgs.length - 1]!;
    const isToolResult = Array.isArray(last.content) && (last.content as Array<{ type: string }>).some((b) => b.type === 'tool_result');
    return isToolResult ? textReply('SOL/USDT 142.35 (simulated).') : toolUseReply([{ name: 'get-price', input: { symbols: ['SOL/USDT'] } }]);
  });
  const dataDir = await mkdtemp(join(tmpdir(), 'mikey-chat-bench-'));
  const config = loadConfig({ MIKEY_DATA_DIR: dataDir, MIKEY_MARKET: 'sim', LOG_LEVEL: 'silent', MIKEY_SECRET_KEY: 'ab'.repeat(32), MIKEY_MODEL: 'claude-sonnet-4-6' });
  const app = await openApp({ config, database: await openDatabase({}), logger: silentLogger });
  const figures: BenchFigure[] = [];
  try {
    const user = await createUser(app.database.db, { username: 'bench_chat' });
    const common = {
      identity: { actor: { userId: user.id, surface: 'terminal' as const }, permissions: 'all' as const },
      catalogue: benchTools,
      anthropic: { apiKey: 'sk-bench-not-a-key', baseURL: api.url },
    };

    // Reference: a bare SDK round trip to the same server (a one-message text answer).
    const bareApi = await startMessagesApiServer(() => textReply('ok'));
    const client = new Anthropic({ apiKey: 'sk-bench-not-a-key', baseURL: bareApi.url, maxRetries: 0 });
    const bare: number[] = [];
    for (let i = 0; i < 330; i++) {
      const t = performance.now();
      await client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] });
      if (i >= 30) bare.push(performance.now() - t);
    }
    await bareApi.close();

    for (const [label, persist] of [['pglite', true], ['memory', false]] as const) {
      const brain = await createBrain(config, app.services, { ...common, conversation: { platform: 'terminal', chatId: `bench-${label}` }, persist });
      const overhead = await turnOverhead(brain, api, 300, 30);
      await brain.close();
      ctx.log(`agent overhead per round (${label}): p50 ${percentile(overhead, 50).toFixed(3)} ms, p99 ${percentile(overhead, 99).toFixed(3)} ms; bare SDK round trip p50 ${percentile(bare, 50).toFixed(3)} ms`);
      figures.push(
        lowerIsBetter(`chat.agent.overhead_per_round_p50_${label}`, percentile(overhead, 50), 'ms', percentile(bare, 50),
          `turn time minus server time, per model round (tool call via in-process MCP${persist ? ', history + usage on PGlite' : ', history in memory'}); reference: bare SDK messages.create round trip`),
      );
    }
  } finally {
    await app.close();
    await api.close();
    await rm(dataDir, { recursive: true, force: true });
  }
  return figures;
}

const bench: BenchModule = async (ctx) => {
  const figures = nluFigures(ctx);
  figures.push(...(await agentFigures(ctx)));
  if (sink === -1) ctx.log('unreachable');
  return figures;
};

export default bench;
