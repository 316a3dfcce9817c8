// Scored predictions (issue 12, "Measured").
// (1) Training time on 100,000 one-hour candles of the simulated market (BTC/USDT) per model —
//     logistic regression, ridge, gradient-boosted trees (100 trees, depth 3) and the two baselines —
//     beside the feature computation of the same candles (`computeFeatures`, decimals to numbers
//     included). Training cannot start without those features, so the ratio (features ms / training
//     ms) says how much a model adds on top of the part every model pays; targets: ≥ 0.2 for the
//     linear models (training within 5× the feature pass), ≥ 0.02 for the trees (within 50×).
// (2) Latency of one live prediction: `featuresAt` on the last bar of a 500-candle window (the
//     candles as a store returns them, decimals included) + `predict`, p50 and p99 of 2,000 calls
//     per model, beside `featuresAt` alone in the same loop (the ratio is the share of the call that
//     is the features; the model's own part should be small). Target: p99 ≤ 10 ms — a live prediction
//     is made once per symbol per closed candle, so this only has to stay far below a scheduler tick.
// (3) The figure that matters: out-of-sample walk-forward on 20,000 one-hour candles of the simulated
//     market (BTC/USDT, horizon 1 bar; 5,000-sample training windows, retrained every 250), the
//     model's hit rate beside the majority-class baseline's (same windows), with the sample count and
//     Wilson 95% intervals, and the mean absolute return error beside persistence's. The simulated
//     path is a random walk at the hourly scale, so the honest expectation is a margin of about zero;
//     a margin whose interval clears the baseline would be worth a second look for a leak first.
// (4) The prediction-following strategy (default parameters: logistic regression, horizon 1, 1,000-sample
//     window retrained every 100 candles, 10 bp fee, 2 bp slippage) backtested over the last 5,000 of
//     those candles: its final equity beside buy-and-hold's, and its run time beside the SMA-cross
//     strategy's over the same candles (the kernel's cost without a model).
//     The repository holds no stored real-market candles, so there is no real-data figure (said so).
import { SimMarket } from '../src/adapters/sim-market/index.js';
import { runBacktest } from '../src/domain/backtest/backtest.js';
import { dec } from '../src/domain/money.js';
import type { Candle, MarketInfo } from '../src/domain/ports.js';
import { parseStrategyParams, type Strategy } from '../src/domain/strategy/kernel.js';
import { predictionFollowingStrategy } from '../src/domain/strategy/prediction-following.js';
import { smaCrossStrategy } from '../src/domain/strategy/sma-cross.js';
import {
  buildDataset, computeFeatures, featuresAt, predict, trainGradientBoostedTrees, trainLogisticRegression, trainMajorityClass,
  trainPersistence, trainRidgeRegression, walkForward, wilsonInterval, type Dataset, type ModelVersion, type Trainer,
} from '../src/domain/predict/index.js';
import { higherIsBetter, lowerIsBetter, percentile, round, timeOnce, type BenchContext, type BenchFigure } from './lib.js';

const HOUR = 3_600_000;
const SYMBOL = 'BTC/USDT';
const NOW = new Date(Date.UTC(2026, 0, 1));
const TRAIN_CANDLES = 100_000;
const WALK_CANDLES = 20_000;
const LIVE_WINDOW = 500;
const LATENCY_CALLS = 2_000;
const HORIZON = 1;
const WALK = { trainSize: 5_000, testSize: 250 } as const;
const STRATEGY_CANDLES = 5_000;
const MARKET: MarketInfo = {
  symbol: SYMBOL, base: 'BTC', quote: 'USDT', kind: 'spot', exchange: 'sim',
  tickSize: dec('0.1'), stepSize: dec('0.00001'), minQty: dec('0.00001'), minNotional: dec('5'),
};

const LEARNERS: ReadonlyArray<{ key: string; label: string; train: Trainer }> = [
  { key: 'logistic', label: 'logistic regression', train: (s, names, h) => trainLogisticRegression(s, names, h) },
  { key: 'ridge', label: 'ridge regression', train: (s, names, h) => trainRidgeRegression(s, names, h) },
  { key: 'boosted-trees', label: 'gradient-boosted trees', train: (s, names, h) => trainGradientBoostedTrees(s, names, h) },
];
const BASELINES: ReadonlyArray<{ key: string; label: string; train: Trainer }> = [
  { key: 'majority-class', label: 'majority class', train: (s, _names, h) => trainMajorityClass(s, h) },
  { key: 'persistence', label: 'persistence', train: (s, _names, h) => trainPersistence(s, h) },
];

