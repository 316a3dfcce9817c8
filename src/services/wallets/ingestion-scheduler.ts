// Wallet ingestion on a schedule: every minute the instance holding the `wallets.ingestion` lease
// runs one bounded pass of EVM ingestion (when MIKEY_EVM_RPC_URL is set) and one of Hyperliquid
// polling (only watched traders are asked for). Each pass advances its cursors with the events they
// cover in one transaction, so a second instance or a rerun never doubles an event. After the
// sources, it scores the EVM wallets and stores the market bias of assets with recent events.
import type { Logger } from '../../log.js';
import { LeaseJob, type LeaseGate } from '../cluster/leases.js';

export interface IngestionRunner {
  runOnce(): Promise<unknown>;
}

/** A runner built on its first run (its module is imported then, not at start-up). */
export function lazyRunner(build: () => Promise<IngestionRunner>): IngestionRunner {
  let built: Promise<IngestionRunner> | undefined;
  return {
    runOnce: async () => {
      built ??= build();
      try {
        return await (await built).runOnce();
      } catch (err) {
        // A failed build is tried again next time rather than remembered.
        if (!(await built.then(() => true, () => false))) built = undefined;
        throw err;
      }
    },
  };
}

interface RunStatus {
  status: string;
  message: string | null;
  address?: string;
}

const FINE = new Set(['ok', 'idle']);

/** The parts of a source's run report that did not finish: an EVM run's status, or each Hyperliquid trader's. */
export function stoppedEarly(report: unknown): RunStatus[] {
  const isStatus = (x: unknown): x is RunStatus => typeof x === 'object' && x !== null && typeof (x as RunStatus).status === 'string';
  const parts = typeof report === 'object' && report !== null && Array.isArray((report as { traders?: unknown }).traders) ? ((report as { traders: unknown[] }).traders) : [report];
  return parts.filter(isStatus).filter((p) => !FINE.has(p.status)).map((p) => ({ status: p.status, message: p.message ?? null, ...(typeof p.address === 'string' ? { address: p.address } : {}) }));
}

export interface WalletIngestionSchedulerOptions {
  evm?: IngestionRunner | undefined;
  hyperliquid?: IngestionRunner | undefined;
  /** Pushes each watcher the new events after the sources ran (whale-pushes.ts); runs even when a source failed. */
  whalePushes?: IngestionRunner | undefined;
  /** After the sources: scores the EVM wallets (evm-scoring.ts), then stores the market bias (bias-service.ts); each runs even when a source failed. */
  scoring?: IngestionRunner | undefined;
  bias?: IngestionRunner | undefined;
  gate: LeaseGate;
  logger: Logger;
  /** How often it runs (default one minute). */
  intervalMs?: number;
}

export class WalletIngestionScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly opts: WalletIngestionSchedulerOptions) {}

  start(): void {
    if (this.timer || (!this.opts.evm && !this.opts.hyperliquid)) return;
    this.timer = setInterval(() => {
      if (!this.opts.gate.holds(LeaseJob.walletIngestion)) return;
      void this.runOnce();
    }, this.opts.intervalMs ?? 60_000).unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass of each source; a failing source is logged and does not stop the other. */
  runOnce(): Promise<void> {
    this.running ??= (async () => {
      for (const [name, runner] of [['evm', this.opts.evm], ['hyperliquid', this.opts.hyperliquid]] as const) {
        if (!runner) continue;
        try {
          // A run that stops early (node down, rate limited, budget spent, another runner) reports
          // it rather than throwing: the operator sees it here, and the next run resumes.
          for (const s of stoppedEarly(await runner.runOnce())) this.opts.logger.warn('wallet ingestion stopped early', { source: name, ...s });
        } catch (err) {
          this.opts.logger.error('wallet ingestion failed', { source: name, error: err });
        }
      }
      for (const [name, runner] of [['wallet scoring', this.opts.scoring], ['market bias', this.opts.bias]] as const) {
        try {
          await runner?.runOnce();
        } catch (err) {
          this.opts.logger.error(`${name} failed`, { error: err });
        }
      }
      try {
        await this.opts.whalePushes?.runOnce();
      } catch (err) {
        this.opts.logger.error('whale pushes failed', { error: err });
      }
    })().finally(() => (this.running = undefined));
    return this.running;
  }
}
