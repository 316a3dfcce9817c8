// A community runs a paper competition end to end in a Telegram group (issue 14), with the real
// telegraf client against the loopback Bot API peer, the real chat handler (offline understanding →
// MCP tools → community service) and the competition scheduler driven on a hand-moved clock:
// the group's creator (an admin by getChatMember) starts "Dec sprint"; three linked members join from
// the group and are answered by DM; the group sees the start push; members trade in their competition
// portfolios by DM (a market outside the competition is refused); a day later the group sees the
// standings, and at the end the results — once, though two instances hear every announcement; then
// /leaderboard in the group shows the members who opted in, with percentages and no balances.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dec } from '../../src/domain/money.js';
import { createChatHandler, type BrainChatHandler } from '../../src/bot/agent/index.js';
import { subscribeCommunityAnnouncements, telegramCommunityChannel, type AnnouncementOutcome, type CommunityAnnouncement } from '../../src/bot/notify/index.js';
import { scaledSenderClock } from '../../src/bot/outbound/index.js';
import { startTelegram, type TelegramSurface } from '../../src/bot/telegram/index.js';
import { competitionEntries, competitions } from '../../src/db/schema/index.js';
import { actorFor } from '../../src/services/actor.js';
import { soleInstance } from '../../src/services/cluster/leases.js';
import { UpdateClaims } from '../../src/services/cluster/update-claims.js';
import { CompetitionScheduler } from '../../src/services/community/competition-scheduler.js';
import { EventBus } from '../../src/services/events.js';
import { createLinkCode, redeemLinkCode } from '../../src/services/link-codes.js';
import { createUser, type User } from '../../src/services/users.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { DAY, HOUR, manualClock, T0 } from '../services/market/support.js';
import { startTelegramPeer, visibleText, type TelegramPeer } from './telegram-peer.js';

const GROUP = -1007001;
const ADMIN = 7001;
const MEMBERS = { ann: 7002, ben: 7003, cal: 7004 } as const;

let peer: TelegramPeer;
let app: TestApp;
let handler: BrainChatHandler;
let surface: TelegramSurface;
let scheduler: CompetitionScheduler;
const clock = manualClock(T0);
/** What each "instance" did with each announcement: this one, and another hearing it over the bridge. */
const outcomes: Array<{ instance: string; key: string; outcome: AnnouncementOutcome }> = [];
const unsubscribe: Array<() => void> = [];

async function linked(telegramId: number, username: string): Promise<User> {
  const user = await createUser(app.services.db, { username });
  const { code } = await createLinkCode(app.services.db, actorFor(user.id, 'cli'));
  await redeemLinkCode(app.services.db, code, { platform: 'telegram', externalUserId: String(telegramId), chatId: String(telegramId) });
  return user;
}

beforeAll(async () => {
  peer = await startTelegramPeer();
  app = await createTestApp({ TELEGRAM_BOT_TOKEN: peer.token, TELEGRAM_API_ROOT: peer.apiRoot }, { clock });
  handler = createChatHandler(app.config, app.services, { mode: 'offline' });
  surface = await startTelegram(app.services, handler, app.config, { senderClock: scaledSenderClock(50), inboundPerMinute: 1000 });
  scheduler = new CompetitionScheduler({ community: app.services.community, events: app.services.events, gate: soleInstance, logger: app.logger });
  const claims = new UpdateClaims(app.services.db, app.services.clock);
  const channels = [telegramCommunityChannel(surface.bot.replies)];
  const record = (instance: string) => (e: CommunityAnnouncement, outcome: AnnouncementOutcome): void => {
    outcomes.push({ instance, key: e.key, outcome });
  };
  unsubscribe.push(subscribeCommunityAnnouncements(app.services.events, { channels, claims, logger: app.logger, onOutcome: record('here') }));
  // A second instance on the same database: it hears this one's events over the bridge and tries too.
  const other = new EventBus(app.logger, { origin: 'instance-b' });
  unsubscribe.push(app.services.events.relay((envelope) => other.receive(envelope)));
  unsubscribe.push(subscribeCommunityAnnouncements(other, { channels, claims, logger: app.logger, onOutcome: record('other') }));
  // The treasury holds the tokens the prize promises.
  const owner = await createUser(app.services.db, { username: 'treasurer', role: 'admin' });
  await app.services.tokens.mint(actorFor(owner.id, 'cli'), { amount: '100000' });
  peer.setChatMember(GROUP, ADMIN, 'creator');
}, 60_000);

afterAll(async () => {
  for (const u of unsubscribe) u();
  await scheduler?.stop();
  await surface?.stop();
  await handler?.close();
  await app?.close();
  await peer?.stop();
});

/** Sends as a person, in the group or in their private chat, and waits until MIKEY has answered. */
async function say(userId: number, text: string, where: 'group' | 'dm', group = GROUP): Promise<void> {
  const client = peer.client({ userId, chatId: where === 'group' ? group : userId, type: where === 'group' ? 'supergroup' : 'private', ...(where === 'group' ? { chatTitle: 'Desk' } : {}) });
  const before = surface.bot.stats().updates;
  if (text.startsWith('/')) await client.sendCommand(client.makeCommand(text));
  else await client.sendMessage(client.makeMessage(text));
  await peer.waitFor(() => surface.bot.stats().updates > before, 10_000, `the bot to receive "${text}"`);
  await surface.whenIdle();
}

