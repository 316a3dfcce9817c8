// The bot state codec: exact round trips for what it claims to hold, refusals (naming the part) for
// what it cannot rebuild, and every registered strategy resuming from a stored state exactly as if it
// had never stopped.
import { describe, expect, it } from 'vitest';
import { D, type Dec } from '../../../src/domain/money.js';
import type { Candle } from '../../../src/domain/ports.js';
import {
  CandleWindow, parseStrategyParams, STRATEGIES, type FillView, type OpenOrderView, type OrderIntent, type PortfolioView,
  type Strategy, type StrategyDecision, type StrategyKind, type WhaleSignal,
} from '../../../src/domain/strategy/index.js';
import {
  AdxStream, AtrStream, BollingerStream, EmaStream, MacdStream, ObvStream, RsiStream, SmaStream, StochasticStream, VwapStream, WmaStream,
} from '../../../src/domain/indicators/index.js';
import { FeatureStream } from '../../../src/domain/predict/feature-stream.js';
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
    class Unregistered {
      readonly streamTag = 'sma';
      snapshot(): object {
        return {};
      }
    }
    expect(() => encodeState({ fast: new Unregistered() }), 'a class borrowing a registered tag is not taken for that stream').toThrow(/state\.fast is a Unregistered/);
    expect(() => encodeState({ when: new (class Clock {})() })).toThrow(/state\.when is a Clock/);
    expect(() => encodeState({ f: () => 1 })).toThrow(/state\.f is a function/);
    expect(() => encodeState({ n: [1n] })).toThrow(/state\.n\[0\] is a bigint/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => encodeState(cyclic)).toThrow(StateCodecError);
    expect(checkRoundTrip({ fast: new Unregistered() }), 'a round-trip check reports the reason').toMatchObject({ ok: false, reason: expect.stringMatching(/Unregistered/) as unknown });
  });

  it('refuses unreadable stored text', () => {
    expect(() => decodeState('{')).toThrow(/not valid JSON/);
    expect(() => decodeState('{"$t":"what","v":1}')).toThrow(/unknown stored value type/);
  });
});

describe('indicator streams in a state', () => {
  it('are stored through their snapshots and come back as the same class, continuing identically', () => {
    const bar = (i: number): { high: number; low: number; close: number; volume: number; time: number } => ({
      high: 101 + Math.sin(i), low: 99 + Math.cos(i), close: 100 + Math.sin(i / 3) * 2, volume: 10 + (i % 7), time: i * 3_600_000,
    });
    const state = {
      sma: new SmaStream(4), ema: new EmaStream(5), wma: new WmaStream(3), rsi: new RsiStream(6), atr: new AtrStream(4),
      bands: new BollingerStream({ period: 5, stdDev: 1.5 }), macd: new MacdStream({ fast: 3, slow: 6, signal: 2 }), features: new FeatureStream(),
      adx: new AdxStream(4), stochastic: new StochasticStream({ kPeriod: 4, kSmoothing: 2, dPeriod: 3 }), obv: new ObvStream(), vwap: new VwapStream({ sessionMs: 36_000_000 }),
    };
    const feed = (s: typeof state, i: number): unknown[] => {
      const b = bar(i);
      return [s.sma.update(b.close), s.ema.update(b.close), s.wma.update(b.close), s.rsi.update(b.close), s.atr.update(b), s.bands.update(b.close), s.macd.update(b.close), s.features.update(b.close, b.volume), s.adx.update(b), s.stochastic.update(b), s.obv.update(b), s.vwap.update(b)];
    };
    for (let i = 0; i < 37; i++) feed(state, i);
    const text = encodeState(state);
    expect(text, 'streams are stored under the stream tag').toContain('"$t":"stream"');
    const back = decodeState(text) as typeof state;
    expect(back.sma).toBeInstanceOf(SmaStream);
    expect(back.features).toBeInstanceOf(FeatureStream);
    expect(back.bands.stdDev).toBe(1.5);
    expect(checkRoundTrip(state).ok).toBe(true);
    for (let i = 37; i < 120; i++) expect(feed(back, i), `bar ${i}: the restored streams give the original's values`).toEqual(feed(state, i));
  });

  it('refuses a stored stream of an unknown kind or with broken values, saying what is wrong', () => {
    expect(() => decodeState('{"$t":"stream","v":{"stream":"kama","state":{}}}')).toThrow(/unknown stored stream kind kama/);
    const sma = JSON.parse(encodeState(new SmaStream(3))) as { v: { state: { window: number[] } } };
    sma.v.state.window = [1, 2];
    expect(() => decodeState(JSON.stringify(sma))).toThrow(StateCodecError);
    expect(() => decodeState(JSON.stringify(sma))).toThrow(/sma stream snapshot is not valid \(window\)/);
  });
});

