// Whale following over stored wallet events (simulated market, manual clock): the signal source reads
// only counted events in the market's asset with the credibility known at the event; a backtest buys
// on the candle after a credible wallet's buy (in a sweep's worker threads too); a paper bot on the
// same data places the same order with its deterministic client order id; and a bot can be created
// from a stored backtest (id prefix or "last"), with overrides, conflicts and other users' backtests
// answered clearly. The bot's entry records the whale move that caused it (the order's signal event,
// the opened position's wallet) and explain-order tells it; an order without a signal says nothing of whales.
import { eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withoutUntrustedMarks } from '../../../src/bot/person-text.js';
import { bots, eventAnalyses, onchainEvents, orders, positions, walletScores, walletWatches, wallets } from '../../../src/db/schema/index.js';
import { actorFor, type Actor } from '../../../src/services/actor.js';
import { StoredWhaleSignals, assetAliases } from '../../../src/services/backtest/whale-signals.js';
import { readBotConfig } from '../../../src/services/bots/bot-config.js';
import { BotRunner } from '../../../src/services/bots/bot-runner.js';
import { BotService } from '../../../src/services/bots/bot-service.js';
import { createUser, type User } from '../../../src/services/users.js';
import { call, connect, expectClean, placeConfirmed, text } from '../../tools/harness.js';
import { createTestApp, type TestApp } from '../../support/app.js';
import { manualClock, rejection, type ManualClock } from '../market/support.js';

const MIN = 60_000;
const HOUR = 3_600_000;
/** The first candle the bot decides on (12:00), and half a minute into it. */
const C0 = Date.UTC(2025, 2, 3, 12);
const START = C0 + 30_000;
const LIMITS = { maxOrderNotional: '1000', maxDailyNotional: '10000' };

let app: TestApp;
let clock: ManualClock;
let service: BotService;
let runner: BotRunner;
let alice: Actor;
let bob: Actor;
let credibleEvent: string;
let credibleWallet: string;
let aliceUser: User;
let bobUser: User;

async function wallet(address: string): Promise<string> {
  const [w] = await app.services.db.insert(wallets).values({ address, chain: 'ethereum' }).returning({ id: wallets.id });
  return w!.id;
}

async function event(walletId: string, at: number, asset: string, notionalUsd: string, bias: string, opts: { confidence?: string; retracted?: boolean } = {}): Promise<string> {
  const [e] = await app.services.db
    .insert(onchainEvents)
    .values({ occurredAt: new Date(at), walletId, txHash: `0x${at.toString(16)}${asset.toLowerCase()}`, eventType: 'swap', asset, notionalUsd, retractedAt: opts.retracted ? new Date(at + MIN) : null })
    .returning({ id: onchainEvents.id });
  await app.services.db.insert(eventAnalyses).values({ eventId: e!.id, biasImpact: bias, llmConfidence: opts.confidence ?? '1', llmClassification: 'accumulation' });
  return e!.id;
}

beforeAll(async () => {
  clock = manualClock(START);
  app = await createTestApp({ MIKEY_MARKET: 'sim' }, { clock });
  const s = app.services;
  service = new BotService({ db: s.db, clock: s.clock, logger: s.logger, market: s.market, portfolios: s.portfolio, trading: s.trading });
  runner = new BotRunner({ db: s.db, clock: s.clock, logger: s.logger, market: s.market, portfolios: s.portfolio, trading: s.trading });
  aliceUser = await createUser(s.db, { username: 'whalealice' });
  bobUser = await createUser(s.db, { username: 'whalebob' });
  alice = actorFor(aliceUser.id, 'terminal');
  bob = actorFor(bobUser.id, 'terminal');

  const a = await wallet('0x00000000000000000000000000000000000000a1');
  const b = await wallet('0x00000000000000000000000000000000000000b2');
  credibleWallet = a;
  await s.db.insert(walletWatches).values({ userId: aliceUser.id, walletId: a, label: 'smart whale' });
  // Wallet a: credible (4h = 8) before its buy, scored 1 just after it — a later score must not be used.
  await s.db.insert(walletScores).values([
    { walletId: a, scoredAt: new Date(C0 - HOUR), credibility1h: '3', credibility4h: '8', credibility24h: '6' },
    { walletId: a, scoredAt: new Date(C0 + 2 * HOUR + 20 * MIN), credibility1h: '1', credibility4h: '1', credibility24h: '1' },
    // Wallet b's only score comes after its event: at the event its credibility is unknown.
    { walletId: b, scoredAt: new Date(C0 + HOUR + 30 * MIN), credibility1h: '9', credibility4h: '9', credibility24h: '9' },
  ]);
  // The one signal that counts: 1,000,000 × 8/10 × 0.5 = 400,000 ≥ 250,000, inside candle 2 (14:00–15:00), as WBTC.
  credibleEvent = await event(a, C0 + 2 * HOUR + 10 * MIN, 'WBTC', '1000000', '0.6', { confidence: '0.5' });
  // None of these may buy on candle 1: retracted, another asset, a wallet not yet scored, no bias.
  await event(a, C0 + HOUR + 5 * MIN, 'BTC', '5000000', '0.9', { retracted: true });
  await event(a, C0 + HOUR + 6 * MIN, 'ETH', '5000000', '0.9');
  await event(b, C0 + HOUR + 7 * MIN, 'BTC', '5000000', '0.9');
  await event(a, C0 + HOUR + 8 * MIN, 'BTC', '5000000', '0');
}, 60_000);
afterAll(async () => app?.close());

