import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  applyFill, applyFunding, clampExitQuantity, fundingPayment, isLiquidated, isolatedMargin, liquidationFill, liquidationPrice,
  liquidationPriceFor, markPosition, planExits, resizeExits, sellAllQuantity, setStopLoss, unrealisedPnl,
  type ExitOrder, type Position, type PositionFill, type PositionUpdate,
} from '../../src/domain/position.js';
import type { Market } from '../../src/domain/market.js';
import { D, dec, sumDec, toPlain, ZERO, type Dec } from '../../src/domain/money.js';
import { BTC_PERP, decimalArb, errorOf, expectDec, SOL_PERP, SOL_USDT, T0, unwrap } from './trading-fixtures.js';

const at = (minutes: number): Date => new Date(T0.getTime() + minutes * 60_000);

function fill(symbol: string, side: 'buy' | 'sell', quantity: string, price: string, extra: Partial<PositionFill> = {}): PositionFill {
  return { symbol, side, quantity: dec(quantity), price: dec(price), fee: ZERO, at: T0, ...extra };
}

function apply(p: Position | null, f: PositionFill, m: Market): PositionUpdate {
  return unwrap(applyFill(p, f, m), `apply ${f.side} ${toPlain(f.quantity)} @ ${toPlain(f.price)}`);
}

describe('spot holdings at average cost', () => {
  it('buys average the cost; sells realise P&L pro rata; the last sell closes with a full record', () => {
    let u = apply(null, fill('SOL/USDT', 'buy', '1', '100', { fee: dec('0.1') }), SOL_USDT);
    expect(u.effect).toBe('opened');
    u = apply(u.position, fill('SOL/USDT', 'buy', '1', '110', { fee: dec('0.11'), at: at(60) }), SOL_USDT);
    expect(u.effect).toBe('increased');
    expectDec(u.position?.entryPrice, '105', '(100 + 110) / 2');
    u = apply(u.position, fill('SOL/USDT', 'sell', '0.5', '120', { fee: dec('0.06'), at: at(120) }), SOL_USDT);
    expect(u.effect).toBe('reduced');
    expectDec(u.realisedPnl, '7.5', '(120 − 105) × 0.5');
    expectDec(u.position?.entryPrice, '105', 'a sell does not move the average cost');
    u = apply(u.position, fill('SOL/USDT', 'sell', '1.5', '90', { fee: dec('0.135'), at: at(180) }), SOL_USDT);
    expect(u.effect).toBe('closed');
    expect(u.position, 'flat').toBeNull();
    const c = u.closed!;
    expectDec(c.realisedPnl, '-15', '7.5 + (90 − 105) × 1.5');
    expectDec(c.fees, '0.405', 'all four fees');
    expectDec(c.netPnl, '-15.405', 'realised − fees');
    expectDec(c.exitPrice, '97.5', '(0.5 × 120 + 1.5 × 90) / 2');
    expectDec(c.quantity, '2', 'quantity closed over the life');
    expect(c.holdingMs, 'three hours').toBe(3 * 3_600_000);
    expect(liquidationPrice(apply(null, fill('SOL/USDT', 'buy', '1', '100'), SOL_USDT).position!), 'spot has no liquidation').toBeNull();
  });

  it('never sells more than held', () => {
    const held = apply(null, fill('SOL/USDT', 'buy', '2', '100'), SOL_USDT).position;
    const e = errorOf(applyFill(held, fill('SOL/USDT', 'sell', '3', '100'), SOL_USDT));
    expect(e.code).toBe('insufficient_position');
    expect(e.message).toBe('cannot sell 3 SOL: only 2 held; sell at most 2');
    expect(errorOf(applyFill(null, fill('SOL/USDT', 'sell', '1', '100'), SOL_USDT)).message).toBe('cannot sell 1 SOL: none held');
  });

  it('reduce-only clamps to the holding and scales the fee', () => {
    const held = apply(null, fill('SOL/USDT', 'buy', '2', '100'), SOL_USDT).position;
    const u = apply(held, fill('SOL/USDT', 'sell', '5', '100', { reduceOnly: true, fee: dec('0.5') }), SOL_USDT);
    expectDec(u.appliedQuantity, '2', 'clamped to what is held');
    expectDec(u.appliedFee, '0.2', 'fee scaled 2/5');
    expect(u.effect).toBe('closed');
  });

  it('"sell all" and exit clamps never exceed the holding', () => {
    expectDec(sellAllQuantity(dec('1.23456'), dec('0.001')), '1.234', 'rounded down to the step');
    expectDec(sellAllQuantity(dec('-1'), dec('0.001')), '0', 'nothing to sell');
    expectDec(clampExitQuantity(dec('5'), dec('2.55'), dec('0.1')), '2.5', 'clamped and rounded down');
    fc.assert(fc.property(decimalArb(0n, 10n ** 12n, 6), decimalArb(0n, 10n ** 12n, 6), (req, held) => {
      const q = clampExitQuantity(req, held, dec('0.001'));
      expect(q.lte(held) && q.lte(req) && !q.isNeg(), `exit ${toPlain(q)} for request ${toPlain(req)} with ${toPlain(held)} held`).toBe(true);
    }));
  });

  it('refuses nonsense fills', () => {
    expect(errorOf(applyFill(null, fill('SOL/USDT', 'buy', '0', '100'), SOL_USDT)).code).toBe('invalid_fill');
    expect(errorOf(applyFill(null, fill('SOL/USDT', 'buy', '1', '-1'), SOL_USDT)).code).toBe('invalid_fill');
    expect(errorOf(applyFill(null, fill('SOL/USDT', 'buy', '1', '1', { fee: dec(-1) }), SOL_USDT)).message).toMatch(/fee must be zero or more/);
    expect(errorOf(applyFill(null, fill('BTC/USDT', 'buy', '1', '1'), SOL_USDT)).code).toBe('symbol_mismatch');
    expect(errorOf(applyFill(null, fill('SOL/USDT', 'buy', '1', '1', { reduceOnly: true }), SOL_USDT)).code, 'reduce-only with nothing held').toBe('nothing_to_reduce');
  });
});

