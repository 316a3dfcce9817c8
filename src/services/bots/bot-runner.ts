// The bot runner: feeds each running bot the candles that closed since it last decided, one at a
// time, and carries out its decisions on the real (paper) portfolio through the trading service.
//
// Per bot and run: load the closed candles after the last one decided (at most BOT_CANDLES_PER_RUN,
// plus up to BOT_HISTORY_CANDLES already decided, so the strategy can look back), then per candle:
//   1. the portfolio view: free quote cash, the base asset held, the bot's working orders and the
//      fills of its orders since the previous decision — all read from the database;
//   2. the strategy decides (pure, synchronous) — a strategy with a side stream also gets the stored
//      whale signals that happened inside the candle (../backtest/whale-signals.ts, the backtest's source),
//      or, for an agent, the agent's decision on the candle: made first (agent-decider.ts, from data up to
//      the candle's close) and stored as a trading signal of the bot's agent, so deciding the candle again
//      after a crash reuses the stored decision instead of asking again; the order it causes points at it;
//   3. cancels by tag (the bot's working orders carrying it), then each intent: checked against the
//      standing approval (the bot still running, the order and today's total within the approved
//      limits), then placed with a deterministic client order id (bot-config.ts);
//   4. the new strategy state and the candle are saved in one update of `bots.config`.
//
// A strategy with legs (statistical arbitrage, yield optimisation: `Strategy.legs`) trades other
// markets beside the bot's own — perpetuals on the same paper portfolio — resolved as its backtest
// resolves them (../leg-markets.ts). Their closed candles are loaded over the same window and handed
// over aligned to the bot's candle times (a fresh candle a leg does not have yet waits for the next
// run); each leg's view is its position (signed on a perpetual), margin and funding paid, read from
// the portfolio, with the bot's working orders and fills on that market; a leg that asks for funding
// gets the perpetual's current funding rate (the rate of the moment the candle is decided: a bot
// catching up on older candles sees today's rate). An intent names its leg; its order goes to that
// market (perpetuals at the leg's leverage) under the same approval and limits as any bot order.
//
// Crash safety: if the process dies between 3 and 4, the next run decides the same candle again from
// the state saved before it. Its orders are found by their client order ids (candle and intent
// index) and not placed again; fills and working orders of that candle's earlier attempt are left
// out of the view, so the strategy sees what it saw the first time. Decisions are the same as the
// first time unless the cash or holdings changed in between (a sized-by-cash order then computes a
// different size, but the order already placed stands: nothing is doubled).
//
// Refusals (documented choice):
// - a kill switch (the trading service refuses with a kill_switch check, or "halted"), a lost role
//   or an inactive portfolio: the bot is paused with the reason as lastError; nothing more is placed;
// - an order beyond the approved limits: that order is skipped and lastError says why; the bot goes
//   on (the next order, or tomorrow, may fit);
// - any other refusal (funds, market minimums, risk limits): that order is skipped with lastError,
//   as the backtester drops an order the account cannot cover;
// - prices or the venue unavailable (or an unexpected error): lastError is set and the run stops
//   before saving the candle, so the next run decides it again (its orders are not doubled).
import { and, asc, eq, gte, inArray, isNull, like, ne, or, sql } from 'drizzle-orm';
import { botPerformance, bots, orders, trades, tradingAgents, tradingSignals, type Bot } from '../../db/schema/index.js';
import { withTransaction } from '../../db/tx.js';
import type { Market } from '../../domain/market.js';
import { D, dec, roundDownToStep, roundToTick, toPlain, ZERO, type Dec } from '../../domain/money.js';
import { TIMEFRAME_MS, type Candle } from '../../domain/ports.js';
import {
  AGENT_ANALYSIS_CANDLES, CandleWindow, intentProblem, parseStrategyParams, SideStream, signalsByCandle, STRATEGIES,
  type AgentDecision, type AgentParams, type WhaleSignal, type FillView, type IntentType, type LegSpec, type LegView, type OpenOrderView, type OrderIntent, type PortfolioView, type Strategy,
} from '../../domain/strategy/index.js';
import { legMarkets } from '../leg-markets.js';
import { actorFor, type Actor } from '../actor.js';
import { writeAudit } from '../audit.js';
import { AppError, ErrorCode } from '../errors.js';
import { shortId } from '../id-prefix.js';
import { alignOpenTime } from '../market-data/timeframes.js';
import { OPEN_STATUSES } from '../trading/execution-core.js';
import {
  BOT_CANDLES_PER_RUN, BOT_HISTORY_CANDLES, BOT_TAG, botOrderId, botOrderPrefix, candleOrderPrefix, likePrefix, readBotConfig, tagOfBotOrder, type BotConfig,
} from './bot-config.js';
import { decodeState, encodeState, StateCodecError } from './state-codec.js';
import { StoredWhaleSignals } from '../backtest/whale-signals.js';
import type { BotServiceDeps } from './bot-service.js';
import { AgentDecider } from './agent-decider.js';