// A small fill simulator so the strategies act: market orders fill at the close they were decided on,
// limits and stops rest and fill on a later candle's range, without fees. It only has to be the same
// for the original strategy and its restored copy.
class PaperPortfolio {
  cash = new D(10_000);
  position = new D(0);
  cost = new D(0);
  open: Array<OpenOrderView & { price?: Dec; triggerPrice?: Dec }> = [];
  fills: FillView[] = [];
  #ids = 0;

  view(): PortfolioView {
    return {
      cash: this.cash,
      position: this.position,
      averageCost: this.position.isZero() ? null : this.cost.div(this.position),
      openOrders: this.open.map((o) => ({ ...o })),
      newFills: this.fills,
    };
  }

  #fill(id: string, side: 'buy' | 'sell', price: Dec, quantity: Dec, tag: string | undefined): void {
    if (quantity.lte(0)) return;
    if (side === 'buy') {
      this.cash = this.cash.sub(price.mul(quantity));
      this.cost = this.cost.add(price.mul(quantity));
      this.position = this.position.add(quantity);
    } else {
      const q = D.min(quantity, this.position);
      this.cost = this.position.isZero() ? new D(0) : this.cost.mul(this.position.sub(q)).div(this.position);
      this.position = this.position.sub(q);
      this.cash = this.cash.add(price.mul(q));
    }
    this.fills.push({ orderId: id, side, price, quantity, fee: new D(0), ...(tag === undefined ? {} : { tag }) });
  }

  /** Working orders that the candle's range reaches fill; the new fills are shown with the next decision. */
  touch(candle: Candle): void {
    this.fills = [];
    this.open = this.open.filter((o) => {
      const qty = o.quantity ?? (o.quoteAmount ?? new D(0)).div(o.price ?? o.triggerPrice ?? candle.close);
      if (o.type === 'limit' && o.price !== undefined && (o.side === 'buy' ? candle.low.lte(o.price) : candle.high.gte(o.price))) this.#fill(o.id, o.side, o.price, qty, o.tag);
      else if (o.type === 'stop' && o.triggerPrice !== undefined && candle.low.lte(o.triggerPrice)) this.#fill(o.id, o.side, o.triggerPrice, qty, o.tag);
      else return true;
      return false;
    });
  }

  apply(decision: StrategyDecision, candle: Candle): void {
    for (const tag of decision.cancelTags ?? []) this.open = this.open.filter((o) => o.tag !== tag);
    for (const o of decision.orders ?? []) {
      const id = `o${++this.#ids}`;
      if (o.type === 'market') {
        const qty = o.quantity ?? (o.quoteAmount ?? new D(0)).div(candle.close).toDecimalPlaces(8, D.ROUND_DOWN);
        this.#fill(id, o.side, candle.close, qty, o.tag);
      } else {
        this.open.push({ ...(o as OrderIntent & { side: 'buy' | 'sell' }), id });
      }
    }
  }
}

