/**
 * SMA cross: the plainest trend follower. When the fast simple moving average of the close crosses
 * above the slow one and nothing is held, it buys at market with `allocation` of the cash (fee
 * included); when the fast one crosses back below, it sells everything at market. A cross is a
 * change of sign of fast − slow between two consecutive closes (from ≤ 0 to > 0 up, from ≥ 0 to < 0
 * down); the first close with both averages defined is never a cross.
 *
 * Parameters: fast (1–1000, default 10), slow (2–5000, default 50, above fast), allocation (0–1,
 * default 1).
 *
 * When it loses: in sideways markets, where crosses come late and reverse soon (whipsaw), each round
 * trip paying fees and slippage; it has no stop, so a crash between crosses is taken in full.
 */
import { z } from 'zod';
import { SmaStream } from '../indicators/index.js';
import { NO_DECISION, type Strategy } from './kernel.js';
import { countParam, decimalParam } from './params.js';

export const smaCrossParams = z
  .object({
    fast: countParam('fast', 1, 1000, 'Fast SMA period, in candles').default(10),
    slow: countParam('slow', 2, 5000, 'Slow SMA period, in candles').default(50),
    allocation: decimalParam('allocation', { max: '1', describe: 'Share of the cash an entry spends, fee included (1 = all)' }).default('1'),
  })
  .strict()
  .refine((p) => p.slow > p.fast, { message: 'slow must be longer than fast', path: ['slow'] });
export type SmaCrossParams = z.infer<typeof smaCrossParams>;

export interface SmaCrossState {
  fast: SmaStream;
  slow: SmaStream;
  /** fast − slow at the previous close; null until both averages are defined. */
  previousSpread: number | null;
}

export const smaCrossStrategy: Strategy<SmaCrossParams, SmaCrossState> = {
  kind: 'sma_cross',
  summary: 'buys when the fast SMA crosses above the slow one and sells everything on the cross back',
  params: smaCrossParams,
  init(p) {
    return { fast: new SmaStream(p.fast), slow: new SmaStream(p.slow), previousSpread: null };
  },
  onCandle({ params, state, candles, portfolio }) {
    const close = candles.lastClose();
    const fast = state.fast.update(close);
    const slow = state.slow.update(close);
    if (fast === undefined || slow === undefined) return NO_DECISION;
    const spread = fast - slow;
    const previous = state.previousSpread;
    state.previousSpread = spread;
    if (previous === null) return NO_DECISION;
    if (previous <= 0 && spread > 0 && portfolio.position.isZero() && !portfolio.openOrders.some((o) => o.side === 'buy')) {
      return { orders: [{ side: 'buy', type: 'market', quoteAmount: portfolio.cash.mul(params.allocation), tag: 'sma-entry' }] };
    }
    if (previous >= 0 && spread < 0 && portfolio.position.gt(0)) {
      return { orders: [{ side: 'sell', type: 'market', quantity: portfolio.position, tag: 'sma-exit' }] };
    }
    return NO_DECISION;
  },
};
