// Backtests over the candle store: a strategy of the kernel (src/domain/strategy) run by the pure
// backtester (src/domain/backtest) over stored candles, the result stored as a `strategies` row with
// `is_backtest` set, owned by the acting user.
//
// Candles come through the same path as the analysis tools: `MarketService.loadCandles`, which serves
// them from the candle store and fetches the bars the store lacks from the market source (the
// simulated market when offline), stores them and reads them back. The window is walked in pages of
// at most 1,000 bars, closed bars only, so a backtest backfills what is missing and never sees a bar
// that had not closed when it ran.
//
// Legs: a strategy that trades more than one market (statistical_arbitrage, yield_optimisation)
// declares its legs; each is resolved to a market of the run's quote (a perpetual is BASE-PERP), its
// closed candles are loaded over the same window the same way, and only the candle times every market
// has are run (the primary's series is cut to them). Funding on perpetual legs: the funding the market
// data source says was paid at each funding time of the window (the exchange's history through ccxt,
// or the simulated market's), read for the run and not stored; a payment time the history lacks is
// charged at the latest rate before it. When the source keeps no history, or has none for the window,
// or `fundingBps` is given, a constant rate per 8-hour interval is charged — `fundingBps`, by default
// 1 bp (0.01%, the paper engine's rate) — and the result says which (`funding`).
//
// Side streams: a strategy that asks for whale signals gets the stored, non-retracted wallet events in
// the market's base asset over the same window (whale-signals.ts), bucketed per candle by the
// backtester exactly as the bot runner buckets them.
import { and, asc, count, desc, eq, gt, inArray, or, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { systemClock } from '../../adapters/system-clock.js';
import type { Db } from '../../db/client.js';
import { backtestFills, strategies } from '../../db/schema/index.js';
import { StrategyType } from '../../db/schema/enums.js';
import { withTransaction } from '../../db/tx.js';
import { annualisedSharpe, DEFAULT_FUNDING_INTERVAL_MS, equityReturns, periodsPerYear, runBacktest as runDomainBacktest, type BacktestFill, type BacktestLeg, type BacktestResult } from '../../domain/backtest/index.js';
import { maxDrawdown } from '../../domain/risk.js';
import { DEFAULT_SPOT_FEES } from '../../domain/matching.js';
import { D, type Dec } from '../../domain/money.js';
import { TIMEFRAME_MS, type Candle, type Clock, type Timeframe } from '../../domain/ports.js';
import { parseStrategyParams, SideStream, STRATEGIES, withKnownParamNames, type LegSpec, type Strategy, type StrategyKind } from '../../domain/strategy/index.js';
import type { Market } from '../../domain/market.js';
import type { Actor } from '../actor.js';
import { writeAudit } from '../audit.js';
import { legMarkets as resolveLegMarkets } from '../leg-markets.js';
import { AppError, ErrorCode, notFound } from '../errors.js';
import { resolveIdPrefix } from '../id-prefix.js';
import type { MarketService } from '../market-data/market-service.js';
import { alignOpenTime, alignOpenTimeUp, TIMEFRAMES } from '../market-data/timeframes.js';
import { BOUNDS, decimalField, parseInput, symbolField, textField } from '../trading/input.js';
import { storedBacktestRow } from './stored-backtest.js';
import { StoredWhaleSignals } from './whale-signals.js';

/** A backtest studies the whole record, backfilled history included (a bot acts on fresh moves only: whale-signals.ts). */
const BACKTEST_SIGNALS = { includeBackfilled: true } as const;
export const STRATEGY_KINDS = Object.keys(STRATEGIES) as [StrategyKind, ...StrategyKind[]];

/** The `strategies.strategy_type` each kernel kind is stored as. */
export const STRATEGY_TYPE_OF: Record<StrategyKind, StrategyType> = {
  grid: StrategyType.gridTrading,
  dca: StrategyType.dca,
  momentum: StrategyType.momentum,
  mean_reversion: StrategyType.meanReversion,
  sma_cross: StrategyType.trendFollowing,
  market_making: StrategyType.marketMaking,
  liquidation_hunting: StrategyType.liquidationHunting,
  prediction_following: StrategyType.predictionFollowing,
  whale_following: StrategyType.whaleFollowing,
  // No strategy_type of its own (no schema change): the technical summary it backtests on is trend and momentum.
  agent: StrategyType.trendFollowing,
  statistical_arbitrage: StrategyType.statisticalArbitrage,
  yield_optimisation: StrategyType.yieldOptimization,
};

/** The most candles one backtest reads (memory and time stay bounded). */
export const MAX_BACKTEST_CANDLES = 20_000;
/** Most fills one `getBacktest` answer lists. */
export const MAX_FILLS_SHOWN = 500;
export const DEFAULT_BACKTEST_DAYS = 90;
export const DEFAULT_INITIAL_CASH = '10000';
/** The paper portfolios' spot taker fee, in basis points (0.1% = 10). */
export const DEFAULT_FEE_BPS = DEFAULT_SPOT_FEES.takerRate.mul(10_000).toFixed();
export const DEFAULT_SLIPPAGE_BPS = '5';
/** Most points of a backtest's chart series (a chart is about 1,000 pixels wide). */
export const SERIES_POINTS = 2_000;

/** Funding per 8 hours charged on perpetual legs when none is given (the paper engine's default, 0.01%). */
export const DEFAULT_FUNDING_BPS = 1;
const DAY_MS = 86_400_000;
/** Fills written per insert. */
const FILL_PAGE = 1_000;

const bpsBounds = { min: '0', minInclusive: true, max: '1000', maxDecimals: 4, example: '10' } as const;

const dateField = (what: string): z.ZodEffects<z.ZodString> =>
  z
    .string()
    .trim()
    .max(40, `${what} is at most 40 characters`)
    .refine((s) => /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(s) && Number.isFinite(Date.parse(s)), {
      message: `${what} must be an ISO date such as 2025-01-31 or 2025-01-31T12:00:00Z`,
    })
    .describe(`${what}, an ISO date such as 2025-01-31 (UTC)`);

/** What a backtest request may carry; every field is checked before any candle is read. */
export const backtestInputShape = {
  strategy: z
    .enum(STRATEGY_KINDS, { errorMap: () => ({ message: `must be one of ${STRATEGY_KINDS.join(', ')}` }) })
    .describe(`Strategy kind: ${STRATEGY_KINDS.join(', ')}`),
  params: z.record(z.unknown()).default({}).describe('The strategy\'s parameters (checked by the strategy; unknown ones are refused)'),
  symbol: symbolField('Spot market, e.g. "BTC/USDT" or "sol"'),
  timeframe: z
    .enum(TIMEFRAMES as [Timeframe, ...Timeframe[]], { errorMap: () => ({ message: `must be one of ${TIMEFRAMES.join(', ')}` }) })
    .default('1h')
    .describe(`Candle timeframe: ${TIMEFRAMES.join(' ')} (default 1h)`),
  days: z
    .number({ invalid_type_error: 'must be a whole number of days' })
    .int('must be a whole number of days')
    .min(1, 'must be at least 1')
    .max(3650, 'must be at most 3650 (ten years)')
    .optional()
    .describe(`The last N days up to now, 1–3650 (default ${DEFAULT_BACKTEST_DAYS}); or give from/to`),
  from: dateField('from').optional(),
  to: dateField('to').optional(),
  initialCash: decimalField('Starting cash in the quote currency', BOUNDS.amount).optional(),
  feeBps: decimalField('Fee per fill in basis points', bpsBounds).optional(),
  slippageBps: decimalField('Slippage against market and stop fills in basis points', bpsBounds).optional(),
  fundingBps: z
    .number({ invalid_type_error: 'must be a number of basis points' })
    .min(-75, 'must be at least -75 (-0.75% per 8 hours)')
    .max(75, 'must be at most 75 (0.75% per 8 hours)')
    .optional()
    .describe(`A constant funding rate per 8 hours on perpetual legs, in basis points (statistical_arbitrage, yield_optimisation), instead of the market's funding history; the history is used when this is left out and the source has one, else ${DEFAULT_FUNDING_BPS} bp (0.01%)`),
  name: textField('name', 100).optional().describe('A name for the stored backtest (default: kind, market, timeframe and dates)'),
};
export type BacktestInput = z.input<z.ZodObject<typeof backtestInputShape>>;

const gridValue = z.union([z.number().finite(), z.string().trim().min(1).max(40), z.boolean()]);

/** What a sweep request may carry: a backtest's window and costs, a grid of parameter values, walk-forward folds. */
export const sweepInputShape = {
  strategy: backtestInputShape.strategy,
  grid: z
    .record(z.array(gridValue).min(1, 'give at least one value').max(20, 'at most 20 values per parameter'))
    .refine((g) => Object.keys(g).length >= 1 && Object.keys(g).length <= 4, { message: 'give 1 to 4 parameters to vary' })
    .describe('Values to try per parameter, e.g. {"fast":[5,10,20],"slow":[50,100]}; every combination is run'),
  params: z.record(z.unknown()).default({}).describe('Parameters every combination shares (the grid overrides them)'),
  symbol: backtestInputShape.symbol,
  timeframe: backtestInputShape.timeframe,
  days: backtestInputShape.days,
  from: backtestInputShape.from,
  to: backtestInputShape.to,
  objective: z.enum(['sharpe', 'returnPct'], { errorMap: () => ({ message: 'must be sharpe or returnPct' }) }).default('sharpe').describe('What picks the in-sample best: sharpe (default) or returnPct'),
  folds: z.number().int('must be a whole number').min(1, 'must be at least 1').max(10, 'must be at most 10').default(3).describe('Walk-forward folds, 1–10 (default 3)'),
  inSampleFraction: z.number().min(0.5, 'must be at least 0.5').max(0.9, 'must be at most 0.9').default(0.7).describe('Share of each fold used to pick parameters, 0.5–0.9 (default 0.7)'),
  mode: z.enum(['rolling', 'anchored'], { errorMap: () => ({ message: 'must be rolling or anchored' }) }).default('rolling').describe('rolling (default): each fold picks on the candles just before it; anchored: on everything before it'),
  initialCash: backtestInputShape.initialCash,
  feeBps: backtestInputShape.feeBps,
  slippageBps: backtestInputShape.slippageBps,
};

/** Most combinations × folds one sweep request runs (each is a backtest). */
export const MAX_SWEEP_RUNS = 600;

export interface SweepFoldView {
  fold: number;
  inSampleFrom: string;
  inSampleTo: string;
  outOfSampleFrom: string;
  outOfSampleTo: string;
  /** The in-sample best's parameters (the grid's values). */
  bestParams: Record<string, unknown>;
  inSampleReturnPct: string;
  inSampleSharpe: number | null;
  outOfSampleReturnPct: string;
  outOfSampleSharpe: number | null;
  outOfSampleTrades: number;
  buyAndHoldReturnPct: string;
}

export interface SweepView {
  strategy: StrategyKind;
  symbol: string;
  timeframe: Timeframe;
  simulated: boolean;
  from: string;
  to: string;
  candles: number;
  objective: 'sharpe' | 'returnPct';
  mode: 'rolling' | 'anchored';
  combinations: number;
  skipped: Array<{ params: Record<string, unknown>; reason: string }>;
  folds: SweepFoldView[];
  /** The folds' out-of-sample returns of their in-sample picks, compounded, in percent. */
  outOfSampleReturnPct: string;
  /** Buy-and-hold over the same out-of-sample windows, compounded, in percent. */
  buyAndHoldReturnPct: string;
  /** The best in-sample figure of any fold (what a sweep without walk-forward would have shown). */
  bestInSampleReturnPct: string;
}

/** The stored out-of-sample run of a sweep's last fold's pick, or why it could not be stored. */
export type StoredSweepRun =
  | { stored: true; backtestId: string; name: string; fold: number; returnPct: string; sharpe: number | null; trades: number; matchesSweep: boolean }
  | { stored: false; reason: string };

export type SweepArgs = z.output<z.ZodObject<typeof sweepInputShape>>;

export interface BacktestFillView {
  at: string;
  side: 'buy' | 'sell';
  type: string;
  price: string;
  quantity: string;
  fee: string;
  tag: string | null;
}

export interface BacktestView {
  id: string;
  name: string;
  strategy: StrategyKind;
  symbol: string;
  exchange: string;
  timeframe: Timeframe;
  simulated: boolean;
  /** Open time of the first candle run over. */
  from: string;
  /** Close time of the last candle run over. */
  to: string;
  candles: number;
  /** The strategy's parameters after defaults, decimals as strings. */
  params: Record<string, unknown>;
  quote: string;
  initialCash: string;
  feeBps: string;
  slippageBps: string;
  finalEquity: string;
  totalPnl: string;
  /** In percent of the initial cash. */
  returnPct: string;
  fees: string;
  /** Fills. */
  trades: number;
  /** Sells (closed round trips, whole or partial). */
  roundTrips: number;
  /** 0–1; null without sells. */
  winRate: number | null;
  sharpe: number | null;
  maxDrawdown: string;
  /** Max drawdown in percent of the peak it fell from. */
  maxDrawdownPct: number;
  /** All the cash into the market at the first open, held to the last close (same fee and slippage). */
  buyAndHold: BuyAndHoldView;
  firstFill: BacktestFillView | null;
  lastFill: BacktestFillView | null;
  /** Orders the strategy asked for that could not fill (cash, size, minimums). */
  rejections: number;
  /** Orders still working after the last candle. */
  openOrders: number;
  /** For a strategy that trades more than one market: each leg after the run, and the funding assumed. */
  legs?: BacktestLegView[];
  /** Funding per 8 hours charged on perpetual legs, in basis points, when it was a constant (see `funding`). */
  fundingBps?: number;
  /** What perpetual legs were charged: the market's funding history (payments read), or a constant and why. */
  funding?: BacktestFunding;
  createdAt: string;
  /**
   * The equity curves behind the figures (not stored; for charts): the strategy's marked equity and
   * buy-and-hold's at candle closes, in the quote currency — every close up to SERIES_POINTS, beyond
   * that the first, the last and each stretch's lowest and highest equity (so the drawdowns drawn are
   * the real ones), buy-and-hold at the same closes.
   */
  series: BacktestSeriesPoint[];
}

/** The funding a run with perpetual legs charged. */
export type BacktestFunding =
  | { source: 'history'; exchange: string; simulated: boolean; payments: number }
  | { source: 'constant'; bps: number; why: 'asked' | 'no history' };

/** One candle's close: the strategy's equity beside buy-and-hold's, decimals as strings. */
export interface BacktestSeriesPoint {
  /** Close time of the candle. */
  at: string;
  equity: string;
  buyAndHold: string;
}

export interface BacktestLegView {
  id: string;
  symbol: string;
  kind: 'spot' | 'perp';
  /** Signed on a perpetual (negative = short). */
  position: string;
  margin: string;
  /** Net funding paid (+) or received (−). */
  fundingPaid: string;
  liquidations: number;
}

export interface BuyAndHoldView {
  entryPrice: string;
  quantity: string;
  fee: string;
  finalEquity: string;
  pnl: string;
  returnPct: string;
  maxDrawdown: string;
  maxDrawdownPct: number;
  sharpe: number | null;
}

/** A stored backtest's id or its first characters. */
const backtestRef = z
  .string()
  .trim()
  .min(4, 'needs at least 4 characters of the backtest id; list-backtests shows yours')
  .max(36, 'is at most 36 characters (the length of a whole id)');

export const getBacktestShape = {
  backtestId: backtestRef.describe('Backtest id: the full id or its first 4+ characters as shown when it ran, or "last" for your newest'),
  offset: z.number().int('must be a whole number').min(0, 'must be 0 or more').default(0).describe('Skip this many fills (default 0)'),
  limit: z.number().int('must be a whole number').min(1, 'must be at least 1').max(MAX_FILLS_SHOWN, `must be at most ${MAX_FILLS_SHOWN}`).default(50).describe('Fills to show (1–500, default 50)'),
};

/** What a stored backtest says of itself: what ran, where, when, and its return beside buy-and-hold. */
export type StoredBacktestHead = {
  id: string;
  name: string;
  strategy: string | null;
  symbol: string | null;
  timeframe: string | null;
  from: string | null;
  to: string | null;
  simulated: boolean;
  totalPnl: string;
  returnPct: string | null;
  buyAndHoldReturnPct: string | null;
};

/** The head of a stored backtest row (its config and metrics as the run stored them). */
function storedHead(row: typeof strategies.$inferSelect): StoredBacktestHead {
  const config = row.config as { symbol?: unknown; timeframe?: unknown; from?: unknown; to?: unknown; kind?: unknown; simulated?: unknown };
  const metrics = (row.performanceMetrics ?? {}) as { returnPct?: unknown; buyAndHold?: { returnPct?: unknown } };
  const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  return {
    id: row.id, name: row.name, strategy: text(config.kind), symbol: text(config.symbol), timeframe: text(config.timeframe), from: text(config.from), to: text(config.to),
    simulated: config.simulated === true, totalPnl: new D(row.totalPnl).toFixed(), returnPct: text(metrics.returnPct), buyAndHoldReturnPct: text(metrics.buyAndHold?.returnPct),
  };
}

export type BacktestDetailView = StoredBacktestHead & {
  tradeCount: number;
  /** Every fill stored for the run. */
  fillCount: number;
  offset: number;
  fills: Array<BacktestFillView & { seq: number }>;
};

export const compareBacktestsShape = {
  backtestIds: z
    .array(backtestRef)
    .length(2, 'give two backtests to compare (or leave backtestIds out for your last two)')
    .optional()
    .describe('Two of your backtests (ids or their first 4+ characters); default: your two most recent'),
};

/** One side of a comparison: a stored backtest's figures. */
export type BacktestComparedView = StoredBacktestHead & {
  sharpe: number | null;
  maxDrawdownPct: number | null;
  winRate: number | null;
  trades: number;
};

export interface BacktestComparisonView {
  first: BacktestComparedView;
  second: BacktestComparedView;
  /** Whether the two ran over the same market, timeframe and window (figures like for like). */
  sameMarket: boolean;
  sameWindow: boolean;
  /** The better of the two on each measure (first/second), or null on a tie or a missing figure. */
  better: { returnPct: 'first' | 'second' | null; sharpe: 'first' | 'second' | null; maxDrawdownPct: 'first' | 'second' | null };
}

export interface BacktestSummaryView {
  id: string;
  name: string;
  strategyType: string;
  symbol: string | null;
  timeframe: string | null;
  totalPnl: string;
  returnPct: string | null;
  tradeCount: number;
  createdAt: string;
}

/** Progress of long work: `done` rises towards `total`; `message` is for a person. */
export type ProgressCallback = (p: { done: number; total: number; message: string }) => void;

export interface BacktestServiceOptions {
  db: Db;
  market: MarketService;
  clock?: Clock;
}

const plain = (d: Dec): string => d.toFixed();
/** As `money` stores it: numeric(38, 18). */
const money = (d: Dec): string => d.toDecimalPlaces(18, D.ROUND_HALF_UP).toFixed();
/** As `rate` stores it (numeric(20, 10)); null when absent or beyond what the column holds. */
const rateText = (n: number | null): string | null => (n === null || !Number.isFinite(n) || Math.abs(n) >= 1e9 ? null : new D(n).toDecimalPlaces(10, D.ROUND_HALF_UP).toFixed());

function fillView(f: BacktestFill | undefined, legs?: readonly BacktestLeg[]): BacktestFillView | null {
  if (!f) return null;
  return { at: f.at.toISOString(), side: f.side, type: f.type, price: plain(f.price), quantity: plain(f.quantity), fee: plain(f.fee), tag: fillTag(f, legs) };
}

/** A fill's stored tag; a leg's fill names its market first ("ETH-PERP stat-arb-open-b"), as the run table has no market column. */
function fillTag(f: BacktestFill, legs?: readonly BacktestLeg[]): string | null {
  if (f.leg === undefined) return f.tag ?? null;
  const symbol = legs?.find((l) => l.id === f.leg)?.market.symbol ?? f.leg;
  return `${symbol} ${f.tag ?? ''}`.trim();
}

function jsonSafe(v: unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(v)) as Record<string, unknown>;
}

