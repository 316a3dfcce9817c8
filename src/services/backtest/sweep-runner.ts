// Runs a walk-forward parameter sweep (src/domain/backtest/sweep.ts) over worker threads.
//
// The main thread plans the sweep (grid, folds) and hands out windows to run; each worker gets the
// candles (and a side stream's signals) once per sweep, as plain strings and numbers (never Decimal
// objects), rebuilds them, and runs the windows it is sent — one combination over one window each,
// the next one as soon as it answers (a work queue: no worker waits while windows remain). Workers
// are kept in a pool between sweeps (see below). Results are stored by position and the report is
// assembled by the same pure code as the one-thread `runSweep`, so the outcome is the same
// whatever the number of workers or the order in which they finish. In-sample windows go first; the
// out-of-sample run of each fold's in-sample best follows once they are all in.
//
// Workers run the compiled dist/ file beside this one, or — when this file is TypeScript (tsx,
// vitest) — the TypeScript worker through tsx's loader, registered inside the worker.
//
// Where the time goes (`onStats`, printed by bench/backtest.bench.ts): the windows themselves are
// nearly all of it; messages are a few hundred bytes a window, and the candles cross once per worker.
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { BacktestConfig } from '../../domain/backtest/backtest.js';
import { assembleSweep, MAX_SWEEP_COMBINATIONS, pickBest, planSweep, type ParamGrid, type RawParams, type RunFigures, type SweepObjective, type SweepReport } from '../../domain/backtest/sweep.js';
import type { IndexRange, WalkForwardOptions } from '../../domain/backtest/walk-forward.js';
import { D } from '../../domain/money.js';
import type { Candle, MarketInfo, Timeframe } from '../../domain/ports.js';
import { STRATEGIES, smaCrossStrategy, type Strategy, type WhaleSignal } from '../../domain/strategy/index.js';
import { startModuleWorker } from '../../worker-thread.js';
import { AppError, ErrorCode } from '../errors.js';

/** Strategies a sweep can run, by kind: the registry plus the SMA cross. */
export const SWEEP_STRATEGIES: Readonly<Record<string, Strategy<unknown, unknown>>> = Object.freeze({
  ...STRATEGIES,
  sma_cross: smaCrossStrategy,
});

/** Most worker threads one sweep starts. */
export const MAX_SWEEP_WORKERS = 16;

export interface SweepRunOptions {
  strategy: string;
  grid: ParamGrid;
  baseParams?: RawParams;
  objective?: SweepObjective;
  walkForward?: Partial<WalkForwardOptions>;
  /** At most MAX_SWEEP_COMBINATIONS (1000). */
  maxCombinations?: number;
  candles: readonly Candle[];
  /** The side stream over the candles, for a strategy that asks for it (whale following). */
  signals?: readonly WhaleSignal[];
  config: BacktestConfig;
  /** Worker threads; default min(2, available CPUs). */
  workers?: number;
  /** Called after each backtest window finishes: how many of how many. */
  onProgress?: (done: number, total: number) => void;
  /** Called once the sweep is done with where its time went (for benchmarks). */
  onStats?: (stats: SweepStats) => void;
}

/** Where a sweep's time went, in milliseconds of wall-clock time. */
export interface SweepStats {
  workers: number;
  /** Workers started for this sweep (the others were waiting in the pool from an earlier one). */
  startedWorkers: number;
  /** Main thread: planning the sweep and encoding the candles for the workers. */
  planMs: number;
  /** From taking the workers (starting those the pool lacked) until the last had its candles and answered ready. */
  startMs: number;
  /** Running the windows, from the first job sent to the last answer in. */
  runMs: number;
  /** Main thread: assembling the report. */
  assembleMs: number;
  perWorker: Array<{ initMs: number; jobs: number; busyMs: number }>;
}

// ---- the wire: what crosses to a worker (structured clone of plain values) ----

/** Candles as one string per decimal field (comma-joined) and open times as numbers. */
export interface WireCandles {
  symbol: string;
  exchange: string;
  timeframe: Timeframe;
  openTimes: Float64Array;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
}

