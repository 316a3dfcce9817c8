// Backfilled history is never news: a wallet's events fetched by a backfill (backfill.ts) when it was
// first watched sit on its card and in backtests (which study that history), but a paper bot deciding the
// candle they fall in does not trade on them and no watcher is pushed — while a fresh event of the
// same size, wallet and asset does both. Simulated market and a manual clock, as the whale-following
// test; the events are written through the real event store with the backfill mark as ingestion
// writes it.
import { eq, inArray, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventAnalyses, onchainEvents, orders, walletScores, walletWatches, wallets } from '../../../src/db/schema/index.js';
import { withTransaction } from '../../../src/db/tx.js';
import { D } from '../../../src/domain/money.js';
import { classifyEvent } from '../../../src/domain/wallets/classify.js';
import { actorFor, type Actor } from '../../../src/services/actor.js';
import { StoredWhaleSignals } from '../../../src/services/backtest/whale-signals.js';
import { BotRunner } from '../../../src/services/bots/bot-runner.js';
import { BotService } from '../../../src/services/bots/bot-service.js';
import { createUser } from '../../../src/services/users.js';
import { storeEvents, type EventToStore } from '../../../src/services/wallets/event-store.js';
import { WhalePushes } from '../../../src/services/wallets/whale-pushes.js';
import { createTestApp, type TestApp } from '../../support/app.js';
import { RecordingNotifier, manualClock, type ManualClock } from '../market/support.js';

const MIN = 60_000;
const HOUR = 3_600_000;
/** The bot's first candle (12:00 UTC) and half a minute into it, when it is approved. */
const C0 = Date.UTC(2025, 2, 3, 12);
const START = C0 + 30_000;
const WHALE = '0x00000000000000000000000000000000000000a1';
const BACKFILLED_AT = C0 + HOUR + 10 * MIN; // inside candle 1 (13:00–14:00)
const FRESH_AT = C0 + 3 * HOUR + 10 * MIN; // inside candle 3 (15:00–16:00)

let app: TestApp;
let clock: ManualClock;
let alice: Actor;
let walletId: string;
let backfilledId: string;
let freshId: string;

/** A 1,000,000 USDC → WBTC buy by the whale, as EVM ingestion stores it; `backfill` as a backfill step stores it. */
function buy(at: number, hash: string, backfill: boolean): EventToStore {
  const amount = new D(12);
  const notionalUsd = new D(1_000_000);
  return {
    walletId, chain: 'ethereum', txHash: hash, logIndex: 3, occurredAt: new Date(at), blockNumber: Math.floor(at / 12_000), blockHash: `0x${'cd'.repeat(32)}`,
    eventType: 'swap', asset: 'WBTC', amount, notionalUsd, sizeFraction: null, venue: 'uniswap_v2', gasPrice: null,
    rawData: { kind: 'swap', protocol: 'uniswap_v2' },
    analysis: classifyEvent({ kind: 'swap', wallet: WHALE, sold: 'USDC', bought: 'WBTC', amount, notionalUsd }),
    ...(backfill ? { backfill: true } : {}),
  };
}

beforeAll(async () => {
  clock = manualClock(START);
  app = await createTestApp({ MIKEY_MARKET: 'sim' }, { clock });
  const db = app.services.db;
  const user = await createUser(db, { username: 'backfillalice' });
  alice = actorFor(user.id, 'terminal');
  const [w] = await db.insert(wallets).values({ address: WHALE, chain: 'ethereum', label: 'smart whale' }).returning({ id: wallets.id });
  walletId = w!.id;
  // Watched since 11:00, so both events fall after the watch began: only the backfill mark tells them apart.
  await db.insert(walletWatches).values({ userId: user.id, walletId, label: 'smart whale', createdAt: new Date(C0 - HOUR) });
  await db.insert(walletScores).values({ walletId, scoredAt: new Date(C0 - HOUR), credibility1h: '3', credibility4h: '8', credibility24h: '6' });
  const r = await withTransaction(db, (tx) => storeEvents(tx, [buy(BACKFILLED_AT, `0x${'b1'.repeat(32)}`, true), buy(FRESH_AT, `0x${'f1'.repeat(32)}`, false)]));
  expect(r.inserted).toBe(2);
  [backfilledId, freshId] = r.ids as [string, string];
  // Same analysis numbers for both: 1,000,000 × 8/10 × 0.5 = 400,000 ≥ the strategy's 250,000 entry flow.
  await db.update(eventAnalyses).set({ biasImpact: '0.6', llmConfidence: '0.5' }).where(inArray(eventAnalyses.eventId, [backfilledId, freshId]));
}, 60_000);
afterAll(async () => app?.close());

