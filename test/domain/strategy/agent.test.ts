// The agent strategy: the technical summary's decision on crafted candles (a steady rise is a buy, a
// steady fall a sell, too few candles a hold), no look-ahead (the decision at t does not change when
// the candles after t do), the mapping of decisions to orders (size only from the parameters), and
// strict parameters; and the model-answer reader that turns anything but a plain decision into a hold.
import { describe, expect, it } from 'vitest';
import { runBacktest } from '../../../src/domain/backtest/index.js';
import { dec, ZERO } from '../../../src/domain/money.js';
import { agentStrategy, CandleWindow, parseStrategyParams, rulesDecision, type AgentParams, type AgentDecision, type PortfolioView } from '../../../src/domain/strategy/index.js';
import { parseModelDecision } from '../../../src/services/bots/agent-decider.js';
import { closesToCandles, TST_USDT } from './fixtures.js';

const rising = closesToCandles(Array.from({ length: 60 }, (_, i) => 100 + i));
const falling = closesToCandles(Array.from({ length: 60 }, (_, i) => 200 - i));

function params(raw: Record<string, unknown> = {}): AgentParams {
  const p = parseStrategyParams(agentStrategy, raw);
  if (!p.ok) throw new Error(p.error.message);
  return p.value;
}

function portfolio(over: Partial<PortfolioView> = {}): PortfolioView {
  return { cash: dec('1000'), position: ZERO, averageCost: null, openOrders: [], newFills: [], ...over };
}

describe('the technical summary decides (offline)', () => {
  it('a steady rise (each close 1 above the last, lows rising: ADX 100, price over EMA 20 and 50) is a strong buy', () => {
    const r = rulesDecision(rising);
    expect(r.summary?.signal).toBe('strong_buy');
    expect(r.direction).toBe('buy');
    expect(r.confidence, 'the summary\'s confidence, two decimals').toBe(0.77);
    expect(r.reasoning).toMatch(/^Technical summary strong buy: Price is above EMA 20 and EMA 50, stacked bullishly; ADX 100/);
    expect(r.reasoning.length, 'at most 300 characters').toBeLessThanOrEqual(300);
    expect(r.reasoning, 'plain text').not.toMatch(/[{}<>\n]/);
  });

  it('a steady fall is a strong sell; 34 candles (MACD and ADX undefined) are a hold with confidence 0', () => {
    expect(rulesDecision(falling)).toMatchObject({ direction: 'sell', confidence: 0.77 });
    const short = rulesDecision(rising.slice(0, 34));
    expect(short).toMatchObject({ direction: 'hold', confidence: 0, summary: null });
    expect(short.reasoning).toMatch(/need at least 35 candles/);
  });

  it('the decision at t never changes when the candles after t change (no look-ahead)', () => {
    const t = 45;
    const crashed = [...rising.slice(0, t + 1), ...closesToCandles(Array.from({ length: 14 }, (_, i) => 50 - i)).map((c, i) => ({ ...c, openTime: new Date(rising[t + 1 + i]!.openTime.getTime()) }))];
    // Through the strategy, over a whole window as a backtest hands it (no decision handed in).
    const decide = (series: typeof rising): string[] => {
      const p = params({ minConfidence: 0 });
      const state = agentStrategy.init(p);
      const notes: string[] = [];
      for (let i = 0; i <= t; i++) notes.push(...(agentStrategy.onCandle({ params: p, state, candles: new CandleWindow(series, i), portfolio: portfolio() }).notes ?? []));
      return notes;
    };
    expect(decide(crashed), 'same notes up to t whatever follows').toEqual(decide(rising));
    expect(rulesDecision(crashed.slice(0, t + 1))).toEqual(rulesDecision(rising.slice(0, t + 1)));
    expect(rulesDecision(crashed).direction, 'the later candles do change the later decision').toBe('sell');
  });
});

describe('decisions become orders, sized only by the parameters', () => {
  const p = params({ quoteAmount: '50', minConfidence: 0.6 });
  const run = (decision: AgentDecision | undefined, view: PortfolioView = portfolio()) =>
    agentStrategy.onCandle({ params: p, state: agentStrategy.init(p), candles: new CandleWindow(rising, 59), portfolio: view, ...(decision ? { decision } : {}) });

  it('buys quoteAmount at market on a buy at or above minConfidence when flat, naming the decision', () => {
    expect(run({ direction: 'buy', confidence: 0.72, signalId: 's-1' }).orders).toEqual([{ side: 'buy', type: 'market', quoteAmount: dec('50'), tag: 'agent-entry', agentSignalId: 's-1' }]);
    expect(run({ direction: 'buy', confidence: 0.6 }).orders?.[0]?.quoteAmount?.toFixed(), 'at exactly minConfidence').toBe('50');
  });

  it('spends only the free cash when it is less than quoteAmount', () => {
    expect(run({ direction: 'buy', confidence: 0.9 }, portfolio({ cash: dec('20') })).orders?.[0]?.quoteAmount?.toFixed()).toBe('20');
    expect(run({ direction: 'buy', confidence: 0.9 }, portfolio({ cash: ZERO })).orders, 'no cash, no order').toBeUndefined();
  });

  it('does nothing on a weak buy, a hold, a sell while flat, or a buy while holding', () => {
    const held = portfolio({ position: dec('0.5'), averageCost: dec('100') });
    expect(run({ direction: 'buy', confidence: 0.59 }).orders).toBeUndefined();
    expect(run({ direction: 'buy', confidence: 0.59 }).notes?.join()).toMatch(/confidence 0.59, below 0.60: not buying/);
    expect(run({ direction: 'hold', confidence: 1 }).orders).toBeUndefined();
    expect(run({ direction: 'sell', confidence: 1 }).orders).toBeUndefined();
    expect(run({ direction: 'buy', confidence: 1 }, held).orders).toBeUndefined();
    expect(run({ direction: 'hold', confidence: 1 }, held).orders).toBeUndefined();
  });

  it('sells the whole holding at market on a sell, whatever its confidence, unless a sell is working', () => {
    const held = portfolio({ position: dec('0.5'), averageCost: dec('100') });
    expect(run({ direction: 'sell', confidence: 0.1, signalId: 's-2' }, held).orders).toEqual([{ side: 'sell', type: 'market', quantity: dec('0.5'), tag: 'agent-exit', agentSignalId: 's-2' }]);
    const working = portfolio({ position: dec('0.5'), averageCost: dec('100'), openOrders: [{ id: 'o', side: 'sell', type: 'market', quantity: dec('0.5') }] });
    expect(run({ direction: 'sell', confidence: 1 }, working).orders).toBeUndefined();
  });

  it('a confidence outside 0–1 is clamped (a NaN is 0), never trusted beyond', () => {
    expect(run({ direction: 'buy', confidence: Number.NaN }).orders).toBeUndefined();
    expect(run({ direction: 'buy', confidence: 7 }).orders?.[0]?.quoteAmount?.toFixed()).toBe('50');
  });
});

