// Typed results for the pure trading domain. Expected failures (bad input, a rule that refuses) are
// values, not exceptions: every surface can show `message` to a person or a model as it is, and
// branch on `code`, which is stable across releases.

/** Stable codes for expected domain failures. Add codes; never rename one. */
export const DomainErrorCode = {
  invalidInput: 'invalid_input',
  invalidSymbol: 'invalid_symbol',
  unknownSymbol: 'unknown_symbol',
  invalidAmount: 'invalid_amount',
  sizeRequired: 'size_required',
  ambiguousSize: 'ambiguous_size',
  tooManyDecimals: 'too_many_decimals',
  notStepMultiple: 'not_step_multiple',
  belowMinQty: 'below_min_qty',
  aboveMaxQty: 'above_max_qty',
  belowMinNotional: 'below_min_notional',
  priceNotOnTick: 'price_not_on_tick',
  priceNotAllowed: 'price_not_allowed',
  priceRequired: 'price_required',
  triggerRequired: 'trigger_required',
  triggerNotAllowed: 'trigger_not_allowed',
  trailingRequired: 'trailing_required',
  trailingNotAllowed: 'trailing_not_allowed',
  scheduleRequired: 'schedule_required',
  scheduleNotAllowed: 'schedule_not_allowed',
  leverageOnSpot: 'leverage_on_spot',
  leverageTooHigh: 'leverage_too_high',
  invalidLeverage: 'invalid_leverage',
  postOnlyOnMarket: 'post_only_on_market',
  postOnlyConflict: 'post_only_conflict',
  reduceOnlyOnSpotBuy: 'reduce_only_on_spot_buy',
  illegalTransition: 'illegal_transition',
  overfill: 'overfill',
  invalidFill: 'invalid_fill',
  postOnlyWouldCross: 'post_only_would_cross',
  noLiquidity: 'no_liquidity',
  fillOrKillUnfilled: 'fill_or_kill_unfilled',
  tooManySlices: 'too_many_slices',
  sliceBelowMinQty: 'slice_below_min_qty',
  invalidVolumeProfile: 'invalid_volume_profile',
  insufficientFunds: 'insufficient_funds',
  insufficientLocked: 'insufficient_locked',
  insufficientPosition: 'insufficient_position',
  nothingToReduce: 'nothing_to_reduce',
  symbolMismatch: 'symbol_mismatch',
  invalidExit: 'invalid_exit',
} as const;
export type DomainErrorCode = (typeof DomainErrorCode)[keyof typeof DomainErrorCode];

/** An expected failure: a stable code and a message that says what was wrong and how to fix it. */
export interface DomainError {
  code: DomainErrorCode;
  message: string;
  /** Machine-readable facts behind the message (limits, suggestions), safe to show. */
  details?: Record<string, unknown>;
}

export type Result<T, E = DomainError> = { ok: true; value: T } | { ok: false; error: E };

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function fail(code: DomainErrorCode, message: string, details?: Record<string, unknown>): { ok: false; error: DomainError } {
  return { ok: false, error: details ? { code, message, details } : { code, message } };
}
