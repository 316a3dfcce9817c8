// A scripted Anthropic Messages API on 127.0.0.1: POST /v1/messages answers from a script (a list of
// steps, or a function of the request), in the real wire format — message objects with text and
// tool_use blocks, stop_reason and usage (cache fields included), or error bodies with 429 / 529 and
// retry-after. It checks what the real API checks about a conversation (first message from the
// user, every tool_use answered by a tool_result in the next message and nothing else) and records
// every request so tests can assert cache_control, tool definitions and tool_result wrapping.
//
// `{ local: true }` makes it behave like the Messages API of a local model server (Ollama,
// llama.cpp's server): no key needed, no prompt caching (cache_control is accepted and ignored),
// usage without cache fields — or no usage at all with `{ local: { usage: 'none' } }` — and no
// service tier. Tool calls come as plain tool_use blocks, several per answer if the script says so,
// and `{ local: { toolStopReason: 'end_turn' } }` answers tool calls with stop_reason "end_turn" as
// some of them do. A step can also answer with a raw (malformed) body or hang up without answering,
// and `close()` leaves the port refusing connections — the ways a local model fails.
//
// A request with `"stream": true` is answered with server-sent events in the real API's order:
// message_start, ping, then per block content_block_start, content_block_delta (text_delta in word
// chunks, input_json_delta in pieces), content_block_stop, then message_delta and message_stop. A step
// can cut the stream after some events (`stream.cutAfter`) or send an error event there.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface UsageSpec {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}

export type Block = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

export interface Step {
  status?: number;
  headers?: Record<string, string>;
  body: unknown;
  /** Sent as is instead of `body` as JSON (a malformed answer). */
  raw?: string;
  /** Drop the connection without answering. */
  hangUp?: boolean;
  /** Think time before answering. */
  delayMs?: number;
  /** When the request asks to stream: drop the connection after this many events, or send an error event there. */
  stream?: { cutAfter?: number; errorAfter?: { events: number; type: 'overloaded_error' | 'api_error' } };
}

export interface StreamEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Splits text into word-sized chunks that join back to it ("Hello there" → "Hello", " there"). */
export function textChunks(text: string): string[] {
  return text.match(/\s*\S+\s*?(?=\s|$)|\s+$/g) ?? (text === '' ? [] : [text]);
}

/** The server-sent events the real Messages API streams for a complete message body. */
export function streamEvents(body: Record<string, unknown>): StreamEvent[] {
  const content = Array.isArray(body.content) ? (body.content as Array<Record<string, unknown>>) : [];
  const u = (body.usage ?? {}) as Record<string, unknown>;
  const events: StreamEvent[] = [
    { event: 'message_start', data: { type: 'message_start', message: { ...body, content: [], stop_reason: null, stop_sequence: null, ...(body.usage ? { usage: { ...u, output_tokens: 1 } } : {}) } } },
    { event: 'ping', data: { type: 'ping' } },
  ];
  content.forEach((b, index) => {
    if (b.type === 'text') {
      events.push({ event: 'content_block_start', data: { type: 'content_block_start', index, content_block: { type: 'text', text: '' } } });
      for (const chunk of textChunks(typeof b.text === 'string' ? b.text : '')) events.push({ event: 'content_block_delta', data: { type: 'content_block_delta', index, delta: { type: 'text_delta', text: chunk } } });
    } else if (b.type === 'tool_use') {
      events.push({ event: 'content_block_start', data: { type: 'content_block_start', index, content_block: { type: 'tool_use', id: b.id, name: b.name, input: {} } } });
      const json = JSON.stringify(b.input ?? {});
      const half = Math.ceil(json.length / 2);
      for (const part of [json.slice(0, half), json.slice(half)]) if (part) events.push({ event: 'content_block_delta', data: { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: part } } });
    }
    events.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index } });
  });
  events.push({ event: 'message_delta', data: { type: 'message_delta', delta: { stop_reason: body.stop_reason ?? 'end_turn', stop_sequence: null }, usage: { output_tokens: Number(u.output_tokens ?? 0) } } });
  events.push({ event: 'message_stop', data: { type: 'message_stop' } });
  return events;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  /** Time from the request's last byte to the response's last byte, in ms (the "model's" time). */
  serverMs: number;
  status: number;
}

export type Script = Step[] | ((req: RecordedRequest, index: number) => Step);

