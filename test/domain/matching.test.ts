import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DEFAULT_SLIPPAGE, feeFor, fillMarketOrderAtQuote, isTriggered, limitCrosses, marketFillPrice, matchAgainstBook, matchLimitOnArrival,
  matchRestingLimit, startTrailingStop, twapSchedule, updateTrailingStop, vwapSchedule, type FeeSchedule, type SlippageModel,
} from '../../src/domain/matching.js';
import { dec, isMultipleOf, sumDec, toPlain, ZERO, type Dec } from '../../src/domain/money.js';
import type { OrderBookSnapshot } from '../../src/domain/ports.js';
import { decimalArb, errorOf, expectDec, quote, SOL_USDT, T0, unwrap } from './trading-fixtures.js';

const FEES: FeeSchedule = { makerRate: dec('0.0002'), takerRate: dec('0.001') };
const NO_SLIPPAGE: SlippageModel = { halfSpreadBps: dec(0), slippageBps: dec(0), impactBps: dec(0), impactNotional: dec(1), maxBps: dec(0) };

function book(asks: Array<[string, string]>, bids: Array<[string, string]> = []): OrderBookSnapshot {
  return {
    symbol: 'SOL/USDT', exchange: 'sim', timestamp: T0,
    asks: asks.map(([p, s]) => [dec(p), dec(s)]), bids: bids.map(([p, s]) => [dec(p), dec(s)]),
  };
}

describe('fees', () => {
  it('rate × notional, maker vs taker, in the quote asset', () => {
    expectDec(feeFor(dec('1000'), 'taker', FEES), '1', '0.1% of 1000');
    expectDec(feeFor(dec('1000'), 'maker', FEES), '0.2', '0.02% of 1000');
    const f = unwrap(fillMarketOrderAtQuote({ side: 'buy', quantity: dec('2'), quote: quote('SOL/USDT', '100', { ask: '100' }), market: SOL_USDT, fees: FEES, model: NO_SLIPPAGE }));
    expectDec(f.fee, '0.2', 'taker fee on 200 notional');
    expect(f.feeAsset, 'fees are in the quote asset').toBe('USDT');
  });
});

