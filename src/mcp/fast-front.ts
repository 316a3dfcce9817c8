// The first answers of `mikey mcp`, before any of MIKEY is loaded. Claude Desktop starts the server
// at every launch and waits for `initialize` and `tools/list`; loading the MCP SDK, the tool catalogue
// and the CLI takes longer than the answers themselves. The build records those answers
// (dist/mcp-handshake.json, written by src/mcp/handshake.ts from the real server), and this module —
// node built-ins only — answers them from the record the moment they arrive.
//
// It is a filter on the wire, never a second server: every message from the client still goes on,
// unchanged and in order, to the real session (local or bridged to the process holding the
// database), and the real session's answers to the requests answered here are dropped on the way
// out. So the real server sees the whole conversation (the client's capabilities included) and,
// once loaded, answers everything else itself.
import { readFileSync } from 'node:fs';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { setStdioStreams } from './stdio-streams.js';

/** What the build recorded from the real server. */
export interface Handshake {
  /** Protocol versions the server speaks, newest first (the SDK's list). */
  supportedVersions: string[];
  /** The `initialize` result without `protocolVersion` (negotiated per client). */
  initialize: Record<string, unknown>;
  /** Results of the parameterless list requests (`tools/list`, `prompts/list`, …). */
  lists: Record<string, unknown>;
}

export const HANDSHAKE_FILE = 'mcp-handshake.json';

/** The recorded handshake beside the compiled modules, or undefined (sources, or no record). */
export function loadHandshake(file: URL | string = new URL(`../${HANDSHAKE_FILE}`, import.meta.url)): Handshake | undefined {
  try {
    const h = JSON.parse(readFileSync(file, 'utf8')) as Partial<Handshake>;
    if (!Array.isArray(h.supportedVersions) || h.supportedVersions.length === 0 || typeof h.initialize !== 'object' || typeof h.lists !== 'object') return undefined;
    return h as Handshake;
  } catch {
    return undefined;
  }
}

type Message = { jsonrpc?: string; id?: string | number; method?: string; params?: Record<string, unknown>; result?: unknown; error?: unknown };

/** The answer to `message` from the record, or undefined when the real server must answer it. */
export function recordedAnswer(h: Handshake, message: Message): unknown {
  if (message.id === undefined || typeof message.method !== 'string') return undefined;
  if (message.method === 'initialize') {
    // As the SDK negotiates: the client's version when spoken here, else the newest.
    const asked = message.params?.['protocolVersion'];
    const protocolVersion = typeof asked === 'string' && h.supportedVersions.includes(asked) ? asked : h.supportedVersions[0];
    return { ...h.initialize, protocolVersion };
  }
  if (message.method === 'ping') return {};
  // A list asked for a further page goes to the real server.
  if (message.params && 'cursor' in message.params && message.params['cursor'] !== undefined) return undefined;
  return h.lists[message.method];
}

/** Splits a byte stream into lines (the stdio transport's framing: one JSON message per line). */
function onLines(stream: Readable, each: (line: string) => void, end: () => void): void {
  let buffer = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      each(line);
    }
  });
  stream.on('end', () => {
    if (buffer.length > 0) each(buffer);
    end();
  });
}

function parse(line: string): Message | undefined {
  try {
    const m = JSON.parse(line.replace(/\r$/, '')) as unknown;
    return m && typeof m === 'object' && !Array.isArray(m) ? m : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Puts the filter between the client's wire (`clientIn`/`clientOut`) and the streams it returns,
 * which the real session reads and writes as if they were stdin and stdout.
 */
export function startFastFront(h: Handshake, clientIn: Readable, clientOut: Writable): { input: PassThrough; output: PassThrough } {
  const input = new PassThrough();
  const output = new PassThrough();
  /** Requests answered here, by id: the real server's answers to them are dropped. */
  const answered = new Set<string>();
  onLines(
    clientIn,
    (line) => {
      const m = parse(line);
      const answer = m ? recordedAnswer(h, m) : undefined;
      if (m && answer !== undefined) {
        answered.add(JSON.stringify(m.id));
        clientOut.write(`${JSON.stringify({ jsonrpc: '2.0', id: m.id, result: answer })}\n`);
      }
      input.write(`${line}\n`);
    },
    () => input.end(),
  );
  onLines(
    output,
    (line) => {
      const m = parse(line);
      if (m && m.id !== undefined && m.method === undefined && answered.delete(JSON.stringify(m.id))) return;
      clientOut.write(`${line}\n`);
    },
    () => undefined,
  );
  return { input, output };
}

/** `mikey mcp` on this process's stdio: answers the handshake from the build's record when there is one. */
export function openFastFront(): boolean {
  const h = loadHandshake();
  if (!h) return false;
  setStdioStreams(startFastFront(h, process.stdin, process.stdout));
  return true;
}