let ids = 0;
const nextId = (prefix: string): string => `${prefix}_${(++ids).toString(36).padStart(8, '0')}`;

function usage(u: UsageSpec = {}): Required<UsageSpec> & Record<string, unknown> {
  return {
    input_tokens: u.input_tokens ?? 100,
    output_tokens: u.output_tokens ?? 20,
    cache_creation_input_tokens: u.cache_creation_input_tokens ?? 0,
    cache_read_input_tokens: u.cache_read_input_tokens ?? 0,
    cache_creation: null,
    server_tool_use: null,
    service_tier: 'standard',
  };
}

/** A complete assistant message. */
export function message(content: Block[], stopReason: 'end_turn' | 'tool_use' | 'max_tokens' | 'refusal', u?: UsageSpec, model = 'claude-sonnet-4-5'): Step {
  return {
    body: { id: nextId('msg'), type: 'message', role: 'assistant', model, content, stop_reason: stopReason, stop_sequence: null, container: null, usage: usage(u) },
  };
}

export function textReply(text: string, u?: UsageSpec): Step {
  return message([{ type: 'text', text }], 'end_turn', u);
}

export function toolUseReply(calls: Array<{ name: string; input: Record<string, unknown>; id?: string }>, text?: string, u?: UsageSpec): Step {
  const blocks: Block[] = text ? [{ type: 'text', text }] : [];
  for (const c of calls) blocks.push({ type: 'tool_use', id: c.id ?? nextId('toolu'), name: c.name, input: c.input });
  return message(blocks, 'tool_use', u);
}

export function errorReply(status: 429 | 529 | 500 | 400, type: 'rate_limit_error' | 'overloaded_error' | 'api_error' | 'invalid_request_error', text: string, retryAfterSeconds?: number): Step {
  return {
    status,
    headers: { ...(retryAfterSeconds !== undefined ? { 'retry-after': String(retryAfterSeconds) } : {}), 'request-id': nextId('req') },
    body: { type: 'error', error: { type, message: text } },
  };
}

interface ContentLike {
  type: string;
  id?: string;
  tool_use_id?: string;
}

/** What the real API refuses about a conversation, or undefined when it is well formed. */
export function conversationProblem(body: { messages?: unknown; model?: unknown; max_tokens?: unknown }): string | undefined {
  if (typeof body.model !== 'string' || typeof body.max_tokens !== 'number') return 'model and max_tokens are required';
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) return 'messages: at least one message is required';
  const first = messages[0] as { role?: string };
  if (first.role !== 'user') return 'messages: first message must use the "user" role';
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as { role: string; content: string | ContentLike[] };
    if (m.role !== 'user' && m.role !== 'assistant') return `messages.${i}.role: unexpected ${m.role}`;
    const blocks = typeof m.content === 'string' ? [] : m.content;
    if (typeof m.content !== 'string' && blocks.length === 0) return `messages.${i}: content must not be empty`;
    const uses = m.role === 'assistant' ? blocks.filter((b) => b.type === 'tool_use').map((b) => b.id) : [];
    const next = messages[i + 1] as { role: string; content: string | ContentLike[] } | undefined;
    if (uses.length > 0) {
      const results = next && typeof next.content !== 'string' ? next.content.filter((b) => b.type === 'tool_result').map((b) => b.tool_use_id) : [];
      for (const id of uses) if (!results.includes(id)) return `messages.${i + 1}: tool_use ids were found without tool_result blocks immediately after: ${id}`;
    }
    if (m.role === 'user') {
      const prev = messages[i - 1] as { role: string; content: string | ContentLike[] } | undefined;
      const prevUses = prev && prev.role === 'assistant' && typeof prev.content !== 'string' ? prev.content.filter((b) => b.type === 'tool_use').map((b) => b.id) : [];
      for (const b of blocks) {
        if (b.type === 'tool_result' && !prevUses.includes(b.tool_use_id)) return `messages.${i}: unexpected tool_use_id ${b.tool_use_id} in tool_result blocks`;
      }
    }
  }
  return undefined;
}

export interface LocalModelOptions {
  /** `plain`: input and output tokens only (default); `none`: no usage object at all. */
  usage?: 'plain' | 'none';
  /** The stop reason of an answer with tool calls (default tool_use). */
  toolStopReason?: 'tool_use' | 'end_turn';
}

export interface ServerOptions {
  /** Behave like a local model server's Messages API instead of Anthropic's. */
  local?: boolean | LocalModelOptions;
}