/** Of a run's new candles, the last this many may go to the model; older ones (a bot catching up) are decided by the rules. */
export const AGENT_MODEL_CANDLES_PER_RUN = 3;

/** The runner needs what the service needs. */
export type BotRunnerDeps = BotServiceDeps;

/** What one run did for one bot. */
export interface BotRunSummary {
  botId: string;
  /** Candles decided and saved. */
  candles: number;
  placed: number;
  /** Orders found already placed (a candle decided again after a crash). */
  replayed: number;
  cancelled: number;
  /** Orders skipped, with why. */
  skipped: string[];
  /** Set when the run paused the bot. */
  paused?: string;
  /** Set when the run stopped early and will decide the candle again next run. */
  retry?: string;
}

type OrderRow = typeof orders.$inferSelect;
/** A leg of a multi-market strategy, with the market it trades. */
type RunLeg = { id: string; spec: LegSpec; market: Market };
type FillCursor = NonNullable<BotConfig['fillCursor']>;

/** How a candle's orders ended: all handled, the bot paused, or stop and retry the candle later. */
type CandleOutcome = { kind: 'done' } | { kind: 'pause'; reason: string } | { kind: 'retry'; reason: string } | { kind: 'gone' };

const INTENT_TYPES: ReadonlySet<string> = new Set<IntentType>(['market', 'limit', 'stop']);

/** The candle open time a bot order id names. */
function candleOfOrder(clientOrderId: string): number {
  return Number(clientOrderId.split(':')[2]);
}

function message(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 300);
}

export class BotRunner {
  private busy = false;
  private readonly decider: AgentDecider;

  constructor(private readonly deps: BotRunnerDeps) {
    this.decider = new AgentDecider({ db: deps.db, ...(deps.agentModel ? { model: deps.agentModel } : {}), logger: deps.logger });
  }

  /** Runs every running bot once, oldest first; one bot's failure does not stop the others. Overlapping calls return at once. */
  async runOnce(): Promise<BotRunSummary[]> {
    if (this.busy) return [];
    this.busy = true;
    try {
      const running = await this.deps.db.select({ id: bots.id }).from(bots).where(eq(bots.status, 'running')).orderBy(asc(bots.createdAt), asc(bots.id));
      const out: BotRunSummary[] = [];
      for (const { id } of running) {
        try {
          out.push(await this.runBot(id));
        } catch (err) {
          this.deps.logger.error('a bot run failed', { botId: id, error: err });
          await this.deps.db.update(bots).set({ lastError: message(err), updatedAt: this.deps.clock.now() }).where(eq(bots.id, id));
          out.push({ botId: id, candles: 0, placed: 0, replayed: 0, cancelled: 0, skipped: [], retry: message(err) });
        }
      }
      return out;
    } finally {
      this.busy = false;
    }
  }

