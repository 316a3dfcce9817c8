// Backtest chart: the strategy's equity beside buy-and-hold's over the window (top panel) and both
// drawdowns in percent below their running peaks (bottom panel, the strategy's shaded). Long runs are
// thinned to at most `maxPoints` points, always keeping the first and the last, each curve's highest
// and lowest point and each curve's deepest drawdown, so the picture never hides an extreme.
import type { Dec } from '../../domain/money.js';
import type { ChartImage, ChartRenderOptions } from './render.js';
import { ChartDataError, chartTheme, checkSize, formatPrice, renderOption, resolveFont } from './render.js';

export interface BacktestChartPoint {
  time: Date;
  /** The strategy's marked equity at this time. */
  equity: Dec | string | number;
  /** Buy-and-hold's equity at this time. */
  buyAndHold: Dec | string | number;
}

export interface BacktestChartInput extends ChartRenderOptions {
  /** E.g. "Grid BTC/USDT 1h · 2025-01-01 → 2025-03-31". */
  title: string;
  /** Oldest first. */
  points: readonly BacktestChartPoint[];
  /** Quote currency (default USDT). */
  currency?: string;
  /** A badge such as "SIMULATED"; none when omitted. */
  badge?: string;
  /** Most points drawn per curve (default 1,000; at least 16). */
  maxPoints?: number;
  /**
   * The figures to print in the subtitle, as the backtest reported them (percent); by default they are
   * computed from the points (return from the first point, deepest fall below a peak in percent).
   */
  figures?: { strategy: CurveFigures; buyAndHold: CurveFigures };
}

export interface CurveFigures {
  returnPct: number | string;
  /** Positive or negative; shown as a fall. */
  maxDrawdownPct: number | string;
}

/** What the chart drew, besides the image: the points kept per curve. */
export interface BacktestChartImage extends ChartImage {
  pointsDrawn: number;
}

export const DEFAULT_BACKTEST_CHART_POINTS = 1000;
const MIN_POINTS = 16;

const pad = (n: number): string => String(n).padStart(2, '0');
const day = (d: Date): string => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
const num = (v: Dec | string | number): number => Number(typeof v === 'object' ? v.toString() : v);

/** Percent below the running peak at each point (0 at a new high, negative below it). */
export function drawdownSeries(values: readonly number[]): number[] {
  let peak = -Infinity;
  return values.map((v) => {
    if (v > peak) peak = v;
    return peak > 0 ? ((v - peak) / peak) * 100 : 0;
  });
}

function argExtreme(values: readonly number[], better: (a: number, b: number) => boolean): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (better(values[i]!, values[best]!)) best = i;
  return best;
}

/**
 * The indices to draw, ascending, at most `maxPoints`: the first, the last, the highest, lowest and
 * deepest-drawdown point of every curve given, and per bucket of the first curve its low and high.
 */
export function downsampleIndices(curves: ReadonlyArray<readonly number[]>, maxPoints: number = DEFAULT_BACKTEST_CHART_POINTS): number[] {
  const n = curves[0]?.length ?? 0;
  if (n <= maxPoints) return Array.from({ length: n }, (_, i) => i);
  const keep = new Set<number>([0, n - 1]);
  for (const c of curves) {
    keep.add(argExtreme(c, (a, b) => a > b));
    keep.add(argExtreme(c, (a, b) => a < b));
    const dd = drawdownSeries(c);
    keep.add(argExtreme(dd, (a, b) => a < b));
  }
  const reserved = 2 + 3 * curves.length;
  const buckets = Math.max(1, Math.floor((maxPoints - reserved) / 2));
  const main = curves[0]!;
  const size = n / buckets;
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor(b * size);
    const end = Math.min(n, Math.floor((b + 1) * size));
    if (end <= start) continue;
    let lo = start;
    let hi = start;
    for (let i = start + 1; i < end; i++) {
      if (main[i]! < main[lo]!) lo = i;
      if (main[i]! > main[hi]!) hi = i;
    }
    keep.add(lo);
    keep.add(hi);
  }
  return [...keep].sort((a, b) => a - b).slice(0, maxPoints);
}

