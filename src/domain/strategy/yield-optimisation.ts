/**
 * Yield optimisation: funding carry. It holds the run's spot asset long and the same quantity of its
 * perpetual (leg `perp`, BASE-PERP) short, so price moves cancel and the short collects funding while
 * funding is positive (longs pay shorts).
 * - It reads the perpetual's funding rate paid at the last funding time up to the last closed candle
 *   (never a later one) and annualises it: APR % = rate × (intervals per 365-day year) × 100
 *   (0.01% per 8 hours = 10.95%).
 * - Flat and APR ≥ entryApr: buys q spot and sells q perp at market, where
 *   q = cash × allocation / (close × (1 + 1 / leverage) × 1.01) — the spot cost plus the perp margin,
 *   with 1% left for fees and the move to the next open (each market rounds q down to its step).
 * - Carrying and APR < exitApr, or the rate turns negative (shorts would pay): sells the spot and
 *   buys the perp back, both at market. A side left alone (the other refused or liquidated) is
 *   closed at once. Nothing new while an order is working.
 *
 * Markets: the spot market the run names and its perpetual (BASE-PERP), with candles over the window.
 * Backtests take funding from the rate series the runner gives (a stated constant when MIKEY has no
 * stored funding history; see the backtest service).
 *
 * Parameters: entryApr (annualised %, 0–1000, default 10), exitApr (−100–1000, default 3, below
 * entryApr), allocation (0–1, default 0.9: share of the cash the carry uses), leverage (1–10, default
 * 1: the short's margin = notional / leverage).
 *
 * When it loses: when funding turns negative or falls before the carry has paid its four fees (entry
 * and exit on both legs); when the perp trades at a premium that collapses after entry (the basis
 * moves against the short); and with leverage, a sharp rally can liquidate the short while the spot
 * gain sits unrealised, leaving the spot unhedged until the runner closes it.
 */
import { z } from 'zod';
import { D, type Dec } from '../money.js';
import type { LegSpec, OrderIntent, Strategy } from './kernel.js';
import { countParam, decimalParam } from './params.js';

const YEAR_MS = 365 * 86_400_000;

export const yieldOptimisationParams = z
  .object({
    entryApr: z.number({ invalid_type_error: 'entryApr must be a number' }).min(0, 'entryApr must be at least 0').max(1000, 'entryApr must be at most 1000').default(10)
      .describe('Open the carry when funding, annualised in percent, is at least this'),
    exitApr: z.number({ invalid_type_error: 'exitApr must be a number' }).min(-100, 'exitApr must be at least -100').max(1000, 'exitApr must be at most 1000').default(3)
      .describe('Unwind the carry when annualised funding falls below this (or the rate turns negative)'),
    allocation: decimalParam('allocation', { max: '1', describe: 'Share of the cash the carry uses: spot cost plus perp margin (0.9 = 90%)' }).default('0.9'),
    leverage: countParam('leverage', 1, 10, 'Leverage on the short perpetual (margin = notional / leverage)').default(1),
  })
  .strict()
  .refine((p) => p.exitApr < p.entryApr, { message: 'exitApr must be below entryApr, or it would unwind at the entry', path: ['exitApr'] });
export type YieldOptimisationParams = z.infer<typeof yieldOptimisationParams>;

export type YieldOptimisationState = Record<string, never>;

/** Annualised funding in percent for a rate per interval. */
export function fundingApr(rate: Dec, intervalMs: number): number {
  return rate.toNumber() * (YEAR_MS / intervalMs) * 100;
}

export const yieldOptimisationStrategy: Strategy<YieldOptimisationParams, YieldOptimisationState> = {
  kind: 'yield_optimisation',
  summary: 'funding carry: spot long and perpetual short of the same size while funding pays, unwound when it falls or flips',
  params: yieldOptimisationParams,
  legs(p): readonly LegSpec[] {
    return [{ id: 'perp', asset: null, kind: 'perp', leverage: p.leverage, funding: true }];
  },
  init() {
    return {};
  },
  onCandle({ params, candles, portfolio, legs }) {
    const perp = legs?.['perp'];
    if (perp === undefined) return {};
    if (portfolio.openOrders.length > 0 || perp.openOrders.length > 0) return {};
    const spot = portfolio.position;
    const short = perp.position.isNeg() ? perp.position.abs() : new D(0);
    const unwindSpot: OrderIntent = { side: 'sell', type: 'market', quantity: spot, tag: 'carry-unwind-spot' };
    const unwindPerp: OrderIntent = { leg: 'perp', side: 'buy', type: 'market', quantity: short, tag: 'carry-unwind-perp' };
    if (spot.isZero() !== short.isZero()) {
      return { orders: [spot.isZero() ? unwindPerp : unwindSpot], notes: ['one side of the carry is open without the other: closing it'] };
    }
    const rate = perp.fundingRate;
    if (rate === undefined || rate === null || perp.fundingIntervalMs === undefined) return {};
    const apr = fundingApr(rate, perp.fundingIntervalMs);
    const aprText = `${apr.toFixed(2)}% a year`;
    if (!spot.isZero()) {
      if (apr >= params.exitApr && !rate.isNeg()) return {};
      return { orders: [unwindSpot, unwindPerp], notes: [`funding ${aprText}${rate.isNeg() ? ' (shorts pay)' : ` below ${params.exitApr}%`}: unwinding the carry`] };
    }
    if (apr < params.entryApr || rate.isNeg()) return {};
    const close = candles.last().close;
    const quantity = portfolio.cash.mul(params.allocation).div(close.mul(new D(1).add(new D(1).div(params.leverage))).mul('1.01'));
    return {
      orders: [
        { side: 'buy', type: 'market', quantity, tag: 'carry-spot' },
        { leg: 'perp', side: 'sell', type: 'market', quantity, tag: 'carry-perp' },
      ],
      notes: [`funding ${aprText} at or above ${params.entryApr}%: buying spot, selling the perpetual`],
    };
  },
};
