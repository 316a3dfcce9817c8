// `mikey mcp` and `mikey chat` beside a process that holds the embedded database (`serve` for
// Telegram, say, while Claude Desktop starts `mikey mcp` at every launch): the session runs inside
// the holder, and this process only carries bytes. On the command socket (see socket.ts) the
// client's first line is {"mcp": true, "user": "<MIKEY_USER>"} (or {"chat": true, …}); the holder
// answers {"mcp": true} and from then on the connection carries what the command would read from
// stdin and write to stdout (MCP's newline-delimited JSON-RPC, or the chat's lines), so the bridge
// copies bytes. The client ending its side means end of input; the holder then ends its own.
import { createConnection, type Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { deserializeMessage, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { controlSocketPath, type SessionKind } from './socket.js';

/** The largest MCP message (one line) accepted on the socket. */
const MAX_LINE_BYTES = 16 * 1024 * 1024;

/** An MCP transport over a connected socket: newline-delimited JSON-RPC, as MCP's stdio transport. */
export class SocketTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  private buffered: string;
  private closed = false;

  constructor(
    private readonly socket: Socket,
    /** What arrived after the first line, before the session started. */
    leftover = '',
  ) {
    this.buffered = leftover;
  }

  async start(): Promise<void> {
    this.socket.setEncoding('utf8');
    this.socket.on('data', (chunk: string) => {
      this.buffered += chunk;
      this.drain();
    });
    this.socket.on('end', () => this.socket.end());
    this.socket.on('close', () => this.finish());
    this.socket.resume();
    this.drain();
  }

  private drain(): void {
    let nl: number;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl).replace(/\r$/, '');
      this.buffered = this.buffered.slice(nl + 1);
      if (!line.trim()) continue;
      try {
        this.onmessage?.(deserializeMessage(line));
      } catch (err) {
        this.onerror?.(err instanceof Error ? err : new Error(String(err)));
      }
    }
    if (this.buffered.length > MAX_LINE_BYTES) {
      this.onerror?.(new Error('MCP message too large'));
      this.socket.destroy();
    }
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.onclose?.();
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.socket.destroyed || !this.socket.writable) return;
    await new Promise<void>((resolve) => this.socket.write(serializeMessage(message), () => resolve()));
  }

  async close(): Promise<void> {
    this.socket.end();
    this.finish();
  }
}

export type BridgeResult = { bridged: true } | { bridged: false; why: string };

export interface BridgeOptions {
  kind: SessionKind;
  dataDir: string;
  /** The caller's MIKEY_USER. */
  user: string | undefined;
  /** The caller's terminal takes colour and prompts (chat). */
  pretty?: boolean;
  input: Readable;
  output: Writable;
  timeoutMs?: number;
}

/**
 * Carries this process's stdio (`input` → holder, holder → `output`) to a session inside the process
 * holding the embedded database in `dataDir`. Resolves `{ bridged: false }` at once when no holder
 * answers on the command socket (none is running, or it cannot host this kind of session), so the
 * caller can do without; otherwise resolves `{ bridged: true }` when the holder ends the session
 * (after `input` ended, or when the holder stops).
 */
export async function bridgeSession(opts: BridgeOptions): Promise<BridgeResult> {
  const { input, output } = opts;
  return new Promise<BridgeResult>((resolve) => {
    const socket = createConnection(controlSocketPath(opts.dataDir));
    let head = Buffer.alloc(0);
    let accepted = false;
    let settled = false;
    const refuse = (why: string): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve({ bridged: false, why });
    };
    socket.setTimeout(opts.timeoutMs ?? 30_000, () => refuse('no answer on its command socket'));
    const request = { [opts.kind]: true, ...(opts.user ? { user: opts.user } : {}), ...(opts.pretty ? { pretty: true } : {}) };
    socket.on('connect', () => socket.write(JSON.stringify(request) + '\n'));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (!accepted) refuse(err.code === 'ENOENT' ? 'it has no command socket' : err.code === 'ECONNREFUSED' ? 'nothing listens on its command socket' : err.message);
    });
    const onInput = (chunk: Buffer | string): void => {
      socket.write(chunk);
    };
    const onInputEnd = (): void => {
      socket.end();
    };
    socket.on('data', (chunk: Buffer) => {
      if (accepted) {
        output.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const nl = head.indexOf(0x0a);
      if (nl < 0) return;
      let answer: Record<string, unknown> | undefined;
      try {
        answer = JSON.parse(head.subarray(0, nl).toString('utf8')) as Record<string, unknown>;
      } catch {
        answer = undefined;
      }
      if (answer?.[opts.kind] !== true) {
        refuse(`it cannot host ${opts.kind} sessions`);
        return;
      }
      accepted = true;
      socket.setTimeout(0);
      const rest = head.subarray(nl + 1);
      if (rest.length > 0) output.write(rest);
      input.on('data', onInput);
      input.once('end', onInputEnd);
      input.resume();
    });
    socket.on('close', () => {
      if (!accepted) {
        refuse('it closed the connection without answering');
        return;
      }
      input.off('data', onInput);
      input.off('end', onInputEnd);
      input.pause();
      settled = true;
      resolve({ bridged: true });
    });
  });
}
