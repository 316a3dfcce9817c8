// Indicator readings for a tool or chat: the latest value of each asked-for indicator plus a short
// recent series, computed with the domain's batch indicators over candles from the store.
import {
  adx,
  atr,
  bollingerBands,
  ema,
  macd,
  obv,
  rsi,
  sma,
  stochastic,
  vwap,
  wma,
  type CandleColumns,
} from '../../domain/indicators/index.js';
import { TIMEFRAME_MS, type Timeframe } from '../../domain/ports.js';
import { AppError, ErrorCode } from '../errors.js';

export const INDICATOR_NAMES = ['sma', 'ema', 'wma', 'rsi', 'macd', 'bollinger', 'atr', 'stochastic', 'obv', 'vwap', 'adx'] as const;
export type IndicatorName = (typeof INDICATOR_NAMES)[number];
export const DEFAULT_INDICATORS: readonly IndicatorName[] = ['rsi', 'macd', 'ema'];

/** Default period per indicator (`period` overrides it where an indicator has one). */
export const DEFAULT_PERIODS: Readonly<Record<IndicatorName, number | null>> = {
  sma: 20, ema: 20, wma: 20, rsi: 14, macd: null, bollinger: 20, atr: 14, stochastic: 14, obv: null, vwap: null, adx: 14,
};

/** Values in the recent series. */
export const RECENT_VALUES = 10;
export const MIN_PERIOD = 2;
export const MAX_PERIOD = 200;

export interface IndicatorReading {
  /** Parameters used, e.g. { period: 14 } or { fast: 12, slow: 26, signal: 9 }. */
  params: Record<string, number>;
  /** Latest values by output name; null while the indicator is still warming up. */
  latest: Record<string, number | null>;
  /** The last values, oldest first, each with its candle's open time. */
  recent: Array<{ time: string } & Record<string, number | null>>;
}

/** Validates and de-duplicates the requested names; empty means the defaults. */
export function parseIndicatorNames(input: unknown): IndicatorName[] {
  if (input === undefined || input === null) return [...DEFAULT_INDICATORS];
  if (!Array.isArray(input)) throw new AppError(ErrorCode.invalidInput, `indicators must be a list, e.g. ["rsi", "macd"]`, `choose from ${INDICATOR_NAMES.join(', ')}`);
  if (input.length === 0) return [...DEFAULT_INDICATORS];
  const out: IndicatorName[] = [];
  for (const raw of input) {
    const name = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
    if (!(INDICATOR_NAMES as readonly string[]).includes(name)) {
      const shown = typeof raw === 'string' ? `"${raw.slice(0, 20)}"` : typeof raw;
      throw new AppError(ErrorCode.invalidInput, `unknown indicator ${shown}`, `choose from ${INDICATOR_NAMES.join(', ')}`);
    }
    if (!out.includes(name as IndicatorName)) out.push(name as IndicatorName);
  }
  return out;
}

export function parsePeriod(period: unknown): number | undefined {
  if (period === undefined || period === null) return undefined;
  if (typeof period !== 'number' || !Number.isInteger(period) || period < MIN_PERIOD || period > MAX_PERIOD) {
    throw new AppError(ErrorCode.invalidInput, `period must be a whole number from ${MIN_PERIOD} to ${MAX_PERIOD}`);
  }
  return period;
}

/** Candles to load so every asked-for indicator has settled (EMA-type ones need a long history). */
export function candlesNeeded(names: readonly IndicatorName[], period: number | undefined): number {
  let need = 60;
  for (const n of names) {
    const p = period ?? DEFAULT_PERIODS[n] ?? 0;
    switch (n) {
      case 'sma': case 'wma': case 'bollinger': case 'stochastic': need = Math.max(need, p + RECENT_VALUES + 5); break;
      case 'ema': case 'rsi': case 'atr': case 'adx': need = Math.max(need, 15 * p, 250); break;
      case 'macd': need = Math.max(need, 300); break;
      case 'obv': case 'vwap': need = Math.max(need, 100); break;
    }
  }
  return Math.min(need, 1_000);
}

const val = (x: number | undefined): number | null => (x === undefined || Number.isNaN(x) ? null : x);

/** Computes `names` over `columns`; the series share the candles' open times. */
export function computeIndicators(
  columns: CandleColumns,
  names: readonly IndicatorName[],
  period: number | undefined,
  timeframe: Timeframe,
): Record<string, IndicatorReading> {
  const n = columns.close.length;
  const from = Math.max(0, n - RECENT_VALUES);
  const reading = (params: Record<string, number>, outputs: Record<string, ArrayLike<number>>): IndicatorReading => {
    const latest: Record<string, number | null> = {};
    for (const [k, arr] of Object.entries(outputs)) latest[k] = val(arr[n - 1]);
    const recent: IndicatorReading['recent'] = [];
    for (let i = from; i < n; i++) {
      const point: { time: string } & Record<string, number | null> = { time: new Date(columns.time[i]!).toISOString() } as { time: string } & Record<string, number | null>;
      for (const [k, arr] of Object.entries(outputs)) point[k] = val(arr[i]);
      recent.push(point);
    }
    return { params, latest, recent };
  };
  const out: Record<string, IndicatorReading> = {};
  for (const name of names) {
    const p = period ?? DEFAULT_PERIODS[name] ?? 0;
    switch (name) {
      case 'sma': out[name] = reading({ period: p }, { value: sma(columns.close, p) }); break;
      case 'ema': out[name] = reading({ period: p }, { value: ema(columns.close, p) }); break;
      case 'wma': out[name] = reading({ period: p }, { value: wma(columns.close, p) }); break;
      case 'rsi': out[name] = reading({ period: p }, { value: rsi(columns.close, p) }); break;
      case 'atr': out[name] = reading({ period: p }, { value: atr(columns, p) }); break;
      case 'macd': {
        const m = macd(columns.close);
        out[name] = reading({ fast: 12, slow: 26, signal: 9 }, { macd: m.macd, signal: m.signal, histogram: m.histogram });
        break;
      }
      case 'bollinger': {
        const b = bollingerBands(columns.close, { period: p, stdDev: 2 });
        out[name] = reading({ period: p, stdDev: 2 }, { upper: b.upper, middle: b.middle, lower: b.lower, width: b.width, percentB: b.percentB });
        break;
      }
      case 'stochastic': {
        const s = stochastic(columns, { kPeriod: p, kSmoothing: 3, dPeriod: 3 });
        out[name] = reading({ kPeriod: p, kSmoothing: 3, dPeriod: 3 }, { k: s.k, d: s.d });
        break;
      }
      case 'adx': {
        const a = adx(columns, p);
        out[name] = reading({ period: p }, { adx: a.adx, plusDi: a.plusDi, minusDi: a.minusDi });
        break;
      }
      case 'obv': out[name] = reading({}, { value: obv(columns) }); break;
      case 'vwap': {
        // Intraday: the session is the UTC day. Daily and weekly bars: cumulative over the window.
        const daily = TIMEFRAME_MS[timeframe] < 86_400_000;
        out[name] = reading(daily ? { sessionHours: 24 } : {}, { value: vwap(columns, daily ? { sessionMs: 86_400_000 } : {}) });
        break;
      }
    }
  }
  return out;
}

