// Rule-based analysis of one wallet event: what it probably means (classification, confidence),
// a short narrative for a person, its signed bias impact on the asset, and a proposed action. This
// is the offline path of `event_analyses` (no model key, or the model failed); the model path
// writes the same shape. Pure: the facts come in, the analysis goes out.
//
// Rules (first match wins; "stable" = a symbol in `STABLECOINS` or the caller's set):
//
//   transfer to a known exchange, non-stable asset   → exchange_deposit     bearish 0.7  conf 0.65  (coins sent to be sold)
//   transfer to a known exchange, stable asset       → exchange_deposit     bullish 0.4  conf 0.55  (buying power arriving)
//   transfer from a known exchange, non-stable asset → exchange_withdrawal  bullish 0.6  conf 0.60  (coins taken off the market)
//   transfer from a known exchange, stable asset     → exchange_withdrawal  bearish 0.2  conf 0.40  (buying power leaving)
//   transfer between watched wallets or to itself    → internal_transfer    neutral      conf 0.50
//   other transfer in, non-stable                    → accumulation         bullish 0.3  conf 0.35
//   other transfer out, non-stable                   → distribution         bearish 0.3  conf 0.35
//   other stable transfer                            → transfer             neutral      conf 0.30
//   swap stable → non-stable                         → accumulation         bullish 0.8  conf 0.75  (asset = what was bought)
//   swap non-stable → stable                         → distribution         bearish 0.8  conf 0.75  (asset = what was sold)
//   swap non-stable → non-stable                     → rotation             bullish 0.4  conf 0.50  (asset = what was bought)
//   swap stable → stable                             → rotation             neutral      conf 0.30
//   perp: flat → position                            → position_open        side's way 0.6  conf 0.60
//   perp: long ↔ short in one step                   → position_flip        new side's way 0.9  conf 0.75
//   perp: same side, larger, leverage up             → leverage_increase    side's way 0.7  conf 0.70
//   perp: same side, larger                          → position_increase    side's way 0.5  conf 0.60
//   perp: same side, smaller                         → position_reduce      against side 0.3  conf 0.50
//   perp: position → flat                            → position_close       against side 0.4  conf 0.55
//   perp: no size change                             → no_change            neutral      conf 0.20
//
// Magnitude = base × size scale, where the size scale is, by what is known:
//   share of the wallet f: 0.2 + 0.8 × min(1, f / 0.5)   (moving half the wallet or more counts fully)
//   else USD notional: ≥ 10M → 1, ≥ 1M → 0.75, ≥ 100k → 0.5, ≥ 10k → 0.3, below → 0.15
//   else 0.4, and confidence × 0.8 (size unknown).
// biasImpact = +magnitude (bullish), −magnitude (bearish), 0 (neutral), rounded to 2 places.
// Proposed action: buy (bullish) or sell (bearish) when magnitude ≥ 0.5 and confidence ≥ 0.6;
// otherwise hold. Action values are `signal_action`'s (buy, sell, hold).
//
// Symbols and labels come from tokens' contracts and from users: only a plain symbol
// (letters, digits, `.$_+-`, at most 16) or a plain label is put into the narrative.
import type { Dec } from '../money.js';
import { shortAddress } from './address.js';
import type { WalletChainEvent } from './evm-events.js';

export const EventClassification = {
  accumulation: 'accumulation',
  distribution: 'distribution',
  exchangeDeposit: 'exchange_deposit',
  exchangeWithdrawal: 'exchange_withdrawal',
  internalTransfer: 'internal_transfer',
  transfer: 'transfer',
  rotation: 'rotation',
  positionOpen: 'position_open',
  positionIncrease: 'position_increase',
  leverageIncrease: 'leverage_increase',
  positionReduce: 'position_reduce',
  positionClose: 'position_close',
  positionFlip: 'position_flip',
  noChange: 'no_change',
} as const;
export type EventClassification = (typeof EventClassification)[keyof typeof EventClassification];

