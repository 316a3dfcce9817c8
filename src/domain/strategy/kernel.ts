// The strategy kernel: what a strategy is, what it sees and what it may ask for. The same kernel
// drives a backtest, a paper portfolio and a live one, so a backtest is an honest preview of a bot.
//
// Terms:
// - A *closed candle* is a bar whose interval has ended; a strategy sees only closed candles.
// - An *intent* is an order the strategy asks for; the runner (backtester, bot) decides whether and
//   how it fills. Decisions made on candle t's close can fill from candle t + 1 on, never earlier.
// - A *tag* is the strategy's own label for an order (its client tag); fills and open orders carry it
//   back, and cancels name it.
//
// No look-ahead by construction: the strategy gets a `CandleWindow` over candles 0..t that holds the
// candle array in a private field (referenced, never copied), refuses any index beyond t, and hands
// out frozen copies of candles, so history cannot be rewritten either.
import { z } from 'zod';
import type { Dec } from '../money.js';
import type { OrderSide } from '../order.js';
import type { Candle } from '../ports.js';
import { DomainErrorCode, fail, ok, type Result } from '../result.js';

/** Order types a strategy may ask for: market, limit (rests at `price`), stop (market once `triggerPrice` trades). */
export const IntentType = { market: 'market', limit: 'limit', stop: 'stop' } as const;
export type IntentType = (typeof IntentType)[keyof typeof IntentType];

/**
 * An order a strategy asks for. Exactly one size: `quantity` in the base asset, or `quoteAmount`, the
 * most the order may spend (buy, fee included) or the value it sells, in the quote asset.
 */
export interface OrderIntent {
  side: OrderSide;
  type: IntentType;
  quantity?: Dec;
  quoteAmount?: Dec;
  /** Limit price (limit orders only). */
  price?: Dec;
  /** Trigger price (stop orders only). */
  triggerPrice?: Dec;
  tag?: string;
  /** The stored whale move that caused the order (its strongest one), recorded on the bot's order; backtests ignore it. */
  signal?: { eventId: string; walletId: string };
  /** The stored agent decision (`trading_signals` id) that caused the order, recorded on the bot's order; backtests ignore it. */
  agentSignalId?: string;
  /** The leg (a `LegSpec.id` the strategy declared) the order is for; absent = the primary market. */
  leg?: string;
}

/** What a strategy returns for one closed candle. Cancels (by tag) apply before new orders. */
export interface StrategyDecision {
  orders?: readonly OrderIntent[];
  cancelTags?: readonly string[];
  notes?: readonly string[];
}

/** The decision to do nothing, one frozen object shared by every candle that has nothing to do. */
export const NO_DECISION: StrategyDecision = Object.freeze({});

/** An order the strategy placed that is still working. */
export interface OpenOrderView {
  readonly id: string;
  readonly side: OrderSide;
  readonly type: IntentType;
  readonly quantity?: Dec;
  readonly quoteAmount?: Dec;
  readonly price?: Dec;
  readonly triggerPrice?: Dec;
  readonly tag?: string;
}

/** A fill of one of the strategy's orders. */
export interface FillView {
  readonly orderId: string;
  readonly side: OrderSide;
  readonly price: Dec;
  readonly quantity: Dec;
  readonly fee: Dec;
  readonly tag?: string;
}

/** The portfolio as the strategy sees it (read-only, frozen). */
export interface PortfolioView {
  /** Free quote-asset cash. */
  readonly cash: Dec;
  /** Base-asset quantity held (spot, long only). */
  readonly position: Dec;
  /** Average cost per unit held, buy fees included; null when flat. */
  readonly averageCost: Dec | null;
  readonly openOrders: readonly OpenOrderView[];
  /** Fills since the previous decision (during the candle that just closed). */
  readonly newFills: readonly FillView[];
}

/**
 * An extra market a strategy trades beside its primary one (the market the run is asked for). A
 * strategy declares its legs from its parameters (`Strategy.legs`); the runner resolves each to a
 * market, loads its closed candles aligned to the primary's candle times and keeps a position per leg.
 * - `asset`: the base asset or a symbol naming it ("ETH", "ETH/USDT"); null = the primary's base.
 * - `kind`: spot (long only, bought with cash) or perp (long or short, margin = notional / leverage).
 * - `funding`: the strategy wants the leg's latest funding rate in its view (perp legs only).
 */
