// Runs a walk-forward parameter sweep (src/domain/backtest/sweep.ts) over worker threads.
//
// The main thread plans the sweep (grid, folds) and hands out windows to run; each worker gets the
// candles (and a side stream's signals) once per sweep, as plain numbers and strings (never Decimal
// objects), rebuilds them, and runs the windows it is sent — one combination over one window each,
// the next one as soon as it answers (a work queue: no worker waits while windows remain). Workers
// are kept in a pool between sweeps (see below). Results are stored by position and the report is
// assembled by the same pure code as the one-thread `runSweep`, so the outcome is the same
// whatever the number of workers or the order in which they finish. All folds' windows form one
// queue: a fold's out-of-sample run of its in-sample best is queued as soon as that fold's last
// in-sample result is in, so workers stay busy across fold boundaries.
//
// Workers run the compiled dist/ file beside this one, or — when this file is TypeScript (tsx,
// vitest) — the TypeScript worker through tsx's loader, registered inside the worker.
//
// Where the time goes (`onStats`, printed by bench/backtest.bench.ts): the windows themselves are
// nearly all of it; messages are a few hundred bytes a window, and the candles cross once per worker.
// What runs on the main thread alone — planning and encoding the candles — and a worker's start are
// kept small (the candles as numbers, decimals made in the worker only when read), since with two
// workers every such millisecond counts twice against the speed-up.
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { BacktestConfig } from '../../domain/backtest/backtest.js';
import { assembleSweep, MAX_SWEEP_COMBINATIONS, pickBest, planSweep, type ParamGrid, type RawParams, type RunFigures, type SweepObjective, type SweepPlan, type SweepReport } from '../../domain/backtest/sweep.js';
import type { IndexRange, WalkForwardOptions } from '../../domain/backtest/walk-forward.js';
import { D, type Dec } from '../../domain/money.js';
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
  /** Main thread: planning the sweep and encoding the candles for the workers (workers being started load meanwhile). */
  planMs: number;
  /** From the candles encoded until the last worker had them and answered ready (for a started worker, the rest of its start). */
  startMs: number;
  /** Running the windows, from the first job sent to the last answer in. */
  runMs: number;
  /** Main thread: assembling the report. */
  assembleMs: number;
  perWorker: Array<{ initMs: number; jobs: number; busyMs: number }>;
}

// ---- the wire: what crosses to a worker (structured clone of plain values) ----

/**
 * Candles as numbers only: open times, and the five decimals of every candle (open, high, low,
 * close, volume) in decimal.js's own exact form — sign, exponent, digit count, then the base-10^7
 * digits — one after another in `decimals`, candle i's starting at `starts[i]`. Reading a Decimal's
 * digits is a few array reads where printing it is a string build, and this is the part of a sweep's
 * start that runs on the main thread alone; a worker turns a field back into a Decimal (through its
 * exact string) only when it is read.
 */
export interface WireCandles {
  symbol: string;
  exchange: string;
  timeframe: Timeframe;
  openTimes: Float64Array;
  starts: Uint32Array;
  decimals: Float64Array;
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

const CANDLE_DECIMALS = ['open', 'high', 'low', 'close', 'volume'] as const;

export function candlesToWire(candles: readonly Candle[]): WireCandles {
  const first = candles[0];
  const n = candles.length;
  const openTimes = new Float64Array(n);
  const starts = new Uint32Array(n);
  let size = 0;
  for (let i = 0; i < n; i++) {
    const c = candles[i]!;
    starts[i] = size;
    size += 15 + (c.open.d?.length ?? 0) + (c.high.d?.length ?? 0) + (c.low.d?.length ?? 0) + (c.close.d?.length ?? 0) + (c.volume.d?.length ?? 0);
  }
  const decimals = new Float64Array(size);
  let at = 0;
  const put = (x: Dec): void => {
    const digits = x.d as number[] | null;
    decimals[at++] = x.s;
    decimals[at++] = x.e;
    if (digits === null) {
      decimals[at++] = -1;
      return;
    }
    decimals[at++] = digits.length;
    for (let k = 0; k < digits.length; k++) decimals[at++] = digits[k]!;
  };
  for (let i = 0; i < n; i++) {
    const c = candles[i]!;
    openTimes[i] = c.openTime.getTime();
    put(c.open);
    put(c.high);
    put(c.low);
    put(c.close);
    put(c.volume);
  }
  return { symbol: first?.symbol ?? '', exchange: first?.exchange ?? '', timeframe: first?.timeframe ?? '1m', openTimes, starts, decimals };
}

/**
 * Field `field` (0 open … 4 volume) of candle i as an exact decimal string: the digits in scientific
 * notation (`-6.012345e4`), which decimal.js reads back to the same value and `Number` to the same
 * number as the Decimal's own `toNumber()` (both correctly rounded from the same decimal).
 */
function wireDecimalString(w: WireCandles, i: number, field: number): string {
  const v = w.decimals;
  let at = w.starts[i]!;
  for (let f = 0; f < field; f++) at += 3 + Math.max(0, v[at + 2]!);
  const sign = v[at]!;
  const exponent = v[at + 1]!;
  const count = v[at + 2]!;
  if (count < 0) return Number.isNaN(sign) ? 'NaN' : sign < 0 ? '-Infinity' : 'Infinity';
  let digits = String(v[at + 3]!);
  for (let k = 1; k < count; k++) digits += String(v[at + 3 + k]!).padStart(7, '0');
  const leading = digits.replace(/0+$/, '') || '0';
  return `${sign < 0 ? '-' : ''}${leading[0]!}${leading.length > 1 ? `.${leading.slice(1)}` : ''}e${exponent}`;
}

/**
 * A candle back from the wire whose decimals are made when first read (then kept). Its five decimal
 * fields are own enumerable getters, so a copy (`{ ...candle }`, as a strategy's closed candle is
 * made) carries the values; they are defined from one shared set of descriptors (an object literal
 * with getters would cost a closure and a runtime call per field and candle).
 */
class WireCandle {
  readonly symbol: string;
  readonly exchange: string;
  readonly timeframe: Timeframe;
  readonly openTime: Date;
  readonly #wire: WireCandles;
  readonly #index: number;
  readonly #made: Array<Dec | undefined> = [];