describe('the stored whale-signal source', () => {
  it('names the wrapped forms of an asset', () => {
    expect(assetAliases('btc')).toEqual(['BTC', 'CBBTC', 'WBTC', 'XBT']);
    expect(assetAliases('ETH')).toEqual(['ETH', 'STETH', 'WETH', 'WSTETH']);
  });

  it('reads counted events in the asset, with the credibility scored at or before each event', async () => {
    const signals = await new StoredWhaleSignals(app.services.db).load('BTC', C0, C0 + 6 * HOUR);
    expect(signals.map((x) => ({ at: x.at.getTime() - C0, direction: x.direction, usd: x.notionalUsd.toFixed(), cred: x.credibility, confidence: x.confidence }))).toEqual([
      { at: HOUR + 7 * MIN, direction: 'buy', usd: '5000000', cred: { '1h': null, '4h': null, '24h': null }, confidence: 1 },
      { at: 2 * HOUR + 10 * MIN, direction: 'buy', usd: '1000000', cred: { '1h': 3, '4h': 8, '24h': 6 }, confidence: 0.5 },
    ]);
    expect(signals[1]!.eventId).toBe(credibleEvent);
    expect(await new StoredWhaleSignals(app.services.db).load('BTC', C0 + 3 * HOUR, C0 + 6 * HOUR), 'nothing outside the window').toEqual([]);
  });
});

