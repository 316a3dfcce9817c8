/**
 * Grid: `levels` prices evenly spaced from `lower` to `upper`. Below the price it rests a limit buy at
 * each level (for `quotePerLevel`, fee included); when the buy at level i fills it rests a limit sell
 * of that quantity one level up, and when that sells it re-arms the buy at level i. Each completed
 * buy-low/sell-one-level-up is one round trip earning one grid step less fees.
 *
 * Parameters: lower, upper (prices, upper > lower), levels (2–200, default 10), quotePerLevel.
 *
 * When it loses: in a trend. A fall through `lower` leaves every level bought and held at a loss; a
 * rise through `upper` sells everything and sits in cash while the market runs away. Steps narrower
 * than twice the fee lose money on every round trip.
 */
import { z } from 'zod';
import { ZERO, type Dec } from '../money.js';
import type { OrderIntent, Strategy } from './kernel.js';
import { countParam, decimalParam } from './params.js';

export const gridParams = z
  .object({
    lower: decimalParam('lower', { max: '1000000000', describe: 'Lowest grid price, in the quote asset' }),
    upper: decimalParam('upper', { max: '1000000000', describe: 'Highest grid price, in the quote asset' }),
    levels: countParam('levels', 2, 200, 'Number of price levels from lower to upper, both included').default(10),
    quotePerLevel: decimalParam('quotePerLevel', { max: '1000000000000', describe: 'Quote amount each level buys with, fee included' }),
  })
  .strict()
  .refine((p) => p.upper.gt(p.lower), { message: 'upper must be above lower', path: ['upper'] });
export type GridParams = z.infer<typeof gridParams>;

export interface GridState {
  prices: Dec[];
  /** Base quantity bought at level i and waiting to be sold at level i + 1. */
  held: Dec[];
}

const buyTag = (i: number): string => `grid-buy-${i}`;
const sellTag = (i: number): string => `grid-sell-${i}`;

export const gridStrategy: Strategy<GridParams, GridState> = {
  kind: 'grid',
  summary: 'buys at evenly spaced levels below the price and sells each one level higher',
  params: gridParams,
  init(p) {
    const step = p.upper.sub(p.lower).div(p.levels - 1);
    const prices = Array.from({ length: p.levels }, (_, i) => (i === p.levels - 1 ? p.upper : p.lower.add(step.mul(i))));
    return { prices, held: prices.map(() => ZERO) };
  },
  onCandle({ params, state, candles, portfolio }) {
    const notes: string[] = [];
    for (const fill of portfolio.newFills) {
      const match = /^grid-(buy|sell)-(\d+)$/.exec(fill.tag ?? '');
      if (!match) continue;
      const i = Number(match[2]);
      if (match[1] === 'buy') {
        state.held[i] = state.held[i]!.add(fill.quantity);
        notes.push(`bought ${fill.quantity.toFixed()} at level ${state.prices[i]!.toFixed()}; selling it at ${state.prices[i + 1]!.toFixed()}`);
      } else {
        state.held[i] = state.held[i]!.sub(fill.quantity);
        notes.push(`sold ${fill.quantity.toFixed()} at ${state.prices[i + 1]!.toFixed()}; buy at ${state.prices[i]!.toFixed()} re-armed`);
      }
    }
    const close = candles.last().close;
    const working = new Set(portfolio.openOrders.map((o) => o.tag));
    const orders: OrderIntent[] = [];
    // The top level only ever sells (what was bought one level below).
    for (let i = 0; i < state.prices.length - 1; i++) {
      const held = state.held[i]!;
      if (held.gt(0)) {
        if (!working.has(sellTag(i))) orders.push({ side: 'sell', type: 'limit', price: state.prices[i + 1]!, quantity: held, tag: sellTag(i) });
      } else if (state.prices[i]!.lt(close) && !working.has(buyTag(i))) {
        orders.push({ side: 'buy', type: 'limit', price: state.prices[i]!, quoteAmount: params.quotePerLevel, tag: buyTag(i) });
      }
    }
    return { orders, notes };
  },
};
