/**
 * Agent: a bot whose decisions come from MIKEY's analysis. On each closed candle the runner asks the
 * agent decider (src/services/bots/agent-decider.ts) for a decision made from data up to that
 * candle's close — the model when one is configured and `source` is auto, else the technical summary
 * (and a trained prediction model's call where one exists) — stores it as a trading signal, and hands
 * it in through the agent-decision side stream (`StrategyInput.decision`). This strategy only maps the
 * decision to orders; it never sizes from the decision: the size is `quoteAmount` from the approved
 * card's parameters, the market is the bot's, and the runner checks the card's limits on every order.
 *
 * Flat, no buy working, decision buy with confidence ≥ `minConfidence`: a market buy of `quoteAmount`
 * (fee included; the free cash when less), carrying the decision's signal id. Holding, no sell
 * working, decision sell (any confidence: an exit only reduces risk): sells everything at market.
 * Hold, or a buy while holding, or a sell while flat: nothing.
 *
 * Without a handed-in decision (a backtest, which never asks a model) it decides with the technical
 * summary of the candles it has seen (`rulesDecision`, the same function the decider's rules use), so
 * a backtest previews the rules path and says so in its notes.
 *
 * Parameters: quoteAmount (default 100), minConfidence (0–1, default 0.6), source (auto | rules,
 * default auto: the model when one is configured, the rules otherwise).
 *
 * When it loses: the technical summary is a blend of trend and momentum read at the close, so it buys
 * late into moves and sells late out of them, paying fees both ways in a range; a model's reading of
 * the same numbers is no better evidence and may be worse calibrated (its confidence is its own word).
 * The decision is judged at the close and fills at the next open, so a gap moves the price first.
 */
import { z } from 'zod';
import { summarizeTechnicals, type TechnicalSummary } from '../analysis.js';
import { minDec } from '../money.js';
import { TIMEFRAME_MS, type Candle } from '../ports.js';
import { SideStream, type CandleWindow, type Strategy } from './kernel.js';
import { decimalParam } from './params.js';

/** Where an agent's decisions come from: the model when one is configured (auto), or always the rules. */
export const AgentSource = { auto: 'auto', rules: 'rules' } as const;
export type AgentSource = (typeof AgentSource)[keyof typeof AgentSource];

/** Candles the technical summary reads (as the analysis service does). */
export const AGENT_ANALYSIS_CANDLES = 300;

export const agentParams = z
  .object({
    quoteAmount: decimalParam('quoteAmount', { max: '1000000000000', describe: 'Quote amount an entry spends, fee included (the position size; the model never sets it)' }).default('100'),
    minConfidence: z
      .number({ invalid_type_error: 'minConfidence must be a number from 0 to 1' })
      .min(0, 'minConfidence must be at least 0')
      .max(1, 'minConfidence must be at most 1')
      .default(0.6)
      .describe('Least confidence (0–1) a buy decision needs before the agent buys'),
    source: z
      .enum([AgentSource.auto, AgentSource.rules], { errorMap: () => ({ message: 'source must be auto (the model when configured, else the rules) or rules' }) })
      .default(AgentSource.auto)
      .describe('auto: the model decides when one is configured, the technical summary otherwise; rules: always the technical summary'),
  })
  .strict();
export type AgentParams = z.infer<typeof agentParams>;

export interface AgentState {
  /** Decisions seen, by direction. */
  buys: number;
  sells: number;
  holds: number;
}

/** A decision from the technical summary: direction, confidence and the reasons in plain words. */
export interface RulesDecision {
  direction: 'buy' | 'sell' | 'hold';
  confidence: number;
  reasoning: string;
  /** The summary it came from; null when there were too few candles (then a hold). */
  summary: TechnicalSummary | null;
}

const REASONING_MAX = 300;

