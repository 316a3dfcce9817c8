/**
 * Whale following: buys when credible watched wallets move into the asset and sells when they move
 * out, when the trade has gone against it, when it has made its target, or when it has been held
 * long enough. Its input beside the candles is the whale-signal side stream (kernel.ts `WhaleSignal`):
 * on each closed candle, the stored wallet events in the market's base asset that happened inside that
 * candle, each with its direction (the sign of the analysis's bias impact), USD notional, the
 * wallet's credibility per window from its latest score at or before the event, and the analysis's
 * confidence. The runner hands over only the last closed candle's signals, so nothing later is seen.
 *
 * A signal *qualifies* when the wallet's credibility for `credibilityWindow` is known and at least
 * `minCredibility`, and its notional is at least `minNotionalUsd`. Its weighted flow is
 *   ± notionalUsd × credibility / 10 × confidence   (+ buy, − sell; a missing confidence counts as 1),
 * and the *net flow* is the sum over the qualifying signals of the last `lookback` candles.
 *
 * Flat, no buy working and net flow ≥ `entryFlowUsd`: a market buy of `quoteAmount` (fee included;
 * the free cash when less). Holding, with no sell working, it sells everything at market on the first
 * of: the close `stopLossPercent` or more below the average cost; the close `takeProfitPercent` or more
 * above it; with `exitOnOpposite`, net flow ≤ −`entryFlowUsd`; `maxBarsHeld` candles since the buy
 * filled. Exits are judged on closes and fill at the next open (no resting orders), so one exit
 * cannot double another. Every order clears the flow history, so a move is acted on once. An entry
 * names its cause: the strongest qualifying buy move in the net flow (`OrderIntent.signal`), which a
 * bot's order records.
 *
 * Parameters: minCredibility (0–10, default 5), minNotionalUsd (default 100000), credibilityWindow
 * (1h | 4h | 24h, default 4h), lookback (1–500 candles, default 1), entryFlowUsd (default 250000),
 * quoteAmount (default 1000), exitOnOpposite (default true), stopLossPercent (0–99, default 5),
 * takeProfitPercent (0–1000, default 10), maxBarsHeld (1–10000 candles, default 48).
 *
 * When it loses: it buys after the whale, at the next open, so it pays for whatever move the whale's
 * order already caused, and it is the exit liquidity when the whale was distributing into the buyers
 * it attracted. Wallet events are noisy evidence of intent: a transfer to an exchange is not always a
 * sale, a hedge elsewhere is invisible, and credibility is a past hit rate that may not persist. Exits
 * on closes give back more than a resting stop on a gap or a fast fall. In a backtest, events the
 * wallet pipeline did not store (wallets watched later, chains not ingested) are simply absent, so a
 * quiet stretch of history may only mean nobody was watching. A bot decides each candle once, at its
 * close, on the events stored by then: an event ingested late is seen by a later backtest but never by
 * the bot that already decided that candle, so a backtest can look better than the bot it previews.
 */
import { z } from 'zod';
import { D, minDec, sumDec, ZERO, type Dec } from '../money.js';
import { SideStream, type SignalCredibilityWindow, type Strategy, type WhaleSignal } from './kernel.js';
import { countParam, decimalParam } from './params.js';

const WINDOWS: readonly [SignalCredibilityWindow, ...SignalCredibilityWindow[]] = ['1h', '4h', '24h'];

export const whaleFollowingParams = z
  .object({
    minCredibility: z
      .number({ invalid_type_error: 'minCredibility must be a number from 0 to 10' })
      .min(0, 'minCredibility must be at least 0')
      .max(10, 'minCredibility must be at most 10')
      .default(5)
      .describe('Least credibility (0–10) a wallet needs for its moves to count'),
    minNotionalUsd: decimalParam('minNotionalUsd', { max: '1000000000000', describe: 'Least USD value a move needs to count' }).default('100000'),
    credibilityWindow: z
      .enum(WINDOWS, { errorMap: () => ({ message: 'credibilityWindow must be 1h, 4h or 24h' }) })
      .default('4h')
      .describe('Which of the wallet\'s credibility scores (over 1h, 4h or 24h) is used'),
    lookback: countParam('lookback', 1, 500, 'Candles whose moves the net flow sums').default(1),
    entryFlowUsd: decimalParam('entryFlowUsd', { max: '1000000000000', describe: 'Buy when the credibility-weighted net flow (USD) is at least this' }).default('250000'),
    quoteAmount: decimalParam('quoteAmount', { max: '1000000000000', describe: 'Quote amount an entry spends, fee included (the position size)' }).default('1000'),
    exitOnOpposite: z.boolean({ invalid_type_error: 'exitOnOpposite must be true or false' }).default(true).describe('Sell when the net flow reaches the entry threshold the other way'),
    stopLossPercent: decimalParam('stopLossPercent', { max: '99', describe: 'Sell when a close is this many percent below the average cost' }).default('5'),
    takeProfitPercent: decimalParam('takeProfitPercent', { max: '1000', describe: 'Sell when a close is this many percent above the average cost' }).default('10'),
    maxBarsHeld: countParam('maxBarsHeld', 1, 10_000, 'Sell after holding this many candles from the buy fill').default(48),
  })
  .strict();
export type WhaleFollowingParams = z.infer<typeof whaleFollowingParams>;