describe('backfilled whale events', () => {
  it('are stored as history: marked, never the first since the watch', async () => {
    const rows = await app.services.db.select().from(onchainEvents).where(eq(onchainEvents.walletId, walletId)).orderBy(onchainEvents.occurredAt);
    expect(rows.map((r) => [r.id, (r.rawData as { backfill?: boolean }).backfill ?? false, r.isFirstSinceWatch])).toEqual([
      [backfilledId, true, false],
      [freshId, false, true],
    ]);
  });

  it('are signals for a backtest that asks for history, never for a bot', async () => {
    const signals = new StoredWhaleSignals(app.services.db);
    expect((await signals.load('BTC', C0, C0 + 6 * HOUR)).map((s) => s.eventId), 'what a bot is handed').toEqual([freshId]);
    const history = await signals.load('BTC', C0, C0 + 6 * HOUR, { includeBackfilled: true });
    expect(history.map((s) => [s.eventId, s.at.getTime() - C0, s.direction, s.notionalUsd.toFixed(), s.credibility['4h'], s.confidence])).toEqual([
      [backfilledId, HOUR + 10 * MIN, 'buy', '1000000', 8, 0.5],
      [freshId, 3 * HOUR + 10 * MIN, 'buy', '1000000', 8, 0.5],
    ]);
  });

  it('a paper whale-following bot buys on the fresh move only, on the candle it happened in', async () => {
    const s = app.services;
    const service = new BotService({ db: s.db, clock: s.clock, logger: s.logger, market: s.market, portfolios: s.portfolio, trading: s.trading });
    const runner = new BotRunner({ db: s.db, clock: s.clock, logger: s.logger, market: s.market, portfolios: s.portfolio, trading: s.trading });
    const { bot } = await service.create(alice, { name: 'BTC whales', strategy: 'whale_following', symbol: 'BTC/USDT', timeframe: '1h', limits: { maxOrderNotional: '1000', maxDailyNotional: '10000' } });
    await service.approveAndStart(alice, { botId: bot.id, approve: true });
    clock.set(START + 5 * HOUR);
    const run = await runner.runBot(bot.id);
    expect(run.candles, 'candles 12:00 … 16:00 decided').toBe(5);
    const placed = await s.db.select().from(orders).where(like(orders.clientOrderId, `bot:${bot.id.slice(0, 8)}:%`)).orderBy(orders.clientOrderId);
    expect(placed.map((o) => [o.clientOrderId, o.side, o.signalEventId]), 'no entry on 13:00 (the backfilled buy), one on 15:00 (the fresh one)').toEqual([
      [`bot:${bot.id.slice(0, 8)}:${C0 + 3 * HOUR}:0:whale-entry`, 'buy', freshId],
    ]);
    await service.stop(alice, { botId: bot.id });
  });

  it('a backtest over the same window studies the backfilled history: it buys after the 13:00 move', async () => {
    const r = await app.services.backtest.runBacktest(alice, {
      strategy: 'whale_following', symbol: 'BTC/USDT', timeframe: '1h', from: new Date(C0).toISOString(), to: new Date(C0 + 6 * HOUR).toISOString(), slippageBps: '0',
    });
    expect(r.candles, 'the closed candles 12:00 … 16:00 (the clock is at 17:00:30)').toBe(5);
    // Decided on 13:00's close (the backfilled buy), filled at 14:00's open — two candles before the bot's entry.
    expect(r.firstFill, 'the entry on the backfilled move').toMatchObject({ at: new Date(C0 + 2 * HOUR).toISOString(), side: 'buy', tag: 'whale-entry' });
  });

  it('are not pushed to the watcher; the fresh move is, once', async () => {
    const notifier = new RecordingNotifier();
    const pushes = new WhalePushes({ db: app.services.db, notifier, clock });
    const report = await pushes.runOnce();
    expect([report.recorded, report.sent]).toEqual([1, 1]);
    expect(notifier.sent.map((n) => n.title)).toEqual([expect.stringContaining('smart whale')]);
    expect(notifier.sent[0]!.title).toContain('WBTC');
    expect(await pushes.runOnce(), 'nothing the second time').toEqual({ recorded: 0, sent: 0 });
  });
});
