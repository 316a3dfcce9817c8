// The Telegram peer for tests: telegram-test-api (a third-party fake Bot API server) on 127.0.0.1,
// behind a thin recording front of our own on another loopback port. telegraf talks to the front as
// its `apiRoot`; the front forwards what telegram-test-api implements (getMe, getUpdates,
// sendMessage, answerCallbackQuery, editMessageReplyMarkup, deleteWebhook …) and adds what it lacks:
//   - getUpdates waits (long polling) instead of answering empty at once,
//   - setMyCommands, setWebhook and sendPhoto (multipart; stored as a bot message with `photo`),
//   - sendChatAction (recorded), and editMessageText / sendMessage with the Bot API's refusals:
//     "message is not modified" for an edit that changes nothing, "message to edit not found",
//     "message is too long" past 4096 characters of text (after HTML parsing),
//   - faults: a chat that blocked the bot (403), injected 429s with retry_after, and optionally the
//     real limits enforced on a given clock (a send that breaks them is answered 429),
//   - a record of every call (method, parsed body, status).
// Test users talk through telegram-test-api's own client (`peer.client(...)`).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TelegramServer, type StoredBotUpdate } from 'telegram-test-api/lib/telegramServer.js';
import type { TelegramClient } from 'telegram-test-api/lib/modules/telegramClient.js';

export interface RecordedCall {
  method: string;
  body: Record<string, unknown>;
  status: number;
  at: number;
}

export interface BotMessage {
  messageId: number;
  chatId: string;
  text: string;
  parseMode?: string;
  replyMarkup?: { inline_keyboard?: Array<Array<{ text: string; callback_data?: string }>> };
  disableNotification?: boolean;
  photo?: boolean;
}

export interface PeerLimits {
  perChatIntervalMs: number;
  perGroupPerMinute: number;
  globalPerSecond: number;
  /** Slack for timer jitter between the sender's clock reading and the request's arrival, in ms. */
  toleranceMs: number;
  now: () => number;
}

export interface ClientOptions {
  userId: number;
  chatId?: number;
  type?: 'private' | 'group' | 'supergroup';
  firstName?: string;
  userName?: string;
  chatTitle?: string;
}

export interface TelegramPeer {
  apiRoot: string;
  token: string;
  server: TelegramServer;
  calls: RecordedCall[];
  callsTo(method: string): RecordedCall[];
  /** Messages the bot sent, oldest first (optionally to one chat). */
  botMessages(chatId?: number | string): BotMessage[];
  client(opts: ClientOptions): TelegramClient;
  /** The bot may not message this chat (403 "bot can't initiate conversation"). */
  blockChat(chatId: number | string): void;
  /** What getChatMember answers for (chat, user): 'creator', 'administrator', 'member' (default) … or an error status. */
  setChatMember(chatId: number | string, userId: number | string, status: string | { error: number }): void;
  /** Answer 429 to `count` of the next sendMessage/sendPhoto calls (optionally to one chat). */
  failNextWith429(retryAfterSeconds: number, count?: number, chatId?: number | string): void;
  /** Answer the next `count` calls of `method` with a Bot API error (e.g. 400 "message is not modified"). */
  failNext(method: string, status: number, description: string, count?: number): void;
  /** Answer 429 to a deterministic pseudo-random share of sends. */
  inject429(share: number, retryAfterSeconds: number, seed?: number): void;
  enforceLimits(limits: PeerLimits): void;
  counters: { injected429: number; limit429: number; delivered: number };
  /** Why each limit 429 was sent. */
  limitBreaches: string[];
  waitFor(predicate: () => boolean, timeoutMs?: number, what?: string): Promise<void>;
  stop(): Promise<void>;
}

const SEND_METHODS = new Set(['sendMessage', 'sendPhoto']);
/** Calls the per-chat and global limits apply to when they are enforced (edits count like sends). */
const LIMITED_METHODS = new Set(['sendMessage', 'sendPhoto', 'editMessageText']);
/** Telegram's limit on a message's text, counted after entity parsing. */
const TEXT_LIMIT = 4096;

