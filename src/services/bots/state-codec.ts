// A bot's strategy state as text, so it survives a restart: JSON with tagged values for what JSON
// cannot hold — decimals, dates, Float64Arrays, Maps, undefined, and the numbers JSON loses (NaN,
// ±Infinity, -0). Plain objects and arrays are kept as they are.
//
// Exactness is the point: a bot that resumes with a state that differs from the one it saved would
// decide differently from the strategy that was backtested. Indicator streams keep their running
// sums in private fields; the ones registered in STREAMS below are stored through their own
// `snapshot()` and rebuilt with their static `restore`, which continue bit for bit. Anything else the
// codec cannot rebuild exactly is refused when encoding, never approximated: any other class
// instance, a function, a symbol, a bigint, a cycle. `checkRoundTrip` encodes, decodes and encodes
// again and compares, so a bot is refused at creation when its strategy's state cannot be stored.
//
// Format: a value is stored as itself when JSON holds it exactly (strings, booleans, null, finite
// numbers other than -0, arrays, plain objects); otherwise as `{"$t": tag, "v": ...}`. A plain object
// that itself has a "$t" key is wrapped as `{"$t": "object", "v": {...}}`, so no stored object is
// ever mistaken for a tagged value. A registered stream is `{"$t": "stream", "v": {"stream": tag,
// "state": its snapshot, encoded like any other value}}`.
import {
  AdxStream, AtrStream, BollingerStream, EmaStream, isSnapshotStream, MacdStream, ObvStream, RsiStream, SmaStream, StochasticStream, VwapStream,
  WmaStream, type SnapshotStream,
} from '../../domain/indicators/index.js';
import { D } from '../../domain/money.js';
import { FeatureStream } from '../../domain/predict/feature-stream.js';

const TAG = '$t';
/** Deepest nesting accepted: states are shallow; a deeper one is a bug or a cycle. */
const MAX_DEPTH = 64;

export class StateCodecError extends Error {
  override readonly name = 'StateCodecError';
}

/** A stream class the codec can store: what it is, and how to rebuild one from its snapshot. */
interface StreamEntry {
  type: abstract new (...args: never[]) => SnapshotStream;
  restore: (snapshot: unknown) => SnapshotStream;
}

/**
 * Stream classes by their `streamTag`. A new stream kept in a strategy's state is added here once it
 * has `snapshot` and `restore`; until then a bot refuses the strategy.
 */
const STREAMS: Readonly<Record<string, StreamEntry>> = {
  sma: { type: SmaStream, restore: (s) => SmaStream.restore(s) },
  ema: { type: EmaStream, restore: (s) => EmaStream.restore(s) },
  wma: { type: WmaStream, restore: (s) => WmaStream.restore(s) },
  rsi: { type: RsiStream, restore: (s) => RsiStream.restore(s) },
  atr: { type: AtrStream, restore: (s) => AtrStream.restore(s) },
  bollinger: { type: BollingerStream, restore: (s) => BollingerStream.restore(s) },
  macd: { type: MacdStream, restore: (s) => MacdStream.restore(s) },
  adx: { type: AdxStream, restore: (s) => AdxStream.restore(s) },
  stochastic: { type: StochasticStream, restore: (s) => StochasticStream.restore(s) },
  obv: { type: ObvStream, restore: (s) => ObvStream.restore(s) },
  vwap: { type: VwapStream, restore: (s) => VwapStream.restore(s) },
  features: { type: FeatureStream, restore: (s) => FeatureStream.restore(s) },
};

