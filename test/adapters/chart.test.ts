// Chart PNGs: decoded from the bytes (IHDR, zlib, filters) and checked for size, colours and text.
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SimMarket } from '../../src/adapters/sim-market/index.js';
import {
  ChartDataError, chartTheme, equityStatistics, renderCandlestickChart, renderEquityCurve,
} from '../../src/adapters/chart/index.js';
import { dec } from '../../src/domain/money.js';
import type { Candle } from '../../src/domain/ports.js';

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

/** Pixels in the box that differ clearly from the background. */
function inkIn(img: Image, box: { x0: number; y0: number; x1: number; y1: number }): number {
  const area = (box.x1 - box.x0) * (box.y1 - box.y0);
  return area - countColour(img, chartTheme.background, box, 24);
}

function distinctColours(img: Image): number {
  const seen = new Set<number>();
  for (let i = 0; i < img.rgba.length; i += 4) seen.add((img.rgba[i]! << 16) | (img.rgba[i + 1]! << 8) | img.rgba[i + 2]!);
  return seen.size;
}

const NOW = new Date(Date.UTC(2025, 5, 18, 14, 27));
const sim = new SimMarket({ seed: 7, clock: { now: () => NOW } });
const candles = sim.candlesAt('BTC/USDT', '1h', { limit: 250 }, NOW);
const TITLE = { x0: 16, y0: 8, x1: 420, y1: 44 };
const BADGE = { x0: 1040, y0: 8, x1: 1190, y1: 50 };

describe('candlestick chart', () => {
  const image = renderCandlestickChart({ symbol: 'BTC/USDT', timeframe: '1h', candles, visible: 200, overlays: [{ kind: 'ema', period: 20 }, { kind: 'ema', period: 50 }, { kind: 'bollinger' }] });
  const img = decodePng(image.png);

  it('is a 1200×700 PNG with real content', () => {
    expect([image.width, image.height, image.mimeType]).toEqual([1200, 700, 'image/png']);
    expect([img.width, img.height], 'IHDR size').toEqual([1200, 700]);
    expect(countColour(img, chartTheme.background) / (1200 * 700), 'mostly dark background').toBeGreaterThan(0.5);
    expect(distinctColours(img), 'candles, lines, text: many colours').toBeGreaterThan(200);
  });

  it('draws rising and falling candles in their colours, and the overlays', () => {
    const plot = { x0: 44, y0: 78, x1: 1116, y1: 530 };
    expect(countColour(img, chartTheme.up, plot), 'rising candle bodies').toBeGreaterThan(300);
    expect(countColour(img, chartTheme.down, plot), 'falling candle bodies').toBeGreaterThan(300);
    expect(countColour(img, chartTheme.overlays[0], plot, 40), 'the EMA 20 line').toBeGreaterThan(200);
    expect(countColour(img, chartTheme.overlays[1], plot, 40), 'the EMA 50 line').toBeGreaterThan(200);
    expect(countColour(img, chartTheme.overlays[2], plot, 40), 'the Bollinger bands').toBeGreaterThan(200);
    const volume = { x0: 44, y0: 560, x1: 1116, y1: 660 };
    expect(inkIn(img, volume), 'volume bars below the candles').toBeGreaterThan(5_000);
  });

  it('renders the title text with a real font, and the SIMULATED badge', () => {
    expect(inkIn(img, TITLE), 'title glyphs').toBeGreaterThan(400);
    expect(countColour(img, chartTheme.simulated, BADGE, 30), 'orange SIMULATED badge').toBeGreaterThan(300);
    const other = decodePng(renderCandlestickChart({ symbol: 'BTC/USDT', timeframe: '1h', candles, visible: 200, title: 'WWWWW MMMMM' }).png);
    let differing = 0;
    for (let y = TITLE.y0; y < TITLE.y1; y++) {
      for (let x = TITLE.x0; x < TITLE.x1; x++) {
        const i = (y * 1200 + x) * 4;
        if (img.rgba[i] !== other.rgba[i] || img.rgba[i + 1] !== other.rgba[i + 1]) differing++;
      }
    }
    expect(differing, 'a different title draws different glyphs').toBeGreaterThan(300);
  });

  it('has no SIMULATED badge for exchange candles', () => {
    const real: Candle[] = candles.map((c) => ({ ...c, exchange: 'binance' }));
    const plain = decodePng(renderCandlestickChart({ symbol: 'BTC/USDT', timeframe: '1h', candles: real.slice(-100) }).png);
    expect(countColour(plain, chartTheme.simulated, BADGE, 30)).toBe(0);
  });

  it('explains an empty chart and refuses absurd sizes', () => {
    expect(() => renderCandlestickChart({ symbol: 'XYZ/USDT', timeframe: '1h', candles: [] })).toThrow(new ChartDataError('no candles for XYZ/USDT 1h; backfill first or choose another timeframe'));
    expect(() => renderCandlestickChart({ symbol: 'BTC/USDT', timeframe: '1h', candles, width: 50_000 })).toThrow(/width must be a whole number of pixels/);
  });

  it('draws a single candle and other sizes', () => {
    const one = renderCandlestickChart({ symbol: 'BTC/USDT', timeframe: '1d', candles: candles.slice(-1), width: 800, height: 500 });
    const decoded = decodePng(one.png);
    expect([decoded.width, decoded.height]).toEqual([800, 500]);
    expect(inkIn(decoded, { x0: 16, y0: 8, x1: 300, y1: 44 })).toBeGreaterThan(300);
  });
});

describe('equity curve', () => {
  const days = sim.candlesAt('ETH/USDT', '1d', { limit: 90 }, NOW);
  const points = days.map((c) => ({ time: c.openTime, equity: c.close.mul(3) }));

  it('is a PNG with the curve, the title and a badge', () => {
    const image = renderEquityCurve({ title: 'Paper portfolio · 90 days', points, badge: 'PAPER' });
    const img = decodePng(image.png);
    expect([img.width, img.height]).toEqual([1200, 700]);
    const rising = Number(points[points.length - 1]!.equity.toString()) >= Number(points[0]!.equity.toString());
    expect(countColour(img, rising ? chartTheme.up : chartTheme.down, { x0: 44, y0: 84, x1: 1104, y1: 656 }, 30), 'the equity line').toBeGreaterThan(500);
    expect(inkIn(img, TITLE), 'title glyphs').toBeGreaterThan(400);
    expect(countColour(img, chartTheme.simulated, BADGE, 30), 'badge').toBeGreaterThan(200);
  });

  it('accepts decimal strings and a single point, and explains an empty history', () => {
    const one = renderEquityCurve({ title: 'New portfolio', points: [{ time: NOW, equity: '10000.00' }], width: 600, height: 400 });
    expect(decodePng(one.png).width).toBe(600);
    expect(() => renderEquityCurve({ title: 'Empty', points: [] })).toThrow(ChartDataError);
    expect(() => renderEquityCurve({ title: 'Bad', points: [{ time: NOW, equity: dec('1').div(0) }] })).toThrow(/finite/);
  });

  it('computes return and maximum drawdown', () => {
    expect(equityStatistics([100, 120, 90, 130, 117])).toEqual({ returnPercent: 17, maxDrawdownPercent: -25 });
  });
});
