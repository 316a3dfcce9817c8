// Live trading from chat without a model: a portfolio named in the message ("buy 0.5 sol on Live")
// is the one the offline understanding trades; the card says LIVE and needs a yes; the order goes to
// the exchange (the fake Binance through real ccxt) with the person's words kept for "why". A name
// that is not one of the person's portfolios changes nothing: the default portfolio, as before.
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatHandler, type BrainChatHandler } from '../../src/bot/agent/index.js';
import type { ChatContext } from '../../src/bot/chat-types.js';
import { orders } from '../../src/db/schema/index.js';
import { dec } from '../../src/domain/money.js';
import { findUser } from '../../src/services/users.js';
import { startFakeExchange, type FakeExchange } from '../fakes/exchange-server.js';
import { setUpLive, type LiveSetup } from '../services/trading/live-support.js';

const KEY = 'chatLiveKey0123456789abcdef';
const SECRET = 'chatLiveSecret0123456789abcdef01';
let fake: FakeExchange;
let s: LiveSetup;
let handler: BrainChatHandler;
let ctx: ChatContext;

beforeAll(async () => {
  fake = await startFakeExchange({ accounts: [{ apiKey: KEY, secret: SECRET, spot: { USDT: '1000' } }] });
  s = await setUpLive({ url: fake.url, apiKey: KEY, secret: SECRET, username: 'chatlive' });
  const q = await s.app.services.market.venueFeed.getQuote('SOL/USDT');
  fake.setPrice('SOLUSDT', dec(q.price).toDecimalPlaces(2).toFixed(2));
  handler = createChatHandler(s.app.config, s.app.services, { mode: 'offline' });
  ctx = { platform: 'terminal', user: await findUser(s.app.database.db, 'chatlive'), chatId: 'chat-live', isGroup: false };
}, 60_000);

afterAll(async () => {
  await handler?.close();
  await s?.app.close();
  await fake?.close();
});

describe('live trading from the offline chat', () => {
  it('"buy 0.3 sol on Live" shows a LIVE card, and "yes" sends one order to the exchange', async () => {
    const card = await handler.handleText(ctx, 'buy 0.3 sol on Live');
    expect(card.confirmation, 'a trade card waits for yes').toBeDefined();
    expect(card.confirmation!.cardText).toMatch(/LIVE/);
    expect(card.confirmation!.cardText).not.toMatch(/untrusted-data|\{"/);
    const done = await handler.handleText(ctx, 'yes');
    expect(done.text).toMatch(/Bought 0\.3 SOL/);
    const placed = await s.app.database.db.select().from(orders).where(and(eq(orders.portfolioId, s.liveId), eq(orders.symbol, 'SOL/USDT')));
    expect(placed).toHaveLength(1);
    expect(fake.private.orders(KEY).filter((o) => o.clientOrderId === placed[0]!.clientOrderId)).toHaveLength(1);
    await s.app.services.trading.idle();
    const why = await handler.handleText(ctx, 'why did you buy sol?');
    expect(why.text).toMatch(/buy 0\.3 sol on Live/);
  });

  it('"positions in my Live portfolio" reads that portfolio; an unknown name leaves the default', async () => {
    const r = await handler.handleText(ctx, 'positions in my Live portfolio');
    expect(r.text).toMatch(/SOL/);
    const other = await handler.handleText(ctx, 'buy 0.3 sol on Kraken');
    expect(other.confirmation?.cardText ?? other.text, 'not a portfolio of theirs: not read as one').not.toMatch(/LIVE/);
    await handler.handleText(ctx, 'no');
    expect(await s.app.database.db.select().from(orders).where(eq(orders.portfolioId, s.liveId)), 'nothing more was sent').toHaveLength(1);
  });
});
