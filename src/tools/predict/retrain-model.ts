// retrain-model (admin): trains new versions of a market's models for a horizon now, on the latest
// closed bars, and shows each with the walk-forward record it was evaluated with. The new versions
// become the active ones (stored in ml_models, audited); older versions stay for the record.
import { z } from 'zod';
import { defineTool } from '../../mcp/tool.js';
import { retrainInputShape, type ModelVersionView } from '../../services/predict/prediction-service.js';
import { SIMULATED_NOTE, tableBlock } from '../format.js';
import { hitLine, MODEL_SHORT, points, rate, walkForwardBeats } from './format.js';

function returnError(v: ModelVersionView): string {
  const wf = v.walkForward;
  if (wf.meanAbsoluteReturnError === null) return '—';
  if (v.name === 'persistence' || wf.persistenceReturnError === null) return rate(wf.meanAbsoluteReturnError, 3);
  return `${rate(wf.meanAbsoluteReturnError, 3)} vs ${rate(wf.persistenceReturnError, 3)}`;
}

/** What a person reads: the new versions and their out-of-sample record. */
export function retrainText(versions: readonly ModelVersionView[]): string {
  const first = versions[0];
  if (!first) return 'Nothing was retrained.';
  const withDirection = versions.filter((v) => v.walkForward.direction.samples > 0 && v.name !== 'majority_class');
  const beating = withDirection.filter((v) => walkForwardBeats(v.walkForward));
  const lines = [
    `Retrained ${versions.length} model${versions.length === 1 ? '' : 's'} of ${first.symbol} ${first.horizon} on ${first.samples.toLocaleString('en-US')} ${first.timeframe} samples from ${first.trainedFrom.slice(0, 16).replace('T', ' ')} to ${first.trainedTo.slice(0, 16).replace('T', ' ')} UTC; the new versions are now active:`,
    tableBlock(
      ['model', 'version', 'walk-forward hit rate [95%]', 'baseline', 'margin', 'return error vs persistence'],
      versions.map((v) => [
        MODEL_SHORT[v.name],
        `v${v.version}`,
        hitLine(v.walkForward.direction),
        v.name === 'majority_class' || v.walkForward.direction.samples === 0 ? '—' : rate(v.walkForward.baseline.hitRate),
        v.name === 'majority_class' || v.walkForward.direction.samples === 0 ? '—' : points(v.walkForward.margin),
        returnError(v),
      ]),
    ),
    withDirection.length === 0
      ? 'No direction model was retrained.'
      : beating.length > 0
        ? `Out of sample, ${beating.map((v) => MODEL_SHORT[v.name]).join(', ')} beat the majority-class baseline (95% interval above its rate); ${withDirection.length - beating.length} did not.`
        : `Out of sample, none of the ${withDirection.length} direction model${withDirection.length === 1 ? '' : 's'} beats the majority-class baseline (its 95% interval is not above the baseline's rate).`,
  ];
  if (versions.some((v) => v.simulated)) lines.push(SIMULATED_NOTE);
  return lines.join('\n');
}

export const retrainModel = defineTool({
  name: 'retrain-model',
  title: 'Retrain prediction models (admin)',
  description:
    'Admin only: retrains the prediction models of a market and horizon now on the latest closed bars (walk-forward evaluation first), makes the new versions active and shows each with its out-of-sample record beside the baseline. ' +
    'Without a model, all five (three learners and two baselines) are retrained. Example: {"symbol":"BTC/USDT","horizon":"1h"}.',
  permission: 'admin',
  input: retrainInputShape,
  output: { versions: z.array(z.object({ id: z.string(), name: z.string(), version: z.number() }).passthrough()).describe('The new active versions with their walk-forward record') },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  async run(ctx, args) {
    const versions = await ctx.services.predictions.retrain(ctx.actor, args);
    return { text: retrainText(versions), data: { versions } as never };
  },
});