export interface WhaleFollowingState {
  /** Net weighted flow of each of the last `lookback` candles since the last order, oldest first. */
  flows: Dec[];
  /** Candle index at which the held position's buy fill was seen; null when flat. */
  entryIndex: number | null;
  /** The strongest qualifying buy move of each candle in `flows` (null when none), for the entry's provenance; absent in states saved before it. */
  moves?: ({ eventId: string; walletId: string; flow: Dec } | null)[];
}

/** A signal's credibility-weighted flow in USD (+ buy, − sell), or null when it does not qualify. */
export function weightedFlow(signal: WhaleSignal, params: Pick<WhaleFollowingParams, 'minCredibility' | 'minNotionalUsd' | 'credibilityWindow'>): Dec | null {
  const credibility = signal.credibility[params.credibilityWindow];
  if (credibility === null || !Number.isFinite(credibility) || credibility < params.minCredibility) return null;
  if (!signal.notionalUsd.isFinite() || signal.notionalUsd.lt(params.minNotionalUsd)) return null;
  const confidence = signal.confidence === null || !Number.isFinite(signal.confidence) ? 1 : Math.min(Math.max(signal.confidence, 0), 1);
  const flow = signal.notionalUsd.mul(new D(credibility).div(10)).mul(confidence);
  return signal.direction === 'buy' ? flow : flow.neg();
}

const usd = (d: Dec): string => d.toDecimalPlaces(2).toFixed();

export const whaleFollowingStrategy: Strategy<WhaleFollowingParams, WhaleFollowingState> = {
  kind: 'whale_following',
  summary: 'buys when credible watched wallets move into the asset and sells when they move out or the trade hits its stop, target or time limit',
  params: whaleFollowingParams,
  sideStream: SideStream.whaleSignals,
  init() {
    return { flows: [], entryIndex: null, moves: [] };
  },
  onCandle({ params, state, candles, portfolio, signals }) {
    const last = candles.length - 1;
    let candleFlow = ZERO;
    let counted = 0;
    let strongest: { eventId: string; walletId: string; flow: Dec } | null = null;
    for (const s of signals ?? []) {
      const flow = weightedFlow(s, params);
      if (flow === null) continue;
      candleFlow = candleFlow.add(flow);
      counted++;
      if (flow.gt(0) && (strongest === null || flow.gt(strongest.flow))) strongest = { eventId: s.eventId, walletId: s.walletId, flow };
    }
    state.flows.push(candleFlow);
    // Older saved states have no moves: pad so the two lists stay aligned.
    const moves = state.moves ?? [];
    while (moves.length < state.flows.length - 1) moves.unshift(null);
    moves.push(strongest);
    state.moves = moves;
    if (state.flows.length > params.lookback) state.flows.splice(0, state.flows.length - params.lookback);
    if (moves.length > state.flows.length) moves.splice(0, moves.length - state.flows.length);
    const net = sumDec(state.flows);
    const notes: string[] = [];
    if (counted > 0) notes.push(`${counted} credible whale move${counted === 1 ? '' : 's'}: net flow ${usd(net)} USD`);

    if (portfolio.position.isZero()) state.entryIndex = null;
    else if (state.entryIndex === null) state.entryIndex = last;
    const working = (side: 'buy' | 'sell'): boolean => portfolio.openOrders.some((o) => o.side === side);

    if (portfolio.position.gt(0)) {
      if (working('sell')) return notes.length > 0 ? { notes } : {};
      const close = candles.last().close;
      const average = portfolio.averageCost;
      let why: string | null = null;
      if (average !== null && close.lte(average.mul(new D(1).sub(params.stopLossPercent.div(100))))) {
        why = `close ${close.toFixed()} is ${params.stopLossPercent.toFixed()}% or more below the average cost ${average.toDecimalPlaces(8).toFixed()}: stop loss`;
      } else if (average !== null && close.gte(average.mul(params.takeProfitPercent.div(100).add(1)))) {
        why = `close ${close.toFixed()} is ${params.takeProfitPercent.toFixed()}% or more above the average cost ${average.toDecimalPlaces(8).toFixed()}: taking profit`;
      } else if (params.exitOnOpposite && net.lte(params.entryFlowUsd.neg())) {
        why = `whales are selling: net flow ${usd(net)} USD at or below -${params.entryFlowUsd.toFixed()}`;
      } else if (last - state.entryIndex! >= params.maxBarsHeld) {
        why = `held ${last - state.entryIndex!} candles, the most allowed (${params.maxBarsHeld})`;
      }
      if (why === null) return notes.length > 0 ? { notes } : {};
      notes.push(`${why}: selling`);
      state.flows = [];
      state.moves = [];
      return { orders: [{ side: 'sell', type: 'market', quantity: portfolio.position, tag: 'whale-exit' }], notes };
    }

    if (net.gte(params.entryFlowUsd) && !working('buy')) {
      const spend = minDec(params.quoteAmount, portfolio.cash);
      if (spend.lte(0)) {
        notes.push('whales are buying, but there is no free cash to follow them');
        return { notes };
      }
      notes.push(`whales are buying: net flow ${usd(net)} USD at or above ${params.entryFlowUsd.toFixed()}: buying`);
      const cause = moves.reduce<{ eventId: string; walletId: string; flow: Dec } | null>((a, m) => (m !== null && (a === null || m.flow.gt(a.flow)) ? m : a), null);
      state.flows = [];
      state.moves = [];
      return { orders: [{ side: 'buy', type: 'market', quoteAmount: spend, tag: 'whale-entry', ...(cause ? { signal: { eventId: cause.eventId, walletId: cause.walletId } } : {}) }], notes };
    }
    return notes.length > 0 ? { notes } : {};
  },
};
