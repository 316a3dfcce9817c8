// Platform-token rewards on a schedule: once an hour, the staking yield of yesterday (UTC) and, from
// 00:10 UTC on, its trading-activity reward (the grace lets the last fills of the day land). Runs on
// the instance holding the `tokenRewards` lease; the service pays each (rule, user, day) once whatever
// runs it, so a rerun, a second instance or a run after a crash pays nothing twice.
import type { Clock } from '../../domain/ports.js';
import { DAY_MS } from '../../domain/token.js';
import type { Logger } from '../../log.js';
import { LeaseJob, type LeaseGate } from '../cluster/leases.js';
import type { AccrualReport, TokenService } from './token-service.js';

/** Trading rewards for a day are paid from this long after it ends. */
export const TRADING_ACCRUAL_GRACE_MS = 10 * 60_000;

export interface RewardSchedulerOptions {
  tokens: Pick<TokenService, 'accrueStaking' | 'accrueTrading'>;
  gate: LeaseGate;
  clock: Clock;
  logger: Logger;
  /** How often it checks (default one hour). */
  intervalMs?: number;
}

export interface RewardRunSummary {
  day: string;
  staking: AccrualReport | null;
  trading: AccrualReport | null;
  failed: string[];
}

export class RewardScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<RewardRunSummary> | undefined;

  constructor(private readonly opts: RewardSchedulerOptions) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (!this.opts.gate.holds(LeaseJob.tokenRewards)) return;
      this.runOnce().catch((err: unknown) => this.opts.logger.error('token rewards failed', { error: err }));
    }, this.opts.intervalMs ?? 3_600_000).unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** One check: yesterday's staking yield, and its trading reward once the grace has passed. */
  runOnce(): Promise<RewardRunSummary> {
    this.running ??= this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(): Promise<RewardRunSummary> {
    const now = this.opts.clock.now().getTime();
    const today = Math.floor(now / DAY_MS) * DAY_MS;
    const day = new Date(today - DAY_MS).toISOString().slice(0, 10);
    const summary: RewardRunSummary = { day, staking: null, trading: null, failed: [] };
    try {
      summary.staking = await this.opts.tokens.accrueStaking(day);
    } catch (err) {
      summary.failed.push(`staking ${day}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (now >= today + TRADING_ACCRUAL_GRACE_MS) {
      try {
        summary.trading = await this.opts.tokens.accrueTrading(day);
      } catch (err) {
        summary.failed.push(`trading ${day}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    for (const f of summary.failed) this.opts.logger.warn('token reward run failed', { error: f });
    const paid = [summary.staking, summary.trading].filter((r): r is AccrualReport => r !== null && r.paidUsers > 0);
    for (const r of paid) this.opts.logger.info('token rewards paid', { rule: r.rule, period: r.period, users: r.paidUsers, total: r.paidTotal });
    return summary;
  }
}
