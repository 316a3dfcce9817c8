// Training labels: what happened `horizon` bars after t. These read the future by definition, so
// they live apart from the features and are used only to train and to score, never as inputs.

/** The outcome of bar t at horizon h: the simple return from close[t] to close[t+h] and its direction. */
export interface Label {
  futureReturn: number;
  futureClose: number;
  /** True when the close h bars later is strictly above close[t]. */
  up: boolean;
}

/** Labels aligned with `closes`; undefined for the last `horizon` bars (their outcome is not known yet). */
export function labelsFor(closes: ArrayLike<number>, horizon: number): Array<Label | undefined> {
  if (!Number.isInteger(horizon) || horizon < 1 || horizon > 100_000) {
    throw new RangeError(`horizon must be a whole number of bars from 1 to 100000, got ${String(horizon)}`);
  }
  const n = closes.length;
  const out = new Array<Label | undefined>(n).fill(undefined);
  for (let t = 0; t + horizon < n; t++) {
    const futureClose = closes[t + horizon]!;
    const futureReturn = futureClose / closes[t]! - 1;
    if (Number.isFinite(futureReturn)) out[t] = { futureReturn, futureClose, up: futureClose > closes[t]! };
  }
  return out;
}
