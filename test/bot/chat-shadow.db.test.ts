// A live portfolio against its paper shadow from the offline chat (no model): "live vs paper",
// "/shadow", "how much slippage did I pay" answer with get-shadow's figures — slippage, fees, missed
// or partial fills — for the person's only live portfolio, or the one named ("the paper twin of my
// Binance portfolio", "/shadow Binance"); a person without a live portfolio hears that, and how one
// is made. The live side trades on the fake Binance through real ccxt (test/services/trading/live-support.ts).
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatHandler, type BrainChatHandler } from '../../src/bot/agent/index.js';
import type { ChatContext } from '../../src/bot/chat-types.js';
import { orders } from '../../src/db/schema/index.js';
import { ccxtCredentialValidator } from '../../src/exchange-commands.js';
import { dec } from '../../src/domain/money.js';
import { addExchangeAccount } from '../../src/services/exchange-accounts.js';
import { createLivePortfolio } from '../../src/services/portfolio/live-portfolio.js';
import { shadowClientOrderId } from '../../src/services/trading/shadow.js';
import { createUser, findUser } from '../../src/services/users.js';
import { startFakeExchange, type FakeExchange } from '../fakes/exchange-server.js';
import { ManualClock } from '../services/trading/harness.js';
import { placeConfirmed, settle, setUpLive, type LiveSetup } from '../services/trading/live-support.js';

const KEY = 'chatShadowKey0123456789abcdef';
const SECRET = 'chatShadowSecret0123456789abcdef0';
const KEY2 = 'chatShadowKeyTwo0123456789abcd';
const SECRET2 = 'chatShadowSecretTwo0123456789abc';
/** Stopped, so the simulated price the shadow fills at stays where the venue's is set from. */
const clock = new ManualClock(Date.now());
let fake: FakeExchange;
let s: LiveSetup;
let handler: BrainChatHandler;
let ctx: ChatContext;
/** The market buy's slippage, from the two orders' own fill prices (bps, positive: live paid more). */
let marketSlippage: string;

beforeAll(async () => {
  fake = await startFakeExchange({ accounts: [{ apiKey: KEY, secret: SECRET, spot: { USDT: '1000' } }, { apiKey: KEY2, secret: SECRET2, spot: { USDT: '500' } }] });
  s = await setUpLive({ url: fake.url, apiKey: KEY, secret: SECRET, username: 'chatshadow', clock });
  // The venue quotes SOL 0.3 % above the simulated market the paper shadow fills against.
  const sim = dec((await s.app.services.market.venueFeed.getQuote('SOL/USDT')).price);
  fake.setPrice('SOLUSDT', sim.mul('1.003').toDecimalPlaces(2).toFixed(2));
  const market = await placeConfirmed(s.app, s.actor, { portfolioId: s.liveId, symbol: 'SOL/USDT', side: 'buy', type: 'market', quantity: '0.3' });
  expect(market.order.status).toBe('filled');
  // A limit between the two prices: the shadow fills it, the venue leaves it resting (a missed fill).
  await placeConfirmed(s.app, s.actor, { portfolioId: s.liveId, symbol: 'SOL/USDT', side: 'buy', type: 'limit', quantity: '0.2', price: sim.mul('1.0022').toDecimalPlaces(2).toFixed(2) });
  await settle(s.app);
  const db = s.app.database.db;
  const [live] = await db.select().from(orders).where(eq(orders.id, market.order.id));
  const [twin] = await db.select().from(orders).where(and(eq(orders.portfolioId, s.shadowId), eq(orders.clientOrderId, shadowClientOrderId(market.order.id))));
  const l = dec(live!.averageFillPrice!);
  const p = dec(twin!.averageFillPrice!);
  marketSlippage = l.sub(p).div(p).mul(10_000).toDecimalPlaces(2).toFixed(2);
  handler = createChatHandler(s.app.config, s.app.services, { mode: 'offline' });
  ctx = { platform: 'terminal', user: await findUser(db, 'chatshadow'), chatId: 'chat-shadow', isGroup: false };
}, 60_000);

afterAll(async () => {
  await handler?.close();
  await s?.app.close();
  await fake?.close();
});

/** The figures of the reply's headline. */
function figures(text: string): { orders: string; slippage: string; liveFees: string; paperFees: string; missed: string } {
  const m = /LIVE "([^"]+)" against its 📝 paper shadow, last (\d+) orders?: average slippage (\S+) bps \(positive: live paid more\) · fees (\S+) live vs (\S+) paper(?: [A-Z]+)? · (\d+) missed or partial fills?/.exec(text);
  expect(m, `the reply carries the shadow's headline: ${text}`).not.toBeNull();
  return { orders: m![2]!, slippage: m![3]!, liveFees: m![4]!, paperFees: m![5]!, missed: m![6]! };
}