const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

export class BacktestService {
  private readonly db: Db;
  private readonly market: MarketService;
  private readonly clock: Clock;

  constructor(opts: BacktestServiceOptions) {
    this.db = opts.db;
    this.market = opts.market;
    this.clock = opts.clock ?? systemClock;
  }

  /**
   * Runs a strategy over the closed candles of `symbol` in the window, loading what the store lacks,
   * stores the result as the actor's backtest and returns its figures. Bad input is refused before
   * any candle is read; nothing is stored unless the backtest ran.
   */
  async runBacktest(actor: Actor, input: unknown, opts: { onProgress?: ProgressCallback } = {}): Promise<BacktestView> {
    const args = parseInput(backtestInputShape, input, 'backtest');
    const strategy = STRATEGIES[args.strategy] as Strategy<unknown, unknown>;
    const parsedParams = parseStrategyParams(strategy, withKnownParamNames(strategy, args.params));
    if (!parsedParams.ok) {
      throw new AppError(ErrorCode.invalidInput, parsedParams.error.message, `fix the ${args.strategy} parameters and try again`);
    }
    const params = parsedParams.value;
    const market = this.market.resolveSymbol(args.symbol);
    if (market.kind !== 'spot') {
      throw new AppError(
        ErrorCode.invalidInput,
        `${market.symbol} is a perpetual; backtests run on spot markets for now (long only, no funding or leverage)`,
        `use the spot market, e.g. ${market.base}/${market.quote}`,
      );
    }
    const legSpecs = strategy.legs?.(params) ?? [];
    const legMarkets = resolveLegMarkets((symbol) => this.market.resolveSymbol(symbol), args.strategy, market, legSpecs);
    if (args.fundingBps !== undefined && !legSpecs.some((l) => l.kind === 'perp')) {
      throw new AppError(ErrorCode.invalidInput, `fundingBps applies to perpetual legs, and ${args.strategy.replaceAll('_', ' ')} trades none`, 'leave fundingBps out');
    }
    const tf = args.timeframe;
    const tfMs = TIMEFRAME_MS[tf];
    const { start, lastOpen } = this.window(args, tf);
    const count = Math.floor((lastOpen - start) / tfMs) + 1;
    if (count < 2) {
      throw new AppError(ErrorCode.invalidInput, `the window holds ${Math.max(count, 0)} closed ${tf} candle${count === 1 ? '' : 's'}; a backtest needs at least 2`, 'widen the period or choose a shorter timeframe');
    }
    if (count > MAX_BACKTEST_CANDLES) {
      throw new AppError(
        ErrorCode.invalidInput,
        `the window holds ${count.toLocaleString('en-US')} ${tf} candles; a backtest reads at most ${MAX_BACKTEST_CANDLES.toLocaleString('en-US')}`,
        'choose a longer timeframe or a shorter period',
      );
    }
    const initialCash = new D(args.initialCash ?? DEFAULT_INITIAL_CASH);
    const feeBps = new D(args.feeBps ?? DEFAULT_FEE_BPS);
    const slippageBps = new D(args.slippageBps ?? DEFAULT_SLIPPAGE_BPS);

    // Progress in hundredths: loading the candles is the first 90, the run the rest.
    const loaded = await this.loadWindow(market.symbol, tf, start, lastOpen, opts.onProgress ? (loadedSoFar, message) => opts.onProgress!({ done: Math.floor((90 * loadedSoFar) / count), total: 100, message }) : undefined);
    if (loaded.candles.length < 2) {
      throw new AppError(
        ErrorCode.notFound,
        `${loaded.candles.length === 0 ? 'no' : 'only one'} ${tf} candle${loaded.candles.length === 1 ? '' : 's'} of ${market.symbol} from ${day(start)} to ${day(lastOpen + tfMs)}`,
        `load history first (npx mikey data backfill ${market.symbol} ${tf} --since ${day(start)}) or choose another period`,
      );
    }
    let candles = loaded.candles;
    let legs: BacktestLeg[] | undefined;
    let funding: BacktestFunding | undefined;
    let fundingBps: number | undefined;
    if (legSpecs.length > 0) {
      const rates = await this.fundingRates(legMarkets, args.fundingBps, start, lastOpen + tfMs);
      funding = rates.funding;
      fundingBps = funding?.source === 'constant' ? funding.bps : undefined;
      const legCandles: Candle[][] = [];
      for (const leg of legMarkets) {
        legCandles.push((await this.loadWindow(leg.market.symbol, tf, start, lastOpen)).candles);
      }
      // Only the candle times every market has.
      const common = new Set(candles.map((c) => c.openTime.getTime()));
      for (const list of legCandles) {
        const times = new Set(list.map((c) => c.openTime.getTime()));
        for (const t of [...common]) if (!times.has(t)) common.delete(t);
      }
      candles = candles.filter((c) => common.has(c.openTime.getTime()));
      if (candles.length < 2) {
        throw new AppError(
          ErrorCode.notFound,
          `${market.symbol} and ${legMarkets.map((l) => l.market.symbol).join(', ')} share ${candles.length === 0 ? 'no' : 'only one'} ${tf} candle${candles.length === 1 ? '' : 's'} from ${day(start)} to ${day(lastOpen + tfMs)}`,
          'load history for every market first or choose another period',
        );
      }
      legs = legMarkets.map((l, k) => ({
        id: l.id,
        market: l.market,
        candles: legCandles[k]!.filter((c) => common.has(c.openTime.getTime())),
        ...(rates.byLeg.has(l.id) ? { fundingRate: rates.byLeg.get(l.id)! } : {}),
        fundingIntervalMs: DEFAULT_FUNDING_INTERVAL_MS,
      }));
    }
    opts.onProgress?.({ done: 95, total: 100, message: `running ${args.strategy.replaceAll('_', ' ')} over ${candles.length.toLocaleString('en-US')} candles` });
    // A strategy with a side stream gets its stored signals over the same window (as a bot would).
    const signals = strategy.sideStream === SideStream.whaleSignals
      ? await new StoredWhaleSignals(this.db).load(market.base, candles[0]!.openTime.getTime(), candles[candles.length - 1]!.openTime.getTime() + tfMs, BACKTEST_SIGNALS)
      : undefined;
    const run = runDomainBacktest({ strategy, params, candles, market, initialCash, feeBps, slippageBps, intervalMs: tfMs, ...(signals !== undefined ? { signals } : {}), ...(legs !== undefined ? { legs } : {}) });
    if (!run.ok) throw new AppError(ErrorCode.invalidInput, run.error.message, 'check the window and the amounts and try again');
    const r: BacktestResult = run.value;

    const first = candles[0]!;
    const last = candles[candles.length - 1]!;
    const from = first.openTime.toISOString();
    const to = new Date(last.openTime.getTime() + tfMs).toISOString();
    const paramsJson = jsonSafe(params);
    const m = r.metrics;
    const bh = r.buyAndHold;
    // Buy-and-hold's equity at each close: the cash left after the entry plus the quantity at the close.
    const bhCash = initialCash.sub(bh.entryPrice.mul(bh.quantity)).sub(bh.fee);
    const bhEquity = [initialCash, ...candles.map((c) => bhCash.add(bh.quantity.mul(c.close)))];
    const bhDrawdown = maxDrawdown(bhEquity);
    const buyAndHold: BuyAndHoldView = {
      entryPrice: plain(bh.entryPrice),
      quantity: plain(bh.quantity),
      fee: plain(bh.fee),
      finalEquity: plain(bh.finalEquity),
      pnl: plain(bh.pnl),
      returnPct: plain(bh.returnPct),
      maxDrawdown: plain(bhDrawdown.amount),
      maxDrawdownPct: bhDrawdown.fraction * 100,
      sharpe: annualisedSharpe(equityReturns(bhEquity), periodsPerYear(tfMs)),
    };
    const legViews: BacktestLegView[] | undefined = r.legs?.map((l) => ({
      id: l.id, symbol: l.symbol, kind: l.kind, position: plain(l.position), margin: plain(l.margin), fundingPaid: plain(l.fundingPaid), liquidations: l.liquidations,
    }));
    const name = args.name || `${args.strategy} ${market.symbol} ${tf} ${from.slice(0, 10)} to ${to.slice(0, 10)}`;
    const now = this.clock.now();
    const row = await withTransaction(this.db, async (tx) => {
      const [created] = await tx
        .insert(strategies)
        .values({
          userId: actor.userId,
          name,
          strategyType: STRATEGY_TYPE_OF[args.strategy],
          description: `Backtest: ${strategy.summary}`,
          config: {
            kind: args.strategy,
            params: paramsJson,
            symbol: market.symbol,
            exchange: loaded.exchange,
            timeframe: tf,
            from,
            to,
            feeBps: plain(feeBps),
            slippageBps: plain(slippageBps),
            initialCash: plain(initialCash),
            simulated: loaded.simulated,
            ...(legViews !== undefined ? { legs: legViews.map((l) => ({ id: l.id, symbol: l.symbol, kind: l.kind })), ...(fundingBps !== undefined ? { fundingBps } : {}), ...(funding !== undefined ? { funding } : {}) } : {}),
          },
          isActive: false,
          isBacktest: true,
          totalPnl: money(m.totalPnl),
          winRate: rateText(m.winRate),
          sharpeRatio: rateText(m.sharpe),
          tradeCount: m.trades,
          performanceMetrics: {
            returnPct: plain(m.returnPct),
            finalEquity: plain(m.finalEquity),
            maxDrawdown: plain(m.maxDrawdown),
            maxDrawdownFraction: m.maxDrawdownFraction,
            buyAndHold,
            roundTrips: m.roundTrips,
            candles: candles.length,
            fees: plain(m.fees),
            ...(legViews !== undefined ? { legs: legViews } : {}),
          },
          createdAt: now,
          updatedAt: now,
        })
        .returning({ id: strategies.id, createdAt: strategies.createdAt });
      // The run table: every fill, in order, in the same transaction as the backtest it belongs to.
      for (let i = 0; i < r.fills.length; i += FILL_PAGE) {
        await tx.insert(backtestFills).values(
          r.fills.slice(i, i + FILL_PAGE).map((f, k) => ({
            strategyId: created!.id,
            seq: i + k + 1,
            filledAt: f.at,
            side: f.side,
            orderType: f.type,
            price: money(f.price),
            quantity: money(f.quantity),
            fee: money(f.fee),
            tag: fillTag(f, legs),
          })),
        );
      }
      await writeAudit(tx, actor, {
        action: 'backtest.created',
        entityType: 'strategy',
        entityId: created!.id,
        newValue: { kind: args.strategy, symbol: market.symbol, timeframe: tf, from, to, candles: candles.length, totalPnl: plain(m.totalPnl), trades: m.trades },
      });
      return created!;
    });

    return {
      id: row.id,
      name,
      strategy: args.strategy,
      symbol: market.symbol,
      exchange: loaded.exchange,
      timeframe: tf,
      simulated: loaded.simulated,
      from,
      to,
      candles: candles.length,
      params: paramsJson,
      quote: market.quote,
      initialCash: plain(initialCash),
      feeBps: plain(feeBps),
      slippageBps: plain(slippageBps),
      finalEquity: plain(m.finalEquity),
      totalPnl: plain(m.totalPnl),
      returnPct: plain(m.returnPct),
      fees: plain(m.fees),
      trades: m.trades,
      roundTrips: m.roundTrips,
      winRate: m.winRate,
      sharpe: m.sharpe,
      maxDrawdown: plain(m.maxDrawdown),
      maxDrawdownPct: m.maxDrawdownFraction * 100,
      buyAndHold,
      firstFill: fillView(r.fills[0], legs),
      lastFill: fillView(r.fills[r.fills.length - 1], legs),
      rejections: r.rejections.length,
      openOrders: r.openOrders.length,
      ...(legViews !== undefined ? { legs: legViews, ...(fundingBps !== undefined ? { fundingBps } : {}), ...(funding !== undefined ? { funding } : {}) } : {}),
      createdAt: row.createdAt.toISOString(),
      series: r.equity.downsample(SERIES_POINTS).map(({ index, equity }) => ({
        at: new Date(candles[index]!.openTime.getTime() + tfMs).toISOString(),
        equity: plain(equity),
        buyAndHold: plain(bhEquity[index + 1]!),
      })),
    };
  }

