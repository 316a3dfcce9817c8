// Indicator throughput. Batch: EMA(20), RSI(14), MACD(12/26/9) and Bollinger(20, 2) over 100,000
// closes, ours vs indicatorts. Streaming: 1,000,000 updates, ours vs trading-signals 8 (its classes
// are all number-based; there are no separate "Faster" variants in v8, so we use the standard ones
// through their public `add`). Same data, same run; warm-up first, then the best of several runs.
import * as indicatorts from 'indicatorts';
import * as tradingSignals from 'trading-signals';
import { BollingerStream, EmaStream, MacdStream, RsiStream, bollingerBands, ema, macd, rsi } from '../src/domain/indicators/index.js';
import { higherIsBetter, timeRuns } from './lib.js';
import type { BenchContext, BenchFigure } from './lib.js';

function closes(n: number, seed: number): Float64Array {
  let a = seed | 0;
  const random = (): number => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float64Array(n);
  let p = 60_000;
  for (let i = 0; i < n; i++) {
    p *= Math.exp((random() - 0.5) * 0.02);
    out[i] = p;
  }
  return out;
}

let sink = 0;
function consume(x: number | undefined): void {
  sink += x ?? 0;
}

/** Best (smallest) milliseconds of `runs` timed runs after `warmups` untimed ones. */
async function best(fn: () => void, warmups: number, runs: number): Promise<number> {
  await timeRuns(warmups, fn);
  return Math.min(...(await timeRuns(runs, fn)));
}

/** Alternates ours and theirs run by run so both see the same machine state; returns best ms of each. */
async function duel(ours: () => void, theirs: () => void, warmups: number, runs: number): Promise<[number, number]> {
  await timeRuns(warmups, () => { ours(); theirs(); });
  let a = Infinity;
  let b = Infinity;
  for (let i = 0; i < runs; i++) {
    a = Math.min(a, await best(ours, 0, 1));
    b = Math.min(b, await best(theirs, 0, 1));
  }
  return [a, b];
}

export default async function bench(ctx: BenchContext): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  const batchN = 100_000;
  const batchData = closes(batchN, 1);
  const batchArray = Array.from(batchData);
  const perSecond = (n: number, ms: number): number => n / (ms / 1000) / 1e6;

  const batch: Array<[string, () => void, () => void]> = [
    ['ema20', () => consume(ema(batchData, 20)[batchN - 1]), () => consume(indicatorts.ema(batchArray, { period: 20 })[batchN - 1])],
    ['rsi14', () => consume(rsi(batchData, 14)[batchN - 1]), () => consume(indicatorts.rsi(batchArray, { period: 14 })[batchN - 1])],
    ['macd', () => consume(macd(batchData).histogram[batchN - 1]), () => consume(indicatorts.macd(batchArray, { fast: 12, slow: 26, signal: 9 }).signalLine[batchN - 1])],
    ['bollinger20', () => consume(bollingerBands(batchData, { period: 20, stdDev: 2 }).upper[batchN - 1]), () => consume(indicatorts.bb(batchArray, { period: 20 }).upper[batchN - 1])],
  ];
  for (const [name, ours, theirs] of batch) {
    const [a, b] = await duel(ours, theirs, 5, 15);
    ctx.log(`batch ${name}: ours ${a.toFixed(2)} ms, indicatorts ${b.toFixed(2)} ms per 100k closes`);
    figures.push(higherIsBetter(`indicators.batch.${name}.100k`, perSecond(batchN, a), 'M closes/s', perSecond(batchN, b), 'reference: indicatorts 2.2, best of 15'));
  }

  const streamN = 1_000_000;
  const streamData = closes(streamN, 2);
  // Each loop only adds up what the indicator returns, so the harness costs the same on both sides.
  const stream: Array<[string, () => void, () => void]> = [
    ['ema20', () => { const s = new EmaStream(20); let acc = 0; for (let i = 0; i < streamN; i++) acc += s.update(streamData[i]!) ?? 0; sink += acc; },
      () => { const s = new tradingSignals.EMA(20); let acc = 0; for (let i = 0; i < streamN; i++) acc += s.add(streamData[i]!) ?? 0; sink += acc; }],
    ['rsi14', () => { const s = new RsiStream(14); let acc = 0; for (let i = 0; i < streamN; i++) acc += s.update(streamData[i]!) ?? 0; sink += acc; },
      () => { const s = new tradingSignals.RSI(14); let acc = 0; for (let i = 0; i < streamN; i++) acc += s.add(streamData[i]!) ?? 0; sink += acc; }],
    ['macd', () => { const s = new MacdStream(); let acc = 0; for (let i = 0; i < streamN; i++) acc += s.update(streamData[i]!)?.histogram ?? 0; sink += acc; },
      () => { const s = new tradingSignals.MACD(new tradingSignals.EMA(12), new tradingSignals.EMA(26), new tradingSignals.EMA(9)); let acc = 0; for (let i = 0; i < streamN; i++) acc += s.add(streamData[i]!)?.histogram ?? 0; sink += acc; }],
    ['bollinger20', () => { const s = new BollingerStream({ period: 20, stdDev: 2 }); let acc = 0; for (let i = 0; i < streamN; i++) acc += s.update(streamData[i]!)?.upper ?? 0; sink += acc; },
      () => { const s = new tradingSignals.BollingerBands(20, 2); let acc = 0; for (let i = 0; i < streamN; i++) acc += s.add(streamData[i]!)?.upper ?? 0; sink += acc; }],
  ];
  for (const [name, ours, theirs] of stream) {
    const [a, b] = await duel(ours, theirs, 2, 7);
    ctx.log(`stream ${name}: ours ${a.toFixed(1)} ms, trading-signals ${b.toFixed(1)} ms per 1M updates`);
    figures.push(higherIsBetter(`indicators.stream.${name}.1m`, perSecond(streamN, a), 'M updates/s', perSecond(streamN, b), 'reference: trading-signals 8.3 (number classes), best of 7'));
  }
  ctx.log(`(checksum ${sink.toExponential(3)})`);
  return figures;
}