describe('perpetual positions', () => {
  it('isolated margin and liquidation price (long below, short above)', () => {
    const long = apply(null, fill('BTC-PERP', 'buy', '0.1', '60000', { leverage: dec(10) }), BTC_PERP).position!;
    expectDec(isolatedMargin(long), '600', '6000 notional / 10x');
    expectDec(liquidationPrice(long), '54240', '60000 × (1 − 0.1 + 0.004)');
    const short = apply(null, fill('BTC-PERP', 'sell', '0.1', '60000', { leverage: dec(10) }), BTC_PERP).position!;
    expectDec(liquidationPrice(short), '65760', '60000 × (1 + 0.1 − 0.004)');
    expect(isLiquidated(long, dec('54240')) && !isLiquidated(long, dec('54240.1')), 'long liquidated at or below liq').toBe(true);
    expect(isLiquidated(short, dec('65760')) && !isLiquidated(short, dec('65759.9')), 'short liquidated at or above liq').toBe(true);
  });

  it('a liquidation loses the margin less the maintenance margin', () => {
    const long = apply(null, fill('SOL-PERP', 'buy', '1', '100', { leverage: dec(10) }), SOL_PERP).position!;
    const lf = liquidationFill(long, at(5))!;
    expectDec(lf.price, '91', '100 × (1 − 0.1 + 0.01)');
    const u = apply(long, lf, SOL_PERP);
    expectDec(u.realisedPnl, '-9', 'margin 10 − maintenance 1');
    expect(u.effect).toBe('closed');
  });

  it('unrealised P&L, drawdown tracking and funding', () => {
    let long = apply(null, fill('BTC-PERP', 'buy', '1', '60000', { leverage: dec(5) }), BTC_PERP).position!;
    expectDec(unrealisedPnl(long, dec('61000')), '1000', 'long gains as price rises');
    long = markPosition(markPosition(markPosition(long, dec('58000')), dec('59000')), dec('62000'));
    expectDec(long.worstUnrealisedPnl, '-2000', 'the worst mark is kept');
    expectDec(fundingPayment('long', dec(1), dec(60000), dec('0.0001')), '-6', 'longs pay positive funding');
    expectDec(fundingPayment('short', dec(1), dec(60000), dec('0.0001')), '6', 'shorts receive it');
    expectDec(fundingPayment('long', dec(1), dec(60000), dec('-0.0001')), '6', 'and the other way when negative');
    const funded = applyFunding(long, dec('0.0001'), dec(60000), at(480));
    expectDec(funded.position.funding, '-6', 'funding accumulates on the position');
    const closed = apply(funded.position, fill('BTC-PERP', 'sell', '1', '61000', { fee: dec(30), at: at(600) }), BTC_PERP).closed!;
    expectDec(closed.maxDrawdown, '2000', 'closed record keeps the drawdown');
    expectDec(closed.funding, '-6', 'and the funding');
    expectDec(closed.netPnl, '964', '1000 − 30 fee − 6 funding');
    expectDec(closed.riskConsumed, '12000', 'no stop: risk is the 60000 / 5 margin');
  });

  it('risk consumed is the distance to the stop when one is attached at entry, else the margin', () => {
    const withStop = apply(null, fill('SOL-PERP', 'buy', '10', '100', { leverage: dec(5), stopLossPrice: dec(95) }), SOL_PERP).position!;
    expectDec(withStop.maxRisk, '50', '10 × (100 − 95)');
    const grown = apply(withStop, fill('SOL-PERP', 'buy', '10', '100'), SOL_PERP).position!;
    expectDec(grown.maxRisk, '100', 'adding doubles the risk to the stop');
    const reduced = apply(grown, fill('SOL-PERP', 'sell', '15', '100'), SOL_PERP).position!;
    expectDec(reduced.maxRisk, '100', 'risk consumed keeps its high-water mark');
    const later = setStopLoss(apply(null, fill('SOL-PERP', 'buy', '10', '100', { leverage: dec(2) }), SOL_PERP).position!, dec(95));
    expectDec(later.maxRisk, '500', 'without a stop at entry the margin (500) was at risk until the stop was set');
    const flipped = apply(withStop, fill('SOL-PERP', 'sell', '20', '100'), SOL_PERP).position!;
    expect(flipped.stopLossPrice, 'the long stop does not carry over to the new short').toBeUndefined();
  });

  it('adding moves the entry and the liquidation follows; a partial close leaves both', () => {
    let u = apply(null, fill('SOL-PERP', 'buy', '1', '100', { leverage: dec(5) }), SOL_PERP);
    u = apply(u.position, fill('SOL-PERP', 'buy', '1', '120'), SOL_PERP);
    expectDec(u.position?.entryPrice, '110', 'average entry');
    expectDec(liquidationPrice(u.position!), '89.1', '110 × (1 − 0.2 + 0.01)');
    u = apply(u.position, fill('SOL-PERP', 'sell', '0.5', '130'), SOL_PERP);
    expectDec(u.realisedPnl, '10', '(130 − 110) × 0.5');
    expectDec(liquidationPrice(u.position!), '89.1', 'unchanged by a partial close');
  });

  it('a flip closes the old side and opens the rest the other way, fee split pro rata', () => {
    const long = apply(null, fill('SOL-PERP', 'buy', '1', '100', { leverage: dec(5) }), SOL_PERP).position;
    const u = apply(long, fill('SOL-PERP', 'sell', '3', '110', { fee: dec('0.3'), at: at(30) }), SOL_PERP);
    expect(u.effect).toBe('flipped');
    expectDec(u.closed?.realisedPnl, '10', 'long closed at +10');
    expectDec(u.closed?.fees, '0.1', 'a third of the fee to the close');
    const short = u.position!;
    expect(short.side).toBe('short');
    expectDec(short.quantity, '2', 'remainder');
    expectDec(short.entryPrice, '110', 'opened at the fill price');
    expectDec(short.fees, '0.2', 'two thirds of the fee');
    expectDec(liquidationPrice(short), '130.9', '110 × (1 + 0.2 − 0.01): the liq follows the new short');
    expect(short.openedAt, 'the new position starts at the flip').toEqual(at(30));
  });

  it('reduce-only never flips a perp', () => {
    const long = apply(null, fill('SOL-PERP', 'buy', '1', '100', { leverage: dec(5) }), SOL_PERP).position;
    const u = apply(long, fill('SOL-PERP', 'sell', '3', '110', { reduceOnly: true }), SOL_PERP);
    expect(u.effect).toBe('closed');
    expect(u.position).toBeNull();
    expect(errorOf(applyFill(long, fill('SOL-PERP', 'buy', '1', '100', { reduceOnly: true }), SOL_PERP)).message).toMatch(/would grow the long SOL-PERP position/);
  });

  it('refuses leverage that would liquidate at once', () => {
    const e = errorOf(applyFill(null, fill('SOL-PERP', 'buy', '1', '100', { leverage: dec(100) }), SOL_PERP));
    expect(e.code).toBe('leverage_too_high');
    expect(e.message).toBe('leverage 100x on SOL-PERP would be liquidated at once (maintenance margin 1%); use at most 99x');
    expect(errorOf(applyFill(null, fill('SOL-PERP', 'buy', '1', '100', { leverage: dec('0.5') }), SOL_PERP)).code).toBe('invalid_leverage');
  });
});

