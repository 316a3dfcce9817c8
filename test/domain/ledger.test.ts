import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  applyEntries, applyFundingPayment, balanceOf, balancesFromEntries, chargeFee, deposit, EMPTY_BALANCES, lockMargin, release, releaseMargin,
  reservationFor, reserve, settleSpotFill, withdraw, type Balances, type LedgerChange, type LedgerEntry,
} from '../../src/domain/ledger.js';
import { dec, toPlain, ZERO, type Dec } from '../../src/domain/money.js';
import type { Result } from '../../src/domain/result.js';
import { BTC_PERP, decimalArb, errorOf, expectDec, SOL_USDT, unwrap } from './trading-fixtures.js';

function funded(usdt: string, sol = '0'): Balances {
  let b = unwrap(deposit(EMPTY_BALANCES, 'USDT', dec(usdt))).balances;
  if (dec(sol).gt(0)) b = unwrap(deposit(b, 'SOL', dec(sol))).balances;
  return b;
}

function expectBalance(b: Balances, asset: string, free: string, locked: string, why: string): void {
  expectDec(balanceOf(b, asset).free, free, `${why}: ${asset} free`);
  expectDec(balanceOf(b, asset).locked, locked, `${why}: ${asset} locked`);
}

describe('ledger operations', () => {
  it('deposit and withdraw record one entry each', () => {
    const d = unwrap(deposit(EMPTY_BALANCES, 'USDT', dec(1000), 'dep-1'));
    expect(d.entries).toEqual([{ asset: 'USDT', freeDelta: dec(1000), lockedDelta: ZERO, reason: 'deposit', ref: 'dep-1' }]);
    const w = unwrap(withdraw(d.balances, 'USDT', dec(400)));
    expectBalance(w.balances, 'USDT', '600', '0', 'after withdrawing 400');
    expect(errorOf(withdraw(w.balances, 'USDT', dec(601))).code, 'cannot withdraw more than free').toBe('insufficient_funds');
  });

  it('reserve moves free to locked and refuses when not enough is free, with the numbers', () => {
    const b = unwrap(reserve(funded('100'), 'USDT', dec(30))).balances;
    expectBalance(b, 'USDT', '70', '30', 'after reserving 30');
    const e = errorOf(reserve(b, 'USDT', dec(150)));
    expect(e.code).toBe('insufficient_funds');
    expect(e.message).toBe('not enough USDT: this needs 150 USDT free, 70 is free (30 held for open orders and margin); deposit more or reduce the size');
    expect(errorOf(reserve(EMPTY_BALANCES, 'BTC', dec(1))).message, 'an asset never held').toMatch(/^not enough BTC: this needs 1 BTC free, 0 is free/);
  });

  it('release moves locked back to free, never more than is locked', () => {
    const b = unwrap(reserve(funded('100'), 'USDT', dec(30))).balances;
    expectBalance(unwrap(release(b, 'USDT', dec(10))).balances, 'USDT', '80', '20', 'after releasing 10');
    const e = errorOf(release(b, 'USDT', dec(31)));
    expect(e.code).toBe('insufficient_locked');
    expect(e.message).toBe('only 30 USDT is held, less than the 31 this needs; the reservation was too small');
  });

  it('refuses zero, negative and non-finite amounts', () => {
    expect(errorOf(deposit(EMPTY_BALANCES, 'USDT', ZERO)).message).toBe('deposit amount must be greater than zero, got 0');
    expect(errorOf(reserve(funded('1'), 'USDT', dec(-1))).code).toBe('invalid_amount');
    expect(errorOf(chargeFee(funded('1'), 'USDT', dec(-1))).code).toBe('invalid_amount');
    expect(errorOf(settleSpotFill(funded('1'), { side: 'buy', base: 'SOL', quote: 'USDT', quantity: dec(1), price: dec(1), fee: dec(-1) })).code).toBe('invalid_amount');
  });

  it('a spot buy settles from the reservation: quote debited with the fee, base credited', () => {
    let b = unwrap(reserve(funded('1000'), 'USDT', dec('201'))).balances;
    const s = unwrap(settleSpotFill(b, { side: 'buy', base: 'SOL', quote: 'USDT', quantity: dec(2), price: dec(100), fee: dec('0.2'), ref: 'fill-1' }));
    expect(s.entries.map((e) => [e.asset, e.reason, toPlain(e.freeDelta), toPlain(e.lockedDelta)])).toEqual([
      ['USDT', 'trade_debit', '0', '-200'], ['SOL', 'trade_credit', '2', '0'], ['USDT', 'fee', '0', '-0.2'],
    ]);
    b = s.balances;
    expectBalance(b, 'USDT', '799', '0.8', 'cost and fee from locked');
    expectBalance(b, 'SOL', '2', '0', 'bought SOL is free');
    expectBalance(unwrap(release(b, 'USDT', dec('0.8'))).balances, 'USDT', '799.8', '0', 'unused reservation released');
  });

  it('a spot sell settles from the reserved base; the fee comes out of the proceeds', () => {
    const b = unwrap(reserve(funded('0.01', '2'), 'SOL', dec(2))).balances;
    const s = unwrap(settleSpotFill(b, { side: 'sell', base: 'SOL', quote: 'USDT', quantity: dec(2), price: dec(110), fee: dec('0.22') }));
    expectBalance(s.balances, 'SOL', '0', '0', 'sold');
    expectBalance(s.balances, 'USDT', '219.79', '0', '0.01 + 220 − 0.22');
  });

  it('a fill larger than its reservation is refused', () => {
    const b = unwrap(reserve(funded('1000'), 'USDT', dec(100))).balances;
    expect(errorOf(settleSpotFill(b, { side: 'buy', base: 'SOL', quote: 'USDT', quantity: dec(2), price: dec(100), fee: ZERO })).code).toBe('insufficient_locked');
  });

  it('perp margin: lock, then release with realised P&L and the closing fee', () => {
    let b = unwrap(lockMargin(funded('1000'), 'USDT', dec(600))).balances;
    expectBalance(b, 'USDT', '400', '600', 'margin locked');
    b = unwrap(releaseMargin(b, 'USDT', { margin: dec(600), realisedPnl: dec(-250), fee: dec(3) })).balances;
    expectBalance(b, 'USDT', '747', '0', '400 + 600 − 250 − 3');
    const small = unwrap(lockMargin(funded('10'), 'USDT', dec(10))).balances;
    const e = errorOf(releaseMargin(small, 'USDT', { margin: dec(10), realisedPnl: dec(-11) }));
    expect(e.code, 'a loss beyond margin and free cash is refused, never a negative balance').toBe('insufficient_funds');
  });

  it('funding: received to free; paid from free first, then from margin; refused beyond both', () => {
    let b = unwrap(lockMargin(funded('100'), 'USDT', dec(95))).balances;
    b = unwrap(applyFundingPayment(b, 'USDT', dec(2))).balances;
    expectBalance(b, 'USDT', '7', '95', 'received');
    const paid = unwrap(applyFundingPayment(b, 'USDT', dec(-10)));
    expect(paid.entries.map((e) => [toPlain(e.freeDelta), toPlain(e.lockedDelta)]), 'split between free and margin').toEqual([['-7', '0'], ['0', '-3']]);
    expectBalance(paid.balances, 'USDT', '0', '92', 'after paying 10');
    expect(errorOf(applyFundingPayment(paid.balances, 'USDT', dec(-93))).code).toBe('insufficient_funds');
    expect(unwrap(applyFundingPayment(b, 'USDT', ZERO)).entries, 'zero funding makes no entry').toEqual([]);
  });
});

