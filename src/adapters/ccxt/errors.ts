// The one place ccxt errors are classified, for market data and for the live broker alike.
//
//   retryable  — the venue did not (or may not have) processed the request: NetworkError and its
//                children (RequestTimeout, ExchangeNotAvailable, OnMaintenance, DDoSProtection,
//                RateLimitExceeded, InvalidNonce), plus unreadable responses (BadResponse). A read may
//                be retried after `retryAfterMs`. For an order, `outcomeUnknown` is true: settle it by
//                looking the order up (reliability 2), never by resubmitting blindly.
//   rejected   — the venue answered and said no: InsufficientFunds, InvalidOrder (and OrderNotFound,
//                DuplicateOrderId …), BadSymbol, BadRequest, AuthenticationError, PermissionDenied,
//                AccountSuspended, NotSupported, OperationRejected (MarketClosed …). Nothing happened;
//                show the user message.
//   unknown    — anything else, including ccxt's catch-all ExchangeError (an exchange code ccxt does
//                not map): for an order, the outcome is unknown and must be reconciled.
//
// Matching walks ccxt's class hierarchy most-specific first, by `instanceof` and, for errors that
// crossed a module boundary (ccxt loaded twice as CJS and ESM), by the class names in the prototype
// chain. User messages never contain URLs, headers, query strings or keys.
import {
  AccountNotEnabled,
  AccountSuspended,
  ArgumentsRequired,
  AuthenticationError,
  BadRequest,
  BadResponse,
  BadSymbol,
  CancelPending,
  ContractUnavailable,
  DDoSProtection,
  DuplicateOrderId,
  ExchangeClosedByUser,
  ExchangeError,
  ExchangeNotAvailable,
  InsufficientFunds,
  InvalidAddress,
  InvalidNonce,
  InvalidOrder,
  InvalidProxySettings,
  ManualInteractionNeeded,
  MarketClosed,
  NetworkError,
  NoChange,
  NotSupported,
  NullResponse,
  OnMaintenance,
  OperationFailed,
  OperationRejected,
  OrderImmediatelyFillable,
  OrderNotCached,
  OrderNotFillable,
  OrderNotFound,
  PermissionDenied,
  RateLimitExceeded,
  RequestTimeout,
  RestrictedLocation,
} from 'ccxt';
import { CcxtVenueError } from './venue-error.js';

export { CcxtVenueError, isCcxtVenueError } from './venue-error.js';

export const CcxtFailureKind = { retryable: 'retryable', rejected: 'rejected', unknown: 'unknown' } as const;
export type CcxtFailureKind = (typeof CcxtFailureKind)[keyof typeof CcxtFailureKind];

/** What went wrong, in one stable word per case. */
export const CcxtFailureReason = {
  timeout: 'timeout',
  rateLimited: 'rate_limited',
  exchangeUnavailable: 'exchange_unavailable',
  maintenance: 'maintenance',
  network: 'network',
  badResponse: 'bad_response',
  insufficientFunds: 'insufficient_funds',
  orderNotFound: 'order_not_found',
  duplicateOrder: 'duplicate_order',
  invalidOrder: 'invalid_order',
  badSymbol: 'bad_symbol',
  badRequest: 'bad_request',
  authentication: 'authentication',
  permissionDenied: 'permission_denied',
  accountSuspended: 'account_suspended',
  notSupported: 'not_supported',
  marketClosed: 'market_closed',
  rejected: 'rejected',
  cancelPending: 'cancel_pending',
  unknown: 'unknown',
} as const;
export type CcxtFailureReason = (typeof CcxtFailureReason)[keyof typeof CcxtFailureReason];

export interface CcxtErrorClassification {
  kind: CcxtFailureKind;
  reason: CcxtFailureReason;
  /** An idempotent read may be retried (after `retryAfterMs` when given). */
  retryable: boolean;
  /** For a write: the venue may have acted; settle by lookup, never resubmit blindly. */
  outcomeUnknown: boolean;
  /** Safe to show a person or a model: no URL, header, query string or key. */
  userMessage: string;
  /** How long to wait before retrying, for rate limits. */
  retryAfterMs?: number;
  /** ccxt class name (e.g. "RequestTimeout"), or the JS error name for non-ccxt errors. */
  errorName: string;
  /** The venue's own words when it sent them ({"code":-2010,"msg":"…"}), scrubbed and trimmed. */
  venueMessage?: string;
  venueCode?: string;
}

export interface CcxtErrorContext {
  /** Exchange id or name for the message ("binance"). */
  exchange?: string;
  /** What we were doing, for the message ("load the order book for BTC/USDT"). */
  action?: string;
}

type ErrorClass = abstract new (...args: never[]) => Error;

interface Rule {
  cls: ErrorClass;
  kind: CcxtFailureKind;
  reason: CcxtFailureReason;
  message: (venue: string, action: string) => string;
  retryAfterMs?: number;
}

