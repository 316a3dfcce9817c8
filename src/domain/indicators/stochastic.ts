// Stochastic oscillator. Raw %K = (close - lowest low) / (highest high - lowest low) * 100 over the
// last `kPeriod` bars (50 when the range is zero); %K is the simple average of the last `kSmoothing`
// raw values (1 = the "fast" stochastic, 3 = the "slow" one); %D is the simple average of the last
// `dPeriod` %K values. Small windows are summed directly, oldest first (as trading-signals does).
import { z } from 'zod';
import { parseSnapshot, snapshotCount, snapshotNumber, type SnapshotStream } from './snapshot.js';
import type { Bar, HlcSeries } from './types.js';
import { assertPeriod, sameLength, warmupArray } from './types.js';

export interface StochasticOptions {
  kPeriod?: number;
  kSmoothing?: number;
  dPeriod?: number;
}

export interface StochasticSeries {
  /** Defined from index kPeriod + kSmoothing - 2. */
  k: Float64Array;
  /** Defined from index kPeriod + kSmoothing + dPeriod - 3. */
  d: Float64Array;
}

export interface StochasticValue {
  k: number;
  d: number;
}

function resolve(options: StochasticOptions): Required<StochasticOptions> {
  const kPeriod = options.kPeriod ?? 14;
  const kSmoothing = options.kSmoothing ?? 1;
  const dPeriod = options.dPeriod ?? 3;
  assertPeriod(kPeriod, 'kPeriod');
  assertPeriod(kSmoothing, 'kSmoothing');
  assertPeriod(dPeriod, 'dPeriod');
  return { kPeriod, kSmoothing, dPeriod };
}

function rawK(close: number, lowest: number, highest: number): number {
  const range = highest - lowest;
  return range === 0 ? 50 : ((close - lowest) / range) * 100;
}

/** Stochastic %K/%D over bars (default 14, 1, 3). Highest/lowest come from monotonic queues: O(n). */
export function stochastic(series: HlcSeries, options: StochasticOptions = {}): StochasticSeries {
  const { kPeriod, kSmoothing, dPeriod } = resolve(options);
  const { high, low, close } = series;
  const n = sameLength([['high', high], ['low', low], ['close', close]]);
  const kStart = kPeriod + kSmoothing - 2;
  const dStart = kStart + dPeriod - 1;
  const raw = warmupArray(n, kPeriod - 1);
  const k = kSmoothing === 1 ? raw : warmupArray(n, kStart);
  const d = warmupArray(n, dStart);
  // Indices of candidate highs (values decreasing) and lows (values increasing), oldest at the head.
  const highQueue = new Int32Array(n);
  const lowQueue = new Int32Array(n);
  let highHead = 0;
  let highTail = 0;
  let lowHead = 0;
  let lowTail = 0;
  for (let i = 0; i < n; i++) {
    const h = high[i]!;
    const l = low[i]!;
    while (highTail > highHead && high[highQueue[highTail - 1]!]! <= h) highTail--;
    highQueue[highTail++] = i;
    while (lowTail > lowHead && low[lowQueue[lowTail - 1]!]! >= l) lowTail--;
    lowQueue[lowTail++] = i;
    const windowStart = i - kPeriod + 1;
    if (windowStart < 0) continue;
    while (highQueue[highHead]! < windowStart) highHead++;
    while (lowQueue[lowHead]! < windowStart) lowHead++;
    raw[i] = rawK(close[i]!, low[lowQueue[lowHead]!]!, high[highQueue[highHead]!]!);
    if (i < kStart) continue;
    if (kSmoothing !== 1) {
      let sum = 0;
      for (let j = i - kSmoothing + 1; j <= i; j++) sum += raw[j]!;
      k[i] = sum / kSmoothing;
    }
    if (i < dStart) continue;
    let sum = 0;
    for (let j = i - dPeriod + 1; j <= i; j++) sum += k[j]!;
    d[i] = sum / dPeriod;
  }
  return { k, d };
}

/** A fixed-size window of the latest values, summed oldest first. */
class RecentValues {
  #values: Float64Array;
  #head = 0;
  #count = 0;

  constructor(size: number) {
    this.#values = new Float64Array(size);
  }

  push(x: number): void {
    this.#values[this.#head] = x;
    this.#head = this.#head + 1 === this.#values.length ? 0 : this.#head + 1;
    this.#count++;
  }

  get full(): boolean {
    return this.#count >= this.#values.length;
  }

