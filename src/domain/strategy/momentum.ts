/**
 * Momentum: trend following on two EMAs of the close with an ATR trailing stop. When the fast EMA
 * crosses above the slow one and nothing is held, it buys at market with `allocation` of the cash
 * (fee included). Once filled it rests a stop sell at close − atrMultiplier × ATR and raises it (never
 * lowers it) as closes rise; when the fast EMA crosses back below the slow one it cancels the stop and
 * sells at market. EMAs are seeded with the simple average of their first `period` closes; ATR is
 * Wilder's (src/domain/indicators).
 *
 * Parameters: fast (2–200, default 12), slow (3–500, default 26, above fast), atrPeriod (1–200,
 * default 14), atrMultiplier (0–20, default 3), allocation (0–1, default 1).
 *
 * When it loses: in a sideways, choppy market — crosses come late and reverse soon, so it buys high and
 * sells low again and again, paying fees and slippage each time; and on gaps through the stop.
 */
import { z } from 'zod';
import { AtrStream, EmaStream } from '../indicators/index.js';
import { D, type Dec } from '../money.js';
import type { OrderIntent, Strategy } from './kernel.js';
import { countParam, decimalParam, ratioParam } from './params.js';

export const momentumParams = z
  .object({
    fast: countParam('fast', 2, 200, 'Fast EMA period, in candles').default(12),
    slow: countParam('slow', 3, 500, 'Slow EMA period, in candles').default(26),
    atrPeriod: countParam('atrPeriod', 1, 200, 'ATR period for the stop, in candles').default(14),
    atrMultiplier: ratioParam('atrMultiplier', 0, 20, 'Stop distance below the close, in ATRs').default(3),
    allocation: decimalParam('allocation', { max: '1', describe: 'Share of the cash an entry spends, fee included (1 = all)' }).default('1'),
  })
  .strict()
  .refine((p) => p.slow > p.fast, { message: 'slow must be longer than fast', path: ['slow'] });
export type MomentumParams = z.infer<typeof momentumParams>;

export interface MomentumState {
  fast: EmaStream;
  slow: EmaStream;
  atr: AtrStream;
  /** fast − slow at the previous close; null until both EMAs are defined. */
  previousSpread: number | null;
  /** Trigger of the working stop; null without one. */
  stop: Dec | null;
}

const STOP = 'momentum-stop';

export const momentumStrategy: Strategy<MomentumParams, MomentumState> = {
  kind: 'momentum',
  summary: 'buys when the fast EMA crosses above the slow one, exits on the cross back or an ATR trailing stop',
  params: momentumParams,
  init(p) {
    return { fast: new EmaStream(p.fast), slow: new EmaStream(p.slow), atr: new AtrStream(p.atrPeriod), previousSpread: null, stop: null };
  },
  onCandle({ params, state, candles, portfolio }) {
    const candle = candles.last();
    const close = candle.close.toNumber();
    const fast = state.fast.update(close);
    const slow = state.slow.update(close);
    const atr = state.atr.update({ high: candle.high.toNumber(), low: candle.low.toNumber(), close });
    if (portfolio.newFills.some((f) => f.side === 'sell')) state.stop = null;
    if (fast === undefined || slow === undefined) return {};
    const spread = fast - slow;
    const previous = state.previousSpread;
    state.previousSpread = spread;
    const crossedUp = previous !== null && previous <= 0 && spread > 0;
    const crossedDown = previous !== null && previous >= 0 && spread < 0;
    const orders: OrderIntent[] = [];
    const notes: string[] = [];

    if (portfolio.position.isZero()) {
      if (crossedUp && !portfolio.openOrders.some((o) => o.side === 'buy')) {
        notes.push(`EMA ${params.fast} crossed above EMA ${params.slow}: buying`);
        orders.push({ side: 'buy', type: 'market', quoteAmount: portfolio.cash.mul(params.allocation), tag: 'momentum-entry' });
      }
      return { orders, notes };
    }
    if (crossedDown) {
      notes.push(`EMA ${params.fast} crossed below EMA ${params.slow}: selling`);
      state.stop = null;
      return { cancelTags: [STOP], orders: [{ side: 'sell', type: 'market', quantity: portfolio.position, tag: 'momentum-exit' }], notes };
    }
    if (atr === undefined) return {};
    const candidate = candle.close.sub(new D(params.atrMultiplier * atr).toDecimalPlaces(8));
    if (candidate.lte(0) || (state.stop !== null && candidate.lte(state.stop))) return {};
    notes.push(`stop ${state.stop === null ? 'set' : 'raised'} to ${candidate.toFixed()}`);
    state.stop = candidate;
    return { cancelTags: [STOP], orders: [{ side: 'sell', type: 'stop', triggerPrice: candidate, quantity: portfolio.position, tag: STOP }], notes };
  },
};
