// Walk-forward windows: a candle window cut into folds, each an in-sample part (where parameters are
// chosen) followed directly by an out-of-sample part (where the chosen parameters are judged on
// candles they never saw).
//
// Layout, for n candles, F folds and in-sample fraction f (the share of a fold's candles that are
// in-sample):
// - The out-of-sample parts are consecutive, equally long and end at the last candle:
//   O = floor(n × (1 − f) / (f + F × (1 − f))) candles each, the k-th (0-based) covering
//   [n − (F − k) × O, n − (F − k − 1) × O).
// - The first in-sample part is everything before the first out-of-sample part: I = n − F × O
//   candles (at least f/(1 − f) × O; the rounding remainder goes here, so every candle is used).
// - rolling: each fold's in-sample part is the I candles just before its out-of-sample part.
//   anchored: each fold's in-sample part starts at candle 0 and grows by O per fold.
// Index ranges are half-open: [start, end).
import { DomainErrorCode, fail, ok, type Result } from '../result.js';

export const WalkForwardMode = { rolling: 'rolling', anchored: 'anchored' } as const;
export type WalkForwardMode = (typeof WalkForwardMode)[keyof typeof WalkForwardMode];

export interface WalkForwardOptions {
  /** Number of folds, 1 to 50. */
  folds: number;
  /** Share of a fold that is in-sample, strictly between 0 and 1 (0.7 = 70% in, 30% out). */
  inSampleFraction: number;
  mode: WalkForwardMode;
}

export const DEFAULT_WALK_FORWARD: WalkForwardOptions = Object.freeze({ folds: 3, inSampleFraction: 0.7, mode: 'rolling' });

/** Candle indexes [start, end) of a candle array. */
export interface IndexRange {
  start: number;
  end: number;
}

export interface Fold {
  index: number;
  inSample: IndexRange;
  outOfSample: IndexRange;
}

/** Fewest candles a part may hold: a Sharpe ratio needs two returns. */
export const MIN_PART_CANDLES = 2;
export const MAX_FOLDS = 50;

/** Cuts `candleCount` candles into walk-forward folds (see header). Pure and deterministic. */
export function walkForwardFolds(candleCount: number, options: WalkForwardOptions): Result<Fold[]> {
  const { folds, inSampleFraction: f, mode } = options;
  if (!Number.isInteger(folds) || folds < 1 || folds > MAX_FOLDS) {
    return fail(DomainErrorCode.invalidInput, `folds must be a whole number from 1 to ${MAX_FOLDS}, got ${String(folds)}`);
  }
  if (!(typeof f === 'number' && f > 0 && f < 1)) {
    return fail(DomainErrorCode.invalidInput, `the in-sample fraction must be between 0 and 1 (0.7 = 70% in-sample), got ${String(f)}`);
  }
  if (mode !== 'rolling' && mode !== 'anchored') {
    return fail(DomainErrorCode.invalidInput, `the walk-forward mode must be rolling or anchored, got ${String(mode)}`);
  }
  if (!Number.isInteger(candleCount) || candleCount < 0) {
    return fail(DomainErrorCode.invalidInput, `the candle count must be a whole number, got ${String(candleCount)}`);
  }
  // A hair of tolerance so that exact quotients computed in binary floating point are not floored one short.
  const outLength = Math.floor((candleCount * (1 - f)) / (f + folds * (1 - f)) + 1e-9);
  const inLength = candleCount - folds * outLength;
  if (outLength < MIN_PART_CANDLES || inLength < MIN_PART_CANDLES) {
    return fail(
      DomainErrorCode.invalidInput,
      `${candleCount} candles are too few for ${folds} fold${folds === 1 ? '' : 's'} at ${Math.round(f * 100)}% in-sample: each part needs at least ${MIN_PART_CANDLES} candles; use a longer window or fewer folds`,
    );
  }
  const out: Fold[] = [];
  for (let k = 0; k < folds; k++) {
    const oosStart = inLength + k * outLength;
    out.push({
      index: k,
      inSample: { start: mode === 'anchored' ? 0 : oosStart - inLength, end: oosStart },
      outOfSample: { start: oosStart, end: oosStart + outLength },
    });
  }
  return ok(out);
}
