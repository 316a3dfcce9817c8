// Issue 9 through the offline brain end to end, as every surface gets it: the conversation handler
// (offline understanding → in-process MCP client → MIKEY's real tools → services → paper broker) on
// a real database. A stop and targets beside an order become its exits, shown on the card and placed
// as exit orders; ids as the tables show them work; a bare ticker finds a perp position; people
// never read marks, JSON or model instructions; text typed instead of yes/no cancels the card and is
// handled as the next message.
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatHandler, type BrainChatHandler } from '../../src/bot/agent/index.js';
import type { ChatContext, ChatReply } from '../../src/bot/chat-types.js';
import { alertRules, orders } from '../../src/db/schema/index.js';
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

async function trader(name: string): Promise<{ user: User; ctx: ChatContext }> {
  const user = await createUser(app.database.db, { username: name });
  await app.services.portfolio.ensureDefaultPortfolio(user.id);
  return { user, ctx: { platform: 'terminal', user, chatId: `chat-${name}`, isGroup: false } };
}

/** Everything a person reads of a reply. */
function shown(r: ChatReply): string {
  return [r.text, r.confirmation?.cardText ?? '', ...(r.images ?? []).map((i) => i.caption ?? '')].join('\n');
}

function expectClean(r: ChatReply, what: string): void {
  const text = shown(r);
  expect(text, `${what}: no <untrusted-data> marks for people`).not.toMatch(/untrusted-data/);
  expect(text, `${what}: no JSON objects for people`).not.toMatch(/^\s*[{[]\s*$|"\w+":\s/m);
  expect(text, `${what}: no instructions meant for a model`).not.toMatch(/confirmationToken|call place-order/);
  expect(text, `${what}: no stack traces`).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
}

async function ordersOf(user: User): Promise<Array<{ id: string; symbol: string; side: string; orderType: string; status: string; quantity: string; stopPrice: string | null; price: string | null }>> {
  return app.database.db
    .select({ id: orders.id, symbol: orders.symbol, side: orders.side, orderType: orders.orderType, status: orders.status, quantity: orders.quantity, stopPrice: orders.stopPrice, price: orders.price })
    .from(orders)
    .where(eq(orders.userId, user.id));
}

const num = (v: string | null): string => (v === null ? '' : String(Number(v)));

describe('exits attached to an order (issue 9.3)', () => {
  it('“buy 0.5 eth with a stop at 2900 and take profit at 3300 and 3400” shows the stop-loss and each take-profit, then places them as exits', async () => {
    const { user, ctx } = await trader('exits');
    const card = await handler.handleText(ctx, 'buy 0.5 eth with a stop at 2900 and take profit at 3300 and 3400');
    expect(card.confirmation, 'a market buy with exits gets a trade card').toBeDefined();
    const cardText = card.confirmation!.cardText;
    expect(cardText, 'the entry is a market buy, not a stop-buy').toMatch(/BUY 0\.5 ETH · ETH\/USDT · market/);
    expect(cardText, 'the card shows the stop-loss').toMatch(/Stop-loss: 2,900/);
    expect(cardText, 'the card shows the first take-profit').toMatch(/Take-profit 1: 3,300/);
    expect(cardText, 'the card shows the second take-profit').toMatch(/Take-profit 2: 3,400/);
    expectClean(card, 'the trade card');

    const done = await handler.handleText(ctx, 'yes');
    expect(done.text, 'the buy filled').toMatch(/Bought 0\.5 ETH/);
    const rows = await ordersOf(user);
    const entry = rows.find((o) => o.orderType === 'market');
    expect(entry?.status, 'the entry order filled at market').toBe('filled');
    const exits = rows.filter((o) => o.orderType === 'stop_loss' || o.orderType === 'take_profit');
    expect(exits.map((o) => `${o.orderType} ${o.side} ${num(o.stopPrice ?? o.price)} ${o.status}`).sort(), 'one stop-loss and both take-profits rest as sell exits').toEqual([
      'stop_loss sell 2900 open',
      'take_profit sell 3300 open',
      'take_profit sell 3400 open',
    ]);
  });
});

describe('what people read (issue 9.5)', () => {
  it('an error shows its message and hint, not a JSON object', async () => {
    const { ctx } = await trader('errors');
    const r = await handler.handleText(ctx, 'sell 5 doge');
    expect(r.text, 'the reason is said in words').toMatch(/below the minimum/);
    expectClean(r, 'the error');
  });

  it('arguments the tool refuses are explained in words, not as a protocol error', async () => {
    const { ctx } = await trader('protocol');
    const r = await handler.handleText(ctx, 'buy 0.5 eth at 99999999999999999999999999999');
    expect(r.text, 'the field and the limit are named').toMatch(/^I couldn't do that: price is too large/);
    expect(r.text, 'no protocol jargon').not.toMatch(/MCP error|-32602|Invalid arguments for tool/);
    expectClean(r, 'the refusal');
  });

  it('the close card of “sell half my sol” is the card, not its JSON', async () => {
    const { ctx } = await trader('halfsol');
    await handler.handleText(ctx, 'buy 1 sol');
    expect((await handler.handleText(ctx, 'yes')).text).toMatch(/Bought 1 SOL/);
    const r = await handler.handleText(ctx, 'sell half my sol');
    expect(r.confirmation?.cardText, 'a close card with its numbers').toMatch(/SELL 0\.5 SOL/);
    expectClean(r, 'the close card');
    await handler.handleText(ctx, 'no');
  });

  it('alert titles are shown without marks, in a table whose columns line up', async () => {
    const { ctx } = await trader('alerts');
    const created = await handler.handleText(ctx, 'alert me when btc goes above 70k');
    expect(created.text).toMatch(/Alert BTC\/USDT above 70,000 is active/);
    expectClean(created, 'the created alert');
    const list = await handler.handleText(ctx, 'my alerts');
    expectClean(list, 'the alert list');
    const lines = list.text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('```'));
    const rule = lines.find((l) => l.startsWith('─'))!;
    const row = lines.find((l) => l.includes('BTC/USDT above 70,000'))!;
    const ruleCols = [...rule.matchAll(/─+/g)].map((m) => m.index);
    expect(row.indexOf('BTC/USDT above 70,000'), 'the title starts under its header').toBe(ruleCols[1]);
    expect(lines[0]!.indexOf('title'), 'the header sits over its column').toBe(ruleCols[1]);
  });
});

describe('text typed at a yes/no question (issue 9.6)', () => {
  it('cancels the card and is handled as the next message; a later “yes” places nothing', async () => {
    const { user, ctx } = await trader('typed');
    const card = await handler.handleText(ctx, 'buy 0.1 eth');
    expect(card.confirmation, 'a card waits for yes or no').toBeDefined();
    const next = await handler.handleText(ctx, 'price of sol');
    expect(next.text, 'the card is cancelled and the person told so').toMatch(/Cancelled the trade card \(market buy 0\.1 ETH\/USDT\); nothing was placed/);
    expect(next.text, 'the message is answered as the next one').toMatch(/SOL\/USDT/);
    expect(next.confirmation, 'no card is left waiting').toBeUndefined();
    const yes = await handler.handleText(ctx, 'yes');
    expect(yes.text, 'nothing waits any more').toMatch(/nothing waiting/);
    expect(await ordersOf(user), 'no order was placed').toEqual([]);
    const pressed = await handler.handleConfirmation(ctx, card.confirmation!.token, 'yes');
    expect(pressed.text, 'the old card’s button does nothing either').toMatch(/already answered or has expired/);
    expect(await ordersOf(user), 'still no order').toEqual([]);
  });

  it('a new trade typed instead of yes/no replaces the card with the new one', async () => {
    const { user, ctx } = await trader('replace');
    await handler.handleText(ctx, 'buy 0.1 eth');
    const second = await handler.handleText(ctx, 'buy 0.2 eth');
    expect(second.text, 'the first card was cancelled').toMatch(/Cancelled the trade card \(market buy 0\.1 ETH\/USDT\)/);
    expect(second.confirmation?.cardText, 'the new card is shown').toMatch(/BUY 0\.2 ETH/);
    await handler.handleText(ctx, 'yes');
    const rows = await ordersOf(user);
    expect(rows.map((o) => num(o.quantity)), 'only the second order was placed').toEqual(['0.2']);
  });
});

describe('ids as the tables show them (issue 9.2) and a bare ticker on a perp (issue 9.4)', () => {
  it('cancels, explains and deletes by the 8-character id of a table', async () => {
    const { user, ctx } = await trader('prefixes');
    await handler.handleText(ctx, 'buy 0.1 eth at 1000');
    expect((await handler.handleText(ctx, 'yes')).text, 'a resting limit order').toMatch(/0\.1/);
    const [resting] = await ordersOf(user);
    const short = resting!.id.slice(0, 8);
    const listed = await handler.handleText(ctx, 'my open orders');
    expect(listed.text, 'the table shows the short id').toContain(short);

    const explained = await handler.handleText(ctx, `explain order ${short}`);
    expect(explained.text, 'the order is explained by its short id').not.toMatch(/not found|UUID/i);
    expectClean(explained, 'the explanation');
    const cancelled = await handler.handleText(ctx, `cancel order ${short}`);
    expect(cancelled.text, 'cancelled by its short id').not.toMatch(/not found|UUID/i);
    expect((await ordersOf(user))[0]?.status, 'the order is cancelled').toBe('cancelled');

    await handler.handleText(ctx, 'alert me when btc goes above 90k');
    const [rule] = await app.database.db.select({ id: alertRules.id }).from(alertRules).where(eq(alertRules.userId, user.id));
    const deleted = await handler.handleText(ctx, `delete alert ${rule!.id.slice(0, 8)}`);
    expect(deleted.text, 'deleted by its short id').toMatch(/Deleted alert/);
    expectClean(deleted, 'the deletion');
    const [after] = await app.database.db.select({ status: alertRules.status }).from(alertRules).where(and(eq(alertRules.userId, user.id), eq(alertRules.id, rule!.id)));
    expect(after?.status ?? 'gone', 'the alert is no longer active').not.toBe('active');
  });

  it('“set a stop loss on eth at 2800” after “long eth 5x with $200” sets it on the perp', async () => {
    const { user, ctx } = await trader('perpstop');
    await handler.handleText(ctx, 'long eth 5x with $200');
    expect((await handler.handleText(ctx, 'yes')).text).toMatch(/Bought .* ETH/);
    const r = await handler.handleText(ctx, 'set a stop loss on eth at 2800');
    expect(r.text, 'the perp position is found by its ticker').toMatch(/stop-loss set at 2800/i);
    const stop = (await ordersOf(user)).find((o) => o.orderType === 'stop_loss');
    expect(stop && `${stop.symbol} ${stop.side} ${num(stop.stopPrice)}`, 'a stop-loss rests on the perp position').toBe('ETH-PERP sell 2800');
  });

  it('with ETH held spot and as a perp, “set a stop loss on eth at 2800” asks which instead of guessing', async () => {
    const { user, ctx } = await trader('twoeth');
    await handler.handleText(ctx, 'buy 0.1 eth');
    await handler.handleText(ctx, 'yes');
    await handler.handleText(ctx, 'long eth 5x with $200');
    await handler.handleText(ctx, 'yes');
    const r = await handler.handleText(ctx, 'set a stop loss on eth at 2800');
    expect(r.text, 'both positions are named so the person can say which').toMatch(/ETH\/USDT.*ETH-PERP/);
    expect(r.text).toMatch(/which/i);
    expectClean(r, 'the question');
    expect((await ordersOf(user)).filter((o) => o.orderType === 'stop_loss'), 'no stop-loss was guessed onto either').toEqual([]);
    const perp = await handler.handleText(ctx, 'set a stop loss on eth-perp at 2800');
    expect(perp.text, 'naming the perp settles it').toMatch(/stop-loss set at 2800/i);
  });
});
