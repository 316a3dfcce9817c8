// MIKEY's Discord surface, driven with real discord.js interaction instances: raw interaction
// payloads go through the client's own InteractionCreate action (as the gateway would deliver them),
// and every reply, deferral, edit, follow-up and DM goes over REST to the fake Discord API on
// loopback, where the payloads are checked — ephemeral where private, deferred before slow work,
// buttons honoured once and only for their owner.
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISCORD_COMMANDS, registerDiscordCommands, startDiscord, symbolChoices, type DiscordSurface } from '../../src/bot/discord/index.js';
import { splitDiscordText } from '../../src/bot/discord/render.js';
import { tradeText } from '../../src/bot/discord/commands/trade.js';
import { DEFAULT_MARKETS } from '../../src/domain/market.js';
import { chatIdentities } from '../../src/db/schema/index.js';
import { actorFor } from '../../src/services/actor.js';
import { createLinkCode, redeemLinkCode } from '../../src/services/link-codes.js';
import { createUser, type User } from '../../src/services/users.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { startFakeDiscordRest, type DiscordRequest, type FakeDiscordRest } from '../fakes/discord-rest-server.js';
import { MODEL_FACING, changedTables, rowCounts, ScriptedHandler } from './telegram-support.js';

const APP_ID = '111111111111111111';
const GUILD_ID = '333333333333333333';
const TRADER_ROLE = '222222222222222222';
const TOKEN = 'discord-test-token.abcdefghijklmnopqrstuvwxyz';
const EPHEMERAL = 64;
const CallbackType = { reply: 4, deferReply: 5, update: 7, autocomplete: 8 } as const;

let rest: FakeDiscordRest;
let app: TestApp;
let handler: ScriptedHandler;
let surface: DiscordSurface;
let seq = 4_000_000_000_000_000n;
const nextId = (): string => String(seq++);

beforeAll(async () => {
  rest = await startFakeDiscordRest();
  app = await createTestApp({ DISCORD_TOKEN: TOKEN, DISCORD_APP_ID: APP_ID, DISCORD_API_ROOT: rest.apiRoot, DISCORD_TRADER_ROLE: TRADER_ROLE, DISCORD_GUILD_ID: GUILD_ID });
  handler = new ScriptedHandler();
  surface = await startDiscord(app.services, handler, app.config, { login: false, inboundPerMinute: 1000 });
});

afterAll(async () => {
  await surface?.stop();
  await app?.close();
  await rest?.stop();
});

interface Who {
  userId: string;
  /** In a server channel (default) or a DM. */
  guild?: boolean;
  roles?: string[];
}

function discordUser(id: string): Record<string, unknown> {
  return { id, username: `user${id.slice(-4)}`, discriminator: '0', avatar: null, global_name: `User ${id.slice(-4)}` };
}

function base(who: Who, type: number, data: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const inGuild = who.guild ?? true;
  const channelId = inGuild ? '444444444444444444' : `55${who.userId.slice(-16)}`;
  return {
    id: nextId(), application_id: APP_ID, type, token: `itok-${nextId()}`, version: 1, data,
    channel_id: channelId,
    channel: inGuild ? { id: channelId, type: 0, guild_id: GUILD_ID, name: 'trading' } : { id: channelId, type: 1, recipients: [discordUser(who.userId)] },
    ...(inGuild
      ? { guild_id: GUILD_ID, member: { user: discordUser(who.userId), roles: who.roles ?? [], joined_at: '2024-01-01T00:00:00.000Z', deaf: false, mute: false, flags: 0, permissions: '0' } }
      : { user: discordUser(who.userId) }),
    locale: 'en-US', guild_locale: 'en-US', app_permissions: '0', entitlements: [], authorizing_integration_owners: {}, context: inGuild ? 0 : 1,
    attachment_size_limit: 8_388_608,
    ...extra,
  };
}

