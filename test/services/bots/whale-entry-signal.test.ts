// The whale-following entry names its cause: the strongest qualifying buy move in the net flow it
// acted on (across the lookback, never a sell), carried on the intent as `signal` for the bot's order;
// a state saved before moves were kept still decides and names a move of the candles it knows.
import { describe, expect, it } from 'vitest';
import { dec, ZERO } from '../../../src/domain/money.js';
import { CandleWindow, parseStrategyParams, type StrategyDecision, type WhaleSignal } from '../../../src/domain/strategy/kernel.js';
import { whaleFollowingStrategy, type WhaleFollowingParams, type WhaleFollowingState } from '../../../src/domain/strategy/whale-following.js';
import { closesToCandles, HOUR, START } from '../../domain/strategy/fixtures.js';

function params(raw: Record<string, unknown>): WhaleFollowingParams {
  const r = parseStrategyParams(whaleFollowingStrategy, raw);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

function move(eventId: string, walletId: string, candle: number, direction: 'buy' | 'sell', notionalUsd: string): WhaleSignal {
  return { eventId, walletId, at: new Date(START + candle * HOUR + 60_000), direction, notionalUsd: dec(notionalUsd), credibility: { '1h': 10, '4h': 10, '24h': 10 }, confidence: 1 };
}

const candles = closesToCandles([100, 101, 102, 103]);
const flat = { cash: dec(10_000), position: ZERO, averageCost: null, openOrders: [], newFills: [] };

function decide(p: WhaleFollowingParams, state: WhaleFollowingState, index: number, signals: WhaleSignal[]): StrategyDecision {
  return whaleFollowingStrategy.onCandle({ params: p, state, candles: new CandleWindow(candles, index), portfolio: flat, signals });
}

describe('the whale-following entry names the move that caused it', () => {
  const p = params({ lookback: 2, entryFlowUsd: '500000', minNotionalUsd: '100000' });

  it('the strongest buy of the lookback, from an earlier candle, not a larger sell', () => {
    const state = whaleFollowingStrategy.init(p);
    expect(decide(p, state, 0, [move('big', 'w-big', 0, 'buy', '400000')]).orders).toBeUndefined();
    const d = decide(p, state, 1, [move('mid', 'w-mid', 1, 'buy', '300000'), move('dump', 'w-dump', 1, 'sell', '150000')]);
    expect(d.orders).toHaveLength(1);
    expect(d.orders![0]).toMatchObject({ side: 'buy', tag: 'whale-entry', signal: { eventId: 'big', walletId: 'w-big' } });
    expect(state.moves, 'cleared with the flows').toEqual([]);
  });

  it('a move that drops out of the lookback is not named', () => {
    const state = whaleFollowingStrategy.init(p);
    decide(p, state, 0, [move('old', 'w-old', 0, 'buy', '450000')]);
    decide(p, state, 1, []);
    const d = decide(p, state, 2, [move('a', 'w-a', 2, 'buy', '300000'), move('b', 'w-b', 2, 'buy', '250000')]);
    expect(d.orders![0]!.signal).toEqual({ eventId: 'a', walletId: 'w-a' });
  });

  it('a state saved before moves were kept: the entry names a move it saw', () => {
    const state: WhaleFollowingState = { flows: [dec(400000)], entryIndex: null };
    const d = decide(p, state, 1, [move('new', 'w-new', 1, 'buy', '200000')]);
    expect(d.orders![0]!.signal).toEqual({ eventId: 'new', walletId: 'w-new' });
  });
});
