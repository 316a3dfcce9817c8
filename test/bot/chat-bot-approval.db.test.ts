// A bot approved in the offline chat (issue 11: "a bot can be started from it"). create-bot, or
// "start bot X", shows a stopped paper bot's card with Confirm / Cancel; the person's own "yes" (or
// the card's button) runs start-bot with approve: true — the standing approval of those limits —
// and the bot then trades on the next closed candle. "no", anything else, an old button or another
// person's press starts nothing. A running, paused or live bot is not offered.
import { eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatHandler, type BrainChatHandler } from '../../src/bot/agent/index.js';
import { Confirmations, whyNotOffered } from '../../src/bot/agent/confirmation.js';
import type { ToolOutcome } from '../../src/bot/agent/tool-results.js';
import type { ChatContext, ChatReply } from '../../src/bot/chat-types.js';
import { bots, orders } from '../../src/db/schema/index.js';
import { cardContent } from '../../src/bot/discord/render.js';
import { renderConfirmationCard } from '../../src/bot/telegram/render.js';
import { BotRunner } from '../../src/services/bots/bot-runner.js';
import { readBotConfig } from '../../src/services/bots/bot-config.js';
import { createUser, type User } from '../../src/services/users.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { manualClock, type ManualClock } from '../services/market/support.js';

const HOUR = 3_600_000;
/** Half a minute past the hour: the hour's candle is forming. */
const START = Date.UTC(2025, 2, 3, 12, 0, 30);

let app: TestApp;
let clock: ManualClock;
let handler: BrainChatHandler;

beforeAll(async () => {
  clock = manualClock(START);
  app = await createTestApp({ MIKEY_MARKET: 'sim' }, { clock });
  handler = createChatHandler(app.config, app.services, { mode: 'offline' });
}, 60_000);

afterAll(async () => {
  await handler?.close();
  await app?.close();
});

async function trader(name: string): Promise<{ user: User; ctx: ChatContext }> {
  const user = await createUser(app.database.db, { username: name });
  await app.services.portfolio.ensureDefaultPortfolio(user.id);
  return { user, ctx: { platform: 'terminal', user, chatId: `chat-${name}`, isGroup: false } };
}

async function botsOf(user: User): Promise<Array<typeof bots.$inferSelect>> {
  return app.database.db.select().from(bots).where(eq(bots.userId, user.id)).orderBy(bots.createdAt);
}

async function botOrders(botId: string): Promise<Array<typeof orders.$inferSelect>> {
  return app.database.db.select().from(orders).where(like(orders.clientOrderId, `bot:${botId.slice(0, 8)}:%`));
}

const CREATE = 'start a dca bot on btc $100 every hour with max 150 per order and 1000 per day';

/** The card a reply offers: its text is clean, its token answers it. */
function offered(r: ChatReply): { token: string; cardText: string } {
  expect(r.confirmation, `a card to approve, in: ${r.text}`).toBeDefined();
  const card = r.confirmation!;
  expect(card.cardText, 'what a person reads: no tool wording, JSON or marks').not.toMatch(/start-bot|approve: true|[{}]|untrusted/);
  expect(r.text).toMatch(/Here is the bot card: approve and start bot “[^”]+” \([0-9a-f]{8}\)\.$/);
  expect(card.kind, 'the surfaces head it as a bot card').toBe('bot');
  return { token: card.token, cardText: card.cardText };
}