  /** Decides up to `maxCandles` (at most BOT_CANDLES_PER_RUN) new closed candles of one bot. */
  async runBot(botId: string, opts: { maxCandles?: number } = {}): Promise<BotRunSummary> {
    const summary: BotRunSummary = { botId, candles: 0, placed: 0, replayed: 0, cancelled: 0, skipped: [] };
    const [row] = await this.deps.db.select().from(bots).where(eq(bots.id, botId));
    if (!row || row.status !== 'running') return summary;
    let config = readBotConfig(row.config);
    if (!config.approval) return this.pauseBot(row, summary, 'it has no standing approval; approve and start it again');
    const strategy = STRATEGIES[config.strategy] as Strategy<unknown, unknown>;
    const params = parseStrategyParams(strategy, config.params);
    if (!params.ok) return this.pauseBot(row, summary, `its parameters are no longer valid: ${params.error.message}`);
    const market = this.deps.market.resolveSymbol(row.symbol);
    let legs: RunLeg[];
    try {
      legs = legMarkets((symbol) => this.deps.market.resolveSymbol(symbol), config.strategy, market, strategy.legs?.(params.value) ?? []);
    } catch (err) {
      return this.pauseBot(row, summary, `its markets cannot be traded: ${message(err)}`);
    }
    const actor = actorFor(row.userId, 'system');
    const tf = config.timeframe;
    const tfMs = TIMEFRAME_MS[tf];
    const lastClosed = alignOpenTime(this.deps.clock.now().getTime(), tf) - tfMs;
    const origin = config.origin ?? lastClosed + tfMs;
    const nextOpen = config.lastCandle === null ? origin : config.lastCandle + tfMs;
    if (nextOpen > lastClosed) return summary;

    const maxNew = Math.max(1, Math.min(opts.maxCandles ?? BOT_CANDLES_PER_RUN, BOT_CANDLES_PER_RUN));
    const from = config.lastCandle === null ? nextOpen : Math.max(origin, config.lastCandle - (BOT_HISTORY_CANDLES - 1) * tfMs);
    const to = Math.min(lastClosed, nextOpen + (maxNew - 1) * tfMs);
    let loaded: Candle[];
    let legLoaded: Array<Map<number, Candle>>;
    try {
      loaded = await this.loadWindow(row.symbol, tf, from, to);
      legLoaded = [];
      for (const leg of legs) legLoaded.push(new Map((await this.loadWindow(leg.market.symbol, tf, from, to)).map((c) => [c.openTime.getTime(), c])));
    } catch (err) {
      await this.setError(row.id, `candles could not be loaded: ${message(err)}`);
      return { ...summary, retry: message(err) };
    }
    const history = loaded.filter((c) => c.openTime.getTime() < nextOpen).slice(-BOT_HISTORY_CANDLES);
    let fresh = loaded.filter((c) => c.openTime.getTime() >= nextOpen).slice(0, maxNew);
    // A candle is decided once every leg has it too.
    const legsHave = fresh.findIndex((c) => legLoaded.some((m) => !m.has(c.openTime.getTime())));
    if (legsHave >= 0) fresh = fresh.slice(0, legsHave);
    if (fresh.length === 0) return legsHave >= 0 ? { ...summary, retry: `a leg's ${tf} candle is not there yet` } : summary;
    // The side stream over the fresh candles, bucketed as the backtester buckets it.
    let signalBuckets: ReadonlyArray<readonly WhaleSignal[]> | undefined;
    if (strategy.sideStream === SideStream.whaleSignals) {
      const opens = fresh.map((c) => c.openTime.getTime());
      try {
        signalBuckets = signalsByCandle(await new StoredWhaleSignals(this.deps.db).load(market.base, opens[0]!, opens[opens.length - 1]! + tfMs), opens, tfMs);
      } catch (err) {
        await this.setError(row.id, `wallet signals could not be loaded: ${message(err)}`);
        return { ...summary, retry: message(err) };
      }
    }
    // An agent reads the candles before each fresh one too (the technical summary's look-back).
    let agentCandles: Candle[] | undefined;
    let agentId: string | undefined;
    if (strategy.sideStream === SideStream.agentDecisions) {
      try {
        agentCandles = await this.loadWindow(row.symbol, tf, fresh[0]!.openTime.getTime() - (AGENT_ANALYSIS_CANDLES - 1) * tfMs, fresh[fresh.length - 1]!.openTime.getTime());
        agentId = await this.agentOf(row, config);
      } catch (err) {
        await this.setError(row.id, `the agent's analysis could not be prepared: ${message(err)}`);
        return { ...summary, retry: message(err) };
      }
    }

    // The strategy numbers candles from its origin (like a backtest from there); the window keeps
    // only the last BOT_HISTORY_CANDLES, so the array is sparse before them.
    const window: Candle[] = [];
    window.length = config.processed + fresh.length;
    history.forEach((c, j) => {
      const at = config.processed - history.length + j;
      if (at >= 0) window[at] = c;
    });
    fresh.forEach((c, k) => (window[config.processed + k] = c));
    // Each leg's candles at the same places (a leg missing an older candle repeats its previous one).
    const legWindows = legs.map((_, j) => {
      const w: Candle[] = [];
      w.length = window.length;
      let previous: Candle | undefined;
      window.forEach((c, at) => {
        const own = legLoaded[j]!.get(c.openTime.getTime()) ?? previous;
        if (own !== undefined) w[at] = own;
        previous = own;
      });
      return w;
    });

    let state: unknown;
    try {
      state = decodeState(config.state);
    } catch (err) {
      return this.pauseBot(row, summary, `its saved state could not be read (${message(err)})`);
    }

    for (let k = 0; k < fresh.length; k++) {
      const candle = fresh[k]!;
      const openMs = candle.openTime.getTime();
      const index = config.processed;
      const { view, legViews, cursor, live } = await this.portfolioView(row, market, legs, openMs, config.fillCursor);
      // Bot orders skip the per-order confirmation: on a live portfolio only under an approval typed at the terminal.
      if (live && config.approval?.live !== true) return this.pauseBot(row, summary, `its portfolio is live and its approval was not typed at the terminal (mikey bot approve-live ${shortId(row.id)})`);
      let agentDecision: AgentDecision | undefined;
      if (agentCandles !== undefined && agentId !== undefined) {
        try {
          const upTo = agentCandles.filter((c) => c.openTime.getTime() <= openMs).slice(-AGENT_ANALYSIS_CANDLES);
          agentDecision = await this.agentDecision(row, config, market, agentId, params.value as AgentParams, upTo, candle, k >= fresh.length - AGENT_MODEL_CANDLES_PER_RUN);
        } catch (err) {
          await this.setError(row.id, `the agent could not decide: ${message(err)}`);
          return { ...summary, retry: message(err) };
        }
      }
      let funded: Record<string, LegView>;
      try {
        funded = await this.withFunding(legs, legViews);
      } catch (err) {
        await this.setError(row.id, `a funding rate could not be loaded: ${message(err)}`);
        return { ...summary, retry: message(err) };
      }
      const decision = strategy.onCandle({
        params: params.value, state, candles: new CandleWindow(window, index), portfolio: view,
        ...(signalBuckets !== undefined ? { signals: signalBuckets[k]! } : {}),
        ...(agentDecision !== undefined ? { decision: agentDecision } : {}),
        ...(legs.length > 0 ? { legCandles: Object.fromEntries(legs.map((l, j) => [l.id, new CandleWindow(legWindows[j]!, index)])), legs: funded } : {}),
      });
      const outcome = await this.carryOut(actor, row, config, market, legs, openMs, decision.cancelTags ?? [], decision.orders ?? [], summary);
      if (outcome.kind === 'gone') return summary;
      if (outcome.kind === 'retry') {
        await this.setError(row.id, outcome.reason);
        return { ...summary, retry: outcome.reason };
      }
      if (outcome.kind === 'pause') return this.pauseBot(row, summary, outcome.reason);
      let text: string;
      try {
        text = encodeState(state);
      } catch (err) {
        if (err instanceof StateCodecError) return this.pauseBot(row, summary, `its strategy state can no longer be saved (${err.message})`);
        throw err;
      }
      const next: BotConfig = { ...config, origin, state: text, lastCandle: openMs, processed: index + 1, fillCursor: cursor };
      // Guarded on the candle it started from: a second runner on the same bot saves nothing twice.
      const saved = await this.deps.db
        .update(bots)
        .set({ config: next, updatedAt: this.deps.clock.now() })
        .where(and(eq(bots.id, row.id), config.lastCandle === null ? sql`${bots.config}->'lastCandle' = 'null'::jsonb` : sql`${bots.config}->'lastCandle' = ${String(config.lastCandle)}::jsonb`))
        .returning({ id: bots.id });
      if (saved.length === 0) return { ...summary, retry: 'another runner moved this bot on' };
      config = next;
      summary.candles++;
    }
    const lastOpen = fresh[fresh.length - 1]!.openTime.getTime();
    const closes = new Map([[market.symbol, fresh[fresh.length - 1]!.close], ...legs.map((l, j) => [l.market.symbol, legLoaded[j]!.get(lastOpen)!.close] as const)]);
    await this.recordPerformance(row, closes, fresh[fresh.length - 1]!, config);
    return summary;
  }

