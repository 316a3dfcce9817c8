// Conversation memory per (user, platform, chat): the messages in Anthropic format, a bounded window
// that always starts at a person's own message (so a tool_use is never separated from its
// tool_result), and the spend of every model call in `llm_usage`.
import { desc, eq, sql, type SQL } from 'drizzle-orm';
import type { ContentBlockParam } from '@anthropic-ai/sdk/resources/messages';
import type { Db } from '../../db/client.js';
import { conversationMessages, conversations, llmUsage, type NewLlmUsage } from '../../db/schema/index.js';
import type { ChatMessage } from './types.js';

function blocks(m: ChatMessage): ContentBlockParam[] {
  return typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content;
}

/** A message the person wrote (not a tool_result carrier): the only safe place to start a window. */
export function isUserTextMessage(m: ChatMessage | undefined): boolean {
  if (!m || m.role !== 'user') return false;
  const b = blocks(m);
  return b.length > 0 && !b.some((x) => x.type === 'tool_result');
}

function toolUseIds(m: ChatMessage): string[] {
  return m.role === 'assistant' ? blocks(m).flatMap((b) => (b.type === 'tool_use' ? [b.id] : [])) : [];
}

/**
 * The last `max` messages at most, starting at a person's message; a dangling tail (an assistant
 * tool_use without its results, e.g. from a crash) is dropped so the history is always valid.
 */
export function windowHistory(messages: readonly ChatMessage[], max: number): ChatMessage[] {
  let start = Math.max(0, messages.length - Math.max(0, max));
  while (start < messages.length && !isUserTextMessage(messages[start])) start++;
  const out = messages.slice(start);
  while (out.length > 0) {
    const last = out[out.length - 1]!;
    if (last.role === 'assistant' && toolUseIds(last).length === 0) break;
    out.pop();
  }
  return out;
}

/** Removes prompt-cache markers so they are never stored or repeated. */
export function withoutCacheControl(m: ChatMessage): ChatMessage {
  if (typeof m.content === 'string') return m;
  const content = m.content.map((b) => {
    if (!('cache_control' in b) || !b.cache_control) return b;
    const { cache_control: _marker, ...rest } = b;
    return rest;
  });
  return m.role === 'user' ? { role: 'user', content } : { role: 'assistant', content };
}

export interface ConversationRef {
  userId: string;
  platform: string;
  chatId: string;
}

/** Conversations, their messages and model spend in Postgres / PGlite. */
export class ConversationStore {
  constructor(private readonly db: Db) {}

  /** The conversation id for (user, platform, chat), created on first use. */
  async open(ref: ConversationRef): Promise<string> {
    const [row] = await this.db
      .insert(conversations)
      .values({ userId: ref.userId, platform: ref.platform, chatId: ref.chatId })
      .onConflictDoUpdate({ target: [conversations.userId, conversations.platform, conversations.chatId], set: { updatedAt: new Date() } })
      .returning({ id: conversations.id });
    if (!row) throw new Error('conversation upsert returned no row');
    return row.id;
  }

  /** The last `limit` messages in order (not yet windowed). */
  async load(conversationId: string, limit: number): Promise<ChatMessage[]> {
    const rows = await this.db
      .select({ role: conversationMessages.role, content: conversationMessages.content })
      .from(conversationMessages)
      .where(eq(conversationMessages.conversationId, conversationId))
      .orderBy(desc(conversationMessages.id))
      .limit(limit);
    return rows
      .reverse()
      .filter((r) => (r.role === 'user' || r.role === 'assistant') && (typeof r.content === 'string' || Array.isArray(r.content)))
      .map((r) => ({ role: r.role as 'user' | 'assistant', content: r.content as ChatMessage['content'] }));
  }

  /**
   * Appends one turn's messages, in order, and the turn's model usage, with the conversation's
   * last-message time — one statement, so all or nothing. (It used to be a transaction of three
   * statements: five round trips, which on PGlite cost more than the rest of the agent's round.)
   */
  async append(conversationId: string, messages: readonly ChatMessage[], at: Date, usage: readonly NewLlmUsage[] = []): Promise<void> {
    if (messages.length === 0 && usage.length === 0) return;
    const parts: SQL[] = [];
    if (messages.length > 0) {
      // Rows keep their order: one multi-row INSERT assigns the identity ids in VALUES order.
      const rows = messages.map((m) => sql`(${conversationId}::uuid, ${m.role}, ${JSON.stringify(withoutCacheControl(m).content)}::jsonb)`);
      parts.push(sql`m as (insert into conversation_messages (conversation_id, role, content) values ${sql.join(rows, sql`, `)} returning 1)`);
      parts.push(sql`c as (update conversations set last_message_at = ${at.toISOString()}::timestamptz where id = ${conversationId}::uuid returning 1)`);
    }
    if (usage.length > 0) {
      const rows = usage.map(
        (u) =>
          sql`(${u.userId ?? null}::uuid, ${u.conversationId ?? null}::uuid, ${u.model}, ${u.inputTokens ?? 0}::integer, ${u.outputTokens ?? 0}::integer, ${u.cacheReadTokens ?? 0}::integer, ${u.cacheWriteTokens ?? 0}::integer, ${u.cost ?? '0'}::numeric, ${u.purpose ?? null}, ${u.traceId ?? null})`,
      );
      parts.push(sql`u as (insert into llm_usage (user_id, conversation_id, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost, purpose, trace_id) values ${sql.join(rows, sql`, `)} returning 1)`);
    }
    const names = messages.length > 0 ? (usage.length > 0 ? sql`(select count(*) from m), (select count(*) from c), (select count(*) from u)` : sql`(select count(*) from m), (select count(*) from c)`) : sql`(select count(*) from u)`;
    await this.db.execute(sql`with ${sql.join(parts, sql`, `)} select ${names}`);
  }

  async recordUsage(rows: readonly NewLlmUsage[]): Promise<void> {
    if (rows.length > 0) await this.db.insert(llmUsage).values([...rows]);
  }
}
