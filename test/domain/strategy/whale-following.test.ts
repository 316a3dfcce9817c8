import { describe, expect, it } from 'vitest';
import { runBacktest, type BacktestResult } from '../../../src/domain/backtest/backtest.js';
import { dec } from '../../../src/domain/money.js';
import type { Candle } from '../../../src/domain/ports.js';
import { knownParams, parseStrategyParams, signalsByCandle, type Strategy, type WhaleSignal } from '../../../src/domain/strategy/kernel.js';
import { weightedFlow, whaleFollowingStrategy, type WhaleFollowingParams, type WhaleFollowingState } from '../../../src/domain/strategy/whale-following.js';
import { closesToCandles, HOUR, plain, START, TST_USDT } from './fixtures.js';
import { unwrap } from '../trading-fixtures.js';

function params(raw: Record<string, unknown> = {}): WhaleFollowingParams {
  return unwrap(parseStrategyParams(whaleFollowingStrategy, raw));
}

let nextId = 1;
/** A signal `minutes` into candle `candle` (hourly candles from START). */
function signal(candle: number, minutes: number, direction: 'buy' | 'sell', notionalUsd: string, credibility4h: number | null, confidence: number | null = 1): WhaleSignal {
  return {
    eventId: `e${nextId++}`,
    walletId: 'w1',
    at: new Date(START + candle * HOUR + minutes * 60_000),
    direction,
    notionalUsd: dec(notionalUsd),
    credibility: { '1h': 2, '4h': credibility4h, '24h': 9 },
    confidence,
  };
}

function backtest(candles: Candle[], signals: WhaleSignal[], p: WhaleFollowingParams): BacktestResult {
  return unwrap(runBacktest({ market: TST_USDT, initialCash: dec(10_000), feeBps: 10, slippageBps: 0, strategy: whaleFollowingStrategy, params: p, candles, signals }));
}

const fills = (r: BacktestResult): string[] => r.fills.map((f) => `${f.index} ${f.side} ${plain(f.price)} ${plain(f.quantity)} ${f.tag ?? ''}`);

describe('whale-following parameters', () => {
  it('fills in defaults and names them', () => {
    const p = params();
    expect({ ...p, minNotionalUsd: plain(p.minNotionalUsd), entryFlowUsd: plain(p.entryFlowUsd), quoteAmount: plain(p.quoteAmount), stopLossPercent: plain(p.stopLossPercent), takeProfitPercent: plain(p.takeProfitPercent) }).toEqual({
      minCredibility: 5, minNotionalUsd: '100000', credibilityWindow: '4h', lookback: 1, entryFlowUsd: '250000', quoteAmount: '1000',
      exitOnOpposite: true, stopLossPercent: '5', takeProfitPercent: '10', maxBarsHeld: 48,
    });
    expect(knownParams(whaleFollowingStrategy)).toEqual([
      'minCredibility', 'minNotionalUsd', 'credibilityWindow', 'lookback', 'entryFlowUsd', 'quoteAmount', 'exitOnOpposite', 'stopLossPercent', 'takeProfitPercent', 'maxBarsHeld',
    ]);
  });

  it('refuses unknown parameters and values out of bounds, saying what is wrong', () => {
    const bad = (raw: Record<string, unknown>): string => {
      const r = parseStrategyParams(whaleFollowingStrategy, raw);
      if (r.ok) throw new Error(`accepted ${JSON.stringify(raw)}`);
      return r.error.message;
    };
    expect(bad({ wallet: '0xabc' })).toMatch(/unknown parameter "wallet".*whale_following takes minCredibility, minNotionalUsd/);
    expect(bad({ minCredibility: 11 })).toMatch(/minCredibility must be at most 10/);
    expect(bad({ credibilityWindow: '1d' })).toMatch(/credibilityWindow must be 1h, 4h or 24h/);
    expect(bad({ entryFlowUsd: '0' })).toMatch(/entryFlowUsd must be greater than 0/);
    expect(bad({ stopLossPercent: '100' })).toMatch(/stopLossPercent must be at most 99/);
    expect(bad({ maxBarsHeld: 0 })).toMatch(/maxBarsHeld must be at least 1/);
    expect(bad({ exitOnOpposite: 'yes' })).toMatch(/exitOnOpposite must be true or false/);
  });
});