  static readonly #fields: PropertyDescriptorMap = Object.fromEntries(
    CANDLE_DECIMALS.map((name, f) => [name, { enumerable: true, get(this: WireCandle): Dec { return this.#field(f); } }]),
  );

  constructor(wire: WireCandles, index: number) {
    this.symbol = wire.symbol;
    this.exchange = wire.exchange;
    this.timeframe = wire.timeframe;
    this.openTime = new Date(wire.openTimes[index]!);
    this.#wire = wire;
    this.#index = index;
    Object.defineProperties(this, WireCandle.#fields);
  }

  #field(f: number): Dec {
    return (this.#made[f] ??= new D(wireDecimalString(this.#wire, this.#index, f)));
  }
}

/**
 * The candles back from the wire: a sweep's windows read a candle's decimals only at fills and where
 * the drawdown can change, and read the closes as numbers (`closeNumbersFromWire`), so most of the
 * decimals are never made and a worker is ready sooner than if it parsed five a candle.
 */
export function candlesFromWire(w: WireCandles): Candle[] {
  const n = w.openTimes.length;
  const out: Candle[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = new WireCandle(w, i) as unknown as Candle;
  return out;
}

/** `close.toNumber()` of every candle on the wire, without making the Decimals. */
export function closeNumbersFromWire(w: WireCandles): Float64Array {
  const n = w.openTimes.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Number(wireDecimalString(w, i, CANDLE_DECIMALS.indexOf('close')));
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
 * The windows of a sweep as one queue over all folds: every fold's in-sample windows from the start,
 * and a fold's out-of-sample window as soon as its last in-sample result is in (at the front: it is
 * what the end of the sweep waits for). So no worker waits at a fold boundary while another finishes
 * the fold, and the out-of-sample runs overlap the next folds' in-sample ones.
 */
class WindowQueue<P> {
  readonly #plan: SweepPlan<P>;
  readonly #ready: Array<Job & { fold: number; combination: number | null }> = [];
  readonly #missing: number[];
  #wake: (() => void) | null = null;
  readonly inSample: RunFigures[][];
  readonly outOfSample: RunFigures[];
  #outstanding: number;

  constructor(plan: SweepPlan<P>) {
    this.#plan = plan;
    const perFold = plan.combinations.length;
    this.inSample = plan.folds.map(() => new Array<RunFigures>(perFold));
    this.outOfSample = new Array<RunFigures>(plan.folds.length);
    this.#missing = plan.folds.map(() => perFold);
    this.#outstanding = plan.folds.length * (perFold + 1);
    // Longer windows first (anchored folds grow), so the sweep does not end on a long one; in fold
    // and grid order otherwise.
    const order = plan.folds.map((_, k) => k).sort((x, y) => length(plan.folds[y]!.inSample) - length(plan.folds[x]!.inSample));
    for (const k of order) for (const c of plan.combinations) this.#ready.push({ params: c.raw, range: plan.folds[k]!.inSample, fold: k, combination: c.index });
  }

  /** Windows not yet answered. */
  get outstanding(): number {
    return this.#outstanding;
  }

  /** Windows ready to send. */
  get ready(): number {
    return this.#ready.length;
  }

  take(): (Job & { fold: number; combination: number | null }) | undefined {
    return this.#ready.shift();
  }

  /** Resolves when a window becomes ready or the last one is answered. */
  changed(): Promise<void> {
    return new Promise((resolve) => {
      const before = this.#wake;
      this.#wake = () => {
        before?.();
        resolve();
      };
    });
  }

  /** Stores a window's figures; the last in-sample one of a fold queues the fold's out-of-sample run of its best. */
  answer(job: { fold: number; combination: number | null }, figures: RunFigures): void {
    this.#outstanding--;
    if (job.combination === null) {
      this.outOfSample[job.fold] = figures;
    } else {
      this.inSample[job.fold]![job.combination] = figures;
      if (--this.#missing[job.fold]! === 0) {
        const best = this.#plan.combinations[pickBest(this.inSample[job.fold]!, this.#plan.objective)]!;
        this.#ready.unshift({ params: best.raw, range: this.#plan.folds[job.fold]!.outOfSample, fold: job.fold, combination: null });
      }
    }
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}

function length(range: IndexRange): number {
  return range.end - range.start;
}

/**
 * Runs the queue's windows on the workers, each taking the next window when free. A worker holds one
 * window more than it runs while plenty are ready, so it never waits for the main thread between
 * windows (on a busy machine the main thread's turn can take a while); near the end it holds only
 * the one it runs, so no worker sits on a window another could start.
 */
async function runQueue<P>(workers: readonly SweepWorker[], queue: WindowQueue<P>, usage: Array<{ jobs: number; busyMs: number }>, onDone?: () => void): Promise<void> {
  let next = 0;
  const failed: { error: Error | null } = { error: null };
  await Promise.all(
    workers.map(async (w, i) => {
      const sent: Array<{ id: number; fold: number; combination: number | null }> = [];
      for (;;) {
        if (failed.error) return;
        while (queue.ready > 0 && (sent.length === 0 || (sent.length < 2 && queue.ready >= 2 * workers.length))) {
          const job = queue.take()!;
          const id = next++;
          sent.push({ id, fold: job.fold, combination: job.combination });
          w.post({ type: 'run', job: id, params: job.params, range: job.range });
        }
        const job = sent.shift();
        if (job === undefined) {
          if (queue.outstanding === 0) return;
          // Nothing ready yet: another worker is finishing the fold whose out-of-sample run comes next.
          await queue.changed();
          continue;
        }
        let reply: FromWorker;
        try {
          reply = await w.next();
        } catch (err) {
          failed.error = err as Error;
          throw err;
        }
        if (reply.type === 'failed') {
          failed.error = new AppError(ErrorCode.invalidInput, `the sweep could not run: ${reply.message}`, 'check the window and the backtest settings');
          throw failed.error;
        }
        if (reply.type !== 'done' || reply.job !== job.id) {
          failed.error = new Error(`a sweep worker answered out of turn (${reply.type})`);
          throw failed.error;
        }
        usage[i]!.jobs++;
        usage[i]!.busyMs += reply.ms;
        queue.answer(job, figuresFromWire(reply.figures));
        onDone?.();
      }
    }),
  );
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

  // Workers the pool lacks start loading their modules while this thread encodes the candles.
  const taken = takeWorkers(Math.min(count, plan.combinations.length * plan.folds.length));
  const workers = taken.workers;
  let clean = false;
  try {
    const init: ToWorker = {
      type: 'init', strategy: opts.strategy, candles: candlesToWire(opts.candles), config: configToWire(opts.config), ...(opts.signals !== undefined ? { signals: signalsToWire(opts.signals) } : {}),
    };
    const started = performance.now();
    const usage = workers.map(() => ({ initMs: 0, jobs: 0, busyMs: 0 }));
    const readies = await Promise.all(workers.map((w) => w.next(init)));
    readies.forEach((ready, i) => {
      if (ready.type !== 'ready') throw new Error(`a sweep worker did not start (${ready.type})`);
      usage[i]!.initMs = ready.initMs;
    });
    const running = performance.now();
    const queue = new WindowQueue(plan);
    let done = 0;
    const total = queue.outstanding;
    await runQueue(workers, queue, usage, opts.onProgress ? (): void => opts.onProgress!(++done, total) : undefined);
    const assembling = performance.now();
    const report = assembleSweep(plan, queue.inSample, queue.outOfSample);
    clean = true;
    opts.onStats?.({ workers: workers.length, startedWorkers: taken.started, planMs: started - planning, startMs: running - started, runMs: assembling - running, assembleMs: performance.now() - assembling, perWorker: usage });
    return report;
  } finally {
    // A worker that failed, or may still be running a job of this sweep, is not reused.
    if (clean) parkWorkers(workers);
    else await Promise.all(workers.map((w) => w.stop()));
  }
}
