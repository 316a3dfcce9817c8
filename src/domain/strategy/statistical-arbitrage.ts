/**
 * Statistical arbitrage: a pair trade on two perpetuals, the run's asset (leg `a`, its BASE-PERP) and
 * `pair` (leg `b`, the pair's BASE-PERP), both settled in the same quote. On each closed candle it fits
 * ln A = α + β ln B by ordinary least squares over the last `lookback` closes of both legs (β is the
 * hedge ratio), takes the residuals s_i = ln A_i − α − β ln B_i (mean zero by construction) and the
 * z-score of the last one, z = s_t / σ(s) (population standard deviation over the window).
 * - Flat and z ≥ entryZ (A rich against B): sells A and buys B ("short the spread"); z ≤ −entryZ:
 *   buys A and sells B ("long the spread"). Both at market, from the next candle's open.
 * - Sizes: the margin budget M = cash × allocation is split so that leg b's notional is β × leg a's:
 *   N_a = M × leverage / (1 + β), N_b = β × N_a (β rounded to 4 decimals), each as the order's
 *   notional (`quoteAmount`); margin per leg = notional / leverage.
 * - In the trade: closes both legs at market when z is back to within exitZ of zero on its side
 *   (short spread: z ≤ exitZ; long spread: z ≥ −exitZ), or as a stop when it runs on to stopZ
 *   (short spread: z ≥ stopZ; long spread: z ≤ −stopZ). A leg left alone (the other refused or
 *   liquidated) is closed at once. Nothing new while an order is working; no entry when β ≤ 0.
 *
 * Markets: both assets' perpetuals (BASE-PERP) in the run's quote, with candles over the window; the
 * spot market the run names is only the buy-and-hold reference.
 *
 * Parameters: pair (the second asset, e.g. "ETH"), lookback (10–1000 candles, default 60), entryZ
 * (0–10, default 2), exitZ (0–10, default 0.5, below entryZ), stopZ (0–20, default 4, above entryZ),
 * allocation (0–1, default 0.5: share of the cash put up as margin for both legs), leverage (1–10,
 * default 1).
 *
 * When it loses: when the relation breaks — a news-driven move in one asset is not noise, the spread
 * keeps widening, and the stop closes both legs at a loss (or one leg is liquidated at high leverage).
 * An in-window fit also chases the break: β drifts towards the new regime, so z understates it. Fees
 * on four fills per round trip and funding on both legs eat small spreads.
 */
import { z } from 'zod';
import { D, type Dec } from '../money.js';
import type { LegSpec, OrderIntent, Strategy } from './kernel.js';
import { countParam, decimalParam, ratioParam } from './params.js';

export const statisticalArbitrageParams = z
  .object({
    pair: z
      .string({ required_error: 'pair is required: the second asset, e.g. "ETH"', invalid_type_error: 'pair must be an asset such as "ETH"' })
      .trim()
      .min(1, 'pair is required: the second asset, e.g. "ETH"')
      .max(20, 'pair is at most 20 characters')
      .regex(/^[A-Za-z0-9]+([/-][A-Za-z0-9]+)?$/, 'pair must be an asset such as "ETH" or "ETH/USDT"')
      .describe('The second asset of the pair, e.g. "ETH" (traded through its perpetual, ETH-PERP)'),
    lookback: countParam('lookback', 10, 1000, 'Candles the hedge ratio and the z-score are fitted over').default(60),
    entryZ: ratioParam('entryZ', 0, 10, 'Enter when the spread is this many standard deviations from its fit').default(2),
    exitZ: z.number({ invalid_type_error: 'exitZ must be a number' }).min(0, 'exitZ must be at least 0').max(10, 'exitZ must be at most 10').default(0.5)
      .describe('Close both legs when the spread is back within this many standard deviations of its fit'),
    stopZ: ratioParam('stopZ', 0, 20, 'Close both legs at a loss when the spread runs on to this many standard deviations').default(4),
    allocation: decimalParam('allocation', { max: '1', describe: 'Share of the cash put up as margin for both legs (0.5 = half)' }).default('0.5'),
    leverage: countParam('leverage', 1, 10, 'Leverage on both perpetual legs (margin = notional / leverage)').default(1),
  })
  .strict()
  .refine((p) => p.exitZ < p.entryZ, { message: 'exitZ must be below entryZ, or it would close at the entry', path: ['exitZ'] })
  .refine((p) => p.stopZ > p.entryZ, { message: 'stopZ must be above entryZ, or it would stop out at the entry', path: ['stopZ'] });
