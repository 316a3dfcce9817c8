// Webhook mode: Telegram POSTs updates to MIKEY's listener with the secret token set by setWebhook.
// Anything without the right X-Telegram-Bot-Api-Secret-Token is refused with 401 and never handled;
// a redelivered update_id is acknowledged but handled once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scaledSenderClock } from '../../src/bot/outbound/index.js';
import { SECRET_HEADER, startTelegram } from '../../src/bot/telegram/index.js';
import { ScriptedHandler, startTelegramHarness, type TelegramHarness } from './telegram-support.js';

const SECRET = 'webhook_secret-0123456789';
let h: TelegramHarness;
let hook: string;

beforeAll(async () => {
  h = await startTelegramHarness({
    env: { TELEGRAM_WEBHOOK_URL: 'https://bot.example.com/tg-hook', TELEGRAM_WEBHOOK_SECRET: SECRET },
    surface: { webhookHost: '127.0.0.1', webhookPort: 0 },
  });
  hook = `http://127.0.0.1:${h.surface.webhookPort}/tg-hook`;
});

afterAll(async () => {
  await h?.close();
});

function update(updateId: number, fromId: number, text: string): Record<string, unknown> {
  return {
    update_id: updateId,
    message: {
      message_id: updateId, date: Math.floor(Date.now() / 1000), text,
      chat: { id: fromId, type: 'private', first_name: 'Webhook' },
      from: { id: fromId, is_bot: false, first_name: 'Webhook' },
    },
  };
}

async function post(body: unknown, headers: Record<string, string> = { [SECRET_HEADER]: SECRET }, url = hook, method = 'POST'): Promise<number> {
  const res = await fetch(url, { method, headers: { 'content-type': 'application/json', ...headers }, ...(method === 'POST' ? { body: JSON.stringify(body) } : {}) });
  await res.text();
  return res.status;
}

describe('Telegram webhook', () => {
  it('registers the webhook URL with its secret token', () => {
    expect(h.surface.mode).toBe('webhook');
    const call = h.peer.callsTo('setWebhook').at(-1);
    expect(call?.body.url).toBe('https://bot.example.com/tg-hook');
    expect(call?.body.secret_token).toBe(SECRET);
    expect(h.peer.callsTo('getUpdates'), 'no polling in webhook mode').toEqual([]);
  });

  it('refuses requests without the secret header, with a wrong one, to another path or not POST', async () => {
    await h.linkedUser(2001);
    expect(await post(update(7001, 2001, 'no header'), {}), 'missing secret').toBe(401);
    expect(await post(update(7002, 2001, 'wrong'), { [SECRET_HEADER]: 'webhook_secret-0123456788' }), 'wrong secret').toBe(401);
    expect(await post(update(7003, 2001, 'path'), undefined, `http://127.0.0.1:${h.surface.webhookPort}/other`)).toBe(404);
    expect(await post(undefined, undefined, hook, 'GET')).toBe(405);
    expect(await post('not json at all')).toBe(400);
    await h.settle();
    expect(h.handler.texts, 'nothing refused reaches the handler').toEqual([]);
    expect(h.peer.botMessages(2001)).toEqual([]);
  });

  it('handles an update once even when Telegram delivers it twice', async () => {
    await h.linkedUser(2002);
    expect(await post(update(7101, 2002, 'first delivery'))).toBe(200);
    expect(await post(update(7101, 2002, 'first delivery')), 'a repeat is acknowledged so Telegram stops resending').toBe(200);
    expect(await post(update(7102, 2002, 'second message'))).toBe(200);
    await h.settle();
    expect(h.handler.texts.map((t) => t.text)).toEqual(['first delivery', 'second message']);
    expect(h.peer.botMessages(2002).map((m) => m.text)).toEqual(['echo: first delivery', 'echo: second message']);
    expect(h.surface.bot.stats().repeated).toBe(1);
  });

  it('behind a load balancer, an update that reaches two instances is handled by one (claimed in the database)', async () => {
    await h.linkedUser(2003);
    const otherHandler = new ScriptedHandler();
    // A second instance: its own surface and webhook listener, the same database.
    const other = await startTelegram(h.app.services, otherHandler, h.app.config, { senderClock: scaledSenderClock(50), webhookHost: '127.0.0.1', webhookPort: 0 });
    try {
      const otherHook = `http://127.0.0.1:${other.webhookPort}/tg-hook`;
      expect(await post(update(7201, 2003, 'once across instances'))).toBe(200);
      expect(await post(update(7201, 2003, 'once across instances'), undefined, otherHook), 'the other instance acknowledges the repeat').toBe(200);
      expect(await post(update(7202, 2003, 'to the other one'), undefined, otherHook)).toBe(200);
      await h.settle();
      await other.whenIdle();
      expect([...h.handler.texts, ...otherHandler.texts].filter((t) => t.text === 'once across instances'), 'handled once in all').toHaveLength(1);
      expect(otherHandler.texts.map((t) => t.text)).toEqual(['to the other one']);
    } finally {
      await other.stop();
    }
  });
});