  // ---------------------------------------------------------------------------------------------

  /** Closed candles with open times in [from, to], oldest first, paged like the backtest service. */
  private async loadWindow(symbol: string, tf: BotConfig['timeframe'], from: number, to: number): Promise<Candle[]> {
    return (await this.deps.market.loadClosedRange(symbol, tf, from, to, { maxPages: 4 })).candles;
  }

  /**
   * The portfolio as the strategy sees it before deciding on the candle opening at `openMs`. Orders
   * of that candle or later (an earlier attempt at it, before a crash) are left out, and so are
   * their fills, which the next candle reports.
   */
  private async portfolioView(
    row: Bot, market: Market, legs: readonly RunLeg[], openMs: number, cursor: FillCursor | null,
  ): Promise<{ view: PortfolioView; legViews: Record<string, LegView>; cursor: FillCursor | null; live: boolean }> {
    const state = await this.deps.portfolios.accountState(row.userId, row.portfolioId, { totals: false });
    const quote = state.balances[market.quote];
    const base = state.balances[market.base];
    const position = base ? base.free.add(base.locked) : ZERO;
    const held = state.positions.find((p) => p.symbol === market.symbol && p.side === 'long');
    const mine = and(eq(orders.portfolioId, row.portfolioId), eq(orders.userId, row.userId), like(orders.clientOrderId, likePrefix(botOrderPrefix(row.id))));
    const open = (await this.deps.db.select().from(orders).where(and(mine, inArray(orders.status, [...OPEN_STATUSES]))).orderBy(asc(orders.createdAt), asc(orders.clientOrderId)))
      .filter((o) => candleOfOrder(o.clientOrderId) < openMs);
    const floor = cursor?.at ?? 0;
    const fillRows = await this.deps.db
      .select({ id: trades.id, at: trades.executedAt, side: trades.side, price: trades.price, quantity: trades.quantity, fee: trades.fee, orderId: trades.orderId, clientOrderId: orders.clientOrderId, symbol: orders.symbol })
      .from(trades)
      .innerJoin(orders, eq(orders.id, trades.orderId))
      .where(and(mine, gte(trades.executedAt, new Date(floor))))
      .orderBy(asc(trades.executedAt), asc(trades.id));
    const seen = new Set(cursor?.ids ?? []);
    const reported: typeof fillRows = [];
    let held_back = Number.POSITIVE_INFINITY;
    let latest = floor;
    for (const f of fillRows) {
      const at = f.at.getTime();
      latest = Math.max(latest, at);
      if (candleOfOrder(f.clientOrderId) >= openMs) {
        held_back = Math.min(held_back, at);
        continue;
      }
      if (!seen.has(f.id)) reported.push(f);
    }
    // Everything at or after the new floor is either listed as seen or held back for a later candle.
    const nextFloor = Number.isFinite(held_back) ? held_back : latest;
    const ids = [...fillRows.filter((f) => f.at.getTime() >= nextFloor && candleOfOrder(f.clientOrderId) < openMs).map((f) => f.id)];
    // Orders and fills by the market they are on: the bot's own, then each leg's.
    const fillsOn = (symbol: string): readonly FillView[] =>
      Object.freeze(
        reported.filter((f) => f.symbol === symbol).map((f) => Object.freeze({ orderId: f.orderId, side: f.side, price: dec(f.price), quantity: dec(f.quantity), fee: dec(f.fee), ...tagged(f.clientOrderId) })),
      );
    const openOn = (symbol: string): readonly OpenOrderView[] => Object.freeze(open.filter((o) => o.symbol === symbol && INTENT_TYPES.has(o.orderType)).map(openOrderView));
    const view: PortfolioView = Object.freeze({
      cash: quote?.free ?? ZERO,
      position,
      averageCost: position.gt(0) && held ? dec(held.entryPrice) : null,
      openOrders: openOn(market.symbol),
      newFills: fillsOn(market.symbol),
    });
    const legViews: Record<string, LegView> = {};
    for (const leg of legs) {
      const symbol = leg.market.symbol;
      const pos = state.positions.find((p) => p.symbol === symbol && p.status === 'open' && dec(p.quantity).gt(0));
      const spotHeld = state.balances[leg.market.base];
      const signed =
        leg.spec.kind === 'perp'
          ? pos ? (pos.side === 'short' ? dec(pos.quantity).neg() : dec(pos.quantity)) : ZERO
          : spotHeld ? spotHeld.free.add(spotHeld.locked) : ZERO;
      legViews[leg.id] = Object.freeze({
        kind: leg.spec.kind,
        position: signed,
        entryPrice: !signed.isZero() && pos ? dec(pos.entryPrice) : null,
        margin: leg.spec.kind === 'perp' && pos ? dec(pos.margin) : ZERO,
        fundingPaid: pos ? dec(pos.fundingPaid) : ZERO,
        openOrders: openOn(symbol),
        newFills: fillsOn(symbol),
      });
    }
    return { view, legViews, cursor: { at: nextFloor, ids }, live: state.portfolio.tradingMode === 'live' };
  }

