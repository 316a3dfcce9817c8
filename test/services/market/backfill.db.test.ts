import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CcxtVenueError } from '../../../src/adapters/ccxt/index.js';
import { SimMarket } from '../../../src/adapters/sim-market/index.js';
import type { Database } from '../../../src/db/client.js';
import type { BackfillProgress } from '../../../src/services/market-data/backfill.js';
import { makeBackfillCommand } from '../../../src/services/market-data/backfill-command.js';
import { simSources } from '../../../src/services/market-data/sources.js';
import type { MarketService } from '../../../src/services/market-data/market-service.js';
import { createTestApp } from '../../support/app.js';
import { createTestDatabase } from '../../support/db.js';
import { FlakySource, HOUR, T0, idleTimers, manualClock, rejection, simMarketService } from './support.js';

let database: Database;
const clock = manualClock(T0);
const key = (symbol: string) => ({ symbol, exchange: 'sim', timeframe: '1h' as const });
const noSleep = async (): Promise<void> => undefined;

async function flakyMarket(): Promise<{ market: MarketService; flaky: FlakySource }> {
  const sim = new SimMarket({ seed: 7, clock, timers: idleTimers });
  const flaky = new FlakySource(sim);
  const { market } = await simMarketService(database, clock, { sources: { ...simSources({ seed: 7, clock, sim }), data: flaky } });
  return { market, flaky };
}

/** Open times are consecutive hours with no duplicates. */
function assertContiguous(times: number[]): void {
  for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!, `gap or duplicate at ${new Date(times[i]!).toISOString()}`).toBe(HOUR);
}

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

describe('backfill', () => {
  it('pages from --since to now, reporting progress', async () => {
    const { market, flaky } = await flakyMarket();
    const since = new Date(T0 - 10 * 24 * HOUR);
    const progress: BackfillProgress[] = [];
    const r = await market.backfill({ symbol: 'btc/usdt', timeframe: '1h', since: since.toISOString() }, { pageSize: 50, onProgress: (p) => progress.push(p) });
    const expected = Math.floor(T0 / HOUR) - Math.ceil(since.getTime() / HOUR) + 1;
    expect(r).toMatchObject({ symbol: 'BTC/USDT', exchange: 'sim', simulated: true, fetched: expected, written: expected, pages: Math.ceil(expected / 50) });
    expect(flaky.calls).toBe(r.pages);
    const stored = await market.store.range(key('BTC/USDT'), since, new Date(T0));
    expect(stored).toHaveLength(expected);
    assertContiguous(stored.map((c) => c.openTime.getTime()));
    expect(stored.at(-1)!.complete, 'the current hour is stored as forming').toBe(false);
    const percents = progress.map((p) => p.percent);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(progress.at(-1)).toMatchObject({ done: true, percent: 100, fetched: expected });
    await market.close();
  });

  it('resumes after a failure mid-way without duplicates or gaps, and stores nothing of the failed page', async () => {
    const { market, flaky } = await flakyMarket();
    const since = new Date(T0 - 8 * 24 * HOUR);
    flaky.failOn.add(3);
    flaky.failure = () => new Error('connection reset');
    const e = await rejection(market.backfill({ symbol: 'ETH/USDT', timeframe: '1h', since }, { pageSize: 40, sleep: noSleep }));
    expect(e.message).toMatch(/backfill of ETH\/USDT 1h stopped at .*Z: could not load 1h candles for ETH\/USDT/);
    expect(e.hint).toMatch(/80 candles were stored in this run; run the same command again to resume/);
    const first = Math.ceil(since.getTime() / HOUR) * HOUR;
    expect(e.details?.['resumeFrom']).toBe(new Date(first + 80 * HOUR).toISOString());
    expect(await market.store.count(key('ETH/USDT')), 'two whole pages, nothing of the third').toBe(80);

    const r = await market.backfill({ symbol: 'ETH/USDT', timeframe: '1h', since }, { pageSize: 40, sleep: noSleep });
    expect(r.resumedFrom.getTime(), 'the second run starts where the first stopped').toBe(first + 80 * HOUR);
    const expected = Math.floor(T0 / HOUR) - first / HOUR + 1;
    expect(r.written).toBe(expected - 80);
    const stored = await market.store.range(key('ETH/USDT'), since, new Date(T0));
    expect(stored).toHaveLength(expected);
    assertContiguous(stored.map((c) => c.openTime.getTime()));

    // A third run has nothing left but the forming hour.
    const again = await market.backfill({ symbol: 'ETH/USDT', timeframe: '1h', since }, { pageSize: 40 });
    expect(again.resumedFrom.getTime()).toBe(Math.floor(T0 / HOUR) * HOUR);
    expect(again.fetched).toBe(1);
    expect(await market.store.count(key('ETH/USDT'))).toBe(expected);
    await market.close();
  });

  it('retries a transient venue failure and carries on', async () => {
    const { market, flaky } = await flakyMarket();
    flaky.failOn.add(2);
    flaky.failure = () =>
      new CcxtVenueError({ kind: 'retryable', reason: 'network', retryable: true, outcomeUnknown: true, userMessage: 'cannot reach binance', errorName: 'NetworkError' });
    const waits: number[] = [];
    const r = await market.backfill(
      { symbol: 'SOL/USDT', timeframe: '1h', since: new Date(T0 - 3 * 24 * HOUR) },
      { pageSize: 30, sleep: async (ms) => void waits.push(ms) },
    );
    expect(waits).toEqual([1_000]);
    expect(r.written).toBe(r.fetched);
    assertContiguous((await market.store.range(key('SOL/USDT'), new Date(0), new Date(T0))).map((c) => c.openTime.getTime()));
    await market.close();
  });

  it('refuses bad input before fetching or storing anything', async () => {
    const { market, flaky } = await flakyMarket();
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ symbol: 'BTC/USDT', timeframe: '3h', since: '2025-01-01' }, /unsupported timeframe "3h".*/],
      [{ symbol: 'BTC/USDT', timeframe: '1h', since: '2031-01-01' }, /since 2031-01-01 is in the future/],
      [{ symbol: 'BTC/USDT', timeframe: '1h', since: 'last tuesday' }, /cannot read since "last tuesday" as a date/],
      [{ symbol: 'DOGECOIN', timeframe: '1h', since: '2025-01-01' }, /unknown symbol DOGECOIN/],
    ];
    for (const [input, message] of cases) {
      const e = await rejection(market.backfill(input as { symbol: string; timeframe: string; since: string }));
      expect(e.code).toBe('invalid_input');
      expect(e.message).toMatch(message);
    }
    expect(flaky.calls, 'the source was never asked').toBe(0);
    expect(await market.store.count(key('DOGECOIN'))).toBe(0);
    await market.close();
  });
});

