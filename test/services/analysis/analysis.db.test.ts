import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimMarket } from '../../../src/adapters/sim-market/index.js';
import type { Database } from '../../../src/db/client.js';
import { aiAnalyses, auditLogs, tradingSignals } from '../../../src/db/schema/index.js';
import { ema, macd, rsi, seriesFromCandles } from '../../../src/domain/indicators/index.js';
import type { Candle, Timeframe } from '../../../src/domain/ports.js';
import type { Actor } from '../../../src/services/actor.js';
import { AnalysisService } from '../../../src/services/analysis/analysis-service.js';
import { INDICATOR_NAMES } from '../../../src/services/analysis/indicators.js';
import type { MarketService } from '../../../src/services/market-data/market-service.js';
import { simSources } from '../../../src/services/market-data/sources.js';
import { createTestDatabase } from '../../support/db.js';
import { FlakySource, HOUR, T0, idleTimers, manualClock, newActor, rejection, simMarketService } from '../market/support.js';

let database: Database;
const clock = manualClock(T0);
let market: MarketService;
let analysis: AnalysisService;
let alice: Actor;
let bob: Actor;

/** A source whose history of `symbol` starts at `listedAt` (a newly listed market). */
class ListedLateSource extends FlakySource {
  constructor(
    inner: SimMarket,
    private readonly listedAt: number,
  ) {
    super(inner);
  }
  override async getCandles(symbol: string, timeframe: Timeframe, opts: { since?: Date; limit?: number }): Promise<Candle[]> {
    const all = await super.getCandles(symbol, timeframe, opts);
    return symbol === 'LINK/USDT' ? all.filter((c) => c.openTime.getTime() >= this.listedAt) : all;
  }
}

async function rowCounts(): Promise<number[]> {
  const counts = await Promise.all([aiAnalyses, tradingSignals].map((t) => database.db.select({ n: count() }).from(t)));
  return counts.map((c) => c[0]!.n);
}

beforeAll(async () => {
  database = await createTestDatabase();
  const sim = new SimMarket({ seed: 7, clock, timers: idleTimers });
  const data = new ListedLateSource(sim, T0 - 10 * 4 * HOUR);
  ({ market } = await simMarketService(database, clock, { sources: { ...simSources({ seed: 7, clock, sim }), data } }));
  analysis = new AnalysisService({ db: database.db, market, clock });
  alice = await newActor(database, 'alice');
  bob = await newActor(database, 'bob');
});
afterAll(async () => {
  await market?.close();
  await database?.close();
});

describe('analyze-market', () => {
  it('summarises stored candles and records the analysis, the signal and the audit row together', async () => {
    const a = await analysis.analyzeMarket(alice, 'btc/usdt', '4h');
    expect(a).toMatchObject({ symbol: 'BTC/USDT', timeframe: '4h', simulated: true });
    expect(['buy', 'sell', 'hold']).toContain(a.recommendation);
    expect(a.confidence).toBeGreaterThanOrEqual(0);
    expect(a.confidence).toBeLessThanOrEqual(1);
    expect(a.headline).toMatch(/^BTC\/USDT 4h: .*\[SIMULATED\]$/);
    expect(new Date(a.expiresAt).getTime(), 'valid for four 4h candles').toBe(T0 + 4 * 4 * HOUR);
    expect(a.reasons.length).toBeGreaterThan(3);
    expect(a.summary.candleCount).toBe(300);

    const [row] = await database.db.select().from(aiAnalyses).where(eq(aiAnalyses.id, a.analysisId));
    expect(row).toMatchObject({ userId: alice.userId, symbol: 'BTC/USDT', timeframe: '4h', recommendation: a.recommendation, model: 'mikey-technical-v1' });
    expect(Number(row!.confidenceScore)).toBeCloseTo(a.confidence, 4);
    expect(row!.priceAtAnalysis).toMatch(new RegExp(`^${a.price.replace('.', '\\.')}`));
    expect(row!.expiresAt!.toISOString()).toBe(a.expiresAt);
    const [signal] = await database.db.select().from(tradingSignals).where(eq(tradingSignals.id, a.signalId));
    expect(signal).toMatchObject({ userId: alice.userId, symbol: 'BTC/USDT', action: a.recommendation });
    expect(signal!.metadata).toMatchObject({ analysisId: a.analysisId, timeframe: '4h', simulated: true });
    const audit = await database.db.select().from(auditLogs).where(eq(auditLogs.entityId, a.analysisId));
    expect(audit.map((r) => r.action)).toEqual(['analysis.created']);
  });

  it('refuses bad input and symbols without enough data, storing nothing', async () => {
    const before = await rowCounts();
    const cases: Array<[Promise<unknown>, string, RegExp]> = [
      [analysis.analyzeMarket(alice, 'BTC/USDT', '2d'), 'invalid_input', /unsupported timeframe "2d"/],
      [analysis.analyzeMarket(alice, 'NOTACOIN', '4h'), 'invalid_input', /unknown symbol NOTACOIN/],
      [analysis.analyzeMarket(alice, 'POL/USDT', '4h'), 'not_found', /no data for POL\/USDT/],
      [analysis.analyzeMarket(alice, 'LINK/USDT', '4h'), 'not_found', /not enough candle data for LINK\/USDT 4h: 10 candles, need at least 35/],
    ];
    for (const [p, code, message] of cases) {
      const e = await rejection(p);
      expect(e.code).toBe(code);
      expect(e.message).toMatch(message);
    }
    expect(await rowCounts()).toEqual(before);
  });

  it('lists only the actor’s own analyses, newest first, marking expired ones', async () => {
    clock.advance(60_000);
    const eth = await analysis.analyzeMarket(alice, 'ETH/USDT', '1h');
    clock.advance(60_000);
    await analysis.analyzeMarket(bob, 'SOL/USDT', '1h');
    const mine = await analysis.listAnalyses(alice);
    expect(mine.map((r) => r.symbol)).toEqual(['ETH/USDT', 'BTC/USDT']);
    expect(mine[0]).toMatchObject({ id: eth.analysisId, simulated: true, expired: false, signal: eth.signal });
    expect((await analysis.listAnalyses(alice, { symbol: 'eth/usdt' })).map((r) => r.id)).toEqual([eth.analysisId]);
    expect((await analysis.listAnalyses(bob)).map((r) => r.symbol)).toEqual(['SOL/USDT']);
    clock.advance(5 * HOUR);
    expect((await analysis.listAnalyses(alice, { limit: 1 }))[0]!.expired, 'a 1h signal is valid for 4 hours').toBe(true);
    expect((await rejection(analysis.listAnalyses(alice, { limit: 0 }))).code).toBe('invalid_input');
  });
});

