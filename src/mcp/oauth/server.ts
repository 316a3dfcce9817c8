// The OAuth 2.1 endpoints of `mikey serve`, as one express app mounted in front of /mcp:
// the MCP SDK's router (metadata, /register, /authorize, /token, /revoke) plus MIKEY's sign-in and
// consent pages (/oauth/*). A pending authorization is a row of `oauth_pending_sign_ins` for
// PENDING_TTL_MS under a random id that only the person's browser holds (it is the forms' CSRF token
// too; the row keeps its hash), so with several instances behind a load balancer any of them can take
// the person's next step. Counters move by single statements (no lost update between instances), and
// the consent takes the row away as it issues the code: one sign-in issues one code at most.
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Request, type Response } from 'express';
import { and, count, eq, gt, isNotNull, isNull, lt, lte, sql } from 'drizzle-orm';
import { mcpAuthRouter } from '@modelcontextprotocol/sdk/server/auth/router.js';
import type { AuthorizationParams } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { OAuthClientInformationFull } from '@modelcontextprotocol/sdk/shared/auth.js';
import { chatIdentities, linkCodes, oauthPendingSignIns, users, type OAuthPendingSignInRow, type StoredAuthorizationParams } from '../../db/schema/index.js';
import { actorFor } from '../../services/actor.js';
import type { Services } from '../../services/index.js';
import { createLinkCode, normaliseLinkCode } from '../../services/link-codes.js';
import { consentPage, messagePage, signInPage } from './pages.js';
import { isOAuthScope, MikeyOAuthProvider, OAUTH_SCOPES, type OAuthScope } from './provider.js';

export const PENDING_TTL_MS = 10 * 60_000;
/** Wrong codes one pending sign-in may try before it must start again. */
export const SIGN_IN_ATTEMPTS = 5;
const MAX_PENDING = 10_000;
/** Codes one pending sign-in may have sent to a chat. */
const CODE_SENDS = 3;

/** A pending sign-in as the pages use it: its row and its client, still registered. */
interface Pending {
  row: OAuthPendingSignInRow;
  client: OAuthClientInformationFull;
  offered: OAuthScope[];
}

/** Where a pending sign-in is kept: the hash of the id the browser holds. */
function pendingKey(id: string): string {
  return createHash('sha256').update(`mikey-oauth-pending:${id}`).digest('hex');
}

function storedParams(params: AuthorizationParams): StoredAuthorizationParams {
  return {
    redirectUri: params.redirectUri,
    codeChallenge: params.codeChallenge,
    ...(params.state !== undefined ? { state: params.state } : {}),
    ...(params.scopes !== undefined ? { scopes: params.scopes } : {}),
    ...(params.resource !== undefined ? { resource: params.resource.href } : {}),
  };
}

function authorizationParams(stored: StoredAuthorizationParams): AuthorizationParams {
  return {
    redirectUri: stored.redirectUri,
    codeChallenge: stored.codeChallenge,
    ...(stored.state !== undefined ? { state: stored.state } : {}),
    ...(stored.scopes !== undefined ? { scopes: stored.scopes } : {}),
    ...(stored.resource !== undefined ? { resource: new URL(stored.resource) } : {}),
  };
}

export interface OAuthServerOptions {
  /** The issuer: MIKEY_PUBLIC_URL, or the loopback address serve listens on. */
  issuerUrl: URL;
  /** The protected resource: `<issuer>/mcp`. */
  resourceUrl: URL;
  /** The SDK's per-address limits on /authorize, /token, /register, /revoke (false: off, for tests). */
  rateLimit?: false;
}

export interface OAuthServer {
  provider: MikeyOAuthProvider;
  /** True for the paths this app answers. */
  owns(pathname: string): boolean;
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** `WWW-Authenticate` for a 401 on /mcp: where the client finds how to sign in. */
  challenge(error?: string): string;
}

// Same derivation as services/link-codes.ts: a code from `mikey link` signs in as its user.
function linkCodeHash(code: string): string {
  return createHash('sha256').update(`mikey-link:${code}`).digest('hex');
}

