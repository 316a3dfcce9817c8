import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  allowedEvents, checkOrder, fillEventFor, isTerminalStatus, OrderEvent, OrderStatus, parseOrderRequest, quoteToBase,
  statusAfterFill, TERMINAL_STATUSES, transitionOrder, validateOrderRequest, type OrderRequest,
} from '../../src/domain/order.js';
import { DEFAULT_MARKETS, type Market } from '../../src/domain/market.js';
import { dec, toPlain } from '../../src/domain/money.js';
import { errorOf, expectDec, unwrap } from './trading-fixtures.js';

const ABC: Market = {
  symbol: 'ABC/USDT', base: 'ABC', quote: 'USDT', kind: 'spot', exchange: 'sim',
  tickSize: dec('0.01'), stepSize: dec('0.0001'), minQty: dec('0.001'), maxQty: dec('100'), minNotional: dec('5'),
};
const HALF: Market = {
  symbol: 'HALF/USDT', base: 'HALF', quote: 'USDT', kind: 'spot', exchange: 'sim',
  tickSize: dec('0.05'), stepSize: dec('0.5'), minQty: dec('0.5'), minNotional: dec('1'),
};
const MARKETS = [...DEFAULT_MARKETS, ABC, HALF];

function check(req: Record<string, unknown>, referencePrice?: string): ReturnType<typeof checkOrder> {
  return checkOrder(req, MARKETS, referencePrice ? { referencePrice: dec(referencePrice) } : {});
}

function refused(req: Record<string, unknown>, code: string, message: RegExp | string, referencePrice?: string): void {
  const e = errorOf(check(req, referencePrice), `${JSON.stringify(req)} must be refused`);
  expect(e.code, `refusal code for ${JSON.stringify(req)}: ${e.message}`).toBe(code);
  if (typeof message === 'string') expect(e.message).toBe(message);
  else expect(e.message).toMatch(message);
}

describe('validateOrderRequest: good orders', () => {
  it('a market buy in base: canonical symbol, ioc, 1x', () => {
    const o = unwrap(check({ symbol: 'btcusdt', side: 'buy', type: 'market', quantity: '0.001' }, '60000'));
    expect(o.symbol).toBe('BTC/USDT');
    expectDec(o.quantity, '0.001', 'quantity kept');
    expect(o.timeInForce, 'market orders never rest').toBe('ioc');
    expectDec(o.leverage, '1', 'spot is 1x');
    expect(o.price, 'no price on a market order').toBeUndefined();
  });

  it('a market order asked as gtc is read as ioc; fok is kept', () => {
    expect(unwrap(check({ symbol: 'SOL', side: 'buy', type: 'market', quantity: '1', timeInForce: 'gtc' }, '150')).timeInForce).toBe('ioc');
    expect(unwrap(check({ symbol: 'SOL', side: 'buy', type: 'market', quantity: '1', timeInForce: 'fok' }, '150')).timeInForce).toBe('fok');
  });

  it('"$100 of SOL" converts at the reference price and rounds down to the step', () => {
    const o = unwrap(check({ symbol: 'SOL/USDT', side: 'buy', type: 'market', quoteQuantity: '100' }, '150'));
    expectDec(o.quantity, '0.666', '100 / 150 = 0.6666…, rounded down to 0.001');
    expectDec(o.sizedFromQuote?.quoteAmount, '100', 'the quote amount is remembered');
    expectDec(o.sizedFromQuote?.atPrice, '150', 'and the price it was converted at');
  });

  it('a quote-sized limit order converts at its own limit price', () => {
    const o = unwrap(check({ symbol: 'SOL/USDT', side: 'buy', type: 'limit', price: '125', quoteQuantity: '100' }, '150'));
    expectDec(o.quantity, '0.8', '100 / 125');
  });

  it('quoteToBase never buys more than paid for', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 10_000_000 }), fc.integer({ min: 1, max: 10_000_000 }), (q, p) => {
      const quoteAmount = dec(q).div(100);
      const price = dec(p).div(100);
      const base = quoteToBase(quoteAmount, price, dec('0.001'));
      expect(base.mul(price).lte(quoteAmount), `${toPlain(base)} at ${toPlain(price)} must cost at most ${toPlain(quoteAmount)}`).toBe(true);
    }));
  });

  it('a perp limit with leverage, post-only, reduce-only', () => {
    const o = unwrap(check({ symbol: 'BTC/USDT:USDT', side: 'sell', type: 'limit', price: '70000.5', quantity: '0.01', leverage: '20', postOnly: true, reduceOnly: true }));
    expect(o.symbol).toBe('BTC-PERP');
    expectDec(o.leverage, '20', 'leverage kept');
    expect(o.postOnly && o.reduceOnly, 'flags kept').toBe(true);
    expect(o.timeInForce, 'resting orders default to gtc').toBe('gtc');
  });

  it('stop, stop-limit, take-profit, trailing, twap, vwap', () => {
    expectDec(unwrap(check({ symbol: 'SOL', side: 'sell', type: 'stop', triggerPrice: '140', quantity: '1' })).triggerPrice, '140', 'stop trigger');
    const sl = unwrap(check({ symbol: 'SOL', side: 'sell', type: 'stop_limit', triggerPrice: '140', price: '139.5', quantity: '1' }));
    expectDec(sl.price, '139.5', 'stop-limit price');
    expect(unwrap(check({ symbol: 'SOL', side: 'sell', type: 'take_profit', triggerPrice: '180', quantity: '1' })).type).toBe('take_profit');
    const tr = unwrap(check({ symbol: 'SOL', side: 'sell', type: 'trailing_stop', trailingPercent: '2.5', quantity: '1' }, '150'));
    expect(tr.trailing?.kind === 'percent' && toPlain(tr.trailing.percent), 'trailing percent').toBe('2.5');
    const tw = unwrap(check({ symbol: 'SOL', side: 'buy', type: 'twap', quantity: '10', slices: 5, durationMs: 3_600_000 }, '150'));
    expect(tw.schedule, 'schedule kept').toEqual({ slices: 5, durationMs: 3_600_000 });
    expect(unwrap(check({ symbol: 'SOL', side: 'buy', type: 'vwap', quantity: '10', price: '155', slices: 4, durationMs: 60_000 })).type).toBe('vwap');
  });

  it('accepts numbers where decimals are expected, read through their decimal string', () => {
    expectDec(unwrap(check({ symbol: 'SOL', side: 'buy', type: 'limit', price: 150.25, quantity: 0.5 })).price, '150.25', 'number price');
  });
});

