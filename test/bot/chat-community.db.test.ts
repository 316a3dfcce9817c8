// The chat handler and a message's community (issue 14), with the real handler (offline
// understanding → in-process MCP → community service): the community and the admin flag reach the
// tools, and are part of the conversation's key — a DM never carries a group's context, and a member
// who becomes an admin is not served by the brain of before; a trade card made for a request from a
// group (answered by DM) is answered in the DM by button or by a typed "yes"; a group's leaderboard
// and standings are public, joining is not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatHandler, type BrainChatHandler } from '../../src/bot/agent/index.js';
import type { ChatContext } from '../../src/bot/chat-types.js';
import { communityMembers, competitions, orders } from '../../src/db/schema/index.js';
import { createUser, type User } from '../../src/services/users.js';
import { createTestApp, type TestApp } from '../support/app.js';

const GROUP = '-1008001';

let app: TestApp;
let handler: BrainChatHandler;
let dora: User;

beforeAll(async () => {
  app = await createTestApp();
  handler = createChatHandler(app.config, app.services, { mode: 'offline' });
  dora = await createUser(app.services.db, { username: 'dora' });
}, 60_000);

afterAll(async () => {
  await handler?.close();
  await app?.close();
});

/** Dora writing in the group (answered in the group when public, else by DM), or in her DM. */
const inGroup = (isAdmin: boolean): ChatContext => ({ platform: 'telegram', user: dora, chatId: GROUP, isGroup: true, community: { communityId: GROUP, isAdmin } });
const fromGroupByDm = (isAdmin: boolean): ChatContext => ({ platform: 'telegram', user: dora, chatId: '8001', isGroup: false, community: { communityId: GROUP, isAdmin } });
const dm = (): ChatContext => ({ platform: 'telegram', user: dora, chatId: '8001', isGroup: false });

describe('the community of a chat message', () => {
  it('reaches the tools from the group, and never from the DM, though the DM chat is the same', async () => {
    const joined = await handler.handleText(fromGroupByDm(false), '/leaderboard join');
    expect(joined.text).toMatch(/joined this community's leaderboard/);
    const rows = await app.services.db.select().from(communityMembers);
    expect(rows.map((r) => [r.platform, r.communityId, r.userId]), 'joined that group').toEqual([['telegram', GROUP, dora.id]]);
    const fromDm = await handler.handleText(dm(), '/leaderboard leave');
    expect(fromDm.text, 'the plain DM knows no group').not.toMatch(/You left/);
    expect(await app.services.db.select().from(communityMembers), 'still a member: the DM had no community').toHaveLength(1);
  });

  it('keys the conversation by the admin flag: a member refused, then the same person as an admin allowed', async () => {
    const asMember = await handler.handleText(fromGroupByDm(false), 'start a competition "Spring cup" for 3 days');
    expect(asMember.text).toMatch(/Only an admin of this group/);
    const asAdmin = await handler.handleText(fromGroupByDm(true), 'start a competition "Spring cup" for 3 days');
    expect(asAdmin.text).toMatch(/Created "Spring cup"/);
    const again = await handler.handleText(fromGroupByDm(false), 'cancel competition Spring cup');
    expect(again.text, 'the admin brain is not reused for the member').toMatch(/Only an admin of this group/);
    const [c] = await app.services.db.select().from(competitions);
    expect(c).toMatchObject({ name: 'Spring cup', status: 'running', communityId: GROUP, announceChatId: GROUP });
  });

  it('answers a group\'s leaderboard and standings in public, joining in private', async () => {
    expect(handler.isPublicRequest('/leaderboard')).toBe(true);
    expect(handler.isPublicRequest('standings')).toBe(true);
    expect(handler.isPublicRequest('competitions')).toBe(true);
    // The group's shared watchlist is the group's; sharing or following one is a member's own act.
    expect(handler.isPublicRequest('group wallets')).toBe(true);
    expect(handler.isPublicRequest('share 0x1111111111111111111111111111111111111111 with the group')).toBe(false);
    expect(handler.isPublicRequest('/join')).toBe(false);
    expect(handler.isPublicRequest('/leaderboard join')).toBe(false);
    const board = await handler.handleText(inGroup(false), '/leaderboard');
    expect(board.visibility).toBe('public');
    expect(board.text).toMatch(/Leaderboard over the last 30 days/);
    const standings = await handler.handleText(inGroup(false), 'standings');
    expect(standings.visibility).toBe('public');
    expect(standings.text).toMatch(/Spring cup/);
    const joined = await handler.handleText(fromGroupByDm(false), '/join');
    expect(joined.visibility, 'the entrant\'s portfolio is private').toBe('private');
    expect(joined.text).toMatch(/Your competition portfolio is "Spring cup"/);
  });

  it('takes a trade card made for a group request to its answer in the DM: by button, and by a typed yes', async () => {
    const card = await handler.handleText(fromGroupByDm(false), 'buy $100 of BTC');
    expect(card.confirmation, 'a trade card').toBeDefined();
    const pressed = await handler.handleConfirmation(dm(), card.confirmation!.token, 'yes');
    expect(pressed.text, 'the button in the DM reaches the card').toMatch(/FILLED buy/);
    const second = await handler.handleText(fromGroupByDm(false), 'buy $50 of ETH');
    expect(second.confirmation).toBeDefined();
    const typed = await handler.handleText(dm(), 'yes');
    expect(typed.text, 'a typed yes in the DM reaches the card').toMatch(/FILLED buy/);
    expect((await app.services.db.select().from(orders)).filter((o) => o.status === 'filled'), 'two orders, each once').toHaveLength(2);
  });
});
