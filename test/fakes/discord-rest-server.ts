// A small Discord REST API (v10) on 127.0.0.1 for tests: what discord.js calls when MIKEY registers
// commands, answers interactions and sends DMs, in Discord's wire format.
//
//   PUT   /api/v10/applications/:app/commands                 → the commands, with ids
//   PUT   /api/v10/applications/:app/guilds/:guild/commands   → the same, for one server
//   POST  /api/v10/interactions/:id/:token/callback           → 204 (reply, deferReply, update, autocomplete)
//   PATCH /api/v10/webhooks/:app/:token/messages/@original    → the edited message (editReply)
//   POST  /api/v10/webhooks/:app/:token                       → a follow-up message (followUp)
//   POST  /api/v10/users/@me/channels                         → a DM channel for { recipient_id }
//   POST  /api/v10/channels/:id/messages                      → a message (DMs for pushes, answers to messages)
//   PATCH /api/v10/channels/:id/messages/:message             → the edited message
//   POST  /api/v10/channels/:id/typing                        → 204 ("MIKEY is typing…")
//
// JSON and multipart bodies (`payload_json` + `files[n]`) are both parsed. Every request is recorded
// (method, path, authorization, body, file names). Knobs: users whose DMs are closed (403, code
// 50007), and the next N requests to a path answered with a given status.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DiscordRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization: string | undefined;
  body: Record<string, unknown> | unknown[] | undefined;
  files: Array<{ field: string; name: string; size: number }>;
}

export interface FakeDiscordRest {
  /** Pass as DISCORD_API_ROOT (…/api). */
  apiRoot: string;
  requests: DiscordRequest[];
  /** Interaction callbacks (reply / deferReply / update / autocomplete) for one interaction id. */
  callbacks(interactionId?: string): DiscordRequest[];
  /** Edits and follow-ups sent with one interaction token. */
  webhookMessages(token: string): DiscordRequest[];
  /** Messages posted to a channel. */
  channelMessages(channelId?: string): DiscordRequest[];
  /** Typing indicators triggered in a channel. */
  typing(channelId?: string): DiscordRequest[];
  closeDmsOf(userId: string): void;
  failNext(pathPrefix: string, status: number, body: Record<string, unknown>, count?: number): void;
  stop(): Promise<void>;
}