describe('validateOrderRequest: every bad input is refused with a message that says the fix', () => {
  const base = { symbol: 'SOL/USDT', side: 'buy', type: 'limit', price: '150' };

  it.each([
    ['0', 'quantity must be greater than zero'],
    ['-1', 'quantity must not be negative'],
    ['NaN', 'quantity must be a decimal number like "1.5", got "NaN"'],
    ['1e400', 'quantity is too large (at most 1000000000000000000)'],
    ['ten', 'quantity must be a decimal number like "1.5", got "ten"'],
  ])('quantity %s', (quantity, message) => refused({ ...base, quantity }, 'invalid_amount', message));

  it('a JSON number that overflowed to Infinity', () => {
    const overflowed = (JSON.parse('{"quantity": 1e400}') as { quantity: number }).quantity;
    refused({ ...base, quantity: overflowed }, 'invalid_amount', /quantity must be a decimal number.*Infinity/);
  });

  it('more decimals than the step', () =>
    refused({ ...base, quantity: '0.12345' }, 'too_many_decimals', 'quantity 0.12345 has more decimals than the step 0.001 for SOL/USDT; use 0.123'));

  it('too many decimals and rounding to nothing: says the minimum', () =>
    refused({ ...base, quantity: '0.0001' }, 'too_many_decimals', 'quantity 0.0001 has more decimals than the step 0.001 for SOL/USDT; use at least 0.001'));

  it('not a multiple of a non-decimal step', () =>
    refused({ symbol: 'HALF/USDT', side: 'buy', type: 'limit', price: '10', quantity: '7.3' }, 'not_step_multiple', 'quantity 7.3 is not a multiple of the step 0.5 for HALF/USDT; use 7.0'));

  it('below the minimum quantity', () =>
    refused({ symbol: 'ABC/USDT', side: 'buy', type: 'limit', price: '10000', quantity: '0.0001' }, 'below_min_qty', 'quantity 0.0001 is below the minimum 0.001 for ABC/USDT; use at least 0.001'));

  it('above the maximum quantity', () =>
    refused({ symbol: 'ABC/USDT', side: 'buy', type: 'limit', price: '10', quantity: '101' }, 'above_max_qty', 'quantity 101 is above the maximum 100 for ABC/USDT; use at most 100 or split the order'));

  it('price not on the tick', () =>
    refused({ ...base, price: '100.005', quantity: '1' }, 'price_not_on_tick', 'price 100.005 is not a multiple of the tick 0.01 for SOL/USDT; use 100.00 or 100.01'));

  it('trigger not on the tick', () =>
    refused({ symbol: 'SOL', side: 'sell', type: 'stop', triggerPrice: '140.001', quantity: '1' }, 'price_not_on_tick', /^triggerPrice 140.001 is not a multiple of the tick 0.01/));

  it('negative or zero price', () => {
    refused({ ...base, price: '-5', quantity: '1' }, 'invalid_amount', 'price must not be negative');
    refused({ ...base, price: '0', quantity: '1' }, 'invalid_amount', 'price must be greater than zero');
  });

  it('a price on a market order', () =>
    refused({ symbol: 'SOL', side: 'buy', type: 'market', price: '150', quantity: '1' }, 'price_not_allowed', 'a market order takes no price; drop price, or use type "limit" to set one'));

  it('a limit without price', () =>
    refused({ symbol: 'SOL', side: 'buy', type: 'limit', quantity: '1' }, 'price_required', 'a limit order needs a price; add price, or use type "market"'));

  it('a stop-limit without price', () =>
    refused({ symbol: 'SOL', side: 'sell', type: 'stop_limit', triggerPrice: '140', quantity: '1' }, 'price_required', /a stop_limit order needs a price/));

  it('a stop without trigger', () =>
    refused({ symbol: 'SOL', side: 'sell', type: 'stop', quantity: '1' }, 'trigger_required', 'a stop order needs a triggerPrice (the price that sets it off); add triggerPrice'));

  it('a take-profit without trigger', () =>
    refused({ symbol: 'SOL', side: 'sell', type: 'take_profit', quantity: '1' }, 'trigger_required', /take_profit order needs a triggerPrice/));

  it('a stop (market) with a limit price points to stop_limit', () =>
    refused({ symbol: 'SOL', side: 'sell', type: 'stop', triggerPrice: '140', price: '139', quantity: '1' }, 'price_not_allowed', /use type "stop_limit"/));

  it('a trigger on a limit order', () =>
    refused({ ...base, triggerPrice: '140', quantity: '1' }, 'trigger_not_allowed', /a limit order takes no triggerPrice/));

  it('trailing stop: needs exactly one distance, below 100%', () => {
    refused({ symbol: 'SOL', side: 'sell', type: 'trailing_stop', quantity: '1' }, 'trailing_required', /exactly one of trailingAmount/);
    refused({ symbol: 'SOL', side: 'sell', type: 'trailing_stop', quantity: '1', trailingAmount: '5', trailingPercent: '2' }, 'trailing_required', /exactly one/);
    refused({ symbol: 'SOL', side: 'sell', type: 'trailing_stop', quantity: '1', trailingPercent: '100' }, 'invalid_amount', /must be below 100/);
    refused({ symbol: 'SOL', side: 'sell', type: 'trailing_stop', quantity: '1', trailingAmount: '0.001' }, 'price_not_on_tick', /^trailingAmount 0.001/);
    refused({ symbol: 'SOL', side: 'sell', type: 'market', quantity: '1', trailingPercent: '2' }, 'trailing_not_allowed', /market order takes no trailing/);
  });

  it('twap/vwap need a schedule; other types take none; slices must stay above the minimum', () => {
    refused({ symbol: 'SOL', side: 'buy', type: 'twap', quantity: '10' }, 'schedule_required', /needs slices/);
    refused({ ...base, quantity: '1', slices: 3, durationMs: 60_000 }, 'schedule_not_allowed', /takes no slices/);
    refused({ symbol: 'SOL', side: 'buy', type: 'twap', quantity: '0.05', slices: 100, durationMs: 60_000 }, 'slice_below_min_qty',
      '100 slices of 0.05 SOL are 0 each, below the minimum 0.001; use at most 50 slices', '150');
    refused({ symbol: 'SOL', side: 'buy', type: 'twap', quantity: '10', slices: 5, durationMs: 60_000, timeInForce: 'ioc' }, 'invalid_input', /timeInForce ioc does not apply/, '150');
  });

  it('leverage above the market maximum', () =>
    refused({ symbol: 'BTC-PERP', side: 'buy', type: 'market', quantity: '0.01', leverage: '200' }, 'leverage_too_high', 'leverage 200x is above the maximum 125x for BTC-PERP; use at most 125x', '60000'));

  it('leverage below 1x', () =>
    refused({ symbol: 'BTC-PERP', side: 'buy', type: 'market', quantity: '0.01', leverage: '0.5' }, 'invalid_leverage', /below 1x/, '60000'));

  it('leverage on spot points at the perpetual', () =>
    refused({ symbol: 'SOL/USDT', side: 'buy', type: 'market', quantity: '1', leverage: '5' }, 'leverage_on_spot', 'SOL/USDT is a spot market and takes no leverage; trade SOL-PERP for leverage', '150'));

  it('leverage on a spot market with no perpetual says drop it', () =>
    refused({ symbol: 'DOGE', side: 'buy', type: 'market', quantity: '100', leverage: '3' }, 'leverage_on_spot', /takes no leverage; drop leverage/, '0.2'));

  it('post-only on a market order, with ioc, or on a stop', () => {
    refused({ symbol: 'SOL', side: 'buy', type: 'market', quantity: '1', postOnly: true }, 'post_only_on_market', /post_only cannot be used on a market order/, '150');
    refused({ ...base, quantity: '1', postOnly: true, timeInForce: 'ioc' }, 'post_only_conflict', /cannot be ioc/);
    refused({ symbol: 'SOL', side: 'sell', type: 'stop', triggerPrice: '140', quantity: '1', postOnly: true }, 'post_only_conflict', /limit orders only/);
  });

  it('reduce-only on a spot buy', () =>
    refused({ ...base, quantity: '1', reduceOnly: true }, 'reduce_only_on_spot_buy', /reduce_only on a spot buy cannot reduce anything/));

  it('unknown symbol, with a suggestion', () =>
    refused({ symbol: 'SOLUSD', side: 'buy', type: 'market', quantity: '1' }, 'unknown_symbol', /^unknown symbol SOLUSD; did you mean SOL\/USDT/));

  it('below the minimum order value: says the smallest size that works', () =>
    refused({ ...base, quantity: '0.01' }, 'below_min_notional', 'order value 1.50 USDT is below the minimum 5 USDT for SOL/USDT; use at least 0.034 SOL'));

  it('a market order is checked for minimum value at the reference price', () =>
    refused({ symbol: 'SOL', side: 'buy', type: 'market', quantity: '0.01' }, 'below_min_notional', /order value 1.50 USDT/, '150'));

  it('quote sizing: no price to convert at, or too small to buy anything', () => {
    refused({ symbol: 'SOL', side: 'buy', type: 'market', quoteQuantity: '100' }, 'price_required', /needs a price to convert at/);
    refused({ symbol: 'SOL', side: 'buy', type: 'market', quoteQuantity: '0.1' }, 'below_min_qty',
      '0.1 USDT of SOL at 150 is 0 SOL, below the minimum 0.001; spend at least 0.15 USDT', '150');
  });

  it('size: neither or both', () => {
    refused({ ...base }, 'size_required', 'give a size: quantity in SOL, or quoteQuantity in USDT');
    refused({ ...base, quantity: '1', quoteQuantity: '100' }, 'ambiguous_size', /not both/);
  });
});

