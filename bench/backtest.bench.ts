// Backtest throughput, sweep scaling and memory (issue 11, "Measured").
// (a) SMA cross (fast 50, slow 200) over 1,000,000 synthetic 1-minute candles through the full path
//     (kernel, closed-candle window, working orders, matching, ledger, equity curve, metrics) against a
//     bare loop over the same Decimal candles computing the same signals (the same SMA streams) and the
//     same fills (same pricing and sizing helpers) with nothing else; ratio = bare ms / full ms
//     (target ≥ 0.25). The two must agree on every fill and the final cash, or the figure is void.
// (b) A 100-combination walk-forward sweep (1 fold, 70% in-sample, 20,000 candles) on 2 worker
//     threads vs 1 (target speed-up ≥ 1.7), end to end: with workers from the pool (every sweep but
//     the first in a running process) and cold (starting them), with where the time went — start,
//     each worker's busy time, the time of one window on 1 and on 2 workers (which shows whether the
//     two workers really had two cores: on a shared machine they often do not), process CPU; beside it
//     the machine's own ceiling for this kind of work (a bare CPU loop, a memory-bound loop and a
//     decimal.js loop on 1 worker vs 2 at once) and the sweep's own on 2 cores from CPU time per
//     thread: 2 × the worker thread's CPU / the whole process's (main thread and V8's GC helper
//     threads, which a 1-worker sweep runs on the otherwise idle second core).
// (c) Heap kept by a backtest's result beyond the candle array, after a full GC, over the first 250,000
//     candles and over all 1,000,000: for the SMA cross (whose fills grow with the run: the result
//     lists every fill) and for a buy-and-hold run (one fill, a position marked on every candle — the
//     case where a per-candle equity curve costs most). The equity curve is computed from the candles
//     when read, so what is kept grows with the fills, not the candles: the hold run keeps the same at
//     250k and at 1M.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { runInNewContext } from 'node:vm';
import { runBacktest, type BacktestResult } from '../src/domain/backtest/backtest.js';
import { feeFor, marketFillPrice, type FeeSchedule, type SlippageModel } from '../src/domain/matching.js';
import { D, fromBps, roundDownToStep, ZERO, type Dec } from '../src/domain/money.js';
import { SmaStream } from '../src/domain/indicators/index.js';
import type { Candle, MarketInfo } from '../src/domain/ports.js';
import type { Result } from '../src/domain/result.js';
import { z } from 'zod';
import { parseStrategyParams, type Strategy } from '../src/domain/strategy/kernel.js';
import { smaCrossStrategy } from '../src/domain/strategy/sma-cross.js';
import { runSweepOnWorkers, stopIdleSweepWorkers, type SweepStats } from '../src/services/backtest/sweep-runner.js';
import { higherIsBetter, lowerIsBetter, timeOnce, type BenchContext, type BenchFigure } from './lib.js';

const MARKET: MarketInfo = {
  symbol: 'BTC/USDT', base: 'BTC', quote: 'USDT', kind: 'spot', exchange: 'sim',
  tickSize: new D('0.01'), stepSize: new D('0.00001'), minQty: new D('0.00001'), minNotional: new D('5'),
};
const CONFIG = { market: MARKET, initialCash: new D(10_000), feeBps: 10, slippageBps: 2 };
const FAST = 50;
const SLOW = 200;

/** A seeded random walk of 1-minute candles around 60,000, prices to the cent. */
function syntheticCandles(n: number, seed: number): Candle[] {
  let a = seed | 0;
  const random = (): number => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out: Candle[] = new Array(n);
  const start = Date.UTC(2024, 0, 1);
  let price = 60_000;
  for (let i = 0; i < n; i++) {
    const open = price;
    price *= Math.exp((random() - 0.5) * 0.004);
    const close = price;
    const high = Math.max(open, close) * (1 + random() * 0.001);
    const low = Math.min(open, close) * (1 - random() * 0.001);
    out[i] = {
      symbol: MARKET.symbol, exchange: 'sim', timeframe: '1m', openTime: new Date(start + i * 60_000),
      open: new D(open.toFixed(2)), high: new D(high.toFixed(2)), low: new D(low.toFixed(2)), close: new D(close.toFixed(2)), volume: new D(1),
    };
  }
  return out;
}

