// The trading service: preview, place, cancel and amend orders; read and explain them. It is also the
// one service callers see for closing positions and setting their exits (position-exits.ts) and for
// the engine's work. Every surface (MCP, Telegram, Discord, terminal) calls these methods with an
// `Actor` built from its authenticated identity; every lookup by id is scoped to that user ("not found" otherwise).
//
// Placing an order (reliability 1, 2, 4, 15):
//   validate (zod, then the domain against the market) → price guard (stale/future/wide refused)
//   → risk checks (kill switches, limits; a refusal lists every failed check with its numbers)
//   → confirmation (a token bound to the exact parameters and account, unless the paper portfolio
//     auto-confirms) → one transaction: insert the order with its client order id (unique; a replay
//     returns the existing order), spend the token, reserve the funds (balance rows locked, the
//     domain refuses an overdraft, CHECK constraints back it up), audit
//   → the broker → the venue's answer applied in a second transaction (executions.ts).
// A broker timeout leaves the order `pending` — an unknown outcome settled by looking the order up by
// its client order id, never by a blind resubmission.
//
// Talking to the venue (submit, apply, settle by lookup, cancel, follow-ups) is the execution core
// (execution-core.ts), shared with the engine's work, which lives in its own parts: execution reports
// and recovery (recovery.ts), TWAP/VWAP slices (algo-orders.ts), funding (funding.ts), liquidations
// and marks (liquidations.ts). Closing positions, their stop-loss and take-profits and the kill
// switch's cancels are position-exits.ts, which reaches the order path only through `placeClose`.
// This class builds them and delegates, so callers see one service.
import { shadowClientOrderId, shadowPortfolioOf, shadowReport, type ShadowReport } from './shadow.js';
import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, gte, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import { queryRows } from '../../db/client.js';
import { auditLogs, confirmationTokens, eventAnalyses, onchainEvents, orders, portfolios, positions, trades, walletWatches, wallets } from '../../db/schema/index.js';
import { shortAddress } from '../../domain/wallets/address.js';
import { agentDecisionOf, type AgentDecisionView } from '../bots/agent-explain.js';
import { withActingUser } from '../../db/rls.js';
import { withTransaction } from '../../db/tx.js';
import type { Broker, BrokerOrderRequest } from '../../domain/broker.js';
import { release, reservationFor, reserve } from '../../domain/ledger.js';
import type { Market } from '../../domain/market.js';
import { DEFAULT_SLIPPAGE, marketFillPrice, type FeeSchedule, type SlippageModel } from '../../domain/matching.js';
import { D, dec, fromBps, maxDec, minDec, ONE, toPlain, ZERO, type Dec } from '../../domain/money.js';
import { checkQuantity, isTerminalStatus, parseOrderRequest, validateOrderRequest, type OrderIntent } from '../../domain/order.js';
import { planExits } from '../../domain/position.js';
import type { PriceQuote } from '../../domain/ports.js';
import { buildTradeCard, confirmationParamsFor, canonicalConfirmation, type TradeCard } from '../../domain/trade-card.js';
import type { RiskCheck } from '../../domain/risk.js';
import type { Actor } from '../actor.js';
import { newTraceId } from '../actor.js';
import { auditTrail, writeAudit } from '../audit.js';
import { AppError, ErrorCode, notFound } from '../errors.js';
import { resolveIdPrefix } from '../id-prefix.js';
import type { AccountState } from '../portfolio/account-state.js';
import type { PortfolioService } from '../portfolio/portfolio-service.js';
import type { RiskService } from '../risk/risk-service.js';
import { issueToken, needsConfirmation, refusalMessage, sha256, spendTokenSql, tokenRefusal, type SpendRefusal } from './confirmation.js';
import { auditRow } from './audit-sql.js';
import { exitRoleOf, takeProfitLegs } from './exits.js';
import { algoSchedule, AlgoOrders } from './algo-orders.js';
import { ALGO_TYPES, ExecutionCore, isEmulated, isEngineWorked, OPEN_STATUSES, type ExecutionCoreDeps } from './execution-core.js';
import { EmulatedOrders, emulatedTrailingParams } from './emulated-orders.js';
import { Funding } from './funding.js';
import { Liquidations } from './liquidations.js';
import { PositionExits, type CloseAllResult, type PlaceClose } from './position-exits.js';
import { Recovery } from './recovery.js';
import { decimalArg, parseInput, requireDecimal, requireOnTick } from './input.js';
import { commitLedger, guardedLedgerParts, insufficient, lockBalances } from './ledger-store.js';
import type { PriceGuard } from './price-guard.js';
import type { ExecutionReport, NativeSupport } from './ports.js';
import {
  cardView,
  num,
  orderSource,
  orderView,
  positionView,
  q18up,
  toDate,
  tradeView,
  type CardView,
  type OrderRow,
  type OrderView,
  type PositionView,
  type TradeRow as TradeRowT,
  type TradeView,
} from './rows.js';
import {
  amendOrderShape,
  cancelOrderShape,
  explainOrderShape,
  getShadowShape,
  getOrderShape,
  getTradesShape,
  listOrdersShape,
  placeOrderShape,
  previewOrderShape,
} from './schemas.js';
import type { z } from 'zod';
import { requireRole } from '../authorize.js';
import { assertCompetitionAllows } from '../community/competition-guard.js';

export type { CloseAllResult } from './position-exits.js';

/** Points of the order path a test can stop at to simulate a crash (reliability 10). */
export const OrderStep = { stored: 'stored', submitted: 'submitted', applied: 'applied' } as const;
export type OrderStep = (typeof OrderStep)[keyof typeof OrderStep];

export interface TradingSettings {
  /** Extra room a market order's reservation (and protection price) allows above the estimate. Default 50 bps. */
  slippageBufferBps?: number;
  /** The same for TWAP/VWAP parents without a price cap. Default 300 bps. */
  algoBufferBps?: number;
  /** Funding interval of perpetuals. Default 8 h. */
  fundingIntervalMs?: number;
  /** Funding rate per interval paid at the funding time `at` for a perpetual (fraction). Default 0.0001 (0.01%). */
  fundingRate?: (symbol: string, at: Date) => Promise<Dec> | Dec;
}

/** The execution core's dependencies, plus what the order path needs on top. */
export interface TradingServiceDeps extends Omit<ExecutionCoreDeps, 'hooks'> {
  portfolios: PortfolioService;
  risk: RiskService;
  guard: PriceGuard;
  /** The slippage model previews estimate market fills with (the paper broker's). */
  slippage?: SlippageModel;
  settings?: TradingSettings;
  /** Crash injection for tests: throwing here abandons the request at that step. */
  hooks?: {
    afterStep?(step: OrderStep, info: { orderId: string; clientOrderId: string }): void | Promise<void>;
    /** Runs inside a fill's transaction before it commits (throwing rolls the fill back). */
    beforeFillCommit?(orderId: string): void | Promise<void>;
  };
}

export interface PreviewResult {
  card: CardView;
  /** Null when the card is not allowed (a risk check failed); nothing can be confirmed then. */
  confirmationToken: string | null;
  expiresAt: string | null;
  /** False when the portfolio auto-confirms (paper, set by its owner): place-order executes without a token. */
  requiresConfirmation: boolean;
}

export interface PlaceResult {
  order: OrderView;
  fills: TradeView[];
  card: CardView | null;
  /** True when this request repeated an earlier one (same clientOrderId) and returns that order. */
  replayed: boolean;
  /** True while the venue's answer is unknown (timeout); MIKEY settles it by looking the order up. */
  outcomeUnknown: boolean;
  message: string;
}

export interface OrderContext {
  /** Why the order was placed, as the user or the agent put it. */
  reason?: string;
  analysisId?: string;
  messageId?: string;
  signalId?: string;
  /** The stored whale move (onchain event) and its wallet that caused a bot's order; set only by placeForBot. */
  signalEventId?: string;
  signalWalletId?: string;
}

type PreviewInput = z.output<z.ZodObject<typeof previewOrderShape>>;
type PlaceInput = z.output<z.ZodObject<typeof placeOrderShape>>;

interface Prepared {
  state: AccountState;
  market: Market;
  quote: PriceQuote;
  intent: OrderIntent;
  card: TradeCard;
  view: CardView;
  paramsHash: string;
  stopLoss?: Dec;
  takeProfits?: Array<{ price: Dec; fraction?: Dec }>;
  plan: ReservationPlan;
  input: PlaceInput;
  /** Set when the live venue has no native form of this order and MIKEY emulates it: the venue's reason. */
  emulatedBecause?: string;
}

interface ReservationPlan {
  asset: string;
  amount: Dec;
  protectionPrice?: Dec;
}

/** Internal: a token refusal carried out of the transaction. */
class TokenRefused extends Error {
  constructor(
    readonly why: SpendRefusal,
    readonly usedFor: string | null,
  ) {
    super(why);
  }
}
class Replayed extends Error {}
class FundsShort extends Error {
  constructor(
    readonly asset: string,
    readonly amount: Dec,
  ) {
    super('funds short');
  }
}

function fmt(d: Dec, dp = 8): string {
  return d.toDecimalPlaces(dp).toFixed();
}

