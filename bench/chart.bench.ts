// Chart render time: 200 hourly candles with EMA 20 and EMA 50 overlays and volume, 1200×700 PNG
// (ECharts SVG → resvg PNG), against the 200 ms target. Also the equity curve over 365 days.
import { renderCandlestickChart, renderEquityCurve } from '../src/adapters/chart/index.js';
import { SimMarket } from '../src/adapters/sim-market/index.js';
import { lowerIsBetter, percentile, timeRuns } from './lib.js';
import type { BenchContext, BenchFigure } from './lib.js';

const TARGET_MS = 200;

export default async function bench(ctx: BenchContext): Promise<BenchFigure[]> {
  const now = new Date(Date.UTC(2025, 5, 18, 14, 27));
  const sim = new SimMarket({ seed: 1, clock: { now: () => now } });
  const candles = sim.candlesAt('BTC/USDT', '1h', { limit: 250 }, now);
  const days = sim.candlesAt('ETH/USDT', '1d', { limit: 365 }, now);
  const candle = (): unknown => renderCandlestickChart({
    symbol: 'BTC/USDT', timeframe: '1h', candles, visible: 200, overlays: [{ kind: 'ema', period: 20 }, { kind: 'ema', period: 50 }],
  });
  const equity = (): unknown => renderEquityCurve({ title: 'Portfolio · 1 year', points: days.map((c) => ({ time: c.openTime, equity: c.close })), badge: 'PAPER' });

  const figures: BenchFigure[] = [];
  for (const [name, fn] of [['candlestick.200.ema20+ema50', candle], ['equity.365d', equity]] as const) {
    await timeRuns(3, fn);
    const runs = await timeRuns(15, fn);
    const median = percentile(runs, 50);
    ctx.log(`${name}: median ${median.toFixed(1)} ms, best ${Math.min(...runs).toFixed(1)} ms, p95 ${percentile(runs, 95).toFixed(1)} ms`);
    figures.push(lowerIsBetter(`chart.${name}.1200x700`, median, 'ms', TARGET_MS, `median of 15 after 3 warm-up; reference = ${TARGET_MS} ms target`));
  }
  return figures;
}
