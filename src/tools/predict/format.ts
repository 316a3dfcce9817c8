// How a prediction's record reads: hit rates with their sample count and 95 % interval, always beside
// the majority-class baseline on the same bars, and plainly whether the model beats it. Shared by the
// prediction tools so that no surface shows a call without the record that says how much to trust it.
import { LIVE_RECORD_MIN, type HitRecord, type ModelName, type PredictionRowView, type ScorecardEntry, type WalkForwardRecord } from '../../services/predict/prediction-service.js';
import { grouped } from '../format.js';

/** Short model names for tables (the full label is in the text around them). */
export const MODEL_SHORT: Record<ModelName, string> = {
  gradient_boosted_trees: 'GBT',
  logistic_regression: 'logistic',
  ridge_regression: 'ridge',
  majority_class: 'majority (baseline)',
  persistence: 'persistence (baseline)',
};

/** 0.523 → "52.3%"; null → "—". */
export function rate(n: number | null | undefined, decimals = 1): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '—' : `${(n * 100).toFixed(decimals)}%`;
}

/** A margin in percentage points: 0.021 → "+2.1 pts". */
export function points(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  const v = n * 100;
  const s = Math.abs(v) < 0.05 ? '0.0' : v.toFixed(1);
  return `${v > 0 && s !== '0.0' ? '+' : ''}${s} pts`;
}

/** "52.1% of 48 [38.0–66.0%]", or "no calls" without samples. */
export function hitLine(h: HitRecord): string {
  if (h.samples === 0 || h.hitRate === null) return 'no calls';
  return `${rate(h.hitRate)} of ${h.samples.toLocaleString('en-US')} [95% ${rate(h.low, 0)}–${rate(h.high, 0)}]`;
}

/** Whether a walk-forward record's interval lies above its baseline's rate (the live rule, applied out of sample). */
export function walkForwardBeats(wf: WalkForwardRecord): boolean {
  return wf.direction.samples > 0 && wf.baseline.hitRate !== null && wf.direction.low > wf.baseline.hitRate;
}

/** One sentence: the walk-forward record of a version, beside the baseline on the same samples. */
export function walkForwardSentence(wf: WalkForwardRecord | null): string {
  if (!wf || wf.direction.samples === 0) {
    if (wf && wf.meanAbsoluteReturnError !== null) {
      return `walk-forward: mean return error ${rate(wf.meanAbsoluteReturnError, 3)} vs persistence ${rate(wf.persistenceReturnError, 3)} (${wf.folds} folds); it makes no direction call`;
    }
    return 'no walk-forward record';
  }
  const verdict = walkForwardBeats(wf) ? 'beats the baseline' : 'does not beat the baseline';
  return `walk-forward out of sample: ${hitLine(wf.direction)} right over ${wf.folds} folds vs the majority-class baseline ${rate(wf.baseline.hitRate)} (margin ${points(wf.margin)}) — ${verdict}`;
}

/** The record that goes with every prediction: live when there is one, else the walk-forward one. */
export function recordSentences(r: ScorecardEntry): string[] {
  const where = `${r.symbol} ${r.horizon}`;
  if (r.direction.samples === 0) {
    return [`Record of ${r.label} on ${where}: no scored record yet; ${walkForwardSentence(r.walkForward)}.`];
  }
  const base = r.baseline && r.baseline.hitRate !== null ? `the majority-class baseline ${rate(r.baseline.hitRate)} on the same ${r.baseline.samples.toLocaleString('en-US')} bars, margin ${points(r.margin)}` : 'no baseline on the same bars yet';
  const verdict = r.beatsBaseline ? 'it beats the baseline (its 95% interval lies above it)' : 'it does not beat the baseline';
  const live = `Record of ${r.label} on ${where} (live, scored): ${hitLine(r.direction)} right; ${base} — ${verdict}.`;
  // A thin live record says little: the walk-forward one from training goes beside it.
  return r.direction.samples < LIVE_RECORD_MIN ? [live, `Too few scored calls to judge yet (under ${LIVE_RECORD_MIN}); at training, ${walkForwardSentence(r.walkForward)}.`] : [live];
}

/** The call in words: "UP (57% confidence)", or the price only for a price model. */
export function callWords(p: PredictionRowView): string {
  if (p.direction) return `${p.direction.toUpperCase()}${p.confidence !== null ? ` (${rate(p.confidence, 0)} confidence)` : ''}`;
  return p.predictedPrice !== null ? 'a price (no direction call)' : 'no call';
}

/** "65,012.3 (+0.17% from 64,900.1)". */
export function priceFrom(predicted: string | null, reference: string | null): string {
  if (predicted === null) return '—';
  const p = grouped(predicted, 2);
  if (reference === null || Number(reference) === 0) return p;
  const change = ((Number(predicted) - Number(reference)) / Number(reference)) * 100;
  return `${p} (${change >= 0 ? '+' : ''}${change.toFixed(2)}% from ${grouped(reference, 2)})`;
}

/** "2026-12-06 14:45 UTC". */
export function utc(iso: string): string {
  return `${iso.slice(0, 16).replace('T', ' ')} UTC`;
}

/** "12-06 14:45" for tables. */
export function shortTime(iso: string | null): string {
  return iso === null ? '—' : iso.slice(5, 16).replace('T', ' ');
}
