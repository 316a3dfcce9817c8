// How MIKEY feels at work on Discord, with real discord.js structures against the loopback REST
// fake: a slash command is deferred at once and its reply edited — for a private command, as the
// answer is written (edits paced by a manual clock); a message (a DM, or a mention in a server
// channel) gets "MIKEY is typing…" before the work starts, repeated while it goes on, then the
// answer. Slow answers are held by a gate the test opens, never by waiting.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ChatReply, TurnOptions } from '../../src/bot/chat-types.js';
import { startDiscord, type DiscordSurface } from '../../src/bot/discord/index.js';
import { LINK_FIRST } from '../../src/bot/discord/context.js';
import { manualSenderClock, type ManualSenderClock, type SenderClock } from '../../src/bot/outbound/index.js';
import { actorFor } from '../../src/services/actor.js';
import { createLinkCode, redeemLinkCode } from '../../src/services/link-codes.js';
import { createUser, type User } from '../../src/services/users.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { startFakeDiscordRest, type DiscordRequest, type FakeDiscordRest } from '../fakes/discord-rest-server.js';
import { ScriptedHandler } from './telegram-support.js';

const APP_ID = '111111111111111111';
const GUILD_ID = '333333333333333333';
const GUILD_CHANNEL = '444444444444444444';
const TOKEN = 'discord-test-token.abcdefghijklmnopqrstuvwxyz';
const EPHEMERAL = 64;
const CallbackType = { deferReply: 5 } as const;

let rest: FakeDiscordRest;
let app: TestApp;
let handler: ScriptedHandler;
let surface: DiscordSurface;
let clock: ManualSenderClock;
let seq = 5_000_000_000_000_000n;
const nextId = (): string => String(seq++);

beforeAll(async () => {
  rest = await startFakeDiscordRest();
  app = await createTestApp({ DISCORD_TOKEN: TOKEN, DISCORD_APP_ID: APP_ID, DISCORD_API_ROOT: rest.apiRoot, DISCORD_GUILD_ID: GUILD_ID });
  handler = new ScriptedHandler();
  // Each test gets a fresh manual clock, starting at 0, behind the one the surface holds.
  const liveClock: SenderClock = { now: () => clock.now(), setTimer: (ms, fn) => clock.setTimer(ms, fn) };
  surface = await startDiscord(app.services, handler, app.config, { login: false, inboundPerMinute: 1000, liveClock });
  // The server the channel messages come from, as the gateway's GUILD_CREATE would have cached it.
  (surface.client.guilds as unknown as { _add(d: unknown): unknown })._add({
    id: GUILD_ID, name: 'Desk', unavailable: false, features: [], roles: [], emojis: [], stickers: [], members: [],
    channels: [{ id: GUILD_CHANNEL, type: 0, name: 'trading', guild_id: GUILD_ID }],
  });
});

beforeEach(() => {
  clock = manualSenderClock();
});

afterEach(() => {
  handler.custom = undefined;
});

afterAll(async () => {
  await surface?.stop();
  await app?.close();
  await rest?.stop();
});

interface Gate<T> {
  promise: Promise<T>;
  open(value: T): void;
}