export async function startFakeDiscordRest(): Promise<FakeDiscordRest> {
  const requests: DiscordRequest[] = [];
  const closedDms = new Set<string>();
  const failures: Array<{ prefix: string; status: number; body: Record<string, unknown>; count: number }> = [];
  let seq = 1_000_000_000_000_000n;
  const snowflake = (): string => String(seq++);

  const message = (channelId: string, body: Record<string, unknown> | undefined): Record<string, unknown> => ({
    id: snowflake(),
    channel_id: channelId,
    type: 0,
    content: typeof body?.content === 'string' ? body.content : '',
    author: { id: '999000000000000001', username: 'MIKEY', discriminator: '0', avatar: null, bot: true, global_name: null },
    attachments: [],
    embeds: [],
    mentions: [],
    mention_roles: [],
    pinned: false,
    mention_everyone: false,
    tts: false,
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    flags: typeof body?.flags === 'number' ? body.flags : 0,
    components: Array.isArray(body?.components) ? body.components : [],
  });

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, 500, { message: String(err), code: 0 }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = decodeURIComponent(url.pathname).replace(/^\/api\/v10/, '');
    const raw = await readAll(req);
    const { body, files } = await parse(raw, String(req.headers['content-type'] ?? ''));
    requests.push({
      method: req.method ?? 'GET', path, query: Object.fromEntries(url.searchParams), authorization: req.headers.authorization, body, files,
    });
    const failure = failures.find((f) => path.startsWith(f.prefix) && f.count > 0);
    if (failure) {
      failure.count--;
      return send(res, failure.status, failure.body);
    }
    const obj: Record<string, unknown> = body && !Array.isArray(body) ? body : {};
    let m: RegExpExecArray | null;
    if (req.method === 'PUT' && (m = /^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/.exec(path))) {
      const list = (Array.isArray(body) ? body : []) as Array<Record<string, unknown>>;
      return send(res, 200, list.map((c) => ({ ...c, id: snowflake(), application_id: m![1], ...(m![2] ? { guild_id: m![2] } : {}), version: snowflake() })));
    }
    if (req.method === 'POST' && /^\/interactions\/\d+\/[^/]+\/callback$/.test(path)) {
      if (url.searchParams.get('with_response') === 'true') {
        return send(res, 200, { interaction: { id: path.split('/')[2], type: 2 }, resource: { type: obj.type } });
      }
      res.writeHead(204).end();
      return;
    }
    if ((m = /^\/webhooks\/(\d+)\/([^/]+)(?:\/messages\/(@original|\d+))?$/.exec(path))) {
      return send(res, 200, message('interaction-channel', obj));
    }
    if (req.method === 'POST' && path === '/users/@me/channels') {
      const recipient = String(obj.recipient_id);
      return send(res, 200, { id: `77${recipient.slice(-12)}`, type: 1, last_message_id: null, recipients: [{ id: recipient, username: `user${recipient.slice(-4)}`, discriminator: '0', avatar: null, global_name: null }] });
    }
    if (req.method === 'POST' && (m = /^\/channels\/(\d+)\/typing$/.exec(path))) {
      res.writeHead(204).end();
      return;
    }
    if (req.method === 'PATCH' && (m = /^\/channels\/(\d+)\/messages\/(\d+)$/.exec(path))) {
      return send(res, 200, { ...message(m[1]!, obj), id: m[2]! });
    }
    if (req.method === 'POST' && (m = /^\/channels\/(\d+)\/messages$/.exec(path))) {
      const channelId = m[1]!;
      for (const u of closedDms) {
        if (channelId === `77${u.slice(-12)}`) return send(res, 403, { message: 'Cannot send messages to this user', code: 50007 });
      }
      return send(res, 200, message(channelId, obj));
    }
    return send(res, 404, { message: `404: Not Found (${req.method} ${path})`, code: 0 });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const apiRoot = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  return {
    apiRoot,
    requests,
    callbacks: (id) => requests.filter((r) => /\/callback$/.test(r.path) && (id === undefined || r.path.startsWith(`/interactions/${id}/`))),
    webhookMessages: (token) => requests.filter((r) => r.path.startsWith('/webhooks/') && r.path.split('/')[3] === token),
    channelMessages: (channelId) => requests.filter((r) => r.method === 'POST' && /^\/channels\/\d+\/messages$/.test(r.path) && (channelId === undefined || r.path === `/channels/${channelId}/messages`)),
    typing: (channelId) => requests.filter((r) => r.method === 'POST' && /^\/channels\/\d+\/typing$/.test(r.path) && (channelId === undefined || r.path === `/channels/${channelId}/typing`)),
    closeDmsOf: (userId) => closedDms.add(userId),
    failNext: (prefix, status, body, count = 1) => failures.push({ prefix, status, body, count }),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of req) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

async function parse(raw: Buffer, contentType: string): Promise<{ body: DiscordRequest['body']; files: DiscordRequest['files'] }> {
  if (raw.length === 0) return { body: undefined, files: [] };
  if (contentType.includes('multipart/form-data')) {
    const form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
    let body: DiscordRequest['body'];
    const files: DiscordRequest['files'] = [];
    for (const [field, value] of form.entries()) {
      if (field === 'payload_json' && typeof value === 'string') body = JSON.parse(value) as DiscordRequest['body'];
      else if (typeof value !== 'string') files.push({ field, name: value.name, size: value.size });
    }
    return { body, files };
  }
  try {
    return { body: JSON.parse(raw.toString('utf8')) as DiscordRequest['body'], files: [] };
  } catch {
    return { body: undefined, files: [] };
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
