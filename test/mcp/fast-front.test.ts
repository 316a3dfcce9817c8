// `mikey mcp` answers the handshake from the build's record before anything is loaded (fast-front.ts):
// the record is the real server's answers, the negotiation is the SDK's, every client message still
// reaches the real session in order, and the real session's answers to what the front answered are
// dropped, so the client gets each answer once. A real client (the SDK's) talks through the front to a
// real MIKEY front server.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { loadHandshake, recordedAnswer, startFastFront, type Handshake } from '../../src/mcp/fast-front.js';
import { recordHandshake, writeHandshake } from '../../src/mcp/handshake.js';
import { createFrontServer } from '../../src/mcp/stdio.js';
import { TOOLS } from '../../src/tools/index.js';

let record: Handshake;

beforeAll(async () => {
  record = await recordHandshake();
});

/** Lines written to a stream, parsed. */
function collect(stream: PassThrough): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  let buf = '';
  stream.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      out.push(JSON.parse(buf.slice(0, i)) as Record<string, unknown>);
      buf = buf.slice(i + 1);
    }
  });
  return out;
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setImmediate(r));
  if (!ok()) throw new Error(`gave up waiting for ${what}`);
}

describe('the handshake record', () => {
  it('is the real server\'s answers: every tool, MIKEY\'s name and instructions, and the SDK\'s versions newest first', () => {
    const tools = (record.lists['tools/list'] as { tools: Array<{ name: string; inputSchema: unknown }> }).tools;
    expect(tools.map((t) => t.name).sort()).toEqual(TOOLS.map((t) => t.name).sort());
    expect(tools.every((t) => typeof t.inputSchema === 'object')).toBe(true);
    expect(record.initialize).toMatchObject({ serverInfo: { name: 'mikey' }, capabilities: { tools: expect.any(Object) } });
    expect(record.initialize['instructions']).toContain('trade card');
    expect(record.supportedVersions[0]).toBe(LATEST_PROTOCOL_VERSION);
    expect([...record.supportedVersions].sort()).toEqual([...SUPPORTED_PROTOCOL_VERSIONS].sort());
  });

  it('negotiates as the SDK does: the client\'s version when spoken, else the newest; a further page goes to the server', () => {
    const init = (v: string): unknown => recordedAnswer(record, { id: 1, method: 'initialize', params: { protocolVersion: v } });
    expect(init('2025-03-26')).toMatchObject({ protocolVersion: '2025-03-26' });
    expect(init('1999-01-01')).toMatchObject({ protocolVersion: LATEST_PROTOCOL_VERSION });
    expect(recordedAnswer(record, { id: 2, method: 'tools/list', params: { cursor: 'next' } })).toBeUndefined();
    expect(recordedAnswer(record, { id: 3, method: 'tools/call', params: { name: 'whoami' } })).toBeUndefined();
    expect(recordedAnswer(record, { method: 'tools/list' }), 'a notification is never answered').toBeUndefined();
    expect(recordedAnswer(record, { id: 4, method: 'ping' })).toEqual({});
  });

  it('is written by the build and read back; a missing or broken record means no front', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mikey-handshake-'));
    try {
      const file = await writeHandshake(dir);
      expect(loadHandshake(file)).toEqual(JSON.parse(JSON.stringify(record)));
      expect(loadHandshake(join(dir, 'absent.json'))).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the fast front on the wire', () => {
  it('answers initialize and tools/list before the real server is there, then passes everything else both ways, each answer once', async () => {
    const clientIn = new PassThrough();
    const clientOut = new PassThrough();
    const toClient = collect(clientOut);
    const { input, output } = startFastFront(record, clientIn, clientOut);
    const seenByServer = collect(input);

    clientIn.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: { elicitation: {} }, clientInfo: { name: 'c', version: '1' } } })}\n`);
    clientIn.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
    clientIn.write(`${JSON.stringify({ jsonrpc: '2.0', id: 'two', method: 'tools/list' })}\n`);
    clientIn.write(`${JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'whoami', arguments: {} } })}\n`);
    await until('the two recorded answers', () => toClient.length === 2);
    expect(toClient.map((m) => m['id'])).toEqual([1, 'two']);
    expect(toClient[0]!['result']).toMatchObject({ protocolVersion: '2025-06-18', serverInfo: { name: 'mikey' } });
    expect(toClient[1]!['result']).toEqual(record.lists['tools/list']);
    await until('every message to reach the server side', () => seenByServer.length === 4);
    expect(seenByServer.map((m) => m['method']), 'the real server sees the whole conversation, in order').toEqual(['initialize', 'notifications/initialized', 'tools/list', 'tools/call']);

    // The real server, once loaded, answers all four and asks the client something.
    output.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, result: { protocolVersion: '2025-06-18' } })}\n`);
    output.write(`${JSON.stringify({ jsonrpc: '2.0', id: 'two', result: { tools: [] } })}\n`);
    output.write(`${JSON.stringify({ jsonrpc: '2.0', id: 3, result: { content: [{ type: 'text', text: 'You are owner' }] } })}\n`);
    output.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'elicitation/create', params: { message: 'Confirm?' } })}\n`);
    await until('the real answers', () => toClient.length === 4);
    expect(toClient.slice(2).map((m) => [m['id'], m['method'] ?? 'answer'])).toEqual([
      [3, 'answer'],
      [1, 'elicitation/create'],
    ]);
    // A later request with a reused id is the real server's to answer.
    clientIn.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, result: { action: 'accept' } })}\n`);
    clientIn.write(`${JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'resources/read', params: { uri: 'mikey://x' } })}\n`);
    output.write(`${JSON.stringify({ jsonrpc: '2.0', id: 5, result: { contents: [] } })}\n`);
    await until('the read', () => toClient.length === 5);
    expect(toClient[4]!['id']).toBe(5);
    clientIn.end();
    await until('the end of input', () => input.readableEnded || seenByServer.length === 6);
  });

  it('a real client talks through the front to MIKEY\'s real server and gets each answer once', async () => {
    const clientIn = new PassThrough();
    const clientOut = new PassThrough();
    const { input, output } = startFastFront(record, clientIn, clientOut);
    const server = createFrontServer(silentLogger);
    await server.connect(new StdioServerTransport(input, output));
    const raw = collect(clientOut);
    // The SDK client on the two streams, as on a stdio child process's pipes.
    const wire: Transport = {
      start: async () => {
        let buf = '';
        clientOut.on('data', (d: Buffer) => {
          buf += d.toString('utf8');
          let i: number;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 1);
            wire.onmessage?.(JSON.parse(line) as JSONRPCMessage);
          }
        });
      },
      send: async (m) => void clientIn.write(`${JSON.stringify(m)}\n`),
      close: async () => {
        clientIn.end();
        wire.onclose?.();
      },
    };
    const client = new Client({ name: 'claude-desktop-like', version: '1' });
    try {
      await client.connect(wire);
      expect(client.getServerVersion()?.name).toBe('mikey');
      const { tools } = await client.listTools();
      expect(tools).toHaveLength(TOOLS.length);
      await client.ping();
      // Not in the record: the real server answers it, after its answers to everything before it.
      await client.setLoggingLevel('info');
      const ids = raw.filter((m) => m['method'] === undefined).map((m) => JSON.stringify(m['id']));
      expect(ids, 'initialize, tools/list, ping, logging/setLevel: one answer each').toHaveLength(4);
      expect(new Set(ids).size).toBe(4);
    } finally {
      await client.close();
      await server.close();
    }
  });
});