  /**
   * Stores the out-of-sample run of a sweep's last fold's in-sample pick as an ordinary backtest
   * (list-, get-backtest and the leaderboard see it, with its fills): the most recent pick is the one a
   * bot would be started with, and its out-of-sample window the latest candles it was not chosen on.
   * The run is a backtest of the picked parameters over exactly that window's candles with the sweep's
   * costs, so its figures are the sweep's out-of-sample figures for that fold (`matchesSweep` says
   * whether they agree; they differ only if the candle store changed in between). Its name says it is
   * a sweep's pick and the in-sample return it was picked on.
   */
  async storeSweepPick(actor: Actor, args: SweepArgs, view: SweepView): Promise<StoredSweepRun> {
    const last = view.folds[view.folds.length - 1];
    if (last === undefined) return { stored: false, reason: 'the sweep had no fold' };
    const picked = Object.entries(last.bestParams).map(([k, v]) => `${k} ${String(v)}`).join(', ');
    const inSample = new D(last.inSampleReturnPct).toDecimalPlaces(2, D.ROUND_HALF_UP);
    const name = `${view.strategy} ${view.symbol} ${view.timeframe} sweep pick ${picked}`.slice(0, 70) +
      ` (out of sample; in sample ${inSample.gt(0) ? '+' : ''}${inSample.toFixed(2)}%)`;
    try {
      const run = await this.runBacktest(actor, {
        strategy: view.strategy,
        params: last.bestParams,
        symbol: view.symbol,
        timeframe: view.timeframe,
        from: last.outOfSampleFrom,
        to: last.outOfSampleTo,
        ...(args.initialCash !== undefined ? { initialCash: args.initialCash } : {}),
        ...(args.feeBps !== undefined ? { feeBps: args.feeBps } : {}),
        ...(args.slippageBps !== undefined ? { slippageBps: args.slippageBps } : {}),
        name,
      });
      const matchesSweep = run.returnPct === last.outOfSampleReturnPct && run.trades === last.outOfSampleTrades;
      return { stored: true, backtestId: run.id, name: run.name, fold: last.fold, returnPct: run.returnPct, sharpe: run.sharpe, trades: run.trades, matchesSweep };
    } catch (err) {
      if (err instanceof AppError) return { stored: false, reason: err.message };
      throw err;
    }
  }

