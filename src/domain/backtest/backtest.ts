// The in-memory backtester: runs a strategy over a candle array — the primary market spot, long only,
// plus, for a strategy that declares legs (kernel `LegSpec`), extra spot or perpetual legs.
//
// Timing (no look-ahead): the strategy decides on candle t's close (it sees candles 0..t); its orders
// work from candle t + 1 on. Per candle t: first the working orders are matched against t's open,
// high and low (in the order they were placed), then equity is marked at t's close, then the
// strategy decides. Orders decided on the last candle never fill; they are returned as open orders.
//
// Fills (matching.ts does the pricing):
// - market: candle t + 1's open, plus `slippageBps` against the trader, rounded to the tick against
//   the trader; taker fee.
// - limit: an order whose limit the next open already crosses takes the open (taker); otherwise it
//   rests and fills at its own limit (maker) on the first candle whose low (buy) or high (sell)
//   reaches it. The intra-candle path is unknown, so orders are tried in placement order.
// - stop: triggered when the low (sell) or high (buy) reaches the trigger; fills at the trigger, or at
//   the open when the candle gapped through it, plus slippage; taker fee.
// - Sizes: a base quantity is rounded down to the step. A `quoteAmount` buy spends at most that amount
//   with the fee: quantity = quote / (price × (1 + fee rate)) rounded down to the step, at the fill
//   price (market, stop) or the limit price (limit); a `quoteAmount` sell sells quote / price.
// - A fill the cash or the position cannot cover, or below the market's minimum quantity or value, is
//   refused and the order dropped (listed in `rejections`). Fees are charged in the quote asset.
//
// Round trips: every sell closes that quantity against the average cost (buy fees included), so its
// net P&L = proceeds - sell fee - average cost × quantity; the win rate counts those sells.
// Side streams: a strategy that asks for whale signals gets, on candle t, those that happened inside t
// (open ≤ at < close), bucketed by `signalsByCandle` as the bot runner does.
// Buy-and-hold: all the initial cash into the market at the first candle's open (same fee and
// slippage), marked at the last close. It is always the primary market's, legs or not.
//
// Legs (a strategy's `legs(params)`; `BacktestConfig.legs` brings each one's market and candles):
// - Leg candles must have exactly the primary's open times (the caller keeps only the times every
//   market has); on candle t the strategy sees each leg's candles 0..t through a CandleWindow, and
//   an intent with `leg` works from t + 1 on that leg's candles, priced by the same matching as the
//   primary (same fees and slippage). Cash is shared.
// - Spot leg: as the primary (long only, bought with cash, closed against the average cost).
// - Perp leg: a signed position (negative = short). Opening or adding locks margin = notional /
//   leverage from the cash, plus the fee; reducing releases margin in proportion and pays the
//   realised P&L (price − entry) × quantity closed (sign-adjusted), minus the fee; a fill that
//   crosses zero closes first, then opens the rest. A `quoteAmount` on a perp leg is the notional.
//   A fill that opens is refused when the cash cannot cover its margin and fee; a pure reduction never is.
//   Each reduction is a closed trade: net P&L = realised P&L − that fill's fee.
// - Funding: at every funding time T (multiples of `fundingIntervalMs` since the epoch, default 8h)
//   with open_t < T ≤ close_t, a perp position held over candle t pays rate(T) × quantity × close_t
//   (longs pay a positive rate, shorts receive it), from the cash; what the cash cannot cover comes
//   out of the leg's margin. rate(T) is the leg's `fundingRate(T)` (DEFAULT_FUNDING_RATE when absent).
//   The strategy's view carries the rate paid at the last T ≤ close_t (none later).
// - Liquidation: after candle t's fills, a perp position whose margin + unrealised P&L at the candle's
//   adverse extreme (low for a long, high for a short) is ≤ 0 is closed at its bankruptcy price
//   (entry − margin / quantity): the margin is lost, no fee; a fill tagged `liquidation`.
// - Equity = cash + primary × close + spot legs × close + Σ perp (margin + unrealised P&L at close).
import { fromBps, maxDec, ONE, roundDownToStep, toPlain, ZERO, D, type Dec } from '../money.js';
import { feeFor, limitCrosses, marketFillPrice, matchLimitOnArrival, matchRestingLimit, isTriggered, type FeeSchedule, type Liquidity, type SlippageModel } from '../matching.js';
import type { OrderSide } from '../order.js';
import { TIMEFRAME_MS, type Candle, type MarketInfo, type PriceQuote } from '../ports.js';
import { DomainErrorCode, fail, ok, type Result } from '../result.js';
import { tradeStats } from '../portfolio-metrics.js';
import { CandleWindow, intentProblem, signalsByCandle, type WhaleSignal, type FillView, type IntentType, type OpenOrderView, type OrderIntent, type Strategy, type LegSpec, type LegView, type PortfolioView, type StrategyInput } from '../strategy/kernel.js';
import { periodsPerYear, ReturnSeries, StreamingDrawdown } from './metrics.js';
import { EquitySegments, equityCurve, type EquityCurve } from './equity-curve.js';