async function inject(raw: Record<string, unknown>): Promise<{ id: string; token: string }> {
  (surface.client as unknown as { actions: { InteractionCreate: { handle(d: unknown): void } } }).actions.InteractionCreate.handle(raw);
  await surface.whenIdle();
  return { id: String(raw.id), token: String(raw.token) };
}

function command(name: string, options: Record<string, string>, who: Who): Promise<{ id: string; token: string }> {
  return inject(base(who, 2, { id: nextId(), name, type: 1, options: Object.entries(options).map(([n, value]) => ({ name: n, type: 3, value })) }));
}

function button(customId: string, who: Who, messageId = nextId()): Promise<{ id: string; token: string }> {
  const raw = base(who, 3, { custom_id: customId, component_type: 2 });
  raw.message = {
    id: messageId, channel_id: raw.channel_id, type: 0, content: 'card', author: discordUser('999000000000000001'), attachments: [], embeds: [], mentions: [],
    mention_roles: [], pinned: false, mention_everyone: false, tts: false, timestamp: new Date().toISOString(), edited_timestamp: null, flags: EPHEMERAL, components: [],
  };
  return inject(raw);
}

const bodyOf = (r: DiscordRequest | undefined): Record<string, unknown> => (r?.body ?? {}) as Record<string, unknown>;
const callbackData = (r: DiscordRequest | undefined): Record<string, unknown> => (bodyOf(r).data ?? {}) as Record<string, unknown>;

async function linkedDiscordUser(discordId: string): Promise<User> {
  const user = await createUser(app.services.db, { username: `dc-user-${discordId}` });
  const { code } = await createLinkCode(app.services.db, actorFor(user.id, 'cli'));
  await redeemLinkCode(app.services.db, code, { platform: 'discord', externalUserId: discordId });
  return user;
}

const callsFor = (user: User): ScriptedHandler['texts'] => handler.texts.filter((t) => t.ctx.user.id === user.id);

