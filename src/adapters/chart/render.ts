// Server-side chart rendering: ECharts draws SVG without a DOM, resvg turns it into a PNG. Only the
// chart types and components used here are registered (smaller and faster to load than all of ECharts).
import { existsSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';
import * as echarts from 'echarts/core';
import { BarChart, CandlestickChart, LineChart } from 'echarts/charts';
import { GraphicComponent, GridComponent, LegendComponent, MarkLineComponent, TitleComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';

echarts.use([BarChart, CandlestickChart, LineChart, GraphicComponent, GridComponent, LegendComponent, MarkLineComponent, TitleComponent, SVGRenderer]);

/** A rendered chart, ready to attach to a chat message. */
export interface ChartImage {
  png: Uint8Array;
  width: number;
  height: number;
  mimeType: 'image/png';
}

export interface ChartRenderOptions {
  width?: number;
  height?: number;
  /** TrueType/OpenType files to draw text with; by default a common sans-serif is looked up. */
  fontFiles?: string[];
}

/** A chart that cannot be drawn from what was given (no data). */
export class ChartDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChartDataError';
  }
}

/** Dark theme, readable on Telegram/Discord dark and light backgrounds alike. */
export const chartTheme = {
  background: '#131722',
  panel: '#131722',
  text: '#d1d4dc',
  mutedText: '#8a8f9c',
  grid: '#2a2e39',
  up: '#26a69a',
  down: '#ef5350',
  upVolume: 'rgba(38,166,154,0.55)',
  downVolume: 'rgba(239,83,80,0.55)',
  overlays: ['#f5c542', '#42a5f5', '#ab47bc', '#ff9800', '#e0e0e0'],
  simulated: '#ff9800',
  equity: '#42a5f5',
} as const;

const FONT_CANDIDATES: Array<[path: string, family: string]> = [
  ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', 'DejaVu Sans'],
  ['/usr/share/fonts/dejavu/DejaVuSans.ttf', 'DejaVu Sans'],
  ['/usr/share/fonts/TTF/DejaVuSans.ttf', 'DejaVu Sans'],
  ['/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf', 'Liberation Sans'],
  ['/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf', 'Liberation Sans'],
  ['/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf', 'Noto Sans'],
  ['/usr/share/fonts/noto/NotoSans-Regular.ttf', 'Noto Sans'],
  ['/System/Library/Fonts/Supplemental/Arial.ttf', 'Arial'],
  ['/Library/Fonts/Arial.ttf', 'Arial'],
  ['C:\\Windows\\Fonts\\arial.ttf', 'Arial'],
];

export interface FontChoice {
  fontFiles: string[];
  family: string;
  loadSystemFonts: boolean;
}

let defaultFont: FontChoice | undefined;

/** A known sans-serif file if one exists (fast: one file), else the system fonts (slower). */
export function resolveFont(fontFiles?: string[]): FontChoice {
  if (fontFiles && fontFiles.length > 0) return { fontFiles, family: 'sans-serif', loadSystemFonts: false };
  if (!defaultFont) {
    const found = FONT_CANDIDATES.find(([path]) => existsSync(path));
    defaultFont = found
      ? { fontFiles: [found[0], found[0].replace(/(Sans)(-Regular)?\.ttf$/, '$1-Bold.ttf')].filter((p, i) => i === 0 || existsSync(p)), family: found[1], loadSystemFonts: false }
      : { fontFiles: [], family: 'sans-serif', loadSystemFonts: true };
  }
  return defaultFont;
}

/** Renders an ECharts option to SVG (no DOM, no animation) and the SVG to PNG. */
export function renderOption(option: echarts.EChartsCoreOption, width: number, height: number, font: FontChoice): ChartImage {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  let svg: string;
  try {
    chart.setOption({ animation: false, backgroundColor: chartTheme.background, textStyle: { fontFamily: font.family, color: chartTheme.text }, ...option });
    svg = chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'width', value: width },
    font: {
      fontFiles: font.fontFiles,
      loadSystemFonts: font.loadSystemFonts,
      defaultFontFamily: font.family === 'sans-serif' ? '' : font.family,
      sansSerifFamily: font.family === 'sans-serif' ? '' : font.family,
    },
  });
  const rendered = resvg.render();
  const png = rendered.asPng();
  return { png: new Uint8Array(png.buffer, png.byteOffset, png.byteLength), width: rendered.width, height: rendered.height, mimeType: 'image/png' };
}

export function checkSize(width: number, height: number): void {
  for (const [name, v] of [['width', width], ['height', height]] as const) {
    if (!Number.isInteger(v) || v < 200 || v > 4000) throw new RangeError(`${name} must be a whole number of pixels from 200 to 4000, got ${String(v)}`);
  }
}

/** "64,250" / "151.37" / "0.5321" / "0.00001234" for axis labels and titles. */
export function formatPrice(x: number): string {
  const abs = Math.abs(x);
  if (abs >= 1000) return x.toLocaleString('en-US', { maximumFractionDigits: abs >= 10_000 ? 0 : 1 });
  if (abs >= 1) return x.toLocaleString('en-US', { maximumFractionDigits: 2, minimumFractionDigits: 2 });
  if (abs === 0) return '0';
  return Number(x.toPrecision(4)).toString();
}
