// Community competitions on a schedule: once a minute, on the instance holding the
// `community.competitions` lease, scheduled competitions whose start has come run; those whose end
// has come are finished (valued, ranked, results stored once) and their prizes paid (once per winner);
// then the pushes due are claimed — start, the day's standings, the end — and emitted as
// `community.announcement` events for the chat surfaces. Every step is safe to run twice or on two
// instances at once: the status and the row lock make finishing once, the reward-log key pays once,
// and each push is claimed by one UPDATE of its marker on the competition row.
import type { Logger } from '../../log.js';
import { LeaseJob, type LeaseGate } from '../cluster/leases.js';
import type { EventBus } from '../events.js';
import type { CommunityService } from './community-service.js';

export interface CompetitionSchedulerOptions {
  community: Pick<CommunityService, 'startDue' | 'dueToFinish' | 'finish' | 'payPrizes' | 'unpaidPrizes' | 'claimAnnouncements'>;
  events: Pick<EventBus, 'emit'>;
  gate: LeaseGate;
  logger: Logger;
  /** How often it checks (default one minute). */
  intervalMs?: number;
}

export interface CompetitionRunSummary {
  started: number;
  finished: number;
  /** Winners paid by this run. */
  paidWinners: number;
  announced: number;
  failed: string[];
}

export class CompetitionScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<CompetitionRunSummary> | undefined;

  constructor(private readonly opts: CompetitionSchedulerOptions) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (!this.opts.gate.holds(LeaseJob.competitions)) return;
      this.runOnce().catch((err: unknown) => this.opts.logger.error('competitions run failed', { error: err }));
    }, this.opts.intervalMs ?? 60_000).unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** One pass (a pass already under way in this process is shared, not doubled). */
  runOnce(): Promise<CompetitionRunSummary> {
    this.running ??= this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(): Promise<CompetitionRunSummary> {
    const c = this.opts.community;
    const summary: CompetitionRunSummary = { started: 0, finished: 0, paidWinners: 0, announced: 0, failed: [] };
    const step = async (what: string, fn: () => Promise<void>): Promise<void> => {
      try {
        await fn();
      } catch (err) {
        summary.failed.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
      }
    };
    await step('start', async () => {
      summary.started = (await c.startDue()).length;
    });
    let due: string[] = [];
    await step('due', async () => {
      due = await c.dueToFinish();
    });
    for (const id of due) {
      await step(`finish ${id.slice(0, 8)}`, async () => {
        if ((await c.finish(id)).finished) summary.finished++;
      });
    }
    let unpaid: string[] = [];
    await step('unpaid', async () => {
      unpaid = await c.unpaidPrizes();
    });
    for (const id of unpaid) {
      await step(`prizes ${id.slice(0, 8)}`, async () => {
        const r = await c.payPrizes(id);
        summary.paidWinners += r?.paidUsers ?? 0;
        if (r && r.skippedUsers > 0) this.opts.logger.warn('competition prizes wait for the treasury', { competition: id, skipped: r.skippedUsers, total: r.skippedTotal });
      });
    }
    await step('announce', async () => {
      for (const a of await c.claimAnnouncements()) {
        this.opts.events.emit({ type: 'community.announcement', platform: a.platform, chatId: a.chatId, text: a.text, key: a.key });
        summary.announced++;
      }
    });
    for (const f of summary.failed) this.opts.logger.warn('competition step failed', { error: f });
    return summary;
  }
}
