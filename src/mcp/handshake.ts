// Records what `mikey mcp` answers before it needs the database — `initialize` and the lists — from
// the real front server (stdio.ts), for the fast front (fast-front.ts) to answer from at the next
// start. Run by the build (bin/build.js) into dist/, beside the modules it was recorded from, so the
// record and the code never disagree.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { silentLogger } from '../log.js';
import { HANDSHAKE_FILE, type Handshake } from './fast-front.js';
import { createFrontServer } from './stdio.js';

/** The parameterless requests the fast front answers besides `initialize` and `ping`. */
export const RECORDED_LISTS = ['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list'] as const;

export async function recordHandshake(): Promise<Handshake> {
  const server = createFrontServer(silentLogger);
  const [client, serverSide] = InMemoryTransport.createLinkedPair();
  const waiting = new Map<string | number, (m: JSONRPCMessage) => void>();
  client.onmessage = (m) => {
    if ('id' in m && m.id !== undefined) waiting.get(m.id)?.(m);
  };
  await server.connect(serverSide);
  let next = 0;
  const ask = async (method: string, params?: Record<string, unknown>): Promise<unknown> => {
    const id = ++next;
    const answer = new Promise<JSONRPCMessage>((resolve) => waiting.set(id, resolve));
    await client.send({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });
    const m = await answer;
    if (!('result' in m)) throw new Error(`the MCP server did not answer ${method}: ${JSON.stringify(m)}`);
    return m.result;
  };
  try {
    const init = (await ask('initialize', { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'mikey-build', version: '1' } })) as Record<string, unknown>;
    const { protocolVersion: _negotiated, ...initialize } = init;
    await client.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    const lists: Record<string, unknown> = {};
    for (const method of RECORDED_LISTS) {
      // A list the server refuses is not recorded: the real server answers it.
      const result = await ask(method).catch(() => undefined);
      if (result !== undefined) lists[method] = result;
    }
    // Newest first: the answer to a client asking for a version not spoken here.
    const supportedVersions = [LATEST_PROTOCOL_VERSION, ...SUPPORTED_PROTOCOL_VERSIONS.filter((v) => v !== LATEST_PROTOCOL_VERSION)];
    return { supportedVersions, initialize, lists };
  } finally {
    await server.close();
  }
}

/** Writes the record into `dir` (the build's dist/); the file written. */
export async function writeHandshake(dir: string): Promise<string> {
  const file = join(dir, HANDSHAKE_FILE);
  await writeFile(file, `${JSON.stringify(await recordHandshake())}\n`);
  return file;
}
