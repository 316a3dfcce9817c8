// Whale alerts in the engine, against stored state: a multi-condition rule (a wallet with 4 h
// credibility ≥ 7 buys ≥ $1M of ETH + RSI(1h) from stored candles + price above X) fires exactly once
// when a credible wallet's stored buy arrives, not again on later sweeps or after a restart, and again
// (repeat mode) on a newer qualifying move. Moves of unscored or low-credibility wallets, too small,
// retracted, or scored only after the move, never qualify.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/client.js';
import { withTransaction } from '../../../src/db/tx.js';
import { alerts, onchainEvents, walletScores, wallets } from '../../../src/db/schema/index.js';
import { rsi } from '../../../src/domain/indicators/index.js';
import { D } from '../../../src/domain/money.js';
import type { PriceQuote } from '../../../src/domain/ports.js';
import { classifyEvent } from '../../../src/domain/wallets/classify.js';
import type { Actor } from '../../../src/services/actor.js';
import { AlertEngine } from '../../../src/services/alerts/alert-engine.js';
import { AlertService } from '../../../src/services/alerts/alert-service.js';
import { NotifierHub } from '../../../src/services/alerts/notifier-hub.js';
import { EventBus } from '../../../src/services/events.js';
import type { MarketService } from '../../../src/services/market-data/market-service.js';
import { storeEvents, type EventToStore } from '../../../src/services/wallets/event-store.js';
import { loadWhaleMoves } from '../../../src/services/wallets/whale-moves.js';
import { createTestDatabase } from '../../support/db.js';
import { HOUR, MINUTE, T0, manualClock, newActor, RecordingNotifier, simMarketService, type ManualClock } from '../market/support.js';

const CREDIBLE = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
const DOUBTFUL = '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359';
const LATE = '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB';

let database: Database;
let clock: ManualClock;
let market: MarketService;
let service: AlertService;
let alice: Actor;
let price: number;
let rsiNow: number;
const wallet: Record<string, string> = {};
const engines: AlertEngine[] = [];
let seq = 0;

function quote(symbol: string, p: string): PriceQuote {
  return { symbol, price: new D(p), bid: new D(p), ask: new D(p), publishTime: new Date(clock.ms), source: 'sim', simulated: true };
}

async function engine(notifier = new RecordingNotifier()): Promise<{ e: AlertEngine; notifier: RecordingNotifier }> {
  const e = new AlertEngine({ db: database.db, market, notifier, events: new EventBus(), clock, feed: null, sweepIntervalMs: 0, initialSweep: false });
  engines.push(e);
  await e.start();
  return { e, notifier };
}

/** A sweep with a fresh ETH price (the engine has no feed here). */
async function sweep(e: AlertEngine, p = price): Promise<void> {
  await e.handleQuote(quote('ETH/USDT', String(p)));
  await e.sweep();
}

/** Stores an ETH perp move of `address`, `minutesAgo` before now, worth `usd`. */
async function move(address: string, usd: number, opts: { minutesAgo?: number; side?: 'long' | 'short' } = {}): Promise<string> {
  const occurredAt = new Date(clock.ms - (opts.minutesAgo ?? 5) * MINUTE);
  const size = new D(usd).div(3000);
  const end = opts.side === 'short' ? size.neg() : size;
  seq++;
  const e: EventToStore = {
    walletId: wallet[address]!, chain: 'hyperliquid', txHash: `0x${seq.toString(16).padStart(64, '0')}`, logIndex: 0, occurredAt, blockNumber: null, blockHash: null,
    eventType: 'perp_open_long', asset: 'ETH', amount: size, notionalUsd: new D(usd), sizeFraction: null, venue: 'hyperliquid', gasPrice: null, rawData: {},
    analysis: classifyEvent({ kind: 'perp', wallet: address, coin: 'ETH', startPosition: new D(0), endPosition: end, notionalUsd: new D(usd) }),
  };
  const r = await withTransaction(database.db, (tx) => storeEvents(tx, [e]));
  return r.ids[0]!;
}

beforeAll(async () => {
  database = await createTestDatabase();
  clock = manualClock(T0);
  ({ market } = await simMarketService(database, clock));
  service = new AlertService({ db: database.db, market, events: new EventBus(), notifier: new NotifierHub(), clock });
  alice = await newActor(database, 'whale-alert-alice');
  for (const address of [CREDIBLE, DOUBTFUL, LATE]) {
    const [w] = await database.db.insert(wallets).values({ chain: 'hyperliquid', address }).returning();
    wallet[address] = w!.id;
  }
  // Scores known before the moves; LATE is scored only after (its record at move time is unknown).
  await database.db.insert(walletScores).values([
    { walletId: wallet[CREDIBLE]!, scoredAt: new Date(T0 - 2 * HOUR), credibility4h: '7.4000000000', credibility1h: '3.0000000000' },
    { walletId: wallet[DOUBTFUL]!, scoredAt: new Date(T0 - 2 * HOUR), credibility4h: '4.0000000000' },
    { walletId: wallet[LATE]!, scoredAt: new Date(T0 + 10 * HOUR), credibility4h: '9.5000000000' },
  ]);
  const series = await market.loadCandles('ETH/USDT', '1h', { limit: 300, closedOnly: true });
  const closes = series.candles.map((c) => c.close.toNumber());
  rsiNow = rsi(closes, 14).at(-1)!;
  price = Math.round(closes.at(-1)!);
});