export const BiasDirection = { bullish: 'bullish', bearish: 'bearish', neutral: 'neutral' } as const;
export type BiasDirection = (typeof BiasDirection)[keyof typeof BiasDirection];

/** Same values as the schema's `signal_action`. */
export const ProposedActionKind = { buy: 'buy', sell: 'sell', hold: 'hold' } as const;
export type ProposedActionKind = (typeof ProposedActionKind)[keyof typeof ProposedActionKind];

/** Who wrote an analysis (`event_analyses` keeps which). */
export const AnalysisAuthor = { rules: 'rules', model: 'model' } as const;
export type AnalysisAuthor = (typeof AnalysisAuthor)[keyof typeof AnalysisAuthor];

export const STABLECOINS: ReadonlySet<string> = new Set(['USDC', 'USDT', 'DAI', 'USDS', 'USDE', 'FDUSD', 'PYUSD', 'TUSD', 'BUSD', 'USDC.E', 'USD']);

interface Common {
  /** The wallet's address. */
  wallet: string;
  /** The watcher's label for the wallet, if any (untrusted text). */
  walletLabel?: string | null;
  /** Amount of `asset` moved (for swaps: of the bought asset; for perps: of the size change). */
  amount?: Dec | null;
  notionalUsd?: Dec | null;
  /** Share of the wallet's holdings the event moved, 0–1. */
  sizeFraction?: number | null;
  /** Replaces the default stablecoin set (upper-case symbols). */
  stablecoins?: ReadonlySet<string>;
}

export type ClassifyInput =
  | (Common & { kind: 'transfer'; asset: string; direction: 'in' | 'out' | 'self'; exchange: string | null; counterpartyWatched: boolean })
  | (Common & { kind: 'swap'; sold: string; bought: string })
  | (Common & {
      kind: 'perp';
      coin: string;
      /** Signed size before and after (positive long, negative short). */
      startPosition: Dec;
      endPosition: Dec;
      leverageBefore?: number | null;
      leverageAfter?: number | null;
    });

export interface ProposedAction {
  action: ProposedActionKind;
  asset: string;
  reason: string;
}

export interface EventAnalysis {
  classification: EventClassification;
  /** 0–1. */
  confidence: number;
  narrative: string;
  /** The asset the bias applies to. */
  asset: string;
  bias: { direction: BiasDirection; magnitude: number };
  /** Signed, −1…1 (`event_analyses.bias_impact`). */
  biasImpact: number;
  proposedAction: ProposedAction;
  /** Which rule fired (`event_analyses.pattern_matched`). */
  patternMatched: string;
  author: AnalysisAuthor;
}

interface Rule {
  id: string;
  classification: EventClassification;
  direction: BiasDirection;
  base: number;
  confidence: number;
  asset: string;
  /** The narrative's tail: what this usually means. */
  meaning: string;
}

const SAFE_SYMBOL = /^[A-Za-z0-9.$_+-]{1,16}$/;

/** A symbol fit for a narrative, or a neutral stand-in. */
export function safeSymbol(symbol: string | null | undefined): string {
  return symbol && SAFE_SYMBOL.test(symbol) ? symbol : 'an unlisted token';
}

