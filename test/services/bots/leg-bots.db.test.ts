// Bots of strategies with legs (more than one market, perpetuals) on the whole app (simulated
// market, manual clock, a paper margin portfolio): a funding carry (yield optimisation) buys spot
// and shorts the perpetual at the leg's leverage when the funding rate pays, sees both sides on the
// next candle and keeps them, unwinds both when the rate falls below its exit, and places nothing
// twice when a candle is decided again after a crash; a pairs trade (statistical arbitrage) reads
// both perpetuals' candles and waits for its look-back.
import { and, eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bots, orders, positions } from '../../../src/db/schema/index.js';
import { D } from '../../../src/domain/money.js';
import { actorFor, type Actor } from '../../../src/services/actor.js';
import { BotRunner } from '../../../src/services/bots/bot-runner.js';
import { readBotConfig } from '../../../src/services/bots/bot-config.js';
import { createUser } from '../../../src/services/users.js';
import { createTestApp, type TestApp } from '../../support/app.js';
import { manualClock, type ManualClock } from '../market/support.js';

const HOUR = 3_600_000;
const BASE = Date.UTC(2025, 3, 7, 0, 0, 30);

let app: TestApp;
let clock: ManualClock;
let runner: BotRunner;
let trader: Actor;
let portfolioId: string;
/** Half a minute into an hour whose BTC-PERP funding rate is positive (found by scanning; the simulated market is deterministic). */
let start: number;

const botRow = async (id: string): Promise<typeof bots.$inferSelect> => (await app.services.db.select().from(bots).where(eq(bots.id, id)))[0]!;
const botOrders = async (id: string): Promise<Array<typeof orders.$inferSelect>> =>
  app.services.db.select().from(orders).where(like(orders.clientOrderId, `bot:${id.slice(0, 8)}:%`)).orderBy(orders.clientOrderId);
const openPosition = async (symbol: string): Promise<typeof positions.$inferSelect | undefined> =>
  (await app.services.db.select().from(positions).where(and(eq(positions.portfolioId, portfolioId), eq(positions.symbol, symbol), eq(positions.status, 'open'))))[0];

beforeAll(async () => {
  clock = manualClock(BASE);
  app = await createTestApp({ MIKEY_MARKET: 'sim' }, { clock });
  const s = app.services;
  runner = new BotRunner({ db: s.db, clock: s.clock, logger: s.logger, market: s.market, portfolios: s.portfolio, trading: s.trading });
  trader = actorFor((await createUser(s.db, { username: 'legbotter' })).id, 'terminal');
  portfolioId = (await s.portfolio.createPortfolio(trader, { name: 'Carry', startingCash: '10000', accountType: 'margin' })).id;
  // The first hour (of 72) whose funding rate one hour later — when the bot decides — is at least 0.
  for (let h = 0; h < 72; h++) {
    clock.set(BASE + (h + 1) * HOUR);
    if (!new D((await s.market.getFundingRate('BTC-PERP')).rate).isNeg()) {
      start = BASE + h * HOUR;
      break;
    }
  }
  expect(start, 'an hour with a non-negative funding rate within three days').toBeDefined();
}, 60_000);
afterAll(async () => app?.close());

