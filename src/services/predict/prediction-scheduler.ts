// Predictions on a schedule: for each configured market and horizon (MIKEY_PREDICT), a prediction on
// every newly closed bar, then every due prediction scored. Runs on the instance holding the
// `predictions` lease; the unique (model, market, horizon, bar) key and the `scored_at is null`
// update make a run on a second instance harmless anyway.
import type { LeaseGate } from '../cluster/leases.js';
import { LeaseJob } from '../cluster/leases.js';
import type { Logger } from '../../log.js';
import type { Clock } from '../../domain/ports.js';
import { alignOpenTime } from '../market-data/timeframes.js';
import { PREDICTION_HORIZONS, type PredictionHorizon, type PredictionService } from './prediction-service.js';

export interface PredictionSchedulerOptions {
  predictions: PredictionService;
  markets: ReadonlyArray<{ symbol: string; horizon: PredictionHorizon }>;
  gate: LeaseGate;
  logger: Logger;
  clock: Clock;
  /** How often it runs (default one minute). */
  intervalMs?: number;
}

export interface PredictionRunSummary {
  predicted: number;
  scored: number;
  failed: Array<{ symbol: string; horizon: PredictionHorizon; error: string }>;
}

export class PredictionScheduler {
  private readonly opts: PredictionSchedulerOptions;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<PredictionRunSummary> | undefined;
  /** The bar each market and horizon was last predicted on (skips work until a new bar closes). */
  private readonly lastBar = new Map<string, string>();
  /** Markets whose last failure was logged (logged again only when the message changes). */
  private readonly lastError = new Map<string, string>();

  constructor(opts: PredictionSchedulerOptions) {
    this.opts = opts;
  }

  start(): void {
    if (this.timer || this.opts.markets.length === 0) return;
    this.timer = setInterval(() => {
      if (!this.opts.gate.holds(LeaseJob.predictions)) return;
      this.runOnce().catch((err: unknown) => this.opts.logger.error('scheduled predictions failed', { error: err }));
    }, this.opts.intervalMs ?? 60_000).unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** One run: predict each configured market on its newest closed bar, then score what is due. */
  runOnce(): Promise<PredictionRunSummary> {
    this.running ??= this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(): Promise<PredictionRunSummary> {
    const summary: PredictionRunSummary = { predicted: 0, scored: 0, failed: [] };
    for (const { symbol, horizon } of this.opts.markets) {
      const key = `${symbol}:${horizon}`;
      // The newest closed bar of the horizon's timeframe closes at the current bar's open time.
      const tf = PREDICTION_HORIZONS[horizon].timeframe;
      const newestClose = new Date(alignOpenTime(this.opts.clock.now().getTime(), tf)).toISOString();
      if (this.lastBar.get(key) === newestClose) continue;
      try {
        const view = await this.opts.predictions.predictFor(symbol, horizon);
        if (this.lastBar.get(key) !== view.madeAt) summary.predicted++;
        this.lastBar.set(key, view.madeAt);
        this.lastError.delete(key);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        summary.failed.push({ symbol, horizon, error: message });
        if (this.lastError.get(key) !== message) this.opts.logger.warn('scheduled prediction failed', { market: symbol, horizon, error: message });
        this.lastError.set(key, message);
      }
    }
    summary.scored = (await this.opts.predictions.scoreDue()).scored;
    return summary;
  }
}