describe('reservations', () => {
  it('spot buy: quantity × limit × (1 + taker fee)', () => {
    const r = unwrap(reservationFor({ market: SOL_USDT, side: 'buy', quantity: dec(2), limitPrice: dec(100), takerFeeRate: dec('0.001') }));
    expect(r.asset).toBe('USDT');
    expectDec(r.amount, '200.2', '2 × 100 × 1.001');
  });

  it('spot market buy: reference price plus the slippage buffer', () => {
    const r = unwrap(reservationFor({ market: SOL_USDT, side: 'buy', quantity: dec(2), referencePrice: dec(100), slippageBufferBps: dec(50), takerFeeRate: dec('0.001') }));
    expectDec(r.priceUsed, '100.5', '100 + 50 bps');
    expectDec(r.amount, '201.201', '2 × 100.5 × 1.001');
  });

  it('spot sell: the base quantity', () => {
    const r = unwrap(reservationFor({ market: SOL_USDT, side: 'sell', quantity: dec(2), takerFeeRate: dec('0.001') }));
    expect(r.asset).toBe('SOL');
    expectDec(r.amount, '2', 'the SOL being sold');
  });

  it('perp: margin plus the maximum fee; reduce-only holds nothing', () => {
    const r = unwrap(reservationFor({ market: BTC_PERP, side: 'sell', quantity: dec(1), limitPrice: dec(60000), leverage: dec(10), takerFeeRate: dec('0.0005') }));
    expectDec(r.amount, '6030', '60000 / 10 + 60000 × 0.0005');
    const ro = unwrap(reservationFor({ market: BTC_PERP, side: 'buy', quantity: dec(1), limitPrice: dec(60000), leverage: dec(10), takerFeeRate: dec('0.0005'), reduceOnly: true }));
    expectDec(ro.amount, '0', 'reduce-only frees margin, holds none');
  });

  it('needs a price for anything paid in quote', () => {
    expect(errorOf(reservationFor({ market: SOL_USDT, side: 'buy', quantity: dec(1), takerFeeRate: dec('0.001') })).code).toBe('price_required');
  });
});

