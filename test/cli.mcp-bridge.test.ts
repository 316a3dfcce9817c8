// `mikey mcp` while another process (`serve`) holds the embedded database, as Claude Desktop starts
// it beside a running Telegram bot: the MCP session runs inside the holder, through its command
// socket, and a real MCP client sees the same server `mikey mcp` would be.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, type App } from '../src/app.js';
import { main, startCommandSocket } from '../src/cli.js';
import { loadConfig } from '../src/config.js';
import { orders } from '../src/db/schema/index.js';
import { bridgeSession } from '../src/control/sessions.js';
import { startControlServer, type ControlServer } from '../src/control/socket.js';
import { createLogger } from '../src/log.js';
import { createUser, findUser } from '../src/services/users.js';

const SECRET = 'ef'.repeat(32);

let dataDir: string;
let holder: App;
let socket: ControlServer | undefined;
let client: Client | undefined;
let childStderr = '';

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mikey-mcp-bridge-'));
  // A serve-like holder: the embedded database on disk in dataDir, answering on its command socket.
  const env = { MIKEY_DATA_DIR: dataDir, MIKEY_MARKET: 'sim', LOG_LEVEL: 'error', MIKEY_SECRET_KEY: SECRET };
  holder = await openApp({ config: loadConfig({ ...env, MIKEY_USER: undefined }), logger: createLogger('error', () => undefined) });
  socket = await startCommandSocket(holder);
  // The person named by MIKEY_USER exists only in the holder's database.
  await createUser(holder.database.db, { username: 'frank' });
  // `mikey mcp` exactly as Claude Desktop starts it, on the same data directory.
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [join(import.meta.dirname, '../bin/mikey.js'), 'mcp'],
    env: { PATH: process.env.PATH ?? '', HOME: dataDir, MIKEY_DATA_DIR: dataDir, MIKEY_MARKET: 'sim', MIKEY_USER: 'frank', LOG_LEVEL: 'warn' },
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (chunk: Buffer) => (childStderr += chunk.toString('utf8')));
  client = new Client({ name: 'claude-desktop-like', version: '1' });
  await client.connect(transport).catch((err: unknown) => {
    throw new Error(`mikey mcp did not start: ${String(err)}\n${childStderr}`);
  });
}, 120_000);

