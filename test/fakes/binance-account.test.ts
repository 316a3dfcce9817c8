// Ledger invariants of the fake Binance's matching engine (the state behind the HTTP server): whatever
// sequence of orders, fills, cancels and price moves, balances never go negative, what is locked is
// exactly what open orders hold, and every asset's total moved only by the trades and their fees.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { D } from '../../src/domain/money.js';
import { BinancePrivateState, type BinanceMarketRef } from './binance-account.js';
import { BinanceRejection } from './binance-account-errors.js';

const KEY = 'prop-key';

type Action =
  | { kind: 'limit'; side: 'BUY' | 'SELL'; ticksFromMid: number; lots: number }
  | { kind: 'market'; side: 'BUY' | 'SELL'; lots: number }
  | { kind: 'cancel'; pick: number }
  | { kind: 'fill'; pick: number; part: number }
  | { kind: 'price'; ticksFromStart: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant('limit' as const), side: fc.constantFrom('BUY' as const, 'SELL' as const), ticksFromMid: fc.integer({ min: -50, max: 50 }), lots: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('market' as const), side: fc.constantFrom('BUY' as const, 'SELL' as const), lots: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('fill' as const), pick: fc.nat(), part: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('price' as const), ticksFromStart: fc.integer({ min: -80, max: 80 }) }),
);