describe('Discord: public commands', () => {
  it('/price is for anyone: deferred publicly, then edited with the answer, as the guest account', async () => {
    let callbacksWhenHandled = -1;
    handler.onText = () => {
      callbacksWhenHandled = rest.callbacks().length;
    };
    const before = rest.callbacks().length;
    const { id, token } = await command('price', { symbol: 'sol' }, { userId: '600000000000000001' });
    handler.onText = undefined;
    const [cb] = rest.callbacks(id);
    expect(bodyOf(cb).type, 'deferred first (the 3-second rule)').toBe(CallbackType.deferReply);
    expect(callbackData(cb).flags ?? 0, 'public: not ephemeral').toBe(0);
    expect(callbacksWhenHandled, 'the deferral was sent before the handler started work').toBe(before + 1);
    const [edit] = rest.webhookMessages(token);
    expect(edit?.method).toBe('PATCH');
    expect(edit?.path).toBe(`/webhooks/${APP_ID}/${token}/messages/@original`);
    expect(String(bodyOf(edit).content)).toContain('SOL/USDT 142.30');
    expect(bodyOf(edit).allowed_mentions, 'nobody is ever pinged').toEqual({ parse: [] });
    const call = handler.texts.at(-1)!;
    expect(call.text).toBe('/price SOL');
    expect(call.ctx).toEqual(expect.objectContaining({ platform: 'discord', isGroup: true, chatId: '444444444444444444' }));
    expect(call.ctx.user.username, 'unlinked people run public requests as the guest').toBe('guest');
  });

  it('/chart attaches the PNG', async () => {
    const { token } = await command('chart', { symbol: 'SOL', timeframe: '4h' }, { userId: '600000000000000002' });
    expect(handler.texts.at(-1)?.text).toBe('/chart SOL 4h');
    const [edit] = rest.webhookMessages(token);
    expect(edit?.files.map((f) => f.name)).toEqual(['sol.png']);
    expect(edit?.files[0]!.size).toBeGreaterThan(0);
  });

  it('a public command whose answer turns out private is shown only to the asker', async () => {
    const { token } = await command('analysis', { symbol: 'ETH' }, { userId: '600000000000000003' });
    const [edit, followUp] = rest.webhookMessages(token);
    expect(String(bodyOf(edit).content)).toMatch(/private, so I've shown it only to you/);
    expect(String(bodyOf(followUp).content)).toBe('echo: /analysis ETH');
    expect(bodyOf(followUp).flags).toBe(EPHEMERAL);
  });

  it('refuses malformed options with a clear ephemeral answer and no handler call', async () => {
    const handled = handler.texts.length;
    const bad = await command('price', { symbol: "SOL'; DROP TABLE users;--" }, { userId: '600000000000000004' });
    const [cb] = rest.callbacks(bad.id);
    expect(bodyOf(cb).type).toBe(CallbackType.reply);
    expect(callbackData(cb).flags).toBe(EPHEMERAL);
    expect(String(callbackData(cb).content)).toMatch(/not a market symbol/);
    const badTf = await command('analysis', { symbol: 'SOL', timeframe: '7y' }, { userId: '600000000000000004' });
    expect(String(callbackData(rest.callbacks(badTf.id)[0]).content)).toMatch(/Unknown timeframe/);
    expect(handler.texts.length).toBe(handled);
  });

  it('answers symbol autocomplete from the market catalog', async () => {
    const raw = base({ userId: '600000000000000005' }, 4, { id: nextId(), name: 'price', type: 1, options: [{ name: 'symbol', type: 3, value: 'so', focused: true }] });
    const { id } = await inject(raw);
    const [cb] = rest.callbacks(id);
    expect(bodyOf(cb).type).toBe(CallbackType.autocomplete);
    const choices = (callbackData(cb).choices as Array<{ value: string }>).map((c) => c.value);
    expect(choices.slice(0, 2)).toEqual(['SOL/USDT', 'SOL-PERP']);
    expect(symbolChoices('', DEFAULT_MARKETS)).toHaveLength(Math.min(25, DEFAULT_MARKETS.length));
    expect(symbolChoices('solana', DEFAULT_MARKETS).map((c) => c.value)).toContain('SOL/USDT');
  });
});

describe('Discord: private commands', () => {
  it('tells an unlinked person to link first, ephemerally, without any side effect', async () => {
    const before = await rowCounts(app.services.db);
    const handled = handler.texts.length;
    for (const name of ['portfolio', 'positions', 'orders', 'alerts']) {
      const { id } = await command(name, {}, { userId: '610000000000000001' });
      const [cb] = rest.callbacks(id);
      expect(bodyOf(cb).type).toBe(CallbackType.reply);
      expect(callbackData(cb).flags, `/${name} refusal is ephemeral`).toBe(EPHEMERAL);
      expect(callbackData(cb).content).toBe('Link your account first: /link CODE (get a code with `mikey link`).');
    }
    const { id } = await command('trade', { side: 'buy', symbol: 'SOL', size: '1' }, { userId: '610000000000000001', roles: [TRADER_ROLE] });
    expect(callbackData(rest.callbacks(id)[0]).content).toMatch(/Link your account first/);
    expect(handler.texts.length).toBe(handled);
    expect(changedTables(before, await rowCounts(app.services.db)), 'nothing written for an unlinked person').toEqual([]);
  });

  it('answers a linked user ephemerally: deferReply with the ephemeral flag, then the edit', async () => {
    const user = await linkedDiscordUser('610000000000000002');
    const { id, token } = await command('portfolio', {}, { userId: '610000000000000002' });
    const [cb] = rest.callbacks(id);
    expect(bodyOf(cb).type).toBe(CallbackType.deferReply);
    expect(callbackData(cb).flags).toBe(EPHEMERAL);
    expect(String(bodyOf(rest.webhookMessages(token)[0]).content)).toBe('Equity 10,000.00 USDT (paper)');
    expect(callsFor(user).at(-1)?.ctx, 'the private answer is not in a group context').toEqual(expect.objectContaining({ isGroup: false }));
  });

  it('shows people clean text: no marks on alert titles or venue reasons, no JSON errors, no card JSON', async () => {
    await linkedDiscordUser('610000000000000009');
    const { token } = await command('alerts', {}, { userId: '610000000000000009' });
    const sent = rest.webhookMessages(token).map((m) => (typeof bodyOf(m).content === 'string' ? (bodyOf(m).content as string) : ''));
    expect(sent.length, 'the reply and the card arrived').toBeGreaterThanOrEqual(2);
    for (const content of sent) expect(content, `nothing model-facing in “${content.slice(0, 60)}…”`).not.toMatch(MODEL_FACING);
    const all = sent.join('\n');
    expect(all, 'the alert title is kept').toContain('Alert SOL ‹to the moon› is active.');
    expect(all, 'the venue reason is kept').toContain('Reason: post-only order would cross');
    expect(all, 'the error says its message and hint').toContain('use at least 40 DOGE.');
    expect(all, 'the card keeps its facts').toContain('PAPER SELL 0.5 SOL');
  });

  it('links with /link CODE, ephemerally, storing no server channel for pushes', async () => {
    const dana = await createUser(app.services.db, { username: 'dana-discord' });
    const { code } = await createLinkCode(app.services.db, actorFor(dana.id, 'cli'));
    const { id, token } = await command('link', { code }, { userId: '610000000000000003' });
    expect(callbackData(rest.callbacks(id)[0]).flags).toBe(EPHEMERAL);
    expect(String(bodyOf(rest.webhookMessages(token)[0]).content)).toMatch(/Linked.*dana-discord/);
    const [row] = await app.services.db.select().from(chatIdentities).where(and(eq(chatIdentities.platform, 'discord'), eq(chatIdentities.externalUserId, '610000000000000003')));
    expect(row?.userId).toBe(dana.id);
    expect(row?.chatId).toBeNull();
    const again = await command('link', { code }, { userId: '610000000000000004' });
    expect(String(bodyOf(rest.webhookMessages(again.token)[0]).content)).toMatch(/already used/);
  });
});

describe('Discord: trading', () => {
  it('needs the trader role in a server; DMs are fine for linked users', async () => {
    const user = await linkedDiscordUser('620000000000000001');
    const refused = await command('trade', { side: 'buy', symbol: 'SOL', size: '1' }, { userId: '620000000000000001', roles: [] });
    expect(callbackData(rest.callbacks(refused.id)[0]).content).toMatch(/needs the trader role/);
    expect(callbackData(rest.callbacks(refused.id)[0]).flags).toBe(EPHEMERAL);
    expect(callsFor(user)).toEqual([]);
    const dm = await command('trade', { side: 'buy', symbol: 'SOL', size: '1' }, { userId: '620000000000000001', guild: false });
    expect(bodyOf(rest.callbacks(dm.id)[0]).type).toBe(CallbackType.deferReply);
    expect(callsFor(user).map((c) => c.text)).toEqual(['buy 1 SOL']);
  });

  it('shows the trade card with buttons; the owner confirms once; others and repeats are refused', async () => {
    const owner = await linkedDiscordUser('620000000000000002');
    await linkedDiscordUser('620000000000000003');
    const ordered = await command('trade', { side: 'buy', symbol: 'sol', size: '$100', type: 'limit', price: '140.5' }, { userId: '620000000000000002', roles: [TRADER_ROLE] });
    expect(callsFor(owner).at(-1)?.text).toBe('buy $100 of SOL limit 140.5');
    expect(callbackData(rest.callbacks(ordered.id)[0]).flags, 'the trade card is private').toBe(EPHEMERAL);
    const [edit, card] = rest.webhookMessages(ordered.token);
    expect(String(bodyOf(edit).content)).toBe('Here is the trade card.');
    expect(bodyOf(card).flags).toBe(EPHEMERAL);
    expect(String(bodyOf(card).content)).toContain('Notional 142.30 USDT');
    const buttons = ((bodyOf(card).components as Array<{ components: Array<{ custom_id: string; label: string }> }>)[0]!).components;
    expect(buttons.map((b) => b.label)).toEqual(['Confirm', 'Cancel']);
    const [yes, no] = buttons.map((b) => b.custom_id);
    expect(yes!.length, "within Discord's 100-character custom id").toBeLessThanOrEqual(100);

    const stranger = await button(yes!, { userId: '620000000000000003', roles: [TRADER_ROLE] });
    expect(callbackData(rest.callbacks(stranger.id)[0]).content).toMatch(/not yours/);
    expect(callbackData(rest.callbacks(stranger.id)[0]).flags).toBe(EPHEMERAL);
    expect(handler.confirmations.filter((c) => c.ctx.user.id === owner.id)).toEqual([]);

    const press = await button(yes!, { userId: '620000000000000002', roles: [TRADER_ROLE] });
    const [update] = rest.callbacks(press.id);
    expect(bodyOf(update).type, 'the press is acknowledged by taking the buttons off').toBe(CallbackType.update);
    expect(callbackData(update).components).toEqual([]);
    const [result] = rest.webhookMessages(press.token);
    expect(String(bodyOf(result).content)).toBe('Filled: BUY 1 SOL/USDT @ 142.30 (paper)');
    expect(bodyOf(result).flags).toBe(EPHEMERAL);

    const again = await button(no!, { userId: '620000000000000002', roles: [TRADER_ROLE] });
    expect(callbackData(rest.callbacks(again.id)[0]).content).toMatch(/Already confirmed/);
    expect(handler.confirmations.filter((c) => c.ctx.user.id === owner.id).map((c) => c.answer)).toEqual(['yes']);
  });

  it('a press after expiry does nothing and says so', async () => {
    const owner = await linkedDiscordUser('620000000000000004');
    handler.cardTtlMs = 20;
    const ordered = await command('trade', { side: 'sell', symbol: 'ETH', size: '0.5' }, { userId: '620000000000000004', guild: false });
    handler.cardTtlMs = 60_000;
    const card = rest.webhookMessages(ordered.token).at(-1);
    const yes = ((bodyOf(card).components as Array<{ components: Array<{ custom_id: string }> }>)[0]!).components[0]!.custom_id;
    await new Promise((r) => setTimeout(r, 40));
    const press = await button(yes, { userId: '620000000000000004', guild: false });
    expect(String(bodyOf(rest.webhookMessages(press.token)[0]).content)).toMatch(/expired; nothing was done/);
    expect(handler.confirmations.filter((c) => c.ctx.user.id === owner.id)).toEqual([]);
  });

  it('refuses malformed trade options before anything runs', async () => {
    const user = await linkedDiscordUser('620000000000000005');
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ side: 'buy', symbol: 'SOL', size: '-5' }, /Size must be a positive number/],
      [{ side: 'buy', symbol: 'SOL', size: '1e400' }, /Size must be a positive number/],
      [{ side: 'buy', symbol: 'SOL', size: '0' }, /Size must be a positive number/],
      [{ side: 'buy', symbol: 'SOL', size: '1', type: 'limit' }, /needs a price/],
      [{ side: 'buy', symbol: 'SOL', size: '1', price: '100' }, /market order takes no price/],
      [{ side: 'buy', symbol: 'SOL', size: '1', type: 'limit', price: '$100' }, /plain numbers/],
    ];
    for (const [options, message] of cases) {
      const { id } = await command('trade', options, { userId: '620000000000000005', guild: false });
      expect(String(callbackData(rest.callbacks(id)[0]).content), JSON.stringify(options)).toMatch(message);
    }
    expect(callsFor(user)).toEqual([]);
    expect(tradeText('sell', 'ETH', '1', 'stop', '3800')).toBe('sell 1 ETH stop 3800');
  });
});

