// Bots on a schedule: every 30 seconds the instance holding the `bots` lease runs every running bot
// once (BotRunner.runOnce: each decides its newly closed candles). Two instances running at once would
// still not double an order — bot order ids are deterministic per candle and the cursor is saved
// conditionally — but the lease keeps the work in one place.
import type { Logger } from '../../log.js';
import { LeaseJob, type LeaseGate } from '../cluster/leases.js';
import type { BotRunner, BotRunSummary } from './bot-runner.js';

export interface BotSchedulerOptions {
  runner: Pick<BotRunner, 'runOnce'>;
  gate: LeaseGate;
  logger: Logger;
  /** How often it runs (default 30 s). */
  intervalMs?: number;
}

export class BotScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<BotRunSummary[]> | undefined;

  constructor(private readonly opts: BotSchedulerOptions) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (!this.opts.gate.holds(LeaseJob.bots)) return;
      this.runOnce().catch((err: unknown) => this.opts.logger.error('bot run failed', { error: err }));
    }, this.opts.intervalMs ?? 30_000).unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  runOnce(): Promise<BotRunSummary[]> {
    this.running ??= this.opts.runner.runOnce().finally(() => (this.running = undefined));
    return this.running;
  }
}
