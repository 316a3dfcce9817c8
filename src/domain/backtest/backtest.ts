// The in-memory backtester: runs a strategy over a candle array, spot, long only, one market.
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
// slippage), marked at the last close.
import { fromBps, maxDec, ONE, roundDownToStep, toPlain, ZERO, D, type Dec } from '../money.js';
import { feeFor, limitCrosses, marketFillPrice, matchLimitOnArrival, matchRestingLimit, isTriggered, type FeeSchedule, type Liquidity, type SlippageModel } from '../matching.js';
import type { OrderSide } from '../order.js';
import { TIMEFRAME_MS, type Candle, type MarketInfo, type PriceQuote } from '../ports.js';
import { DomainErrorCode, fail, ok, type Result } from '../result.js';
import { maxDrawdown } from '../risk.js';
import { tradeStats } from '../portfolio-metrics.js';
import { CandleWindow, intentProblem, signalsByCandle, type WhaleSignal, type FillView, type IntentType, type OpenOrderView, type OrderIntent, type Strategy } from '../strategy/kernel.js';
import { annualisedSharpe, equityReturns, periodsPerYear } from './metrics.js';

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
  /** Equity at each candle's close (cash + position × close). */
  equity: Dec[];
  /** Orders still working after the last candle. */
  openOrders: OpenOrderView[];
  cash: Dec;
  position: Dec;
  metrics: BacktestMetrics;
  buyAndHold: BuyAndHold;
}

interface WorkingOrder {
  view: OpenOrderView;
  placedAt: number;
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
  args: BacktestConfig & { strategy: Strategy<P, S>; params: P; candles: readonly Candle[]; signals?: readonly WhaleSignal[] },
): Result<BacktestResult> {
  const { strategy, params, candles, market } = args;
  const problem = checkConfig(args, candles);
  if (problem !== null) return fail(DomainErrorCode.invalidInput, `cannot run the backtest: ${problem}`);

  const fees: FeeSchedule = { takerRate: fromBps(asDec(args.feeBps)), makerRate: fromBps(asDec(args.makerFeeBps ?? args.feeBps)) };
  const slippage = asDec(args.slippageBps);
  const model: SlippageModel = { halfSpreadBps: ZERO, slippageBps: slippage, impactBps: ZERO, impactNotional: ZERO, maxBps: slippage };
  const sizingFeeRate = maxDec(fees.takerRate, fees.makerRate);
  const quoteAt = (price: Dec, at: Date): PriceQuote => ({ symbol: market.symbol, price, publishTime: at, source: 'sim', simulated: true });

  const fills: BacktestFill[] = [];
  const closedTrades: ClosedTrade[] = [];
  const rejections: Rejection[] = [];
  const notes: BacktestNote[] = [];
  const equity: Dec[] = [];
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

  const sizeAt = (order: OpenOrderView, price: Dec): Dec => {
    if (order.quantity !== undefined) return roundDownToStep(order.quantity, market.stepSize);
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

  const reject = (index: number, at: Date, order: OpenOrderView | null, reason: string): void => {
    rejections.push({ index, at, reason, ...(order ? { orderId: order.id } : {}), ...(order?.tag !== undefined ? { tag: order.tag } : {}) });
  };

  for (let t = 0; t < candles.length; t++) {
    const candle = candles[t]!;
    const newFills: FillView[] = [];

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
        newFills.push(Object.freeze({ orderId: o.id, side: o.side, price: m.price, quantity: m.quantity, fee, ...tag }));
      }
      working = still;
    }

    // 2. Mark to the close.
    equity.push(cash.add(position.mul(candle.close)));

    // 3. The strategy decides on the closed candle.
    const decision = strategy.onCandle({
      params,
      state,
      candles: new CandleWindow(candles, t),
      portfolio: Object.freeze({
        cash,
        position,
        averageCost: position.gt(0) ? costBasis.div(position) : null,
        openOrders: Object.freeze(working.map((w) => w.view)),
        newFills: Object.freeze(newFills),
      }),
      ...(signalBuckets !== undefined ? { signals: signalBuckets[t]! } : {}),
    });
    for (const text of decision.notes ?? []) notes.push({ index: t, at: candle.openTime, text });
    if (decision.cancelTags !== undefined && decision.cancelTags.length > 0) {
      const cancelled = new Set(decision.cancelTags);
      working = working.filter((w) => w.view.tag === undefined || !cancelled.has(w.view.tag));
    }
    for (const intent of decision.orders ?? []) {
      const bad = intentProblem(intent);
      if (bad !== null) {
        reject(t, candle.openTime, null, `${intent.tag !== undefined ? `order ${intent.tag}: ` : ''}${bad}`);
        continue;
      }
      working.push({ view: openOrderView(`o${nextId++}`, intent), placedAt: t });
    }
  }

  const initial = args.initialCash;
  const finalEquity = equity[equity.length - 1]!;
  const stats = tradeStats(closedTrades);
  const drawdown = maxDrawdown([initial, ...equity]);
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
      sharpe: annualisedSharpe(equityReturns([initial, ...equity]), periodsPerYear(intervalMs)),
      maxDrawdown: drawdown.amount,
      maxDrawdownFraction: drawdown.fraction,
    },
    buyAndHold: buyAndHold(candles, initial, market, fees, model),
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
