// The embedded database (PGlite) is single-process. While one MIKEY process holds it (`serve`,
// `chat`, `mcp`), other `mikey` commands cannot open it; instead the holder listens on a Unix socket
// in the data directory and runs their commands for them, with the same command code and the same
// output. The socket is owner-only (mode 0600, in the 0700 data directory): whoever can reach it can
// already read the database files. One request per connection, newline-delimited JSON:
//   request  {"argv": ["apikey", "list", "--user", "alice"], "user": "alice"}
//   answer   {"log": "…"} / {"error": "…"} lines as the command writes them, then {"exit": 0}.
// A command that needs what the caller typed privately (`exchange add`: the API key and secret,
// read from a hidden prompt or stdin in the caller's process) sends it as `input`, never in argv:
//   request  {"argv": ["exchange", "add", "--exchange", "binance"], "user": "alice", "input": "…"}
// The command reads it with `forwardedInput(out)`; it is never logged or echoed. A long command
// (`data backfill`) stops when the caller goes away: `forwardedInput(out).signal` is aborted when its
// connection ends before the command does.
// The other kind of connection is a session (`mikey mcp` or `mikey chat` beside the holder, see
// sessions.ts) that runs inside the holder for as long as the connection lasts:
//   request  {"mcp": true, "user": "alice"}  or  {"chat": true, "user": "alice", "pretty": true}
//   answer   {"mcp": true} / {"chat": true}, then the session's bytes both ways (MCP's
//            newline-delimited JSON-RPC, or the chat's lines) until either side closes.
import { chmod, rm } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Out } from '../cli-types.js';
import type { Logger } from '../log.js';

export const CONTROL_SOCKET_NAME = 'mikey.sock';
/** Unix socket paths are limited to 107 bytes on Linux (103 on macOS). */
const MAX_SOCKET_PATH = 100;
const MAX_REQUEST_BYTES = 64 * 1024;
/** Largest private `input` a request may carry (exchange keys are a few hundred bytes). */
export const MAX_CONTROL_INPUT_BYTES = 16 * 1024;

export function controlSocketPath(dataDir: string): string {
  return join(dataDir, CONTROL_SOCKET_NAME);
}

export interface ControlRequest {
  argv: string[];
  /** The caller's MIKEY_USER, so `mikey link` means the same user through the socket as without it. */
  user?: string | undefined;
  /** What the caller read privately for the command (a secret): kept out of argv and out of every log. */
  input?: string | undefined;
}

/**
 * The request each forwarded command's `Out` answers, so a command can tell that it runs for another
 * process (and must not read this process's stdin) and read the input that process sent.
 */
const forwarded = new WeakMap<Out, ForwardedRun>();

export interface ForwardedRun {
  /** What the caller read privately for the command (absent when it sent none). */
  input?: string;
  /** Aborted when the caller's connection ends before the command does (Ctrl-C there). */
  signal: AbortSignal;
}

/**
 * For a command running for another mikey process: `{ input, signal }` as that process sent it
 * (input may be absent). Undefined when the command runs in its own process.
 */
export function forwardedInput(out: Out): ForwardedRun | undefined {
  return forwarded.get(out);
}

export type ControlRunner = (request: ControlRequest, out: Out) => Promise<number>;

export type SessionKind = 'mcp' | 'chat';

export interface SessionRequest {
  kind: SessionKind;
  /** The caller's MIKEY_USER: the session acts as the same local owner as the command would. */
  user?: string | undefined;
  /** The caller's terminal takes colour and prompts (chat). */
  pretty?: boolean;
}

/**
 * Starts a session on `socket` (already answered; paused until the session reads it) that ends
 * when the socket closes. `leftover` is what the client sent after its first line. The socket is
 * half-open: the client ending its side means no more input, and the session ends its own.
 */
export type SessionHandler = (request: SessionRequest, socket: Socket, leftover: string) => Promise<void>;

export interface ControlServer {
  path: string;
  close(): Promise<void>;
}

/** Why a command could not be sent to the holder (no socket, nobody listening, no answer). */
export class ControlUnavailableError extends Error {
  override readonly name = 'ControlUnavailableError';
}

function parseRequest(line: string): ControlRequest | SessionRequest | { refused: string } | undefined {
  try {
    const v = JSON.parse(line) as { argv?: unknown; user?: unknown; mcp?: unknown; chat?: unknown; pretty?: unknown; input?: unknown };
    const kind = v.mcp === true ? 'mcp' : v.chat === true ? 'chat' : undefined;
    if (kind) return { kind, ...(typeof v.user === 'string' ? { user: v.user } : {}), pretty: v.pretty === true };
    if (!Array.isArray(v.argv) || !v.argv.every((a) => typeof a === 'string')) return undefined;
    if (v.input !== undefined && typeof v.input !== 'string') return undefined;
    if (typeof v.input === 'string' && Buffer.byteLength(v.input) > MAX_CONTROL_INPUT_BYTES) return { refused: `the private input is larger than ${MAX_CONTROL_INPUT_BYTES / 1024} KiB` };
    return { argv: v.argv, ...(typeof v.user === 'string' ? { user: v.user } : {}), ...(typeof v.input === 'string' ? { input: v.input } : {}) };
  } catch {
    return undefined;
  }
}

function send(socket: Socket, message: Record<string, unknown>): void {
  if (!socket.destroyed) socket.write(JSON.stringify(message) + '\n');
}

/**
 * Listens on `<dataDir>/mikey.sock`. The caller holds the data directory's lock, so a socket file
 * already there belongs to a process that is gone: it is removed first. Returns undefined (with a
 * warning) when the path is too long for a Unix socket.
 */
