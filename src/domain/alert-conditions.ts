// Alert conditions: a small tree of price, indicator and whale-move conditions (combined with `all`),
// its zod schema, a pure evaluator with crossing semantics, the inputs a condition needs, and its
// description in plain words.
//
// Crossing semantics: a condition *fires* when it becomes true — on the false→true edge between two
// evaluations — not on every evaluation while it stays true. The evaluator is given the previous
// state and returns the next one; a store keeps the state between sweeps. Every crossing has a
// `triggerKey` that depends only on the condition and on when the false run it ends began (both in
// the previous state), so two sweeps that see the same crossing compute the same key and a unique
// index on (alert, trigger_key) lets exactly one of them record it.
//
// Whale moves (`whale_move`) are events, not levels: the leaf holds while at least one qualifying
// on-chain move (the asset, the side, at least the notional, by a wallet whose credibility in the
// window was at least the minimum at the time of the move) happened within the last `withinMinutes`.
// A tree with whale leaves also fires when it keeps holding but rests on a newer move (a new whale
// move can fire a recurring rule again), and its trigger key names the newest qualifying move of each
// whale leaf, so the same move never fires the same rule twice, whatever the rest of the tree does.
// As for every condition, the first complete evaluation is a baseline: moves seen then (made before
// the rule could watch) do not fire.
import { z } from 'zod';
import { bollingerBands, macd, rsi } from './indicators/index.js';
import type { Dec } from './money.js';
import { D, MAX_PRICE, MAX_PRICE_DECIMALS } from './money.js';
import { Timeframe } from './ports.js';
import { underlyingAsset } from './wallets/assets.js';

export const MAX_CONDITION_DEPTH = 3;
export const MAX_CONDITION_LEAVES = 8;

export const ConditionType = {
  priceAbove: 'price_above', priceBelow: 'price_below', percentMove: 'percent_move', rsiAbove: 'rsi_above',
  rsiBelow: 'rsi_below', macdCross: 'macd_cross', bandTouch: 'band_touch', whaleMove: 'whale_move', all: 'all',
} as const;
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

export const MoveDirection = { up: 'up', down: 'down', either: 'either' } as const;
export type MoveDirection = (typeof MoveDirection)[keyof typeof MoveDirection];

export interface PriceCondition {
  type: 'price_above' | 'price_below';
  symbol: string;
  /** Decimal string, e.g. "70000" or "0.25". */
  price: string;
}

export interface PercentMoveCondition {
  type: 'percent_move';
  symbol: string;
  /** Size of the move in percent, e.g. 5 for 5%. */
  percent: number;
  /** The move is measured from the price this many minutes ago. */
  windowMinutes: number;
  direction: MoveDirection;
}

export interface RsiCondition {
  type: 'rsi_above' | 'rsi_below';
  symbol: string;
  timeframe: Timeframe;
  period: number;
  value: number;
}

export interface MacdCrossCondition {
  type: 'macd_cross';
  symbol: string;
  timeframe: Timeframe;
  /** bullish: the MACD line crosses above its signal line (12/26/9); bearish: below. */
  direction: 'bullish' | 'bearish';
}

export interface BandTouchCondition {
  type: 'band_touch';
  symbol: string;
  timeframe: Timeframe;
  /** upper: the price reaches the upper Bollinger band or above; lower: the lower band or below. */
  band: 'upper' | 'lower';
  period: number;
  stdDev: number;
}

/** Windows a wallet's credibility is scored over (src/domain/wallets/credibility.ts). */
export const WHALE_CREDIBILITY_WINDOWS = ['1h', '4h', '24h'] as const;
export type WhaleCredibilityWindow = (typeof WHALE_CREDIBILITY_WINDOWS)[number];

export interface WhaleMoveCondition {
  type: 'whale_move';
  /** Base asset, e.g. "ETH" (a pair's base is taken: "ETH/USDT" → "ETH"). */
  asset: string;
  /** buy: a move the analysis reads as bullish for the asset; sell: bearish; either: both. */
  side: 'buy' | 'sell' | 'either';
  /** Decimal string: the move's USD notional must be at least this. */
  minNotionalUsd: string;
  /** 0–10: the wallet's credibility in `window`, as last scored before the move. */
  minCredibility: number;
  window: WhaleCredibilityWindow;
  /** The move happened within this many minutes before the evaluation. */
  withinMinutes: number;
}

export interface AllCondition {
  type: 'all';
  conditions: AlertCondition[];
}

export type LeafCondition = PriceCondition | PercentMoveCondition | RsiCondition | MacdCrossCondition | BandTouchCondition | WhaleMoveCondition;
/** Leaves that read a market symbol (all but whale moves, which read an asset's on-chain moves). */
export type MarketLeafCondition = Exclude<LeafCondition, WhaleMoveCondition>;
export type AlertCondition = LeafCondition | AllCondition;

