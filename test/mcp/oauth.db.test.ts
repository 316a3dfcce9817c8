// OAuth 2.1 sign-in for remote MCP clients, end to end against the running HTTP server: the SDK's own
// OAuth client does discovery, registration, PKCE and token exchange; the test plays the person on
// MIKEY's sign-in and consent pages with real HTTP requests; then real MCP tool calls use exactly the
// scopes granted. Refusal paths: wrong code, replayed code, wrong verifier, expired and revoked tokens,
// revoked client, scope escalation at authorize and at refresh, refresh-token replay.
import { auth, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLogs, chatIdentities, oauthPendingSignIns, orders, userSessions } from '../../src/db/schema/index.js';
import type { Notification } from '../../src/domain/ports.js';
import { startMcpHttpServer, type McpHttpServer } from '../../src/mcp/http.js';
import { ACCESS_TOKEN_TTL_MS, hashOAuthSecret, REFRESH_REUSE_GRACE_MS } from '../../src/mcp/oauth/provider.js';
import { SIGN_IN_ATTEMPTS } from '../../src/mcp/oauth/server.js';
import { actorFor } from '../../src/services/actor.js';
import { createApiKey } from '../../src/services/api-keys.js';
import { createLinkCode } from '../../src/services/link-codes.js';
import { createUser, type User } from '../../src/services/users.js';
import { CATALOGUE } from '../../src/tools/index.js';
import { createTestApp, type TestApp } from '../support/app.js';

const REDIRECT = 'http://127.0.0.1:9/callback';

/** An MCP client's OAuth state, kept in memory: what Claude-style connectors keep on disk. */
class ConnectorAuth implements OAuthClientProvider {
  info: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = '';
  authorizationUrl: URL | undefined;
  readonly redirectUrl = REDIRECT;
  get clientMetadata(): OAuthClientMetadata {
    return { client_name: 'Test connector', redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' };
  }
  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.info;
  }
  saveClientInformation(i: OAuthClientInformationMixed): void {
    this.info = i;
  }
  tokens(): OAuthTokens | undefined {
    return this.saved;
  }
  saveTokens(t: OAuthTokens): void {
    this.saved = t;
  }
  redirectToAuthorization(url: URL): void {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(v: string): void {
    this.verifier = v;
  }
  codeVerifier(): string {
    return this.verifier;
  }
}

let offsetMs = 0;
let app: TestApp;
let http: McpHttpServer;
let alice: User;
let base: string;

function hidden(html: string, name: string): string {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!m) throw new Error(`no ${name} field in page: ${html.slice(0, 300)}`);
  return m[1]!;
}