describe('parseOrderRequest: malformed requests', () => {
  it.each([
    [{ symbol: 'SOL', side: 'hold', type: 'market', quantity: '1' }, /side: Invalid enum value/],
    [{ symbol: 'SOL', side: 'buy', type: 'iceberg', quantity: '1' }, /type: Invalid enum value/],
    [{ symbol: 'SOL', side: 'buy', type: 'market', quantity: true }, /quantity/],
    [{ symbol: 'SOL', side: 'buy', type: 'market', quantity: '1', account: 'someone-else' }, /Unrecognized key.*account/],
    [{ symbol: 'S'.repeat(65), side: 'buy', type: 'market', quantity: '1' }, /symbol/],
    [{ symbol: 'SOL', side: 'buy', type: 'market', quantity: '1'.repeat(65) }, /quantity is too long/],
    [{ symbol: 'SOL', side: 'buy', type: 'twap', quantity: '1', slices: 1.5, durationMs: 60_000 }, /slices/],
    [null, /order: Expected object/],
  ])('refuses %j', (raw, message) => {
    const r = parseOrderRequest(raw);
    const e = errorOf(r);
    expect(e.code).toBe('invalid_input');
    expect(e.message).toMatch(message);
  });

  it('parses a good request and trims decimal strings', () => {
    const r: OrderRequest = unwrap(parseOrderRequest({ symbol: 'SOL', side: 'buy', type: 'limit', price: ' 150 ', quantity: '1' }));
    expect(r.price).toBe('150');
    expect(unwrap(validateOrderRequest(r, MARKETS)).symbol).toBe('SOL/USDT');
  });
});

