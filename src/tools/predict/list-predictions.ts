// list-predictions: the stored predictions, newest first, each with what happened — right, wrong, or
// still waiting for its horizon — so a person sees the record being made, call by call.
import { z } from 'zod';
import { defineTool, READ_ONLY } from '../../mcp/tool.js';
import { listPredictionsInputShape, MODEL_NAMES, type PredictionRowView } from '../../services/predict/prediction-service.js';
import { grouped, SIMULATED_NOTE, tableBlock } from '../format.js';
import { MODEL_SHORT, rate, shortTime } from './format.js';

function outcome(p: PredictionRowView): string {
  if (p.scoredAt === null) return `waiting (due ${shortTime(p.dueAt).slice(6)})`;
  if (p.wasCorrect === true) return 'right';
  if (p.wasCorrect === false) return 'wrong';
  return p.error !== null ? `off by ${grouped(p.error, 2)}` : 'scored';
}

/** What a person reads: one row per prediction. */
export function predictionsText(rows: readonly PredictionRowView[]): string {
  if (rows.length === 0) return 'No predictions yet. Ask for one with get-prediction (e.g. BTC/USDT over 1h); the scheduler also makes them for the markets in MIKEY_PREDICT.';
  const scored = rows.filter((r) => r.wasCorrect !== null);
  const right = scored.filter((r) => r.wasCorrect).length;
  // Newest first, and within one bar the learners before the baselines, as get-prediction shows them.
  const order = (p: PredictionRowView): number => MODEL_NAMES.indexOf(p.model);
  const sorted = [...rows].sort((x, y) => y.madeAt.localeCompare(x.madeAt) || x.symbol.localeCompare(y.symbol) || order(x) - order(y));
  const lines = [
    tableBlock(
      ['model', 'market', 'h', 'made', 'call', 'conf.', 'predicted', 'actual', 'result'],
      sorted.map((p) => [
        MODEL_SHORT[p.model],
        p.symbol,
        p.horizon ?? '—',
        shortTime(p.madeAt),
        p.direction ?? '—',
        rate(p.confidence, 0),
        p.predictedPrice !== null ? grouped(p.predictedPrice, 2) : '—',
        p.actualPrice !== null ? grouped(p.actualPrice, 2) : '—',
        outcome(p),
      ]),
    ),
    `${rows.length} prediction${rows.length === 1 ? '' : 's'}; ${scored.length} direction call${scored.length === 1 ? '' : 's'} scored, ${right} right. A handful of calls says little: get-model-scorecard gives each model's record beside the baseline.`,
  ];
  if (rows.some((r) => r.simulated)) lines.push(SIMULATED_NOTE);
  return lines.join('\n');
}

export const listPredictions = defineTool({
  name: 'list-predictions',
  title: 'List predictions',
  description:
    'MIKEY\'s stored predictions, newest first: model, market, horizon, when made, the call, confidence, predicted and actual price, and whether it came true (or is still waiting for its horizon). ' +
    'Example: {"symbol":"BTC/USDT","horizon":"1h","limit":10}.',
  permission: 'read:market',
  input: listPredictionsInputShape,
  output: { predictions: z.array(z.object({ id: z.string(), model: z.string(), symbol: z.string() }).passthrough()).describe('Stored predictions, newest first') },
  annotations: READ_ONLY,
  async run(ctx, args) {
    const predictions = await ctx.services.predictions.listPredictions(args);
    return { text: predictionsText(predictions), data: { predictions } as never };
  },
});
