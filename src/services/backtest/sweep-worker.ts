// A sweep worker thread (started by sweep-runner.ts): receives the candles, a side stream's signals
// and the settings once per sweep, then runs one combination over one window per message and answers
// with the figures as plain values and the time it took. Between sweeps it waits in the runner's pool
// holding nothing ('release').
import { parentPort } from 'node:worker_threads';
import type { BacktestConfig } from '../../domain/backtest/backtest.js';
import { runWindow } from '../../domain/backtest/sweep.js';
import { parseStrategyParams, type Strategy, type WhaleSignal } from '../../domain/strategy/kernel.js';
import type { Candle } from '../../domain/ports.js';
import { candlesFromWire, closeNumbersFromWire, configFromWire, figuresToWire, signalsFromWire, SWEEP_STRATEGIES, type FromWorker, type ToWorker } from './sweep-runner.js';

const port = parentPort;
if (port === null) throw new Error('sweep-worker.ts runs as a worker thread of sweep-runner.ts');

let strategy: Strategy<unknown, unknown> | undefined;
let candles: Candle[] = [];
let config: BacktestConfig | undefined;
let signals: WhaleSignal[] | undefined;
// The closes as numbers, converted once for all the windows of the sweep.
let closeNumbers: Float64Array | undefined;

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'release') {
    // Back in the pool between sweeps: keep nothing of the last one.
    strategy = undefined;
    candles = [];
    config = undefined;
    signals = undefined;
    closeNumbers = undefined;
    return;
  }
  let reply: FromWorker;
  const began = performance.now();
  if (msg.type === 'init') {
    strategy = SWEEP_STRATEGIES[msg.strategy];
    candles = candlesFromWire(msg.candles);
    closeNumbers = closeNumbersFromWire(msg.candles);
    config = configFromWire(msg.config);
    signals = msg.signals !== undefined ? signalsFromWire(msg.signals) : undefined;
    reply = { type: 'ready', initMs: performance.now() - began };
  } else if (strategy === undefined || config === undefined) {
    reply = { type: 'failed', job: msg.job, message: 'the worker was sent a window before its candles' };
  } else {
    const params = parseStrategyParams(strategy, msg.params);
    const run = params.ok ? runWindow({ ...config, strategy, params: params.value, candles, range: msg.range, ...(closeNumbers !== undefined ? { closeNumbers } : {}), ...(signals !== undefined ? { signals } : {}) }) : params;
    reply = run.ok ? { type: 'done', job: msg.job, figures: figuresToWire(run.value), ms: performance.now() - began } : { type: 'failed', job: msg.job, message: run.error.message };
  }
  port.postMessage(reply);
});
