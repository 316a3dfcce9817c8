// Technical summary: one symbol and timeframe read through trend, momentum, volatility, support and
// resistance and volume, scored into a signal (strong_buy … strong_sell) with strength, confidence,
// reasons in plain words and an expiry. Pure: candles and `now` come in, plain data goes out, ready to
// be stored as a trading signal / AI analysis row and rendered in chat.
import { adx, atr, bollingerBands, ema, macd, obv, rsi, seriesFromCandles, sma } from './indicators/index.js';
import type { OhlcvSeries } from './indicators/index.js';
import type { Candle, Timeframe } from './ports.js';
import { TIMEFRAME_MS } from './ports.js';

export const SignalKind = {
  strongBuy: 'strong_buy', buy: 'buy', neutral: 'neutral', sell: 'sell', strongSell: 'strong_sell',
} as const;
export type SignalKind = (typeof SignalKind)[keyof typeof SignalKind];

/** The stored trading-signal action a signal maps to. */
export const SignalAction = { buy: 'buy', sell: 'sell', hold: 'hold' } as const;
export type SignalAction = (typeof SignalAction)[keyof typeof SignalAction];

/** A signal is valid for this many candles of its timeframe after it is generated. */
export const SIGNAL_VALIDITY_CANDLES = 4;
/** Fewer candles than this and MACD's signal line and ADX are not yet defined. */
export const MIN_CANDLES_FOR_SUMMARY = 35;

export interface TechnicalSummaryInput {
  symbol: string;
  timeframe: Timeframe;
  /** Oldest first. The last candle may still be forming. */
  candles: readonly Candle[] | OhlcvSeries;
  /** When the summary is made; the expiry counts from here. */
  now: Date;
  /** True when the candles come from the simulated market; carried through for labelling. */
  simulated?: boolean;
}

/** A price level where swings cluster. */
export interface PriceLevel {
  price: number;
  /** How many swing highs/lows fell in this cluster. */
  touches: number;
  /** Signed distance from the last close, in percent. */
  distancePercent: number;
}

export interface TechnicalSummary {
  symbol: string;
  timeframe: Timeframe;
  simulated: boolean;
  generatedAt: Date;
  /** Open time of the last candle analysed. */
  asOf: Date;
  expiresAt: Date;
  candleCount: number;
  /** Last close as a plain decimal string (exact when the candles were decimals). */
  price: string;
  trend: {
    direction: 'up' | 'down' | 'sideways';
    /** How price and EMA 20/50/200 are stacked. */
    alignment: 'bullish' | 'bearish' | 'mixed';
    ema20: number;
    ema50: number | null;
    ema200: number | null;
    adx: number | null;
    plusDi: number | null;
    minusDi: number | null;
    /** ADX < 20 none, < 25 weak, < 40 strong, else very strong. */
    strength: 'none' | 'weak' | 'strong' | 'very_strong';
  };
  momentum: {
    rsi: number;
    rsiZone: 'overbought' | 'oversold' | 'neutral';
    macd: number;
    macdSignal: number;
    macdHistogram: number;
    histogramTrend: 'rising' | 'falling' | 'flat';
    /** A MACD/signal crossing within the last 3 candles. */
    recentCross: 'bullish' | 'bearish' | null;
  };
  volatility: {
    atr: number;
    /** ATR as a percentage of the last close. */
    atrPercent: number;
    bollingerUpper: number;
    bollingerMiddle: number;
    bollingerLower: number;
    /** (upper - lower) / middle, a fraction. */
    bollingerWidth: number;
    percentB: number;
    /** Band width against its recent median: squeeze < 0.7×, expanded > 1.4×. */
    regime: 'squeeze' | 'normal' | 'expanded';
  };
  levels: {
    /** Below the last close, nearest first (at most 3). */
    support: PriceLevel[];
    /** Above the last close, nearest first (at most 3). */
    resistance: PriceLevel[];
  };
  volume: {
    /** Volume of the last complete candle. */
    last: number;
    /** Average volume of the 20 complete candles before it. */
    average: number;
    ratio: number;
    /** Least-squares slope of OBV over 20 candles, in average-volumes per candle. */
    obvSlope: number;
    obvTrend: 'rising' | 'falling' | 'flat';
  };
  signal: SignalKind;
  action: SignalAction;
  /** Weighted sum of the components, -1 (all bearish) … 1 (all bullish). */
  score: number;
  /** |score|, 0..1. */
  strength: number;
  /** 0..1: how far the components agree, how clear the trend is, and how much data there was. */
  confidence: number;
  /** Short sentences, most important first. */
  reasons: string[];
}

