// MIKEY's Telegram surface with the real telegraf client, long polling against telegram-test-api on
// loopback: linking, unknown senders, groups and DMs, charts, the trade-card buttons and their abuse,
// inbound rate limits, and the error boundary.
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatIdentities } from '../../src/db/schema/index.js';
import { TELEGRAM_COMMANDS } from '../../src/bot/telegram/index.js';
import { actorFor } from '../../src/services/actor.js';
import { createLinkCode } from '../../src/services/link-codes.js';
import { createUser } from '../../src/services/users.js';
import { MODEL_FACING, changedTables, rowCounts, startTelegramHarness, type TelegramHarness } from './telegram-support.js';

let h: TelegramHarness;

beforeAll(async () => {
  h = await startTelegramHarness({ surface: { inboundPerMinute: 12 } });
});

afterAll(async () => {
  await h?.close();
});

async function say(userId: number, text: string, chat: { chatId?: number; type?: 'private' | 'group'; chatTitle?: string } = {}): Promise<void> {
  const client = h.peer.client({ userId, chatId: chat.chatId ?? userId, type: chat.type ?? 'private', ...(chat.chatTitle ? { chatTitle: chat.chatTitle } : {}) });
  if (text.startsWith('/')) await client.sendCommand(client.makeCommand(text));
  else await client.sendMessage(client.makeMessage(text));
}

async function press(userId: number, data: string, message: { chatId: number; messageId: number }): Promise<void> {
  const client = h.peer.client({ userId, chatId: message.chatId });
  await client.sendCallback(client.makeCallbackQuery(data, { message: { message_id: message.messageId } }));
}

const texts = (chatId: number): string[] => h.peer.botMessages(chatId).map((m) => m.text);

describe('Telegram surface: start-up', () => {
  it('registers the command menu for private chats, groups and the default scope', () => {
    const calls = h.peer.callsTo('setMyCommands');
    expect(calls.length, 'one setMyCommands per scope').toBe(3);
    const names = (calls[0]!.body.commands as Array<{ command: string }>).map((c) => c.command);
    expect(names, 'the private menu lists every command').toEqual(TELEGRAM_COMMANDS.map((c) => c.command));
    for (const n of ['price', 'analysis', 'chart', 'buy', 'sell', 'portfolio', 'positions', 'orders', 'alerts', 'report', 'help', 'link']) expect(names).toContain(n);
    const groupNames = (calls[1]!.body.commands as Array<{ command: string }>).map((c) => c.command);
    expect(groupNames, 'groups are not offered trading commands').not.toContain('buy');
    expect(h.surface.mode).toBe('polling');
  });
});

describe('Telegram surface: unknown senders', () => {
  it('causes no side effect: no rows written, no handler call, told once in private, nothing in groups', async () => {
    const before = await rowCounts(h.app.services.db);
    const handled = h.handler.texts.length;
    await say(900, 'hello?');
    await say(900, '/portfolio');
    await say(900, 'buy 1 btc');
    await say(902, '/price SOL', { chatId: -900, type: 'group', chatTitle: 'Strangers' });
    await say(902, '@TestNameBot what is my portfolio', { chatId: -900, type: 'group', chatTitle: 'Strangers' });
    await say(902, '/start', { chatId: -900, type: 'group', chatTitle: 'Strangers' });
    await h.settle();
    const after = await rowCounts(h.app.services.db);
    expect(changedTables(before, after), 'an unknown sender must not write any row').toEqual([]);
    expect(h.handler.texts.length, 'an unknown sender must never reach the handler (no tool calls)').toBe(handled);
    expect(texts(900), 'the stranger is told how to link exactly once').toHaveLength(1);
    expect(texts(900)[0]).toMatch(/\/start CODE/);
    expect(texts(-900), 'nothing at all is said to an unknown sender in a group').toEqual([]);
    expect(texts(902), 'nor are they messaged privately').toEqual([]);
  });

  it('a button press from an unknown sender is answered without any action', async () => {
    const before = h.handler.confirmations.length;
    await press(901, 'mk:AAAAAAAAAAAA:y', { chatId: 901, messageId: 1 });
    await h.settle();
    expect(h.handler.confirmations.length).toBe(before);
    const answer = h.peer.callsTo('answerCallbackQuery').at(-1);
    expect(String(answer?.body.text)).toMatch(/link/i);
  });
});