export class TradingService {
  private readonly slippage: SlippageModel;
  private readonly settings: Required<Omit<TradingSettings, 'fundingRate'>> & Pick<TradingSettings, 'fundingRate'>;
  /** Shared with the parts below: sends orders, applies the venue's answers, knows which orders are in flight. */
  /** Paper-shadow orders being placed after their live orders. */
  private readonly shadowing = new Set<Promise<void>>();
  /** The execution core; the trading layer also hands it to the live reconciler. */
  readonly core: ExecutionCore;
  private readonly recovery: Recovery;
  private readonly algos: AlgoOrders;
  private readonly emulated: EmulatedOrders;
  private readonly funding: Funding;
  private readonly liquidations: Liquidations;
  private readonly exits: PositionExits;

  constructor(private readonly deps: TradingServiceDeps) {
    this.slippage = deps.slippage ?? DEFAULT_SLIPPAGE;
    this.settings = {
      slippageBufferBps: deps.settings?.slippageBufferBps ?? 50,
      algoBufferBps: deps.settings?.algoBufferBps ?? 300,
      fundingIntervalMs: deps.settings?.fundingIntervalMs ?? 8 * 3_600_000,
      ...(deps.settings?.fundingRate ? { fundingRate: deps.settings.fundingRate } : {}),
    };
    const { db, clock, logger, events, markets, prices, broker } = deps;
    const core = new ExecutionCore({ db, clock, logger, events, markets, prices, broker, ...(deps.isLive ? { isLive: deps.isLive } : {}), ...(deps.hooks ? { hooks: deps.hooks } : {}) });
    this.core = core;
    this.recovery = new Recovery({ db, clock, logger, broker, core });
    this.algos = new AlgoOrders({ db, clock, core });
    this.emulated = new EmulatedOrders({ db, clock, markets, core });
    this.funding = new Funding({ db, logger, events, markets, core, intervalMs: this.settings.fundingIntervalMs, ...(this.settings.fundingRate ? { rate: this.settings.fundingRate } : {}) });
    this.liquidations = new Liquidations({ db, clock, events, markets, prices, guard: deps.guard, risk: deps.risk, core });
    // Exits reach the order path only through this: a reduce-only market order, checked and confirmed like any order.
    const placeClose: PlaceClose = (actor, order, opts) =>
      this.place(actor, parseInput(placeOrderShape, { ...order, type: 'market', reduceOnly: true }, 'close order'), { role: 'close', preconfirmed: opts.preconfirmed, context: opts.context ?? {} });
    this.exits = new PositionExits({ db, clock, logger, markets, portfolios: deps.portfolios, core, placeClose });
  }

  get broker(): Broker {
    return this.deps.broker;
  }

  // =============================================================================================
  // Preview and place

  /** The trade card of an order and a confirmation token bound to exactly it. Changes nothing but the token. */
  async previewOrder(actor: Actor, input: unknown): Promise<PreviewResult> {
    await requireRole(this.deps.db, actor, 'trader');
    const v = parseInput(previewOrderShape, input, 'order');
    const prep = await this.prepare(actor, { ...v, confirmationToken: undefined });
    const requiresConfirmation = needsConfirmation(prep.state.portfolio);
    if (!prep.card.allowed) return { card: prep.view, confirmationToken: null, expiresAt: null, requiresConfirmation };
    const t = await this.issue(actor, prep.state.portfolio.id, prep.paramsHash, prep.view);
    return { card: prep.view, confirmationToken: t.token, expiresAt: t.expiresAt.toISOString(), requiresConfirmation };
  }

  /**
   * Places an order. Without a valid confirmation token (unless the paper portfolio auto-confirms)
   * it throws `confirmation_required` carrying the card and a fresh token for exactly these
   * parameters. A request repeating an earlier `clientOrderId` returns that order.
   */
  async placeOrder(actor: Actor, input: unknown, context: OrderContext = {}): Promise<PlaceResult> {
    await requireRole(this.deps.db, actor, 'trader');
    const v = parseInput(placeOrderShape, input, 'order');
    return this.place(actor, v, { context });
  }

  /**
   * Places an order for a bot, confirmed by the bot's standing approval instead of a per-order token.
   * The bot runner checks that approval (the bot is running; the order and the day stay within its
   * limits) before calling; everything else (validation, price guard, risk checks and kill switches,
   * funds) applies as to any order. The client order id is required: it is the bot's idempotency key,
   * so re-running a decision after a crash returns the orders it already placed.
   */
  async placeForBot(actor: Actor, input: unknown, bot: { botId: string; botName: string; signal?: { eventId: string; walletId: string } }): Promise<PlaceResult> {
    await requireRole(this.deps.db, actor, 'trader');
    const v = parseInput(placeOrderShape, input, 'bot order');
    if (!v.clientOrderId?.startsWith('bot:')) {
      throw new AppError(ErrorCode.invalidInput, 'a bot order needs a clientOrderId starting with "bot:"', 'the bot runner makes one per decision and order');
    }
    if (v.confirmationToken) throw new AppError(ErrorCode.invalidInput, 'a bot order is confirmed by the bot\'s standing approval, not by a token', 'leave confirmationToken out');
    const signal = bot.signal ? { signalEventId: bot.signal.eventId, signalWalletId: bot.signal.walletId } : {};
    const result = await this.place(actor, v, { preconfirmed: true, context: { reason: `bot ${bot.botName} (${bot.botId.slice(0, 8)})`, ...signal } });
    // The whale goes on the position the order opened (one opened at or after the order), never on one it only added to.
    if (bot.signal && result.order.positionId) {
      await this.deps.db
        .update(positions)
        .set({ signalWalletId: bot.signal.walletId })
        .where(and(eq(positions.id, result.order.positionId), isNull(positions.signalWalletId), gte(positions.openedAt, new Date(result.order.createdAt))));
    }
    return result;
  }

  private async issue(actor: Actor, portfolioId: string, paramsHash: string, card: CardView): Promise<{ token: string; expiresAt: Date }> {
    const now = this.deps.clock.now();
    return withTransaction(this.deps.db, async (tx) => {
      const t = await issueToken(tx, { userId: actor.userId, portfolioId, paramsHash, card: card as unknown as Record<string, unknown>, now });
      await writeAudit(tx, actor, { action: 'order.preview', entityType: 'confirmation_token', entityId: t.id, newValue: { card, paramsHash } });
      return t;
    });
  }

  private async confirmationRequired(actor: Actor, prep: Prepared, why?: string): Promise<never> {
    const t = await this.issue(actor, prep.state.portfolio.id, prep.paramsHash, prep.view);
    const what = `${prep.intent.side} ${toPlain(prep.intent.quantity)} ${prep.market.base} ${prep.intent.type} on ${prep.market.symbol}`;
    throw new AppError(
      ErrorCode.confirmationRequired,
      `${why ? `${why}; ` : ''}confirm this order first: ${what} (${prep.state.portfolio.tradingMode}, portfolio "${prep.state.portfolio.name}")`,
      'show the card to the user; if they approve, call place-order again with the same arguments and this confirmationToken',
      { card: prep.view, confirmationToken: t.token, expiresAt: t.expiresAt.toISOString(), ...(why ? { refusal: why } : {}) },
    );
  }

  private async place(actor: Actor, v: PlaceInput, opts: { context?: OrderContext; role?: string; preconfirmed?: boolean; state?: AccountState }): Promise<PlaceResult> {
    // A repeated client order id returns the order it created (reliability 1), whatever the prices do now.
    if (v.clientOrderId) {
      const replay = await this.replay(actor, v);
      if (replay) return replay;
    }
    const prep = await this.prepare(actor, v, opts.state);
    if (!prep.card.allowed) {
      const failed = prep.card.riskChecks.filter((c) => !c.passed);
      throw new AppError(
        ErrorCode.rejected,
        `order refused by ${failed.length} check${failed.length === 1 ? '' : 's'}: ${failed.map((c) => `${c.name}: ${c.detail}`).join('; ')}`,
        failed.some((c) => c.name.startsWith('kill_switch')) ? 'trading is halted; resume-trading lifts it' : 'change the order so every check passes',
        { card: prep.view, failedChecks: failed },
      );
    }
    const confirm = !opts.preconfirmed && needsConfirmation(prep.state.portfolio);
    if (confirm && !v.confirmationToken) return this.confirmationRequired(actor, prep);
    const result = await this.execute(actor, prep, { token: confirm ? v.confirmationToken : undefined, context: opts.context ?? {}, role: opts.role });
    if (prep.state.portfolio.tradingMode === 'live' && !opts.role) {
      // Right after the live order, off the reply's path (idle() waits for it).
      const mirror = this.mirrorToShadow(actor, v, prep.state.portfolio.id, result.order.id);
      this.shadowing.add(mirror);
      void mirror.finally(() => this.shadowing.delete(mirror));
    }
    return result;
  }

  /** The same order on the live portfolio's paper shadow, right after the live one was sent; never fails the live order. */
  private async mirrorToShadow(actor: Actor, v: PlaceInput, livePortfolioId: string, liveOrderId: string): Promise<void> {
    try {
      const shadow = await shadowPortfolioOf(this.deps.db, livePortfolioId);
      if (!shadow) return;
      const { confirmationToken: _token, ...request } = v;
      await this.place(actor, { ...request, portfolioId: shadow.id, clientOrderId: shadowClientOrderId(liveOrderId) }, { preconfirmed: true, context: { reason: `paper shadow of live order ${liveOrderId.slice(0, 8)}` } });
    } catch (err) {
      this.deps.logger.warn('the paper shadow could not follow a live order', { liveOrderId, error: err });
    }
  }