describe('a bot approved in the offline chat', () => {
  it('a backtest, a bot from it, "yes": the bot runs under that approval and places its first order when the candle closes', async () => {
    const { user, ctx } = await trader('approvechat1');
    const bt = await handler.handleText(ctx, 'backtest dca on btc $100 every hour over the last 7 days');
    expect(bt.text).toMatch(/^Backtest of dca on BTC\/USDT 1h/m);
    expect(bt.confirmation, 'a backtest is no card').toBeUndefined();

    const created = await handler.handleText(ctx, 'start a bot from my last backtest with max 150 per order and 1000 per day');
    const card = offered(created);
    expect(card.cardText).toContain('• Most per order: 150 USDT; most per UTC day: 1000 USDT');
    expect(card.cardText).toContain('• Parameters: quoteAmount 100, every 1');
    expect(card.cardText).toMatch(/Portfolio: ".+" \(paper\)/);
    const [row] = await botsOf(user);
    expect(row?.status, 'created stopped: the card waits').toBe('stopped');

    const yes = await handler.handleText(ctx, 'yes');
    expect(yes.confirmation).toBeUndefined();
    expect(yes.text).toMatch(/^Bot ".+" is running\. It places orders of at most 150 and at most 1000 a day without asking you\./);
    const started = (await botsOf(user))[0]!;
    expect(started.status).toBe('running');
    const approval = readBotConfig(started.config).approval;
    expect(approval, 'the owner\'s standing approval of exactly those limits').toMatchObject({ approvedBy: user.id, limits: { maxOrderNotional: '150', maxDailyNotional: '1000' } });
    expect(await botOrders(started.id), 'nothing has closed since the approval').toHaveLength(0);

    const s = app.services;
    const runner = new BotRunner({ db: s.db, clock: s.clock, logger: s.logger, market: s.market, portfolios: s.portfolio, trading: s.trading });
    clock.set(START + HOUR);
    expect(await runner.runBot(started.id)).toMatchObject({ candles: 1, placed: 1 });
    const placed = await botOrders(started.id);
    expect(placed.map((o) => [o.side, o.orderType, o.status, o.quoteQuantity])).toEqual([['buy', 'market', 'filled', '100.000000000000000000']]);
    clock.set(START);
  }, 60_000);

  it('"no" leaves the bot stopped, and a later "yes" starts nothing', async () => {
    const { user, ctx } = await trader('approvechat2');
    offered(await handler.handleText(ctx, CREATE));
    const no = await handler.handleText(ctx, 'no');
    expect(no.text).toMatch(/^Cancelled — nothing was started \(approve and start bot “DCA BTC\/USDT” \([0-9a-f]{8}\)\)\.$/);
    expect((await handler.handleText(ctx, 'yes')).text).toBe('There is nothing waiting for your confirmation.');
    expect((await botsOf(user)).map((b) => b.status)).toEqual(['stopped']);
  });

  it('any other message drops the card first: the "yes" after it starts nothing', async () => {
    const { user, ctx } = await trader('approvechat3');
    offered(await handler.handleText(ctx, CREATE));
    const other = await handler.handleText(ctx, 'my balance');
    expect(other.text).toMatch(/^Cancelled the bot card \(approve and start bot “DCA BTC\/USDT” \([0-9a-f]{8}\)\); nothing was started\./);
    expect((await handler.handleText(ctx, 'yes')).text).toBe('There is nothing waiting for your confirmation.');
    expect((await botsOf(user)).map((b) => b.status)).toEqual(['stopped']);
  });

  it('"start bot X" offers a stopped bot\'s card; its button starts it; a running or paused bot is not offered again', async () => {
    const { user, ctx } = await trader('approvechat4');
    offered(await handler.handleText(ctx, CREATE));
    await handler.handleText(ctx, 'no');
    const id = (await botsOf(user))[0]!.id.slice(0, 8);

    const card = offered(await handler.handleText(ctx, `start bot ${id}`));
    expect(card.cardText, 'the bot\'s own card').toContain(`Bot "DCA BTC/USDT" (${id})`);
    expect((await botsOf(user))[0]!.status, 'asking to start shows the card; nothing starts yet').toBe('stopped');
    const pressed = await handler.handleConfirmation(ctx, card.token, 'yes');
    expect(pressed.text).toMatch(/^Bot "DCA BTC\/USDT" is running\./);
    expect((await botsOf(user))[0]!.status).toBe('running');

    const again = await handler.handleText(ctx, `start bot ${id}`);
    expect(again.confirmation).toBeUndefined();
    expect(again.text).toMatch(/^It is already running\.\n\n/);
    expect((await handler.handleText(ctx, `pause bot ${id}`)).text).toMatch(/is paused/);
    const paused = await handler.handleText(ctx, `start bot ${id}`);
    expect(paused.confirmation).toBeUndefined();
    expect(paused.text).toMatch(new RegExp(`^It is paused under its approval: say “resume bot ${id}” to go on\\.`));
    expect((await botsOf(user))[0]!.status).toBe('paused');
  });

  it('an old card\'s button and another person\'s press start nothing', async () => {
    const { user, ctx } = await trader('approvechat5');
    const first = offered(await handler.handleText(ctx, CREATE));
    const second = offered(await handler.handleText(ctx, CREATE.replace('150 per order', '120 per order')));
    expect(second.token).not.toBe(first.token);
    const old = await handler.handleConfirmation(ctx, first.token, 'yes');
    expect(old.text).toMatch(/^That button belongs to an older card; nothing was done\. The current bot card \(approve and start bot .+\) is still waiting\.$/);

    const { ctx: other } = await trader('approvechat5b');
    const foreign = await handler.handleConfirmation({ ...other, chatId: ctx.chatId }, second.token, 'yes');
    expect(foreign.text, 'another person has no card waiting').toBe('That bot card was already answered or has expired; nothing was started.');
    expect((await botsOf(user)).map((b) => b.status)).toEqual(['stopped', 'stopped']);

    expect((await handler.handleConfirmation(ctx, second.token, 'yes')).text).toMatch(/is running/);
    const rows = await botsOf(user);
    expect(rows.map((b) => [b.status, readBotConfig(b.config).limits.maxOrderNotional])).toEqual([['stopped', '150'], ['running', '120']]);
  });
});