export async function startControlServer(opts: { dataDir: string; run: ControlRunner; sessions?: Partial<Record<SessionKind, SessionHandler>>; logger: Logger }): Promise<ControlServer | undefined> {
  const path = controlSocketPath(opts.dataDir);
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    opts.logger.warn('data directory path too long for the command socket; other mikey commands cannot run while this process holds the database', { path });
    return undefined;
  }
  await rm(path, { force: true });
  const inFlight = new Set<Promise<unknown>>();
  const sessions = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    let buffered = '';
    let started = false;
    socket.setEncoding('utf8');
    socket.on('error', () => undefined);
    // A client that stops before its request is complete gets nothing more.
    socket.on('end', () => {
      if (!started) socket.end();
    });
    socket.on('data', (chunk: string) => {
      if (started) return;
      buffered += chunk;
      if (buffered.length > MAX_REQUEST_BYTES) {
        started = true;
        send(socket, { error: 'request too large' });
        send(socket, { exit: 2 });
        socket.end();
        return;
      }
      const nl = buffered.indexOf('\n');
      if (nl < 0) return;
      started = true;
      const request = parseRequest(buffered.slice(0, nl));
      if (!request || 'refused' in request) {
        send(socket, { error: request ? request.refused : 'malformed request' });
        send(socket, { exit: 2 });
        socket.end();
        return;
      }
      if ('kind' in request) {
        startSession(socket, request, buffered.slice(nl + 1));
        return;
      }
      opts.logger.info('running a command for another mikey process', { command: request.argv.slice(0, 2).join(' ') });
      const out: Out = { log: (s) => send(socket, { log: s }), error: (s) => send(socket, { error: s }) };
      const gone = new AbortController();
      let finished = false;
      const callerLeft = (): void => {
        if (!finished) gone.abort();
      };
      socket.once('end', callerLeft);
      socket.once('close', callerLeft);
      forwarded.set(out, request.input === undefined ? { signal: gone.signal } : { input: request.input, signal: gone.signal });
      const done = opts
        .run(request, out)
        .catch((err: unknown) => {
          opts.logger.error('command for another mikey process failed', { error: err });
          out.error('Unexpected error in the MIKEY process that holds the database; see its log.');
          return 1;
        })
        .then((code) => {
          finished = true;
          send(socket, { exit: code });
          socket.end();
        });
      inFlight.add(done);
      void done.finally(() => inFlight.delete(done));
    });
  });
  function startSession(socket: Socket, request: SessionRequest, leftover: string): void {
    const handler = opts.sessions?.[request.kind];
    if (!handler) {
      send(socket, { error: `this MIKEY process cannot host ${request.kind} sessions` });
      send(socket, { exit: 2 });
      socket.end();
      return;
    }
    // Paused until the session's transport reads it, so nothing sent meanwhile is lost.
    socket.pause();
    sessions.add(socket);
    socket.once('close', () => sessions.delete(socket));
    opts.logger.info(`serving a ${request.kind} session for another mikey process`);
    send(socket, { [request.kind]: true });
    const started = handler(request, socket, leftover).catch((err: unknown) => {
      opts.logger.error(`could not start a ${request.kind} session for another mikey process`, { error: err });
      socket.destroy();
    });
    inFlight.add(started);
    void started.finally(() => inFlight.delete(started));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await chmod(path, 0o600);
  server.on('error', (err) => opts.logger.warn('command socket error', { error: err }));
  let closed = false;
  return {
    path,
    close: async () => {
      if (closed) return;
      closed = true;
      // MCP sessions last as long as their client: they end with the holder (their clients see the server go).
      const closing = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of sessions) session.destroy();
      await closing;
      await Promise.allSettled([...inFlight]);
      await rm(path, { force: true });
    },
  };
}

/**
 * Sends one command to the process holding the embedded database and relays its output. Resolves
 * with the command's exit code; throws `ControlUnavailableError` when nobody answers (no socket, a
 * socket nobody listens on, or no answer within `timeoutMs`).
 */
export async function sendControlRequest(dataDir: string, request: ControlRequest, out: Out, opts: { timeoutMs?: number } = {}): Promise<number> {
  const path = controlSocketPath(dataDir);
  const timeoutMs = opts.timeoutMs ?? 120_000;
  return new Promise<number>((resolve, reject) => {
    const socket = createConnection(path);
    let buffered = '';
    let exit: number | undefined;
    let answered = false;
    const fail = (why: string): void => {
      socket.destroy();
      reject(new ControlUnavailableError(why));
    };
    socket.setEncoding('utf8');
    socket.setTimeout(timeoutMs, () => fail(`no answer within ${Math.round(timeoutMs / 1000)} s`));
    socket.on('connect', () => socket.write(JSON.stringify(request) + '\n'));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (answered) return;
      fail(err.code === 'ENOENT' ? 'it has no command socket' : err.code === 'ECONNREFUSED' ? 'nothing listens on its command socket' : err.message);
    });
    socket.on('data', (chunk: string) => {
      answered = true;
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        let m: { log?: unknown; error?: unknown; exit?: unknown };
        try {
          m = JSON.parse(line) as typeof m;
        } catch {
          continue;
        }
        if (typeof m.log === 'string') out.log(m.log);
        if (typeof m.error === 'string') out.error(m.error);
        if (typeof m.exit === 'number') exit = m.exit;
      }
    });
    socket.on('close', () => {
      if (exit !== undefined) resolve(exit);
      else if (answered) reject(new ControlUnavailableError('it stopped before the command finished'));
      else fail('it closed the connection without answering');
    });
  });
}