/** The registered entry for a stream instance, or undefined (tag unknown, or a different class using it). */
function streamEntry(o: object): StreamEntry | undefined {
  if (!isSnapshotStream(o)) return undefined;
  const entry = Object.prototype.hasOwnProperty.call(STREAMS, o.streamTag) ? STREAMS[o.streamTag] : undefined;
  return entry !== undefined && Object.getPrototypeOf(o) === entry.type.prototype ? entry : undefined;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function encodeNumber(n: number): Json {
  if (Number.isNaN(n)) return { [TAG]: 'num', v: 'NaN' };
  if (n === Infinity) return { [TAG]: 'num', v: 'Infinity' };
  if (n === -Infinity) return { [TAG]: 'num', v: '-Infinity' };
  if (Object.is(n, -0)) return { [TAG]: 'num', v: '-0' };
  return n;
}

function decodeNumber(s: unknown): number {
  switch (s) {
    case 'NaN':
      return NaN;
    case 'Infinity':
      return Infinity;
    case '-Infinity':
      return -Infinity;
    case '-0':
      return -0;
    default:
      throw new StateCodecError(`unknown stored number ${String(s).slice(0, 20)}`);
  }
}

function typeName(v: object): string {
  const ctor = (Object.getPrototypeOf(v) as { constructor?: { name?: string } } | null)?.constructor?.name;
  return ctor && ctor !== 'Object' ? ctor : 'object';
}

function encodeValue(v: unknown, path: string, depth: number, seen: Set<object>): Json {
  if (depth > MAX_DEPTH) throw new StateCodecError(`${path} is nested more than ${MAX_DEPTH} levels deep`);
  if (v === null) return null;
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      return encodeNumber(v);
    case 'undefined':
      return { [TAG]: 'undef' };
    case 'bigint':
    case 'function':
    case 'symbol':
      throw new StateCodecError(`${path} is a ${typeof v}, which cannot be stored`);
    default:
      break;
  }
  const o = v;
  if (seen.has(o)) throw new StateCodecError(`${path} refers back to itself (a cycle), which cannot be stored`);
  if (D.isDecimal(o)) return { [TAG]: 'dec', v: encodeDecimal(o) };
  if (o instanceof Date) {
    const t = o.getTime();
    if (!Number.isFinite(t)) throw new StateCodecError(`${path} is an invalid date`);
    return { [TAG]: 'date', v: t };
  }
  seen.add(o);
  try {
    if (o instanceof Float64Array) return { [TAG]: 'f64', v: Array.from(o, encodeNumber) };
    if (o instanceof Map) {
      const entries: Json[] = [];
      let i = 0;
      for (const [k, x] of o) {
        entries.push([encodeValue(k, `${path} key ${i}`, depth + 1, seen), encodeValue(x, `${path}[${i}]`, depth + 1, seen)]);
        i++;
      }
      return { [TAG]: 'map', v: entries };
    }
    if (Array.isArray(o)) {
      if (Object.getPrototypeOf(o) !== Array.prototype) throw new StateCodecError(`${path} is a ${typeName(o)}, which cannot be stored`);
      const out: Json[] = [];
      for (let i = 0; i < o.length; i++) {
        // A hole reads as undefined; it is stored as undefined (a state has no reason to hold holes).
        out.push(encodeValue((o as unknown[])[i], `${path}[${i}]`, depth + 1, seen));
      }
      return out;
    }
    const stream = streamEntry(o);
    if (stream !== undefined) {
      const tag = (o as SnapshotStream).streamTag;
      return { [TAG]: 'stream', v: { stream: tag, state: encodeValue((o as SnapshotStream).snapshot(), `${path} (${tag} stream)`, depth + 1, seen) } };
    }
    if (!isPlainObject(o)) {
      throw new StateCodecError(`${path} is a ${typeName(o)}, an object whose inner state (private fields) cannot be stored and rebuilt exactly`);
    }
    if (Object.getOwnPropertySymbols(o).length > 0) throw new StateCodecError(`${path} has symbol keys, which cannot be stored`);
    const out: { [k: string]: Json } = {};
    for (const k of Object.keys(o)) out[k] = encodeValue((o as Record<string, unknown>)[k], `${path}.${k}`, depth + 1, seen);
    return Object.prototype.hasOwnProperty.call(out, TAG) ? { [TAG]: 'object', v: out } : out;
  } finally {
    seen.delete(o);
  }
}