export interface BacktestConfig {
  market: MarketInfo;
  /** Starting cash in the market's quote asset. */
  initialCash: Dec;
  /** Taker fee in basis points (10 = 0.1%). */
  feeBps: Dec | number;
  /** Maker fee in basis points; the taker fee when absent. */
  makerFeeBps?: Dec | number;
  /** Adverse slippage on market and stop fills, in basis points. */
  slippageBps: Dec | number;
  /** Candle interval for annualising; the first candle's timeframe when absent. */
  intervalMs?: number;
  /** The strategy's legs (when it declares any): market and candles, by the declared id. */
  legs?: readonly BacktestLeg[];
}

/** Funding per interval assumed when no rate series is given: 0.01% per 8 hours (the paper engine's default). */
export const DEFAULT_FUNDING_RATE = new D('0.0001');
export const DEFAULT_FUNDING_INTERVAL_MS = 8 * 3_600_000;

export interface BacktestLeg {
  id: string;
  market: MarketInfo;
  /** Closed candles with exactly the primary candles' open times. */
  candles: readonly Candle[];
  /** Perp legs: the rate (fraction per interval) paid at funding time `atMs`. */
  fundingRate?: (atMs: number) => Dec;
  fundingIntervalMs?: number;
}

/** A leg after the run. */
export interface BacktestLegResult {
  id: string;
  symbol: string;
  kind: 'spot' | 'perp';
  position: Dec;
  entryPrice: Dec | null;
  margin: Dec;
  /** Net funding paid (+) or received (−). */
  fundingPaid: Dec;
  liquidations: number;
}

export interface BacktestFill {
  orderId: string;
  /** Index of the candle it filled in. */
  index: number;
  at: Date;
  side: OrderSide;
  type: IntentType;
  liquidity: Liquidity;
  price: Dec;
  quantity: Dec;
  notional: Dec;
  fee: Dec;
  tag?: string;
  /** The leg it filled on; absent = the primary market. */
  leg?: string;
}

/** A sell: the quantity it closed and its net P&L against the average cost. */
export interface ClosedTrade {
  index: number;
  at: Date;
  quantity: Dec;
  netPnl: Dec;
}

export interface Rejection {
  index: number;
  at: Date;
  reason: string;
  orderId?: string;
  tag?: string;
}

export interface BacktestNote {
  index: number;
  at: Date;
  text: string;
}

export interface BacktestMetrics {
  initialEquity: Dec;
  finalEquity: Dec;
  totalPnl: Dec;
  /** totalPnl / initialEquity × 100. */
  returnPct: Dec;
  fees: Dec;
  /** Number of fills. */
  trades: number;
  /** Number of sells (closed round trips, whole or partial). */
  roundTrips: number;
  /** Winning sells / sells; null without sells. */
  winRate: number | null;
  sharpe: number | null;
  maxDrawdown: Dec;
  /** maxDrawdown as a fraction of the peak it fell from. */
  maxDrawdownFraction: number;
}

export interface BuyAndHold {
  entryPrice: Dec;
  quantity: Dec;
  fee: Dec;
  finalEquity: Dec;
  pnl: Dec;
  returnPct: Dec;
}

export interface BacktestResult {
  fills: BacktestFill[];
  closedTrades: ClosedTrade[];
  rejections: Rejection[];
  notes: BacktestNote[];
  /**
   * Equity at each candle's close (cash + position × close, plus the legs). Computed when read from
   * the cash and position after each fill (equity-curve.ts), so it keeps a reference to the candles
   * and nothing per candle; a run with legs keeps one decimal per candle.
   */
  equity: EquityCurve;
  /** Orders still working after the last candle. */
  openOrders: OpenOrderView[];
  cash: Dec;
  position: Dec;
  metrics: BacktestMetrics;
  buyAndHold: BuyAndHold;
  /** For a strategy with legs: each leg after the run. */
  legs?: BacktestLegResult[];
}

interface WorkingOrder {
  view: OpenOrderView;
  placedAt: number;
  leg?: string;
}

/** A leg's running state. */
interface LegBook {
  id: string;
  spec: LegSpec;
  market: MarketInfo;
  candles: readonly Candle[];
  leverage: Dec;
  fundingRate: (atMs: number) => Dec;
  fundingIntervalMs: number;
  position: Dec;
  /** Spot: cost basis with buy fees; perp: average entry price (fees excluded) × |position|. */
  costBasis: Dec;
  margin: Dec;
  fundingPaid: Dec;
  lastRate: Dec | null;
  liquidations: number;
  working: WorkingOrder[];
  match: (w: WorkingOrder, c: Candle, isNew: boolean) => { price: Dec; quantity: Dec; liquidity: Liquidity } | null;
}

function minAbs(a: Dec, b: Dec): Dec {
  return a.lt(b) ? a : b;
}

