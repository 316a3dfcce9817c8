// Timeframes as the services accept them: validation with a message naming the choices, and candle
// alignment (the open time of the candle containing an instant; weekly candles open on Monday
// 00:00 UTC, as on Binance and in the simulated market).
import { TIMEFRAME_MS, Timeframe } from '../../domain/ports.js';
import { AppError, ErrorCode } from '../errors.js';

export const TIMEFRAMES: readonly Timeframe[] = Object.values(Timeframe);

/** 1970-01-05 was the first Monday after the epoch. */
const WEEK_OFFSET_MS = 4 * 86_400_000;

export function isTimeframe(value: unknown): value is Timeframe {
  return typeof value === 'string' && (TIMEFRAMES as readonly string[]).includes(value);
}

/** The timeframe, or an `invalid_input` error listing the supported ones. */
export function parseTimeframe(value: unknown): Timeframe {
  if (isTimeframe(value)) return value;
  const shown = typeof value === 'string' ? `"${value.trim().slice(0, 12)}"` : typeof value;
  throw new AppError(
    ErrorCode.invalidInput,
    `unsupported timeframe ${shown}`,
    `use one of ${TIMEFRAMES.join(', ')}`,
    { timeframe: typeof value === 'string' ? value.slice(0, 12) : null, supported: TIMEFRAMES },
  );
}

export function timeframeMs(timeframe: Timeframe): number {
  return TIMEFRAME_MS[timeframe];
}

/** Open time (epoch ms) of the `timeframe` candle that contains `timeMs`. */
export function alignOpenTime(timeMs: number, timeframe: Timeframe): number {
  const ms = TIMEFRAME_MS[timeframe];
  const offset = timeframe === '1w' ? WEEK_OFFSET_MS : 0;
  return Math.floor((timeMs - offset) / ms) * ms + offset;
}

/** The first open time at or after `timeMs`. */
export function alignOpenTimeUp(timeMs: number, timeframe: Timeframe): number {
  const open = alignOpenTime(timeMs, timeframe);
  return open === timeMs ? open : open + TIMEFRAME_MS[timeframe];
}