describe('fake Binance matching engine', () => {
  it('keeps the spot ledger exact through any sequence of orders, fills, cancels and price moves', () => {
    fc.assert(
      fc.property(fc.array(action, { maxLength: 40 }), (actions) => {
        const market: BinanceMarketRef = { symbol: 'ETHUSDT', base: 'ETH', quote: 'USDT', tickSize: '0.01', stepSize: '0.0001', minQty: '0.0001', maxQty: '9000', minNotional: '5', price: '100.00' };
        const state = new BinancePrivateState({
          now: () => 1_700_000_000_000,
          spotMarket: (s) => (s === 'ETHUSDT' ? market : undefined),
          perpMarket: () => undefined,
          spotMarkets: () => [market],
          perpMarkets: () => [],
        });
        state.addAccount({ apiKey: KEY, secret: 's', spot: { USDT: '1000', ETH: '10' } });
        let n = 0;
        for (const a of actions) {
          try {
            if (a.kind === 'limit' || a.kind === 'market') {
              const qty = new D('0.1').mul(a.lots).toString();
              const p: Record<string, string> = { symbol: 'ETHUSDT', side: a.side, type: a.kind === 'limit' ? 'LIMIT' : 'MARKET', quantity: qty, newClientOrderId: `o${n++}` };
              if (a.kind === 'limit') {
                p['price'] = new D(market.price).plus(new D('0.5').mul(a.ticksFromMid)).toFixed(2);
                p['timeInForce'] = 'GTC';
              }
              state.placeSpotOrder(KEY, p);
            } else if (a.kind === 'cancel') {
              const open = state.orders(KEY).filter((o) => o.status === 'NEW' || o.status === 'PARTIALLY_FILLED');
              const o = open[a.pick % Math.max(open.length, 1)];
              if (o) state.cancelOrder(KEY, 'spot', { symbol: 'ETHUSDT', orderId: String(o.orderId) });
            } else if (a.kind === 'fill') {
              const open = state.orders(KEY).filter((o) => o.status === 'NEW' || o.status === 'PARTIALLY_FILLED');
              const o = open[a.pick % Math.max(open.length, 1)];
              if (o) {
                const remaining = new D(o.origQty).minus(o.executedQty);
                const qty = remaining.div(a.part).div('0.0001').floor().mul('0.0001');
                if (qty.gt(0)) state.fill(o.clientOrderId, { quantity: qty.toString() });
              }
            } else {
              market.price = new D(100).plus(new D('0.5').mul(a.ticksFromStart)).toFixed(2);
              state.onPrice('spot', 'ETHUSDT');
            }
          } catch (err) {
            // The venue refusing (insufficient balance, filters) is fine; anything else is a bug.
            if (!(err instanceof BinanceRejection)) throw err;
          }
        }
        const bal = state.balances(KEY, 'spot');
        const trades = state.trades(KEY);
        const orders = state.orders(KEY);
        for (const asset of ['USDT', 'ETH']) {
          const b = bal[asset]!;
          expect(new D(b.free).gte(0), `${asset} free never negative`).toBe(true);
          expect(new D(b.locked).gte(0), `${asset} locked never negative`).toBe(true);
        }
        const open = orders.filter((o) => o.status === 'NEW' || o.status === 'PARTIALLY_FILLED');
        const lockedUsdt = open.filter((o) => o.side === 'BUY').reduce((t, o) => t.plus(new D(o.origQty).minus(o.executedQty).mul(o.price)), new D(0));
        const lockedEth = open.filter((o) => o.side === 'SELL').reduce((t, o) => t.plus(new D(o.origQty).minus(o.executedQty)), new D(0));
        expect(bal['USDT']!.locked, 'locked USDT is what open buys hold').toBe(lockedUsdt.toString());
        expect(bal['ETH']!.locked, 'locked ETH is what open sells hold').toBe(lockedEth.toString());
        let usdt = new D(1000);
        let eth = new D(10);
        for (const t of trades) {
          if (t.side === 'BUY') {
            usdt = usdt.minus(t.quoteQty);
            eth = eth.plus(t.qty).minus(t.commission);
          } else {
            eth = eth.minus(t.qty);
            usdt = usdt.plus(t.quoteQty).minus(t.commission);
          }
        }
        expect(new D(bal['USDT']!.free).plus(bal['USDT']!.locked).toString(), 'USDT moved only by trades and fees').toBe(usdt.toString());
        expect(new D(bal['ETH']!.free).plus(bal['ETH']!.locked).toString(), 'ETH moved only by trades and fees').toBe(eth.toString());
        const ids = trades.map((t) => t.id);
        expect(ids, 'trade ids strictly increase').toEqual([...ids].sort((x, y) => x - y));
        expect(new Set(ids).size).toBe(ids.length);
        for (const o of orders) expect(new D(o.executedQty).lte(o.origQty), 'never overfilled').toBe(true);
      }),
      { numRuns: 150, seed: 20261206 },
    );
  });

  it('keeps the futures wallet equal to deposits plus realised PnL less fees, and the position equal to the signed fills', () => {
    fc.assert(
      fc.property(fc.array(action, { maxLength: 40 }), (actions) => {
        const market: BinanceMarketRef = { symbol: 'ETHUSDT', base: 'ETH', quote: 'USDT', tickSize: '0.01', stepSize: '0.001', minQty: '0.001', maxQty: '10000', minNotional: '5', price: '100.00' };
        const state = new BinancePrivateState({
          now: () => 1_700_000_000_000,
          spotMarket: () => undefined,
          perpMarket: (s) => (s === 'ETHUSDT' ? market : undefined),
          spotMarkets: () => [],
          perpMarkets: () => [market],
        });
        state.addAccount({ apiKey: KEY, secret: 's', futures: { USDT: '1000' } });
        let n = 0;
        for (const a of actions) {
          try {
            if (a.kind === 'limit' || a.kind === 'market') {
              const p: Record<string, string> = { symbol: 'ETHUSDT', side: a.side, type: a.kind === 'limit' ? 'LIMIT' : 'MARKET', quantity: new D('0.5').mul(a.lots).toString(), newClientOrderId: `f${n++}` };
              if (a.kind === 'limit') {
                p['price'] = new D(market.price).plus(new D('0.5').mul(a.ticksFromMid)).toFixed(2);
                p['timeInForce'] = 'GTC';
              }
              state.placeFuturesOrder(KEY, p, false);
            } else if (a.kind === 'cancel' || a.kind === 'fill') {
              const open = state.orders(KEY).filter((o) => o.status === 'NEW' || o.status === 'PARTIALLY_FILLED');
              const o = open[a.pick % Math.max(open.length, 1)];
              if (o && a.kind === 'cancel') state.cancelOrder(KEY, 'futures', { symbol: 'ETHUSDT', orderId: String(o.orderId) });
              if (o && a.kind === 'fill') {
                const qty = new D(o.origQty).minus(o.executedQty).div(a.part).div('0.001').floor().mul('0.001');
                if (qty.gt(0)) state.fill(o.clientOrderId, { quantity: qty.toString() });
              }
            } else {
              market.price = new D(100).plus(new D('0.5').mul(a.ticksFromStart)).toFixed(2);
              state.onPrice('futures', 'ETHUSDT');
            }
          } catch (err) {
            if (!(err instanceof BinanceRejection)) throw err;
          }
        }
        const trades = state.trades(KEY);
        const wallet = trades.reduce((w, t) => w.plus(t.realizedPnl).minus(t.commission), new D(1000));
        expect(state.balances(KEY, 'futures')['USDT']?.free, 'wallet = deposit + realised − fees').toBe(wallet.toString());
        const signed = trades.reduce((q, t) => (t.side === 'BUY' ? q.plus(t.qty) : q.minus(t.qty)), new D(0));
        const position = state.positions(KEY)[0];
        expect(position?.positionAmt ?? '0', 'position = signed sum of fills').toBe(signed.toString());
        if (position) expect(new D(position.entryPrice).gt(0), 'an open position has an entry price').toBe(true);
      }),
      { numRuns: 150, seed: 20261206 },
    );
  });
});
