// `mikey mcp` answers the MCP handshake before its database is open: a client connected over the
// stdio server's wire gets `initialize` and `tools/list` while the app's opening is held, and its
// first tool call is answered once the app is open. An app that cannot open answers tool calls
// with the reason (and logs it) instead of hanging or crashing.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { describe, expect, it, vi } from 'vitest';
import type { App } from '../src/app.js';
import { DatabaseLockedError } from '../src/db/client.js';
import { createLogger } from '../src/log.js';
import { serveStdio } from '../src/mcp/stdio.js';
import { TOOLS } from '../src/tools/index.js';
import { createTestApp, type TestApp } from './support/app.js';

/** A promise the test settles by hand: the app's opening, held until the test lets it go. */
function held<T>(): { promise: Promise<T>; resolve(v: T): void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((res) => (resolve = res));
  return { promise, resolve };
}

async function connect(open: () => Promise<App>, logLines: string[] = [], ready?: (app: App) => void): Promise<{ client: Client; served: Promise<void> }> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const served = serveStdio({ open, logger: createLogger('debug', (l) => logLines.push(l)), transport: serverSide, ...(ready ? { ready } : {}) });
  const client = new Client({ name: 'claude-desktop-like', version: '1' });
  await client.connect(clientSide);
  return { client, served };
}

describe('mikey mcp over stdio, before and after the database opens', () => {
  it('answers initialize and tools/list while the app is still opening, and the first tool call once it is open', async () => {
    const opening = held<App>();
    let opened = false;
    const readyWith: App[] = [];
    const { client, served } = await connect(
      async () => {
        const app = await opening.promise;
        opened = true;
        return app;
      },
      [],
      (ready) => readyWith.push(ready),
    );
    let app: TestApp | undefined;
    try {
      // connect() resolved: the client's initialize was answered with the app's opening still held.
      expect(opened, 'the handshake must not wait for the database').toBe(false);
      expect(client.getServerVersion()?.name, 'initialize answered by MIKEY').toBe('mikey');
      const { tools } = await client.listTools();
      expect(opened, 'tools/list must not wait for the database').toBe(false);
      expect(tools.map((t) => t.name).sort(), 'tools/list lists the whole catalogue before the database is open').toEqual(TOOLS.map((t) => t.name).sort());

      let answered = false;
      const who = client.callTool({ name: 'whoami', arguments: {} }).finally(() => (answered = true));
      await new Promise((r) => setTimeout(r, 50));
      expect(answered, 'a tool call waits for the database rather than failing').toBe(false);

      app = await createTestApp();
      opening.resolve(app);
      const result = await who;
      expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
      expect((result.structuredContent as { username: string }).username, 'the first tool call runs as the local owner once the app is open').toBe('owner');
      await vi.waitFor(() => expect(readyWith, 'background work is started once, on the opened app').toEqual([app]));
      const again = await client.callTool({ name: 'get-price', arguments: { symbols: ['BTC/USDT'] } });
      expect(again.isError, `later calls go straight through: ${JSON.stringify(again.content)}`).toBeFalsy();
    } finally {
      await client.close();
      await served;
      await app?.close();
    }
  });

  it('answers every tool call with the reason when the app cannot open, and logs it', async () => {
    const logLines: string[] = [];
    const failure = new DatabaseLockedError(4242, '/home/trader/.mikey');
    const { client, served } = await connect(async () => {
      throw failure;
    }, logLines);
    try {
      const { tools } = await client.listTools();
      expect(tools.length, 'the catalogue is still listed').toBe(TOOLS.length);
      const result = await client.callTool({ name: 'whoami', arguments: {} });
      expect(result.isError, 'a tool call on an app that could not open is an error result').toBe(true);
      const text = (result.content as Array<{ text: string }>)[0]!.text;
      expect(text, 'the result says the database could not open and why').toContain('MIKEY could not open its database');
      expect(text, 'the reason is the opening error itself').toContain('Another MIKEY process (pid 4242)');
      expect(logLines.join('\n'), 'the failure is logged (stderr in `mikey mcp`)').toContain('MIKEY could not open its database');
    } finally {
      await client.close();
      await served;
    }
  });
});