describe('a whale-following bot and a backtest on the same stored events', () => {
  let botId: string;

  it('the bot, approved at 12:00, buys on 14:00\'s close with its deterministic client order id', async () => {
    const { bot } = await service.create(alice, { name: 'BTC whales', strategy: 'whale_following', symbol: 'BTC/USDT', timeframe: '1h', limits: LIMITS });
    botId = bot.id;
    await service.approveAndStart(alice, { botId, approve: true });
    expect(readBotConfig((await app.services.db.select().from(bots).where(eq(bots.id, botId)))[0]!.config).origin).toBe(C0);
    clock.set(START + 6 * HOUR);
    const run = await runner.runBot(botId);
    expect(run.candles).toBe(6);
    const placed = await app.services.db.select().from(orders).where(like(orders.clientOrderId, `bot:${botId.slice(0, 8)}:%`)).orderBy(orders.clientOrderId);
    expect(placed[0]?.clientOrderId, 'the entry decided on candle 2 (14:00)').toBe(`bot:${botId.slice(0, 8)}:${C0 + 2 * HOUR}:0:whale-entry`);
    expect(placed[0]).toMatchObject({ side: 'buy', orderType: 'market', quoteQuantity: expect.stringMatching(/^1000(\.0+)?$/) });
    // Run again: nothing new closed, nothing placed twice.
    const again = await runner.runBot(botId);
    expect(again).toMatchObject({ candles: 0, placed: 0 });
    expect(await app.services.db.select().from(orders).where(like(orders.clientOrderId, `bot:${botId.slice(0, 8)}:%`))).toHaveLength(placed.length);
    await service.stop(alice, { botId });
  });

  it('the entry records the whale move that caused it, and explain-order tells it', async () => {
    const [entry] = await app.services.db.select().from(orders).where(eq(orders.clientOrderId, `bot:${botId.slice(0, 8)}:${C0 + 2 * HOUR}:0:whale-entry`));
    expect(entry?.signalEventId, 'the credible buy at 14:10').toBe(credibleEvent);
    expect(entry?.positionId, 'the paper market buy filled into a spot position').toBeTruthy();
    const [pos] = await app.services.db.select().from(positions).where(eq(positions.id, entry!.positionId!));
    expect(pos?.signalWalletId, 'the position names the whale').toBe(credibleWallet);

    const e = await app.services.trading.explainOrder(alice, entry!.id);
    expect(e.signal).toMatchObject({ eventId: credibleEvent, walletId: credibleWallet, label: 'smart whale', classification: 'accumulation', asset: 'WBTC', notionalUsd: '1000000' });
    const c = await connect(app, aliceUser);
    try {
      const t = expectClean('explain-order', await call(c.client, 'explain-order', { orderId: entry!.id.slice(0, 8) }));
      // The bot's name and the wallet label are the owner's text: marked for the model, plain for a person.
      expect(t).toContain('bot <untrusted-data source="bot name">BTC whales</untrusted-data>');
      expect(t).toContain('<untrusted-data source="wallet label">smart whale</untrusted-data> (0x0000…00a1)');
      expect(withoutUntrustedMarks(t)).toContain('Placed by bot BTC whales on a whale move: smart whale (0x0000…00a1) accumulation WBTC ($1000000) at 2025-03-03 14:10 UTC.');
    } finally {
      await c.close();
    }
  });

  it('an order without a signal records none and its explanation says nothing of whales', async () => {
    const c = await connect(app, bobUser);
    try {
      await placeConfirmed(c.client, { symbol: 'BTC/USDT', side: 'buy', type: 'market', quoteQuantity: '100' });
      const [mine] = await app.services.db.select().from(orders).where(eq(orders.userId, bobUser.id));
      expect(mine).toMatchObject({ signalEventId: null });
      expect(mine?.positionId).toBeTruthy();
      const [pos] = await app.services.db.select().from(positions).where(eq(positions.id, mine!.positionId!));
      expect(pos?.signalWalletId).toBeNull();
      expect((await app.services.trading.explainOrder(bob, mine!.id)).signal).toBeNull();
      const t = text(await call(c.client, 'explain-order', { orderId: mine!.id.slice(0, 8) }));
      expect(t).not.toMatch(/whale/i);
    } finally {
      await c.close();
    }
  });

  it('the backtest over the same window buys at 15:00\'s open, after the same decision', async () => {
    const r = await app.services.backtest.runBacktest(alice, {
      strategy: 'whale_following', symbol: 'BTC/USDT', timeframe: '1h', from: new Date(C0).toISOString(), to: new Date(C0 + 6 * HOUR).toISOString(), slippageBps: '0',
    });
    expect(r.candles).toBe(6);
    expect(r.firstFill, 'filled at the open of the candle after the decision').toMatchObject({ at: new Date(C0 + 3 * HOUR).toISOString(), side: 'buy', type: 'market', tag: 'whale-entry' });
    expect(r.params).toMatchObject({ minCredibility: 5, credibilityWindow: '4h', entryFlowUsd: '250000', quoteAmount: '1000' });
  });

  it('a sweep carries the signals to its worker threads: the out-of-sample fold holding the credible buy trades', async () => {
    // 120 candles to 17:00; one fold, the last 36 candles out of sample, the buy at 14:10 among them.
    const r = await app.services.backtest.sweep(alice, { strategy: 'whale_following', grid: { lookback: [1, 2] }, symbol: 'BTC/USDT', days: 5, folds: 1 }, { workers: 2 });
    expect(r.folds).toHaveLength(1);
    expect(Date.parse(r.folds[0]!.outOfSampleFrom)).toBeLessThan(C0 + 2 * HOUR);
    expect(r.folds[0]!.outOfSampleTrades, 'the entry on the stored event').toBeGreaterThanOrEqual(1);
  });
});