describe('perpetual invariants (property)', () => {
  const fillArb = fc.record({
    side: fc.constantFrom('buy' as const, 'sell' as const),
    units: fc.integer({ min: 1, max: 5000 }),
    price: decimalArb(1n, 10_000_000n, 2),
  });
  // Leverage in (1, 125] with two decimals; maintenance margin rate strictly below 1 / leverage.
  const leverageArb = fc.integer({ min: 101, max: 12_500 }).map((n) => dec(n).div(100));
  const setupArb = leverageArb.chain((lev) =>
    fc.tuple(fc.constant(lev), fc.integer({ min: 0, max: 999 }).map((k) => new D(1).div(lev).mul(k).div(1000))));

  it('long liq < entry < short liq, before and after random adds, partial closes and flips; size equals the sum of fills', () => {
    fc.assert(fc.property(setupArb, fc.array(fillArb, { minLength: 1, maxLength: 25 }), ([leverage, mmr], fills) => {
      const market: Market = { ...BTC_PERP, maxLeverage: 125, maintenanceMarginRate: mmr };
      const step = market.stepSize;
      let position: Position | null = null;
      let signed = ZERO;
      let cash = ZERO;
      let realised = ZERO;
      let lastPrice = dec(1);
      for (const f of fills) {
        const qty = step.mul(f.units);
        const u: PositionUpdate = unwrap(applyFill(position, { symbol: 'BTC-PERP', side: f.side, quantity: qty, price: f.price, fee: ZERO, at: T0, leverage }, market));
        position = u.position;
        signed = signed.add(f.side === 'buy' ? qty : qty.neg());
        cash = cash.add(f.side === 'buy' ? qty.mul(f.price).neg() : qty.mul(f.price));
        realised = realised.add(u.realisedPnl);
        lastPrice = f.price;
        const posSigned = position === null ? ZERO : position.side === 'long' ? position.quantity : position.quantity.neg();
        expect(posSigned.eq(signed), `position ${toPlain(posSigned)} must equal the sum of fills ${toPlain(signed)}`).toBe(true);
        if (position) {
          const liq = liquidationPrice(position)!;
          const expected = liquidationPriceFor(position.side, position.entryPrice, position.leverage, mmr);
          expect(liq.eq(expected), 'liq follows the resulting position').toBe(true);
          if (position.side === 'long') expect(liq.lt(position.entryPrice), `long liq ${toPlain(liq)} < entry ${toPlain(position.entryPrice)} at ${toPlain(leverage)}x`).toBe(true);
          else expect(liq.gt(position.entryPrice), `short liq ${toPlain(liq)} > entry ${toPlain(position.entryPrice)} at ${toPlain(leverage)}x`).toBe(true);
        }
      }
      // P&L is conserved: realised + unrealised at the last price = cash flow + position × price.
      const unreal = position ? unrealisedPnl(position, lastPrice) : ZERO;
      const total = realised.add(unreal);
      const byCash = cash.add(signed.mul(lastPrice));
      expect(total.sub(byCash).abs().lt('1e-30'), `realised + unrealised ${toPlain(total)} must equal cash P&L ${toPlain(byCash)}`).toBe(true);
    }));
  });

  it('a spot holding never goes negative and sells beyond it are refused', () => {
    fc.assert(fc.property(fc.array(fillArb, { maxLength: 30 }), (fills) => {
      let position: Position | null = null;
      for (const f of fills) {
        const qty = SOL_USDT.stepSize.mul(f.units);
        const held = position?.quantity ?? ZERO;
        const r = applyFill(position, { symbol: 'SOL/USDT', side: f.side, quantity: qty, price: f.price, fee: ZERO, at: T0 }, SOL_USDT);
        if (f.side === 'sell' && qty.gt(held)) {
          expect(r.ok, `selling ${toPlain(qty)} with ${toPlain(held)} held must be refused`).toBe(false);
          continue;
        }
        position = unwrap(r).position;
        expect(position === null || position.quantity.gt(0), 'an open holding is positive').toBe(true);
      }
    }));
  });
});