  /**
   * A walk-forward parameter sweep: every combination of the grid over each fold's in-sample candles
   * (on worker threads), the in-sample best judged on the fold's out-of-sample candles, beside
   * buy-and-hold of the same windows. Stores nothing; the answer is the out-of-sample result, not the
   * flattering in-sample best.
   */
  async sweep(_actor: Actor, input: unknown, opts: { workers?: number; onProgress?: ProgressCallback } = {}): Promise<SweepView> {
    const parsed = parseInput(sweepInputShape, input, 'sweep');
    const kernel = STRATEGIES[parsed.strategy] as Strategy<unknown, unknown>;
    const args = { ...parsed, grid: withKnownParamNames(kernel, parsed.grid), params: withKnownParamNames(kernel, parsed.params) };
    const market = this.market.resolveSymbol(args.symbol);
    if (market.kind !== 'spot') {
      throw new AppError(ErrorCode.invalidInput, `${market.symbol} is a perpetual; sweeps run on spot markets for now`, `use the spot market, e.g. ${market.base}/${market.quote}`);
    }
    if (STRATEGIES[args.strategy].legs !== undefined) {
      throw new AppError(ErrorCode.invalidInput, `${args.strategy.replaceAll('_', ' ')} trades more than one market; sweeps run single-market strategies for now`, 'run backtest-strategy with the parameters you want to compare');
    }
    const combinations = Object.values(args.grid).reduce((n, values) => n * values.length, 1);
    if (combinations * args.folds > MAX_SWEEP_RUNS) {
      throw new AppError(
        ErrorCode.invalidInput,
        `the grid has ${combinations} combinations × ${args.folds} folds = ${combinations * args.folds} backtests; a sweep runs at most ${MAX_SWEEP_RUNS}`,
        'try fewer values per parameter or fewer folds',
      );
    }
    const tf = args.timeframe;
    const tfMs = TIMEFRAME_MS[tf];
    const { start, lastOpen } = this.window(args, tf);
    const count = Math.floor((lastOpen - start) / tfMs) + 1;
    if (count > MAX_BACKTEST_CANDLES) {
      throw new AppError(ErrorCode.invalidInput, `the window holds ${count.toLocaleString('en-US')} ${tf} candles; a sweep reads at most ${MAX_BACKTEST_CANDLES.toLocaleString('en-US')}`, 'choose a longer timeframe or a shorter period');
    }
    const loaded = await this.loadWindow(market.symbol, tf, start, lastOpen);
    const candles = loaded.candles;
    opts.onProgress?.({ done: 0, total: 1, message: `candles loaded; running ${combinations * args.folds} backtests` });
    if (candles.length < 20 * args.folds) {
      throw new AppError(ErrorCode.notFound, `only ${candles.length} ${tf} candles of ${market.symbol} in the window; ${args.folds} folds need at least ${20 * args.folds}`, 'widen the period, choose a shorter timeframe or fewer folds');
    }
    const signals = STRATEGIES[args.strategy].sideStream === SideStream.whaleSignals
      ? await new StoredWhaleSignals(this.db).load(market.base, candles[0]!.openTime.getTime(), candles[candles.length - 1]!.openTime.getTime() + tfMs, BACKTEST_SIGNALS)
      : undefined;
    const { runSweepOnWorkers } = await import('./sweep-runner.js');
    const report = await runSweepOnWorkers({
      strategy: args.strategy,
      grid: args.grid,
      baseParams: args.params,
      objective: args.objective,
      walkForward: { folds: args.folds, inSampleFraction: args.inSampleFraction, mode: args.mode },
      candles,
      ...(signals !== undefined ? { signals } : {}),
      config: {
        market,
        initialCash: new D(args.initialCash ?? DEFAULT_INITIAL_CASH),
        feeBps: new D(args.feeBps ?? DEFAULT_FEE_BPS),
        slippageBps: new D(args.slippageBps ?? DEFAULT_SLIPPAGE_BPS),
        intervalMs: tfMs,
      },
      ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
      ...(opts.onProgress ? { onProgress: (done: number, total: number) => opts.onProgress!({ done, total, message: `${done} of ${total} backtests run` }) } : {}),
    });
    const at = (i: number): string => candles[Math.min(i, candles.length - 1)]!.openTime.toISOString();
    const endAt = (i: number): string => new Date(candles[i - 1]!.openTime.getTime() + tfMs).toISOString();
    let bestInSample: Dec | undefined;
    const folds = report.folds.map((f): SweepFoldView => {
      const best = f.inSample[f.best]!;
      if (!bestInSample || best.returnPct.gt(bestInSample)) bestInSample = best.returnPct;
      return {
        fold: f.fold.index + 1,
        inSampleFrom: at(f.fold.inSample.start),
        inSampleTo: endAt(f.fold.inSample.end),
        outOfSampleFrom: at(f.fold.outOfSample.start),
        outOfSampleTo: endAt(f.fold.outOfSample.end),
        bestParams: jsonSafe(f.bestParams),
        inSampleReturnPct: plain(best.returnPct),
        inSampleSharpe: best.sharpe,
        outOfSampleReturnPct: plain(f.outOfSample.returnPct),
        outOfSampleSharpe: f.outOfSample.sharpe,
        outOfSampleTrades: f.outOfSample.trades,
        buyAndHoldReturnPct: plain(f.outOfSample.buyAndHold.returnPct),
      };
    });
    return {
      strategy: args.strategy,
      symbol: market.symbol,
      timeframe: tf,
      simulated: loaded.simulated,
      from: candles[0]!.openTime.toISOString(),
      to: new Date(candles[candles.length - 1]!.openTime.getTime() + tfMs).toISOString(),
      candles: candles.length,
      objective: report.objective,
      mode: report.walkForward.mode,
      combinations: report.combinations.length,
      skipped: report.skipped.map((k) => ({ params: jsonSafe(k.raw), reason: k.reason })),
      folds,
      outOfSampleReturnPct: plain(report.outOfSampleReturnPct),
      buyAndHoldReturnPct: plain(report.buyAndHoldReturnPct),
      bestInSampleReturnPct: plain(bestInSample ?? new D(0)),
    };
  }

