// OAuth 2.1 sign-in for remote MCP clients, with a person in a real headless browser (Debian's
// chromium driven by playwright-core): the test registers a client and makes the PKCE pair over HTTP
// like a connector would; the browser opens /authorize, asks for a code for the linked chat, types it,
// unticks a scope on the consent page and lands on the client's redirect URI, served by a small local
// HTTP server. Refusal paths as the person sees them: wrong codes, a closed or expired sign-in, a
// tampered consent form, `admin` asked for, a revoked client, a page framed by another site; and on
// the wire, a replayed authorization code and an expired access token.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { chromium, type Browser, type BrowserContext, type Page, type Response as PageResponse } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chatIdentities } from '../../src/db/schema/index.js';
import type { Notification } from '../../src/domain/ports.js';
import { startMcpHttpServer, type McpHttpServer } from '../../src/mcp/http.js';
import { ACCESS_TOKEN_TTL_MS } from '../../src/mcp/oauth/provider.js';
import { PENDING_TTL_MS, SIGN_IN_ATTEMPTS } from '../../src/mcp/oauth/server.js';
import { actorFor } from '../../src/services/actor.js';
import { createLinkCode } from '../../src/services/link-codes.js';
import { createUser, type User } from '../../src/services/users.js';
import { CATALOGUE } from '../../src/tools/index.js';
import { createTestApp, type TestApp } from '../support/app.js';

// Scripts passed to page.evaluate run in the browser; the project compiles without the DOM lib, so
// they see this much of it.
interface InPageElement {
  type: string;
  name: string;
  value: string;
  checked: boolean;
  method: string;
  action: string;
  append(child: InPageElement): void;
  prepend(child: InPageElement): void;
  submit(): void;
}
declare const document: { body: InPageElement; createElement(tag: string): InPageElement; querySelector(selector: string): InPageElement | null };
declare const window: { __pwned?: number };

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
// CI installs chromium and sets MIKEY_REQUIRE_BROWSER: there a missing browser fails instead of skipping.
const REQUIRE_BROWSER = Boolean(process.env['MIKEY_REQUIRE_BROWSER']);
/** Bound on every browser wait (navigation, clicks): a hang fails the test instead of stalling it. */
const BROWSER_WAIT_MS = 15_000;

let offsetMs = 0;
let app: TestApp;
let http: McpHttpServer;
let alice: User;
let base: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let callback: Server;
let redirectUri: string;
let otherOrigin: string;
/** Every request the client's redirect URI received. */
const callbackHits: URL[] = [];
/** Messages the notifier delivered to linked chats. */
const sent: Notification[] = [];
let unregisterChat: (() => void) | undefined;

interface Pkce {
  verifier: string;
  challenge: string;
}

function pkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** Registers a public client with /register, as an MCP connector does (dynamic client registration). */
async function registerClient(name = 'Browser connector'): Promise<string> {
  const r = await fetch(new URL('/register', base), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: name, redirect_uris: [redirectUri], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' }),
  });
  expect(r.status, 'the client registers').toBe(201);
  return ((await r.json()) as { client_id: string }).client_id;
}

function authorizeUrl(clientId: string, challenge: string, scope: string, state: string): string {
  const url = new URL('/authorize', base);
  for (const [k, v] of Object.entries({ response_type: 'code', client_id: clientId, redirect_uri: redirectUri, code_challenge: challenge, code_challenge_method: 'S256', scope, state })) url.searchParams.set(k, v);
  return url.href;
}

async function exchange(clientId: string, code: string, verifier: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(new URL('/token', base), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, client_id: clientId, redirect_uri: redirectUri }).toString(),
  });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

async function rawMcp(token: string): Promise<Response> {
  const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
  return fetch(http.url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify(init) });
}

async function linkCode(): Promise<string> {
  return (await createLinkCode(app.database.db, actorFor(alice.id, 'cli'), app.services.clock.now())).code;
}

/** Clicks a submit button and waits for the page it leads to; returns that page's response. */
async function submit(button: string): Promise<PageResponse | null> {
  const [response] = await Promise.all([page.waitForNavigation({ timeout: BROWSER_WAIT_MS }), page.getByRole('button', { name: button }).click()]);
  return response;
}

