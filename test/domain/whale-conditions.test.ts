// The whale_move alert leaf with hand-made moves: schema bounds and defaults, plain-words
// description, which moves qualify (asset incl. wrapped tokens, side, notional, credibility in the
// window, age), and crossing semantics combined with price and RSI leaves — one trigger key per
// qualifying move, so a new move fires again and the same move never twice.
import { describe, expect, it } from 'vitest';
import {
  conditionRequirements, describeCondition, evaluateCondition, indicatorKey, parseAlertCondition, qualifyingWhaleMoves,
  type AlertCondition, type ConditionInputs, type ConditionState, type WhaleMove, type WhaleMoveCondition,
} from '../../src/domain/alert-conditions.js';

const T = Date.UTC(2026, 5, 1, 12, 0, 0);
const MIN = 60_000;
const at = (minutes: number): Date => new Date(T + minutes * MIN);

const whale = (over: Partial<WhaleMoveCondition> = {}): WhaleMoveCondition => ({
  type: 'whale_move', asset: 'ETH', side: 'buy', minNotionalUsd: '1000000', minCredibility: 7, window: '4h', withinMinutes: 60, ...over,
});

const move = (id: string, minutesAgoFrom0: number, over: Partial<WhaleMove> = {}): WhaleMove => ({
  eventId: id, wallet: '0x5aAe…eAed', asset: 'ETH', side: 'buy', notionalUsd: '1500000', occurredAt: at(minutesAgoFrom0),
  credibility: { '1h': 5, '4h': 7.4, '24h': 8 }, ...over,
});

function parsed(input: unknown): AlertCondition {
  const r = parseAlertCondition(input);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

describe('whale_move schema', () => {
  it('fills defaults, takes a pair’s base and unwraps a wrapped token', () => {
    expect(parsed({ type: 'whale_move', asset: 'eth/usdt', minNotionalUsd: '250000' })).toEqual({
      type: 'whale_move', asset: 'ETH', side: 'either', minNotionalUsd: '250000', minCredibility: 0, window: '4h', withinMinutes: 60,
    });
    expect(parsed({ type: 'whale_move', asset: 'WETH', minNotionalUsd: '1' })).toMatchObject({ asset: 'ETH' });
  });

  it('refuses out-of-bound or malformed fields with a readable message', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ minNotionalUsd: 1000000 }, /minNotionalUsd must be a decimal string/],
      [{ minNotionalUsd: '1,000,000' }, /plain decimal string/],
      [{ minNotionalUsd: '0' }, /greater than zero/],
      [{ minNotionalUsd: '1e13' }, /plain decimal string/],
      [{ minNotionalUsd: '2000000000000' }, /at most 1000000000000/],
      [{ minCredibility: 11 }, /minCredibility must be at most 10/],
      [{ minCredibility: -1 }, /at least 0/],
      [{ window: '2h' }, /window must be 1h, 4h or 24h/],
      [{ withinMinutes: 0 }, /withinMinutes must be at least 1/],
      [{ withinMinutes: 2000 }, /at most 1440/],
      [{ side: 'long' }, /side must be buy, sell or either/],
      [{ asset: '<script>' }, /asset must look like "ETH"/],
      [{ wallet: '0xabc' }, /Unrecognized key/],
    ];
    for (const [over, message] of cases) {
      const r = parseAlertCondition({ ...whale(), ...over });
      expect(r.ok, JSON.stringify(over)).toBe(false);
      if (!r.ok) expect(r.error).toMatch(message);
    }
  });

  it('says what it means in plain words, alone and combined with price and RSI', () => {
    expect(describeCondition(whale())).toBe('a wallet with 4h credibility ≥ 7 buys ≥ $1,000,000 of ETH within 1 hour');
    expect(describeCondition(whale({ side: 'either', minCredibility: 0, withinMinutes: 30 }))).toBe('a watched wallet buys or sells ≥ $1,000,000 of ETH within 30 minutes');
    const combined = parsed({
      type: 'all',
      conditions: [whale(), { type: 'rsi_below', symbol: 'ETH/USDT', timeframe: '1h', value: 35 }, { type: 'price_above', symbol: 'ETH/USDT', price: '3000' }],
    });
    expect(describeCondition(combined)).toBe('a wallet with 4h credibility ≥ 7 buys ≥ $1,000,000 of ETH within 1 hour, ETH/USDT RSI(14, 1h) under 35 and ETH/USDT above 3,000');
    expect(conditionRequirements(combined).whaleMoves).toEqual([{ asset: 'ETH', withinMinutes: 60 }]);
    expect(conditionRequirements(parsed({ type: 'price_above', symbol: 'ETH/USDT', price: '1' })).whaleMoves, 'no whale leaf, no whale input').toBeUndefined();
  });
});