/** Hourly candles that swing, trend, drift with noise and now and then crash on heavy volume. */
function swingingCandles(n: number): Candle[] {
  let seed = 12345;
  const noise = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648 - 0.5;
  };
  const out: Candle[] = [];
  let previous = 100;
  for (let i = 0; i < n; i++) {
    const shock = i % 70 === 50;
    const close = shock ? previous * 0.88 : 100 + 12 * Math.sin(i / 17) + 4 * Math.sin(i / 5) + 3 * noise() + (i > 200 ? (i - 200) * 0.05 : 0);
    const high = Math.max(previous, close) + 0.5 + Math.abs(noise());
    const low = Math.min(previous, close) - 0.5 - Math.abs(noise()) - (shock ? 2 : 0);
    const volume = shock ? 900 : 100 + 40 * noise();
    out.push({
      symbol: 'TST/USDT', exchange: 'sim', timeframe: '1h', openTime: new Date(Date.UTC(2025, 0, 1) + i * 3_600_000),
      open: new D(previous.toFixed(2)), high: new D(high.toFixed(2)), low: new D(low.toFixed(2)), close: new D(close.toFixed(2)), volume: new D(volume.toFixed(3)),
    });
    previous = Number(close.toFixed(2));
  }
  return out;
}

/** Orders, cancels and notes as comparable text (decimals by their digits). */
function describeDecision(d: StrategyDecision): string {
  return JSON.stringify({
    orders: (d.orders ?? []).map((o) => ({ ...o, quantity: o.quantity?.toFixed(), quoteAmount: o.quoteAmount?.toFixed(), price: o.price?.toFixed(), triggerPrice: o.triggerPrice?.toFixed() })),
    cancels: d.cancelTags ?? [],
    notes: d.notes ?? [],
  });
}

interface Run {
  state: unknown;
  portfolio: PaperPortfolio;
}

/** Whale signals for a strategy with that side stream: a credible buy on candles 3, 28, 53 …, a sale 12 candles later. */
function whaleSignalsAt(candles: readonly Candle[], t: number): readonly WhaleSignal[] {
  const phase = t % 25;
  if (phase !== 3 && phase !== 15) return [];
  const at = new Date(candles[t]!.openTime.getTime() + 60_000);
  return [{ eventId: `e${t}`, walletId: 'w', at, direction: phase === 3 ? 'buy' : 'sell', notionalUsd: new D(1_000_000), credibility: { '1h': 8, '4h': 8, '24h': 8 }, confidence: 0.5 }];
}

function step(strategy: Strategy<unknown, unknown>, params: unknown, run: Run, candles: readonly Candle[], t: number): string {
  run.portfolio.touch(candles[t]!);
  const signals = strategy.sideStream !== undefined ? { signals: whaleSignalsAt(candles, t) } : {};
  const decision = strategy.onCandle({ params, state: run.state, candles: new CandleWindow(candles, t), portfolio: run.portfolio.view(), ...signals });
  run.portfolio.apply(decision, candles[t]!);
  return describeDecision(decision);
}

function copyPortfolio(p: PaperPortfolio): PaperPortfolio {
  const copy = new PaperPortfolio();
  Object.assign(copy, { cash: p.cash, position: p.position, cost: p.cost, open: p.open.map((o) => ({ ...o })), fills: [...p.fills] });
  return copy;
}