function encodeDecimal(d: InstanceType<typeof D>): string {
  // decimal.js prints -0 as "0"; keep the sign so the value is the same one.
  if (d.isZero() && d.isNeg()) return '-0';
  return d.toString();
}

function decodeValue(j: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH + 1) throw new StateCodecError('the stored state is nested too deeply');
  if (j === null || typeof j === 'string' || typeof j === 'boolean' || typeof j === 'number') return j;
  if (Array.isArray(j)) return j.map((x) => decodeValue(x, depth + 1));
  if (typeof j !== 'object') throw new StateCodecError(`unexpected ${typeof j} in the stored state`);
  const o = j as Record<string, unknown>;
  if (!Object.prototype.hasOwnProperty.call(o, TAG)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o)) out[k] = decodeValue(o[k], depth + 1);
    return out;
  }
  const v = o.v;
  switch (o[TAG]) {
    case 'num':
      return decodeNumber(v);
    case 'undef':
      return undefined;
    case 'dec':
      if (typeof v !== 'string') throw new StateCodecError('a stored decimal is not a string');
      return new D(v);
    case 'date':
      if (typeof v !== 'number') throw new StateCodecError('a stored date is not a number');
      return new Date(v);
    case 'f64':
      if (!Array.isArray(v)) throw new StateCodecError('a stored Float64Array is not a list');
      return Float64Array.from(v.map((x) => (typeof x === 'number' ? x : decodeNumber((x as { v?: unknown }).v))));
    case 'map': {
      if (!Array.isArray(v)) throw new StateCodecError('a stored Map is not a list');
      const m = new Map<unknown, unknown>();
      for (const e of v) {
        if (!Array.isArray(e) || e.length !== 2) throw new StateCodecError('a stored Map entry is not a pair');
        m.set(decodeValue(e[0], depth + 1), decodeValue(e[1], depth + 1));
      }
      return m;
    }
    case 'stream': {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new StateCodecError('a stored stream is not an object');
      const { stream, state } = v as { stream?: unknown; state?: unknown };
      const entry = typeof stream === 'string' && Object.prototype.hasOwnProperty.call(STREAMS, stream) ? STREAMS[stream] : undefined;
      if (entry === undefined) throw new StateCodecError(`unknown stored stream kind ${String(stream).slice(0, 20)}`);
      try {
        return entry.restore(decodeValue(state, depth + 1));
      } catch (err) {
        if (err instanceof RangeError) throw new StateCodecError(err.message);
        throw err;
      }
    }
    case 'object': {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new StateCodecError('a stored object is not an object');
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v)) out[k] = decodeValue((v as Record<string, unknown>)[k], depth + 1);
      return out;
    }
    default:
      throw new StateCodecError(`unknown stored value type ${String(o[TAG]).slice(0, 20)}`);
  }
}

/** The state as text; throws StateCodecError naming the part that cannot be stored exactly. */
export function encodeState(state: unknown): string {
  return JSON.stringify(encodeValue(state, 'state', 0, new Set()));
}

/** The state back from `encodeState`'s text. */
export function decodeState(text: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new StateCodecError('the stored state is not valid JSON');
  }
  return decodeValue(parsed, 0);
}

/**
 * Whether `state` survives storing: it encodes, and the decoded value encodes to the same text.
 * Returns the encoded text, or the reason it cannot be stored.
 */
export function checkRoundTrip(state: unknown): { ok: true; text: string } | { ok: false; reason: string } {
  try {
    const text = encodeState(state);
    const again = encodeState(decodeState(text));
    if (again !== text) return { ok: false, reason: 'the state reads back differently from how it was stored' };
    return { ok: true, text };
  } catch (err) {
    if (err instanceof StateCodecError) return { ok: false, reason: err.message };
    throw err;
  }
}