describe('a bot from a stored backtest', () => {
  let backtestId: string;

  beforeAll(async () => {
    clock.advance(MIN);
    const r = await app.services.backtest.runBacktest(alice, {
      strategy: 'whale_following', params: { minCredibility: 6, lookback: 2, quoteAmount: '500' }, symbol: 'BTC/USDT', timeframe: '1h', days: 2,
    });
    backtestId = r.id;
  });

  it('copies strategy, parameters, market and timeframe from an id prefix, and says so', async () => {
    const r = await service.create(alice, { fromBacktest: backtestId.slice(0, 6), limits: LIMITS });
    expect(r.bot).toMatchObject({ strategy: 'whale_following', symbol: 'BTC/USDT', timeframe: '1h', status: 'stopped', name: `whale following BTC/USDT from ${backtestId.slice(0, 8)}` });
    expect(r.card.params).toMatchObject({ minCredibility: '6', lookback: '2', quoteAmount: '500' });
    expect(r.copiedFrom).toMatchObject({ backtestId, strategy: 'whale_following', symbol: 'BTC/USDT', timeframe: '1h', changed: [] });
    expect(r.message).toMatch(new RegExp(`Copied from backtest ${backtestId.slice(0, 8)} \\(whale_following on BTC/USDT 1h, .* to .*\\): strategy whale_following, market BTC/USDT, timeframe 1h, parameters .*minCredibility 6`));
    expect(r.message, 'no JSON for a person').not.toMatch(/[{}]/);
  });

  it('"last" is the most recent backtest; given arguments override and are listed', async () => {
    const r = await service.create(alice, { fromBacktest: 'last', name: 'whales 4h', timeframe: '4h', params: { quoteAmount: '250' }, limits: LIMITS });
    expect(r.copiedFrom?.backtestId).toBe(backtestId);
    expect(r.bot).toMatchObject({ name: 'whales 4h', timeframe: '4h', strategy: 'whale_following' });
    expect(r.card.params).toMatchObject({ minCredibility: '6', quoteAmount: '250' });
    expect(r.copiedFrom?.changed).toEqual(['timeframe 4h (the backtest ran 1h)', 'quoteAmount 250 (the backtest used 500)']);
    expect(r.message).toMatch(/Changed from the backtest: timeframe 4h \(the backtest ran 1h\); quoteAmount 250 \(the backtest used 500\)\./);
  });

  it('refuses a conflicting strategy, a prefix that matches nothing and another user\'s backtest, creating nothing', async () => {
    const before = (await app.services.db.select({ id: bots.id }).from(bots)).length;
    const conflict = await rejection(service.create(alice, { fromBacktest: backtestId.slice(0, 8), strategy: 'dca', limits: LIMITS }));
    expect(conflict.message).toBe(`backtest ${backtestId.slice(0, 8)} ran whale_following, but you asked for a dca bot`);
    expect(conflict.hint).toMatch(/leave out strategy/);
    const nothing = await rejection(service.create(alice, { fromBacktest: 'ffffffff', limits: LIMITS }));
    expect([nothing.code, nothing.message]).toEqual(['not_found', 'backtest not found']);
    const theirs = await rejection(service.create(bob, { fromBacktest: backtestId.slice(0, 8), limits: LIMITS }));
    expect([theirs.code, theirs.message], 'another user\'s backtest is not found').toEqual(['not_found', 'backtest not found']);
    const whole = await rejection(service.create(bob, { fromBacktest: backtestId, limits: LIMITS }));
    expect([whole.code, whole.message], 'not by its whole id either').toEqual(['not_found', 'backtest not found']);
    const none = await rejection(service.create(bob, { fromBacktest: 'last', limits: LIMITS }));
    expect([none.code, none.message]).toEqual(['not_found', 'you have no backtests yet']);
    const bad = await rejection(service.create(alice, { fromBacktest: 'latest', limits: LIMITS }));
    expect(bad.message).toMatch(/fromBacktest must be a backtest id or its first characters.*or "last"/);
    expect((await app.services.db.select({ id: bots.id }).from(bots)).length).toBe(before);
  });

  it('without fromBacktest, strategy, symbol and name are still required', async () => {
    expect((await rejection(service.create(alice, { name: 'x', symbol: 'BTC/USDT', limits: LIMITS }))).message).toMatch(/strategy is required/);
    expect((await rejection(service.create(alice, { name: 'x', strategy: 'dca', params: { quoteAmount: '10' }, limits: LIMITS }))).message).toMatch(/symbol is required/);
    expect((await rejection(service.create(alice, { strategy: 'dca', params: { quoteAmount: '10' }, symbol: 'BTC/USDT', limits: LIMITS }))).message).toMatch(/name is required/);
  });
});