  /** Leg views with the current funding rate of each perpetual leg that asks for it. */
  private async withFunding(legs: readonly RunLeg[], views: Record<string, LegView>): Promise<Record<string, LegView>> {
    const out: Record<string, LegView> = { ...views };
    for (const leg of legs) {
      if (leg.spec.kind !== 'perp' || leg.spec.funding !== true) continue;
      const f = await this.deps.market.getFundingRate(leg.market.symbol);
      out[leg.id] = Object.freeze({ ...views[leg.id]!, fundingRate: dec(f.rate), fundingIntervalMs: f.intervalHours * 3_600_000 });
    }
    return Object.freeze(out);
  }

  /** Cancels, then places, one candle's decisions. */
  private async carryOut(
    actor: Actor, row: Bot, config: BotConfig, market: Market, legs: readonly RunLeg[], openMs: number, cancelTags: readonly string[], intents: readonly OrderIntent[], summary: BotRunSummary,
  ): Promise<CandleOutcome> {
    if (cancelTags.length > 0) {
      const wanted = new Set(cancelTags);
      const open = await this.deps.db
        .select()
        .from(orders)
        .where(and(eq(orders.portfolioId, row.portfolioId), eq(orders.userId, row.userId), like(orders.clientOrderId, likePrefix(botOrderPrefix(row.id))), inArray(orders.status, [...OPEN_STATUSES])));
      for (const o of open) {
        const tag = tagOfBotOrder(o.clientOrderId);
        if (tag === undefined || !wanted.has(tag) || candleOfOrder(o.clientOrderId) >= openMs) continue;
        try {
          await this.deps.trading.cancelOrder(actor, o.id);
          summary.cancelled++;
        } catch (err) {
          // Filled or cancelled meanwhile: the fill reaches the strategy with the next candle.
          if (!(err instanceof AppError && err.code === ErrorCode.conflict)) return failure(err);
        }
      }
    }
    const approval = config.approval!;
    const maxOrder = new D(approval.limits.maxOrderNotional);
    const maxDaily = new D(approval.limits.maxDailyNotional);
    const livePrices = new Map<string, Dec>();
    for (let i = 0; i < intents.length; i++) {
      const intent = intents[i]!;
      const prefix = `${candleOrderPrefix(row.id, openMs)}${i}`;
      const [already] = await this.deps.db
        .select({ id: orders.id })
        .from(orders)
        .where(and(eq(orders.portfolioId, row.portfolioId), or(eq(orders.clientOrderId, prefix), like(orders.clientOrderId, likePrefix(`${prefix}:`)))))
        .limit(1);
      if (already) {
        // The link to the agent's decision may not have been written before a crash.
        if (intent.agentSignalId !== undefined) await this.linkSignal(already.id, intent.agentSignalId);
        summary.replayed++;
        continue;
      }
      const [now] = await this.deps.db.select({ status: bots.status }).from(bots).where(eq(bots.id, row.id));
      if (!now) return { kind: 'gone' };
      if (now.status !== 'running') return { kind: 'gone' };
      const label = intent.tag ?? `order ${i}`;
      const shape = intentProblem(intent);
      if (shape !== null) {
        await this.skip(row, summary, `${label}: ${shape}`);
        continue;
      }
      if (intent.tag !== undefined && !BOT_TAG.test(intent.tag)) {
        await this.skip(row, summary, `${label}: the tag must be 1–24 letters, digits, "_", "." or "-"`);
        continue;
      }
      const leg = intent.leg === undefined ? undefined : legs.find((l) => l.id === intent.leg);
      if (intent.leg !== undefined && leg === undefined) {
        await this.skip(row, summary, `${label}: it names a leg "${intent.leg.slice(0, 24)}" the strategy did not declare`);
        continue;
      }
      const on = leg?.market ?? market;
      const sized = orderInput(intent, on);
      if (sized === null) {
        await this.skip(row, summary, `${label}: the size rounds to nothing at the market's step ${toPlain(on.stepSize)} ${on.base}`);
        continue;
      }
      const input = leg?.spec.kind === 'perp' ? { ...sized, leverage: String(leg.spec.leverage ?? 1) } : sized;
      if (intent.quoteAmount === undefined && intent.type === 'market' && !livePrices.has(on.symbol)) {
        const q = (await this.deps.portfolios.quotes([on.symbol])).get(on.symbol);
        if (!q) return { kind: 'retry', reason: `no price for ${on.symbol} right now` };
        livePrices.set(on.symbol, q.price);
      }
      const notional = intent.quoteAmount ?? intent.quantity!.mul(intent.price ?? intent.triggerPrice ?? livePrices.get(on.symbol)!);
      if (notional.gt(maxOrder)) {
        await this.skip(row, summary, `${label} skipped: worth about ${toPlain(notional.toDecimalPlaces(2))} ${on.quote}, above the approved ${toPlain(maxOrder)} per order`);
        continue;
      }
      const today = await this.todaysNotional(row);
      if (today.add(notional).gt(maxDaily)) {
        await this.skip(
          row, summary,
          `${label} skipped: with it the bot's orders today would be worth about ${toPlain(today.add(notional).toDecimalPlaces(2))} ${market.quote}, above the approved ${toPlain(maxDaily)} a day`,
        );
        continue;
      }
      try {
        const placed = await this.deps.trading.placeForBot(actor, { ...input, clientOrderId: botOrderId(row.id, openMs, i, intent.tag), portfolioId: row.portfolioId }, { botId: row.id, botName: row.name, ...(intent.signal ? { signal: intent.signal } : {}) });
        if (intent.agentSignalId !== undefined) await this.linkSignal(placed.order.id, intent.agentSignalId);
        summary.placed++;
      } catch (err) {
        const f = failure(err);
        if (f.kind === 'done') await this.skip(row, summary, `${label} refused: ${message(err)}`);
        else return f;
      }
    }
    return { kind: 'done' };
  }