describe('which bot results are offered', () => {
  const outcome = (name: string, bot: Record<string, unknown>, card?: Record<string, unknown>): ToolOutcome => ({
    name, args: {}, isError: false, text: `Bot "x" (3f2a9c1e) card`, images: [], structured: { bot, ...(card ? { card } : {}) }, ms: 0,
  });

  it('only a stopped bot on a paper portfolio; a live bot is approved at the terminal', () => {
    const c = new Confirmations(app.services.clock);
    const bot = { id: '3f2a9c1e-0000-4000-8000-000000000000', shortId: '3f2a9c1e', name: 'x', status: 'stopped' };
    const live = outcome('create-bot', bot, { tradingMode: 'live' });
    expect(c.capture(live), 'a live bot is never offered').toBeUndefined();
    expect(whyNotOffered(live)).toBe('This bot trades a live portfolio: its approval is typed at the terminal, where you type its name back (npx mikey bot approve-live 3f2a9c1e).');
    expect(c.capture(outcome('get-bot', { ...bot, card: { tradingMode: 'paper' } })), 'get-bot only when asked to start').toBeUndefined();
    expect(c.capture(outcome('get-bot', { ...bot, status: 'running', card: { tradingMode: 'paper' } }), { offerStart: true })).toBeUndefined();
    const p = c.capture(outcome('get-bot', { ...bot, card: { tradingMode: 'paper' } }), { offerStart: true });
    expect(p).toMatchObject({ tool: 'start-bot', args: { botId: bot.id, approve: true }, summary: 'approve and start bot “x” (3f2a9c1e)' });
    const at = new Date(START);
    expect(renderConfirmationCard('card', new Date(START + 60_000), at, 'bot')).toMatch(/^<b>Bot card — approve its limits<\/b>/);
    expect(renderConfirmationCard('card', new Date(START + 60_000), at)).toMatch(/^<b>Trade card — please check<\/b>/);
    expect(cardContent({ token: 't', cardText: 'card', expiresAt: new Date(START + 60_000), kind: 'bot' }, at)).toMatch(/^\*\*Bot card — approve its limits\*\*/);
    // Started by other means (the model, asked by the person): the card no longer waits.
    c.capture(outcome('start-bot', { ...bot, status: 'running' }));
    expect(c.pending()).toBeUndefined();
  });
});