  private async replay(actor: Actor, v: PlaceInput): Promise<PlaceResult | undefined> {
    const [existing] = await this.deps.db.select().from(orders).where(eq(orders.clientOrderId, v.clientOrderId!));
    if (!existing) return undefined;
    if (existing.userId !== actor.userId) {
      throw new AppError(ErrorCode.conflict, `clientOrderId "${v.clientOrderId}" is already in use`, 'choose another clientOrderId');
    }
    const fp = this.fingerprint(actor.userId, existing.portfolioId, v);
    if (existing.requestHash && fp && existing.requestHash !== fp) {
      throw new AppError(ErrorCode.conflict, `clientOrderId "${v.clientOrderId}" was used for a different order (${existing.id})`, 'use a new clientOrderId for a new order', { orderId: existing.id });
    }
    return this.result(existing, null, true, false);
  }

  /**
   * A hash of the request as asked (not as priced): the same request always gives the same hash, so
   * a replay can be told from a different order reusing a client order id. Undefined when the
   * request cannot be read (it will then fail validation anyway).
   */
  private fingerprint(userId: string, portfolioId: string, v: PlaceInput): string | undefined {
    const m = this.deps.markets.find(v.symbol);
    if (!m) return undefined;
    const norm = (x: string | number | undefined): string | null => {
      if (x === undefined) return null;
      try {
        const d = new D(typeof x === 'number' ? x : x.trim());
        return d.isFinite() ? d.toFixed() : null;
      } catch {
        return null;
      }
    };
    return sha256(
      JSON.stringify([
        'mikey.order-request.v1', userId, portfolioId, m.symbol, v.side, v.type, norm(v.quantity), norm(v.quoteQuantity), norm(v.price), norm(v.stopPrice),
        norm(v.trailingAmount), norm(v.trailingPercent), v.timeInForce ?? null, v.postOnly ?? false, v.reduceOnly ?? false, norm(v.leverage) ?? '1',
        norm(v.stopLoss), (v.takeProfits ?? []).map((t) => [norm(t.price), norm(t.fraction)]), v.durationMinutes ?? null, v.slices ?? null,
      ]),
    );
  }

  private async quoteFor(symbol: string): Promise<PriceQuote> {
    try {
      return await this.deps.prices.getQuote(symbol);
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw new AppError(ErrorCode.unavailable, `no price for ${symbol} right now: ${(err as Error).message.slice(0, 160)}`, 'try again in a moment');
    }
  }

  private accountTypeCheck(accountType: string, market: Market, portfolioName: string): void {
    if (accountType === 'spot' && market.kind === 'perp') {
      throw new AppError(ErrorCode.invalidInput, `"${portfolioName}" is a spot account; ${market.symbol} is a perpetual`, 'trade perpetuals from a futures or margin portfolio, or trade the spot pair');
    }
    if (accountType === 'futures' && market.kind === 'spot') {
      throw new AppError(ErrorCode.invalidInput, `"${portfolioName}" is a futures account; ${market.symbol} is a spot pair`, `trade ${market.base}-PERP here, or use a spot or margin portfolio`);
    }
  }

  private async prepare(actor: Actor, v: PlaceInput | (PreviewInput & { confirmationToken?: undefined }), known?: AccountState): Promise<Prepared> {
    const market = this.deps.markets.resolve(v.symbol);
    const state = known ?? (await this.deps.portfolios.accountState(actor.userId, v.portfolioId, { totals: false }));
    const p = state.portfolio;
    if (!p.isActive) throw new AppError(ErrorCode.forbidden, `portfolio "${p.name}" is not active`, 'use another portfolio');
    this.accountTypeCheck(p.accountType, market, p.name);
    // A competition portfolio trades only inside its window and on its markets (issue 14).
    await assertCompetitionAllows(this.deps.db, p, market.symbol, this.deps.clock.now());
    const quote = await this.quoteFor(market.symbol);
    this.deps.guard.assertUsable(quote);

    const str = (x: string | number | undefined, field: string): string | undefined => {
      if (x === undefined || typeof x === 'string') return x;
      if (!Number.isFinite(x)) throw new AppError(ErrorCode.invalidInput, `${field} must be a finite number, got ${String(x)}`, `give ${field} as a decimal string such as "0.5"`);
      return String(x);
    };
    const raw = {
      symbol: market.symbol,
      side: v.side,
      type: v.type,
      ...(v.quantity !== undefined ? { quantity: str(v.quantity, 'quantity') } : {}),
      ...(v.quoteQuantity !== undefined ? { quoteQuantity: str(v.quoteQuantity, 'quoteQuantity') } : {}),
      ...(v.price !== undefined ? { price: str(v.price, 'price') } : {}),
      ...(v.stopPrice !== undefined ? { triggerPrice: str(v.stopPrice, 'stopPrice') } : {}),
      ...(v.trailingAmount !== undefined ? { trailingAmount: str(v.trailingAmount, 'trailingAmount') } : {}),
      ...(v.trailingPercent !== undefined ? { trailingPercent: str(v.trailingPercent, 'trailingPercent') } : {}),
      ...(v.timeInForce !== undefined ? { timeInForce: v.timeInForce } : {}),
      ...(v.postOnly !== undefined ? { postOnly: v.postOnly } : {}),
      ...(v.reduceOnly !== undefined ? { reduceOnly: v.reduceOnly } : {}),
      ...(v.leverage !== undefined ? { leverage: str(v.leverage, 'leverage') } : {}),
      ...(v.slices !== undefined ? { slices: v.slices } : {}),
      ...(v.durationMinutes !== undefined ? { durationMs: v.durationMinutes * 60_000 } : {}),
    };
    if ((v.slices === undefined) !== (v.durationMinutes === undefined) && ALGO_TYPES.includes(v.type)) {
      throw new AppError(ErrorCode.invalidInput, `a ${v.type} order needs both slices and durationMinutes`, 'e.g. slices 6, durationMinutes 30');
    }
    const parsed = parseOrderRequest(raw);
    if (!parsed.ok) throw new AppError(ErrorCode.invalidInput, parsed.error.message, 'fix the arguments named above');
    const checked = validateOrderRequest(parsed.value, this.deps.markets.list(), { referencePrice: quote.price });
    if (!checked.ok) {
      const msg = checked.error.message.replace(/triggerPrice/g, 'stopPrice').replace(/durationMs/g, 'durationMinutes');
      throw new AppError(ErrorCode.invalidInput, msg, 'change the order as the message says', { code: checked.error.code, ...(checked.error.details ?? {}) });
    }
    const intent = checked.value;

    // Exits attached at entry.
    const stopLoss = decimalArg(v.stopLoss, 'stopLoss');
    const takeProfits = v.takeProfits?.map((t, i) => ({
      price: requireDecimal(t.price, `takeProfits.${i}.price`),
      ...(t.fraction !== undefined ? { fraction: requireDecimal(t.fraction, `takeProfits.${i}.fraction`) } : {}),
    }));
    if (stopLoss || takeProfits?.length) this.exitsNeedAnOpening(intent, market, state);
    const fees: FeeSchedule = { makerRate: dec(p.makerFeeRate), takerRate: dec(p.takerFeeRate) };
    const estimate = intent.price ?? intent.triggerPrice ?? marketFillPrice(intent.side, intent.quantity, quote, this.slippage, market);
    if (stopLoss || takeProfits?.length) {
      if (stopLoss) requireOnTick(stopLoss, market, 'stopLoss');
      takeProfits?.forEach((t, i) => requireOnTick(t.price, market, `takeProfits.${i}.price`));
      const planned = planExits({
        side: intent.side === 'buy' ? 'long' : 'short',
        quantity: intent.quantity,
        entryPrice: estimate,
        step: market.stepSize,
        ...(stopLoss ? { stopLoss: { id: 'sl', price: stopLoss } } : {}),
        ...(takeProfits ? { takeProfits: takeProfits.map((t, i) => ({ id: `tp${i}`, price: t.price, ...(t.fraction ? { fraction: t.fraction } : {}) })) } : {}),
      });
      if (!planned.ok) throw new AppError(ErrorCode.invalidInput, planned.error.message, 'put the stop-loss on the losing side and the take-profits on the winning side of the entry');
    }

    // Valuation and risk.
    const now = this.deps.clock.now();
    const valuation = await this.deps.portfolios.value(state, new Map([[market.symbol, quote]]));
    const checks: RiskCheck[] = await this.deps.risk.checkOrder(
      state,
      { symbol: market.symbol, base: market.base, quote: market.quote, side: intent.side, quantity: intent.quantity, price: estimate, leverage: intent.leverage, reduceOnly: intent.reduceOnly },
      { equity: valuation.equity, quotes: valuation.quotes, now },
    );
    if (this.deps.guard.oracleMode !== 'off') {
      const o = await this.deps.guard.oracleCheck(market.symbol, quote.price);
      if (o.status !== 'skipped') checks.push({ name: 'oracle_band', passed: o.status !== 'blocked', detail: o.message });
    }
    const plan = this.reservationPlan(intent, market, quote, fees, estimate);
    const have = plan.asset === market.base && intent.reduceOnly ? plan.amount : (state.balances[plan.asset]?.free ?? ZERO);
    if (plan.amount.gt(have)) {
      checks.push({
        name: 'funds',
        passed: false,
        detail: `this needs ${fmt(plan.amount)} ${plan.asset} free (order value, fee${market.kind === 'perp' ? ', margin' : ''} and a ${this.settings.slippageBufferBps} bps price buffer); ${fmt(have)} ${plan.asset} is free`,
      });
    } else {
      checks.push({ name: 'funds', passed: true, detail: `${fmt(plan.amount)} ${plan.asset} will be held for this order; ${fmt(have)} ${plan.asset} is free` });
    }

    const emulatedBecause = await this.emulationReason(intent, p.id, p.tradingMode);
    const card = buildTradeCard({
      order: intent,
      quote,
      now,
      maxQuoteAgeMs: this.deps.markets.stalenessLimitMs(market.symbol) ?? this.deps.guard.maxQuoteAgeMs,
      fees,
      equity: valuation.equity,
      riskChecks: checks,
      mode: p.tradingMode,
      userId: actor.userId,
      accountId: p.id,
      slippage: this.slippage,
      ...(emulatedBecause !== undefined ? { emulatedBecause } : {}),
    });
    const sizedInQuote = intent.sizedFromQuote?.quoteAmount;
    const view = cardView(card, {
      ...(stopLoss ? { stopLoss } : {}),
      ...(takeProfits ? { takeProfits: takeProfits.map((t) => ({ price: t.price, fraction: t.fraction ?? ONE.div(takeProfits.length).toDecimalPlaces(4) })) } : {}),
      ...(sizedInQuote ? { sizedInQuote } : {}),
      portfolioId: p.id,
      portfolioName: p.name,
    });
    // The token binds the exact parameters (the quote amount, not the converted quantity, when the
    // order is sized in quote) plus the attached exits.
    const params = confirmationParamsFor(intent, { userId: actor.userId, accountId: p.id, mode: p.tradingMode });
    const canonical = canonicalConfirmation(sizedInQuote ? { ...params, quantity: sizedInQuote } : params);
    const paramsHash = sha256(
      `${canonical}|${JSON.stringify({ sizedIn: sizedInQuote ? 'quote' : 'base', stopLoss: stopLoss?.toFixed() ?? null, takeProfits: takeProfits?.map((t) => [t.price.toFixed(), t.fraction?.toFixed() ?? null]) ?? null })}`,
    );
    return {
      state, market, quote, intent, card, view, paramsHash, ...(stopLoss ? { stopLoss } : {}), ...(takeProfits ? { takeProfits } : {}), plan, input: v,
      ...(emulatedBecause !== undefined ? { emulatedBecause } : {}),
    };
  }

