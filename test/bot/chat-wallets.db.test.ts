// Whales in the offline chat (issue 13): the offline handler (offline understanding → in-process MCP
// client → the wallet tools → services.wallets) watches a wallet under the trader's label, lists it,
// shows its card with a stored event, creates a whale alert rule, and unwatches it — with plain text
// replies (no JSON, no data tags) and no order or trade card anywhere.
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatHandler, type BrainChatHandler } from '../../src/bot/agent/index.js';
import type { ChatContext } from '../../src/bot/chat-types.js';
import { replyForPeople } from '../../src/bot/person-text.js';
import { withTransaction } from '../../src/db/tx.js';
import { alertRules, walletWatches } from '../../src/db/schema/index.js';
import { D } from '../../src/domain/money.js';
import { classifyEvent } from '../../src/domain/wallets/classify.js';
import { storeEvents } from '../../src/services/wallets/event-store.js';
import { createUser, type User } from '../../src/services/users.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { manualClock, T0 } from '../services/market/support.js';

const WHALE = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';

let app: TestApp;
let handler: BrainChatHandler;
let user: User;
let ctx: ChatContext;
const clock = manualClock(T0);

beforeAll(async () => {
  app = await createTestApp({}, { clock });
  handler = createChatHandler(app.config, app.services, { mode: 'offline' });
  user = await createUser(app.database.db, { username: 'chatwhales' });
  await app.services.portfolio.ensureDefaultPortfolio(user.id);
  ctx = { platform: 'terminal', user, chatId: 'chat-whales', isGroup: false };
}, 60_000);

afterAll(async () => {
  await handler?.close();
  await app?.close();
});

async function say(text: string): Promise<string> {
  const r = replyForPeople(await handler.handleText(ctx, text));
  expect(r.confirmation, `${text}: no trade card`).toBeUndefined();
  expect(r.text, `${text}: plain text`).not.toMatch(/<\/?untrusted|^\s*\{/m);
  return r.text;
}

describe('whales in the offline chat', () => {
  it('watches, lists, shows, alerts on and unwatches a whale', async () => {
    expect(await say(`watch ${WHALE} as "smart whale"`)).toMatch(/smart whale/);
    const [watch] = await app.database.db.select().from(walletWatches).where(eq(walletWatches.userId, user.id));
    expect(watch?.label).toBe('smart whale');

    // A stored move of the wallet, after the watch began, shows on its card.
    await withTransaction(app.database.db, (tx) =>
      storeEvents(tx, [{
        walletId: watch!.walletId, chain: 'ethereum', txHash: `0x${'ab'.repeat(32)}`, logIndex: 0, occurredAt: new Date(Date.now() + 1000), blockNumber: 1, blockHash: `0x${'cd'.repeat(32)}`,
        eventType: 'swap', asset: 'ETH', amount: new D(500), notionalUsd: new D(1_500_000), sizeFraction: null, venue: 'uniswap', gasPrice: null, rawData: {},
        analysis: classifyEvent({ kind: 'swap', wallet: WHALE, sold: 'USDC', bought: 'ETH', amount: new D(500), notionalUsd: new D(1_500_000) }),
      }]),
    );

    expect(await say('my whales')).toMatch(/smart whale \(0x5aAe…eAed\) on ethereum/);
    expect(await say('whale smart whale')).toMatch(/swapped USDC for 500 ETH \(≈ \$1\.5M\)/);
    // By the label alone, as people ask about a wallet they named: read against this person's own labels.
    for (const text of ['what is smart whale doing?', 'what has Smart Whale been up to lately', 'any moves from smart whale', 'show smart whale']) {
      expect(await say(text), text).toMatch(/swapped USDC for 500 ETH \(≈ \$1\.5M\)/);
    }
    expect(await say('what is big fish doing'), 'a label this person does not have is not guessed').toMatch(/^I didn't get that/);
    const other = await createUser(app.database.db, { username: 'chatwhales2' });
    const theirs = replyForPeople(await handler.handleText({ platform: 'terminal', user: other, chatId: 'chat-whales-2', isGroup: false }, 'what is smart whale doing?'));
    expect(theirs.text, 'another person\'s label means nothing here').toMatch(/^I didn't get that/);
    expect(await say('what is eth doing'), 'an asset keeps its meaning').not.toMatch(/smart whale/);

    // A new label and tags, by the label: the watch is updated (the same wallet, its history kept).
    expect(await say('tag smart whale as dex trader, early')).toMatch(/^Updated "smart whale" \(0x5aAe…eAed\) on ethereum\. Tags: dex trader, early\./);
    expect(await say('rename smart whale to big fish')).toMatch(/^Updated "big fish" \(0x5aAe…eAed\) on ethereum\./);
    expect(await say('what is big fish doing'), 'the card under its new label').toMatch(/swapped USDC for 500 ETH/);
    expect(await say('remove tag early from big fish')).toMatch(/Tags: dex trader\./);
    expect(await say('rename small fry to whatever')).toMatch(/^None of your watched wallets is called "small fry"/);
    expect(await say('relabel big fish as smart whale')).toMatch(/^Updated "smart whale"/);
    const [renamed] = await app.database.db.select().from(walletWatches).where(eq(walletWatches.userId, user.id));
    expect([renamed?.walletId, renamed?.label, renamed?.tags]).toEqual([watch!.walletId, 'smart whale', ['dex trader']]);

    await say('alert me when a whale with credibility 7 buys $1M of ETH');
    const [rule] = await app.database.db.select().from(alertRules).where(and(eq(alertRules.userId, user.id), eq(alertRules.status, 'active')));
    expect(rule?.condition).toEqual({ type: 'whale_move', asset: 'ETH', side: 'buy', minNotionalUsd: '1000000', minCredibility: 7, window: '4h', withinMinutes: 60 });
    expect(rule?.title).toBe('a wallet with 4h credibility ≥ 7 buys ≥ $1,000,000 of ETH within 1 hour');

    await say('stop watching smart whale');
    expect(await app.database.db.select().from(walletWatches).where(eq(walletWatches.userId, user.id))).toHaveLength(0);
    expect(await say('/whales')).toMatch(/You watch no wallets yet/);
  });
});