/** What a person reads when /authorize refuses before it can send them back to their client. */
const AUTHORIZE_REFUSALS: Record<string, [string, string]> = {
  invalid_client: ['Unknown MCP client', 'This MCP client is not registered with MIKEY, or its access was revoked. Remove it from your MCP client and connect again.'],
  invalid_request: ['Sign-in link not valid', 'This sign-in link is incomplete or points somewhere MIKEY does not know. Start the connection again from your MCP client.'],
  too_many_requests: ['Too many sign-ins', 'Too many sign-ins were started from here; try again in a few minutes.'],
  server_error: ['Something went wrong', 'Nothing was granted. Go back to your MCP client and connect again.'],
};

const OWNED = new Set(['/authorize', '/token', '/register', '/revoke', '/oauth/sign-in', '/oauth/send-code', '/oauth/consent']);

export function createOAuthServer(services: Services, opts: OAuthServerOptions): OAuthServer {
  const db = services.db;
  const now = (): Date => services.clock.now();

  const html = (res: Response, status: number, body: string): void => {
    res.status(status).set('cache-control', 'no-store').set('x-frame-options', 'DENY').set('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
    res.type('html').send(body);
  };
  const clientName = (c: OAuthClientInformationFull): string => (typeof c.client_name === 'string' && c.client_name.trim() ? c.client_name.trim().slice(0, 80) : 'An MCP client');

  const provider = new MikeyOAuthProvider(services.db, services.clock, async (client, params, res) => {
    await db.delete(oauthPendingSignIns).where(lte(oauthPendingSignIns.expiresAt, now()));
    const [open] = await db.select({ n: count() }).from(oauthPendingSignIns);
    if ((open?.n ?? 0) >= MAX_PENDING) return html(res, 503, messagePage('Busy', 'Too many sign-ins are in progress; try again in a few minutes.'));
    const asked = params.scopes ?? [];
    // A scope MIKEY does not know is never offered; asking for none offers every scope.
    const offered = asked.length ? OAUTH_SCOPES.filter((s) => asked.includes(s)) : [...OAUTH_SCOPES];
    if (!offered.length) {
      const target = new URL(params.redirectUri);
      target.searchParams.set('error', 'invalid_scope');
      target.searchParams.set('error_description', `MIKEY's scopes are ${OAUTH_SCOPES.join(', ')}`);
      if (params.state !== undefined) target.searchParams.set('state', params.state);
      return res.redirect(302, target.href);
    }
    const id = randomBytes(24).toString('base64url');
    await db.insert(oauthPendingSignIns).values({
      idHash: pendingKey(id),
      clientId: client.client_id,
      params: storedParams(params),
      offered,
      expiresAt: new Date(now().getTime() + PENDING_TTL_MS),
    });
    html(res, 200, signInPage({ request: id, clientName: clientName(client) }));
  });

  const expired = (res: Response): void => html(res, 400, messagePage('Sign-in expired', 'This sign-in is no longer open. Go back to your MCP client and connect again.'));
  const stillOpen = (key: string) => and(eq(oauthPendingSignIns.idHash, key), gt(oauthPendingSignIns.expiresAt, now()));

  /** The open sign-in a form names, with its client (a client revoked meanwhile ends it), or an answer saying it is over. */
  const live = async (req: Request, res: Response): Promise<[string, Pending] | undefined> => {
    const id = typeof req.body?.['request'] === 'string' ? req.body['request'].slice(0, 100) : '';
    const key = pendingKey(id);
    const [row] = id ? await db.select().from(oauthPendingSignIns).where(stillOpen(key)) : [];
    const client = row ? await provider.clientsStore.getClient(row.clientId) : undefined;
    if (!row || !client) {
      if (id) await db.delete(oauthPendingSignIns).where(eq(oauthPendingSignIns.idHash, key));
      expired(res);
      return undefined;
    }
    return [id, { row, client, offered: row.offered.filter(isOAuthScope) }];
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('env', 'production');
  app.set('trust proxy', false);
  // The SDK answers a bad /authorize request it cannot redirect (unknown or revoked client, unregistered
  // redirect_uri, rate limit) with JSON; a person's browser gets a plain page instead.
  app.use('/authorize', (_req, res, next) => {
    const json = res.json.bind(res);
    res.json = ((body: unknown) => {
      if (res.statusCode < 400) return json(body);
      const error = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
      const [title, text] = AUTHORIZE_REFUSALS[typeof error === 'string' ? error : ''] ?? AUTHORIZE_REFUSALS['server_error']!;
      html(res, res.statusCode, messagePage(title, text));
      return res;
    });
    next();
  });
  app.use(
    mcpAuthRouter({
      provider,
      issuerUrl: opts.issuerUrl,
      resourceServerUrl: opts.resourceUrl,
      scopesSupported: [...OAUTH_SCOPES],
      resourceName: 'MIKEY',
      ...(opts.rateLimit === false
        ? { authorizationOptions: { rateLimit: false }, tokenOptions: { rateLimit: false }, clientRegistrationOptions: { rateLimit: false }, revocationOptions: { rateLimit: false } }
        : {}),
    }),
  );
  app.use('/oauth', express.urlencoded({ extended: false, limit: '8kb' }));

  app.post('/oauth/send-code', async (req, res) => {
    const open = await live(req, res);
    if (!open) return;
    const [id, p] = open;
    const [counted] = await db
      .update(oauthPendingSignIns)
      .set({ sends: sql`${oauthPendingSignIns.sends} + 1` })
      .where(and(stillOpen(p.row.idHash), lt(oauthPendingSignIns.sends, CODE_SENDS)))
      .returning({ sends: oauthPendingSignIns.sends });
    if (!counted) return html(res, 429, signInPage({ request: id, clientName: clientName(p.client), error: 'Enough codes were sent for this sign-in; use one of them, or connect again later.' }));
    const username = typeof req.body?.['username'] === 'string' ? req.body['username'].trim().slice(0, 64) : '';
    const [user] = username ? await services.db.select({ id: users.id, isActive: users.isActive }).from(users).where(eq(users.username, username)) : [];
    const [linked] = user?.isActive ? await services.db.select({ id: chatIdentities.id }).from(chatIdentities).where(eq(chatIdentities.userId, user.id)).limit(1) : [];
    if (user && linked) {
      const issued = await createLinkCode(services.db, actorFor(user.id, 'mcp-http'));
      await services.alerts.notifier
        .notify({
          userId: user.id,
          kind: 'risk',
          title: 'MIKEY sign-in code',
          body: `Your code to sign in ${clientName(p.client)} to MIKEY: ${issued.code}\nIt works once, for 10 minutes. If you did not ask for it, ignore this message.`,
        })
        .catch((err: unknown) => services.logger.warn('sending a sign-in code failed', { error: err }));
    }
    // The same answer whether or not the account exists: the page reveals no usernames.
    html(res, 200, signInPage({ request: id, clientName: clientName(p.client), notice: 'If that account has a linked Telegram or Discord chat, a code is on its way there.' }));
  });

  app.post('/oauth/sign-in', async (req, res) => {
    const open = await live(req, res);
    if (!open) return;
    const [id, p] = open;
    const code = normaliseLinkCode(typeof req.body?.['code'] === 'string' ? req.body['code'].slice(0, 64) : '');
    const at = services.clock.now();
    const [spent] = await services.db
      .update(linkCodes)
      .set({ usedAt: at, platform: 'oauth' })
      .where(and(eq(linkCodes.codeHash, linkCodeHash(code)), isNull(linkCodes.usedAt), gt(linkCodes.expiresAt, at)))
      .returning({ userId: linkCodes.userId });
    const [user] = spent ? await services.db.select({ username: users.username, isActive: users.isActive }).from(users).where(eq(users.id, spent.userId)) : [];
    if (!spent || !user?.isActive) {
      const [tried] = await db
        .update(oauthPendingSignIns)
        .set({ attempts: sql`${oauthPendingSignIns.attempts} + 1` })
        .where(stillOpen(p.row.idHash))
        .returning({ attempts: oauthPendingSignIns.attempts });
      if (!tried) return expired(res);
      if (tried.attempts >= SIGN_IN_ATTEMPTS) {
        await db.delete(oauthPendingSignIns).where(eq(oauthPendingSignIns.idHash, p.row.idHash));
        return html(res, 400, messagePage('Too many wrong codes', 'This sign-in is closed. Go back to your MCP client and connect again.'));
      }
      return html(res, 400, signInPage({ request: id, clientName: clientName(p.client), error: 'That code is not valid: it is wrong, used or expired. Check it or ask for a new one.' }));
    }
    const username = user.username ?? 'you';
    const [signedIn] = await db
      .update(oauthPendingSignIns)
      .set({ userId: spent.userId, username })
      .where(stillOpen(p.row.idHash))
      .returning({ idHash: oauthPendingSignIns.idHash });
    if (!signedIn) return expired(res);
    html(res, 200, consentPage({ request: id, clientName: clientName(p.client), username, offered: p.offered }));
  });

  app.post('/oauth/consent', async (req, res) => {
    const open = await live(req, res);
    if (!open) return;
    const [id, p] = open;
    if (!p.row.userId) return html(res, 400, signInPage({ request: id, clientName: clientName(p.client), error: 'Sign in with your code first.' }));
    const raw = req.body?.['scope'];
    const ticked = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter((s): s is string => typeof s === 'string');
    // Only what was offered (= asked for) and ticked is granted: never more than the client asked.
    const granted = p.offered.filter((s) => ticked.includes(s) && isOAuthScope(s));
    const params = authorizationParams(p.row.params);
    const target = new URL(params.redirectUri);
    if (req.body?.['decision'] !== 'approve') {
      await db.delete(oauthPendingSignIns).where(eq(oauthPendingSignIns.idHash, p.row.idHash));
      target.searchParams.set('error', 'access_denied');
      target.searchParams.set('error_description', 'The person declined.');
      if (params.state !== undefined) target.searchParams.set('state', params.state);
      return res.redirect(302, target.href);
    }
    if (!granted.length) return html(res, 400, consentPage({ request: id, clientName: clientName(p.client), username: p.row.username ?? 'you', offered: p.offered, error: 'Tick at least one permission, or choose Deny.' }));
    // Taken away as the code is issued: a second consent for this sign-in (a double click, another
    // instance) finds nothing and issues nothing.
    const [taken] = await db
      .delete(oauthPendingSignIns)
      .where(and(stillOpen(p.row.idHash), isNotNull(oauthPendingSignIns.userId)))
      .returning({ userId: oauthPendingSignIns.userId });
    if (!taken?.userId) return expired(res);
    const redirect = await provider.issueCode({ client: p.client, params, userId: taken.userId, scopes: granted });
    res.redirect(302, redirect.href);
  });

  // Last: any failure in a handler is a plain page, never a stack trace.
  app.use(((err: unknown, _req: Request, res: Response, _next: unknown) => {
    services.logger.error('oauth request failed', { error: err });
    if (!res.headersSent) html(res, 500, messagePage('Something went wrong', 'Nothing was granted. Go back to your MCP client and connect again.'));
  }) as unknown as Parameters<typeof app.use>[0]);

  const metadataUrl = new URL(`/.well-known/oauth-protected-resource${opts.resourceUrl.pathname}`, opts.issuerUrl).href;
  return {
    provider,
    owns: (pathname) => OWNED.has(pathname) || pathname.startsWith('/.well-known/oauth-'),
    handle: (req, res) => app(req, res),
    challenge: (error) => `Bearer ${error ? `error="${error}", ` : ''}resource_metadata="${metadataUrl}"`,
  };
}
