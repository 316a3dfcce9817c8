// Market bias from whale events: for one asset and one timeframe (1 h, 4 h, 24 h), how the watched
// wallets' recent moves lean, −1 (bearish) … +1 (bullish), how much to trust that lean, and who
// made it. Pure: the caller brings the events (with their stored analyses) and the wallets' score
// history; `at` comes in (no clock here).
//
// Rules (a "directional" event is one whose analysis has a non-zero bias impact):
//   window       events with at − W < occurred_at ≤ at, W = 1 h, 4 h or 24 h; retracted events never
//                count; events with no or a zero bias impact are counted as neutral and carry no weight.
//   credibility  the wallet's credibility (0–10) for the timeframe from its LATEST score at or before
//                the event — never a later one, which would judge the event by what came after it.
//                A wallet with no such score (or no samples in that window) counts as
//                UNSCORED_CREDIBILITY (2, about what one right call earns under the Wilson rule).
//   size         from the event's USD notional: log10(notional / 1 000) / 4, clamped to 0.1 … 1
//                ($10k → 0.25, $100k → 0.5, $1M → 0.75, ≥ $10M → 1); with no notional, from its
//                share of the wallet (share / 0.5, clamped to 0.1 … 1); with neither, 0.25.
//   weight       w = credibility / 10 × analysis confidence (0.5 when unknown) × size.
//   value        Σ w·impact / Σ w over the directional events (0 when Σ w = 0), four decimals.
//                The impact already carries the rule's strength, so one bullish swap of impact 0.6
//                alone gives +0.6: the value says which way and how strongly, the confidence how
//                much stands behind it.
//   confidence   agreement × Σ w / (Σ w + 1), four decimals, where agreement = |Σ w·impact| /
//                Σ w·|impact| (1 when all point one way, 0 when they cancel). Σ w / (Σ w + 1) is ½
//                for the weight of one fully credible (10), fully confident $10M event.
//   components   per wallet: its directional events, weight, and contribution Σ w·impact / Σ w
//                (the contributions add up to the value); the top COMPONENTS by |contribution|.
//   direction    bullish when value ≥ 0.1, bearish when ≤ −0.1, else neutral.
import type { Dec } from '../money.js';
import { WINDOW_MS, type CredibilityWindow } from './credibility.js';

export type BiasTimeframe = CredibilityWindow;
export const BIAS_TIMEFRAMES: readonly BiasTimeframe[] = ['1h', '4h', '24h'];

/** Credibility assumed for a wallet with no score at or before its event (0–10). */
export const UNSCORED_CREDIBILITY = 2;
/** Analysis confidence assumed when none is stored (0–1). */
export const UNKNOWN_CONFIDENCE = 0.5;
/** Size weight of an event of unknown size. */
export const UNKNOWN_SIZE_WEIGHT = 0.25;
/** Components kept (the largest by |contribution|). */
export const COMPONENTS = 5;
/** |value| from which the bias has a direction. */
export const DIRECTION_THRESHOLD = 0.1;

export const BiasWord = { bullish: 'bullish', bearish: 'bearish', neutral: 'neutral' } as const;
export type BiasWord = (typeof BiasWord)[keyof typeof BiasWord];

export interface BiasEvent {
  eventId: string;
  walletId: string;
  occurredAt: Date;
  /** Set when the event's block was orphaned: such an event never counts. */
  retractedAt?: Date | null;
  /** The stored analysis' bias impact, −1…1; null without an analysis. */
  biasImpact: number | null;
  /** The stored analysis' confidence, 0–1. */
  confidence: number | null;
  notionalUsd: Dec | null;
  /** Share of the wallet's holdings the event moved, 0–1. */
  sizeFraction: number | null;
}

/** One stored credibility score of a wallet (null: no samples in that window). */
export interface ScorePoint {
  scoredAt: Date;
  credibility: Partial<Record<BiasTimeframe, number | null>>;
}

export interface BiasInput {
  timeframe: BiasTimeframe;
  at: Date;
  events: readonly BiasEvent[];
  /** Each wallet's scores (any order). */
  scores: ReadonlyMap<string, readonly ScorePoint[]>;
}

export interface BiasComponent {
  walletId: string;
  /** Directional events of this wallet in the window. */
  events: number;
  weight: number;
  /** Σ w·impact / Σ w of all events: the components add up to the value. */
  contribution: number;
  /** Mean credibility the wallet's events were weighted with (0–10). */
  credibility: number;
  /** True when none of its events had a score at or before it. */
  unscored: boolean;
}

export interface MarketBiasResult {
  timeframe: BiasTimeframe;
  at: Date;
  windowStart: Date;
  /** −1…1, four decimals. */
  value: number;
  direction: BiasWord;
  /** 0–1, four decimals. */
  confidence: number;
  totalWeight: number;
  agreement: number;
  samples: {
    /** Directional events counted. */
    events: number;
    /** Counted events without a direction (no weight). */
    neutralEvents: number;
    /** Wallets behind the directional events. */
    wallets: number;
    /** Directional events weighted with UNSCORED_CREDIBILITY. */
    unscoredEvents: number;
  };
  components: BiasComponent[];
}

