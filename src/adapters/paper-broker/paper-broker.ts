// The paper exchange: a `Broker` that executes against prices from a `PriceFeed` instead of a venue.
// It is the same port a live exchange adapter implements, so everything above it (services, tools,
// chat) runs unchanged on paper.
//
// Behaviour (all matching rules are the domain's, src/domain/matching.ts):
// - Market orders take the touch plus a slippage model, or walk an order book when one is available
//   (partial fills when depth runs out; ioc/fok honoured). Limit orders that cross take the touch;
//   otherwise they rest and fill at their own price (maker) once the market trades through them.
//   Post-only orders that would cross are rejected.
// - Stops, take-profits, stop-limits and trailing stops rest and are evaluated on every quote the
//   feed pushes and on `sweep()`. A triggered stop/take-profit/trailing stop executes as a market order.
// - `price` on an order that executes at market (market, stop, take_profit, trailing_stop) is a
//   *protection price*: the worst price it may fill at (the way on-chain perpetual venues send market
//   orders as limit-protected ioc orders). An arriving order that cannot fill within it is cancelled;
//   a triggered stop that gaps past it expires, with the reason. The trading service sets it on
//   orders whose cost comes out of a reservation, so a fill never costs more than was reserved.
// - Every quote is checked before it is used (staleness, confidence) and every fill is cross-checked
//   (the oracle band) through the injected guard; a refused quote fills nothing.
// - Fees per account (maker/taker), always in the quote asset.
// - Idempotent by client order id: submitting a known id reports the existing order.
//
// State: the venue's memory (orders, fills, trailing references) is in this object; the trading
// service persists everything it learns, and after a restart hands the resting orders back with
// `restore`. Trade ids are `paper-<client order id>-<n>`, numbered after the fills already booked, so
// a fill produced again after a crash carries the id it would have had.
//
// Several instances on one Postgres: every instance's venue takes orders (an arriving order executes
// what it can at once, as above), but only one matches resting orders — the holder of the paper
// book's lease, told by `useMatchingGate` — and it learns the orders others placed, amended or
// cancelled through `syncBook`. An order another instance placed is looked up through
// `useOrderSource` when this venue is asked to cancel or amend it. A stale holder's fill carries the
// same trade id as the new holder's, so the booking side (unique trade id, no fill on an ended
// order) keeps one of them.
import type {
  AmendOutcome,
  Broker,
  BrokerFill,
  BrokerOrder,
  BrokerOrderRef,
  BrokerOrderRequest,
  CancelOutcome,
  FetchFillsQuery,
  FetchOrderOutcome,
  OrderAmendment,
  SubmitOutcome,
} from '../../domain/broker.js';
import {
  DEFAULT_PERP_FEES,
  DEFAULT_SLIPPAGE,
  fillMarketOrderAtQuote,
  isTriggered,
  matchAgainstBook,
  matchLimitOnArrival,
  matchRestingLimit,
  startTrailingStop,
  updateTrailingStop,
  type FeeSchedule,
  type Fill,
  type SlippageModel,
  type TrailingStopState,
} from '../../domain/matching.js';
import { D, ZERO, toPlain, type Dec } from '../../domain/money.js';
import type { OrderStatus } from '../../domain/order.js';
import { type Clock, type MarketInfo, type PriceFeed, type PriceQuote, type Unsubscribe } from '../../domain/ports.js';
import { systemClock } from '../system-clock.js';
import type { Logger } from '../../log.js';
import type { ExecutionReport, ExecutionStream, OrderBookSource, RestingOrderSnapshot, RestorableBroker } from '../../services/trading/ports.js';

export type GuardVerdict = { ok: true; notes?: string[] } | { ok: false; code: string; message: string };

/** Price checks the venue applies: freshness before a quote is used, the oracle band before a fill. */
export interface PaperPriceGuard {
  checkQuote(quote: PriceQuote, market: MarketInfo): GuardVerdict;
  beforeFill(quote: PriceQuote, market: MarketInfo, price: Dec): Promise<GuardVerdict>;
}

