// Portfolio equity curve: equity over time as a line with a shaded area, the starting level, and
// return / maximum drawdown in the subtitle. Labelled PAPER/SIMULATED when asked.
import type { Dec } from '../../domain/money.js';
import type { ChartImage, ChartRenderOptions } from './render.js';
import { ChartDataError, chartTheme, checkSize, formatPrice, renderOption, resolveFont } from './render.js';

export interface EquityPoint {
  time: Date;
  equity: Dec | string | number;
}

export interface EquityChartInput extends ChartRenderOptions {
  /** E.g. "Portfolio · last 30 days". */
  title: string;
  /** Oldest first. */
  points: readonly EquityPoint[];
  /** Currency of the equity, shown on the axis and subtitle (default USDT). */
  currency?: string;
  /** A badge such as "PAPER" or "SIMULATED"; none when omitted. */
  badge?: string;
}

const pad = (n: number): string => String(n).padStart(2, '0');
const day = (d: Date): string => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;

/** Return and deepest peak-to-trough fall of an equity series, in percent. */
export function equityStatistics(values: readonly number[]): { returnPercent: number; maxDrawdownPercent: number } {
  let peak = -Infinity;
  let worst = 0;
  for (const v of values) {
    if (v > peak) peak = v;
    if (peak > 0) worst = Math.min(worst, (v - peak) / peak);
  }
  const first = values[0]!;
  const last = values[values.length - 1]!;
  return { returnPercent: first !== 0 ? ((last - first) / first) * 100 : 0, maxDrawdownPercent: worst * 100 };
}

/** Draws an equity curve to PNG (1200×700 by default). */
export function renderEquityCurve(input: EquityChartInput): ChartImage {
  const width = input.width ?? 1200;
  const height = input.height ?? 700;
  checkSize(width, height);
  if (input.points.length === 0) throw new ChartDataError('no equity history yet; snapshots are taken as the portfolio trades, try again later');
  const theme = chartTheme;
  const currency = input.currency ?? 'USDT';
  const values = input.points.map((p) => Number(typeof p.equity === 'object' ? p.equity.toString() : p.equity));
  if (values.some((v) => !Number.isFinite(v))) throw new ChartDataError('equity values must be finite numbers');
  const data = input.points.map((p, i) => [p.time.getTime(), values[i]!]);
  const stats = equityStatistics(values);
  const firstTime = input.points[0]!.time;
  const lastTime = input.points[input.points.length - 1]!.time;
  const lastValue = values[values.length - 1]!;
  const rising = lastValue >= values[0]!;
  const lineColor = rising ? theme.up : theme.down;
  const subtitle = `${formatPrice(lastValue)} ${currency}  ·  return ${stats.returnPercent >= 0 ? '+' : ''}${stats.returnPercent.toFixed(2)}%  ·  max drawdown ${stats.maxDrawdownPercent.toFixed(2)}%  ·  ${day(firstTime)} → ${day(lastTime)} UTC`;
  const option = {
    title: {
      text: input.title, subtext: subtitle, left: 16, top: 10,
      textStyle: { color: theme.text, fontSize: 22, fontWeight: 'bold' }, subtextStyle: { color: theme.mutedText, fontSize: 13 },
    },
    graphic: input.badge
      ? [{
        type: 'group', right: 20, top: 14,
        children: [
          { type: 'rect', shape: { width: 28 + input.badge.length * 10.5, height: 30, r: 4 }, style: { fill: 'rgba(255,152,0,0.15)', stroke: theme.simulated, lineWidth: 2 } },
          { type: 'text', left: 14, top: 7, style: { text: input.badge, fill: theme.simulated, fontSize: 15, fontWeight: 'bold' } },
        ],
      }]
      : [],
    grid: { left: 44, right: 96, top: 84, bottom: 44 },
    xAxis: {
      type: 'time', axisLine: { lineStyle: { color: theme.grid } }, splitLine: { show: false },
      axisLabel: { color: theme.mutedText, fontSize: 12, hideOverlap: true, formatter: (ms: number) => day(new Date(ms)).slice(5) },
    },
    yAxis: {
      type: 'value', scale: true, position: 'right', name: currency, nameTextStyle: { color: theme.mutedText },
      axisLabel: { color: theme.mutedText, fontSize: 12, formatter: formatPrice }, splitLine: { lineStyle: { color: theme.grid } },
    },
    series: [
      {
        type: 'line', name: 'Equity', data, showSymbol: data.length === 1, symbolSize: 8, silent: true,
        lineStyle: { width: 2.2, color: lineColor }, itemStyle: { color: lineColor },
        areaStyle: {
          origin: 'start',
          color: { type: 'linear', x: 0, y: 0, x2: 0, y2: 1, colorStops: [{ offset: 0, color: rising ? 'rgba(38,166,154,0.35)' : 'rgba(239,83,80,0.35)' }, { offset: 1, color: 'rgba(19,23,34,0)' }] },
        },
        markLine: {
          symbol: 'none', silent: true, animation: false, data: [{ yAxis: values[0]! }],
          lineStyle: { color: theme.mutedText, type: 'dashed', width: 1 },
          label: { position: 'insideStartTop', formatter: `start ${formatPrice(values[0]!)}`, color: theme.mutedText, fontSize: 12 },
        },
      },
    ],
  };
  return renderOption(option, width, height, resolveFont(input.fontFiles));
}
