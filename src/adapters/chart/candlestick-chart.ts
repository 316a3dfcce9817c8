// Candlestick chart with volume bars and indicator overlays (EMA/SMA lines, Bollinger Bands, VWAP),
// labelled SIMULATED when the candles come from the simulated market.
import { bollingerBands, ema, seriesFromCandles, sma, vwap } from '../../domain/indicators/index.js';
import type { Candle, Timeframe } from '../../domain/ports.js';
import type { ChartImage, ChartRenderOptions } from './render.js';
import { ChartDataError, chartTheme, checkSize, formatPrice, renderOption, resolveFont } from './render.js';

export type ChartOverlay =
  | { kind: 'ema' | 'sma'; period: number }
  | { kind: 'bollinger'; period?: number; stdDev?: number }
  | { kind: 'vwap' };

export const DEFAULT_OVERLAYS: readonly ChartOverlay[] = [{ kind: 'ema', period: 20 }, { kind: 'ema', period: 50 }];

export interface CandlestickChartInput extends ChartRenderOptions {
  symbol: string;
  timeframe: Timeframe;
  /** Oldest first. Overlays are computed on all of them; the last `visible` are drawn. */
  candles: readonly Candle[];
  overlays?: readonly ChartOverlay[];
  /** How many of the latest candles to draw (default: all, at most 500). */
  visible?: number;
  /** Labels the chart SIMULATED; defaults to true when the candles come from the `sim` exchange. */
  simulated?: boolean;
  /** Replaces the "SYMBOL · timeframe" title. */
  title?: string;
}

const pad = (n: number): string => String(n).padStart(2, '0');

