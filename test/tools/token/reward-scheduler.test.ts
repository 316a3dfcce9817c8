// The reward scheduler's choice of day and rule (src/services/token/reward-scheduler.ts): yesterday's
// staking yield at any hour, its trading reward only from 00:10 UTC (the wash window after midnight),
// and a refused or failing rule reported without stopping the other. The service's own idempotence is
// tested in test/services/token.
import { describe, expect, it } from 'vitest';
import type { AccrualReport } from '../../../src/services/token/token-service.js';
import { RewardScheduler } from '../../../src/services/token/reward-scheduler.js';
import { createLogger } from '../../../src/log.js';
import { soleInstance } from '../../../src/services/cluster/leases.js';

function report(rule: AccrualReport['rule'], period: string): AccrualReport {
  return { rule, period, token: 'OMNI', paidUsers: 1, paidTotal: '1', alreadyPaid: 0, skippedUsers: 0, skippedTotal: '0', treasuryAfter: '9' };
}

function scheduler(at: string, failTrading = false): { s: RewardScheduler; calls: string[] } {
  const calls: string[] = [];
  const tokens = {
    accrueStaking: async (day: string): Promise<AccrualReport> => {
      calls.push(`staking ${day}`);
      return report('staking_yield', day);
    },
    accrueTrading: async (day: string): Promise<AccrualReport> => {
      calls.push(`trading ${day}`);
      if (failTrading) throw new Error('trades table unavailable');
      return report('trading_activity', day);
    },
  };
  return { s: new RewardScheduler({ tokens, gate: soleInstance, clock: { now: () => new Date(at) }, logger: createLogger('silent') }), calls };
}

describe('reward scheduler', () => {
  it('pays only yesterday\'s staking yield before 00:10 UTC', async () => {
    const { s, calls } = scheduler('2026-12-06T00:05:00Z');
    const r = await s.runOnce();
    expect(calls).toEqual(['staking 2026-12-05']);
    expect(r).toMatchObject({ day: '2026-12-05', trading: null, failed: [] });
  });

  it('pays both of yesterday\'s rules from 00:10 UTC on', async () => {
    const { s, calls } = scheduler('2026-12-06T13:00:00Z');
    const r = await s.runOnce();
    expect(calls).toEqual(['staking 2026-12-05', 'trading 2026-12-05']);
    expect(r.staking?.paidTotal).toBe('1');
    expect(r.trading?.rule).toBe('trading_activity');
  });

  it('reports a failing rule without losing the other', async () => {
    const { s, calls } = scheduler('2026-12-06T00:10:00Z', true);
    const r = await s.runOnce();
    expect(calls).toEqual(['staking 2026-12-05', 'trading 2026-12-05']);
    expect(r.staking?.rule).toBe('staking_yield');
    expect(r.failed).toEqual(['trading 2026-12-05: trades table unavailable']);
  });
});