describe('Discord: error boundary and pushes', () => {
  it('a failing handler gets an ephemeral apology and the client carries on', async () => {
    handler.failOn = /BOOM/;
    const failed = await command('price', { symbol: 'BOOM' }, { userId: '630000000000000001' });
    handler.failOn = /^boom$/i;
    const [followUp] = rest.webhookMessages(failed.token);
    expect(String(bodyOf(followUp).content)).toMatch(/Something went wrong on my side; nothing was changed/);
    expect(bodyOf(followUp).flags).toBe(EPHEMERAL);
    const ok = await command('price', { symbol: 'SOL' }, { userId: '630000000000000001' });
    expect(String(bodyOf(rest.webhookMessages(ok.token)[0]).content)).toContain('SOL/USDT 142.30');
  });

  it('sends DMs through the sender; closed DMs are reported, not thrown', async () => {
    const ok = await surface.dm.send('640000000000000001', { content: 'Alert: SOL above 150' }, { silent: true });
    expect(ok.ok).toBe(true);
    const posted = rest.channelMessages().at(-1);
    expect(bodyOf(posted).content).toBe('Alert: SOL above 150');
    expect(bodyOf(posted).flags, 'silent pushes suppress the notification').toBe(4096);
    rest.closeDmsOf('640000000000000002');
    const closed = await surface.dm.send('640000000000000002', { content: 'nobody home' });
    expect(closed).toMatchObject({ ok: false, reason: 'forbidden' });
  });
});

