// Push notifications: per-user preferences per kind (on / silent / off) honoured on Telegram (via
// the real telegraf client to the loopback Bot API) and Discord (DMs via discord.js to the fake
// REST API); a user with no linked chat is dropped quietly; domain events become readable pushes.
import { randomUUID } from 'node:crypto';
import { Telegram } from 'telegraf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfirmationButtons } from '../../src/bot/confirmation-buttons.js';
import { startDiscord, type DiscordSurface } from '../../src/bot/discord/index.js';
import {
  DiscordNotifier, MultiNotifier, TelegramNotifier, createChatNotifier, getNotificationPreferences, notificationFor, setNotificationPreference, subscribeNotifications,
} from '../../src/bot/notify/index.js';
import { OutboundSender, classifyTelegramError, scaledSenderClock } from '../../src/bot/outbound/index.js';
import { TelegramReplies } from '../../src/bot/telegram/replies.js';
import { auditLogs, portfolios } from '../../src/db/schema/index.js';
import type { Notification } from '../../src/domain/ports.js';
import { actorFor } from '../../src/services/actor.js';
import { isAppError } from '../../src/services/errors.js';
import { createLinkCode, redeemLinkCode } from '../../src/services/link-codes.js';
import { createUser, type User } from '../../src/services/users.js';
import { eq } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../support/app.js';
import { startFakeDiscordRest, type FakeDiscordRest } from '../fakes/discord-rest-server.js';
import { startTelegramPeer, type TelegramPeer } from './telegram-peer.js';
import { untrusted } from '../../src/mcp/tool.js';
import { MODEL_FACING, ScriptedHandler, TINY_PNG } from './telegram-support.js';

let peer: TelegramPeer;
let rest: FakeDiscordRest;
let app: TestApp;
let discord: DiscordSurface;
let notifier: MultiNotifier;
let alice: User;
let bob: User;
let carol: User;

const ALICE_TG = 5001;
const ALICE_DC = '650000000000000001';
const CAROL_TG = 5003;

async function link(user: User, platform: 'telegram' | 'discord', externalUserId: string, chatId?: string): Promise<void> {
  const { code } = await createLinkCode(app.services.db, actorFor(user.id, 'cli'));
  await redeemLinkCode(app.services.db, code, { platform, externalUserId, ...(chatId ? { chatId } : {}) });
}

beforeAll(async () => {
  peer = await startTelegramPeer('889900:NOTIFY-token-for-mikey-push-tests');
  rest = await startFakeDiscordRest();
  app = await createTestApp({ DISCORD_TOKEN: 'discord-notify-token.abcdefghijklmnop', DISCORD_APP_ID: '121212121212121212', DISCORD_API_ROOT: rest.apiRoot });
  const sender = new OutboundSender({ classify: classifyTelegramError, clock: scaledSenderClock(50), logger: app.logger });
  const replies = new TelegramReplies(new Telegram(peer.token, { apiRoot: peer.apiRoot }), sender, new ConfirmationButtons(), () => new Date(), app.logger);
  discord = await startDiscord(app.services, new ScriptedHandler(), app.config, { login: false, senderClock: scaledSenderClock(50) });
  notifier = new MultiNotifier({ db: app.services.db, logger: app.logger, channels: [new TelegramNotifier(replies), new DiscordNotifier(discord.dm)] });
  alice = await createUser(app.services.db, { username: 'alice-push' });
  bob = await createUser(app.services.db, { username: 'bob-unlinked' });
  carol = await createUser(app.services.db, { username: 'carol-blocked' });
  await link(alice, 'telegram', String(ALICE_TG), String(ALICE_TG));
  await link(alice, 'discord', ALICE_DC);
  await link(carol, 'telegram', String(CAROL_TG), String(CAROL_TG));
});

afterAll(async () => {
  await discord?.stop();
  await app?.close();
  await rest?.stop();
  await peer?.stop();
});

const note = (user: User, kind: Notification['kind'], title: string, extra: Partial<Notification> = {}): Notification => ({
  userId: user.id, kind, title, body: `${title} — body`, ...extra,
});