afterAll(async () => {
  await client?.close();
  await socket?.close();
  await holder?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('mikey mcp beside the process holding the embedded database', () => {
  it('initializes and lists every tool through the holder', async () => {
    expect(client!.getServerVersion()?.name, 'the handshake was answered by a MIKEY MCP server').toMatch(/mikey/i);
    const { tools } = await client!.listTools();
    expect(tools.map((t) => t.name), 'the whole catalogue is offered').toEqual(expect.arrayContaining(['whoami', 'get-portfolio', 'place-order']));
  });

  it('answers tool calls from the holder\'s database as the caller\'s local owner', async () => {
    const who = await client!.callTool({ name: 'whoami', arguments: {} });
    expect(who.isError, `whoami answered (child stderr: ${childStderr})`).toBeFalsy();
    expect((who.structuredContent as { username: string }).username, 'the session acts as the caller\'s MIKEY_USER').toBe('frank');

    const portfolio = await client!.callTool({ name: 'get-portfolio', arguments: {} });
    expect(portfolio.isError, JSON.stringify(portfolio.content)).toBeFalsy();
    expect(JSON.stringify(portfolio.content), 'a clean text answer, not an error about the held database').not.toMatch(/Another MIKEY process/);
  });

  it('runs `mikey chat` inside the holder, on the caller\'s terminal', async () => {
    const child = spawn(process.execPath, [join(import.meta.dirname, '../bin/mikey.js'), 'chat'], {
      env: { PATH: process.env.PATH ?? '', HOME: dataDir, MIKEY_DATA_DIR: dataDir, MIKEY_MARKET: 'sim', MIKEY_USER: 'frank' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.stdin.end('buy $100 of SOL\ny\n');
    expect(await exited, `mikey chat ended normally (stderr: ${stderr})`).toBe(0);
    expect(stdout, 'the chat greets the caller\'s MIKEY_USER').toContain('MIKEY · frank');
    expect(stderr, 'no refusal about the held database').not.toMatch(/Another MIKEY process/);
    const frank = await findUser(holder.database.db, 'frank');
    const placed = await holder.database.db.select().from(orders).where(eq(orders.userId, frank.id));
    expect(placed.map((o) => `${o.symbol} ${o.status}`), `the confirmed order was placed in the holder's database (chat said: ${stdout})`).toContain('SOL/USDT filled');
  }, 60_000);

  it('ends the bridged session when the holder stops', async () => {
    // The bridge in-process, on streams standing for stdin/stdout.
    const input = new PassThrough();
    const output = new PassThrough();
    let received = '';
    output.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
    const bridged = bridgeSession({ kind: 'mcp', dataDir, user: 'frank', input, output });
    const answered = new Promise<void>((resolve) => output.on('data', () => received.includes('\n') && resolve()));
    input.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }) + '\n');
    await answered;
    expect(JSON.parse(received.split('\n')[0]!), 'the holder answered the bridged initialize').toMatchObject({ id: 1, result: { serverInfo: expect.any(Object) } });
    await socket!.close();
    socket = undefined;
    await expect(bridged, 'the bridge ends with the holder').resolves.toEqual({ bridged: true });
  });
});

describe('mikey mcp when no holder can host the session', () => {
  it('does not bridge when nothing listens, or the listener cannot host MCP sessions', async () => {
    const other = await mkdtemp(join(tmpdir(), 'mikey-mcp-bridge-'));
    try {
      const streams = { input: new PassThrough(), output: new PassThrough() };
      expect(await bridgeSession({ kind: 'mcp', dataDir: other, user: undefined, ...streams }), 'no socket: mikey mcp serves itself').toEqual({ bridged: false, why: 'it has no command socket' });
      const commandsOnly = await startControlServer({ dataDir: other, logger: createLogger('error', () => undefined), run: async () => 0 });
      try {
        expect(await bridgeSession({ kind: 'mcp', dataDir: other, user: undefined, ...streams }), 'a holder without MCP sessions is not bridged to').toEqual({ bridged: false, why: 'it cannot host mcp sessions' });
      } finally {
        await commandsOnly?.close();
      }
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});

describe('mikey chat when the holder cannot run it', () => {
  it('refuses, saying to chat through the holder or stop it', async () => {
    const other = await mkdtemp(join(tmpdir(), 'mikey-chat-refusal-'));
    const saved = { ...process.env };
    try {
      // A live process (our parent) holds the lock, and its socket runs commands but no chat.
      await writeFile(join(other, 'mikey.lock'), String(process.ppid));
      const commandsOnly = await startControlServer({ dataDir: other, logger: createLogger('error', () => undefined), run: async () => 0 });
      Object.assign(process.env, { MIKEY_DATA_DIR: other, MIKEY_MARKET: 'sim', LOG_LEVEL: 'error', MIKEY_SECRET_KEY: SECRET });
      const errors: string[] = [];
      try {
        const code = await main(['chat'], { log: () => undefined, error: (s) => errors.push(s) });
        expect(code, 'the chat cannot run').toBe(1);
      } finally {
        await commandsOnly?.close();
      }
      expect(errors.join('\n')).toMatch(/Another MIKEY process \(pid \d+\) is using the embedded database/);
      expect(errors.join('\n'), 'says what to do instead').toMatch(/cannot run the chat for you \(it cannot host chat sessions\): chat through it \(Telegram, Discord or its own terminal\), or stop it first/);
    } finally {
      process.env = saved;
      process.exitCode = 0;
      await rm(other, { recursive: true, force: true });
    }
  });
});