  /**
   * Why MIKEY must emulate this order, or undefined when the venue takes it natively. Only a live
   * trailing stop is emulated (the paper simulator trails natively); the venue is asked without
   * anything being sent.
   */
  private async emulationReason(intent: OrderIntent, accountId: string, mode: string): Promise<string | undefined> {
    if (mode !== 'live' || intent.type !== 'trailing_stop' || !intent.trailing) return undefined;
    const b = this.deps.broker as Broker & { nativeSupport?: (req: BrokerOrderRequest) => Promise<NativeSupport> };
    if (typeof b.nativeSupport !== 'function') return undefined;
    const r = await b.nativeSupport({
      clientOrderId: 'mikey-native-check',
      accountId,
      symbol: intent.symbol,
      side: intent.side,
      type: intent.type,
      quantity: intent.quantity,
      trailing: intent.trailing,
      timeInForce: intent.timeInForce,
      postOnly: intent.postOnly,
      reduceOnly: intent.reduceOnly,
      leverage: intent.leverage,
    });
    return r.native ? undefined : r.reason;
  }

  /**
   * Exits given with an order attach to the position it opens or adds to (executions.ts), so an
   * order that can only reduce one is refused rather than accepted with a stop that would never be
   * placed: a reduce-only order, a spot sell (spot positions are long), and a perpetual order against
   * an opposite position it does not outgrow. A perpetual sell from flat opens a short, and one larger
   * than the long flips it to a short: both keep their exits.
   */
  private exitsNeedAnOpening(intent: OrderIntent, market: Market, state: AccountState): void {
    const why = 'a stop-loss/take-profit attaches to an order that opens or adds to a position';
    const later = 'set-stop-loss / set-take-profits set exits on the position you hold';
    if (market.kind === 'spot' && intent.side === 'sell') {
      throw new AppError(
        ErrorCode.invalidInput,
        `${why}; for a spot sell, which only reduces your ${market.base}, place the sell without them`,
        `to sell if the price falls to a level, place a stop order (type "stop" with stopPrice); ${later}`,
      );
    }
    if (intent.reduceOnly) throw new AppError(ErrorCode.invalidInput, `${why}; a reduce-only order opens none`, later);
    const opposite = state.positions.find((p) => p.symbol === market.symbol && p.side === (intent.side === 'buy' ? 'short' : 'long'));
    if (opposite && intent.quantity.lte(dec(opposite.quantity))) {
      throw new AppError(
        ErrorCode.invalidInput,
        `${why}; this ${intent.side} of ${toPlain(intent.quantity)} only reduces your ${opposite.side} of ${toPlain(dec(opposite.quantity))} ${market.base}`,
        `place it without them; ${later}`,
      );
    }
  }

  /** What an order must hold while it works, and the worst price a market-type buy may fill at. */
  private reservationPlan(intent: OrderIntent, market: Market, quote: PriceQuote, fees: FeeSchedule, estimate: Dec): ReservationPlan {
    const isBuy = intent.side === 'buy';
    if (market.kind === 'spot' && !isBuy) return { asset: market.base, amount: intent.quantity };
    if (market.kind === 'perp' && intent.reduceOnly) return { asset: market.quote, amount: ZERO };
    const buffer = ONE.add(fromBps(this.settings.slippageBufferBps));
    const up = (d: Dec): Dec => d.div(market.tickSize).ceil().mul(market.tickSize);
    let price: Dec;
    let protect = false;
    switch (intent.type) {
      case 'limit':
      case 'stop_limit':
        price = intent.price!;
        break;
      case 'market':
        price = up(estimate.mul(buffer));
        protect = true;
        break;
      case 'stop':
      case 'take_profit':
        price = up(intent.triggerPrice!.mul(buffer));
        protect = true;
        break;
      case 'trailing_stop': {
        const t = intent.trailing!;
        const distance = t.kind === 'amount' ? t.amount : quote.price.mul(t.percent).div(100);
        price = up(quote.price.add(isBuy ? distance : ZERO).mul(buffer));
        protect = true;
        break;
      }
      default:
        price = intent.price ?? up(quote.price.mul(ONE.add(fromBps(this.settings.algoBufferBps))));
        protect = true;
    }
    if (!isBuy) {
      // A perpetual short's margin grows with the price it opens at; hold enough for a fill above the quote.
      price = up(maxDec(price, quote.price).mul(buffer));
      protect = false;
    }
    const r = reservationFor({ market, side: intent.side, quantity: intent.quantity, takerFeeRate: fees.takerRate, limitPrice: price, leverage: intent.leverage, reduceOnly: intent.reduceOnly });
    if (!r.ok) throw new AppError(ErrorCode.invalidInput, r.error.message);
    return { asset: r.value.asset, amount: q18up(r.value.amount), ...(protect && isBuy ? { protectionPrice: price } : {}) };
  }