describe('notification preferences', () => {
  it('default to on for every kind, and changes are validated and audited', async () => {
    const prefs = await getNotificationPreferences(app.services.db, bob.id);
    expect(prefs).toEqual({ alert: 'on', fill: 'on', stop: 'on', take_profit: 'on', liquidation: 'on', risk: 'on', report: 'on', whale: 'on' });
    await setNotificationPreference(app.services.db, actorFor(bob.id, 'telegram'), 'report', 'off');
    await setNotificationPreference(app.services.db, actorFor(bob.id, 'telegram'), 'report', 'silent');
    expect((await getNotificationPreferences(app.services.db, bob.id)).report).toBe('silent');
    const audit = await app.services.db.select().from(auditLogs).where(eq(auditLogs.entityId, `${bob.id}:report`));
    expect(audit.map((a) => a.newValue)).toEqual([{ mode: 'off' }, { mode: 'silent' }]);
    for (const [kind, mode] of [['weather', 'on'], ['fill', 'loud']] as const) {
      const err = await setNotificationPreference(app.services.db, actorFor(bob.id, 'telegram'), kind, mode).catch((e: unknown) => e);
      expect(isAppError(err) && err.code, `${kind}/${mode} is refused`).toBe('invalid_input');
    }
  });
});

describe('MultiNotifier', () => {
  it('on: a normal push to every linked chat', async () => {
    const result = await notifier.send(note(alice, 'fill', 'Filled <0.5 SOL>'));
    expect(result.deliveries.map((d) => [d.platform, d.outcome.ok]).sort()).toEqual([['discord', true], ['telegram', true]]);
    const tg = peer.botMessages(ALICE_TG).at(-1)!;
    expect(tg.text).toBe('<b>Filled &lt;0.5 SOL&gt;</b>\nFilled &lt;0.5 SOL&gt; — body');
    expect(tg.disableNotification, 'on: with sound').toBeUndefined();
    const dm = rest.channelMessages().at(-1)!;
    expect((dm.body as { content: string }).content).toBe('**Filled <0.5 SOL>**\nFilled <0.5 SOL> — body');
    expect((dm.body as { flags?: number }).flags ?? 0).toBe(0);
  });

  it('pushes clean text: a marked alert title and an error with JSON details read as words', async () => {
    await setNotificationPreference(app.services.db, actorFor(alice.id, 'telegram'), 'risk', 'on');
    const body = ['Reason: ' + untrusted('venue', 'insufficient margin'), 'order rejected. try a smaller size.', JSON.stringify({ code: 'rejected', detail: 'x' }, null, 2)].join('\n');
    await notifier.send(note(alice, 'risk', `🔔 ${untrusted('alert title', 'SOL <to the moon>')}`, { body }));
    const tg = peer.botMessages(ALICE_TG).at(-1)!;
    expect(tg.text, 'Telegram: nothing model-facing').not.toMatch(MODEL_FACING);
    expect(tg.text).toBe('<b>🔔 SOL ‹to the moon›</b>\nReason: insufficient margin\norder rejected. try a smaller size.');
    const dm = (rest.channelMessages().at(-1)!.body as { content: string }).content;
    expect(dm, 'Discord: nothing model-facing').not.toMatch(MODEL_FACING);
    expect(dm).toBe('**🔔 SOL ‹to the moon›**\nReason: insufficient margin\norder rejected. try a smaller size.');
  });

  it('silent: delivered without a sound (Telegram disable_notification, Discord suppress flag)', async () => {
    await setNotificationPreference(app.services.db, actorFor(alice.id, 'telegram'), 'alert', 'silent');
    await notifier.send(note(alice, 'alert', 'SOL above 150'));
    expect(peer.botMessages(ALICE_TG).at(-1)).toMatchObject({ text: expect.stringContaining('SOL above 150'), disableNotification: true });
    expect((rest.channelMessages().at(-1)!.body as { flags?: number }).flags).toBe(4096);
  });

  it('off: nothing is sent', async () => {
    await setNotificationPreference(app.services.db, actorFor(alice.id, 'telegram'), 'report', 'off');
    const tgBefore = peer.botMessages(ALICE_TG).length;
    const dcBefore = rest.channelMessages().length;
    const result = await notifier.send(note(alice, 'report', 'Your 4h report'));
    expect(result).toEqual({ mode: 'off', deliveries: [] });
    expect(peer.botMessages(ALICE_TG).length).toBe(tgBefore);
    expect(rest.channelMessages().length).toBe(dcBefore);
  });

  it('a user with no linked chat is dropped quietly', async () => {
    const result = await notifier.send(note(bob, 'fill', 'Filled'));
    expect(result.deliveries).toEqual([]);
    await expect(notifier.notify(note(bob, 'fill', 'Filled'))).resolves.toBeUndefined();
    await expect(notifier.notify(note({ ...bob, id: randomUUID() }, 'fill', 'nobody'))).resolves.toBeUndefined();
  });

  it('createChatNotifier wires one channel per running surface', async () => {
    const onlyDiscord = createChatNotifier({ db: app.services.db, logger: app.logger, discord });
    const result = await onlyDiscord.send(note(alice, 'fill', 'Filled via factory'));
    expect(result.deliveries.map((d) => d.platform)).toEqual(['discord']);
  });

  it('a blocked chat is reported, never thrown', async () => {
    peer.blockChat(CAROL_TG);
    const result = await notifier.send(note(carol, 'risk', 'Daily loss limit reached'));
    expect(result.deliveries).toEqual([{ platform: 'telegram', outcome: { ok: false, reason: 'forbidden' } }]);
  });

  it('attaches a chart as a photo / file', async () => {
    await notifier.send(note(alice, 'take_profit', 'TP hit', { image: TINY_PNG }));
    const photo = peer.callsTo('sendPhoto').at(-1);
    expect(photo?.body.chat_id).toBe(String(ALICE_TG));
    expect(rest.channelMessages().at(-1)?.files.map((f) => f.name)).toEqual(['chart.png']);
  });
});