describe('whale-following flow', () => {
  const p = params();
  it('weighs a qualifying move by credibility / 10 and confidence, signed by direction', () => {
    // 1,000,000 × 8/10 × 0.5 = 400,000
    expect(plain(weightedFlow(signal(0, 0, 'buy', '1000000', 8, 0.5), p)!)).toBe('400000');
    // 200,000 × 6/10 × 1 (no confidence given) = 120,000, selling
    expect(plain(weightedFlow(signal(0, 0, 'sell', '200000', 6, null), p)!)).toBe('-120000');
    // The chosen window decides: the same move under 24h (credibility 9) = 900,000 × 0.5.
    expect(plain(weightedFlow(signal(0, 0, 'buy', '1000000', 8, 0.5), params({ credibilityWindow: '24h' }))!)).toBe('450000');
  });

  it('ignores moves of wallets below the credibility bar, without a score, or below the notional bar', () => {
    expect(weightedFlow(signal(0, 0, 'buy', '10000000', 4.99), p), 'credibility 4.99 < 5').toBeNull();
    expect(weightedFlow(signal(0, 0, 'buy', '10000000', null), p), 'no score at or before the event').toBeNull();
    expect(weightedFlow(signal(0, 0, 'buy', '99999.99', 10), p), 'notional below 100,000').toBeNull();
    expect(weightedFlow(signal(0, 0, 'buy', '100000', 5), p), 'exactly at both bars counts').not.toBeNull();
  });
});

describe('whale following in a backtest (fee 10 bps, no slippage)', () => {
  // Entry: a credible buy of 1,000,000 (credibility 8, confidence 0.5 → 400,000 ≥ 250,000) inside candle 2;
  // decided on candle 2's close, filled at candle 3's open of 100: 1000 / (100 × 1.001) = 9.99000… → 9.990,
  // notional 999, fee 0.999, average cost 999.999 / 9.99 = 100.1.
  const entry = (): WhaleSignal => signal(2, 30, 'buy', '1000000', 8, 0.5);

  it('buys on the candle after the credible move and takes profit at +10% of the average cost', () => {
    // Target 100.1 × 1.1 = 110.11: candle 5 closes at 111 → sold at candle 6's open (111).
    const r = backtest(closesToCandles([100, 100, 100, 100, 105, 111, 111, 111]), [entry()], params());
    expect(fills(r)).toEqual(['3 buy 100 9.99 whale-entry', '6 sell 111 9.99 whale-exit']);
    expect(r.notes.map((n) => `${n.index}: ${n.text}`)).toEqual([
      '2: 1 credible whale move: net flow 400000 USD',
      '2: whales are buying: net flow 400000 USD at or above 250000: buying',
      '5: close 111 is 10% or more above the average cost 100.1: taking profit: selling',
    ]);
  });

  it('stops out when a close falls 5% below the average cost', () => {
    // Stop 100.1 × 0.95 = 95.095: candle 5 closes at 95.09 → sold at candle 6's open (95.09).
    const r = backtest(closesToCandles([100, 100, 100, 100, 97, 95.09, 96]), [entry()], params());
    expect(fills(r)).toEqual(['3 buy 100 9.99 whale-entry', '6 sell 95.09 9.99 whale-exit']);
    expect(r.notes.at(-1)!.text).toMatch(/5% or more below the average cost 100.1: stop loss: selling/);
  });

  it('sells when credible wallets sell as hard as they bought, and not on a smaller sale', () => {
    const closes = closesToCandles([100, 100, 100, 100, 101, 101, 101, 101]);
    // −200,000 × 1 × 1 at candle 4 is above −250,000: held; −300,000 at candle 5: sold at candle 6's open.
    const r = backtest(closes, [entry(), signal(4, 10, 'sell', '200000', 10), signal(5, 10, 'sell', '300000', 10)], params());
    expect(fills(r)).toEqual(['3 buy 100 9.99 whale-entry', '6 sell 101 9.99 whale-exit']);
    expect(r.notes.at(-1)!.text).toBe('whales are selling: net flow -300000 USD at or below -250000: selling');
    const held = backtest(closes, [entry(), signal(5, 10, 'sell', '300000', 10)], params({ exitOnOpposite: false }));
    expect(fills(held), 'exitOnOpposite false keeps the position').toEqual(['3 buy 100 9.99 whale-entry']);
  });

  it('sells after maxBarsHeld candles from the buy fill', () => {
    // Filled in candle 3 (seen on its close); 3 candles later, on candle 6's close, it sells at candle 7's open.
    const r = backtest(closesToCandles([100, 100, 100, 100, 101, 102, 103, 104, 105]), [entry()], params({ maxBarsHeld: 3 }));
    expect(fills(r)).toEqual(['3 buy 100 9.99 whale-entry', '7 sell 103 9.99 whale-exit']);
    expect(r.notes.at(-1)!.text).toBe('held 3 candles, the most allowed (3): selling');
  });

  it('sums the flow over lookback candles and acts on a move once', () => {
    const closes = closesToCandles([100, 100, 100, 100, 100, 100, 100]);
    // Two buys of 150,000 (credibility 10) in candles 1 and 2: each alone is below 250,000.
    const moves = [signal(1, 5, 'buy', '150000', 10), signal(2, 5, 'buy', '150000', 10)];
    expect(fills(backtest(closes, moves, params({ lookback: 1 }))), 'one candle at a time: never enough').toEqual([]);
    const r = backtest(closes, moves, params({ lookback: 2, maxBarsHeld: 1 }));
    // 300,000 over candles 1–2 → bought at 3; held 1 candle → sold at 5; the same moves do not buy again.
    expect(fills(r)).toEqual(['3 buy 100 9.99 whale-entry', '5 sell 100 9.99 whale-exit']);
  });

  it('ignores moves the bars exclude, however large', () => {
    const r = backtest(closesToCandles([100, 100, 100, 100, 100]), [signal(1, 0, 'buy', '90000000', 4), signal(2, 0, 'buy', '99999', 10), signal(2, 1, 'buy', '5000000', null)], params());
    expect(r.fills).toEqual([]);
  });

  it('spends the free cash when it is less than quoteAmount', () => {
    const r = backtest(closesToCandles([100, 100, 100, 100]), [signal(1, 0, 'buy', '1000000', 10)], params({ quoteAmount: '50000' }));
    // 10,000 / (100 × 1.001) = 99.9000… → 99.9.
    expect(fills(r)).toEqual(['2 buy 100 99.9 whale-entry']);
  });
});