  private async execute(actor: Actor, prep: Prepared, opts: { token: string | undefined; context: OrderContext; role: string | undefined }): Promise<PlaceResult> {
    const { state, market, intent, plan } = prep;
    const p = state.portfolio;
    const v = prep.input;
    const now = this.deps.clock.now();
    const orderId = randomUUID();
    // 32 letters and digits: within every venue's client-id rules (Binance: at most 36 of
    // [.A-Z:/a-z0-9_-]; OKX: at most 32 letters and digits). 116 random bits of the order's UUID.
    const clientOrderId = v.clientOrderId ?? `mk${orderId.replaceAll('-', '').slice(0, 30)}`;
    const isAlgo = ALGO_TYPES.includes(intent.type);
    const algoParams: Record<string, unknown> = {
      ...(plan.protectionPrice ? { protectionPrice: plan.protectionPrice.toFixed() } : {}),
      ...(opts.role ? { role: opts.role } : {}),
    };
    if (isAlgo) Object.assign(algoParams, algoSchedule(intent, market, now));
    // Emulated: held by MIKEY and never sent; the trail starts at the price the card used.
    const emulated = prep.emulatedBecause !== undefined && intent.trailing !== undefined;
    if (emulated) Object.assign(algoParams, emulatedTrailingParams(intent.side, intent.trailing!, prep.quote.price, market.tickSize, prep.emulatedBecause!));
    const requestHash = this.fingerprint(actor.userId, p.id, v);
    const sanitized = { ...v, confirmationToken: undefined };

    let row: OrderRow;
    try {
      row = await withTransaction(this.deps.db, async (tx) => {
        let amount = plan.amount;
        // A reduce-only sale of a spot holding holds what is free; the rest comes from the position's exits.
        if (intent.reduceOnly && plan.asset === market.base) amount = minDec(amount, state.balances[plan.asset]?.free ?? ZERO);
        const guarded = amount.gt(0)
          ? guardedLedgerParts(p.id, [{ asset: plan.asset, freeDelta: amount.neg(), lockedDelta: amount, reason: 'reserve', ref: orderId }], { refType: 'order', refId: orderId, traceId: actor.traceId, at: now })
          : undefined;
        // One statement: the order (unique client order id), the token spent, the reservation, the audit row.
        const values: typeof orders.$inferInsert = {
          id: orderId,
            userId: actor.userId,
            portfolioId: p.id,
            clientOrderId,
            symbol: market.symbol,
            side: intent.side,
            orderType: intent.type,
            status: 'pending',
            timeInForce: intent.timeInForce,
            quantity: intent.quantity.toFixed(),
            quoteQuantity: intent.sizedFromQuote ? intent.sizedFromQuote.quoteAmount.toFixed() : null,
            price: intent.price ? intent.price.toFixed() : null,
            stopPrice: intent.triggerPrice ? intent.triggerPrice.toFixed() : null,
            trailingAmount: intent.trailing?.kind === 'amount' ? intent.trailing.amount.toFixed() : null,
            trailingPercent: intent.trailing?.kind === 'percent' ? intent.trailing.percent.toFixed() : null,
            leverage: intent.leverage.toFixed(),
            reduceOnly: intent.reduceOnly,
            postOnly: intent.postOnly,
            stopLoss: prep.stopLoss ? prep.stopLoss.toFixed() : null,
            takeProfits: prep.takeProfits ? takeProfitLegs(prep.takeProfits) : null,
            algoParams: Object.keys(algoParams).length > 0 ? algoParams : null,
            policySnapshot: { riskChecks: prep.card.riskChecks, priceUsed: prep.card.priceUsed.toFixed(), quote: { price: prep.quote.price.toFixed(), at: prep.quote.publishTime.toISOString(), source: prep.quote.source, simulated: prep.quote.simulated } },
            requestHash: requestHash ?? null,
            source: orderSource(actor),
            signalId: opts.context.signalId ?? null,
            signalEventId: opts.context.signalEventId ?? null,
            reservedAsset: plan.asset,
            reservedAmount: amount.toFixed(),
            createdAt: now,
          updatedAt: now,
        };
        const insert = tx.insert(orders).values(values).onConflictDoNothing({ target: orders.clientOrderId }).returning({ id: orders.id });
        const audit = auditRow(actor, {
          action: 'order.place',
          entityType: 'order',
          entityId: orderId,
          newValue: { request: sanitized, card: prep.view, clientOrderId, reserved: { asset: plan.asset, amount: amount.toFixed() } },
          metadata: { confirmed: opts.token ? 'token' : 'auto', ...(Object.keys(opts.context).length ? { context: opts.context } : {}), ...(opts.role ? { role: opts.role } : {}) },
        });
        const parts: SQL[] = [sql`o as ${insert}`];
        if (opts.token) parts.push(spendTokenSql({ token: opts.token, userId: actor.userId, portfolioId: p.id, paramsHash: prep.paramsHash, now, orderId }));
        parts.push(...(guarded?.parts ?? []), sql`a as ${tx.insert(auditLogs).values(audit)}`);
        const [r] = await queryRows<{ inserted: string | number; spent: string | number; reserved: string | number }>(
          tx,
          sql`with ${sql.join(parts, sql`, `)} select (select count(*) from o) as inserted,
            ${opts.token ? sql`(select count(*) from spent)` : sql`1`} as spent, ${guarded ? guarded.checkSql : sql`0`} as reserved`,
        );
        // Any part that did not happen rolls the whole statement back.
        if (Number(r!.inserted) === 0) throw new Replayed();
        if (Number(r!.spent) === 0) throw new TokenRefused('unknown', null);
        if (guarded && Number(r!.reserved) !== guarded.expected) throw new FundsShort(plan.asset, amount);
        return insertedOrder(values);
      });
    } catch (err) {
      if (err instanceof FundsShort) {
        const [b] = await queryRows<{ free: string; locked: string }>(this.deps.db, sql`select free::text as free, locked::text as locked from balances where portfolio_id = ${p.id}::uuid and asset = ${err.asset}`);
        const bal = { [err.asset]: { asset: err.asset, free: dec(b?.free ?? '0'), locked: dec(b?.locked ?? '0') } };
        const why = reserve(bal, err.asset, err.amount);
        throw insufficient(why.ok ? `not enough ${err.asset} free for this order` : why.error.message, why.ok ? undefined : why.error.details);
      }
      if (err instanceof Replayed) {
        const again = await this.replay(actor, { ...v, clientOrderId });
        if (again) return again;
        throw new AppError(ErrorCode.conflict, 'the order was placed concurrently; list your orders', 'list-orders');
      }
      if (err instanceof TokenRefused) {
        const why = await tokenRefusal(this.deps.db, { token: opts.token!, userId: actor.userId, portfolioId: p.id, now });
        if (why.why === 'used' && why.usedForOrderId) {
          const [prior] = await this.deps.db.select().from(orders).where(and(eq(orders.id, why.usedForOrderId), eq(orders.userId, actor.userId)));
          if (prior && prior.clientOrderId === clientOrderId) return this.result(prior, prep.view, true, false);
        }
        return this.confirmationRequired(actor, prep, refusalMessage(why.why) + (why.why === 'used' && why.usedForOrderId ? ` (for order ${why.usedForOrderId})` : ''));
      }
      throw err;
    }
    this.deps.events.emit({ type: 'balance.changed', userId: actor.userId, portfolioId: p.id });

    this.core.inFlight.add(row.id);
    try {
      await this.deps.hooks?.afterStep?.('stored', { orderId: row.id, clientOrderId });
      if (isAlgo || emulated) {
        const r = await this.core.apply(actor, row.id, { fills: [], submitted: true });
        row = r.order;
        if (isAlgo) await this.algos.releaseDueSlices(row.id);
        else await this.emulated.work(row.id);
        const [fresh] = await this.deps.db.select().from(orders).where(eq(orders.id, row.id));
        return this.result(fresh ?? row, prep.view, false, false);
      }
      const outcome = await this.core.submitRow(row);
      await this.deps.hooks?.afterStep?.('submitted', { orderId: row.id, clientOrderId });
      const applied = await this.core.applyOutcome(actor, row, outcome, { resubmitIfMissing: true });
      await this.deps.hooks?.afterStep?.('applied', { orderId: row.id, clientOrderId });
      if (applied.order.status === 'rejected') {
        throw new AppError(ErrorCode.rejected, `the venue rejected the order: ${applied.order.rejectReason ?? 'no reason given'}`, 'check the price and size, or try again', { order: orderView(applied.order) });
      }
      // A fresh order's fills all arrive in this first answer (later ones come as execution reports).
      const all = dec(applied.order.filledQuantity).eq(applied.trades.reduce((a, t) => a.add(dec(t.quantity)), ZERO));
      return this.result(applied.order, prep.view, false, applied.order.status === 'pending', all ? applied.trades : undefined);
    } finally {
      this.core.inFlight.delete(row.id);
    }
  }

  private async result(row: OrderRow, card: CardView | null, replayed: boolean, unknown: boolean, known?: readonly TradeRowT[]): Promise<PlaceResult> {
    const fills = known ?? (dec(row.filledQuantity).isZero() ? [] : await this.deps.db.select().from(trades).where(eq(trades.orderId, row.id)).orderBy(asc(trades.executedAt)));
    return { order: orderView(row), fills: fills.map(tradeView), card, replayed, outcomeUnknown: unknown, message: describe(row, fills.length, replayed, unknown) };
  }

  // =============================================================================================
  // Cancel and amend

  async cancelOrder(actor: Actor, orderId: string): Promise<{ order: OrderView; fills: TradeView[]; message: string }> {
    await requireRole(this.deps.db, actor, 'trader');
    const v = parseInput(cancelOrderShape, { orderId }, 'cancel request');
    const row = await this.ownedOrder(actor, v.orderId);
    if (isTerminalStatus(row.status)) {
      throw new AppError(ErrorCode.conflict, `the order is already ${row.status}; nothing to cancel`, 'list-orders shows your open orders', { order: orderView(row) });
    }
    const r = await this.core.cancelAtVenue(actor, row);
    await Promise.all([...this.shadowing]);
    await this.cancelShadowOf(row);
    const role = exitRoleOf(row);
    if (role && r.order.status === 'cancelled' && row.positionId) await this.exits.forgetCancelledExit(actor, row, role);
    const res = await this.result(r.order, null, false, false);
    if (r.order.status === 'filled') {
      throw new AppError(ErrorCode.conflict, 'the order filled before it could be cancelled', 'get-positions shows the result', { order: res.order });
    }
    return { order: res.order, fills: res.fills, message: res.message };
  }

