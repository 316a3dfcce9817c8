// OAuth 2.1 for remote MCP clients (issue 14): clients that registered themselves (RFC 7591) and the
// authorization codes issued to them. Access and refresh tokens live in `user_sessions` (seed 002),
// hashed like every other bearer secret; see users.ts.
import { index, integer, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, timestamptz } from './columns.js';
import { users } from './users.js';

/**
 * A dynamically registered OAuth client. `metadata` is what the client registered (redirect URIs,
 * name). Every client is public (token_endpoint_auth_method "none"): PKCE, not a secret, binds a code to it.
 * A revoked client's codes and tokens are refused.
 */
export const oauthClients = pgTable('oauth_clients', {
  clientId: text().primaryKey(),
  metadata: jsonb().$type<Record<string, unknown>>().notNull(),
  createdAt: createdAt(),
  revokedAt: timestamptz(),
});
export type OAuthClientRow = typeof oauthClients.$inferSelect;
export type NewOAuthClientRow = typeof oauthClients.$inferInsert;

/**
 * An authorization code: single use, short-lived, hashed. `family_id` names every token that will
 * descend from it, so a replayed code (or refresh token) can revoke them all at once.
 */
export const oauthAuthorizationCodes = pgTable(
  'oauth_authorization_codes',
  {
    id: id(),
    codeHash: text().notNull().unique('oauth_authorization_codes_code_hash_unique'),
    clientId: text()
      .notNull()
      .references(() => oauthClients.clientId, { onDelete: 'cascade' }),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The scopes the person approved: never more than the client asked for. */
    scopes: text().array().notNull(),
    codeChallenge: text().notNull(),
    redirectUri: text().notNull(),
    resource: text(),
    familyId: uuid().notNull(),
    expiresAt: timestamptz().notNull(),
    usedAt: timestamptz(),
    createdAt: createdAt(),
  },
  (t) => [index('oauth_authorization_codes_user_idx').on(t.userId), index('oauth_authorization_codes_client_idx').on(t.clientId)],
);
export type OAuthAuthorizationCodeRow = typeof oauthAuthorizationCodes.$inferSelect;
export type NewOAuthAuthorizationCodeRow = typeof oauthAuthorizationCodes.$inferInsert;

/** An /authorize request as a pending sign-in keeps it (the SDK's AuthorizationParams, the resource as text). */
export interface StoredAuthorizationParams {
  redirectUri: string;
  codeChallenge: string;
  state?: string;
  scopes?: string[];
  resource?: string;
}

/**
 * A sign-in in progress: from the sign-in page /authorize shows to the person's consent, a few
 * minutes. Kept in Postgres, so behind a load balancer any instance takes the next step (no sticky
 * sessions). Only the person's browser holds its id; this stores the id's hash. `user_id` is set once
 * a code has signed the person in; the consent deletes the row, so it issues one code at most.
 */
export const oauthPendingSignIns = pgTable(
  'oauth_pending_sign_ins',
  {
    idHash: text().primaryKey(),
    clientId: text()
      .notNull()
      .references(() => oauthClients.clientId, { onDelete: 'cascade' }),
    params: jsonb().$type<StoredAuthorizationParams>().notNull(),
    /** The scopes offered on the consent page: those asked for that MIKEY knows. */
    offered: text().array().notNull(),
    /** Wrong codes tried. */
    attempts: integer().notNull().default(0),
    /** Codes sent to a chat from this sign-in. */
    sends: integer().notNull().default(0),
    userId: uuid().references(() => users.id, { onDelete: 'cascade' }),
    username: text(),
    expiresAt: timestamptz().notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('oauth_pending_sign_ins_expires_idx').on(t.expiresAt), index('oauth_pending_sign_ins_user_idx').on(t.userId)],
);
export type OAuthPendingSignInRow = typeof oauthPendingSignIns.$inferSelect;
