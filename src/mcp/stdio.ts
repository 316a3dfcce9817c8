// `mikey mcp`: MCP over stdio for Claude Desktop / Claude Code on the trader's machine. The acting
// user is the local owner (or MIKEY_USER). stdout carries the protocol; logs go to stderr.
//
// The handshake does not wait for the database. A front server built from the tool catalogue alone
// answers `initialize`, `tools/list`, `prompts/*`, `resources/list` and `ping` at once, while the
// app opens in the background; what needs the database (`tools/call`, `resources/read`,
// `resources/subscribe`/`unsubscribe`) waits for it and then goes to the session's real server,
// which is initialised with the client's own `initialize` parameters (so it sees the same client
// capabilities, elicitation included). Its answers, notifications and requests to the client go
// straight back out. If the app cannot open, each such call answers why, and the reason is logged.
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, isJSONRPCNotification, isJSONRPCRequest, type JSONRPCMessage, type RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { App } from '../app.js';
import { scrub, type Logger } from '../log.js';
import { isAppError } from '../services/errors.js';
import { EventBus } from '../services/events.js';
import type { Services } from '../services/index.js';
import { ensureLocalOwner } from '../services/users.js';
import { CATALOGUE } from '../tools/index.js';
import { createMcpServer } from './server.js';
import { stdioStreams } from './stdio-streams.js';

/** Requests only the opened app can answer. */
const NEEDS_APP: ReadonlySet<string> = new Set(['tools/call', 'resources/read', 'resources/subscribe', 'resources/unsubscribe']);
/** The id of the `initialize` this module sends the session's real server itself. */
const BACKEND_INITIALIZE_ID = 'mikey-stdio-initialize';

export interface StdioOptions {
  /** Opens the app; called once, at start. */
  open: () => Promise<App>;
  /**
   * Called once the session's real server is ready, with the calls that waited for it already sent
   * on: background work started here does not delay the first tool call.
   */
  ready?: (app: App) => void;
  logger: Logger;
  /** The client's side of the wire; by default this process's stdin/stdout. */
  transport?: Transport;
}

/** The front: the catalogue without services. Its tool handlers are never reached (tools/call is routed past it). */
export function createFrontServer(logger: Logger): ReturnType<typeof createMcpServer> {
  return createMcpServer({ logger, events: new EventBus(logger) } as unknown as Services, { actor: { userId: '', surface: 'mcp-stdio' }, permissions: 'all' }, CATALOGUE);
}

/** Serves MCP over stdio on an app that is already open. */
export async function runStdio(app: App): Promise<void> {
  await serveStdio({ open: async () => app, logger: app.logger });
}

/** Serves MCP on `transport` until the client goes away, answering the handshake before the app is open. */
export async function serveStdio(opts: StdioOptions): Promise<void> {
  const { logger } = opts;
  const stdio = stdioStreams();
  const wire = opts.transport ?? new StdioServerTransport(stdio.input, stdio.output);
  const send = (message: JSONRPCMessage): void => {
    wire.send(message).catch((err: unknown) => logger.warn('could not write to the MCP client', { error: err }));
  };

  const front = createFrontServer(logger);
  const [toFront, frontSide] = InMemoryTransport.createLinkedPair();
  toFront.onmessage = send;
  await front.connect(frontSide);

  let clientInitialize: (params: unknown) => void = () => undefined;
  const initializeParams = new Promise<unknown>((resolve) => (clientInitialize = resolve));
  const backend = openBackend(opts, initializeParams, send);
  backend.catch((err: unknown) => logger.error('MIKEY could not open its database; MCP tool calls answer with the reason', { error: err }));

  const forwarded = new Set<RequestId>();
  const toBackend = async (message: JSONRPCMessage): Promise<void> => {
    let session: BackendSession;
    try {
      session = await backend;
    } catch (err) {
      if (isJSONRPCRequest(message)) send(unavailable(message.id, message.method, err));
      return;
    }
    await session.transport.send(message);
  };
  const deliver = (target: Promise<void>): void => {
    target.catch((err: unknown) => logger.warn('could not pass an MCP message on', { error: err }));
  };

  wire.onmessage = (message: JSONRPCMessage) => {
    if (isJSONRPCRequest(message)) {
      if (message.method === 'initialize') clientInitialize(message.params);
      if (NEEDS_APP.has(message.method)) {
        forwarded.add(message.id);
        deliver(toBackend(message));
      } else deliver(toFront.send(message));
    } else if (isJSONRPCNotification(message)) {
      const cancelled = message.method === 'notifications/cancelled' ? (message.params as { requestId?: RequestId } | undefined)?.requestId : undefined;
      if (cancelled !== undefined && forwarded.has(cancelled)) deliver(toBackend(message));
      else deliver(toFront.send(message));
    } else {
      // A response: only the real server asks the client anything (elicitation of an order's confirmation).
      deliver(toBackend(message));
    }
  };

  const closed = new Promise<void>((resolve) => {
    wire.onclose = () => resolve();
    if (!opts.transport) {
      stdio.input.once('end', () => resolve());
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    }
  });
  await wire.start();
  logger.debug('MIKEY MCP server on stdio: answering while the database opens');
  await closed;
  await front.close();
  // The app's opening is awaited so that whoever opened it can close it.
  const session = await backend.catch(() => undefined);
  await session?.close();
  await wire.close().catch(() => undefined);
}