export interface LegSpec {
  readonly id: string;
  readonly asset: string | null;
  readonly kind: 'spot' | 'perp';
  /** Perp legs: leverage (margin = notional / leverage); 1 when absent. */
  readonly leverage?: number;
  readonly funding?: boolean;
}

/**
 * One leg of the portfolio as the strategy sees it. `position` is signed on a perp leg (negative =
 * short) and never negative on a spot leg. `entryPrice` is the average entry (fees excluded), null
 * when flat. `margin` is the cash locked by a perp position (zero on spot); `fundingPaid` the net
 * funding paid (+) or received (−) since the run began. `fundingRate`, when the strategy asked for
 * it, is the rate per funding interval paid at the last funding time at or before the last closed
 * candle's close (null before the first), with the interval length beside it.
 */
export interface LegView {
  readonly kind: 'spot' | 'perp';
  readonly position: Dec;
  readonly entryPrice: Dec | null;
  readonly margin: Dec;
  readonly fundingPaid: Dec;
  readonly openOrders: readonly OpenOrderView[];
  readonly newFills: readonly FillView[];
  readonly fundingRate?: Dec | null;
  readonly fundingIntervalMs?: number;
}

/** A closed candle as a strategy sees it: frozen, decimals included. */
export type ClosedCandle = Readonly<Candle>;

/**
 * The closed candles 0..t, oldest first. `at(i)` and `ago(n)` refuse anything beyond the last closed
 * candle; the underlying array is held in a private field, so there is nothing else to reach.
 */
export class CandleWindow {
  readonly #candles: readonly Candle[];
  readonly #length: number;
  readonly #closes: Float64Array | undefined;

  /**
   * A window over `candles[0..lastClosed]`; the array is referenced, not copied. `closes`, when given,
   * holds `close.toNumber()` of candles 0..lastClosed (at least), so `lastClose` and `closes` read
   * them instead of converting again (a backtest converts each close once).
   */
  constructor(candles: readonly Candle[], lastClosed: number, closes?: Float64Array) {
    if (!Number.isInteger(lastClosed) || lastClosed < 0 || lastClosed >= candles.length) {
      throw new RangeError(`lastClosed must be an index of the candle array (0..${candles.length - 1}), got ${String(lastClosed)}`);
    }
    this.#candles = candles;
    this.#length = lastClosed + 1;
    this.#closes = closes;
    Object.freeze(this);
  }

  /** Number of closed candles visible. */
  get length(): number {
    return this.#length;
  }

