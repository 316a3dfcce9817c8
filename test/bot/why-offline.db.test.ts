// "Why did you buy …?" without a model (issue 16.2), end to end as every chat surface gets it: orders
// placed through the conversation handler (offline understanding → in-process MCP client → MIKEY's
// real tools → services → paper broker) carry the person's own words, the surface and the card they
// confirmed; asking why then finds the newest matching order and answers in a few clean lines.
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatHandler, type BrainChatHandler } from '../../src/bot/agent/index.js';
import type { ChatContext, ChatPlatformName, ChatReply } from '../../src/bot/chat-types.js';
import { understand } from '../../src/bot/nlu/index.js';
import { connectInProcess } from '../../src/mcp/in-process.js';
import { CATALOGUE } from '../../src/tools/index.js';
import { auditLogs } from '../../src/db/schema/index.js';
import { createUser, type User } from '../../src/services/users.js';
import { createTestApp, type TestApp } from '../support/app.js';

let app: TestApp;
let handler: BrainChatHandler;

beforeAll(async () => {
  app = await createTestApp();
  handler = createChatHandler(app.config, app.services, { mode: 'offline' });
});

afterAll(async () => {
  await handler?.close();
  await app?.close();
});

async function trader(name: string, platform: ChatPlatformName = 'terminal'): Promise<{ user: User; ctx: ChatContext }> {
  const user = await createUser(app.database.db, { username: name });
  await app.services.portfolio.ensureDefaultPortfolio(user.id);
  return { user, ctx: { platform, user, chatId: `chat-${name}`, isGroup: false } };
}

function expectClean(r: ChatReply, what: string): void {
  expect(r.text, `${what}: no <untrusted-data> marks for people`).not.toMatch(/untrusted-data|‹|›/);
  expect(r.text, `${what}: no JSON for people`).not.toMatch(/[{}[\]]|"\w+":/);
  expect(r.text, `${what}: no stack traces`).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  expect(r.text.split('\n').length, `${what}: a short answer, not the audit timeline`).toBeLessThanOrEqual(6);
}

/** Places an order through the chat as a person does: the message, then "yes" on the card. */
async function trade(ctx: ChatContext, words: string): Promise<void> {
  const card = await handler.handleText(ctx, words);
  expect(card.confirmation, `“${words}” gets a trade card`).toBeDefined();
  const done = await handler.handleConfirmation(ctx, card.confirmation!.token, 'yes');
  expect(done.text, `“${words}” is placed`).toMatch(/Bought|Sold|placed|resting|open/i);
}

async function placedContext(orderId: string): Promise<Record<string, unknown> | undefined> {
  const [row] = await app.database.db
    .select({ metadata: auditLogs.metadata })
    .from(auditLogs)
    .where(and(eq(auditLogs.entityId, orderId), eq(auditLogs.action, 'order.place')));
  return row?.metadata as Record<string, unknown> | undefined;
}

describe('the understanding of “why …?”', () => {
  it.each([
    ['why did you buy SOL?', { side: 'buy', base: 'SOL' }],
    ['why did you sell my eth', { side: 'sell', base: 'ETH' }],
    ['why was that order placed', {}],
    ['explain my last trade', { filled: true }],
    ['why did my btc stop trigger', { base: 'BTC', exitRole: 'stop_loss' }],
    ["why'd you ape into pepe", { side: 'buy', base: 'PEPE' }],
    ['how come you shorted btc', { side: 'sell', base: 'BTC' }],
    ['what made you sell sol?', { side: 'sell', base: 'SOL' }],
    ['why did my take profit on eth fill', { base: 'ETH', exitRole: 'take_profit', filled: true }],
  ] as const)('“%s” asks to explain the newest matching order', (text, match) => {
    const intent = understand(text);
    expect(intent.kind === 'explain' ? intent.match : intent, `“${text}” is an explain request for ${JSON.stringify(match)}`).toEqual(match);
  });

  it.each(['why is btc dumping', 'why is my portfolio down', 'should i buy sol', 'buy sol'])('“%s” is not one', (text) => {
    expect(understand(text).kind, `“${text}” is something else`).not.toBe('explain');
  });

  it('an order named by its id keeps going to explain-order with that id', () => {
    expect(understand('why was order 950add53 placed')).toMatchObject({ kind: 'tool', tool: 'explain-order', args: { orderId: '950add53' } });
  });
});

