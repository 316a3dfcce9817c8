// Parameter sweeps with walk-forward: every combination of a parameter grid is run over each fold's
// in-sample candles, the best by the objective is picked per fold, and that pick is then run over the
// fold's out-of-sample candles — the figure that says whether the sweep found something or only
// fitted the past. Buy-and-hold over the same out-of-sample candles is reported beside it.
//
// - Grid: `{ fast: [5, 10], slow: [50, 100] }` expands in key order with the last key varying
//   fastest (fast 5 slow 50, fast 5 slow 100, fast 10 slow 50, …), each merged over the base
//   parameters and validated by the strategy's zod schema. A combination the schema refuses (fast ≥
//   slow) is skipped and listed with the reason; the sweep fails only when none is left.
// - Objective: Sharpe (default; a run without one ranks below every run with one) or return in
//   percent; higher is better. Ties go to the combination that comes first in grid order.
// - Every window is a separate backtest from a cold start (all cash, no position, fresh strategy
//   state), so a strategy's warm-up counts against each window: choose windows much longer than the
//   slowest indicator.
// Pure and deterministic: the same inputs give the same report, whichever runner ran the windows.
import { D, type Dec } from '../money.js';
import type { Candle } from '../ports.js';
import { DomainErrorCode, fail, ok, type Result } from '../result.js';
import { knownParams, parseStrategyParams, type Strategy, type WhaleSignal } from '../strategy/kernel.js';
import { runBacktest, type BacktestConfig, type BacktestResult } from './backtest.js';
import { DEFAULT_WALK_FORWARD, walkForwardFolds, type Fold, type IndexRange, type WalkForwardOptions } from './walk-forward.js';

export const SweepObjective = { sharpe: 'sharpe', returnPct: 'returnPct' } as const;
export type SweepObjective = (typeof SweepObjective)[keyof typeof SweepObjective];

/** Values to try per parameter name. */
export type ParamGrid = Readonly<Record<string, readonly unknown[]>>;
export type RawParams = Readonly<Record<string, unknown>>;

/** Most combinations a grid may expand to (valid or not). */
export const MAX_SWEEP_COMBINATIONS = 1000;

export interface SweepCombination<P> {
  /** Position among the valid combinations, in grid order. */
  index: number;
  /** The grid values merged over the base parameters, as given. */
  raw: RawParams;
  params: P;
}

export interface SkippedCombination {
  raw: RawParams;
  reason: string;
}

export interface ExpandedGrid<P> {
  combinations: SweepCombination<P>[];
  skipped: SkippedCombination[];
}

/** The figures of one backtest window that a sweep ranks and reports. */
export interface RunFigures {
  returnPct: Dec;
  totalPnl: Dec;
  finalEquity: Dec;
  sharpe: number | null;
  maxDrawdown: Dec;
  maxDrawdownFraction: number;
  trades: number;
  roundTrips: number;
  winRate: number | null;
  fees: Dec;
  /** Buy-and-hold over the same window. */
  buyAndHold: { returnPct: Dec; pnl: Dec };
}

export interface SweepSpec<P, S> {
  strategy: Strategy<P, S>;
  grid: ParamGrid;
  /** Parameters every combination shares (the grid's values override them). */
  baseParams?: RawParams;
  objective?: SweepObjective;
  walkForward?: Partial<WalkForwardOptions>;
  /** Defaults to MAX_SWEEP_COMBINATIONS; cannot exceed it. */
  maxCombinations?: number;
}

export interface SweepPlan<P> extends ExpandedGrid<P> {
  strategyKind: string;
  objective: SweepObjective;
  walkForward: WalkForwardOptions;
  folds: Fold[];
}

export interface FoldReport {
  fold: Fold;
  /** In-sample figures of every combination, in combination order. */
  inSample: RunFigures[];
  /** Index of the in-sample best combination. */
  best: number;
  bestParams: RawParams;
  /** The in-sample best run over the out-of-sample candles (its buyAndHold is over the same candles). */
  outOfSample: RunFigures;
}

export interface SweepReport {
  strategyKind: string;
  objective: SweepObjective;
  walkForward: WalkForwardOptions;
  combinations: Array<{ index: number; params: RawParams }>;
  skipped: SkippedCombination[];
  folds: FoldReport[];
  /** Out-of-sample returns of the folds' picks compounded, Π(1 + r/100) − 1, in percent. */
  outOfSampleReturnPct: Dec;
  /** Buy-and-hold over the same out-of-sample windows, compounded likewise. */
  buyAndHoldReturnPct: Dec;
}