describe('qualifying whale moves', () => {
  it('keeps only moves of the asset and side, big enough, by a credible wallet, within the window', () => {
    const now = at(0);
    const moves = [
      move('ok-old', -50),
      move('ok-new', -5),
      move('weth', -6, { asset: 'WETH' }),
      move('too-old', -61),
      move('future', 1),
      move('sell', -4, { side: 'sell' }),
      move('small', -3, { notionalUsd: '999999.99' }),
      move('low-cred', -2, { credibility: { '4h': 6.99 } }),
      move('unscored', -2, { credibility: { '4h': null } }),
      move('btc', -1, { asset: 'BTC' }),
    ];
    expect(qualifyingWhaleMoves(whale(), moves, now).map((m) => m.eventId)).toEqual(['ok-new', 'weth', 'ok-old']);
    expect(qualifyingWhaleMoves(whale({ side: 'either' }), moves, now).map((m) => m.eventId)).toEqual(['sell', 'ok-new', 'weth', 'ok-old']);
    expect(qualifyingWhaleMoves(whale({ window: '1h' }), moves, now), '1h credibility is 5').toEqual([]);
  });
});

describe('whale crossing semantics', () => {
  const tree = parsed({
    type: 'all',
    conditions: [whale(), { type: 'rsi_below', symbol: 'ETH/USDT', timeframe: '1h', value: 35 }, { type: 'price_above', symbol: 'ETH/USDT', price: '3000' }],
  });
  const inputs = (minutes: number, moves: WhaleMove[] | undefined, rsiValue = 30, price = '3100'): ConditionInputs => ({
    now: at(minutes),
    prices: { 'ETH/USDT': price },
    indicators: { [indicatorKey('ETH/USDT', '1h')]: { rsi: { 14: rsiValue } } },
    ...(moves ? { whaleMoves: moves } : {}),
  });

  it('fires once per qualifying move, again on a newer move while holding, never twice on one move', () => {
    let state: ConditionState | undefined;
    const step = (i: ConditionInputs) => {
      const ev = evaluateCondition(tree, i, state);
      state = ev.state;
      return ev;
    };
    expect(step(inputs(0, [])).met, 'baseline: no whale move').toBe(false);
    const a = move('A', 1);
    const first = step(inputs(2, [a]));
    expect(first.met).toBe(true);
    expect(first.triggerKey).toMatch(/:whale:A$/);
    expect(first.detail).toContain('0x5aAe…eAed bought $1.5M of ETH 1 min ago, 4h credibility 7.4');
    expect(step(inputs(3, [a])).met, 'still the same move').toBe(false);
    const b = move('B', 10);
    const second = step(inputs(11, [b, a]));
    expect(second.met, 'a newer move while the rest still holds').toBe(true);
    expect(second.triggerKey).toMatch(/:whale:B$/);
    // RSI leaves and comes back while B is still recent: the tree re-crosses on the same move and
    // gets the same key, which the store refuses a second time.
    expect(step(inputs(12, [b, a], 50)).met).toBe(false);
    const again = step(inputs(13, [b, a], 30));
    expect(again.met).toBe(true);
    expect(again.triggerKey, 'the same move gives the same key').toBe(second.triggerKey);
    expect(step(inputs(80, [b, a])).holds, 'both moves older than an hour').toBe(false);
  });

  it('does not fire on moves seen at the baseline, nor while whale moves are unknown', () => {
    const seen = evaluateCondition(tree, inputs(2, [move('A', 1)]));
    expect(seen.met, 'a move made before the rule could watch').toBe(false);
    expect(seen.state).toMatchObject({ holds: true, moves: 'A' });
    const unknown = evaluateCondition(tree, inputs(3, undefined), seen.state);
    expect(unknown).toMatchObject({ met: false, holds: null, missing: ['on-chain moves of ETH'] });
    expect(unknown.state, 'a data gap keeps the state').toEqual(seen.state);
  });

  it('needs every other leaf: a credible whale buy with RSI above the level does not fire', () => {
    const base = evaluateCondition(tree, inputs(0, []));
    const ev = evaluateCondition(tree, inputs(2, [move('A', 1)], 40), base.state);
    expect(ev).toMatchObject({ met: false, holds: false });
  });
});
