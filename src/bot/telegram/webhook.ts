// Webhook mode: a small node:http server Telegram POSTs updates to. A request without the secret
// token set with `setWebhook` (header X-Telegram-Bot-Api-Secret-Token) is refused with 401 before its
// body is read. Accepted updates are acknowledged at once (so Telegram does not redeliver while MIKEY
// works) and handed on; duplicates are dropped by the update guard downstream.
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Update } from 'telegraf/types';
import type { Logger } from '../../log.js';

export const SECRET_HEADER = 'x-telegram-bot-api-secret-token';
/** Telegram's updates are small; anything bigger is not from Telegram. */
const MAX_BODY_BYTES = 1_000_000;

export interface WebhookServerOptions {
  host: string;
  port: number;
  /** URL path updates arrive on (from TELEGRAM_WEBHOOK_URL). */
  path: string;
  secretToken: string;
  logger: Logger;
  onUpdate: (update: Update) => void;
}

export interface WebhookServer {
  port: number;
  close(): Promise<void>;
}

function secretMatches(expected: string, given: string | string[] | undefined): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function startWebhookServer(opts: WebhookServerOptions): Promise<WebhookServer> {
  const server: Server = createServer((req, res) => {
    handle(req, res, opts).catch((err: unknown) => {
      opts.logger.error('telegram webhook request failed', { error: err });
      if (!res.headersSent) respond(res, 500, 'error');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, opts: WebhookServerOptions): Promise<void> {
  const path = (req.url ?? '').split('?')[0];
  if (path !== opts.path) return respond(res, 404, 'not found');
  if (req.method !== 'POST') return respond(res, 405, 'method not allowed');
  if (!secretMatches(opts.secretToken, req.headers[SECRET_HEADER])) {
    opts.logger.warn('telegram webhook refused: missing or wrong secret token', { remote: req.socket.remoteAddress });
    req.resume();
    return respond(res, 401, 'unauthorized');
  }
  const body = await readBody(req);
  if (body === undefined) return respond(res, 413, 'too large');
  let update: Update;
  try {
    update = JSON.parse(body) as Update;
  } catch {
    return respond(res, 400, 'bad json');
  }
  if (typeof update !== 'object' || update === null || typeof update.update_id !== 'number') return respond(res, 400, 'not an update');
  respond(res, 200, 'ok');
  opts.onUpdate(update);
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > MAX_BODY_BYTES) return undefined;
    parts.push(b);
  }
  return Buffer.concat(parts).toString('utf8');
}

function respond(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain' });
  res.end(text);
}