/** The same signals and fills as the SMA-cross backtest, with no kernel, order book or equity curve. */
function bareSmaCross(candles: readonly Candle[]): { fills: number; cash: Dec; position: Dec } {
  const fees: FeeSchedule = { takerRate: fromBps(CONFIG.feeBps), makerRate: fromBps(CONFIG.feeBps) };
  const model: SlippageModel = { halfSpreadBps: ZERO, slippageBps: new D(CONFIG.slippageBps), impactBps: ZERO, impactNotional: ZERO, maxBps: new D(CONFIG.slippageBps) };
  const one = new D(1);
  const fast = new SmaStream(FAST);
  const slow = new SmaStream(SLOW);
  let previous: number | null = null;
  let pending: 'buy' | 'sell' | null = null;
  let cash = CONFIG.initialCash;
  let position = ZERO;
  let fills = 0;
  for (let t = 0; t < candles.length; t++) {
    const c = candles[t]!;
    if (pending !== null) {
      const price = marketFillPrice(pending, one, { symbol: MARKET.symbol, price: c.open, publishTime: c.openTime, source: 'sim', simulated: true }, model, MARKET);
      const quantity = pending === 'buy' ? roundDownToStep(cash.div(price.mul(fees.takerRate.add(1))), MARKET.stepSize) : position;
      const notional = price.mul(quantity);
      const fee = feeFor(notional, 'taker', fees);
      // The backtester refuses fills below the market's minimums (a drained account cannot buy).
      if (quantity.lt(MARKET.minQty) || notional.lt(MARKET.minNotional)) {
        pending = null;
      } else if (pending === 'buy') {
        cash = cash.sub(notional).sub(fee);
        position = position.add(quantity);
      } else {
        cash = cash.add(notional).sub(fee);
        position = ZERO;
      }
      if (pending !== null) fills++;
      pending = null;
    }
    const close = c.close.toNumber();
    const f = fast.update(close);
    const s = slow.update(close);
    if (f === undefined || s === undefined) continue;
    const spread = f - s;
    if (previous !== null) {
      if (previous <= 0 && spread > 0 && position.isZero()) pending = 'buy';
      else if (previous >= 0 && spread < 0 && position.gt(0)) pending = 'sell';
    }
    previous = spread;
  }
  return { fills, cash, position };
}

/** Buys with all the cash on the first close and holds: one fill, then a position marked on every candle. */
const HOLD: Strategy<Record<string, never>, null> = {
  kind: 'hold',
  summary: 'buys once and holds',
  params: z.object({}).strict(),
  init: () => null,
  onCandle: ({ candles, portfolio }) => (candles.length === 1 ? { orders: [{ side: 'buy', type: 'market', quoteAmount: portfolio.cash.mul('0.99'), tag: 'hold' }] } : {}),
};

function gcOrNull(): (() => void) | null {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return null;
  }
}

