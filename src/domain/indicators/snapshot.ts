// Snapshots of streaming indicators: a stream's running values written out as plain data, and read
// back into a stream that continues bit for bit as the original would. A bot stores its strategy's
// state between candles; the streams in that state keep their sums in private fields, so each one
// says what it holds (`snapshot`) and how to be rebuilt from it (a static `restore`).
//
// A snapshot holds only numbers (any, NaN and ±Infinity included: the stream's arithmetic can make
// them), arrays of numbers, null and nested snapshots. Whoever stores it must keep every number's
// exact value. `restore` validates what it is given and throws a RangeError naming what is wrong, so
// a corrupted stored state fails loudly instead of producing a stream that decides differently.
import { z } from 'zod';

/** A streaming indicator that can be snapshotted and restored. */
export interface SnapshotStream<S extends object = object> {
  /** The kind of stream ("sma", "ema", ...): the name its restore function is registered under. */
  readonly streamTag: string;
  /** The running values as plain data; the stream is not changed. */
  snapshot(): S;
}

/** Whether `v` is a stream that can be snapshotted (it names its kind and has `snapshot`). */
export function isSnapshotStream(v: unknown): v is SnapshotStream {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Partial<SnapshotStream>;
  return typeof s.streamTag === 'string' && typeof s.snapshot === 'function';
}

/** Any number, NaN included (zod's number refuses NaN). */
export const snapshotNumber = z.union([z.number(), z.nan()]);
/** How many values a stream has taken. */
export const snapshotCount = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** Parses a snapshot, or throws a RangeError saying which field of which stream is wrong. */
export function parseSnapshot<T>(tag: string, schema: z.ZodType<T>, snapshot: unknown): T {
  const r = schema.safeParse(snapshot);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const where = issue.path.length > 0 ? ` (${issue.path.join('.')})` : '';
  throw new RangeError(`a ${tag} stream snapshot is not valid${where}: ${issue.message}`);
}

/** Throws unless a stored ring buffer has one slot per period. */
export function assertWindow(tag: string, window: readonly number[], period: number): void {
  if (window.length !== period) throw new RangeError(`a ${tag} stream snapshot is not valid (window): it holds ${window.length} values for a period of ${period}`);
}