  /** Sum of the window, oldest first; only meaningful when `full`. */
  sum(): number {
    const size = this.#values.length;
    let sum = 0;
    for (let j = 0, p = this.#head; j < size; j++, p = p + 1 === size ? 0 : p + 1) sum += this.#values[p]!;
    return sum;
  }

  max(): number {
    let m = -Infinity;
    const values = this.#values;
    for (let j = 0; j < values.length; j++) if (values[j]! > m) m = values[j]!;
    return m;
  }

  min(): number {
    let m = Infinity;
    const values = this.#values;
    for (let j = 0; j < values.length; j++) if (values[j]! < m) m = values[j]!;
    return m;
  }

  snapshot(): RecentValuesSnapshot {
    return { values: Array.from(this.#values), count: this.#count };
  }

  /** Takes a snapshot's values (the head is `count % size`); throws RangeError if the size differs. */
  load(s: RecentValuesSnapshot, name: string): void {
    const size = this.#values.length;
    if (s.values.length !== size) throw new RangeError(`a stochastic stream snapshot is not valid (${name}): it holds ${s.values.length} values, expected ${size}`);
    this.#values = Float64Array.from(s.values);
    this.#head = s.count % size;
    this.#count = s.count;
  }
}

const recentValuesSnapshot = z.object({ values: z.array(snapshotNumber), count: snapshotCount }).strict();
type RecentValuesSnapshot = z.infer<typeof recentValuesSnapshot>;

const stochasticSnapshot = z
  .object({
    kPeriod: z.number(),
    kSmoothing: z.number(),
    dPeriod: z.number(),
    highs: recentValuesSnapshot,
    lows: recentValuesSnapshot,
    raw: recentValuesSnapshot,
    k: recentValuesSnapshot,
    lastK: snapshotNumber.nullable(),
    value: z.object({ k: snapshotNumber, d: snapshotNumber }).strict().nullable(),
  })
  .strict();
/** A StochasticStream's periods, its four windows and its last %K and value (null before). */
export type StochasticSnapshot = z.infer<typeof stochasticSnapshot>;

/** Streaming stochastic; `update` returns %K and %D once %D is defined (`k` alone earlier). */
export class StochasticStream implements SnapshotStream<StochasticSnapshot> {
  readonly kPeriod: number;
  readonly kSmoothing: number;
  readonly dPeriod: number;
  readonly #highs: RecentValues;
  readonly #lows: RecentValues;
  readonly #raw: RecentValues;
  readonly #k: RecentValues;
  #lastK: number | undefined;
  #value: StochasticValue | undefined;

  constructor(options: StochasticOptions = {}) {
    const { kPeriod, kSmoothing, dPeriod } = resolve(options);
    this.kPeriod = kPeriod;
    this.kSmoothing = kSmoothing;
    this.dPeriod = dPeriod;
    this.#highs = new RecentValues(kPeriod);
    this.#lows = new RecentValues(kPeriod);
    this.#raw = new RecentValues(kSmoothing);
    this.#k = new RecentValues(dPeriod);
  }

  get value(): StochasticValue | undefined {
    return this.#value;
  }

  /** %K alone, defined before %D is. */
  get k(): number | undefined {
    return this.#lastK;
  }

  update(bar: Bar): StochasticValue | undefined {
    this.#highs.push(bar.high);
    this.#lows.push(bar.low);
    if (!this.#highs.full) return undefined;
    const raw = rawK(bar.close, this.#lows.min(), this.#highs.max());
    let k: number;
    if (this.kSmoothing === 1) {
      k = raw;
    } else {
      this.#raw.push(raw);
      if (!this.#raw.full) return undefined;
      k = this.#raw.sum() / this.kSmoothing;
    }
    this.#lastK = k;
    this.#k.push(k);
    if (!this.#k.full) return undefined;
    return (this.#value = { k, d: this.#k.sum() / this.dPeriod });
  }

  get streamTag(): 'stochastic' {
    return 'stochastic';
  }

  snapshot(): StochasticSnapshot {
    return {
      kPeriod: this.kPeriod,
      kSmoothing: this.kSmoothing,
      dPeriod: this.dPeriod,
      highs: this.#highs.snapshot(),
      lows: this.#lows.snapshot(),
      raw: this.#raw.snapshot(),
      k: this.#k.snapshot(),
      lastK: this.#lastK ?? null,
      value: this.#value === undefined ? null : { ...this.#value },
    };
  }

  /** A stream that continues exactly as the one `snapshot` was taken from; throws RangeError if it is not valid. */
  static restore(snapshot: unknown): StochasticStream {
    const s = parseSnapshot('stochastic', stochasticSnapshot, snapshot);
    const stream = new StochasticStream({ kPeriod: s.kPeriod, kSmoothing: s.kSmoothing, dPeriod: s.dPeriod });
    stream.#highs.load(s.highs, 'highs');
    stream.#lows.load(s.lows, 'lows');
    stream.#raw.load(s.raw, 'raw');
    stream.#k.load(s.k, 'k');
    stream.#lastK = s.lastK ?? undefined;
    stream.#value = s.value === null ? undefined : { ...s.value };
    return stream;
  }
}