describe('order status transitions', () => {
  // The specification, written out independently of the table in src: every legal (status, event).
  const LEGAL: Record<string, string> = {
    'pending/accept': 'open', 'pending/reject': 'rejected', 'pending/partial_fill': 'partially_filled', 'pending/fill': 'filled',
    'pending/cancel': 'cancelled', 'pending/expire': 'expired',
    'open/trigger': 'open', 'open/amend': 'open', 'open/partial_fill': 'partially_filled', 'open/fill': 'filled',
    'open/cancel': 'cancelled', 'open/expire': 'expired',
    'partially_filled/amend': 'partially_filled', 'partially_filled/partial_fill': 'partially_filled', 'partially_filled/fill': 'filled',
    'partially_filled/cancel': 'cancelled', 'partially_filled/expire': 'expired',
  };
  const statuses = Object.values(OrderStatus);
  const events = Object.values(OrderEvent);

  it('allows exactly the legal transitions and denies everything else', () => {
    for (const s of statuses) {
      for (const e of events) {
        const r = transitionOrder(s, e);
        const expected = LEGAL[`${s}/${e}`];
        if (expected) expect(r.ok && r.value, `${s} --${e}--> ${expected}`).toBe(expected);
        else expect(r.ok ? r.value : r.error.code, `${s} --${e}--> must be denied`).toBe('illegal_transition');
      }
    }
  });

  it('terminal statuses are filled, cancelled, rejected, expired and have no way out', () => {
    expect([...TERMINAL_STATUSES].sort()).toEqual(['cancelled', 'expired', 'filled', 'rejected']);
    for (const s of TERMINAL_STATUSES) {
      expect(isTerminalStatus(s)).toBe(true);
      expect(allowedEvents(s), `${s} allows no event`).toEqual([]);
    }
    expect(isTerminalStatus('open')).toBe(false);
  });

  it('an illegal transition says why', () => {
    expect(errorOf(transitionOrder('filled', 'cancel')).message).toBe('cannot cancel an order that is filled; the order is already filled and cannot change');
    expect(errorOf(transitionOrder('pending', 'trigger')).message).toMatch(/^cannot trigger an order that is pending; allowed events are accept, reject/);
  });

  it('random event sequences never leave a terminal status', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom(...events), { maxLength: 40 }), (seq) => {
      let status: OrderStatus = 'pending';
      let terminalAt: OrderStatus | null = null;
      for (const e of seq) {
        const r = transitionOrder(status, e);
        if (terminalAt) expect(r.ok, `${terminalAt} must refuse ${e}`).toBe(false);
        if (r.ok) status = r.value;
        if (isTerminalStatus(status)) terminalAt = status;
      }
      if (terminalAt) expect(status, 'once terminal, the status never changes').toBe(terminalAt);
    }));
  });

  it('derives the status after a fill from filled vs ordered quantity', () => {
    expect(unwrap(statusAfterFill('open', dec('0.4'), dec('1')))).toBe('partially_filled');
    expect(unwrap(statusAfterFill('partially_filled', dec('1.0'), dec('1')))).toBe('filled');
    expect(unwrap(statusAfterFill('pending', dec('1'), dec('1'))), 'a venue may fill before acknowledging').toBe('filled');
    expect(unwrap(fillEventFor(dec('0.5'), dec('1')))).toBe('partial_fill');
    expect(errorOf(statusAfterFill('open', dec('1.5'), dec('1'))).code, 'overfill refused').toBe('overfill');
    expect(errorOf(statusAfterFill('open', dec('1.5'), dec('1'))).message).toMatch(/filled quantity 1.5 exceeds the order quantity 1/);
    expect(errorOf(statusAfterFill('open', dec('0'), dec('1'))).code, 'zero fill refused').toBe('invalid_fill');
    expect(errorOf(statusAfterFill('cancelled', dec('0.5'), dec('1'))).code, 'no fills after cancel').toBe('illegal_transition');
  });
});