/** Injected failures, to test what happens when a venue does not answer (reliability 2). */
export interface PaperBrokerFaults {
  /** `timeout_before`: the venue never sees the order. `timeout_after`: it executes it, the answer is lost. */
  submit?(req: BrokerOrderRequest): 'timeout_before' | 'timeout_after' | undefined;
  fetchOrder?(ref: BrokerOrderRef): 'timeout' | undefined;
  cancel?(ref: BrokerOrderRef): 'timeout' | undefined;
}

export interface PaperBrokerOptions {
  feed: PriceFeed;
  markets: { resolve(symbol: string): MarketInfo };
  clock?: Clock;
  books?: OrderBookSource;
  slippage?: SlippageModel;
  /** Fee schedule per account; `setAccountFees` overrides it. Default: 0.1% spot, 0.02%/0.05% perps. */
  fees?: (accountId: string, market: MarketInfo) => FeeSchedule;
  guard?: PaperPriceGuard;
  faults?: PaperBrokerFaults;
  logger?: Logger;
  name?: string;
}

const RESTING: readonly OrderStatus[] = ['open', 'partially_filled'];

/** Finds a resting order this venue does not hold in memory (one another instance took). */
export type RestingOrderSource = (ref: BrokerOrderRef) => Promise<RestingOrderSnapshot | undefined>;

interface VenueOrder {
  request: BrokerOrderRequest;
  market: MarketInfo;
  venueOrderId: string;
  status: OrderStatus;
  filled: Dec;
  notional: Dec;
  fills: BrokerFill[];
  fillSeq: number;
  triggered: boolean;
  trailing?: TrailingStopState;
  createdAt: Date;
  updatedAt: Date;
  reason?: string;
}

function eqDec(a: Dec | undefined, b: Dec | undefined): boolean {
  return a === undefined || b === undefined ? a === b : a.eq(b);
}

function quantizeFee(fee: Dec): Dec {
  return fee.toDecimalPlaces(18, D.ROUND_UP);
}

export class PaperBroker implements Broker, ExecutionStream, RestorableBroker {
  readonly name: string;
  readonly live = false;
  private readonly clock: Clock;
  private readonly slippage: SlippageModel;
  private readonly orders = new Map<string, VenueOrder>();
  private readonly accountFees = new Map<string, FeeSchedule>();
  private readonly listeners = new Set<(r: ExecutionReport) => void>();
  private readonly subscriptions = new Map<string, Unsubscribe>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly lastQuote = new Map<string, PriceQuote>();
  private closed = false;
  private matching: () => boolean = () => true;
  private source: RestingOrderSource | undefined;

  constructor(private readonly opts: PaperBrokerOptions) {
    this.name = opts.name ?? 'paper';
    this.clock = opts.clock ?? systemClock;
    this.slippage = opts.slippage ?? DEFAULT_SLIPPAGE;
  }

  /** Fee schedule of one account (maker/taker rates), e.g. from the portfolio row. */
  setAccountFees(accountId: string, fees: FeeSchedule): void {
    this.accountFees.set(accountId, fees);
  }

