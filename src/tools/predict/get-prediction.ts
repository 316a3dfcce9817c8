// get-prediction: every model's call for a market and horizon on the last closed bar, led by the
// featured learner — and never without its record (live hit rate beside the majority-class baseline
// on the same bars, or the walk-forward record when nothing has been scored yet). The predictions are
// shared market data stored in ml_predictions (one per model, market, horizon and bar), like stored
// analyses: nothing the person owns changes.
import { z } from 'zod';
import { defineTool } from '../../mcp/tool.js';
import { predictInputShape, type PredictionView } from '../../services/predict/prediction-service.js';
import { grouped, SIMULATED_NOTE, tableBlock } from '../format.js';
import { callWords, MODEL_SHORT, priceFrom, rate, recordSentences, utc } from './format.js';

const loose = z.object({}).passthrough();

/** What a person reads: the featured call, its record, every model's call, the features it leaned on. */
export function predictionText(v: PredictionView): string {
  const f = v.featured;
  const lines = [
    `${v.symbol}, ${v.horizon} ahead: ${f.label} calls ${callWords(f)}` +
      `${f.predictedPrice !== null ? `, price ${priceFrom(f.predictedPrice, v.referencePrice)}` : ` from ${grouped(v.referencePrice, 2)}`}, due ${utc(v.dueAt)}.`,
    ...recordSentences(v.record),
    tableBlock(
      ['model', 'call', 'conf.', 'predicted'],
      v.predictions.map((p) => [MODEL_SHORT[p.model], p.direction ?? '—', rate(p.confidence, 0), p.predictedPrice !== null ? grouped(p.predictedPrice, 2) : '—']),
    ),
  ];
  if (f.topFeatures.length > 0) lines.push(`Top features of ${f.label}: ${f.topFeatures.map((x) => `${x.feature} ${rate(x.importance, 0)}`).join(', ')}.`);
  lines.push(
    `Made on the ${v.timeframe} bar closing ${utc(v.madeAt)} at ${grouped(v.referencePrice, 2)}${v.trained.length > 0 ? `; trained ${v.trained.length} model${v.trained.length === 1 ? '' : 's'} for this answer` : ''}. ` +
      'A statistical call scored in public, not financial advice: most models do not beat the baseline.',
  );
  if (v.simulated) lines.push(SIMULATED_NOTE);
  return lines.join('\n');
}

export const getPrediction = defineTool({
  name: 'get-prediction',
  title: 'Get a prediction',
  description:
    'Predicts a market over a horizon (15m, 1h, 4h, 1d) with every model MIKEY trains on its own stored candles (gradient-boosted trees, logistic and ridge regression) beside the naive baselines (majority class, persistence): direction, confidence, predicted price and due time, ' +
    'always with the featured model\'s record on that market and horizon — live hit rate with its sample count and 95% interval beside the baseline\'s on the same bars, or the walk-forward record when nothing is scored yet. ' +
    'The predictions are stored and scored when due (get-model-scorecard). Example: {"symbol":"BTC/USDT","horizon":"1h"}.',
  permission: 'read:market',
  input: predictInputShape,
  output: {
    symbol: z.string().describe('Canonical symbol'),
    horizon: z.string().describe('15m, 1h, 4h or 1d'),
    timeframe: z.string().describe('Bars the models read'),
    madeAt: z.string().describe('Close time of the bar the predictions were made on'),
    dueAt: z.string().describe('When they are scored'),
    referencePrice: z.string().describe('Close of that bar'),
    simulated: z.boolean().describe('True for the simulated market'),
    featured: loose.describe('The learner shown first (best record)'),
    predictions: z.array(loose).describe('Every model\'s prediction, learners first'),
    record: loose.describe('The featured model\'s record: hit rate, baseline, margin, beatsBaseline, walk-forward'),
    trained: z.array(z.string()).describe('Models trained for this answer'),
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async run(ctx, args) {
    const v = await ctx.services.predictions.predict(ctx.actor, args);
    return { text: predictionText(v), data: v as never };
  },
});