describe('a funding carry bot (spot and its perpetual)', () => {
  let botId: string;

  it('is created with a card naming both markets, on a margin portfolio', async () => {
    clock.set(start);
    const r = await app.services.bots.create(trader, {
      name: 'BTC carry', strategy: 'yield_optimisation', params: { entryApr: 0, exitApr: -100, allocation: '0.05', leverage: 2 }, symbol: 'BTC/USDT', timeframe: '1h', portfolioId,
      limits: { maxOrderNotional: '600', maxDailyNotional: '3000' },
    });
    botId = r.bot.id;
    expect(r.card.lines.join('\n')).toMatch(/Markets: BTC\/USDT \(spot; its candles time the decisions\) and BTC-PERP \(perpetual, long or short, 2x: margin = notional \/ leverage/);
    await app.services.bots.approveAndStart(trader, { botId, approve: true });
  });

  it('buys spot and sells the perpetual at 2x when the candle closes with funding paying', async () => {
    clock.set(start + HOUR);
    const r = await runner.runBot(botId);
    expect(r, JSON.stringify(r.skipped)).toMatchObject({ candles: 1, placed: 2, skipped: [] });
    const placed = await botOrders(botId);
    expect(placed.map((o) => [o.symbol, o.side, o.orderType, o.status])).toEqual([
      ['BTC/USDT', 'buy', 'market', 'filled'],
      ['BTC-PERP', 'sell', 'market', 'filled'],
    ]);
    expect(placed[1]!.clientOrderId).toMatch(/:1:carry-perp$/);
    // One quantity for both sides, each rounded down to its market's step (spot 0.00001 BTC, the perpetual 0.001).
    expect(new D(placed[1]!.quantity).toFixed(), 'the perpetual short is the spot quantity at its coarser step').toBe(new D(placed[0]!.quantity).toDecimalPlaces(3, D.ROUND_DOWN).toFixed());
    expect(new D(placed[1]!.quantity).gt(0)).toBe(true);
    const short = await openPosition('BTC-PERP');
    expect(short?.side).toBe('short');
    expect(new D(short!.leverage).toFixed(), 'the leg\'s leverage').toBe('2');
    expect(new D(short!.quantity).toFixed()).toBe(new D(placed[1]!.quantity).toFixed());
  });

  it('sees both sides on the next candle and keeps the carry (the rate stays above its exit)', async () => {
    clock.set(start + 2 * HOUR);
    const r = await runner.runBot(botId);
    expect(r).toMatchObject({ candles: 1, placed: 0, skipped: [] });
    expect(await botOrders(botId)).toHaveLength(2);
  });

  it('deciding a candle again after a crash places none of its leg orders twice', async () => {
    // Exit at any rate below 1000% a year: the 15:00 decision unwinds both sides.
    const row = await botRow(botId);
    const config = readBotConfig(row.config);
    await app.services.db.update(bots).set({ config: { ...config, params: { ...config.params, entryApr: 1000, exitApr: 999 } } }).where(eq(bots.id, botId));
    clock.set(start + 3 * HOUR);
    const before = (await botRow(botId)).config;
    expect(await runner.runBot(botId, { maxCandles: 1 })).toMatchObject({ candles: 1, placed: 2 });
    await app.services.db.update(bots).set({ config: before }).where(eq(bots.id, botId));
    // Decided again, the candle sees the holdings its first attempt left (both sides closed): nothing more to do.
    expect(await runner.runBot(botId, { maxCandles: 1 })).toMatchObject({ candles: 1, placed: 0 });
    const all = await botOrders(botId);
    expect(all.slice(2).map((o) => [o.symbol, o.side, o.status]), 'one unwind per side').toEqual([
      ['BTC/USDT', 'sell', 'filled'],
      ['BTC-PERP', 'buy', 'filled'],
    ]);
    expect(await openPosition('BTC-PERP'), 'the short is closed').toBeUndefined();
    const perf = await app.services.bots.get(trader, { botId });
    expect(perf.performance?.tradeCount, 'four fills over two markets').toBe(4);
  });
});

describe('a pairs trade bot (two perpetuals)', () => {
  it('decides on both legs\' candles and places nothing before its look-back is full', async () => {
    clock.set(start);
    const { bot } = await app.services.bots.create(trader, {
      name: 'BTC/ETH pairs', strategy: 'statistical_arbitrage', params: { pair: 'ETH', lookback: 10 }, symbol: 'BTC/USDT', timeframe: '1h', portfolioId,
      limits: { maxOrderNotional: '200', maxDailyNotional: '1000' },
    });
    expect(bot.status).toBe('stopped');
    await app.services.bots.approveAndStart(trader, { botId: bot.id, approve: true });
    clock.set(start + 9 * HOUR);
    const r = await runner.runBot(bot.id);
    expect(r, 'nine closed candles decided, the tenth not closed yet').toMatchObject({ candles: 9, placed: 0, skipped: [] });
    expect(readBotConfig((await botRow(bot.id)).config).processed).toBe(9);
    await app.services.bots.stop(trader, { botId: bot.id });
  });
});
