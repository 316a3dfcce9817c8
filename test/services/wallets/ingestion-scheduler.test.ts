// The wallet ingestion scheduler: each source once per run, a failing source logged without
// stopping the other, and a lazily built runner built once (a failed build is tried again).
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log.js';
import { lazyRunner, WalletIngestionScheduler } from '../../../src/services/wallets/ingestion-scheduler.js';

describe('wallet ingestion scheduler', () => {
  it('runs both sources; one failing does not stop the other', async () => {
    const ran: string[] = [];
    const scheduler = new WalletIngestionScheduler({
      evm: { runOnce: () => Promise.reject(new Error('node down')) },
      hyperliquid: { runOnce: async () => void ran.push('hyperliquid') },
      gate: { holds: () => true },
      logger: createLogger('silent'),
    });
    await scheduler.runOnce();
    await scheduler.runOnce();
    expect(ran).toEqual(['hyperliquid', 'hyperliquid']);
    await scheduler.stop();
  });

  it('logs a source\'s run that stopped early with its status and message, and nothing for a run that finished', async () => {
    const lines: string[] = [];
    const scheduler = new WalletIngestionScheduler({
      evm: { runOnce: async () => ({ status: 'rate_limited', message: 'the node answered 429 five times', blocksProcessed: 0 }) },
      hyperliquid: {
        runOnce: async () => ({
          traders: [
            { address: '0xaaa', status: 'ok', message: null },
            { address: '0xbbb', status: 'budget_exhausted', message: 'waits for the next run' },
          ],
          backfills: [],
        }),
      },
      gate: { holds: () => true },
      logger: createLogger('info', (line) => lines.push(line)),
    });
    await scheduler.runOnce();
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>).map(({ level, msg, source, status, message, address }) => ({ level, msg, source, status, message, address }))).toEqual([
      { level: 'warn', msg: 'wallet ingestion stopped early', source: 'evm', status: 'rate_limited', message: 'the node answered 429 five times', address: undefined },
      { level: 'warn', msg: 'wallet ingestion stopped early', source: 'hyperliquid', status: 'budget_exhausted', message: 'waits for the next run', address: '0xbbb' },
    ]);
    lines.length = 0;
    const fine = new WalletIngestionScheduler({ evm: { runOnce: async () => ({ status: 'idle', message: 'nothing confirmed beyond the cursor yet' }) }, gate: { holds: () => true }, logger: createLogger('info', (line) => lines.push(line)) });
    await fine.runOnce();
    expect(lines).toEqual([]);
  });

  it('pushes whale moves after the sources, also when a source failed', async () => {
    const ran: string[] = [];
    const scheduler = new WalletIngestionScheduler({
      evm: { runOnce: () => Promise.reject(new Error('node down')) },
      hyperliquid: { runOnce: async () => void ran.push('hyperliquid') },
      whalePushes: { runOnce: async () => void ran.push('pushes') },
      gate: { holds: () => true },
      logger: createLogger('silent'),
    });
    await scheduler.runOnce();
    expect(ran).toEqual(['hyperliquid', 'pushes']);
  });

  it('builds a lazy runner once, and again after a failed build', async () => {
    let builds = 0;
    let runs = 0;
    let failNext = true;
    const runner = lazyRunner(async () => {
      builds++;
      if (failNext) {
        failNext = false;
        throw new Error('import failed');
      }
      return { runOnce: async () => void runs++ };
    });
    await expect(runner.runOnce()).rejects.toThrow('import failed');
    await runner.runOnce();
    await runner.runOnce();
    expect([builds, runs]).toEqual([2, 2]);
  });
});