export type StatisticalArbitrageParams = z.infer<typeof statisticalArbitrageParams>;

export type StatisticalArbitrageState = Record<string, never>;

/** The OLS fit of y on x and the z-score of the last residual; null when x or the residuals do not vary. */
export function pairFit(y: Float64Array, x: Float64Array): { beta: number; alpha: number; z: number } | null {
  const n = Math.min(x.length, y.length);
  if (n < 2) return null;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
  }
  if (!(sxx > 1e-18)) return null;
  const beta = sxy / sxx;
  const alpha = my - beta * mx;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (y[i]! - alpha - beta * x[i]!) ** 2;
  const sd = Math.sqrt(ss / n);
  if (!(sd > 1e-12)) return null;
  return { beta, alpha, z: (y[n - 1]! - alpha - beta * x[n - 1]!) / sd };
}

const logs = (closes: Float64Array): Float64Array => closes.map((c) => Math.log(c));

export const statisticalArbitrageStrategy: Strategy<StatisticalArbitrageParams, StatisticalArbitrageState> = {
  kind: 'statistical_arbitrage',
  summary: 'trades the z-score of a pair\'s log-price spread (OLS hedge ratio), long the cheap leg and short the rich one through perpetuals',
  params: statisticalArbitrageParams,
  legs(p): readonly LegSpec[] {
    return [
      { id: 'a', asset: null, kind: 'perp', leverage: p.leverage },
      { id: 'b', asset: p.pair, kind: 'perp', leverage: p.leverage },
    ];
  },
  init() {
    return {};
  },
  onCandle({ params, legCandles, legs, portfolio }) {
    if (legCandles === undefined || legs === undefined) return {};
    const a = legs['a']!;
    const b = legs['b']!;
    if (a.openOrders.length > 0 || b.openOrders.length > 0) return {};
    const close = (id: 'a' | 'b'): OrderIntent => {
      const pos = (id === 'a' ? a : b).position;
      return { leg: id, side: pos.isNeg() ? 'buy' : 'sell', type: 'market', quantity: pos.abs(), tag: `stat-arb-close-${id}` };
    };
    // A leg left alone (its partner refused or liquidated): close it.
    if (a.position.isZero() !== b.position.isZero()) {
      const id = a.position.isZero() ? 'b' : 'a';
      return { orders: [close(id)], notes: [`leg ${id} is open without its partner: closing it`] };
    }
    const n = legCandles['a']!.length;
    if (n < params.lookback) return {};
    const fit = pairFit(logs(legCandles['a']!.closes(params.lookback)), logs(legCandles['b']!.closes(params.lookback)));
    if (fit === null) return {};
    const { beta, z } = fit;
    const zText = z.toFixed(2);
    if (!a.position.isZero()) {
      const shortSpread = a.position.isNeg();
      const exit = shortSpread ? z <= params.exitZ : z >= -params.exitZ;
      const stop = shortSpread ? z >= params.stopZ : z <= -params.stopZ;
      if (!exit && !stop) return {};
      return {
        orders: [close('a'), close('b')],
        notes: [`z-score ${zText}: ${stop ? `past the stop at ${shortSpread ? '' : '-'}${params.stopZ}, closing both legs at a loss` : 'back to the fit, closing both legs'}`],
      };
    }
    if (Math.abs(z) < params.entryZ) return {};
    if (!(beta > 0)) return { notes: [`z-score ${zText} but the hedge ratio ${beta.toFixed(4)} is not positive: the pair does not move together, no entry`] };
    const hedge = new D(beta.toFixed(4));
    if (hedge.lte(0)) return {};
    const budget: Dec = portfolio.cash.mul(params.allocation);
    const notionalA = budget.mul(params.leverage).div(hedge.add(1));
    const notionalB = notionalA.mul(hedge);
    const shortA = z > 0;
    return {
      orders: [
        { leg: 'a', side: shortA ? 'sell' : 'buy', type: 'market', quoteAmount: notionalA, tag: 'stat-arb-open-a' },
        { leg: 'b', side: shortA ? 'buy' : 'sell', type: 'market', quoteAmount: notionalB, tag: 'stat-arb-open-b' },
      ],
      notes: [`z-score ${zText}, hedge ratio ${hedge.toFixed()}: ${shortA ? 'selling a, buying b' : 'buying a, selling b'}`],
    };
  },
};