type LegDef = Omit<LegBook, 'working' | 'match'>;

/** Matches the strategy's declared legs with the legs brought, checking their candles line up with the primary's. */
function setUpLegs(specs: readonly LegSpec[], given: readonly BacktestLeg[], candles: readonly Candle[]): Result<LegDef[]> {
  const out: LegDef[] = [];
  for (const spec of specs) {
    const leg = given.find((g) => g.id === spec.id);
    if (leg === undefined) return fail(DomainErrorCode.invalidInput, `cannot run the backtest: the strategy trades a ${spec.kind} leg "${spec.id}" and no market was given for it`);
    if (leg.market.kind !== spec.kind) return fail(DomainErrorCode.invalidInput, `cannot run the backtest: leg "${spec.id}" must be a ${spec.kind} market, ${leg.market.symbol} is ${leg.market.kind}`);
    if (leg.candles.length !== candles.length || leg.candles.some((c, i) => c.openTime.getTime() !== candles[i]!.openTime.getTime())) {
      return fail(DomainErrorCode.invalidInput, `cannot run the backtest: the ${leg.market.symbol} candles of leg "${spec.id}" do not have the primary market's candle times`);
    }
    const leverage = spec.leverage ?? 1;
    if (!(Number.isFinite(leverage) && leverage >= 1)) return fail(DomainErrorCode.invalidInput, `cannot run the backtest: leg "${spec.id}" leverage must be 1 or more, got ${String(leverage)}`);
    const interval = leg.fundingIntervalMs ?? DEFAULT_FUNDING_INTERVAL_MS;
    if (!(Number.isInteger(interval) && interval > 0)) return fail(DomainErrorCode.invalidInput, `cannot run the backtest: leg "${spec.id}" funding interval must be a positive whole number of milliseconds`);
    out.push({
      id: spec.id, spec, market: leg.market, candles: leg.candles, leverage: new D(leverage),
      fundingRate: leg.fundingRate ?? (() => DEFAULT_FUNDING_RATE), fundingIntervalMs: interval,
      position: ZERO, costBasis: ZERO, margin: ZERO, fundingPaid: ZERO, lastRate: null, liquidations: 0,
    });
  }
  return ok(out);
}

function asDec(v: Dec | number): Dec {
  return typeof v === 'number' ? new D(v) : v;
}

function checkConfig(config: BacktestConfig, candles: readonly Candle[]): string | null {
  if (candles.length === 0) return 'there are no candles to run over; load or backfill candles for the window first';
  if (!config.initialCash.isFinite() || config.initialCash.lte(0)) return `initial cash must be greater than zero, got ${toPlain(config.initialCash)}`;
  for (const [name, v] of [['fee', config.feeBps], ['maker fee', config.makerFeeBps ?? 0], ['slippage', config.slippageBps]] as const) {
    const d = asDec(v);
    if (!d.isFinite() || d.isNeg() || d.gte(10_000)) return `${name} must be from 0 to 9999 basis points, got ${toPlain(d)}`;
  }
  for (let i = 1; i < candles.length; i++) {
    if (candles[i]!.openTime.getTime() <= candles[i - 1]!.openTime.getTime()) {
      return `candles must be in time order without repeats: candle ${i} (${candles[i]!.openTime.toISOString()}) does not come after candle ${i - 1}`;
    }
  }
  const interval = config.intervalMs ?? TIMEFRAME_MS[candles[0]!.timeframe];
  if (!(interval > 0)) return `the candle interval must be a positive number of milliseconds, got ${String(interval)}`;
  return null;
}

