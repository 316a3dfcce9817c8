// The ccxt adapter's error type, in a module that does not load ccxt: the market-data services
// recognise it (src/services/market-data/source-errors.ts) without loading ccxt in a process that
// never talks to a venue. The classification itself is in errors.ts.
import type { CcxtErrorClassification, CcxtFailureKind, CcxtFailureReason } from './errors.js';

/** An adapter error carrying its classification; `message` is the user message. */
export class CcxtVenueError extends Error {
  override readonly name = 'CcxtVenueError';
  constructor(readonly classification: CcxtErrorClassification) {
    super(classification.userMessage);
  }
  get kind(): CcxtFailureKind {
    return this.classification.kind;
  }
  get reason(): CcxtFailureReason {
    return this.classification.reason;
  }
}

export function isCcxtVenueError(err: unknown): err is CcxtVenueError {
  return err instanceof CcxtVenueError;
}
