// Small dense linear algebra for the linear learners (a dozen features): a standardiser and a
// Gaussian-elimination solver with partial pivoting. Statistics on `number`, never money.

/** Per-feature mean and scale learnt on a training window; applied unchanged to later rows. */
export interface Standardiser {
  mean: number[];
  /** Population standard deviation; 1 where a feature is constant in training (it then standardises to 0). */
  scale: number[];
}

export function fitStandardiser(rows: ReadonlyArray<readonly number[]>, width: number): Standardiser {
  const n = rows.length;
  const mean = new Array<number>(width).fill(0);
  const scale = new Array<number>(width).fill(1);
  if (n === 0) return { mean, scale };
  for (const row of rows) for (let j = 0; j < width; j++) mean[j]! += row[j]!;
  for (let j = 0; j < width; j++) mean[j] = mean[j]! / n;
  for (let j = 0; j < width; j++) {
    let ss = 0;
    for (const row of rows) {
      const d = row[j]! - mean[j]!;
      ss += d * d;
    }
    const sd = Math.sqrt(ss / n);
    scale[j] = sd > 1e-12 ? sd : 1;
  }
  return { mean, scale };
}

export function standardise(s: Standardiser, row: readonly number[]): number[] {
  const out = new Array<number>(s.mean.length);
  for (let j = 0; j < s.mean.length; j++) out[j] = (row[j]! - s.mean[j]!) / s.scale[j]!;
  return out;
}

/**
 * Solves A x = b for a square matrix A (row-major, copied, not modified). Throws when A is singular;
 * the learners add an L2 term to the diagonal so their systems are positive definite.
 */
export function solveLinearSystem(a: ReadonlyArray<readonly number[]>, b: readonly number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    if (Math.abs(m[pivot]![col]!) < 1e-14) throw new RangeError('the normal equations are singular; add L2 regularisation or more varied training data');
    if (pivot !== col) [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    const p = m[col]!;
    for (let r = col + 1; r < n; r++) {
      const row = m[r]!;
      const f = row[col]! / p[col]!;
      if (f === 0) continue;
      for (let c = col; c <= n; c++) row[c] = row[c]! - f * p[c]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    const row = m[r]!;
    let s = row[n]!;
    for (let c = r + 1; c < n; c++) s -= row[c]! * x[c]!;
    x[r] = s / row[r]!;
  }
  return x;
}

/** Logistic function, safe for large |z|. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** Standard normal CDF (Abramowitz & Stegun 7.1.26 erf, absolute error below 1.5e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}
