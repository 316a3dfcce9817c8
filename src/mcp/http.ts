// MCP over Streamable HTTP for remote agents. Every request: API key (Authorization: Bearer) →
// rate limit (429 + Retry-After) → the session bound to that key. A session id presented with
// another key is "not found": sessions are isolated per key. Usage is recorded on the key row.
//
// Failed authentication is limited per client address before any database work: a key that is not
// even shaped like a MIKEY key is refused without a lookup, and each address may spend at most
// AUTH_FAILURES_PER_MINUTE lookups a minute on keys that turn out wrong; past that it is answered 429
// with Retry-After, without touching the database. A key that verified recently skips that gate, so
// a real user behind the same address keeps working during a flood.
//
// /healthz (liveness) and /readyz (readiness: the database answers and every surface started) need
// no key.
//
// OAuth 2.1 (src/mcp/oauth): the same server is the authorization server for /mcp when it has a
// public address (MIKEY_PUBLIC_URL, or a loopback host). A bearer token shaped like an OAuth access
// token (`mko_at_…`) acts as its user with exactly its scopes as permissions; anything else goes the
// API-key path above.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { sql } from 'drizzle-orm';
import { scrub } from '../log.js';
import { isWellFormedApiKey, UsageRecorder, verifyApiKey, type ApiKeyRow, type Permission } from '../services/api-keys.js';
import { isAppError } from '../services/errors.js';
import type { Services } from '../services/index.js';
import { RateLimiter } from '../services/rate-limit.js';
import type { OAuthServer } from './oauth/server.js';
import { isOAuthAccessToken } from './oauth/provider.js';
import { createMcpServer, type McpCatalogue } from './server.js';

const MAX_BODY_BYTES = 1_000_000;
const MAX_SESSIONS_PER_KEY = 32;
const SESSION_IDLE_MS = 30 * 60_000;
/** How long a verified key is trusted before it is read again (revocation takes effect within this). */
export const KEY_CACHE_MS = 1000;
/** Failed API-key lookups one client address may cause per minute (burst the same). */
export const AUTH_FAILURES_PER_MINUTE = 20;
/** How long a key that verified stays exempt from its address's failure limit. */
const TRUSTED_KEY_MS = 60 * 60_000;
const READINESS_CACHE_MS = 1000;
const READINESS_DB_TIMEOUT_MS = 2000;
/** Requests a minute one OAuth sign-in (all tokens of one family) may make to /mcp. */
export const OAUTH_RATE_PER_MINUTE = 120;

/** A surface that is configured but not running (serve's degraded mode). */
export interface SurfaceFailure {
  surface: string;
  reason: string;
}

export interface McpHttpOptions {
  host?: string;
  port?: number;
  /** Surfaces that could not start, named by /healthz and /readyz. */
  degraded?: () => readonly SurfaceFailure[];
  /** Failed API-key lookups per client address per minute (default AUTH_FAILURES_PER_MINUTE). */
  authFailuresPerMinute?: number;
  /**
   * OAuth sign-in for remote clients: on when there is a public address. `rateLimit: false` lifts the
   * SDK's per-address limits on the OAuth endpoints (tests); `ratePerMinute` is each sign-in's /mcp rate
   * (default OAUTH_RATE_PER_MINUTE).
   */
  oauth?: false | { rateLimit?: false; ratePerMinute?: number };
}

/** Who a request on /mcp acts as: an API key, or an OAuth grant. `id` binds MCP sessions and rate limits. */
interface Principal {
  id: string;
  userId: string;
  permissions: Permission[];
  ratePerMinute: number;
  apiKeyId?: string;
}

interface Session {
  transport: StreamableHTTPServerTransport;
  keyId: string;
  lastSeen: number;
  close(): Promise<void>;
}

export interface McpHttpServer {
  url: string;
  port: number;
  server: Server;
  sessionCount(): number;
  /** The OAuth endpoints, when enabled. */
  oauth: OAuthServer | undefined;
  /** Writes batched API-key usage now (tests, shutdown). */
  flushUsage(): Promise<void>;
  close(): Promise<void>;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function rpcError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { jsonrpc: '2.0', error: { code: status === 429 ? -32029 : -32001, message }, id: null }, headers);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw Object.assign(new Error('request body too large'), { status: 413 });
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw Object.assign(new Error('request body is not valid JSON'), { status: 400 });
  }
}

