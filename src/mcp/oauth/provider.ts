// MIKEY as an OAuth 2.1 authorization server for remote MCP clients, behind the MCP SDK's
// `mcpAuthRouter` (which validates requests, checks PKCE S256 and speaks the wire format).
//
// Invariants:
// - Every secret (authorization code, access token, refresh token) is stored only as its SHA-256.
// - Scopes are MIKEY permissions; a token never carries a scope the person did not approve, and a
//   refresh never widens them.
// - A code is spent once; a refresh token is spent once and replaced. Presenting a spent code or a
//   spent refresh token revokes every token of its family (all descend from one sign-in) — except a
//   refresh token presented again by its own client within REFRESH_REUSE_GRACE_MS of being replaced:
//   clients refresh from several requests at once (the SDK's own client does), and that race is not
//   theft. It gets a fresh pair in the same family; past the grace, reuse ends the family.
// - Every client is public (no secret): PKCE binds a code to whoever began the authorization.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Response } from 'express';
import { and, eq, gt, isNull } from 'drizzle-orm';
import type { AuthorizationParams, OAuthServerProvider } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { OAuthRegisteredClientsStore } from '@modelcontextprotocol/sdk/server/auth/clients.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { InvalidGrantError, InvalidScopeError, InvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { OAuthClientInformationFull, OAuthTokenRevocationRequest, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { Db } from '../../db/client.js';
import { oauthAuthorizationCodes, oauthClients, users, userSessions } from '../../db/schema/index.js';
import { withTransaction } from '../../db/tx.js';
import type { Clock } from '../../domain/ports.js';
import { actorFor } from '../../services/actor.js';
import { writeAudit } from '../../services/audit.js';
import { Permission } from '../../services/permission.js';

/** The scopes a client may ask for: MIKEY's permissions, without `admin`. */
export const OAUTH_SCOPES = [Permission.readMarket, Permission.readPortfolio, Permission.writeOrders, Permission.writeAlerts] as const;
export type OAuthScope = (typeof OAUTH_SCOPES)[number];

export const ACCESS_TOKEN_TTL_MS = 60 * 60_000;
export const REFRESH_TOKEN_TTL_MS = 30 * 24 * 60 * 60_000;
export const AUTHORIZATION_CODE_TTL_MS = 5 * 60_000;
/** How long a just-replaced refresh token may still be exchanged by its client (concurrent refreshes). */
export const REFRESH_REUSE_GRACE_MS = 10_000;

const ACCESS_PREFIX = 'mko_at_';
const REFRESH_PREFIX = 'mko_rt_';
const CODE_PREFIX = 'mko_ac_';
const TOKEN_SHAPE = /^mko_at_[A-Za-z0-9_-]{43}$/;

/** True when a bearer token is shaped like a MIKEY OAuth access token (anything else is not one). */
export function isOAuthAccessToken(presented: string): boolean {
  return TOKEN_SHAPE.test(presented);
}

export function hashOAuthSecret(secret: string): string {
  return createHash('sha256').update(`mikey-oauth:${secret}`).digest('hex');
}

function newSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

export function isOAuthScope(s: string): s is OAuthScope {
  return (OAUTH_SCOPES as readonly string[]).includes(s);
}

/** A verified access token: whose it is, which client holds it, exactly what it may do. */
export interface OAuthGrant {
  sessionId: string;
  userId: string;
  clientId: string;
  /** The sign-in this token descends from (stable across refreshes). */
  familyId: string;
  scopes: OAuthScope[];
  expiresAt: Date;
}

/** What the person approved on the consent page; the provider turns it into a code. */
export interface ApprovedAuthorization {
  client: OAuthClientInformationFull;
  params: AuthorizationParams;
  userId: string;
  scopes: OAuthScope[];
}

type Outcome = { tokens: OAuthTokens } | { error: string; scope?: boolean };