export default async function bench(ctx: BenchContext): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  const gc = gcOrNull();
  const settle = (): number => {
    gc?.();
    gc?.();
    return process.memoryUsage().heapUsed;
  };
  const n = 1_000_000;
  const params = parseStrategyParams(smaCrossStrategy, { fast: FAST, slow: SLOW });
  if (!params.ok) throw new Error(params.error.message);
  const beforeCandles = settle();
  let candles: Candle[] | null = syntheticCandles(n, 7);
  const candleBytes = settle() - beforeCandles;
  ctx.log(`1M candles built: ${(candleBytes / 2 ** 20).toFixed(0)} MiB of heap (${Math.round(candleBytes / n)} bytes a candle)`);

  // (a) full path vs bare loop, alternated, best of each.
  const runFull = (): Result<BacktestResult> => runBacktest({ ...CONFIG, strategy: smaCrossStrategy, params: params.value, candles: candles! });
  const same = ((): boolean => {
    const full = runFull();
    if (!full.ok) throw new Error(full.error.message);
    const b = bareSmaCross(candles);
    const agree = full.value.fills.length === b.fills && full.value.cash.eq(b.cash) && full.value.position.eq(b.position);
    ctx.log(`full path: ${full.value.fills.length} fills, cash ${full.value.cash.toFixed(2)}; bare loop: ${b.fills} fills, cash ${b.cash.toFixed(2)}; same fills and cash: ${agree ? 'yes' : 'NO'}`);
    return agree;
  })();
  let sink = 0;
  let bareMs = Infinity;
  let fullMs = Infinity;
  for (let i = 0; i < 3; i++) {
    bareMs = Math.min(bareMs, await timeOnce(() => { sink += bareSmaCross(candles!).fills; }));
    fullMs = Math.min(fullMs, await timeOnce(() => { runFull(); }));
  }
  ctx.log(`full path ${fullMs.toFixed(0)} ms, bare loop ${bareMs.toFixed(0)} ms per 1M candles (best of 3; ${sink} fills counted)`);
  figures.push(lowerIsBetter('backtest.sma-cross.1m.vs-bare', fullMs, 'ms', bareMs, `reference: the bare loop; target ratio ≥ 0.25; same fills: ${same ? 'yes' : 'NO'}`));
  figures.push(higherIsBetter('backtest.sma-cross.1m.candles-per-s', n / (fullMs / 1000) / 1e6, 'M candles/s', n / (bareMs / 1000) / 1e6, 'reference: the bare loop'));

  // (c) heap the result keeps beyond the candle array.
  const keptBy = (over: readonly Candle[], hold = false): { bytes: number; fills: number } => {
    const before = settle();
    const kept = hold
      ? runBacktest({ ...CONFIG, strategy: HOLD, params: {}, candles: over })
      : runBacktest({ ...CONFIG, strategy: smaCrossStrategy, params: params.value, candles: over });
    const after = settle();
    if (!kept.ok) throw new Error(kept.error.message);
    return { bytes: after - before, fills: kept.value.fills.length };
  };
  const quarter = candles.slice(0, n / 4);
  const keptQuarter = keptBy(quarter);
  const keptFull = keptBy(candles);
  const mib = (b: number): string => (b / 2 ** 20).toFixed(2);
  ctx.log(
    `a backtest's result keeps beyond the candles: ${mib(keptQuarter.bytes)} MiB over 250k candles (${keptQuarter.fills} fills), ${mib(keptFull.bytes)} MiB over 1M (${keptFull.fills} fills); ` +
      `${Math.round(keptFull.bytes / keptFull.fills)} bytes a fill, ${(keptFull.bytes / n).toFixed(1)} bytes a candle${gc ? '' : ' (no GC available: rough)'}`,
  );
  const holdQuarter = keptBy(quarter, true);
  const holdFull = keptBy(candles, true);
  const kib = (b: number): string => (b / 2 ** 10).toFixed(1);
  ctx.log(`buy-and-hold (1 fill, a position marked on every candle) keeps ${kib(holdQuarter.bytes)} KiB over 250k candles, ${kib(holdFull.bytes)} KiB over 1M`);
  figures.push({ name: 'backtest.sma-cross.1m.heap-beyond-candles', value: Math.round(keptFull.bytes / 2 ** 10) / 2 ** 10, unit: 'MiB', reference: Math.round(candleBytes / 2 ** 20), ratio: Math.round((candleBytes / keptFull.bytes) * 1000) / 1000, note: `reference: the candle array itself; ${Math.round(keptFull.bytes / keptFull.fills)} bytes a fill (${keptFull.fills} fills; ${mib(keptQuarter.bytes)} MiB for the first 250k candles, ${keptQuarter.fills} fills)` });
  // Growth from 250k to 1M candles, per added candle: 0 within the heap's noise (tens of KiB) when flat.
  const growth = (holdFull.bytes - holdQuarter.bytes) / (n - n / 4);
  figures.push({ name: 'backtest.hold.heap-growth-per-candle', value: Math.round(growth * 1000) / 1000, unit: 'B/candle', reference: Math.round(candleBytes / n), ratio: Math.round((growth / (candleBytes / n)) * 10_000) / 10_000, note: `reference: a candle's own heap; heap the 1M hold run keeps beyond the 250k one, per added candle (${kib(holdQuarter.bytes)} vs ${kib(holdFull.bytes)} KiB); 0 = flat` });
  candles = null;
  settle();

  // (b) 100-combination sweep on 1 and 2 worker threads: cold (workers started for the sweep), then
  // warm (workers from the pool, as every sweep after the first in a running server), alternated.
  const sweepCandles = syntheticCandles(20_000, 11);
  const grid = { fast: [5, 10, 15, 20, 25, 30, 35, 40, 45, 50], slow: [60, 70, 80, 90, 100, 110, 120, 130, 140, 150] };
  const reports = new Set<string>();
  const sweep = async (workers: number): Promise<{ ms: number; cpuMs: number; stats: SweepStats; threads: ThreadCpu | null }> => {
    let stats: SweepStats | undefined;
    const threadsBefore = threadTicks();
    const cpu = process.cpuUsage();
    const began = performance.now();
    const report = await runSweepOnWorkers({ strategy: 'sma_cross', grid, walkForward: { folds: 1, inSampleFraction: 0.7 }, candles: sweepCandles, config: CONFIG, workers, onStats: (s) => (stats = s) });
    const ms = performance.now() - began;
    const used = process.cpuUsage(cpu);
    const threads = threadCpu(threadsBefore, threadTicks(), workers);
    reports.add(JSON.stringify(report));
    const s = stats!;
    const busy = s.perWorker.map((w) => w.busyMs);
    const windows = s.perWorker.reduce((n, w) => n + w.jobs, 0);
    ctx.log(
      `  ${workers} worker${workers > 1 ? 's' : ''} (${s.startedWorkers} started): ${ms.toFixed(0)} ms = plan ${s.planMs.toFixed(0)} + start/init ${s.startMs.toFixed(0)} + windows ${s.runMs.toFixed(0)} + assemble ${s.assembleMs.toFixed(0)}; ` +
        `busy ${busy.map((b) => b.toFixed(0)).join('/')} ms (${s.perWorker.map((w) => w.jobs).join('/')} windows, ${(busy.reduce((a, b) => a + b, 0) / windows).toFixed(0)} ms a window, ` +
        `${((100 * busy.reduce((a, b) => a + b, 0)) / (s.workers * s.runMs)).toFixed(1)}% of the windows' time busy); process CPU ${(used.user / 1000 + used.system / 1000).toFixed(0)} ms (${((used.user + used.system) / 1000 / ms).toFixed(2)} cores)`,
    );
    return { ms, cpuMs: (used.user + used.system) / 1000, stats: s, threads };
  };
  ctx.log('sweep of 100 combinations over 20,000 candles (1 fold, 70% in sample; 101 windows):');
  await stopIdleSweepWorkers();
  const cold1 = await sweep(1);
  await stopIdleSweepWorkers();
  const cold2 = await sweep(2);
  let warm1: Awaited<ReturnType<typeof sweep>> | undefined;
  let warm2: Awaited<ReturnType<typeof sweep>> | undefined;
  for (let i = 0; i < 2; i++) {
    const one = await sweep(1);
    if (!warm1 || one.ms < warm1.ms) warm1 = one;
    const two = await sweep(2);
    if (!warm2 || two.ms < warm2.ms) warm2 = two;
  }
  await stopIdleSweepWorkers();
  const sameReport = reports.size === 1;
  const perWindow = (r: { stats: SweepStats }): number => r.stats.perWorker.reduce((a, w) => a + w.busyMs, 0) / r.stats.perWorker.reduce((a, w) => a + w.jobs, 0);
  // The speed-up splits into: 2 × (how busy the workers were) × (a window's time on 1 worker / on 2) × (the rest).
  // The middle factor is below 1 only when the two workers did not each get a core.
  ctx.log(
    `warm speed-up ${(warm1!.ms / warm2!.ms).toFixed(2)}: a window took ${perWindow(warm1!).toFixed(0)} ms on 1 worker and ${perWindow(warm2!).toFixed(0)} ms on 2 (×${(perWindow(warm1!) / perWindow(warm2!)).toFixed(2)}: below 1 = the 2 workers did not get 2 cores); ` +
      `CPU for the whole sweep ${warm1!.cpuMs.toFixed(0)} ms on 1 worker, ${warm2!.cpuMs.toFixed(0)} ms on 2; cold (starting workers) ${cold1.ms.toFixed(0)} vs ${cold2.ms.toFixed(0)} ms; same report every time: ${sameReport ? 'yes' : 'NO'}`,
  );
  // The machine's own ceiling for this kind of work: the same loop on 1 worker, then on 2 at once.
  const ceiling = await parallelCeiling();
  const speedUp = warm1!.ms / warm2!.ms;
  // The sweep's own ceiling on 2 cores, from CPU time (not wall time, so it holds on a loaded
  // machine): with 1 worker the other core absorbs the main thread and V8's GC helper threads; with
  // 2 all of it shares 2 cores, so the speed-up is at most 2 × worker CPU / process CPU.
  const t1 = warm1!.threads;
  const sweepCeiling = t1 !== null && t1.workerMs > 0 ? (2 * t1.workerMs) / (t1.workerMs + t1.otherMs) : null;
  ctx.log(
    `ceiling on this machine (best of 4, 1 worker vs 2 at once): CPU loop ×${ceiling.cpu.ratio.toFixed(3)}, memory loop ×${ceiling.memory.ratio.toFixed(3)}, decimal.js loop ×${ceiling.decimal.ratio.toFixed(3)}; ` +
      (t1 !== null
        ? `the 1-worker sweep's CPU: its worker thread ${t1.workerMs.toFixed(0)} ms, the rest of the process (main thread, GC helper threads) ${t1.otherMs.toFixed(0)} ms, so 2 cores give it at most ×${sweepCeiling!.toFixed(2)}; `
        : 'per-thread CPU not available here (no /proc); ') +
      (speedUp > 1 ? `serial fraction implied by ×${speedUp.toFixed(3)} (Amdahl, 2 workers): ${((2 / speedUp - 1) * 100).toFixed(1)}%` : `no speed-up (×${speedUp.toFixed(3)}): the two workers did not get two cores`),
  );
  const ceilingNote = `ceiling: CPU loop ×${ceiling.cpu.ratio.toFixed(2)}, decimal loop ×${ceiling.decimal.ratio.toFixed(2)}${sweepCeiling !== null ? `, this sweep's CPU on 2 cores ×${sweepCeiling.toFixed(2)}` : ''}`;
  if (t1 !== null && sweepCeiling !== null) {
    figures.push(lowerIsBetter('backtest.sweep.100.2-core-ceiling', (t1.workerMs + t1.otherMs) / 2, 'ms', t1.workerMs, 'reference: the 1-worker sweep\'s worker-thread CPU; value: its whole process CPU over 2 cores; ratio is the most 2 workers can speed the sweep up on 2 cores'));
  }
  figures.push(lowerIsBetter('backtest.sweep.100.2-workers', warm2!.ms, 'ms', warm1!.ms, `reference: 1 worker; workers from the pool; ratio is the speed-up (target ≥ 1.7; ${ceilingNote}); same report: ${sameReport ? 'yes' : 'NO'}`));
  figures.push(lowerIsBetter('backtest.sweep.100.2-workers-cold', cold2.ms, 'ms', cold1.ms, `reference: 1 worker; workers started for the sweep; same report: ${sameReport ? 'yes' : 'NO'}`));
  for (const [kind, c] of Object.entries(ceiling)) {
    figures.push(lowerIsBetter(`backtest.sweep.ceiling.${kind}-loop`, c.twoMs / 2, 'ms', c.oneMs, `reference: one ${kind} loop on 1 worker; value: 2 such loops on 2 workers at once, halved; ratio is the machine's speed-up ceiling for this work`));
  }
  return figures;
}

