// What every trainer needs from a training set.
import type { Sample } from '../dataset.js';
import type { TrainingWindow } from './model.js';

/** Throws unless there is at least one sample and every row has `width` columns; returns the window. */
export function trainingWindowOf(samples: readonly Sample[], width: number, horizon: number): TrainingWindow {
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (first === undefined || last === undefined) throw new RangeError('cannot train on an empty window; give the model at least one labelled sample');
  for (const s of samples) {
    if (s.x.length !== width) throw new RangeError(`sample at bar ${s.index} has ${s.x.length} features, expected ${width}`);
  }
  return { fromIndex: first.index, toIndex: last.index, fromTime: first.time, toTime: last.time, samples: samples.length, horizon };
}