export type TechnicalSummaryResult =
  | { ok: true; value: TechnicalSummary }
  | { ok: false; code: 'insufficient_data' | 'invalid_candles'; error: string };

interface Columns {
  high: ArrayLike<number>;
  low: ArrayLike<number>;
  close: ArrayLike<number>;
  volume: ArrayLike<number>;
  time: ArrayLike<number>;
}

const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);
const sign = (x: number): number => (x > 0 ? 1 : x < 0 ? -1 : 0);

/** Formats a price or indicator value for a sentence: 64,250 / 151.37 / 0.5321 / 0.00001234. */
export function formatNumber(x: number): string {
  const abs = Math.abs(x);
  if (abs >= 1000) return x.toLocaleString('en-US', { maximumFractionDigits: 0 });
  if (abs >= 1) return x.toLocaleString('en-US', { maximumFractionDigits: 2 });
  if (abs === 0) return '0';
  return x.toPrecision(4).replace(/0+$/, '').replace(/\.$/, '');
}

const percent = (x: number, digits = 1): string => `${x > 0 ? '+' : ''}${x.toFixed(digits)}%`;

function last(xs: ArrayLike<number>, back = 0): number {
  return xs[xs.length - 1 - back]!;
}

function definedOrNull(x: number): number | null {
  return Number.isNaN(x) ? null : x;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Least-squares slope of the last `n` values per step. */
function slope(xs: ArrayLike<number>, n: number): number {
  const start = xs.length - n;
  let sx = 0;
  let sy = 0;
  let sxy = 0;
  let sxx = 0;
  for (let j = 0; j < n; j++) {
    const y = xs[start + j]!;
    sx += j;
    sy += y;
    sxy += j * y;
    sxx += j * j;
  }
  const denominator = n * sxx - sx * sx;
  return denominator === 0 ? 0 : (n * sxy - sx * sy) / denominator;
}

/**
 * Swing highs/lows (a bar whose high/low is the extreme of `wing` bars either side) over the last
 * `lookback` bars, clustered when closer than `tolerance`, split into support below and resistance
 * above the last close.
 */
export function supportResistance(
  series: { high: ArrayLike<number>; low: ArrayLike<number>; close: ArrayLike<number> },
  options: { tolerance: number; wing?: number; lookback?: number; maxLevels?: number },
): { support: PriceLevel[]; resistance: PriceLevel[] } {
  const { high, low, close } = series;
  const n = close.length;
  const wing = options.wing ?? 3;
  const start = Math.max(0, n - (options.lookback ?? 150));
  const swings: number[] = [];
  for (let i = start + wing; i < n - wing; i++) {
    let isHigh = true;
    let isLow = true;
    for (let j = i - wing; j <= i + wing && (isHigh || isLow); j++) {
      if (j === i) continue;
      // Strict on the left, non-strict on the right: a flat top counts once.
      if (j < i ? high[j]! >= high[i]! : high[j]! > high[i]!) isHigh = false;
      if (j < i ? low[j]! <= low[i]! : low[j]! < low[i]!) isLow = false;
    }
    if (isHigh) swings.push(high[i]!);
    if (isLow) swings.push(low[i]!);
  }
  swings.sort((a, b) => a - b);
  const clusters: Array<{ sum: number; count: number; top: number }> = [];
  for (const price of swings) {
    const c = clusters[clusters.length - 1];
    if (c && price - c.top <= options.tolerance) {
      c.sum += price;
      c.count++;
      c.top = price;
    } else {
      clusters.push({ sum: price, count: 1, top: price });
    }
  }
  const price = close[n - 1]!;
  const levels = clusters.map((c) => {
    const level = c.sum / c.count;
    return { price: level, touches: c.count, distancePercent: ((level - price) / price) * 100 };
  });
  const max = options.maxLevels ?? 3;
  return {
    support: levels.filter((l) => l.price < price).sort((a, b) => b.price - a.price).slice(0, max),
    resistance: levels.filter((l) => l.price > price).sort((a, b) => a.price - b.price).slice(0, max),
  };
}

function toColumns(candles: readonly Candle[] | OhlcvSeries): { columns: Columns; price: string } | { error: string } {
  if (Array.isArray(candles)) {
    const list = candles as readonly Candle[];
    const columns = seriesFromCandles(list);
    const lastCandle = list[list.length - 1];
    return { columns, price: lastCandle ? lastCandle.close.toFixed() : '' };
  }
  const series = candles as OhlcvSeries;
  const n = series.close.length;
  for (const [name, col] of [['high', series.high], ['low', series.low], ['volume', series.volume], ['time', series.time]] as const) {
    if (col.length !== n) return { error: `series.${name} has ${col.length} values, expected ${n}` };
  }
  return { columns: series, price: n > 0 ? String(series.close[n - 1]) : '' };
}

interface Component {
  weight: number;
  value: number;
  reason: string;
}

/** Computes the technical summary of `input.candles`. */
export function summarizeTechnicals(input: TechnicalSummaryInput): TechnicalSummaryResult {
  const { symbol, timeframe, now } = input;
  const converted = toColumns(input.candles);
  if ('error' in converted) return { ok: false, code: 'invalid_candles', error: converted.error };
  const { columns, price: priceText } = converted;
  const { high, low, close, volume, time } = columns;
  const n = close.length;
  if (n < MIN_CANDLES_FOR_SUMMARY) {
    return {
      ok: false,
      code: 'insufficient_data',
      error: `need at least ${MIN_CANDLES_FOR_SUMMARY} candles for ${symbol} ${timeframe}, got ${n}; backfill more history or choose a shorter timeframe`,
    };
  }
  for (let i = 1; i < n; i++) {
    if (!(time[i]! > time[i - 1]!)) return { ok: false, code: 'invalid_candles', error: `candles must be oldest first with distinct open times (index ${i})` };
  }
  for (let i = 0; i < n; i++) {
    const values = [high[i]!, low[i]!, close[i]!, volume[i]!];
    if (values.some((v) => !Number.isFinite(v)) || close[i]! <= 0 || low[i]! > high[i]!) {
      return { ok: false, code: 'invalid_candles', error: `candle ${i} has an impossible price or volume` };
    }
  }

  const price = close[n - 1]!;
  const tfMs = TIMEFRAME_MS[timeframe];

  // Volatility first: ATR is the yardstick for "how far" everywhere below.
  const atrValue = last(atr(columns, 14));
  const atrPercent = (atrValue / price) * 100;
  const yardstick = atrValue > 0 ? atrValue : price * 1e-4;

  // Trend: each gap in the stack price > EMA 20 > EMA 50 > EMA 200 counts in proportion to its size
  // (a full point at half an ATR), so EMAs tangled within noise do not read as a trend.
  const ema20 = last(ema(close, 20));
  const ema50 = n >= 50 ? last(ema(close, 50)) : Number.NaN;
  const ema200 = n >= 200 ? last(ema(close, 200)) : Number.NaN;
  const stack = [price, ema20, ema50, ema200].filter((x) => !Number.isNaN(x));
  const gaps: number[] = [];
  for (let i = 1; i < stack.length; i++) gaps.push(clamp((stack[i - 1]! - stack[i]!) / (0.5 * yardstick), -1, 1));
  const alignmentScore = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  const alignment = gaps.every((g) => g > 0.25) ? 'bullish' : gaps.every((g) => g < -0.25) ? 'bearish' : 'mixed';
  const dmi = adx(columns, 14);
  const adxValue = last(dmi.adx);
  const plusDi = last(dmi.plusDi);
  const minusDi = last(dmi.minusDi);
  const trendStrength = adxValue < 20 ? 'none' : adxValue < 25 ? 'weak' : adxValue < 40 ? 'strong' : 'very_strong';
  const direction = adxValue >= 20 && alignmentScore > 0 && plusDi > minusDi ? 'up'
    : adxValue >= 20 && alignmentScore < 0 && minusDi > plusDi ? 'down'
      : 'sideways';

  // Momentum.
  const rsiValue = last(rsi(close, 14));
  const rsiZone = rsiValue >= 70 ? 'overbought' : rsiValue <= 30 ? 'oversold' : 'neutral';
  const m = macd(close);
  const hist = last(m.histogram);
  const histPrevious = last(m.histogram, 1);
  const histTolerance = 0.01 * yardstick;
  const histogramTrend = hist - histPrevious > histTolerance ? 'rising' : histPrevious - hist > histTolerance ? 'falling' : 'flat';
  let recentCross: 'bullish' | 'bearish' | null = null;
  for (let back = 0; back < 3; back++) {
    const a = last(m.histogram, back);
    const b = last(m.histogram, back + 1);
    if (Number.isNaN(b)) break;
    if (a > 0 && b <= 0) recentCross = 'bullish';
    if (a < 0 && b >= 0) recentCross = 'bearish';
    if (recentCross) break;
  }

  // Bands.
  const bands = bollingerBands(close, { period: 20, stdDev: 2 });
  const widths: number[] = [];
  for (let i = Math.max(19, n - 120); i < n; i++) widths.push(bands.width[i]!);
  const widthNow = last(bands.width);
  const widthMedian = median(widths);
  const widthRatio = widthMedian > 0 ? widthNow / widthMedian : 1;
  const regime = widthRatio < 0.7 ? 'squeeze' : widthRatio > 1.4 ? 'expanded' : 'normal';
  const percentB = last(bands.percentB);

  // Levels: swings within half an ATR (at least 0.25% of price) are one level.
  const levels = supportResistance(columns, { tolerance: Math.max(atrValue * 0.5, price * 0.0025) });

  // Volume, on complete candles only (a forming candle has only part of its volume).
  const lastComplete = time[n - 1]! + tfMs <= now.getTime() ? n - 1 : n - 2;
  const volumes = sma(volume, 20);
  const lastVolume = volume[lastComplete]!;
  const averageVolume = volumes[lastComplete - 1]!;
  const volumeRatio = averageVolume > 0 ? lastVolume / averageVolume : 1;
  const onBalance = obv(columns);
  const obvSlope = averageVolume > 0 ? slope(onBalance.subarray(0, lastComplete + 1), Math.min(20, lastComplete + 1)) / averageVolume : 0;
  const obvTrend = obvSlope > 0.3 ? 'rising' : obvSlope < -0.3 ? 'falling' : 'flat';

  // Score: each component in -1..1, weights sum to 1.
  const emaNames = ['EMA 20', ...(Number.isNaN(ema50) ? [] : ['EMA 50']), ...(Number.isNaN(ema200) ? [] : ['EMA 200'])];
  const emaList = emaNames.join(', ').replace(/, ([^,]*)$/, ' and $1');
  const components: Component[] = [
    {
      weight: 0.3,
      // In a ranging market (ADX under 20) moving-average alignment counts half.
      value: alignmentScore * (0.5 + 0.5 * clamp((adxValue - 15) / 10, 0, 1)),
      reason: alignment === 'bullish' ? `Price is above ${emaList}, stacked bullishly`
        : alignment === 'bearish' ? `Price is below ${emaList}, stacked bearishly`
          : `Price and ${emaList} are mixed (price ${price >= ema20 ? 'above' : 'below'} EMA 20)`,
    },
    {
      weight: 0.15,
      value: sign(plusDi - minusDi) * clamp((adxValue - 15) / 25, 0, 1),
      reason: adxValue < 20 ? `ADX ${adxValue.toFixed(0)}: no clear trend, the market is ranging`
        : `ADX ${adxValue.toFixed(0)}: ${trendStrength.replace('_', ' ')} trend, ${plusDi > minusDi ? 'buyers' : 'sellers'} in control (+DI ${plusDi.toFixed(0)} vs -DI ${minusDi.toFixed(0)})`,
    },
    {
      weight: 0.2,
      value: 0.5 * clamp(hist / (0.1 * yardstick), -1, 1) + (histogramTrend === 'rising' ? 0.5 : histogramTrend === 'falling' ? -0.5 : 0),
      reason: recentCross ? `MACD just crossed ${recentCross === 'bullish' ? 'above' : 'below'} its signal line (${recentCross})`
        : `MACD histogram is ${hist >= 0 ? 'positive' : 'negative'} and ${histogramTrend}`,
    },
    {
      weight: 0.15,
      // Overbought/oversold readings argue for a pullback/bounce; in between RSI is momentum.
      value: rsiZone === 'overbought' ? -0.5 : rsiZone === 'oversold' ? 0.5 : clamp((rsiValue - 50) / 20, -1, 1),
      reason: rsiZone === 'overbought' ? `RSI ${rsiValue.toFixed(0)} is overbought: stretched, pullback risk`
        : rsiZone === 'oversold' ? `RSI ${rsiValue.toFixed(0)} is oversold: stretched, bounce possible`
          : `RSI ${rsiValue.toFixed(0)}: ${rsiValue >= 55 ? 'bullish' : rsiValue <= 45 ? 'bearish' : 'neutral'} momentum`,
    },
    {
      weight: 0.1,
      value: obvTrend === 'rising' ? 1 : obvTrend === 'falling' ? -1 : 0,
      reason: `Volume ${volumeRatio.toFixed(1)}× its 20-candle average; OBV ${obvTrend === 'rising' ? 'rising (accumulation)' : obvTrend === 'falling' ? 'falling (distribution)' : 'flat'}`,
    },
    {
      weight: 0.1,
      value: percentB > 1 ? -0.5 : percentB < 0 ? 0.5 : clamp((percentB - 0.5) * 2, -1, 1),
      reason: percentB > 1 ? 'Price is above the upper Bollinger band (stretched)'
        : percentB < 0 ? 'Price is below the lower Bollinger band (stretched)'
          : `Price is in the ${percentB >= 0.5 ? 'upper' : 'lower'} half of the Bollinger bands`,
    },
  ];
  const score = clamp(components.reduce((s, c) => s + c.weight * c.value, 0), -1, 1);
  const signal: SignalKind = score >= 0.55 ? 'strong_buy' : score >= 0.2 ? 'buy' : score <= -0.55 ? 'strong_sell' : score <= -0.2 ? 'sell' : 'neutral';
  const action: SignalAction = signal === 'strong_buy' || signal === 'buy' ? 'buy' : signal === 'neutral' ? 'hold' : 'sell';

  // Confidence: agreement of the components with the call, trend clarity, data and volatility.
  const totalWeight = components.reduce((s, c) => s + c.weight * Math.abs(c.value), 0);
  let agreement: number;
  let clarity: number;
  if (signal === 'neutral') {
    agreement = 1 - clamp(totalWeight, 0, 1);
    clarity = 1 - clamp((adxValue - 15) / 25, 0, 1);
  } else {
    const agreeing = components.reduce((s, c) => s + (sign(c.value) === sign(score) ? c.weight * Math.abs(c.value) : 0), 0);
    agreement = totalWeight > 0 ? agreeing / totalWeight : 0;
    clarity = clamp((adxValue - 15) / 25, 0, 1);
  }
  const dataFactor = Math.sqrt(clamp(n / 200, 0, 1));
  const volatilityFactor = regime === 'expanded' ? 0.85 : 1;
  const confidence = clamp((0.2 + 0.55 * agreement + 0.25 * clarity) * (0.6 + 0.4 * dataFactor) * volatilityFactor, 0, 1);

  const reasons = [...components]
    .sort((a, b) => b.weight * Math.abs(b.value) - a.weight * Math.abs(a.value))
    .map((c) => c.reason);
  const volatilityReason = `ATR ${atrPercent.toFixed(2)}% of price; Bollinger bands ${regime === 'squeeze' ? 'squeezing (a breakout may follow)' : regime === 'expanded' ? 'wide (volatile market)' : 'normal width'}`;
  const levelParts: string[] = [];
  const support = levels.support[0];
  const resistance = levels.resistance[0];
  if (support) levelParts.push(`support ${formatNumber(support.price)} (${percent(support.distancePercent)})`);
  if (resistance) levelParts.push(`resistance ${formatNumber(resistance.price)} (${percent(resistance.distancePercent)})`);
  reasons.splice(4, 0, volatilityReason);
  if (levelParts.length > 0) reasons.splice(3, 0, `Nearest ${levelParts.join(', ')}`);

  const round = (x: number, digits = 4): number => Math.round(x * 10 ** digits) / 10 ** digits;
  return {
    ok: true,
    value: {
      symbol,
      timeframe,
      simulated: input.simulated ?? false,
      generatedAt: new Date(now.getTime()),
      asOf: new Date(time[n - 1]!),
      expiresAt: new Date(now.getTime() + SIGNAL_VALIDITY_CANDLES * tfMs),
      candleCount: n,
      price: priceText,
      trend: {
        direction,
        alignment,
        ema20,
        ema50: definedOrNull(ema50),
        ema200: definedOrNull(ema200),
        adx: definedOrNull(adxValue),
        plusDi: definedOrNull(plusDi),
        minusDi: definedOrNull(minusDi),
        strength: trendStrength,
      },
      momentum: { rsi: rsiValue, rsiZone, macd: last(m.macd), macdSignal: last(m.signal), macdHistogram: hist, histogramTrend, recentCross },
      volatility: {
        atr: atrValue,
        atrPercent,
        bollingerUpper: last(bands.upper),
        bollingerMiddle: last(bands.middle),
        bollingerLower: last(bands.lower),
        bollingerWidth: widthNow,
        percentB,
        regime,
      },
      levels,
      volume: { last: lastVolume, average: averageVolume, ratio: volumeRatio, obvSlope, obvTrend },
      signal,
      action,
      score: round(score),
      strength: round(Math.abs(score)),
      confidence: round(confidence),
      reasons: reasons.slice(0, 7),
    },
  };
}

/** One line for chat: "BTC/USDT 1h: BUY (strength 0.42, confidence 0.71)". */
export function describeSignal(summary: Pick<TechnicalSummary, 'symbol' | 'timeframe' | 'signal' | 'strength' | 'confidence' | 'simulated'>): string {
  const label = summary.signal.replace('_', ' ').toUpperCase();
  return `${summary.symbol} ${summary.timeframe}: ${label} (strength ${summary.strength.toFixed(2)}, confidence ${summary.confidence.toFixed(2)})${summary.simulated ? ' [SIMULATED]' : ''}`;
}