function gate<T>(): Gate<T> {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

function heldTurn(): { started: Gate<TurnOptions | undefined>; answer: Gate<ChatReply> } {
  const started = gate<TurnOptions | undefined>();
  const answer = gate<ChatReply>();
  handler.custom = async (_ctx, _text, opts) => {
    started.open(opts);
    return answer.promise;
  };
  return { started, answer };
}

async function waitFor(predicate: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !predicate(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!predicate()) throw new Error(`timed out waiting for ${what}`);
}

function discordUser(id: string): Record<string, unknown> {
  return { id, username: `user${id.slice(-4)}`, discriminator: '0', avatar: null, global_name: `User ${id.slice(-4)}` };
}

async function linkedDiscordUser(discordId: string): Promise<User> {
  const user = await createUser(app.services.db, { username: `dcl-user-${discordId}` });
  const { code } = await createLinkCode(app.services.db, actorFor(user.id, 'cli'));
  await redeemLinkCode(app.services.db, code, { platform: 'discord', externalUserId: discordId });
  return user;
}

/** A slash command in a DM, as the gateway delivers it; not awaited (the turn may be held). */
function command(name: string, options: Record<string, string>, userId: string): { id: string; token: string } {
  const channelId = `55${userId.slice(-16)}`;
  const raw = {
    id: nextId(), application_id: APP_ID, type: 2, token: `itok-${nextId()}`, version: 1,
    data: { id: nextId(), name, type: 1, options: Object.entries(options).map(([n, value]) => ({ name: n, type: 3, value })) },
    channel_id: channelId, channel: { id: channelId, type: 1, recipients: [discordUser(userId)] }, user: discordUser(userId),
    locale: 'en-US', app_permissions: '0', entitlements: [], authorizing_integration_owners: {}, context: 1, attachment_size_limit: 8_388_608,
  };
  (surface.client as unknown as { actions: { InteractionCreate: { handle(d: unknown): void } } }).actions.InteractionCreate.handle(raw);
  return { id: raw.id, token: raw.token };
}

/** A message, in a DM (default) or in the server channel; not awaited. Returns the channel it was written in. */
function message(userId: string, content: string, where: { guild?: boolean; mentions?: string[] } = {}): { channelId: string; messageId: string } {
  const channelId = where.guild ? GUILD_CHANNEL : `55${userId.slice(-16)}`;
  const raw = {
    id: nextId(), channel_id: channelId, author: discordUser(userId), content, timestamp: new Date().toISOString(), edited_timestamp: null,
    tts: false, mention_everyone: false, mentions: (where.mentions ?? []).map(discordUser), mention_roles: [], attachments: [], embeds: [],
    pinned: false, type: 0, flags: 0, components: [],
    ...(where.guild
      ? { guild_id: GUILD_ID, member: { roles: [], joined_at: '2024-01-01T00:00:00.000Z', deaf: false, mute: false, flags: 0 } }
      : { channel_type: 1 }),
  };
  (surface.client as unknown as { actions: { MessageCreate: { handle(d: unknown): void } } }).actions.MessageCreate.handle(raw);
  return { channelId, messageId: raw.id };
}

const bodyOf = (r: DiscordRequest | undefined): Record<string, unknown> => (r?.body ?? {}) as Record<string, unknown>;
const edits = (token: string): DiscordRequest[] => rest.webhookMessages(token).filter((r) => r.method === 'PATCH');
const contents = (rs: DiscordRequest[]): string[] => rs.map((r) => {
  const content = bodyOf(r).content;
  return typeof content === 'string' ? content : '';
});

describe('Discord: slash commands defer, then edit', () => {
  it('a private command is deferred ephemerally, then its reply grows as the answer is written, at most one edit per interval', async () => {
    await linkedDiscordUser('710000000000000001');
    const turn = heldTurn();
    const { id, token } = command('portfolio', {}, '710000000000000001');
    const opts = await turn.started.promise;
    const [deferral] = rest.callbacks(id);
    expect(bodyOf(deferral).type, 'deferred before the handler started').toBe(CallbackType.deferReply);
    expect((bodyOf(deferral).data as { flags?: number }).flags, 'ephemeral: private data').toBe(EPHEMERAL);
    expect(opts?.onPartial, 'an ephemeral reply is offered to the handler for streaming').toBeTypeOf('function');

    opts!.onPartial!('Equity');
    await waitFor(() => edits(token).length === 1, 'the first edit');
    opts!.onPartial!('Equity 10,000');
    opts!.onPartial!('Equity 10,000.00 USDT');
    await waitFor(() => clock.pendingTimers() === 1, 'the next edit to wait for its interval');
    expect(edits(token), 'no second edit within the interval').toHaveLength(1);
    expect(clock.fireNext()).toBe(true);
    expect(clock.now(), 'one second after the first edit').toBe(1000);
    await waitFor(() => edits(token).length === 2, 'the coalesced edit');
    opts!.onPartial!('Equity 10,000.00 USDT');
    expect(clock.pendingTimers(), 'unchanged content: no edit scheduled').toBe(0);

    turn.answer.open({ text: 'Equity 10,000.00 USDT (paper)', visibility: 'private' });
    await surface.whenIdle();
    expect(contents(edits(token)), 'the reply was edited in place, ending with the whole answer').toEqual(['Equity', 'Equity 10,000.00 USDT', 'Equity 10,000.00 USDT (paper)']);
    expect(rest.callbacks(id), 'one deferral, no second reply').toHaveLength(1);
  });

  it('a public command is deferred and then edited once with the whole answer: nothing streams where the answer may turn out private', async () => {
    const { id, token } = command('price', { symbol: 'SOL' }, '710000000000000002');
    await surface.whenIdle();
    expect(handler.texts.at(-1)?.opts?.onPartial).toBeUndefined();
    expect(bodyOf(rest.callbacks(id)[0]).type).toBe(CallbackType.deferReply);
    expect(contents(edits(token))).toHaveLength(1);
    expect(contents(edits(token))[0]).toContain('SOL/USDT 142.30');
  });
});

describe('Discord: messages show "typing…" first', () => {
  it('a DM: typing before the work starts, repeated while it goes on, then the answer as a reply', async () => {
    await linkedDiscordUser('720000000000000001');
    const turn = heldTurn();
    const { channelId, messageId } = message('720000000000000001', 'how is my portfolio doing?');
    await turn.started.promise;
    expect(rest.typing(channelId), 'typing reached Discord before the handler started').toHaveLength(1);
    expect(rest.channelMessages(channelId)).toHaveLength(0);
    expect(clock.fireNext(), 'a repeat is scheduled while the turn runs').toBe(true);
    expect(clock.now(), 'Discord shows typing for ~10 s: repeated after 8').toBe(8000);
    await waitFor(() => rest.typing(channelId).length === 2, 'the second typing');
    turn.answer.open({ text: 'Equity 10,000.00 USDT (paper)', visibility: 'private' });
    await surface.whenIdle();
    const [answer] = rest.channelMessages(channelId);
    expect(bodyOf(answer).content).toBe('Equity 10,000.00 USDT (paper)');
    expect(bodyOf(answer).message_reference, 'a reply to the message').toEqual(expect.objectContaining({ message_id: messageId }));
    expect(bodyOf(answer).allowed_mentions).toEqual({ parse: [] });
    const order = rest.requests.filter((r) => r.path.startsWith(`/channels/${channelId}/`)).map((r) => r.path.split('/').pop());
    expect(order, 'typing, typing, then the answer').toEqual(['typing', 'typing', 'messages']);
    expect(clock.pendingTimers(), 'typing stops with the answer').toBe(0);
  });

  it('a DM trade request gets the trade card with buttons', async () => {
    await linkedDiscordUser('720000000000000002');
    const { channelId } = message('720000000000000002', 'buy 1 sol');
    await surface.whenIdle();
    const posted = rest.channelMessages(channelId);
    expect(contents(posted)[1]).toMatch(/^\*\*Trade card — please check\*\*/);
    expect((bodyOf(posted[1]).components as unknown[]).length).toBe(1);
  });

  it('in a server: a mention with a public request is typed and answered in the channel', async () => {
    const before = rest.channelMessages(GUILD_CHANNEL).length;
    const typingBefore = rest.typing(GUILD_CHANNEL).length;
    message('720000000000000003', `<@${APP_ID}> price sol`, { guild: true, mentions: [APP_ID] });
    await surface.whenIdle();
    expect(handler.texts.at(-1)?.text).toBe('price sol');
    expect(handler.texts.at(-1)?.ctx.user.username, 'unlinked people run public requests as the guest').toBe('guest');
    expect(rest.typing(GUILD_CHANNEL).length - typingBefore).toBe(1);
    const posted = rest.channelMessages(GUILD_CHANNEL).slice(before);
    expect(contents(posted)).toHaveLength(1);
    expect(contents(posted)[0]).toContain('SOL/USDT 142.30');
  });

  it('in a server: a private request is answered by DM with a note in the channel; messages not addressed to MIKEY are ignored', async () => {
    await linkedDiscordUser('720000000000000004');
    const handled = handler.texts.length;
    const before = rest.channelMessages(GUILD_CHANNEL).length;
    message('720000000000000004', 'my portfolio is up today', { guild: true });
    await surface.whenIdle();
    expect(handler.texts.length, 'no mention: not for MIKEY').toBe(handled);
    message('720000000000000004', `<@${APP_ID}> portfolio`, { guild: true, mentions: [APP_ID] });
    await surface.whenIdle();
    const dm = rest.channelMessages(`77${'720000000000000004'.slice(-12)}`);
    expect(contents(dm)).toEqual(['Equity 10,000.00 USDT (paper)']);
    const note = contents(rest.channelMessages(GUILD_CHANNEL).slice(before));
    expect(note).toEqual(["That's private, so I've answered you in a DM."]);
  });

  it('an unknown person in a DM is told once how to link; nothing reaches the handler', async () => {
    const handled = handler.texts.length;
    const { channelId } = message('720000000000000005', 'hello?');
    await surface.whenIdle();
    message('720000000000000005', 'hello again?');
    await surface.whenIdle();
    expect(handler.texts.length).toBe(handled);
    expect(contents(rest.channelMessages(channelId))).toEqual([LINK_FIRST]);
    expect(rest.typing(channelId)).toHaveLength(0);
  });
});