describe('Discord: command registration', () => {
  it('puts every command to the guild route with the bot token', async () => {
    const reg = await registerDiscordCommands(app.config);
    expect(reg.scope).toBe('guild');
    const put = rest.requests.filter((r) => r.method === 'PUT').at(-1);
    expect(put?.path).toBe(`/applications/${APP_ID}/guilds/${GUILD_ID}/commands`);
    expect(put?.authorization).toBe(`Bot ${TOKEN}`);
    const names = (put?.body as Array<{ name: string }>).map((c) => c.name);
    expect(names).toEqual(['price', 'analysis', 'chart', 'help', 'link', 'portfolio', 'positions', 'orders', 'trade', 'alerts', 'leaderboard', 'competition']);
    expect(reg.names).toEqual(names);
    const trade = (put?.body as Array<{ name: string; options: Array<{ name: string; autocomplete?: boolean; required?: boolean }> }>).find((c) => c.name === 'trade')!;
    expect(trade.options.map((o) => o.name)).toEqual(['side', 'symbol', 'size', 'type', 'price']);
    expect(trade.options.find((o) => o.name === 'symbol')?.autocomplete).toBe(true);
  });

  it('is what `mikey discord register` runs', async () => {
    const { registerSurfaceCommands } = await import('../../src/surfaces.js');
    const commands = new Map<string, (a: typeof app, args: string[], out: { log(s: string): void; error(s: string): void }) => Promise<number>>();
    registerSurfaceCommands((name, cmd) => commands.set(name, cmd));
    const lines: string[] = [];
    const before = rest.requests.filter((r) => r.method === 'PUT').length;
    const code = await commands.get('discord register')!(app, [], { log: (l) => lines.push(l), error: (l) => lines.push(l) });
    expect(code).toBe(0);
    expect(rest.requests.filter((r) => r.method === 'PUT').length).toBe(before + 1);
    expect(lines.join('\n')).toMatch(/Registered 12 Discord slash commands in server 333333333333333333: \/price/);
  });

  it('registers globally without a guild id', async () => {
    const reg = await registerDiscordCommands({ ...app.config, DISCORD_GUILD_ID: undefined });
    expect(reg.route).toBe(`/applications/${APP_ID}/commands`);
    expect(rest.requests.filter((r) => r.method === 'PUT').at(-1)?.path).toBe(`/applications/${APP_ID}/commands`);
    expect(DISCORD_COMMANDS).toHaveLength(12);
  });

  it('splits long answers under 2,000 characters with code blocks kept closed', () => {
    const table = ['```', ...Array.from({ length: 200 }, (_, i) => `row ${i}  ${'x'.repeat(30)}`), '```'].join('\n');
    const parts = splitDiscordText(`Header\n${table}\nFooter`);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(2000);
      expect((p.match(/```/g) ?? []).length % 2, 'fences balanced in every message').toBe(0);
    }
  });
});