export async function startMcpHttpServer(services: Services, catalogue: McpCatalogue, opts: McpHttpOptions = {}): Promise<McpHttpServer> {
  const host = opts.host ?? services.config.MIKEY_HTTP_HOST;
  const sessions = new Map<string, Session>();
  const perKey = new Map<string, number>();
  // `until`: trusted without a lookup; `trustedUntil`: exempt from its address's failure limit.
  const keyCache = new Map<string, { key: ApiKeyRow; until: number; trustedUntil: number }>();
  const usage = new UsageRecorder(services.db, 1000, (err) => services.logger.warn('recording API-key usage failed', { error: err }));
  const authFailures = new RateLimiter(() => services.clock.now().getTime(), 50_000);
  const failuresPerMinute = opts.authFailuresPerMinute ?? AUTH_FAILURES_PER_MINUTE;

  const tooManyFailures = (res: ServerResponse, retryAfterSeconds: number): undefined => {
    rpcError(res, 429, `Too many failed API-key attempts from this address; retry after ${retryAfterSeconds} s.`, { 'retry-after': String(retryAfterSeconds) });
    return undefined;
  };

  let oauth: OAuthServer | undefined;
  const oauthRate = (opts.oauth ? opts.oauth.ratePerMinute : undefined) ?? OAUTH_RATE_PER_MINUTE;
  const fromKey = (key: ApiKeyRow): Principal => ({ id: key.id, userId: key.userId, permissions: key.permissions as Permission[], ratePerMinute: key.rateLimitPerMinute, apiKeyId: key.id });

  const authenticate = async (req: IncomingMessage, res: ServerResponse): Promise<Principal | undefined> => {
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) {
      rpcError(res, 401, `Missing credentials: send Authorization: Bearer <key> (create one with \`mikey apikey create\`)${oauth ? ', or sign in with OAuth' : ''}.`, {
        'www-authenticate': oauth ? oauth.challenge() : 'Bearer',
      });
      return undefined;
    }
    const presented = m[1]!;
    const address = `auth-failures:${req.socket.remoteAddress ?? 'unknown'}`;
    if (oauth && isOAuthAccessToken(presented)) {
      const gate = authFailures.take(address, failuresPerMinute);
      if (!gate.allowed) return tooManyFailures(res, gate.retryAfterSeconds);
      const grant = await oauth.provider.verifyGrant(presented);
      if (!grant) {
        rpcError(res, 401, 'The access token is not valid (expired, revoked or unknown); refresh it or sign in again.', { 'www-authenticate': oauth.challenge('invalid_token') });
        return undefined;
      }
      authFailures.refund(address);
      // One sign-in is one principal across token refreshes; a narrower grant is a different one.
      return { id: `oauth:${grant.familyId}:${[...grant.scopes].sort().join(',')}`, userId: grant.userId, permissions: grant.scopes, ratePerMinute: oauthRate };
    }
    const key = await authenticateKey(req, res, presented, address);
    return key ? fromKey(key) : undefined;
  };

  const authenticateKey = async (req: IncomingMessage, res: ServerResponse, presented: string, address: string): Promise<ApiKeyRow | undefined> => {
    const now = services.clock.now();
    const cached = keyCache.get(presented);
    // A verified key is trusted for KEY_CACHE_MS: revocation and expiry take effect within that.
    if (cached && cached.until > now.getTime() && (!cached.key.expiresAt || cached.key.expiresAt > now)) {
      usage.record(cached.key.id, now);
      return cached.key;
    }
    const trusted = cached !== undefined && cached.trustedUntil > now.getTime();
    // Each lookup that may fail spends one of the address's tokens before the database is asked;
    // a lookup that succeeds gives it back. No token: 429, and the database never hears of it.
    if (!trusted) {
      const gate = authFailures.take(address, failuresPerMinute);
      if (!gate.allowed) return tooManyFailures(res, gate.retryAfterSeconds);
    }
    if (!isWellFormedApiKey(presented)) {
      rpcError(res, 401, 'Invalid API key; send Authorization: Bearer mk_live_… with a key from `mikey apikey create`', { 'www-authenticate': 'Bearer error="invalid_token"' });
      return undefined;
    }
    try {
      const key = (await verifyApiKey(services.db, presented, now)).key;
      if (!trusted) authFailures.refund(address);
      if (keyCache.size > 10_000) keyCache.clear();
      keyCache.set(presented, { key, until: now.getTime() + KEY_CACHE_MS, trustedUntil: now.getTime() + TRUSTED_KEY_MS });
      usage.record(key.id, now);
      return key;
    } catch (err) {
      if (isAppError(err)) {
        keyCache.delete(presented);
        rpcError(res, 401, err.hint ? `${err.message}; ${err.hint}` : err.message, { 'www-authenticate': 'Bearer error="invalid_token"' });
        return undefined;
      }
      if (!trusted) authFailures.refund(address);
      throw err;
    }
  };

  // Readiness is computed at most once a second, so /readyz cannot be used to load the database.
  let readiness: { at: number; result: Promise<{ ready: boolean; notReady: Array<{ name: string; reason: string }> }> } | undefined;
  const checkReadiness = async (): Promise<{ ready: boolean; notReady: Array<{ name: string; reason: string }> }> => {
    const notReady: Array<{ name: string; reason: string }> = [];
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        services.db.execute(sql`select 1`),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${READINESS_DB_TIMEOUT_MS / 1000} s`)), READINESS_DB_TIMEOUT_MS);
        }),
      ]);
    } catch (err) {
      notReady.push({ name: 'database', reason: scrub(err instanceof Error ? err.message : String(err)).slice(0, 200) });
    } finally {
      clearTimeout(timer);
    }
    for (const f of opts.degraded?.() ?? []) notReady.push({ name: f.surface, reason: f.reason });
    return { ready: notReady.length === 0, notReady };
  };
  const ready = (): Promise<{ ready: boolean; notReady: Array<{ name: string; reason: string }> }> => {
    const t = Date.now();
    if (!readiness || t - readiness.at >= READINESS_CACHE_MS) readiness = { at: t, result: checkReadiness() };
    return readiness.result;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/healthz') {
      const failed = opts.degraded?.() ?? [];
      return sendJson(res, 200, failed.length ? { ok: true, status: 'degraded', failed } : { ok: true, status: 'ok' });
    }
    if (url.pathname === '/readyz') {
      const r = await ready();
      return sendJson(res, r.ready ? 200 : 503, r);
    }
    if (oauth?.owns(url.pathname)) return oauth.handle(req, res);
    if (url.pathname !== '/mcp') return sendJson(res, 404, { error: 'not found; the MCP endpoint is /mcp' });
    const key = await authenticate(req, res);
    if (!key) return;
    const rate = services.rateLimiter.take(key.apiKeyId ? `apikey:${key.id}` : key.id, key.ratePerMinute);
    if (!rate.allowed) {
      return rpcError(res, 429, `Rate limit of ${key.ratePerMinute} requests per minute reached; retry after ${rate.retryAfterSeconds} s.`, {
        'retry-after': String(rate.retryAfterSeconds),
      });
    }
    const body = req.method === 'POST' ? await readBody(req) : undefined;
    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const s = sessions.get(sessionId);
      if (!s || s.keyId !== key.id) return rpcError(res, 404, 'Session not found; start a new session with an initialize request.');
      s.lastSeen = Date.now();
      await s.transport.handleRequest(req, res, body);
      return;
    }
    if (req.method !== 'POST' || !isInitializeRequest(body)) {
      return rpcError(res, 400, 'No session: send an initialize request first (without mcp-session-id).');
    }
    if ((perKey.get(key.id) ?? 0) >= MAX_SESSIONS_PER_KEY) {
      return rpcError(res, 429, `Too many open sessions for this key (max ${MAX_SESSIONS_PER_KEY}); close some (HTTP DELETE) first.`, { 'retry-after': '60' });
    }
    const mcp = createMcpServer(
      services,
      { actor: { userId: key.userId, surface: 'mcp-http', ...(key.apiKeyId ? { apiKeyId: key.apiKeyId } : {}) }, permissions: new Set(key.permissions) },
      catalogue,
    );
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        perKey.set(key.id, (perKey.get(key.id) ?? 0) + 1);
        sessions.set(id, {
          transport,
          keyId: key.id,
          lastSeen: Date.now(),
          close: async () => {
            await transport.close();
          },
        });
      },
    });
    transport.onclose = () => {
      const id = transport.sessionId;
      if (id && sessions.delete(id)) perKey.set(key.id, Math.max(0, (perKey.get(key.id) ?? 1) - 1));
      void mcp.close().catch(() => undefined);
    };
    await mcp.connect(transport);
    await transport.handleRequest(req, res, body);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = (err as { status?: number }).status;
      if (status) return rpcError(res, status, (err as Error).message);
      services.logger.error('mcp http request failed', { error: err });
      rpcError(res, 500, 'Internal error; nothing was changed.');
    });
  });
  server.keepAliveTimeout = 65_000;

  const sweeper = setInterval(() => {
    const cutoff = Date.now() - SESSION_IDLE_MS;
    for (const s of sessions.values()) if (s.lastSeen < cutoff) void s.close().catch(() => undefined);
  }, 60_000);
  sweeper.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? services.config.MIKEY_HTTP_PORT, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const publicUrl = services.config.MIKEY_PUBLIC_URL ?? (/^(127\.0\.0\.1|localhost)$/.test(host) ? `http://${host}:${port}` : undefined);
  if (opts.oauth !== false && publicUrl) {
    const issuerUrl = new URL(publicUrl);
    // Loaded only when on: express and the SDK's auth router stay off the start path of everything else.
    const { createOAuthServer } = await import('./oauth/server.js');
    oauth = createOAuthServer(services, { issuerUrl, resourceUrl: new URL('/mcp', issuerUrl), ...(opts.oauth?.rateLimit === false ? { rateLimit: false as const } : {}) });
  }
  return {
    url: `http://${host}:${port}/mcp`,
    port,
    server,
    sessionCount: () => sessions.size,
    oauth,
    flushUsage: () => usage.flush(),
    close: async () => {
      clearInterval(sweeper);
      await usage.close();
      for (const s of [...sessions.values()]) await s.close().catch(() => undefined);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