// ---------------------------------------------------------------------------------------------------
// Schema

const TIMEFRAMES = Object.values(Timeframe) as [Timeframe, ...Timeframe[]];

const symbolSchema = z
  .string({ required_error: 'symbol is required, e.g. "BTC/USDT"', invalid_type_error: 'symbol must be a string like "BTC/USDT"' })
  .trim()
  .toUpperCase()
  .regex(/^[A-Z0-9]{1,20}([/-][A-Z0-9]{1,20})?$/, 'symbol must look like "BTC/USDT" or "SOL-PERP"');

const priceSchema = z
  .string({ required_error: 'price is required, as a decimal string like "70000"', invalid_type_error: 'price must be a decimal string like "70000" (not a number, to keep it exact)' })
  .trim()
  .superRefine((s, ctx) => {
    // One message per bad price, checked in order so a malformed string never reaches the decimal parser.
    const problem =
      s === ''
        ? 'price is required, as a decimal string like "70000"'
        : /^\d{1,3}(,\d{3})+(\.\d+)?$/.test(s)
          ? `price must be written without thousands separators: "${s.replace(/,/g, '')}" rather than "${s}"`
          : !/^\d+(\.\d+)?$/.test(s)
            ? 'price must be a plain decimal string like "70000" or "0.25"'
            : new D(s).lte(0)
              ? 'price must be greater than zero'
              : new D(s).gt(MAX_PRICE)
                ? `price must be at most ${MAX_PRICE.toFixed()}`
                : new D(s).decimalPlaces() > MAX_PRICE_DECIMALS
                  ? `price has more than ${MAX_PRICE_DECIMALS} decimal places; round it`
                  : undefined;
    if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
  });

const timeframeSchema = z.enum(TIMEFRAMES, {
  errorMap: () => ({ message: `timeframe must be one of ${TIMEFRAMES.join(', ')}` }),
});

const priceConditionSchema = <T extends 'price_above' | 'price_below'>(type: T) =>
  z.object({ type: z.literal(type), symbol: symbolSchema, price: priceSchema }).strict();

const percentMoveSchema = z
  .object({
    type: z.literal('percent_move'),
    symbol: symbolSchema,
    percent: z.number({ required_error: 'percent is required, e.g. 5 for 5%' }).gt(0, 'percent must be greater than 0').max(1000, 'percent must be at most 1000'),
    windowMinutes: z.number({ required_error: 'windowMinutes is required' }).int('windowMinutes must be a whole number of minutes').min(1, 'windowMinutes must be at least 1').max(10_080, 'windowMinutes must be at most 10080 (one week)'),
    direction: z.enum(['up', 'down', 'either'], { errorMap: () => ({ message: 'direction must be up, down or either' }) }),
  })
  .strict();

const rsiConditionSchema = <T extends 'rsi_above' | 'rsi_below'>(type: T) =>
  z
    .object({
      type: z.literal(type),
      symbol: symbolSchema,
      timeframe: timeframeSchema,
      period: z.number().int('period must be a whole number').min(2, 'period must be at least 2').max(100, 'period must be at most 100').default(14),
      value: z.number({ required_error: 'value is required: the RSI level, between 0 and 100' }).gt(0, 'RSI value must be above 0').lt(100, 'RSI value must be below 100'),
    })
    .strict();

const macdCrossSchema = z
  .object({
    type: z.literal('macd_cross'),
    symbol: symbolSchema,
    timeframe: timeframeSchema,
    direction: z.enum(['bullish', 'bearish'], { errorMap: () => ({ message: 'direction must be bullish or bearish' }) }),
  })
  .strict();

const bandTouchSchema = z
  .object({
    type: z.literal('band_touch'),
    symbol: symbolSchema,
    timeframe: timeframeSchema,
    band: z.enum(['upper', 'lower'], { errorMap: () => ({ message: 'band must be upper or lower' }) }),
    period: z.number().int('period must be a whole number').min(2, 'period must be at least 2').max(200, 'period must be at most 200').default(20),
    stdDev: z.number().gt(0, 'stdDev must be greater than 0').max(5, 'stdDev must be at most 5').default(2),
  })
  .strict();


/** The asset an on-chain move or a whale condition is about: upper case, wrapped tokens unwrapped. */
export function whaleAssetOf(symbol: string): string {
  return underlyingAsset(symbol.trim().split(/[/-]/)[0] ?? '');
}

export const MAX_WHALE_NOTIONAL_USD = new D('1e12');

