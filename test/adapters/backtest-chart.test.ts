// The backtest chart (src/adapters/chart/backtest-chart.ts): a real PNG of the strategy against buy-and-hold
// with drawdowns, thinned to a bounded number of points that keeps the first, the last and the extremes.
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { backtestChart, ChartDataError, chartTheme, downsampleIndices, drawdownSeries, type BacktestChartPoint } from '../../src/adapters/chart/index.js';

interface Image { width: number; height: number; rgba: Uint8Array }

/** A minimal PNG decoder for 8-bit RGBA/RGB, non-interlaced (what resvg writes). */
function decodePng(png: Uint8Array): Image {
  const bytes = Buffer.from(png);
  expect(bytes.subarray(0, 8).toString('hex'), 'PNG signature').toBe('89504e470d0a1a0a');
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 4;
  const idat: Buffer[] = [];
  while (offset < bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    const data = bytes.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect(data[8], 'bit depth').toBe(8);
      expect(data[12], 'not interlaced').toBe(0);
      channels = data[9] === 6 ? 4 : data[9] === 2 ? 3 : Number.NaN;
      expect(Number.isNaN(channels), `colour type ${data[9]}`).toBe(false);
    } else if (type === 'IDAT') {
      idat.push(data);
    }
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = new Uint8Array(width * height * 4);
  const previous = new Uint8Array(stride);
  const current = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? current[x - channels]! : 0;
      const b = previous[x]!;
      const c = x >= channels ? previous[x - channels]! : 0;
      let v = line[x]!;
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      current[x] = v & 255;
    }
    for (let x = 0; x < width; x++) {
      for (let k = 0; k < 3; k++) out[(y * width + x) * 4 + k] = current[x * channels + k]!;
      out[(y * width + x) * 4 + 3] = channels === 4 ? current[x * channels + 3]! : 255;
    }
    previous.set(current);
  }
  return { width, height, rgba: out };
}

const hex = (color: string): [number, number, number] => [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16)) as [number, number, number];
/** Pixels in the box whose colour is within `tolerance` (per channel) of `color`. */
function countColour(img: Image, color: string, box = { x0: 0, y0: 0, x1: img.width, y1: img.height }, tolerance = 0): number {
  const [r, g, b] = hex(color);
  let n = 0;
  for (let y = box.y0; y < box.y1; y++) {
    for (let x = box.x0; x < box.x1; x++) {
      const i = (y * img.width + x) * 4;
      if (Math.abs(img.rgba[i]! - r) <= tolerance && Math.abs(img.rgba[i + 1]! - g) <= tolerance && Math.abs(img.rgba[i + 2]! - b) <= tolerance) n++;
    }
  }
  return n;
}

const T0 = Date.UTC(2025, 0, 1);
const HOUR = 3_600_000;

/** `n` hourly points: a wave on a slow rise for the strategy, a steeper one for buy-and-hold, with planted extremes. */
function points(n: number, plant: { high?: number; low?: number } = {}): BacktestChartPoint[] {
  return Array.from({ length: n }, (_, i) => {
    let equity = 10_000 + i * 0.05 + 150 * Math.sin(i / 40);
    if (i === plant.high) equity = 20_000;
    if (i === plant.low) equity = 5_000;
    const buyAndHold = 10_000 + i * 0.1 + 400 * Math.sin(i / 300);
    return { time: new Date(T0 + i * HOUR), equity: equity.toFixed(2), buyAndHold: buyAndHold.toFixed(2) };
  });
}

describe('drawdownSeries', () => {
  it('is the percent below the running peak, hand-computed', () => {
    const dd = drawdownSeries([100, 110, 99, 121, 110]);
    expect(dd.slice(0, 4)).toEqual([0, 0, -10, 0]);
    expect(dd[4]).toBeCloseTo((-11 / 121) * 100, 10);
  });
});

