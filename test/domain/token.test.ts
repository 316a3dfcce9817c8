// The token's pure rules: UTC days, pro-rata staking yield rounded down and capped, the early-unstake
// split, wash-trade matching, the trading reward and paying within the treasury.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dec, ZERO } from '../../src/domain/money.js';
import {
  activityVolume,
  countsAsUsdVolume,
  earlyUnstakeSplit,
  floorToken,
  payWithinTreasury,
  stakeYield,
  stakingReward,
  tradingReward,
  utcDay,
  type Fill,
} from '../../src/domain/token.js';

const day = utcDay('2026-12-05')!;
const at = (hhmm: string): Date => new Date(`2026-12-05T${hhmm}:00Z`);

describe('utcDay', () => {
  it('parses real dates only and spans 24 hours', () => {
    expect(day.start.toISOString()).toBe('2026-12-05T00:00:00.000Z');
    expect(day.end.toISOString()).toBe('2026-12-06T00:00:00.000Z');
    expect(utcDay('2026-02-30'), 'no 30 February').toBeUndefined();
    expect(utcDay('5/12/2026')).toBeUndefined();
    expect(utcDay(new Date('2026-12-05T23:59:59Z'))?.period).toBe('2026-12-05');
  });
});

describe('staking yield', () => {
  const stake = (amount: string, from: string, to: string | null = null): { amount: ReturnType<typeof dec>; apr: ReturnType<typeof dec>; stakedAt: Date; unstakedAt: Date | null } => ({
    amount: dec(amount),
    apr: dec('0.365'),
    stakedAt: new Date(from),
    unstakedAt: to ? new Date(to) : null,
  });

  it('pays amount × apr × seconds / year for the part of the day staked', () => {
    expect(stakingReward([stake('1000', '2026-01-01T00:00:00Z')], day, dec(100)).toFixed()).toBe('1');
    expect(stakingReward([stake('1000', '2026-12-05T12:00:00Z')], day, dec(100)).toFixed(), 'staked at noon').toBe('0.5');
    expect(stakingReward([stake('1000', '2026-12-01T00:00:00Z', '2026-12-05T06:00:00Z')], day, dec(100)).toFixed(), 'unstaked at 06:00').toBe('0.25');
    expect(stakingReward([stake('1000', '2026-12-06T00:00:00Z')], day, dec(100)).toFixed(), 'staked after the day').toBe('0');
    expect(stakingReward([stake('1000', '2026-01-01T00:00:00Z'), stake('3000', '2026-12-05T18:00:00Z')], day, dec(100)).toFixed(), 'summed over stakes').toBe('1.75');
    expect(stakingReward([stake('1000', '2026-01-01T00:00:00Z')], day, dec('0.3')).toFixed(), 'capped').toBe('0.3');
  });

  it('rounds down to 18 places and never exceeds the exact yield', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 30n }), fc.integer({ min: 0, max: 86_400 }), (units, seconds) => {
        const s = { amount: dec(units.toString()).div('1e18'), apr: dec('0.0731'), stakedAt: new Date(day.end.getTime() - seconds * 1000), unstakedAt: null };
        const exact = stakeYield(s, day.start, day.end);
        const paid = stakingReward([s], day, dec('1e30'));
        expect(paid.lte(exact)).toBe(true);
        expect(exact.sub(paid).lt('1e-18')).toBe(true);
        expect(paid.decimalPlaces()).toBeLessThanOrEqual(18);
      }),
      { numRuns: 200 },
    );
  });
});