const tryAgain = (what: string) => (venue: string, action: string) => `${venue} ${what} while trying to ${action}; nothing was changed, try again shortly`;

/** Most specific first: the first matching rule wins. */
const RULES: readonly Rule[] = [
  // --- retryable: the network family (OperationFailed → NetworkError → …) ---
  { cls: RequestTimeout, kind: 'retryable', reason: 'timeout', message: (v, a) => `${v} did not answer in time while trying to ${a}` },
  { cls: RateLimitExceeded, kind: 'retryable', reason: 'rate_limited', retryAfterMs: 10_000, message: tryAgain('is rate-limiting MIKEY') },
  { cls: DDoSProtection, kind: 'retryable', reason: 'rate_limited', retryAfterMs: 60_000, message: tryAgain('is refusing requests for now (rate limit or temporary ban)') },
  { cls: OnMaintenance, kind: 'retryable', reason: 'maintenance', retryAfterMs: 60_000, message: tryAgain('is under maintenance') },
  { cls: ExchangeNotAvailable, kind: 'retryable', reason: 'exchange_unavailable', retryAfterMs: 5_000, message: tryAgain('is not available') },
  { cls: InvalidNonce, kind: 'retryable', reason: 'network', message: tryAgain('rejected the request nonce (clock or concurrency)') },
  { cls: NetworkError, kind: 'retryable', reason: 'network', message: (v, a) => `cannot reach ${v} to ${a}` },
  { cls: NullResponse, kind: 'retryable', reason: 'bad_response', message: (v, a) => `${v} sent an empty answer while trying to ${a}` },
  { cls: BadResponse, kind: 'retryable', reason: 'bad_response', message: (v, a) => `${v} sent an answer MIKEY cannot read while trying to ${a}` },
  { cls: CancelPending, kind: 'unknown', reason: 'cancel_pending', message: (v) => `${v} is still cancelling the order; check its status before doing anything else` },
  { cls: OperationFailed, kind: 'unknown', reason: 'unknown', message: (v, a) => `${v} failed to ${a}; the outcome is not known yet` },
  // --- rejected: the venue answered no ---
  { cls: InsufficientFunds, kind: 'rejected', reason: 'insufficient_funds', message: (v) => `${v} rejected it: not enough funds in the account` },
  { cls: OrderNotFound, kind: 'rejected', reason: 'order_not_found', message: (v) => `${v} does not know this order` },
  { cls: DuplicateOrderId, kind: 'rejected', reason: 'duplicate_order', message: (v) => `${v} already has an order with this client id` },
  { cls: OrderImmediatelyFillable, kind: 'rejected', reason: 'invalid_order', message: (v) => `${v} rejected the post-only order because it would fill immediately` },
  { cls: OrderNotFillable, kind: 'rejected', reason: 'invalid_order', message: (v) => `${v} rejected the order because it cannot be filled` },
  { cls: ContractUnavailable, kind: 'rejected', reason: 'invalid_order', message: (v) => `${v} does not offer this contract now` },
  { cls: OrderNotCached, kind: 'rejected', reason: 'order_not_found', message: (v) => `${v} no longer shows this order` },
  { cls: InvalidOrder, kind: 'rejected', reason: 'invalid_order', message: (v) => `${v} rejected the order as invalid (size, price or type does not fit the market rules)` },
  { cls: BadSymbol, kind: 'rejected', reason: 'bad_symbol', message: (v) => `${v} does not list this market` },
  { cls: ArgumentsRequired, kind: 'rejected', reason: 'bad_request', message: (v, a) => `${v} needs more details to ${a}` },
  { cls: BadRequest, kind: 'rejected', reason: 'bad_request', message: (v, a) => `${v} rejected the request to ${a} as malformed` },
  { cls: AccountNotEnabled, kind: 'rejected', reason: 'permission_denied', message: (v) => `${v} has not enabled this feature for the account` },
  { cls: PermissionDenied, kind: 'rejected', reason: 'permission_denied', message: (v) => `${v} API key is not allowed to do this (check its permissions)` },
  { cls: AccountSuspended, kind: 'rejected', reason: 'account_suspended', message: (v) => `${v} account is suspended` },
  { cls: AuthenticationError, kind: 'rejected', reason: 'authentication', message: (v) => `${v} rejected the API key (check the key, secret and IP allow-list)` },
  { cls: NotSupported, kind: 'rejected', reason: 'not_supported', message: (v, a) => `${v} does not support this (${a})` },
  { cls: MarketClosed, kind: 'rejected', reason: 'market_closed', message: (v) => `${v} market is closed` },
  { cls: RestrictedLocation, kind: 'rejected', reason: 'rejected', message: (v) => `${v} refuses requests from this location` },
  { cls: ManualInteractionNeeded, kind: 'rejected', reason: 'rejected', message: (v) => `${v} needs you to act in its app or website first` },
  { cls: NoChange, kind: 'rejected', reason: 'rejected', message: (v) => `${v} says nothing needs to change` },
  { cls: OperationRejected, kind: 'rejected', reason: 'rejected', message: (v) => `${v} rejected the request` },
  { cls: InvalidAddress, kind: 'rejected', reason: 'bad_request', message: (v) => `${v} rejected the address` },
  { cls: InvalidProxySettings, kind: 'rejected', reason: 'bad_request', message: (v) => `${v} proxy settings are invalid` },
  { cls: ExchangeClosedByUser, kind: 'rejected', reason: 'rejected', message: (v) => `${v} connection was closed` },
  // --- unknown: ccxt's catch-all for exchange codes it does not map ---
  { cls: ExchangeError, kind: 'unknown', reason: 'unknown', message: (v, a) => `${v} returned an error while trying to ${a}; the outcome is not known` },
];