  /**
   * One of the actor's stored backtests (id or prefix): its figures and its fills, in order — the
   * first `limit` (default 50) from `offset`. Another user's backtest is not found.
   */
  async getBacktest(actor: Actor, input: unknown): Promise<BacktestDetailView> {
    const args = parseInput(getBacktestShape, input, 'backtest');
    const row = await storedBacktestRow(this.db, actor.userId, args.backtestId, 'run one with backtest-strategy');
    const id = row.id;
    const [{ total }] = (await this.db.select({ total: count() }).from(backtestFills).where(eq(backtestFills.strategyId, id))) as [{ total: number }];
    const fills = await this.db
      .select()
      .from(backtestFills)
      .where(and(eq(backtestFills.strategyId, id), gt(backtestFills.seq, args.offset)))
      .orderBy(asc(backtestFills.seq))
      .limit(args.limit);
    return {
      ...storedHead(row),
      tradeCount: row.tradeCount,
      fillCount: Number(total),
      offset: args.offset,
      fills: fills.map((f) => ({
        seq: f.seq,
        at: f.filledAt.toISOString(),
        side: f.side as 'buy' | 'sell',
        type: f.orderType,
        price: new D(f.price).toFixed(),
        quantity: new D(f.quantity).toFixed(),
        fee: new D(f.fee).toFixed(),
        tag: f.tag,
      })),
    };
  }

