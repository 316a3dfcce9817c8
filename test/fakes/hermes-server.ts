// A small Pyth Hermes v2 server on 127.0.0.1 speaking the real wire format, for tests and benchmarks.
//
//   GET /v2/updates/price/latest?ids[]=…&parsed=true&ignore_invalid_price_ids=true
//       → { binary: { encoding: "hex", data: ["504e4155…"] }, parsed: [ { id, price, ema_price, metadata } ] }
//       unknown ids → 404 "Price ids not found: …" unless ignore_invalid_price_ids=true
//   GET /v2/price_feeds?query=btc&asset_type=crypto → [ { id, attributes: { asset_type: "Crypto", base, symbol, … } } ]
//   GET /v2/updates/price/stream?ids[]=… → text/event-stream, one `data: <PriceUpdate JSON>` per tick
//
// Knobs: inject HTTP failures (429, 500 …) or delays, make publish times stale or future, widen a
// confidence, drop or end open streams, send Hermes' `event: error`, emulate the public rate limit.
// Every request is recorded (path, ids, headers) so tests can assert batching and the API key.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FakeHermesFeed {
  /** 64 hex characters (0x optional). */
  id: string;
  /** Base asset, e.g. "BTC" (symbol becomes Crypto.BTC/USD). */
  base: string;
  /** Integer string and exponent, as Hermes sends them ("6512345678", -8). */
  price: string;
  conf: string;
  expo: number;
  emaPrice?: string;
  emaConf?: string;
  /** Fixed publish time (unix seconds); default: now, shifted by the staleness knob. */
  publishTime?: number;
}

export interface FakeHermesOptions {
  feeds?: FakeHermesFeed[];
  /** Milliseconds between stream events. Default 25. */
  streamIntervalMs?: number;
  /** Wall clock for publish times (ms). Default Date.now. */
  now?: () => number;
  /** Emulates Hermes' public limit: `limit` requests per `windowMs`, then 429 for `lockoutMs`. */
  rateLimit?: { limit: number; windowMs: number; lockoutMs: number };
}

export interface FakeHermesRequest {
  method: string;
  path: string;
  query: Record<string, string[]>;
  /** `ids[]` values, normalized (lowercase, no 0x). */
  ids: string[];
  headers: Record<string, string | string[] | undefined>;
  status: number;
  /** Fake-clock time (the `now` option). */
  at: number;
  /** Real time the request arrived (Date.now()). */
  receivedAt: number;
}

export interface FakeHermes {
  url: string;
  requests: FakeHermesRequest[];
  requestsTo(path: string): FakeHermesRequest[];
  /** Next `count` requests (optionally only to `path`) answer `status` with `body`. */
  failNext(status: number, opts?: { body?: string; count?: number; path?: string }): void;
  /** Forgets injected failures and delays that have not fired yet. */
  clearInjected(): void;
  /** Next `count` requests wait `ms` before answering (for client timeouts). */
  delayNext(ms: number, opts?: { count?: number; path?: string }): void;
  /** Changes a feed (by id or base). */
  setFeed(idOrBase: string, patch: Partial<Omit<FakeHermesFeed, 'id'>>): void;
  addFeed(feed: FakeHermesFeed): void;
  /** Shifts every publish time this many seconds into the past (negative: into the future). */
  setStaleness(seconds: number): void;
  /** Destroys every open stream socket mid-flight (a dropped connection). Returns how many. */
  dropStreams(): number;
  /** Ends each stream gracefully after this many events (Hermes' 24-h limit, compressed). */
  endStreamsAfter(events: number | undefined): void;
  /** Sends Hermes' `event: error` on every open stream, then closes them. */
  sendStreamError(message?: string): void;
  openStreams(): number;
  close(): Promise<void>;
}

export const FAKE_FEEDS = {
  BTC: 'e62df6c8b4a85fe1a67db44dc12de5db330f7ac66b72dc658afedf0f4a415b43',
  ETH: 'ff61491a931112ddf1bd8147cd1b641375f79f5825126d665480874634fd0ace',
  SOL: 'ef0d8b6fda2ceba41da15d4095d1da392a0d2f8ed0c6c7bc0f4cfac8c280b56d',
  /** Not in the adapter's built-in table: found only through feed search. */
  MIKEY: '1111111111111111111111111111111111111111111111111111111111111111',
} as const;

export function defaultFakeFeeds(): FakeHermesFeed[] {
  return [
    { id: FAKE_FEEDS.BTC, base: 'BTC', price: '6512345678000', conf: '3201234567', expo: -8, emaPrice: '6510000000000', emaConf: '3000000000' },
    { id: FAKE_FEEDS.ETH, base: 'ETH', price: '345678901234', conf: '187654321', expo: -8 },
    { id: FAKE_FEEDS.SOL, base: 'SOL', price: '15123456789', conf: '9876543', expo: -8 },
    { id: FAKE_FEEDS.MIKEY, base: 'MIKEY', price: '123456', conf: '12', expo: -5 },
  ];
}