  onExecution(listener: (r: ExecutionReport) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /**
   * Whether this venue matches its resting orders now (several instances: only while it holds the
   * paper book's lease and has read the book). Checked before every evaluation. Default: always.
   */
  useMatchingGate(gate: () => boolean): void {
    this.matching = gate;
  }

  /** Where to find a resting order this venue does not hold, when asked to cancel or amend it. */
  useOrderSource(source: RestingOrderSource): void {
    this.source = source;
  }

  /** Orders resting at the venue (for tests and diagnostics). */
  restingOrders(): BrokerOrder[] {
    return [...this.orders.values()].filter((o) => RESTING.includes(o.status)).map((o) => this.view(o));
  }

  // ---------------------------------------------------------------------------------------------
  // Broker

  async submit(req: BrokerOrderRequest): Promise<SubmitOutcome> {
    const existing = this.orders.get(req.clientOrderId);
    if (existing) {
      if (existing.request.accountId !== req.accountId) {
        return { status: 'rejected', clientOrderId: req.clientOrderId, code: 'duplicate_client_order_id', reason: 'client order id already used by another account' };
      }
      return { status: 'accepted', order: this.view(existing), fills: [...existing.fills] };
    }
    const fault = this.opts.faults?.submit?.(req);
    if (fault === 'timeout_before') return { status: 'unknown', clientOrderId: req.clientOrderId, reason: 'timed out before the venue answered' };
    let market: MarketInfo;
    try {
      market = this.opts.markets.resolve(req.symbol);
    } catch (err) {
      return { status: 'rejected', clientOrderId: req.clientOrderId, code: 'invalid_order', reason: (err as Error).message };
    }
    const now = this.clock.now();
    const o: VenueOrder = {
      request: req,
      market,
      venueOrderId: `paper-${req.clientOrderId}`,
      status: 'open',
      filled: ZERO,
      notional: ZERO,
      fills: [],
      fillSeq: 0,
      triggered: false,
      createdAt: now,
      updatedAt: now,
    };
    const result = await this.arrive(o);
    if (result.status === 'rejected') {
      return { status: 'rejected', clientOrderId: req.clientOrderId, code: result.code, reason: result.reason };
    }
    this.orders.set(req.clientOrderId, o);
    if (RESTING.includes(o.status)) this.ensureSubscribed(market.symbol);
    if (fault === 'timeout_after') return { status: 'unknown', clientOrderId: req.clientOrderId, reason: 'timed out after sending; the venue may have the order' };
    return { status: 'accepted', order: this.view(o), fills: [...o.fills] };
  }

  async cancel(ref: BrokerOrderRef): Promise<CancelOutcome> {
    if (this.opts.faults?.cancel?.(ref) === 'timeout') return { status: 'unknown', clientOrderId: ref.clientOrderId, reason: 'timed out' };
    const o = await this.find(ref);
    if (!o) return { status: 'not_found', clientOrderId: ref.clientOrderId };
    if (!RESTING.includes(o.status)) return { status: 'already_final', order: this.view(o) };
    o.status = 'cancelled';
    o.updatedAt = this.clock.now();
    this.unsubscribeIfIdle(o.market.symbol);
    return { status: 'cancelled', order: this.view(o) };
  }

  async amend(ref: BrokerOrderRef, changes: OrderAmendment): Promise<AmendOutcome> {
    const o = await this.find(ref);
    if (!o) return { status: 'not_found', clientOrderId: ref.clientOrderId };
    if (!RESTING.includes(o.status)) return { status: 'rejected', clientOrderId: ref.clientOrderId, code: 'order_not_open', reason: `the order is ${o.status}` };
    if (changes.quantity && changes.quantity.lte(o.filled)) {
      return { status: 'rejected', clientOrderId: ref.clientOrderId, code: 'invalid_order', reason: `quantity must stay above the ${toPlain(o.filled)} already filled` };
    }
    o.request = {
      ...o.request,
      ...(changes.quantity ? { quantity: changes.quantity } : {}),
      ...(changes.price ? { price: changes.price } : {}),
      ...(changes.triggerPrice ? { triggerPrice: changes.triggerPrice } : {}),
    };
    o.updatedAt = this.clock.now();
    // An amended price may now cross: look at it against the last price at once.
    const q = this.lastQuote.get(o.market.symbol);
    if (q) void this.enqueue(o.market.symbol, q);
    return { status: 'amended', order: this.view(o) };
  }

  async fetchOrder(ref: BrokerOrderRef): Promise<FetchOrderOutcome> {
    if (this.opts.faults?.fetchOrder?.(ref) === 'timeout') return { status: 'unknown', clientOrderId: ref.clientOrderId, reason: 'timed out' };
    const o = await this.find(ref);
    return o ? { status: 'found', order: this.view(o) } : { status: 'not_found', clientOrderId: ref.clientOrderId };
  }

  async fetchFills(query: FetchFillsQuery): Promise<BrokerFill[]> {
    const out: BrokerFill[] = [];
    for (const o of this.orders.values()) {
      if (o.request.accountId !== query.accountId) continue;
      if (query.clientOrderId && o.request.clientOrderId !== query.clientOrderId) continue;
      if (query.symbol && o.market.symbol !== query.symbol) continue;
      for (const f of o.fills) if (!query.since || f.at >= query.since) out.push(f);
    }
    return out.sort((a, b) => a.at.getTime() - b.at.getTime());
  }

  // ---------------------------------------------------------------------------------------------
  // Restart and sweep

  restore(snapshots: readonly RestingOrderSnapshot[]): void {
    for (const s of snapshots) this.restoreOne(s);
  }

  /**
   * Brings the resting book in line with the stored one (`open`: every resting order the database
   * holds). An order not held yet is taken as stored; with `replace` (this venue has just become the
   * one that matches, its memory may be stale) so is every order held. Otherwise an order held keeps
   * what this venue knows ahead of the database (fills being booked, a trail's reference) and takes
   * the stored price, quantity and trigger (an amend made through another instance), unless another
   * venue booked fills this one does not know of. Returns the orders resting here that the database
   * does not list as resting: they ended elsewhere or are still being placed (`endOrders`).
   */
  syncBook(open: readonly RestingOrderSnapshot[], opts: { replace: boolean }): BrokerOrderRef[] {
    const listed = new Set<string>();
    for (const s of open) {
      const id = s.request.clientOrderId;
      listed.add(id);
      const held = this.orders.get(id);
      if (held && held.request.accountId !== s.request.accountId) continue;
      if (!held || opts.replace || s.fillCount > held.fillSeq) {
        this.restoreOne(s);
        continue;
      }
      if (!RESTING.includes(held.status)) continue;
      const r = s.request;
      const same = held.request.quantity.eq(r.quantity) && eqDec(held.request.price, r.price) && eqDec(held.request.triggerPrice, r.triggerPrice);
      if (same) continue;
      held.request = { ...held.request, quantity: r.quantity, ...(r.price ? { price: r.price } : {}), ...(r.triggerPrice ? { triggerPrice: r.triggerPrice } : {}) };
      held.updatedAt = this.clock.now();
    }
    const absent: BrokerOrderRef[] = [];
    for (const o of this.orders.values()) {
      if (RESTING.includes(o.status) && !listed.has(o.request.clientOrderId)) absent.push({ accountId: o.request.accountId, clientOrderId: o.request.clientOrderId, symbol: o.market.symbol });
    }
    return absent;
  }

  /** Drops orders that ended elsewhere (filled, cancelled or expired through another instance) without a report. */
  endOrders(refs: readonly BrokerOrderRef[]): void {
    const symbols = new Set<string>();
    for (const ref of refs) {
      const o = this.get(ref);
      if (!o || !RESTING.includes(o.status)) continue;
      this.finish(o, 'cancelled', 'ended through another instance');
      symbols.add(o.market.symbol);
    }
    for (const s of symbols) this.unsubscribeIfIdle(s);
  }

  /** Evaluates every resting order against the feed's current price (also done on every pushed quote). */
  async sweep(): Promise<void> {
    if (!this.matching()) return;
    const symbols = new Set<string>();
    for (const o of this.orders.values()) if (RESTING.includes(o.status)) symbols.add(o.market.symbol);
    for (const symbol of symbols) {
      let q: PriceQuote;
      try {
        q = await this.opts.feed.getQuote(symbol);
      } catch (err) {
        this.opts.logger?.debug('paper broker: no price for sweep', { symbol, error: err });
        continue;
      }
      await this.enqueue(symbol, q);
    }
  }

  /** Resolves once every queued evaluation has run (tests and orderly shutdown). */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  close(): void {
    this.closed = true;
    for (const u of this.subscriptions.values()) u();
    this.subscriptions.clear();
  }

  // ---------------------------------------------------------------------------------------------
  // Matching

  private get(ref: BrokerOrderRef): VenueOrder | undefined {
    const o = this.orders.get(ref.clientOrderId);
    return o && o.request.accountId === ref.accountId ? o : undefined;
  }

  /** An order held here, or a resting one the order source knows of (taken into memory). */
  private async find(ref: BrokerOrderRef): Promise<VenueOrder | undefined> {
    const held = this.get(ref);
    if (held || !this.source || this.orders.has(ref.clientOrderId)) return held;
    const s = await this.source(ref);
    if (!s || s.request.accountId !== ref.accountId || s.request.clientOrderId !== ref.clientOrderId) return undefined;
    // Another call may have taken it meanwhile: the first one taken stays.
    return this.get(ref) ?? this.restoreOne(s);
  }

  private restoreOne(s: RestingOrderSnapshot): VenueOrder | undefined {
    let market: MarketInfo;
    try {
      market = this.opts.markets.resolve(s.request.symbol);
    } catch {
      this.opts.logger?.warn('paper broker: cannot restore an order on an unknown market', { symbol: s.request.symbol });
      return undefined;
    }
    const avg = s.averageFillPrice ?? ZERO;
    const o: VenueOrder = {
      request: s.request,
      market,
      venueOrderId: `paper-${s.request.clientOrderId}`,
      status: s.filledQuantity.gt(0) ? 'partially_filled' : 'open',
      filled: s.filledQuantity,
      notional: avg.mul(s.filledQuantity),
      fills: [],
      fillSeq: s.fillCount,
      triggered: s.triggered,
      createdAt: s.createdAt,
      updatedAt: this.clock.now(),
    };
    if (s.request.type === 'trailing_stop' && s.request.trailing && s.trailReference) {
      o.trailing = startTrailingStop(s.request.side, s.request.trailing, s.trailReference, market.tickSize);
    }
    this.orders.set(s.request.clientOrderId, o);
    this.ensureSubscribed(market.symbol);
    return o;
  }

  private feesFor(accountId: string, market: MarketInfo): FeeSchedule {
    return this.accountFees.get(accountId) ?? this.opts.fees?.(accountId, market) ?? (market.kind === 'perp' ? DEFAULT_PERP_FEES : { makerRate: new D('0.001'), takerRate: new D('0.001') });
  }

  /** An order arriving: executes what it can now, or leaves it resting. */
  private async arrive(o: VenueOrder): Promise<{ status: 'ok' } | { status: 'rejected'; code: string; reason: string }> {
    const req = o.request;
    let quote: PriceQuote;
    try {
      quote = await this.opts.feed.getQuote(o.market.symbol);
    } catch (err) {
      return { status: 'rejected', code: 'no_price', reason: `no price for ${o.market.symbol}: ${(err as Error).message}` };
    }
    this.lastQuote.set(o.market.symbol, quote);
    const verdict = this.opts.guard?.checkQuote(quote, o.market) ?? { ok: true };
    if (!verdict.ok) {
      // Nothing may fill on this price. An order that needs to trade now is refused; one that may
      // rest (gtc limit, stops, trailing stops) rests and is evaluated on the next usable price.
      const mustTradeNow = req.type === 'market' || (req.type === 'limit' && req.timeInForce !== 'gtc');
      if (mustTradeNow) return { status: 'rejected', code: verdict.code, reason: verdict.message };
      return { status: 'ok' };
    }
    switch (req.type) {
      case 'market':
        return this.takeNow(o, quote, { arriving: true });
      case 'limit':
        return this.limitArrives(o, quote);
      case 'stop':
      case 'take_profit':
        if (req.triggerPrice && isTriggered(req.type, req.side, req.triggerPrice, quote.price)) {
          o.triggered = true;
          return this.takeNow(o, quote, { arriving: true });
        }
        return { status: 'ok' };
      case 'stop_limit':
        if (req.triggerPrice && isTriggered('stop_limit', req.side, req.triggerPrice, quote.price)) {
          o.triggered = true;
          return this.limitArrives(o, quote);
        }
        return { status: 'ok' };
      case 'trailing_stop':
        if (!req.trailing) return { status: 'rejected', code: 'invalid_order', reason: 'a trailing stop needs a trailing amount or percent' };
        o.trailing = startTrailingStop(req.side, req.trailing, quote.price, o.market.tickSize);
        return { status: 'ok' };
      default:
        return { status: 'rejected', code: 'invalid_order', reason: `the paper venue does not take ${req.type} orders; the service works them as child orders` };
    }
  }

  private async limitArrives(o: VenueOrder, quote: PriceQuote): Promise<{ status: 'ok' } | { status: 'rejected'; code: string; reason: string }> {
    const req = o.request;
    const limit = req.price;
    if (!limit) return { status: 'rejected', code: 'invalid_order', reason: 'a limit order needs a price' };
    const remaining = req.quantity.sub(o.filled);
    const fees = this.feesFor(req.accountId, o.market);
    const book = this.opts.books ? await this.opts.books.getOrderBook(o.market.symbol).catch(() => undefined) : undefined;
    let fills: Fill[];
    let remainder: 'none' | 'cancelled' | 'resting';
    let reason: string | undefined;
    if (book) {
      const best = req.side === 'buy' ? book.asks[0]?.[0] : book.bids[0]?.[0];
      const crosses = best !== undefined && (req.side === 'buy' ? best.lte(limit) : best.gte(limit));
      if (crosses && req.postOnly) {
        return { status: 'rejected', code: 'post_only_would_cross', reason: `post-only ${req.side} at ${toPlain(limit)} would trade at once against ${toPlain(best)}; set a price that does not cross or drop post_only` };
      }
      const m = matchAgainstBook({ side: req.side, quantity: remaining, book, market: o.market, fees, timeInForce: req.timeInForce, limitPrice: limit, role: 'taker' });
      ({ fills, remainder } = m);
      reason = m.reason;
    } else {
      const m = matchLimitOnArrival({ side: req.side, limitPrice: limit, quantity: remaining, quote, market: o.market, fees, timeInForce: req.timeInForce, postOnly: req.postOnly });
      if (!m.ok) return { status: 'rejected', code: m.error.code, reason: m.error.message };
      ({ fills, remainder } = m.value);
      reason = m.value.reason;
      // A crossing limit fills whole at the touch; anything else follows time in force.
      if (fills.length > 0) remainder = 'none';
    }
    if (fills.length > 0) {
      const ok = await this.checkFill(o, quote, fills);
      if (!ok.ok) {
        if (req.timeInForce === 'gtc' && !o.triggered) return { status: 'ok' };
        return { status: 'rejected', code: ok.code, reason: ok.message };
      }
      this.book(o, fills);
    }
    if (remainder === 'cancelled' && !o.filled.eq(req.quantity)) this.finish(o, 'cancelled', reason);
    return { status: 'ok' };
  }

  /** Executes at market now (an arriving market order or a triggered stop), within the protection price. */
  private async takeNow(o: VenueOrder, quote: PriceQuote, how: { arriving: boolean }): Promise<{ status: 'ok' } | { status: 'rejected'; code: string; reason: string }> {
    const req = o.request;
    const remaining = req.quantity.sub(o.filled);
    const fees = this.feesFor(req.accountId, o.market);
    const protection = req.price;
    const book = how.arriving && this.opts.books ? await this.opts.books.getOrderBook(o.market.symbol).catch(() => undefined) : undefined;
    let fills: Fill[] = [];
    let reason: string | undefined;
    if (book) {
      const tif = req.timeInForce === 'fok' ? 'fok' : 'ioc';
      const m = matchAgainstBook({ side: req.side, quantity: remaining, book, market: o.market, fees, timeInForce: tif, ...(protection ? { limitPrice: protection } : {}) });
      fills = m.fills;
      reason = m.reason;
    } else {
      const f = fillMarketOrderAtQuote({ side: req.side, quantity: remaining, quote, market: o.market, fees, model: this.slippage });
      if (!f.ok) reason = f.error.message;
      else if (protection && (req.side === 'buy' ? f.value.price.gt(protection) : f.value.price.lt(protection))) {
        reason = `the price ${toPlain(f.value.price)} is beyond the protection price ${toPlain(protection)}`;
      } else fills = [f.value];
    }
    if (fills.length > 0) {
      const ok = await this.checkFill(o, quote, fills);
      if (!ok.ok) {
        if (how.arriving) return { status: 'rejected', code: ok.code, reason: ok.message };
        return { status: 'ok' };
      }
      this.book(o, fills);
    }
    if (!o.filled.eq(req.quantity)) {
      const triggeredStop = req.type !== 'market';
      this.finish(o, triggeredStop && o.filled.isZero() ? 'expired' : 'cancelled', reason ?? 'not filled');
    }
    return { status: 'ok' };
  }

  /** The venue's price (the quote that moved the order) must pass the guard before anything fills. */
  private async checkFill(o: VenueOrder, quote: PriceQuote, _fills: Fill[]): Promise<GuardVerdict> {
    if (!this.opts.guard) return { ok: true };
    return this.opts.guard.beforeFill(quote, o.market, quote.price);
  }

  /** Records fills on the venue order. */
  private book(o: VenueOrder, fills: Fill[]): BrokerFill[] {
    const at = this.clock.now();
    const out: BrokerFill[] = [];
    for (const f of fills) {
      const fill: BrokerFill = {
        tradeId: `paper-${o.request.clientOrderId}-${++o.fillSeq}`,
        clientOrderId: o.request.clientOrderId,
        venueOrderId: o.venueOrderId,
        symbol: o.market.symbol,
        side: o.request.side,
        quantity: f.quantity,
        price: f.price,
        fee: quantizeFee(f.fee),
        feeAsset: f.feeAsset,
        liquidity: f.liquidity,
        at,
      };
      o.fills.push(fill);
      out.push(fill);
      o.filled = o.filled.add(f.quantity);
      o.notional = o.notional.add(f.notional);
    }
    o.status = o.filled.eq(o.request.quantity) ? 'filled' : 'partially_filled';
    o.updatedAt = at;
    return out;
  }

  private finish(o: VenueOrder, status: 'cancelled' | 'expired', reason: string | undefined): void {
    o.status = status;
    if (reason) o.reason = reason;
    o.updatedAt = this.clock.now();
  }

  private view(o: VenueOrder): BrokerOrder {
    const req = o.request;
    const trigger = o.trailing?.stopPrice ?? req.triggerPrice;
    return {
      clientOrderId: req.clientOrderId,
      venueOrderId: o.venueOrderId,
      symbol: o.market.symbol,
      side: req.side,
      type: req.type,
      status: o.status,
      quantity: req.quantity,
      filledQuantity: o.filled,
      ...(o.filled.gt(0) ? { averageFillPrice: o.notional.div(o.filled) } : {}),
      ...(req.price ? { price: req.price } : {}),
      ...(trigger ? { triggerPrice: trigger } : {}),
      updatedAt: o.updatedAt,
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Resting orders on price updates

  private ensureSubscribed(symbol: string): void {
    if (this.closed || this.subscriptions.has(symbol)) return;
    const unsub = this.opts.feed.subscribe([symbol], (q) => {
      void this.enqueue(symbol, q);
    });
    this.subscriptions.set(symbol, unsub);
  }

  private unsubscribeIfIdle(symbol: string): void {
    for (const o of this.orders.values()) if (o.market.symbol === symbol && RESTING.includes(o.status)) return;
    this.subscriptions.get(symbol)?.();
    this.subscriptions.delete(symbol);
  }

  /** Evaluations of one symbol run one after another, in the order quotes arrived. */
  private enqueue(symbol: string, q: PriceQuote): Promise<void> {
    const prev = this.chains.get(symbol) ?? Promise.resolve();
    const next = prev
      .then(() => this.evaluate(symbol, q))
      .catch((err: unknown) => this.opts.logger?.error('paper broker: evaluation failed', { symbol, error: err }));
    this.chains.set(symbol, next);
    void next.then(() => {
      if (this.chains.get(symbol) === next) this.chains.delete(symbol);
    });
    return next;
  }

  private async evaluate(symbol: string, q: PriceQuote): Promise<void> {
    if (this.closed || !this.matching()) return;
    this.lastQuote.set(symbol, q);
    const resting = [...this.orders.values()]
      .filter((o) => o.market.symbol === symbol && RESTING.includes(o.status))
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    if (resting.length === 0) return;
    const market = resting[0]!.market;
    const verdict = this.opts.guard?.checkQuote(q, market) ?? { ok: true };
    if (!verdict.ok) {
      this.opts.logger?.debug('paper broker: quote refused for resting orders', { symbol, reason: verdict.message });
      return;
    }
    for (const o of resting) {
      // The lease may have run out while an earlier order of this pass was being checked.
      if (!this.matching()) return;
      if (!RESTING.includes(o.status)) continue;
      const before = { status: o.status, filled: o.filled, fills: o.fills.length };
      const req = o.request;
      let event: ExecutionReport['event'] = 'fill';
      let trailMoved = false;
      if (req.type === 'limit' || (req.type === 'stop_limit' && o.triggered)) {
        const m = matchRestingLimit({ side: req.side, limitPrice: req.price!, quantity: req.quantity.sub(o.filled), quote: q, market: o.market, fees: this.feesFor(req.accountId, o.market) });
        if (m.fills.length > 0) {
          const ok = await this.checkFill(o, q, m.fills);
          if (ok.ok && RESTING.includes(o.status)) this.book(o, m.fills);
        }
      } else if (req.type === 'stop_limit') {
        if (isTriggered('stop_limit', req.side, req.triggerPrice!, q.price)) {
          o.triggered = true;
          event = 'triggered';
          await this.limitArrives(o, q);
        }
      } else if (req.type === 'stop' || req.type === 'take_profit') {
        if (isTriggered(req.type, req.side, req.triggerPrice!, q.price)) {
          o.triggered = true;
          await this.takeNow(o, q, { arriving: false });
        }
      } else if (req.type === 'trailing_stop') {
        if (!o.trailing) o.trailing = startTrailingStop(req.side, req.trailing!, q.price, o.market.tickSize);
        const u = updateTrailingStop(o.trailing, q.price, o.market.tickSize);
        trailMoved = !u.state.reference.eq(o.trailing.reference);
        o.trailing = u.state;
        if (u.triggered) {
          o.triggered = true;
          await this.takeNow(o, q, { arriving: false });
        } else if (trailMoved) event = 'trail_moved';
      }
      const newFills = o.fills.slice(before.fills);
      const changed = newFills.length > 0 || o.status !== before.status || trailMoved || event === 'triggered';
      if (!changed) continue;
      if (o.status === 'expired' || o.status === 'cancelled') event = o.status;
      else if (newFills.length > 0) event = 'fill';
      this.emit({
        accountId: req.accountId,
        event,
        order: this.view(o),
        fills: newFills,
        ...(o.trailing ? { trailReference: o.trailing.reference } : {}),
        ...(o.reason ? { reason: o.reason } : {}),
      });
    }
    this.unsubscribeIfIdle(symbol);
  }

  private emit(r: ExecutionReport): void {
    for (const l of [...this.listeners]) {
      try {
        l(r);
      } catch (err) {
        this.opts.logger?.error('paper broker: execution listener failed', { error: err });
      }
    }
  }
}
