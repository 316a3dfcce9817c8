// How far a wallet's moves are worth following: credibility per window (1 h, 4 h, 24 h) from its own
// record, Hyperliquid trader statistics (24 h volume, win rate), and an archetype. Pure: the caller
// brings each past event's implied direction and the prices at and after it.
//
// Credibility (0–10) of a window: over the wallet's past events that implied a direction (up or
// down) and whose window has passed with a price known, a hit is a price move in the implied
// direction by more than `minMove` (a fraction, default 0: a flat price is a miss). The score is
// 10 × the lower end of the 95 % Wilson interval of the hit rate — conservative for small samples,
// so a lucky streak does not look like skill: 8 hits of 10 score 4.9, 80 of 100 score 7.1,
// 0 samples score 0. Sample counts go with every score.
//
// Archetype rules (first match wins; "directional" = an event implying up or down):
//   exchange_hot_wallet  the address is a known exchange address, or ≥ 50 events with distinct
//                        counterparties for at least half of them (it serves many customers)
//   market_maker         ≥ 50 fills, ≥ 70 % of them as maker, buys and sells within 10 % of the fills
//   momentum_trader      ≥ 10 directional events with the prior 24 h move known, ≥ 65 % of them
//                        in the direction the price was already moving
//   accumulator          ≥ 5 directional events, ≥ 70 % implying up
//   distributor          ≥ 5 directional events, ≥ 70 % implying down
//   unclassified         none of the above (also: too little history)
import { wilsonInterval, type Interval } from '../predict/scoring.js';
import { ZERO, sumDec, type Dec } from '../money.js';

export const CredibilityWindow = { h1: '1h', h4: '4h', h24: '24h' } as const;
export type CredibilityWindow = (typeof CredibilityWindow)[keyof typeof CredibilityWindow];
export const CREDIBILITY_WINDOWS: readonly CredibilityWindow[] = ['1h', '4h', '24h'];
export const WINDOW_MS: Readonly<Record<CredibilityWindow, number>> = { '1h': 3_600_000, '4h': 14_400_000, '24h': 86_400_000 };

export type ImpliedMove = 'up' | 'down' | 'neutral';

export interface EventOutcome {
  implied: ImpliedMove;
  priceAtEvent: Dec;
  /** Price one window after the event; missing or null while the window has not passed or no price is known. */
  priceAfter: Partial<Record<CredibilityWindow, Dec | null>>;
}

export interface WindowScore {
  window: CredibilityWindow;
  samples: number;
  hits: number;
  /** Undefined with no samples. */
  hitRate: number | undefined;
  wilson95: Interval;
  /** Mean price return in the implied direction (0.01 = 1 % the right way); undefined with no samples. */
  meanDirectionalReturn: number | undefined;
  /** 0–10, two decimals. */
  credibility: number;
}

export type CredibilityScores = Record<CredibilityWindow, WindowScore>;

/** Scores one window. */
export function windowScore(outcomes: readonly EventOutcome[], window: CredibilityWindow, minMove = 0): WindowScore {
  let samples = 0;
  let hits = 0;
  let returnSum = 0;
  for (const o of outcomes) {
    if (o.implied === 'neutral' || o.priceAtEvent.lte(0)) continue;
    const after = o.priceAfter[window];
    if (!after) continue;
    const change = after.sub(o.priceAtEvent).div(o.priceAtEvent);
    const directional = (o.implied === 'up' ? change : change.neg()).toNumber();
    samples++;
    returnSum += directional;
    if (directional > minMove) hits++;
  }
  const wilson95 = wilsonInterval(hits, samples);
  return {
    window,
    samples,
    hits,
    hitRate: samples > 0 ? hits / samples : undefined,
    wilson95,
    meanDirectionalReturn: samples > 0 ? returnSum / samples : undefined,
    credibility: samples > 0 ? Math.round(wilson95.low * 1000) / 100 : 0,
  };
}

/** Credibility for 1 h, 4 h and 24 h. */
export function credibilityScores(outcomes: readonly EventOutcome[], minMove = 0): CredibilityScores {
  return {
    '1h': windowScore(outcomes, '1h', minMove),
    '4h': windowScore(outcomes, '4h', minMove),
    '24h': windowScore(outcomes, '24h', minMove),
  };
}