describe('Telegram surface: linking', () => {
  it('/start CODE links the chat to the MIKEY user, once', async () => {
    const alice = await createUser(h.app.services.db, { username: 'alice-tg' });
    const { code } = await createLinkCode(h.app.services.db, actorFor(alice.id, 'cli'));
    await say(1001, `/start ${code}`);
    await h.settle();
    expect(texts(1001).at(-1)).toMatch(/Linked.*alice-tg/);
    const [row] = await h.app.services.db
      .select()
      .from(chatIdentities)
      .where(and(eq(chatIdentities.platform, 'telegram'), eq(chatIdentities.externalUserId, '1001')));
    expect(row?.userId, 'the identity is linked to alice').toBe(alice.id);
    expect(row?.chatId, 'the private chat is remembered for pushes').toBe('1001');

    await say(1002, `/link ${code}`);
    await h.settle();
    expect(texts(1002).at(-1), 'a spent code is refused with a clear reason').toMatch(/already used/i);
  });

  it('refuses invalid, unknown and expired codes with clear replies', async () => {
    await say(1003, '/start nonsense!');
    await h.settle();
    expect(texts(1003).at(-1)).toMatch(/not valid/i);
    await say(1003, '/link MK-ZZZZ-ZZZZ');
    await h.settle();
    expect(texts(1003).at(-1)).toMatch(/not known/i);
    const bob = await createUser(h.app.services.db, { username: 'bob-expired' });
    const old = await createLinkCode(h.app.services.db, actorFor(bob.id, 'cli'), new Date(Date.now() - 11 * 60_000));
    await say(1003, `/link ${old.code}`);
    await h.settle();
    expect(texts(1003).at(-1)).toMatch(/expired/i);
    const rows = await h.app.services.db.select().from(chatIdentities).where(eq(chatIdentities.externalUserId, '1003'));
    expect(rows, 'no failed attempt links anything').toEqual([]);
  });

  it('does not redeem a code posted in a group', async () => {
    await h.linkedUser(1004);
    const carol = await createUser(h.app.services.db, { username: 'carol-group' });
    const { code } = await createLinkCode(h.app.services.db, actorFor(carol.id, 'cli'));
    await say(1004, `/link ${code}`, { chatId: -1004, type: 'group', chatTitle: 'Desk' });
    await h.settle();
    expect(texts(-1004).at(-1)).toMatch(/private chat/);
    const rows = await h.app.services.db.select().from(chatIdentities).where(eq(chatIdentities.userId, carol.id));
    expect(rows).toEqual([]);
  });
});

describe('Telegram surface: private chat', () => {
  it('answers in HTML with tables in <pre> and escapes what people wrote', async () => {
    const user = await h.linkedUser(1101);
    await say(1101, '/price SOL');
    await say(1101, 'is <b>this</b> & that escaped?');
    await h.settle();
    const [price, echo] = h.peer.botMessages(1101);
    expect(price?.parseMode).toBe('HTML');
    expect(price?.text).toContain('<pre>symbol    price\nSOL/USDT  142.30</pre>');
    expect(echo?.text).toBe('echo: is &lt;b&gt;this&lt;/b&gt; &amp; that escaped?');
    const seen = h.handler.texts.filter((t) => t.ctx.user.id === user.id);
    expect(seen.map((t) => t.ctx)).toEqual([
      expect.objectContaining({ platform: 'telegram', chatId: '1101', isGroup: false }),
      expect.objectContaining({ platform: 'telegram', chatId: '1101', isGroup: false }),
    ]);
  });

  it('shows people clean text: no marks on alert titles or venue reasons, no JSON errors, no card JSON', async () => {
    await h.linkedUser(1107);
    await say(1107, 'leaky');
    await h.settle();
    const sent = h.peer.botMessages(1107);
    expect(sent.length, 'the reply, the chart and the card arrived').toBe(3);
    for (const m of sent) expect(m.text, `nothing model-facing in “${m.text.slice(0, 60)}…”`).not.toMatch(MODEL_FACING);
    const all = sent.map((m) => m.text).join('\n');
    expect(all, 'the alert title is kept, escaped').toContain('Alert SOL ‹to the moon› is active.');
    expect(all, 'the venue reason is kept').toContain('Reason: post-only order would cross');
    expect(all, 'the error says its message and hint').toContain('use at least 40 DOGE.');
    expect(all, 'the chart caption is kept').toContain('chart for SOL ‹to the moon›');
    expect(all, 'the card keeps its facts').toContain('PAPER SELL 0.5 SOL');
  });

  it('sends charts with sendPhoto', async () => {
    await h.linkedUser(1102);
    await say(1102, '/chart SOL 1h');
    await h.settle();
    const photo = h.peer.callsTo('sendPhoto').at(-1);
    expect(photo?.body.chat_id).toBe('1102');
    expect(photo?.body.caption, 'captions are escaped HTML').toBe('SOL/USDT 1h &lt;simulated&gt;');
    expect((photo?.body.photo as { size: number }).size, 'the PNG bytes are uploaded').toBeGreaterThan(0);
    expect(h.peer.botMessages(1102).some((m) => m.photo)).toBe(true);
  });

  it('a reply and a chart hit by 429s are retried after retry_after and each arrives once', async () => {
    await h.linkedUser(1105);
    h.peer.failNextWith429(1, 2, 1105);
    await say(1105, '/chart SOL 1h');
    await h.settle();
    const to1105 = h.peer.calls.filter((c) => (c.method === 'sendMessage' || c.method === 'sendPhoto') && String(c.body.chat_id) === '1105');
    expect(to1105.map((c) => c.status), 'two 429s, then both delivered').toEqual([429, 429, 200, 200]);
    expect(h.peer.botMessages(1105).map((m) => (m.photo ? 'photo' : m.text)), 'in order, no loss, no duplicate').toEqual(['SOL/USDT 1h', 'photo']);
  });

  it('keeps working after the handler throws, and says nothing was changed', async () => {
    await h.linkedUser(1103);
    await say(1103, 'boom');
    await say(1103, 'still there?');
    await h.settle();
    expect(texts(1103)).toEqual(['Something went wrong on my side; nothing was changed. Please try again in a moment.', 'echo: still there?']);
  });

  it('limits each chat user to the configured messages a minute, with one polite reply', async () => {
    const user = await h.linkedUser(1104);
    for (let i = 0; i < 15; i++) await say(1104, `msg ${i}`);
    await h.settle();
    const handled = h.handler.texts.filter((t) => t.ctx.user.id === user.id).length;
    expect(handled, '12 a minute reach the handler').toBe(12);
    const warnings = texts(1104).filter((t) => /faster than I can take them/.test(t));
    expect(warnings, 'the sender is asked to slow down once, not once per message').toHaveLength(1);
  });
});