const whaleMoveSchema = z
  .object({
    type: z.literal('whale_move'),
    asset: z
      .string({ required_error: 'asset is required, e.g. "ETH"', invalid_type_error: 'asset must be a string like "ETH"' })
      .trim()
      .regex(/^[A-Za-z0-9]{1,20}([/-][A-Za-z0-9]{1,20})?$/, 'asset must look like "ETH" (or a pair like "ETH/USDT", whose base is used)')
      .transform(whaleAssetOf),
    side: z.enum(['buy', 'sell', 'either'], { errorMap: () => ({ message: 'side must be buy, sell or either' }) }).default('either'),
    minNotionalUsd: z
      .string({ required_error: 'minNotionalUsd is required, as a decimal string like "1000000"', invalid_type_error: 'minNotionalUsd must be a decimal string like "1000000"' })
      .trim()
      .superRefine((s, ctx) => {
        const problem = !/^\d+(\.\d{1,2})?$/.test(s)
          ? 'minNotionalUsd must be a plain decimal string like "1000000" (no separators, at most 2 decimals)'
          : new D(s).lte(0)
            ? 'minNotionalUsd must be greater than zero'
            : new D(s).gt(MAX_WHALE_NOTIONAL_USD)
              ? `minNotionalUsd must be at most ${MAX_WHALE_NOTIONAL_USD.toFixed()}`
              : undefined;
        if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
      }),
    minCredibility: z.number({ invalid_type_error: 'minCredibility must be a number from 0 to 10' }).min(0, 'minCredibility must be at least 0').max(10, 'minCredibility must be at most 10').default(0),
    window: z.enum(WHALE_CREDIBILITY_WINDOWS, { errorMap: () => ({ message: 'window must be 1h, 4h or 24h' }) }).default('4h'),
    withinMinutes: z.number().int('withinMinutes must be a whole number of minutes').min(1, 'withinMinutes must be at least 1').max(1440, 'withinMinutes must be at most 1440 (one day)').default(60),
  })
  .strict();

// The recursive union, without the tree limits (checked once at the top by `alertConditionSchema`).
const conditionNodeSchema: z.ZodType<AlertCondition, z.ZodTypeDef, unknown> = z.lazy(() =>
  z.discriminatedUnion(
    'type',
    [
      priceConditionSchema('price_above'),
      priceConditionSchema('price_below'),
      percentMoveSchema,
      rsiConditionSchema('rsi_above'),
      rsiConditionSchema('rsi_below'),
      macdCrossSchema,
      bandTouchSchema,
      whaleMoveSchema,
      z
        .object({
          type: z.literal('all'),
          conditions: z
            .array(conditionNodeSchema, { required_error: 'conditions is required: a list of conditions that must all hold' })
            .min(1, 'all needs at least one condition')
            .max(MAX_CONDITION_LEAVES, `all takes at most ${MAX_CONDITION_LEAVES} conditions`),
        })
        .strict(),
    ],
    { errorMap: (issue, ctx) => ({ message: issue.code === 'invalid_union_discriminator' ? `type must be one of ${Object.values(ConditionType).join(', ')}` : ctx.defaultError }) },
  ),
).superRefine((c, ctx) => {
  // discriminatedUnion needs plain objects, so percent_move's cross-field rule is applied here.
  if (c.type === 'percent_move' && c.direction !== 'up' && c.percent >= 100) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'a fall of 100% or more cannot happen; use a smaller percent', path: ['percent'] });
  }
}) as z.ZodType<AlertCondition, z.ZodTypeDef, unknown>;

/** Depth of the raw input's `all` nesting, stopping once past the limit (guards the recursive parse). */
function rawDepth(value: unknown, depth = 1): number {
  if (depth > MAX_CONDITION_DEPTH) return depth;
  if (value === null || typeof value !== 'object') return depth;
  const children = (value as { conditions?: unknown }).conditions;
  if (!Array.isArray(children)) return depth;
  let max = depth;
  for (const child of children.slice(0, MAX_CONDITION_LEAVES + 1)) max = Math.max(max, rawDepth(child, depth + 1));
  return max;
}

/** Leaves (non-`all` conditions) in a parsed tree. */
export function countLeaves(condition: AlertCondition): number {
  return condition.type === 'all' ? condition.conditions.reduce((n, c) => n + countLeaves(c), 0) : 1;
}

/** Nesting depth: a leaf is 1, an `all` of leaves is 2. */
export function conditionDepth(condition: AlertCondition): number {
  return condition.type === 'all' ? 1 + Math.max(0, ...condition.conditions.map(conditionDepth)) : 1;
}

/** The alert condition tree: at most 3 levels deep and 8 leaf conditions. */
export const alertConditionSchema: z.ZodType<AlertCondition, z.ZodTypeDef, unknown> = z
  .unknown()
  .superRefine((raw, ctx) => {
    const depth = rawDepth(raw);
    if (depth > MAX_CONDITION_DEPTH) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `conditions are nested too deeply: at most ${MAX_CONDITION_DEPTH} levels (an "all" inside an "all" holding conditions)`,
        fatal: true,
      });
    }
  })
  .pipe(conditionNodeSchema)
  .superRefine((c, ctx) => {
    const leaves = countLeaves(c);
    // An over-long list was already reported by the array's own limit.
    const overLong = (x: AlertCondition): boolean => x.type === 'all' && (x.conditions.length > MAX_CONDITION_LEAVES || x.conditions.some(overLong));
    if (leaves > MAX_CONDITION_LEAVES && !overLong(c)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `too many conditions: ${leaves}, at most ${MAX_CONDITION_LEAVES} in one alert` });
    }
  });