function prototypeNames(err: object): Set<string> {
  const names = new Set<string>();
  let proto: object | null = Object.getPrototypeOf(err) as object | null;
  for (let depth = 0; proto && depth < 12; depth++) {
    const ctor = (proto as { constructor?: { name?: unknown } }).constructor;
    if (ctor && typeof ctor.name === 'string') names.add(ctor.name);
    proto = Object.getPrototypeOf(proto) as object | null;
  }
  return names;
}

function matches(err: Error, names: Set<string>, cls: ErrorClass): boolean {
  return err instanceof cls || names.has(cls.name);
}

/** The venue's {"code":…, "msg":…} from a ccxt message ("binance {\"code\":-2010,\"msg\":\"…\"}"). */
function venueDetails(message: string): { venueMessage?: string; venueCode?: string } {
  const start = message.indexOf('{');
  const end = message.lastIndexOf('}');
  if (start < 0 || end <= start) return {};
  try {
    const body = JSON.parse(message.slice(start, end + 1)) as Record<string, unknown>;
    const msg = body['msg'] ?? body['message'] ?? body['error'];
    const code = body['code'];
    const out: { venueMessage?: string; venueCode?: string } = {};
    if (typeof msg === 'string' && msg.length > 0) out.venueMessage = scrubVenueText(msg).slice(0, 200);
    if (typeof code === 'string' || typeof code === 'number') out.venueCode = String(code);
    return out;
  } catch {
    return {};
  }
}

/** Removes URLs, query strings and key-shaped tokens from venue text before it is shown. */
export function scrubVenueText(text: string): string {
  return text
    .replace(/\bhttps?:\/\/\S+/gi, '[url]')
    .replace(/\b(signature|apikey|api_key|key|token|secret|passphrase)=\S+/gi, '$1=[redacted]')
    .replace(/(Bearer\s+)\S+/gi, '$1[redacted]')
    .replace(/\b[A-Za-z0-9]{40,}\b/g, '[redacted]');
}

/** Classifies any error thrown by a ccxt call. Pure. */
export function classifyCcxtError(err: unknown, ctx: CcxtErrorContext = {}): CcxtErrorClassification {
  const venue = ctx.exchange ?? 'the exchange';
  const action = ctx.action ?? 'complete the request';
  if (!(err instanceof Error)) {
    return { kind: 'unknown', reason: 'unknown', retryable: false, outcomeUnknown: true, userMessage: `${venue} request failed in an unexpected way while trying to ${action}`, errorName: typeof err };
  }
  const names = prototypeNames(err);
  for (const rule of RULES) {
    if (!matches(err, names, rule.cls)) continue;
    const details = rule.kind === 'rejected' || rule.cls === ExchangeError ? venueDetails(err.message) : {};
    let userMessage = rule.message(venue, action);
    if (details.venueMessage) userMessage += ` (${venue} says: ${details.venueMessage})`;
    const out: CcxtErrorClassification = {
      kind: rule.kind,
      reason: rule.reason,
      retryable: rule.kind === 'retryable',
      outcomeUnknown: rule.kind !== 'rejected',
      userMessage,
      errorName: rule.cls.name,
      ...details,
    };
    if (rule.retryAfterMs !== undefined) out.retryAfterMs = rule.retryAfterMs;
    return out;
  }
  return {
    kind: 'unknown',
    reason: 'unknown',
    retryable: false,
    outcomeUnknown: true,
    userMessage: `${venue} request failed unexpectedly while trying to ${action}; the outcome is not known`,
    errorName: err.name,
  };
}

/** Wraps any ccxt failure as a `CcxtVenueError` (already-wrapped errors pass through). */
export function toVenueError(err: unknown, ctx: CcxtErrorContext = {}): CcxtVenueError {
  if (err instanceof CcxtVenueError) return err;
  return new CcxtVenueError(classifyCcxtError(err, ctx));
}
