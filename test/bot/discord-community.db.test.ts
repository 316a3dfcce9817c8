// Communities on Discord (issue 14), with real discord.js interaction and message instances against
// the fake Discord API on loopback: a slash command or a mention in a server carries the server as
// the community and Manage Server as admin — ephemeral or not — while a DM carries none; /leaderboard
// and /competition turn their options into the phrases the understanding reads (showing is public,
// joining / starting / cancelling ephemeral); a competition push goes to the server channel once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDiscord, type DiscordSurface } from '../../src/bot/discord/index.js';
import { competitionText } from '../../src/bot/discord/commands/competition.js';
import { leaderboardText } from '../../src/bot/discord/commands/leaderboard.js';
import { deliverAnnouncement, discordCommunityChannel, type AnnouncementOutcome } from '../../src/bot/notify/index.js';
import { understand } from '../../src/bot/nlu/index.js';
import { actorFor } from '../../src/services/actor.js';
import { UpdateClaims } from '../../src/services/cluster/update-claims.js';
import { createLinkCode, redeemLinkCode } from '../../src/services/link-codes.js';
import { createUser, type User } from '../../src/services/users.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { startFakeDiscordRest, type DiscordRequest, type FakeDiscordRest } from '../fakes/discord-rest-server.js';
import { ScriptedHandler } from './telegram-support.js';

const APP_ID = '111111111111111111';
const GUILD_ID = '333333333333333333';
const CHANNEL = '444444444444444444';
const MOD_ROLE = '222222222222222229';
const TOKEN = 'discord-test-token.abcdefghijklmnopqrstuvwxyz';
const EPHEMERAL = 64;
/** Discord's Manage Server permission bit. */
const MANAGE_GUILD = '32';

let rest: FakeDiscordRest;
let app: TestApp;
let handler: ScriptedHandler;
let surface: DiscordSurface;
let seq = 6_000_000_000_000_000n;
const nextId = (): string => String(seq++);

beforeAll(async () => {
  rest = await startFakeDiscordRest();
  app = await createTestApp({ DISCORD_TOKEN: TOKEN, DISCORD_APP_ID: APP_ID, DISCORD_API_ROOT: rest.apiRoot, DISCORD_GUILD_ID: GUILD_ID });
  handler = new ScriptedHandler();
  surface = await startDiscord(app.services, handler, app.config, { login: false, inboundPerMinute: 1000 });
  // The server as the gateway's GUILD_CREATE caches it: @everyone without Manage Server, a moderator role with it.
  (surface.client.guilds as unknown as { _add(d: unknown): unknown })._add({
    id: GUILD_ID, name: 'Desk', unavailable: false, features: [], emojis: [], stickers: [], members: [], owner_id: '100000000000000000',
    roles: [
      { id: GUILD_ID, name: '@everyone', permissions: '1024', position: 0, color: 0, hoist: false, managed: false, mentionable: false, flags: 0 },
      { id: MOD_ROLE, name: 'mods', permissions: MANAGE_GUILD, position: 1, color: 0, hoist: false, managed: false, mentionable: false, flags: 0 },
    ],
    channels: [{ id: CHANNEL, type: 0, name: 'trading', guild_id: GUILD_ID }],
  });
});

afterAll(async () => {
  await surface?.stop();
  await app?.close();
  await rest?.stop();
});

function discordUser(id: string): Record<string, unknown> {
  return { id, username: `user${id.slice(-4)}`, discriminator: '0', avatar: null, global_name: `User ${id.slice(-4)}` };
}

async function linkedDiscordUser(discordId: string): Promise<User> {
  const user = await createUser(app.services.db, { username: `dcc-user-${discordId}` });
  const { code } = await createLinkCode(app.services.db, actorFor(user.id, 'cli'));
  await redeemLinkCode(app.services.db, code, { platform: 'discord', externalUserId: discordId });
  return user;
}

interface Who {
  userId: string;
  guild?: boolean;
  /** The member's permissions in the channel, as Discord computes them for an interaction. */
  permissions?: string;
}