  /** The bot's agent (`trading_agents`, one per bot, found by the bot id in its configuration), made on its first decision. */
  private async agentOf(row: Bot, config: BotConfig): Promise<string> {
    const mine = and(eq(tradingAgents.userId, row.userId), sql`${tradingAgents.configuration}->>'botId' = ${row.id}`);
    const [found] = await this.deps.db.select({ id: tradingAgents.id }).from(tradingAgents).where(mine).limit(1);
    if (found) return found.id;
    const now = this.deps.clock.now();
    const [made] = await this.deps.db
      .insert(tradingAgents)
      .values({ userId: row.userId, name: row.name, agentType: 'bot', configuration: { botId: row.id, symbol: row.symbol, timeframe: config.timeframe, params: config.params }, status: 'active', createdAt: now, updatedAt: now })
      .returning({ id: tradingAgents.id });
    return made!.id;
  }

  /**
   * The agent's decision on the candle opening at `openMs`: the one stored for it (a candle decided
   * again after a crash) or a new one from the decider, stored as a trading signal before anything is placed.
   */
  private async agentDecision(
    row: Bot, config: BotConfig, market: Market, agentId: string, params: AgentParams, candles: readonly Candle[], candle: Candle, modelAllowed: boolean,
  ): Promise<AgentDecision> {
    const openMs = candle.openTime.getTime();
    const [stored] = await this.deps.db
      .select({ id: tradingSignals.id, action: tradingSignals.action, confidence: tradingSignals.confidence })
      .from(tradingSignals)
      .where(and(eq(tradingSignals.agentId, agentId), sql`${tradingSignals.metadata}->>'candle' = ${String(openMs)}`))
      .limit(1);
    if (stored) {
      // A candle decided again after a crash: its orders already placed point at the stored decision.
      await this.deps.db
        .update(orders)
        .set({ signalId: stored.id })
        .where(and(eq(orders.portfolioId, row.portfolioId), like(orders.clientOrderId, likePrefix(candleOrderPrefix(row.id, openMs))), isNull(orders.signalId)));
      return Object.freeze({ direction: stored.action, confidence: Number(stored.confidence), signalId: stored.id });
    }
    const v = await this.decider.decide({ symbol: market.symbol, base: market.base, timeframe: config.timeframe, candles, source: params.source, modelAllowed });
    const now = this.deps.clock.now();
    const [signal] = await this.deps.db
      .insert(tradingSignals)
      .values({
        userId: row.userId, agentId, symbol: market.symbol, action: v.direction,
        strength: (v.confidence * 100).toFixed(4), price: candle.close.toFixed(), confidence: v.confidence.toFixed(4), reasoning: v.reasoning,
        metadata: {
          botId: row.id, candle: openMs, candleAt: candle.openTime.toISOString(), timeframe: config.timeframe, source: v.source, author: v.author,
          rejected: v.rejected, analysis: v.analysis, prediction: v.prediction,
        },
        createdAt: now,
      })
      .returning({ id: tradingSignals.id });
    await this.deps.db.update(tradingAgents).set({ lastDecisionAt: now, updatedAt: now }).where(eq(tradingAgents.id, agentId));
    return Object.freeze({ direction: v.direction, confidence: v.confidence, signalId: signal!.id });
  }