export type ParseConditionResult = { ok: true; value: AlertCondition } | { ok: false; error: string };

/** Parses untrusted input; the error lists each problem with its path ("conditions.1.price: …"). */
export function parseAlertCondition(input: unknown): ParseConditionResult {
  const result = alertConditionSchema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  const error = result.error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
  return { ok: false, error };
}

// ---------------------------------------------------------------------------------------------------
// Requirements

export type IndicatorRequirement =
  | { symbol: string; timeframe: Timeframe; indicator: 'rsi'; period: number }
  | { symbol: string; timeframe: Timeframe; indicator: 'macd' }
  | { symbol: string; timeframe: Timeframe; indicator: 'bollinger'; period: number; stdDev: number };

export interface ConditionRequirements {
  /** Symbols whose latest price the condition reads. */
  prices: string[];
  /** Price history per symbol for percent moves (the longest window asked for). */
  priceHistory: Array<{ symbol: string; windowMinutes: number }>;
  /** Indicator readings per symbol and timeframe. */
  indicators: IndicatorRequirement[];
  /** Closed candles per symbol and timeframe that are enough to compute those readings. */
  candles: Array<{ symbol: string; timeframe: Timeframe; count: number }>;
  /** On-chain moves per asset over the longest look-back asked for (present only with whale leaves). */
  whaleMoves?: Array<{ asset: string; withinMinutes: number }>;
}

function leaves(condition: AlertCondition): LeafCondition[] {
  return condition.type === 'all' ? condition.conditions.flatMap(leaves) : [condition];
}

/** Candles that make an indicator's value independent of where the history starts (to ~1e-6). */
function candlesFor(req: IndicatorRequirement): number {
  switch (req.indicator) {
    case 'rsi': return Math.max(250, 15 * req.period);
    case 'macd': return 300;
    case 'bollinger': return req.period + 1;
  }
}