export interface WireConfig {
  market: Omit<MarketInfo, 'tickSize' | 'stepSize' | 'minQty' | 'maxQty' | 'minNotional'> & { tickSize: string; stepSize: string; minQty: string; maxQty?: string; minNotional: string };
  initialCash: string;
  feeBps: string;
  makerFeeBps?: string;
  slippageBps: string;
  intervalMs?: number;
}

export type WireFigures = Omit<RunFigures, 'returnPct' | 'totalPnl' | 'finalEquity' | 'maxDrawdown' | 'fees' | 'buyAndHold'> & {
  returnPct: string;
  totalPnl: string;
  finalEquity: string;
  maxDrawdown: string;
  fees: string;
  buyAndHold: { returnPct: string; pnl: string };
};

export type ToWorker =
  | { type: 'init'; strategy: string; candles: WireCandles; config: WireConfig; signals?: WireSignal[] }
  | { type: 'run'; job: number; params: RawParams; range: IndexRange }
  | { type: 'release' };

/** `initMs`: the worker's time to rebuild the candles; `ms`: its time running the window. */
export type FromWorker = { type: 'ready'; initMs: number } | { type: 'done'; job: number; figures: WireFigures; ms: number } | { type: 'failed'; job: number; message: string };

/** A whale signal as plain values (its notional as a string). */
export interface WireSignal {
  eventId: string;
  walletId: string;
  at: number;
  direction: WhaleSignal['direction'];
  notionalUsd: string;
  credibility: Record<'1h' | '4h' | '24h', number | null>;
  confidence: number | null;
}

export function signalsToWire(signals: readonly WhaleSignal[]): WireSignal[] {
  return signals.map((x) => ({ eventId: x.eventId, walletId: x.walletId, at: x.at.getTime(), direction: x.direction, notionalUsd: x.notionalUsd.toString(), credibility: { ...x.credibility }, confidence: x.confidence }));
}

export function signalsFromWire(wire: readonly WireSignal[]): WhaleSignal[] {
  return wire.map((x) => ({ ...x, at: new Date(x.at), notionalUsd: new D(x.notionalUsd) }));
}

export function candlesToWire(candles: readonly Candle[]): WireCandles {
  const first = candles[0];
  const openTimes = new Float64Array(candles.length);
  const fields = { open: [] as string[], high: [] as string[], low: [] as string[], close: [] as string[], volume: [] as string[] };
  candles.forEach((c, i) => {
    openTimes[i] = c.openTime.getTime();
    fields.open.push(c.open.toString());
    fields.high.push(c.high.toString());
    fields.low.push(c.low.toString());
    fields.close.push(c.close.toString());
    fields.volume.push(c.volume.toString());
  });
  return {
    symbol: first?.symbol ?? '',
    exchange: first?.exchange ?? '',
    timeframe: first?.timeframe ?? '1m',
    openTimes,
    open: fields.open.join(','),
    high: fields.high.join(','),
    low: fields.low.join(','),
    close: fields.close.join(','),
    volume: fields.volume.join(','),
  };
}

export function candlesFromWire(w: WireCandles): Candle[] {
  const n = w.openTimes.length;
  if (n === 0) return [];
  const [open, high, low, close, volume] = [w.open, w.high, w.low, w.close, w.volume].map((s) => s.split(','));
  const out: Candle[] = new Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = {
      symbol: w.symbol, exchange: w.exchange, timeframe: w.timeframe, openTime: new Date(w.openTimes[i]!),
      open: new D(open![i]!), high: new D(high![i]!), low: new D(low![i]!), close: new D(close![i]!), volume: new D(volume![i]!),
    };
  }
  return out;
}

