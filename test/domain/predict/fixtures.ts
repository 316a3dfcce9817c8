// Deterministic synthetic data for the prediction tests (seeded PRNG; never Math.random).
import { D } from '../../../src/domain/money.js';
import type { Candle } from '../../../src/domain/ports.js';
import type { Sample } from '../../../src/domain/predict/index.js';

export function mulberry32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws by Box–Muller from a seeded uniform source. */
export function gaussian(rand: () => number): () => number {
  return () => {
    const u = Math.max(rand(), 1e-12);
    const v = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

const HOUR = 3_600_000;
const START = Date.UTC(2026, 0, 1);

/** Candles from a list of closes (open = previous close, high/low around them, volume given or varied). */
export function candlesFromCloses(closes: readonly number[], volumes?: readonly number[]): Candle[] {
  return closes.map((close, i) => {
    const open = i === 0 ? close : closes[i - 1]!;
    return {
      symbol: 'BTC/USDT',
      exchange: 'sim',
      timeframe: '1h',
      openTime: new Date(START + i * HOUR),
      open: new D(open.toFixed(6)),
      high: new D((Math.max(open, close) * 1.001).toFixed(6)),
      low: new D((Math.min(open, close) * 0.999).toFixed(6)),
      close: new D(close.toFixed(6)),
      volume: new D((volumes?.[i] ?? 100 + (i % 7) * 10).toFixed(6)),
    };
  });
}

/**
 * Closes whose 1-bar log returns follow an AR(1) process r_t = phi·r_{t-1} + sigma·e_t: with phi > 0
 * the last return carries real information about the next one.
 */
export function ar1Closes(n: number, seed: number, phi: number, sigma = 0.01, start = 100): number[] {
  const noise = gaussian(mulberry32(seed));
  const out = [start];
  let r = 0;
  for (let i = 1; i < n; i++) {
    r = phi * r + sigma * noise();
    out.push(out[i - 1]! * Math.exp(r));
  }
  return out;
}

/** A sample with just what the learners read. */
export function sample(index: number, x: readonly number[], futureReturn: number, close = 100): Sample {
  return { index, time: index * HOUR, close, x, futureReturn, futureClose: close * (1 + futureReturn), up: futureReturn > 0 };
}