function norm(id: string): string {
  return id.trim().toLowerCase().replace(/^0x/, '');
}

interface Injected {
  status: number;
  body: string;
  path?: string;
  remaining: number;
}

interface Delay {
  ms: number;
  path?: string;
  remaining: number;
}

export async function startFakeHermes(opts: FakeHermesOptions = {}): Promise<FakeHermes> {
  const feeds = new Map<string, FakeHermesFeed>();
  for (const f of opts.feeds ?? defaultFakeFeeds()) feeds.set(norm(f.id), { ...f, id: norm(f.id) });
  const now = opts.now ?? Date.now;
  const intervalMs = opts.streamIntervalMs ?? 25;
  const requests: FakeHermesRequest[] = [];
  const failures: Injected[] = [];
  const delays: Delay[] = [];
  const sockets = new Set<Socket>();
  const streams = new Set<{ res: ServerResponse; timer: NodeJS.Timeout }>();
  const pendingTimers = new Set<NodeJS.Timeout>();
  let stalenessSeconds = 0;
  let endAfter: number | undefined;
  const limiter = { sent: [] as number[], lockedUntil: 0 };

  const publishTime = (f: FakeHermesFeed): number => f.publishTime ?? Math.floor(now() / 1000) - stalenessSeconds;

  const rpcPrice = (price: string, conf: string, expo: number, t: number) => ({ price, conf, expo, publish_time: t });
  const parsedUpdate = (f: FakeHermesFeed) => {
    const t = publishTime(f);
    return {
      id: f.id,
      price: rpcPrice(f.price, f.conf, f.expo, t),
      ema_price: rpcPrice(f.emaPrice ?? f.price, f.emaConf ?? f.conf, f.expo, t),
      metadata: { slot: 200_000_000 + (t % 1_000_000), proof_available_time: t + 1, prev_publish_time: t - 1 },
    };
  };
  // Not a verifiable accumulator update: the "PNAU" magic followed by the feed ids, hex-encoded.
  const binary = (list: FakeHermesFeed[]) => ({ encoding: 'hex', data: [`504e4155${list.map((f) => f.id).join('')}`] });
  const priceUpdate = (list: FakeHermesFeed[], parsed: boolean) => ({ binary: binary(list), ...(parsed ? { parsed: list.map(parsedUpdate) } : {}) });

  const attributes = (f: FakeHermesFeed) => ({
    asset_type: 'Crypto',
    base: f.base,
    description: `${f.base} / US DOLLAR`,
    display_symbol: `${f.base}/USD`,
    generic_symbol: `${f.base}USD`,
    quote_currency: 'USD',
    schedule: 'America/New_York;O,O,O,O,O,O,O;',
    symbol: `Crypto.${f.base}/USD`,
  });

  const text = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
    res.end(body);
  };
  const json = (res: ServerResponse, body: unknown) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  const takeMatching = <T extends { path?: string; remaining: number }>(list: T[], path: string): T | undefined => {
    const i = list.findIndex((x) => x.path === undefined || x.path === path);
    if (i < 0) return undefined;
    const item = list[i]!;
    item.remaining--;
    if (item.remaining <= 0) list.splice(i, 1);
    return item;
  };

  const resolveIds = (ids: string[], ignoreInvalid: boolean): { found: FakeHermesFeed[]; missing: string[] } => {
    const found: FakeHermesFeed[] = [];
    const missing: string[] = [];
    for (const id of ids) {
      const f = feeds.get(id);
      if (f) found.push(f);
      else missing.push(id);
    }
    return ignoreInvalid ? { found, missing: [] } : { found, missing };
  };

  const handle = (req: IncomingMessage, res: ServerResponse, record: FakeHermesRequest, url: URL): void => {
    const path = url.pathname;
    const parsed = url.searchParams.get('parsed') !== 'false';
    const ignoreInvalid = url.searchParams.get('ignore_invalid_price_ids') === 'true';

    if (path === '/v2/updates/price/latest') {
      if (record.ids.length === 0) return text(res, 400, 'Failed to deserialize query string: missing field `ids`');
      const { found, missing } = resolveIds(record.ids, ignoreInvalid);
      if (missing.length > 0) return text(res, 404, `Price ids not found: ${missing.join(', ')}`);
      return json(res, priceUpdate(found, parsed));
    }
    if (path === '/v2/price_feeds') {
      const query = (url.searchParams.get('query') ?? '').toLowerCase();
      const assetType = (url.searchParams.get('asset_type') ?? '').toLowerCase();
      const rows = [...feeds.values()]
        .map((f) => ({ id: f.id, attributes: attributes(f) }))
        .filter((r) => (query === '' || r.attributes.symbol.toLowerCase().includes(query)) && (assetType === '' || r.attributes.asset_type.toLowerCase() === assetType));
      return json(res, rows);
    }
    if (path === '/v2/updates/price/stream') {
      const { found, missing } = resolveIds(record.ids, ignoreInvalid);
      if (missing.length > 0) return text(res, 404, `Price ids not found: ${missing.join(', ')}`);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      res.write(': connected\n\n');
      let sent = 0;
      const entry = {
        res,
        timer: setInterval(() => {
          if (res.destroyed || res.writableEnded) return;
          const current = found.map((f) => feeds.get(f.id) ?? f);
          res.write(`data: ${JSON.stringify(priceUpdate(current, parsed))}\n\n`);
          sent++;
          if (endAfter !== undefined && sent >= endAfter) {
            clearInterval(entry.timer);
            streams.delete(entry);
            res.end();
          }
        }, intervalMs),
      };
      streams.add(entry);
      const cleanup = () => {
        clearInterval(entry.timer);
        streams.delete(entry);
      };
      res.on('close', cleanup);
      req.on('close', cleanup);
      return;
    }
    return text(res, 404, 'Not Found');
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const query: Record<string, string[]> = {};
    for (const key of new Set(url.searchParams.keys())) query[key] = url.searchParams.getAll(key);
    const record: FakeHermesRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query,
      ids: url.searchParams.getAll('ids[]').map(norm),
      headers: { ...req.headers },
      status: 200,
      at: now(),
      receivedAt: Date.now(),
    };
    requests.push(record);
    res.on('finish', () => {
      record.status = res.statusCode;
    });

    if (opts.rateLimit) {
      const t = now();
      if (t < limiter.lockedUntil) return text(res, 429, 'Too Many Requests');
      limiter.sent = limiter.sent.filter((s) => s > t - opts.rateLimit!.windowMs);
      if (limiter.sent.length >= opts.rateLimit.limit) {
        limiter.lockedUntil = t + opts.rateLimit.lockoutMs;
        return text(res, 429, 'Too Many Requests');
      }
      limiter.sent.push(t);
    }
    const failure = takeMatching(failures, url.pathname);
    if (failure) return text(res, failure.status, failure.body);
    const delay = takeMatching(delays, url.pathname);
    if (delay) {
      const timer = setTimeout(() => {
        pendingTimers.delete(timer);
        if (!res.destroyed) handle(req, res, record, url);
      }, delay.ms);
      pendingTimers.add(timer);
      return;
    }
    handle(req, res, record, url);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const findFeed = (idOrBase: string): FakeHermesFeed | undefined =>
    feeds.get(norm(idOrBase)) ?? [...feeds.values()].find((f) => f.base.toUpperCase() === idOrBase.toUpperCase());

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    requestsTo: (path) => requests.filter((r) => r.path === path),
    failNext(status, o = {}) {
      const entry: Injected = { status, body: o.body ?? (status === 429 ? 'Too Many Requests' : 'Internal Server Error'), remaining: o.count ?? 1 };
      if (o.path !== undefined) entry.path = o.path;
      failures.push(entry);
    },
    clearInjected() {
      failures.length = 0;
      delays.length = 0;
    },
    delayNext(ms, o = {}) {
      const entry: Delay = { ms, remaining: o.count ?? 1 };
      if (o.path !== undefined) entry.path = o.path;
      delays.push(entry);
    },
    setFeed(idOrBase, patch) {
      const f = findFeed(idOrBase);
      if (!f) throw new Error(`fake Hermes has no feed ${idOrBase}`);
      feeds.set(f.id, { ...f, ...patch });
    },
    addFeed(feed) {
      feeds.set(norm(feed.id), { ...feed, id: norm(feed.id) });
    },
    setStaleness(seconds) {
      stalenessSeconds = seconds;
    },
    dropStreams() {
      const n = streams.size;
      for (const s of [...streams]) {
        clearInterval(s.timer);
        streams.delete(s);
        s.res.socket?.destroy();
      }
      return n;
    },
    endStreamsAfter(events) {
      endAfter = events;
    },
    sendStreamError(message = 'Error receiving update: Lagged(12)') {
      for (const s of [...streams]) {
        clearInterval(s.timer);
        streams.delete(s);
        s.res.write(`event: error\ndata: ${message}\n\n`);
        s.res.end();
      }
    },
    openStreams: () => streams.size,
    async close() {
      for (const t of pendingTimers) clearTimeout(t);
      pendingTimers.clear();
      for (const s of streams) clearInterval(s.timer);
      streams.clear();
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