describe('why did you buy … (offline, real state)', () => {
  it('“why did you buy SOL?” answers with what, when, from where, the person’s words, the card, the checks and the fills', async () => {
    const { ctx } = await trader('why-sol', 'telegram');
    await trade({ ...ctx, messageId: '4711' }, 'buy $100 of SOL, looks ready to run');
    const r = await handler.handleText(ctx, 'why did you buy SOL?');
    expectClean(r, 'the why answer');
    const [what, because, confirmed, checks, fills] = r.text.split('\n');
    expect(what, 'first what was bought, with the order and when and where').toMatch(/^Bought [\d.]+ SOL\/USDT \(market, order [0-9a-f]{8}\), placed \d{4}-\d\d-\d\d \d\d:\d\d UTC from Telegram\.$/);
    expect(because, 'then the person’s own words, quoted').toBe('Because you wrote: “buy $100 of SOL, looks ready to run”.');
    expect(confirmed, 'then that they confirmed the card').toMatch(/^You confirmed it on the trade card at \d\d:\d\d UTC\.$/);
    expect(checks, 'then the risk checks').toMatch(/^Risk checks: all \d+ passed\.$/);
    expect(fills, 'then the fills').toMatch(/^Filled [\d.]+ at [\d.]+ \(fee [\d.]+ USDT\); now filled\.$/);
    expect(r.visibility, 'an order is the person’s own data').toBe('private');
  });

  it('stores the surface, the person’s words and the message id with the order', async () => {
    const { user, ctx } = await trader('why-context', 'discord');
    await trade({ ...ctx, messageId: 'm-123' }, '  buy   0.5 sol  ');
    const [order] = (await app.services.trading.getOrders({ userId: user.id, surface: 'discord', traceId: 't' }, { status: 'all' })).orders;
    const meta = await placedContext(order!.id);
    expect(meta, 'the place row names the surface, the token confirmation and the context').toMatchObject({
      surface: 'discord',
      confirmed: 'token',
      context: { reason: 'the person wrote: "buy 0.5 sol"', messageId: 'm-123' },
    });
  });

  it('“why did you sell my eth” finds the sell, not the buy before it', async () => {
    const { ctx } = await trader('why-eth');
    await trade(ctx, 'buy 0.5 eth');
    await trade(ctx, 'sell 0.2 eth, taking some off');
    await trade(ctx, 'buy $50 of sol');
    const r = await handler.handleText(ctx, 'why did you sell my eth');
    expectClean(r, 'the why answer');
    expect(r.text, 'the sell of ETH is explained').toMatch(/^Sold 0\.2 ETH\/USDT \(market/);
    expect(r.text, 'with the words that asked for it').toContain('Because you wrote: “sell 0.2 eth, taking some off”.');
    expect(r.text, 'from the terminal').toMatch(/from the terminal\./);
  });

  it('“why was that order placed” and “explain my last trade” take the newest order', async () => {
    const { ctx } = await trader('why-last');
    await trade(ctx, 'buy 0.01 btc');
    await trade(ctx, 'buy 0.3 eth');
    const that = await handler.handleText(ctx, 'why was that order placed');
    expect(that.text, 'the newest order').toMatch(/^Bought 0\.3 ETH\/USDT/);
    expect(that.text).toContain('Because you wrote: “buy 0.3 eth”.');
    const last = await handler.handleText(ctx, 'explain my last trade');
    expect(last.text, 'the newest filled order').toMatch(/^Bought 0\.3 ETH\/USDT/);
    expectClean(last, 'the last trade');
  });

  it('an order by its id prefix is answered in the same short form', async () => {
    const { user, ctx } = await trader('why-id');
    await trade(ctx, 'buy 0.02 btc');
    const [order] = (await app.services.trading.getOrders({ userId: user.id, surface: 'terminal', traceId: 't' }, { status: 'all' })).orders;
    const r = await handler.handleText(ctx, `why was order ${order!.id.slice(0, 8)} placed`);
    expectClean(r, 'the answer by id');
    expect(r.text).toMatch(new RegExp(`^Bought 0\\.02 BTC/USDT \\(market, order ${order!.id.slice(0, 8)}\\)`));
    expect(r.text).toContain('Because you wrote: “buy 0.02 btc”.');
  });

  it('“why did my btc stop trigger” explains the stop-loss exit of the position', async () => {
    const { ctx } = await trader('why-stop');
    await trade(ctx, 'buy 0.01 btc with a stop at 50000');
    const r = await handler.handleText(ctx, 'why did my btc stop trigger');
    expectClean(r, 'the stop answer');
    expect(r.text, 'the stop-loss order is the one explained').toMatch(/^Sell 0\.01 BTC\/USDT \(stop loss, order [0-9a-f]{8}\)/);
    expect(r.text, 'it says what the stop is and that it has not fired').toContain('It is the stop-loss MIKEY keeps on your BTC/USDT position, at 50000; it has not triggered.');
    expect(r.text, 'MIKEY placed it itself').toContain('MIKEY placed it itself; no card was needed.');
  });

  it('a person’s words that carry markup and quotes come back as one plain quoted line', async () => {
    const { ctx } = await trader('why-marks');
    await trade(ctx, 'buy 0.1 sol <b>moon</b>\n "yes"');
    const r = await handler.handleText(ctx, 'why did you buy sol');
    expect(r.text, 'the words are quoted on one line, their double quotes made single').toContain("Because you wrote: “buy 0.1 sol <b>moon</b> 'yes'”.");
    expectClean(r, 'the answer');
  });

  it('nothing to explain: says so in words', async () => {
    const { ctx } = await trader('why-none');
    const r = await handler.handleText(ctx, 'why did you buy doge');
    expect(r.text).toMatch(/^I found no buy DOGE order of yours, so there is nothing to explain\./);
    expectClean(r, 'the empty answer');
  });
});

describe('an MCP client states its reason', () => {
  it('place-order keeps the stated reason and message id with the order; the token still binds the same order', async () => {
    const { user } = await trader('why-mcp');
    const { client, close } = await connectInProcess(app.services, { actor: { userId: user.id, surface: 'mcp-stdio' }, permissions: 'all' }, CATALOGUE);
    try {
      const order = { symbol: 'SOL/USDT', side: 'buy', type: 'market', quantity: '0.3' };
      const preview = (await client.callTool({ name: 'preview-order', arguments: order })) as { structuredContent?: { confirmationToken?: string } };
      const token = preview.structuredContent?.confirmationToken;
      expect(token, 'the preview issues a token').toBeTruthy();
      const placed = (await client.callTool({ name: 'place-order', arguments: { ...order, confirmationToken: token, reason: 'momentum entry the user asked for', messageId: 'claude-7' } })) as { isError?: boolean; structuredContent?: { order?: { id: string } } };
      expect(placed.isError, 'the token bound to the order without its context places it').toBeFalsy();
      const orderId = placed.structuredContent!.order!.id;
      const meta = await placedContext(orderId);
      expect(meta, 'the surface and the stated context are stored').toMatchObject({ surface: 'mcp-stdio', confirmed: 'token', context: { reason: 'momentum entry the user asked for', messageId: 'claude-7' } });
      const story = (await client.callTool({ name: 'explain-order', arguments: { orderId } })) as { structuredContent?: { context?: { reason?: string } } };
      expect(story.structuredContent?.context?.reason, 'explain-order reads it back').toBe('momentum entry the user asked for');
      const tooLong = (await client.callTool({ name: 'place-order', arguments: { ...order, reason: 'x'.repeat(501) } })) as { isError?: boolean; content: Array<{ text: string }> };
      expect(tooLong.isError, 'an oversized reason is refused').toBe(true);
      expect(tooLong.content.map((c) => c.text).join('\n'), 'saying what was wrong').toMatch(/reason is at most 500 characters/);
    } finally {
      await close();
    }
  });
});