/** Draws a backtest's equity against buy-and-hold, with drawdowns, to PNG (1200×800 by default). */
export function backtestChart(input: BacktestChartInput): BacktestChartImage {
  const width = input.width ?? 1200;
  const height = input.height ?? 800;
  checkSize(width, height);
  const maxPoints = input.maxPoints ?? DEFAULT_BACKTEST_CHART_POINTS;
  if (!Number.isInteger(maxPoints) || maxPoints < MIN_POINTS) throw new RangeError(`maxPoints must be a whole number of at least ${MIN_POINTS}, got ${String(maxPoints)}`);
  if (input.points.length === 0) throw new ChartDataError('the backtest has no equity points to draw');
  const theme = chartTheme;
  const currency = input.currency ?? 'USDT';
  const times = input.points.map((p) => p.time.getTime());
  const equity = input.points.map((p) => num(p.equity));
  const hold = input.points.map((p) => num(p.buyAndHold));
  if ([...equity, ...hold].some((v) => !Number.isFinite(v)) || times.some((t) => !Number.isFinite(t))) throw new ChartDataError('equity values and times must be finite');
  // Drawdowns come from the full series, so thinning never makes one look shallower.
  const equityDd = drawdownSeries(equity);
  const holdDd = drawdownSeries(hold);
  const idx = downsampleIndices([equity, hold], maxPoints);
  const at = (values: readonly number[]): Array<[number, number]> => idx.map((i) => [times[i]!, values[i]!]);
  const worst = (dd: readonly number[]): number => Math.min(0, ...dd);
  const ret = (v: readonly number[]): number => (v[0]! !== 0 ? ((v[v.length - 1]! - v[0]!) / v[0]!) * 100 : 0);
  const sign = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(2)}%`;
  const shown = (values: readonly number[], dd: readonly number[], given: CurveFigures | undefined): string => {
    const r = given ? Number(given.returnPct) : ret(values);
    const d = given ? -Math.abs(Number(given.maxDrawdownPct)) : worst(dd);
    return `${sign(r)} (max drawdown ${d.toFixed(2)}%)`;
  };
  const subtitle =
    `strategy ${shown(equity, equityDd, input.figures?.strategy)}  ·  buy & hold ${shown(hold, holdDd, input.figures?.buyAndHold)}  ·  ` +
    `${day(input.points[0]!.time)} → ${day(input.points[input.points.length - 1]!.time)} UTC`;
  const strategyColor = theme.equity;
  const holdColor = theme.overlays[0];
  const axisLabel = { color: theme.mutedText, fontSize: 12, hideOverlap: true, formatter: (ms: number) => day(new Date(ms)).slice(5) };
  const option = {
    title: {
      text: input.title, subtext: subtitle, left: 16, top: 10,
      textStyle: { color: theme.text, fontSize: 22, fontWeight: 'bold' }, subtextStyle: { color: theme.mutedText, fontSize: 13 },
    },
    legend: { top: 70, left: 16, itemGap: 24, textStyle: { color: theme.text, fontSize: 13 }, data: ['Strategy', 'Buy & hold'] },
    graphic: input.badge
      ? [{
        type: 'group', right: 20, top: 14,
        children: [
          { type: 'rect', shape: { width: 28 + input.badge.length * 10.5, height: 30, r: 4 }, style: { fill: 'rgba(255,152,0,0.15)', stroke: theme.simulated, lineWidth: 2 } },
          { type: 'text', left: 14, top: 7, style: { text: input.badge, fill: theme.simulated, fontSize: 15, fontWeight: 'bold' } },
        ],
      }]
      : [],
    grid: [
      { left: 44, right: 96, top: 104, height: '55%' },
      { left: 44, right: 96, bottom: 40, height: '17%' },
    ],
    xAxis: [
      { type: 'time', gridIndex: 0, axisLine: { lineStyle: { color: theme.grid } }, splitLine: { show: false }, axisLabel: { show: false } },
      { type: 'time', gridIndex: 1, axisLine: { lineStyle: { color: theme.grid } }, splitLine: { show: false }, axisLabel },
    ],
    yAxis: [
      {
        type: 'value', gridIndex: 0, scale: true, position: 'right', name: currency, nameTextStyle: { color: theme.mutedText },
        axisLabel: { color: theme.mutedText, fontSize: 12, formatter: formatPrice }, splitLine: { lineStyle: { color: theme.grid } },
      },
      {
        type: 'value', gridIndex: 1, max: 0, position: 'right', name: 'drawdown %', nameTextStyle: { color: theme.mutedText },
        axisLabel: { color: theme.mutedText, fontSize: 11, formatter: (v: number) => `${v.toFixed(0)}%` }, splitLine: { lineStyle: { color: theme.grid } },
      },
    ],
    series: [
      {
        type: 'line', name: 'Strategy', xAxisIndex: 0, yAxisIndex: 0, data: at(equity), showSymbol: idx.length === 1, silent: true,
        lineStyle: { width: 2.2, color: strategyColor }, itemStyle: { color: strategyColor },
        markLine: {
          symbol: 'none', silent: true, animation: false, data: [{ yAxis: equity[0]! }],
          lineStyle: { color: theme.mutedText, type: 'dashed', width: 1 },
          label: { position: 'insideStartTop', formatter: `start ${formatPrice(equity[0]!)}`, color: theme.mutedText, fontSize: 12 },
        },
      },
      {
        type: 'line', name: 'Buy & hold', xAxisIndex: 0, yAxisIndex: 0, data: at(hold), showSymbol: idx.length === 1, silent: true,
        lineStyle: { width: 1.6, color: holdColor }, itemStyle: { color: holdColor },
      },
      {
        type: 'line', name: 'Strategy drawdown', xAxisIndex: 1, yAxisIndex: 1, data: at(equityDd), showSymbol: false, silent: true,
        lineStyle: { width: 1.2, color: theme.down }, itemStyle: { color: theme.down },
        areaStyle: { origin: 'end', color: 'rgba(239,83,80,0.35)', opacity: 1 },
      },
      {
        type: 'line', name: 'Buy & hold drawdown', xAxisIndex: 1, yAxisIndex: 1, data: at(holdDd), showSymbol: false, silent: true,
        lineStyle: { width: 1, color: holdColor, type: 'dashed' }, itemStyle: { color: holdColor },
      },
    ],
  };
  const image = renderOption(option, width, height, resolveFont(input.fontFiles));
  return { ...image, pointsDrawn: idx.length };
}