export interface PerpFillFacts {
  px: Dec;
  sz: Dec;
  /** Milliseconds since the epoch. */
  time: number;
  closedPnl: Dec;
}

export interface PerpTraderStats {
  /** Σ price × size over fills in the 24 h up to `now`. */
  volume24h: Dec;
  /** Fills that realised profit or loss. */
  closingFills: number;
  wins: number;
  /** wins / closingFills, undefined with none. */
  winRate: number | undefined;
  wilson95: Interval;
}

/** Volume and win rate of a Hyperliquid trader from its fills. `now` comes in (no clock here). */
export function perpTraderStats(fills: readonly PerpFillFacts[], now: number): PerpTraderStats {
  const since = now - WINDOW_MS['24h'];
  const volume24h = sumDec(fills.filter((f) => f.time > since && f.time <= now).map((f) => f.px.mul(f.sz)));
  const closing = fills.filter((f) => !f.closedPnl.isZero());
  const wins = closing.filter((f) => f.closedPnl.gt(ZERO)).length;
  return {
    volume24h,
    closingFills: closing.length,
    wins,
    winRate: closing.length > 0 ? wins / closing.length : undefined,
    wilson95: wilsonInterval(wins, closing.length),
  };
}

export const WalletArchetype = {
  exchangeHotWallet: 'exchange_hot_wallet',
  marketMaker: 'market_maker',
  momentumTrader: 'momentum_trader',
  accumulator: 'accumulator',
  distributor: 'distributor',
  unclassified: 'unclassified',
} as const;
export type WalletArchetype = (typeof WalletArchetype)[keyof typeof WalletArchetype];

export interface ArchetypeInput {
  isKnownExchange: boolean;
  events: ReadonlyArray<{ implied: ImpliedMove; counterparty?: string | null; priorMove?: 'up' | 'down' | null }>;
  fills?: ReadonlyArray<{ side: 'buy' | 'sell'; maker: boolean }>;
}

export interface ArchetypeResult {
  archetype: WalletArchetype;
  /** Which rule decided, in words. */
  reason: string;
}

const pct = (x: number): string => `${String(Math.round(x * 100))} %`;

/** The wallet's archetype by the rules in the header. */
export function archetypeOf(input: ArchetypeInput): ArchetypeResult {
  const events = input.events;
  if (input.isKnownExchange) return { archetype: WalletArchetype.exchangeHotWallet, reason: 'the address is a known exchange address' };
  const counterparties = new Set(events.map((e) => e.counterparty?.toLowerCase()).filter((c): c is string => !!c));
  if (events.length >= 50 && counterparties.size >= events.length / 2) {
    return { archetype: WalletArchetype.exchangeHotWallet, reason: `${String(counterparties.size)} distinct counterparties over ${String(events.length)} events` };
  }
  const fills = input.fills ?? [];
  if (fills.length >= 50) {
    const makerShare = fills.filter((f) => f.maker).length / fills.length;
    const buys = fills.filter((f) => f.side === 'buy').length;
    const imbalance = Math.abs(buys - (fills.length - buys)) / fills.length;
    if (makerShare >= 0.7 && imbalance <= 0.1) {
      return { archetype: WalletArchetype.marketMaker, reason: `${pct(makerShare)} maker fills, buys and sells balanced within ${pct(imbalance)}` };
    }
  }
  const directional = events.filter((e) => e.implied !== 'neutral');
  const withPrior = directional.filter((e) => e.priorMove === 'up' || e.priorMove === 'down');
  if (withPrior.length >= 10) {
    const along = withPrior.filter((e) => e.implied === e.priorMove).length / withPrior.length;
    if (along >= 0.65) return { archetype: WalletArchetype.momentumTrader, reason: `${pct(along)} of its moves followed the prior 24 h price move` };
  }
  if (directional.length >= 5) {
    const up = directional.filter((e) => e.implied === 'up').length / directional.length;
    if (up >= 0.7) return { archetype: WalletArchetype.accumulator, reason: `${pct(up)} of its directional events were buys or inflows` };
    if (1 - up >= 0.7) return { archetype: WalletArchetype.distributor, reason: `${pct(1 - up)} of its directional events were sales or outflows` };
  }
  return {
    archetype: WalletArchetype.unclassified,
    reason: directional.length < 5 ? `too little history (${String(directional.length)} directional events, 5 needed)` : 'no rule matched its mix of events',
  };
}
