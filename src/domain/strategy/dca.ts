/**
 * DCA (dollar-cost averaging): a market buy of `quoteAmount` (fee included) every `every` candles,
 * starting on the first. With `dipPercent`, an extra buy of `dipQuoteAmount` (default `quoteAmount`)
 * whenever a candle closes that many percent below the last buy's price (the extra buy becomes the new
 * last buy, so the next one needs a further fall). With `takeProfitPercent`, everything held is sold
 * at market once a candle closes that many percent above the average cost (buy fees included); the
 * schedule then carries on.
 *
 * Parameters: quoteAmount, every (1–100000 candles, default 24), dipPercent (0–90), dipQuoteAmount,
 * takeProfitPercent (0–1000).
 *
 * When it loses: in a long decline it keeps buying all the way down and the take-profit is never
 * reached; it spends until the cash runs out. It never sells at a loss, so losses stay unrealised.
 */
import { z } from 'zod';
import type { Dec } from '../money.js';
import type { OrderIntent, Strategy } from './kernel.js';
import { countParam, decimalParam } from './params.js';

export const dcaParams = z
  .object({
    quoteAmount: decimalParam('quoteAmount', { max: '1000000000000', describe: 'Quote amount each scheduled buy spends, fee included' }),
    every: countParam('every', 1, 100_000, 'Candles between scheduled buys').default(24),
    dipPercent: decimalParam('dipPercent', { max: '90', describe: 'Extra buy when a close is this many percent below the last buy' }).optional(),
    dipQuoteAmount: decimalParam('dipQuoteAmount', { max: '1000000000000', describe: 'Quote amount of a dip buy (default quoteAmount)' }).optional(),
    takeProfitPercent: decimalParam('takeProfitPercent', { max: '1000', describe: 'Sell everything when a close is this many percent above the average cost' }).optional(),
  })
  .strict()
  .refine((p) => p.dipQuoteAmount === undefined || p.dipPercent !== undefined, { message: 'dipQuoteAmount needs dipPercent', path: ['dipQuoteAmount'] });
export type DcaParams = z.infer<typeof dcaParams>;

export interface DcaState {
  /** Price of the last buy fill since the position was last emptied; null before any. */
  lastBuyPrice: Dec | null;
}

export const dcaStrategy: Strategy<DcaParams, DcaState> = {
  kind: 'dca',
  summary: 'buys a fixed quote amount on a schedule, more on dips, and takes profit on the average cost',
  params: dcaParams,
  init() {
    return { lastBuyPrice: null };
  },
  onCandle({ params, state, candles, portfolio }) {
    for (const fill of portfolio.newFills) state.lastBuyPrice = fill.side === 'buy' ? fill.price : null;
    const close = candles.last().close;
    const index = candles.length - 1;
    const orders: OrderIntent[] = [];
    const notes: string[] = [];
    const average = portfolio.averageCost;
    if (params.takeProfitPercent !== undefined && average !== null && portfolio.position.gt(0)) {
      const target = average.mul(params.takeProfitPercent.div(100).add(1));
      if (close.gte(target) && !portfolio.openOrders.some((o) => o.side === 'sell')) {
        notes.push(`close ${close.toFixed()} is at least ${params.takeProfitPercent.toFixed()}% above the average cost ${average.toDecimalPlaces(8).toFixed()}: taking profit`);
        return { orders: [{ side: 'sell', type: 'market', quantity: portfolio.position, tag: 'dca-take-profit' }], notes };
      }
    }
    if (index % params.every === 0) {
      orders.push({ side: 'buy', type: 'market', quoteAmount: params.quoteAmount, tag: 'dca' });
    } else if (params.dipPercent !== undefined && state.lastBuyPrice !== null) {
      const dipPrice = state.lastBuyPrice.mul(params.dipPercent.div(100).neg().add(1));
      if (close.lte(dipPrice)) {
        notes.push(`close ${close.toFixed()} is ${params.dipPercent.toFixed()}% or more below the last buy at ${state.lastBuyPrice.toFixed()}: buying the dip`);
        orders.push({ side: 'buy', type: 'market', quoteAmount: params.dipQuoteAmount ?? params.quoteAmount, tag: 'dca-dip' });
      }
    }
    return { orders, notes };
  },
};
