// The conversation store's one-statement append: a turn's messages keep their order, its usage rows
// and the conversation's last-message time are written with them, and a bad row stores nothing.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationStore, type ChatMessage } from '../../src/bot/agent/index.js';
import { conversationMessages, conversations, llmUsage } from '../../src/db/schema/index.js';
import { createUser, type User } from '../../src/services/users.js';
import { createTestApp, type TestApp } from '../support/app.js';

let app: TestApp;
let user: User;

beforeAll(async () => {
  app = await createTestApp();
  user = await createUser(app.database.db, { username: 'history_store' });
});

afterAll(async () => {
  await app?.close();
});

const turn = (i: number): ChatMessage[] => [
  { role: 'user', content: `question ${i} with "quotes", a \\ backslash and ünïcode` },
  { role: 'assistant', content: [{ type: 'tool_use', id: `toolu_${i}`, name: 'get-price', input: { symbols: ['SOL/USDT'] } }] },
  { role: 'user', content: [{ type: 'tool_result', tool_use_id: `toolu_${i}`, content: [{ type: 'text', text: '<untrusted-data source="tool:get-price">SOL 1</untrusted-data>' }] }] },
  { role: 'assistant', content: [{ type: 'text', text: `answer ${i}` }] },
];

describe('ConversationStore.append', () => {
  it('stores a turn in order with its usage and last-message time, and stores nothing when a row is bad', async () => {
    const store = new ConversationStore(app.database.db);
    const id = await store.open({ userId: user.id, platform: 'terminal', chatId: 'history-store' });
    const at = new Date('2026-12-06T08:00:00.000Z');
    const usage = { userId: user.id, conversationId: id, model: 'qwen3:8b', inputTokens: 12, outputTokens: 3, cost: '0.000001', purpose: 'chat', traceId: 't1' };
    await store.append(id, turn(1), at, [usage, { ...usage, inputTokens: 20 }]);
    await store.append(id, turn(2), new Date(at.getTime() + 1000));

    expect(await store.load(id, 100), 'messages come back in order, content intact').toEqual([...turn(1), ...turn(2)]);
    const [conv] = await app.database.db.select().from(conversations).where(eq(conversations.id, id));
    expect(conv!.lastMessageAt?.toISOString()).toBe('2026-12-06T08:00:01.000Z');
    const rows = await app.database.db.select().from(llmUsage).where(eq(llmUsage.conversationId, id));
    expect(rows.map((r) => [r.inputTokens, r.outputTokens, Number(r.cost), r.model]).sort()).toEqual([[12, 3, 0.000001, 'qwen3:8b'], [20, 3, 0.000001, 'qwen3:8b']]);

    await expect(store.append(id, turn(3), at, [{ ...usage, inputTokens: -1 }]), 'a usage row the table refuses').rejects.toThrow();
    const count = await app.database.db.select().from(conversationMessages).where(eq(conversationMessages.conversationId, id));
    expect(count, 'the messages of the refused turn were not stored either').toHaveLength(8);

    await store.append(id, [], at, [{ ...usage, inputTokens: 7 }]);
    const after = await app.database.db.select().from(llmUsage).where(eq(llmUsage.conversationId, id));
    expect(after.map((r) => r.inputTokens).sort(), 'usage alone (a turn that died before its messages)').toEqual([12, 20, 7].sort());
  });
});