describe('whale signals cannot come from the future', () => {
  it('buckets a signal into the candle it happened in: open ≤ at < close', () => {
    const opens = [0, 1, 2].map((i) => START + i * HOUR);
    const at = (ms: number): WhaleSignal => ({ ...signal(0, 0, 'buy', '1', 1), at: new Date(ms) });
    const b = signalsByCandle([at(START + HOUR), at(START + HOUR - 1), at(START - 1), at(START + 3 * HOUR), at(START)], opens, HOUR);
    expect(b.map((s) => s.map((x) => x.at.getTime() - START))).toEqual([[0, HOUR - 1], [HOUR], []]);
    expect(Object.isFrozen(b[0]) && Object.isFrozen(b[0]![0])).toBe(true);
  });

  it('a signal stamped at or after candle t\'s close is not visible at t, and is at t + 1', () => {
    const series = closesToCandles([100, 100, 100, 100, 100]);
    const seen: string[] = [];
    const recording: Strategy<WhaleFollowingParams, WhaleFollowingState> = {
      ...whaleFollowingStrategy,
      onCandle: (input) => {
        seen.push(`${input.candles.length - 1}: ${(input.signals ?? []).map((s) => s.eventId).join(',')}`);
        return whaleFollowingStrategy.onCandle(input);
      },
    };
    // Exactly at candle 1's close (= candle 2's open), and one millisecond after it.
    const atClose = { ...signal(2, 0, 'buy', '1000000', 10), eventId: 'at-close' };
    const after = { ...signal(2, 0, 'buy', '1000000', 10), eventId: 'after', at: new Date(START + 2 * HOUR + 1) };
    const r = unwrap(runBacktest({ market: TST_USDT, initialCash: dec(10_000), feeBps: 10, slippageBps: 0, strategy: recording, params: params(), candles: series, signals: [after, atClose] }));
    expect(seen).toEqual(['0: ', '1: ', '2: at-close,after', '3: ', '4: ']);
    expect(fills(r), 'decided on candle 2, filled at candle 3, never earlier').toEqual(['3 buy 100 9.99 whale-entry']);
  });

  it('decides the same on candles 0..t whether or not later candles and signals exist', () => {
    const series = closesToCandles([100, 101, 99, 100, 104, 111, 108, 96, 97, 100, 102, 101]);
    const all = [signal(1, 10, 'buy', '800000', 9, 0.8), signal(6, 59, 'buy', '700000', 7), signal(8, 0, 'buy', '2000000', 6), signal(10, 30, 'sell', '900000', 8)];
    const full = backtest(series, all, params({ maxBarsHeld: 4 }));
    expect(full.fills.length, 'the series trades, so the comparison means something').toBeGreaterThan(2);
    for (const length of [2, 5, 8, 11]) {
      const prefix = backtest(series.slice(0, length), all.filter((s) => s.at.getTime() < START + length * HOUR), params({ maxBarsHeld: 4 }));
      expect(fills(prefix), `fills on candles 0..${length - 1}`).toEqual(fills(full).filter((f) => Number(f.split(' ')[0]) < length));
      expect(prefix.notes, `notes on candles 0..${length - 1}`).toEqual(full.notes.filter((n) => n.index < length));
    }
  });
});