function safeLabel(label: string | null | undefined): string | null {
  if (!label) return null;
  const plain = label.replace(/[^\p{L}\p{N} .,'_-]/gu, '').trim().slice(0, 40);
  return plain.length > 0 ? plain : null;
}

const isStable = (symbol: string, set: ReadonlySet<string>): boolean => set.has(symbol.toUpperCase());

function sign(d: Dec): -1 | 0 | 1 {
  return d.isZero() ? 0 : d.isNeg() ? -1 : 1;
}

function ruleFor(input: ClassifyInput): Rule {
  const stables = input.stablecoins ?? STABLECOINS;
  const r = (id: string, classification: EventClassification, direction: BiasDirection, base: number, confidence: number, asset: string, meaning: string): Rule => ({
    id,
    classification,
    direction,
    base,
    confidence,
    asset,
    meaning,
  });
  const C = EventClassification;
  const B = BiasDirection;
  switch (input.kind) {
    case 'transfer': {
      const stable = isStable(input.asset, stables);
      if (input.exchange && input.direction === 'out') {
        return stable
          ? r('exchange_deposit_stable', C.exchangeDeposit, B.bullish, 0.4, 0.55, input.asset, 'stablecoins sent to an exchange are often used to buy')
          : r('exchange_deposit', C.exchangeDeposit, B.bearish, 0.7, 0.65, input.asset, 'coins sent to an exchange are often about to be sold');
      }
      if (input.exchange && input.direction === 'in') {
        return stable
          ? r('exchange_withdrawal_stable', C.exchangeWithdrawal, B.bearish, 0.2, 0.4, input.asset, 'buying power is leaving the exchange')
          : r('exchange_withdrawal', C.exchangeWithdrawal, B.bullish, 0.6, 0.6, input.asset, 'coins taken off an exchange are usually held, not sold');
      }
      if (input.counterpartyWatched || input.direction === 'self') {
        return r('internal_transfer', C.internalTransfer, B.neutral, 0, 0.5, input.asset, 'a move between watched wallets changes no exposure');
      }
      if (stable) return r('stable_transfer', C.transfer, B.neutral, 0, 0.3, input.asset, 'a stablecoin transfer says little about direction');
      return input.direction === 'in'
        ? r('transfer_in', C.accumulation, B.bullish, 0.3, 0.35, input.asset, 'the wallet is adding to its holdings')
        : r('transfer_out', C.distribution, B.bearish, 0.3, 0.35, input.asset, 'the wallet is reducing its holdings');
    }
    case 'swap': {
      const soldStable = isStable(input.sold, stables);
      const boughtStable = isStable(input.bought, stables);
      if (soldStable && !boughtStable) return r('swap_buy', C.accumulation, B.bullish, 0.8, 0.75, input.bought, 'a buy with stablecoins');
      if (!soldStable && boughtStable) return r('swap_sell', C.distribution, B.bearish, 0.8, 0.75, input.sold, 'a sale into stablecoins');
      if (!soldStable && !boughtStable) return r('swap_rotation', C.rotation, B.bullish, 0.4, 0.5, input.bought, `a rotation out of ${safeSymbol(input.sold)}`);
      return r('swap_stable', C.rotation, B.neutral, 0, 0.3, input.bought, 'a swap between stablecoins');
    }
    case 'perp': {
      const before = sign(input.startPosition);
      const after = sign(input.endPosition);
      const sideWay = (s: -1 | 0 | 1): BiasDirection => (s > 0 ? B.bullish : s < 0 ? B.bearish : B.neutral);
      const against = (s: -1 | 0 | 1): BiasDirection => (s > 0 ? B.bearish : s < 0 ? B.bullish : B.neutral);
      const coin = input.coin;
      if (before === 0 && after === 0) return r('perp_no_change', C.noChange, B.neutral, 0, 0.2, coin, 'no position was changed');
      if (before === 0) return r('perp_open', C.positionOpen, sideWay(after), 0.6, 0.6, coin, `a new ${after > 0 ? 'long' : 'short'}`);
      if (after === 0) return r('perp_close', C.positionClose, against(before), 0.4, 0.55, coin, `the ${before > 0 ? 'long' : 'short'} is closed`);
      if (before !== after) return r('perp_flip', C.positionFlip, sideWay(after), 0.9, 0.75, coin, `flipped from ${before > 0 ? 'long to short' : 'short to long'}`);
      const grew = input.endPosition.abs().gt(input.startPosition.abs());
      const side = after > 0 ? 'long' : 'short';
      if (grew) {
        const levUp = input.leverageBefore != null && input.leverageAfter != null && input.leverageAfter > input.leverageBefore;
        return levUp
          ? r('perp_leverage_up', C.leverageIncrease, sideWay(after), 0.7, 0.7, coin, `a bigger ${side} on more leverage (${String(input.leverageBefore)}x → ${String(input.leverageAfter)}x)`)
          : r('perp_increase', C.positionIncrease, sideWay(after), 0.5, 0.6, coin, `adding to the ${side}`);
      }
      if (input.endPosition.abs().eq(input.startPosition.abs())) return r('perp_no_change', C.noChange, B.neutral, 0, 0.2, coin, 'the position size is unchanged');
      return r('perp_reduce', C.positionReduce, against(after), 0.3, 0.5, coin, `trimming the ${side}`);
    }
  }
}

/** How much of the rule's base strength the event's size carries (see the header), and whether the size is known. */
export function sizeScale(input: { sizeFraction?: number | null; notionalUsd?: Dec | null }): { scale: number; known: boolean } {
  if (input.sizeFraction != null && Number.isFinite(input.sizeFraction) && input.sizeFraction >= 0) {
    return { scale: 0.2 + 0.8 * Math.min(1, input.sizeFraction / 0.5), known: true };
  }
  const n = input.notionalUsd?.abs();
  if (n) {
    const scale = n.gte(10_000_000) ? 1 : n.gte(1_000_000) ? 0.75 : n.gte(100_000) ? 0.5 : n.gte(10_000) ? 0.3 : 0.15;
    return { scale, known: true };
  }
  return { scale: 0.4, known: false };
}

/** Rounds to 2 places, half up, after dropping float noise (0.7 × 0.75 is 0.5249999… in binary). */
const round2 = (x: number): number => Math.round(Number(x.toPrecision(12)) * 100) / 100;

/** Groups thousands: 1234567.8 → "1,234,567.8". */
function grouped(fixed: string): string {
  const [int, frac] = fixed.split('.');
  const neg = int!.startsWith('-');
  const digits = neg ? int!.slice(1) : int!;
  const withCommas = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${neg ? '-' : ''}${withCommas}${frac ? `.${frac}` : ''}`;
}

/** A token amount for text: whole units from 1,000, 2 decimals from 1, else 6; trailing zeros dropped. */
export function formatAmount(d: Dec): string {
  const a = d.abs();
  const places = a.gte(1000) ? 0 : a.gte(1) ? 2 : 6;
  return grouped(d.toDecimalPlaces(places).toFixed());
}

/** USD for text: $1.2M, $350k, $950. */
export function formatUsd(d: Dec): string {
  const a = d.abs();
  if (a.gte(1_000_000_000)) return `$${a.div(1_000_000_000).toDecimalPlaces(1).toFixed()}B`;
  if (a.gte(1_000_000)) return `$${a.div(1_000_000).toDecimalPlaces(1).toFixed()}M`;
  if (a.gte(10_000)) return `$${a.div(1_000).toDecimalPlaces(0).toFixed()}k`;
  return `$${grouped(a.toDecimalPlaces(0).toFixed())}`;
}

function describe(input: ClassifyInput, who: string): string {
  const amount = (asset: string): string => (input.amount ? `${formatAmount(input.amount)} ${safeSymbol(asset)}` : safeSymbol(asset));
  const extras: string[] = [];
  if (input.notionalUsd) extras.push(`≈ ${formatUsd(input.notionalUsd)}`);
  if (input.sizeFraction != null && Number.isFinite(input.sizeFraction)) extras.push(`${String(Math.round(input.sizeFraction * 100))}% of its holdings`);
  const size = extras.length > 0 ? ` (${extras.join(', ')})` : '';
  switch (input.kind) {
    case 'transfer': {
      const where = input.exchange ? safeLabel(input.exchange) ?? 'an exchange' : null;
      if (input.direction === 'out') return `${who} sent ${amount(input.asset)}${size}${where ? ` to ${where}` : ''}`;
      if (input.direction === 'in') return `${who} received ${amount(input.asset)}${size}${where ? ` from ${where}` : ''}`;
      return `${who} moved ${amount(input.asset)}${size} to itself`;
    }
    case 'swap':
      return `${who} swapped ${safeSymbol(input.sold)} for ${amount(input.bought)}${size}`;
    case 'perp': {
      const pos = (d: Dec): string => (d.isZero() ? 'flat' : `${d.isNeg() ? 'short' : 'long'} ${formatAmount(d.abs())}`);
      return `${who} went from ${pos(input.startPosition)} to ${pos(input.endPosition)} ${safeSymbol(input.coin)} perp${size}`;
    }
  }
}

/** Analyses one event by the rules in the header. */
export function classifyEvent(input: ClassifyInput): EventAnalysis {
  const rule = ruleFor(input);
  const { scale, known } = sizeScale(input);
  const magnitude = rule.direction === BiasDirection.neutral ? 0 : round2(Math.min(1, rule.base * scale));
  const confidence = round2(rule.confidence * (known ? 1 : 0.8));
  const label = safeLabel(input.walletLabel);
  const who = label ? `${label} (${shortAddress(input.wallet)})` : shortAddress(input.wallet);
  const asset = safeSymbol(rule.asset);
  const narrative = `${describe(input, who)}: ${rule.meaning}.`;
  const strong = magnitude >= 0.5 && confidence >= 0.6;
  const action: ProposedActionKind =
    strong && rule.direction === BiasDirection.bullish ? ProposedActionKind.buy : strong && rule.direction === BiasDirection.bearish ? ProposedActionKind.sell : ProposedActionKind.hold;
  const reason =
    action === ProposedActionKind.hold
      ? `signal too weak to act on (strength ${magnitude.toFixed(2)}, confidence ${confidence.toFixed(2)})`
      : `${rule.direction} ${rule.classification.replace(/_/g, ' ')} (strength ${magnitude.toFixed(2)}, confidence ${confidence.toFixed(2)})`;
  return {
    classification: rule.classification,
    confidence,
    narrative,
    asset,
    bias: { direction: rule.direction, magnitude },
    biasImpact: rule.direction === BiasDirection.bullish ? magnitude : rule.direction === BiasDirection.bearish ? -magnitude : 0,
    proposedAction: { action, asset, reason },
    patternMatched: rule.id,
    author: AnalysisAuthor.rules,
  };
}

/** Size and labels the decoder does not know (valued by the caller from the oracle and the wallet's equity). */
export type EventContext = Pick<Common, 'walletLabel' | 'notionalUsd' | 'sizeFraction' | 'stablecoins'>;

/** The classifier's input for a decoded EVM event (transfer or swap). Unknown symbols stay unknown. */
export function classifyInputFromChainEvent(event: WalletChainEvent, context: EventContext = {}): ClassifyInput {
  // Built field by field rather than by spreading `context` first: a spread followed by more fields
  // makes V8 build a slow (dictionary) object, and this runs once per ingested event.
  const { walletLabel, notionalUsd, sizeFraction, stablecoins } = context;
  if (event.kind === 'transfer') {
    return {
      kind: 'transfer',
      wallet: event.wallet,
      asset: event.symbol ?? '?',
      amount: event.amount,
      direction: event.direction,
      exchange: event.exchange,
      counterpartyWatched: event.counterpartyWatched,
      walletLabel,
      notionalUsd,
      sizeFraction,
      stablecoins,
    };
  }
  return { kind: 'swap', wallet: event.wallet, sold: event.sold.symbol ?? '?', bought: event.bought.symbol ?? '?', amount: event.bought.amount, walletLabel, notionalUsd, sizeFraction, stablecoins };
}

/**
 * The classifier's input for one perp fill (Hyperliquid): the position after it is the position
 * before (`startPosition`) plus the size bought or minus the size sold.
 */
export function classifyInputFromFill(
  wallet: string,
  fill: { coin: string; side: 'buy' | 'sell'; sz: Dec; startPosition: Dec },
  context: EventContext & { leverageBefore?: number | null; leverageAfter?: number | null } = {},
): ClassifyInput {
  const endPosition = fill.side === 'buy' ? fill.startPosition.add(fill.sz) : fill.startPosition.sub(fill.sz);
  return { ...context, kind: 'perp', wallet, coin: fill.coin, startPosition: fill.startPosition, endPosition, amount: fill.sz };
}