describe('downsampleIndices', () => {
  it('keeps every point of a short series', () => {
    expect(downsampleIndices([[1, 2, 3], [3, 2, 1]], 16)).toEqual([0, 1, 2]);
  });

  it('keeps at most maxPoints, ascending, with the first, the last and every curve\'s extremes', () => {
    const n = 20_000;
    const a = Array.from({ length: n }, (_, i) => 100 + Math.sin(i / 50));
    a[777] = 50; // the lowest point and the deepest drawdown of the first curve
    a[12_345] = 300; // its highest point
    const b = Array.from({ length: n }, (_, i) => 100 + i / 1000);
    b[5_000] = 400; // the second curve's high; its deepest drawdown is the point after it
    for (const max of [1000, 250, 16]) {
      const idx = downsampleIndices([a, b], max);
      expect(idx.length, `bounded by ${max}`).toBeLessThanOrEqual(max);
      expect(idx.length, 'uses most of the budget').toBeGreaterThan(max / 2);
      expect(idx.every((v, i) => i === 0 || v > idx[i - 1]!), 'strictly ascending').toBe(true);
      for (const must of [0, n - 1, 777, 12_345, 5_000, 5_001]) expect(idx, `keeps ${must} (max ${max})`).toContain(must);
    }
  });
});

describe('backtestChart', () => {
  const many = points(20_000, { high: 15_000, low: 3_000 });
  const image = backtestChart({ title: 'Grid BTC/USDT 1h', points: many, currency: 'USDT', badge: 'SIMULATED' });
  const img = decodePng(image.png);

  it('is a 1200×800 PNG drawn from at most 1,000 points of 20,000', () => {
    expect([image.width, image.height, image.mimeType]).toEqual([1200, 800, 'image/png']);
    expect([img.width, img.height], 'IHDR size').toEqual([1200, 800]);
    expect(image.pointsDrawn).toBeLessThanOrEqual(1000);
    expect(image.pointsDrawn).toBeGreaterThan(500);
  });

  it('draws the strategy, buy-and-hold and the shaded drawdown in their panels, and the badge', () => {
    const top = { x0: 44, y0: 104, x1: 1104, y1: 540 };
    const bottom = { x0: 44, y0: 600, x1: 1104, y1: 760 };
    expect(countColour(img, chartTheme.equity, top, 40), 'the strategy line').toBeGreaterThan(500);
    expect(countColour(img, chartTheme.overlays[0], top, 40), 'the buy-and-hold line').toBeGreaterThan(500);
    expect(countColour(img, chartTheme.equity, bottom, 40), 'no equity line in the drawdown panel').toBe(0);
    expect(countColour(img, chartTheme.down, bottom, 40), 'the strategy\'s drawdown line').toBeGreaterThan(300);
    // The shading (red at 35 % over the background) runs from 0 % down to the line: deep after the
    // planted high at three quarters of the run, absent from the deep rows before it.
    const shade = '#602c32';
    const deepAfter = { x0: 880, y0: 680, x1: 1090, y1: 740 };
    const deepBefore = { x0: 100, y0: 680, x1: 800, y1: 740 };
    expect(countColour(img, shade, deepAfter, 12) / ((1090 - 880) * 60), 'shaded down to the deep drawdown (grid lines cross it)').toBeGreaterThan(0.6);
    expect(countColour(img, shade, deepBefore, 12), 'no shading below a shallow drawdown').toBe(0);
    expect(countColour(img, chartTheme.simulated, { x0: 1000, y0: 8, x1: 1195, y1: 50 }, 30), 'the SIMULATED badge').toBeGreaterThan(300);
  });

  it('draws a short run at its full resolution and another size', () => {
    const small = backtestChart({ title: 'DCA ETH/USDT 1d', points: points(30), width: 800, height: 500 });
    expect([small.width, small.height, small.pointsDrawn]).toEqual([800, 500, 30]);
    expect(Buffer.from(small.png.subarray(0, 8)).toString('hex')).toBe('89504e470d0a1a0a');
  });

  it('refuses an empty run, non-finite values, a tiny budget and absurd sizes', () => {
    expect(() => backtestChart({ title: 'x', points: [] })).toThrow(ChartDataError);
    expect(() => backtestChart({ title: 'x', points: [{ time: new Date(T0), equity: 'NaN', buyAndHold: '1' }] })).toThrow(ChartDataError);
    expect(() => backtestChart({ title: 'x', points: points(5), maxPoints: 3 })).toThrow(/maxPoints/);
    expect(() => backtestChart({ title: 'x', points: points(5), width: 50 })).toThrow(RangeError);
  });
});