const shown = (chatId: number): string[] => peer.botMessages(chatId).map((m) => visibleText(m.text));
const newSince = (chatId: number, n: number): string[] => shown(chatId).slice(n);

/** Runs the scheduler once and waits until both instances have handled what it announced. */
async function tick(): Promise<string[]> {
  const seen = outcomes.length;
  const before = shown(GROUP).length;
  const run = await scheduler.runOnce();
  expect(run.failed, 'no scheduler step failed').toEqual([]);
  await peer.waitFor(() => outcomes.length >= seen + 2 * run.announced, 10_000, 'both instances to handle the announcements');
  await surface.whenIdle();
  return newSince(GROUP, before);
}

describe('a paper competition run end to end in a Telegram group', () => {
  it('runs from the admin\'s start to the results, with the group told only what is public', async () => {
    for (const [name, id] of Object.entries(MEMBERS)) await linked(id, name);
    await linked(ADMIN, 'desk-admin');

    // A member who is not an admin cannot start one; the refusal reaches them by DM.
    await say(MEMBERS.cal, '@TestNameBot start a competition "Rogue cup" for 3 days', 'group');
    expect(shown(MEMBERS.cal).at(-1), 'refused: only a group admin').toMatch(/Only an admin of this group/);
    expect(getChatMemberCalls(MEMBERS.cal), 'the admin status came from Telegram').toBeGreaterThan(0);

    // The group's creator starts one, in the brief's own words.
    const groupBefore = shown(GROUP).length;
    await say(ADMIN, '@TestNameBot start a competition "Dec sprint" for 7 days with 10000 USDT, prize 1000 OMNI, BTC and ETH only', 'group');
    expect(shown(ADMIN).at(-1), 'the admin is answered by DM').toMatch(/Created "Dec sprint"/);
    const [comp] = await app.services.db.select().from(competitions);
    expect(comp, 'one competition, in this group').toMatchObject({ name: 'Dec sprint', platform: 'telegram', communityId: String(GROUP), announceChatId: String(GROUP), markets: ['BTC/USDT', 'ETH/USDT'] });
    expect(dec(comp!.startingCash).eq(10000), 'starting cash as said').toBe(true);
    expect(dec(comp!.prizePool).eq(1000), 'the prize as said').toBe(true);
    expect(comp!.endsAt.getTime() - comp!.startsAt.getTime()).toBe(7 * DAY);
    expect(newSince(GROUP, groupBefore).join('\n'), 'the group only hears that the answer went by DM').toMatch(/sent you the answer in a private chat/);

    // Three linked members join from the group; each gets a fresh portfolio, named in the DM.
    for (const [name, id] of Object.entries(MEMBERS)) {
      await say(id, name === 'ann' ? '/join' : name === 'ben' ? '@TestNameBot join the competition' : '/competition join', 'group');
      expect(shown(id).at(-1), `${name} is told their competition portfolio`).toMatch(/You joined "Dec sprint". Your competition portfolio is "Dec sprint"/);
    }
    expect(await app.services.db.select().from(competitionEntries), 'three entrants').toHaveLength(3);
    expect(shown(GROUP).join('\n'), 'no portfolio or cash in the group').not.toMatch(/portfolio is|10,000/);

    // The scheduler's next pass: the group sees the start push — once, although two instances heard it.
    const started = await tick();
    expect(started, 'one start push').toHaveLength(1);
    expect(started[0]).toMatch(/Dec sprint/);
    expect(outcomes.filter((o) => o.key.endsWith(':start')).map((o) => o.outcome).sort(), 'sent by one instance, claimed away from the other').toEqual(['claimed_elsewhere', 'sent']);

    // Members trade in their competition portfolios by DM; a market the competition does not allow is refused.
    await app.services.portfolio.takeDailySnapshots(clock.now());
    await say(MEMBERS.ann, 'buy $4000 of BTC in Dec sprint', 'dm');
    expect(shown(MEMBERS.ann).join('\n')).toMatch(/BTC\/USDT/);
    await say(MEMBERS.ann, 'yes', 'dm');
    expect(shown(MEMBERS.ann).at(-1), 'ann filled').toMatch(/FILLED buy [\d.]+ BTC\/USDT/);
    await say(MEMBERS.ben, 'buy $3000 of ETH in Dec sprint', 'dm');
    await say(MEMBERS.ben, 'yes', 'dm');
    expect(shown(MEMBERS.ben).at(-1), 'ben filled').toMatch(/FILLED buy [\d.]+ ETH\/USDT/);
    await say(MEMBERS.cal, 'buy $500 of SOL in Dec sprint', 'dm');
    expect(shown(MEMBERS.cal).at(-1), 'SOL is not in the competition').toMatch(/allows only BTC\/USDT, ETH\/USDT/);

    // Two members opt in to the group's leaderboard (from the group; answered by DM); cal does not.
    await say(MEMBERS.ann, '/leaderboard join', 'group');
    expect(shown(MEMBERS.ann).at(-1)).toMatch(/joined this community's leaderboard/);
    await say(MEMBERS.ben, '@TestNameBot add me to the leaderboard', 'group');
    expect(shown(MEMBERS.ben).at(-1)).toMatch(/joined this community's leaderboard/);
    // ann also trades her everyday paper portfolio, which the leaderboard ranks.
    await say(MEMBERS.ann, 'buy $5000 of ETH', 'dm');
    await say(MEMBERS.ann, 'yes', 'dm');
    expect(shown(MEMBERS.ann).at(-1), 'ann filled in her own portfolio').toMatch(/FILLED buy [\d.]+ ETH\/USDT/);

    // A day later: the day's standings in the group, with percentages only.
    clock.advance(DAY);
    await app.services.portfolio.takeDailySnapshots(clock.now());
    const daily = await tick();
    expect(daily, 'one standings push').toHaveLength(1);
    expect(daily[0]).toMatch(/Standings of "Dec sprint"/);
    for (const name of ['ann', 'ben', 'cal']) expect(daily[0]).toMatch(new RegExp(`^\\d\\. ${name} [+\\-−]\\d+\\.\\d\\d%$`, 'm'));
    expect(daily[0], 'no balances in the group').not.toMatch(/\d{1,3},\d{3}(?:\.\d+)?\s*USDT|\bUSDT\s*\d/);

    // The end: the results reach the group once, with ranks and returns, and prizes are promised.
    clock.advance(6 * DAY + HOUR);
    await app.services.portfolio.takeDailySnapshots(clock.now());
    const ended = await tick();
    const end = ended.find((t) => /has ended/.test(t));
    expect(end, `the results push; got ${JSON.stringify(ended)}`).toBeDefined();
    for (const name of ['ann', 'ben', 'cal']) expect(end).toMatch(new RegExp(`^\\d\\. ${name} [+\\-−]\\d+\\.\\d\\d%`, 'm'));
    expect(end, 'no balances in the group').not.toMatch(/\d{1,3},\d{3}(?:\.\d+)?\s*USDT/);
    expect(outcomes.filter((o) => o.key.endsWith(':end')).map((o) => o.outcome).sort()).toEqual(['claimed_elsewhere', 'sent']);
    const finished = (await app.services.db.select().from(competitionEntries)).filter((e) => e.rank !== null);
    expect(finished, 'every entrant ranked once').toHaveLength(3);
    // Another pass announces nothing again.
    expect(await tick(), 'nothing pushed twice').toEqual([]);

    // /leaderboard in the group: answered in the group, opted-in members with percentages, no balances.
    const before = shown(GROUP).length;
    await say(MEMBERS.cal, '/leaderboard', 'group');
    const board = newSince(GROUP, before).join('\n');
    expect(board, 'answered in the group').toMatch(/Leaderboard over the last 30 days \(2 members/);
    expect(board, 'ann ranked by her return').toMatch(/ann\s+[+\-−]\d+\.\d\d%/);
    expect(board, 'ann traded, so her return is not nil').not.toMatch(/ann\s+\+0\.00%/);
    expect(board).toMatch(/ben\s+[+\-−]\d+\.\d\d%/);
    expect(board, 'cal did not opt in').not.toMatch(/\bcal\b/);
    expect(board, 'percentages only, never balances').not.toMatch(/USDT|10,000|OMNI|\d{1,3},\d{3}/);
  });
});

describe('who administers a Telegram group', () => {
  it('is asked of Telegram, remembered for a minute, and a failed answer means "not an admin" without being remembered', async () => {
    const group = -1007002;
    const mod = 7101;
    await linked(mod, 'mod');
    peer.setChatMember(group, mod, { error: 500 });
    await say(mod, '@TestNameBot start a competition "Night owls" for 2 days', 'group', group);
    expect(shown(mod).at(-1), 'Telegram could not say: not an admin').toMatch(/Only an admin of this group/);
    peer.setChatMember(group, mod, 'administrator');
    const asked = getChatMemberCalls(mod);
    await say(mod, '@TestNameBot start a competition "Night owls" for 2 days', 'group', group);
    expect(getChatMemberCalls(mod), 'the failure was not remembered: asked again').toBe(asked + 1);
    expect(shown(mod).at(-1), 'an administrator may').toMatch(/Created "Night owls"/);
    peer.setChatMember(group, mod, 'member');
    await say(mod, '@TestNameBot competitions', 'group', group);
    expect(getChatMemberCalls(mod), 'within the minute the answer is remembered').toBe(asked + 1);
    clock.advance(61_000);
    await say(mod, '@TestNameBot cancel competition Night owls', 'group', group);
    expect(getChatMemberCalls(mod), 'after a minute Telegram is asked again').toBe(asked + 2);
    expect(shown(mod).at(-1), 'no longer an admin').toMatch(/Only an admin of this group/);
  });
});

function getChatMemberCalls(userId: number): number {
  return peer.callsTo('getChatMember').filter((c) => String(c.body.user_id) === String(userId)).length;
}
