// Identity: one MIKEY user (seeds 000/001/002/004 `users`), the chat identities and API keys that
// act as that user, sessions, short-lived link codes, and per-kind notification preferences.
// Everything here is owned by the user and goes with it (on delete cascade) — but a user who holds
// money cannot be deleted at all (portfolios restrict), so "delete" for a trader is `is_active = false`.
import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, inet, integer, jsonb, pgTable, primaryKey, text, unique, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, emptyJsonObject, emptyTextArray, id, timestamps, timestamptz, updatedAt } from './columns.js';
import { kycStatus, notificationMode, riskLevel, tradingMode, userRole } from './enums.js';

export const users = pgTable(
  'users',
  {
    id: id(),
    /** Login / display handle (seed 001). Nullable: a user known only by a chat identity has none yet. */
    username: text(),
    email: text(),
    /** Seed 002 `full_name`. */
    displayName: text(),
    /** bcrypt/argon2 hash; null for users who never set a password (chat-only, local owner). */
    passwordHash: text(),
    role: userRole().notNull().default('trader'),
    isActive: boolean().notNull().default(true),
    emailVerified: boolean().notNull().default(false),
    /** Solana wallet address, seed 000's primary trading identifier. */
    walletAddress: text(),
    kycStatus: kycStatus().notNull().default('none'),
    riskLevel: riskLevel().notNull().default('moderate'),
    /** Free-form per-user settings (seed 000): default symbol, confirmation style, chart theme … */
    tradingPreferences: jsonb().$type<Record<string, unknown>>().notNull().default(emptyJsonObject),
    /** The mode new portfolios and commands default to (seed 004 `trading_mode`, whose `demo` is `paper`). */
    tradingMode: tradingMode().notNull().default('paper'),
    twoFactorEnabled: boolean().notNull().default(false),
    /** TOTP secret, encrypted like exchange credentials (base64 of iv|tag|ciphertext). */
    twoFactorSecretEncrypted: text(),
    lastLoginAt: timestamptz(),
    ...timestamps(),
  },
  (t) => [
    uniqueIndex('idx_users_username').on(t.username),
    uniqueIndex('idx_users_email').on(t.email),
    uniqueIndex('users_wallet_address_unique').on(t.walletAddress),
  ],
);
export type User = typeof users.$inferSelect;
export type NewUser = typeof users.$inferInsert;

/** A Telegram or Discord account linked to a MIKEY user. One external account maps to one user. */
export const chatIdentities = pgTable(
  'chat_identities',
  {
    id: id(),
    userId: uuid().notNull().references(() => users.id, { onDelete: 'cascade' }),
    /** 'telegram' | 'discord' (see `ChatPlatform`). */
    platform: text().notNull(),
    externalUserId: text().notNull(),
    username: text(),
    /** The private chat (Telegram DM / Discord DM channel) pushes go to, once known. */
    chatId: text(),
    linkedAt: timestamptz().defaultNow().notNull(),
  },
  (t) => [
    unique('chat_identities_platform_external_user_unique').on(t.platform, t.externalUserId),
    index('chat_identities_user_idx').on(t.userId),
  ],
);
export type ChatIdentity = typeof chatIdentities.$inferSelect;
export type NewChatIdentity = typeof chatIdentities.$inferInsert;

/** Single-use codes that link a chat identity to an existing user. Only the hash is stored. */
export const linkCodes = pgTable(
  'link_codes',
  {
    id: id(),
    userId: uuid().notNull().references(() => users.id, { onDelete: 'cascade' }),
    codeHash: text().notNull().unique('link_codes_code_hash_unique'),
    /** The platform the code was redeemed on (set on use). */
    platform: text(),
    expiresAt: timestamptz().notNull(),
    usedAt: timestamptz(),
    createdAt: createdAt(),
  },
  (t) => [index('link_codes_user_idx').on(t.userId)],
);
export type LinkCode = typeof linkCodes.$inferSelect;
export type NewLinkCode = typeof linkCodes.$inferInsert;

/** Seed 002 `user_sessions`: a bearer session; only the token's hash is stored. */
export const userSessions = pgTable(
  'user_sessions',
  {
    id: id(),
    userId: uuid().notNull().references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: text().notNull().unique('user_sessions_token_hash_unique'),
    expiresAt: timestamptz().notNull(),
    ipAddress: inet(),
    userAgent: text(),
    createdAt: createdAt(),
    revokedAt: timestamptz(),
    /** 'session' (a sign-in) | 'oauth_access' | 'oauth_refresh' (issued to an OAuth client). */
    kind: text().notNull().default('session'),
    /** The OAuth client the token was issued to (oauth_clients.client_id); null for plain sessions. */
    clientId: text(),
    /** OAuth scopes = MIKEY permissions the token carries; empty for plain sessions. */
    scopes: text().array().notNull().default(emptyTextArray),
    /** Every token descended from one authorization code; a replay revokes the whole family. */
    familyId: uuid(),
    /** A refresh token is spent once: set when it was exchanged for its successor. */
    replacedAt: timestamptz(),
  },
  (t) => [index('user_sessions_user_idx').on(t.userId), index('user_sessions_family_idx').on(t.familyId)],
);
export type UserSession = typeof userSessions.$inferSelect;
export type NewUserSession = typeof userSessions.$inferInsert;

/**
 * Seed 001 `api_keys`: keys for MCP over HTTP and the API. The key itself is shown once and never
 * stored; `key_prefix` (e.g. `mk_live_ab12cd`) identifies it in lists and logs, `key_hash` verifies it.
 * A key is usable while `revoked_at is null and (expires_at is null or expires_at > now())`.
 */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: id(),
    userId: uuid().notNull().references(() => users.id, { onDelete: 'cascade' }),
    name: text(),
    description: text(),
    keyPrefix: text().notNull(),
    keyHash: text().notNull().unique('api_keys_key_hash_unique'),
    /** e.g. `read:portfolio`, `write:orders`. */
    permissions: text().array().notNull().default(emptyTextArray),
    rateLimitPerMinute: integer().notNull().default(60),
    expiresAt: timestamptz(),
    revokedAt: timestamptz(),
    lastUsedAt: timestamptz(),
    totalRequests: bigint({ mode: 'number' }).notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [
    index('api_keys_user_idx').on(t.userId),
    index('idx_api_keys_key_prefix').on(t.keyPrefix),
    check('api_keys_rate_limit_nonnegative', sql`${t.rateLimitPerMinute} >= 0`),
    check('api_keys_total_requests_nonnegative', sql`${t.totalRequests} >= 0`),
  ],
);
export type ApiKey = typeof apiKeys.$inferSelect;
export type NewApiKey = typeof apiKeys.$inferInsert;

/** How each kind of notification (alert, fill, report, risk …) reaches a user. No row = default. */
export const notificationPreferences = pgTable(
  'notification_preferences',
  {
    userId: uuid().notNull().references(() => users.id, { onDelete: 'cascade' }),
    kind: text().notNull(),
    mode: notificationMode().notNull().default('on'),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ name: 'notification_preferences_pkey', columns: [t.userId, t.kind] })],
);
export type NotificationPreference = typeof notificationPreferences.$inferSelect;
export type NewNotificationPreference = typeof notificationPreferences.$inferInsert;
