// OAuth 2.1 for remote MCP clients (issue 14): clients that registered themselves (RFC 7591) and the
// authorization codes issued to them. Access and refresh tokens live in `user_sessions` (seed 002),
// hashed like every other bearer secret; see users.ts.
import { index, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
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