describe('the paper shadow from the offline chat', () => {
  it('"live vs paper" shows the only live portfolio against its shadow: slippage, fees, the missed fill', async () => {
    const r = await handler.handleText(ctx, 'live vs paper');
    const f = figures(r.text);
    expect(r.text).toMatch(/LIVE "Live" against/);
    expect(f.orders).toBe('2');
    expect(f.missed, 'the limit the venue left resting while the shadow filled it').toBe('1');
    expect(f.slippage, 'only the market buy filled on both sides: its slippage is the average').toBe(marketSlippage);
    expect(dec(f.slippage).gt(0), 'the venue was dearer than the simulation').toBe(true);
    const service = await s.app.services.trading.getShadow(s.actor, {});
    expect(f).toEqual({ orders: '2', slippage: service.totals.averageSlippageBps, liveFees: service.totals.liveFees, paperFees: service.totals.shadowFees, missed: '1' });
    expect(dec(f.liveFees).gt(0)).toBe(true);
    // The venue took its fee in SOL, the simulation in USDT: both are shown in USDT, the live one at its fill price.
    const bought = service.pairs.find((p) => p.live.averagePrice)!;
    expect(bought.live.feeAsset).toBe('SOL');
    expect(bought.shadow!.feeAsset).toBe('USDT');
    expect(f.liveFees).toBe(dec(bought.live.fee).mul(dec(bought.live.averagePrice!)).toDecimalPlaces(8).toFixed());
    expect(r.text).toContain(`fees ${f.liveFees} live vs ${f.paperFees} paper USDT`);
    expect(bought.feeDifference).toBe(dec(f.liveFees).sub(dec(bought.shadow!.fee)).toFixed());
    expect(r.text, 'both orders are listed by their short id').toContain(service.pairs[0]!.liveOrderId.slice(0, 8));
    expect(r.text, 'the limit: nothing filled live, all of it on paper').toMatch(/buy\s+0\.2\s+0 @ -\s+0\.2 @ \d+(?:\.\d+)?\s/);
    expect(r.text).not.toMatch(/untrusted-data|\{"|\bat .*\.ts:\d+/);
  });

  it.each(['/shadow', 'how much slippage did I pay live vs paper', 'compare my live portfolio with its shadow', 'divergence', 'how does live compare to paper?'])(
    '"%s" answers with the same figures',
    async (text) => {
      const r = await handler.handleText(ctx, text);
      expect(figures(r.text)).toEqual(figures((await handler.handleText(ctx, 'shadow')).text));
      expect(figures(r.text).slippage).toBe(marketSlippage);
    },
  );

  it('with two live portfolios, the one named in the message is compared; unnamed, MIKEY asks which', async () => {
    const app = s.app;
    const added = await addExchangeAccount(app.database.db, app.services.secretKey, s.actor, { exchange: 'binance', label: 'second', sandbox: false, accountType: 'spot' }, { apiKey: KEY2, secret: SECRET2 }, await ccxtCredentialValidator(app.config));
    const live = app.services.live;
    await createLivePortfolio(
      { db: app.database.db, clock: app.services.clock, events: app.services.events, secretKey: app.services.secretKey, build: live.build, ...(live.apiBaseUrl ? { apiBaseUrl: live.apiBaseUrl } : {}) },
      s.actor,
      { name: 'Binance', exchangeAccountId: added.id.slice(0, 8) },
    );
    const named = await handler.handleText(ctx, 'show the paper twin of my Binance portfolio');
    expect(named.text).toMatch(/LIVE "Binance" against/);
    expect(figures(named.text)).toMatchObject({ orders: '0', missed: '0' });
    expect(named.text).toMatch(/No live orders yet/);
    const slash = await handler.handleText(ctx, '/shadow Binance');
    expect(slash.text).toMatch(/LIVE "Binance" against/);
    const first = await handler.handleText(ctx, 'live vs paper on Live');
    expect(first.text).toMatch(/LIVE "Live" against/);
    expect(figures(first.text).slippage).toBe(marketSlippage);
    // "on paper" never names the portfolio called "Paper": only live portfolios have a shadow.
    const paperWord = await handler.handleText(ctx, 'how much worse is Binance than on paper');
    expect(paperWord.text).toMatch(/LIVE "Binance" against/);
    const unnamed = await handler.handleText(ctx, 'live vs paper');
    expect(unnamed.text).toMatch(/2 live portfolios/);
    expect(unnamed.text).toMatch(/Binance/);
    expect(unnamed.text).not.toMatch(/\{"|untrusted-data/);
  });

  it('a person without a live portfolio hears that there is none and how one is made', async () => {
    await createUser(s.app.database.db, { username: 'paperonly' });
    const paperCtx: ChatContext = { platform: 'terminal', user: await findUser(s.app.database.db, 'paperonly'), chatId: 'chat-paper', isGroup: false };
    for (const text of ['live vs paper', '/shadow']) {
      const r = await handler.handleText(paperCtx, text);
      expect(r.text).toMatch(/no live portfolio/i);
      expect(r.text).toMatch(/mikey portfolio create --live/);
      expect(r.text).not.toMatch(/\{"|untrusted-data|\bat .*\.ts:\d+/);
    }
  });
});