interface BackendSession {
  transport: Transport;
  close(): Promise<void>;
}

/** Opens the app and the session's real server, initialised with the client's own parameters. */
async function openBackend(opts: StdioOptions, initializeParams: Promise<unknown>, send: (m: JSONRPCMessage) => void): Promise<BackendSession> {
  const app = await opts.open();
  const owner = await ensureLocalOwner(app.database.db, app.config.MIKEY_USER);
  const server = createMcpServer(app.services, { actor: { userId: owner.id, surface: 'mcp-stdio' }, permissions: 'all' }, CATALOGUE);
  const [transport, serverSide] = InMemoryTransport.createLinkedPair();
  let initialized: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (initialized = resolve));
  transport.onmessage = (message: JSONRPCMessage) => {
    if ('id' in message && message.id === BACKEND_INITIALIZE_ID && !('method' in message)) initialized();
    else send(message);
  };
  await server.connect(serverSide);
  await transport.send({ jsonrpc: '2.0', id: BACKEND_INITIALIZE_ID, method: 'initialize', params: (await initializeParams) as Record<string, unknown> });
  await ready;
  await transport.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  app.logger.info('MIKEY MCP server on stdio', { user: owner.username });
  if (opts.ready) setImmediate(() => opts.ready!(app));
  return { transport, close: () => server.close() };
}

/** The answer to a call that needs the app when the app could not open. */
function unavailable(id: RequestId, method: string, err: unknown): JSONRPCMessage {
  const reason = isAppError(err) ? err.message : scrub(err instanceof Error ? err.message : String(err));
  const text = `MIKEY could not open its database, so it cannot answer this: ${reason}. Fix that and restart the MCP server (in Claude Desktop, restart the app).`;
  if (method === 'tools/call') return { jsonrpc: '2.0', id, result: { isError: true, content: [{ type: 'text', text }] } };
  return { jsonrpc: '2.0', id, error: { code: ErrorCode.InternalError, message: text } };
}

/**
 * An MCP session on an app that is already open, over `transport`, for another `mikey mcp` process
 * (see control/sessions.ts): exactly what `mikey mcp` serves, acting as the local owner named by the
 * caller's MIKEY_USER (else this process's). It ends when the transport closes.
 */
export async function serveMcpSession(app: App, user: string | undefined, transport: Transport): Promise<void> {
  const session: App = { ...app, config: { ...app.config, MIKEY_USER: user ?? app.config.MIKEY_USER } };
  void serveStdio({ open: async () => session, logger: app.logger, transport }).catch(async (err: unknown) => {
    app.logger.error('MCP session for another mikey process failed', { error: err });
    await transport.close().catch(() => undefined);
  });
}