/** Runs `strategy` with already-validated `params` over `candles` (oldest first). Deterministic. */
export function runBacktest<P, S>(
  args: BacktestConfig & {
    strategy: Strategy<P, S>;
    params: P;
    candles: readonly Candle[];
    signals?: readonly WhaleSignal[];
    /** `candles[i].close.toNumber()` for every candle, when the caller has them (a sweep's windows share them). */
    closeNumbers?: ArrayLike<number>;
  },
): Result<BacktestResult> {
  const { strategy, params, candles, market } = args;
  const closeNumbers = args.closeNumbers !== undefined && args.closeNumbers.length === candles.length ? args.closeNumbers : undefined;
  const problem = checkConfig(args, candles);
  if (problem !== null) return fail(DomainErrorCode.invalidInput, `cannot run the backtest: ${problem}`);

  const fees: FeeSchedule = { takerRate: fromBps(asDec(args.feeBps)), makerRate: fromBps(asDec(args.makerFeeBps ?? args.feeBps)) };
  const slippage = asDec(args.slippageBps);
  const model: SlippageModel = { halfSpreadBps: ZERO, slippageBps: slippage, impactBps: ZERO, impactNotional: ZERO, maxBps: slippage };
  const sizingFeeRate = maxDec(fees.takerRate, fees.makerRate);
  const quoteAt = (price: Dec, at: Date): PriceQuote => ({ symbol: market.symbol, price, publishTime: at, source: 'sim', simulated: true });
  const specs = strategy.legs?.(params) ?? [];
  const legSetup = setUpLegs(specs, args.legs ?? [], candles);
  if (!legSetup.ok) return legSetup;
  const legDefs = legSetup.value;
  const candleMs = args.intervalMs ?? TIMEFRAME_MS[candles[0]!.timeframe];

  const fills: BacktestFill[] = [];
  const closedTrades: ClosedTrade[] = [];
  const rejections: Rejection[] = [];
  const notes: BacktestNote[] = [];
  // Equity: the exact curve is kept as segments (no legs) or per candle (legs); the statistics are
  // streamed — returns as numbers, drawdown exact where it can matter (metrics.ts).
  const segments = new EquitySegments();
  const legEquity: Dec[] = [];
  const returns = new ReturnSeries(args.initialCash.toNumber(), candles.length);
  const drawdown = new StreamingDrawdown(args.initialCash);
  // Numbers of the cash, the position and the closes, for marking without decimals between fills.
  const closes = new Float64Array(candles.length);
  let cashNumber = 0;
  let positionNumber = 0;
  let segmentCash: Dec | null = null;
  let segmentPosition: Dec | null = null;
  let lastMarked: Dec | null = null;
  let lastMarkedNumber = 0;
  let portfolio: PortfolioView | null = null;
  let working: WorkingOrder[] = [];
  let cash = args.initialCash;
  let position = ZERO;
  let costBasis = ZERO;
  let totalFees = ZERO;
  let nextId = 1;
  const state = strategy.init(params);
  // A strategy with a side stream gets candle t's signals (none when the caller brought none).
  const signalBuckets = strategy.sideStream !== undefined
    ? signalsByCandle(args.signals ?? [], candles.map((c) => c.openTime.getTime()), args.intervalMs ?? TIMEFRAME_MS[candles[0]!.timeframe])
    : undefined;

  // Sizing and matching of one market's orders (the primary's and each leg's; `perp` sizes a
  // quoteAmount as notional, without the fee).
  const matcherFor = (market: MarketInfo, perp: boolean): ((w: WorkingOrder, c: Candle, isNew: boolean) => { price: Dec; quantity: Dec; liquidity: Liquidity } | null) => {
  const sizeAt = (order: OpenOrderView, price: Dec): Dec => {
    if (order.quantity !== undefined) return roundDownToStep(order.quantity, market.stepSize);
    if (perp) return roundDownToStep(order.quoteAmount!.div(price), market.stepSize);
    const quote = order.quoteAmount!;
    const perUnit = order.side === 'buy' ? price.mul(sizingFeeRate.add(1)) : price;
    return roundDownToStep(quote.div(perUnit), market.stepSize);
  };

  /** Price and liquidity an order gets on candle `c`, or null when it does not trade there. */
  const matchOn = (w: WorkingOrder, c: Candle, isNew: boolean): { price: Dec; quantity: Dec; liquidity: Liquidity } | null => {
    const o = w.view;
    if (o.type === 'limit') {
      const limit = o.price!;
      const open = quoteAt(c.open, c.openTime);
      const atOpen = isNew && limitCrosses(o.side, limit, open);
      // Most resting orders are out of reach on most candles: skip the sizing and matching for them.
      if (!atOpen && (o.side === 'buy' ? c.low.gt(limit) : c.high.lt(limit))) return null;
      const quantity = sizeAt(o, limit);
      if (quantity.lte(0)) return { price: limit, quantity, liquidity: 'maker' };
      const base = { side: o.side, limitPrice: limit, quantity, market, fees };
      const outcome = atOpen
        ? matchLimitOnArrival({ ...base, quote: open, timeInForce: 'gtc' })
        : ok(matchRestingLimit({ ...base, quote: quoteAt(o.side === 'buy' ? c.low : c.high, c.openTime) }));
      const fill = outcome.ok ? outcome.value.fills[0] : undefined;
      return fill ? { price: fill.price, quantity, liquidity: fill.liquidity } : null;
    }
    let reference = c.open;
    if (o.type === 'stop') {
      const trigger = o.triggerPrice!;
      if (!isTriggered('stop', o.side, trigger, o.side === 'sell' ? c.low : c.high)) return null;
      reference = o.side === 'sell' ? (c.open.lt(trigger) ? c.open : trigger) : (c.open.gt(trigger) ? c.open : trigger);
    }
    const price = marketFillPrice(o.side, ONE, quoteAt(reference, c.openTime), model, market);
    return { price, quantity: sizeAt(o, price), liquidity: 'taker' };
  };
  return matchOn;
  };
  const matchOn = matcherFor(market, false);

  const reject = (index: number, at: Date, order: OpenOrderView | null, reason: string): void => {
    rejections.push({ index, at, reason, ...(order ? { orderId: order.id } : {}), ...(order?.tag !== undefined ? { tag: order.tag } : {}) });
  };

  // ----- Legs -----
  const books: LegBook[] = legDefs.map((l) => ({ ...l, working: [], match: matcherFor(l.market, l.spec.kind === 'perp') }));
  const legEntry = (l: LegBook): Dec | null => (l.position.isZero() ? null : l.costBasis.div(l.position.abs()));
  const legValue = (l: LegBook, close: Dec): Dec => {
    if (l.spec.kind === 'spot') return l.position.mul(close);
    if (l.position.isZero()) return l.margin;
    return l.margin.add(l.position.mul(close.sub(legEntry(l)!)));
  };
  const recordFill = (l: LegBook, t: number, o: OpenOrderView, price: Dec, quantity: Dec, liquidity: Liquidity, fee: Dec, out: FillView[]): void => {
    const at = l.candles[t]!.openTime;
    const tag = o.tag !== undefined ? { tag: o.tag } : {};
    fills.push({ orderId: o.id, index: t, at, side: o.side, type: o.type, liquidity, price, quantity, notional: price.mul(quantity), fee, ...tag, leg: l.id });
    out.push(Object.freeze({ orderId: o.id, side: o.side, price, quantity, fee, ...tag }));
  };
  /** Applies a perp fill (signed `delta`: + buys, − sells); returns why it cannot, or null. */
  const perpFill = (l: LegBook, t: number, delta: Dec, price: Dec, fee: Dec): string | null => {
    const q = l.position;
    const reducing = q.isZero() || q.isNeg() === delta.isNeg() ? ZERO : minAbs(delta.abs(), q.abs());
    const opening = delta.abs().sub(reducing);
    // Cash after the reduction, before the opening: the check covers the new margin and the whole fee.
    let released = ZERO;
    let realised = ZERO;
    if (reducing.gt(0)) {
      const entry = legEntry(l)!;
      released = l.margin.mul(reducing).div(q.abs());
      realised = (q.isNeg() ? entry.sub(price) : price.sub(entry)).mul(reducing);
    }
    const newMargin = price.mul(opening).div(l.leverage);
    const cashAfter = cash.add(released).add(realised).sub(fee).sub(newMargin);
    // A pure reduction is never refused for cash (a close must go through, even after a gap past the bankruptcy price).
    if (opening.gt(0) && cashAfter.isNeg()) return `not enough cash for the ${l.id} leg: ${toPlain(newMargin.add(fee))} ${l.market.quote} margin and fee needed, ${toPlain(cash.add(released).add(realised))} free`;
    cash = cashAfter;
    if (reducing.gt(0)) {
      const entry = legEntry(l)!;
      l.margin = l.margin.sub(released);
      l.costBasis = l.costBasis.sub(entry.mul(reducing));
      l.position = q.isNeg() ? q.add(reducing) : q.sub(reducing);
      if (l.position.isZero()) {
        l.costBasis = ZERO;
        l.margin = ZERO;
      }
      const feeShare = opening.gt(0) ? fee.mul(reducing).div(delta.abs()) : fee;
      closedTrades.push({ index: t, at: l.candles[t]!.openTime, quantity: reducing, netPnl: realised.sub(feeShare) });
    }
    if (opening.gt(0)) {
      l.margin = l.margin.add(newMargin);
      l.costBasis = l.costBasis.add(price.mul(opening));
      l.position = delta.isNeg() ? l.position.sub(opening) : l.position.add(opening);
    }
    return null;
  };
  const legStep = (l: LegBook, t: number): FillView[] => {
    const c = l.candles[t]!;
    const out: FillView[] = [];
    if (l.working.length > 0) {
      const still: WorkingOrder[] = [];
      for (const w of l.working) {
        const o = w.view;
        const m = l.match(w, c, w.placedAt === t - 1);
        if (m === null) {
          still.push(w);
          continue;
        }
        const notional = m.price.mul(m.quantity);
        const fee = feeFor(notional, m.liquidity, fees);
        let why: string | null = m.quantity.lte(0) || m.quantity.lt(l.market.minQty) || notional.lt(l.market.minNotional)
          ? `${toPlain(m.quantity)} ${l.market.base} at ${toPlain(m.price)} is below the ${l.market.symbol} minimum (${toPlain(l.market.minQty)} ${l.market.base}, ${toPlain(l.market.minNotional)} ${l.market.quote})`
          : null;
        if (why === null && l.spec.kind === 'spot') {
          why = o.side === 'buy' && notional.add(fee).gt(cash)
            ? `not enough cash: ${toPlain(notional.add(fee))} ${l.market.quote} needed, ${toPlain(cash)} free`
            : o.side === 'sell' && m.quantity.gt(l.position) ? `sells ${toPlain(m.quantity)} ${l.market.base} but holds ${toPlain(l.position)}` : null;
          if (why === null) {
            if (o.side === 'buy') {
              cash = cash.sub(notional).sub(fee);
              l.costBasis = l.costBasis.add(notional).add(fee);
              l.position = l.position.add(m.quantity);
            } else {
              const costOut = l.costBasis.mul(m.quantity).div(l.position);
              cash = cash.add(notional).sub(fee);
              l.position = l.position.sub(m.quantity);
              l.costBasis = l.position.isZero() ? ZERO : l.costBasis.sub(costOut);
              closedTrades.push({ index: t, at: c.openTime, quantity: m.quantity, netPnl: notional.sub(fee).sub(costOut) });
            }
          }
        } else if (why === null) {
          why = perpFill(l, t, o.side === 'buy' ? m.quantity : m.quantity.neg(), m.price, fee);
        }
        if (why !== null) {
          reject(t, c.openTime, o, why);
          continue;
        }
        totalFees = totalFees.add(fee);
        recordFill(l, t, o, m.price, m.quantity, m.liquidity, fee, out);
      }
      l.working = still;
    }
    if (l.spec.kind !== 'perp') return out;
    // Liquidation at the candle's adverse extreme.
    if (!l.position.isZero()) {
      const entry = legEntry(l)!;
      const extreme = l.position.isNeg() ? c.high : c.low;
      if (l.margin.add(l.position.mul(extreme.sub(entry))).lte(0)) {
        const bankrupt = entry.sub(l.margin.div(l.position));
        const quantity = l.position.abs();
        const side: OrderSide = l.position.isNeg() ? 'buy' : 'sell';
        closedTrades.push({ index: t, at: c.openTime, quantity, netPnl: l.margin.neg() });
        recordFill(l, t, { id: `liq${nextId++}`, side, type: 'market', tag: 'liquidation' }, bankrupt, quantity, 'taker', ZERO, out);
        notes.push({ index: t, at: c.openTime, text: `${l.id} leg liquidated: ${toPlain(quantity)} ${l.market.base} at ${toPlain(bankrupt.toDecimalPlaces(8))}, margin ${toPlain(l.margin)} lost` });
        l.position = ZERO;
        l.costBasis = ZERO;
        l.margin = ZERO;
        l.liquidations++;
      }
    }
    // Funding at every funding time inside (open, close].
    const open = c.openTime.getTime();
    const close = open + candleMs;
    for (let T = (Math.floor(open / l.fundingIntervalMs) + 1) * l.fundingIntervalMs; T <= close; T += l.fundingIntervalMs) {
      const rate = l.fundingRate(T);
      l.lastRate = rate;
      if (l.position.isZero()) continue;
      const paid = rate.mul(l.position).mul(c.close);
      l.fundingPaid = l.fundingPaid.add(paid);
      cash = cash.sub(paid);
      if (cash.isNeg()) {
        l.margin = maxDec(l.margin.add(cash), ZERO);
        cash = ZERO;
      }
    }
    return out;
  };
  const legInputs = (t: number, legFills: Map<string, FillView[]>): { legCandles: Readonly<Record<string, CandleWindow>>; legs: Readonly<Record<string, LegView>> } => {
    const windows: Record<string, CandleWindow> = {};
    const views: Record<string, LegView> = {};
    for (const l of books) {
      windows[l.id] = new CandleWindow(l.candles, t);
      views[l.id] = Object.freeze({
        kind: l.spec.kind,
        position: l.position,
        entryPrice: legEntry(l),
        margin: l.margin,
        fundingPaid: l.fundingPaid,
        openOrders: Object.freeze(l.working.map((w) => w.view)),
        newFills: Object.freeze(legFills.get(l.id) ?? []),
        ...(l.spec.kind === 'perp' && l.spec.funding === true ? { fundingRate: l.lastRate, fundingIntervalMs: l.fundingIntervalMs } : {}),
      });
    }
    return { legCandles: Object.freeze(windows), legs: Object.freeze(views) };
  };

  // A strategy without side streams or legs is handed one input object for the whole run, its window
  // and portfolio set to the candle's before each call (one that kept it from an earlier call sees the
  // present through it, never later).
  let plainInput: { -readonly [K in keyof StrategyInput<P, S>]: StrategyInput<P, S>[K] } | null = null;
  const plainInputFor = (window: CandleWindow, view: PortfolioView): StrategyInput<P, S> => {
    if (plainInput === null) return (plainInput = { params, state, candles: window, portfolio: view });
    plainInput.candles = window;
    plainInput.portfolio = view;
    return plainInput;
  };

  for (let t = 0; t < candles.length; t++) {
    const candle = candles[t]!;
    // The fills of this candle (most candles have none: no array is made for them).
    let newFills: FillView[] | null = null;

    // 1. Orders decided on earlier closes meet this candle.
    if (working.length > 0) {
      const still: WorkingOrder[] = [];
      for (const w of working) {
        const o = w.view;
        const m = matchOn(w, candle, w.placedAt === t - 1);
        if (m === null) {
          still.push(w);
          continue;
        }
        const notional = m.price.mul(m.quantity);
        const fee = feeFor(notional, m.liquidity, fees);
        const why = m.quantity.lte(0) || m.quantity.lt(market.minQty) || notional.lt(market.minNotional)
          ? `${toPlain(m.quantity)} ${market.base} at ${toPlain(m.price)} is below the market minimum (${toPlain(market.minQty)} ${market.base}, ${toPlain(market.minNotional)} ${market.quote})`
          : o.side === 'buy' && notional.add(fee).gt(cash)
            ? `not enough cash: ${toPlain(notional.add(fee))} ${market.quote} needed, ${toPlain(cash)} free`
            : o.side === 'sell' && m.quantity.gt(position)
              ? `sells ${toPlain(m.quantity)} ${market.base} but holds ${toPlain(position)}`
              : null;
        if (why !== null) {
          reject(t, candle.openTime, o, why);
          continue;
        }
        if (o.side === 'buy') {
          cash = cash.sub(notional).sub(fee);
          costBasis = costBasis.add(notional).add(fee);
          position = position.add(m.quantity);
        } else {
          const costOut = costBasis.mul(m.quantity).div(position);
          cash = cash.add(notional).sub(fee);
          position = position.sub(m.quantity);
          costBasis = position.isZero() ? ZERO : costBasis.sub(costOut);
          closedTrades.push({ index: t, at: candle.openTime, quantity: m.quantity, netPnl: notional.sub(fee).sub(costOut) });
        }
        totalFees = totalFees.add(fee);
        const tag = o.tag !== undefined ? { tag: o.tag } : {};
        fills.push({ orderId: o.id, index: t, at: candle.openTime, side: o.side, type: o.type, liquidity: m.liquidity, price: m.price, quantity: m.quantity, notional, fee, ...tag });
        (newFills ??= []).push(Object.freeze({ orderId: o.id, side: o.side, price: m.price, quantity: m.quantity, fee, ...tag }));
      }
      working = still;
    }

    // 1b. The legs' orders meet the legs' candle t; perp legs are liquidated, then funded.
    const legFills = books.length > 0 ? new Map<string, FillView[]>() : NO_LEG_FILLS;
    for (const leg of books) legFills.set(leg.id, legStep(leg, t));

    // 2. Mark to the close (flat: the cash itself, the same value object as the candle before).
    const closeNumber = closeNumbers !== undefined ? closeNumbers[t]! : candle.close.toNumber();
    closes[t] = closeNumber;
    if (books.length > 0) {
      let marked = position.isZero() ? cash : cash.add(position.mul(candle.close));
      for (const leg of books) marked = marked.add(legValue(leg, leg.candles[t]!.close));
      legEquity.push(marked);
      if (marked !== lastMarked) lastMarkedNumber = marked.toNumber();
      returns.push(lastMarkedNumber);
      lastMarked = marked;
      drawdown.add(marked);
    } else {
      if (cash !== segmentCash || position !== segmentPosition) {
        segments.add(t, cash, position);
        segmentCash = cash;
        segmentPosition = position;
        cashNumber = cash.toNumber();
        positionNumber = position.isZero() ? 0 : position.toNumber();
      }
      const approx = positionNumber === 0 ? cashNumber : cashNumber + positionNumber * closeNumber;
      returns.push(approx);
      drawdown.addMarked(approx, cash, position, candle.close);
    }

    // 3. The strategy decides on the closed candle. The portfolio view (frozen) is the one of the
    // candle before when nothing in it changed: same cash and position, no order working, no fill.
    if (!(portfolio !== null && portfolio.cash === cash && portfolio.position === position && working.length === 0 && portfolio.openOrders === NONE_OPEN && newFills === null && portfolio.newFills === NO_FILLS)) {
      const heldNow = position;
      const basisNow = costBasis;
      portfolio = Object.freeze({
        cash,
        position,
        // Divided out only when the strategy reads it.
        get averageCost(): Dec | null {
          return averageCostOf(heldNow, basisNow);
        },
        openOrders: working.length === 0 ? NONE_OPEN : Object.freeze(working.map((w) => w.view)),
        newFills: newFills === null ? NO_FILLS : Object.freeze(newFills),
      });
    }
    const window = new CandleWindow(candles, t, closes);
    const decision = strategy.onCandle(
      signalBuckets === undefined && books.length === 0
        ? // One input object for the whole run, its window and portfolio set to this candle's (a
          // strategy that kept it from an earlier call sees the present through it, never later).
          plainInputFor(window, portfolio)
        : {
            params,
            state,
            candles: window,
            portfolio,
            ...(signalBuckets !== undefined ? { signals: signalBuckets[t]! } : {}),
            ...(books.length > 0 ? legInputs(t, legFills) : {}),
          },
    );
    if (decision.notes !== undefined) for (const text of decision.notes) notes.push({ index: t, at: candle.openTime, text });
    if (decision.cancelTags !== undefined && decision.cancelTags.length > 0) {
      const cancelled = new Set(decision.cancelTags);
      working = working.filter((w) => w.view.tag === undefined || !cancelled.has(w.view.tag));
      for (const leg of books) leg.working = leg.working.filter((w) => w.view.tag === undefined || !cancelled.has(w.view.tag));
    }
    if (decision.orders !== undefined) for (const intent of decision.orders) {
      const bad = intentProblem(intent);
      if (bad !== null) {
        reject(t, candle.openTime, null, `${intent.tag !== undefined ? `order ${intent.tag}: ` : ''}${bad}`);
        continue;
      }
      if (intent.leg !== undefined) {
        const leg = books.find((l) => l.id === intent.leg);
        if (leg === undefined) {
          reject(t, candle.openTime, null, `${intent.tag !== undefined ? `order ${intent.tag}: ` : ''}no leg "${intent.leg.slice(0, 40)}"; the strategy declares ${books.length > 0 ? books.map((l) => l.id).join(', ') : 'none'}`);
          continue;
        }
        leg.working.push({ view: openOrderView(`o${nextId++}`, intent), placedAt: t, leg: leg.id });
        continue;
      }
      working.push({ view: openOrderView(`o${nextId++}`, intent), placedAt: t });
    }
  }

  const initial = args.initialCash;
  const equity = books.length > 0 ? equityCurve(legEquity.length, (i) => legEquity[i]!) : equityCurve(candles.length, (i) => segments.at(i, candles));
  const finalEquity = books.length > 0 ? legEquity[legEquity.length - 1]! : segments.at(candles.length - 1, candles);
  const stats = tradeStats(closedTrades);
  const totalPnl = finalEquity.sub(initial);
  const intervalMs = args.intervalMs ?? TIMEFRAME_MS[candles[0]!.timeframe];
  return ok({
    fills,
    closedTrades,
    rejections,
    notes,
    equity,
    openOrders: working.map((w) => w.view),
    cash,
    position,
    metrics: {
      initialEquity: initial,
      finalEquity,
      totalPnl,
      returnPct: totalPnl.div(initial).mul(100),
      fees: totalFees,
      trades: fills.length,
      roundTrips: stats.trades,
      winRate: stats.winRate,
      sharpe: returns.sharpe(periodsPerYear(intervalMs)),
      maxDrawdown: drawdown.amount,
      maxDrawdownFraction: drawdown.fraction,
    },
    buyAndHold: buyAndHold(candles, initial, market, fees, model),
    ...(books.length > 0
      ? {
          legs: books.map((l) => ({
            id: l.id, symbol: l.market.symbol, kind: l.spec.kind, position: l.position, entryPrice: legEntry(l),
            margin: l.margin, fundingPaid: l.fundingPaid, liquidations: l.liquidations,
          })),
        }
      : {}),
  });
}