describe('ledger invariants (property)', () => {
  // Amounts are a percentage (1–120%) of the balance an operation draws on, so most operations
  // succeed and some ask for more than there is and must be refused.
  type Op = { kind: string; asset: 'USDT' | 'SOL'; amount: Dec; percent: number; pnl: Dec };
  const opArb: fc.Arbitrary<Op> = fc.record({
    kind: fc.constantFrom('deposit', 'withdraw', 'reserve', 'release', 'buy', 'sell', 'fee_free', 'fee_locked', 'lock_margin', 'release_margin', 'funding'),
    asset: fc.constantFrom('USDT' as const, 'SOL' as const),
    amount: decimalArb(1n, 100_000_000n, 4),
    percent: fc.integer({ min: 1, max: 120 }),
    pnl: decimalArb(-50_000_000n, 50_000_000n, 4),
  });

  function run(b: Balances, op: Op): Result<LedgerChange> {
    const share = (d: Dec): Dec => d.mul(op.percent).div(100);
    const free = balanceOf(b, op.asset).free;
    const locked = balanceOf(b, op.asset).locked;
    const usdt = balanceOf(b, 'USDT');
    switch (op.kind) {
      case 'deposit': return deposit(b, op.asset, op.amount);
      case 'withdraw': return withdraw(b, op.asset, share(free));
      case 'reserve': return reserve(b, op.asset, share(free));
      case 'release': return release(b, op.asset, share(locked));
      case 'buy': {
        // Spend `percent` of the locked USDT on SOL at 100 with a 0.1% fee.
        const quantity = share(usdt.locked).div('100.1');
        return settleSpotFill(b, { side: 'buy', base: 'SOL', quote: 'USDT', quantity, price: dec(100), fee: quantity.mul('0.1') });
      }
      case 'sell': {
        const quantity = share(balanceOf(b, 'SOL').locked);
        return settleSpotFill(b, { side: 'sell', base: 'SOL', quote: 'USDT', quantity, price: dec(100), fee: quantity.mul('0.1') });
      }
      case 'fee_free': return chargeFee(b, op.asset, share(free));
      case 'fee_locked': return chargeFee(b, op.asset, share(locked), 'locked');
      case 'lock_margin': return lockMargin(b, 'USDT', share(usdt.free));
      case 'release_margin': return releaseMargin(b, 'USDT', { margin: share(usdt.locked), realisedPnl: op.pnl.div(1000), fee: share(usdt.locked).div(1000) });
      default: return applyFundingPayment(b, 'USDT', op.pnl.div(1000));
    }
  }

  it('entries always sum to balances and no balance ever goes negative', () => {
    let succeeded = 0;
    let refused = 0;
    fc.assert(fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
      const start = [unwrap(deposit(EMPTY_BALANCES, 'USDT', dec(100_000)))];
      start.push(unwrap(deposit(start[0]!.balances, 'SOL', dec(1_000))));
      let balances: Balances = start[1]!.balances;
      const history: LedgerEntry[] = start.flatMap((c) => c.entries);
      for (const op of ops) {
        const before = balances;
        const r = run(balances, op);
        if (!r.ok) {
          refused++;
          expect(balances, `a refused ${op.kind} changes nothing`).toBe(before);
          continue;
        }
        succeeded++;
        expect(unwrap(applyEntries(before, r.value.entries)), `${op.kind}: balances are the entries applied`).toEqual(r.value.balances);
        balances = r.value.balances;
        history.push(...r.value.entries);
        for (const bal of Object.values(balances)) {
          expect(bal.free.gte(0) && bal.locked.gte(0), `${op.kind} left ${bal.asset} at free ${toPlain(bal.free)}, locked ${toPlain(bal.locked)}`).toBe(true);
        }
      }
      const folded = balancesFromEntries(history);
      for (const asset of new Set([...Object.keys(folded), ...Object.keys(balances)])) {
        const a = balanceOf(folded, asset);
        const b = balanceOf(balances, asset);
        expect(a.free.eq(b.free) && a.locked.eq(b.locked), `${asset}: entries sum to ${toPlain(a.free)}/${toPlain(a.locked)}, balance ${toPlain(b.free)}/${toPlain(b.locked)}`).toBe(true);
      }
    }), { numRuns: 300 });
    expect(succeeded, 'the generator must mostly produce operations that go through').toBeGreaterThan(refused);
    expect(refused, 'and some that must be refused').toBeGreaterThan(0);
  });
});