async function post(path: string, fields: Array<[string, string]>): Promise<Response> {
  return fetch(new URL(path, base), { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
}

/** The person's part: open the sign-in page, enter the code, tick `tick` on the consent page, allow. */
async function personApproves(authorizationUrl: URL, code: string, tick: string[] | 'offered'): Promise<{ code: string; state: string | null; offered: string[] }> {
  const signIn = await fetch(authorizationUrl, { redirect: 'manual' });
  expect(signIn.status, 'the sign-in page opens').toBe(200);
  const request = hidden(await signIn.text(), 'request');
  const consent = await post('/oauth/sign-in', [['request', request], ['code', code]]);
  const consentHtml = await consent.text();
  expect(consent.status, consentHtml.slice(0, 400)).toBe(200);
  const offered = [...consentHtml.matchAll(/name="scope" value="([^"]+)"/g)].map((m) => m[1]!);
  const scopes = tick === 'offered' ? offered : tick;
  const done = await post('/oauth/consent', [['request', request], ['decision', 'approve'], ...scopes.map((s): [string, string] => ['scope', s])]);
  expect(done.status, 'consent redirects back to the client').toBe(302);
  const back = new URL(done.headers.get('location')!);
  expect(back.origin + back.pathname).toBe(REDIRECT);
  return { code: back.searchParams.get('code')!, state: back.searchParams.get('state'), offered };
}

async function linkCode(user: User): Promise<string> {
  return (await createLinkCode(app.database.db, actorFor(user.id, 'cli'), app.services.clock.now())).code;
}

/** A connector that completed the whole flow with the person granting `tick`. */
async function connect(scope: string | undefined, tick: string[] | 'offered' = 'offered'): Promise<{ connector: ConnectorAuth; offered: string[] }> {
  const connector = new ConnectorAuth();
  expect(await auth(connector, { serverUrl: http.url, ...(scope ? { scope } : {}) }), 'first step sends the person to sign in').toBe('REDIRECT');
  const approved = await personApproves(connector.authorizationUrl!, await linkCode(alice), tick);
  expect(await auth(connector, { serverUrl: http.url, authorizationCode: approved.code }), 'the code is exchanged for tokens').toBe('AUTHORIZED');
  return { connector, offered: approved.offered };
}

async function mcpClient(connector: ConnectorAuth): Promise<Client> {
  const client = new Client({ name: 'connector', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(http.url), { authProvider: connector }));
  return client;
}

async function rawMcp(token: string): Promise<Response> {
  const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
  return fetch(http.url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify(init) });
}

async function token(fields: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(new URL('/token', base), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

/** Begins an authorization by hand (the SDK client always sends a matching verifier). */
async function manualCode(connector: ConnectorAuth, scope: string): Promise<{ code: string; verifier: string }> {
  const verifier = 'v'.repeat(43) + Math.random().toString(36).slice(2);
  const { createHash } = await import('node:crypto');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const url = new URL('/authorize', base);
  for (const [k, v] of Object.entries({ response_type: 'code', client_id: connector.info!.client_id, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: 'S256', scope })) url.searchParams.set(k, v);
  return { code: (await personApproves(url, await linkCode(alice), 'offered')).code, verifier };
}

beforeAll(async () => {
  app = await createTestApp({}, { clock: { now: () => new Date(Date.now() + offsetMs) } });
  alice = await createUser(app.database.db, { username: 'alice' });
  http = await startMcpHttpServer(app.services, CATALOGUE, { host: '127.0.0.1', port: 0, oauth: { rateLimit: false } });
  base = new URL(http.url).origin;
});
afterAll(async () => {
  await http?.close();
  await app?.close();
});

describe('OAuth discovery', () => {
  it('answers 401 with where to find the protected-resource metadata, and publishes both metadata documents', async () => {
    const r = await fetch(http.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(r.status).toBe(401);
    const challenge = r.headers.get('www-authenticate') ?? '';
    expect(challenge).toContain(`resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"`);
    const prm = (await (await fetch(`${base}/.well-known/oauth-protected-resource/mcp`)).json()) as { resource: string; authorization_servers: string[]; scopes_supported: string[] };
    expect(prm.resource).toBe(http.url);
    expect(prm.scopes_supported.sort()).toEqual(['read:market', 'read:portfolio', 'write:alerts', 'write:orders']);
    const as = (await (await fetch(`${base}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(as['code_challenge_methods_supported']).toEqual(['S256']);
    expect(as['registration_endpoint']).toBe(`${base}/register`);
    expect(as['revocation_endpoint']).toBe(`${base}/revoke`);
  });
});

describe('OAuth sign-in with the SDK client', () => {
  it('signs in, and the MCP session acts as the person with exactly the granted scopes', async () => {
    const { connector, offered } = await connect('read:market read:portfolio');
    expect(offered.sort(), 'the consent page offers what the client asked for').toEqual(['read:market', 'read:portfolio']);
    expect(connector.info?.client_id).toBeTruthy();
    expect((connector.info as { client_secret?: string }).client_secret, 'clients are public: no secret issued').toBeUndefined();
    const stored = await app.database.db.select().from(userSessions).where(eq(userSessions.userId, alice.id));
    expect(stored.map((s) => s.tokenHash), 'only hashes are stored').toContain(hashOAuthSecret(connector.saved!.access_token));
    expect(stored.some((s) => s.tokenHash === connector.saved!.access_token)).toBe(false);
    const grants = await app.database.db.select().from(auditLogs).where(and(eq(auditLogs.actorUserId, alice.id), eq(auditLogs.action, 'oauth.grant')));
    expect(grants.map((g) => g.entityId), 'the grant is audited').toContain(connector.info!.client_id);

    const client = await mcpClient(connector);
    const who = await client.callTool({ name: 'whoami', arguments: {} });
    expect((who.structuredContent as { userId: string }).userId).toBe(alice.id);
    expect((who.structuredContent as { permissions: string[] }).permissions.sort()).toEqual(['read:market', 'read:portfolio']);
    const price = await client.callTool({ name: 'get-price', arguments: { symbols: ['BTC/USDT'] } });
    expect(price.isError, 'read:market was granted').toBeFalsy();
    const order = await client.callTool({ name: 'place-order', arguments: { symbol: 'SOL/USDT', side: 'buy', quantity: '1' } });
    expect(order.isError, 'write:orders was not granted').toBe(true);
    expect(JSON.stringify(order.content)).toContain('write:orders');
    expect(await app.database.db.select().from(orders).where(eq(orders.userId, alice.id)), 'no order was placed').toHaveLength(0);
    await client.close();
  });

  it('never issues a scope the person did not tick, nor one the client did not ask for', async () => {
    // The client asks for read:market only; a tampered consent form adds write:orders.
    const connector = new ConnectorAuth();
    expect(await auth(connector, { serverUrl: http.url, scope: 'read:market admin' })).toBe('REDIRECT');
    const approved = await personApproves(connector.authorizationUrl!, await linkCode(alice), ['read:market', 'write:orders', 'admin']);
    expect(approved.offered, 'admin is not an OAuth scope and is never offered').toEqual(['read:market']);
    await auth(connector, { serverUrl: http.url, authorizationCode: approved.code });
    expect(connector.saved!.scope).toBe('read:market');
    const client = await mcpClient(connector);
    const who = await client.callTool({ name: 'whoami', arguments: {} });
    expect((who.structuredContent as { permissions: string[] }).permissions).toEqual(['read:market']);
    await client.close();
  });

  it('the person can narrow the grant on the consent page; a full grant can place orders', async () => {
    const narrowed = await connect('read:market write:orders', ['read:market']);
    expect(narrowed.connector.saved!.scope).toBe('read:market');
    const full = await connect(undefined);
    expect(full.offered.sort(), 'asking for nothing offers every scope').toEqual(['read:market', 'read:portfolio', 'write:alerts', 'write:orders']);
    const client = await mcpClient(full.connector);
    const order = await client.callTool({ name: 'place-order', arguments: { symbol: 'SOL/USDT', side: 'buy', quantity: '1' } });
    expect(JSON.stringify(order.content), 'write:orders passes the permission gate').not.toContain('Permission denied');
    await client.close();
  });
});

describe('a code sent to the linked chat', () => {
  it('sends a one-time code to the person\'s linked chat and signs in with it; an unknown name gets the same page and nothing is sent', async () => {
    const sent: Notification[] = [];
    const unregister = app.services.alerts.notifier.register({ notify: (n) => Promise.resolve(void sent.push(n)) });
    try {
      await app.database.db.insert(chatIdentities).values({ userId: alice.id, platform: 'telegram', externalUserId: '4242', chatId: '4242' });
      const connector = new ConnectorAuth();
      await auth(connector, { serverUrl: http.url, scope: 'read:market' });
      const request = hidden(await (await fetch(connector.authorizationUrl!)).text(), 'request');
      const nobody = await post('/oauth/send-code', [['request', request], ['username', 'nobody']]);
      const nobodyPage = await nobody.text();
      expect(sent, 'nothing is sent for an unknown username').toHaveLength(0);
      const asked = await post('/oauth/send-code', [['request', request], ['username', 'alice']]);
      const askedPage = await asked.text();
      expect(askedPage.replace(/value="[^"]*"/g, ''), 'the page does not reveal whether the account exists').toBe(nobodyPage.replace(/value="[^"]*"/g, ''));
      expect(sent.map((n) => n.userId)).toEqual([alice.id]);
      const code = /MK-[0-9A-Z]{4}-[0-9A-Z]{4}/.exec(sent[0]!.body)?.[0];
      expect(code, 'the message carries the code').toBeTruthy();
      expect(askedPage, 'the code never appears on the page').not.toContain(code!);
      const consent = await post('/oauth/sign-in', [['request', request], ['code', code!]]);
      expect(consent.status).toBe(200);
      expect(await consent.text()).toContain('Signed in as <strong>alice</strong>');
      await post('/oauth/send-code', [['request', request], ['username', 'alice']]);
      const fourth = await post('/oauth/send-code', [['request', request], ['username', 'alice']]);
      expect(fourth.status, 'one sign-in cannot flood a chat with codes').toBe(429);
      expect(sent, 'three sends at most, one of them for an unknown name').toHaveLength(2);
    } finally {
      unregister();
    }
  });
});

describe('OAuth refusals', () => {
  it('refuses a wrong code, and closes the sign-in after too many', async () => {
    const connector = new ConnectorAuth();
    await auth(connector, { serverUrl: http.url, scope: 'read:market' });
    const page = await fetch(connector.authorizationUrl!);
    const request = hidden(await page.text(), 'request');
    for (let i = 1; i < SIGN_IN_ATTEMPTS; i++) {
      const r = await post('/oauth/sign-in', [['request', request], ['code', 'MK-0000-0000']]);
      expect(r.status).toBe(400);
      expect(await r.text()).toContain('That code is not valid');
    }
    const last = await post('/oauth/sign-in', [['request', request], ['code', 'MK-0000-0000']]);
    expect(await last.text()).toContain('Too many wrong codes');
    const afterwards = await post('/oauth/sign-in', [['request', request], ['code', await linkCode(alice)]]);
    expect(afterwards.status, 'even a right code cannot reopen it').toBe(400);
    const consent = await post('/oauth/consent', [['request', request], ['decision', 'approve'], ['scope', 'read:market']]);
    expect(consent.status, 'no consent without sign-in').toBe(400);
  });

  it('a sign-in started on one instance goes on on another, and a double consent issues one code', async () => {
    // A second `mikey serve` on the same database, as behind a load balancer without sticky sessions.
    const second = await startMcpHttpServer(app.services, CATALOGUE, { host: '127.0.0.1', port: 0, oauth: { rateLimit: false } });
    try {
      const other = new URL(second.url).origin;
      const connector = new ConnectorAuth();
      await auth(connector, { serverUrl: http.url, scope: 'read:market' });
      const request = hidden(await (await fetch(connector.authorizationUrl!)).text(), 'request');
      const stored = await app.database.db.select().from(oauthPendingSignIns);
      expect(stored.map((r) => r.idHash), 'only a hash of the browser-held id is stored').not.toContain(request);
      const onOther = (path: string, fields: Array<[string, string]>): Promise<Response> =>
        fetch(new URL(path, other), { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
      const wrong = await onOther('/oauth/sign-in', [['request', request], ['code', 'MK-0000-0000']]);
      expect(await wrong.text(), 'the other instance knows the sign-in').toContain('That code is not valid');
      const consentPage = await onOther('/oauth/sign-in', [['request', request], ['code', await linkCode(alice)]]);
      expect(consentPage.status).toBe(200);
      const approve: Array<[string, string]> = [['request', request], ['decision', 'approve'], ['scope', 'read:market']];
      const answers = await Promise.all([post('/oauth/consent', approve), onOther('/oauth/consent', approve)]);
      const redirects = answers.filter((r) => r.status === 302);
      expect(redirects, 'one consent issues a code, the other finds the sign-in closed').toHaveLength(1);
      expect(answers.map((r) => r.status).sort()).toEqual([302, 400]);
      const code = new URL(redirects[0]!.headers.get('location')!).searchParams.get('code');
      expect(code).toBeTruthy();
      expect(await auth(connector, { serverUrl: http.url, authorizationCode: code! }), 'the code works').toBe('AUTHORIZED');
      expect(await app.database.db.select().from(oauthPendingSignIns).where(eq(oauthPendingSignIns.clientId, connector.info!.client_id)), 'nothing is left pending').toEqual([]);
    } finally {
      await second.close();
    }
  });

  it('refuses a link code that was already used', async () => {
    const connector = new ConnectorAuth();
    await auth(connector, { serverUrl: http.url, scope: 'read:market' });
    const code = await linkCode(alice);
    await personApproves(connector.authorizationUrl!, code, 'offered');
    const again = new ConnectorAuth();
    await auth(again, { serverUrl: http.url, scope: 'read:market' });
    const request = hidden(await (await fetch(again.authorizationUrl!)).text(), 'request');
    const r = await post('/oauth/sign-in', [['request', request], ['code', code]]);
    expect(r.status).toBe(400);
  });

  it('refuses a wrong PKCE verifier, and a replayed code revokes what it issued', async () => {
    const { connector } = await connect('read:market');
    const clientId = connector.info!.client_id;
    const wrong = await manualCode(connector, 'read:market');
    const bad = await token({ grant_type: 'authorization_code', code: wrong.code, code_verifier: 'w'.repeat(50), client_id: clientId, redirect_uri: REDIRECT });
    expect(bad.status).toBe(400);
    expect(bad.body['error']).toBe('invalid_grant');

    const m = await manualCode(connector, 'read:market');
    const first = await token({ grant_type: 'authorization_code', code: m.code, code_verifier: m.verifier, client_id: clientId, redirect_uri: REDIRECT });
    expect(first.status).toBe(200);
    expect((await rawMcp(first.body['access_token'] as string)).status, 'the first exchange works').toBe(200);
    const replay = await token({ grant_type: 'authorization_code', code: m.code, code_verifier: m.verifier, client_id: clientId, redirect_uri: REDIRECT });
    expect(replay.status).toBe(400);
    expect(replay.body['error']).toBe('invalid_grant');
    expect((await rawMcp(first.body['access_token'] as string)).status, 'the replay revoked the first exchange').toBe(401);
    const refreshed = await token({ grant_type: 'refresh_token', refresh_token: first.body['refresh_token'] as string, client_id: clientId });
    expect(refreshed.body['error']).toBe('invalid_grant');
  });

  it('refuses an expired access token; the SDK client refreshes and carries on', async () => {
    const { connector } = await connect('read:market');
    const client = await mcpClient(connector);
    const before = connector.saved!.access_token;
    // Time only moves forward here (rate-limit buckets would not forgive a clock going back).
    offsetMs += ACCESS_TOKEN_TTL_MS + 60_000;
    const r = await rawMcp(before);
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const who = await client.callTool({ name: 'whoami', arguments: {} });
    expect((who.structuredContent as { userId: string }).userId).toBe(alice.id);
    expect(connector.saved!.access_token, 'a new access token was issued by refresh').not.toBe(before);
    await client.close().catch(() => undefined);
  });

  it('a refresh cannot widen the grant; a replayed refresh token revokes the whole family', async () => {
    const { connector } = await connect('read:market read:portfolio');
    const clientId = connector.info!.client_id;
    const first = connector.saved!;
    const wider = await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token!, client_id: clientId, scope: 'read:market write:orders' });
    expect(wider.status).toBe(400);
    expect(wider.body['error']).toBe('invalid_scope');
    const narrower = await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token!, client_id: clientId, scope: 'read:market' });
    expect(narrower.status, 'narrowing is allowed (and the refused widening did not spend the token)').toBe(200);
    expect(narrower.body['scope']).toBe('read:market');
    expect(narrower.body['refresh_token'], 'refresh tokens rotate').not.toBe(first.refresh_token);
    const next = narrower.body['access_token'] as string;
    expect((await rawMcp(next)).status).toBe(200);

    const racing = await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token!, client_id: clientId });
    expect(racing.status, 'the same client refreshing twice at once is a race, not theft').toBe(200);
    expect(racing.body['scope'], 'the race cannot widen either').toBe('read:market read:portfolio');
    expect((await rawMcp(next)).status, 'nor does it end the sign-in').toBe(200);

    offsetMs += REFRESH_REUSE_GRACE_MS + 1000;
    const replay = await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token!, client_id: clientId });
    expect(replay.body['error']).toBe('invalid_grant');
    expect((await rawMcp(next)).status, 'the replay revoked the successor access token').toBe(401);
    const successor = await token({ grant_type: 'refresh_token', refresh_token: narrower.body['refresh_token'] as string, client_id: clientId });
    expect(successor.body['error'], 'and the successor refresh token').toBe('invalid_grant');
  });

  it('honours revocation of a token and of a client', async () => {
    const a = await connect('read:market');
    const r = await fetch(new URL('/revoke', base), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: a.connector.saved!.access_token, client_id: a.connector.info!.client_id }).toString(),
    });
    expect(r.status).toBe(200);
    expect((await rawMcp(a.connector.saved!.access_token)).status, 'revoked access token').toBe(401);

    const b = await connect('read:market');
    expect((await rawMcp(b.connector.saved!.access_token)).status).toBe(200);
    await http.oauth!.provider.revokeClient(b.connector.info!.client_id);
    expect((await rawMcp(b.connector.saved!.access_token)).status, 'revoked client: its tokens stop').toBe(401);
    const refresh = await token({ grant_type: 'refresh_token', refresh_token: b.connector.saved!.refresh_token!, client_id: b.connector.info!.client_id });
    expect(refresh.body['error'], 'a revoked client is unknown to /token').toBe('invalid_client');
    const authorize = await fetch(b.connector.authorizationUrl!, { redirect: 'manual' });
    expect(authorize.status, 'nor can it start a new sign-in').toBe(400);
    const rows = await app.database.db.select().from(userSessions).where(and(eq(userSessions.clientId, b.connector.info!.client_id)));
    expect(rows.every((s) => s.revokedAt), 'every token of the client is revoked').toBe(true);
  });

  it('API keys keep working beside OAuth', async () => {
    const key = (await createApiKey(app.database.db, actorFor(alice.id, 'cli'), { userId: alice.id, permissions: ['read:market'], ratePerMinute: 100, expiresInMs: null })).key;
    const client = new Client({ name: 'key', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(http.url), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
    const who = await client.callTool({ name: 'whoami', arguments: {} });
    expect((who.structuredContent as { userId: string }).userId).toBe(alice.id);
    await client.close();
  });
});