/** A slash command as the gateway delivers it; `options` are the command's (or a subcommand's, given `sub`). */
async function command(name: string, who: Who, options: Array<{ name: string; type: number; value: unknown }> = [], sub?: string): Promise<{ id: string; token: string }> {
  const inGuild = who.guild ?? true;
  const channelId = inGuild ? CHANNEL : `55${who.userId.slice(-16)}`;
  const raw = {
    id: nextId(), application_id: APP_ID, type: 2, token: `itok-${nextId()}`, version: 1,
    data: { id: nextId(), name, type: 1, options: sub ? [{ name: sub, type: 1, options }] : options },
    channel_id: channelId,
    channel: inGuild ? { id: channelId, type: 0, guild_id: GUILD_ID, name: 'trading' } : { id: channelId, type: 1, recipients: [discordUser(who.userId)] },
    ...(inGuild
      ? { guild_id: GUILD_ID, member: { user: discordUser(who.userId), roles: [], joined_at: '2024-01-01T00:00:00.000Z', deaf: false, mute: false, flags: 0, permissions: who.permissions ?? '0' } }
      : { user: discordUser(who.userId) }),
    locale: 'en-US', app_permissions: '0', entitlements: [], authorizing_integration_owners: {}, context: inGuild ? 0 : 1, attachment_size_limit: 8_388_608,
  };
  (surface.client as unknown as { actions: { InteractionCreate: { handle(d: unknown): void } } }).actions.InteractionCreate.handle(raw);
  await surface.whenIdle();
  return { id: raw.id, token: raw.token };
}

/** A server message mentioning the bot, from a member with `roles`. */
async function mention(userId: string, content: string, roles: string[]): Promise<void> {
  const raw = {
    id: nextId(), channel_id: CHANNEL, author: discordUser(userId), content: `<@${APP_ID}> ${content}`, timestamp: new Date().toISOString(), edited_timestamp: null,
    tts: false, mention_everyone: false, mentions: [discordUser(APP_ID)], mention_roles: [], attachments: [], embeds: [], pinned: false, type: 0, flags: 0, components: [],
    guild_id: GUILD_ID, member: { roles, joined_at: '2024-01-01T00:00:00.000Z', deaf: false, mute: false, flags: 0 },
  };
  (surface.client as unknown as { actions: { MessageCreate: { handle(d: unknown): void } } }).actions.MessageCreate.handle(raw);
  await surface.whenIdle();
}

const bodyOf = (r: DiscordRequest | undefined): Record<string, unknown> => (r?.body ?? {}) as Record<string, unknown>;
const callbackData = (r: DiscordRequest | undefined): Record<string, unknown> => (bodyOf(r).data ?? {}) as Record<string, unknown>;
const lastCall = (): ScriptedHandler['texts'][number] => handler.texts.at(-1)!;

