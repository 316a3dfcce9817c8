// Sign-up by config: with MIKEY_SIGNUP=allowlist only listed Telegram ids get an account on first
// contact (everyone else: no side effect); with MIKEY_SIGNUP=open anyone does, in a private chat.
import { eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { signUpChatUser, signupAllowed } from '../../src/bot/identity.js';
import { chatIdentities, users } from '../../src/db/schema/index.js';
import { changedTables, rowCounts, startTelegramHarness, type TelegramHarness } from './telegram-support.js';

const harnesses: TelegramHarness[] = [];
afterAll(async () => {
  for (const h of harnesses) await h.close();
});

async function say(h: TelegramHarness, userId: number, text: string, chat: { chatId?: number; type?: 'private' | 'group' } = {}): Promise<void> {
  const client = h.peer.client({ userId, chatId: chat.chatId ?? userId, type: chat.type ?? 'private', userName: `name${userId}` });
  if (text.startsWith('/')) await client.sendCommand(client.makeCommand(text));
  else await client.sendMessage(client.makeMessage(text));
}

describe('Telegram sign-up: allowlist', () => {
  it('creates and links an account for a listed id only', async () => {
    const h = await startTelegramHarness({ env: { MIKEY_SIGNUP: 'allowlist', MIKEY_ALLOWLIST: 'telegram:3001,3003' }, token: '223344:ALLOWLIST-token-for-mikey-tests' });
    harnesses.push(h);
    await say(h, 3001, '/start');
    await h.settle();
    const [identity] = await h.app.services.db.select().from(chatIdentities).where(eq(chatIdentities.externalUserId, '3001'));
    expect(identity, 'the listed sender is linked').toBeDefined();
    const [user] = await h.app.services.db.select().from(users).where(eq(users.id, identity!.userId));
    expect(user?.username).toBe('tg_3001');
    expect(identity?.username).toBe('name3001');
    expect(h.peer.botMessages(3001).map((m) => m.text)).toEqual([expect.stringMatching(/^Welcome to MIKEY!.*paper trading/)]);
    expect(h.handler.texts, 'a bare /start is answered by the welcome alone').toEqual([]);

    await say(h, 3001, '/price SOL');
    await h.settle();
    expect(h.peer.botMessages(3001).at(-1)?.text).toContain('SOL/USDT 142.30');

    const before = await rowCounts(h.app.services.db);
    await say(h, 3002, '/start');
    await say(h, 3002, 'let me in');
    await h.settle();
    expect(changedTables(before, await rowCounts(h.app.services.db)), 'an unlisted sender writes nothing').toEqual([]);
    expect(h.peer.botMessages(3002).map((m) => m.text)).toEqual([expect.stringMatching(/\/start CODE/)]);
  });
});

describe('Telegram sign-up: open', () => {
  it('lets anyone start in a private chat, still nothing for strangers in groups', async () => {
    const h = await startTelegramHarness({ env: { MIKEY_SIGNUP: 'open' }, token: '556677:OPEN-signup-token-for-mikey-tests' });
    harnesses.push(h);
    await say(h, 4001, 'hello there');
    await h.settle();
    const texts = h.peer.botMessages(4001).map((m) => m.text);
    expect(texts[0]).toMatch(/^Welcome to MIKEY!/);
    expect(texts[1], 'the first message is then answered').toBe('echo: hello there');
    expect(h.handler.texts[0]?.ctx.user.username).toBe('tg_4001');

    await say(h, 4001, 'again');
    await h.settle();
    const rows = await h.app.services.db.select().from(users).where(eq(users.username, 'tg_4001'));
    expect(rows, 'one account, however many messages').toHaveLength(1);

    const before = await rowCounts(h.app.services.db);
    await say(h, 4002, '/price SOL', { chatId: -4002, type: 'group' });
    await h.settle();
    expect(changedTables(before, await rowCounts(h.app.services.db))).toEqual([]);
    expect(h.peer.botMessages(-4002)).toEqual([]);
  });
});

describe('signUpChatUser', () => {
  it('creates one user however many first messages race, and reads the allowlist by platform', async () => {
    const h = harnesses[0]!;
    const results = await Promise.all(Array.from({ length: 5 }, () => signUpChatUser(h.app.services.db, { platform: 'discord', externalUserId: '987654321', username: 'racer' })));
    expect(new Set(results.map((u) => u.id)).size, 'every racer gets the same account').toBe(1);
    const rows = await h.app.services.db.select().from(chatIdentities).where(eq(chatIdentities.externalUserId, '987654321'));
    expect(rows).toHaveLength(1);
    const config = { MIKEY_SIGNUP: 'allowlist' as const, MIKEY_ALLOWLIST: ['telegram:1', '2'] };
    expect(signupAllowed(config, 'telegram', '1')).toBe(true);
    expect(signupAllowed(config, 'discord', '1'), 'a telegram: entry does not admit a Discord id').toBe(false);
    expect(signupAllowed(config, 'discord', '2')).toBe(true);
    expect(signupAllowed({ MIKEY_SIGNUP: 'closed', MIKEY_ALLOWLIST: ['1'] }, 'telegram', '1')).toBe(false);
  });
});