  /**
   * How a live portfolio's orders fared against its paper shadow. Without a portfolio: the user's
   * only live portfolio (several → say which).
   */
  async getShadow(actor: Actor, input: unknown = {}): Promise<ShadowReport & { portfolioName: string }> {
    const v = parseInput(getShadowShape, input, 'shadow request');
    let id = v.portfolioId;
    if (!id) {
      const live = await this.deps.db.select({ id: portfolios.id, name: portfolios.name }).from(portfolios).where(and(eq(portfolios.userId, actor.userId), eq(portfolios.tradingMode, 'live')));
      if (live.length === 0) throw new AppError(ErrorCode.notFound, 'you have no live portfolio, so there is no shadow to compare', 'a live portfolio is created from the command line: mikey exchange add (your exchange keys), then mikey portfolio create --live --exchange-account ID --name NAME');
      if (live.length > 1) throw new AppError(ErrorCode.invalidInput, `you have ${live.length} live portfolios`, `say which by name (e.g. "live vs paper on ${live[0]!.name}") or give portfolioId: ${live.map((p) => `${p.id.slice(0, 8)} (${p.name})`).join(', ')}`);
      id = live[0]!.id;
    }
    const p = await this.deps.portfolios.resolvePortfolio(actor.userId, id);
    if (p.tradingMode !== 'live') throw new AppError(ErrorCode.invalidInput, `"${p.name}" is a paper portfolio; only live portfolios have a shadow`, 'give a live portfolio');
    const r = await shadowReport(this.deps.db, p.id, v.limit);
    if (!r) throw new AppError(ErrorCode.notFound, `"${p.name}" has no paper shadow`);
    return { ...r, portfolioName: p.name };
  }

  /** A cancelled live order's shadow twin is cancelled too (the shadow follows what the owner does). */
  private async cancelShadowOf(row: OrderRow): Promise<void> {
    try {
      const [twin] = await this.deps.db.select().from(orders).where(eq(orders.clientOrderId, shadowClientOrderId(row.id)));
      if (twin && !isTerminalStatus(twin.status)) await this.core.cancelAtVenue({ system: true, traceId: newTraceId() }, twin);
    } catch (err) {
      this.deps.logger.warn('the paper shadow could not follow a cancel', { liveOrderId: row.id, error: err });
    }
  }

  async amendOrder(actor: Actor, orderId: string, changes: unknown = {}): Promise<{ order: OrderView; message: string }> {
    await requireRole(this.deps.db, actor, 'trader');
    const v = parseInput(amendOrderShape, { ...(changes as object), orderId }, 'amend request');
    const row = await this.ownedOrder(actor, v.orderId);
    if (isTerminalStatus(row.status)) throw new AppError(ErrorCode.conflict, `the order is already ${row.status}; it cannot be changed`);
    if (isEmulated(row)) throw new AppError(ErrorCode.invalidInput, `this ${row.orderType.replace('_', ' ')} is emulated by MIKEY and cannot be amended`, 'cancel it and place a new one');
    if (isEngineWorked(row)) throw new AppError(ErrorCode.invalidInput, `a ${row.orderType} order cannot be amended`, 'cancel it and place a new one');
    const market = this.deps.markets.resolve(row.symbol);
    const price = decimalArg(v.price, 'price');
    const quantity = decimalArg(v.quantity, 'quantity');
    const stopPrice = decimalArg(v.stopPrice, 'stopPrice');
    if (!price && !quantity && !stopPrice) throw new AppError(ErrorCode.invalidInput, 'nothing to change', 'give price, quantity or stopPrice');
    const limitLike = row.orderType === 'limit' || row.orderType === 'stop_limit';
    const triggered = ['stop', 'stop_limit', 'take_profit', 'stop_loss'].includes(row.orderType);
    if (price && !limitLike) throw new AppError(ErrorCode.invalidInput, `a ${row.orderType} order has no limit price to change`, triggered ? 'change stopPrice instead' : undefined);
    if (stopPrice && !triggered) throw new AppError(ErrorCode.invalidInput, `a ${row.orderType} order has no trigger to change`, limitLike ? 'change price instead' : undefined);
    if (price) requireOnTick(price, market, 'price');
    if (stopPrice) requireOnTick(stopPrice, market, 'stopPrice');
    const filled = dec(row.filledQuantity);
    if (quantity) {
      if (exitRoleOf(row)) throw new AppError(ErrorCode.invalidInput, 'a stop-loss or take-profit follows its position; its size cannot be set by hand', 'change the position, or use set-take-profits');
      const q = checkQuantity(quantity, market);
      if (!q.ok) throw new AppError(ErrorCode.invalidInput, q.error.message);
      if (quantity.gt(dec(row.quantity))) throw new AppError(ErrorCode.invalidInput, `quantity can only be lowered (now ${toPlain(dec(row.quantity))})`, 'place a new order to trade more');
      if (quantity.lte(filled)) throw new AppError(ErrorCode.invalidInput, `quantity must stay above the ${toPlain(filled)} already filled`, 'cancel the order instead');
    }
    const now = this.deps.clock.now();
    const [p] = await this.deps.db.execute(sql`select taker_fee_rate::text as t from portfolios where id = ${row.portfolioId}`).then((r) => (r as { rows: Array<{ t: string }> }).rows);
    const updated = await withTransaction(this.deps.db, async (tx) => {
      const [cur] = await tx.select().from(orders).where(eq(orders.id, row.id)).for('update');
      if (!cur || isTerminalStatus(cur.status)) throw new AppError(ErrorCode.conflict, `the order is already ${cur?.status ?? 'gone'}; it cannot be changed`);
      const newQty = quantity ?? dec(cur.quantity);
      const remaining = newQty.sub(dec(cur.filledQuantity));
      const algo = { ...((cur.algoParams) ?? {}) };
      let want = num(cur.reservedAmount);
      if (cur.reservedAsset && !exitRoleOf(cur)) {
        const sellSpot = market.kind === 'spot' && cur.side === 'sell';
        if (sellSpot) want = remaining;
        else if (!(market.kind === 'perp' && cur.reduceOnly)) {
          const up = (d: Dec): Dec => d.div(market.tickSize).ceil().mul(market.tickSize);
          const refPrice = price ?? (limitLike ? dec(cur.price!) : up((stopPrice ?? dec(cur.stopPrice ?? cur.price ?? '0')).mul(ONE.add(fromBps(this.settings.slippageBufferBps)))));
          if (!limitLike && cur.side === 'buy') algo.protectionPrice = refPrice.toFixed();
          const r = reservationFor({ market, side: cur.side, quantity: remaining, takerFeeRate: dec(p!.t), limitPrice: refPrice, leverage: dec(cur.leverage) });
          if (!r.ok) throw new AppError(ErrorCode.invalidInput, r.error.message);
          want = q18up(r.value.amount);
        }
      }
      const have = num(cur.reservedAmount);
      if (!want.eq(have) && cur.reservedAsset) {
        const before = await lockBalances(tx, cur.portfolioId, [cur.reservedAsset]);
        const change = want.gt(have) ? reserve(before, cur.reservedAsset, want.sub(have), cur.id) : release(before, cur.reservedAsset, have.sub(want), cur.id);
        if (!change.ok) throw insufficient(change.error.message, change.error.details);
        await commitLedger(tx, cur.portfolioId, before, change.value.entries, { refType: 'order', refId: cur.id, traceId: actor.traceId, at: now });
      }
      const [u] = await tx
        .update(orders)
        .set({
          ...(price ? { price: price.toFixed() } : {}),
          ...(stopPrice ? { stopPrice: stopPrice.toFixed() } : {}),
          ...(quantity ? { quantity: quantity.toFixed() } : {}),
          reservedAmount: want.toFixed(),
          algoParams: Object.keys(algo).length > 0 ? algo : null,
          updatedAt: now,
        })
        .where(eq(orders.id, cur.id))
        .returning();
      if (exitRoleOf(cur) === 'stop_loss' && stopPrice && cur.positionId) {
        await tx.update(positions).set({ stopLoss: stopPrice.toFixed() }).where(eq(positions.id, cur.positionId));
      }
      await writeAudit(tx, actor, {
        action: 'order.amend',
        entityType: 'order',
        entityId: cur.id,
        oldValue: { price: cur.price, stopPrice: cur.stopPrice, quantity: cur.quantity },
        newValue: { price: u!.price, stopPrice: u!.stopPrice, quantity: u!.quantity },
      });
      return u!;
    });
    if (updated.status !== 'pending') {
      const algo = (updated.algoParams as { protectionPrice?: string } | null) ?? {};
      const r = await this.deps.broker.amend(
        { accountId: updated.portfolioId, clientOrderId: updated.clientOrderId, symbol: updated.symbol },
        {
          ...(quantity ? { quantity } : {}),
          ...(price ? { price } : !limitLike && algo.protectionPrice ? { price: dec(algo.protectionPrice) } : {}),
          ...(stopPrice ? { triggerPrice: stopPrice } : {}),
        },
      );
      if (r.status !== 'amended') {
        const synced = await this.core.reconcile({ system: true, traceId: actor.traceId }, updated, { resubmitIfMissing: false });
        throw new AppError(ErrorCode.conflict, `the venue did not take the change (${r.status === 'rejected' ? r.reason : r.status})`, 'get-order shows its current state', { order: orderView(synced.order) });
      }
    }
    const [now2] = await this.deps.db.select().from(orders).where(eq(orders.id, updated.id));
    return { order: orderView(now2 ?? updated), message: 'order amended' };
  }

