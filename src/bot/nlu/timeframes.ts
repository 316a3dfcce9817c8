// Timeframes as traders say them ("4h", "on the 4h", "4 hour", "hourly", "daily", "h4", "15 min")
// mapped to the ones MIKEY serves: 1m 5m 15m 30m 1h 4h 1d 1w.

export const TIMEFRAMES = ['1m', '5m', '15m', '30m', '1h', '4h', '1d', '1w'] as const;
export type NluTimeframe = (typeof TIMEFRAMES)[number];

export interface TimeframeMatch {
  /** The timeframe, or undefined when the phrase named one MIKEY does not serve. */
  timeframe: NluTimeframe | undefined;
  /** What was written, for the "unsupported timeframe" message. */
  written: string;
  /** The text with the phrase removed. */
  rest: string;
}

const UNIT_MINUTES: Record<string, number> = {
  m: 1, min: 1, mins: 1, minute: 1, minutes: 1,
  h: 60, hr: 60, hrs: 60, hour: 60, hours: 60,
  d: 1440, day: 1440, days: 1440,
  w: 10080, wk: 10080, week: 10080, weeks: 10080,
};

const BY_MINUTES: Record<number, NluTimeframe> = { 1: '1m', 5: '5m', 15: '15m', 30: '30m', 60: '1h', 240: '4h', 1440: '1d', 10080: '1w' };
const WORDS: Record<string, NluTimeframe> = { hourly: '1h', daily: '1d', weekly: '1w', 'four hour': '4h', 'four-hour': '4h', 'one hour': '1h', 'one minute': '1m' };

const NUMERIC = /(?:\b(?:on|in|for|using)\s+(?:the\s+)?)?(?<![\w.])(\d{1,3})\s?-?\s?(minutes|minute|mins|min|m|hours|hour|hrs|hr|h|days|day|d|weeks|week|wk|w)(?:\s+(?:chart|timeframe|tf|candles?|bars?))?\b/;
const WORDED = /(?:\b(?:on|in|for|using)\s+(?:the\s+)?)?\b(hourly|daily|weekly|four[\s-]hour|one hour|one minute)(?:\s+(?:chart|timeframe|tf|candles?|bars?))?\b/;
const TRADINGVIEW = /(?:\b(?:on|in|for)\s+(?:the\s+)?)?\b([mhdw])(\d{1,2})\b/;

/** Finds the first timeframe phrase in lower-case `text`. */
export function findTimeframe(text: string): TimeframeMatch | undefined {
  const n = NUMERIC.exec(text);
  if (n) {
    const minutes = Number(n[1]) * (UNIT_MINUTES[n[2] ?? ''] ?? 0);
    return { timeframe: BY_MINUTES[minutes], written: `${n[1]}${n[2]}`, rest: cutAt(text, n.index, n[0].length) };
  }
  const w = WORDED.exec(text);
  if (w) {
    const key = (w[1] ?? '').replace(/\s+/g, ' ');
    return { timeframe: WORDS[key] ?? WORDS[key.replace('-', ' ')], written: key, rest: cutAt(text, w.index, w[0].length) };
  }
  const tv = TRADINGVIEW.exec(text);
  if (tv) {
    const minutes = Number(tv[2]) * (UNIT_MINUTES[tv[1] ?? ''] ?? 0);
    return { timeframe: BY_MINUTES[minutes], written: `${tv[1]}${tv[2]}`, rest: cutAt(text, tv.index, tv[0].length) };
  }
  return undefined;
}

function cutAt(text: string, index: number, length: number): string {
  return (text.slice(0, index) + ' ' + text.slice(index + length)).replace(/\s+/g, ' ').trim();
}
