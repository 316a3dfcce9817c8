/**
 * Mean reversion: a z-score of the close against its Bollinger middle band (the simple average of the
 * last `period` closes, population standard deviation; src/domain/indicators). When nothing is held
 * and z ≤ −entryZ (the close is below the lower band at entryZ deviations) it buys at market with
 * `allocation` of the cash (fee included); while holding, once z ≥ exitZ (0 = back at the mean) it
 * sells everything at market. A window with no variation gives no signal.
 *
 * Parameters: period (2–1000, default 20), entryZ (0–5, default 2), exitZ (−5–5, default 0, above
 * −entryZ), allocation (0–1, default 1).
 *
 * When it loses: when the fall is the start of a trend rather than noise — it buys the first break
 * below the band and, without a stop, holds all the way down while the mean falls after the price.
 */
import { z } from 'zod';
import { BollingerStream } from '../indicators/index.js';
import type { Strategy } from './kernel.js';
import { countParam, decimalParam, ratioParam } from './params.js';

export const meanReversionParams = z
  .object({
    period: countParam('period', 2, 1000, 'Candles in the mean and deviation window').default(20),
    entryZ: ratioParam('entryZ', 0, 5, 'Buy when the close is this many standard deviations below the mean').default(2),
    exitZ: z.number({ invalid_type_error: 'exitZ must be a number' }).min(-5, 'exitZ must be at least -5').max(5, 'exitZ must be at most 5').default(0)
      .describe('Sell when the close is back to this many standard deviations from the mean (0 = at the mean)'),
    allocation: decimalParam('allocation', { max: '1', describe: 'Share of the cash an entry spends, fee included (1 = all)' }).default('1'),
  })
  .strict()
  .refine((p) => p.exitZ > -p.entryZ, { message: 'exitZ must be above -entryZ, or it would sell at the entry', path: ['exitZ'] });
export type MeanReversionParams = z.infer<typeof meanReversionParams>;

export interface MeanReversionState {
  bands: BollingerStream;
}

export const meanReversionStrategy: Strategy<MeanReversionParams, MeanReversionState> = {
  kind: 'mean_reversion',
  summary: 'buys a close far below its moving average and sells when it returns to the mean',
  params: meanReversionParams,
  init(p) {
    return { bands: new BollingerStream({ period: p.period, stdDev: 1 }) };
  },
  onCandle({ params, state, candles, portfolio }) {
    const close = candles.lastClose();
    const band = state.bands.update(close);
    if (band === undefined) return {};
    const deviation = band.upper - band.middle;
    if (!(deviation > 0)) return {};
    const z = (close - band.middle) / deviation;
    const working = (side: 'buy' | 'sell'): boolean => portfolio.openOrders.some((o) => o.side === side);
    if (portfolio.position.isZero() && z <= -params.entryZ && !working('buy')) {
      return {
        orders: [{ side: 'buy', type: 'market', quoteAmount: portfolio.cash.mul(params.allocation), tag: 'mean-reversion-entry' }],
        notes: [`z-score ${z.toFixed(2)} at or below -${params.entryZ}: buying`],
      };
    }
    if (portfolio.position.gt(0) && z >= params.exitZ && !working('sell')) {
      return {
        orders: [{ side: 'sell', type: 'market', quantity: portfolio.position, tag: 'mean-reversion-exit' }],
        notes: [`z-score ${z.toFixed(2)} back to ${params.exitZ}: selling`],
      };
    }
    return {};
  },
};