describe('Telegram surface: groups', () => {
  it('answers public requests in the group', async () => {
    await h.linkedUser(1201);
    await say(1201, '/price@TestNameBot SOL', { chatId: -1201, type: 'group', chatTitle: 'Traders' });
    await h.settle();
    expect(texts(-1201).at(-1)).toContain('SOL/USDT 142.30');
  });

  it('a portfolio asked for in a group is answered by DM, with a note in the group', async () => {
    const user = await h.linkedUser(1202);
    await say(1202, '/portfolio', { chatId: -1202, type: 'group', chatTitle: 'Traders' });
    await h.settle();
    expect(texts(-1202).join('\n'), 'no private data in the group').not.toMatch(/Equity/);
    expect(texts(-1202).at(-1)).toMatch(/sent you the answer in a private chat/);
    expect(texts(1202).join('\n')).toMatch(/You asked in "Traders"/);
    expect(texts(1202).join('\n')).toMatch(/Equity 10,000\.00 USDT/);
    const call = h.handler.texts.filter((t) => t.ctx.user.id === user.id).at(-1);
    expect(call?.ctx, 'the handler answers in the private chat').toEqual(expect.objectContaining({ chatId: '1202', isGroup: false }));
  });

  it('says "start a private chat with me first" when the DM is refused (403), and does nothing', async () => {
    const user = await h.linkedUser(1203);
    h.peer.blockChat(1203);
    await say(1203, '/portfolio', { chatId: -1203, type: 'group', chatTitle: 'Traders' });
    await h.settle();
    expect(texts(-1203).at(-1)).toMatch(/start a private chat with me first/);
    expect(h.handler.texts.filter((t) => t.ctx.user.id === user.id), 'nothing is handled that cannot be delivered').toEqual([]);
  });

  it('ignores chatter not addressed to the bot and commands for other bots', async () => {
    const user = await h.linkedUser(1204);
    await say(1204, 'anyone watching SOL?', { chatId: -1204, type: 'group', chatTitle: 'Traders' });
    await say(1204, '/price@SomeOtherBot SOL', { chatId: -1204, type: 'group', chatTitle: 'Traders' });
    await h.settle();
    expect(h.handler.texts.filter((t) => t.ctx.user.id === user.id)).toEqual([]);
    expect(texts(-1204)).toEqual([]);
  });
});