describe('get-indicators', () => {
  it('gives the latest values and a short series, matching the domain indicators over the stored candles', async () => {
    const v = await analysis.getIndicators('BTC/USDT', '1h');
    expect(Object.keys(v.indicators)).toEqual(['rsi', 'macd', 'ema']);
    expect(v.simulated).toBe(true);
    const stored = (await market.loadCandles('BTC/USDT', '1h', { limit: v.candleCount })).candles;
    const closes = seriesFromCandles(stored).close;
    expect(v.indicators['rsi']!.latest['value']).toBe(rsi(closes, 14).at(-1));
    expect(v.indicators['ema']!.latest['value']).toBe(ema(closes, 20).at(-1));
    expect(v.indicators['macd']!.latest['histogram']).toBe(macd(closes).histogram.at(-1));
    expect(v.indicators['rsi']!.recent).toHaveLength(10);
    expect(v.indicators['rsi']!.recent.at(-1)!.time).toBe(v.asOf);
    expect(v.price).toBe(stored.at(-1)!.close.toFixed());

    const all = await analysis.getIndicators('ETH-PERP', '15m', [...INDICATOR_NAMES], 10);
    for (const name of INDICATOR_NAMES) {
      const latest = Object.values(all.indicators[name]!.latest);
      expect(latest.every((x) => typeof x === 'number' && Number.isFinite(x)), `${name} has settled values`).toBe(true);
    }
    expect(all.indicators['rsi']!.params).toEqual({ period: 10 });
  });

  it('refuses unknown indicators and bad periods', async () => {
    for (const [p, message] of [
      [analysis.getIndicators('BTC/USDT', '1h', ['rsi', 'ichimoku']), /unknown indicator "ichimoku"/],
      [analysis.getIndicators('BTC/USDT', '1h', ['rsi'], 1), /period must be/],
      [analysis.getIndicators('BTC/USDT', '1h', ['rsi'], Number('1e400')), /period must be/],
      [analysis.getIndicators('BTC/USDT', '1h', ['rsi'], Number.NaN), /period must be/],
      [analysis.getIndicators('BTC/USDT', '7m'), /unsupported timeframe/],
    ] as const) {
      const e = await rejection(p);
      expect(e.code).toBe('invalid_input');
      expect(e.message).toMatch(message);
    }
  });
});

describe('get-chart', () => {
  it('renders a PNG of the latest candles with overlays, labelled simulated', async () => {
    const chart = await analysis.getChart({ symbol: 'SOL/USDT', timeframe: '1h', limit: 60, overlays: ['ema20', 'bollinger', 'vwap'] });
    expect(Buffer.from(chart.png.subarray(0, 8)).toString('hex'), 'PNG signature').toBe('89504e470d0a1a0a');
    expect(chart.png.length).toBeGreaterThan(5_000);
    expect(chart).toMatchObject({ symbol: 'SOL/USDT', timeframe: '1h', simulated: true, candleCount: 60, mimeType: 'image/png', width: 1200, height: 700 });
    expect(chart.to).toBe(new Date(Math.floor(clock.ms / HOUR) * HOUR).toISOString());
  });

  it('refuses a chart without data or with bad options', async () => {
    const none = await rejection(analysis.getChart({ symbol: 'POL/USDT' }));
    expect(none.code).toBe('not_found');
    for (const input of [{ symbol: 'BTC/USDT', limit: 10 }, { symbol: 'BTC/USDT', overlays: ['macd'] }, { symbol: 'BTC/USDT', timeframe: '1y' }]) {
      expect((await rejection(analysis.getChart(input))).code).toBe('invalid_input');
    }
  });
});