/** The text a person sees of an HTML message: tags out, the entities Telegram knows decoded. */
export function visibleText(html: string): string {
  return html.replace(/<[^>]*>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
}

export async function startTelegramPeer(token = '123456:TEST-token-for-mikey-telegram-tests'): Promise<TelegramPeer> {
  const backendPort = await freePort();
  const server = new TelegramServer({ port: backendPort, host: '127.0.0.1', storeTimeout: 600 });
  await server.start();
  const backend = `http://127.0.0.1:${backendPort}`;

  const calls: RecordedCall[] = [];
  const blocked = new Set<string>();
  const members = new Map<string, string | { error: number }>();
  const pending429: Array<{ retryAfter: number; chatId?: string }> = [];
  const pendingErrors: Array<{ method: string; status: number; description: string }> = [];
  let random: { share: number; retryAfter: number; state: number } | undefined;
  let limits: PeerLimits | undefined;
  const chatSends = new Map<string, number[]>();
  const globalSends: number[] = [];
  const counters = { injected429: 0, limit429: 0, delivered: 0 };
  const limitBreaches: string[] = [];
  const photos = new Map<number, true>();
  const pollers = new Set<() => void>();
  let stopping = false;

  const nextRandom = (): number => {
    // xorshift32: the same faults on every run.
    let x = random!.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    random!.state = x >>> 0;
    return random!.state / 0x1_0000_0000;
  };

  const limitBreached = (chatId: string, group: boolean, now: number): string | undefined => {
    if (!limits) return undefined;
    const sends = chatSends.get(chatId) ?? [];
    const last = sends[sends.length - 1];
    if (last !== undefined && now - last < limits.perChatIntervalMs - limits.toleranceMs) return `chat ${chatId}: ${Math.round(now - last)} ms after the previous message`;
    if (group) {
      const recent = sends.filter((t) => t > now - 60_000 + limits!.toleranceMs);
      if (recent.length >= limits.perGroupPerMinute) return `group ${chatId}: ${recent.length} in the last minute`;
    }
    const globalRecent = globalSends.filter((t) => t > now - 1000 + limits!.toleranceMs);
    return globalRecent.length >= limits.globalPerSecond ? `global: ${globalRecent.length} in the last second` : undefined;
  };

  const recordSend = (chatId: string, now: number): void => {
    if (!limits) return;
    const sends = chatSends.get(chatId) ?? [];
    sends.push(now);
    if (sends.length > 30) sends.shift();
    chatSends.set(chatId, sends);
    globalSends.push(now);
    if (globalSends.length > 100) globalSends.shift();
  };

  const front: Server = createServer((req, res) => {
    // The limits are judged at arrival, before this process spends time reading the body.
    const arrivedAt = limits?.now() ?? 0;
    handle(req, res, arrivedAt).catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { ok: false, error_code: 500, description: String(err) });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse, arrivedAt: number): Promise<void> {
    const raw = await readAll(req);
    const m = /^\/bot([^/]+)\/(\w+)/.exec(req.url ?? '');
    if (!m) {
      await forward(req, res, raw);
      return;
    }
    const method = m[2]!;
    const contentType = String(req.headers['content-type'] ?? '');
    const body = await parseBody(raw, contentType);
    const record = (status: number): void => {
      calls.push({ method, body: stripFiles(body), status, at: Date.now() });
    };

    if (method === 'getUpdates') {
      const timeout = Number(body.timeout ?? 0);
      const first = await forwardJson(`/bot${m[1]}/getUpdates`, body);
      if (timeout > 0 && Array.isArray(first.result) && first.result.length === 0 && !stopping) {
        await waitForUserUpdate(Math.min(timeout * 1000, 250));
        const second = await forwardJson(`/bot${m[1]}/getUpdates`, body);
        return json(res, 200, second);
      }
      return json(res, 200, first);
    }
    if (method === 'getChatMember') {
      const status = members.get(`${String(body.chat_id)}:${String(body.user_id)}`) ?? 'member';
      if (typeof status !== 'string') {
        record(status.error);
        return json(res, status.error, { ok: false, error_code: status.error, description: status.error === 400 ? 'Bad Request: chat not found' : 'Internal Server Error' });
      }
      record(200);
      return json(res, 200, { ok: true, result: { status, user: { id: Number(body.user_id), is_bot: false, first_name: `User${String(body.user_id)}` } } });
    }
    if (method === 'setMyCommands' || method === 'setWebhook') {
      record(200);
      return json(res, 200, { ok: true, result: true });
    }
    const injected = pendingErrors.findIndex((e) => e.method === method);
    if (injected >= 0) {
      const [e] = pendingErrors.splice(injected, 1);
      record(e!.status);
      return json(res, e!.status, { ok: false, error_code: e!.status, description: e!.description });
    }
    if (method === 'sendChatAction') {
      const known = ['typing', 'upload_photo', 'record_video', 'upload_video', 'record_voice', 'upload_voice', 'upload_document', 'choose_sticker', 'find_location'];
      if (!known.includes(String(body.action))) {
        record(400);
        return json(res, 400, { ok: false, error_code: 400, description: 'Bad Request: wrong parameter action in request' });
      }
      record(200);
      return json(res, 200, { ok: true, result: true });
    }
    if ((method === 'sendMessage' || method === 'editMessageText') && typeof body.text === 'string') {
      const visible = body.parse_mode === 'HTML' ? visibleText(body.text) : body.text;
      if ([...visible].length > TEXT_LIMIT) {
        record(400);
        return json(res, 400, { ok: false, error_code: 400, description: method === 'sendMessage' ? 'Bad Request: message is too long' : 'Bad Request: MESSAGE_TOO_LONG' });
      }
    }
    if (method === 'editMessageText') {
      const stored = server.storage.botMessages.find(
        (u: StoredBotUpdate) => u.botToken === token && String(u.messageId) === String(body.message_id) && String(u.message.chat_id) === String(body.chat_id),
      );
      if (!stored) {
        record(400);
        return json(res, 400, { ok: false, error_code: 400, description: 'Bad Request: message to edit not found' });
      }
      const current = stored.message as unknown as Record<string, unknown>;
      if (current.text === body.text && (current.parse_mode ?? undefined) === (body.parse_mode ?? undefined)) {
        record(400);
        return json(res, 400, {
          ok: false, error_code: 400,
          description: 'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
        });
      }
    }
    if (LIMITED_METHODS.has(method)) {
      const chatId = String(body.chat_id);
      const group = chatId.startsWith('-');
      if (blocked.has(chatId)) {
        record(403);
        return json(res, 403, { ok: false, error_code: 403, description: "Forbidden: bot can't initiate conversation with a user" });
      }
      const queued = SEND_METHODS.has(method) ? pending429.findIndex((p) => p.chatId === undefined || p.chatId === chatId) : -1;
      if (queued >= 0) {
        const [p] = pending429.splice(queued, 1);
        counters.injected429++;
        record(429);
        return json(res, 429, { ok: false, error_code: 429, description: `Too Many Requests: retry after ${p!.retryAfter}`, parameters: { retry_after: p!.retryAfter } });
      }
      if (random && SEND_METHODS.has(method) && nextRandom() < random.share) {
        counters.injected429++;
        record(429);
        return json(res, 429, { ok: false, error_code: 429, description: `Too Many Requests: retry after ${random.retryAfter}`, parameters: { retry_after: random.retryAfter } });
      }
      const breach = limitBreached(chatId, group, arrivedAt);
      if (breach) {
        counters.limit429++;
        limitBreaches.push(breach);
        record(429);
        return json(res, 429, { ok: false, error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } });
      }
      recordSend(chatId, arrivedAt);
      counters.delivered++;
      if (method === 'sendPhoto') {
        const caption = typeof body.caption === 'string' ? body.caption : '';
        const msg = server.addBotMessage({ chat_id: chatId, text: caption, ...(body.disable_notification ? { disable_notification: true } : {}) }, token);
        photos.set(msg.message_id, true);
        record(200);
        return json(res, 200, { ok: true, result: { ...msg, photo: [{ file_id: `photo-${msg.message_id}`, file_unique_id: `p${msg.message_id}`, width: 1200, height: 700 }] } });
      }
    }
    if (method === 'editMessageText') {
      // telegram-test-api stores the edit but answers `null`; the Bot API answers the edited message.
      const status = await forwardJson(`/bot${m[1]}/editMessageText`, body).then(() => 200);
      const stored = server.storage.botMessages.find((u: StoredBotUpdate) => u.botToken === token && String(u.messageId) === String(body.message_id));
      const storedText = (stored?.message as { text?: unknown } | undefined)?.text;
      record(status);
      return json(res, 200, {
        ok: true,
        result: { message_id: Number(body.message_id), chat: { id: Number(body.chat_id), type: 'private', first_name: 'User' }, date: Math.floor(Date.now() / 1000), edit_date: Math.floor(Date.now() / 1000), text: visibleText(typeof storedText === 'string' ? storedText : '') },
      });
    }
    const status = await forward(req, res, raw);
    record(status);
  }

  async function forwardJson(path: string, body: Record<string, unknown>): Promise<{ ok: boolean; result?: unknown[] }> {
    const r = await fetch(`${backend}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return (await r.json()) as { ok: boolean; result?: unknown[] };
  }

  async function forward(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<number> {
    const headers: Record<string, string> = {};
    if (req.headers['content-type']) headers['content-type'] = String(req.headers['content-type']);
    const r = await fetch(`${backend}${req.url ?? '/'}`, { method: req.method ?? 'POST', headers, ...(raw.length > 0 ? { body: raw } : {}) });
    const text = await r.text();
    res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
    res.end(text);
    return r.status;
  }

  function waitForUserUpdate(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        pollers.delete(done);
        server.off('AddedUserMessage', done);
        server.off('AddedUserCommand', done);
        server.off('AddedUserCallbackQuery', done);
        resolve();
      };
      const t = setTimeout(done, ms);
      pollers.add(done);
      server.on('AddedUserMessage', done);
      server.on('AddedUserCommand', done);
      server.on('AddedUserCallbackQuery', done);
    });
  }

  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  const apiRoot = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;

  const botMessages = (chatId?: number | string): BotMessage[] =>
    server.storage.botMessages
              .filter((u: StoredBotUpdate) => u.botToken === token && (chatId === undefined || String(u.message.chat_id) === String(chatId)))
      .map((u: StoredBotUpdate) => {
        const msg = u.message as unknown as Record<string, unknown>;
        return {
          messageId: u.messageId,
          chatId: String(msg.chat_id),
          text: typeof msg.text === 'string' ? msg.text : '',
          ...(typeof msg.parse_mode === 'string' ? { parseMode: msg.parse_mode } : {}),
          ...(msg.reply_markup ? { replyMarkup: msg.reply_markup } : {}),
          ...(msg.disable_notification ? { disableNotification: true } : {}),
          ...(photos.has(u.messageId) ? { photo: true } : {}),
        };
      });

  return {
    apiRoot,
    token,
    server,
    calls,
    callsTo: (method) => calls.filter((c) => c.method === method),
    botMessages,
    client: (opts) =>
      server.getClient(token, {
        userId: opts.userId,
        chatId: opts.chatId ?? opts.userId,
        type: opts.type ?? 'private',
        firstName: opts.firstName ?? `User${opts.userId}`,
        userName: opts.userName ?? `user${opts.userId}`,
        ...(opts.chatTitle ? { chatTitle: opts.chatTitle } : {}),
        timeout: 5000,
        interval: 20,
      }),
    blockChat: (chatId) => blocked.add(String(chatId)),
    setChatMember: (chatId, userId, status) => members.set(`${String(chatId)}:${String(userId)}`, status),
    failNextWith429: (retryAfter, count = 1, chatId) => {
      for (let i = 0; i < count; i++) pending429.push({ retryAfter, ...(chatId !== undefined ? { chatId: String(chatId) } : {}) });
    },
    failNext: (method, status, description, count = 1) => {
      for (let i = 0; i < count; i++) pendingErrors.push({ method, status, description });
    },
    inject429: (share, retryAfter, seed = 0x9e3779b9) => {
      random = { share, retryAfter, state: seed >>> 0 || 1 };
    },
    enforceLimits: (l) => {
      limits = l;
    },
    counters,
    limitBreaches,
    waitFor: async (predicate, timeoutMs = 5000, what = 'condition') => {
      const start = Date.now();
      while (!predicate()) {
        if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    stop: async () => {
      stopping = true;
      for (const p of [...pollers]) p();
      await new Promise<void>((resolve) => {
        front.close(() => resolve());
        front.closeAllConnections();
      });
      await server.stop();
    },
  };
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of req) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

async function parseBody(raw: Buffer, contentType: string): Promise<Record<string, unknown>> {
  if (raw.length === 0) return {};
  if (contentType.includes('application/json')) return JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
  if (contentType.includes('multipart/form-data')) {
    const form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
    const out: Record<string, unknown> = {};
    for (const [k, v] of form.entries()) {
      out[k] = typeof v === 'string' ? v : { file: true, name: v.name, size: v.size, bytes: Buffer.from(await v.arrayBuffer()) };
    }
    return out;
  }
  if (contentType.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
  return {};
}

function stripFiles(body: Record<string, unknown>): Record<string, unknown> {
  return body;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