  // =============================================================================================
  // Reads

  private async ownedOrder(actor: Actor, orderIdOrPrefix: string): Promise<OrderRow> {
    const orderId = await resolveIdPrefix(this.deps.db, { table: orders, id: orders.id, owned: eq(orders.userId, actor.userId), input: orderIdOrPrefix, noun: 'order', listedBy: 'list-orders' });
    const [row] = await this.deps.db.select().from(orders).where(and(eq(orders.id, orderId), eq(orders.userId, actor.userId)));
    if (!row) throw notFound('order', 'list-orders shows your orders');
    return row;
  }

  async getOrders(actor: Actor, filter: unknown = {}): Promise<{ portfolioId: string; orders: OrderView[] }> {
    const v = parseInput(listOrdersShape, filter, 'orders request');
    const p = await this.deps.portfolios.resolvePortfolio(actor.userId, v.portfolioId);
    const symbol = v.symbol ? this.deps.markets.resolve(v.symbol).symbol : undefined;
    const statuses =
      v.status === 'open' ? [...OPEN_STATUSES] : v.status === 'filled' ? ['filled' as const] : v.status === 'cancelled' ? ['cancelled' as const, 'rejected' as const, 'expired' as const] : undefined;
    const rows = await withActingUser(this.deps.db, actor.userId, (tx) =>
      tx
        .select()
        .from(orders)
        .where(and(eq(orders.portfolioId, p.id), eq(orders.userId, actor.userId), statuses ? inArray(orders.status, statuses) : undefined, symbol ? eq(orders.symbol, symbol) : undefined))
        .orderBy(desc(orders.createdAt), desc(orders.id))
        .limit(v.limit),
    );
    return { portfolioId: p.id, orders: rows.map(orderView) };
  }

  async getOrder(actor: Actor, orderId: string): Promise<{ order: OrderView; fills: TradeView[]; children: OrderView[] }> {
    const v = parseInput(getOrderShape, { orderId }, 'order request');
    const row = await this.ownedOrder(actor, v.orderId);
    const fills = await this.deps.db.select().from(trades).where(eq(trades.orderId, row.id)).orderBy(asc(trades.executedAt));
    const children = isEngineWorked(row) ? await this.deps.db.select().from(orders).where(eq(orders.parentOrderId, row.id)).orderBy(asc(orders.createdAt)) : [];
    const childFills = children.length > 0 ? await this.deps.db.select().from(trades).where(inArray(trades.orderId, children.map((c) => c.id))).orderBy(asc(trades.executedAt)) : [];
    return { order: orderView(row), fills: [...fills, ...childFills].map(tradeView), children: children.map(orderView) };
  }

  async getTrades(actor: Actor, filter: unknown = {}): Promise<{ portfolioId: string; trades: TradeView[] }> {
    const v = parseInput(getTradesShape, filter, 'trades request');
    const p = await this.deps.portfolios.resolvePortfolio(actor.userId, v.portfolioId);
    const symbol = v.symbol ? this.deps.markets.resolve(v.symbol).symbol : undefined;
    const rows = await withActingUser(this.deps.db, actor.userId, (tx) =>
      tx
        .select()
        .from(trades)
        .where(and(eq(trades.portfolioId, p.id), eq(trades.userId, actor.userId), symbol ? eq(trades.symbol, symbol) : undefined, v.since ? gte(trades.executedAt, new Date(v.since)) : undefined))
        .orderBy(desc(trades.executedAt), desc(trades.id))
        .limit(v.limit),
    );
    return { portfolioId: p.id, trades: rows.map(tradeView) };
  }

  /** The story of an order: the request, the card and risk checks it passed, its confirmation, fills and every change. */
  async explainOrder(actor: Actor, orderId: string): Promise<ExplainView> {
    const v = parseInput(explainOrderShape, { orderId }, 'explain request');
    const row = await this.ownedOrder(actor, v.orderId);
    const children = isEngineWorked(row) ? await this.deps.db.select().from(orders).where(eq(orders.parentOrderId, row.id)) : [];
    const ids = [row.id, ...children.map((c) => c.id)];
    const trail = (await Promise.all(ids.map((id) => auditTrail(this.deps.db, 'order', id)))).flat().sort((a, b) => toDate(a.createdAt).getTime() - toDate(b.createdAt).getTime());
    const fills = await this.deps.db.select().from(trades).where(inArray(trades.orderId, ids)).orderBy(asc(trades.executedAt));
    const [token] = await this.deps.db.select().from(confirmationTokens).where(eq(confirmationTokens.orderId, row.id));
    const [pos] = row.positionId ? await this.deps.db.select().from(positions).where(eq(positions.id, row.positionId)) : [];
    const placed = trail.find((a) => a.action === 'order.place' && a.entityId === row.id);
    const placedValue = (placed?.newValue ?? {}) as { request?: unknown; card?: CardView };
    const meta = (placed?.metadata ?? {}) as { context?: OrderContext; confirmed?: string; surface?: string };
    const snapshot = (row.policySnapshot ?? {}) as { riskChecks?: RiskCheck[]; quote?: unknown };
    const view = orderView(row);
    const when = toDate(row.createdAt).toISOString().slice(0, 16).replace('T', ' ');
    const checks = snapshot.riskChecks ?? [];
    const signal = row.signalEventId ? await this.whaleMove(row.userId, row.signalEventId, meta.context) : null;
    const agentDecision = row.signalId ? await agentDecisionOf(this.deps.db, row.userId, row.signalId) : null;
    const summary =
      `${row.side === 'buy' ? 'Buy' : 'Sell'} ${view.quantity} ${row.symbol} (${row.orderType}) placed ${when} UTC from ${meta.surface ?? row.source ?? 'unknown'}` +
      `${meta.context?.reason ? ` because: ${meta.context.reason}` : ''}; ` +
      `${meta.confirmed === 'token' ? 'confirmed by the user on a trade card' : meta.confirmed === 'auto' ? 'auto-confirmed (paper portfolio set to auto-confirm)' : 'system order'}; ` +
      `${checks.length} risk check${checks.length === 1 ? '' : 's'} ${checks.every((c) => c.passed) ? 'passed' : 'with failures'}; ` +
      `now ${row.status}${dec(row.filledQuantity).gt(0) ? `, ${view.filledQuantity} filled at ${view.averageFillPrice}` : ''}.`;
    return {
      order: view,
      summary,
      request: placedValue.request ?? null,
      card: placedValue.card ?? null,
      riskChecks: checks,
      marketAtPlacement: snapshot.quote ?? null,
      confirmation: token ? { method: 'token', issuedAt: toDate(token.createdAt).toISOString(), confirmedAt: token.usedAt ? toDate(token.usedAt).toISOString() : null } : { method: meta.confirmed ?? 'system' },
      context: meta.context ?? null,
      signal,
      agentDecision,
      fills: fills.map(tradeView),
      position: pos ? positionView(pos) : null,
      timeline: trail.map((a) => ({
        at: toDate(a.createdAt).toISOString(),
        action: a.action,
        actor: a.actorType,
        surface: ((a.metadata ?? {}) as { surface?: string }).surface ?? null,
        traceId: a.traceId,
        detail: a.newValue ?? null,
      })),
    };
  }

  /** The whale move a bot's order was placed on, with a line for a person; null when the event is gone. */
  private async whaleMove(userId: string, eventId: string, context: OrderContext | undefined): Promise<WhaleMoveView | null> {
    const [e] = await this.deps.db
      .select({
        walletId: onchainEvents.walletId, occurredAt: onchainEvents.occurredAt, eventType: onchainEvents.eventType, asset: onchainEvents.asset,
        amount: onchainEvents.amount, notionalUsd: onchainEvents.notionalUsd, address: wallets.address, walletLabel: wallets.label,
        watchLabel: walletWatches.label, classification: eventAnalyses.llmClassification,
      })
      .from(onchainEvents)
      .leftJoin(wallets, eq(wallets.id, onchainEvents.walletId))
      .leftJoin(walletWatches, and(eq(walletWatches.walletId, onchainEvents.walletId), eq(walletWatches.userId, userId)))
      .leftJoin(eventAnalyses, eq(eventAnalyses.eventId, onchainEvents.id))
      .where(eq(onchainEvents.id, eventId))
      .limit(1);
    if (!e) return null;
    const clean = (t: string | null): string | null => (t ? t.replace(/\p{Cc}/gu, ' ').trim() || null : null);
    const label = clean(e.watchLabel) ?? clean(e.walletLabel);
    const who = e.address ? (label ? `${label} (${shortAddress(e.address)})` : shortAddress(e.address)) : 'an unknown wallet';
    const what = clean(e.classification) ?? e.eventType;
    const amount = e.amount ? `${toPlain(dec(e.amount))}${e.asset ? ` ${e.asset}` : ''}` : (e.asset ?? '');
    const usd = e.notionalUsd ? `$${toPlain(dec(e.notionalUsd).toDecimalPlaces(0))}` : null;
    const size = [amount, usd ? (amount ? `(${usd})` : usd) : ''].filter(Boolean).join(' ');
    const at = toDate(e.occurredAt).toISOString().slice(0, 16).replace('T', ' ');
    const bot = /^bot (.+) \([0-9a-f]{8}\)$/.exec(context?.reason ?? '')?.[1];
    const detail = `${what}${size ? ` ${size}` : ''} at ${at} UTC`;
    const line = `Placed by ${bot ? `bot ${bot}` : 'a bot'} on a whale move: ${who} ${detail}.`;
    return {
      bot: bot ?? null, detail,
      eventId, walletId: e.walletId ?? context?.signalWalletId ?? null, address: e.address, label, classification: clean(e.classification), eventType: e.eventType,
      asset: e.asset, amount: e.amount ? toPlain(dec(e.amount)) : null, notionalUsd: e.notionalUsd ? toPlain(dec(e.notionalUsd)) : null, at: toDate(e.occurredAt).toISOString(), line,
    };
  }