/** Lists what `condition` needs to be evaluated, deduplicated and sorted. */
export function conditionRequirements(condition: AlertCondition): ConditionRequirements {
  const prices = new Set<string>();
  const history = new Map<string, number>();
  const indicators = new Map<string, IndicatorRequirement>();
  const whale = new Map<string, number>();
  for (const leaf of leaves(condition)) {
    switch (leaf.type) {
      case 'whale_move':
        whale.set(leaf.asset, Math.max(whale.get(leaf.asset) ?? 0, leaf.withinMinutes));
        break;
      case 'price_above':
      case 'price_below':
        prices.add(leaf.symbol);
        break;
      case 'percent_move':
        prices.add(leaf.symbol);
        history.set(leaf.symbol, Math.max(history.get(leaf.symbol) ?? 0, leaf.windowMinutes));
        break;
      case 'rsi_above':
      case 'rsi_below':
        indicators.set(`${leaf.symbol}|${leaf.timeframe}|rsi|${leaf.period}`, { symbol: leaf.symbol, timeframe: leaf.timeframe, indicator: 'rsi', period: leaf.period });
        break;
      case 'macd_cross':
        indicators.set(`${leaf.symbol}|${leaf.timeframe}|macd`, { symbol: leaf.symbol, timeframe: leaf.timeframe, indicator: 'macd' });
        break;
      case 'band_touch':
        prices.add(leaf.symbol);
        indicators.set(`${leaf.symbol}|${leaf.timeframe}|bollinger|${leaf.period}|${leaf.stdDev}`, { symbol: leaf.symbol, timeframe: leaf.timeframe, indicator: 'bollinger', period: leaf.period, stdDev: leaf.stdDev });
        break;
    }
  }
  const sortedIndicators = [...indicators.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, v]) => v);
  const candles = new Map<string, { symbol: string; timeframe: Timeframe; count: number }>();
  for (const req of sortedIndicators) {
    const key = indicatorKey(req.symbol, req.timeframe);
    const current = candles.get(key);
    const count = candlesFor(req);
    if (!current || current.count < count) candles.set(key, { symbol: req.symbol, timeframe: req.timeframe, count });
  }
  return {
    prices: [...prices].sort(),
    priceHistory: [...history.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([symbol, windowMinutes]) => ({ symbol, windowMinutes })),
    indicators: sortedIndicators,
    candles: [...candles.values()],
    ...(whale.size > 0 ? { whaleMoves: [...whale.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([asset, withinMinutes]) => ({ asset, withinMinutes })) } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------
// Inputs

/** Indicator readings of one symbol and timeframe, as of its latest candle. */
export interface IndicatorReadings {
  /** Close of the latest candle (used by band_touch when no live price is given). */
  close?: number;
  /** RSI by period. */
  rsi?: Readonly<Record<number, number>>;
  /** MACD 12/26/9. */
  macd?: { macd: number; signal: number; histogram: number };
  /** Bollinger bands by `bollingerKey(period, stdDev)`. */
  bollinger?: Readonly<Record<string, { upper: number; middle: number; lower: number }>>;
}

/** Key of `ConditionInputs.indicators`. */
export function indicatorKey(symbol: string, timeframe: Timeframe): string {
  return `${symbol}|${timeframe}`;
}

/** Key of `IndicatorReadings.bollinger`. */
export function bollingerKey(period: number, stdDev: number): string {
  return `${period}:${stdDev}`;
}

export interface PricePoint {
  time: Date;
  price: Dec | string;
}

/** One on-chain move of a wallet, as the whale condition reads it. */
export interface WhaleMove {
  eventId: string;
  /** The wallet's short address (never a user's label: rules are private, labels too). */
  wallet: string;
  /** `whaleAssetOf` the event's asset. */
  asset: string;
  /** From the analysis: bullish for the asset is a buy, bearish a sell (neutral moves are left out). */
  side: 'buy' | 'sell';
  notionalUsd: Dec | string;
  occurredAt: Date;
  /** The wallet's credibility per window as last scored at or before the move (null: not scored). */
  credibility: Partial<Record<WhaleCredibilityWindow, number | null>>;
}

/** What the evaluator reads; everything is optional per symbol, missing data is reported. */
export interface ConditionInputs {
  /** When this evaluation happens. */
  now: Date;
  /** Latest price per symbol. */
  prices: Readonly<Record<string, Dec | string>>;
  /** Recent prices per symbol, oldest first (percent moves). */
  history?: Readonly<Record<string, readonly PricePoint[]>>;
  /** Readings per `indicatorKey(symbol, timeframe)`. */
  indicators?: Readonly<Record<string, IndicatorReadings>>;
  /** Recent on-chain moves of the assets the whale leaves read (absent: not known, the leaf waits). */
  whaleMoves?: readonly WhaleMove[];
}

/** Computes the readings `requirements` asks for on one symbol/timeframe from its closes (oldest first). */
export function indicatorReadings(closes: ArrayLike<number>, requirements: readonly IndicatorRequirement[]): IndicatorReadings {
  const n = closes.length;
  const lastOf = (xs: Float64Array): number | undefined => {
    const v = xs[n - 1];
    return v === undefined || Number.isNaN(v) ? undefined : v;
  };
  const readings: { close?: number; rsi?: Record<number, number>; macd?: IndicatorReadings['macd']; bollinger?: Record<string, { upper: number; middle: number; lower: number }> } = {};
  if (n > 0) readings.close = closes[n - 1]!;
  for (const req of requirements) {
    if (req.indicator === 'rsi') {
      const v = lastOf(rsi(closes, req.period));
      if (v !== undefined) (readings.rsi ??= {})[req.period] = v;
    } else if (req.indicator === 'macd') {
      const m = macd(closes);
      const signal = lastOf(m.signal);
      if (signal !== undefined) readings.macd = { macd: lastOf(m.macd)!, signal, histogram: lastOf(m.histogram)! };
    } else {
      const b = bollingerBands(closes, { period: req.period, stdDev: req.stdDev });
      const upper = lastOf(b.upper);
      if (upper !== undefined) (readings.bollinger ??= {})[bollingerKey(req.period, req.stdDev)] = { upper, middle: lastOf(b.middle)!, lower: lastOf(b.lower)! };
    }
  }
  return readings;
}

// ---------------------------------------------------------------------------------------------------
// Descriptions

/** "70000.5" → "70,000.5"; keeps every digit of the decimal string. */
export function formatDecimal(value: string): string {
  const [whole, fraction] = value.split('.');
  const grouped = (whole ?? '').replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

function formatNumberPlain(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(10)));
}

function formatWindow(minutes: number): string {
  if (minutes % 1440 === 0) return minutes === 1440 ? '1 day' : `${minutes / 1440} days`;
  if (minutes % 60 === 0) return minutes === 60 ? '1 hour' : `${minutes / 60} hours`;
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

/** "$1,000,000" from a decimal string. */
function formatUsdText(value: string): string {
  return `$${formatDecimal(value)}`;
}

function describeWhale(c: WhaleMoveCondition): string {
  const verb = c.side === 'buy' ? 'buys' : c.side === 'sell' ? 'sells' : 'buys or sells';
  const who = c.minCredibility > 0 ? `a wallet with ${c.window} credibility ≥ ${formatNumberPlain(c.minCredibility)}` : 'a watched wallet';
  return `${who} ${verb} ≥ ${formatUsdText(c.minNotionalUsd)} of ${c.asset} within ${formatWindow(c.withinMinutes)}`;
}

function describeLeaf(c: LeafCondition, withSymbol: boolean): string {
  if (c.type === 'whale_move') return describeWhale(c);
  const who = withSymbol ? `${c.symbol} ` : '';
  switch (c.type) {
    case 'price_above': return `${c.symbol} above ${formatDecimal(c.price)}`;
    case 'price_below': return `${c.symbol} below ${formatDecimal(c.price)}`;
    case 'percent_move': {
      const size = `${formatNumberPlain(c.percent)}%`;
      const move = c.direction === 'up' ? `up ${size}` : c.direction === 'down' ? `down ${size}` : `moves ${size} either way`;
      return `${c.symbol} ${move} within ${formatWindow(c.windowMinutes)}`;
    }
    case 'rsi_above': return `${who}RSI(${c.period}, ${c.timeframe}) over ${formatNumberPlain(c.value)}`;
    case 'rsi_below': return `${who}RSI(${c.period}, ${c.timeframe}) under ${formatNumberPlain(c.value)}`;
    case 'macd_cross': return `${who}MACD(12, 26, 9, ${c.timeframe}) crosses ${c.direction === 'bullish' ? 'above' : 'below'} its signal line`;
    case 'band_touch': return `${who}touches the ${c.band} Bollinger band (${c.period}, ${formatNumberPlain(c.stdDev)}, ${c.timeframe})`;
  }
}

function joinAnd(parts: string[]): string {
  return parts.length <= 2 ? parts.join(' and ') : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

/** Plain words: "BTC/USDT above 70,000 and RSI(14, 1h) under 30". */
export function describeCondition(condition: AlertCondition): string {
  const describe = (c: AlertCondition, nested: boolean, previousSymbol: string | undefined): string => {
    if (c.type !== 'all') return describeLeaf(c, c.type === 'whale_move' || c.symbol !== previousSymbol);
    let symbol = previousSymbol;
    const parts = c.conditions.map((child) => {
      const text = describe(child, true, symbol);
      if (child.type !== 'all' && child.type !== 'whale_move') symbol = child.symbol;
      return text;
    });
    const text = joinAnd(parts);
    return nested && parts.length > 1 ? `(${text})` : text;
  };
  return describe(condition, false, undefined);
}

// ---------------------------------------------------------------------------------------------------
// Evaluation

/** The evaluator's memory between sweeps; store it as JSON. */
export interface ConditionState {
  /** Fingerprint of the condition this state belongs to; a changed condition starts afresh. */
  fingerprint: string;
  /** Last known truth of the whole condition; null until the inputs were first complete. */
  holds: boolean | null;
  /** ISO time when `holds` took its current value. */
  since: string | null;
  /**
   * Trees with whale leaves only: the newest qualifying move of each whale leaf (event ids, in tree
   * order) the truth rested on at the last evaluation; null while the tree does not hold.
   */
  moves?: string | null;
}

export interface ConditionEvaluation {
  /** True exactly when the condition crossed from false to true at this evaluation. */
  met: boolean;
  /** Truth now; null when inputs are missing (the state then keeps its last known truth). */
  holds: boolean | null;
  state: ConditionState;
  /** Present when `met`: the same crossing always gets the same key. */
  triggerKey?: string;
  description: string;
  /** The description with the values read, for the notification. */
  detail: string;
  /** Inputs that were missing, in words. */
  missing: string[];
}

interface LeafResult {
  holds: boolean | null;
  detail: string;
  missing?: string;
  /** Whale leaves: the newest qualifying move's event id. */
  move?: string;
}

/** 53-bit string hash (cyrb53), as 14 hex digits. */
function hash53(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, '0');
}

/** JSON with sorted keys: equal conditions give equal text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A stable fingerprint of a parsed condition. */
export function conditionFingerprint(condition: AlertCondition): string {
  return hash53(canonicalJson(condition));
}

function toDec(value: Dec | string): Dec | undefined {
  try {
    const d = typeof value === 'string' ? new D(value) : value;
    return d.isFinite() ? d : undefined;
  } catch {
    return undefined;
  }
}

function fmt(x: number): string {
  return Math.abs(x) >= 1000 ? x.toLocaleString('en-US', { maximumFractionDigits: 2 }) : String(Number(x.toPrecision(6)));
}

/** The price at or before `at`, if it is recent enough to stand for that moment. */
function priceAt(history: readonly PricePoint[], at: number, tolerance: number): Dec | undefined {
  let found: PricePoint | undefined;
  for (const point of history) {
    const t = point.time.getTime();
    if (t <= at) found = point;
    else break;
  }
  if (!found || at - found.time.getTime() > tolerance) return undefined;
  return toDec(found.price);
}

function usdText(d: Dec): string {
  const a = d.abs();
  if (a.gte(1_000_000)) return `$${a.div(1_000_000).toDecimalPlaces(1).toFixed()}M`;
  if (a.gte(10_000)) return `$${a.div(1_000).toDecimalPlaces(0).toFixed()}k`;
  return `$${formatDecimal(a.toDecimalPlaces(0).toFixed())}`;
}

/** The moves that satisfy `c` at `now`, newest first. */
export function qualifyingWhaleMoves(c: WhaleMoveCondition, moves: readonly WhaleMove[], now: Date): WhaleMove[] {
  const from = now.getTime() - c.withinMinutes * 60_000;
  const min = new D(c.minNotionalUsd);
  return moves
    .filter((m) => {
      const t = m.occurredAt.getTime();
      if (t <= from || t > now.getTime()) return false;
      if (whaleAssetOf(m.asset) !== c.asset || (c.side !== 'either' && m.side !== c.side)) return false;
      const notional = toDec(m.notionalUsd);
      if (!notional || notional.abs().lt(min)) return false;
      const cred = m.credibility[c.window];
      return cred !== null && cred !== undefined && Number.isFinite(cred) && cred >= c.minCredibility;
    })
    .sort((a, b) => b.occurredAt.getTime() - a.occurredAt.getTime() || (a.eventId < b.eventId ? 1 : -1));
}

function evaluateWhale(c: WhaleMoveCondition, inputs: ConditionInputs): LeafResult {
  if (!inputs.whaleMoves) return { holds: null, detail: `${c.asset}: whale moves unknown`, missing: `on-chain moves of ${c.asset}` };
  const found = qualifyingWhaleMoves(c, inputs.whaleMoves, inputs.now);
  const newest = found[0];
  if (!newest) return { holds: false, detail: `no qualifying ${c.asset} whale move in ${formatWindow(c.withinMinutes)}` };
  const minutes = Math.max(0, Math.round((inputs.now.getTime() - newest.occurredAt.getTime()) / 60_000));
  const cred = newest.credibility[c.window]!;
  const more = found.length > 1 ? ` (+${String(found.length - 1)} more)` : '';
  return {
    holds: true,
    move: newest.eventId,
    detail: `${newest.wallet} ${newest.side === 'buy' ? 'bought' : 'sold'} ${usdText(toDec(newest.notionalUsd)!)} of ${c.asset} ${String(minutes)} min ago, ${c.window} credibility ${cred.toFixed(1)}${more}`,
  };
}

function evaluateLeaf(c: LeafCondition, inputs: ConditionInputs): LeafResult {
  if (c.type === 'whale_move') return evaluateWhale(c, inputs);
  const latest = inputs.prices[c.symbol];
  const price = latest === undefined ? undefined : toDec(latest);
  const readingsOf = (timeframe: Timeframe): IndicatorReadings | undefined => inputs.indicators?.[indicatorKey(c.symbol, timeframe)];
  switch (c.type) {
    case 'price_above':
    case 'price_below': {
      if (!price) return { holds: null, detail: `${c.symbol}: no price`, missing: `latest price of ${c.symbol}` };
      const threshold = new D(c.price);
      const holds = c.type === 'price_above' ? price.gt(threshold) : price.lt(threshold);
      return { holds, detail: `${c.symbol} at ${formatDecimal(price.toFixed())}` };
    }
    case 'percent_move': {
      const history = inputs.history?.[c.symbol];
      const windowMs = c.windowMinutes * 60_000;
      const start = inputs.now.getTime() - windowMs;
      const reference = history ? priceAt(history, start, Math.max(60_000, windowMs / 4)) : undefined;
      if (!price || !reference || reference.lte(0)) {
        return { holds: null, detail: `${c.symbol}: no price ${formatWindow(c.windowMinutes)} ago`, missing: `${c.symbol} price history back ${formatWindow(c.windowMinutes)}` };
      }
      const change = price.minus(reference).div(reference).mul(100);
      const size = new D(c.percent);
      const holds = c.direction === 'up' ? change.gte(size) : c.direction === 'down' ? change.lte(size.neg()) : change.abs().gte(size);
      return { holds, detail: `${c.symbol} ${change.gte(0) ? '+' : ''}${change.toDecimalPlaces(2).toFixed()}% in ${formatWindow(c.windowMinutes)}` };
    }
    case 'rsi_above':
    case 'rsi_below': {
      const value = readingsOf(c.timeframe)?.rsi?.[c.period];
      if (value === undefined || !Number.isFinite(value)) return { holds: null, detail: `${c.symbol}: no RSI`, missing: `RSI(${c.period}) of ${c.symbol} ${c.timeframe}` };
      return { holds: c.type === 'rsi_above' ? value > c.value : value < c.value, detail: `${c.symbol} RSI(${c.period}, ${c.timeframe}) ${value.toFixed(1)}` };
    }
    case 'macd_cross': {
      const m = readingsOf(c.timeframe)?.macd;
      if (!m || !Number.isFinite(m.macd) || !Number.isFinite(m.signal)) return { holds: null, detail: `${c.symbol}: no MACD`, missing: `MACD of ${c.symbol} ${c.timeframe}` };
      return {
        holds: c.direction === 'bullish' ? m.macd > m.signal : m.macd < m.signal,
        detail: `${c.symbol} MACD ${fmt(m.macd)} vs signal ${fmt(m.signal)} (${c.timeframe})`,
      };
    }
    case 'band_touch': {
      const readings = readingsOf(c.timeframe);
      const band = readings?.bollinger?.[bollingerKey(c.period, c.stdDev)];
      const level = price ? price.toNumber() : readings?.close;
      if (!band || level === undefined) {
        return { holds: null, detail: `${c.symbol}: no Bollinger bands`, missing: `Bollinger bands (${c.period}, ${c.stdDev}) of ${c.symbol} ${c.timeframe}` };
      }
      const edge = c.band === 'upper' ? band.upper : band.lower;
      return { holds: c.band === 'upper' ? level >= edge : level <= edge, detail: `${c.symbol} at ${fmt(level)}, ${c.band} band ${fmt(edge)} (${c.timeframe})` };
    }
  }
}

function evaluateTree(c: AlertCondition, inputs: ConditionInputs, missing: string[], details: string[], moves: string[]): boolean | null {
  if (c.type !== 'all') {
    const r = evaluateLeaf(c, inputs);
    if (r.missing) missing.push(r.missing);
    details.push(r.detail);
    if (c.type === 'whale_move') moves.push(r.move ?? '-');
    return r.holds;
  }
  // AND over three values: any false is false, else any unknown is unknown.
  let result: boolean | null = true;
  for (const child of c.conditions) {
    const v = evaluateTree(child, inputs, missing, details, moves);
    if (v === false) result = false;
    else if (v === null && result === true) result = null;
  }
  return result;
}

/** A fresh state for `condition`: the first complete evaluation sets the baseline without firing. */
export function initialConditionState(condition: AlertCondition): ConditionState {
  const state: ConditionState = { fingerprint: conditionFingerprint(condition), holds: null, since: null };
  return hasWhaleLeaf(condition) ? { ...state, moves: null } : state;
}

/** Whether the tree has a whale leaf (its state then also keeps `moves`). */
export function hasWhaleLeaf(condition: AlertCondition): boolean {
  return leaves(condition).some((l) => l.type === 'whale_move');
}

/**
 * Evaluates `condition` on `inputs` given the `previous` state (none, or one for another condition,
 * means "unknown"). Fires (`met`) only on a false→true edge — or, with whale leaves, while holding on
 * a newer move (see the header); missing inputs never fire and never reset the state, so a data gap
 * does not make a condition fire twice.
 */
export function evaluateCondition(condition: AlertCondition, inputs: ConditionInputs, previous?: ConditionState): ConditionEvaluation {
  const fingerprint = conditionFingerprint(condition);
  const whale = hasWhaleLeaf(condition);
  const fresh: ConditionState = whale ? { fingerprint, holds: null, since: null, moves: null } : { fingerprint, holds: null, since: null };
  const before = previous && previous.fingerprint === fingerprint ? previous : fresh;
  const missing: string[] = [];
  const details: string[] = [];
  const moveIds: string[] = [];
  const holds = evaluateTree(condition, inputs, missing, details, moveIds);
  const description = describeCondition(condition);
  const detail = `${description} — ${details.join('; ')}`;
  if (whale && holds !== null) {
    const moves = holds ? moveIds.join(',') : null;
    if (holds === before.holds && moves === (before.moves ?? null)) return { met: false, holds, state: { ...before }, description, detail, missing };
    const state: ConditionState = { fingerprint, holds, since: holds === before.holds ? before.since : inputs.now.toISOString(), moves };
    // A baseline (no earlier truth) never fires; otherwise: newly true, or still true on newer moves.
    const met = holds && before.holds !== null;
    if (!met) return { met: false, holds, state, description, detail, missing };
    return { met: true, holds, state, triggerKey: `${fingerprint}:whale:${moves!}`, description, detail, missing };
  }
  if (holds === null || holds === before.holds) {
    return { met: false, holds, state: { ...before }, description, detail, missing };
  }
  const state: ConditionState = { fingerprint, holds, since: inputs.now.toISOString() };
  const met = before.holds === false && holds;
  if (!met) return { met: false, holds, state, description, detail, missing };
  // The crossing ends the false run that began at `before.since`; that moment names it.
  const triggerKey = `${fingerprint}:${before.since ?? 'start'}`;
  return { met: true, holds, state, triggerKey, description, detail, missing };
}