// ---- the machine's parallel ceiling ----
// Three loops, each run on 1 worker thread and then on 2 at once (each doing the whole loop): bare
// arithmetic (CPU-bound), random reads over 128 MiB (memory-bound) and decimal.js arithmetic (the
// allocation and garbage collection a backtest's decimals bring). 2 × (time on 1) / (time on 2) is
// the speed-up two workers can get here at best; below 2 when the two vCPUs are not independent.
const CEILING_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const D = require(workerData.decimal);
let table = null;
const loops = {
  cpu(n) { let a = 1, s = 0; for (let i = 0; i < n; i++) { a ^= a << 13; a ^= a >>> 17; a ^= a << 5; s = (s + (a & 1023)) | 0; } return s; },
  memory(n) { table ??= new Float64Array(16 * 1024 * 1024).map((_, i) => i); let s = 0, j = 1; for (let i = 0; i < n; i++) { j = (j * 1103515245 + 12345) & 0x7fffffff; s += table[j & 0xffffff]; } return s; },
  decimal(n) { const a = new D('10000'), p = new D('0.00012'); let c = new D('60000.12'), kept = []; for (let i = 0; i < n; i++) { const e = a.add(p.mul(c)); if (i % 64 === 0) kept.push(e); if (kept.length > 2000) kept = []; c = c.add('0.01'); } return kept.length; },
};
parentPort.on('message', ({ kind, n }) => { loops[kind](n >> 4); const t = performance.now(); const r = loops[kind](n); parentPort.postMessage({ ms: performance.now() - t, r }); });
`;

async function parallelCeiling(): Promise<Record<'cpu' | 'memory' | 'decimal', { oneMs: number; twoMs: number; ratio: number }>> {
  const decimal = createRequire(import.meta.url).resolve('decimal.js');
  const workers = [0, 1].map(() => new Worker(CEILING_WORKER, { eval: true, workerData: { decimal } }));
  const run = (w: Worker, kind: string, n: number): Promise<number> =>
    new Promise((resolve, reject) => {
      const done = (m: { ms: number }): void => {
        w.off('error', failed);
        resolve(m.ms);
      };
      const failed = (err: Error): void => {
        w.off('message', done);
        reject(err);
      };
      w.once('message', done);
      w.once('error', failed);
      w.postMessage({ kind, n });
    });
  const sizes = { cpu: 300_000_000, memory: 30_000_000, decimal: 1_000_000 } as const;
  try {
    const out = {} as Record<'cpu' | 'memory' | 'decimal', { oneMs: number; twoMs: number; ratio: number }>;
    for (const kind of ['cpu', 'memory', 'decimal'] as const) {
      let oneMs = Infinity;
      let twoMs = Infinity;
      for (let i = 0; i < 4; i++) {
        oneMs = Math.min(oneMs, await timeOnce(() => run(workers[0]!, kind, sizes[kind])));
        twoMs = Math.min(twoMs, await timeOnce(() => Promise.all(workers.map((w) => run(w, kind, sizes[kind])))));
      }
      out[kind] = { oneMs, twoMs, ratio: (2 * oneMs) / twoMs };
    }
    return out;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

// ---- CPU time per thread (Linux /proc; null elsewhere) ----

type ThreadTicks = Map<string, number>;
interface ThreadCpu {
  /** CPU of the busiest thread other than the main one: the worker (of a 1-worker sweep). */
  workerMs: number;
  /** CPU of every other thread of the process: the main thread and V8's helper threads. */
  otherMs: number;
}

function threadTicks(): ThreadTicks | null {
  try {
    const out: ThreadTicks = new Map();
    for (const tid of readdirSync('/proc/self/task')) {
      try {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        out.set(tid, Number(fields[11]) + Number(fields[12]));
      } catch {
        // The thread ended meanwhile.
      }
    }
    return out;
  } catch {
    return null;
  }
}

/** Only for a 1-worker sweep (with 2, the workers cannot be told from the rest by size alone). */
function threadCpu(before: ThreadTicks | null, after: ThreadTicks | null, workers: number): ThreadCpu | null {
  if (before === null || after === null || workers !== 1) return null;
  const msPerTick = 10; // USER_HZ is 100 on Linux
  const deltas = [...after].map(([tid, ticks]) => ({ tid, ms: (ticks - (before.get(tid) ?? 0)) * msPerTick }));
  const worker = deltas.filter((d) => d.tid !== String(process.pid)).sort((a, b) => b.ms - a.ms)[0];
  if (worker === undefined) return null;
  return { workerMs: worker.ms, otherMs: deltas.reduce((sum, d) => sum + d.ms, 0) - worker.ms };
}
