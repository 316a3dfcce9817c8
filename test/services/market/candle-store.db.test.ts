import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimMarket } from '../../../src/adapters/sim-market/index.js';
import type { Database } from '../../../src/db/client.js';
import { D } from '../../../src/domain/money.js';
import type { Candle } from '../../../src/domain/ports.js';
import { CandleStore, type CandleKey } from '../../../src/services/market-data/candle-store.js';
import { createTestDatabase, testDbKind } from '../../support/db.js';
import { HOUR, MINUTE, T0, idleTimers } from './support.js';

let database: Database;
const clock = { now: () => new Date(T0) };
const sim = new SimMarket({ seed: 11, clock, timers: idleTimers });

/** `n` consecutive 1m sim candles from `start`. */
function minuteCandles(symbol: string, start: number, n: number): Candle[] {
  const out: Candle[] = [];
  const now = new Date(start + (n + 10) * MINUTE);
  for (let since = start; out.length < n; ) {
    const page = sim.candlesAt(symbol, '1m', { since: new Date(since), limit: Math.min(1000, n - out.length) }, now);
    out.push(...page);
    since = page[page.length - 1]!.openTime.getTime() + MINUTE;
  }
  return out;
}

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

describe('candle store ingest', () => {
  it('is idempotent: the same 5,000 candles ingested twice leave 5,000 rows', async () => {
    // A low COPY threshold sends this batch through COPY on Postgres (first straight in, then merged).
    const store = new CandleStore(database, { copyThreshold: 1_000 });
    const key: CandleKey = { symbol: 'BTC/USDT', exchange: 'sim', timeframe: '1m' };
    const start = Date.UTC(2024, 0, 1);
    const candles = minuteCandles('BTC/USDT', start, 5_000);
    const now = new Date(start + 10 * 86_400_000);
    const first = await store.ingest(candles, { now });
    expect(first.written, 'every candle is new the first time').toBe(5_000);
    expect(first.path).toBe(testDbKind === 'postgres' ? 'copy' : 'insert');
    const second = await store.ingest(candles, { now });
    expect(second.written, 'complete candles are never rewritten').toBe(0);
    expect(second.path).toBe(testDbKind === 'postgres' ? 'copy-merge' : 'insert');
    expect(await store.count(key)).toBe(5_000);

    const back = await store.range(key, candles[0]!.openTime, candles[4_999]!.openTime);
    expect(back).toHaveLength(5_000);
    const i = 1234;
    expect(back[i]!.openTime.getTime()).toBe(candles[i]!.openTime.getTime());
    expect(back[i]!.close.toFixed(), 'prices come back as the exact decimals stored').toBe(candles[i]!.close.toFixed());
    expect(back[i]!.volume.toFixed()).toBe(candles[i]!.volume.toFixed());
    expect(back[i]!.vwap?.toFixed()).toBe(candles[i]!.vwap?.toFixed());
    expect(back[i]!.tradeCount).toBe(candles[i]!.tradeCount);
    expect(back.every((c) => c.complete)).toBe(true);
  });

  it('copies the part of a batch beyond what is stored and merges only the overlap', async () => {
    const store = new CandleStore(database, { copyThreshold: 1_000 });
    const key: CandleKey = { symbol: 'BNB/USDT', exchange: 'sim', timeframe: '1m' };
    const candles = minuteCandles('BNB/USDT', Date.UTC(2024, 8, 1), 5_000);
    const now = new Date(Date.UTC(2024, 9, 1));
    await store.ingest(candles.slice(0, 3_000), { now });
    const r = await store.ingest(candles.slice(2_000), { now });
    expect(r.written, 'only the 2,000 new bars').toBe(2_000);
    expect(r.path).toBe(testDbKind === 'postgres' ? 'copy-merge' : 'insert');
    expect(await store.count(key)).toBe(5_000);
    // Out of order, with a duplicate: the last copy of a bar wins.
    const shuffled = [candles[10]!, candles[4_999]!, candles[3]!, { ...candles[3]!, close: candles[3]!.close.add(1) }];
    const again = await store.ingest(shuffled, { now });
    expect(again).toMatchObject({ received: 4, written: 0 });
  });

  it('keeps exactly one row per open time when two writers race over the same empty range', async () => {
    const store = new CandleStore(database, { copyThreshold: 500 });
    const key: CandleKey = { symbol: 'ETH/USDT', exchange: 'sim', timeframe: '1m' };
    const candles = minuteCandles('ETH/USDT', Date.UTC(2024, 1, 1), 3_000);
    const now = new Date(Date.UTC(2024, 2, 1));
    const results = await Promise.all([store.ingest(candles, { now }), store.ingest(candles, { now }), store.ingest(candles.slice(1_000), { now })]);
    expect(await store.count(key)).toBe(3_000);
    expect(results.reduce((n, r) => n + r.written, 0), 'each bar was written by exactly one writer').toBe(3_000);
  });

  it('refreshes a bar stored while forming until it closes, then never again', async () => {
    const store = new CandleStore(database);
    const key: CandleKey = { symbol: 'SOL/USDT', exchange: 'sim', timeframe: '1h' };
    const open = Date.UTC(2024, 5, 1, 10);
    const bar = (close: string, high = close): Candle => ({
      symbol: 'SOL/USDT', exchange: 'sim', timeframe: '1h', openTime: new Date(open),
      open: new D('100'), high: new D(high), low: new D('99'), close: new D(close), volume: new D('5'),
    });
    const inside = new Date(open + 20 * MINUTE);
    expect((await store.ingest([bar('101')], { now: inside })).written).toBe(1);
    let [stored] = await store.latest(key, 1);
    expect(stored!.complete, 'a bar whose hour has not ended is stored as forming').toBe(false);
    expect((await store.ingest([bar('102', '103')], { now: new Date(open + 40 * MINUTE) })).written).toBe(1);
    [stored] = await store.latest(key, 1);
    expect(stored!.close.toFixed()).toBe('102');
    expect((await store.ingest([bar('104', '104')], { now: new Date(open + HOUR) })).written, 'the final values replace the forming ones').toBe(1);
    [stored] = await store.latest(key, 1);
    expect(stored!.complete).toBe(true);
    expect(stored!.close.toFixed()).toBe('104');
    expect((await store.ingest([bar('999', '999')], { now: new Date(open + 2 * HOUR) })).written, 'a complete bar is final').toBe(0);
    [stored] = await store.latest(key, 1);
    expect(stored!.close.toFixed()).toBe('104');
  });

  it('refuses impossible candles and stores the rest of the batch', async () => {
    const store = new CandleStore(database);
    const good = minuteCandles('XRP/USDT', Date.UTC(2024, 3, 1), 3);
    const bad: Candle = { ...good[0]!, openTime: new Date(Date.UTC(2024, 3, 2)), high: new D('1'), low: new D('2') };
    const negative: Candle = { ...good[0]!, openTime: new Date(Date.UTC(2024, 3, 3)), volume: new D('-1') };
    const r = await store.ingest([...good, bad, negative], { now: new Date(Date.UTC(2024, 4, 1)) });
    expect(r).toMatchObject({ received: 5, written: 3, skipped: 2 });
    expect(await store.count({ symbol: 'XRP/USDT', exchange: 'sim', timeframe: '1m' })).toBe(3);
  });

  it('finds where to resume: after the first hole, or at the newest bar', async () => {
    const store = new CandleStore(database);
    const key: CandleKey = { symbol: 'ADA/USDT', exchange: 'sim', timeframe: '1m' };
    const start = Date.UTC(2024, 6, 1);
    const all = minuteCandles('ADA/USDT', start, 100);
    const now = new Date(start + DAY_AFTER);
    expect((await store.resumePoint(key, new Date(start))).getTime(), 'nothing stored: start at the start').toBe(start);
    await store.ingest(all.slice(0, 40), { now });
    await store.ingest(all.slice(50, 100), { now });
    expect((await store.resumePoint(key, new Date(start))).getTime(), 'the hole after bar 39').toBe(start + 40 * MINUTE);
    await store.ingest(all.slice(40, 50), { now });
    expect((await store.resumePoint(key, new Date(start))).getTime(), 'no hole: after the newest complete bar').toBe(start + 100 * MINUTE);
    expect((await store.resumePoint(key, new Date(start - 30 * MINUTE))).getTime(), 'stored run starts later: from the asked start').toBe(start - 30 * MINUTE);
  });
});

const DAY_AFTER = 86_400_000;