describe('exits attached at entry', () => {
  const step = dec('0.001');

  it('plans a stop for the whole position and take-profits by fraction, nearest first', () => {
    const exits = unwrap(planExits({
      side: 'long', quantity: dec(1), entryPrice: dec(100), step, stopLoss: { id: 'sl', price: dec(95) },
      takeProfits: [{ id: 'tp2', price: dec(120), fraction: dec('0.5') }, { id: 'tp1', price: dec(110), fraction: dec('0.5') }],
    }));
    expect(exits.map((e) => [e.id, toPlain(e.quantity)])).toEqual([['sl', '1'], ['tp1', '0.5'], ['tp2', '0.5']]);
  });

  it('an even split puts the rounding remainder in the last take-profit', () => {
    const exits = unwrap(planExits({
      side: 'short', quantity: dec(1), entryPrice: dec(100), step,
      takeProfits: [{ id: 'a', price: dec(90) }, { id: 'b', price: dec(80) }, { id: 'c', price: dec(95) }],
    }));
    expect(exits.map((e) => [e.id, toPlain(e.quantity)]), 'short targets nearest (highest) first').toEqual([['c', '0.333'], ['a', '0.333'], ['b', '0.334']]);
  });

  it('refuses exits on the wrong side or oversized', () => {
    const base = { side: 'long' as const, quantity: dec(1), entryPrice: dec(100), step };
    expect(errorOf(planExits({ ...base, stopLoss: { id: 's', price: dec(101) } })).message).toBe('a stop loss for a long must be below the entry 100, got 101');
    expect(errorOf(planExits({ ...base, side: 'short', stopLoss: { id: 's', price: dec(99) } })).message).toMatch(/for a short must be above/);
    expect(errorOf(planExits({ ...base, takeProfits: [{ id: 't', price: dec(90) }] })).message).toBe('a take-profit for a long must be above the entry 100, got 90');
    expect(errorOf(planExits({ ...base, takeProfits: [{ id: 'a', price: dec(110), fraction: dec('0.7') }, { id: 'b', price: dec(120), fraction: dec('0.7') }] })).message)
      .toMatch(/add up to 1.4, more than the whole position/);
    expect(errorOf(planExits({ ...base, takeProfits: [{ id: 'a', price: dec(110), fraction: dec('0.5') }, { id: 'b', price: dec(120) }] })).message)
      .toMatch(/for every take-profit, or for none/);
  });

  const exits: ExitOrder[] = [
    { id: 'sl', kind: 'stop_loss', triggerPrice: dec(95), quantity: dec(1) },
    { id: 'tp1', kind: 'take_profit', triggerPrice: dec(110), quantity: dec('0.5') },
    { id: 'tp2', kind: 'take_profit', triggerPrice: dec(120), quantity: dec('0.5') },
  ];

  it('after a take-profit fills, the stop shrinks to what is left and the others keep their size', () => {
    const r = resizeExits({ exits, side: 'long', positionQuantity: dec('0.5'), step, filledExitId: 'tp1' });
    expect(r.exits.map((e) => [e.id, toPlain(e.quantity)])).toEqual([['sl', '0.5'], ['tp2', '0.5']]);
    expect(r.resized).toEqual(['sl']);
    expect(r.cancelled).toEqual([]);
  });

  it('after a manual partial close, the farthest take-profit is trimmed, and tiny ones cancelled', () => {
    const r = resizeExits({ exits, side: 'long', positionQuantity: dec('0.7'), step });
    expect(r.exits.map((e) => [e.id, toPlain(e.quantity)])).toEqual([['sl', '0.7'], ['tp1', '0.5'], ['tp2', '0.2']]);
    const tiny = resizeExits({ exits, side: 'long', positionQuantity: dec('0.5005'), step, minQty: dec('0.01') });
    expect(tiny.cancelled, 'tp2 would be 0.000').toEqual(['tp2']);
  });

  it('when the stop fills (flat) every other exit is cancelled', () => {
    const r = resizeExits({ exits, side: 'long', positionQuantity: ZERO, step, filledExitId: 'sl' });
    expect(r.exits).toEqual([]);
    expect(r.cancelled).toEqual(['tp1', 'tp2']);
  });

  it('exits never add up to more than is held (property)', () => {
    fc.assert(fc.property(
      fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 5 }), fc.integer({ min: 0, max: 3000 }),
      (tpUnits, heldUnits) => {
        const tps: ExitOrder[] = tpUnits.map((u, i) => ({ id: `tp${i}`, kind: 'take_profit', triggerPrice: dec(101 + i), quantity: step.mul(u) }));
        const held = step.mul(heldUnits);
        const r = resizeExits({ exits: [{ id: 'sl', kind: 'stop_loss', triggerPrice: dec(90), quantity: dec(1) }, ...tps], side: 'long', positionQuantity: held, step });
        const tpTotal: Dec = sumDec(r.exits.filter((e) => e.kind === 'take_profit').map((e) => e.quantity));
        expect(tpTotal.lte(held), `take-profits ${toPlain(tpTotal)} exceed the ${toPlain(held)} held`).toBe(true);
        for (const e of r.exits) expect(e.quantity.lte(held) && e.quantity.gt(0), `${e.id} ${toPlain(e.quantity)} within holding`).toBe(true);
        expect(r.exits.length + r.cancelled.length, 'every exit is kept or cancelled').toBe(tps.length + 1);
      },
    ));
  });
});