/** Plain text cut to at most `max` characters at a word boundary where one is near. */
export function shortText(text: string, max = REASONING_MAX): string {
  // eslint-disable-next-line no-control-regex -- control characters never reach a person
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${space > max * 0.6 ? cut.slice(0, space) : cut}…`;
}

/**
 * The technical summary's decision on `candles` (oldest first, all closed; the last one is the
 * candle decided on). Pure: the summary is made as of the last candle's close, from these candles only.
 */
export function rulesDecision(candles: readonly Candle[]): RulesDecision {
  const last = candles[candles.length - 1];
  if (last === undefined) return { direction: 'hold', confidence: 0, reasoning: 'no closed candles yet', summary: null };
  const now = new Date(last.openTime.getTime() + TIMEFRAME_MS[last.timeframe]);
  const r = summarizeTechnicals({ symbol: last.symbol, timeframe: last.timeframe, candles, now });
  if (!r.ok) return { direction: 'hold', confidence: 0, reasoning: `holding: ${r.error}`, summary: null };
  const s = r.value;
  const confidence = Math.round(s.confidence * 100) / 100;
  return { direction: s.action, confidence, reasoning: shortText(`Technical summary ${s.signal.replace('_', ' ')}: ${s.reasons.join('; ')}`), summary: s };
}

/** The last `count` closed candles of a window that holds them (a backtest's window is dense). */
function recentCandles(window: CandleWindow, count: number): Candle[] {
  const out: Candle[] = [];
  for (let n = Math.min(count, window.length) - 1; n >= 0; n--) out.push(window.ago(n)!);
  return out;
}

export const agentStrategy: Strategy<AgentParams, AgentState> = {
  kind: 'agent',
  summary: 'buys and sells on MIKEY\'s own analysis of each closed candle (the model when configured, the technical summary otherwise), sized only by its card',
  params: agentParams,
  sideStream: SideStream.agentDecisions,
  init() {
    return { buys: 0, sells: 0, holds: 0 };
  },
  onCandle({ params, state, candles, portfolio, decision }) {
    const notes: string[] = [];
    let d = decision;
    if (d === undefined) {
      const r = rulesDecision(recentCandles(candles, AGENT_ANALYSIS_CANDLES));
      d = { direction: r.direction, confidence: r.confidence };
      notes.push(`no decision handed in: the technical summary decided ${r.direction} (confidence ${r.confidence.toFixed(2)})`);
    }
    const confidence = Number.isFinite(d.confidence) ? Math.min(Math.max(d.confidence, 0), 1) : 0;
    if (d.direction === 'buy') state.buys++;
    else if (d.direction === 'sell') state.sells++;
    else state.holds++;
    const working = (side: 'buy' | 'sell'): boolean => portfolio.openOrders.some((o) => o.side === side);
    const cause = d.signalId !== undefined ? { agentSignalId: d.signalId } : {};

    if (portfolio.position.gt(0)) {
      if (d.direction !== 'sell' || working('sell')) return notes.length > 0 ? { notes } : {};
      notes.push(`the agent decided sell (confidence ${confidence.toFixed(2)}): selling the ${portfolio.position.toFixed()} held`);
      return { orders: [{ side: 'sell', type: 'market', quantity: portfolio.position, tag: 'agent-exit', ...cause }], notes };
    }
    if (d.direction !== 'buy' || working('buy')) return notes.length > 0 ? { notes } : {};
    if (confidence < params.minConfidence) {
      notes.push(`the agent decided buy with confidence ${confidence.toFixed(2)}, below ${params.minConfidence.toFixed(2)}: not buying`);
      return { notes };
    }
    const spend = minDec(params.quoteAmount, portfolio.cash);
    if (spend.lte(0)) {
      notes.push('the agent decided buy, but there is no free cash');
      return { notes };
    }
    notes.push(`the agent decided buy (confidence ${confidence.toFixed(2)}): buying for ${spend.toFixed()}`);
    return { orders: [{ side: 'buy', type: 'market', quoteAmount: spend, tag: 'agent-entry', ...cause }], notes };
  },
};