describe('market orders against a quote', () => {
  const q = quote('SOL/USDT', '99.99', { bid: '99.98', ask: '100.00' });

  it('pays the touch plus slippage and size impact, rounded to the tick against the trader', () => {
    // 1 bps slippage + 1 bps per 100k notional: 100 notional adds 0.001 bps.
    expectDec(marketFillPrice('buy', dec('1'), q, DEFAULT_SLIPPAGE, SOL_USDT), '100.02', 'buy: 100 × 1.0001001 = 100.01001, up to 100.02');
    expectDec(marketFillPrice('sell', dec('1'), q, DEFAULT_SLIPPAGE, SOL_USDT), '99.96', 'sell: 99.98 × 0.9998999 = 99.96999…, down to 99.96');
  });

  it('without bid/ask uses mid ± half spread', () => {
    const bare = quote('SOL/USDT', '100');
    expectDec(marketFillPrice('buy', dec('1'), bare, { ...NO_SLIPPAGE, halfSpreadBps: dec(2), maxBps: dec(100) }, SOL_USDT), '100.02', 'mid + 2 bps');
    expectDec(marketFillPrice('sell', dec('1'), bare, { ...NO_SLIPPAGE, halfSpreadBps: dec(2), maxBps: dec(100) }, SOL_USDT), '99.98', 'mid − 2 bps');
  });

  it('impact grows with size and stops at the cap', () => {
    const model: SlippageModel = { halfSpreadBps: dec(0), slippageBps: dec(0), impactBps: dec(10), impactNotional: dec(10_000), maxBps: dec(50) };
    expectDec(marketFillPrice('buy', dec('100'), q, model, SOL_USDT), '100.1', '10,000 notional → 10 bps');
    expectDec(marketFillPrice('buy', dec('10000'), q, model, SOL_USDT), '100.5', '1,000,000 notional would be 1000 bps, capped at 50');
  });

  it('buy fills never below the ask, sell fills never above the bid, always on the tick', () => {
    fc.assert(fc.property(decimalArb(100n, 10_000_000n, 2), decimalArb(1n, 1_000_000n, 3), fc.boolean(), (mid, qty, isBuy) => {
      const qq = quote('SOL/USDT', toPlain(mid), { bid: toPlain(mid.sub('0.01')), ask: toPlain(mid.add('0.01')) });
      const p = marketFillPrice(isBuy ? 'buy' : 'sell', qty, qq, DEFAULT_SLIPPAGE, SOL_USDT);
      if (isBuy) expect(p.gte(qq.ask!), `buy at ${toPlain(p)} below ask ${toPlain(qq.ask!)}`).toBe(true);
      else expect(p.lte(qq.bid!) && p.gt(0), `sell at ${toPlain(p)} above bid ${toPlain(qq.bid!)} or not positive`).toBe(true);
      expect(isMultipleOf(p, SOL_USDT.tickSize), `${toPlain(p)} on the tick`).toBe(true);
    }));
  });

  it('refuses a zero quantity or a zero price', () => {
    expect(errorOf(fillMarketOrderAtQuote({ side: 'buy', quantity: ZERO, quote: q, market: SOL_USDT, fees: FEES })).code).toBe('invalid_amount');
    expect(errorOf(fillMarketOrderAtQuote({ side: 'buy', quantity: dec(1), quote: quote('SOL/USDT', '0'), market: SOL_USDT, fees: FEES })).message)
      .toMatch(/no usable price for SOL\/USDT/);
  });
});

