import { z } from 'zod';
import { defineTool } from '../../mcp/tool.js';
import { sweepInputShape, type StoredSweepRun, type SweepView } from '../../services/backtest/backtest-service.js';
import { shortId } from '../../services/id-prefix.js';
import { signed, SIMULATED_NOTE, tableBlock } from '../format.js';

const percent = (value: string): string => `${signed(value, 2)}%`;
const day = (iso: string): string => iso.slice(0, 10);
const paramsText = (p: Record<string, unknown>): string =>
  Object.entries(p)
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(', ');

/**
 * What a person reads: the out-of-sample result first (the honest one), beside buy-and-hold and the
 * best in-sample figure it would be tempting to quote; then one row per fold.
 */
export function sweepText(s: SweepView, stored?: StoredSweepRun): string {
  const verdict = Number(s.outOfSampleReturnPct) > Number(s.buyAndHoldReturnPct) ? 'beat' : Number(s.outOfSampleReturnPct) < Number(s.buyAndHoldReturnPct) ? 'trailed' : 'matched';
  const lines = [
    `Sweep of ${s.strategy.replaceAll('_', ' ')} on ${s.symbol} ${s.timeframe}, ${day(s.from)} to ${day(s.to)} (${s.candles.toLocaleString('en-US')} candles, ${s.combinations} combinations, ${s.folds.length} ${s.mode} fold${s.folds.length === 1 ? '' : 's'}, best by ${s.objective === 'sharpe' ? 'Sharpe' : 'return'}):`,
    `Out of sample, the in-sample picks made ${percent(s.outOfSampleReturnPct)}; they ${verdict} buy-and-hold at ${percent(s.buyAndHoldReturnPct)} over the same candles. ` +
      `The best in-sample figure was ${percent(s.bestInSampleReturnPct)} — that is what overfitting looks like when it is quoted alone.`,
    tableBlock(
      ['fold', 'picked on', 'best parameters', 'in-sample', 'judged on', 'out-of-sample', 'buy & hold'],
      s.folds.map((f) => [
        String(f.fold),
        `${day(f.inSampleFrom)}–${day(f.inSampleTo)}`,
        paramsText(f.bestParams),
        percent(f.inSampleReturnPct),
        `${day(f.outOfSampleFrom)}–${day(f.outOfSampleTo)}`,
        `${percent(f.outOfSampleReturnPct)} (${f.outOfSampleTrades} fills)`,
        percent(f.buyAndHoldReturnPct),
      ]),
    ),
  ];
  if (s.skipped.length > 0) {
    const first = s.skipped[0]!;
    lines.push(`${s.skipped.length} combination${s.skipped.length === 1 ? ' was' : 's were'} skipped as invalid (e.g. ${paramsText(first.params)}: ${first.reason}).`);
  }
  if (stored === undefined) lines.push('Nothing was stored and no order was placed.');
  else if (stored.stored) {
    lines.push(
      `Stored fold ${stored.fold}'s pick over its out-of-sample candles as backtest ${shortId(stored.backtestId)} (${percent(stored.returnPct)}, ${stored.trades} fills${stored.matchesSweep ? '' : '; it differs from the sweep\'s figure because the stored candles changed in between'}): get-backtest shows its fills. No order was placed.`,
    );
  } else lines.push(`The out-of-sample run could not be stored (${stored.reason}). No order was placed.`);
  lines.push('Past results do not predict future ones.');
  if (s.simulated) lines.push(SIMULATED_NOTE);
  return lines.join('\n');
}

export const sweepStrategy = defineTool({
  name: 'sweep-strategy',
  title: 'Sweep a strategy\'s parameters walk-forward',
  description:
    'Runs every combination of a parameter grid for a strategy over walk-forward folds of a spot market\'s stored candles (on worker threads): in each fold the combination with the best in-sample Sharpe (or return) is judged on the following out-of-sample candles, beside buy-and-hold of the same candles. ' +
    'Answers with the out-of-sample result — not only the in-sample best — and a table of the folds. At most 600 backtests (combinations × folds) and 20,000 candles. ' +
    'Stores the last fold\'s pick run over its out-of-sample candles as a backtest (list-backtests, get-backtest and the strategy leaderboard show it); places no order. ' +
    'Strategies and their parameters as for backtest-strategy. Example: {"strategy":"sma_cross","symbol":"BTC/USDT","timeframe":"1h","days":180,"grid":{"fast":[5,10,20],"slow":[50,100,200]},"folds":3}.',
  permission: 'read:market',
  input: sweepInputShape,
  output: {
    strategy: z.string().describe('Strategy kind'),
    symbol: z.string().describe('Canonical symbol'),
    timeframe: z.string().describe('Timeframe'),
    candles: z.number().describe('Candles in the window'),
    combinations: z.number().describe('Valid combinations run'),
    outOfSampleReturnPct: z.string().describe('The folds\' out-of-sample returns of their in-sample picks, compounded, in percent'),
    buyAndHoldReturnPct: z.string().describe('Buy-and-hold over the same out-of-sample candles, compounded, in percent'),
    bestInSampleReturnPct: z.string().describe('The best in-sample return of any fold, in percent (for comparison only)'),
    folds: z
      .array(
        z.object({
          fold: z.number(),
          bestParams: z.record(z.unknown()),
          inSampleReturnPct: z.string(),
          outOfSampleReturnPct: z.string(),
          buyAndHoldReturnPct: z.string(),
        }),
      )
      .describe('One entry per fold'),
    simulated: z.boolean().describe('True for the simulated market'),
    stored: z
      .object({
        stored: z.boolean(),
        backtestId: z.string().optional(),
        name: z.string().optional(),
        fold: z.number().optional(),
        returnPct: z.string().optional(),
        sharpe: z.number().nullable().optional(),
        trades: z.number().optional(),
        matchesSweep: z.boolean().optional(),
        reason: z.string().optional(),
      })
      .describe('The stored backtest of the last fold\'s pick over its out-of-sample candles, or why it was not stored'),
  },
  // Not read-only: like backtest-strategy, it stores a backtest (and nothing else).
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  async run(ctx, args) {
    const view = await ctx.services.backtest.sweep(ctx.actor, args, ctx.progress ? { onProgress: ctx.progress } : {});
    const stored = await ctx.services.backtest.storeSweepPick(ctx.actor, args, view);
    return { text: sweepText(view, stored), data: { ...view, stored } };
  },
});