describe('a backtest (no decisions handed in) decides by the technical summary', () => {
  it('over a rise then a fall: buys once the summary says buy (from candle 34 on), sells when it turns to sell', () => {
    const series = closesToCandles([...Array.from({ length: 60 }, (_, i) => 100 + i), ...Array.from({ length: 40 }, (_, i) => 158 - 2 * i)]);
    const r = runBacktest({ market: TST_USDT, initialCash: dec('1000'), feeBps: 0, slippageBps: 0, strategy: agentStrategy, params: params({ quoteAmount: '100', minConfidence: 0.6, source: 'rules' }), candles: series });
    if (!r.ok) throw new Error(r.error.message);
    const fills = r.value.fills.map((f) => [f.side, f.index]);
    expect(fills[0], 'the first buy fills at the open after the first candle with 35 closed (index 34 decided, 35 filled)').toEqual(['buy', 35]);
    expect(fills[1]?.[0], 'then a sell in the fall').toBe('sell');
    expect((fills[1]![1] as number) > 60, 'the sell comes after the turn').toBe(true);
    // Every decision before the sell is the summary's on the candles up to it.
    const sellAt = (fills[1]![1] as number) - 1;
    expect(rulesDecision(series.slice(0, sellAt + 1)).direction).toBe('sell');
    expect(rulesDecision(series.slice(0, sellAt)).direction, 'one candle earlier it was not yet a sell').not.toBe('sell');
  });
});

describe('parameters', () => {
  it('has defaults and refuses unknown or out-of-range ones', () => {
    expect(params()).toMatchObject({ minConfidence: 0.6, source: 'auto' });
    expect(params().quoteAmount.toFixed()).toBe('100');
    for (const [raw, msg] of [
      [{ size: 100 }, /unknown parameter "size"/],
      [{ minConfidence: 1.5 }, /minConfidence must be at most 1/],
      [{ source: 'model' }, /source must be auto .* or rules/],
      [{ quoteAmount: '-1' }, /quoteAmount must be greater than 0/],
    ] as const) {
      const p = parseStrategyParams(agentStrategy, raw);
      expect(p.ok).toBe(false);
      if (!p.ok) expect(p.error.message).toMatch(msg);
    }
  });
});

describe('the model\'s answer', () => {
  it('a strict decision is read as is', () => {
    expect(parseModelDecision('{"direction":"buy","confidence":0.72,"reasoning":"Trend up on rising volume."}')).toEqual({
      ok: true, value: { direction: 'buy', confidence: 0.72, reasoning: 'Trend up on rising volume.' },
    });
    expect(parseModelDecision('```json\n{"direction":"hold","confidence":0.5,"reasoning":"Nothing clear."}\n```').ok, 'a fenced answer').toBe(true);
  });

  it('anything else is refused with why: extra fields (size, symbol), other directions, ranges, markup, not JSON', () => {
    const cases: Array<[string, RegExp]> = [
      ['{"direction":"buy","confidence":0.9,"reasoning":"ok","size":100,"symbol":"ETH/USDT"}', /added "size", "symbol", which the model may not set/],
      ['{"direction":"strong_buy","confidence":0.9,"reasoning":"ok"}', /direction/],
      ['{"direction":"buy","confidence":1.5,"reasoning":"ok"}', /confidence/],
      ['{"direction":"buy","confidence":0.9,"reasoning":"<b>buy</b> now"}', /reasoning must be plain text/],
      ['{"direction":"buy","confidence":0.9,"reasoning":"see https://example.com"}', /reasoning must be plain text/],
      ['{"direction":"buy","confidence":0.9}', /reasoning/],
      ['Buy 100 BTC now!', /not JSON/],
      ['[{"direction":"buy","confidence":0.9,"reasoning":"ok"}]', /not a valid decision/],
    ];
    for (const [text, why] of cases) {
      const r = parseModelDecision(text);
      expect(r.ok, text).toBe(false);
      if (!r.ok) expect(r.why, text).toMatch(why);
    }
  });
});