  /** Two of the actor's stored backtests side by side (by default the two most recent), with which is better on each measure. */
  async compareBacktests(actor: Actor, input: unknown): Promise<BacktestComparisonView> {
    const args = parseInput(compareBacktestsShape, input, 'comparison');
    const mine = and(eq(strategies.userId, actor.userId), eq(strategies.isBacktest, true));
    let ids: string[];
    if (args.backtestIds === undefined) {
      const recent = await this.db.select({ id: strategies.id }).from(strategies).where(mine).orderBy(desc(strategies.createdAt), desc(strategies.id)).limit(2);
      if (recent.length < 2) throw new AppError(ErrorCode.notFound, `you have ${recent.length === 0 ? 'no backtests' : 'one backtest'} yet; a comparison needs two`, 'run another with backtest-strategy');
      ids = [recent[1]!.id, recent[0]!.id];
    } else {
      ids = [];
      for (const ref of args.backtestIds) ids.push(await resolveIdPrefix(this.db, { table: strategies, id: strategies.id, owned: mine, input: ref, noun: 'backtest', listedBy: 'list-backtests' }));
      if (ids[0] === ids[1]) throw new AppError(ErrorCode.invalidInput, 'both ids name the same backtest', 'give two different backtests');
    }
    const rows = await this.db.select().from(strategies).where(and(mine, inArray(strategies.id, ids)));
    const side = (id: string): BacktestComparedView => {
      const row = rows.find((r) => r.id === id);
      if (!row) throw notFound('backtest', 'list-backtests shows yours');
      const drawdown = (row.performanceMetrics as { maxDrawdownFraction?: unknown } | null)?.maxDrawdownFraction;
      const number = (v: string | null): number | null => (v === null ? null : Number(v));
      return {
        ...storedHead(row),
        sharpe: number(row.sharpeRatio), maxDrawdownPct: typeof drawdown === 'number' ? drawdown * 100 : null, winRate: number(row.winRate), trades: row.tradeCount,
      };
    };
    const first = side(ids[0]!);
    const second = side(ids[1]!);
    const pick = (a: number | null, b: number | null, higher: boolean): 'first' | 'second' | null =>
      a === null || b === null || a === b ? null : (a > b) === higher ? 'first' : 'second';
    return {
      first,
      second,
      sameMarket: first.symbol === second.symbol && first.timeframe === second.timeframe,
      sameWindow: first.from === second.from && first.to === second.to,
      better: {
        returnPct: first.returnPct === null || second.returnPct === null ? null : pick(Number(first.returnPct), Number(second.returnPct), true),
        sharpe: pick(first.sharpe, second.sharpe, true),
        maxDrawdownPct: pick(first.maxDrawdownPct, second.maxDrawdownPct, false),
      },
    };
  }