/** A message body as a local server sends it: no cache fields, no service tier, maybe no usage. */
function asLocal(body: Record<string, unknown>, opts: LocalModelOptions): Record<string, unknown> {
  const { usage, container: _c, ...rest } = body as { usage?: Record<string, unknown>; container?: unknown } & Record<string, unknown>;
  const content = Array.isArray(rest.content) ? (rest.content as Array<{ type: string }>) : [];
  const out: Record<string, unknown> = { ...rest };
  if (opts.toolStopReason && content.some((b) => b.type === 'tool_use')) out.stop_reason = opts.toolStopReason;
  if (opts.usage !== 'none') out.usage = { input_tokens: usage?.input_tokens ?? 0, output_tokens: usage?.output_tokens ?? 0 };
  return out;
}

export interface MessagesApiServer {
  /** Base URL for the SDK's `baseURL`. */
  url: string;
  requests: RecordedRequest[];
  /** Replaces the script (list scripts are consumed in order). */
  setScript(script: Script): void;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startMessagesApiServer(initial: Script = [], options: ServerOptions = {}): Promise<MessagesApiServer> {
  const local: LocalModelOptions | undefined = options.local === true ? {} : options.local || undefined;
  let script: Script = initial;
  let index = 0;
  const requests: RecordedRequest[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const raw = await readBody(req);
    const started = performance.now();
    const rec: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: undefined, serverMs: 0, status: 0 };
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      rec.status = status;
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
      rec.serverMs = performance.now() - started;
      res.end(text, () => {
        rec.serverMs = performance.now() - started;
      });
    };
    requests.push(rec);
    if (req.method !== 'POST' || !req.url?.startsWith('/v1/messages')) return send(404, { type: 'error', error: { type: 'not_found_error', message: `no route ${req.method} ${req.url}` } });
    if (!local && !req.headers['x-api-key'] && !req.headers.authorization) return send(401, { type: 'error', error: { type: 'authentication_error', message: 'missing x-api-key' } });
    try {
      rec.body = JSON.parse(raw);
    } catch {
      return send(400, { type: 'error', error: { type: 'invalid_request_error', message: 'body is not JSON' } });
    }
    const problem = conversationProblem(rec.body);
    if (problem) return send(400, { type: 'error', error: { type: 'invalid_request_error', message: problem } });
    const i = index++;
    const step = typeof script === 'function' ? script(rec, i) : script[i];
    if (!step) return send(500, { type: 'error', error: { type: 'api_error', message: `script has no step ${i}` } });
    if (step.delayMs) await new Promise((r) => setTimeout(r, step.delayMs));
    if (step.hangUp) {
      rec.status = -1;
      req.socket.destroy();
      return;
    }
    if (step.raw !== undefined) {
      rec.status = step.status ?? 200;
      res.writeHead(rec.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(step.raw), ...step.headers });
      res.end(step.raw);
      return;
    }
    // A fresh message id per answer, and the model that was asked for, as the real API does.
    const isMessage = step.body && typeof step.body === 'object' && (step.body as { type?: string }).type === 'message';
    const fresh = isMessage ? { ...(step.body as Record<string, unknown>), id: nextId('msg'), model: rec.body.model } : step.body;
    const body = isMessage && local ? asLocal(fresh as Record<string, unknown>, local) : fresh;
    if (isMessage && rec.body.stream === true && (step.status ?? 200) === 200) {
      rec.status = 200;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...step.headers });
      const events = streamEvents(body as Record<string, unknown>);
      for (let n = 0; n < events.length; n++) {
        if (step.stream?.cutAfter === n) {
          rec.status = -1;
          // Let what was written reach the client, then drop the connection mid-answer.
          await new Promise<void>((r) => res.write('', () => r()));
          req.socket.destroy();
          return;
        }
        if (step.stream?.errorAfter?.events === n) {
          const err = { type: 'error', error: { type: step.stream.errorAfter.type, message: 'Overloaded' } };
          res.end(`event: error\ndata: ${JSON.stringify(err)}\n\n`);
          return;
        }
        const e = events[n]!;
        res.write(`event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`);
      }
      rec.serverMs = performance.now() - started;
      res.end();
      return;
    }
    send(step.status ?? 200, body, step.headers);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ type: 'error', error: { type: 'api_error', message: String(err) } }));
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setScript: (s) => {
      script = s;
      index = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
