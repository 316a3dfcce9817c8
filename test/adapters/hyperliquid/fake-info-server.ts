// A local stand-in for Hyperliquid's info API (POST /info) speaking its wire format: JSON request
// bodies naming a `type`, decimal strings for every amount. Tests set the state per address and can
// make the next answers fail (an HTTP status with a body, a malformed body, or no answer at all).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeReply {
  status: number;
  body: string;
  contentType?: string;
}

export interface FakeInfoServer {
  url: string;
  /** Request bodies received, in order. */
  requests: Array<Record<string, unknown>>;
  /** clearinghouseState per lower-case address. */
  states: Map<string, unknown>;
  /** Fills per lower-case address, newest first (as userFills returns them). */
  fills: Map<string, Array<Record<string, unknown>>>;
  mids: Record<string, string>;
  /** Replies used, one per request, before the normal ones. `'hang'` never answers. */
  queue: Array<FakeReply | 'hang'>;
  close(): Promise<void>;
}

/** Hyperliquid's answer for an address it has never seen. */
export const EMPTY_STATE = {
  marginSummary: { accountValue: '0.0', totalNtlPos: '0.0', totalRawUsd: '0.0', totalMarginUsed: '0.0' },
  crossMarginSummary: { accountValue: '0.0', totalNtlPos: '0.0', totalRawUsd: '0.0', totalMarginUsed: '0.0' },
  crossMaintenanceMarginUsed: '0.0',
  withdrawable: '0.0',
  assetPositions: [],
  time: 1_767_225_600_000,
};

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startFakeInfoServer(): Promise<FakeInfoServer> {
  const hanging: ServerResponse[] = [];
  const fake: Omit<FakeInfoServer, 'url' | 'close'> = { requests: [], states: new Map(), fills: new Map(), mids: {}, queue: [] };

  const reply = (res: ServerResponse, r: FakeReply): void => {
    res.writeHead(r.status, { 'content-type': r.contentType ?? 'application/json' });
    res.end(r.body);
  };
  const json = (res: ServerResponse, value: unknown): void => reply(res, { status: 200, body: JSON.stringify(value) });

  const server: Server = createServer((req, res) => {
    void (async () => {
      if (req.method !== 'POST' || req.url !== '/info') return reply(res, { status: 404, body: 'Not Found', contentType: 'text/plain' });
      const text = await readBody(req);
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return reply(res, { status: 422, body: 'Failed to deserialize the JSON body into the target type', contentType: 'text/plain' });
      }
      fake.requests.push(body);
      const queued = fake.queue.shift();
      if (queued === 'hang') return void hanging.push(res);
      if (queued) return reply(res, queued);
      const user = typeof body.user === 'string' ? body.user.toLowerCase() : '';
      switch (body.type) {
        case 'clearinghouseState':
          return json(res, fake.states.get(user) ?? EMPTY_STATE);
        case 'userFills':
          return json(res, (fake.fills.get(user) ?? []).slice(0, 2000));
        case 'userFillsByTime': {
          const start = Number(body.startTime);
          const end = body.endTime === undefined || body.endTime === null ? Number.MAX_SAFE_INTEGER : Number(body.endTime);
          const inRange = (fake.fills.get(user) ?? []).filter((f) => Number(f.time) >= start && Number(f.time) <= end);
          return json(res, inRange.reverse().slice(0, 2000));
        }
        case 'allMids':
          return json(res, fake.mids);
        default:
          return reply(res, { status: 422, body: `Failed to deserialize the JSON body into the target type: unknown variant \`${String(body.type)}\``, contentType: 'text/plain' });
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${String(port)}`,
    close: async (): Promise<void> => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}