describe('Telegram surface: trade-card buttons', () => {
  async function card(userId: number): Promise<{ messageId: number; yes: string; no: string }> {
    await say(userId, '/buy 1 SOL');
    await h.settle();
    const msg = h.peer.botMessages(userId).filter((m) => m.replyMarkup?.inline_keyboard?.length).at(-1)!;
    const [yes, no] = msg.replyMarkup!.inline_keyboard![0]!;
    return { messageId: msg.messageId, yes: yes!.callback_data!, no: no!.callback_data! };
  }

  it('shows ✅ Confirm / ✖ Cancel with short callback data, and a press confirms exactly once', async () => {
    const user = await h.linkedUser(1301);
    const c = await card(1301);
    const msg = h.peer.botMessages(1301).find((m) => m.messageId === c.messageId)!;
    expect(msg.replyMarkup!.inline_keyboard![0]!.map((b) => b.text)).toEqual(['✅ Confirm', '✖ Cancel']);
    expect(msg.text).toContain('Notional 142.30 USDT');
    expect(Buffer.byteLength(c.yes), "within Telegram's 64-byte callback data").toBeLessThanOrEqual(64);
    expect(c.yes, 'the server token never travels in the button').not.toContain('tok-');

    await press(1301, c.yes, { chatId: 1301, messageId: c.messageId });
    await h.settle();
    const mine = h.handler.confirmations.filter((x) => x.ctx.user.id === user.id);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.answer).toBe('yes');
    expect(mine[0]!.token).toMatch(/^tok-\d+-x{80}$/);
    expect(texts(1301).at(-1)).toBe('Filled: BUY 1 SOL/USDT @ 142.30 (paper)');
    const edit = h.peer.callsTo('editMessageReplyMarkup').find((e) => e.body.message_id === c.messageId);
    expect(edit?.body.reply_markup, 'the buttons are taken off the answered card').toEqual({ inline_keyboard: [] });

    await press(1301, c.yes, { chatId: 1301, messageId: c.messageId });
    await press(1301, c.no, { chatId: 1301, messageId: c.messageId });
    await h.settle();
    expect(h.handler.confirmations.filter((x) => x.ctx.user.id === user.id), 'a second press does nothing').toHaveLength(1);
    expect(String(h.peer.callsTo('answerCallbackQuery').at(-1)?.body.text)).toMatch(/Already confirmed/);
  });

  it('two presses racing each other execute once', async () => {
    const user = await h.linkedUser(1302);
    const c = await card(1302);
    await Promise.all([press(1302, c.yes, { chatId: 1302, messageId: c.messageId }), press(1302, c.yes, { chatId: 1302, messageId: c.messageId })]);
    await h.settle();
    expect(h.handler.confirmations.filter((x) => x.ctx.user.id === user.id)).toHaveLength(1);
  });

  it('refuses a press by another user with an alert and no action', async () => {
    const owner = await h.linkedUser(1303);
    await h.linkedUser(1304);
    const c = await card(1303);
    await press(1304, c.yes, { chatId: 1303, messageId: c.messageId });
    await h.settle();
    expect(h.handler.confirmations.filter((x) => x.ctx.user.id === owner.id), "a foreign press reaches nothing").toEqual([]);
    const answer = h.peer.callsTo('answerCallbackQuery').at(-1);
    expect(answer?.body.show_alert).toBe(true);
    expect(String(answer?.body.text)).toMatch(/not yours/);

    await press(1303, c.no, { chatId: 1303, messageId: c.messageId });
    await h.settle();
    expect(h.handler.confirmations.filter((x) => x.ctx.user.id === owner.id).map((x) => x.answer), 'the owner can still answer').toEqual(['no']);
    expect(texts(1303).at(-1)).toBe('Cancelled; nothing was done.');
  });

  it('a press after expiry says so and does nothing; an unknown button too', async () => {
    const user = await h.linkedUser(1305);
    h.handler.cardTtlMs = 30;
    const c = await card(1305);
    h.handler.cardTtlMs = 60_000;
    await new Promise((r) => setTimeout(r, 60));
    await press(1305, c.yes, { chatId: 1305, messageId: c.messageId });
    await h.settle();
    expect(String(h.peer.callsTo('answerCallbackQuery').at(-1)?.body.text)).toMatch(/expired; nothing was done/);
    await press(1305, 'mk:AAAAAAAAAAAA:y', { chatId: 1305, messageId: c.messageId });
    await h.settle();
    expect(String(h.peer.callsTo('answerCallbackQuery').at(-1)?.body.text)).toMatch(/no longer active/);
    expect(h.handler.confirmations.filter((x) => x.ctx.user.id === user.id)).toEqual([]);
  });
});