describe('walking the order book', () => {
  const asks = book([['100', '1'], ['101', '2'], ['102', '5']]);

  it('a market buy takes levels best first', () => {
    const r = matchAgainstBook({ side: 'buy', quantity: dec('2.5'), book: asks, market: SOL_USDT, fees: FEES, timeInForce: 'ioc' });
    expect(r.fills.map((f) => [toPlain(f.price), toPlain(f.quantity)]), 'fills by level').toEqual([['100', '1'], ['101', '1.5']]);
    expectDec(r.averagePrice, '100.6', '(100 + 151.5) / 2.5');
    expect(r.remainder, 'fully filled').toBe('none');
    expect(r.fills.every((f) => f.liquidity === 'taker'), 'arriving orders are takers').toBe(true);
  });

  it('a market order bigger than the book fills what there is and cancels the rest', () => {
    const r = matchAgainstBook({ side: 'buy', quantity: dec('10'), book: asks, market: SOL_USDT, fees: FEES, timeInForce: 'gtc' });
    expectDec(r.filledQuantity, '8', 'all depth taken');
    expectDec(r.remainingQuantity, '2', 'the rest');
    expect(r.remainder, 'a market order never rests').toBe('cancelled');
    expect(r.reason).toMatch(/ran out of depth/);
  });

  it('a gtc limit takes what is at or better than its price and rests the rest', () => {
    const r = matchAgainstBook({ side: 'buy', quantity: dec('5'), book: asks, market: SOL_USDT, fees: FEES, timeInForce: 'gtc', limitPrice: dec('101') });
    expectDec(r.filledQuantity, '3', '1 @100 + 2 @101');
    expect(r.remainder).toBe('resting');
  });

  it('ioc cancels the rest', () => {
    const r = matchAgainstBook({ side: 'buy', quantity: dec('5'), book: asks, market: SOL_USDT, fees: FEES, timeInForce: 'ioc', limitPrice: dec('101') });
    expectDec(r.filledQuantity, '3', 'partial');
    expect(r.remainder).toBe('cancelled');
  });

  it('fok fills everything or nothing', () => {
    const none = matchAgainstBook({ side: 'buy', quantity: dec('5'), book: asks, market: SOL_USDT, fees: FEES, timeInForce: 'fok', limitPrice: dec('101') });
    expect(none.fills, 'not enough within the limit: nothing fills').toEqual([]);
    expect(none.remainder).toBe('cancelled');
    expect(none.reason).toBe('fill-or-kill: only 3 of 5 SOL available at 101 or better; nothing filled');
    const all = matchAgainstBook({ side: 'buy', quantity: dec('3'), book: asks, market: SOL_USDT, fees: FEES, timeInForce: 'fok', limitPrice: dec('101') });
    expectDec(all.filledQuantity, '3', 'enough: fills entirely');
    expect(all.remainder).toBe('none');
  });

  it('a sell walks the bids down to its limit', () => {
    const bids = book([], [['99', '1'], ['98', '1'], ['97', '1']]);
    const r = matchAgainstBook({ side: 'sell', quantity: dec('3'), book: bids, market: SOL_USDT, fees: FEES, timeInForce: 'ioc', limitPrice: dec('98') });
    expect(r.fills.map((f) => toPlain(f.price)), 'no fill below 98').toEqual(['99', '98']);
  });

  it('a resting (maker) limit fills at its own price with the maker fee', () => {
    const r = matchAgainstBook({ side: 'buy', quantity: dec('2'), book: asks, market: SOL_USDT, fees: FEES, timeInForce: 'gtc', limitPrice: dec('101'), role: 'maker' });
    expect(r.fills.every((f) => f.price.eq(101) && f.liquidity === 'maker'), 'maker fills at the limit').toBe(true);
    expectDec(r.fills[0]!.fee, '0.0202', 'maker fee 0.02% of 101');
  });

  it('skips levels smaller than one step and an empty book', () => {
    const dust = book([['100', '0.0005'], ['101', '1']]);
    const r = matchAgainstBook({ side: 'buy', quantity: dec('1'), book: dust, market: SOL_USDT, fees: FEES, timeInForce: 'ioc' });
    expect(r.fills.map((f) => toPlain(f.price)), 'dust below the step is not traded').toEqual(['101']);
    const empty = matchAgainstBook({ side: 'buy', quantity: dec('1'), book: book([]), market: SOL_USDT, fees: FEES, timeInForce: 'ioc' });
    expect(empty.fills).toEqual([]);
    expect(empty.reason).toBe('the book is empty on that side');
  });

  it('fills never exceed the order quantity, respect the limit, and stay on the step', () => {
    const level = fc.tuple(decimalArb(1n, 1_000_000n, 2), decimalArb(0n, 5_000_000n, 4));
    fc.assert(fc.property(
      fc.array(level, { maxLength: 12 }), decimalArb(1n, 100_000n, 3), fc.constantFrom('gtc', 'ioc', 'fok' as const),
      fc.option(decimalArb(1n, 1_000_000n, 2)), fc.boolean(),
      (levels, quantity, tif, limit, isBuy) => {
        const sorted = [...levels].sort((a, b) => (isBuy ? a[0].comparedTo(b[0]) : b[0].comparedTo(a[0])));
        const b: OrderBookSnapshot = { symbol: 'SOL/USDT', exchange: 'sim', timestamp: T0, asks: isBuy ? sorted : [], bids: isBuy ? [] : sorted };
        const r = matchAgainstBook({
          side: isBuy ? 'buy' : 'sell', quantity, book: b, market: SOL_USDT, fees: FEES, timeInForce: tif,
          ...(limit ? { limitPrice: limit } : {}),
        });
        const total = sumDec(r.fills.map((f) => f.quantity));
        expect(total.lte(quantity), `filled ${toPlain(total)} > ordered ${toPlain(quantity)}`).toBe(true);
        expect(total.eq(r.filledQuantity) && total.add(r.remainingQuantity).eq(quantity), 'filled + remaining = ordered').toBe(true);
        for (const f of r.fills) {
          expect(f.quantity.gt(0) && isMultipleOf(f.quantity, SOL_USDT.stepSize), `fill ${toPlain(f.quantity)} positive and on the step`).toBe(true);
          if (limit) expect(isBuy ? f.price.lte(limit) : f.price.gte(limit), `fill at ${toPlain(f.price)} beyond limit ${toPlain(limit)}`).toBe(true);
        }
        if (tif === 'fok') expect(total.isZero() || total.eq(quantity), 'fok is all or nothing').toBe(true);
      },
    ));
  });
});