export function configToWire(c: BacktestConfig): WireConfig {
  const { tickSize, stepSize, minQty, maxQty, minNotional, ...plain } = c.market;
  return {
    market: { ...plain, tickSize: tickSize.toString(), stepSize: stepSize.toString(), minQty: minQty.toString(), minNotional: minNotional.toString(), ...(maxQty !== undefined ? { maxQty: maxQty.toString() } : {}) },
    initialCash: c.initialCash.toString(),
    feeBps: String(c.feeBps),
    slippageBps: String(c.slippageBps),
    ...(c.makerFeeBps !== undefined ? { makerFeeBps: String(c.makerFeeBps) } : {}),
    ...(c.intervalMs !== undefined ? { intervalMs: c.intervalMs } : {}),
  };
}

export function configFromWire(w: WireConfig): BacktestConfig {
  const { tickSize, stepSize, minQty, maxQty, minNotional, ...plain } = w.market;
  const market: MarketInfo = { ...plain, tickSize: new D(tickSize), stepSize: new D(stepSize), minQty: new D(minQty), minNotional: new D(minNotional), ...(maxQty !== undefined ? { maxQty: new D(maxQty) } : {}) };
  return {
    market,
    initialCash: new D(w.initialCash),
    feeBps: new D(w.feeBps),
    slippageBps: new D(w.slippageBps),
    ...(w.makerFeeBps !== undefined ? { makerFeeBps: new D(w.makerFeeBps) } : {}),
    ...(w.intervalMs !== undefined ? { intervalMs: w.intervalMs } : {}),
  };
}

export function figuresToWire(f: RunFigures): WireFigures {
  return {
    ...f,
    returnPct: f.returnPct.toString(),
    totalPnl: f.totalPnl.toString(),
    finalEquity: f.finalEquity.toString(),
    maxDrawdown: f.maxDrawdown.toString(),
    fees: f.fees.toString(),
    buyAndHold: { returnPct: f.buyAndHold.returnPct.toString(), pnl: f.buyAndHold.pnl.toString() },
  };
}

export function figuresFromWire(w: WireFigures): RunFigures {
  return {
    ...w,
    returnPct: new D(w.returnPct),
    totalPnl: new D(w.totalPnl),
    finalEquity: new D(w.finalEquity),
    maxDrawdown: new D(w.maxDrawdown),
    fees: new D(w.fees),
    buyAndHold: { returnPct: new D(w.buyAndHold.returnPct), pnl: new D(w.buyAndHold.pnl) },
  };
}

// ---- starting workers ----

function startWorker(): Worker {
  return startModuleWorker(import.meta.url, 'sweep-worker');
}

interface Job {
  params: RawParams;
  range: IndexRange;
}

/** A worker with its one job in flight at a time; its replies wait in an inbox until asked for. */
class SweepWorker {
  readonly #worker: Worker;
  readonly #inbox: FromWorker[] = [];
  #pending: { resolve: (f: FromWorker) => void; reject: (err: Error) => void } | null = null;
  #dead: Error | null = null;
  #idleTimer: NodeJS.Timeout | null = null;

  constructor() {
    this.#worker = startWorker();
    this.#worker.on('message', (msg: FromWorker) => {
      const p = this.#pending;
      this.#pending = null;
      if (p) p.resolve(msg);
      else this.#inbox.push(msg);
    });
    const die = (err: Error): void => {
      this.#dead ??= err;
      const p = this.#pending;
      this.#pending = null;
      p?.reject(err);
    };
    this.#worker.on('error', die);
    this.#worker.on('exit', (code) => die(new Error(`a sweep worker stopped (exit code ${code})`)));
  }

  get alive(): boolean {
    return this.#dead === null;
  }

  /** Sends `send` (when given) and resolves with the worker's next reply (replies come in the order sent). */
  next(send?: ToWorker): Promise<FromWorker> {
    if (send) this.#worker.postMessage(send);
    const waiting = this.#inbox.shift();
    if (waiting) return Promise.resolve(waiting);
    if (this.#dead) return Promise.reject(this.#dead);
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject };
    });
  }

  /** Sends `msg` without waiting for a reply (collect it with `next()`). */
  post(msg: ToWorker): void {
    this.#worker.postMessage(msg);
  }

  /** Back in the pool: it drops the sweep's candles, no longer keeps the process alive, and stops after `idleMs`. */
  park(idleMs: number, onStop: () => void): void {
    this.#worker.postMessage({ type: 'release' } satisfies ToWorker);
    this.#worker.unref();
    this.#idleTimer = setTimeout(() => {
      onStop();
      void this.stop();
    }, idleMs);
    this.#idleTimer.unref();
  }

  /** Out of the pool for a sweep. */
  unpark(): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
    this.#worker.ref();
  }

  async stop(): Promise<void> {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#worker.removeAllListeners('exit');
    await this.#worker.terminate();
  }
}