function openOrderView(id: string, intent: OrderIntent): OpenOrderView {
  const view: { -readonly [K in keyof OpenOrderView]: OpenOrderView[K] } = { id, side: intent.side, type: intent.type };
  if (intent.quantity !== undefined) view.quantity = intent.quantity;
  if (intent.quoteAmount !== undefined) view.quoteAmount = intent.quoteAmount;
  if (intent.price !== undefined) view.price = intent.price;
  if (intent.triggerPrice !== undefined) view.triggerPrice = intent.triggerPrice;
  if (intent.tag !== undefined) view.tag = intent.tag;
  return Object.freeze(view);
}

/** All the cash into the market at the first open (taker fee, slippage), marked at the last close. */
export function buyAndHold(candles: readonly Candle[], initialCash: Dec, market: MarketInfo, fees: FeeSchedule, model: SlippageModel): BuyAndHold {
  const first = candles[0]!;
  const last = candles[candles.length - 1]!;
  const quote: PriceQuote = { symbol: market.symbol, price: first.open, publishTime: first.openTime, source: 'sim', simulated: true };
  const entryPrice = marketFillPrice('buy', ONE, quote, model, market);
  const quantity = roundDownToStep(initialCash.div(entryPrice.mul(fees.takerRate.add(1))), market.stepSize);
  const notional = entryPrice.mul(quantity);
  const fee = feeFor(notional, 'taker', fees);
  const finalEquity = initialCash.sub(notional).sub(fee).add(quantity.mul(last.close));
  const pnl = finalEquity.sub(initialCash);
  return { entryPrice, quantity, fee, finalEquity, pnl, returnPct: pnl.div(initialCash).mul(100) };
}

/** Average cost per unit held, buy fees included; null when flat. */
function averageCostOf(position: Dec, costBasis: Dec): Dec | null {
  return position.gt(0) ? costBasis.div(position) : null;
}

// Shared empties: most candles have no working order and no fill (a million-candle run allocates none).
const NONE_OPEN: readonly OpenOrderView[] = Object.freeze([]);
const NO_FILLS: readonly FillView[] = Object.freeze([]);
const NO_LEG_FILLS: Map<string, FillView[]> = new Map();