describe('limit orders against a quote', () => {
  const q = quote('SOL/USDT', '149.45', { bid: '149.4', ask: '149.5' });

  it('a marketable limit fills at the touch (price improvement to the trader)', () => {
    const r = unwrap(matchLimitOnArrival({ side: 'buy', limitPrice: dec('150'), quantity: dec('2'), quote: q, market: SOL_USDT, fees: FEES, timeInForce: 'gtc' }));
    expectDec(r.averagePrice, '149.5', 'fills at the ask, better than the 150 limit');
    expect(r.fills[0]!.liquidity).toBe('taker');
  });

  it('a buy crosses when ask ≤ limit, a sell when bid ≥ limit', () => {
    expect(limitCrosses('buy', dec('149.5'), q), 'ask equal to limit crosses').toBe(true);
    expect(limitCrosses('buy', dec('149.49'), q), 'below the ask does not').toBe(false);
    expect(limitCrosses('sell', dec('149.4'), q), 'bid equal to limit crosses').toBe(true);
    expect(limitCrosses('sell', dec('149.41'), q), 'above the bid does not').toBe(false);
  });

  it('a limit that does not cross rests (gtc) or is cancelled (ioc/fok)', () => {
    const gtc = unwrap(matchLimitOnArrival({ side: 'buy', limitPrice: dec('149'), quantity: dec('1'), quote: q, market: SOL_USDT, fees: FEES, timeInForce: 'gtc' }));
    expect(gtc.remainder).toBe('resting');
    const ioc = unwrap(matchLimitOnArrival({ side: 'buy', limitPrice: dec('149'), quantity: dec('1'), quote: q, market: SOL_USDT, fees: FEES, timeInForce: 'ioc' }));
    expect(ioc.remainder).toBe('cancelled');
    expect(ioc.fills).toEqual([]);
  });

  it('post-only is refused when it would cross, and rests when it would not', () => {
    const e = errorOf(matchLimitOnArrival({ side: 'buy', limitPrice: dec('150'), quantity: dec('1'), quote: q, market: SOL_USDT, fees: FEES, timeInForce: 'gtc', postOnly: true }));
    expect(e.code).toBe('post_only_would_cross');
    expect(e.message).toBe('post-only buy at 150 would trade at once against the ask 149.5; set the price below 149.5 or drop post_only');
    const rest = unwrap(matchLimitOnArrival({ side: 'sell', limitPrice: dec('150'), quantity: dec('1'), quote: q, market: SOL_USDT, fees: FEES, timeInForce: 'gtc', postOnly: true }));
    expect(rest.remainder).toBe('resting');
  });

  it('a resting limit fills at its own price once the market reaches it, as maker', () => {
    expect(matchRestingLimit({ side: 'buy', limitPrice: dec('149'), quantity: dec('1'), quote: q, market: SOL_USDT, fees: FEES }).remainder).toBe('resting');
    const gapped = quote('SOL/USDT', '147.95', { bid: '147.9', ask: '148' });
    const r = matchRestingLimit({ side: 'buy', limitPrice: dec('149'), quantity: dec('1'), quote: gapped, market: SOL_USDT, fees: FEES });
    expectDec(r.averagePrice, '149', 'no price improvement for a resting order');
    expect(r.fills[0]!.liquidity).toBe('maker');
  });
});