// ---- the pool: started workers kept between sweeps ----
// Starting a worker costs a module load (and, from the TypeScript sources, tsx's loader) — about a
// second, much of a small sweep. Workers that finished a sweep cleanly wait here for the next one,
// holding no candles and not keeping the process alive; one idle for SWEEP_WORKER_IDLE_MS stops.

/** How long a started worker waits for another sweep before it stops. */
export const SWEEP_WORKER_IDLE_MS = 300_000;
const idleWorkers: SweepWorker[] = [];

function takeWorkers(count: number): { workers: SweepWorker[]; started: number } {
  const workers: SweepWorker[] = [];
  while (workers.length < count && idleWorkers.length > 0) {
    const w = idleWorkers.pop()!;
    if (!w.alive) continue;
    w.unpark();
    workers.push(w);
  }
  const reused = workers.length;
  while (workers.length < count) workers.push(new SweepWorker());
  return { workers, started: workers.length - reused };
}

function parkWorkers(workers: readonly SweepWorker[]): void {
  for (const w of workers) {
    if (!w.alive || idleWorkers.length >= MAX_SWEEP_WORKERS) {
      void w.stop();
      continue;
    }
    idleWorkers.push(w);
    w.park(SWEEP_WORKER_IDLE_MS, () => {
      const at = idleWorkers.indexOf(w);
      if (at >= 0) idleWorkers.splice(at, 1);
    });
  }
}

/** Started workers waiting for a sweep (for tests and shutdown). */
export function idleSweepWorkers(): number {
  return idleWorkers.length;
}

/** Stops every idle worker now (at shutdown, or between tests). */
export async function stopIdleSweepWorkers(): Promise<void> {
  const stopping = idleWorkers.splice(0, idleWorkers.length);
  await Promise.all(stopping.map((w) => w.stop()));
}

/**
 * Runs `jobs` on the workers, each taking the next job when free; results by job position. A worker
 * holds one job more than it runs while plenty remain, so it never waits for the main thread between
 * windows (on a busy machine the main thread's turn can take a while); near the end it holds only
 * the one it runs, so no worker sits on a window another could start.
 */
async function runJobs(workers: readonly SweepWorker[], jobs: readonly Job[], usage: Array<{ jobs: number; busyMs: number }>, onDone?: () => void): Promise<RunFigures[]> {
  const results: RunFigures[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    workers.map(async (w, i) => {
      const sent: number[] = [];
      for (;;) {
        while (next < jobs.length && (sent.length === 0 || (sent.length < 2 && jobs.length - next >= 2 * workers.length))) {
          const job = next++;
          sent.push(job);
          w.post({ type: 'run', job, params: jobs[job]!.params, range: jobs[job]!.range });
        }
        const job = sent.shift();
        if (job === undefined) break;
        const reply = await w.next();
        if (reply.type === 'failed') throw new AppError(ErrorCode.invalidInput, `the sweep could not run: ${reply.message}`, 'check the window and the backtest settings');
        if (reply.type !== 'done' || reply.job !== job) throw new Error(`a sweep worker answered out of turn (${reply.type})`);
        results[job] = figuresFromWire(reply.figures);
        usage[i]!.jobs++;
        usage[i]!.busyMs += reply.ms;
        onDone?.();
      }
    }),
  );
  return results;
}