async function signInWith(code: string): Promise<PageResponse | null> {
  await page.getByLabel('One-time code').fill(code);
  return submit('Sign in');
}

/** A page a person reads: HTML with anti-framing headers, and no stack trace, JSON or secret in its text. */
async function expectCleanPage(response: PageResponse | null, secrets: string[] = []): Promise<void> {
  expect(response, 'the page was loaded').not.toBeNull();
  const headers = response!.headers();
  expect(headers['content-type'], 'a page, not a JSON document').toMatch(/^text\/html/);
  expect(headers['x-frame-options'], 'another site cannot frame the page (clickjacking)').toBe('DENY');
  expect(headers['content-security-policy'], 'another site cannot frame the page (CSP)').toContain("frame-ancestors 'none'");
  expect(headers['cache-control'], 'pages with sign-in state are not cached').toContain('no-store');
  const text = await page.locator('body').innerText();
  expect(text, 'no stack trace on the page').not.toMatch(/\bat \S+ \(|\.[jt]s:\d+|node_modules|Error:/);
  expect(text, 'no JSON on the page').not.toMatch(/[{[]\s*"|"error"/);
  for (const s of secrets) expect(text, 'no secret on the page').not.toContain(s);
}

async function heading(): Promise<string> {
  return (await page.locator('h1').innerText()).trim();
}

/** Opens /authorize in the browser and waits for the sign-in page. */
async function openSignIn(clientId: string, challenge: string, scope: string, state: string): Promise<PageResponse | null> {
  const response = await page.goto(authorizeUrl(clientId, challenge, scope, state), { timeout: BROWSER_WAIT_MS });
  expect(response?.status(), 'the sign-in page opens').toBe(200);
  expect(await heading()).toBe('Sign in to MIKEY');
  return response;
}

/** Approves on the consent page and waits until the browser is on the client's redirect URI. */
async function allowAndLand(): Promise<URL> {
  await Promise.all([page.waitForURL((u) => u.href.startsWith(redirectUri), { timeout: BROWSER_WAIT_MS }), page.getByRole('button', { name: 'Allow' }).click()]);
  return new URL(page.url());
}

async function offeredScopes(): Promise<string[]> {
  return page.locator('input[name="scope"]').evaluateAll((boxes) => boxes.map((b) => (b as unknown as InPageElement).value));
}

function onServerOrigin(): boolean {
  return new URL(page.url()).origin === base;
}

if (!HAVE_CHROMIUM && REQUIRE_BROWSER) {
  describe('OAuth pages in a browser', () => {
    it('needs chromium', () => {
      expect.fail(`MIKEY_REQUIRE_BROWSER is set but there is no browser at ${CHROMIUM}: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH.`);
    });
  });
}

describe.skipIf(!HAVE_CHROMIUM)(HAVE_CHROMIUM ? 'OAuth pages in a real browser' : `OAuth pages in a real browser (skipped: no chromium at ${CHROMIUM}; install it or set CHROMIUM_PATH)`, () => {
  beforeAll(async () => {
    app = await createTestApp({}, { clock: { now: () => new Date(Date.now() + offsetMs) } });
    alice = await createUser(app.database.db, { username: 'alice' });
    await app.database.db.insert(chatIdentities).values({ userId: alice.id, platform: 'telegram', externalUserId: '4242', chatId: '4242' });
    unregisterChat = app.services.alerts.notifier.register({ notify: (n) => Promise.resolve(void sent.push(n)) });
    http = await startMcpHttpServer(app.services, CATALOGUE, { host: '127.0.0.1', port: 0, oauth: { rateLimit: false } });
    base = new URL(http.url).origin;
    // The connector's redirect URI, and (on the same port, so another origin than MIKEY) a page that
    // tries to frame MIKEY's sign-in.
    callback = createServer((req, res) => {
      const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
      if (url.pathname === '/frame') {
        res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>Framing</title><iframe id="mikey" src="${url.searchParams.get('src')!.replace(/"/g, '&quot;')}"></iframe>`);
        return;
      }
      if (url.pathname !== '/callback') {
        res.writeHead(404).end(); // the browser's own requests (favicon): not the client's redirect URI
        return;
      }
      callbackHits.push(url);
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Connected</title><h1>Connected</h1>');
    });
    await new Promise<void>((resolve) => callback.listen(0, '127.0.0.1', resolve));
    otherOrigin = `http://127.0.0.1:${(callback.address() as AddressInfo).port}`;
    redirectUri = `${otherOrigin}/callback`;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, timeout: 60_000 });
  });
  afterAll(async () => {
    await browser?.close();
    unregisterChat?.();
    await new Promise<void>((resolve) => (callback ? callback.close(() => resolve()) : resolve()));
    await http?.close();
    await app?.close();
  });
  beforeEach(async () => {
    context = await browser.newContext();
    context.setDefaultTimeout(BROWSER_WAIT_MS);
    page = await context.newPage();
    callbackHits.length = 0;
    sent.length = 0;
  });
  afterEach(async () => {
    await context?.close();
  });

  it('a person signs in with a code sent to their chat, narrows the scopes, and the client gets exactly what was ticked', async () => {
    // The client's name is shown on the pages; markup in it stays text and never runs.
    const clientId = await registerClient('Connector <img src=x onerror="window.__pwned=1">');
    const { verifier, challenge } = pkce();
    const state = randomBytes(8).toString('hex');
    await expectCleanPage(await openSignIn(clientId, challenge, 'read:market read:portfolio write:orders', state));
    expect(await page.locator('strong').first().innerText(), 'the client name is shown as text').toBe('Connector <img src=x onerror="window.__pwned=1">');

    await page.getByLabel('MIKEY username').fill('alice');
    const asked = await submit('Send me a code');
    expect(await page.getByRole('status').innerText()).toContain('a code is on its way');
    expect(sent.map((n) => n.userId), 'the code went to the linked chat').toEqual([alice.id]);
    const code = /MK-[0-9A-Z]{4}-[0-9A-Z]{4}/.exec(sent[0]!.body)?.[0];
    expect(code, 'the chat message carries the code').toBeTruthy();
    await expectCleanPage(asked, [code!]);

    const consent = await signInWith(code!);
    expect(consent?.status()).toBe(200);
    expect(await heading()).toBe('Allow access?');
    expect(await page.locator('body').innerText()).toContain('Signed in as alice');
    await expectCleanPage(consent, [code!]);
    expect(await offeredScopes(), 'the consent page offers what the client asked for').toEqual(['read:market', 'read:portfolio', 'write:orders']);
    for (const s of await offeredScopes()) expect(await page.locator(`input[name="scope"][value="${s}"]`).isChecked(), `${s} starts ticked`).toBe(true);
    await page.getByLabel(/Place and cancel orders/).uncheck();

    const back = await allowAndLand();
    expect(back.origin + back.pathname).toBe(redirectUri);
    expect(back.searchParams.get('state'), 'state comes back unchanged').toBe(state);
    const authCode = back.searchParams.get('code');
    expect(authCode, 'the redirect carries a code').toBeTruthy();
    expect(callbackHits.map((u) => u.pathname), 'the browser reached the client').toEqual(['/callback']);
    expect(await page.evaluate(() => window.__pwned), 'no markup from the client name ran').toBeUndefined();

    const tokens = await exchange(clientId, authCode!, verifier);
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    expect(String(tokens.body['scope']).split(' ').sort(), 'granted exactly the ticked scopes').toEqual(['read:market', 'read:portfolio']);

    const client = new Client({ name: 'connector', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(http.url), { requestInit: { headers: { authorization: `Bearer ${tokens.body['access_token'] as string}` } } }));
    const who = await client.callTool({ name: 'whoami', arguments: {} });
    expect((who.structuredContent as { userId: string }).userId).toBe(alice.id);
    expect((who.structuredContent as { permissions: string[] }).permissions.sort(), 'the MCP session has exactly the ticked scopes').toEqual(['read:market', 'read:portfolio']);
    const order = await client.callTool({ name: 'place-order', arguments: { symbol: 'SOL/USDT', side: 'buy', quantity: '1' } });
    expect(order.isError, 'the unticked write:orders was not granted').toBe(true);
    await client.close();
  });

  it('denying sends the person back to the client with access_denied and no code', async () => {
    const clientId = await registerClient();
    await openSignIn(clientId, pkce().challenge, 'read:market', 'st-deny');
    await signInWith(await linkCode());
    await Promise.all([page.waitForURL((u) => u.href.startsWith(redirectUri)), page.getByRole('button', { name: 'Deny' }).click()]);
    const back = new URL(page.url());
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('state')).toBe('st-deny');
    expect(back.searchParams.get('code'), 'no code when denied').toBeNull();
  });

  it('a wrong code shows an error and stays on the page; after too many the sign-in is closed for good', async () => {
    const clientId = await registerClient();
    await openSignIn(clientId, pkce().challenge, 'read:market', 'st-wrong');
    const request = await page.locator('input[name="request"]').first().inputValue();
    for (let i = 1; i < SIGN_IN_ATTEMPTS; i++) {
      const wrong = await signInWith('MK-0000-0000');
      expect(wrong?.status()).toBe(400);
      expect(await page.getByRole('alert').innerText()).toContain('That code is not valid');
      expect(await heading(), 'still the sign-in page').toBe('Sign in to MIKEY');
      await expectCleanPage(wrong);
    }
    const closed = await signInWith('MK-0000-0000');
    expect(await heading()).toBe('Too many wrong codes');
    expect(await page.locator('body').innerText()).toContain('This sign-in is closed');
    await expectCleanPage(closed);
    expect(await page.locator('form').count(), 'nothing left to submit').toBe(0);

    // Even a right code, posted from the browser for the closed sign-in, cannot reopen it.
    const right = await linkCode();
    const reopened = await Promise.all([
      page.waitForNavigation(),
      page.evaluate(
        ([req, code]) => {
          const form = document.createElement('form');
          form.method = 'post';
          form.action = '/oauth/sign-in';
          for (const [name, value] of [['request', req], ['code', code]] as const) {
            const input = document.createElement('input');
            input.type = 'hidden';
            input.name = name;
            input.value = value;
            form.append(input);
          }
          document.body.append(form);
          form.submit();
        },
        [request, right] as const,
      ),
    ]);
    expect(reopened[0]?.status()).toBe(400);
    expect(await heading()).toBe('Sign-in expired');
    await expectCleanPage(reopened[0], [right]);
    expect(onServerOrigin(), 'never sent to the client').toBe(true);
    expect(callbackHits, 'no redirect to the client at any point').toHaveLength(0);
  });

  it('a sign-in left open too long expires', async () => {
    const clientId = await registerClient();
    await openSignIn(clientId, pkce().challenge, 'read:market', 'st-late');
    offsetMs += PENDING_TTL_MS + 1000;
    const late = await signInWith(await linkCode());
    expect(late?.status()).toBe(400);
    expect(await heading()).toBe('Sign-in expired');
    await expectCleanPage(late);
    expect(callbackHits).toHaveLength(0);
  });

  it('a tampered consent form and an `admin` request cannot widen the grant', async () => {
    const clientId = await registerClient();
    const { verifier, challenge } = pkce();
    await openSignIn(clientId, challenge, 'read:market admin', 'st-esc');
    await signInWith(await linkCode());
    expect(await offeredScopes(), 'admin is not an OAuth scope and is never offered').toEqual(['read:market']);
    expect(await page.locator('body').innerText()).not.toContain('admin');
    // The person's browser (or something in it) adds boxes the page never offered.
    await page.evaluate(() => {
      const form = document.querySelector('form[action="/oauth/consent"]')!;
      for (const s of ['write:orders', 'admin', 'read:portfolio']) {
        const box = document.createElement('input');
        box.type = 'checkbox';
        box.name = 'scope';
        box.value = s;
        box.checked = true;
        form.prepend(box);
      }
    });
    expect(await offeredScopes(), 'the form now carries the extra scopes').toHaveLength(4);
    const back = await allowAndLand();
    const tokens = await exchange(clientId, back.searchParams.get('code')!, verifier);
    expect(tokens.status).toBe(200);
    expect(tokens.body['scope'], 'only what the client asked for and MIKEY offered').toBe('read:market');

    // Asking for nothing MIKEY knows goes straight back to the client with invalid_scope.
    await page.goto(authorizeUrl(clientId, pkce().challenge, 'admin', 'st-admin'));
    await page.waitForURL((u) => u.href.startsWith(redirectUri));
    const refused = new URL(page.url());
    expect(refused.searchParams.get('error')).toBe('invalid_scope');
    expect(refused.searchParams.get('state')).toBe('st-admin');
    expect(refused.searchParams.get('code')).toBeNull();
  });

  it('a replayed authorization code is refused and revokes what it issued', async () => {
    const clientId = await registerClient();
    const { verifier, challenge } = pkce();
    await openSignIn(clientId, challenge, 'read:market', 'st-replay');
    await signInWith(await linkCode());
    const code = (await allowAndLand()).searchParams.get('code')!;
    const first = await exchange(clientId, code, verifier);
    expect(first.status).toBe(200);
    const access = first.body['access_token'] as string;
    expect((await rawMcp(access)).status, 'the first exchange works').toBe(200);
    const replay = await exchange(clientId, code, verifier);
    expect(replay.status).toBe(400);
    expect(replay.body['error']).toBe('invalid_grant');
    expect((await rawMcp(access)).status, 'the replay revoked the access token from the first exchange').toBe(401);
  });

  it('an expired access token is refused on /mcp', async () => {
    const clientId = await registerClient();
    const { verifier, challenge } = pkce();
    await openSignIn(clientId, challenge, 'read:market', 'st-exp');
    await signInWith(await linkCode());
    const tokens = await exchange(clientId, (await allowAndLand()).searchParams.get('code')!, verifier);
    const access = tokens.body['access_token'] as string;
    expect((await rawMcp(access)).status).toBe(200);
    // Time only moves forward in this file.
    offsetMs += ACCESS_TOKEN_TTL_MS + 60_000;
    const r = await rawMcp(access);
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('a revoked client cannot start a sign-in: the person sees a plain page', async () => {
    const clientId = await registerClient();
    await http.oauth!.provider.revokeClient(clientId);
    const refused = await page.goto(authorizeUrl(clientId, pkce().challenge, 'read:market', 'st-revoked'));
    expect(refused?.status()).toBe(400);
    expect(await heading()).toBe('Unknown MCP client');
    expect(await page.locator('body').innerText()).toContain('access was revoked');
    await expectCleanPage(refused, [clientId]);
    expect(callbackHits, 'never sent to the client').toHaveLength(0);

    // An unregistered redirect URI is refused on a page too, never redirected to.
    const other = await registerClient();
    const url = new URL(authorizeUrl(other, pkce().challenge, 'read:market', 'st-elsewhere'));
    url.searchParams.set('redirect_uri', 'https://attacker.example/steal');
    const elsewhere = await page.goto(url.href);
    expect(elsewhere?.status()).toBe(400);
    expect(await heading()).toBe('Sign-in link not valid');
    await expectCleanPage(elsewhere);
  });

  it('another site cannot frame the sign-in page', async () => {
    const clientId = await registerClient();
    const src = authorizeUrl(clientId, pkce().challenge, 'read:market', 'st-frame');
    const framed = page.waitForResponse((r) => r.url().startsWith(`${base}/authorize`));
    await page.goto(`${otherOrigin}/frame?src=${encodeURIComponent(src)}`);
    expect((await framed).status(), 'MIKEY answered the framed request').toBe(200);
    const frame = await (await page.$('#mikey'))!.contentFrame();
    // The browser refuses to render it: the frame holds no sign-in form.
    const forms = frame ? await frame.locator('form').count().catch(() => 0) : 0;
    expect(forms, 'the sign-in page does not render inside another site').toBe(0);
    expect(frame?.url() ?? '', 'the frame never shows MIKEY').not.toBe(src);
  });
});