describe('triggers', () => {
  it.each([
    ['stop', 'sell', '140', '140', true], ['stop', 'sell', '140', '140.01', false],
    ['stop', 'buy', '160', '160', true], ['stop', 'buy', '160', '159.99', false],
    ['stop_limit', 'sell', '140', '139', true],
    ['take_profit', 'sell', '180', '180', true], ['take_profit', 'sell', '180', '179.99', false],
    ['take_profit', 'buy', '120', '119', true], ['take_profit', 'buy', '120', '121', false],
  ] as const)('%s %s trigger %s at price %s → %s', (type, side, trigger, price, expected) => {
    expect(isTriggered(type, side, dec(trigger), dec(price))).toBe(expected);
  });
});

describe('trailing stops', () => {
  it('a sell trails the high-water mark by a percent and fires on the way down', () => {
    const tick = dec('0.01');
    let s = startTrailingStop('sell', { kind: 'percent', percent: dec(10) }, dec(100), tick);
    expectDec(s.stopPrice, '90', '10% under 100');
    let u = updateTrailingStop(s, dec(110), tick);
    expectDec(u.state.reference, '110', 'new high');
    expectDec(u.state.stopPrice, '99', 'stop follows the high');
    s = u.state;
    u = updateTrailingStop(s, dec(100), tick);
    expectDec(u.state.stopPrice, '99', 'a fall does not lower the stop');
    expect(u.triggered, '100 is above the 99 stop').toBe(false);
    expect(updateTrailingStop(u.state, dec('98.99'), tick).triggered, 'through the stop').toBe(true);
  });

  it('a buy trails the low-water mark by an amount and fires on the way up', () => {
    const tick = dec('0.01');
    const s = startTrailingStop('buy', { kind: 'amount', amount: dec(5) }, dec(100), tick);
    expectDec(s.stopPrice, '105', '100 + 5');
    const u = updateTrailingStop(s, dec(90), tick);
    expectDec(u.state.stopPrice, '95', 'stop follows the low');
    expect(updateTrailingStop(u.state, dec(95), tick).triggered, 'at the stop').toBe(true);
  });

  it('rounds the stop away from the price so it never fires early', () => {
    const s = startTrailingStop('sell', { kind: 'percent', percent: dec('3') }, dec('33.33'), dec('0.01'));
    expectDec(s.stopPrice, '32.33', '33.33 × 0.97 = 32.3301, rounded down');
  });

  it('a sell stop never moves down and fires only at or below it', () => {
    fc.assert(fc.property(fc.array(decimalArb(1n, 1_000_000n, 2), { minLength: 1, maxLength: 30 }), (prices) => {
      const tick = dec('0.01');
      let s = startTrailingStop('sell', { kind: 'percent', percent: dec(5) }, prices[0]!, tick);
      for (const p of prices.slice(1)) {
        const u = updateTrailingStop(s, p, tick);
        expect(u.state.stopPrice.gte(s.stopPrice), `stop fell from ${toPlain(s.stopPrice)} to ${toPlain(u.state.stopPrice)}`).toBe(true);
        expect(u.triggered, `trigger iff ${toPlain(p)} ≤ ${toPlain(u.state.stopPrice)}`).toBe(p.lte(u.state.stopPrice));
        s = u.state;
      }
    }));
  });
});

