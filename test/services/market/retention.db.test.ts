import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/client.js';
import { candles, priceTicks } from '../../../src/db/schema/index.js';
import { D } from '../../../src/domain/money.js';
import type { Candle } from '../../../src/domain/ports.js';
import { CandleStore } from '../../../src/services/market-data/candle-store.js';
import { RetentionJob, retentionMs, runRetention } from '../../../src/services/market-data/retention.js';
import { createTestDatabase } from '../../support/db.js';
import { DAY, T0 } from './support.js';

let database: Database;

function candle(openTime: number): Candle {
  return {
    symbol: 'BTC/USDT', exchange: 'sim', timeframe: '1d', openTime: new Date(openTime),
    open: new D('1'), high: new D('2'), low: new D('1'), close: new D('2'), volume: new D('3'),
  };
}

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

describe('retention without TimescaleDB', () => {
  it('deletes rows older than each table’s retention and nothing newer', async () => {
    const day0 = Math.floor(T0 / DAY) * DAY;
    // Candles keep 730 days: three past it, two inside it (one a day short of the edge).
    const days = [900, 800, 731, 729, 10];
    await new CandleStore(database).ingest(days.map((d) => candle(day0 - d * DAY)), { now: new Date(T0) });
    // Pyth ticks keep 90 days.
    const tick = (ageDays: number) => ({
      feedId: 'ab'.repeat(32), symbol: 'BTC/USD', price: '65000.5', confidence: '10.25', exponent: -8,
      publishTime: new Date(T0 - ageDays * DAY),
    });
    await database.db.insert(priceTicks).values([tick(120), tick(91), tick(89), tick(1)]);

    const outcomes = await runRetention(database, new Date(T0), { batchSize: 2 });
    const byTable = Object.fromEntries(outcomes.map((o) => [o.table, o.deleted]));
    expect(byTable).toMatchObject({ candles: 3, price_ticks: 2, wallet_scores: 0, onchain_events: 0, market_bias: 0 });
    expect(outcomes.find((o) => o.table === 'candles')!.cutoff.getTime()).toBe(T0 - 730 * DAY);

    const left = await database.db.select({ t: candles.openTime }).from(candles);
    expect(left.map((r) => Math.round((day0 - r.t.getTime()) / DAY)).sort((a, b) => a - b)).toEqual([10, 729]);
    const [ticksLeft] = await database.db.select({ n: count() }).from(priceTicks);
    expect(ticksLeft!.n).toBe(2);
    expect((await runRetention(database, new Date(T0))).every((o) => o.deleted === 0), 'a second run finds nothing').toBe(true);
  });

  it('leaves the work to TimescaleDB policies when they exist', async () => {
    const job = new RetentionJob({ database, timescale: true, now: () => new Date(T0 + 10_000 * DAY) });
    expect(await job.runOnce()).toEqual([]);
    job.start();
    await job.stop();
    const [n] = await database.db.select({ n: count() }).from(candles);
    expect(n!.n).toBe(2);
  });

  it('reads the retention intervals', () => {
    expect(retentionMs('730 days')).toBe(730 * DAY);
    expect(retentionMs('12 hours')).toBe(12 * 3_600_000);
    expect(() => retentionMs('2 fortnights')).toThrow(/cannot read retention interval/);
  });
});