describe('events → pushes', () => {
  it('turns fills, alerts, risk alerts and stops into clear pushes; ignores the rest', async () => {
    const [paper] = await app.services.db.insert(portfolios).values({ userId: alice.id, name: 'Main', tradingMode: 'paper' }).returning();
    const fill = await notificationFor(app.services.db, {
      type: 'order.filled', userId: alice.id, portfolioId: paper!.id, orderId: randomUUID(), symbol: 'SOL/USDT', side: 'buy', quantity: '0.50', price: '142.30', orderType: 'market',
    });
    expect(fill).toMatchObject({
      kind: 'fill',
      title: '0.5 SOL/USDT @ 142.3 — BUY filled (paper)',
      body: '0.5 SOL/USDT bought at 142.3 = 71.15 USDT · market order · paper account "Main".',
    });
    const stop = await notificationFor(app.services.db, { type: 'position.changed', userId: alice.id, portfolioId: paper!.id, symbol: 'ETH-PERP', reason: 'stop' });
    expect(stop).toMatchObject({ kind: 'stop', title: '🛑 Stop-loss hit: ETH-PERP (paper)' });
    const liq = await notificationFor(app.services.db, { type: 'position.changed', userId: alice.id, portfolioId: paper!.id, symbol: 'ETH-PERP', reason: 'liquidation' });
    expect(liq?.kind).toBe('liquidation');
    const risk = await notificationFor(app.services.db, { type: 'risk.alert', userId: alice.id, portfolioId: paper!.id, severity: 'high', message: 'Daily loss at 4.8% of equity' });
    expect(risk).toMatchObject({ kind: 'risk', title: '⚠️ Risk alert (high) (paper)', body: 'Daily loss at 4.8% of equity — paper account "Main".' });
    expect(await notificationFor(app.services.db, { type: 'position.changed', userId: alice.id, portfolioId: paper!.id, symbol: 'SOL/USDT', reason: 'fill' })).toBeUndefined();
    expect(await notificationFor(app.services.db, { type: 'balance.changed', userId: alice.id, portfolioId: paper!.id })).toBeUndefined();
  });

  it('delivers an alert trigger from the event bus, escaping the user-written label', async () => {
    const unsubscribe = subscribeNotifications(app.services.events, notifier, { db: app.services.db, logger: app.logger });
    await setNotificationPreference(app.services.db, actorFor(alice.id, 'telegram'), 'alert', 'on');
    const before = peer.botMessages(ALICE_TG).length;
    app.services.events.emit({
      type: 'alert.triggered', userId: alice.id, alertId: randomUUID(), ruleId: null, title: '<b>moon</b> time', message: 'SOL/USDT crossed 150.00 (now 150.20)', severity: 'info', symbol: 'SOL/USDT',
    });
    await peer.waitFor(() => peer.botMessages(ALICE_TG).length > before, 5000, 'the alert push');
    expect(peer.botMessages(ALICE_TG).at(-1)?.text).toBe('<b>🔔 SOL/USDT: &lt;b&gt;moon&lt;/b&gt; time</b>\nSOL/USDT crossed 150.00 (now 150.20)');
    unsubscribe();
  });
});
