// The agent's memory and cost: conversations per user and chat, their messages, and LLM usage.
import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, jsonb, pgTable, text, unique, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, money, timestamps, timestamptz } from './columns.js';
import { users } from './users.js';

/** One conversation per user, surface and chat (a Telegram chat, a Discord channel, the terminal, an MCP session). */
export const conversations = pgTable(
  'conversations',
  {
    id: id(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** telegram, discord, terminal, mcp. */
    platform: text().notNull(),
    chatId: text().notNull(),
    title: text(),
    /** Rolling summary of older turns, so the context stays bounded. */
    summary: text(),
    lastMessageAt: timestamptz(),
    ...timestamps(),
  },
  (t) => [unique('conversations_user_platform_chat_unique').on(t.userId, t.platform, t.chatId)],
);
export type Conversation = typeof conversations.$inferSelect;
export type NewConversation = typeof conversations.$inferInsert;

/**
 * A message in Anthropic Messages format (`content` is the block array). The identity id orders
 * messages strictly — several inserted in one transaction share the same `created_at`.
 */
export const conversationMessages = pgTable(
  'conversation_messages',
  {
    id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    conversationId: uuid()
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    /** user, assistant. */
    role: text().notNull(),
    content: jsonb().notNull(),
    /** The platform message id, to answer replies and edits. */
    externalMessageId: text(),
    createdAt: createdAt(),
  },
  (t) => [index('conversation_messages_conversation_idx').on(t.conversationId, t.id)],
);
export type ConversationMessage = typeof conversationMessages.$inferSelect;
export type NewConversationMessage = typeof conversationMessages.$inferInsert;

/** Tokens and cost of every model call. Kept if the conversation or user goes (set null): it is spend history. */
export const llmUsage = pgTable(
  'llm_usage',
  {
    id: id(),
    userId: uuid().references(() => users.id, { onDelete: 'set null' }),
    conversationId: uuid().references(() => conversations.id, { onDelete: 'set null' }),
    model: text().notNull(),
    inputTokens: integer().notNull().default(0),
    outputTokens: integer().notNull().default(0),
    cacheReadTokens: integer().notNull().default(0),
    cacheWriteTokens: integer().notNull().default(0),
    /** USD. */
    cost: money().notNull().default('0'),
    /** chat, analysis, report, alert … */
    purpose: text(),
    traceId: text(),
    createdAt: createdAt(),
  },
  (t) => [
    index('llm_usage_user_time_idx').on(t.userId, t.createdAt.desc()),
    check('llm_usage_tokens_nonnegative', sql`${t.inputTokens} >= 0 and ${t.outputTokens} >= 0 and ${t.cacheReadTokens} >= 0 and ${t.cacheWriteTokens} >= 0`),
    check('llm_usage_cost_nonnegative', sql`${t.cost} >= 0`),
  ],
);
export type LlmUsage = typeof llmUsage.$inferSelect;
export type NewLlmUsage = typeof llmUsage.$inferInsert;
