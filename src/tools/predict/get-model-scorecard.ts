// get-model-scorecard: each model's live record per market and horizon — hit rate with its 95 %
// interval beside the majority-class baseline on the same bars, price error beside persistence's,
// calibration, and the walk-forward record it was trained with — and which (few) beat the baseline.
import { z } from 'zod';
import { defineTool, READ_ONLY } from '../../mcp/tool.js';
import { LEARNERS, scorecardInputShape, type ScorecardEntry, type ScorecardView } from '../../services/predict/prediction-service.js';
import { grouped, SIMULATED_NOTE, tableBlock } from '../format.js';
import { hitLine, MODEL_SHORT, points, rate, walkForwardBeats } from './format.js';

const isLearner = (e: ScorecardEntry): boolean => (LEARNERS as readonly string[]).includes(e.model);

function errorCell(e: ScorecardEntry): string {
  if (e.meanAbsoluteError === null) return '—';
  return `${grouped(e.meanAbsoluteError, 2)}${e.persistenceError !== null ? ` vs ${grouped(e.persistenceError, 2)}` : ''}`;
}

function walkForwardCell(e: ScorecardEntry): string {
  const wf = e.walkForward;
  if (!wf || wf.direction.samples === 0) return '—';
  return `${rate(wf.direction.hitRate)} of ${wf.direction.samples.toLocaleString('en-US')} (${points(wf.margin)})`;
}

/** "60–70% calls: 64% right of 31 · 70–80% calls: …" over the buckets with calls. */
function calibrationLine(e: ScorecardEntry): string | undefined {
  const used = e.calibration.filter((b) => b.samples > 0);
  if (used.length === 0) return undefined;
  return `${MODEL_SHORT[e.model]} ${e.symbol} ${e.horizon} calibration: ${used.map((b) => `${(b.from * 100).toFixed(0)}–${(b.to * 100).toFixed(0)}% calls: ${rate(b.hitRate, 0)} right of ${b.samples}`).join(' · ')}`;
}

/** What a person reads: one row per model, market and horizon, then calibration and the verdict. */
export function scorecardText(card: ScorecardView): string {
  const waiting = card.pending > 0 ? ` ${card.pending} prediction${card.pending === 1 ? ' is' : 's are'} still waiting for ${card.pending === 1 ? 'its' : 'their'} horizon.` : '';
  if (card.entries.length === 0) {
    return `No scored predictions yet in the last ${card.days} days.${waiting} Predictions are scored when their horizon passes; ask for one, e.g. "what do you predict for BTC in 1h?".`;
  }
  const learners = card.entries.filter(isLearner);
  const beating = learners.filter((e) => e.beatsBaseline);
  const lines = [
    `Model scorecard, predictions made since ${card.since.slice(0, 10)} (${card.days} days), scored against what happened:`,
    tableBlock(
      ['model', 'market', 'h', 'scored', 'hit rate [95%]', 'baseline', 'margin', 'MAE vs persistence', 'walk-forward'],
      card.entries.map((e) => [
        MODEL_SHORT[e.model],
        e.symbol,
        e.horizon,
        String(e.scored),
        hitLine(e.direction),
        e.baseline ? rate(e.baseline.hitRate) : '—',
        points(e.margin),
        errorCell(e),
        walkForwardCell(e),
      ]),
    ),
    ...card.entries.filter(isLearner).map(calibrationLine).filter((l): l is string => l !== undefined),
    beating.length > 0
      ? `Beat the majority-class baseline (95% interval above its rate): ${beating.map((e) => `${MODEL_SHORT[e.model]} on ${e.symbol} ${e.horizon}`).join(', ')}. The other ${learners.length - beating.length} learner record${learners.length - beating.length === 1 ? ' does' : 's do'} not.`
      : `None of the ${learners.length} learner record${learners.length === 1 ? '' : 's'} beats the majority-class baseline (its 95% interval is not above the baseline's rate) — as most models on short horizons do not.`,
    `Walk-forward: out-of-sample hit rate at training (margin over the baseline); ${learners.filter((e) => e.walkForward && walkForwardBeats(e.walkForward)).length} of ${learners.length} beat it there.${waiting}`,
  ];
  if (card.entries.some((e) => e.simulated)) lines.push(SIMULATED_NOTE);
  return lines.join('\n');
}

export const getModelScorecard = defineTool({
  name: 'get-model-scorecard',
  title: 'Model scorecard',
  description:
    'How MIKEY\'s prediction models have done, per model, market and horizon: scored predictions, hit rate with its 95% interval, the majority-class baseline on the same bars and the margin, mean price error beside persistence, calibration (do 70% calls come true 70% of the time), ' +
    'the walk-forward record from training, and which models beat the baseline. Example: {"symbol":"BTC/USDT","horizon":"1h","days":30}.',
  permission: 'read:market',
  input: scorecardInputShape,
  output: {
    days: z.number().describe('Window in days'),
    since: z.string().describe('Start of the window'),
    entries: z.array(z.object({ model: z.string(), symbol: z.string(), horizon: z.string(), scored: z.number(), beatsBaseline: z.boolean() }).passthrough()).describe('One per model, market and horizon'),
    pending: z.number().describe('Predictions still waiting for their horizon'),
  },
  annotations: READ_ONLY,
  async run(ctx, args) {
    const card = await ctx.services.predictions.scorecard(args);
    return { text: scorecardText(card), data: card as never };
  },
});