export class MikeyOAuthProvider implements OAuthServerProvider {
  readonly clientsStore: OAuthRegisteredClientsStore;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    /** Renders the sign-in page for a fresh authorization request (pages.ts). */
    private readonly beginSignIn: (client: OAuthClientInformationFull, params: AuthorizationParams, res: Response) => void | Promise<void>,
  ) {
    this.clientsStore = {
      getClient: async (clientId: string): Promise<OAuthClientInformationFull | undefined> => {
        const [row] = await this.db.select().from(oauthClients).where(and(eq(oauthClients.clientId, clientId), isNull(oauthClients.revokedAt)));
        return row ? ({ ...row.metadata, client_id: row.clientId } as OAuthClientInformationFull) : undefined;
      },
      registerClient: async (client: Omit<OAuthClientInformationFull, 'client_id' | 'client_id_issued_at'>): Promise<OAuthClientInformationFull> => {
        const full = client as OAuthClientInformationFull;
        // Public clients only: drop any secret the SDK generated, so none exists to leak or to store.
        const { client_secret: _secret, client_secret_expires_at: _expires, ...rest } = full;
        const clientId = full.client_id ?? randomUUID();
        const metadata = { ...rest, client_id: clientId, token_endpoint_auth_method: 'none' };
        await this.db.insert(oauthClients).values({ clientId, metadata });
        return metadata;
      },
    };
  }

  async authorize(client: OAuthClientInformationFull, params: AuthorizationParams, res: Response): Promise<void> {
    await this.beginSignIn(client, params, res);
  }

  /** Issues the code for an approved authorization and returns where to send the browser. */
  async issueCode(a: ApprovedAuthorization): Promise<URL> {
    const code = newSecret(CODE_PREFIX);
    const now = this.clock.now();
    const familyId = randomUUID();
    await withTransaction(this.db, async (tx) => {
      await tx.insert(oauthAuthorizationCodes).values({
        codeHash: hashOAuthSecret(code),
        clientId: a.client.client_id,
        userId: a.userId,
        scopes: a.scopes,
        codeChallenge: a.params.codeChallenge,
        redirectUri: a.params.redirectUri,
        resource: a.params.resource?.href ?? null,
        familyId,
        expiresAt: new Date(now.getTime() + AUTHORIZATION_CODE_TTL_MS),
      });
      await writeAudit(tx, actorFor(a.userId, 'mcp-http'), {
        action: 'oauth.grant',
        entityType: 'oauth_client',
        entityId: a.client.client_id,
        newValue: { scopes: a.scopes, clientName: a.client.client_name ?? null, familyId },
      });
    });
    const target = new URL(a.params.redirectUri);
    target.searchParams.set('code', code);
    if (a.params.state !== undefined) target.searchParams.set('state', a.params.state);
    return target;
  }

  async challengeForAuthorizationCode(client: OAuthClientInformationFull, authorizationCode: string): Promise<string> {
    const [row] = await this.db
      .select({ codeChallenge: oauthAuthorizationCodes.codeChallenge })
      .from(oauthAuthorizationCodes)
      .where(and(eq(oauthAuthorizationCodes.codeHash, hashOAuthSecret(authorizationCode)), eq(oauthAuthorizationCodes.clientId, client.client_id)));
    if (!row) throw new InvalidGrantError('The authorization code is not known; start the sign-in again.');
    return row.codeChallenge;
  }

  async exchangeAuthorizationCode(client: OAuthClientInformationFull, authorizationCode: string, _codeVerifier?: string, redirectUri?: string): Promise<OAuthTokens> {
    const now = this.clock.now();
    const hash = hashOAuthSecret(authorizationCode);
    const outcome = await withTransaction(this.db, async (tx): Promise<Outcome> => {
      const [spent] = await tx
        .update(oauthAuthorizationCodes)
        .set({ usedAt: now })
        .where(and(eq(oauthAuthorizationCodes.codeHash, hash), eq(oauthAuthorizationCodes.clientId, client.client_id), isNull(oauthAuthorizationCodes.usedAt)))
        .returning();
      if (!spent) {
        const [known] = await tx.select().from(oauthAuthorizationCodes).where(eq(oauthAuthorizationCodes.codeHash, hash));
        // A code presented twice was seen by someone else: revoke what the first exchange issued.
        if (known?.usedAt) await tx.update(userSessions).set({ revokedAt: now }).where(and(eq(userSessions.familyId, known.familyId), isNull(userSessions.revokedAt)));
        return { error: known?.usedAt ? 'The authorization code was already used; every token issued from it is now revoked.' : 'The authorization code is not known.' };
      }
      if (spent.expiresAt <= now) return { error: 'The authorization code has expired; start the sign-in again.' };
      if (redirectUri !== undefined && redirectUri !== spent.redirectUri) return { error: 'redirect_uri does not match the one the code was issued for.' };
      return { tokens: await this.issueTokens(tx, { userId: spent.userId, clientId: client.client_id, scopes: spent.scopes as OAuthScope[], familyId: spent.familyId }, now) };
    });
    if ('error' in outcome) throw new InvalidGrantError(outcome.error);
    return outcome.tokens;
  }

  async exchangeRefreshToken(client: OAuthClientInformationFull, refreshToken: string, scopes?: string[]): Promise<OAuthTokens> {
    const now = this.clock.now();
    const hash = hashOAuthSecret(refreshToken);
    const outcome = await withTransaction(this.db, async (tx): Promise<Outcome> => {
      // Scopes are checked before the token is spent: a refused widening leaves it usable.
      const [current] = await tx
        .select({ scopes: userSessions.scopes })
        .from(userSessions)
        .where(and(eq(userSessions.tokenHash, hash), eq(userSessions.kind, 'oauth_refresh'), eq(userSessions.clientId, client.client_id)));
      const granted = (current?.scopes ?? []) as OAuthScope[];
      const wanted = scopes ?? granted;
      const beyond = wanted.filter((s) => !(granted as string[]).includes(s));
      if (current && beyond.length) return { error: `A refresh cannot widen the grant: ${beyond.join(', ')} was not approved.`, scope: true };
      const [spent] = await tx
        .update(userSessions)
        .set({ replacedAt: now })
        .where(
          and(
            eq(userSessions.tokenHash, hash),
            eq(userSessions.kind, 'oauth_refresh'),
            eq(userSessions.clientId, client.client_id),
            isNull(userSessions.replacedAt),
            isNull(userSessions.revokedAt),
            gt(userSessions.expiresAt, now),
          ),
        )
        .returning();
      if (!spent) {
        const [known] = await tx.select().from(userSessions).where(and(eq(userSessions.tokenHash, hash), eq(userSessions.kind, 'oauth_refresh')));
        const racing =
          known?.replacedAt && known.familyId && !known.revokedAt && known.clientId === client.client_id && known.expiresAt > now && now.getTime() - known.replacedAt.getTime() <= REFRESH_REUSE_GRACE_MS;
        if (racing && (await this.userActive(tx, known.userId))) {
          return { tokens: await this.issueTokens(tx, { userId: known.userId, clientId: client.client_id, scopes: wanted as OAuthScope[], familyId: known.familyId! }, now) };
        }
        // A refresh token is spent once. Its replay means two holders: end the whole family.
        if (known?.replacedAt && known.familyId) {
          await tx.update(userSessions).set({ revokedAt: now }).where(and(eq(userSessions.familyId, known.familyId), isNull(userSessions.revokedAt)));
          return { error: 'The refresh token was already used; every token of this sign-in is now revoked. Sign in again.' };
        }
        return { error: 'The refresh token is not valid (unknown, expired or revoked). Sign in again.' };
      }
      if (!(await this.userActive(tx, spent.userId))) return { error: 'The account is disabled.' };
      return { tokens: await this.issueTokens(tx, { userId: spent.userId, clientId: client.client_id, scopes: wanted as OAuthScope[], familyId: spent.familyId! }, now) };
    });
    if ('error' in outcome && outcome.scope) throw new InvalidScopeError(outcome.error);
    if ('error' in outcome) throw new InvalidGrantError(outcome.error);
    return outcome.tokens;
  }

  /** The grant behind an access token, or undefined when it is unknown, expired or revoked. */
  async verifyGrant(token: string): Promise<OAuthGrant | undefined> {
    if (!isOAuthAccessToken(token)) return undefined;
    const now = this.clock.now();
    const [row] = await this.db
      .select({ id: userSessions.id, userId: userSessions.userId, clientId: userSessions.clientId, familyId: userSessions.familyId, scopes: userSessions.scopes, expiresAt: userSessions.expiresAt })
      .from(userSessions)
      .innerJoin(oauthClients, eq(oauthClients.clientId, userSessions.clientId))
      .innerJoin(users, eq(users.id, userSessions.userId))
      .where(
        and(
          eq(userSessions.tokenHash, hashOAuthSecret(token)),
          eq(userSessions.kind, 'oauth_access'),
          isNull(userSessions.revokedAt),
          gt(userSessions.expiresAt, now),
          isNull(oauthClients.revokedAt),
          eq(users.isActive, true),
        ),
      );
    if (!row) return undefined;
    return { sessionId: row.id, userId: row.userId, clientId: row.clientId!, familyId: row.familyId ?? row.id, scopes: row.scopes.filter(isOAuthScope), expiresAt: row.expiresAt };
  }

  async verifyAccessToken(token: string): Promise<AuthInfo> {
    const grant = await this.verifyGrant(token);
    if (!grant) throw new InvalidTokenError('The access token is not valid (unknown, expired or revoked).');
    return { token, clientId: grant.clientId, scopes: grant.scopes, expiresAt: Math.floor(grant.expiresAt.getTime() / 1000), extra: { userId: grant.userId } };
  }

  async revokeToken(client: OAuthClientInformationFull, request: OAuthTokenRevocationRequest): Promise<void> {
    const now = this.clock.now();
    const [row] = await this.db
      .select()
      .from(userSessions)
      .where(and(eq(userSessions.tokenHash, hashOAuthSecret(request.token)), eq(userSessions.clientId, client.client_id)));
    if (!row) return;
    // Revoking a refresh token ends the sign-in (RFC 7009 §2.1): its access tokens go with it.
    if (row.kind === 'oauth_refresh' && row.familyId) {
      await this.db.update(userSessions).set({ revokedAt: now }).where(and(eq(userSessions.familyId, row.familyId), isNull(userSessions.revokedAt)));
    } else {
      await this.db.update(userSessions).set({ revokedAt: now }).where(and(eq(userSessions.id, row.id), isNull(userSessions.revokedAt)));
    }
  }

  /** Revokes a client: its codes and tokens stop working at once. */
  async revokeClient(clientId: string, traceId: string = randomUUID()): Promise<void> {
    const now = this.clock.now();
    await withTransaction(this.db, async (tx) => {
      await tx.update(oauthClients).set({ revokedAt: now }).where(eq(oauthClients.clientId, clientId));
      await tx.update(userSessions).set({ revokedAt: now }).where(and(eq(userSessions.clientId, clientId), isNull(userSessions.revokedAt)));
      await writeAudit(tx, { system: true, traceId }, { action: 'oauth.client_revoke', entityType: 'oauth_client', entityId: clientId });
    });
  }

  private async userActive(tx: Pick<Db, 'select'>, userId: string): Promise<boolean> {
    const [u] = await tx.select({ isActive: users.isActive }).from(users).where(eq(users.id, userId));
    return u?.isActive === true;
  }

  private async issueTokens(
    tx: Pick<Db, 'insert'>,
    g: { userId: string; clientId: string; scopes: OAuthScope[]; familyId: string },
    now: Date,
  ): Promise<OAuthTokens> {
    const access = newSecret(ACCESS_PREFIX);
    const refresh = newSecret(REFRESH_PREFIX);
    const common = { userId: g.userId, clientId: g.clientId, scopes: g.scopes, familyId: g.familyId };
    await tx.insert(userSessions).values([
      { ...common, kind: 'oauth_access', tokenHash: hashOAuthSecret(access), expiresAt: new Date(now.getTime() + ACCESS_TOKEN_TTL_MS) },
      { ...common, kind: 'oauth_refresh', tokenHash: hashOAuthSecret(refresh), expiresAt: new Date(now.getTime() + REFRESH_TOKEN_TTL_MS) },
    ]);
    return { access_token: access, token_type: 'Bearer', expires_in: ACCESS_TOKEN_TTL_MS / 1000, refresh_token: refresh, scope: g.scopes.join(' ') };
  }
}

