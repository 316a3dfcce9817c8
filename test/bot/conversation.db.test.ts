// The whole stack in one conversation: `serve` with the real conversation handler (offline
// understanding → in-process MCP → services → paper broker), the real telegraf client, and
// telegram-test-api on loopback. Link, price, buy with the confirm button, the fill push, a group
// asking for a portfolio gets a DM instead, an unknown user gets nothing, and injected 429s lose
// no message.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scaledSenderClock } from '../../src/bot/outbound/index.js';
import { queryRows } from '../../src/db/client.js';
import { startServe, type RunningServer } from '../../src/serve.js';
import { actorFor } from '../../src/services/actor.js';
import { createLinkCode } from '../../src/services/link-codes.js';
import { createUser, type User } from '../../src/services/users.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { startTelegramPeer, type TelegramPeer } from './telegram-peer.js';

let peer: TelegramPeer;
let app: TestApp;
let server: RunningServer;
let alice: User;
const ALICE = 501;
const GROUP = -600;
const STRANGER = 777;

async function say(userId: number, text: string, chat: { chatId?: number; type?: 'private' | 'group'; chatTitle?: string } = {}): Promise<void> {
  const client = peer.client({ userId, chatId: chat.chatId ?? userId, type: chat.type ?? 'private', ...(chat.chatTitle ? { chatTitle: chat.chatTitle } : {}) });
  if (text.startsWith('/')) await client.sendCommand(client.makeCommand(text));
  else await client.sendMessage(client.makeMessage(text));
}
const texts = (chatId: number): string[] => peer.botMessages(chatId).map((m) => m.text);
async function waitForText(chatId: number, re: RegExp, what: string): Promise<string> {
  await peer.waitFor(() => texts(chatId).some((t) => re.test(t)), 20_000, what);
  return texts(chatId).find((t) => re.test(t))!;
}
async function counts(): Promise<string> {
  const r = await queryRows(app.database.db, sql`SELECT (SELECT count(*) FROM orders) o, (SELECT count(*) FROM chat_identities) i, (SELECT count(*) FROM users) u, (SELECT count(*) FROM conversation_messages) m`);
  return JSON.stringify(r[0]);
}

beforeAll(async () => {
  peer = await startTelegramPeer();
  app = await createTestApp({ TELEGRAM_BOT_TOKEN: peer.token, TELEGRAM_API_ROOT: peer.apiRoot, MIKEY_HTTP_PORT: '0', MIKEY_MARKET: 'sim' });
  alice = await createUser(app.database.db, { username: 'alice' });
  server = await startServe(app, { telegram: { senderClock: scaledSenderClock(50) } });
});
afterAll(async () => {
  await server?.stop();
  await app?.close();
  await peer?.stop();
});

describe('a whole conversation on Telegram', () => {
  it('links, prices, buys with the button, pushes the fill, DMs private data asked in a group, ignores strangers, survives 429s', async () => {
    expect(server.surfaces.join(' ')).toMatch(/Telegram/);
    peer.inject429(0.25, 1);

    const { code } = await createLinkCode(app.database.db, actorFor(alice.id, 'cli'));
    await say(ALICE, `/start ${code}`);
    await waitForText(ALICE, /linked/i, 'the link confirmation');

    await say(ALICE, 'price sol');
    const price = await waitForText(ALICE, /SOL\/USDT/, 'the price reply');
    expect(price, 'simulated prices are labelled').toMatch(/SIMULATED/i);

    await say(ALICE, 'buy 0.5 sol');
    await peer.waitFor(() => peer.botMessages(ALICE).some((m) => m.replyMarkup?.inline_keyboard?.length), 20_000, 'the trade card with buttons');
    const card = peer.botMessages(ALICE).find((m) => m.replyMarkup?.inline_keyboard?.length)!;
    expect(card.text).toMatch(/PAPER BUY 0\.5 SOL/);
    const confirm = card.replyMarkup!.inline_keyboard!.flat().find((b) => /confirm/i.test(b.text))!;
    const before = await counts();
    const client = peer.client({ userId: ALICE, chatId: ALICE });
    await client.sendCallback(client.makeCallbackQuery(confirm.callback_data!, { message: { message_id: card.messageId } }));
    await waitForText(ALICE, /Bought 0\.5 SOL/i, 'the execution reply');
    await waitForText(ALICE, /filled/i, 'the fill push');
    const orders = await queryRows<{ n: string }>(app.database.db, sql`SELECT count(*)::text n FROM orders WHERE user_id = ${alice.id}`);
    expect(orders[0]!.n, 'exactly one order from one confirmation').toBe('1');
    // Pressing the same button again does nothing more.
    await client.sendCallback(client.makeCallbackQuery(confirm.callback_data!, { message: { message_id: card.messageId } }));
    await new Promise((r) => setTimeout(r, 500));
    const again = await queryRows<{ n: string }>(app.database.db, sql`SELECT count(*)::text n FROM orders WHERE user_id = ${alice.id}`);
    expect(again[0]!.n, 'a second press places nothing').toBe('1');
    expect(before).not.toBe(await counts());

    await say(ALICE, '/portfolio', { chatId: GROUP, type: 'group', chatTitle: 'Traders' });
    await waitForText(GROUP, /DM|private/i, 'the note in the group');
    await waitForText(ALICE, /PAPER "Paper"/, 'the portfolio in the DM');
    expect(texts(GROUP).join('\n'), 'no portfolio numbers in the group').not.toMatch(/PAPER "Paper"/);

    const quiet = await counts();
    await say(STRANGER, 'buy 1 btc');
    await say(STRANGER, '/portfolio');
    await new Promise((r) => setTimeout(r, 800));
    expect(await counts(), 'an unknown sender changes nothing').toBe(quiet);
    expect(texts(STRANGER).join('\n')).not.toMatch(/PAPER|Bought|card/i);

    expect(peer.counters.injected429, '429s were injected').toBeGreaterThan(0);
    const sent = peer.botMessages().length;
    expect(sent, 'every message arrived despite the 429s').toBeGreaterThanOrEqual(8);
  });
});