  /** Points an order at the agent decision that caused it (once). */
  private async linkSignal(orderId: string, signalId: string): Promise<void> {
    await this.deps.db.update(orders).set({ signalId }).where(and(eq(orders.id, orderId), isNull(orders.signalId)));
  }

  /** Today's (UTC) orders of the bot, valued at their quote size, fill price or limit/trigger price; refused orders do not count. */
  private async todaysNotional(row: Bot): Promise<Dec> {
    const now = this.deps.clock.now();
    const dayStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    const [r] = await this.deps.db
      .select({ total: sql<string | null>`sum(coalesce(${orders.quoteQuantity}, ${orders.quantity} * coalesce(${orders.averageFillPrice}, ${orders.price}, ${orders.stopPrice}, 0)))::text` })
      .from(orders)
      .where(and(eq(orders.portfolioId, row.portfolioId), like(orders.clientOrderId, likePrefix(botOrderPrefix(row.id))), gte(orders.createdAt, dayStart), ne(orders.status, 'rejected')));
    return r?.total ? dec(r.total) : ZERO;
  }

  private async skip(row: Bot, summary: BotRunSummary, why: string): Promise<void> {
    summary.skipped.push(why);
    await this.setError(row.id, why);
  }

  private async setError(botId: string, why: string): Promise<void> {
    await this.deps.db.update(bots).set({ lastError: why, updatedAt: this.deps.clock.now() }).where(eq(bots.id, botId));
  }

  private async pauseBot(row: Bot, summary: BotRunSummary, reason: string): Promise<BotRunSummary> {
    const now = this.deps.clock.now();
    const text = `paused: ${reason}`;
    await withTransaction(this.deps.db, async (tx) => {
      const [cur] = await tx.select().from(bots).where(eq(bots.id, row.id)).for('update');
      if (!cur || cur.status !== 'running') return;
      const config = { ...readBotConfig(cur.config), pausedReason: reason };
      await tx.update(bots).set({ status: 'paused', lastError: text, config, updatedAt: now }).where(eq(bots.id, row.id));
      await writeAudit(tx, { system: true, traceId: actorFor(row.userId, 'system').traceId }, { action: 'bot.pause', entityType: 'bot', entityId: row.id, oldValue: { status: 'running' }, newValue: { status: 'paused', reason } });
    });
    return { ...summary, paused: reason };
  }

