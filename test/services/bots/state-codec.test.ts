// The bot state codec: exact round trips for what it claims to hold, refusals (naming the part) for
// what it cannot rebuild, and which registered strategies' states can be stored today.
import { describe, expect, it } from 'vitest';
import { D } from '../../../src/domain/money.js';
import { parseStrategyParams, STRATEGIES, type Strategy, type StrategyKind } from '../../../src/domain/strategy/index.js';
import { SmaStream } from '../../../src/domain/indicators/index.js';
import { checkRoundTrip, decodeState, encodeState, StateCodecError } from '../../../src/services/bots/state-codec.js';

describe('the state codec', () => {
  it('rebuilds decimals, dates, Float64Arrays, Maps, arrays, plain objects and awkward numbers exactly', () => {
    const state = {
      prices: [new D('60000.125'), new D('1e-30'), new D('-0'), new D('123456789012345678901234567890.5')],
      at: new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 6)),
      closes: Float64Array.from([1.5, NaN, -0, Infinity, 0.1 + 0.2]),
      byTag: new Map<string, unknown>([['grid-buy-1', { qty: new D('0.01') }], ['x', null]]),
      nested: { a: [1, 'two', true, null, undefined], b: { c: -Infinity } },
      tricky: { $t: 'dec', v: 'not a tag' },
      none: undefined,
    };
    const back = decodeState(encodeState(state)) as typeof state;
    expect(back.prices.map((d, i) => d.eq(state.prices[i]!)), 'decimals keep their values').toEqual([true, true, true, true]);
    expect(back.prices[3]!.toFixed(), 'all their digits').toBe('123456789012345678901234567890.5');
    expect(back.prices[2]!.isNeg(), 'a negative zero decimal keeps its sign').toBe(true);
    expect(D.isDecimal(back.prices[0]), 'decimals come back as decimals').toBe(true);
    expect(back.at, 'dates').toEqual(state.at);
    expect(back.closes, 'a Float64Array comes back as one').toBeInstanceOf(Float64Array);
    expect(Array.from(back.closes), 'its values, NaN and -0 included').toEqual([1.5, NaN, -0, Infinity, 0.1 + 0.2]);
    expect(Object.is(back.closes[2], -0), '-0 stays -0').toBe(true);
    expect(back.byTag, 'maps').toBeInstanceOf(Map);
    expect((back.byTag.get('grid-buy-1') as { qty: InstanceType<typeof D> }).qty.toString()).toBe('0.01');
    expect(back.nested.a, 'undefined in arrays').toEqual([1, 'two', true, null, undefined]);
    expect(back.nested.b.c).toBe(-Infinity);
    expect(back.tricky, 'an object that looks like a tagged value stays a plain object').toEqual({ $t: 'dec', v: 'not a tag' });
    expect('none' in back && back.none === undefined, 'undefined properties stay').toBe(true);
    expect(encodeState(back), 'encoding the decoded state gives the same text').toBe(encodeState(state));
  });

  it('refuses class instances, functions, bigints and cycles, naming where they are', () => {
    expect(() => encodeState({ fast: new SmaStream(3) })).toThrow(/state\.fast is a SmaStream/);
    expect(() => encodeState({ f: () => 1 })).toThrow(/state\.f is a function/);
    expect(() => encodeState({ n: [1n] })).toThrow(/state\.n\[0\] is a bigint/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => encodeState(cyclic)).toThrow(StateCodecError);
    expect(checkRoundTrip({ fast: new SmaStream(3) }), 'a round-trip check reports the reason').toMatchObject({ ok: false, reason: expect.stringMatching(/SmaStream/) as unknown });
  });

  it('refuses unreadable stored text', () => {
    expect(() => decodeState('{')).toThrow(/not valid JSON/);
    expect(() => decodeState('{"$t":"what","v":1}')).toThrow(/unknown stored value type/);
  });
});

describe('which strategies a bot can run (their state must round-trip)', () => {
  const expected: Record<StrategyKind, boolean> = {
    grid: true,
    dca: true,
    momentum: false,
    mean_reversion: false,
    sma_cross: false,
    // With its default reference ("close") the state holds no indicator stream.
    market_making: true,
    liquidation_hunting: false,
    prediction_following: false,
  };
  const minimal: Partial<Record<StrategyKind, Record<string, unknown>>> = {
    grid: { lower: '100', upper: '200', levels: 4, quotePerLevel: '50' },
    dca: { quoteAmount: '100' },
    market_making: { orderSize: '100' },
  };
  for (const kind of Object.keys(STRATEGIES) as StrategyKind[]) {
    it(`${kind}: ${expected[kind] ? 'round-trips' : 'refused (indicator streams keep private state)'}`, () => {
      const strategy = STRATEGIES[kind] as Strategy<unknown, unknown>;
      const params = parseStrategyParams(strategy, minimal[kind] ?? {});
      if (!params.ok) throw new Error(`${kind} params: ${params.error.message}`);
      const r = checkRoundTrip(strategy.init(params.value));
      expect(r.ok, r.ok ? kind : `${kind}: ${r.reason}`).toBe(expected[kind]);
    });
  }
  it('market_making with reference "ema" is refused', () => {
    const strategy = STRATEGIES.market_making as Strategy<unknown, unknown>;
    const params = parseStrategyParams(strategy, { orderSize: '100', reference: 'ema' });
    if (!params.ok) throw new Error(params.error.message);
    expect(checkRoundTrip(strategy.init(params.value)).ok).toBe(false);
  });
});