  // =============================================================================================
  // Positions: close, close all, exits — done by position-exits.ts.

  /** Closes all or part of a position with a reduce-only market order (confirmation as for any order). */
  closePosition(actor: Actor, input: unknown, context: OrderContext = {}): Promise<PlaceResult> {
    return this.exits.closePosition(actor, input, context);
  }

  /** Panic button: cancels every open order of the portfolio and closes every position at market. */
  closeAllPositions(actor: Actor, input: unknown = {}, context: OrderContext = {}): Promise<CloseAllResult> {
    return this.exits.closeAllPositions(actor, input, context);
  }

  /** Sets (or with "off" removes) the stop-loss of an open position; a stop order covers the whole position. */
  setStopLoss(actor: Actor, input: unknown): Promise<{ position: PositionView; exitOrders: OrderView[]; message: string }> {
    return this.exits.setStopLoss(actor, input);
  }

  /** Replaces the take-profit targets of an open position (an empty list removes them). */
  setTakeProfits(actor: Actor, input: unknown): Promise<{ position: PositionView; exitOrders: OrderView[]; message: string }> {
    return this.exits.setTakeProfits(actor, input);
  }

  /** Cancels resting orders that could open or grow positions (used by the kill switch). */
  cancelOpeningOrders(actor: Actor, portfolioIds: readonly string[]): Promise<number> {
    return this.exits.cancelOpeningOrders(actor, portfolioIds);
  }

  // =============================================================================================
  // Engine work, done by the parts the service is built from: execution reports and recovery
  // (recovery.ts), TWAP/VWAP slices (algo-orders.ts), funding (funding.ts), liquidations and marks
  // (liquidations.ts).

  /** Applies a report pushed by the venue (resting orders filling, triggering, trailing, expiring). */
  handleExecution(report: ExecutionReport): Promise<void> {
    return this.recovery.handleExecution(report);
  }

  /** Resolves when every execution report received so far has been applied. */
  async idle(): Promise<void> {
    while (this.shadowing.size > 0) await Promise.all([...this.shadowing]);
    await this.recovery.idle();
  }

  /**
   * After a start or a crash: hands a simulated venue the resting orders it held, then settles every
   * order left `pending` (sent or about to be sent when the process stopped) by looking it up.
   */
  recover(): Promise<{ restored: number; reconciled: number }> {
    return this.recovery.recover();
  }

  /**
   * Orders stuck in `pending` (unknown outcome) that no request of this process is working on and
   * that are at least `minAgeMs` old (another process may still be placing a younger one).
   */
  reconcilePending(minAgeMs?: number): Promise<number> {
    return this.recovery.reconcilePending(minAgeMs);
  }

  /** Releases every TWAP/VWAP slice that is due (one parent, or all). */
  releaseDueSlices(parentId?: string): Promise<number> {
    return this.algos.releaseDueSlices(parentId);
  }

  /**
   * Works the orders MIKEY emulates for live venues without a native form of them (trailing stops):
   * each trail follows the price, and one crossed releases its market order. Returns children released.
   */
  workEmulatedOrders(parentId?: string): Promise<number> {
    return this.emulated.work(parentId);
  }

  /**
   * Funding for perpetual positions (paper): once per interval boundary, for every position open at
   * it. Idempotent per (position, interval): the ledger entry's reference names both.
   */
  runFunding(now: Date = this.deps.clock.now()): Promise<number> {
    return this.funding.run(now);
  }

  /** Liquidates paper perpetual positions of `symbol` whose liquidation price the mark has crossed. */
  checkLiquidations(symbol: string, quote?: PriceQuote): Promise<number> {
    return this.liquidations.checkLiquidations(symbol, quote);
  }

  /** Writes the latest marks (and worst drawdown) to open positions of `symbols`. */
  markToMarket(symbols?: readonly string[]): Promise<void> {
    return this.liquidations.markToMarket(symbols);
  }

  /** Symbols of open paper perpetual positions (for the liquidation watch). */
  perpSymbols(): Promise<string[]> {
    return this.liquidations.perpSymbols();
  }
}

export interface ExplainView {
  order: OrderView;
  summary: string;
  request: unknown;
  card: CardView | null;
  riskChecks: RiskCheck[];
  marketAtPlacement: unknown;
  confirmation: { method: string; issuedAt?: string; confirmedAt?: string | null };
  context: OrderContext | null;
  /** The whale move a bot's order was placed on (`signal_event_id`); null for every other order. */
  signal: WhaleMoveView | null;
  /** The agent decision a bot's order was placed on (`signal_id`), with its line for a person; null for every other order. */
  agentDecision: AgentDecisionView | null;
  fills: TradeView[];
  position: PositionView | null;
  timeline: Array<{ at: string; action: string; actor: string; surface: string | null; traceId: string; detail: unknown }>;
}

export interface WhaleMoveView {
  eventId: string;
  walletId: string | null;
  address: string | null;
  label: string | null;
  classification: string | null;
  eventType: string;
  asset: string | null;
  amount: string | null;
  notionalUsd: string | null;
  at: string;
  /** The bot's name as its owner typed it (user text), when the order names one. */
  bot: string | null;
  /** What the wallet did, its size and when, e.g. "accumulation 5 WBTC ($300000) at 2025-03-03 14:10 UTC" (no user text). */
  detail: string;
  /** "Placed by bot … on a whale move: …" for a person (user text unmarked: tools mark `bot` and `label`). */
  line: string;
}

/** The row an insert of `v` created (every column the insert left out has its default). */
function insertedOrder(v: typeof orders.$inferInsert): OrderRow {
  return {
    exchangeOrderId: null, parentOrderId: null, positionId: null, strategyId: null, signalId: null, signalEventId: null, exchange: null,
    trailReferencePrice: null, filledQuantity: '0', averageFillPrice: null, fee: '0', feeAsset: null, rejectReason: null, submittedAt: null,
    executedAt: null, cancelledAt: null, expiresAt: null, quoteQuantity: null, price: null, stopPrice: null, trailingAmount: null, trailingPercent: null,
    stopLoss: null, takeProfits: null, algoParams: null, policySnapshot: null, requestHash: null, source: null, reservedAsset: null, reservedAmount: '0',
    status: 'pending', timeInForce: 'gtc', leverage: '1', reduceOnly: false, postOnly: false,
    ...(v as Partial<OrderRow>),
  } as OrderRow;
}

function describe(row: OrderRow, fills: number, replayed: boolean, unknown: boolean): string {
  const qty = dec(row.quantity).toFixed();
  const filled = dec(row.filledQuantity);
  const base = row.symbol.split(/[/-]/)[0];
  const avg = row.averageFillPrice ? dec(row.averageFillPrice).toDecimalPlaces(8).toFixed() : null;
  const prefix = replayed ? 'Already placed (same clientOrderId): ' : '';
  if (unknown) return `${prefix}the venue did not answer in time; the order is pending and MIKEY will settle it by looking it up — do not place it again`;
  switch (row.status) {
    case 'filled':
      return `${prefix}${row.side === 'buy' ? 'Bought' : 'Sold'} ${filled.toFixed()} ${base} at ${avg} in ${fills} fill${fills === 1 ? '' : 's'} (fee ${dec(row.fee).toDecimalPlaces(8).toFixed()} ${row.feeAsset ?? ''})`.trim();
    case 'partially_filled':
      return `${prefix}${filled.toFixed()} of ${qty} ${base} filled at ${avg}; the rest is working`;
    case 'open':
      return `${prefix}${row.orderType} ${row.side} ${qty} ${base} is working${row.price ? ` at ${dec(row.price).toFixed()}` : ''}${row.stopPrice ? ` (trigger ${dec(row.stopPrice).toFixed()})` : ''}`;
    case 'cancelled':
    case 'expired':
      return filled.gt(0)
        ? `${prefix}${filled.toFixed()} of ${qty} ${base} filled at ${avg}; the rest was ${row.status}${row.rejectReason ? ` (${row.rejectReason})` : ''}`
        : `${prefix}${row.orderType} ${row.side} ${qty} ${base} ${row.status}, nothing filled${row.rejectReason ? ` (${row.rejectReason})` : ''}`;
    case 'rejected':
      return `${prefix}rejected: ${row.rejectReason ?? 'no reason given'}`;
    default:
      return `${prefix}order ${row.status}`;
  }
}