describe('every strategy a bot can run resumes from its stored state exactly', () => {
  const CANDLES = swingingCandles(330);
  // Stored early (during warm-up), mid-series and late; the copies run to the end of the series.
  const STORE_AT = [8, 140, 235];
  // Kinds with legs (statistical_arbitrage, yield_optimisation) keep no state of their own (their positions are the
  // portfolio's); bot creation checks their round trip like any kind's (test/services/bots/leg-bots.db.test.ts runs them).
  type BotKind = Exclude<StrategyKind, 'statistical_arbitrage' | 'yield_optimisation'>;
  const botKinds = (Object.keys(STRATEGIES) as StrategyKind[]).filter((k): k is BotKind => STRATEGIES[k].legs === undefined);
  const paramsOf: Record<BotKind, Record<string, unknown>> = {
    grid: { lower: '85', upper: '125', levels: 6, quotePerLevel: '500' },
    dca: { quoteAmount: '200', every: 10, dipPercent: '3', takeProfitPercent: '4' },
    momentum: { fast: 5, slow: 15, atrPeriod: 7, atrMultiplier: 2 },
    mean_reversion: { period: 12, entryZ: 1.2, exitZ: 0 },
    sma_cross: { fast: 4, slow: 13 },
    market_making: { orderSize: '300', reference: 'close', stopLossPercent: '6', stopCooldown: 5 },
    liquidation_hunting: { atrPeriod: 10, dropAtr: 2, volumePeriod: 10, volumeMultiple: 3, maxHoldCandles: 12, cooldown: 5 },
    prediction_following: { minSamples: 40, trainWindow: 60, retrainEvery: 15, entryProbability: 0.51, exitProbability: 0.49 },
    whale_following: { lookback: 3, maxBarsHeld: 12 },
    agent: { quoteAmount: '300', minConfidence: 0.3, source: 'rules' },
  };
  const cases: Array<[string, StrategyKind, Record<string, unknown>]> = botKinds.map((k) => [k, k, paramsOf[k]]);
  cases.push(['prediction_following (gradient-boosted trees)', 'prediction_following', { ...paramsOf.prediction_following, model: 'gradient_boosted_trees' }]);
  cases.push(['market_making (reference ema)', 'market_making', { orderSize: '300', reference: 'ema', emaPeriod: 9, stopLossPercent: '6', stopCooldown: 5 }]);

  it('covers every registered kind', () => {
    expect(new Set(cases.map(([, k]) => k)), 'a new kind needs its parameters here').toEqual(new Set(Object.keys(STRATEGIES).filter((k) => !['statistical_arbitrage', 'yield_optimisation'].includes(k))));
  });

  for (const [name, kind, raw] of cases) {
    it(`${name}: its state round-trips and the restored copy decides as the original on every later candle`, () => {
      const strategy = STRATEGIES[kind] as Strategy<unknown, unknown>;
      const parsed = parseStrategyParams(strategy, raw);
      if (!parsed.ok) throw new Error(`${name} params: ${parsed.error.message}`);
      const params = parsed.value;
      const init = checkRoundTrip(strategy.init(params));
      expect(init.ok, init.ok ? name : `${name}: ${init.reason}`).toBe(true);

      const original: Run = { state: strategy.init(params), portfolio: new PaperPortfolio() };
      const decisions: string[] = [];
      const copies = new Map<number, Run>();
      for (let t = 0; t < CANDLES.length; t++) {
        decisions.push(step(strategy, params, original, CANDLES, t));
        if (STORE_AT.includes(t)) {
          const r = checkRoundTrip(original.state);
          expect(r.ok, r.ok ? name : `${name} at candle ${t}: ${r.reason}`).toBe(true);
          copies.set(t, { state: decodeState(encodeState(original.state)), portfolio: copyPortfolio(original.portfolio) });
        }
      }
      for (const [at, copy] of copies) {
        for (let t = at + 1; t < CANDLES.length; t++) {
          const decision = step(strategy, params, copy, CANDLES, t);
          if (decision !== decisions[t]) expect(decision, `${name}, stored at candle ${at}: the decision at candle ${t}`).toBe(decisions[t]);
        }
        expect(encodeState(copy.state), `${name}, stored at candle ${at}: the final state`).toBe(encodeState(original.state));
      }
      const acted = decisions.slice(STORE_AT[1]! + 1).filter((d) => d !== describeDecision({})).length;
      expect(acted, `${name} must act after the mid-series store, or the comparison proves little`).toBeGreaterThan(0);
    });
  }
});