  /**
   * The actor's backtests, newest first; only those of one strategy kind, and of one market or asset
   * ("BTC/USDT" exactly; "BTC" any BTC market: BTC/USDT, BTC-PERP, …), when given.
   */
  async listBacktests(actor: Actor, opts: { limit?: number; symbol?: string; strategy?: string } = {}): Promise<BacktestSummaryView[]> {
    const limit = Math.min(Math.max(Math.floor(opts.limit ?? 20), 1), 100);
    const where: SQL[] = [eq(strategies.userId, actor.userId), eq(strategies.isBacktest, true)];
    const symbolOf = sql`${strategies.config}->>'symbol'`;
    if (opts.symbol) {
      const s = opts.symbol.toUpperCase();
      // The caller's text never acts as a LIKE wildcard, whoever checked it before.
      const literal = s.replace(/[\\%_]/g, '\\$&');
      where.push(/[/-]/.test(s) ? sql`${symbolOf} = ${s}` : or(sql`${symbolOf} like ${`${literal}/%`}`, sql`${symbolOf} like ${`${literal}-%`}`)!);
    }
    if (opts.strategy) where.push(sql`${strategies.config}->>'kind' = ${opts.strategy}`);
    const rows = await this.db
      .select()
      .from(strategies)
      .where(and(...where))
      .orderBy(desc(strategies.createdAt), desc(strategies.id))
      .limit(limit);
    return rows.map((s) => {
      const config = s.config as { symbol?: unknown; timeframe?: unknown };
      const metrics = (s.performanceMetrics ?? {}) as { returnPct?: unknown };
      return {
        id: s.id,
        name: s.name,
        strategyType: s.strategyType,
        symbol: typeof config.symbol === 'string' ? config.symbol : null,
        timeframe: typeof config.timeframe === 'string' ? config.timeframe : null,
        totalPnl: new D(s.totalPnl).toFixed(),
        returnPct: typeof metrics.returnPct === 'string' ? metrics.returnPct : null,
        tradeCount: s.tradeCount,
        createdAt: s.createdAt.toISOString(),
      };
    });
  }