afterAll(async () => {
  for (const e of engines) await e.stop();
  await market?.close();
  await database?.close();
});

describe('whale alerts', () => {
  it('create-alert accepts a whale leaf combined with RSI and price, in plain words', async () => {
    const r = await service.createAlert(alice, {
      condition: { type: 'all', conditions: [
        { type: 'whale_move', asset: 'eth', side: 'buy', minNotionalUsd: '1000000', minCredibility: 7 },
        { type: 'rsi_below', symbol: 'ETHUSDT', timeframe: '1h', value: 35 },
        { type: 'price_above', symbol: 'eth', price: '3000' },
      ] },
    });
    expect(r.description).toBe('a wallet with 4h credibility ≥ 7 buys ≥ $1,000,000 of ETH within 1 hour, ETH/USDT RSI(14, 1h) under 35 and ETH/USDT above 3,000');
    expect(r.symbol, 'the first market the rule reads').toBe('ETH/USDT');
    await service.deleteAlert(alice, r.id);
  });

  it('fires a multi-condition rule exactly once on a credible whale buy, and again only on a newer one', async () => {
    const rule = await service.createAlert(alice, {
      title: 'whale dip buy',
      mode: 'repeat',
      cooldownMinutes: 0,
      condition: { type: 'all', conditions: [
        { type: 'whale_move', asset: 'ETH', side: 'buy', minNotionalUsd: '1000000', minCredibility: 7, window: '4h', withinMinutes: 60 },
        { type: 'rsi_below', symbol: 'ETH/USDT', timeframe: '1h', value: Math.min(99, rsiNow + 1) },
        { type: 'price_above', symbol: 'ETH/USDT', price: String(price - 50) },
      ] },
    });
    const fired = async (): Promise<Array<typeof alerts.$inferSelect>> => database.db.select().from(alerts).where(eq(alerts.ruleId, rule.id));
    const { e, notifier } = await engine();
    await sweep(e);
    expect(await fired(), 'baseline: no whale move yet').toHaveLength(0);

    // Moves that do not qualify: low credibility, too small, a sell, scored only after, retracted.
    clock.advance(MINUTE);
    await move(DOUBTFUL, 5_000_000);
    await move(CREDIBLE, 900_000);
    await move(CREDIBLE, 2_000_000, { side: 'short' });
    await move(LATE, 3_000_000);
    const retracted = await move(CREDIBLE, 4_000_000);
    await database.db.update(onchainEvents).set({ retractedAt: new Date(clock.ms) }).where(eq(onchainEvents.id, retracted));
    await sweep(e);
    expect(await fired(), 'none of those moves qualifies').toHaveLength(0);
    expect(e.status().waiting[rule.id] ?? [], 'nothing missing: the rule waits on the market, not on data').toEqual([]);

    clock.advance(MINUTE);
    const buy = await move(CREDIBLE, 1_500_000, { minutesAgo: 2 });
    await sweep(e);
    let rows = await fired();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.triggerKey).toMatch(new RegExp(`:whale:${buy}$`));
    expect(rows[0]!.category).toBe('combined');
    expect(rows[0]!.message).toContain('0x5aAe…eAed bought $1.5M of ETH 2 min ago, 4h credibility 7.4');
    expect(notifier.sent.map((n) => n.title)).toEqual(['Alert: whale dip buy']);

    clock.advance(MINUTE);
    await sweep(e);
    const { e: restarted } = await engine();
    clock.advance(MINUTE);
    await sweep(restarted);
    expect(await fired(), 'the same move never fires twice, across sweeps and a restart').toHaveLength(1);

    clock.advance(MINUTE);
    const second = await move(CREDIBLE, 2_500_000, { minutesAgo: 1 });
    await sweep(restarted);
    rows = await fired();
    expect(rows.map((r) => r.triggerKey!.split(':whale:')[1]).sort(), 'a newer move fires the repeat rule again').toEqual([buy, second].sort());
    clock.advance(MINUTE);
    await sweep(restarted);
    await sweep(e);
    expect(await fired()).toHaveLength(2);
  });

  it('a once-only whale rule on the price side alone does not fire when the price leaf fails', async () => {
    const rule = await service.createAlert(alice, {
      condition: { type: 'all', conditions: [
        { type: 'whale_move', asset: 'ETH', side: 'buy', minNotionalUsd: '1000000', minCredibility: 7 },
        { type: 'price_above', symbol: 'ETH/USDT', price: String(price + 1000) },
      ] },
    });
    const { e } = await engine();
    await sweep(e);
    clock.advance(MINUTE);
    await move(CREDIBLE, 1_200_000, { minutesAgo: 1 });
    await sweep(e);
    expect(await database.db.select().from(alerts).where(eq(alerts.ruleId, rule.id)), 'price is below the level').toHaveLength(0);
  });

  it('reads each move with the credibility its wallet had at or before the move', async () => {
    const moves = await loadWhaleMoves(database.db, ['ETH'], new Date(clock.ms - 2 * HOUR), new Date(clock.ms));
    const late = moves.find((m) => m.notionalUsd.toString().startsWith('3000000'));
    expect(late?.credibility['4h'], 'LATE was scored only after its move').toBeNull();
    expect(moves.every((m) => m.asset === 'ETH')).toBe(true);
    expect(moves.some((m) => m.notionalUsd.toString().startsWith('4000000')), 'retracted moves are left out').toBe(false);
    expect(moves.find((m) => m.side === 'sell')?.credibility['4h']).toBe(7.4);
  });
});