/**
 * Plans the sweep, runs every window on `workers` threads and assembles the report. Throws AppError
 * for a bad sweep (unknown strategy, grid too large or all invalid, too few candles for the folds).
 */
export async function runSweepOnWorkers(opts: SweepRunOptions): Promise<SweepReport> {
  const planning = performance.now();
  const strategy = SWEEP_STRATEGIES[opts.strategy];
  if (strategy === undefined) {
    throw new AppError(ErrorCode.invalidInput, `unknown strategy ${JSON.stringify(opts.strategy.slice(0, 40))}`, `use one of ${Object.keys(SWEEP_STRATEGIES).join(', ')}`);
  }
  const count = opts.workers ?? Math.min(2, availableParallelism());
  if (!Number.isInteger(count) || count < 1 || count > MAX_SWEEP_WORKERS) {
    throw new AppError(ErrorCode.invalidInput, `workers must be a whole number from 1 to ${MAX_SWEEP_WORKERS}, got ${String(count)}`, 'leave it out for the default (2 or the number of CPUs, whichever is lower)');
  }
  const planned = planSweep(
    {
      strategy,
      grid: opts.grid,
      ...(opts.baseParams ? { baseParams: opts.baseParams } : {}),
      ...(opts.objective ? { objective: opts.objective } : {}),
      ...(opts.walkForward ? { walkForward: opts.walkForward } : {}),
      ...(opts.maxCombinations !== undefined ? { maxCombinations: opts.maxCombinations } : {}),
    },
    opts.candles.length,
  );
  if (!planned.ok) throw new AppError(ErrorCode.invalidInput, planned.error.message, `a sweep runs at most ${MAX_SWEEP_COMBINATIONS} combinations over enough candles for its folds`);
  const plan = planned.value;

  const init: ToWorker = {
    type: 'init', strategy: opts.strategy, candles: candlesToWire(opts.candles), config: configToWire(opts.config), ...(opts.signals !== undefined ? { signals: signalsToWire(opts.signals) } : {}),
  };
  const started = performance.now();
  const taken = takeWorkers(Math.min(count, plan.combinations.length * plan.folds.length));
  const workers = taken.workers;
  let clean = false;
  try {
    const usage = workers.map(() => ({ initMs: 0, jobs: 0, busyMs: 0 }));
    const readies = await Promise.all(workers.map((w) => w.next(init)));
    readies.forEach((ready, i) => {
      if (ready.type !== 'ready') throw new Error(`a sweep worker did not start (${ready.type})`);
      usage[i]!.initMs = ready.initMs;
    });
    const running = performance.now();
    const inSampleJobs: Job[] = plan.folds.flatMap((fold) => plan.combinations.map((c) => ({ params: c.raw, range: fold.inSample })));
    const total = inSampleJobs.length + plan.folds.length;
    let done = 0;
    const tick = opts.onProgress ? (): void => opts.onProgress!(++done, total) : undefined;
    const flat = await runJobs(workers, inSampleJobs, usage, tick);
    const perCombo = plan.combinations.length;
    const inSample = plan.folds.map((_, k) => flat.slice(k * perCombo, (k + 1) * perCombo));
    const outOfSampleJobs: Job[] = plan.folds.map((fold, k) => ({ params: plan.combinations[pickBest(inSample[k]!, plan.objective)]!.raw, range: fold.outOfSample }));
    const outOfSample = await runJobs(workers, outOfSampleJobs, usage, tick);
    const assembling = performance.now();
    const report = assembleSweep(plan, inSample, outOfSample);
    clean = true;
    opts.onStats?.({ workers: workers.length, startedWorkers: taken.started, planMs: started - planning, startMs: running - started, runMs: assembling - running, assembleMs: performance.now() - assembling, perWorker: usage });
    return report;
  } finally {
    // A worker that failed, or may still be running a job of this sweep, is not reused.
    if (clean) parkWorkers(workers);
    else await Promise.all(workers.map((w) => w.stop()));
  }
}