  /** Candle `i` (0 = oldest). Throws for an index beyond the last closed candle: the future is not there. */
  at(i: number): ClosedCandle {
    if (!Number.isInteger(i) || i < 0 || i >= this.#length) {
      throw new RangeError(`candle ${String(i)} is not a closed candle of this window (0..${this.#length - 1}); a strategy sees closed candles only`);
    }
    return closedCandle(this.#candles[i]!);
  }

  /** The candle `n` candles before the last closed one (0 = the last closed), or undefined before the start. */
  ago(n: number): ClosedCandle | undefined {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`ago() takes a whole number of candles back (0 or more), got ${String(n)}`);
    const i = this.#length - 1 - n;
    return i >= 0 ? closedCandle(this.#candles[i]!) : undefined;
  }

  /** The last closed candle. */
  last(): ClosedCandle {
    return closedCandle(this.#candles[this.#length - 1]!);
  }

  /** The last closed candle's close as a number, for indicators (no candle copy is made). */
  lastClose(): number {
    return this.#closes !== undefined ? this.#closes[this.#length - 1]! : this.#candles[this.#length - 1]!.close.toNumber();
  }

  /** Closes of the last `count` closed candles (fewer near the start), oldest first, as numbers for indicators. */
  closes(count: number): Float64Array {
    const n = Math.min(Math.max(0, Math.floor(count)), this.#length);
    const out = new Float64Array(n);
    if (this.#closes !== undefined) out.set(this.#closes.subarray(this.#length - n, this.#length));
    else for (let k = 0; k < n; k++) out[k] = this.#candles[this.#length - n + k]!.close.toNumber();
    return out;
  }
}

function freezeDecimal(d: Dec | undefined): void {
  if (d === undefined || Object.isFrozen(d)) return;
  Object.freeze((d as unknown as { d?: unknown }).d);
  Object.freeze(d);
}

/**
 * A candle as handed to a strategy: a frozen copy with its own `openTime` (a Date cannot be frozen),
 * sharing the decimals, which are frozen in place (decimal.js never changes a value it has made).
 */
export function closedCandle(candle: Candle): ClosedCandle {
  for (const value of [candle.open, candle.high, candle.low, candle.close, candle.volume, candle.vwap]) freezeDecimal(value);
  return Object.freeze({ ...candle, openTime: new Date(candle.openTime.getTime()) });
}

/** Credibility windows a wallet is scored over (src/domain/wallets/credibility.ts). */
export type SignalCredibilityWindow = '1h' | '4h' | '24h';

/**
 * A watched wallet's move in the strategy's asset, as the wallet-intelligence analysis read it: one
 * stored, non-retracted on-chain event with its analysis. `credibility` is the wallet's score (0–10)
 * per window from the latest score at or before `at` (null without one); `confidence` is the
 * analysis's (0–1), null when it gave none.
 */
export interface WhaleSignal {
  readonly eventId: string;
  readonly walletId: string;
  /** When the event happened (block time). */
  readonly at: Date;
  /** From the sign of the analysis's bias impact: buy (bullish) or sell (bearish). */
  readonly direction: OrderSide;
  readonly notionalUsd: Dec;
  readonly credibility: Readonly<Record<SignalCredibilityWindow, number | null>>;
  readonly confidence: number | null;
}

/** Side streams a strategy may ask for beside the candles. */
export const SideStream = { whaleSignals: 'whale_signals', agentDecisions: 'agent_decisions' } as const;
export type SideStream = (typeof SideStream)[keyof typeof SideStream];

export interface StrategyInput<P, S> {
  readonly params: P;
  /** The strategy's own state, made by `init` and changed only by the strategy. */
  readonly state: S;
  readonly candles: CandleWindow;
  readonly portfolio: PortfolioView;
  /**
   * For a strategy that asks for the whale-signal stream: the signals that happened inside the last
   * closed candle (open time ≤ at < close time), oldest first, frozen. The runner hands out only
   * that candle's bucket (`signalsByCandle`), so a later signal cannot be reached.
   */
  readonly signals?: readonly WhaleSignal[];
  /**
   * For a strategy that asks for the agent-decision stream: the agent's decision on the last closed
   * candle, made by the runner from data up to that candle's close (never later); absent in a backtest.
   */
  readonly decision?: AgentDecision;
  /**
   * For a strategy that declares legs: each leg's closed candles, by leg id, over the same candle
   * times as `candles` (the leg's candle t closes when the primary's does; nothing later is there).
   */
  readonly legCandles?: Readonly<Record<string, CandleWindow>>;
  /** For a strategy that declares legs: each leg's position, by leg id (cash is `portfolio.cash`). */
  readonly legs?: Readonly<Record<string, LegView>>;
}

/** What an agent decided on one closed candle (src/services/bots/agent-decider.ts makes it). */
export interface AgentDecision {
  readonly direction: 'buy' | 'sell' | 'hold';
  /** 0–1. */
  readonly confidence: number;
  /** The stored `trading_signals` row holding the decision, when there is one. */
  readonly signalId?: string;
}

/**
 * A strategy: pure, synchronous code called once per closed candle, in order. It keeps what it needs
 * between candles in its own state (made by `init`); it never sees the clock, the network or a
 * candle that has not closed.
 */
export interface Strategy<P, S> {
  readonly kind: string;
  /** One line on what it does, for menus and reports. */
  readonly summary: string;
  /** Parameters with defaults and bounds; unknown parameters are refused. */
  readonly params: z.ZodType<P, z.ZodTypeDef, unknown>;
  /** A side stream the runner must load and hand over per candle (`StrategyInput.signals`). */
  readonly sideStream?: SideStream;
  /** Extra markets the strategy trades, from its parameters (see `LegSpec`); none when absent. */
  legs?(params: P): readonly LegSpec[];
  init(params: P): S;
  onCandle(input: StrategyInput<P, S>): StrategyDecision;
}

function describeIssue(issue: z.ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    const many = issue.keys.length > 1;
    return `unknown parameter${many ? 's' : ''} ${issue.keys.map((k) => `"${k.slice(0, 40)}"`).join(', ')}`;
  }
  return `${issue.path.length > 0 ? issue.path.join('.') : 'parameters'}: ${issue.message}`;
}

/** Validates untrusted parameters for a strategy, naming every problem and the parameters it knows. */
export function parseStrategyParams<P, S>(strategy: Strategy<P, S>, raw: unknown): Result<P> {
  const parsed = strategy.params.safeParse(raw ?? {});
  if (parsed.success) return ok(Object.freeze(parsed.data));
  const problems = parsed.error.issues.map(describeIssue);
  const known = knownParams(strategy);
  const hint = known.length > 0 ? `; ${strategy.kind} takes ${known.join(', ')}` : '';
  return fail(DomainErrorCode.invalidInput, `invalid ${strategy.kind} parameters: ${problems.join('; ')}${hint}`, { issues: problems });
}

/** Parameter names of a strategy (its zod object's keys, through refinements). */
export function knownParams<P, S>(strategy: Strategy<P, S>): string[] {
  let schema: z.ZodTypeAny = strategy.params;
  while (schema instanceof z.ZodEffects) schema = schema.innerType();
  return schema instanceof z.ZodObject ? Object.keys(schema.shape as Record<string, unknown>) : [];
}

/**
 * `raw` with each name that matches one of the strategy's parameters but for case, "_", "-" or spaces
 * renamed to it ("atr_multiplier", "ATRMultiplier" → "atrMultiplier"); other names are left for the
 * strategy to refuse.
 */
export function withKnownParamNames<V, P, S>(strategy: Strategy<P, S>, raw: Readonly<Record<string, V>>): Record<string, V> {
  const fold = (name: string): string => name.toLowerCase().replace(/[\s_-]+/g, '');
  const exact = new Set(knownParams(strategy));
  const byFold = new Map([...exact].map((k) => [fold(k), k]));
  const out: Record<string, V> = {};
  for (const [name, value] of Object.entries(raw)) {
    const canonical = exact.has(name) ? name : (byFold.get(fold(name)) ?? name);
    // A parameter given twice ("fast" and "FAST"): the other spelling stays as written, for the strategy to refuse.
    out[canonical !== name && Object.hasOwn(raw, canonical) ? name : canonical] = value;
  }
  return out;
}

/** Checks an intent's shape; returns what is wrong, or null when it is well formed. */
export function intentProblem(intent: OrderIntent): string | null {
  const sized = (intent.quantity !== undefined ? 1 : 0) + (intent.quoteAmount !== undefined ? 1 : 0);
  if (sized !== 1) return 'give exactly one of quantity (base) and quoteAmount (quote)';
  const size = intent.quantity ?? intent.quoteAmount!;
  if (!size.isFinite() || size.lte(0)) return `the size must be greater than zero, got ${size.toFixed()}`;
  if (intent.type === 'limit') {
    if (intent.price === undefined || !intent.price.isFinite() || intent.price.lte(0)) return 'a limit order needs a price above zero';
    if (intent.triggerPrice !== undefined) return 'a limit order takes no trigger price';
  } else if (intent.type === 'stop') {
    if (intent.triggerPrice === undefined || !intent.triggerPrice.isFinite() || intent.triggerPrice.lte(0)) return 'a stop order needs a trigger price above zero';
    if (intent.price !== undefined) return 'a stop order takes no limit price';
  } else if (intent.type === 'market') {
    if (intent.price !== undefined || intent.triggerPrice !== undefined) return 'a market order takes no price or trigger price';
  } else {
    return `unknown order type ${String(intent.type)}; use market, limit or stop`;
  }
  return null;
}

const NO_SIGNALS: readonly WhaleSignal[] = Object.freeze([]);

/**
 * Splits signals by the candle they happened in: bucket i holds those with candle i's open time ≤ at
 * < its open time + `intervalMs`, oldest first, frozen. Signals outside every candle are dropped.
 * Candles must be in time order. Shared by the backtester and the bot runner, so both hand a strategy
 * the same signals on the same candle.
 */
export function signalsByCandle(signals: readonly WhaleSignal[], candleOpenTimes: readonly number[], intervalMs: number): ReadonlyArray<readonly WhaleSignal[]> {
  const buckets: WhaleSignal[][] = candleOpenTimes.map(() => []);
  const sorted = [...signals].sort((a, b) => a.at.getTime() - b.at.getTime() || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
  let i = 0;
  for (const s of sorted) {
    const at = s.at.getTime();
    while (i < candleOpenTimes.length && at >= candleOpenTimes[i]! + intervalMs) i++;
    if (i >= candleOpenTimes.length) break;
    if (at < candleOpenTimes[i]!) continue;
    buckets[i]!.push(Object.freeze({ ...s, at: new Date(at), credibility: Object.freeze({ ...s.credibility }) }));
  }
  return buckets.map((b) => (b.length === 0 ? NO_SIGNALS : Object.freeze(b)));
}