/** The newest `n` closed one-hour candles of `symbol` ending before NOW, oldest first. */
function simulatedCandles(n: number): Candle[] {
  const sim = new SimMarket({ seed: 12, clock: { now: () => NOW } });
  const out: Candle[] = [];
  let since = NOW.getTime() - n * HOUR;
  while (out.length < n) {
    const page = sim.candlesAt(SYMBOL, '1h', { since: new Date(since), limit: Math.min(1_000, n - out.length) }, NOW);
    if (page.length === 0) break;
    out.push(...page);
    since = page[page.length - 1]!.openTime.getTime() + HOUR;
  }
  return out;
}

const pct = (x: number | undefined): string => (x === undefined ? 'n/a' : `${(x * 100).toFixed(2)}%`);
const bps = (x: number | undefined): string => (x === undefined ? 'n/a' : `${(x * 10_000).toFixed(2)} bp`);

export default async function bench(ctx: BenchContext): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  let t = performance.now();
  const candles = simulatedCandles(TRAIN_CANDLES);
  ctx.log(`${candles.length} one-hour ${SYMBOL} candles from the simulated market (seed 12) in ${(performance.now() - t).toFixed(0)} ms`);

  // (1) training on 100k candles beside the feature pass over the same candles.
  let featureMs = Infinity;
  let features = computeFeatures(candles);
  for (let i = 0; i < 3; i++) featureMs = Math.min(featureMs, await timeOnce(() => { features = computeFeatures(candles); }));
  const dataset = buildDataset(features, HORIZON);
  ctx.log(`features of ${candles.length} candles: ${featureMs.toFixed(0)} ms (best of 3); ${dataset.samples.length} labelled samples at horizon ${HORIZON}`);
  const trained = new Map<string, ModelVersion>();
  for (const m of [...LEARNERS, ...BASELINES]) {
    let best = Infinity;
    const runs = m.key === 'boosted-trees' ? 1 : 3;
    for (let i = 0; i < runs; i++) best = Math.min(best, await timeOnce(() => { trained.set(m.key, m.train(dataset.samples, dataset.featureNames, HORIZON)); }));
    const linear = m.key === 'logistic' || m.key === 'ridge';
    const target = linear ? 'target ratio ≥ 0.2' : m.key === 'boosted-trees' ? 'target ratio ≥ 0.02' : 'no target (a count or nothing)';
    ctx.log(`train ${m.label} on ${dataset.samples.length} samples: ${best.toFixed(1)} ms (best of ${runs})`);
    figures.push(lowerIsBetter(`predict.train.100k.${m.key}`, best, 'ms', featureMs, `reference: computeFeatures on the same 100k candles; ${target}`));
  }

  // (2) one live prediction: featuresAt on the last bar of a realistic window, then predict.
  const window = candles.slice(-LIVE_WINDOW);
  const last = window.length - 1;
  for (const m of [...LEARNERS, BASELINES[0]!]) {
    const model = trained.get(m.key)!;
    const full: number[] = [];
    const bare: number[] = [];
    let sink = 0;
    for (let i = 0; i < LATENCY_CALLS; i++) {
      let s = performance.now();
      const x = featuresAt(window, last)!;
      bare.push(performance.now() - s);
      s = performance.now();
      const y = featuresAt(window, last)!;
      const p = predict(model, y);
      full.push(performance.now() - s);
      sink += (p.probabilityUp ?? 0) + x.length;
    }
    const p50 = percentile(full, 50);
    const p99 = percentile(full, 99);
    ctx.log(`live prediction, ${m.label}: p50 ${p50.toFixed(3)} ms, p99 ${p99.toFixed(3)} ms; featuresAt alone p50 ${percentile(bare, 50).toFixed(3)} ms, p99 ${percentile(bare, 99).toFixed(3)} ms (${LATENCY_CALLS} calls, ${LIVE_WINDOW}-candle window; checksum ${sink.toFixed(0)})`);
    figures.push(lowerIsBetter(`predict.live.${m.key}.p50`, p50, 'ms', percentile(bare, 50), 'reference: featuresAt alone (p50); target p99 ≤ 10 ms'));
    figures.push(lowerIsBetter(`predict.live.${m.key}.p99`, p99, 'ms', percentile(bare, 99), 'reference: featuresAt alone (p99); target ≤ 10 ms'));
  }

  // (3) walk-forward on the simulated market, each learner beside the baselines on the same windows.
  const walkCandles = candles.slice(-WALK_CANDLES);
  const walkSet: Dataset = buildDataset(computeFeatures(walkCandles), HORIZON);
  ctx.log(`walk-forward: ${walkCandles.length} candles (${walkCandles[0]!.openTime.toISOString().slice(0, 10)} to ${walkCandles[walkCandles.length - 1]!.openTime.toISOString().slice(0, 10)}), ${walkSet.samples.length} samples, horizon ${HORIZON} bar, train ${WALK.trainSize} / test ${WALK.testSize}`);
  for (const m of LEARNERS) {
    t = performance.now();
    const report = walkForward(walkSet, m.train, WALK);
    const ms = performance.now() - t;
    const d = report.model.direction;
    const b = report.baseline.majorityClass.direction;
    const dw = wilsonInterval(d.hits, d.samples);
    const bw = wilsonInterval(b.hits, b.samples);
    const mae = report.model.error.meanAbsoluteReturnError;
    const baseMae = report.baseline.persistence.error.meanAbsoluteReturnError;
    const clears = d.hitRate !== undefined && b.hitRate !== undefined && dw.low > b.hitRate;
    ctx.log(
      `${m.label}: hit rate ${pct(d.hitRate)} [${pct(dw.low)}, ${pct(dw.high)}] over n = ${d.samples} vs majority class ${pct(b.hitRate)} [${pct(bw.low)}, ${pct(bw.high)}]; ` +
        `margin ${report.margin.hitRate === undefined ? 'n/a' : `${(report.margin.hitRate * 100).toFixed(2)} points`}` +
        ` (${clears ? `the model's interval clears the baseline's rate${dw.low > 0.5 ? ' and 50%' : ', but not 50%: no edge over a coin'}` : 'within noise: the model\'s interval does not clear the baseline\'s rate'}); ` +
        `${mae === undefined ? 'no return prediction (a direction model), so no MAE' : `MAE ${bps(mae)} vs persistence ${bps(baseMae)}`}; ${report.folds.length} folds in ${(ms / 1000).toFixed(1)} s`,
    );
    if (d.hitRate !== undefined && b.hitRate !== undefined) {
      figures.push(higherIsBetter(
        `predict.walk-forward.sim-btc-1h.${m.key}.hit-rate`, d.hitRate * 100, '%', b.hitRate * 100,
        `reference: majority class; n ${d.samples}; Wilson 95% ${round(dw.low * 100, 2)}–${round(dw.high * 100, 2)}% vs ${round(bw.low * 100, 2)}–${round(bw.high * 100, 2)}%; target: interval clears the baseline`,
      ));
    }
    if (mae !== undefined && baseMae !== undefined) {
      figures.push(lowerIsBetter(
        `predict.walk-forward.sim-btc-1h.${m.key}.mae`, mae * 10_000, 'bp', baseMae * 10_000,
        `reference: persistence; n ${report.model.error.samples}; target ratio > 1`,
      ));
    }
  }

  // (4) the prediction-following strategy over the last 5,000 candles, beside buy-and-hold and SMA cross.
  const strategyCandles = candles.slice(-STRATEGY_CANDLES);
  const backtest = <P, S>(strategy: Strategy<P, S>): { ms: number; result: ReturnType<typeof runBacktest> } => {
    const params = parseStrategyParams(strategy, {});
    if (!params.ok) throw new Error(params.error.message);
    const start = performance.now();
    const result = runBacktest({ market: MARKET, initialCash: dec(10_000), feeBps: 10, slippageBps: 2, strategy, params: params.value, candles: strategyCandles });
    return { ms: performance.now() - start, result };
  };
  const following = backtest(predictionFollowingStrategy);
  const sma = backtest(smaCrossStrategy);
  if (!following.result.ok) throw new Error(following.result.error.message);
  const r = following.result.value;
  const equity = r.equity.last()!.toNumber();
  const hold = r.buyAndHold.finalEquity.toNumber();
  ctx.log(`prediction following over ${STRATEGY_CANDLES} candles: ${r.fills.length} fills, ${r.closedTrades.length} round trips, final equity ${equity.toFixed(2)} from 10,000 (buy-and-hold ${hold.toFixed(2)}); ${following.ms.toFixed(0)} ms, SMA cross ${sma.ms.toFixed(0)} ms`);
  figures.push(higherIsBetter('predict.strategy.sim-btc-1h.final-equity', equity, 'USDT', hold, `reference: buy-and-hold; ${r.closedTrades.length} round trips at 10 bp fee + 2 bp slippage; no target (a random walk gives no edge)`));
  figures.push(lowerIsBetter('predict.strategy.sim-btc-1h.5k-candles', following.ms, 'ms', sma.ms, 'reference: SMA cross over the same candles; target ratio ≥ 0.1'));
  ctx.log('real candles: none stored in the repository (test/ and bench/ hold only synthetic and simulated series), so no real-market figure');
  return figures;
}