/** Expands a grid into validated combinations (see header); refuses grids above `maxCombinations`. */
export function expandGrid<P, S>(strategy: Strategy<P, S>, grid: ParamGrid, opts: { baseParams?: RawParams; maxCombinations?: number } = {}): Result<ExpandedGrid<P>> {
  const limit = Math.min(opts.maxCombinations ?? MAX_SWEEP_COMBINATIONS, MAX_SWEEP_COMBINATIONS);
  const keys = Object.keys(grid);
  if (keys.length === 0) return fail(DomainErrorCode.invalidInput, 'the parameter grid is empty; give at least one parameter with the values to try, e.g. { fast: [5, 10, 20] }');
  const known = knownParams(strategy);
  const unknown = keys.filter((k) => known.length > 0 && !known.includes(k));
  if (unknown.length > 0) {
    return fail(DomainErrorCode.invalidInput, `unknown parameter${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k.slice(0, 40)}"`).join(', ')} in the grid; ${strategy.kind} takes ${known.join(', ')}`);
  }
  let count = 1;
  for (const k of keys) {
    const values = grid[k];
    if (!Array.isArray(values) || values.length === 0) return fail(DomainErrorCode.invalidInput, `grid parameter ${k} needs a non-empty list of values to try`);
    count *= values.length;
  }
  if (count > limit) {
    const sizes = keys.map((k) => `${grid[k]!.length} ${k}`).join(' × ');
    return fail(DomainErrorCode.invalidInput, `the grid has ${count} combinations (${sizes}); at most ${limit} are run in one sweep: try fewer values or wider steps`);
  }
  const combinations: SweepCombination<P>[] = [];
  const skipped: SkippedCombination[] = [];
  const at = new Array<number>(keys.length).fill(0);
  for (let n = 0; n < count; n++) {
    const raw: Record<string, unknown> = { ...(opts.baseParams ?? {}) };
    keys.forEach((k, i) => (raw[k] = grid[k]![at[i]!]));
    const parsed = parseStrategyParams(strategy, raw);
    if (parsed.ok) combinations.push({ index: combinations.length, raw: Object.freeze(raw), params: parsed.value });
    else skipped.push({ raw: Object.freeze(raw), reason: parsed.error.message });
    for (let i = keys.length - 1; i >= 0; i--) {
      at[i]!++;
      if (at[i]! < grid[keys[i]!]!.length) break;
      at[i] = 0;
    }
  }
  if (combinations.length === 0) {
    return fail(DomainErrorCode.invalidInput, `none of the ${count} combinations is valid; the first was refused with: ${skipped[0]!.reason}`);
  }
  return ok({ combinations, skipped });
}

/** Expands the grid and cuts the folds: everything a runner needs to know which windows to run. */
export function planSweep<P, S>(spec: SweepSpec<P, S>, candleCount: number): Result<SweepPlan<P>> {
  const objective = spec.objective ?? 'sharpe';
  if (objective !== 'sharpe' && objective !== 'returnPct') return fail(DomainErrorCode.invalidInput, `the objective must be sharpe or returnPct, got ${String(objective)}`);
  const walkForward: WalkForwardOptions = { ...DEFAULT_WALK_FORWARD, ...(spec.walkForward ?? {}) };
  const folds = walkForwardFolds(candleCount, walkForward);
  if (!folds.ok) return folds;
  const grid = expandGrid(spec.strategy, spec.grid, { ...(spec.baseParams ? { baseParams: spec.baseParams } : {}), ...(spec.maxCombinations !== undefined ? { maxCombinations: spec.maxCombinations } : {}) });
  if (!grid.ok) return grid;
  return ok({ ...grid.value, strategyKind: spec.strategy.kind, objective, walkForward, folds: folds.value });
}

/** The figures a sweep keeps of a backtest. */
export function runFigures(result: BacktestResult): RunFigures {
  const m = result.metrics;
  return {
    returnPct: m.returnPct,
    totalPnl: m.totalPnl,
    finalEquity: m.finalEquity,
    sharpe: m.sharpe,
    maxDrawdown: m.maxDrawdown,
    maxDrawdownFraction: m.maxDrawdownFraction,
    trades: m.trades,
    roundTrips: m.roundTrips,
    winRate: m.winRate,
    fees: m.fees,
    buyAndHold: { returnPct: result.buyAndHold.returnPct, pnl: result.buyAndHold.pnl },
  };
}

/** Backtests validated `params` over `candles[range.start, range.end)` from a cold start (side-stream signals outside the window are dropped by the backtester). */
export function runWindow<P, S>(
  args: BacktestConfig & { strategy: Strategy<P, S>; params: P; candles: readonly Candle[]; range: IndexRange; signals?: readonly WhaleSignal[]; closeNumbers?: Float64Array },
): Result<RunFigures> {
  const { range, candles, closeNumbers, ...rest } = args;
  const result = runBacktest({
    ...rest,
    candles: candles.slice(range.start, range.end),
    ...(closeNumbers !== undefined && closeNumbers.length === candles.length ? { closeNumbers: closeNumbers.subarray(range.start, range.end) } : {}),
  });
  return result.ok ? ok(runFigures(result.value)) : result;
}

function objectiveBeats(objective: SweepObjective, a: RunFigures, b: RunFigures): boolean {
  if (objective === 'returnPct') return a.returnPct.gt(b.returnPct);
  if (a.sharpe === null) return false;
  return b.sharpe === null || a.sharpe > b.sharpe;
}

/** Index of the best figures by the objective; ties go to the lowest index. */
export function pickBest(figures: readonly RunFigures[], objective: SweepObjective): number {
  if (figures.length === 0) throw new RangeError('pickBest needs at least one run');
  let best = 0;
  for (let i = 1; i < figures.length; i++) if (objectiveBeats(objective, figures[i]!, figures[best]!)) best = i;
  return best;
}

function compound(returnsPct: readonly Dec[]): Dec {
  let growth = new D(1);
  for (const r of returnsPct) growth = growth.mul(r.div(100).add(1));
  return growth.sub(1).mul(100);
}

/**
 * The report from the runs: `inSample[fold][combination]` and `outOfSample[fold]`, the latter being
 * the run of `pickBest(inSample[fold])` over the fold's out-of-sample candles.
 */
export function assembleSweep<P>(plan: SweepPlan<P>, inSample: readonly (readonly RunFigures[])[], outOfSample: readonly RunFigures[]): SweepReport {
  const folds = plan.folds.map((fold, k): FoldReport => {
    const figures = inSample[k]!;
    const best = pickBest(figures, plan.objective);
    return { fold, inSample: [...figures], best, bestParams: plan.combinations[best]!.raw, outOfSample: outOfSample[k]! };
  });
  return {
    strategyKind: plan.strategyKind,
    objective: plan.objective,
    walkForward: plan.walkForward,
    combinations: plan.combinations.map((c) => ({ index: c.index, params: c.raw })),
    skipped: plan.skipped,
    folds,
    outOfSampleReturnPct: compound(folds.map((f) => f.outOfSample.returnPct)),
    buyAndHoldReturnPct: compound(folds.map((f) => f.outOfSample.buyAndHold.returnPct)),
  };
}

/** Runs a whole sweep in this thread (src/services/backtest/sweep-runner.ts spreads it over workers). */
export function runSweep<P, S>(args: BacktestConfig & SweepSpec<P, S> & { candles: readonly Candle[]; signals?: readonly WhaleSignal[] }): Result<SweepReport> {
  const planned = planSweep(args, args.candles.length);
  if (!planned.ok) return planned;
  const plan = planned.value;
  const { grid: _grid, baseParams: _base, objective: _objective, walkForward: _wf, maxCombinations: _max, ...rest } = args;
  // The closes as numbers once for every window.
  const closeNumbers = new Float64Array(args.candles.length);
  for (let i = 0; i < args.candles.length; i++) closeNumbers[i] = args.candles[i]!.close.toNumber();
  const config = { ...rest, closeNumbers };
  const inSample: RunFigures[][] = [];
  const outOfSample: RunFigures[] = [];
  for (const fold of plan.folds) {
    const figures: RunFigures[] = [];
    for (const c of plan.combinations) {
      const run = runWindow({ ...config, params: c.params, range: fold.inSample });
      if (!run.ok) return run;
      figures.push(run.value);
    }
    inSample.push(figures);
    const best = plan.combinations[pickBest(figures, plan.objective)]!;
    const oos = runWindow({ ...config, params: best.params, range: fold.outOfSample });
    if (!oos.ok) return oos;
    outOfSample.push(oos.value);
  }
  return ok(assembleSweep(plan, inSample, outOfSample));
}

/** One line per fold for a person: the pick, its in- and out-of-sample return, and buy-and-hold. */
export function describeSweep(report: SweepReport): string[] {
  const pct = (d: Dec): string => `${d.toDecimalPlaces(2).toFixed(2)}%`;
  const lines = report.folds.map((f) => {
    const params = Object.entries(f.bestParams).map(([k, v]) => `${k} ${String(v)}`).join(', ');
    return `fold ${f.fold.index + 1}: best in-sample ${params} (${pct(f.inSample[f.best]!.returnPct)}), out-of-sample ${pct(f.outOfSample.returnPct)} vs buy-and-hold ${pct(f.outOfSample.buyAndHold.returnPct)}`;
  });
  lines.push(`out-of-sample overall ${pct(report.outOfSampleReturnPct)} vs buy-and-hold ${pct(report.buyAndHoldReturnPct)}; ${report.combinations.length} combinations run, ${report.skipped.length} skipped`);
  return lines;
}