  /** One `bot_performance` row: the bot's own fills marked at the last close, and the portfolio's equity. */
  private async recordPerformance(row: Bot, closes: ReadonlyMap<string, Dec>, last: Candle, config: BotConfig): Promise<void> {
    const fills = await this.deps.db
      .select({ side: trades.side, quantity: trades.quantity, notional: trades.quoteQuantity, fee: trades.fee, realized: trades.realizedPnl, symbol: orders.symbol })
      .from(trades)
      .innerJoin(orders, eq(orders.id, trades.orderId))
      .where(and(eq(orders.portfolioId, row.portfolioId), like(orders.clientOrderId, likePrefix(botOrderPrefix(row.id)))));
    // Per market: what the fills paid and received, and the quantity left (signed), marked at that
    // market's last close (the bot's own market and each leg's).
    let cashFlow = ZERO;
    const held = new Map<string, Dec>();
    let fees = ZERO;
    let realized = ZERO;
    for (const f of fills) {
      const n = dec(f.notional);
      cashFlow = f.side === 'buy' ? cashFlow.sub(n) : cashFlow.add(n);
      const q = held.get(f.symbol) ?? ZERO;
      held.set(f.symbol, f.side === 'buy' ? q.add(dec(f.quantity)) : q.sub(dec(f.quantity)));
      fees = fees.add(dec(f.fee));
      if (f.realized !== null) realized = realized.add(dec(f.realized));
    }
    let marked = ZERO;
    for (const [symbol, q] of held) marked = marked.add(q.mul(closes.get(symbol) ?? last.close));
    const totalPnl = cashFlow.sub(fees).add(marked);
    let equity: string | null = null;
    try {
      const state = await this.deps.portfolios.accountState(row.userId, row.portfolioId);
      equity = (await this.deps.portfolios.value(state)).equity.toDecimalPlaces(8).toFixed();
    } catch (err) {
      this.deps.logger.warn('bot performance: the portfolio could not be valued', { botId: row.id, error: err });
    }
    const values = {
      equity,
      totalPnl: totalPnl.toDecimalPlaces(8).toFixed(),
      realizedPnl: realized.toDecimalPlaces(8).toFixed(),
      unrealizedPnl: totalPnl.sub(realized).toDecimalPlaces(8).toFixed(),
      feesPaid: fees.toDecimalPlaces(8).toFixed(),
      tradeCount: fills.length,
      state: { candlesDecided: config.processed, lastCandleAt: new Date(last.openTime.getTime()).toISOString(), strategy: config.strategy },
    };
    await this.deps.db
      .insert(botPerformance)
      .values({ botId: row.id, recordedAt: this.deps.clock.now(), ...values })
      .onConflictDoUpdate({ target: [botPerformance.botId, botPerformance.recordedAt], set: values });
  }
}

function tagged(clientOrderId: string): { tag?: string } {
  const tag = tagOfBotOrder(clientOrderId);
  return tag !== undefined ? { tag } : {};
}

function openOrderView(o: OrderRow): OpenOrderView {
  const view: { -readonly [K in keyof OpenOrderView]: OpenOrderView[K] } = { id: o.id, side: o.side, type: o.orderType as IntentType };
  if (o.quoteQuantity !== null) view.quoteAmount = dec(o.quoteQuantity);
  else view.quantity = dec(o.quantity);
  if (o.price !== null && o.orderType === 'limit') view.price = dec(o.price);
  if (o.stopPrice !== null) view.triggerPrice = dec(o.stopPrice);
  const tag = tagOfBotOrder(o.clientOrderId);
  if (tag !== undefined) view.tag = tag;
  return Object.freeze(view);
}

/** A placement error as what the runner does next (see the header). */
function failure(err: unknown): CandleOutcome {
  if (err instanceof AppError) {
    const failed = (err.details?.failedChecks as Array<{ name?: string; detail?: string }> | undefined) ?? [];
    const halt = failed.find((c) => typeof c.name === 'string' && c.name.startsWith('kill_switch'));
    if (err.code === ErrorCode.halted || halt) return { kind: 'pause', reason: `trading is halted (${halt?.detail ?? err.message})` };
    if (err.code === ErrorCode.forbidden) return { kind: 'pause', reason: err.message };
    if (err.code === ErrorCode.unavailable || err.code === ErrorCode.stalePrice) return { kind: 'retry', reason: err.message };
    return { kind: 'done' };
  }
  return { kind: 'retry', reason: message(err) };
}

/** The trading service's input for an intent, sizes and prices rounded to the market; null when the size rounds to nothing. */
function orderInput(intent: OrderIntent, market: Market): Record<string, string> | null {
  const size: Record<string, string> = {};
  if (intent.quantity !== undefined) {
    const q = roundDownToStep(intent.quantity, market.stepSize);
    if (q.lte(0)) return null;
    size.quantity = q.toFixed();
  } else {
    const q = intent.quoteAmount!.toDecimalPlaces(8, D.ROUND_DOWN);
    if (q.lte(0)) return null;
    size.quoteQuantity = q.toFixed();
  }
  const base = { symbol: market.symbol, side: intent.side, type: intent.type, ...size };
  if (intent.type === 'limit') {
    const tick = market.tickSize;
    const p = intent.side === 'buy' ? intent.price!.div(tick).floor().mul(tick) : intent.price!.div(tick).ceil().mul(tick);
    return { ...base, price: p.toFixed() };
  }
  if (intent.type === 'stop') return { ...base, stopPrice: roundToTick(intent.triggerPrice!, market.tickSize).toFixed() };
  return base;
}