const round4 = (x: number): number => Math.round(Number(x.toPrecision(12)) * 10_000) / 10_000;
const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

/** The size weight of an event by the rule in the header. */
export function sizeWeight(notionalUsd: Dec | null, sizeFraction: number | null): number {
  if (notionalUsd && notionalUsd.isFinite() && !notionalUsd.isZero()) {
    // A weight, not money: a float logarithm (decimal.js' 60-digit one cost 0.3 ms a call).
    return clamp(Math.log10(notionalUsd.abs().toNumber() / 1000) / 4, 0.1, 1);
  }
  if (sizeFraction !== null && Number.isFinite(sizeFraction) && sizeFraction > 0) return clamp(sizeFraction / 0.5, 0.1, 1);
  return UNKNOWN_SIZE_WEIGHT;
}

/**
 * The wallet's credibility for `timeframe` from its latest score at or before `at` (a score taken
 * after the event is never used); undefined when it has none or that score has no samples.
 */
export function credibilityAt(scores: readonly ScorePoint[] | undefined, at: Date, timeframe: BiasTimeframe): number | undefined {
  let best: ScorePoint | undefined;
  for (const s of scores ?? []) {
    if (s.scoredAt.getTime() > at.getTime()) continue;
    if (!best || s.scoredAt.getTime() > best.scoredAt.getTime()) best = s;
  }
  const c = best?.credibility[timeframe];
  return c === null || c === undefined || !Number.isFinite(c) ? undefined : clamp(c, 0, 10);
}

export function biasWord(value: number): BiasWord {
  return value >= DIRECTION_THRESHOLD ? BiasWord.bullish : value <= -DIRECTION_THRESHOLD ? BiasWord.bearish : BiasWord.neutral;
}

/** The market bias of one asset's events over one timeframe, by the rules in the header. */
export function marketBias(input: BiasInput): MarketBiasResult {
  const atMs = input.at.getTime();
  const startMs = atMs - WINDOW_MS[input.timeframe];
  const inWindow = input.events.filter((e) => !e.retractedAt && e.occurredAt.getTime() > startMs && e.occurredAt.getTime() <= atMs);
  let neutral = 0;
  let unscoredEvents = 0;
  let totalWeight = 0;
  let signed = 0;
  let absolute = 0;
  const perWallet = new Map<string, { events: number; weight: number; signed: number; credSum: number; scored: number }>();
  for (const e of inWindow) {
    const impact = e.biasImpact === null || !Number.isFinite(e.biasImpact) ? 0 : clamp(e.biasImpact, -1, 1);
    if (impact === 0) {
      neutral++;
      continue;
    }
    const known = credibilityAt(input.scores.get(e.walletId), e.occurredAt, input.timeframe);
    if (known === undefined) unscoredEvents++;
    const credibility = known ?? UNSCORED_CREDIBILITY;
    const confidence = e.confidence === null || !Number.isFinite(e.confidence) ? UNKNOWN_CONFIDENCE : clamp(e.confidence, 0, 1);
    const w = (credibility / 10) * confidence * sizeWeight(e.notionalUsd, e.sizeFraction);
    totalWeight += w;
    signed += w * impact;
    absolute += w * Math.abs(impact);
    const pw = perWallet.get(e.walletId) ?? { events: 0, weight: 0, signed: 0, credSum: 0, scored: 0 };
    pw.events++;
    pw.weight += w;
    pw.signed += w * impact;
    pw.credSum += credibility;
    if (known !== undefined) pw.scored++;
    perWallet.set(e.walletId, pw);
  }
  const value = totalWeight > 0 ? round4(signed / totalWeight) : 0;
  const agreement = absolute > 0 ? Math.abs(signed) / absolute : 0;
  const components = [...perWallet.entries()]
    .map(([walletId, p]) => ({
      walletId,
      events: p.events,
      weight: round4(p.weight),
      contribution: totalWeight > 0 ? round4(p.signed / totalWeight) : 0,
      credibility: round4(p.credSum / p.events),
      unscored: p.scored === 0,
    }))
    .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution) || b.weight - a.weight || a.walletId.localeCompare(b.walletId))
    .slice(0, COMPONENTS);
  const directional = inWindow.length - neutral;
  return {
    timeframe: input.timeframe,
    at: input.at,
    windowStart: new Date(startMs),
    value,
    direction: biasWord(value),
    confidence: round4(agreement * (totalWeight / (totalWeight + 1))),
    totalWeight: round4(totalWeight),
    agreement: round4(agreement),
    samples: { events: directional, neutralEvents: neutral, wallets: perWallet.size, unscoredEvents },
    components,
  };
}

/** `bullish +0.42`, `bearish -0.31`, `neutral +0.03`. */
export function formatBias(value: number): string {
  const v = Math.abs(value) < 0.005 ? 0 : value;
  return `${biasWord(v)} ${v < 0 ? '-' : '+'}${Math.abs(v).toFixed(2)}`;
}