describe('TWAP and VWAP schedules', () => {
  it('TWAP: equal slices, the remainder in the last, evenly spaced', () => {
    const s = unwrap(twapSchedule({ quantity: dec(1), slices: 3, startAt: T0, durationMs: 3_600_000, step: dec('0.001') }));
    expect(s.map((x) => toPlain(x.quantity))).toEqual(['0.333', '0.333', '0.334']);
    expect(s.map((x) => x.at.getTime() - T0.getTime()), 'every 20 minutes from the start').toEqual([0, 1_200_000, 2_400_000]);
  });

  it('TWAP: refuses slices smaller than the minimum and says how many fit', () => {
    const e = errorOf(twapSchedule({ quantity: dec('0.005'), slices: 10, startAt: T0, durationMs: 60_000, step: dec('0.001') }));
    expect(e.code).toBe('too_many_slices');
    expect(e.message).toBe('0.005 split into 10 slices is 0 each, below the minimum 0.001; use at most 5 slices');
  });

  it('TWAP slices sum exactly to the parent, each on the step, the last never smaller', () => {
    const step = dec('0.001');
    fc.assert(fc.property(fc.integer({ min: 1, max: 10_000_000 }), fc.integer({ min: 1, max: 200 }), (units, slices) => {
      const quantity = step.mul(units);
      const r = twapSchedule({ quantity, slices, startAt: T0, durationMs: 3_600_000, step });
      if (units < slices) {
        expect(r.ok, 'fewer steps than slices must be refused').toBe(false);
        return;
      }
      const s = unwrap(r);
      expect(s.length, 'one child per slice').toBe(slices);
      expect(sumDec(s.map((x) => x.quantity)).eq(quantity), `slices of ${toPlain(quantity)} must sum exactly`).toBe(true);
      for (const x of s) expect(isMultipleOf(x.quantity, step) && x.quantity.gt(0), `slice ${toPlain(x.quantity)} on the step`).toBe(true);
      expect(s[s.length - 1]!.quantity.gte(s[0]!.quantity), 'the last carries the remainder').toBe(true);
    }));
  });

  it('VWAP: weights from the volume profile; empty buckets get nothing', () => {
    const s = unwrap(vwapSchedule({ quantity: dec(1), volumeProfile: [dec(1), dec(0), dec(2), dec(1)], startAt: T0, durationMs: 4 * 60_000, step: dec('0.001') }));
    expect(s.map((x) => toPlain(x.quantity))).toEqual(['0.25', '0.5', '0.25']);
    expect(s.map((x) => (x.at.getTime() - T0.getTime()) / 60_000), 'buckets 0, 2 and 3').toEqual([0, 2, 3]);
    expect(s.map((x) => x.index)).toEqual([0, 1, 2]);
  });

  it('VWAP refuses an empty, negative or volumeless profile', () => {
    const args = { quantity: dec(1), startAt: T0, durationMs: 60_000, step: dec('0.001') };
    expect(errorOf(vwapSchedule({ ...args, volumeProfile: [] })).message).toMatch(/empty/);
    expect(errorOf(vwapSchedule({ ...args, volumeProfile: [dec(1), dec(-1)] })).message).toMatch(/negative/);
    expect(errorOf(vwapSchedule({ ...args, volumeProfile: [ZERO, ZERO] })).message).toMatch(/no volume in any bucket; use a TWAP/);
  });

  it('VWAP slices sum exactly to the parent and each meets the minimum', () => {
    const step = dec('0.01');
    const minQty = dec('0.05');
    fc.assert(fc.property(
      fc.integer({ min: 5, max: 1_000_000 }), fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 48 }),
      (units, vols) => {
        fc.pre(vols.some((v) => v > 0));
        const quantity = step.mul(units);
        const s = unwrap(vwapSchedule({ quantity, volumeProfile: vols.map((v) => dec(v)), startAt: T0, durationMs: 86_400_000, step, minQty }));
        const total: Dec = sumDec(s.map((x) => x.quantity));
        expect(total.eq(quantity), `VWAP slices sum to ${toPlain(total)}, parent ${toPlain(quantity)}`).toBe(true);
        for (const x of s) {
          expect(isMultipleOf(x.quantity, step), `slice ${toPlain(x.quantity)} on the step`).toBe(true);
          expect(x.quantity.gte(minQty), `slice ${toPlain(x.quantity)} at least the minimum`).toBe(true);
        }
      },
    ));
  });
});