describe('Discord: the community a request comes from', () => {
  it('/leaderboard in a server: the server is the community, Manage Server makes an admin, and the answer is public', async () => {
    await linkedDiscordUser('620000000000000001');
    const { id } = await command('leaderboard', { userId: '620000000000000001', permissions: MANAGE_GUILD });
    expect(callbackData(rest.callbacks(id)[0]).flags ?? 0, 'showing the leaderboard is public').toBe(0);
    expect(lastCall().text).toBe('/leaderboard');
    expect(lastCall().ctx.community).toEqual({ communityId: GUILD_ID, isAdmin: true, chatId: CHANNEL });

    await linkedDiscordUser('620000000000000002');
    await command('leaderboard', { userId: '620000000000000002', permissions: '1024' }, [{ name: 'period', type: 3, value: '7d' }]);
    expect(lastCall().text).toBe('/leaderboard 7d');
    expect(lastCall().ctx.community, 'without Manage Server: a member').toEqual({ communityId: GUILD_ID, isAdmin: false, chatId: CHANNEL });
  });

  it('joining and starting are ephemeral but still carry the community', async () => {
    const { id } = await command('leaderboard', { userId: '620000000000000001', permissions: '0' }, [{ name: 'action', type: 3, value: 'join' }, { name: 'live', type: 5, value: true }]);
    expect(callbackData(rest.callbacks(id)[0]).flags, 'joining is the person\'s own').toBe(EPHEMERAL);
    expect(lastCall().text).toBe('/leaderboard join live');
    expect(lastCall().ctx).toEqual(expect.objectContaining({ isGroup: false, community: { communityId: GUILD_ID, isAdmin: false, chatId: CHANNEL } }));

    const start = await command('competition', { userId: '620000000000000001', permissions: MANAGE_GUILD }, [
      { name: 'name', type: 3, value: 'Dec sprint' }, { name: 'days', type: 4, value: 7 }, { name: 'cash', type: 3, value: '10000' }, { name: 'prize', type: 3, value: '1000' }, { name: 'markets', type: 3, value: 'BTC, eth' },
    ], 'start');
    expect(callbackData(rest.callbacks(start.id)[0]).flags).toBe(EPHEMERAL);
    expect(lastCall().ctx.community).toEqual({ communityId: GUILD_ID, isAdmin: true, chatId: CHANNEL });
    expect(understand(lastCall().text), 'the command reads as the tool call it stands for').toMatchObject({
      kind: 'tool', tool: 'create-competition', args: { name: 'Dec sprint', durationDays: 7, startingCash: '10000', quoteAsset: 'USDT', prizePool: '1000', markets: ['BTC/USDT', 'ETH/USDT'] },
    });

    const standings = await command('competition', { userId: '620000000000000001' }, [], 'standings');
    expect(callbackData(rest.callbacks(standings.id)[0]).flags ?? 0, 'standings are public').toBe(0);
    expect(lastCall().text).toBe('/competition');
  });

  it('a DM carries no community', async () => {
    await command('leaderboard', { userId: '620000000000000001', guild: false });
    expect(lastCall().ctx.isGroup).toBe(false);
    expect(lastCall().ctx.community, 'a DM is nobody\'s group').toBeUndefined();
  });

  it('a mention in a server channel carries the community; a member with a Manage Server role is an admin', async () => {
    await linkedDiscordUser('620000000000000003');
    await mention('620000000000000003', 'join the competition', [MOD_ROLE]);
    expect(lastCall().text).toBe('join the competition');
    expect(lastCall().ctx).toEqual(expect.objectContaining({ chatId: 'dm:620000000000000003', community: { communityId: GUILD_ID, isAdmin: true, chatId: CHANNEL } }));
    await mention('620000000000000003', 'join the competition', []);
    expect(lastCall().ctx.community, 'no role with Manage Server: a member').toEqual({ communityId: GUILD_ID, isAdmin: false, chatId: CHANNEL });
  });

  it('refuses malformed competition options before the handler sees them', async () => {
    const handled = handler.texts.length;
    const { id } = await command('competition', { userId: '620000000000000001', permissions: MANAGE_GUILD }, [{ name: 'name', type: 3, value: 'Dec "sprint"' }], 'start');
    expect(String(callbackData(rest.callbacks(id)[0]).content)).toMatch(/without double quotes/);
    expect(handler.texts.length).toBe(handled);
    expect(competitionText('start', 'X', null, { name: 'X', days: null, cash: 'lots', prize: null, markets: null })).toEqual({ error: expect.stringMatching(/positive number/) });
    expect(leaderboardText('show', '1y', null)).toEqual({ error: expect.stringMatching(/7d, 30d, 90d or all/) });
  });
});

describe('Discord: a competition push to the server channel', () => {
  it('is posted in the channel once, however many instances hear it', async () => {
    const channel = discordCommunityChannel(surface.client, surface.sender);
    const claims = new UpdateClaims(app.services.db, app.services.clock);
    const event = { type: 'community.announcement' as const, platform: 'discord' as const, chatId: CHANNEL, text: 'The competition "Dec sprint" has started.', key: 'competition:test-discord:start' };
    const before = rest.channelMessages(CHANNEL).length;
    const results: AnnouncementOutcome[] = await Promise.all([1, 2, 3].map(() => deliverAnnouncement(event, { channels: [channel], claims, logger: app.logger })));
    await surface.sender.drain();
    expect(results.sort(), 'one sends, the others find it claimed').toEqual(['claimed_elsewhere', 'claimed_elsewhere', 'sent']);
    const posted = rest.channelMessages(CHANNEL).slice(before);
    expect(posted).toHaveLength(1);
    expect(bodyOf(posted[0]).content).toBe('The competition "Dec sprint" has started.');
    expect(bodyOf(posted[0]).allowed_mentions, 'nobody is pinged').toEqual({ parse: [] });
    expect(await deliverAnnouncement({ ...event, platform: 'telegram' }, { channels: [channel], claims, logger: app.logger }), 'a Telegram push is not for this surface').toBe('no_channel');
  });
});