describe('mikey data backfill', () => {
  it('prints progress lines on a non-terminal and a summary, and refuses a bad invocation', async () => {
    const app = await createTestApp({ MIKEY_MARKET: 'sim' }, { clock });
    try {
      const written: string[] = [];
      const logs: string[] = [];
      const out = { log: (s: string) => logs.push(s), error: (s: string) => logs.push(s) };
      const cmd = makeBackfillCommand({ write: (s) => written.push(s), isTTY: false });
      expect(await cmd(app, ['BTC-PERP', '4h', '--since', '2025-01-01'], out)).toBe(0);
      const text = written.join('');
      expect(text).toMatch(/Backfilling BTC-PERP 4h from simulated market/);
      expect(text).toMatch(/BTC-PERP 4h 100\.0% {2}3\d\d candles .*\/s {2}ETA 00:00/);
      expect(text.includes('\r') || text.includes('\u001b'), 'plain lines, no terminal control codes').toBe(false);
      expect(logs.join('\n')).toMatch(/BTC-PERP 4h on sim: 3\d\d candles stored .* Simulated market data, not real prices\./);

      await expect(cmd(app, ['BTC-PERP', '4h'], out)).rejects.toThrow(/needs --since/);
      await expect(cmd(app, ['BTC-PERP'], out)).rejects.toThrow(/needs SYMBOL TIMEFRAME/);
      const e = await rejection(cmd(app, ['BTC-PERP', '4h', '--since', '2099-01-01'], out));
      expect(e.message).toMatch(/in the future/);

      // A market the simulated market lists but the default catalog does not: loaded on demand.
      expect(await cmd(app, ['PEPE/USDT', '1d', '--since', '2025-01-01'], out)).toBe(0);
      expect(logs.at(-1)).toMatch(/PEPE\/USDT 1d on sim: \d+ candles stored/);
      const unknown = await rejection(cmd(app, ['NOPE/USDT', '1d', '--since', '2025-01-01'], out));
      expect(unknown.message).toMatch(/unknown symbol NOPE\/USDT/);

      const tty: string[] = [];
      await makeBackfillCommand({ write: (s) => tty.push(s), isTTY: true, columns: 120 })(app, ['ETH-PERP', '1d', '--since', '2024-12-01'], out);
      const drawn = tty.join('');
      expect(drawn.includes('\r\u001b[2K['), 'a redrawn bar on a terminal').toBe(true);
      expect(drawn).toMatch(/\[#+\] ETH-PERP 1d 100\.0%/);
    } finally {
      await app.close();
    }
  });
});