  /** The market of a strategy's leg: the spot (BASE/QUOTE) or perpetual (BASE-PERP) of its asset in the primary's quote. */
  /**
   * The funding rate function of each perpetual leg over (from, to]: the market's history when
   * `fundingBps` is not given and the source has payments for the window, else the constant.
   */
  private async fundingRates(
    legs: ReadonlyArray<{ id: string; spec: LegSpec; market: Market }>, fundingBps: number | undefined, from: number, to: number,
  ): Promise<{ byLeg: Map<string, (atMs: number) => Dec>; funding: BacktestFunding | undefined }> {
    const perps = legs.filter((l) => l.spec.kind === 'perp');
    const byLeg = new Map<string, (atMs: number) => Dec>();
    if (perps.length === 0) return { byLeg, funding: undefined };
    const constant = (bps: number, why: 'asked' | 'no history'): { byLeg: Map<string, (atMs: number) => Dec>; funding: BacktestFunding } => {
      const rate = new D(bps).div(10_000);
      for (const l of perps) byLeg.set(l.id, () => rate);
      return { byLeg, funding: { source: 'constant', bps, why } };
    };
    if (fundingBps !== undefined) return constant(fundingBps, 'asked');
    let payments = 0;
    let source: { exchange: string; simulated: boolean } | undefined;
    for (const l of perps) {
      const h = await this.market.fundingHistory(l.market.symbol, new Date(from), new Date(to));
      if (h === null || h.points.length === 0) return constant(DEFAULT_FUNDING_BPS, 'no history');
      source = { exchange: h.exchange, simulated: h.simulated };
      payments += h.points.length;
      const times = h.points.map((p) => p.at.getTime());
      const values = h.points.map((p) => p.rate);
      // The payment at atMs, or the latest before it; before the first, the first.
      byLeg.set(l.id, (atMs) => {
        let lo = 0;
        let hi = times.length - 1;
        if (atMs < times[0]!) return values[0]!;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (times[mid]! <= atMs) lo = mid;
          else hi = mid - 1;
        }
        return values[lo]!;
      });
    }
    return { byLeg, funding: { source: 'history', exchange: source!.exchange, simulated: source!.simulated, payments } };
  }

  /** Open times of the first and the last closed candle of the asked window. */
  private window(args: { days?: number | undefined; from?: string | undefined; to?: string | undefined }, tf: Timeframe): { start: number; lastOpen: number } {
    const nowMs = this.clock.now().getTime();
    const tfMs = TIMEFRAME_MS[tf];
    if (args.days !== undefined && (args.from !== undefined || args.to !== undefined)) {
      throw new AppError(ErrorCode.invalidInput, 'give either days or from/to, not both', 'e.g. {"days":90} or {"from":"2025-01-01","to":"2025-03-31"}');
    }
    let fromMs: number;
    let toMs: number;
    if (args.from !== undefined || args.to !== undefined) {
      if (args.from === undefined) throw new AppError(ErrorCode.invalidInput, 'to needs from', 'give from as well, e.g. {"from":"2025-01-01","to":"2025-03-31"}');
      fromMs = Date.parse(args.from);
      toMs = args.to !== undefined ? Date.parse(args.to) : nowMs;
      if (fromMs >= nowMs) throw new AppError(ErrorCode.invalidInput, `from ${args.from} is not in the past`, 'give a start date before today');
      if (toMs <= fromMs) throw new AppError(ErrorCode.invalidInput, `to ${args.to ?? ''} must be after from ${args.from}`, 'give a window that ends after it starts');
      if (toMs > nowMs) toMs = nowMs;
      if (toMs - fromMs > 3650 * DAY_MS) throw new AppError(ErrorCode.invalidInput, 'the window is longer than 3650 days', 'give a window of at most ten years');
    } else {
      toMs = nowMs;
      fromMs = nowMs - (args.days ?? DEFAULT_BACKTEST_DAYS) * DAY_MS;
    }
    // A candle is in the window when it opens at or after `from` and has closed by `to`.
    return { start: alignOpenTimeUp(fromMs, tf), lastOpen: alignOpenTime(toMs - tfMs, tf) };
  }

  /** Closed candles from `start` to `lastOpen` (open times), page by page through the market service. */
  private async loadWindow(
    symbol: string,
    tf: Timeframe,
    start: number,
    lastOpen: number,
    onLoaded?: (loadedSoFar: number, message: string) => void,
  ): Promise<{ candles: Candle[]; exchange: string; simulated: boolean }> {
    return this.market.loadClosedRange(symbol, tf, start, lastOpen, {
      ...(onLoaded ? { onPage: (n: number) => onLoaded(n, `loading ${symbol} ${tf} candles: ${n.toLocaleString('en-US')} so far`) } : {}),
    });
  }
}
