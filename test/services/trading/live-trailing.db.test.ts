// Trailing stops on live portfolios: natively where the venue has one (Binance USDⓈ-M futures, by a
// percent of 0.1–10), otherwise emulated by MIKEY's engine — the card says so and why, nothing is sent
// at placement, the watermark follows the venue price on each tick (stored, so a restart resumes
// from it), and when the price crosses the trail exactly one child market order `<parent>:0` reaches
// the fake Binance; the parent ends filled from the child's fill.
//
// Prices: the app runs on a manual clock over the simulated market, whose price is a fixed function
// of time; the test moves the clock minute by minute (bounded) and reads the price MIKEY reads, so
// every watermark and trigger is computed by hand from those prices.
import { asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../../src/db/client.js';
import { orders, trades } from '../../../src/db/schema/index.js';
import { dec, type Dec } from '../../../src/domain/money.js';
import type { Actor } from '../../../src/services/actor.js';
import { isAppError } from '../../../src/services/errors.js';
import { orderLine } from '../../../src/tools/format.js';
import { createTradingLayer, type TradingLayer } from '../../../src/services/trading/index.js';
import { liveVenueOpener } from '../../../src/services/trading/live-venues.js';
import { ManualTimer } from '../../../src/services/trading/ports.js';
import { BINANCE_429, startFakeExchange, type FakeExchange } from '../../fakes/exchange-server.js';
import type { TestApp } from '../../support/app.js';
import { ManualClock } from './harness.js';
import { ledgerOf, setUpLive, totalsOf } from './live-support.js';

const KEY = 'trailKey0123456789abcdefghij';
const SECRET = 'trailSecret0123456789abcdef01234';
const SOL = 'SOL/USDT';

type OrderRow = typeof orders.$inferSelect;
interface Trail {
  emulated: string;
  reason: string;
  watermark: string;
  stopPrice: string;
  released?: number;
  state?: string;
  triggeredAt?: string;
}

let fake: FakeExchange;
let app: TestApp;
let actor: Actor;
let liveId: string;
// A fixed start: the simulated prices (a function of time) are the same on every run.
const clock = new ManualClock(Date.parse('2026-03-02T09:00:00.000Z'));
let tick: Dec;

const priceOf = async (a: TestApp, symbol: string): Promise<Dec> => dec((await a.services.market.venueFeed.getQuote(symbol)).price);
const rowOf = async (id: string): Promise<OrderRow> => (await app.database.db.select().from(orders).where(eq(orders.id, id)))[0]!;
const trailOf = (r: OrderRow): Trail => r.algoParams as unknown as Trail;
const venueOrdersFor = (cid: string): ReturnType<FakeExchange['private']['orders']> => fake.private.orders(KEY).filter((o) => o.clientOrderId === cid || o.clientOrderId.startsWith(`${cid}:`));
const orderPosts = (): number => fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/order')).length;
const venueTotals = (): Record<string, string> => totalsOf(fake.private.balances(KEY, 'spot'));
const lockedOf = async (a: TestApp, portfolioId: string, asset: string): Promise<string> => {
  const [r] = await queryRows<{ locked: string }>(a.database.db, sql`select locked::text as locked from balances where portfolio_id = ${portfolioId} and asset = ${asset}`);
  return dec(r?.locked ?? '0').toFixed();
};
/** Sell trail: the high less the percent, down to the tick. Buy trail: the low plus the amount, up to the tick. */
const sellStop = (high: Dec, percent: string): Dec => high.sub(high.mul(percent).div(100)).div(tick).floor().mul(tick);
const buyStop = (low: Dec, amount: string): Dec => low.add(amount).div(tick).ceil().mul(tick);

/** The card (from the confirmation request) and the order placed with its token, as a person does it. */
async function placeWithCard(a: TestApp, who: Actor, input: Record<string, unknown>): Promise<{ warnings: string[]; orderId: string; status: string }> {
  let token: string | undefined;
  let warnings: string[] = [];
  try {
    await a.services.trading.placeOrder(who, input);
  } catch (err) {
    if (!isAppError(err) || err.code !== 'confirmation_required') throw err;
    const d = err.details as { confirmationToken: string; card: { warnings: string[] } };
    token = d.confirmationToken;
    warnings = d.card.warnings;
  }
  expect(token, 'a live order asks for confirmation').toBeTruthy();
  const r = await a.services.trading.placeOrder(who, { ...input, confirmationToken: token });
  await a.services.trading.idle();
  return { warnings, orderId: r.order.id, status: r.order.status };
}

/**
 * Moves the clock a minute at a time (at most `maxMinutes`) until `stop(price)` holds, calling
 * `onPrice` at each step first (the test ticks the engine there when the watermark should move).
 */
async function walk(a: TestApp, symbol: string, stop: (p: Dec) => boolean, onPrice: (p: Dec) => Promise<void>, maxMinutes = 6_000): Promise<Dec> {
  for (let i = 0; i < maxMinutes; i++) {
    clock.advance(60_000);
    const p = await priceOf(a, symbol);
    if (stop(p)) return p;
    await onPrice(p);
  }
  throw new Error(`the simulated ${symbol} price did not get there within ${maxMinutes} minutes`);
}

async function work(a: TestApp = app): Promise<number> {
  const n = await a.services.trading.workEmulatedOrders();
  await a.services.trading.idle();
  return n;
}

beforeAll(async () => {
  fake = await startFakeExchange({ accounts: [{ apiKey: KEY, secret: SECRET, spot: { USDT: '1000', SOL: '2' } }] });
  // A timeout with room for a loaded machine (the lost reply below waits it out once).
  const s = await setUpLive({ url: fake.url, apiKey: KEY, secret: SECRET, clock, username: 'trailer', env: { MIKEY_EXCHANGE_TIMEOUT_MS: '3000' } });
  ({ app, actor, liveId } = s);
  tick = app.services.market.catalog.resolve(SOL).tickSize;
  fake.setPrice('SOLUSDT', (await priceOf(app, SOL)).toFixed());
  // A SOL position bought through MIKEY (a spot sell reduces what MIKEY bought).
  const buy = await placeWithCard(app, actor, { portfolioId: liveId, symbol: SOL, side: 'buy', type: 'market', quantity: '0.7' });
  expect(buy.status).toBe('filled');
}, 60_000);

afterAll(async () => {
  await app?.close();
  await fake?.close();
});

describe('an emulated trailing stop on Binance spot', () => {
  it('a 2% trailing sell: the card says it is emulated and why, nothing is sent, the high follows the price and the fall below the trail sends one market sell', async () => {
    const posts = orderPosts();
    const p0 = await priceOf(app, SOL);
    const placed = await placeWithCard(app, actor, { portfolioId: liveId, symbol: SOL, side: 'sell', type: 'trailing_stop', trailingPercent: '2', quantity: '0.5' });
    expect(placed.warnings).toContain(
      'Emulated by MIKEY: Binance spot has no native trailing stop. MIKEY watches the price and sends a market sell when it falls 2% from its high; it does not act while MIKEY is stopped.',
    );
    expect(placed.status).toBe('open');
    const parent = await rowOf(placed.orderId);
    expect(trailOf(parent)).toMatchObject({ emulated: 'trailing_stop', reason: 'Binance spot has no native trailing stop', watermark: p0.toFixed(), stopPrice: sellStop(p0, '2').toFixed(), released: 0 });
    expect(orderPosts(), 'nothing reaches the exchange at placement').toBe(posts);
    expect(venueOrdersFor(parent.clientOrderId)).toHaveLength(0);
    expect(await lockedOf(app, liveId, 'SOL'), 'the 0.5 SOL is held for the order in the ledger').toBe('0.5');
    const shown = orderLine((await app.services.trading.getOrder(actor, placed.orderId)).order);
    expect(shown, 'the order says who works it and why').toContain('\n  Emulated by MIKEY: Binance spot has no native trailing stop');

    // The price rises: each new high moves the watermark (stored), nothing is sent.
    let high = p0;
    let highs = 0;
    let stop = sellStop(high, '2');
    const trigger = await walk(
      app,
      SOL,
      (p) => p.lte(stop),
      async (p) => {
        if (!p.gt(high)) return;
        expect(await work()).toBe(0);
        high = p;
        stop = sellStop(high, '2');
        highs++;
        const now = await rowOf(placed.orderId);
        expect(trailOf(now).watermark, 'the watermark follows the high and is stored').toBe(high.toFixed());
        expect(trailOf(now).stopPrice).toBe(stop.toFixed());
        expect(dec(now.trailReferencePrice!).toFixed()).toBe(high.toFixed());
      },
    );
    expect(highs, 'the price made new highs before it fell').toBeGreaterThan(0);
    expect(orderPosts(), 'nothing was sent while the price stayed above the trail').toBe(posts);

    // The fall through the trail: one market sell, the child of the parent.
    fake.setPrice('SOLUSDT', trigger.toFixed());
    expect(await work()).toBe(1);
    const sent = venueOrdersFor(parent.clientOrderId);
    expect(sent.map((o) => [o.clientOrderId, o.side, o.type, dec(o.origQty).toFixed(), o.status])).toEqual([[`${parent.clientOrderId}:0`, 'SELL', 'MARKET', '0.5', 'FILLED']]);
    const [child] = await app.database.db.select().from(orders).where(eq(orders.parentOrderId, placed.orderId));
    expect([child!.status, child!.rejectReason]).toEqual(['filled', null]);
    const childTrades = await app.database.db.select().from(trades).where(eq(trades.orderId, child!.id));
    expect(childTrades).toHaveLength(1);
    const done = await rowOf(placed.orderId);
    expect(done.status, 'the parent ends filled from the child').toBe('filled');
    expect(dec(done.filledQuantity).toFixed()).toBe('0.5');
    expect(dec(done.averageFillPrice!).toFixed()).toBe(dec(childTrades[0]!.price).toFixed());
    expect(trailOf(done)).toMatchObject({ watermark: high.toFixed(), stopPrice: stop.toFixed(), released: 1, triggeredAt: trigger.toFixed() });
    expect(await ledgerOf(app, liveId), 'the ledger equals the venue after the fill').toEqual(venueTotals());

    // Ticking again sends nothing more.
    clock.advance(60_000);
    expect(await work()).toBe(0);
    expect(venueOrdersFor(parent.clientOrderId)).toHaveLength(1);
  });

  it('a buy trail by amount works the mirror way: the low follows the price, the rise past it sends one buy', async () => {
    const posts = orderPosts();
    const p0 = await priceOf(app, SOL);
    const placed = await placeWithCard(app, actor, { portfolioId: liveId, symbol: SOL, side: 'buy', type: 'trailing_stop', trailingAmount: '1', quantity: '0.3' });
    expect(placed.warnings).toContain(
      'Emulated by MIKEY: Binance spot has no native trailing stop. MIKEY watches the price and sends a market buy when it rises 1 USDT from its low; it does not act while MIKEY is stopped.',
    );
    const parent = await rowOf(placed.orderId);
    expect(trailOf(parent)).toMatchObject({ watermark: p0.toFixed(), stopPrice: buyStop(p0, '1').toFixed() });
    expect(orderPosts()).toBe(posts);

    let low = p0;
    let stop = buyStop(low, '1');
    const trigger = await walk(
      app,
      SOL,
      (p) => p.gte(stop),
      async (p) => {
        if (!p.lt(low)) return;
        expect(await work()).toBe(0);
        low = p;
        stop = buyStop(low, '1');
        expect(trailOf(await rowOf(placed.orderId)).watermark, 'the watermark follows the low').toBe(low.toFixed());
      },
    );
    expect(orderPosts()).toBe(posts);
    fake.setPrice('SOLUSDT', trigger.toFixed());
    expect(await work()).toBe(1);
    const sent = venueOrdersFor(parent.clientOrderId);
    expect(sent.map((o) => [o.clientOrderId, o.side, dec(o.origQty).toFixed(), o.status])).toEqual([[`${parent.clientOrderId}:0`, 'BUY', '0.3', 'FILLED']]);
    const done = await rowOf(placed.orderId);
    expect(done.status).toBe('filled');
    expect(dec(done.filledQuantity).toFixed()).toBe('0.3');
    expect(trailOf(done)).toMatchObject({ watermark: low.toFixed(), stopPrice: stop.toFixed(), triggeredAt: trigger.toFixed() });
    expect(await lockedOf(app, liveId, 'USDT'), 'nothing is left held for the order').toBe('0');
    expect(await ledgerOf(app, liveId)).toEqual(venueTotals());
  });

  it('cancelling before the trigger sends nothing and releases the reservation', async () => {
    const posts = orderPosts();
    const placed = await placeWithCard(app, actor, { portfolioId: liveId, symbol: SOL, side: 'sell', type: 'trailing_stop', trailingPercent: '3', quantity: '0.4' });
    expect(await lockedOf(app, liveId, 'SOL')).toBe('0.4');
    const c = await app.services.trading.cancelOrder(actor, placed.orderId);
    expect(c.order.status).toBe('cancelled');
    expect(await lockedOf(app, liveId, 'SOL'), 'the reservation is released').toBe('0');
    expect(orderPosts(), 'nothing was sent to cancel either').toBe(posts);
    expect(venueOrdersFor((await rowOf(placed.orderId)).clientOrderId)).toHaveLength(0);
    expect(await work()).toBe(0);
  });

  it('an emulated trailing stop cannot be amended: cancel it and place a new one', async () => {
    const placed = await placeWithCard(app, actor, { portfolioId: liveId, symbol: SOL, side: 'sell', type: 'trailing_stop', trailingPercent: '2', quantity: '0.1' });
    const err = await app.services.trading.amendOrder(actor, placed.orderId, { quantity: '0.05' }).catch((e: unknown) => e);
    expect(isAppError(err) && [err.message, err.hint]).toEqual(['this trailing stop is emulated by MIKEY and cannot be amended', 'cancel it and place a new one']);
    await app.services.trading.cancelOrder(actor, placed.orderId);
  });

  it('after a restart a fresh trading layer resumes from the stored watermark and releases the sell once', async () => {
    const p0 = await priceOf(app, SOL);
    const placed = await placeWithCard(app, actor, { portfolioId: liveId, symbol: SOL, side: 'sell', type: 'trailing_stop', trailingPercent: '2', quantity: '0.2' });
    const cid = (await rowOf(placed.orderId)).clientOrderId;
    // The first process sees one new high, then stops.
    const high = await walk(app, SOL, (p) => p.gt(p0), async () => undefined);
    expect(await work()).toBe(0);
    expect(trailOf(await rowOf(placed.orderId)).watermark).toBe(high.toFixed());

    // A new process on the same database: its own engine, router and venue adapter.
    const layer: TradingLayer = createTradingLayer({
      db: app.database.db,
      clock,
      logger: app.logger,
      events: app.services.events,
      markets: app.services.market.catalog,
      venueFeed: app.services.market.venueFeed,
      openLive: liveVenueOpener({
        db: app.database.db,
        clock,
        logger: app.logger,
        secretKey: app.services.secretKey,
        ...(app.services.live.apiBaseUrl ? { apiBaseUrl: app.services.live.apiBaseUrl } : {}),
        build: app.services.live.build,
      }),
      timer: new ManualTimer(),
    });
    try {
      await layer.engine.start();
      expect((await rowOf(placed.orderId)).status, 'recovery leaves the emulated parent alone').toBe('open');
      expect(venueOrdersFor(cid)).toHaveLength(0);
      // The trail of the stored high: a price below the trail of the current price alone would not do.
      let wm = high;
      let stop = sellStop(wm, '2');
      const trigger = await walk(
        app,
        SOL,
        (p) => p.lte(stop),
        async (p) => {
          if (!p.gt(wm)) return;
          await layer.engine.tick();
          wm = p;
          stop = sellStop(wm, '2');
        },
      );
      fake.setPrice('SOLUSDT', trigger.toFixed());
      await layer.engine.tick();
      await layer.trading.idle();
      expect(venueOrdersFor(cid).map((o) => [o.clientOrderId, o.type, o.status])).toEqual([[`${cid}:0`, 'MARKET', 'FILLED']]);
      const done = await rowOf(placed.orderId);
      expect(done.status).toBe('filled');
      expect(trailOf(done)).toMatchObject({ watermark: wm.toFixed(), triggeredAt: trigger.toFixed() });
      await layer.engine.tick();
      expect(venueOrdersFor(cid), 'never sent twice').toHaveLength(1);
      expect(await ledgerOf(app, liveId)).toEqual(venueTotals());
    } finally {
      await layer.close();
    }
  });

  /** Places a 2% trailing sell of `quantity` and walks the price until it falls through the trail; returns the trigger price. */
  async function sellTrailToTrigger(quantity: string): Promise<{ orderId: string; cid: string; trigger: Dec }> {
    const p0 = await priceOf(app, SOL);
    const placed = await placeWithCard(app, actor, { portfolioId: liveId, symbol: SOL, side: 'sell', type: 'trailing_stop', trailingPercent: '2', quantity });
    let wm = p0;
    let stop = sellStop(wm, '2');
    const trigger = await walk(
      app,
      SOL,
      (p) => p.lte(stop),
      async (p) => {
        if (!p.gt(wm)) return;
        await work();
        wm = p;
        stop = sellStop(wm, '2');
      },
    );
    fake.setPrice('SOLUSDT', trigger.toFixed());
    return { orderId: placed.orderId, cid: (await rowOf(placed.orderId)).clientOrderId, trigger };
  }
  const childrenOf = (parentId: string): Promise<OrderRow[]> => app.database.db.select().from(orders).where(eq(orders.parentOrderId, parentId)).orderBy(asc(orders.clientOrderId));

  it('the child\'s answer lost: settled by looking it up, one venue order, the parent filled', async () => {
    const { orderId, cid } = await sellTrailToTrigger('0.1');
    fake.loseResponses({ path: '/api/v3/order', method: 'POST', count: 1 });
    expect(await work()).toBe(1);
    await app.services.trading.reconcilePending(0);
    await work();
    const [child, ...more] = await childrenOf(orderId);
    expect(more).toHaveLength(0);
    expect(child!.status).toBe('filled');
    expect((await rowOf(orderId)).status).toBe('filled');
    expect(venueOrdersFor(cid), 'one venue order').toHaveLength(1);
    expect(await ledgerOf(app, liveId)).toEqual(venueTotals());
  });

  it('a child the venue never took stays unknown and is never resent; after the grace the trail re-arms and the next child sells', async () => {
    const { orderId, cid } = await sellTrailToTrigger('0.1');
    const posts = orderPosts();
    fake.failWith(-1006, 'An unexpected response was received from the message bus. Execution status unknown.', { path: '/api/v3/order', method: 'POST' });
    expect(await work()).toBe(1);
    const [child] = await childrenOf(orderId);
    expect(child!.clientOrderId).toBe(`${cid}:0`);
    expect(child!.status, 'the outcome is unknown: the child stays pending').toBe('pending');
    expect(await lockedOf(app, liveId, 'SOL'), 'the child holds the parent\'s reservation').toBe('0.1');
    // Ticks and the pending-order recovery before the grace: nothing new is sent, the parent waits.
    await app.services.trading.reconcilePending(0);
    clock.advance(60_000);
    expect(await work()).toBe(0);
    expect((await rowOf(orderId)).status).toBe('open');
    expect(orderPosts() - posts, 'one attempt only: a live order is never resubmitted').toBe(1);
    // Past the grace the venue's "no such order" is believed: the child was not placed, and the trail re-arms.
    clock.advance(121_000);
    fake.setPrice('SOLUSDT', (await priceOf(app, SOL)).toFixed());
    await app.services.trading.reconcilePending(0);
    await work();
    let kids = await childrenOf(orderId);
    expect(kids[0]!.status).toBe('cancelled');
    expect(kids[0]!.rejectReason).toMatch(/it was not placed/);
    if (kids.length === 1) {
      // The price is back above the trail: the parent watches it again, holding nothing until it fires.
      const watchingAgain = await rowOf(orderId);
      expect([watchingAgain.status, trailOf(watchingAgain).released]).toEqual(['open', 1]);
      expect(await lockedOf(app, liveId, 'SOL')).toBe('0');
      let wm = dec(trailOf(watchingAgain).watermark);
      let stop = sellStop(wm, '2');
      const again = await walk(app, SOL, (p) => p.lte(stop), async (p) => {
        if (!p.gt(wm)) return;
        await work();
        wm = p;
        stop = sellStop(wm, '2');
      });
      fake.setPrice('SOLUSDT', again.toFixed());
      expect(await work()).toBe(1);
      kids = await childrenOf(orderId);
    }
    expect(kids.map((k) => k.clientOrderId), 'the re-armed trail sends the next child').toEqual([`${cid}:0`, `${cid}:1`]);
    expect((await rowOf(kids[1]!.id)).status).toBe('filled');
    const parent = await rowOf(orderId);
    expect([parent.status, dec(parent.filledQuantity).toFixed()]).toEqual(['filled', '0.1']);
    expect(venueOrdersFor(cid).map((o) => o.clientOrderId), 'only the second child reached the venue').toEqual([`${cid}:1`]);
    expect(await lockedOf(app, liveId, 'SOL')).toBe('0');
    expect(await ledgerOf(app, liveId)).toEqual(venueTotals());
  });
  it('a child refused before sending (429, the venue\'s ban) re-arms the trail; after the ban the next child sells', async () => {
    const { orderId, cid } = await sellTrailToTrigger('0.1');
    fake.injectFailure({ ...BINANCE_429, path: '/api/v3/order', method: 'POST' });
    expect(await work()).toBe(1);
    const [refused] = await childrenOf(orderId);
    expect([refused!.clientOrderId, refused!.status]).toEqual([`${cid}:0`, 'rejected']);
    expect(refused!.rejectReason).toMatch(/^(rate_limited|venue_unavailable):/);
    const waiting = await rowOf(orderId);
    expect([waiting.status, trailOf(waiting).released, trailOf(waiting).state], 're-armed, not cancelled').toEqual(['open', 1, 'watching']);
    expect(await lockedOf(app, liveId, 'SOL'), 'the refused child gave the reservation back').toBe('0');
    expect(await work(), 'nothing more before the retry time').toBe(0);
    clock.advance(31_000);
    let wm = dec(trailOf(waiting).watermark);
    let stop = sellStop(wm, '2');
    const price = await priceOf(app, SOL);
    const again = price.lte(stop)
      ? price
      : await walk(app, SOL, (p) => p.lte(stop), async (p) => {
          if (!p.gt(wm)) return;
          await work();
          wm = p;
          stop = sellStop(wm, '2');
        });
    fake.setPrice('SOLUSDT', again.toFixed());
    expect(await work()).toBe(1);
    const kids = await childrenOf(orderId);
    expect(kids.map((k) => [k.clientOrderId, k.status])).toEqual([[`${cid}:0`, 'rejected'], [`${cid}:1`, 'filled']]);
    expect((await rowOf(orderId)).status).toBe('filled');
    expect(venueOrdersFor(cid).map((o) => o.clientOrderId)).toEqual([`${cid}:1`]);
    expect(await lockedOf(app, liveId, 'SOL')).toBe('0');
    expect(await ledgerOf(app, liveId)).toEqual(venueTotals());
  });
});

describe('trailing stops on Binance USDⓈ-M futures', () => {
  const FKEY = 'trailFutKey0123456789abcdefgh';
  const FSECRET = 'trailFutSecret0123456789abcdef01';
  let ffake: FakeExchange;
  let fapp: TestApp;
  let factor: Actor;
  let fliveId: string;

  beforeAll(async () => {
    ffake = await startFakeExchange({ accounts: [{ apiKey: FKEY, secret: FSECRET, futures: { USDT: '1000' } }] });
    const s = await setUpLive({ url: ffake.url, apiKey: FKEY, secret: FSECRET, accountType: 'futures', username: 'perptrailer' });
    ({ app: fapp, actor: factor, liveId: fliveId } = s);
    const q = await fapp.services.market.venueFeed.getQuote('ETH-PERP');
    ffake.setPrice('ETHUSDT', dec(q.price).toDecimalPlaces(2).toFixed(2), 'perp');
  }, 60_000);

  afterAll(async () => {
    await fapp?.close();
    await ffake?.close();
  });

  it('a trailing stop by percent still goes to the venue natively as TRAILING_STOP_MARKET', async () => {
    const placed = await placeWithCard(fapp, factor, { portfolioId: fliveId, symbol: 'ETH-PERP', side: 'sell', type: 'trailing_stop', trailingPercent: '1.5', quantity: '0.02' });
    expect(placed.warnings.some((w) => w.startsWith('Emulated by MIKEY')), 'a native trailing stop is not emulated').toBe(false);
    const [row] = await fapp.database.db.select().from(orders).where(eq(orders.id, placed.orderId));
    expect(row!.algoParams === null || !('emulated' in row!.algoParams)).toBe(true);
    const atVenue = ffake.private.orders(FKEY).filter((o) => o.clientOrderId === row!.clientOrderId);
    expect(atVenue.map((o) => o.origType)).toEqual(['TRAILING_STOP_MARKET']);
    await fapp.services.trading.cancelOrder(factor, placed.orderId);
  });

  it('a trailing stop by amount is emulated, with the reason on the card', async () => {
    const posts = ffake.requests.filter((r) => r.method === 'POST' && /order/i.test(r.path)).length;
    const placed = await placeWithCard(fapp, factor, { portfolioId: fliveId, symbol: 'ETH-PERP', side: 'sell', type: 'trailing_stop', trailingAmount: '20', quantity: '0.02' });
    expect(placed.warnings).toContain(
      'Emulated by MIKEY: Binance futures trails only by a percentage, not by a price amount. MIKEY watches the price and sends a market sell when it falls 20 USDT from its high; it does not act while MIKEY is stopped.',
    );
    expect(placed.status).toBe('open');
    expect(ffake.requests.filter((r) => r.method === 'POST' && /order/i.test(r.path)).length, 'nothing sent').toBe(posts);
    await fapp.services.trading.cancelOrder(factor, placed.orderId);
  });
});