function timeLabel(ms: number, timeframe: Timeframe): string {
  const d = new Date(ms);
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  return timeframe === '1d' || timeframe === '1w' ? date : `${date.slice(5)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

function overlayName(o: ChartOverlay): string {
  switch (o.kind) {
    case 'ema': return `EMA ${o.period}`;
    case 'sma': return `SMA ${o.period}`;
    case 'bollinger': return `BB ${o.period ?? 20}, ${o.stdDev ?? 2}`;
    case 'vwap': return 'VWAP (UTC day)';
  }
}

function visibleValues(values: Float64Array, from: number): Array<number | '-'> {
  const out: Array<number | '-'> = [];
  for (let i = from; i < values.length; i++) out.push(Number.isNaN(values[i]!) ? '-' : values[i]!);
  return out;
}

/** Draws a candlestick chart to PNG (1200×700 by default). */
export function renderCandlestickChart(input: CandlestickChartInput): ChartImage {
  const width = input.width ?? 1200;
  const height = input.height ?? 700;
  checkSize(width, height);
  const { symbol, timeframe, candles } = input;
  if (candles.length === 0) throw new ChartDataError(`no candles for ${symbol} ${timeframe}; backfill first or choose another timeframe`);
  const simulated = input.simulated ?? candles.some((c) => c.exchange === 'sim');
  const s = seriesFromCandles(candles);
  const n = candles.length;
  const shown = Math.min(n, input.visible ?? 500, 500);
  const from = n - shown;
  const theme = chartTheme;

  const categories: string[] = [];
  const ohlc: Array<[number, number, number, number]> = [];
  const volumes: Array<{ value: number; itemStyle: { color: string } }> = [];
  for (let i = from; i < n; i++) {
    categories.push(timeLabel(s.time[i]!, timeframe));
    ohlc.push([s.open[i]!, s.close[i]!, s.low[i]!, s.high[i]!]);
    volumes.push({ value: s.volume[i]!, itemStyle: { color: s.close[i]! >= s.open[i]! ? theme.upVolume : theme.downVolume } });
  }

  const overlaySeries: object[] = [];
  const legend: string[] = [];
  let colour = 0;
  const line = (name: string, data: Array<number | '-'>, color: string, dashed = false): object => ({
    type: 'line', name, data, showSymbol: false, smooth: false, silent: true, xAxisIndex: 0, yAxisIndex: 0,
    lineStyle: { width: 1.6, color, type: dashed ? 'dashed' : 'solid' }, itemStyle: { color },
  });
  for (const o of input.overlays ?? DEFAULT_OVERLAYS) {
    const color = theme.overlays[colour++ % theme.overlays.length]!;
    const name = overlayName(o);
    legend.push(name);
    if (o.kind === 'ema' || o.kind === 'sma') {
      overlaySeries.push(line(name, visibleValues(o.kind === 'ema' ? ema(s.close, o.period) : sma(s.close, o.period), from), color));
    } else if (o.kind === 'bollinger') {
      const bands = bollingerBands(s.close, { period: o.period ?? 20, stdDev: o.stdDev ?? 2 });
      overlaySeries.push(line(name, visibleValues(bands.upper, from), color, true));
      overlaySeries.push(line(name, visibleValues(bands.middle, from), color));
      overlaySeries.push(line(name, visibleValues(bands.lower, from), color, true));
    } else {
      overlaySeries.push(line(name, visibleValues(vwap(s, { sessionMs: 86_400_000 }), from), color));
    }
  }

  const last = candles[n - 1]!;
  const first = candles[from]!;
  const lastClose = s.close[n - 1]!;
  const change = ((lastClose - s.open[from]!) / s.open[from]!) * 100;
  const title = input.title ?? `${symbol} · ${timeframe}`;
  const subtitle = `Last ${formatPrice(lastClose)}  ·  ${change >= 0 ? '+' : ''}${change.toFixed(2)}% over ${shown} candles  ·  ${timeLabel(first.openTime.getTime(), timeframe)} → ${timeLabel(last.openTime.getTime(), timeframe)} UTC`;
  const volumeTop = height - 150;

  const option = {
    title: {
      text: title, subtext: subtitle, left: 16, top: 10,
      textStyle: { color: theme.text, fontSize: 22, fontWeight: 'bold' }, subtextStyle: { color: theme.mutedText, fontSize: 13 },
    },
    legend: { data: legend, top: 18, right: simulated ? 170 : 24, textStyle: { color: theme.text, fontSize: 13 }, itemWidth: 18, itemHeight: 4, icon: 'rect' },
    graphic: simulated
      ? [{
        type: 'group', right: 20, top: 14,
        children: [
          { type: 'rect', shape: { width: 124, height: 30, r: 4 }, style: { fill: 'rgba(255,152,0,0.15)', stroke: theme.simulated, lineWidth: 2 } },
          { type: 'text', left: 14, top: 7, style: { text: 'SIMULATED', fill: theme.simulated, fontSize: 15, fontWeight: 'bold' } },
        ],
      }]
      : [],
    grid: [
      { left: 44, right: 84, top: 78, height: volumeTop - 78 - 20 },
      { left: 44, right: 84, top: volumeTop, height: 110 },
    ],
    xAxis: [
      { type: 'category', data: categories, gridIndex: 0, boundaryGap: true, axisLine: { lineStyle: { color: theme.grid } }, axisTick: { show: false }, axisLabel: { show: false }, splitLine: { show: false } },
      { type: 'category', data: categories, gridIndex: 1, boundaryGap: true, axisLine: { lineStyle: { color: theme.grid } }, axisTick: { show: false }, axisLabel: { color: theme.mutedText, fontSize: 12, hideOverlap: true } },
    ],
    yAxis: [
      { type: 'value', scale: true, position: 'right', gridIndex: 0, splitNumber: 6, axisLabel: { color: theme.mutedText, fontSize: 12, formatter: formatPrice }, splitLine: { lineStyle: { color: theme.grid } } },
      { type: 'value', position: 'right', gridIndex: 1, splitNumber: 2, axisLabel: { color: theme.mutedText, fontSize: 11, formatter: (v: number) => formatPrice(v) }, splitLine: { lineStyle: { color: theme.grid } } },
    ],
    series: [
      {
        type: 'candlestick', name: symbol, data: ohlc, xAxisIndex: 0, yAxisIndex: 0, silent: true, barMaxWidth: 16,
        itemStyle: { color: theme.up, color0: theme.down, borderColor: theme.up, borderColor0: theme.down },
        markLine: {
          symbol: 'none', silent: true, animation: false,
          data: [{ yAxis: lastClose }],
          lineStyle: { color: lastClose >= s.open[n - 1]! ? theme.up : theme.down, type: 'dashed', width: 1 },
          label: { position: 'end', formatter: formatPrice(lastClose), color: '#ffffff', backgroundColor: lastClose >= s.open[n - 1]! ? theme.up : theme.down, padding: [3, 5], fontSize: 12 },
        },
      },
      ...overlaySeries,
      { type: 'bar', name: 'Volume', data: volumes, xAxisIndex: 1, yAxisIndex: 1, silent: true, barMaxWidth: 16 },
    ],
  };
  return renderOption(option, width, height, resolveFont(input.fontFiles));
}