describe('early unstake split', () => {
  it('keeps the penalty share of the principal and returns the rest exactly', () => {
    expect(earlyUnstakeSplit(dec(200), dec('0.1'))).toEqual({ returned: dec(180), penalty: dec(20) });
    expect(earlyUnstakeSplit(dec(200), ZERO).returned.toFixed()).toBe('200');
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 30n }), fc.integer({ min: 0, max: 10_000 }), (units, bps) => {
        const p = dec(units.toString()).div('1e18');
        const r = earlyUnstakeSplit(p, dec(bps).div(10_000));
        expect(r.returned.add(r.penalty).eq(p), 'returned + penalty = principal').toBe(true);
        expect(r.penalty.gte(0) && r.returned.gte(0)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe('wash-trade resistant volume', () => {
  const fill = (side: 'buy' | 'sell', hhmm: string, qty = '1', price = '100', symbol = 'SOL/USDT'): Fill => ({
    symbol,
    side,
    quantity: dec(qty),
    quoteQuantity: dec(qty).mul(price),
    executedAt: at(hhmm),
  });
  const W = 10 * 60_000;

  it('a buy and a sell within the window earn nothing, either order', () => {
    expect(activityVolume([fill('buy', '10:00'), fill('sell', '10:05')], day, W)).toEqual({ counted: ZERO, washed: dec(200) });
    expect(activityVolume([fill('sell', '10:00'), fill('buy', '10:09')], day, W).counted.toFixed()).toBe('0');
  });

  it('legs further apart than the window, same sides, or other markets count', () => {
    expect(activityVolume([fill('buy', '10:00'), fill('sell', '10:11')], day, W).counted.toFixed()).toBe('200');
    expect(activityVolume([fill('buy', '10:00'), fill('buy', '10:01')], day, W).counted.toFixed()).toBe('200');
    expect(activityVolume([fill('buy', '10:00'), fill('sell', '10:01', '1', '100', 'ETH/USDT')], day, W).counted.toFixed()).toBe('200');
  });

  it('matches by quantity: a partial round trip washes only the matched part', () => {
    const v = activityVolume([fill('buy', '10:00', '4'), fill('sell', '10:02', '1')], day, W);
    expect(v.counted.toFixed(), '3 of the 4 bought count; the sell is washed').toBe('300');
    expect(v.washed.toFixed()).toBe('200');
  });

  it('a round trip across midnight earns nothing on the day it touches', () => {
    const v = activityVolume([{ ...fill('buy', '23:58'), executedAt: new Date('2026-12-05T23:58:00Z') }, { ...fill('sell', '00:00'), executedAt: new Date('2026-12-06T00:03:00Z') }], day, W);
    expect(v.counted.toFixed()).toBe('0');
    const before = activityVolume([{ ...fill('sell', '00:00'), executedAt: new Date('2026-12-04T23:55:00Z') }, fill('buy', '00:01')], day, W);
    expect(before.counted.toFixed(), 'the earlier leg is outside the day; the later one is washed').toBe('0');
  });

  it('counts USD-pegged quotes and perpetuals only', () => {
    expect(countsAsUsdVolume('BTC/USDT')).toBe(true);
    expect(countsAsUsdVolume('SOL-PERP')).toBe(true);
    expect(countsAsUsdVolume('ETH/BTC')).toBe(false);
    expect(activityVolume([fill('buy', '10:00', '1', '0.05', 'ETH/BTC')], day, W).counted.toFixed()).toBe('0');
  });

  it('counted + washed is the day’s USD volume, never negative', () => {
    const arb = fc.array(
      fc.record({ side: fc.constantFrom<'buy' | 'sell'>('buy', 'sell'), minute: fc.integer({ min: -30, max: 1470 }), qty: fc.integer({ min: 1, max: 50 }), sym: fc.constantFrom('A/USDT', 'B/USDT') }),
      { maxLength: 30 },
    );
    fc.assert(
      fc.property(arb, (xs) => {
        const fills = xs.map((x) => ({ symbol: x.sym, side: x.side, quantity: dec(x.qty), quoteQuantity: dec(x.qty).mul(7), executedAt: new Date(day.start.getTime() + x.minute * 60_000) }));
        const v = activityVolume(fills, day, W);
        const inDay = fills.filter((f) => f.executedAt >= day.start && f.executedAt < day.end).reduce((a, f) => a.add(f.quoteQuantity), ZERO);
        expect(v.counted.add(v.washed).eq(inDay)).toBe(true);
        expect(v.counted.gte(0) && v.washed.gte(0)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe('trading reward and the treasury', () => {
  it('is min(cap, volume × rate), rounded down', () => {
    expect(tradingReward(dec(12_800), dec('0.001'), dec(50)).toFixed()).toBe('12.8');
    expect(tradingReward(dec(130_000), dec('0.001'), dec(50)).toFixed()).toBe('50');
    expect(tradingReward(ZERO, dec('0.001'), dec(50)).toFixed()).toBe('0');
    expect(floorToken(dec('1.0000000000000000009')).toFixed()).toBe('1');
  });

  it('pays in order while the treasury lasts and never below zero', () => {
    const r = payWithinTreasury([{ amount: dec(1) }, { amount: dec(3) }, { amount: dec(1) }], dec('2.5'));
    expect(r.pay.map((c) => c.amount.toFixed())).toEqual(['1', '1']);
    expect(r.skip.map((c) => c.amount.toFixed())).toEqual(['3']);
    expect(r.total.toFixed()).toBe('2');
  });

  it('strictly in order (prizes by rank): nobody after the first that does not fit is paid', () => {
    const r = payWithinTreasury([{ amount: dec(1) }, { amount: dec(3) }, { amount: dec(1) }], dec('2.5'), { strict: true });
    expect(r.pay.map((c) => c.amount.toFixed())).toEqual(['1']);
    expect(r.skip.map((c) => c.amount.toFixed())).toEqual(['3', '1']);
    expect(r.total.toFixed()).toBe('1');
  });
});
